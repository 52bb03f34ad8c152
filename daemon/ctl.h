/* ctl.h - the magsyncctl commands, one function each (daemon/ctl_*.c). */
#ifndef MS_CTL_H
#define MS_CTL_H

/* What every command gets: the config path (-c, $MAGSYNC_CONFIG, or the
 * default) and its own arguments (argv[0] is the command name). Returns the
 * process exit status. */
struct ctl {
	const char *config_path;
	int argc;
	char **argv;
	int tty;			/* stdout is a terminal */
};

int ctl_check(struct ctl *c);
int ctl_next_runs(struct ctl *c);
int ctl_migrate(struct ctl *c);
int ctl_test_connection(struct ctl *c);
int ctl_run(struct ctl *c);
int ctl_status(struct ctl *c);
int ctl_logs(struct ctl *c);

#endif
