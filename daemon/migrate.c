/* migrate.c - apply the compiled-in schema migrations.
 *
 * Why the SQL is compiled in: a binary and the schema it was written for
 * must not drift apart, and an install must not depend on finding sql/ on
 * disk (a fresh build directory, a package, a container all work the same).
 * The files are pulled in by the assembler's .incbin at build time, so
 * sql/NNN_name.sql stays the one source, readable in the tree and installed
 * under share/magsync/sql for people. The assembler resolves the path from
 * the compiler's working directory: the top of the tree, where make runs.
 * Adding a migration = one MIGRATE_EMBED line and one table row below.
 *
 * A run is a state machine over one struct db, each step one statement:
 *
 *   PROBE -> LIST -> { BEGIN -> LOCK -> REPROBE -> [RECHECK] ->
 *                      SCRIPT -> RECORD -> COMMIT } per pending migration
 *
 * with ROLLBACK on a failure inside a transaction (or when RECHECK finds
 * the migration applied by a concurrent run). Migrations must not contain
 * transaction control or statements that refuse to run in a transaction
 * block (CREATE INDEX CONCURRENTLY).
 *
 * The first migration needs care. A backend refreshes its catalog caches
 * when a transaction starts and when it takes a relation lock, not when it
 * gets an advisory lock. A run that began its transaction before a
 * concurrent run committed 001 still has "schema magsync does not exist"
 * cached once it holds the lock: to_regclass would say no, and naming
 * magsync.schema_migrations would fail. So REPROBE reads pg_class with
 * plain SQL (the statement's snapshot, not the caches), and when it finds
 * the table that this run had not seen yet, the run rolls back and begins
 * again, with fresh caches. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "migrate.h"

#define MIGRATE_EMBED(sym, path)					\
	__asm__(".pushsection .rodata\n"				\
	    ".globl " #sym "\n"						\
	    ".hidden " #sym "\n"					\
	    #sym ":\n"							\
	    ".incbin \"" path "\"\n"					\
	    ".byte 0\n"							\
	    ".popsection\n")

MIGRATE_EMBED(migrate_sql_001, "sql/001_schema.sql");
extern const char migrate_sql_001[] __attribute__((visibility("hidden")));

static const struct migration {
	int version;
	const char *name;
	const char *sql;
} migrations[] = {
	{ 1, "001_schema", migrate_sql_001 },
};

#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

#define MIGRATE_ERR_MAX 600

enum migrate_step {
	MIGRATE_PROBE,
	MIGRATE_LIST,
	MIGRATE_BEGIN,
	MIGRATE_LOCK,
	MIGRATE_REPROBE,
	MIGRATE_RECHECK,
	MIGRATE_SCRIPT,
	MIGRATE_RECORD,
	MIGRATE_COMMIT,
	MIGRATE_ROLLBACK
};

struct migrate_op {
	struct db *db;
	int apply;			/* migrate_run, else migrate_status */
	enum migrate_step step;
	migrate_applied_cb *on_applied;
	migrate_done_cb *done;
	migrate_status_cb *status_cb;
	void *arg;
	unsigned char applied[NMIGRATIONS];
	size_t cur;			/* the migration in hand */
	int napplied;
	int seen_table;			/* schema_migrations known to exist */
	int restart;			/* ROLLBACK to begin again */
	struct migrate_status st;
	char err[MIGRATE_ERR_MAX];	/* set: finish with it after ROLLBACK */
};

static const char probe_sql[] =
    "SELECT to_regclass('magsync.schema_migrations') IS NOT NULL";

/* The same through an MVCC scan of the catalogs (see the top). */
static const char reprobe_sql[] =
    "SELECT EXISTS (SELECT FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'magsync' AND c.relname = 'schema_migrations')";

static void on_result(struct db *db, PGresult *res, const char *err,
    void *arg);

size_t
migrate_count(void)
{
	return NMIGRATIONS;
}

int
migrate_version(size_t i)
{
	return i < NMIGRATIONS ? migrations[i].version : -1;
}

const char *
migrate_name(size_t i)
{
	return i < NMIGRATIONS ? migrations[i].name : NULL;
}

int
migrate_latest(void)
{
	return migrations[NMIGRATIONS - 1].version;
}

static void
migrate_count_pending(struct migrate_op *op)
{
	size_t i;

	op->st.pending = 0;
	for (i = 0; i < NMIGRATIONS; i++)
		if (!op->applied[i])
			op->st.pending++;
}

static void
migrate_mark(struct migrate_op *op, int version)
{
	size_t i;

	for (i = 0; i < NMIGRATIONS; i++)
		if (migrations[i].version == version)
			op->applied[i] = 1;
	if (version > op->st.current)
		op->st.current = version;
	op->st.too_new = op->st.current > op->st.latest;
}

static void
migrate_too_new(struct migrate_op *op)
{
	snprintf(op->err, sizeof(op->err), "database schema version %d is "
	    "newer than this %s (knows up to %d); upgrade magsync",
	    op->st.current, program_invocation_short_name, op->st.latest);
}

/* The end: exactly one user callback, then the op is gone. */
static void
migrate_finish(struct migrate_op *op, const char *err)
{
	migrate_count_pending(op);
	if (op->apply)
		op->done(&op->st, op->napplied, err, op->arg);
	else
		op->status_cb(&op->st, err, op->arg);
	free(op);
}

static int
migrate_send(struct migrate_op *op, enum migrate_step step, const char *sql,
    int nparams, const char *const *params)
{
	op->step = step;
	if (step == MIGRATE_SCRIPT)
		return db_script(op->db, sql, on_result, op);
	return db_query(op->db, sql, nparams, params, on_result, op);
}

/* Send the next statement; a refusal (connection gone) ends the op. */
static void
migrate_next(struct migrate_op *op, enum migrate_step step, const char *sql,
    int nparams, const char *const *params)
{
	char msg[128];
	int rc;

	if ((rc = migrate_send(op, step, sql, nparams, params)) != 0) {
		snprintf(msg, sizeof(msg), "cannot send a query: %s",
		    strerror(-rc));
		migrate_finish(op, op->err[0] != '\0' ? op->err : msg);
	}
}

/* A failure inside the transaction: roll back, then finish with why. */
static void
migrate_abort(struct migrate_op *op, const char *fmt, const char *what,
    const char *err)
{
	snprintf(op->err, sizeof(op->err), fmt, what, err);
	migrate_next(op, MIGRATE_ROLLBACK, "ROLLBACK", 0, NULL);
}

/* Start the next pending migration's transaction, or finish. */
static void
migrate_begin_next(struct migrate_op *op)
{
	while (op->cur < NMIGRATIONS && op->applied[op->cur])
		op->cur++;
	if (op->cur == NMIGRATIONS) {
		migrate_finish(op, NULL);
		return;
	}
	migrate_next(op, MIGRATE_BEGIN, "BEGIN", 0, NULL);
}

static int
result_bool(const PGresult *res, int row, int col)
{
	return PQntuples(res) > row && !PQgetisnull(res, row, col) &&
	    strcmp(PQgetvalue(res, row, col), "t") == 0;
}

static int
result_int(const PGresult *res, int row, int col)
{
	if (PQntuples(res) <= row || PQgetisnull(res, row, col))
		return 0;
	return atoi(PQgetvalue(res, row, col));
}

static void
step_list(struct migrate_op *op, const PGresult *res)
{
	int i;

	for (i = 0; i < PQntuples(res); i++)
		migrate_mark(op, result_int(res, i, 0));
	if (op->st.too_new) {
		migrate_too_new(op);
		migrate_finish(op, op->err);
		return;
	}
	if (!op->apply) {
		migrate_finish(op, NULL);
		return;
	}
	migrate_begin_next(op);
}

/* Inside the lock: what is applied now (a concurrent run may have been
 * first, or a newer binary). */
static void
step_recheck(struct migrate_op *op, const PGresult *res)
{
	int max = result_int(res, 0, 1);

	if (max > op->st.current)
		op->st.current = max;
	op->st.too_new = op->st.current > op->st.latest;
	if (op->st.too_new) {
		migrate_too_new(op);
		migrate_next(op, MIGRATE_ROLLBACK, "ROLLBACK", 0, NULL);
		return;
	}
	if (result_bool(res, 0, 0)) {	/* a concurrent run was first */
		migrate_next(op, MIGRATE_ROLLBACK, "ROLLBACK", 0, NULL);
		return;
	}
	migrate_next(op, MIGRATE_SCRIPT, migrations[op->cur].sql, 0, NULL);
}

static void
step_ok(struct migrate_op *op, const PGresult *res)
{
	const struct migration *m = &migrations[op->cur];
	char version[16];
	const char *params[2];
	const char *lock[1] = { MIGRATE_LOCK_KEY };

	snprintf(version, sizeof(version), "%d", m->version);
	params[0] = version;
	params[1] = m->name;
	switch (op->step) {
	case MIGRATE_PROBE:
		op->seen_table = result_bool(res, 0, 0);
		if (op->seen_table)
			migrate_next(op, MIGRATE_LIST, "SELECT version FROM "
			    "magsync.schema_migrations ORDER BY version", 0,
			    NULL);
		else if (op->apply)
			migrate_begin_next(op);
		else
			migrate_finish(op, NULL);
		break;
	case MIGRATE_LIST:
		step_list(op, res);
		break;
	case MIGRATE_BEGIN:
		migrate_next(op, MIGRATE_LOCK,
		    "SELECT pg_advisory_xact_lock($1::bigint)", 1, lock);
		break;
	case MIGRATE_LOCK:
		migrate_next(op, MIGRATE_REPROBE, reprobe_sql, 0, NULL);
		break;
	case MIGRATE_REPROBE:
		if (result_bool(res, 0, 0) && !op->seen_table) {
			op->seen_table = 1;
			op->restart = 1;
			migrate_next(op, MIGRATE_ROLLBACK, "ROLLBACK", 0,
			    NULL);
		} else if (result_bool(res, 0, 0))
			migrate_next(op, MIGRATE_RECHECK, "SELECT "
			    "coalesce(bool_or(version = $1::integer), false), "
			    "coalesce(max(version), 0) "
			    "FROM magsync.schema_migrations", 1, params);
		else
			migrate_next(op, MIGRATE_SCRIPT, m->sql, 0, NULL);
		break;
	case MIGRATE_RECHECK:
		step_recheck(op, res);
		break;
	case MIGRATE_SCRIPT:
		migrate_next(op, MIGRATE_RECORD, "INSERT INTO "
		    "magsync.schema_migrations (version, name) "
		    "VALUES ($1::integer, $2)", 2, params);
		break;
	case MIGRATE_RECORD:
		migrate_next(op, MIGRATE_COMMIT, "COMMIT", 0, NULL);
		break;
	case MIGRATE_COMMIT:
		migrate_mark(op, m->version);
		op->napplied++;
		op->seen_table = 1;
		if (op->on_applied != NULL)
			op->on_applied(m->version, m->name, op->arg);
		migrate_begin_next(op);
		break;
	case MIGRATE_ROLLBACK:
		if (op->err[0] != '\0') {
			migrate_finish(op, op->err);
		} else if (op->restart) {
			op->restart = 0;
			migrate_begin_next(op);
		} else {	/* someone else applied it */
			migrate_mark(op, m->version);
			migrate_begin_next(op);
		}
		break;
	}
}

static void
on_result(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct migrate_op *op = arg;
	const char *name = migrations[op->cur].name;

	(void)db;
	if (err == NULL) {
		step_ok(op, res);
		return;
	}
	if (res == NULL || op->step == MIGRATE_ROLLBACK ||
	    op->step < MIGRATE_BEGIN) {
		/* Connection gone (the server rolls back), a failed ROLLBACK,
		 * or nothing to roll back: finish now. */
		if (op->err[0] == '\0')
			snprintf(op->err, sizeof(op->err), "%s", err);
		migrate_finish(op, op->err);
		return;
	}
	if (op->step == MIGRATE_LOCK)
		migrate_abort(op, "%s: cannot take the migration lock: %s",
		    name, err);
	else
		migrate_abort(op, "%s: %s", name, err);
}

static int
migrate_start(struct db *db, int apply, migrate_applied_cb *on_applied,
    migrate_done_cb *done, migrate_status_cb *status_cb, void *arg)
{
	struct migrate_op *op;
	int rc;

	if ((op = calloc(1, sizeof(*op))) == NULL)
		return -ENOMEM;
	op->db = db;
	op->apply = apply;
	op->on_applied = on_applied;
	op->done = done;
	op->status_cb = status_cb;
	op->arg = arg;
	op->st.latest = migrate_latest();
	if ((rc = migrate_send(op, MIGRATE_PROBE, probe_sql, 0, NULL)) != 0) {
		free(op);
		return rc;
	}
	return 0;
}

int
migrate_status(struct db *db, migrate_status_cb *cb, void *arg)
{
	if (cb == NULL)
		return -EINVAL;
	return migrate_start(db, 0, NULL, NULL, cb, arg);
}

int
migrate_run(struct db *db, migrate_applied_cb *on_applied,
    migrate_done_cb *done, void *arg)
{
	if (done == NULL)
		return -EINVAL;
	return migrate_start(db, 1, on_applied, done, NULL, arg);
}
