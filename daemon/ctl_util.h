/* ctl_util.h - what the magsyncctl commands (daemon/ctl_*.c) share:
 * options, loading the config with its diagnostics, choosing the database,
 * and one blocking query. Everything prints its own errors to stderr as
 * "magsyncctl: CMD: ...", CMD being the command's name. */
#ifndef MS_CTL_UTIL_H
#define MS_CTL_UTIL_H

struct conf;
struct ctl;
struct pg_result;		/* libpq's PGresult */

/* argv[*i] as "NAME VALUE" or "NAME=VALUE". Returns 1 and sets *value
 * (borrowed from argv; *i moves past a separate VALUE), 0 when argv[*i] is
 * something else ("--names" is not "--name"), or -1 when NAME is the last
 * argument and has no value. */
int ctlu_opt(const struct ctl *c, int *i, const char *name,
    const char **value);

/* How ctlu_load reports a config it cannot load. */
enum ctlu_load {
	CTLU_LOAD,		/* "cannot load FILE" */
	CTLU_LOAD_OR_DB,	/* "cannot load FILE (or give --database)" */
	CTLU_LOAD_COUNT,	/* "FILE: N errors" */
	CTLU_LOAD_ERRORS,	/* "FILE has errors (see magsyncctl check)";
				 * warnings only shown when it fails */
};

/* Load the config at path (confload: templates checked too) and print
 * its diagnostics, one per line. Returns a new conf (conf_free), or NULL
 * after saying why as how asks. */
struct conf *ctlu_load(const char *cmd, const char *path,
    enum ctlu_load how);

/* The database to use: given (--database), else $MAGSYNC_DATABASE when set
 * and not empty, else the config's [magsync] database; only in that last
 * case is the config at path loaded, into *cf (new, conf_free; else NULL).
 * *conninfo is borrowed from given, the environment or *cf. Returns 0, or
 * -1 after printing why. */
int ctlu_database(const char *cmd, const char *path, const char *given,
    const char **conninfo, struct conf **cf);

/* Connect to conninfo (blocking: these are one-shot commands), run sql
 * with its text parameters and hand the rows to show, which is not
 * called when anything fails. A missing magsync schema gets a hint to run
 * magsyncctl migrate. Returns the exit status: 0, or 1 after printing
 * why. */
int ctlu_select(const char *cmd, const char *conninfo, const char *sql,
    int nparams, const char *const *params,
    void (*show)(const struct pg_result *res, void *arg), void *arg);

#endif
