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
#include "ctl.h"
#include "ctl_util.h"
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

static int
parse_opts(struct ctl *c, struct logs_opts *o)
{
	static const char *const names[] = { "--channel", "--process",
	    "--limit", "--database" };
	const char **slots[] = { &o->channel, &o->process, &o->limit,
	    &o->database };
	size_t k;
	int i, rc = 0;

	memset(o, 0, sizeof(*o));
	o->limit = LOGS_DEFAULT_LIMIT;
	for (i = 1; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--errors") == 0) {
			o->errors = 1;
			continue;
		}
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if ((rc = ctlu_opt(c, &i, names[k], slots[k])) != 0)
				break;
		if (rc < 0)
			return -1;
		if (rc > 0)
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
	return 0;
}

static void
print_row(const PGresult *res, int i, const struct tz *z)
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

/* ctlu_select's show: the rows, or a note that there are none. */
static void
show_rows(const PGresult *res, void *arg)
{
	int i;

	for (i = 0; i < PQntuples(res); i++)
		print_row(res, i, arg);
	if (PQntuples(res) == 0)
		fprintf(stderr, "magsyncctl: logs: no matching entries\n");
}

int
ctl_logs(struct ctl *c)
{
	struct logs_opts o;
	struct conf *cf;
	const char *conninfo, *p[5];
	int status;

	if (parse_opts(c, &o) < 0)
		return logs_usage();
	if (ctlu_database("logs", c->config_path, o.database, &conninfo,
	    &cf) < 0)
		return 1;
	p[0] = o.run_id;
	p[1] = o.channel;
	p[2] = o.process;
	p[3] = o.errors ? "true" : "false";
	p[4] = o.limit;
	/* The config's zone when there is a config, else UTC. */
	status = ctlu_select("logs", conninfo, sql_logs, 5, p, show_rows,
	    cf ? (void *)cf->tz : NULL);
	conf_free(cf);
	return status;
}
