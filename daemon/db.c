/* db.c - one PostgreSQL connection, asynchronous on the libuv loop.
 *
 * Two state machines. The connection: CONNECTING (PQconnectPoll driven by
 * the socket, under a deadline) -> UP -> DOWN (lost; reconnect after a
 * backoff, or stay down) and CLOSING (db_free). The running query, while
 * UP: IDLE -> FLUSH -> RESULTS -> IDLE, with COPY_DATA and COPY_END between
 * RESULTS and FLUSH for COPY FROM STDIN.
 *
 * Memory: struct db embeds the timer; poll handles are allocated on their
 * own, because libpq may change its socket while connecting and a handle
 * cannot move to another fd. Each close callback drops db->nhandles; the
 * one that reaches zero after db_free frees the struct. Until then the
 * struct stays valid, which is what makes db_free safe inside callbacks:
 * every path that calls a user callback re-checks db->state afterwards. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

#define DB_CONNECT_TIMEOUT_MS	10000
#define DB_BACKOFF_MIN_MS	1000
#define DB_BACKOFF_MAX_MS	30000
#define DB_COPY_CHUNK		65536
#define DB_ERR_MAX		512

enum db_state {
	DB_START_FAILED,	/* connect could not start: reported by timer */
	DB_CONNECTING,
	DB_UP,
	DB_DOWN,		/* waiting for the backoff timer, or for good */
	DB_CLOSING
};

enum db_phase {
	DB_PH_IDLE,		/* nothing in flight */
	DB_PH_FLUSH,		/* a message is in libpq's buffer */
	DB_PH_RESULTS,		/* reading results until PQgetResult is NULL */
	DB_PH_COPY_DATA,	/* server in COPY IN: sending the payload */
	DB_PH_COPY_END		/* payload sent, PQputCopyEnd pending */
};

enum db_kind { DB_Q_PARAMS, DB_Q_SCRIPT, DB_Q_COPY };

/* What a step of the query machine tells the drive loop. */
enum db_step { DB_STEP_WAIT, DB_STEP_AGAIN };

struct db_query {
	struct db_query *next;
	enum db_kind kind;
	char *sql;
	int nparams;
	char **params;
	char *data;		/* COPY payload */
	size_t len, off;
	db_query_cb *cb;
	void *arg;
};

struct db_poll {
	uv_poll_t handle;	/* first: the handle pointer is the struct's */
	struct db *db;
};

struct db {
	uv_loop_t *loop;
	char *conninfo;
	int reconnect;
	db_state_cb *on_state;
	void *arg;

	enum db_state state;
	enum db_phase phase;
	PGconn *conn;
	struct db_poll *poll;	/* NULL when no socket is watched */
	int poll_fd;
	int poll_events;	/* -1: not started */

	uv_timer_t timer;	/* connect deadline, backoff, deferred failure */
	uint64_t backoff_ms;

	struct db_query *head, *tail;	/* head runs when phase != IDLE */
	PGresult *keep;		/* what the running query will deliver */
	int driving;		/* inside db_drive */
	int nhandles;		/* open libuv handles */
	char err[DB_ERR_MAX];	/* a failure waiting for the timer */
};

static void db_drive(struct db *db, int readable);
static void db_lost(struct db *db, const char *why);
static void on_poll(uv_poll_t *h, int status, int events);
static void on_timer(uv_timer_t *t);

/* Copy msg into buf as one line: whitespace runs (libpq's messages carry
 * newlines and tabs) become one space, ends trimmed. */
static void
db_oneline(char *buf, size_t len, const char *msg)
{
	size_t n = 0;
	int space = 0;

	if (msg == NULL || *msg == '\0')
		msg = "unknown error";
	for (; *msg != '\0' && n + 1 < len; msg++) {
		if (*msg == ' ' || *msg == '\n' || *msg == '\t' ||
		    *msg == '\r') {
			space = n > 0;
			continue;
		}
		if (space && n + 2 < len)
			buf[n++] = ' ';
		space = 0;
		buf[n++] = *msg;
	}
	buf[n] = '\0';
}

/* The error of a final result as one line, or NULL if it succeeded. */
static const char *
db_result_error(const PGresult *res, char *buf, size_t len)
{
	const char *primary, *detail;
	char tmp[DB_ERR_MAX];

	if (res == NULL) {
		snprintf(buf, len, "no result from the server");
		return buf;
	}
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
	case PGRES_COPY_IN:
	case PGRES_COPY_OUT:
		return NULL;
	default:
		break;
	}
	primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	if (primary == NULL)
		primary = PQresultErrorMessage(res);
	if (detail != NULL)
		snprintf(tmp, sizeof(tmp), "%s (%s)", primary, detail);
	else
		snprintf(tmp, sizeof(tmp), "%s", primary);
	db_oneline(buf, len, tmp);
	return buf;
}

const char *
db_sqlstate(const PGresult *res)
{
	const char *s;

	if (res == NULL)
		return "";
	s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return s != NULL ? s : "";
}

/* Notices ("schema exists, skipping") are not errors; libpq would print
 * them on stderr. */
static void
on_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* A timer call that fails is a broken invariant (the timer is only closed
 * by db_free, after which nothing arms it). */
static void
db_timer_start(struct db *db, uint64_t ms)
{
	if (uv_timer_start(&db->timer, on_timer, ms, 0) != 0)
		abort();
}

static void
db_timer_stop(struct db *db)
{
	if (uv_timer_stop(&db->timer) != 0)
		abort();
}

/* ---- handles and memory ------------------------------------------------ */

static void
db_destroy(struct db *db)
{
	if (db->conninfo != NULL) {
		/* It may hold a password. */
		explicit_bzero(db->conninfo, strlen(db->conninfo));
		free(db->conninfo);
	}
	free(db);
}

static void
db_handle_gone(struct db *db)
{
	if (--db->nhandles == 0 && db->state == DB_CLOSING)
		db_destroy(db);
}

static void
on_poll_close(uv_handle_t *h)
{
	struct db_poll *p = (struct db_poll *)h;
	struct db *db = p->db;

	free(p);
	db_handle_gone(db);
}

static void
on_timer_close(uv_handle_t *h)
{
	db_handle_gone(h->data);
}

/* Stop watching the socket. Must come before PQfinish: libuv removes the
 * fd from epoll synchronously here, before libpq closes it. */
static void
db_poll_close(struct db *db)
{
	if (db->poll == NULL)
		return;
	uv_close((uv_handle_t *)&db->poll->handle, on_poll_close);
	db->poll = NULL;
	db->poll_fd = -1;
	db->poll_events = -1;
}

/* Watch libpq's socket for events. A different socket than before gets a
 * new handle (the old one is closed first: never two handles on one fd).
 * force re-registers even for unchanged events: while connecting, libpq
 * may close its socket and open another that gets the same number, which
 * epoll has forgotten. Returns 0 or a negative libuv code. */
static int
db_arm(struct db *db, int events, int force)
{
	struct db_poll *p;
	int fd, rc;

	fd = PQsocket(db->conn);
	if (fd < 0)
		return UV_EBADF;
	if (db->poll != NULL && db->poll_fd != fd)
		db_poll_close(db);
	if (db->poll == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return UV_ENOMEM;
		if ((rc = uv_poll_init(db->loop, &p->handle, fd)) != 0) {
			free(p);
			return rc;
		}
		p->db = db;
		db->nhandles++;
		db->poll = p;
		db->poll_fd = fd;
		db->poll_events = -1;
	}
	if (!force && events == db->poll_events)
		return 0;
	if ((rc = uv_poll_start(&db->poll->handle, events, on_poll)) != 0)
		return rc;
	db->poll_events = events;
	return 0;
}

/* db_arm, and on failure the connection is lost. Returns the step result
 * for the drive loop (it stops either way: waiting, or no longer UP). */
static enum db_step
db_wait(struct db *db, int events)
{
	char msg[128];
	int rc;

	if ((rc = db_arm(db, events, 0)) != 0) {
		snprintf(msg, sizeof(msg), "cannot watch the socket: %s",
		    uv_strerror(rc));
		db_lost(db, msg);
	}
	return DB_STEP_WAIT;
}

/* ---- queries ----------------------------------------------------------- */

static void
db_query_free(struct db_query *q)
{
	int i;

	if (q == NULL)
		return;
	free(q->sql);
	for (i = 0; i < q->nparams && q->params != NULL; i++)
		free(q->params[i]);
	free(q->params);
	free(q->data);
	free(q);
}

static struct db_query *
db_query_new(enum db_kind kind, const char *sql, int nparams,
    const char *const *params, db_query_cb *cb, void *arg)
{
	struct db_query *q;
	int i;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->kind = kind;
	q->cb = cb;
	q->arg = arg;
	if ((q->sql = strdup(sql)) == NULL)
		goto fail;
	if (nparams > 0) {
		if ((q->params = calloc((size_t)nparams, sizeof(char *))) ==
		    NULL)
			goto fail;
		q->nparams = nparams;
		for (i = 0; i < nparams; i++)
			if (params[i] != NULL &&
			    (q->params[i] = strdup(params[i])) == NULL)
				goto fail;
	}
	return q;
fail:
	db_query_free(q);
	return NULL;
}

/* Take the head off the queue and answer it. res is the caller's and is
 * cleared here after the callback. */
static void
db_deliver(struct db *db, PGresult *res, const char *err)
{
	struct db_query *q = db->head;

	db->head = q->next;
	if (db->head == NULL)
		db->tail = NULL;
	db->phase = DB_PH_IDLE;
	q->cb(db, res, err, q->arg);
	PQclear(res);
	db_query_free(q);
}

/* Answer every queued query with err. A callback may call db_free, which
 * answers the rest with "closing" itself; db_query is refused meanwhile
 * because the state is not UP. */
static void
db_fail_all(struct db *db, const char *err)
{
	struct db_query *q;

	while ((q = db->head) != NULL) {
		db->head = q->next;
		if (db->head == NULL)
			db->tail = NULL;
		q->cb(db, NULL, err, q->arg);
		db_query_free(q);
	}
}

static int
db_enqueue(struct db *db, struct db_query *q)
{
	int rc;

	/* Idle: send from the loop, not from inside the caller (a send that
	 * fails at once would call cb before db_query returns). The idle
	 * socket is writable, so this fires on the next loop iteration.
	 * Otherwise the running machine gets to q by itself. */
	if (!db->driving && db->phase == DB_PH_IDLE &&
	    (rc = db_arm(db, UV_READABLE | UV_WRITABLE, 0)) != 0)
		return rc;
	if (db->tail != NULL)
		db->tail->next = q;
	else
		db->head = q;
	db->tail = q;
	return 0;
}

static int
db_submit(struct db *db, enum db_kind kind, const char *sql, int nparams,
    const char *const *params, db_query_cb *cb, void *arg)
{
	struct db_query *q;
	int rc;

	if (db == NULL || db->state != DB_UP)
		return -ENOTCONN;
	if (sql == NULL || cb == NULL || nparams < 0 ||
	    (nparams > 0 && params == NULL))
		return -EINVAL;
	if ((q = db_query_new(kind, sql, nparams, params, cb, arg)) == NULL)
		return -ENOMEM;
	if ((rc = db_enqueue(db, q)) != 0) {
		db_query_free(q);
		return rc == UV_ENOMEM ? -ENOMEM : -EIO;
	}
	return 0;
}

int
db_query(struct db *db, const char *sql, int nparams,
    const char *const *params, db_query_cb *cb, void *arg)
{
	return db_submit(db, DB_Q_PARAMS, sql, nparams, params, cb, arg);
}

int
db_script(struct db *db, const char *sql, db_query_cb *cb, void *arg)
{
	return db_submit(db, DB_Q_SCRIPT, sql, 0, NULL, cb, arg);
}

int
db_copy_in(struct db *db, const char *sql, const char *data, size_t len,
    db_query_cb *cb, void *arg)
{
	struct db_query *q;
	int rc;

	if (db == NULL || db->state != DB_UP)
		return -ENOTCONN;
	if (sql == NULL || cb == NULL || (data == NULL && len > 0))
		return -EINVAL;
	if ((q = db_query_new(DB_Q_COPY, sql, 0, NULL, cb, arg)) == NULL)
		return -ENOMEM;
	if (len > 0) {
		if ((q->data = malloc(len)) == NULL) {
			db_query_free(q);
			return -ENOMEM;
		}
		memcpy(q->data, data, len);
		q->len = len;
	}
	if ((rc = db_enqueue(db, q)) != 0) {
		db_query_free(q);
		return rc == UV_ENOMEM ? -ENOMEM : -EIO;
	}
	return 0;
}

/* ---- the query machine ------------------------------------------------- */

static int
db_send(struct db *db, const struct db_query *q)
{
	switch (q->kind) {
	case DB_Q_SCRIPT:
		return PQsendQuery(db->conn, q->sql);
	case DB_Q_PARAMS:
	case DB_Q_COPY:
		break;
	}
	return PQsendQueryParams(db->conn, q->sql, q->nparams, NULL,
	    (const char *const *)q->params, NULL, NULL, 0);
}

static enum db_step
db_step_idle(struct db *db)
{
	PGnotify *n;
	char err[DB_ERR_MAX];

	while ((n = PQnotifies(db->conn)) != NULL)
		PQfreemem(n);
	if (PQstatus(db->conn) == CONNECTION_BAD) {
		db_lost(db, PQerrorMessage(db->conn));
		return DB_STEP_AGAIN;
	}
	if (db->head == NULL)
		return db_wait(db, UV_READABLE);
	if (!db_send(db, db->head)) {
		db_oneline(err, sizeof(err), PQerrorMessage(db->conn));
		if (PQstatus(db->conn) == CONNECTION_BAD)
			db_lost(db, err);
		else	/* this query's fault (e.g. too many parameters) */
			db_deliver(db, NULL, err);
		return DB_STEP_AGAIN;
	}
	db->phase = DB_PH_FLUSH;
	return DB_STEP_AGAIN;
}

static enum db_step
db_step_flush(struct db *db)
{
	int rc = PQflush(db->conn);

	if (rc < 0) {
		db_lost(db, PQerrorMessage(db->conn));
		return DB_STEP_AGAIN;
	}
	if (rc > 0)	/* readable too: the server may talk while we send */
		return db_wait(db, UV_READABLE | UV_WRITABLE);
	db->phase = DB_PH_RESULTS;
	return DB_STEP_AGAIN;
}

static int
db_result_failed(const PGresult *res)
{
	ExecStatusType s = PQresultStatus(res);

	return s == PGRES_FATAL_ERROR || s == PGRES_BAD_RESPONSE ||
	    s == PGRES_NONFATAL_ERROR;
}

/* Several results (a script): deliver the first error, else the last. */
static void
db_keep(struct db *db, PGresult *res)
{
	if (db->keep != NULL && db_result_failed(db->keep)) {
		PQclear(res);
		return;
	}
	PQclear(db->keep);
	db->keep = res;
}

static enum db_step
db_step_results(struct db *db)
{
	PGresult *res;
	char buf[DB_ERR_MAX];
	const char *err;

	for (;;) {
		if (PQisBusy(db->conn))
			return db_wait(db, UV_READABLE);
		if ((res = PQgetResult(db->conn)) == NULL)
			break;
		switch (PQresultStatus(res)) {
		case PGRES_COPY_IN:
			PQclear(res);
			db->phase = DB_PH_COPY_DATA;
			return DB_STEP_AGAIN;
		case PGRES_COPY_OUT:
		case PGRES_COPY_BOTH:
			/* Nothing reads COPY OUT data: drop the connection
			 * rather than leave it in a state we cannot end. */
			PQclear(res);
			db_lost(db, "COPY TO STDOUT is not supported");
			return DB_STEP_AGAIN;
		default:
			db_keep(db, res);
			break;
		}
	}
	if (PQstatus(db->conn) == CONNECTION_BAD) {
		/* The result, if any, was "terminating connection" or alike:
		 * the query is answered as lost (res NULL). */
		if (db->keep != NULL && db_result_failed(db->keep))
			db_result_error(db->keep, buf, sizeof(buf));
		else
			db_oneline(buf, sizeof(buf),
			    PQerrorMessage(db->conn));
		db_lost(db, buf);
		return DB_STEP_AGAIN;
	}
	res = db->keep;
	db->keep = NULL;
	err = db_result_error(res, buf, sizeof(buf));
	db_deliver(db, res, err);
	return DB_STEP_AGAIN;
}

/* Feed the payload in chunks, flushing between them, so libpq's buffer
 * (which grows rather than refuses) holds at most about one chunk. */
static enum db_step
db_step_copy_data(struct db *db)
{
	struct db_query *q = db->head;
	size_t n;
	int rc;

	while (q->off < q->len) {
		if ((rc = PQflush(db->conn)) < 0) {
			db_lost(db, PQerrorMessage(db->conn));
			return DB_STEP_AGAIN;
		}
		if (rc > 0)
			return db_wait(db, UV_READABLE | UV_WRITABLE);
		n = q->len - q->off;
		if (n > DB_COPY_CHUNK)
			n = DB_COPY_CHUNK;
		rc = PQputCopyData(db->conn, q->data + q->off, (int)n);
		if (rc < 0) {
			db_lost(db, PQerrorMessage(db->conn));
			return DB_STEP_AGAIN;
		}
		if (rc == 0)
			return db_wait(db, UV_READABLE | UV_WRITABLE);
		q->off += n;
	}
	db->phase = DB_PH_COPY_END;
	return DB_STEP_AGAIN;
}

static enum db_step
db_step_copy_end(struct db *db)
{
	/* A COPY FROM STDIN sent through db_query has no payload: make the
	 * server fail it instead of loading nothing. */
	const char *abort_msg = db->head->kind == DB_Q_COPY ? NULL :
	    "COPY FROM STDIN needs db_copy_in";
	int rc = PQputCopyEnd(db->conn, abort_msg);

	if (rc < 0) {
		db_lost(db, PQerrorMessage(db->conn));
		return DB_STEP_AGAIN;
	}
	if (rc == 0)
		return db_wait(db, UV_READABLE | UV_WRITABLE);
	db->phase = DB_PH_FLUSH;
	return DB_STEP_AGAIN;
}

/* Run the query machine until it must wait for the socket or is no longer
 * UP. Re-entry (a callback queueing a query) only appends: the loop here
 * picks it up. */
static void
db_drive(struct db *db, int readable)
{
	enum db_step step = DB_STEP_AGAIN;

	if (db->driving)
		return;
	db->driving = 1;
	if (readable && !PQconsumeInput(db->conn)) {
		db_lost(db, PQerrorMessage(db->conn));
		db->driving = 0;
		return;
	}
	while (db->state == DB_UP && step == DB_STEP_AGAIN) {
		switch (db->phase) {
		case DB_PH_IDLE:
			step = db_step_idle(db);
			break;
		case DB_PH_FLUSH:
			step = db_step_flush(db);
			break;
		case DB_PH_RESULTS:
			step = db_step_results(db);
			break;
		case DB_PH_COPY_DATA:
			step = db_step_copy_data(db);
			break;
		case DB_PH_COPY_END:
			step = db_step_copy_end(db);
			break;
		}
	}
	db->driving = 0;
}

/* ---- the connection ---------------------------------------------------- */

/* Connecting failed before there was anything to poll: report it from the
 * timer, never from inside db_new or a caller's stack. */
static void
db_fail_soon(struct db *db, const char *why)
{
	db_oneline(db->err, sizeof(db->err), why);
	db->state = DB_START_FAILED;
	db_timer_start(db, 1);
}

/* Whether a conninfo string or URI may carry a password: a password key,
 * or a URI's user:password@. Errs on the side of yes. */
static int
db_has_password(const char *conninfo)
{
	const char *at, *colon;

	if (strcasestr(conninfo, "password") != NULL)
		return 1;
	if (strncmp(conninfo, "postgres", 8) != 0 ||
	    (at = strchr(conninfo, '@')) == NULL)
		return 0;
	colon = strstr(conninfo, "://");
	colon = colon != NULL ? strchr(colon + 3, ':') : NULL;
	return colon != NULL && colon < at;
}

static void
db_connect_start(struct db *db)
{
	const char *const keys[] = { "dbname", NULL };
	const char *const vals[] = { db->conninfo, NULL };
	char msg[128];
	int rc;

	/* expand_dbname: conninfo strings and URIs both work. */
	db->conn = PQconnectStartParams(keys, vals, 1);
	if (db->conn == NULL) {
		db_fail_soon(db, "out of memory");
		return;
	}
	if (PQstatus(db->conn) == CONNECTION_BAD) {
		/* A syntax error: libpq quotes the offending part of the
		 * string, which may be (part of) a password. */
		if (db_has_password(db->conninfo))
			db_fail_soon(db, "invalid connection string (libpq's "
			    "message withheld: the string holds a password)");
		else
			db_fail_soon(db, PQerrorMessage(db->conn));
		return;
	}
	PQsetNoticeProcessor(db->conn, on_notice, NULL);
	db->state = DB_CONNECTING;
	db->phase = DB_PH_IDLE;
	/* libpq: act as if PQconnectPoll had said WRITING. */
	if ((rc = db_arm(db, UV_WRITABLE, 1)) != 0) {
		snprintf(msg, sizeof(msg), "cannot watch the socket: %s",
		    uv_strerror(rc));
		db_fail_soon(db, msg);
		return;
	}
	db_timer_start(db, DB_CONNECT_TIMEOUT_MS);
}

static void
db_connected(struct db *db)
{
	int rc;

	if (PQsetnonblocking(db->conn, 1) != 0) {
		db_lost(db, PQerrorMessage(db->conn));
		return;
	}
	db_timer_stop(db);
	db->state = DB_UP;
	db->phase = DB_PH_IDLE;
	db->backoff_ms = DB_BACKOFF_MIN_MS;
	if ((rc = db_arm(db, UV_READABLE, 1)) != 0) {
		db_lost(db, uv_strerror(rc));
		return;
	}
	if (db->on_state != NULL)
		db->on_state(db, 1, NULL, db->arg);
}

static void
db_connect_step(struct db *db)
{
	PostgresPollingStatusType st = PQconnectPoll(db->conn);
	int rc;

	switch (st) {
	case PGRES_POLLING_READING:
	case PGRES_POLLING_WRITING:
		rc = db_arm(db, st == PGRES_POLLING_READING ? UV_READABLE :
		    UV_WRITABLE, 1);
		if (rc != 0)
			db_lost(db, uv_strerror(rc));
		return;
	case PGRES_POLLING_OK:
		db_connected(db);
		return;
	case PGRES_POLLING_FAILED:
	default:
		db_lost(db, PQerrorMessage(db->conn));
		return;
	}
}

/* The connection is gone (or never came): answer every query, tell the
 * owner, and come back later if asked to. */
static void
db_lost(struct db *db, const char *why)
{
	char err[DB_ERR_MAX];

	db_oneline(err, sizeof(err), why);
	db_poll_close(db);
	PQfinish(db->conn);
	db->conn = NULL;
	PQclear(db->keep);
	db->keep = NULL;
	db_timer_stop(db);
	db->state = DB_DOWN;
	db->phase = DB_PH_IDLE;
	db_fail_all(db, err);
	if (db->state != DB_DOWN)
		return;		/* freed from a callback */
	if (db->on_state != NULL)
		db->on_state(db, 0, err, db->arg);
	if (db->state != DB_DOWN || !db->reconnect)
		return;
	db_timer_start(db, db->backoff_ms);
	db->backoff_ms *= 2;
	if (db->backoff_ms > DB_BACKOFF_MAX_MS)
		db->backoff_ms = DB_BACKOFF_MAX_MS;
}

static void
on_poll(uv_poll_t *h, int status, int events)
{
	struct db *db = ((struct db_poll *)h)->db;
	char msg[128];

	if (db->poll == NULL || &db->poll->handle != h)
		return;		/* a handle being replaced */
	if (status < 0 && db->state == DB_CONNECTING) {
		/* libuv reports POLLERR (a refused connect, say) as an error
		 * and stops the handle; libpq reads the socket error itself
		 * and may go on to the next host. db_connect_step re-arms. */
		db_connect_step(db);
		return;
	}
	if (status < 0) {
		snprintf(msg, sizeof(msg), "socket error: %s",
		    uv_strerror(status));
		db_lost(db, msg);
		return;
	}
	switch (db->state) {
	case DB_CONNECTING:
		db_connect_step(db);
		break;
	case DB_UP:
		db_drive(db, (events & UV_READABLE) != 0);
		break;
	default:
		break;
	}
}

static void
on_timer(uv_timer_t *t)
{
	struct db *db = t->data;
	char msg[64];

	switch (db->state) {
	case DB_CONNECTING:
		snprintf(msg, sizeof(msg), "connection timed out after %d s",
		    DB_CONNECT_TIMEOUT_MS / 1000);
		db_lost(db, msg);
		break;
	case DB_START_FAILED:
		db_lost(db, db->err);
		break;
	case DB_DOWN:
		db_connect_start(db);
		break;
	default:
		break;
	}
}

struct db *
db_new(uv_loop_t *loop, const char *conninfo, int reconnect,
    db_state_cb *on_state, void *arg)
{
	struct db *db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	if ((db->conninfo = strdup(conninfo != NULL ? conninfo : "")) ==
	    NULL) {
		free(db);
		return NULL;
	}
	if (uv_timer_init(loop, &db->timer) != 0) {
		db_destroy(db);
		return NULL;
	}
	db->timer.data = db;
	db->nhandles = 1;
	db->loop = loop;
	db->reconnect = reconnect;
	db->on_state = on_state;
	db->arg = arg;
	db->poll_fd = -1;
	db->poll_events = -1;
	db->backoff_ms = DB_BACKOFF_MIN_MS;
	db_connect_start(db);
	return db;
}

int
db_is_up(const struct db *db)
{
	return db != NULL && db->state == DB_UP;
}

void
db_free(struct db *db)
{
	if (db == NULL || db->state == DB_CLOSING)
		return;
	db->state = DB_CLOSING;
	db_poll_close(db);
	PQfinish(db->conn);
	db->conn = NULL;
	PQclear(db->keep);
	db->keep = NULL;
	uv_close((uv_handle_t *)&db->timer, on_timer_close);
	db_fail_all(db, "closing");
}
