/* run.h - one job run, from connect to its final job_runs row.
 *
 * A run is an explicit state machine (STYLE.md §3) over its OWN database
 * connection, so that its transactions and its advisory lock are its own and
 * die with it:
 *
 *   CONNECT -> LOCK -> [HOLDER] -> INSERT -> WORK -> FINISH -> CLOSE
 *
 * LOCK takes pg_try_advisory_lock on "magsync:CHANNEL:PROCESS" (the key
 * `magsyncctl run` uses too). Not granted: HOLDER looks up who has it and
 * the tick is recorded as a `skipped` row saying so. INSERT writes the
 * `running` row; WORK hands over to the process (procs.h); FINISH writes
 * the final status and counts. A run that cannot start (no database
 * connection) is recorded `failed` through the side connection when that
 * one is up.
 *
 * Heartbeats (every 5 s) and job_log rows go through the owner's side
 * connection, when it is up: a process may hold its own connection in a
 * long statement or transaction, and a heartbeat stuck behind it would make
 * other daemons think we died. */
#ifndef MS_RUN_H
#define MS_RUN_H

#include <stdint.h>

#include <libpq-fe.h>
#include <uv.h>

#include "conf.h"
#include "log.h"

struct db;
struct run;

enum run_trigger {
	RUN_TRIGGER_SCHEDULE,
	RUN_TRIGGER_MANUAL,
	RUN_TRIGGER_CATCH_UP
};

enum run_status {
	RUN_RUNNING,
	RUN_SUCCEEDED,
	RUN_PARTIAL,
	RUN_FAILED,
	RUN_INTERRUPTED,
	RUN_SKIPPED
};

enum run_level { RUN_INFO, RUN_WARNING, RUN_ERROR };

const char *run_trigger_name(enum run_trigger t);
const char *run_status_name(enum run_status s);

/* A loaded configuration shared by the scheduler and the runs started
 * under it: a reload swaps in a new one while older runs finish with the
 * config they started with. */
struct run_conf;

/* Steals c. New (refcount 1), or NULL on OOM (c is freed then). */
struct run_conf *run_conf_new(struct conf *c);
/* Another reference; returns rc. */
struct run_conf *run_conf_ref(struct run_conf *rc);
/* Drop a reference; the last frees the conf. NULL is a no-op. */
void run_conf_unref(struct run_conf *rc);
/* Borrowed, valid while the reference is held. */
const struct conf *run_conf_get(const struct run_conf *rc);

/* Called exactly once when the run is over (its row written or given up,
 * every query answered); r is freed after the callback returns. */
typedef void run_done_cb(struct run *r, void *arg);
/* A one-line progress text for a terminal (magsyncctl run). */
typedef void run_progress_cb(struct run *r, const char *text, void *arg);

struct run_params {
	uv_loop_t *loop;
	struct run_conf *conf;		/* a reference is taken */
	const struct conf_job *job;	/* borrowed from conf */
	const char *conninfo;		/* copied */
	const char *host;		/* copied; job_runs.host */
	struct db *side;		/* borrowed, may be NULL; must outlive
					 * the run */
	enum run_trigger trigger;
	int64_t scheduled_for;		/* the tick, UTC seconds; -1: none */
	run_done_cb *on_done;
	run_progress_cb *on_progress;	/* may be NULL */
	void *arg;
};

/* Start a run. Returns it (on_done will be called exactly once, never from
 * within run_start; the pointer is valid until on_done returns) or NULL on
 * OOM (on_done is not called). */
struct run *run_start(const struct run_params *p);

/* Stop at the next safe point; why becomes the row's error and the status
 * `interrupted` (unless the work was already complete). Idempotent. */
void run_cancel(struct run *r, const char *why);

/* Stop now: the row is marked `interrupted` through the side connection,
 * the run's own connection is dropped (so its lock goes), and the process
 * is told to release everything. on_done follows soon after. */
void run_abort(struct run *r, const char *why);

struct run_summary {
	int64_t id;			/* job_runs.id; 0: no row */
	enum run_status status;
	enum run_trigger trigger;
	int64_t items_total, items_ok, items_failed, requests;
	uint64_t duration_ms;
	const char *error;		/* borrowed from the run, or NULL */
};

void run_get_summary(const struct run *r, struct run_summary *s);
/* "CHANNEL PROCESS run ID" (or without " run ID" before the row exists);
 * borrowed, valid until the next change of the run. */
const char *run_prefix(const struct run *r);
int run_is_working(const struct run *r);

/* ---- for the processes (procs.h) ---------------------------------- */

const struct conf_job *run_job(const struct run *r);
const struct conf *run_config(const struct run *r);
uv_loop_t *run_loop(const struct run *r);
int64_t run_id(const struct run *r);
/* Non-zero once the run was told to stop: finish at the next safe point
 * and call run_proc_done. */
int run_cancelled(const struct run *r);

/* The process's private state; run.c never looks inside. */
void run_set_data(struct run *r, void *data);
void *run_data(const struct run *r);

/* A statement on the run's own connection. Same contract as db_query
 * (0: cb called exactly once; negative: not queued, cb not called). */
typedef void run_query_cb(struct run *r, PGresult *res, const char *err,
    void *arg);
int run_query(struct run *r, const char *sql, int nparams,
    const char *const *params, run_query_cb *cb, void *arg);

/* Add to the run's counters (items_total grows by ok + failed). */
void run_count(struct run *r, int64_t ok, int64_t failed);
void run_count_requests(struct run *r, int64_t n);

/* A job_log row (and a stderr line). entity, detail_json may be NULL;
 * detail_json is a JSON text of at most 2 KB. Never pass a secret. */
void run_log(struct run *r, enum run_level level, const char *entity,
    const char *message, const char *detail_json);

/* The same for one HTTP exchange; path never carries a token. */
struct run_http {
	const char *method;		/* "GET" */
	const char *path;		/* "/rest/default/V1/orders" */
	int status;			/* 0: no response */
	int64_t duration_ms;
};
void run_log_http(struct run *r, enum run_level level, const char *entity,
    const struct run_http *http, const char *message,
    const char *detail_json);

/* A stderr line with the run's prefix (no job_log row). */
void run_say(const struct run *r, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Progress for a terminal (magsyncctl run); a no-op in the daemon. */
void run_progress(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The process is over and holds nothing any more (no handle open, no query
 * outstanding). err NULL: all work done (succeeded, or partial when items
 * failed); else the reason it stopped (failed; interrupted when the run was
 * cancelled). Exactly once per process start. */
void run_proc_done(struct run *r, const char *err);

#endif
