/* scheduler.h - the scheduler: one timer for the soonest due job, ticks claimed
 * cluster-wide, runs started and tracked, the jobs table kept current.
 *
 * Ticks are wall-clock instants (cron_next in the configured zone). A due
 * tick T is claimed with one UPDATE of magsync.jobs.last_tick_at that only
 * succeeds while last_tick_at < T, so among daemons sharing a database
 * exactly one wins each tick; the winner starts a run, whose advisory lock
 * keeps the job from overlapping itself (a tick that finds it running is
 * recorded `skipped`). Ticks that fell due while the daemon was down or the
 * database away become one catch_up run per job (catch_up = yes).
 *
 * The idle daemon sleeps: the timer is armed for the soonest tick only (but
 * at most an hour ahead, so a stepped wall clock is noticed). At most 32
 * runs (each with its own connection) go at once; further won ticks wait
 * for a slot in order. */
#ifndef MS_SCHEDULER_H
#define MS_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct db;
struct run_conf;
struct sched;

/* Something changed: a run started or ended, or the next due job moved
 * (for STATUS= and for the daemon's stop logic). */
typedef void sched_change_cb(struct sched *s, void *arg);

/* db is the daemon's control connection (borrowed, must outlive the
 * scheduler); conninfo and host are copied (each run opens its own
 * connection with conninfo). New, or NULL on failure. */
struct sched *sched_new(uv_loop_t *loop, struct db *db, const char *conninfo,
    const char *host, sched_change_cb *on_change, void *arg);

/* Use this configuration from now on (takes a reference). Jobs keep a tick
 * that was already due when their schedule did not change. When the
 * database is up the jobs table is updated at once, else at sched_db_up. */
void sched_set_conf(struct sched *s, struct run_conf *rc);

/* The control connection is up and the schema current: sweep runs that
 * dead daemons left `running`, update the jobs table, run catch-up, prune
 * old history (log_retention; then daily). Ticks are claimed from now on. */
void sched_db_up(struct sched *s);

/* The control connection is gone: no tick is claimed until sched_db_up. */
void sched_db_down(struct sched *s);

/* Stop scheduling and ask every run to stop at its next safe point. */
void sched_stop(struct sched *s, const char *why);

/* Abandon every run still going (see run_abort). */
void sched_abort(struct sched *s, const char *why);

/* Runs in progress (including ones still connecting or being skipped). */
size_t sched_running(const struct sched *s);

/* A short description for STATUS=: running runs and the next due job. */
void sched_describe(const struct sched *s, char *buf, size_t len);

/* Close the scheduler's handles; memory goes in the close callback. Only
 * once sched_running() is 0. NULL is a no-op. */
void sched_free(struct sched *s);

#endif
