/* ctl_status.c - `magsyncctl status [CHANNEL] [--database CONNINFO]`: each
 * job with its schedule, last run and next run.
 *
 * Jobs come from the config (what will run), or, given --database or
 * $MAGSYNC_DATABASE, from magsync.jobs (what the daemons last configured).
 * A job whose last three finished runs all found nothing is flagged: a
 * filter that matches nothing must not look like success (SPEC §4). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "conf.h"
#include "cron.h"
#include "ctl.h"
#include "ctl_util.h"
#include "isotime.h"
#include "tz.h"

/* The last run that was not a skipped tick, and whether the last three
 * finished runs found nothing. */
#define STATUS_TAIL \
    "LEFT JOIN LATERAL (SELECT r.id, r.status, r.trigger, " \
    "floor(extract(epoch FROM r.started_at))::bigint AS started, " \
    "floor(extract(epoch FROM r.finished_at))::bigint AS finished, " \
    "r.items_total, r.items_ok, r.items_failed, r.error " \
    "FROM magsync.job_runs r WHERE r.channel = x.channel " \
    "AND r.process = x.process AND r.status <> 'skipped' " \
    "ORDER BY r.started_at DESC, r.id DESC LIMIT 1) l ON true " \
    "LEFT JOIN LATERAL (SELECT count(*) = 3 AND bool_and(t.items_total = 0) " \
    "AS nothing FROM (SELECT r.items_total FROM magsync.job_runs r " \
    "WHERE r.channel = x.channel AND r.process = x.process " \
    "AND r.status IN ('succeeded', 'partial') " \
    "ORDER BY r.started_at DESC, r.id DESC LIMIT 3) t) n ON true "

#define STATUS_COLS \
    "SELECT x.channel, x.process, x.schedule, x.enabled, " \
    "floor(extract(epoch FROM x.next_run_at))::bigint, l.id, l.status, " \
    "l.trigger, l.started, l.finished, l.items_total, l.items_ok, " \
    "l.items_failed, l.error, n.nothing "

static const char sql_from_conf[] =
    STATUS_COLS
    "FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (channel text, "
    "process text, schedule text, enabled boolean, "
    "next_run_at timestamptz)) WITH ORDINALITY "
    "AS x(channel, process, schedule, enabled, next_run_at, ord) "
    STATUS_TAIL "ORDER BY x.ord";

static const char sql_from_jobs[] =
    STATUS_COLS
    "FROM magsync.jobs x "
    STATUS_TAIL
    "WHERE $1::text IS NULL OR x.channel = $1 "
    "ORDER BY x.channel, x.process";

enum {
	COL_CHANNEL, COL_PROCESS, COL_SCHEDULE, COL_ENABLED, COL_NEXT,
	COL_ID, COL_STATUS, COL_TRIGGER, COL_STARTED, COL_FINISHED,
	COL_TOTAL, COL_OK, COL_FAILED, COL_ERROR, COL_NOTHING
};

struct status_opts {
	const char *channel;
	const char *database;		/* --database or $MAGSYNC_DATABASE */
};

static int
status_usage(void)
{
	fprintf(stderr, "usage: magsyncctl status [CHANNEL] "
	    "[--database CONNINFO]\n");
	return 1;
}

static int
parse_opts(struct ctl *c, struct status_opts *o)
{
	int i, rc;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < c->argc; i++) {
		if ((rc = ctlu_opt(c, &i, "--database", &o->database)) != 0) {
			if (rc < 0)
				return -1;
		} else if (c->argv[i][0] == '-' || o->channel != NULL)
			return -1;
		else
			o->channel = c->argv[i];
	}
	return 0;
}

/* The configured jobs as a JSON array for jsonb_to_recordset; new. */
static char *
jobs_json(const struct conf *c, const char *channel)
{
	json_t *a = json_array(), *o;
	int64_t next, now = (int64_t)time(NULL);
	char *text;
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < c->njobs; i++) {
		const struct conf_job *j = &c->jobs[i];
		char when[ISOTIME_MAX];

		if (channel != NULL && strcmp(j->channel->name, channel) != 0)
			continue;
		o = json_pack("{s:s, s:s, s:s, s:b}", "channel",
		    j->channel->name, "process", proc_name(j->process),
		    "schedule", j->schedule_text ? j->schedule_text : "",
		    "enabled", j->enabled);
		if (o == NULL || json_array_append_new(a, o) < 0)
			goto fail;
		if (!j->enabled || cron_next(j->schedule, c->tz, now,
		    &next) < 0)
			continue;
		isotime_format(next, 0, when, sizeof(when));
		if (json_object_set_new(o, "next_run_at",
		    json_string(when)) < 0)
			goto fail;
	}
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return text;
fail:
	json_decref(a);
	return NULL;
}

static const char *
when(const struct tz *z, const char *epoch, char *buf, size_t len)
{
	int64_t t = strtoll(epoch, NULL, 10);

	isotime_format(t, z ? tz_offset(z, t) : 0, buf, len);
	return buf;
}

static void
print_job(const PGresult *res, int i, const struct tz *z)
{
	char t[ISOTIME_MAX];
	const char *status = PQgetvalue(res, i, COL_STATUS);
	int enabled = strcmp(PQgetvalue(res, i, COL_ENABLED), "t") == 0;
	int manual = strcmp(PQgetvalue(res, i, COL_SCHEDULE), "manual") == 0;

	printf("%s %s\n", PQgetvalue(res, i, COL_CHANNEL),
	    PQgetvalue(res, i, COL_PROCESS));
	printf("  schedule  %s%s\n", PQgetvalue(res, i, COL_SCHEDULE),
	    enabled ? "" : " (disabled)");
	if (PQgetisnull(res, i, COL_ID))
		printf("  last run  never\n");
	else if (strcmp(status, "running") == 0)
		printf("  last run  %s running since %s (%s), %s items so "
		    "far\n",
		    PQgetvalue(res, i, COL_ID),
		    when(z, PQgetvalue(res, i, COL_STARTED), t, sizeof(t)),
		    PQgetvalue(res, i, COL_TRIGGER),
		    PQgetvalue(res, i, COL_TOTAL));
	else
		printf("  last run  %s %s %s (%s), %s items: %s ok, %s "
		    "failed\n", PQgetvalue(res, i, COL_ID), status,
		    when(z, PQgetisnull(res, i, COL_FINISHED) ?
		    PQgetvalue(res, i, COL_STARTED) :
		    PQgetvalue(res, i, COL_FINISHED), t, sizeof(t)),
		    PQgetvalue(res, i, COL_TRIGGER),
		    PQgetvalue(res, i, COL_TOTAL), PQgetvalue(res, i, COL_OK),
		    PQgetvalue(res, i, COL_FAILED));
	if (!PQgetisnull(res, i, COL_ERROR))
		printf("  error     %s\n", PQgetvalue(res, i, COL_ERROR));
	if (!PQgetisnull(res, i, COL_NEXT))
		printf("  next run  %s\n",
		    when(z, PQgetvalue(res, i, COL_NEXT), t, sizeof(t)));
	else
		printf("  next run  %s\n", !enabled ? "none (disabled)" :
		    manual ? "on demand (manual)" : "none");
	if (strcmp(PQgetvalue(res, i, COL_NOTHING), "t") == 0 &&
	    strcmp(PQgetvalue(res, i, COL_PROCESS), "pii_retention") != 0)
		printf("  note      found nothing in the last 3 runs — check "
		    "filters\n");
}

/* ctlu_select's show: each job, a blank line between them. */
static void
show_jobs(const PGresult *res, void *arg)
{
	int i;

	if (PQntuples(res) == 0)
		printf("no jobs\n");
	for (i = 0; i < PQntuples(res); i++) {
		if (i > 0)
			printf("\n");
		print_job(res, i, arg);
	}
}

int
ctl_status(struct ctl *c)
{
	struct status_opts o;
	struct conf *cf;
	const char *conninfo;
	char *json;
	int status;

	if (parse_opts(c, &o) < 0)
		return status_usage();
	if (ctlu_database("status", c->config_path, o.database, &conninfo,
	    &cf) < 0)
		return 1;
	if (cf == NULL)		/* what the daemons last configured */
		return ctlu_select("status", conninfo, sql_from_jobs, 1,
		    &o.channel, show_jobs, NULL);
	if (o.channel != NULL && conf_channel(cf, o.channel) == NULL) {
		fprintf(stderr, "magsyncctl: status: no [channel %s] in %s\n",
		    o.channel, c->config_path);
		conf_free(cf);
		return 1;
	}
	if ((json = jobs_json(cf, o.channel)) == NULL) {
		fprintf(stderr, "magsyncctl: status: out of memory\n");
		conf_free(cf);
		return 1;
	}
	status = ctlu_select("status", conninfo, sql_from_conf, 1,
	    (const char *const *)&json, show_jobs, cf->tz);
	free(json);
	conf_free(cf);
	return status;
}
