/* test_listing.c - import_listings' rules: the category map, media URLs,
 * stock pages, array literals and the staging row of a product under the
 * default template and custom ones. */
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "listing.h"
#include "tmpl.h"
#include "unit.h"

static json_t *
js(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (j == NULL) {
		fprintf(stderr, "bad test JSON: %s: %s\n", e.text, text);
		abort();
	}
	return j;
}

/* ---- categories ---------------------------------------------------------- */

/* Store scope: the tree starts at the store's root (level 1). */
static const char luma[] =
    "{\"id\":2,\"parent_id\":1,\"name\":\"Default Category\",\"level\":1,"
    "\"children_data\":["
    " {\"id\":3,\"name\":\"Men\",\"level\":2,\"children_data\":["
    "  {\"id\":4,\"name\":\"Tops\",\"level\":3,\"children_data\":["
    "   {\"id\":5,\"name\":\"Jackets\",\"level\":4,\"children_data\":["
    "    {\"id\":50,\"name\":\"Rain\",\"level\":5,\"children_data\":[]}]},"
    "   {\"id\":6,\"name\":\"Hoodies & Sweatshirts\",\"level\":4}]}]},"
    " {\"id\":12,\"name\":\"Women\",\"level\":2,\"children_data\":["
    "  {\"id\":13,\"name\":\"Tops\",\"level\":3,\"children_data\":[]}]},"
    " {\"name\":\"no id\",\"children_data\":[{\"id\":99,\"name\":\"lost\"}]},"
    " {\"id\":\"20\",\"name\":\"Gear\",\"level\":\"2\"},"
    " {\"id\":3,\"name\":\"duplicate\",\"level\":2}"
    "]}";

TEST(cats_paths)
{
	static const struct {
		int64_t id;
		int n;
		const char *one, *two, *three;
	} cases[] = {
		{ 5, 3, "Men", "Tops", "Jackets" },
		{ 50, 3, "Men", "Tops", "Jackets" },	/* below level 4 */
		{ 6, 3, "Men", "Tops", "Hoodies & Sweatshirts" },
		{ 4, 2, "Men", "Tops", NULL },
		{ 3, 1, "Men", NULL, NULL },
		{ 13, 2, "Women", "Tops", NULL },
		{ 20, 1, "Gear", NULL, NULL },		/* ids as strings */
		{ 2, 0, NULL, NULL, NULL },		/* the root itself */
		{ 99, -1, NULL, NULL, NULL },		/* under a node without id */
		{ 7, -1, NULL, NULL, NULL },		/* unknown */
	};
	json_t *t = js(luma);
	struct listing_cats *c;
	const char *names[3];
	char err[128];
	size_t i;

	c = listing_cats_new(t, err, sizeof(err));
	CHECK(c != NULL);
	CHECK_INT(listing_cats_count(c), 10);
	for (i = 0; c != NULL && i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(listing_cats_path(c, cases[i].id, names), cases[i].n);
		CHECK_STR(names[0], cases[i].one);
		CHECK_STR(names[1], cases[i].two);
		CHECK_STR(names[2], cases[i].three);
	}
	listing_cats_free(c);
	json_decref(t);
}

/* The admin scope starts at "Root Catalog" (level 0); a tree without
 * levels counts its top node as level 1. */
TEST(cats_levels)
{
	json_t *admin = js("{\"id\":1,\"name\":\"Root Catalog\",\"level\":0,"
	    "\"children_data\":[{\"id\":2,\"name\":\"Default Category\","
	    "\"level\":1,\"children_data\":[{\"id\":3,\"name\":\"Men\","
	    "\"level\":2,\"children_data\":[{\"id\":4,\"name\":\"Tops\","
	    "\"level\":3}]}]}]}");
	json_t *bare = js("{\"id\":2,\"name\":\"Default Category\","
	    "\"children_data\":[{\"id\":3,\"name\":\"Men\",\"children_data\":"
	    "[{\"id\":4,\"name\":\"Tops\",\"children_data\":[{\"id\":5,"
	    "\"name\":\"Tees\"}]}]}]}");
	struct listing_cats *c;
	const char *names[3];

	c = listing_cats_new(admin, NULL, 0);
	CHECK_INT(listing_cats_path(c, 4, names), 2);
	CHECK_STR(names[0], "Men");
	CHECK_STR(names[1], "Tops");
	CHECK_INT(listing_cats_path(c, 2, names), 0);
	listing_cats_free(c);
	c = listing_cats_new(bare, NULL, 0);
	CHECK_INT(listing_cats_path(c, 5, names), 3);
	CHECK_STR(names[0], "Men");
	CHECK_STR(names[2], "Tees");
	listing_cats_free(c);
	json_decref(admin);
	json_decref(bare);
}

TEST(cats_bad)
{
	char err[128] = "";
	json_t *arr = js("[]"), *deep, *node, *kids;
	struct listing_cats *c;
	const char *names[3];
	int i;

	CHECK(listing_cats_new(arr, err, sizeof(err)) == NULL);
	CHECK_HAS(err, "not a JSON object");
	CHECK(listing_cats_new(NULL, err, sizeof(err)) == NULL);
	/* 300 levels: refused, never a stack overflow. */
	deep = json_pack("{s:i,s:s}", "id", 1, "name", "n1");
	node = deep;
	for (i = 2; i <= 300; i++) {
		json_t *child = json_pack("{s:i,s:s}", "id", i, "name", "n");

		kids = json_array();
		json_array_append_new(kids, child);
		json_object_set_new(node, "children_data", kids);
		node = child;
	}
	CHECK(listing_cats_new(deep, err, sizeof(err)) == NULL);
	CHECK_HAS(err, "deeper than 256");
	/* An empty object: no categories, every lookup unknown. */
	json_decref(arr);
	arr = js("{}");
	c = listing_cats_new(arr, err, sizeof(err));
	CHECK(c != NULL);
	CHECK_INT(listing_cats_count(c), 0);
	CHECK_INT(listing_cats_path(c, 1, names), -1);
	CHECK_INT(listing_cats_path(NULL, 1, names), -1);
	listing_cats_free(c);
	listing_cats_free(NULL);
	json_decref(arr);
	json_decref(deep);
}

/* ---- images -------------------------------------------------------------- */

TEST(image_urls)
{
	static const struct {
		const char *base, *file, *want;
	} cases[] = {
		{ "https://cdn.example/p", "/a/b/x.jpg",
		    "https://cdn.example/p/a/b/x.jpg" },
		{ "https://cdn.example/p/", "/a/b/x.jpg",
		    "https://cdn.example/p/a/b/x.jpg" },
		{ "https://cdn.example/p/", "a/b/x.jpg",
		    "https://cdn.example/p/a/b/x.jpg" },
		{ "https://cdn.example/p", "a/b/x.jpg",
		    "https://cdn.example/p/a/b/x.jpg" },
		{ "", "/x.jpg", "/x.jpg" },
		{ "http://h/media/", "catalog/product",
		    "http://h/media/catalog/product" },
	};
	size_t i;
	char *u;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u = listing_image_url(cases[i].base, cases[i].file);
		CHECK_STR(u, cases[i].want);
		free(u);
	}
}

TEST(media_base)
{
	json_t *cfg = js("[{\"code\":\"other\",\"base_media_url\":"
	    "\"http://o/media/\"},{\"code\":\"default\",\"base_media_url\":"
	    "\"http://h/media/\",\"secure_base_media_url\":"
	    "\"https://h/media\"},{\"code\":\"nourl\",\"base_media_url\":\"\"},"
	    "{\"code\":\"insecure\",\"base_media_url\":\"http://i/m/\","
	    "\"secure_base_media_url\":\"http://i/m/\"}]");
	char err[128] = "", *b;

	b = listing_media_base(cfg, "default", 0, err, sizeof(err));
	CHECK_STR(b, "http://h/media/catalog/product");
	free(b);
	b = listing_media_base(cfg, "default", 1, err, sizeof(err));
	CHECK_STR(b, "https://h/media/catalog/product");
	free(b);
	b = listing_media_base(cfg, "insecure", 1, err, sizeof(err));
	CHECK_STR(b, "http://i/m/catalog/product");
	free(b);
	b = listing_media_base(cfg, "other", 1, err, sizeof(err));
	CHECK_STR(b, "http://o/media/catalog/product");
	free(b);
	CHECK(listing_media_base(cfg, "nope", 0, err, sizeof(err)) == NULL);
	CHECK_HAS(err, "no store 'nope'");
	CHECK(listing_media_base(cfg, "nourl", 0, err, sizeof(err)) == NULL);
	CHECK_HAS(err, "no base_media_url");
	CHECK(listing_media_base(NULL, "default", 0, err, sizeof(err)) ==
	    NULL);
	CHECK_HAS(err, "not a JSON array");
	json_decref(cfg);
}

/* ---- array literals and stock ------------------------------------------- */

TEST(pg_arrays)
{
	const char *v[] = { "plain", NULL, "with \"quotes\"", "back\\slash",
	    "a,b {c}", "NULL", "", "Ünïcødé 雪" };
	char *s;

	s = listing_pg_array(v, 8);
	CHECK_STR(s, "{\"plain\",NULL,\"with \\\"quotes\\\"\","
	    "\"back\\\\slash\",\"a,b {c}\",\"NULL\",\"\",\"Ünïcødé 雪\"}");
	free(s);
	s = listing_pg_array(NULL, 0);
	CHECK_STR(s, "{}");
	free(s);
}

/* The reusing form gives the same text, grows its buffer only when needed
 * and keeps it. */
TEST(pg_arrays_to)
{
	const char *a[] = { "x\"y", NULL, "back\\", "" };
	const char *b[] = { "a much longer element than before, to grow it" };
	char *buf = NULL, *ref, *kept;
	size_t cap = 0, cap1;

	CHECK_INT(listing_pg_array_to(&buf, &cap, a, 4), 0);
	ref = listing_pg_array(a, 4);
	CHECK_STR(buf, ref);
	CHECK_STR(buf, "{\"x\\\"y\",NULL,\"back\\\\\",\"\"}");
	CHECK_INT(cap, strlen(buf) + 1);	/* exact */
	free(ref);
	cap1 = cap;
	kept = buf;
	CHECK_INT(listing_pg_array_to(&buf, &cap, a, 1), 0);
	CHECK_STR(buf, "{\"x\\\"y\"}");
	CHECK(buf == kept && cap == cap1);	/* no new allocation */
	CHECK_INT(listing_pg_array_to(&buf, &cap, b, 1), 0);
	CHECK_STR(buf, "{\"a much longer element than before, to grow it\"}");
	CHECK(cap > cap1);
	CHECK_INT(listing_pg_array_to(&buf, &cap, NULL, 0), 0);
	CHECK_STR(buf, "{}");
	free(buf);
}

TEST(stock_msi)
{
	json_t *items = js("["
	    "{\"sku\":\"A\",\"source_code\":\"default\",\"quantity\":5,"
	    "\"status\":1},"
	    "{\"sku\":\"A\",\"source_code\":\"eu\",\"quantity\":2.5,"
	    "\"status\":0},"
	    "{\"sku\":\"B b/\\\"q\",\"source_code\":\"us\",\"quantity\":\"7.0000\","
	    "\"status\":1},"
	    "{\"sku\":\"C\",\"source_code\":\"default\",\"quantity\":\"lots\"},"
	    "{\"source_code\":\"default\",\"quantity\":1},"
	    "{\"sku\":\"D\",\"source_code\":\"default\",\"quantity\":0.1}]");
	char *k, *q, *f;
	size_t n, skipped;

	CHECK_INT(listing_stock_arrays(items, LISTING_MSI, NULL, &k, &q, &f,
	    &n, &skipped), 0);
	CHECK_INT(n, 4);
	CHECK_INT(skipped, 2);
	CHECK_STR(k, "{\"A\",\"A\",\"B b/\\\"q\",\"D\"}");
	CHECK_STR(q, "{\"5\",\"2.5\",\"7.0000\",\"0.1\"}");
	CHECK_STR(f, "{\"t\",\"f\",\"t\",NULL}");
	free(k), free(q), free(f);
	/* The channel's sources only. */
	CHECK_INT(listing_stock_arrays(items, LISTING_MSI, "default,us", &k,
	    &q, &f, &n, &skipped), 0);
	CHECK_INT(n, 3);
	CHECK_STR(k, "{\"A\",\"B b/\\\"q\",\"D\"}");
	free(k), free(q), free(f);
	CHECK_INT(listing_stock_arrays(items, LISTING_MSI, "eu", &k, &q, &f,
	    &n, &skipped), 0);
	CHECK_INT(n, 1);
	CHECK_STR(q, "{\"2.5\"}");
	free(k), free(q), free(f);
	/* A source code that is a prefix of another is not a match. */
	CHECK_INT(listing_stock_arrays(items, LISTING_MSI, "defaul,e", &k, &q,
	    &f, &n, &skipped), 0);
	CHECK_INT(n, 0);
	CHECK_STR(k, "{}");
	free(k), free(q), free(f);
	json_decref(items);
}

TEST(stock_legacy)
{
	json_t *items = js("["
	    "{\"item_id\":1,\"product_id\":11,\"qty\":77,\"is_in_stock\":true},"
	    "{\"item_id\":2,\"product_id\":\"12\",\"qty\":0,"
	    "\"is_in_stock\":false},"
	    "{\"item_id\":3,\"qty\":5,\"is_in_stock\":true},"
	    "{\"item_id\":4,\"product_id\":14,\"qty\":null}]");
	json_t *p = js("{\"id\":42,\"sku\":\"S-1\"}");
	char *k, *q, *f, buf[64];
	size_t n, skipped;

	CHECK_INT(listing_stock_arrays(items, LISTING_LEGACY, "ignored", &k,
	    &q, &f, &n, &skipped), 0);
	/* item 3 names no product (item_id is not one); item 4 has no
	 * quantity. */
	CHECK_INT(n, 2);
	CHECK_INT(skipped, 2);
	CHECK_STR(k, "{\"11\",\"12\"}");
	CHECK_STR(q, "{\"77\",\"0\"}");
	CHECK_STR(f, "{\"t\",\"f\"}");
	free(k), free(q), free(f);
	CHECK_INT(listing_stock_key(p, LISTING_LEGACY, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "42");
	CHECK_INT(listing_stock_key(p, LISTING_MSI, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "S-1");
	CHECK_INT(listing_stock_key(p, LISTING_MSI, buf, 3), -1);
	json_decref(items);
	json_decref(p);
}

/* ---- staging rows ------------------------------------------------------------ */

/* A hand-built configuration holding one import_listings job. */
struct jc {
	struct conf c;
	struct conf_channel ch;
	struct conf_job j;
	struct conf_kv settings[8];
	struct conf_template t;
	struct conf_kv lines[16];
	struct diag_list dl;
};

static void
jc_setting(struct jc *x, const char *k, const char *v)
{
	struct conf_kv *kv = &x->settings[x->j.nsettings++];

	kv->key = (char *)k;
	kv->value = (char *)v;
	kv->file = "t.ini";
	kv->line = 10 + (int)x->j.nsettings;
}

static void
jc_line(struct jc *x, const char *k, const char *v)
{
	struct conf_kv *kv = &x->lines[x->t.nlines++];

	kv->key = (char *)k;
	kv->value = (char *)v;
	kv->file = "t.ini";
	kv->line = 30 + (int)x->t.nlines;
}

static struct jc *
jc_new(int custom)
{
	struct jc *x = calloc(1, sizeof(*x));

	if (x == NULL)
		abort();
	x->ch.name = "shop";
	x->c.channels = &x->ch;
	x->c.nchannels = 1;
	x->j.channel = &x->ch;
	x->j.process = PROC_IMPORT_LISTINGS;
	x->j.file = "t.ini";
	x->j.line = 9;
	x->j.settings = x->settings;
	x->c.jobs = &x->j;
	x->c.njobs = 1;
	if (custom) {
		x->t.name = "mine";
		x->t.process = PROC_IMPORT_LISTINGS;
		x->t.base = "import_listings.default";
		x->t.file = "t.ini";
		x->t.line = 30;
		x->t.lines = x->lines;
		x->c.templates = &x->t;
		x->c.ntemplates = 1;
		x->j.template_name = "mine";
	}
	return x;
}

static struct tmpl *
jc_tmpl(struct jc *x)
{
	struct tmpl *t = tmpl_compile_job(&x->c, &x->j, &x->dl);
	char buf[512];
	size_t i;

	for (i = 0; i < x->dl.n; i++)
		fprintf(stderr, "  %s\n", diag_format(&x->dl, i, buf,
		    sizeof(buf)));
	return t;
}

static void
jc_free(struct jc *x)
{
	diag_clear(&x->dl);
	free(x);
}

static const char simple_json[] =
    "{\"id\":1,\"sku\":\"WG 0001/\\\"ü\\\"\",\"name\":\"Echo Watch\","
    "\"price\":62.5,\"status\":1,\"visibility\":4,\"type_id\":\"simple\","
    "\"updated_at\":\"2026-11-26 17:08:23\",\"weight\":3.5,"
    "\"extension_attributes\":{\"category_links\":[{\"position\":0,"
    "\"category_id\":\"5\"},{\"position\":1,\"category_id\":\"13\"}]},"
    "\"media_gallery_entries\":["
    " {\"id\":4,\"media_type\":\"image\",\"file\":\"/w/g/wg1-0.jpg\"},"
    " {\"id\":5,\"media_type\":\"external-video\",\"file\":\"/v.jpg\"},"
    " {\"id\":6,\"media_type\":\"image\",\"file\":\"/w/g/wg1-1.jpg\"},"
    " {\"id\":7,\"media_type\":\"image\"}],"
    "\"custom_attributes\":["
    " {\"attribute_code\":\"description\",\"value\":\"<p>Tough</p>\"},"
    " {\"attribute_code\":\"upc\",\"value\":\"000000079204\"},"
    " {\"attribute_code\":\"ean\",\"value\":\"4006381333931\"},"
    " {\"attribute_code\":\"erp_code\",\"value\":\"ERP-1\"},"
    " {\"attribute_code\":\"url_key\",\"value\":\"echo-watch\"}]}";

static const char parent_json[] =
    "{\"id\":3,\"sku\":\"WS3\",\"name\":\"Tee\",\"price\":48,\"status\":2,"
    "\"visibility\":4,\"type_id\":\"configurable\","
    "\"extension_attributes\":{\"configurable_product_links\":[2,\"12\",24,"
    "\"x\"]},\"custom_attributes\":[]}";

/* Nothing but the essentials: no price (null), no custom attributes. */
static const char sparse_json[] =
    "{\"id\":9,\"sku\":\"BARE\",\"name\":\"Bare\",\"price\":null,"
    "\"type_id\":\"virtual\",\"status\":3,\"visibility\":0,\"weight\":-1,"
    "\"updated_at\":\"0000-01-01 00:00:00\"}";

struct fixture {
	struct listing_cats *cats;
	struct listing_row *row;
	json_t *tree;
};

static void
fx_init(struct fixture *f)
{
	f->tree = js(luma);
	f->cats = listing_cats_new(f->tree, NULL, 0);
	f->row = listing_row_new();
	if (f->cats == NULL || f->row == NULL)
		abort();
}

static void
fx_done(struct fixture *f)
{
	listing_cats_free(f->cats);
	listing_row_free(f->row);
	json_decref(f->tree);
}

static int
build(struct fixture *f, const struct tmpl *t, const char *json,
    const char *base, const struct listing_stock *st)
{
	struct listing_opts o = { t, f->cats, base };
	json_t *p = js(json);
	int rc = listing_row_build(f->row, &o, p, st);

	json_decref(p);
	return rc;
}

#define V(c)	listing_row_value(fx.row, LISTING_COL_##c)

TEST(row_default_simple)
{
	struct listing_stock st = { "12.5", 1 };
	struct fixture fx;
	struct jc *x = jc_new(0);
	struct tmpl *t = jc_tmpl(x);

	CHECK(t != NULL);
	fx_init(&fx);
	CHECK_INT(build(&fx, t, simple_json, "https://cdn.example/img/", &st),
	    0);
	CHECK_STR(V(MAGENTO_ID), "1");
	CHECK_STR(V(MSKU), "WG 0001/\"ü\"");
	CHECK_STR(listing_row_entity(fx.row), "sku WG 0001/\"ü\"");
	CHECK_STR(V(ROLE), "C");
	CHECK_INT(listing_row_is_parent(fx.row), 0);
	CHECK_STR(V(OK), "t");
	CHECK_STR(V(ERR), NULL);
	CHECK_STR(V(VOK), "t");
	CHECK_STR(V(CHILDREN), NULL);
	CHECK_STR(V(SKU), "WG 0001/\"ü\"");
	CHECK_STR(V(MASTER_SKU), "WG 0001/\"ü\"");
	CHECK_STR(V(NAME), "Echo Watch");
	CHECK_STR(V(DESCRIPTION), "<p>Tough</p>");
	CHECK_STR(V(PRICE), "62.5");
	CHECK_STR(V(QUANTITY), "12.5");
	CHECK_STR(V(IMAGES), "{\"https://cdn.example/img/w/g/wg1-0.jpg\","
	    "\"https://cdn.example/img/w/g/wg1-1.jpg\"}");
	CHECK_STR(V(CATEGORY_ONE), "Men");
	CHECK_STR(V(CATEGORY_TWO), "Tops");
	CHECK_STR(V(CATEGORY_THREE), "Jackets");
	CHECK_STR(V(MAGENTO_STATUS), "1");
	CHECK_STR(V(VISIBILITY), "4");
	CHECK_STR(V(WEIGHT), "3.5");
	CHECK_STR(V(PRODUCT_TYPE), "simple");
	CHECK_HAS(V(MAGENTO_UPDATED_AT), "2026-11-26");
	CHECK_HAS(V(MAGENTO_UPDATED_AT), "17:08:23");
	CHECK_STR(V(IN_STOCK), "t");
	CHECK_STR(V(VSKU), "WG 0001/\"ü\"");
	CHECK_STR(V(UPC), "000000079204");
	CHECK_STR(V(VQUANTITY), "12.5");
	CHECK_STR(V(VPRICE), "62.5");
	CHECK_STR(listing_row_error(fx.row), "");
	fx_done(&fx);
	tmpl_free(t);
	jc_free(x);
}

TEST(row_parent_and_sparse)
{
	struct fixture fx;
	struct jc *x = jc_new(0);
	struct tmpl *t = jc_tmpl(x);

	fx_init(&fx);
	CHECK_INT(build(&fx, t, parent_json, NULL, NULL), 0);
	CHECK_STR(V(ROLE), "P");
	CHECK_INT(listing_row_is_parent(fx.row), 1);
	CHECK_STR(V(CHILDREN), "{\"2\",\"12\",\"24\"}");
	CHECK_STR(V(VOK), NULL);		/* parents have no variant side */
	CHECK_STR(V(VSKU), NULL);
	CHECK_STR(V(MAGENTO_STATUS), "2");
	CHECK_STR(V(QUANTITY), NULL);		/* not in the stock listing */
	CHECK_STR(V(IN_STOCK), NULL);
	CHECK_STR(V(CATEGORY_ONE), NULL);	/* no category link */
	/* No image base: the fallback path gives the bare files (none). */
	CHECK_STR(V(IMAGES), NULL);
	CHECK_INT(build(&fx, t, sparse_json, "http://x/", NULL), 0);
	CHECK_STR(V(PRICE), NULL);		/* null price */
	CHECK_STR(V(DESCRIPTION), NULL);	/* no custom attributes */
	CHECK_STR(V(UPC), NULL);
	CHECK_STR(V(IMAGES), "{}");
	CHECK_STR(V(MAGENTO_STATUS), NULL);	/* out of range: dropped */
	CHECK_STR(V(VISIBILITY), NULL);
	CHECK_STR(V(WEIGHT), NULL);
	CHECK_STR(V(PRODUCT_TYPE), "virtual");
	CHECK_STR(V(MAGENTO_UPDATED_AT), NULL);
	fx_done(&fx);
	tmpl_free(t);
	jc_free(x);
}

TEST(row_failures)
{
	static const struct {
		const char *json;
		int rc;
		const char *ok, *vok, *err;
	} cases[] = {
		/* name is Required: the listing side fails, the variant
		 * side is fine. */
		{ "{\"id\":1,\"sku\":\"A\",\"price\":1}", LISTING_EITEM,
		    "f", "t", "name" },
		{ "{\"id\":1,\"sku\":\"A\",\"name\":\"n\",\"price\":-3}",
		    LISTING_EITEM, "f", "f", "price: '-3' is negative" },
		{ "{\"id\":1,\"sku\":\"A\",\"name\":\"n\",\"price\":\"29,99\"}",
		    LISTING_EITEM, "f", "f", "price" },
		{ "{\"id\":1,\"sku\":\"A\",\"name\":{\"x\":1}}", LISTING_EITEM,
		    "f", "t", "name" },
		{ "{\"id\":1,\"name\":\"n\"}", LISTING_EBAD, NULL, NULL,
		    "SKU is missing" },
		{ "{\"id\":1,\"sku\":\"\",\"name\":\"n\"}", LISTING_EBAD, NULL,
		    NULL, "SKU is empty" },
		{ "{\"sku\":\"A\",\"name\":\"n\"}", LISTING_EBAD, NULL, NULL,
		    "no id" },
		{ "[1]", LISTING_EBAD, NULL, NULL, "not a JSON object" },
		{ "{\"id\":2,\"sku\":\"P\",\"type_id\":\"configurable\"}",
		    LISTING_EITEM, "f", NULL, "name" },
	};
	struct fixture fx;
	struct jc *x = jc_new(0);
	struct tmpl *t = jc_tmpl(x);
	size_t i;

	fx_init(&fx);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(build(&fx, t, cases[i].json, NULL, NULL),
		    cases[i].rc);
		CHECK_STR(V(OK), cases[i].ok);
		CHECK_STR(V(VOK), cases[i].vok);
		CHECK_HAS(listing_row_error(fx.row), cases[i].err);
		if (cases[i].ok != NULL && strcmp(cases[i].ok, "f") == 0)
			CHECK_HAS(V(ERR), cases[i].err);
	}
	fx_done(&fx);
	tmpl_free(t);
	jc_free(x);
}

TEST(row_custom_template)
{
	struct listing_stock st = { "3", 0 };
	struct fixture fx;
	struct jc *x = jc_new(1);
	struct tmpl *t;

	jc_line(x, "name", "field:json:custom_attributes.url_key");
	jc_line(x, "price", "value:5.25");
	jc_line(x, "description", "skip");
	jc_line(x, "category_two", "empty");
	jc_line(x, "variant.price", "field:price");
	jc_setting(x, "upc_attribute", "ean");
	jc_setting(x, "master_sku", "json:custom_attributes.erp_code");
	t = jc_tmpl(x);
	CHECK(t != NULL);
	fx_init(&fx);
	CHECK_INT(build(&fx, t, simple_json, "http://m/", &st), 0);
	CHECK_STR(V(NAME), "echo-watch");
	CHECK_STR(V(PRICE), "5.25");
	CHECK_STR(V(DESCRIPTION), NULL);	/* skipped: not written */
	CHECK_INT(tmpl_mapped(t) >> FIELDS_IL_DESCRIPTION & 1, 0);
	CHECK_STR(V(CATEGORY_ONE), "Men");
	CHECK_STR(V(CATEGORY_TWO), NULL);
	CHECK_INT(tmpl_mapped(t) >> FIELDS_IL_CATEGORY_TWO & 1, 1);
	CHECK_STR(V(MASTER_SKU), "ERP-1");
	CHECK_STR(V(UPC), "4006381333931");
	CHECK_STR(V(VPRICE), "62.5");
	CHECK_STR(V(IN_STOCK), "f");
	/* A master SKU path that finds nothing: Required, so it fails. */
	CHECK_INT(build(&fx, t, sparse_json, NULL, NULL), LISTING_EITEM);
	CHECK_HAS(V(ERR), "master_sku");
	fx_done(&fx);
	tmpl_free(t);
	jc_free(x);
}

TEST(row_master_none_and_skipped_variant_sku)
{
	struct fixture fx;
	struct jc *x = jc_new(1);
	struct tmpl *t;

	jc_line(x, "variant.sku", "skip");
	jc_line(x, "variant.upc", "skip");
	jc_setting(x, "master_sku", "none");
	jc_setting(x, "upc_attribute", "none");
	t = jc_tmpl(x);
	CHECK(t != NULL);
	CHECK_INT(tmpl_rule(t, FIELDS_IL_MASTER_SKU), TMPL_SKIP);
	fx_init(&fx);
	CHECK_INT(build(&fx, t, simple_json, NULL, NULL), 0);
	CHECK_STR(V(MASTER_SKU), NULL);
	/* The variant is still keyed: by Magento's SKU. */
	CHECK_STR(V(VSKU), "WG 0001/\"ü\"");
	CHECK_STR(V(UPC), NULL);
	fx_done(&fx);
	tmpl_free(t);
	jc_free(x);
}

TEST(row_empty_master_sku)
{
	struct fixture fx;
	struct jc *x = jc_new(0);
	struct tmpl *t;

	jc_setting(x, "master_sku", "json:custom_attributes.erp_code");
	t = jc_tmpl(x);
	fx_init(&fx);
	CHECK_INT(build(&fx, t, "{\"id\":5,\"sku\":\"Z\",\"name\":\"z\","
	    "\"custom_attributes\":[{\"attribute_code\":\"erp_code\","
	    "\"value\":\"\"}]}", NULL, NULL), LISTING_EITEM);
	CHECK_HAS(V(ERR), "master_sku: is empty");
	CHECK_STR(V(VOK), "t");
	fx_done(&fx);
	tmpl_free(t);
	jc_free(x);
}

TEST(dest_cols)
{
	CHECK_INT(listing_dest_col(FIELDS_IL_SKU), LISTING_COL_SKU);
	CHECK_INT(listing_dest_col(FIELDS_IL_VARIANT_UPC), LISTING_COL_UPC);
	CHECK_INT(listing_dest_col(FIELDS_IL_CATEGORY_THREE),
	    LISTING_COL_CATEGORY_THREE);
	CHECK_INT(listing_dest_col(-1), -1);
	CHECK_INT(listing_dest_col(FIELDS_IL_NDESTS), -1);
}

int
main(void)
{
	RUN(cats_paths);
	RUN(cats_levels);
	RUN(cats_bad);
	RUN(image_urls);
	RUN(media_base);
	RUN(pg_arrays);
	RUN(pg_arrays_to);
	RUN(stock_msi);
	RUN(stock_legacy);
	RUN(row_default_simple);
	RUN(row_parent_and_sparse);
	RUN(row_failures);
	RUN(row_custom_template);
	RUN(row_master_none_and_skipped_variant_sku);
	RUN(row_empty_master_sku);
	RUN(dest_cols);
	listing_row_free(NULL);
	return unit_done("test_listing");
}
