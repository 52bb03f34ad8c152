/* magsyncctl - the admin's and ops' command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define DEFAULT_CONFIG "/etc/magsync/magsync.ini"

static int ctl_help(struct ctl *c);

static const struct {
	const char *name;
	int (*fn)(struct ctl *);
	const char *usage;
} commands[] = {
	{ "help", ctl_help, "help" },
	{ "migrate", ctl_migrate, "migrate [--database CONNINFO]" },
	{ "check", ctl_check, "check [FILE] [--from TIME]" },
	{ "run", ctl_run, "run CHANNEL PROCESS" },
	{ "status", ctl_status, "status [CHANNEL] [--database CONNINFO]" },
	{ "logs", ctl_logs, "logs [RUN_ID] [--channel C] [--process P] "
	    "[--errors] [--limit N]" },
	{ "next-runs", ctl_next_runs, "next-runs EXPR [--from TIME] [--count N] [--tz ZONE]" },
	{ "test-connection", ctl_test_connection, "test-connection CHANNEL" },
	/* ENTRIES */
};

static void
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: magsyncctl [-c FILE] COMMAND [ARGS]\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  %s\n", commands[i].usage);
}

static int
ctl_help(struct ctl *c)
{
	(void)c;
	usage();
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctl c;
	const char *config = getenv("MAGSYNC_CONFIG");
	size_t i;
	int ch;

	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage();
		return 1;
	}
	c.config_path = config && *config ? config : DEFAULT_CONFIG;
	c.argc = argc;
	c.argv = argv;
	c.tty = isatty(STDOUT_FILENO);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, argv[0]) == 0)
			return commands[i].fn(&c);
	fprintf(stderr, "magsyncctl: unknown command '%s'\n", argv[0]);
	usage();
	return 1;
}
