/* ctl_logs.c - `magsyncctl logs [RUN_ID] [--channel C] [--process P]
 * [--errors] [--limit N] [--database CONNINFO]`: job_log entries, newest
 * last (the last 50 by default). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "conf.h"
#include "confload.h"
#include "ctl.h"
#include "diag.h"
#include "isotime.h"
#include "proc.h"
#include "tz.h"

#define LOGS_DEFAULT_LIMIT "50"

/* The newest N matching rows, then turned oldest first. */
static const char sql_logs[] =
    "SELECT * FROM (SELECT l.id, floor(extract(epoch FROM l.at))::bigint, "
    "l.run_id, r.channel, r.process, l.level, l.entity, l.http_method, "
    "l.http_path, l.http_status, l.duration_ms, l.message "
    "FROM magsync.job_log l JOIN magsync.job_runs r ON r.id = l.run_id "
    "WHERE ($1::bigint IS NULL OR l.run_id = $1::bigint) "
    "AND ($2::text IS NULL OR r.channel = $2) "
    "AND ($3::text IS NULL OR r.process = $3) "
    "AND (NOT $4::boolean OR l.level = 'error') "
    "ORDER BY l.id DESC LIMIT $5::bigint) t ORDER BY 1";

enum {
	COL_ID, COL_AT, COL_RUN, COL_CHANNEL, COL_PROCESS, COL_LEVEL,
	COL_ENTITY, COL_METHOD, COL_PATH, COL_STATUS, COL_MS, COL_MESSAGE
};

struct logs_opts {
	const char *run_id, *channel, *process, *limit, *database;
	int errors;
};

static int
logs_usage(void)
{
	fprintf(stderr, "usage: magsyncctl logs [RUN_ID] [--channel C] "
	    "[--process P] [--errors] [--limit N] [--database CONNINFO]\n");
	return 1;
}

static int
positive(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	return *s >= '0' && *s <= '9' && *end == '\0' && errno == 0 && v > 0;
}

/* --opt VALUE or --opt=VALUE at argv[*i]; NULL when it is another option. */
static const char *
opt_value(struct ctl *c, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = c->argv[*i];

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] == '\0' && *i + 1 < c->argc)
		return c->argv[++*i];
	return NULL;
}

static int
parse_opts(struct ctl *c, struct logs_opts *o)
{
	static const char *const names[] = { "--channel", "--process",
	    "--limit", "--database" };
	const char **slots[] = { &o->channel, &o->process, &o->limit,
	    &o->database };
	const char *env = getenv("MAGSYNC_DATABASE"), *v;
	size_t k;
	int i;

	memset(o, 0, sizeof(*o));
	o->limit = LOGS_DEFAULT_LIMIT;
	for (i = 1; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--errors") == 0) {
			o->errors = 1;
			continue;
		}
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if ((v = opt_value(c, &i, names[k])) != NULL) {
				*slots[k] = v;
				break;
			}
		if (k < sizeof(names) / sizeof(names[0]))
			continue;
		if (c->argv[i][0] == '-' || o->run_id != NULL ||
		    !positive(c->argv[i]))
			return -1;
		o->run_id = c->argv[i];
	}
	if (!positive(o->limit)) {
		fprintf(stderr, "magsyncctl: logs: --limit wants a positive "
		    "number\n");
		return -1;
	}
	if (o->process != NULL && proc_from_name(o->process) == PROC_NONE) {
		fprintf(stderr, "magsyncctl: logs: unknown process '%s'\n",
		    o->process);
		return -1;
	}
	if (o->database == NULL && env != NULL && *env != '\0')
		o->database = env;
	return 0;
}

static void
print_row(PGresult *res, int i, const struct tz *z)
{
	char t[ISOTIME_MAX];
	int64_t at = strtoll(PQgetvalue(res, i, COL_AT), NULL, 10);

	isotime_format(at, z ? tz_offset(z, at) : 0, t, sizeof(t));
	printf("%s [%s %s run %s] %s: ", t, PQgetvalue(res, i, COL_CHANNEL),
	    PQgetvalue(res, i, COL_PROCESS), PQgetvalue(res, i, COL_RUN),
	    PQgetvalue(res, i, COL_LEVEL));
	if (!PQgetisnull(res, i, COL_ENTITY))
		printf("%s: ", PQgetvalue(res, i, COL_ENTITY));
	printf("%s", PQgetvalue(res, i, COL_MESSAGE));
	if (!PQgetisnull(res, i, COL_METHOD)) {
		printf(" (%s %s", PQgetvalue(res, i, COL_METHOD),
		    PQgetvalue(res, i, COL_PATH));
		if (!PQgetisnull(res, i, COL_STATUS))
			printf(" -> %s", PQgetvalue(res, i, COL_STATUS));
		if (!PQgetisnull(res, i, COL_MS))
			printf(", %s ms", PQgetvalue(res, i, COL_MS));
		printf(")");
	}
	printf("\n");
}

static int
missing_schema(const PGresult *res)
{
	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return st != NULL && (strcmp(st, "42P01") == 0 ||
	    strcmp(st, "3F000") == 0);
}

static int
logs_query(const char *conninfo, const struct logs_opts *o,
    const struct tz *z)
{
	const char *const keys[] = { "dbname", NULL };
	const char *const vals[] = { conninfo, NULL };
	const char *p[5];
	PGconn *conn;
	PGresult *res;
	int i, status = 0;

	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "magsyncctl: logs: cannot connect to the "
		    "database: %s", conn ? PQerrorMessage(conn) :
		    "out of memory\n");
		PQfinish(conn);
		return 1;
	}
	p[0] = o->run_id;
	p[1] = o->channel;
	p[2] = o->process;
	p[3] = o->errors ? "true" : "false";
	p[4] = o->limit;
	res = PQexecParams(conn, sql_logs, 5, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "magsyncctl: logs: %s",
		    PQresultErrorMessage(res));
		if (missing_schema(res))
			fprintf(stderr, "magsyncctl: logs: the database has no "
			    "magsync schema yet: run magsyncctl migrate\n");
		status = 1;
	} else {
		for (i = 0; i < PQntuples(res); i++)
			print_row(res, i, z);
		if (PQntuples(res) == 0)
			fprintf(stderr, "magsyncctl: logs: no matching "
			    "entries\n");
	}
	PQclear(res);
	PQfinish(conn);
	return status;
}

int
ctl_logs(struct ctl *c)
{
	struct diag_list dl = { NULL, 0, 0 };
	char buf[DIAG_MSG_MAX + 512];
	struct logs_opts o;
	struct conf *cf;
	size_t i;
	int status;

	if (parse_opts(c, &o) < 0)
		return logs_usage();
	if (o.database != NULL)
		return logs_query(o.database, &o, NULL);
	cf = confload(c->config_path, &dl);
	for (i = 0; i < dl.n; i++)
		fprintf(stderr, "%s\n", diag_format(&dl, i, buf, sizeof(buf)));
	diag_clear(&dl);
	if (cf == NULL) {
		fprintf(stderr, "magsyncctl: logs: cannot load %s (or give "
		    "--database)\n", c->config_path);
		return 1;
	}
	status = logs_query(cf->global.database, &o, cf->tz);
	conf_free(cf);
	return status;
}
