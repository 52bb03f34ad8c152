/* migrate.h - the schema migrations (sql/NNN_name.sql), compiled into the
 * binaries, applied over a struct db.
 *
 * Each pending migration runs in its own transaction together with its
 * magsync.schema_migrations row, under a transaction-level advisory lock
 * (MIGRATE_LOCK_KEY), and re-checks inside the lock whether someone else
 * applied it meanwhile: concurrent `magsyncctl migrate` runs are safe and
 * each migration is applied once. A database with a version newer than the
 * binary knows is refused (an old binary must not run against it). */
#ifndef MS_MIGRATE_H
#define MS_MIGRATE_H

#include <stddef.h>

struct db;

/* pg_advisory_xact_lock key of migrations: "magsync!" as a big-endian
 * int8. Fixed forever: every version of magsync must use the same. */
#define MIGRATE_LOCK_KEY "7881694568531256097"

struct migrate_status {
	int current;		/* highest applied version, 0 when none */
	int latest;		/* highest version this binary knows */
	int pending;		/* known versions not applied */
	int too_new;		/* current > latest: refuse to run */
};

/* Migrations known to this binary: count, and version/name of the i-th
 * (ascending). name is "001_schema", static. */
size_t migrate_count(void);
int migrate_version(size_t i);
const char *migrate_name(size_t i);
int migrate_latest(void);

/* Status only: st is filled (borrowed for the call) when err is NULL. */
typedef void migrate_status_cb(const struct migrate_status *st,
    const char *err, void *arg);

/* Start checking. db must be up. Returns 0 and cb is called exactly once,
 * or a negative errno value and cb is never called. */
int migrate_status(struct db *db, migrate_status_cb *cb, void *arg);

/* Called after each migration this call committed ("001_schema"). */
typedef void migrate_applied_cb(int version, const char *name, void *arg);

/* The end of migrate_run: napplied migrations were committed by this
 * call; st is the state at the end (also on error, as far as known); err
 * is NULL on success, else one line (e.g. the "newer than this binary"
 * refusal, or "002_x: <PostgreSQL's message>"). */
typedef void migrate_done_cb(const struct migrate_status *st, int napplied,
    const char *err, void *arg);

/* Apply every pending migration in order. db must be up and must not be
 * inside a transaction; nothing else should use it meanwhile. on_applied
 * may be NULL. Returns 0 and done is called exactly once (synchronously
 * from db_free with err "closing" if the db is freed first), or a negative
 * errno value and nothing is called. */
int migrate_run(struct db *db, migrate_applied_cb *on_applied,
    migrate_done_cb *done, void *arg);

#endif
