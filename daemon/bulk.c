/* bulk.c - page-sized upserts into PostgreSQL (see bulk.h).
 *
 * Why BULK_ARRAYS. tests/bench/bulk.sh upserts 100,000 listing rows in
 * 250-row transactions with each strategy and compares with one plain
 * COPY of the same rows (ROUNDS=5, best of 5, PostgreSQL 15 on a unix
 * socket, 2 CPUs shared with other work):
 *
 *                 inserts              updates
 *   COPY          79,500 rows/s        -
 *   VALUES        29,900 rows/s 0.38x  22,800 rows/s 0.29x
 *   STAGE         29,900 rows/s 0.38x  19,000 rows/s 0.24x
 *   ARRAYS        49,300 rows/s 0.62x  31,600 rows/s 0.40x
 *   ARRAYS + RETURNING id: 0.61x and 0.43x (noise: within a few %)
 *
 * Single runs on a busy machine scatter widely (one even had ARRAYS below
 * VALUES), hence best-of-N; across our runs ARRAYS led, STAGE sometimes
 * came close on inserts but never on updates.
 *
 * VALUES pays for parsing and planning a 5,750-parameter statement per
 * page. STAGE needs four round trips per page (CREATE IF NOT EXISTS, COPY,
 * INSERT ... SELECT, then COMMIT truncates the staging table), COPY on the
 * run's connection and a transaction around it. ARRAYS is one statement per page whose size does
 * not grow with the rows, parses each value once with its type's input
 * function, works through run_query, and needs no transaction of its own.
 * The upsert itself (a speculative insertion per row, index by index)
 * is what keeps every strategy near half of COPY's batched heap inserts.
 *
 * Statements are queued all at once on the connection, which runs them in
 * order; the first error wins, and the statements after it fail with
 * "current transaction is aborted" when the caller holds a transaction,
 * which is reported as the first error only. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "db.h"
#include "pct.h"
#include "run.h"

/* The measured winner (tests/bench/bulk.sh, see the top of the file). */
#define BULK_DEFAULT		BULK_ARRAYS
/* PostgreSQL's limit on parameters per statement (a 16-bit count). */
#define BULK_MAX_PARAMS		65535
#define BULK_ERR_MAX		512

static const char *const strategy_names[] = {
	[BULK_AUTO] = "auto",
	[BULK_VALUES] = "values",
	[BULK_STAGE] = "stage",
	[BULK_ARRAYS] = "arrays",
};

const char *
bulk_strategy_name(enum bulk_strategy s)
{
	if ((unsigned)s >= sizeof(strategy_names) / sizeof(strategy_names[0]))
		return "?";
	return strategy_names[s];
}

int
bulk_strategy_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(strategy_names) / sizeof(strategy_names[0]); i++)
		if (strcmp(strategy_names[i], name) == 0)
			return (int)i;
	return -1;
}

/* ---- COPY text format --------------------------------------------------- */

/* Append v in COPY's text format: backslash, newline, carriage return and
 * tab escaped, NULL as \N. Clean runs are copied in one go: most values
 * have nothing to escape. */
static void
copy_value(struct pct_buf *b, const char *v)
{
	const char *p, *run, *esc;

	if (v == NULL) {
		pct_adds(b, "\\N");
		return;
	}
	for (run = p = v; *p != '\0'; p++) {
		switch (*p) {
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default: continue;
		}
		pct_add(b, run, (size_t)(p - run));
		pct_adds(b, esc);
		run = p + 1;
	}
	pct_add(b, run, (size_t)(p - run));
}

int
bulk_copy_escape(char **buf, size_t *len, size_t *cap, const char *v)
{
	struct pct_buf b = { *buf, *len, *cap, 0 };

	copy_value(&b, v);
	*buf = b.s;
	*len = b.len;
	*cap = b.cap;
	return b.err;
}

/* ---- the job: statements in flight ------------------------------------ */

struct bulk_job {
	const struct bulk_table *spec;
	bulk_rows_cb *on_rows;
	bulk_done_cb *done;
	void *arg;
	int pending;		/* statements queued, not yet answered */
	int64_t affected;
	int failed;
	char err[BULK_ERR_MAX];
	char sqlstate[8];
};

/* What one queued statement is. */
enum stmt_kind { STMT_PLAIN, STMT_UPSERT };

struct stmt {
	struct bulk_job *job;
	enum stmt_kind kind;
};

static void
job_fail(struct bulk_job *j, const char *err, const char *sqlstate)
{
	if (j->failed)
		return;
	j->failed = 1;
	snprintf(j->err, sizeof(j->err), "%s", err);
	snprintf(j->sqlstate, sizeof(j->sqlstate), "%s",
	    sqlstate ? sqlstate : "");
}

static void
job_end_maybe(struct bulk_job *j)
{
	if (j->pending > 0)
		return;
	j->done(j->failed ? j->err : NULL, j->failed ? j->sqlstate : "",
	    j->failed ? 0 : j->affected, j->arg);
	free(j);
}

static void
on_stmt(PGresult *res, const char *err, void *arg)
{
	struct stmt *st = arg;
	struct bulk_job *j = st->job;
	const char *n;

	j->pending--;
	if (err != NULL) {
		job_fail(j, err, db_sqlstate(res));
	} else if (st->kind == STMT_UPSERT && res != NULL) {
		n = PQcmdTuples(res);
		if (n != NULL && *n != '\0')
			j->affected += strtoll(n, NULL, 10);
		if (j->on_rows != NULL && !j->failed &&
		    PQresultStatus(res) == PGRES_TUPLES_OK)
			j->on_rows(res, j->arg);
	}
	free(st);
	job_end_maybe(j);
}

/* Queue one statement; 0 or the hook's negative error. */
static int
job_query(struct bulk_job *j, const struct bulk_conn *bc, enum stmt_kind kind,
    const char *sql, int nparams, const char *const *params)
{
	struct stmt *st = malloc(sizeof(*st));
	int rc;

	if (st == NULL)
		return -ENOMEM;
	st->job = j;
	st->kind = kind;
	if ((rc = bc->query(bc->conn, sql, nparams, params, on_stmt, st)) < 0) {
		free(st);
		return rc;
	}
	j->pending++;
	return 0;
}

static int
job_copy(struct bulk_job *j, const struct bulk_conn *bc, const char *sql,
    const char *data, size_t len)
{
	struct stmt *st = malloc(sizeof(*st));
	int rc;

	if (st == NULL)
		return -ENOMEM;
	st->job = j;
	st->kind = STMT_PLAIN;
	if ((rc = bc->copy_in(bc->conn, sql, data, len, on_stmt, st)) < 0) {
		free(st);
		return rc;
	}
	j->pending++;
	return 0;
}

/* ---- rows: key dedup and grouping by mask ------------------------------ */

struct plan {
	const struct bulk_req *req;
	uint64_t all;		/* every column */
	uint64_t keys;		/* BULK_KEY columns */
	uint64_t *mask;		/* per row, effective */
	size_t *order;		/* row indices, grouped by mask */
	size_t nkept;
};

static const char *
val(const struct bulk_req *req, size_t row, int col)
{
	return req->values[row * (size_t)req->spec->ncols + (size_t)col];
}

static uint64_t
key_hash(const struct plan *p, size_t row)
{
	const struct bulk_table *t = p->req->spec;
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *s;
	int c;

	for (c = 0; c < t->ncols; c++) {
		if (!(p->keys >> c & 1))
			continue;
		for (s = (const unsigned char *)val(p->req, row, c); *s; s++)
			h = (h ^ *s) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;	/* separator */
	}
	return h;
}

static int
key_equal(const struct plan *p, size_t a, size_t b)
{
	int c;

	for (c = 0; c < p->req->spec->ncols; c++)
		if ((p->keys >> c & 1) &&
		    strcmp(val(p->req, a, c), val(p->req, b, c)) != 0)
			return 0;
	return 1;
}

/* Mark in dead[] the rows a later row with the same key supersedes.
 * Returns 0 or -ENOMEM. */
static int
plan_dedup(struct plan *p, unsigned char *dead)
{
	size_t n = p->req->nrows, size = 16, i, slot;
	size_t *tab;

	while (size < 2 * n)
		size *= 2;
	if ((tab = malloc(size * sizeof(*tab))) == NULL)
		return -ENOMEM;
	for (i = 0; i < size; i++)
		tab[i] = SIZE_MAX;
	/* Walk from the end: the last occurrence of a key wins. */
	for (i = n; i-- > 0;) {
		slot = (size_t)key_hash(p, i) & (size - 1);
		while (tab[slot] != SIZE_MAX && !key_equal(p, tab[slot], i))
			slot = (slot + 1) & (size - 1);
		if (tab[slot] != SIZE_MAX)
			dead[i] = 1;
		else
			tab[slot] = i;
	}
	free(tab);
	return 0;
}

static int
plan_check_spec(const struct bulk_table *t)
{
	int c;

	if (t == NULL || t->table == NULL || t->cols == NULL ||
	    t->ncols < 1 || t->ncols > BULK_MAX_COLS)
		return -EINVAL;
	for (c = 0; c < t->ncols; c++)
		if (t->cols[c].name == NULL || t->cols[c].type == NULL)
			return -EINVAL;
	return 0;
}

/* Validate, compute masks, drop superseded rows, group by mask (stable:
 * groups in order of first appearance, rows in input order). */
static int
plan_make(struct plan *p, const struct bulk_req *req)
{
	const struct bulk_table *t = req->spec;
	unsigned char *dead = NULL;
	size_t i, k, n = req->nrows;
	int c, rc;

	memset(p, 0, sizeof(*p));
	p->req = req;
	if ((rc = plan_check_spec(t)) < 0)
		return rc;
	p->all = t->ncols == 64 ? UINT64_MAX : ((uint64_t)1 << t->ncols) - 1;
	for (c = 0; c < t->ncols; c++)
		if (t->cols[c].flags & BULK_KEY)
			p->keys |= (uint64_t)1 << c;
	if (p->keys == 0 || (n > 0 && req->values == NULL))
		return -EINVAL;
	if (n == 0)
		return 0;
	p->mask = calloc(n, sizeof(*p->mask));
	p->order = calloc(n, sizeof(*p->order));
	dead = calloc(n, 1);
	if (p->mask == NULL || p->order == NULL || dead == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		p->mask[i] = (req->written ? req->written[i] : p->all) & p->all;
		if ((p->mask[i] & p->keys) != p->keys) {
			rc = -EINVAL;
			goto fail;
		}
		for (c = 0; c < t->ncols; c++)
			if ((p->keys >> c & 1) && val(req, i, c) == NULL) {
				rc = -EINVAL;
				goto fail;
			}
	}
	if ((rc = plan_dedup(p, dead)) < 0)
		goto fail;
	/* Group: for each row not yet placed, pull every later row with its
	 * mask. Quadratic in the number of distinct masks only. */
	for (i = 0, k = 0; i < n; i++) {
		size_t j;

		if (dead[i])
			continue;
		p->order[k++] = i;
		dead[i] = 1;
		for (j = i + 1; j < n; j++)
			if (!dead[j] && p->mask[j] == p->mask[i]) {
				p->order[k++] = j;
				dead[j] = 1;
			}
	}
	p->nkept = k;
	free(dead);
	return 0;
fail:
	free(dead);
	free(p->mask);
	free(p->order);
	p->mask = NULL;
	p->order = NULL;
	return rc;
}

static void
plan_free(struct plan *p)
{
	free(p->mask);
	free(p->order);
}

/* ---- SQL from the spec ----------------------------------------------- */

static void
sql_cols(struct pct_buf *b, const struct bulk_table *t, uint64_t m,
    const char *prefix)
{
	int c, first = 1;

	for (c = 0; c < t->ncols; c++) {
		if (!(m >> c & 1))
			continue;
		if (!first)
			pct_adds(b, ", ");
		pct_adds(b, prefix);
		pct_adds(b, t->cols[c].name);
		first = 0;
	}
}

/* " ON CONFLICT (key) DO UPDATE SET ... [WHERE ...] [RETURNING ...]" */
static void
sql_conflict(struct pct_buf *b, const struct bulk_table *t, uint64_t m,
    uint64_t keys, enum bulk_conflict conflict)
{
	uint64_t upd = m & ~keys;
	int c, first = 1;

	for (c = 0; c < t->ncols; c++)
		if (t->cols[c].flags & BULK_KEEP)
			upd &= ~((uint64_t)1 << c);
	pct_adds(b, " ON CONFLICT (");
	sql_cols(b, t, keys, "");
	pct_adds(b, ")");
	if (upd == 0 || conflict == BULK_NOTHING) {
		pct_adds(b, " DO NOTHING");
	} else {
		pct_adds(b, " DO UPDATE SET ");
		for (c = 0; c < t->ncols; c++) {
			if (!(upd >> c & 1))
				continue;
			if (!first)
				pct_adds(b, ", ");
			pct_adds(b, t->cols[c].name);
			pct_adds(b, " = EXCLUDED.");
			pct_adds(b, t->cols[c].name);
			first = 0;
		}
		if (t->skip_unchanged) {
			/* ROW(): one column would otherwise be a plain
			 * parenthesised expression - which also works, but
			 * say what is meant. */
			pct_adds(b, " WHERE ROW(");
			sql_cols(b, t, upd, "t.");
			pct_adds(b, ") IS DISTINCT FROM ROW(");
			sql_cols(b, t, upd, "EXCLUDED.");
			pct_adds(b, ")");
		}
	}
	if (t->returning != NULL) {
		pct_adds(b, " RETURNING ");
		pct_adds(b, t->returning);
	}
}

static int
popcount64(uint64_t m)
{
	int n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}

/* ---- BULK_VALUES -------------------------------------------------------- */

/* One INSERT for rows order[from .. from + nrows). The parameters carry
 * no casts: PostgreSQL types a multi-row VALUES list of an INSERT from its
 * target columns, and casts would multiply the statement's size. */
static int
values_stmt(struct bulk_job *j, const struct bulk_conn *bc,
    const struct plan *p, size_t from, size_t nrows)
{
	const struct bulk_table *t = p->req->spec;
	uint64_t m = p->mask[p->order[from]];
	int k = popcount64(m), c, rc, first;
	const char **params;
	struct pct_buf b = PCT_BUF_INIT;
	size_t i, n = 0;

	if ((params = malloc(nrows * (size_t)k * sizeof(*params))) == NULL)
		return -ENOMEM;
	pct_adds(&b, "INSERT INTO ");
	pct_adds(&b, t->table);
	pct_adds(&b, " AS t (");
	sql_cols(&b, t, m, "");
	pct_adds(&b, ") VALUES ");
	for (i = 0; i < nrows; i++) {
		size_t row = p->order[from + i];

		pct_adds(&b, i ? ", (" : "(");
		for (c = 0, first = 1; c < t->ncols; c++) {
			if (!(m >> c & 1))
				continue;
			params[n++] = val(p->req, row, c);
			pct_adds(&b, first ? "$" : ", $");
			first = 0;
			pct_addf(&b, "%lld", (long long)n);
		}
		pct_adds(&b, ")");
	}
	sql_conflict(&b, t, m, p->keys, p->req->conflict);
	if (b.err)
		rc = -ENOMEM;
	else
		rc = job_query(j, bc, STMT_UPSERT, b.s, (int)n, params);
	free(b.s);
	free(params);
	return rc;
}

static int
values_all(struct bulk_job *j, const struct bulk_conn *bc,
    const struct plan *p)
{
	size_t from = 0, end, per;
	int rc;

	while (from < p->nkept) {
		uint64_t m = p->mask[p->order[from]];

		per = BULK_MAX_PARAMS / (size_t)popcount64(m);
		for (end = from; end < p->nkept && end - from < per &&
		    p->mask[p->order[end]] == m; end++)
			;
		if ((rc = values_stmt(j, bc, p, from, end - from)) < 0)
			return rc;
		from = end;
	}
	return 0;
}

/* ---- BULK_ARRAYS ------------------------------------------------------ */

static int
is_array_type(const char *type)
{
	size_t n = strlen(type);

	return n > 2 && strcmp(type + n - 2, "[]") == 0;
}

/* Append v as an element of an array literal: always double-quoted (so
 * "", "NULL", spaces, commas and braces stay text), with '"' and '\\'
 * backslash-escaped; NULL unquoted. */
static void
array_elem(struct pct_buf *b, const char *v)
{
	const char *p, *run;

	if (v == NULL) {
		pct_adds(b, "NULL");
		return;
	}
	pct_adds(b, "\"");
	for (run = p = v; *p != '\0'; p++) {
		if (*p != '"' && *p != '\\')
			continue;
		pct_add(b, run, (size_t)(p - run));
		pct_adds(b, "\\");
		run = p;
	}
	pct_add(b, run, (size_t)(p - run));
	pct_adds(b, "\"");
}

/* One statement for rows order[from .. end): each written column travels
 * as one array parameter of its own type ($1::numeric[]), so the server
 * parses each value once with the type's input function, as COPY does;
 * unnest() turns the arrays back into rows. A column that is itself an
 * array cannot be an element of one: it travels as text[] and is cast
 * (an I/O conversion) in the select list. */
static int
arrays_stmt(struct bulk_job *j, const struct bulk_conn *bc,
    const struct plan *p, size_t from, size_t end)
{
	const struct bulk_table *t = p->req->spec;
	uint64_t m = p->mask[p->order[from]];
	struct pct_buf sql = PCT_BUF_INIT, *arr;
	const char *params[BULK_MAX_COLS];
	int c, n = 0, k, rc;
	size_t i;

	if ((arr = calloc(BULK_MAX_COLS, sizeof(*arr))) == NULL)
		return -ENOMEM;
	pct_adds(&sql, "INSERT INTO ");
	pct_adds(&sql, t->table);
	pct_adds(&sql, " AS t (");
	sql_cols(&sql, t, m, "");
	pct_adds(&sql, ") SELECT ");
	for (c = 0; c < t->ncols; c++) {
		if (!(m >> c & 1))
			continue;
		pct_adds(&sql, n ? ", u." : "u.");
		pct_adds(&sql, t->cols[c].name);
		if (is_array_type(t->cols[c].type)) {
			pct_adds(&sql, "::");
			pct_adds(&sql, t->cols[c].type);
		}
		pct_adds(&arr[n], "{");
		for (i = from; i < end; i++) {
			if (i > from)
				pct_adds(&arr[n], ",");
			array_elem(&arr[n], val(p->req, p->order[i], c));
		}
		pct_adds(&arr[n], "}");
		n++;
	}
	pct_adds(&sql, " FROM unnest(");
	for (c = 0, k = 0; c < t->ncols; c++) {
		if (!(m >> c & 1))
			continue;
		pct_adds(&sql, k ? ", $" : "$");
		pct_addf(&sql, "%d", ++k);
		pct_adds(&sql, "::");
		pct_adds(&sql, is_array_type(t->cols[c].type) ? "text" :
		    t->cols[c].type);
		pct_adds(&sql, "[]");
	}
	pct_adds(&sql, ") AS u (");
	sql_cols(&sql, t, m, "");
	pct_adds(&sql, ")");
	sql_conflict(&sql, t, m, p->keys, p->req->conflict);
	rc = sql.err ? -ENOMEM : 0;
	for (c = 0; c < n; c++) {
		if (arr[c].err)
			rc = -ENOMEM;
		params[c] = arr[c].s;
	}
	if (rc == 0)
		rc = job_query(j, bc, STMT_UPSERT, sql.s, n, params);
	for (c = 0; c < n; c++)
		free(arr[c].s);
	free(arr);
	free(sql.s);
	return rc;
}

static int
arrays_all(struct bulk_job *j, const struct bulk_conn *bc,
    const struct plan *p)
{
	size_t from = 0, end;
	int rc;

	while (from < p->nkept) {
		uint64_t m = p->mask[p->order[from]];

		for (end = from; end < p->nkept &&
		    p->mask[p->order[end]] == m; end++)
			;
		if ((rc = arrays_stmt(j, bc, p, from, end)) < 0)
			return rc;
		from = end;
	}
	return 0;
}

/* ---- BULK_STAGE --------------------------------------------------------- */

/* The staging table has the spec's columns and types and no constraints,
 * so that unwritten columns may stay NULL; ON COMMIT DELETE ROWS empties
 * it at the end of the caller's transaction without a statement of ours
 * and without leaving dead tuples (temporary tables are never vacuumed by
 * autovacuum). */
static int
stage_create(struct bulk_job *j, const struct bulk_conn *bc,
    const struct bulk_table *t)
{
	struct pct_buf b = PCT_BUF_INIT;
	int c, rc;

	pct_adds(&b, "CREATE TEMPORARY TABLE IF NOT EXISTS ");
	pct_adds(&b, t->staging);
	pct_adds(&b, " (");
	for (c = 0; c < t->ncols; c++) {
		pct_adds(&b, c ? ", " : "");
		pct_adds(&b, t->cols[c].name);
		pct_adds(&b, " ");
		pct_adds(&b, t->cols[c].type);
	}
	pct_adds(&b, ") ON COMMIT DELETE ROWS");
	rc = b.err ? -ENOMEM : job_query(j, bc, STMT_PLAIN, b.s, 0, NULL);
	free(b.s);
	return rc;
}

/* COPY, merge and (when another group follows) empty the staging table for
 * rows order[from .. end). */
static int
stage_group(struct bulk_job *j, const struct bulk_conn *bc,
    const struct plan *p, size_t from, size_t end)
{
	const struct bulk_table *t = p->req->spec;
	uint64_t m = p->mask[p->order[from]];
	struct pct_buf sql = PCT_BUF_INIT, data = PCT_BUF_INIT;
	size_t i;
	int c, rc = 0, first;

	for (i = from; i < end; i++) {
		first = 1;
		for (c = 0; c < t->ncols; c++) {
			if (!(m >> c & 1))
				continue;
			if (!first)
				pct_adds(&data, "\t");
			copy_value(&data, val(p->req, p->order[i], c));
			first = 0;
		}
		pct_adds(&data, "\n");
	}
	if (data.err) {
		rc = -ENOMEM;
		goto out;
	}
	pct_adds(&sql, "COPY ");
	pct_adds(&sql, t->staging);
	pct_adds(&sql, " (");
	sql_cols(&sql, t, m, "");
	pct_adds(&sql, ") FROM STDIN");
	if (sql.err) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = job_copy(j, bc, sql.s, data.s, data.len)) < 0)
		goto out;
	sql.len = 0;
	pct_adds(&sql, "INSERT INTO ");
	pct_adds(&sql, t->table);
	pct_adds(&sql, " AS t (");
	sql_cols(&sql, t, m, "");
	pct_adds(&sql, ") SELECT ");
	sql_cols(&sql, t, m, "");
	pct_adds(&sql, " FROM ");
	pct_adds(&sql, t->staging);
	sql_conflict(&sql, t, m, p->keys, p->req->conflict);
	if (sql.err) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = job_query(j, bc, STMT_UPSERT, sql.s, 0, NULL)) < 0)
		goto out;
	if (end < p->nkept) {
		sql.len = 0;
		pct_adds(&sql, "DELETE FROM ");
		pct_adds(&sql, t->staging);
		rc = sql.err ? -ENOMEM :
		    job_query(j, bc, STMT_PLAIN, sql.s, 0, NULL);
	}
out:
	free(sql.s);
	free(data.s);
	return rc;
}

static int
stage_all(struct bulk_job *j, const struct bulk_conn *bc,
    const struct plan *p)
{
	size_t from = 0, end;
	int rc;

	if (p->req->spec->staging == NULL)
		return -EINVAL;
	if ((rc = stage_create(j, bc, p->req->spec)) < 0)
		return rc;
	while (from < p->nkept) {
		uint64_t m = p->mask[p->order[from]];

		for (end = from; end < p->nkept &&
		    p->mask[p->order[end]] == m; end++)
			;
		if ((rc = stage_group(j, bc, p, from, end)) < 0)
			return rc;
		from = end;
	}
	return 0;
}

/* ---- the entry point ---------------------------------------------------- */

int
bulk_upsert(const struct bulk_conn *bc, const struct bulk_req *req)
{
	struct bulk_job *j;
	struct plan p;
	enum bulk_strategy s;
	int rc;

	if (bc == NULL || bc->query == NULL || req == NULL ||
	    req->done == NULL)
		return -EINVAL;
	if ((rc = plan_make(&p, req)) < 0)
		return rc;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		plan_free(&p);
		return -ENOMEM;
	}
	j->spec = req->spec;
	j->on_rows = req->spec->returning ? req->on_rows : NULL;
	j->done = req->done;
	j->arg = req->arg;
	s = req->strategy == BULK_AUTO ? BULK_DEFAULT : req->strategy;
	if (s == BULK_STAGE && bc->copy_in == NULL)
		s = BULK_DEFAULT;
	if (p.nkept == 0)
		rc = job_query(j, bc, STMT_PLAIN, "SELECT 0", 0, NULL);
	else if (s == BULK_STAGE)
		rc = stage_all(j, bc, &p);
	else if (s == BULK_ARRAYS)
		rc = arrays_all(j, bc, &p);
	else
		rc = values_all(j, bc, &p);
	plan_free(&p);
	if (rc < 0) {
		if (j->pending == 0) {
			free(j);
			return rc;
		}
		/* Some statements are queued: they answer later; the job
		 * ends failed when the last one does. */
		job_fail(j, rc == -ENOMEM ? "out of memory" :
		    "cannot queue a statement: no database connection", "");
	}
	return 0;
}

/* ---- connections ------------------------------------------------------ */

struct tramp {
	bulk_res_cb *cb;
	void *arg;
};

static struct tramp *
tramp_new(bulk_res_cb *cb, void *arg)
{
	struct tramp *t = malloc(sizeof(*t));

	if (t != NULL) {
		t->cb = cb;
		t->arg = arg;
	}
	return t;
}

static void
on_db(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tramp t = *(struct tramp *)arg;

	(void)db;
	free(arg);
	t.cb(res, err, t.arg);
}

static int
db_q(void *conn, const char *sql, int nparams, const char *const *params,
    bulk_res_cb *cb, void *arg)
{
	struct tramp *t = tramp_new(cb, arg);
	int rc;

	if (t == NULL)
		return -ENOMEM;
	if ((rc = db_query(conn, sql, nparams, params, on_db, t)) < 0)
		free(t);
	return rc;
}

static int
db_c(void *conn, const char *sql, const char *data, size_t len,
    bulk_res_cb *cb, void *arg)
{
	struct tramp *t = tramp_new(cb, arg);
	int rc;

	if (t == NULL)
		return -ENOMEM;
	if ((rc = db_copy_in(conn, sql, data, len, on_db, t)) < 0)
		free(t);
	return rc;
}

void
bulk_conn_db(struct bulk_conn *bc, struct db *db)
{
	bc->query = db_q;
	bc->copy_in = db_c;
	bc->conn = db;
}

static void
on_run(struct run *r, PGresult *res, const char *err, void *arg)
{
	struct tramp t = *(struct tramp *)arg;

	(void)r;
	free(arg);
	t.cb(res, err, t.arg);
}

static int
run_q(void *conn, const char *sql, int nparams, const char *const *params,
    bulk_res_cb *cb, void *arg)
{
	struct tramp *t = tramp_new(cb, arg);
	int rc;

	if (t == NULL)
		return -ENOMEM;
	if ((rc = run_query(conn, sql, nparams, params, on_run, t)) < 0)
		free(t);
	return rc;
}

void
bulk_conn_run(struct bulk_conn *bc, struct run *r)
{
	bc->query = run_q;
	bc->copy_in = NULL;
	bc->conn = r;
}
