/* db.h - one PostgreSQL connection, asynchronous on the libuv loop.
 *
 * libpq in non-blocking mode behind one uv_poll_t (STYLE.md §20-21). The
 * connection starts at db_new and comes back by itself after a loss, with
 * backoff (1 s doubling to 30 s); on_state reports each change. Queries are
 * queued and run one at a time, in order.
 *
 * Callbacks never run inside db_query/db_copy_in/db_script (even a query
 * libpq refuses at once is answered from the loop), only from the loop or,
 * with err "closing", inside db_free. Any callback may call db_query or
 * db_free. A connect attempt has a 10 s deadline; connect_timeout in the
 * conninfo has no effect. Notices are discarded. */
#ifndef MS_DB_H
#define MS_DB_H

#include <libpq-fe.h>
#include <uv.h>

struct db;

/* One query's end. res: the query's last result, borrowed (cleared after
 * the callback returns); NULL when the connection was lost or the db is
 * being freed. err: NULL on success (PGRES_COMMAND_OK / TUPLES_OK /
 * COPY_*), else a one-line message without secrets. Called exactly once
 * per accepted query. */
typedef void db_query_cb(struct db *db, PGresult *res, const char *err,
    void *arg);

/* The connection went up (up = 1) or down (up = 0, err says why). Down is
 * also reported for every failed connection attempt, including the first;
 * with reconnect the next attempt follows after the backoff. When a loss
 * fails queries, their callbacks run before on_state. */
typedef void db_state_cb(struct db *db, int up, const char *err, void *arg);

/* Start connecting. conninfo is copied. reconnect: come back after losses
 * (daemon) or stay down (one-shot commands). New, or NULL on OOM. */
struct db *db_new(uv_loop_t *loop, const char *conninfo, int reconnect,
    db_state_cb *on_state, void *arg);

/* Queue a parameterised statement; params (text format, NULL = SQL NULL)
 * are copied. Returns 0 (cb will be called once) or -ENOTCONN when the
 * connection is not up (cb is not called). */
int db_query(struct db *db, const char *sql, int nparams,
    const char *const *params, db_query_cb *cb, void *arg);

/* Queue COPY ... FROM STDIN with the whole text-format payload; data is
 * copied. Same contract as db_query. */
int db_copy_in(struct db *db, const char *sql, const char *data, size_t len,
    db_query_cb *cb, void *arg);

/* Queue a script: several statements separated by ';', no parameters,
 * sent with the simple query protocol (PQsendQuery). For trusted SQL
 * only (migrations): never build one from data. res is the first failed
 * statement's result, else the last one's. Same contract as db_query. */
int db_script(struct db *db, const char *sql, db_query_cb *cb, void *arg);

int db_is_up(const struct db *db);

/* The SQLSTATE of a failed result ("23505"), or "" (res NULL, success,
 * or a client-side error). Borrowed from res. */
const char *db_sqlstate(const PGresult *res);

/* Stop: queued and running queries get their callback with res NULL and
 * err "closing"; handles close; memory goes in the close callback.
 * NULL is a no-op. */
void db_free(struct db *db);

#endif
