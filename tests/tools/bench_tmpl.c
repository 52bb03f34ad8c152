/* bench_tmpl - how fast templates apply, and how much they allocate.
 *
 *     bench_tmpl [N]
 *
 * 1. sync_listings.default applied to N listing rows (libpq-style text
 *    columns, 1024 distinct rows cycled), each payload freed: the cost a
 *    sync run pays per product before the request.
 * 2. The same, with the payload dumped as the request body.
 * 3. import_listings.default applied to N parsed Magento products (SQL
 *    parameters out).
 * Prints ns per record and allocations per record: every malloc, calloc
 * and realloc of the process (this file interposes glibc's), and those
 * made by jansson (json_set_alloc_funcs). Runs in one thread.
 *
 * Exits 1 when a goal is missed: applying allocates nothing per record
 * but the payload's own JSON values (every allocation of 1. and 2. is
 * jansson's), and nothing at all for SQL output (3.). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tmpl.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static unsigned long long n_alloc, n_json;

void *
malloc(size_t n)
{
	n_alloc++;
	return __libc_malloc(n);
}

void *
calloc(size_t a, size_t b)
{
	n_alloc++;
	return __libc_calloc(a, b);
}

void *
realloc(void *p, size_t n)
{
	n_alloc++;
	return __libc_realloc(p, n);
}

void
free(void *p)
{
	__libc_free(p);
}

static void *
json_malloc(size_t n)
{
	n_json++;
	return malloc(n);
}

static void
json_free(void *p)
{
	free(p);
}

#define NROWS 1024

/* One listing row: column texts in FIELDS_LPS_* order, and their storage. */
struct row {
	char buf[FIELDS_LPS_NSRCS][160];
	const char *text[FIELDS_MAX];
};

static void
make_row(struct row *r, int i)
{
	static const char *const status[] = { "active", "paused" };
	int k;

	memset(r->text, 0, sizeof(r->text));
#define SET(col, ...) do {						\
	snprintf(r->buf[col], sizeof(r->buf[col]), __VA_ARGS__);	\
	r->text[col] = r->buf[col];					\
} while (0)
	SET(FIELDS_LPS_SKU, "SKU-%07d", i);
	SET(FIELDS_LPS_NAME, "Organic cotton shirt, model %d", i);
	SET(FIELDS_LPS_DESCRIPTION, "<p>Soft organic cotton shirt number %d,"
	    " machine washable.</p>", i);
	if (i % 2)
		SET(FIELDS_LPS_SHORT_DESCRIPTION, "Shirt %d", i);
	SET(FIELDS_LPS_PRICE, "%d.%02d", 10 + i % 90, i % 100);
	if (i % 3 == 0)
		SET(FIELDS_LPS_SPECIAL_PRICE, "%d.99", 5 + i % 50);
	SET(FIELDS_LPS_QUANTITY, "%d", i % 250);
	SET(FIELDS_LPS_IN_STOCK, "%s", i % 250 ? "t" : "f");
	SET(FIELDS_LPS_IMAGES, "{https://cdn.example.com/p/%d/front.jpg,"
	    "https://cdn.example.com/p/%d/back.jpg}", i, i);
	SET(FIELDS_LPS_CATEGORIES, "{Men,Shirts,\"Long sleeve\"}");
	SET(FIELDS_LPS_CATEGORY_ONE, "Men");
	SET(FIELDS_LPS_STATUS, "%s", status[i % 2]);
	SET(FIELDS_LPS_VISIBILITY, "4");
	if (i % 4 == 0)
		SET(FIELDS_LPS_MAX_SALE_QTY, "10");
#undef SET
	for (k = 0; k < FIELDS_LPS_NSRCS; k++)
		if (r->text[k] == NULL)
			r->buf[k][0] = '\0';
}

/* Wall and CPU time: on a busy machine the CPU time of this thread is the
 * figure to trust. */
struct clock {
	double wall, cpu;
};

static double
ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct clock
now(void)
{
	struct clock c = { ns(CLOCK_MONOTONIC), ns(CLOCK_THREAD_CPUTIME_ID) };

	return c;
}

static int goal_missed;

/* Allocations beyond the allowed ones fail the bench. */
static void
goal(const char *what, unsigned long long got, unsigned long long allowed)
{
	if (got > allowed) {
		printf("GOAL MISSED: %s: %llu allocations, at most %llu\n",
		    what, got, allowed);
		goal_missed = 1;
	}
}

static void
report(const char *what, long n, struct clock t0, unsigned long long a,
    unsigned long long j)
{
	struct clock t1 = now();

	printf("%-42s %7.0f ns/record CPU (%7.0f wall)  %6.2f allocations/"
	    "record (%.2f by jansson)\n", what, (t1.cpu - t0.cpu) / (double)n,
	    (t1.wall - t0.wall) / (double)n, (double)a / (double)n,
	    (double)j / (double)n);
}

static int
bench_sync(long n, int dump)
{
	struct diag_list dl = { NULL, 0, 0 };
	struct tmpl *t = tmpl_compile(NULL, "sync_listings.default", &dl);
	struct tmpl_out *o = tmpl_out_new();
	struct row *rows = calloc(NROWS, sizeof(*rows));
	struct tmpl_src src;
	unsigned long long a0, j0;
	size_t bytes = 0;
	struct clock t0;
	long i;
	char *s;

	if (t == NULL || o == NULL || rows == NULL)
		return -1;
	for (i = 0; i < NROWS; i++)
		make_row(&rows[i], (int)i);
	memset(&src, 0, sizeof(src));
	/* warm up: the output's buffers reach their size */
	src.text = rows[0].text;
	if (tmpl_apply(t, FIELDS_RECORD, &src, o) != 0)
		return -1;
	a0 = n_alloc;
	j0 = n_json;
	t0 = now();
	for (i = 0; i < n; i++) {
		src.text = rows[i % NROWS].text;
		if (tmpl_apply(t, FIELDS_RECORD, &src, o) != 0) {
			fprintf(stderr, "bench_tmpl: record %ld failed\n", i);
			return -1;
		}
		if (dump) {
			s = json_dumps(tmpl_out_payload(o), JSON_COMPACT |
			    JSON_REAL_PRECISION(15));
			bytes += strlen(s);
			free(s);
		}
	}
	report(dump ? "sync_listings.default, apply + json_dumps" :
	    "sync_listings.default, apply", n, t0, n_alloc - a0, n_json - j0);
	goal("sync_listings apply: allocations not by jansson",
	    (n_alloc - a0) - (n_json - j0), 0);
	if (dump)
		printf("%-42s %7zu bytes/record of JSON\n", "", bytes /
		    (size_t)n);
	free(rows);
	tmpl_out_free(o);
	tmpl_free(t);
	diag_clear(&dl);
	return 0;
}

static const char product[] =
    "{\"id\":%d,\"sku\":\"SKU-%07d\",\"name\":\"Organic cotton shirt %d\","
    "\"attribute_set_id\":4,\"price\":%d.5,\"status\":1,\"visibility\":4,"
    "\"type_id\":\"simple\",\"created_at\":\"2024-01-02 03:04:05\","
    "\"updated_at\":\"2024-03-01 10:00:00\",\"weight\":0.3,"
    "\"extension_attributes\":{\"website_ids\":[1],\"category_links\":"
    "[{\"position\":0,\"category_id\":\"12\"}],\"stock_item\":"
    "{\"qty\":%d,\"is_in_stock\":true}},"
    "\"media_gallery_entries\":[{\"id\":1,\"media_type\":\"image\","
    "\"file\":\"/s/h/shirt%d-front.jpg\"},{\"id\":2,\"media_type\":"
    "\"image\",\"file\":\"/s/h/shirt%d-back.jpg\"}],"
    "\"custom_attributes\":[{\"attribute_code\":\"description\",\"value\":"
    "\"<p>Soft organic cotton.</p>\"},{\"attribute_code\":"
    "\"url_key\",\"value\":\"shirt-%d\"},{\"attribute_code\":\"color\","
    "\"value\":\"49\"}]}";

static int
bench_import(long n)
{
	struct diag_list dl = { NULL, 0, 0 };
	struct tmpl *t = tmpl_compile(NULL, "import_listings.default", &dl);
	struct tmpl_out *o = tmpl_out_new();
	json_t **docs = calloc(NROWS, sizeof(*docs));
	json_t *extra[FIELDS_MAX] = { NULL };
	struct tmpl_src src;
	unsigned long long a0, j0;
	char text[2048];
	struct clock t0;
	long i;

	if (t == NULL || o == NULL || docs == NULL)
		return -1;
	for (i = 0; i < NROWS; i++) {
		int k = (int)i;

		snprintf(text, sizeof(text), product, k, k, k, 10 + k % 90,
		    k % 250, k, k, k);
		if ((docs[i] = json_loads(text, 0, NULL)) == NULL)
			return -1;
	}
	/* The process supplies the category names and the image URLs. */
	extra[FIELDS_ILS_CATEGORY_ONE] = json_string("Men");
	extra[FIELDS_ILS_CATEGORY_TWO] = json_string("Shirts");
	extra[FIELDS_ILS_IMAGES] = json_pack("[s,s]",
	    "https://shop.example.com/media/catalog/product/s/h/a.jpg",
	    "https://shop.example.com/media/catalog/product/s/h/b.jpg");
	memset(&src, 0, sizeof(src));
	src.extra = extra;
	src.root = docs[0];
	if (tmpl_apply(t, FIELDS_RECORD, &src, o) != 0)
		return -1;
	a0 = n_alloc;
	j0 = n_json;
	t0 = now();
	for (i = 0; i < n; i++) {
		src.root = docs[i % NROWS];
		if (tmpl_apply(t, FIELDS_RECORD, &src, o) != 0) {
			fprintf(stderr, "bench_tmpl: product %ld failed\n", i);
			return -1;
		}
	}
	report("import_listings.default, apply (SQL out)", n, t0,
	    n_alloc - a0, n_json - j0);
	goal("import_listings apply (SQL out)", n_alloc - a0, 0);
	/* the same with the images read from the product ([] path) */
	extra[FIELDS_ILS_IMAGES] = NULL;
	a0 = n_alloc;
	j0 = n_json;
	t0 = now();
	for (i = 0; i < n; i++) {
		src.root = docs[i % NROWS];
		tmpl_apply(t, FIELDS_RECORD, &src, o);
	}
	report("  ... images from media_gallery_entries[]", n, t0,
	    n_alloc - a0, n_json - j0);
	for (i = 0; i < NROWS; i++)
		json_decref(docs[i]);
	for (i = 0; i < FIELDS_MAX; i++)
		json_decref(extra[i]);
	free(docs);
	tmpl_out_free(o);
	tmpl_free(t);
	diag_clear(&dl);
	return 0;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;

	if (n <= 0) {
		fprintf(stderr, "usage: bench_tmpl [N]\n");
		return 1;
	}
	json_set_alloc_funcs(json_malloc, json_free);
	printf("bench_tmpl: %ld records each\n", n);
	if (bench_sync(n, 0) < 0 || bench_sync(n, 1) < 0 ||
	    bench_import(n) < 0) {
		fprintf(stderr, "bench_tmpl: failed\n");
		return 1;
	}
	return goal_missed;
}
