/* scheduler.c - due ticks, cluster-wide claims, catch-up, sweeps, pruning. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "cron.h"
#include "db.h"
#include "isotime.h"
#include "log.h"
#include "run.h"
#include "scheduler.h"
#include "tz.h"

/* Sleep at most this long, so a stepped wall clock is noticed. */
#define SCHED_MAX_SLEEP_MS (3600 * 1000)
/* A running run whose heartbeat is older than this lost its daemon. */
#define SCHED_STALE_SECS "60"
/* Enough to find the latest of the ticks missed during a long outage
 * without spinning on a schedule that fires every second for a year. */
#define SCHED_MAX_STEPS 1000000
#define SCHED_PRUNE_BATCH 10000
#define SCHED_PRUNE_EVERY_MS (24ULL * 3600 * 1000)
/* Runs at once; each holds a connection, and 200 channels whose jobs share
 * a schedule must not open a thousand at the same second. Won ticks wait
 * in order for a slot. */
#define SCHED_MAX_RUNS 32

struct entry {
	const struct conf_job *job;	/* borrowed from s->rc */
	int64_t tick;			/* next tick, UTC seconds; -1 none */
	int64_t fire_ms;		/* tick plus jitter, wall ms */
};

struct sched {
	uv_loop_t *loop;
	uv_timer_t timer;		/* the soonest due job */
	uv_timer_t prune;		/* daily log_retention pass */
	struct db *db;			/* borrowed control connection */
	char *conninfo, *host;
	sched_change_cb *on_change;
	void *arg;
	struct run_conf *rc;
	struct entry *e;
	size_t ne;
	struct run **runs;
	size_t nruns, cruns;
	struct claim *wait_head, **wait_tail;	/* won, waiting for a slot */
	size_t nwaiting;
	int up, stopping, freeing, closed, pending;
	int synced;			/* sched_db_up ran before */
	int pruning, pruned;
	int64_t pruned_log, pruned_runs;
};

/* One claim of one tick: what to start if this daemon wins it. */
struct claim {
	struct run_conf *rc;		/* a reference */
	const struct conf_job *job;	/* borrowed from rc */
	int64_t tick;
	enum run_trigger trigger;
	int start;			/* 0: only advance last_tick_at */
	struct claim *next;		/* in the wait queue */
};

/* A control-connection query's way back to the scheduler. */
struct sq {
	struct sched *s;
	void (*fn)(struct sched *, PGresult *, const char *, void *);
	void *arg;
};

static const char sql_claim[] =
    "UPDATE magsync.jobs SET last_tick_at = to_timestamp($3::double "
    "precision), next_run_at = to_timestamp($4::double precision) "
    "WHERE channel = $1 AND process = $2 AND (last_tick_at IS NULL OR "
    "last_tick_at < to_timestamp($3::double precision)) RETURNING id";

/* New rows start with last_tick_at = now: a job never seen has nothing to
 * catch up. Rows of jobs no longer configured go. */
static const char sql_jobs[] =
    "WITH cfg AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS "
    "x(channel text, process text, schedule text, enabled boolean, "
    "next_run_at double precision)), "
    "up AS (INSERT INTO magsync.jobs (channel, process, schedule, enabled, "
    "next_run_at, last_tick_at) SELECT channel, process, schedule, "
    "enabled, to_timestamp(next_run_at), "
    "to_timestamp($2::double precision) FROM cfg "
    "ON CONFLICT (channel, process) DO UPDATE SET "
    "schedule = EXCLUDED.schedule, enabled = EXCLUDED.enabled, "
    "next_run_at = EXCLUDED.next_run_at RETURNING 1) "
    "DELETE FROM magsync.jobs j WHERE NOT EXISTS (SELECT 1 FROM cfg "
    "WHERE cfg.channel = j.channel AND cfg.process = j.process)";

static const char sql_ticks[] =
    "SELECT channel, process, "
    "floor(extract(epoch FROM last_tick_at))::bigint FROM magsync.jobs";

static const char sql_host_runs[] =
    "SELECT id, pid FROM magsync.job_runs "
    "WHERE status = 'running' AND host = $1";

/* $2: our pid once this daemon has synced before; then a row of ours that
 * is not one of our runs ended while the database was away. */
static const char sql_host_sweep[] =
    "UPDATE magsync.job_runs SET status = 'interrupted', "
    "finished_at = now(), error = CASE WHEN pid = $2::integer THEN "
    "format('the run lost its database connection; magsyncd on %s "
    "(pid %s) could not record its end', host, pid) "
    "ELSE format('daemon on %s died (pid %s)', host, pid) END "
    "WHERE id = ANY($1::bigint[]) AND status = 'running' "
    "RETURNING id, channel, process, error";

static const char sql_stale_sweep[] =
    "UPDATE magsync.job_runs SET status = 'interrupted', "
    "finished_at = now(), error = format('no heartbeat since %s: daemon "
    "on %s (pid %s) presumed dead', "
    "to_char(heartbeat_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), host, pid) "
    "WHERE status = 'running' AND heartbeat_at < now() - interval '"
    SCHED_STALE_SECS " seconds' RETURNING id, channel, process, error";

/* Log rows go with their run (the index on job_log.run_id finds them;
 * job_log.at has none), then the runs themselves; a job's last run stays
 * (jobs.last_run_id points at it). */
static const char sql_prune_log[] =
    "WITH d AS (SELECT l.id FROM magsync.job_runs r "
    "JOIN magsync.job_log l ON l.run_id = r.id "
    "WHERE r.started_at < now() - make_interval(secs => $1::double precision) "
    "LIMIT $2) "
    "DELETE FROM magsync.job_log l USING d WHERE l.id = d.id";

static const char sql_prune_runs[] =
    "WITH d AS (SELECT id FROM magsync.job_runs r "
    "WHERE r.started_at < now() - make_interval(secs => $1::double precision) "
    "AND r.status <> 'running' AND NOT EXISTS (SELECT 1 FROM magsync.jobs j "
    "WHERE j.last_run_id = r.id) LIMIT $2) "
    "DELETE FROM magsync.job_runs r USING d WHERE r.id = d.id";

static void arm(struct sched *s);
static void prune_step(struct sched *s, int phase);

static int64_t
wall_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return (int64_t)time(NULL) * 1000;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct conf *
cf(const struct sched *s)
{
	return run_conf_get(s->rc);
}

static void
fmt_i64(char *buf, size_t len, int64_t v)
{
	snprintf(buf, len, "%" PRId64, v);
}

/* An instant in the schedule zone, for logs and STATUS=. */
static const char *
fmt_time(const struct sched *s, int64_t t, char *buf, size_t len)
{
	const struct tz *z = cf(s)->tz;

	isotime_format(t, z ? tz_offset(z, t) : 0, buf, len);
	return buf;
}

static void
changed(struct sched *s)
{
	if (s->on_change != NULL && !s->freeing)
		s->on_change(s, s->arg);
}

static void
maybe_free(struct sched *s)
{
	if (!s->freeing || s->closed < 2 || s->pending > 0)
		return;
	run_conf_unref(s->rc);
	free(s->e);
	free(s->runs);
	free(s->conninfo);
	free(s->host);
	free(s);
}

static void
on_sq(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct sq *q = arg;
	struct sched *s = q->s;

	(void)db;
	s->pending--;
	if (q->fn != NULL)
		q->fn(s, res, err, q->arg);
	free(q);
	maybe_free(s);
}

/* Queue a statement on the control connection. 0, or negative (fn is not
 * called; arg stays the caller's). */
static int
send_q(struct sched *s, const char *sql, int n, const char *const *params,
    void (*fn)(struct sched *, PGresult *, const char *, void *), void *arg)
{
	struct sq *q;
	int rc;

	if ((q = malloc(sizeof(*q))) == NULL)
		return -ENOMEM;
	q->s = s;
	q->fn = fn;
	q->arg = arg;
	s->pending++;
	if ((rc = db_query(s->db, sql, n, params, on_sq, q)) < 0) {
		s->pending--;
		free(q);
	}
	return rc;
}

/* ---- ticks ---------------------------------------------------------- */

static int64_t
jitter_ms(const struct conf_job *job)
{
	int64_t max = job->jitter * 1000;

	if (max <= 0)
		return 0;
	if (max > (int64_t)UINT32_MAX - 1)
		max = (int64_t)UINT32_MAX - 1;
	return (int64_t)arc4random_uniform((uint32_t)max + 1);
}

static void
entry_set_tick(struct sched *s, struct entry *e, int64_t after)
{
	int64_t next;

	if (cron_next(e->job->schedule, cf(s)->tz, after, &next) < 0) {
		e->tick = -1;
		return;
	}
	e->tick = next;
	e->fire_ms = next * 1000 + jitter_ms(e->job);
}

/* The latest tick of job that is <= bound, starting from a tick t known to
 * be <= bound. */
static int64_t
latest_tick(const struct sched *s, const struct conf_job *job, int64_t t,
    int64_t bound)
{
	int64_t next;
	long steps = 0;

	while (steps++ < SCHED_MAX_STEPS &&
	    cron_next(job->schedule, cf(s)->tz, t, &next) == 0 &&
	    next <= bound)
		t = next;
	return t;
}

static void start_run(struct sched *s, struct claim *c);

static void
claim_free(struct claim *c)
{
	run_conf_unref(c->rc);
	free(c);
}

/* Drop the queue (stopping): those ticks were won but never started. */
static void
wait_drop(struct sched *s)
{
	struct claim *c;

	while ((c = s->wait_head) != NULL) {
		s->wait_head = c->next;
		log_info("[%s %s] tick not run: magsyncd stopping",
		    c->job->channel->name, proc_name(c->job->process));
		claim_free(c);
	}
	s->wait_tail = &s->wait_head;
	s->nwaiting = 0;
}

static void
on_run_done(struct run *r, void *arg)
{
	struct sched *s = arg;
	struct claim *c;
	size_t i;

	for (i = 0; i < s->nruns; i++)
		if (s->runs[i] == r) {
			s->runs[i] = s->runs[--s->nruns];
			break;
		}
	if ((c = s->wait_head) != NULL && !s->stopping && !s->freeing) {
		if ((s->wait_head = c->next) == NULL)
			s->wait_tail = &s->wait_head;
		s->nwaiting--;
		start_run(s, c);
		claim_free(c);
	}
	changed(s);
}

static void
start_run(struct sched *s, struct claim *c)
{
	struct run_params p;
	struct run *r;

	if (s->nruns == s->cruns) {
		size_t cap = s->cruns ? s->cruns * 2 : 8;
		struct run **runs = realloc(s->runs, cap * sizeof(*runs));

		if (runs == NULL) {
			log_warnx("[%s %s] tick not run: out of memory",
			    c->job->channel->name, proc_name(c->job->process));
			return;
		}
		s->runs = runs;
		s->cruns = cap;
	}
	memset(&p, 0, sizeof(p));
	p.loop = s->loop;
	p.conf = c->rc;
	p.job = c->job;
	p.conninfo = s->conninfo;
	p.host = s->host;
	p.side = s->db;
	p.trigger = c->trigger;
	p.scheduled_for = c->tick;
	p.on_done = on_run_done;
	p.arg = s;
	if ((r = run_start(&p)) == NULL) {
		log_warnx("[%s %s] tick not run: out of memory",
		    c->job->channel->name, proc_name(c->job->process));
		return;
	}
	s->runs[s->nruns++] = r;
	changed(s);
}

static void
on_claim(struct sched *s, PGresult *res, const char *err, void *arg)
{
	struct claim *c = arg;
	char when[ISOTIME_MAX];

	if (err != NULL) {
		if (!s->freeing)
			log_warnx("[%s %s] cannot claim the tick of %s: %s",
			    c->job->channel->name, proc_name(c->job->process),
			    fmt_time(s, c->tick, when, sizeof(when)), err);
	} else if (PQntuples(res) != 1) {
		if (c->start)
			log_debug("[%s %s] tick %" PRId64 " claimed elsewhere",
			    c->job->channel->name,
			    proc_name(c->job->process), c->tick);
	} else if (c->start && !s->stopping && !s->freeing &&
	    s->nruns >= SCHED_MAX_RUNS) {
		log_info("[%s %s] waiting for one of %d runs to end",
		    c->job->channel->name, proc_name(c->job->process),
		    SCHED_MAX_RUNS);
		c->next = NULL;
		*s->wait_tail = c;
		s->wait_tail = &c->next;
		s->nwaiting++;
		return;
	} else if (c->start && !s->stopping && !s->freeing)
		start_run(s, c);
	claim_free(c);
}

/* Claim tick on the cluster; start a run (with trigger) when we win and
 * start is set. next: the job's following tick for jobs.next_run_at. */
static void
claim(struct sched *s, const struct conf_job *job, int64_t tick,
    int64_t next, enum run_trigger trigger, int start)
{
	struct claim *c = malloc(sizeof(*c));
	char t[24], n[24];
	const char *p[4];

	if (c == NULL) {
		log_warnx("claim: out of memory");
		return;
	}
	c->rc = run_conf_ref(s->rc);
	c->job = job;
	c->tick = tick;
	c->trigger = trigger;
	c->start = start;
	c->next = NULL;
	fmt_i64(t, sizeof(t), tick);
	fmt_i64(n, sizeof(n), next);
	p[0] = job->channel->name;
	p[1] = proc_name(job->process);
	p[2] = t;
	p[3] = next >= 0 ? n : NULL;
	if (send_q(s, sql_claim, 4, p, on_claim, c) < 0) {
		log_warnx("[%s %s] cannot claim a tick: database unavailable",
		    job->channel->name, proc_name(job->process));
		claim_free(c);
	}
}

static void
on_swept(struct sched *s, PGresult *res, const char *err, void *arg)
{
	int i;

	(void)arg;
	if (err != NULL) {
		log_warnx("cannot sweep abandoned runs: %s", err);
		return;
	}
	for (i = 0; i < PQntuples(res); i++)
		log_warnx("[%s %s run %s] marked interrupted: %s",
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 0), PQgetvalue(res, i, 3));
	(void)s;
}

static void
sweep_stale(struct sched *s)
{
	if (send_q(s, sql_stale_sweep, 0, NULL, on_swept, NULL) < 0)
		log_debug("stale sweep: database unavailable");
}

static void
on_timer(uv_timer_t *t)
{
	struct sched *s = t->data;
	int64_t now_ms = wall_ms(), now = now_ms / 1000, due;
	size_t i;
	int swept = 0;

	for (i = 0; i < s->ne; i++) {
		struct entry *e = &s->e[i];

		if (e->tick < 0 || e->fire_ms > now_ms)
			continue;
		/* Late (suspend, stepped clock, busy loop): one run for the
		 * latest of the ticks that are due, never a burst. */
		due = latest_tick(s, e->job, e->tick, now);
		entry_set_tick(s, e, due);
		if (!s->up) {
			log_debug("[%s %s] tick %" PRId64 " not claimed: "
			    "database unavailable", e->job->channel->name,
			    proc_name(e->job->process), due);
			continue;
		}
		if (!swept) {
			sweep_stale(s);
			swept = 1;
		}
		claim(s, e->job, due, e->tick, RUN_TRIGGER_SCHEDULE, 1);
	}
	arm(s);
	changed(s);
}

static void
arm(struct sched *s)
{
	int64_t soonest = INT64_MAX, delay;
	size_t i;

	if (s->stopping || s->freeing)
		return;
	for (i = 0; i < s->ne; i++)
		if (s->e[i].tick >= 0 && s->e[i].fire_ms < soonest)
			soonest = s->e[i].fire_ms;
	if (soonest == INT64_MAX) {
		uv_timer_stop(&s->timer);
		return;
	}
	delay = soonest - wall_ms();
	/* libuv 1.44 spins on 0 ms timers started from timer callbacks. */
	if (delay < 1)
		delay = 1;
	if (delay > SCHED_MAX_SLEEP_MS)
		delay = SCHED_MAX_SLEEP_MS;
	if (uv_timer_start(&s->timer, on_timer, (uint64_t)delay, 0) < 0)
		log_warnx("cannot arm the scheduler timer");
}

/* ---- the jobs table and catch-up ------------------------------------ */

static struct entry *
find_entry(struct sched *s, const char *channel, const char *process)
{
	size_t i;

	for (i = 0; i < s->ne; i++)
		if (strcmp(s->e[i].job->channel->name, channel) == 0 &&
		    strcmp(proc_name(s->e[i].job->process), process) == 0)
			return &s->e[i];
	return NULL;
}

static void
on_jobs(struct sched *s, PGresult *res, const char *err, void *arg)
{
	(void)res;
	(void)arg;
	if (err != NULL)
		log_warnx("cannot update magsync.jobs: %s", err);
	(void)s;
}

/* Upsert every configured job; delete rows of jobs no longer configured. */
static void
sync_jobs(struct sched *s)
{
	const struct conf *c = cf(s);
	json_t *a = json_array(), *o;
	const struct entry *e;
	char now[24], *text = NULL;
	const char *p[2];
	size_t i;

	if (a == NULL)
		goto oom;
	for (i = 0; i < c->njobs; i++) {
		const struct conf_job *j = &c->jobs[i];

		e = find_entry(s, j->channel->name, proc_name(j->process));
		o = json_pack("{s:s, s:s, s:s, s:b}", "channel",
		    j->channel->name, "process", proc_name(j->process),
		    "schedule", j->schedule_text ? j->schedule_text : "",
		    "enabled", j->enabled);
		if (o == NULL)
			goto oom;
		if (e != NULL && e->tick >= 0 && json_object_set_new(o,
		    "next_run_at", json_integer(e->tick)) < 0) {
			json_decref(o);
			goto oom;
		}
		if (json_array_append_new(a, o) < 0)
			goto oom;
	}
	if ((text = json_dumps(a, JSON_COMPACT)) == NULL)
		goto oom;
	fmt_i64(now, sizeof(now), wall_ms() / 1000);
	p[0] = text;
	p[1] = now;
	if (send_q(s, sql_jobs, 2, p, on_jobs, NULL) < 0)
		log_warnx("cannot update magsync.jobs: database unavailable");
	free(text);
	json_decref(a);
	return;
oom:
	json_decref(a);
	log_warnx("cannot update magsync.jobs: out of memory");
}

static void
on_ticks(struct sched *s, PGresult *res, const char *err, void *arg)
{
	int64_t now = wall_ms() / 1000, last, first, bound, due;
	char when[ISOTIME_MAX];
	struct entry *e;
	int i;

	(void)arg;
	if (err != NULL) {
		log_warnx("cannot read the jobs' last ticks: %s", err);
		return;
	}
	if (s->stopping || s->freeing)
		return;
	for (i = 0; i < PQntuples(res); i++) {
		e = find_entry(s, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
		if (e == NULL)
			continue;
		if (PQgetisnull(res, i, 2)) {
			claim(s, e->job, now, e->tick, RUN_TRIGGER_CATCH_UP, 0);
			continue;
		}
		last = strtoll(PQgetvalue(res, i, 2), NULL, 10);
		/* The entry's own pending tick is the timer's to run. */
		bound = e->tick >= 0 && e->tick - 1 < now ? e->tick - 1 : now;
		if (cron_next(e->job->schedule, cf(s)->tz, last, &first) < 0 ||
		    first > bound)
			continue;
		due = latest_tick(s, e->job, first, bound);
		if (e->job->catch_up) {
			log_info("[%s %s] catching up the tick of %s, missed "
			    "while this daemon or the database was away",
			    e->job->channel->name, proc_name(e->job->process),
			    fmt_time(s, due, when, sizeof(when)));
			claim(s, e->job, due, e->tick, RUN_TRIGGER_CATCH_UP, 1);
		} else {
			log_info("[%s %s] skipping ticks missed up to %s "
			    "(catch_up = no)", e->job->channel->name,
			    proc_name(e->job->process),
			    fmt_time(s, due, when, sizeof(when)));
			claim(s, e->job, due, e->tick, RUN_TRIGGER_CATCH_UP, 0);
		}
	}
}

/* ---- sweeping runs this host left behind --------------------------- */

static int
ours(const struct sched *s, int64_t id)
{
	size_t i;

	for (i = 0; i < s->nruns; i++)
		if (run_id(s->runs[i]) == id)
			return 1;
	return 0;
}

/* A pid that is ours but not one of our runs is a previous incarnation of
 * this daemon (pid reuse across restarts, pid 1 in containers). */
static int
pid_dead(const struct sched *s, int64_t id, long pid)
{
	if (pid == (long)getpid())
		return !ours(s, id);
	if (pid <= 0)
		return 1;
	return kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

static void
on_host_runs(struct sched *s, PGresult *res, const char *err, void *arg)
{
	char *ids = NULL, *np, mypid[24];
	size_t len = 0, cap = 0;
	const char *p[2];
	int i, synced_before = (int)(intptr_t)arg;

	if (err != NULL) {
		log_warnx("cannot look for runs a dead daemon left: %s", err);
		return;
	}
	for (i = 0; i < PQntuples(res); i++) {
		int64_t id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		long pid = strtol(PQgetvalue(res, i, 1), NULL, 10);

		if (!pid_dead(s, id, pid))
			continue;
		if (len + 24 >= cap) {
			cap = cap ? cap * 2 : 256;
			if ((np = realloc(ids, cap)) == NULL) {
				free(ids);
				log_warnx("sweep: out of memory");
				return;
			}
			ids = np;
		}
		len += (size_t)snprintf(ids + len, cap - len, "%s%" PRId64,
		    len ? "," : "{", id);
	}
	if (ids == NULL)
		return;
	snprintf(ids + len, cap - len, "}");
	fmt_i64(mypid, sizeof(mypid), (int64_t)getpid());
	p[0] = ids;
	p[1] = synced_before ? mypid : NULL;
	if (send_q(s, sql_host_sweep, 2, p, on_swept, NULL) < 0)
		log_warnx("cannot sweep abandoned runs: database unavailable");
	free(ids);
}

/* ---- log_retention ------------------------------------------------- */

static void
on_prune_timer(uv_timer_t *t)
{
	struct sched *s = t->data;

	if (s->up && !s->pruning)
		prune_step(s, 0);
}

static void
on_pruned(struct sched *s, PGresult *res, const char *err, void *arg)
{
	int phase = (int)(intptr_t)arg;
	int64_t n;

	if (err != NULL) {
		log_warnx("cannot prune old run history: %s", err);
		s->pruning = 0;
		return;
	}
	n = strtoll(PQcmdTuples(res), NULL, 10);
	if (phase == 0)
		s->pruned_log += n;
	else
		s->pruned_runs += n;
	if (n >= SCHED_PRUNE_BATCH && !s->stopping && !s->freeing) {
		prune_step(s, phase);
		return;
	}
	if (phase == 0 && !s->stopping && !s->freeing) {
		prune_step(s, 1);
		return;
	}
	s->pruning = 0;
	s->pruned = 1;
	if (s->pruned_log > 0 || s->pruned_runs > 0)
		log_info("pruned %" PRId64 " job_log rows and %" PRId64
		    " job_runs older than log_retention", s->pruned_log,
		    s->pruned_runs);
	if (!s->freeing && uv_timer_start(&s->prune, on_prune_timer,
	    SCHED_PRUNE_EVERY_MS, 0) < 0)
		log_warnx("cannot arm the daily pruning timer");
}

/* Phase 0 prunes job_log, phase 1 job_runs, in batches: short statements
 * that never hold locks for long. */
static void
prune_step(struct sched *s, int phase)
{
	char secs[24], batch[24];
	const char *p[2];

	if (cf(s)->global.log_retention <= 0)
		return;
	if (!s->pruning) {
		s->pruning = 1;
		s->pruned_log = s->pruned_runs = 0;
	}
	fmt_i64(secs, sizeof(secs), cf(s)->global.log_retention);
	fmt_i64(batch, sizeof(batch), SCHED_PRUNE_BATCH);
	p[0] = secs;
	p[1] = batch;
	if (send_q(s, phase == 0 ? sql_prune_log : sql_prune_runs, 2, p,
	    on_pruned, (void *)(intptr_t)phase) < 0)
		s->pruning = 0;
}

/* ---- the interface -------------------------------------------------- */

static void
on_early_close(uv_handle_t *h)
{
	struct sched *s = h->data;

	free(s->conninfo);
	free(s->host);
	free(s);
}

struct sched *
sched_new(uv_loop_t *loop, struct db *db, const char *conninfo,
    const char *host, sched_change_cb *on_change, void *arg)
{
	struct sched *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->loop = loop;
	s->db = db;
	s->on_change = on_change;
	s->arg = arg;
	s->conninfo = strdup(conninfo);
	s->host = strdup(host);
	if (s->conninfo == NULL || s->host == NULL ||
	    uv_timer_init(loop, &s->timer) < 0) {
		free(s->conninfo);
		free(s->host);
		free(s);
		return NULL;
	}
	s->timer.data = s;
	s->wait_tail = &s->wait_head;
	if (uv_timer_init(loop, &s->prune) < 0) {
		/* The first timer is a live handle: free in its close. */
		uv_close((uv_handle_t *)&s->timer, on_early_close);
		return NULL;
	}
	s->prune.data = s;
	return s;
}

/* A job keeps its pending tick across a reload when nothing that decides
 * its ticks changed. */
static int
same_ticks(const struct conf_job *a, const struct tz *az,
    const struct conf_job *b, const struct tz *bz)
{
	return strcmp(a->channel->name, b->channel->name) == 0 &&
	    a->process == b->process && a->jitter == b->jitter &&
	    strcmp(a->schedule_text, b->schedule_text) == 0 &&
	    strcmp(az ? tz_name(az) : "", bz ? tz_name(bz) : "") == 0;
}

void
sched_set_conf(struct sched *s, struct run_conf *rc)
{
	const struct conf *c = run_conf_get(rc), *oc = s->rc ? cf(s) : NULL;
	struct run_conf *old = s->rc;
	struct entry *e, *olde = s->e;
	size_t i, k, n = 0, oldn = s->ne;
	int64_t now = wall_ms() / 1000;

	if ((e = calloc(c->njobs ? c->njobs : 1, sizeof(*e))) == NULL) {
		log_warnx("cannot apply the configuration: out of memory");
		return;
	}
	s->rc = run_conf_ref(rc);
	for (i = 0; i < c->njobs; i++) {
		const struct conf_job *j = &c->jobs[i];

		if (!j->enabled || cron_is_manual(j->schedule))
			continue;
		e[n].job = j;
		e[n].tick = -1;
		for (k = 0; k < oldn; k++)
			if (olde[k].tick >= 0 && same_ticks(olde[k].job,
			    oc->tz, j, c->tz)) {
				e[n].tick = olde[k].tick;
				e[n].fire_ms = olde[k].fire_ms;
				break;
			}
		if (k == oldn)
			entry_set_tick(s, &e[n], now);
		n++;
	}
	s->e = e;
	s->ne = n;
	free(olde);
	run_conf_unref(old);
	log_info("%zu jobs configured, %zu on a schedule", c->njobs, n);
	if (s->up)
		sync_jobs(s);
	arm(s);
	changed(s);
}

void
sched_db_up(struct sched *s)
{
	const char *p[1];

	s->up = 1;
	p[0] = s->host;
	if (send_q(s, sql_host_runs, 1, p, on_host_runs,
	    (void *)(intptr_t)s->synced) < 0)
		return;
	sweep_stale(s);
	sync_jobs(s);
	if (send_q(s, sql_ticks, 0, NULL, on_ticks, NULL) < 0)
		return;
	if (!s->pruned && !s->pruning)
		prune_step(s, 0);
	s->synced = 1;
}

void
sched_db_down(struct sched *s)
{
	s->up = 0;
}

void
sched_stop(struct sched *s, const char *why)
{
	size_t i;

	s->stopping = 1;
	uv_timer_stop(&s->timer);
	uv_timer_stop(&s->prune);
	wait_drop(s);
	for (i = 0; i < s->nruns; i++)
		run_cancel(s->runs[i], why);
}

void
sched_abort(struct sched *s, const char *why)
{
	struct run **copy;
	size_t i, n = s->nruns;

	/* run_abort may end a run at once, which edits s->runs. */
	if (n == 0 || (copy = malloc(n * sizeof(*copy))) == NULL) {
		for (i = s->nruns; i > 0; i--)
			run_abort(s->runs[i - 1], why);
		return;
	}
	memcpy(copy, s->runs, n * sizeof(*copy));
	for (i = 0; i < n; i++)
		run_abort(copy[i], why);
	free(copy);
}

size_t
sched_running(const struct sched *s)
{
	return s->nruns;
}

/* snprintf at buf + n, clamped; returns the new length. */
static size_t
append(char *buf, size_t len, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t
append(char *buf, size_t len, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (n + 1 >= len)
		return n;
	va_start(ap, fmt);
	r = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	if (r < 0)
		return n;
	return n + (size_t)r >= len ? len - 1 : n + (size_t)r;
}

void
sched_describe(const struct sched *s, char *buf, size_t len)
{
	const struct entry *next = NULL;
	char when[ISOTIME_MAX];
	size_t i, n = 0, working = 0;

	buf[0] = '\0';
	for (i = 0; i < s->nruns; i++) {
		if (!run_is_working(s->runs[i]))
			continue;
		/* Name the first few; the count says the rest. */
		if (working++ < 3)
			n = append(buf, len, n, "%s%s", n ? ", " : "running: ",
			    run_prefix(s->runs[i]));
	}
	if (working > 3)
		n = append(buf, len, n, " and %zu more", working - 3);
	if (working == 0)
		n = append(buf, len, n, "idle");
	if (s->nwaiting > 0)
		n = append(buf, len, n, "; %zu waiting", s->nwaiting);
	for (i = 0; i < s->ne; i++)
		if (s->e[i].tick >= 0 && (next == NULL ||
		    s->e[i].tick < next->tick))
			next = &s->e[i];
	if (next != NULL)
		append(buf, len, n, "; next: %s %s at %s",
		    next->job->channel->name, proc_name(next->job->process),
		    fmt_time(s, next->tick, when, sizeof(when)));
	else
		append(buf, len, n, "; nothing scheduled");
}

static void
on_timer_close(uv_handle_t *h)
{
	struct sched *s = h->data;

	s->closed++;
	maybe_free(s);
}

void
sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	s->freeing = 1;
	s->stopping = 1;
	wait_drop(s);
	uv_close((uv_handle_t *)&s->timer, on_timer_close);
	uv_close((uv_handle_t *)&s->prune, on_timer_close);
}
