/* bulk.h - page-sized upserts into PostgreSQL.
 *
 * A process writes each page of Magento data in one transaction: it sends
 * BEGIN, one bulk_upsert per table, then COMMIT, all on its run's
 * connection. bulk_upsert turns the page's rows into as few statements as
 * it can and queues them all at once (the connection runs them in order).
 *
 * Three strategies, measured against each other and against a plain COPY
 * by tests/bench/bulk.sh:
 *   BULK_ARRAYS  INSERT ... SELECT ... FROM unnest($1::type[], ...)
 *                ON CONFLICT (key) DO UPDATE: one statement per group of
 *                rows, one array parameter per column (the default);
 *   BULK_VALUES  multi-row INSERT ... VALUES ($1, $2, ...), (...)
 *                ON CONFLICT (key) DO UPDATE;
 *   BULK_STAGE   COPY into a temporary staging table, then
 *                INSERT ... SELECT ... ON CONFLICT (key) DO UPDATE.
 * BULK_AUTO is the winner (bulk.c's top comment has the figures).
 *
 * SQL is never built from data: table, column, type and key names come
 * from a static const struct bulk_table; values travel as parameters
 * (ARRAYS: array literals with every element double-quoted and '"' and
 * '\\' escaped; VALUES: one parameter per value) or as COPY text with
 * \t \n \r \\ escaped (STAGE).
 *
 * Rows carry a "written" mask (bit i = column i): a column a template maps
 * to `skip` is not written, so a new row gets the column's default and an
 * existing row keeps its value. Rows are grouped by mask; each group is one
 * statement (BULK_VALUES: more when a group would pass PostgreSQL's 65535
 * parameters). */
#ifndef MS_BULK_H
#define MS_BULK_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct db;
struct run;

/* At most this many columns per table (the written mask is 64 bits). */
#define BULK_MAX_COLS	64

/* struct bulk_col flags. */
#define BULK_KEY	0x01	/* part of the conflict key; must be written */
#define BULK_KEEP	0x02	/* written on insert only, never on update
				 * (listings.status: `paused` for new ones) */

struct bulk_col {
	const char *name;	/* SQL identifier */
	const char *type;	/* SQL type of the column: "text", "numeric",
				 * "bigint", "text[]", "jsonb", "timestamptz" */
	unsigned flags;
};

/* A table's upsert shape. Static const, never built from data. */
struct bulk_table {
	const char *table;	/* "magsync.listings" */
	const char *staging;	/* temporary table for BULK_STAGE:
				 * "bulk_listings" */
	const struct bulk_col *cols;
	int ncols;		/* 1..BULK_MAX_COLS */
	/* Leave a row alone when no updated column would change (no dead
	 * tuple, no updated_at touch by the table's trigger). Such rows are
	 * then missing from RETURNING. */
	int skip_unchanged;
	const char *returning;	/* NULL, or e.g. "id, sku" */
};

enum bulk_strategy { BULK_AUTO, BULK_VALUES, BULK_STAGE, BULK_ARRAYS };

/* "auto", "values", "stage", "arrays"; bulk_strategy_from_name gives -1
 * for another name. */
const char *bulk_strategy_name(enum bulk_strategy s);
int bulk_strategy_from_name(const char *name);

enum bulk_conflict {
	BULK_UPDATE,		/* existing rows get the written columns */
	BULK_NOTHING		/* existing rows are left alone (create_only) */
};

/* Where the statements go: a connection and how to queue on it. Both hooks
 * follow db_query's contract (0: cb will be called exactly once, later;
 * negative: not queued, cb never called). copy_in may be NULL: BULK_STAGE
 * then falls back to BULK_AUTO. */
typedef void bulk_res_cb(PGresult *res, const char *err, void *arg);
struct bulk_conn {
	int (*query)(void *conn, const char *sql, int nparams,
	    const char *const *params, bulk_res_cb *cb, void *arg);
	int (*copy_in)(void *conn, const char *sql, const char *data,
	    size_t len, bulk_res_cb *cb, void *arg);
	void *conn;
};

/* A bulk_conn on a struct db (borrowed; must outlive the queued work). */
void bulk_conn_db(struct bulk_conn *bc, struct db *db);
/* A bulk_conn on a run's own connection (run_query; no COPY). */
void bulk_conn_run(struct bulk_conn *bc, struct run *r);

/* The whole upsert has ended. err NULL: every statement succeeded and
 * affected rows were inserted or updated (rows skipped as unchanged or by
 * BULK_NOTHING not counted); else the first error, one line without
 * values (a failed statement inside the caller's transaction aborts it:
 * the caller rolls back). sqlstate: that error's SQLSTATE or "". */
typedef void bulk_done_cb(const char *err, const char *sqlstate,
    int64_t affected, void *arg);
/* One statement's RETURNING rows (res borrowed for the call). */
typedef void bulk_rows_cb(PGresult *res, void *arg);

struct bulk_req {
	const struct bulk_table *spec;
	size_t nrows;
	/* nrows * ncols values, row-major; NULL = SQL NULL; text in the
	 * column type's input syntax (arrays as "{a,b}", JSON as text).
	 * Borrowed for the call only: everything is copied before
	 * bulk_upsert returns. */
	const char *const *values;
	/* Per row: bit i set = column i written. NULL: every column. Bits
	 * beyond ncols are ignored; BULK_KEY columns must be written. */
	const uint64_t *written;
	enum bulk_conflict conflict;
	enum bulk_strategy strategy;
	bulk_rows_cb *on_rows;	/* NULL unless spec->returning */
	bulk_done_cb *done;
	void *arg;
};

/* Queue the upsert of req's rows. Rows with the same key (all BULK_KEY
 * values equal) collapse into the last one: one statement cannot touch a
 * row twice. Returns 0 (done is called exactly once, never from inside
 * bulk_upsert; on_rows before it, once per statement) or a negative errno
 * and neither is called: -EINVAL (bad spec or request, a BULK_KEY column
 * not written or NULL), -ENOMEM, or the hook's error (-ENOTCONN) when not
 * even the first statement could be queued. Invalid UTF-8 is left to
 * PostgreSQL, which refuses it (an error through done). nrows == 0 queues
 * a trivial statement, so done still comes from the connection.
 *
 * BULK_STAGE must run inside the caller's transaction (BEGIN ... COMMIT):
 * the staging table empties itself at every commit. */
int bulk_upsert(const struct bulk_conn *bc, const struct bulk_req *req);

/* COPY text-format escaping of one value (NULL gives "\N") appended to
 * *buf (realloc'd, *len and *cap updated). Returns 0 or -ENOMEM. Exposed
 * for tests and the benchmark's plain COPY. */
int bulk_copy_escape(char **buf, size_t *len, size_t *cap, const char *v);

#endif
