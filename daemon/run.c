/* run.c - one job run's lifecycle: connect, lock, record, work, finish. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "procs.h"
#include "run.h"

#define RUN_HEARTBEAT_MS 5000
#define RUN_ERROR_MAX 1024

struct run_conf {
	struct conf *conf;
	int refs;
};

enum run_state {
	RS_CONNECT,	/* waiting for the run's own connection */
	RS_LOCK,	/* pg_try_advisory_lock in flight */
	RS_HOLDER,	/* not granted: who holds it? */
	RS_INSERT,	/* the job_runs row (running, skipped or failed) */
	RS_WORK,	/* the process has the run */
	RS_FINISH,	/* final UPDATE in flight */
	RS_CLOSE,	/* waiting for the last query callback */
	RS_DONE		/* handle closing; freed in on_close */
};

struct run {
	uv_timer_t heartbeat;		/* the run's one handle */
	uv_loop_t *loop;
	struct run_conf *conf;
	const struct conf_job *job;
	char *conninfo, *host;
	struct db *db;			/* own connection; NULL once dropped */
	struct db *side;		/* borrowed */
	enum run_trigger trigger;
	int64_t scheduled_for;
	run_done_cb *on_done;
	run_progress_cb *on_progress;
	void *arg;

	enum run_state state;
	enum run_status status;
	const struct procs_ops *ops;
	void *data;
	int64_t id;
	int64_t total, ok, failed, requests;
	char *error;			/* the row's error, or NULL */
	char *cancel_why;
	int cancelled, aborted;
	int marked;			/* final row written by run_abort */
	int hb_pending;
	int pending;			/* queries whose callback is due */
	uint64_t t_start, duration_ms;
	char backend_pid[16], backend_start[40];	/* of the own session */
	char prefix[256];
};

/* A query's way back to its run (and, for run_query, to the process). */
struct run_q {
	struct run *r;
	void (*fn)(struct run *, PGresult *, const char *, void *);
	void *arg;
};

static void run_step(struct run *r);

static const char *const trigger_names[] = {
	[RUN_TRIGGER_SCHEDULE] = "schedule",
	[RUN_TRIGGER_MANUAL] = "manual",
	[RUN_TRIGGER_CATCH_UP] = "catch_up",
};

static const char *const status_names[] = {
	[RUN_RUNNING] = "running",
	[RUN_SUCCEEDED] = "succeeded",
	[RUN_PARTIAL] = "partial",
	[RUN_FAILED] = "failed",
	[RUN_INTERRUPTED] = "interrupted",
	[RUN_SKIPPED] = "skipped",
};

static const char *const level_names[] = {
	[RUN_INFO] = "info",
	[RUN_WARNING] = "warning",
	[RUN_ERROR] = "error",
};

static const enum log_level level_log[] = {
	[RUN_INFO] = LOG_LEVEL_INFO,
	[RUN_WARNING] = LOG_LEVEL_WARNING,
	[RUN_ERROR] = LOG_LEVEL_ERROR,
};

/* With the session's identity, so run_abort can end a statement that
 * never returns (a closed socket alone does not stop a waiting backend). */
static const char sql_lock[] =
    "SELECT pg_try_advisory_lock(hashtextextended($1, 0)), "
    "pg_backend_pid(), (SELECT extract(epoch FROM backend_start)::text "
    "FROM pg_stat_activity WHERE pid = pg_backend_pid())";

static const char sql_terminate[] =
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE pid = $1::integer AND extract(epoch FROM backend_start) = "
    "$2::numeric";

static const char sql_holder[] =
    "SELECT id, host, pid FROM magsync.job_runs "
    "WHERE channel = $1 AND process = $2 AND status = 'running' "
    "ORDER BY id DESC LIMIT 1";

/* The row and the job's pointer to it in one statement. A run that starts
 * holds the job's advisory lock, which proves that any other row of the
 * job still 'running' lost its process or its database connection (say a
 * magsyncctl run whose database restarted): it is marked interrupted here,
 * so no daemon is needed to sweep it. */
static const char sql_insert[] =
    "WITH d AS (UPDATE magsync.job_runs SET status = 'interrupted', "
    "finished_at = now(), error = format('the run ended without recording "
    "its result (%s pid %s lost its process or database connection)', "
    "host, pid) WHERE channel = $1 AND process = $2 "
    "AND status = 'running' AND $4 = 'running'), "
    "r AS (INSERT INTO magsync.job_runs (channel, process, trigger, "
    "status, host, pid, started_at, heartbeat_at, finished_at, "
    "scheduled_for, error) VALUES ($1, $2, $3, $4, $5, $6, now(), now(), "
    "CASE WHEN $4 = 'running' THEN NULL ELSE now() END, "
    "to_timestamp($7::double precision), $8) "
    "RETURNING id, channel, process), "
    "j AS (UPDATE magsync.jobs SET last_run_id = r.id FROM r "
    "WHERE jobs.channel = r.channel AND jobs.process = r.process) "
    "SELECT id FROM r";

static const char sql_finish[] =
    "UPDATE magsync.job_runs SET status = $2, finished_at = now(), "
    "heartbeat_at = now(), items_total = $3, items_ok = $4, "
    "items_failed = $5, requests = $6, error = $7 WHERE id = $1";

/* run_abort's: only a row still running (a sweep may have been first). */
static const char sql_mark[] =
    "UPDATE magsync.job_runs SET status = $2, finished_at = now(), "
    "heartbeat_at = now(), items_total = $3, items_ok = $4, "
    "items_failed = $5, requests = $6, error = $7 "
    "WHERE id = $1 AND status = 'running'";

static const char sql_heartbeat[] =
    "UPDATE magsync.job_runs SET heartbeat_at = now() "
    "WHERE id = $1 AND status = 'running'";

static const char sql_log[] =
    "INSERT INTO magsync.job_log (run_id, level, entity, http_method, "
    "http_path, http_status, duration_ms, message, detail) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)";

const char *
run_trigger_name(enum run_trigger t)
{
	return trigger_names[t];
}

const char *
run_status_name(enum run_status s)
{
	return status_names[s];
}

/* ---- shared configuration --------------------------------------- */

struct run_conf *
run_conf_new(struct conf *c)
{
	struct run_conf *rc = malloc(sizeof(*rc));

	if (rc == NULL) {
		conf_free(c);
		return NULL;
	}
	rc->conf = c;
	rc->refs = 1;
	return rc;
}

struct run_conf *
run_conf_ref(struct run_conf *rc)
{
	rc->refs++;
	return rc;
}

void
run_conf_unref(struct run_conf *rc)
{
	if (rc == NULL || --rc->refs > 0)
		return;
	conf_free(rc->conf);
	free(rc);
}

const struct conf *
run_conf_get(const struct run_conf *rc)
{
	return rc->conf;
}

/* ---- helpers ------------------------------------------------------ */

static const char *
chan(const struct run *r)
{
	return r->job->channel->name;
}

static const char *
pname(const struct run *r)
{
	return proc_name(r->job->process);
}

static void
set_prefix(struct run *r)
{
	if (r->id > 0)
		snprintf(r->prefix, sizeof(r->prefix), "%s %s run %" PRId64,
		    chan(r), pname(r), r->id);
	else
		snprintf(r->prefix, sizeof(r->prefix), "%s %s", chan(r),
		    pname(r));
}

void
run_say(const struct run *r, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(level, r->prefix, fmt, ap);
	va_end(ap);
}

/* Keep the first error: it is the cause, later ones are consequences. */
static void
set_error(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
set_error(struct run *r, const char *fmt, ...)
{
	char buf[RUN_ERROR_MAX];
	va_list ap;

	if (r->error != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->error = strdup(buf);
	if (r->error == NULL)
		run_say(r, LOG_LEVEL_ERROR, "out of memory");
}

static struct db *
db_up_or_null(struct db *db)
{
	return db != NULL && db_is_up(db) ? db : NULL;
}

/* Where run-owned writes go: the run's connection, else the side one. */
static struct db *
pick_db(struct run *r)
{
	struct db *db = db_up_or_null(r->db);

	return db != NULL ? db : db_up_or_null(r->side);
}

/* Where heartbeats and log rows go: the side connection first (see run.h). */
static struct db *
pick_side(struct run *r)
{
	struct db *db = db_up_or_null(r->side);

	return db != NULL ? db : db_up_or_null(r->db);
}

static void
maybe_done(struct run *r);

static void
on_q(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct run_q *q = arg;
	struct run *r = q->r;

	(void)db;
	r->pending--;
	if (q->fn != NULL)
		q->fn(r, res, err, q->arg);
	free(q);
	maybe_done(r);
}

/* Queue sql on db with a callback that keeps r alive until it fires. */
static int
run_send(struct run *r, struct db *db, const char *sql, int n,
    const char *const *params,
    void (*fn)(struct run *, PGresult *, const char *, void *), void *arg)
{
	struct run_q *q;
	int rc;

	if (db == NULL)
		return -ENOTCONN;
	if ((q = malloc(sizeof(*q))) == NULL)
		return -ENOMEM;
	q->r = r;
	q->fn = fn;
	q->arg = arg;
	r->pending++;
	if ((rc = db_query(db, sql, n, params, on_q, q)) < 0) {
		r->pending--;
		free(q);
	}
	return rc;
}

static void
fmt_i64(char *buf, size_t len, int64_t v)
{
	snprintf(buf, len, "%" PRId64, v);
}

/* ---- the state machine ------------------------------------------- */

static void
on_close(uv_handle_t *h)
{
	struct run *r = h->data;

	if (r->on_done != NULL)
		r->on_done(r, r->arg);
	run_conf_unref(r->conf);
	free(r->conninfo);
	free(r->host);
	free(r->error);
	free(r->cancel_why);
	free(r);
}

static void
maybe_done(struct run *r)
{
	if (r->state != RS_CLOSE || r->pending > 0)
		return;
	r->state = RS_DONE;
	uv_close((uv_handle_t *)&r->heartbeat, on_close);
}

static const char *const state_names[] = {
	[RS_CONNECT] = "connect",
	[RS_LOCK] = "lock",
	[RS_HOLDER] = "holder",
	[RS_INSERT] = "insert",
	[RS_WORK] = "work",
	[RS_FINISH] = "finish",
	[RS_CLOSE] = "close",
	[RS_DONE] = "done",
};

static void
goto_state(struct run *r, enum run_state s)
{
	run_say(r, LOG_LEVEL_DEBUG, "%s -> %s", state_names[r->state],
	    state_names[s]);
	r->state = s;
	run_step(r);
}

static void
on_db_state(struct db *db, int up, const char *err, void *arg)
{
	struct run *r = arg;

	(void)db;
	if (r->state != RS_CONNECT) {
		if (!up && r->state < RS_CLOSE)
			run_say(r, LOG_LEVEL_WARNING,
			    "database connection lost: %s", err ? err : "?");
		return;
	}
	if (up) {
		goto_state(r, RS_LOCK);
		return;
	}
	r->status = RUN_FAILED;
	set_error(r, "cannot connect to the database: %s",
	    err ? err : "unknown error");
	goto_state(r, RS_INSERT);
}

static void
on_lock(struct run *r, PGresult *res, const char *err, void *arg)
{
	(void)arg;
	if (r->state != RS_LOCK)
		return;
	if (err != NULL || res == NULL || PQntuples(res) != 1) {
		r->status = RUN_FAILED;
		set_error(r, "cannot take the job's lock: %s",
		    err ? err : "no result");
		goto_state(r, RS_INSERT);
		return;
	}
	snprintf(r->backend_pid, sizeof(r->backend_pid), "%s",
	    PQgetvalue(res, 0, 1));
	snprintf(r->backend_start, sizeof(r->backend_start), "%s",
	    PQgetvalue(res, 0, 2));
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		goto_state(r, RS_INSERT);
		return;
	}
	r->status = RUN_SKIPPED;
	goto_state(r, RS_HOLDER);
}

static void
on_holder(struct run *r, PGresult *res, const char *err, void *arg)
{
	(void)arg;
	if (r->state != RS_HOLDER)
		return;
	if (err == NULL && res != NULL && PQntuples(res) == 1)
		set_error(r, "already running: run %s on %s pid %s",
		    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
		    PQgetvalue(res, 0, 2));
	else
		set_error(r, "already running (the job's lock is held by "
		    "another session)");
	goto_state(r, RS_INSERT);
}

/* The schema is missing (undefined table or schema). */
static int
no_schema(const PGresult *res)
{
	const char *st = res ? db_sqlstate(res) : "";

	return strcmp(st, "42P01") == 0 || strcmp(st, "3F000") == 0;
}

static void
on_insert(struct run *r, PGresult *res, const char *err, void *arg)
{
	(void)arg;
	if (r->state != RS_INSERT)
		return;
	if (err != NULL || res == NULL || PQntuples(res) != 1) {
		const char *hint = no_schema(res) ? " (run magsyncctl "
		    "migrate)" : "";

		run_say(r, LOG_LEVEL_ERROR, "cannot record the run: %s%s",
		    err ? err : "no result", hint);
		if (r->status == RUN_RUNNING) {
			r->status = RUN_FAILED;
			set_error(r, "cannot record the run: %s%s",
			    err ? err : "no result", hint);
		}
		goto_state(r, RS_CLOSE);
		return;
	}
	r->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	set_prefix(r);
	switch (r->status) {
	case RUN_RUNNING:
		run_say(r, LOG_LEVEL_INFO, "started (trigger %s)",
		    trigger_names[r->trigger]);
		goto_state(r, RS_WORK);
		return;
	case RUN_SKIPPED:
		run_say(r, LOG_LEVEL_INFO, "skipped: %s", r->error);
		break;
	default:
		run_say(r, LOG_LEVEL_ERROR, "failed: %s", r->error);
		break;
	}
	goto_state(r, RS_CLOSE);
}

static void
on_finish(struct run *r, PGresult *res, const char *err, void *arg)
{
	(void)res;
	(void)arg;
	if (err != NULL)
		run_say(r, LOG_LEVEL_ERROR, "cannot record the end of the "
		    "run (it will be swept as interrupted): %s", err);
	if (r->state == RS_FINISH)
		goto_state(r, RS_CLOSE);
}

static void
on_heartbeat_done(struct run *r, PGresult *res, const char *err, void *arg)
{
	(void)res;
	(void)arg;
	r->hb_pending = 0;
	if (err != NULL)
		run_say(r, LOG_LEVEL_DEBUG, "heartbeat: %s", err);
}

static void
on_heartbeat(uv_timer_t *t)
{
	struct run *r = t->data;
	char id[24];
	const char *p[1] = { id };

	if (r->hb_pending || r->id <= 0)
		return;
	fmt_i64(id, sizeof(id), r->id);
	if (run_send(r, pick_side(r), sql_heartbeat, 1, p, on_heartbeat_done,
	    NULL) == 0)
		r->hb_pending = 1;
}

/* The row's final values, as parameters of sql_finish / sql_mark. */
struct row_end {
	char id[24], total[24], ok[24], failed[24], requests[24];
	const char *p[7];
};

static void
row_end_fill(struct run *r, struct row_end *e)
{
	fmt_i64(e->id, sizeof(e->id), r->id);
	fmt_i64(e->total, sizeof(e->total), r->total);
	fmt_i64(e->ok, sizeof(e->ok), r->ok);
	fmt_i64(e->failed, sizeof(e->failed), r->failed);
	fmt_i64(e->requests, sizeof(e->requests), r->requests);
	e->p[0] = e->id;
	e->p[1] = status_names[r->status];
	e->p[2] = e->total;
	e->p[3] = e->ok;
	e->p[4] = e->failed;
	e->p[5] = e->requests;
	e->p[6] = r->error;
}

static void
step_insert(struct run *r)
{
	char pid[24], tick[24];
	const char *p[8];

	fmt_i64(pid, sizeof(pid), (int64_t)getpid());
	fmt_i64(tick, sizeof(tick), r->scheduled_for);
	p[0] = chan(r);
	p[1] = pname(r);
	p[2] = trigger_names[r->trigger];
	p[3] = status_names[r->status];
	p[4] = r->host;
	p[5] = pid;
	p[6] = r->scheduled_for >= 0 ? tick : NULL;
	p[7] = r->error;
	if (run_send(r, pick_db(r), sql_insert, 8, p, on_insert, NULL) < 0) {
		run_say(r, LOG_LEVEL_ERROR, "%s%s; not recorded: no database "
		    "connection", status_names[r->status],
		    r->error ? ": " : "");
		if (r->error != NULL)
			run_say(r, LOG_LEVEL_ERROR, "%s", r->error);
		goto_state(r, RS_CLOSE);
	}
}

static void
step_work(struct run *r)
{
	char msg[128];

	if (r->cancelled) {
		r->status = RUN_INTERRUPTED;
		set_error(r, "%s", r->cancel_why);
		goto_state(r, RS_FINISH);
		return;
	}
	if (uv_timer_start(&r->heartbeat, on_heartbeat, RUN_HEARTBEAT_MS,
	    RUN_HEARTBEAT_MS) < 0)
		run_say(r, LOG_LEVEL_WARNING, "cannot start the heartbeat");
	r->ops = procs_get(r->job->process);
	if (r->ops == NULL) {
		snprintf(msg, sizeof(msg), "process %s is not available in "
		    "this build", pname(r));
		run_log(r, RUN_ERROR, NULL, msg, NULL);
		run_proc_done(r, msg);
		return;
	}
	r->ops->start(r);
}

static void
step_finish(struct run *r)
{
	struct row_end e;

	uv_timer_stop(&r->heartbeat);
	r->duration_ms = uv_now(r->loop) - r->t_start;
	run_say(r, r->status == RUN_SUCCEEDED ? LOG_LEVEL_INFO :
	    r->status == RUN_FAILED ? LOG_LEVEL_ERROR : LOG_LEVEL_WARNING,
	    "%s: %" PRId64 " items (%" PRId64 " ok, %"
	    PRId64 " failed), %" PRId64 " requests, %.1f s%s%s",
	    status_names[r->status], r->total, r->ok, r->failed,
	    r->requests, (double)r->duration_ms / 1000.0,
	    r->error ? ": " : "", r->error ? r->error : "");
	if (r->marked) {
		goto_state(r, RS_CLOSE);
		return;
	}
	row_end_fill(r, &e);
	if (run_send(r, pick_db(r), sql_finish, 7, e.p, on_finish, NULL) < 0) {
		run_say(r, LOG_LEVEL_ERROR, "cannot record the end of the run "
		    "(no database connection); it will be swept as "
		    "interrupted");
		goto_state(r, RS_CLOSE);
	}
}

static void
step_close(struct run *r)
{
	struct db *db = r->db;

	uv_timer_stop(&r->heartbeat);
	if (r->duration_ms == 0)
		r->duration_ms = uv_now(r->loop) - r->t_start;
	/* Closing the connection releases the advisory lock. */
	r->db = NULL;
	db_free(db);
	maybe_done(r);
}

/* Each step checks cancel first, then starts the state's one operation;
 * its callback records the outcome and moves on. */
static void
run_step(struct run *r)
{
	const char *p[2];
	char key[512];

	/* Before the row exists a stop leaves no trace: nothing started. */
	if (r->cancelled && r->state <= RS_INSERT) {
		run_say(r, LOG_LEVEL_INFO, "stopped before it started: %s",
		    r->cancel_why);
		r->state = RS_CLOSE;
	}
	switch (r->state) {
	case RS_CONNECT:
		r->db = db_new(r->loop, r->conninfo, 0, on_db_state, r);
		if (r->db == NULL) {
			r->status = RUN_FAILED;
			set_error(r, "out of memory");
			goto_state(r, RS_INSERT);
		}
		break;
	case RS_LOCK:
		snprintf(key, sizeof(key), "magsync:%s:%s", chan(r), pname(r));
		p[0] = key;
		if (run_send(r, r->db, sql_lock, 1, p, on_lock, NULL) < 0) {
			r->status = RUN_FAILED;
			set_error(r, "cannot take the job's lock: connection "
			    "lost");
			goto_state(r, RS_INSERT);
		}
		break;
	case RS_HOLDER:
		p[0] = chan(r);
		p[1] = pname(r);
		if (run_send(r, pick_db(r), sql_holder, 2, p, on_holder,
		    NULL) < 0) {
			set_error(r, "already running");
			goto_state(r, RS_INSERT);
		}
		break;
	case RS_INSERT:
		step_insert(r);
		break;
	case RS_WORK:
		step_work(r);
		break;
	case RS_FINISH:
		step_finish(r);
		break;
	case RS_CLOSE:
		step_close(r);
		break;
	case RS_DONE:
		break;
	}
}

/* ---- the owner's side --------------------------------------------- */

struct run *
run_start(const struct run_params *p)
{
	struct run *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->loop = p->loop;
	r->job = p->job;
	r->side = p->side;
	r->trigger = p->trigger;
	r->scheduled_for = p->scheduled_for;
	r->on_done = p->on_done;
	r->on_progress = p->on_progress;
	r->arg = p->arg;
	r->conninfo = strdup(p->conninfo);
	r->host = strdup(p->host);
	if (r->conninfo == NULL || r->host == NULL ||
	    uv_timer_init(p->loop, &r->heartbeat) < 0) {
		free(r->conninfo);
		free(r->host);
		free(r);
		return NULL;
	}
	r->heartbeat.data = r;
	r->conf = run_conf_ref(p->conf);
	r->status = RUN_RUNNING;
	r->t_start = uv_now(p->loop);
	set_prefix(r);
	r->state = RS_CONNECT;
	run_step(r);
	return r;
}

void
run_cancel(struct run *r, const char *why)
{
	if (r->cancelled || r->state >= RS_FINISH)
		return;
	r->cancelled = 1;
	r->cancel_why = strdup(why);
	if (r->state == RS_WORK) {
		run_say(r, LOG_LEVEL_INFO, "stopping at the next safe point: "
		    "%s", why);
		if (r->ops != NULL && r->ops->cancel != NULL)
			r->ops->cancel(r, 0);
	}
}

static void
on_mark(struct run *r, PGresult *res, const char *err, void *arg)
{
	(void)res;
	(void)arg;
	if (err != NULL)
		run_say(r, LOG_LEVEL_ERROR, "cannot mark the run interrupted: "
		    "%s", err);
}

/* End the own session's statement server-side: a backend waiting on a
 * lock keeps its transaction and our advisory lock until it next talks to
 * the (closed) socket. The start time guards against a reused pid. */
static void
terminate(struct run *r)
{
	const char *p[2] = { r->backend_pid, r->backend_start };

	if (r->backend_pid[0] == '\0' || r->backend_start[0] == '\0')
		return;
	if (run_send(r, db_up_or_null(r->side), sql_terminate, 2, p, on_mark,
	    NULL) < 0)
		run_say(r, LOG_LEVEL_WARNING, "cannot end the run's database "
		    "session: no side connection");
}

void
run_abort(struct run *r, const char *why)
{
	struct row_end e;
	struct db *db;

	if (r->aborted || r->state >= RS_FINISH)
		return;
	run_cancel(r, why);
	r->aborted = 1;
	if (r->state == RS_WORK) {
		run_say(r, LOG_LEVEL_WARNING, "abandoned: %s", why);
		r->status = RUN_INTERRUPTED;
		set_error(r, "%s", why);
		row_end_fill(r, &e);
		if (run_send(r, db_up_or_null(r->side), sql_mark, 7, e.p,
		    on_mark, NULL) == 0)
			r->marked = 1;
		terminate(r);
		if (r->ops != NULL && r->ops->cancel != NULL)
			r->ops->cancel(r, 1);
	}
	/* Dropping the connection releases the lock and ends whatever the
	 * process still waits for; its callbacks lead to run_proc_done. */
	db = r->db;
	r->db = NULL;
	db_free(db);
	if (r->state == RS_CONNECT)
		run_step(r);	/* no callback will come for the connect */
}

void
run_get_summary(const struct run *r, struct run_summary *s)
{
	s->id = r->id;
	s->status = r->status;
	s->trigger = r->trigger;
	s->items_total = r->total;
	s->items_ok = r->ok;
	s->items_failed = r->failed;
	s->requests = r->requests;
	s->duration_ms = r->duration_ms;
	s->error = r->error;
}

const char *
run_prefix(const struct run *r)
{
	return r->prefix;
}

int
run_is_working(const struct run *r)
{
	return r->state == RS_WORK;
}

/* ---- the process's side ------------------------------------------- */

const struct conf_job *
run_job(const struct run *r)
{
	return r->job;
}

const struct conf *
run_config(const struct run *r)
{
	return r->conf->conf;
}

uv_loop_t *
run_loop(const struct run *r)
{
	return r->loop;
}

int64_t
run_id(const struct run *r)
{
	return r->id;
}

int
run_cancelled(const struct run *r)
{
	return r->cancelled;
}

void
run_set_data(struct run *r, void *data)
{
	r->data = data;
}

void *
run_data(const struct run *r)
{
	return r->data;
}

int
run_query(struct run *r, const char *sql, int nparams,
    const char *const *params, run_query_cb *cb, void *arg)
{
	if (r->state != RS_WORK)
		return -ENOTCONN;
	return run_send(r, r->db, sql, nparams, params, cb, arg);
}

void
run_count(struct run *r, int64_t ok, int64_t failed)
{
	r->ok += ok;
	r->failed += failed;
	r->total += ok + failed;
}

void
run_count_requests(struct run *r, int64_t n)
{
	r->requests += n;
}

static void
on_log_done(struct run *r, PGresult *res, const char *err, void *arg)
{
	(void)res;
	(void)arg;
	if (err != NULL)
		run_say(r, LOG_LEVEL_WARNING, "cannot write a job_log row: %s",
		    err);
}

void
run_log_http(struct run *r, enum run_level level, const char *entity,
    const struct run_http *http, const char *message,
    const char *detail_json)
{
	char id[24], status[24], ms[24];
	const char *p[9];

	if (http != NULL)
		run_say(r, level_log[level], "%s%s%s %s: %d, %" PRId64
		    " ms: %s", entity ? entity : "", entity ? ": " : "",
		    http->method,
		    http->path, http->status, http->duration_ms, message);
	else
		run_say(r, level_log[level], "%s%s%s", entity ? entity : "",
		    entity ? ": " : "", message);
	if (r->id <= 0)
		return;
	fmt_i64(id, sizeof(id), r->id);
	p[0] = id;
	p[1] = level_names[level];
	p[2] = entity;
	p[3] = http ? http->method : NULL;
	p[4] = http ? http->path : NULL;
	if (http != NULL && http->status > 0) {
		snprintf(status, sizeof(status), "%d", http->status);
		p[5] = status;
	} else
		p[5] = NULL;
	if (http != NULL && http->duration_ms >= 0) {
		fmt_i64(ms, sizeof(ms), http->duration_ms);
		p[6] = ms;
	} else
		p[6] = NULL;
	p[7] = message;
	p[8] = detail_json;
	if (run_send(r, pick_side(r), sql_log, 9, p, on_log_done, NULL) < 0)
		run_say(r, LOG_LEVEL_WARNING, "job_log row not written: no "
		    "database connection");
}

void
run_log(struct run *r, enum run_level level, const char *entity,
    const char *message, const char *detail_json)
{
	run_log_http(r, level, entity, NULL, message, detail_json);
}

void
run_progress(struct run *r, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (r->on_progress == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->on_progress(r, buf, r->arg);
}

void
run_proc_done(struct run *r, const char *err)
{
	if (r->state != RS_WORK) {
		run_say(r, LOG_LEVEL_ERROR, "internal error: process ended "
		    "twice");
		return;
	}
	if (r->status == RUN_INTERRUPTED)
		;	/* run_abort already decided */
	else if (err != NULL && r->cancelled) {
		r->status = RUN_INTERRUPTED;
		set_error(r, "%s", r->cancel_why ? r->cancel_why : err);
	} else if (err != NULL) {
		r->status = RUN_FAILED;
		set_error(r, "%s", err);
	} else if (r->failed > 0 && r->ok == 0) {
		r->status = RUN_FAILED;
		set_error(r, "all %" PRId64 " items failed", r->failed);
	} else if (r->failed > 0)
		r->status = RUN_PARTIAL;
	else
		r->status = RUN_SUCCEEDED;
	goto_state(r, RS_FINISH);
}
