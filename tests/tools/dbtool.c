/* dbtool - drive daemon/db.c and daemon/migrate.c for integration tests.
 *
 *   dbtool CONNINFO queries N     N pipelined parameterised queries, in
 *                                 order, then a 4 MiB parameter
 *   dbtool CONNINFO copy M        COPY M rows in, count them, a bad COPY
 *   dbtool CONNINFO errors        SQL errors, scripts, COPY misuse, too many
 *                                 parameters: each answered, connection kept
 *   dbtool CONNINFO free          db_free from inside callbacks and early
 *   dbtool CONNINFO connect       connect, one query (multi-host strings)
 *   dbtool CONNINFO reconnect S   a long query, stopped by a server restart;
 *                                 then a query every 100 ms; done after one
 *                                 succeeds on the second connection (S
 *                                 seconds at most)
 *   dbtool CONNINFO status        migrate_status
 *   dbtool CONNINFO migrate       migrate_run
 *
 * One line per event on stdout; the last line says "... ok" on success.
 * Exit 0 ok, 1 failed, 2 timed out. Every mode ends with the loop run dry
 * and uv_loop_close() == 0. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "db.h"
#include "migrate.h"

struct tool {
	uv_loop_t loop;
	uv_timer_t guard;
	uv_timer_t tick;
	int tick_on;
	struct db *db;
	long n;
	int status;
	int over;
	long count;		/* answers seen */
	int step;		/* errors mode */
	int ups;
	int inflight;
	int in_call;		/* inside db_query: a callback now is a bug */
	int closing_seen;
	int frees;		/* free mode: sub-tests finished */
};

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void
on_close_nop(uv_handle_t *h)
{
	(void)h;
}

static void
finish(struct tool *t, int status, const char *fmt, ...)
{
	va_list ap;

	if (t->over)
		return;
	t->over = 1;
	t->status = status;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	db_free(t->db);
	uv_close((uv_handle_t *)&t->guard, on_close_nop);
	if (t->tick_on)
		uv_close((uv_handle_t *)&t->tick, on_close_nop);
}

static void
on_guard(uv_timer_t *h)
{
	struct tool *t = h->data;

	finish(t, 2, "timeout");
}

static int
submit(struct tool *t, const char *sql, int n, const char *const *p,
    db_query_cb *cb)
{
	int rc;

	t->in_call = 1;
	rc = db_query(t->db, sql, n, p, cb, t);
	t->in_call = 0;
	if (rc != 0)
		finish(t, 1, "db_query: %s", strerror(-rc));
	return rc;
}

/* ---- queries ----------------------------------------------------------- */

static void
on_big(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;

	(void)db;
	if (err != NULL || strcmp(PQgetvalue(res, 0, 0), "4194304") != 0) {
		finish(t, 1, "big parameter: %s", err ? err : "wrong length");
		return;
	}
	finish(t, 0, "queries %ld ok", t->n);
}

static void
on_query(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;
	char want[32];
	const char *p[1];
	static char *big;

	(void)db;
	if (t->in_call) {
		finish(t, 1, "callback ran inside db_query");
		return;
	}
	if (err != NULL) {
		finish(t, 1, "query %ld: %s", t->count, err);
		return;
	}
	snprintf(want, sizeof(want), "%ld", t->count * 2);
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), want) != 0 ||
	    strcmp(PQgetvalue(res, 0, 1), "t") != 0 ||
	    strcmp(PQgetvalue(res, 0, 2), "5") != 0) {
		finish(t, 1, "query %ld: got %s, want %s (out of order?)",
		    t->count, PQgetvalue(res, 0, 0), want);
		return;
	}
	if (++t->count < t->n)
		return;
	/* Queued from inside a callback; big enough that PQflush says
	 * "again" at least once. */
	if ((big = malloc(4194305)) == NULL) {
		finish(t, 1, "out of memory");
		return;
	}
	memset(big, 'x', 4194304);
	big[4194304] = '\0';
	p[0] = big;
	submit(t, "SELECT length($1)", 1, p, on_big);
	free(big);
}

static void
start_queries(struct tool *t)
{
	char num[32];
	const char *p[3];
	long i;

	for (i = 0; i < t->n && !t->over; i++) {
		snprintf(num, sizeof(num), "%ld", i);
		p[0] = num;
		p[1] = NULL;
		p[2] = "h\xc3\xa9llo";
		if (submit(t, "SELECT $1::bigint * 2, $2::text IS NULL, "
		    "octet_length($3)::text::int - 1", 3, p, on_query) != 0)
			return;
	}
}

/* ---- copy -------------------------------------------------------------- */

static void
on_copy_after(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;

	(void)db;
	if (err != NULL || strcmp(PQgetvalue(res, 0, 0), "1") != 0) {
		finish(t, 1, "query after bad copy: %s", err ? err : "?");
		return;
	}
	finish(t, 0, "copy %ld ok", t->n);
}

static void
on_copy_bad(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;

	(void)db;
	if (err == NULL || strcmp(db_sqlstate(res), "22P02") != 0) {
		finish(t, 1, "bad copy: err %s sqlstate %s", err ? err : "NULL",
		    db_sqlstate(res));
		return;
	}
	say("bad copy refused: %s", err);
	submit(t, "SELECT 1", 0, NULL, on_copy_after);
}

static void
on_copy_count(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;
	char want[64];
	static const char bad[] = "1\tx\tnot-a-number\n";
	int rc;

	(void)db;
	snprintf(want, sizeof(want), "%ld", t->n);
	if (err != NULL || strcmp(PQgetvalue(res, 0, 0), want) != 0) {
		finish(t, 1, "count: %s", err ? err : PQgetvalue(res, 0, 0));
		return;
	}
	snprintf(want, sizeof(want), "%ld", t->n * (t->n - 1) / 2);
	if (strcmp(PQgetvalue(res, 0, 1), want) != 0) {
		finish(t, 1, "sum %s, want %s", PQgetvalue(res, 0, 1), want);
		return;
	}
	rc = db_copy_in(t->db, "COPY c FROM STDIN", bad, sizeof(bad) - 1,
	    on_copy_bad, t);
	if (rc != 0)
		finish(t, 1, "db_copy_in: %s", strerror(-rc));
}

static void
on_copy_empty(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;

	(void)db;
	if (err != NULL || strcmp(PQcmdTuples(res), "0") != 0) {
		finish(t, 1, "empty copy: %s", err ? err : PQcmdTuples(res));
		return;
	}
	submit(t, "SELECT count(*), coalesce(sum(id), 0) FROM c", 0, NULL,
	    on_copy_count);
}

static void
on_copy(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;
	char want[32];
	int rc;

	(void)db;
	snprintf(want, sizeof(want), "%ld", t->n);
	if (err != NULL || strcmp(PQcmdTuples(res), want) != 0) {
		finish(t, 1, "copy: %s", err ? err : PQcmdTuples(res));
		return;
	}
	rc = db_copy_in(t->db, "COPY c FROM STDIN", NULL, 0, on_copy_empty, t);
	if (rc != 0)
		finish(t, 1, "db_copy_in: %s", strerror(-rc));
}

static void
on_copy_table(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;
	size_t cap = (size_t)t->n * 48 + 1, len = 0;
	char *data;
	long i;
	int rc;

	(void)db;
	(void)res;
	if (err != NULL) {
		finish(t, 1, "create: %s", err);
		return;
	}
	if ((data = malloc(cap)) == NULL) {
		finish(t, 1, "out of memory");
		return;
	}
	for (i = 0; i < t->n; i++)
		len += (size_t)snprintf(data + len, cap - len,
		    "%ld\tname \\\\ %ld\t%ld.25\n", i, i, i % 1000);
	rc = db_copy_in(t->db, "COPY c (id, name, price) FROM STDIN", data, len,
	    on_copy, t);
	free(data);	/* db_copy_in copied it */
	if (rc != 0)
		finish(t, 1, "db_copy_in: %s", strerror(-rc));
}

static void
start_copy(struct tool *t)
{
	submit(t, "CREATE TEMP TABLE c (id bigint PRIMARY KEY, name text UNIQUE, "
	    "price numeric CHECK (price >= 0))",
	    0, NULL, on_copy_table);
}

/* ---- errors ------------------------------------------------------------ */

static void errors_next(struct tool *t);

/* One case: how to send it, and what its answer must be. */
struct err_case {
	const char *what;
	int script;		/* db_script, else db_query */
	const char *sql;
	int nparams;		/* < 0: 70000 parameters */
	const char *sqlstate;	/* expected; NULL: must succeed */
	const char *value;	/* expected first value on success */
	const char *in_err;	/* expected substring of err */
};

static const struct err_case err_cases[] = {
	{ "syntax", 0, "SELEC 1", 0, "42601", NULL, "syntax error" },
	{ "table", 0, "CREATE TEMP TABLE u (k text PRIMARY KEY)", 0, NULL,
	    NULL, NULL },
	{ "insert", 0, "INSERT INTO u VALUES ('a')", 0, NULL, NULL, NULL },
	{ "unique", 0, "INSERT INTO u VALUES ('a')", 0, "23505", NULL,
	    "(Key (k)=(a) already exists.)" },
	{ "script error", 1, "SELECT 1; SELECT 1/0; SELECT 3", 0, "22012",
	    NULL, "division by zero" },
	{ "script", 1, "SELECT 1; SELECT 2", 0, NULL, "2", NULL },
	{ "empty script", 1, "", 0, NULL, NULL, NULL },
	{ "copy via query", 0, "COPY u FROM STDIN", 0, "57014", NULL,
	    "needs db_copy_in" },
	{ "too many params", 0, "SELECT 1", -1, "", NULL, "parameters" },
	{ "multi-line message", 0, "DO $$ BEGIN RAISE EXCEPTION "
	    "E'one\\ntwo'; END $$", 0, "P0001", NULL, "one two" },
	{ "still up", 0, "SELECT 42", 0, NULL, "42", NULL },
};

static void
on_err_case(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;
	const struct err_case *c = &err_cases[t->step];

	(void)db;
	if (t->in_call) {
		finish(t, 1, "%s: callback ran inside db_query", c->what);
		return;
	}
	if (c->sqlstate == NULL && err != NULL) {
		finish(t, 1, "%s: unexpected error: %s", c->what, err);
		return;
	}
	if (c->sqlstate != NULL && (err == NULL ||
	    strcmp(db_sqlstate(res), c->sqlstate) != 0)) {
		finish(t, 1, "%s: want sqlstate %s, got '%s' (%s)", c->what,
		    c->sqlstate, db_sqlstate(res), err ? err : "no error");
		return;
	}
	if (err != NULL && (strchr(err, '\n') != NULL ||
	    (c->in_err != NULL && strstr(err, c->in_err) == NULL))) {
		finish(t, 1, "%s: bad message: %s", c->what, err);
		return;
	}
	if (c->value != NULL && (res == NULL || PQntuples(res) < 1 ||
	    strcmp(PQgetvalue(res, 0, 0), c->value) != 0)) {
		finish(t, 1, "%s: wrong value", c->what);
		return;
	}
	say("%s: %s", c->what, err ? err : "ok");
	t->step++;
	errors_next(t);
}

static void
errors_next(struct tool *t)
{
	const struct err_case *c;
	const char **many;
	int rc, i;

	if ((size_t)t->step == sizeof(err_cases) / sizeof(err_cases[0])) {
		finish(t, 0, "errors ok");
		return;
	}
	c = &err_cases[t->step];
	t->in_call = 1;
	if (c->script) {
		rc = db_script(t->db, c->sql, on_err_case, t);
	} else if (c->nparams < 0) {
		if ((many = calloc(70000, sizeof(*many))) == NULL) {
			t->in_call = 0;
			finish(t, 1, "out of memory");
			return;
		}
		for (i = 0; i < 70000; i++)
			many[i] = "1";
		rc = db_query(t->db, c->sql, 70000, many, on_err_case, t);
		free(many);
	} else {
		rc = db_query(t->db, c->sql, 0, NULL, on_err_case, t);
	}
	t->in_call = 0;
	if (rc != 0)
		finish(t, 1, "%s: refused: %s", c->what, strerror(-rc));
}

/* ---- free -------------------------------------------------------------- */

/* Sub-tests, each with its own db; all must end for the loop to end:
 * (a) db_free in the first of five queued queries' callback: the other
 *     four get "closing" synchronously, nothing after;
 * (b) db_free inside on_state(up);
 * (c) db_free right after db_new;
 * (d) db_free inside on_state(down) of a connection that cannot work. */
struct free_ctx {
	struct tool *t;
	struct db *db;
	int answers, closing;
	int freed;
};

static struct free_ctx fa, fb, fd;

static void
free_check_done(struct tool *t)
{
	if (++t->frees < 3)
		return;
	if (fa.closing != 4 || fa.answers != 5) {
		finish(t, 1, "free: %d answers, %d closing", fa.answers,
		    fa.closing);
		return;
	}
	finish(t, 0, "free ok");
}

static void
on_free_query(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct free_ctx *f = arg;

	(void)res;
	if (f->freed && (err == NULL || strcmp(err, "closing") != 0)) {
		say("answer after db_free: %s", err ? err : "ok");
		f->closing = -100;
	}
	f->answers++;
	if (err != NULL && strcmp(err, "closing") == 0)
		f->closing++;
	if (!f->freed) {
		f->freed = 1;
		db_free(db);
		/* Refused now, callback never called. */
		if (db_query(db, "SELECT 1", 0, NULL, on_free_query, f) !=
		    -ENOTCONN)
			f->closing = -200;
		if (f->answers == 5)
			free_check_done(f->t);
	}
}

static void
on_free_state(struct db *db, int up, const char *err, void *arg)
{
	struct free_ctx *f = arg;
	int i;

	(void)err;
	if (f->freed) {
		say("on_state after db_free");
		f->closing = -300;
		return;
	}
	if (f == &fa) {
		if (!up) {
			finish(f->t, 1, "free: cannot connect: %s", err);
			return;
		}
		for (i = 0; i < 5; i++)
			if (db_query(db, "SELECT pg_sleep(0.01)", 0, NULL,
			    on_free_query, f) != 0)
				finish(f->t, 1, "free: db_query refused");
		return;
	}
	/* fb: freed when up; fd: freed when down. */
	if ((f == &fb && up) || (f == &fd && !up)) {
		f->freed = 1;
		db_free(db);
		free_check_done(f->t);
		return;
	}
	finish(f->t, 1, "free: unexpected state %d: %s", up, err ? err : "");
}

static void
start_free(struct tool *t, const char *conninfo)
{
	struct db *c;

	fa.t = fb.t = fd.t = t;
	fa.db = db_new(&t->loop, conninfo, 0, on_free_state, &fa);
	fb.db = db_new(&t->loop, conninfo, 0, on_free_state, &fb);
	fd.db = db_new(&t->loop, "host=/nonexistent/dir port=1", 1,
	    on_free_state, &fd);
	c = db_new(&t->loop, conninfo, 1, on_free_state, NULL);
	if (fa.db == NULL || fb.db == NULL || fd.db == NULL || c == NULL) {
		finish(t, 1, "db_new failed");
		return;
	}
	db_free(c);
}

/* ---- connect / reconnect ----------------------------------------------- */

static void
on_connect_query(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;

	(void)db;
	if (err != NULL) {
		finish(t, 1, "query: %s", err);
		return;
	}
	finish(t, 0, "connect ok %s", PQgetvalue(res, 0, 0));
}

static void
on_reconnect_query(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;

	(void)db;
	(void)res;
	t->inflight = 0;
	if (err != NULL) {
		say("query failed: %s", err);
		return;
	}
	t->count++;
	if (t->ups >= 2)
		finish(t, 0, "reconnect ok after %ld queries", t->count);
}

static void
on_tick(uv_timer_t *h)
{
	struct tool *t = h->data;

	if (t->over || t->inflight || !db_is_up(t->db))
		return;
	/* The first query on the first connection stays in flight, so that
	 * a server stop catches one running. */
	if (submit(t, t->ups == 1 ? "SELECT pg_sleep(60)" :
	    "SELECT pg_sleep(0.01)", 0, NULL, on_reconnect_query) != 0)
		return;
	t->inflight = 1;
	if (t->ups == 1)
		say("long query in flight");
}

/* ---- migrate ----------------------------------------------------------- */

static void
on_mig_status(const struct migrate_status *st, const char *err, void *arg)
{
	struct tool *t = arg;

	if (err != NULL) {
		finish(t, 1, "status: %s (current %d latest %d too_new %d)",
		    err, st->current, st->latest, st->too_new);
		return;
	}
	finish(t, 0, "status current %d latest %d pending %d too_new %d ok",
	    st->current, st->latest, st->pending, st->too_new);
}

static void
on_mig_applied(int version, const char *name, void *arg)
{
	(void)arg;
	say("applied %d %s", version, name);
}

static void
on_mig_done(const struct migrate_status *st, int napplied, const char *err,
    void *arg)
{
	struct tool *t = arg;

	if (err != NULL) {
		finish(t, 1, "migrate: %s", err);
		return;
	}
	finish(t, 0, "migrate applied %d now %d ok", napplied, st->current);
}

/* ---- main -------------------------------------------------------------- */

static void
on_state(struct db *db, int up, const char *err, void *arg)
{
	struct tool *t = arg;
	int rc = 0;

	if (t->over) {
		finish(t, 1, "on_state after the end");
		return;
	}
	if (!up) {
		say("down: %s", err);
		if (t->tick_on)
			return;		/* reconnect mode: it comes back */
		finish(t, 1, "cannot connect");
		return;
	}
	t->ups++;
	say("up %d", t->ups);
	if (t->step == 'q')
		start_queries(t);
	else if (t->step == 'c')
		start_copy(t);
	else if (t->step == 'e') {
		t->step = 0;
		errors_next(t);
	} else if (t->step == 'n')
		submit(t, "SELECT current_setting('port')", 0, NULL,
		    on_connect_query);
	else if (t->step == 's')
		rc = migrate_status(db, on_mig_status, t);
	else if (t->step == 'm')
		rc = migrate_run(db, on_mig_applied, on_mig_done, t);
	if (rc != 0)
		finish(t, 1, "migrate: %s", strerror(-rc));
}

static const struct {
	const char *name;
	int code;
	int reconnect;
} modes[] = {
	{ "queries", 'q', 0 },
	{ "copy", 'c', 0 },
	{ "errors", 'e', 0 },
	{ "free", 'f', 0 },
	{ "connect", 'n', 0 },
	{ "reconnect", 'r', 1 },
	{ "status", 's', 0 },
	{ "migrate", 'm', 0 },
};

int
main(int argc, char **argv)
{
	static struct tool t;
	size_t i;
	int code = 0, reconnect = 0, rc;
	uint64_t limit = 120000;

	if (argc < 3) {
		fprintf(stderr, "usage: dbtool CONNINFO MODE [N]\n");
		return 1;
	}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(modes[i].name, argv[2]) == 0) {
			code = modes[i].code;
			reconnect = modes[i].reconnect;
		}
	if (code == 0) {
		fprintf(stderr, "dbtool: unknown mode %s\n", argv[2]);
		return 1;
	}
	t.n = argc > 3 ? strtol(argv[3], NULL, 10) : 1000;
	if (code == 'r')
		limit = (uint64_t)t.n * 1000;
	t.step = code;
	if (uv_loop_init(&t.loop) != 0 ||
	    uv_timer_init(&t.loop, &t.guard) != 0 ||
	    uv_timer_start(&t.guard, on_guard, limit, 0) != 0)
		return 1;
	t.guard.data = &t;
	if (code == 'r') {
		if (uv_timer_init(&t.loop, &t.tick) != 0 ||
		    uv_timer_start(&t.tick, on_tick, 100, 100) != 0)
			return 1;
		t.tick.data = &t;
		t.tick_on = 1;
	}
	if (code == 'f') {
		start_free(&t, argv[1]);
	} else if ((t.db = db_new(&t.loop, argv[1], reconnect, on_state,
	    &t)) == NULL) {
		fprintf(stderr, "dbtool: db_new failed\n");
		return 1;
	}
	rc = uv_run(&t.loop, UV_RUN_DEFAULT);
	if (rc != 0)
		fprintf(stderr, "dbtool: uv_run: %d\n", rc);
	if ((rc = uv_loop_close(&t.loop)) != 0) {
		fprintf(stderr, "dbtool: uv_loop_close: %s\n", uv_strerror(rc));
		return 1;
	}
	return t.status;
}
