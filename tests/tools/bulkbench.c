/* bulkbench - measure and exercise daemon/bulk.c against a real PostgreSQL.
 *
 *   bulkbench CONNINFO bench copy|values|stage|arrays [--rows N] [--page P]
 *       [--returning]
 *       Empty magsync.listings, then:
 *       copy    one plain COPY of N generated listing rows (the limit);
 *       values  N rows upserted with BULK_VALUES in P-row transactions
 *               (BEGIN, bulk_upsert, COMMIT per page), then the same rows
 *               again with changed prices and quantities (every row an
 *               update);
 *       stage   the same with BULK_STAGE;
 *       arrays  the same with BULK_ARRAYS.
 *       --returning adds RETURNING id, sku (the ids a process may need).
 *       Prints one JSON line: {"mode", "rows", "page", "insert_ms",
 *       "update_ms", "insert_rows_per_s", "update_rows_per_s"}.
 *   bulkbench CONNINFO upsert FILE [--strategy S] [--nothing] [--page P]
 *       Upsert the rows of FILE (a JSON array of objects: column -> string
 *       or null; the columns present are written, or those listed in
 *       "written": [columns]) into
 *       magsync.listings, P rows per transaction (default: all in one).
 *       Prints {"affected": N, "returned": M}.
 *   bulkbench CONNINFO stream [--rows N] [--page P] [--strategy S]
 *       Like bench values, insert pass only, with a line per page: for
 *       fault tests (PostgreSQL stopped mid-stream). The first failing
 *       page ends it with "bulkbench: page K: <error>" on stderr.
 *
 * Exit 0 on success, 1 on any error. The loop always runs dry and
 * uv_loop_close() must return 0. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bulk.h"
#include "db.h"

/* Every column import_listings writes. */
enum {
	L_CHANNEL, L_SKU, L_MAGENTO_ID, L_NAME, L_DESCRIPTION,
	L_SHORT_DESCRIPTION, L_PRICE, L_SPECIAL_PRICE, L_QUANTITY,
	L_IN_STOCK, L_STATUS, L_MAGENTO_STATUS, L_VISIBILITY, L_WEIGHT,
	L_PRODUCT_TYPE, L_CATEGORY_ONE, L_CATEGORY_TWO, L_CATEGORY_THREE,
	L_IMAGES, L_MAX_SALE_QTY, L_ATTRIBUTES, L_MAGENTO_UPDATED_AT,
	L_IMPORTED_AT, L_NCOLS
};

static const struct bulk_col listing_cols[L_NCOLS] = {
	[L_CHANNEL] = { "channel", "text", BULK_KEY },
	[L_SKU] = { "sku", "text", BULK_KEY },
	[L_MAGENTO_ID] = { "magento_id", "bigint", 0 },
	[L_NAME] = { "name", "text", 0 },
	[L_DESCRIPTION] = { "description", "text", 0 },
	[L_SHORT_DESCRIPTION] = { "short_description", "text", 0 },
	[L_PRICE] = { "price", "numeric", 0 },
	[L_SPECIAL_PRICE] = { "special_price", "numeric", 0 },
	[L_QUANTITY] = { "quantity", "numeric", 0 },
	[L_IN_STOCK] = { "in_stock", "boolean", 0 },
	[L_STATUS] = { "status", "text", BULK_KEEP },
	[L_MAGENTO_STATUS] = { "magento_status", "integer", 0 },
	[L_VISIBILITY] = { "visibility", "integer", 0 },
	[L_WEIGHT] = { "weight", "numeric", 0 },
	[L_PRODUCT_TYPE] = { "product_type", "text", 0 },
	[L_CATEGORY_ONE] = { "category_one", "text", 0 },
	[L_CATEGORY_TWO] = { "category_two", "text", 0 },
	[L_CATEGORY_THREE] = { "category_three", "text", 0 },
	[L_IMAGES] = { "images", "text[]", 0 },
	[L_MAX_SALE_QTY] = { "max_sale_qty", "numeric", 0 },
	[L_ATTRIBUTES] = { "attributes", "jsonb", 0 },
	[L_MAGENTO_UPDATED_AT] = { "magento_updated_at", "timestamptz", 0 },
	[L_IMPORTED_AT] = { "imported_at", "timestamptz", 0 },
};

/* RETURNING only when asked (--returning, and always for upsert): a
 * process that needs the ids pays for them, about a fifth of the time. */
static struct bulk_table listings = {
	"magsync.listings", "bulk_listings", listing_cols, L_NCOLS, 0, NULL
};

struct tool {
	uv_loop_t loop;
	struct db *db;
	struct bulk_conn bc;
	int up, status, waiting;
	const char *mode;
	enum bulk_strategy strategy;
	enum bulk_conflict conflict;
	size_t rows, page;
	/* Generated or loaded rows: values row-major, one allocation per
	 * row holding its strings. */
	char **vals;
	char **arena;
	uint64_t *written;
	size_t pos;		/* next row to write */
	int pass;		/* bench: 1 insert, 2 update */
	uint64_t t0, ms[3];
	int64_t affected, returned;
	char *copy_data;
	size_t copy_len;
	int verbose;
};

static void
fail(struct tool *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
stop(struct tool *t)
{
	db_free(t->db);
	t->db = NULL;
}

static void
fail(struct tool *t, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bulkbench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	t->status = 1;
	stop(t);
}

/* ---- rows ---------------------------------------------------------- */

/* One generated listing: sizes like a real catalogue's (a few hundred
 * bytes of HTML description, three images, a JSON attribute object). The
 * description carries characters COPY must escape. */
static int
gen_row(struct tool *t, size_t i, int pass)
{
	static const char *const types[] = { "simple", "configurable",
	    "virtual" };
	static const char *const cats[] = { "Men", "Women", "Gear",
	    "Training" };
	char buf[4096], *p, **v = &t->vals[i * L_NCOLS];
	size_t off = 0;
	int n, c;
	const char *src[L_NCOLS];
	char tmp[L_NCOLS][700];

	for (c = 0; c < L_NCOLS; c++)
		src[c] = tmp[c];
	snprintf(tmp[L_CHANNEL], sizeof(tmp[0]), "bench");
	snprintf(tmp[L_SKU], sizeof(tmp[0]), "MH%06zu-%s", i + 1,
	    i % 7 == 0 ? "XL-Black" : "M");
	snprintf(tmp[L_MAGENTO_ID], sizeof(tmp[0]), "%zu", i + 1);
	snprintf(tmp[L_NAME], sizeof(tmp[0]), "Bench product %zu, organic "
	    "cotton, %s edition", i + 1, cats[i % 4]);
	snprintf(tmp[L_DESCRIPTION], sizeof(tmp[0]), "<p>Product %zu.\tMade "
	    "for training and every day; soft, durable and breathable "
	    "fabric with flatlock seams.</p>\n<ul><li>Machine wash "
	    "cold</li><li>Imported</li><li>Path C:\\bench\\%zu</li></ul>"
	    "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, "
	    "sed do eiusmod tempor incididunt ut labore et dolore magna "
	    "aliqua.</p>", i + 1, i % 100);
	snprintf(tmp[L_SHORT_DESCRIPTION], sizeof(tmp[0]), "Soft and durable "
	    "(%zu)", i % 1000);
	snprintf(tmp[L_PRICE], sizeof(tmp[0]), "%zu.%02zu",
	    10 + i % 90 + (size_t)pass, i % 100);
	src[L_SPECIAL_PRICE] = i % 5 ? NULL : "9.99";
	snprintf(tmp[L_QUANTITY], sizeof(tmp[0]), "%zu",
	    (i * 7 + (size_t)pass * 3) % 500);
	snprintf(tmp[L_IN_STOCK], sizeof(tmp[0]), "%s",
	    i % 11 ? "true" : "false");
	snprintf(tmp[L_STATUS], sizeof(tmp[0]), "paused");
	snprintf(tmp[L_MAGENTO_STATUS], sizeof(tmp[0]), "%d",
	    i % 30 ? 1 : 2);
	snprintf(tmp[L_VISIBILITY], sizeof(tmp[0]), "%d", i % 7 ? 4 : 1);
	snprintf(tmp[L_WEIGHT], sizeof(tmp[0]), "%zu.5", i % 9);
	snprintf(tmp[L_PRODUCT_TYPE], sizeof(tmp[0]), "%s", types[i % 3]);
	snprintf(tmp[L_CATEGORY_ONE], sizeof(tmp[0]), "%s", cats[i % 4]);
	snprintf(tmp[L_CATEGORY_TWO], sizeof(tmp[0]), "Tops");
	src[L_CATEGORY_THREE] = i % 2 ? "Jackets" : NULL;
	snprintf(tmp[L_IMAGES], sizeof(tmp[0]), "{https://img.example.com/m/"
	    "h/mh%06zu-black_main.jpg,https://img.example.com/m/h/"
	    "mh%06zu-black_alt1.jpg,https://img.example.com/m/h/"
	    "mh%06zu-black_back.jpg}", i + 1, i + 1, i + 1);
	snprintf(tmp[L_MAX_SALE_QTY], sizeof(tmp[0]), "10000");
	snprintf(tmp[L_ATTRIBUTES], sizeof(tmp[0]), "{\"color\": \"Black\", "
	    "\"size\": \"M\", \"material\": \"Cotton\", \"url_key\": "
	    "\"bench-product-%zu\"}", i + 1);
	snprintf(tmp[L_MAGENTO_UPDATED_AT], sizeof(tmp[0]),
	    "2024-05-%02zu 10:%02zu:00+00", 1 + i % 28, i % 60);
	snprintf(tmp[L_IMPORTED_AT], sizeof(tmp[0]),
	    "2024-06-01 12:00:%02d+00", pass);
	for (c = 0; c < L_NCOLS; c++) {
		if (src[c] == NULL)
			continue;
		n = snprintf(buf + off, sizeof(buf) - off, "%s", src[c]);
		if (n < 0 || (size_t)n >= sizeof(buf) - off)
			return -1;
		off += (size_t)n + 1;
	}
	free(t->arena[i]);
	if ((t->arena[i] = p = malloc(off)) == NULL)
		return -1;
	memcpy(p, buf, off);
	for (c = 0; c < L_NCOLS; c++) {
		if (src[c] == NULL) {
			v[c] = NULL;
			continue;
		}
		v[c] = p;
		p += strlen(p) + 1;
	}
	return 0;
}

static int
gen_all(struct tool *t, int pass)
{
	size_t i;

	for (i = 0; i < t->rows; i++)
		if (gen_row(t, i, pass) < 0)
			return -1;
	return 0;
}

static int
alloc_rows(struct tool *t, size_t n)
{
	t->rows = n;
	t->vals = calloc(n ? n * L_NCOLS : 1, sizeof(*t->vals));
	t->arena = calloc(n ? n : 1, sizeof(*t->arena));
	t->written = calloc(n ? n : 1, sizeof(*t->written));
	return t->vals && t->arena && t->written ? 0 : -1;
}

/* FILE: [{"sku": "...", ..., "written": ["sku", ...]}, ...] */
static int
load_rows(struct tool *t, const char *path)
{
	json_error_t je;
	json_t *a, *o, *w, *x;
	size_t i, k;
	int c;

	if ((a = json_load_file(path, 0, &je)) == NULL ||
	    !json_is_array(a)) {
		fprintf(stderr, "bulkbench: %s: %s\n", path,
		    a ? "not an array" : je.text);
		json_decref(a);
		return -1;
	}
	if (alloc_rows(t, json_array_size(a)) < 0)
		return -1;
	json_array_foreach(a, i, o) {
		size_t len = 0;
		char *p;

		for (c = 0; c < L_NCOLS; c++)
			if (json_is_string(x = json_object_get(o,
			    listing_cols[c].name)))
				len += json_string_length(x) + 1;
		if ((t->arena[i] = p = malloc(len + 1)) == NULL)
			return -1;
		t->written[i] = 0;
		w = json_object_get(o, "written");
		for (c = 0; c < L_NCOLS; c++) {
			x = json_object_get(o, listing_cols[c].name);
			t->vals[i * L_NCOLS + (size_t)c] = NULL;
			if (json_is_string(x)) {
				memcpy(p, json_string_value(x),
				    json_string_length(x) + 1);
				t->vals[i * L_NCOLS + (size_t)c] = p;
				p += json_string_length(x) + 1;
			}
			if (w == NULL) {
				if (x != NULL)
					t->written[i] |= (uint64_t)1 << c;
				continue;
			}
			for (k = 0; k < json_array_size(w); k++)
				if (json_is_string(json_array_get(w, k)) &&
				    strcmp(json_string_value(json_array_get(w,
				    k)), listing_cols[c].name) == 0)
					t->written[i] |= (uint64_t)1 << c;
		}
	}
	json_decref(a);
	return 0;
}

static void
free_rows(struct tool *t)
{
	size_t i;

	for (i = 0; t->arena && i < t->rows; i++)
		free(t->arena[i]);
	free(t->arena);
	free(t->vals);
	free(t->written);
	free(t->copy_data);
}

/* ---- the write loop ---------------------------------------------------- */

static void next_page(struct tool *t);
static void next_phase(struct tool *t);

static void
on_begin(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;

	(void)db;
	(void)res;
	if (err != NULL && t->status == 0)
		fail(t, "page %zu: BEGIN: %s", t->pos / t->page + 1, err);
}

static void
on_rows(PGresult *res, void *arg)
{
	struct tool *t = arg;

	t->returned += PQntuples(res);
}

static void
on_upsert(const char *err, const char *sqlstate, int64_t affected,
    void *arg)
{
	struct tool *t = arg;

	if (err != NULL) {
		if (t->status == 0)
			fail(t, "page %zu: %s%s%s%s", t->pos / t->page + 1, err,
			    *sqlstate ? " (SQLSTATE " : "", sqlstate,
			    *sqlstate ? ")" : "");
		return;
	}
	t->affected += affected;
}

static void
on_commit(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;

	(void)db;
	(void)res;
	if (t->status != 0 || t->db == NULL)
		return;
	if (err != NULL) {
		fail(t, "page %zu: COMMIT: %s", t->pos / t->page + 1, err);
		return;
	}
	t->pos += t->page;
	if (t->verbose)
		printf("page %zu committed\n", t->pos / t->page), fflush(stdout);
	next_page(t);
}

/* BEGIN, the upsert and COMMIT are queued together: the connection runs
 * them back to back, as a process does with a page in hand. */
static void
next_page(struct tool *t)
{
	struct bulk_req req;
	size_t n;
	int rc;

	if (t->pos >= t->rows) {
		next_phase(t);
		return;
	}
	n = t->rows - t->pos < t->page ? t->rows - t->pos : t->page;
	memset(&req, 0, sizeof(req));
	req.spec = &listings;
	req.nrows = n;
	req.values = (const char *const *)&t->vals[t->pos * L_NCOLS];
	req.written = t->written ? &t->written[t->pos] : NULL;
	req.conflict = t->conflict;
	req.strategy = t->strategy;
	req.on_rows = on_rows;
	req.done = on_upsert;
	req.arg = t;
	if ((rc = db_query(t->db, "BEGIN", 0, NULL, on_begin, t)) < 0 ||
	    (rc = bulk_upsert(&t->bc, &req)) < 0 ||
	    (rc = db_query(t->db, "COMMIT", 0, NULL, on_commit, t)) < 0)
		fail(t, "page %zu: cannot queue: %s", t->pos / t->page + 1,
		    strerror(-rc));
}

static void
on_copy(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;

	(void)db;
	if (err != NULL) {
		fail(t, "COPY: %s", err);
		return;
	}
	t->affected = strtoll(PQcmdTuples(res), NULL, 10);
	next_phase(t);
}

static void
on_truncate(struct db *db, PGresult *res, const char *err, void *arg)
{
	struct tool *t = arg;
	int rc;

	(void)db;
	(void)res;
	if (err != NULL) {
		fail(t, "TRUNCATE: %s", err);
		return;
	}
	t->t0 = uv_hrtime();
	if (strcmp(t->mode, "copy") == 0) {
		rc = db_copy_in(t->db, "COPY magsync.listings (channel, sku, "
		    "magento_id, name, description, short_description, price, "
		    "special_price, quantity, in_stock, status, "
		    "magento_status, visibility, weight, product_type, "
		    "category_one, category_two, category_three, images, "
		    "max_sale_qty, attributes, magento_updated_at, "
		    "imported_at) FROM STDIN", t->copy_data, t->copy_len,
		    on_copy, t);
		if (rc < 0)
			fail(t, "COPY: %s", strerror(-rc));
		return;
	}
	next_page(t);
}

/* Bench: [truncate] -> pass 1 -> pass 2 -> done; other modes: one pass. */
static void
next_phase(struct tool *t)
{
	uint64_t now = uv_hrtime();

	t->ms[t->pass] = (now - t->t0) / 1000000;
	if (strcmp(t->mode, "bench") == 0 && t->pass == 1) {
		t->pass = 2;
		if (gen_all(t, 2) < 0) {
			fail(t, "out of memory");
			return;
		}
		t->pos = 0;
		t->t0 = uv_hrtime();
		next_page(t);
		return;
	}
	stop(t);
}

static void
on_state(struct db *db, int up, const char *err, void *arg)
{
	struct tool *t = arg;
	int rc;

	(void)db;
	if (!up) {
		if (t->status == 0 && t->db != NULL)
			fail(t, "database connection %s: %s",
			    t->up ? "lost" : "failed", err ? err : "?");
		return;
	}
	t->up = 1;
	t->pass = 1;
	bulk_conn_db(&t->bc, t->db);
	if (strcmp(t->mode, "upsert") != 0)
		rc = db_query(t->db, "TRUNCATE magsync.listings CASCADE", 0,
		    NULL, on_truncate, t);
	else {
		t->t0 = uv_hrtime();
		next_page(t);
		rc = 0;
	}
	if (rc < 0)
		fail(t, "cannot queue: %s", strerror(-rc));
}

static int
append(struct tool *t, size_t *cap, const char *s, size_t n)
{
	char *p;

	if (t->copy_len + n + 1 > *cap) {
		*cap = (*cap ? *cap : 4096) * 2 + n;
		if ((p = realloc(t->copy_data, *cap)) == NULL)
			return -1;
		t->copy_data = p;
	}
	memcpy(t->copy_data + t->copy_len, s, n);
	t->copy_len += n;
	t->copy_data[t->copy_len] = '\0';
	return 0;
}

/* The plain COPY's payload, built before the clock starts. */
static int
make_copy(struct tool *t)
{
	size_t cap = 0, i;
	int c;

	for (i = 0; i < t->rows; i++) {
		for (c = 0; c < L_NCOLS; c++) {
			if ((c > 0 && append(t, &cap, "\t", 1) < 0) ||
			    bulk_copy_escape(&t->copy_data, &t->copy_len, &cap,
			    t->vals[i * L_NCOLS + (size_t)c]) < 0)
				return -1;
		}
		if (append(t, &cap, "\n", 1) < 0)
			return -1;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bulkbench CONNINFO bench "
	    "copy|values|stage|arrays [--rows N] [--page P] [--returning]\n"
	    "       bulkbench CONNINFO upsert FILE [--strategy S] "
	    "[--nothing] [--page P]\n"
	    "       bulkbench CONNINFO stream [--rows N] [--page P] "
	    "[--strategy S]\n");
	exit(1);
}

static size_t
num_arg(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > 100000000)
		usage();
	return (size_t)v;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rows", required_argument, NULL, 'r' },
		{ "page", required_argument, NULL, 'p' },
		{ "strategy", required_argument, NULL, 's' },
		{ "nothing", no_argument, NULL, 'n' },
		{ "returning", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	struct tool t;
	const char *conninfo, *what = NULL;
	size_t rows = 100000, page = 250, page_set = 0;
	int ch, s, rc, close_rc;

	memset(&t, 0, sizeof(t));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': rows = num_arg(optarg); break;
		case 'p': page = num_arg(optarg); page_set = 1; break;
		case 's':
			if ((s = bulk_strategy_from_name(optarg)) < 0)
				usage();
			t.strategy = (enum bulk_strategy)s;
			break;
		case 'n': t.conflict = BULK_NOTHING; break;
		case 'R': listings.returning = "id, sku"; break;
		default: usage();
		}
	}
	if (argc - optind < 2)
		usage();
	conninfo = argv[optind];
	t.mode = argv[optind + 1];
	if (argc - optind > 2)
		what = argv[optind + 2];
	t.page = page;
	if (strcmp(t.mode, "bench") == 0 && what != NULL &&
	    argc - optind == 3) {
		if (strcmp(what, "copy") == 0)
			t.mode = "copy";
		else if ((s = bulk_strategy_from_name(what)) > 0)
			t.strategy = (enum bulk_strategy)s;
		else
			usage();
		if (alloc_rows(&t, rows) < 0 || gen_all(&t, 1) < 0)
			return 1;
		free(t.written);
		t.written = NULL;
		if (strcmp(t.mode, "copy") == 0 && make_copy(&t) < 0)
			return 1;
	} else if (strcmp(t.mode, "stream") == 0 && what == NULL) {
		if (alloc_rows(&t, rows) < 0 || gen_all(&t, 1) < 0)
			return 1;
		free(t.written);
		t.written = NULL;
		t.verbose = 1;
	} else if (strcmp(t.mode, "upsert") == 0 && what != NULL &&
	    argc - optind == 3) {
		if (load_rows(&t, what) < 0)
			return 1;
		listings.returning = "id, sku";
		if (!page_set)
			t.page = t.rows ? t.rows : 1;
	} else {
		usage();
	}
	if (uv_loop_init(&t.loop) < 0)
		return 1;
	if ((t.db = db_new(&t.loop, conninfo, 0, on_state, &t)) == NULL)
		return 1;
	rc = uv_run(&t.loop, UV_RUN_DEFAULT);
	close_rc = uv_loop_close(&t.loop);
	if (t.status == 0 && strcmp(t.mode, "upsert") == 0)
		printf("{\"affected\":%" PRId64 ",\"returned\":%" PRId64 "}\n",
		    t.affected, t.returned);
	else if (t.status == 0 && strcmp(t.mode, "copy") == 0)
		printf("{\"mode\":\"copy\",\"rows\":%zu,\"ms\":%" PRIu64
		    ",\"rows_per_s\":%.0f}\n", t.rows, t.ms[1],
		    t.rows * 1000.0 / (double)(t.ms[1] ? t.ms[1] : 1));
	else if (t.status == 0 && strcmp(t.mode, "bench") == 0)
		printf("{\"mode\":\"%s\",\"returning\":%s,\"rows\":%zu,"
		    "\"page\":%zu,\"insert_ms\":%" PRIu64 ",\"update_ms\":%"
		    PRIu64 ",\"insert_rows_per_s\":%.0f,"
		    "\"update_rows_per_s\":%.0f}\n",
		    bulk_strategy_name(t.strategy),
		    listings.returning ? "true" : "false", t.rows, t.page, t.ms[1],
		    t.ms[2], t.rows * 1000.0 / (double)(t.ms[1] ? t.ms[1] : 1),
		    t.rows * 1000.0 / (double)(t.ms[2] ? t.ms[2] : 1));
	else if (t.status == 0)
		printf("stream ok: %zu rows\n", t.rows);
	free_rows(&t);
	if (rc != 0 || close_rc != 0) {
		fprintf(stderr, "bulkbench: loop did not close (%d, %d)\n", rc,
		    close_rc);
		return 1;
	}
	return t.status;
}
