/* ctl_util.c - what the magsyncctl commands share (see ctl_util.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "conf.h"
#include "confload.h"
#include "ctl.h"
#include "ctl_util.h"
#include "diag.h"

int
ctlu_opt(const struct ctl *c, int *i, const char *name, const char **value)
{
	const char *a = c->argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*value = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= c->argc)
		return -1;
	*value = c->argv[++*i];
	return 1;
}

static void
load_failed(const char *cmd, const char *path, enum ctlu_load how,
    size_t errors)
{
	switch (how) {
	case CTLU_LOAD:
		fprintf(stderr, "magsyncctl: %s: cannot load %s\n", cmd, path);
		break;
	case CTLU_LOAD_OR_DB:
		fprintf(stderr, "magsyncctl: %s: cannot load %s (or give "
		    "--database)\n", cmd, path);
		break;
	case CTLU_LOAD_COUNT:
		fprintf(stderr, "magsyncctl: %s: %s: %zu error%s\n", cmd, path,
		    errors, errors == 1 ? "" : "s");
		break;
	case CTLU_LOAD_ERRORS:
		fprintf(stderr, "magsyncctl: %s: %s has errors (see magsyncctl "
		    "check)\n", cmd, path);
		break;
	}
}

struct conf *
ctlu_load(const char *cmd, const char *path, enum ctlu_load how)
{
	char line[DIAG_MSG_MAX + PATH_MAX + 64];
	struct diag_list dl = { NULL, 0, 0 };
	struct conf *cf = confload(path, &dl);
	size_t i, errors;

	for (i = 0; i < dl.n; i++)
		if (cf == NULL || how != CTLU_LOAD_ERRORS ||
		    dl.items[i].level == DIAG_ERROR)
			fprintf(stderr, "%s\n", diag_format(&dl, i, line,
			    sizeof(line)));
	errors = diag_errors(&dl);
	diag_clear(&dl);
	if (cf == NULL)
		load_failed(cmd, path, how, errors);
	return cf;
}

int
ctlu_database(const char *cmd, const char *path, const char *given,
    const char **conninfo, struct conf **cf)
{
	const char *env = getenv("MAGSYNC_DATABASE");

	*cf = NULL;
	if (given == NULL && env != NULL && *env != '\0')
		given = env;
	if (given != NULL) {
		*conninfo = given;
		return 0;
	}
	if ((*cf = ctlu_load(cmd, path, CTLU_LOAD_OR_DB)) == NULL)
		return -1;
	*conninfo = (*cf)->global.database;
	return 0;
}

/* Relation (42P01) or schema (3F000) missing: not migrated yet. */
static int
missing_schema(const PGresult *res)
{
	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return st != NULL && (strcmp(st, "42P01") == 0 ||
	    strcmp(st, "3F000") == 0);
}

int
ctlu_select(const char *cmd, const char *conninfo, const char *sql,
    int nparams, const char *const *params,
    void (*show)(const PGresult *res, void *arg), void *arg)
{
	const char *const keys[] = { "dbname", NULL };
	const char *const vals[] = { conninfo, NULL };
	PGconn *conn;
	PGresult *res;
	int status = 0;

	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		/* libpq's message ends in a newline. */
		fprintf(stderr, "magsyncctl: %s: cannot connect to the "
		    "database: %s", cmd, conn ? PQerrorMessage(conn) :
		    "out of memory\n");
		PQfinish(conn);
		return 1;
	}
	res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "magsyncctl: %s: %s", cmd,
		    PQresultErrorMessage(res));
		if (missing_schema(res))
			fprintf(stderr, "magsyncctl: %s: the database has no "
			    "magsync schema yet: run magsyncctl migrate\n",
			    cmd);
		status = 1;
	} else {
		show(res, arg);
	}
	PQclear(res);
	PQfinish(conn);
	return status;
}
