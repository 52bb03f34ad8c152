/* test_orders.c - get_orders' rules: the order list query, the cutoff, the
 * acknowledgement body, configurable pairs both ways of use_parent_item_id,
 * virtual orders, addresses, catalogue prices, shipping method mapping,
 * per-order failures, custom templates and the page statement. Orders
 * are Magento JSON as /V1/orders returns it; configurations are built by
 * hand as conf_load leaves them. */
#include <stdlib.h>
#include <string.h>

#include "orders.h"
#include "tmpl.h"
#include "unit.h"

/* ---- fixtures ---------------------------------------------------------- */

#define ADDR(kind, first, region) \
	"{\"address_type\":\"" kind "\",\"city\":\"Austin\"," \
	"\"country_id\":\"US\",\"email\":\"ann@example.com\"," \
	"\"firstname\":\"" first "\",\"lastname\":\"Lee\"," \
	"\"postcode\":\"78701\",\"street\":[\"1 Main St\",\"Apt 2\"]," \
	"\"telephone\":\"555-0100\",\"company\":\"Acme\"," \
	"\"region\":" region ",\"region_code\":\"TX\"}"

/* A simple line, a configurable pair (parent 11, child 12) and a free
 * gift at price 0. */
static const char order_full[] =
    "{\"entity_id\":7,\"increment_id\":\"000000007\",\"status\":\"pending\","
    "\"created_at\":\"2024-03-01 10:00:00\",\"grand_total\":123.45,"
    "\"shipping_amount\":5,\"coupon_code\":\"SUMMER10\","
    "\"customer_note\":\"leave at door\",\"customer_email\":\"a@x.test\","
    "\"order_currency_code\":\"EUR\","
    "\"billing_address\":" ADDR("billing", "Ann", "\"Texas\"") ","
    "\"items\":["
    "{\"item_id\":10,\"sku\":\"S-1\",\"name\":\"Simple\",\"price\":9.5,"
    "\"qty_ordered\":2,\"weight\":1.25,\"discount_amount\":0.5,"
    "\"product_type\":\"simple\"},"
    "{\"item_id\":11,\"sku\":\"TEE-M\",\"name\":\"Tee\",\"price\":20,"
    "\"base_price\":20,\"qty_ordered\":1,\"weight\":0.3,"
    "\"discount_amount\":2,\"product_type\":\"configurable\","
    "\"product_option\":{\"x\":1}},"
    "{\"item_id\":12,\"sku\":\"TEE-M\",\"name\":\"Tee M\",\"price\":0,"
    "\"base_price\":0,\"qty_ordered\":1,\"weight\":0.3,"
    "\"discount_amount\":0,\"product_type\":\"simple\","
    "\"parent_item_id\":11,\"parent_item\":{\"item_id\":11}},"
    "{\"item_id\":13,\"sku\":\"GIFT\",\"name\":\"Gift\",\"price\":0,"
    "\"qty_ordered\":1,\"product_type\":\"simple\"}],"
    "\"extension_attributes\":{\"shipping_assignments\":[{\"shipping\":{"
    "\"address\":" ADDR("shipping", "Bob", "null") ","
    "\"method\":\"flatrate_flatrate\"}}]}}";

static const char order_virtual[] =
    "{\"entity_id\":\"8\",\"increment_id\":\"000000008\","
    "\"status\":\"complete\",\"created_at\":\"2024-03-02 00:00:00\","
    "\"grand_total\":\"25.0000\","
    "\"billing_address\":" ADDR("billing", "Cy", "\"Ohio\"") ","
    "\"items\":[{\"item_id\":\"20\",\"sku\":\"EBOOK\",\"price\":25,"
    "\"qty_ordered\":1,\"product_type\":\"virtual\"}],"
    "\"extension_attributes\":{\"shipping_assignments\":[{\"shipping\":{"
    "\"total\":{}}}]}}";

/* A bundle: parent 31 with two children at 0. */
static const char order_bundle[] =
    "{\"entity_id\":9,\"increment_id\":\"9\",\"status\":\"processing\","
    "\"items\":["
    "{\"item_id\":31,\"sku\":\"B\",\"price\":50,\"qty_ordered\":1,"
    "\"product_type\":\"bundle\"},"
    "{\"item_id\":32,\"sku\":\"B-1\",\"price\":0,\"qty_ordered\":1,"
    "\"parent_item_id\":31},"
    "{\"item_id\":33,\"sku\":\"B-2\",\"price\":0,\"qty_ordered\":2,"
    "\"parent_item_id\":31}]}";

/* Prices to find: a pair at 0 on both lines, a line without price, a
 * line whose price is null. */
static const char order_noprice[] =
    "{\"entity_id\":10,\"increment_id\":\"10\",\"status\":\"pending\","
    "\"items\":["
    "{\"item_id\":41,\"sku\":\"Cfg-Red\",\"price\":0,\"qty_ordered\":1,"
    "\"product_type\":\"configurable\"},"
    "{\"item_id\":42,\"sku\":\"Cfg-Red\",\"price\":0,\"qty_ordered\":1,"
    "\"parent_item_id\":41},"
    "{\"item_id\":43,\"sku\":\"NOPRICE\",\"qty_ordered\":3},"
    "{\"item_id\":44,\"sku\":\"a,b\",\"price\":null,\"qty_ordered\":1},"
    "{\"item_id\":45,\"sku\":\"UNKNOWN\",\"qty_ordered\":1}]}";

static json_t *
js(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (j == NULL) {
		fprintf(stderr, "bad fixture: %s at %d\n", e.text, e.position);
		abort();
	}
	return j;
}

/* ---- a hand-built conf with templates and sets --------------------------- */

#define NL 32

struct tc {
	struct conf c;
	struct conf_template t[4];
	struct conf_kv tl[4][NL];
	struct conf_mapping_set s[4];
	struct conf_kv sl[4][NL];
	struct diag_list dl;
};

static void
kv_add(struct conf_kv *kv, size_t *n, const char *k, const char *v)
{
	kv[*n].key = (char *)k;
	kv[*n].value = (char *)v;
	kv[*n].file = "t.ini";
	kv[*n].line = (int)*n + 2;
	(*n)++;
}

static struct tc *
tc_new(void)
{
	struct tc *x = calloc(1, sizeof(*x));

	if (x == NULL)
		abort();
	x->c.templates = x->t;
	x->c.sets = x->s;
	return x;
}

static struct conf_template *
tc_tmpl(struct tc *x, const char *name)
{
	struct conf_template *t = &x->t[x->c.ntemplates];

	t->name = (char *)name;
	t->process = PROC_GET_ORDERS;
	t->base = (char *)"get_orders.default";
	t->file = "t.ini";
	t->line = 1;
	t->lines = x->tl[x->c.ntemplates++];
	return t;
}

static struct conf_mapping_set *
tc_set(struct tc *x, const char *name)
{
	struct conf_mapping_set *s = &x->s[x->c.nsets];

	s->name = (char *)name;
	s->file = "t.ini";
	s->line = 1;
	s->entries = x->sl[x->c.nsets++];
	return s;
}

static void
tc_free(struct tc *x)
{
	diag_clear(&x->dl);
	free(x);
}

/* A compiled template: t.ini's "name", or the shipped default. */
static struct tmpl *
compile(struct tc *x, const char *name)
{
	struct tmpl *t = tmpl_compile(x ? &x->c : NULL, name, x ? &x->dl :
	    &(struct diag_list){ 0 });

	if (t == NULL) {
		fprintf(stderr, "template %s does not compile\n", name);
		abort();
	}
	return t;
}

/* ---- running a conversion ----------------------------------------------- */

struct run {
	struct tmpl *t;
	struct orders_conv *c;
	struct orders_page *p;
	struct orders_note note;
	json_t *doc;		/* the page's JSON, parsed back */
	int rc;
};

static void
run_init(struct run *r, struct tmpl *t, const struct orders_settings *s)
{
	memset(r, 0, sizeof(*r));
	r->t = t;
	r->c = orders_conv_new(t, s);
	r->p = orders_page_new();
	if (r->c == NULL || r->p == NULL)
		abort();
}

/* Convert one order text into the page; refresh doc. */
static int
run_order(struct run *r, const char *text, const json_t *prices)
{
	json_t *o = js(text);
	char *s;

	r->rc = orders_convert(r->c, o, prices, r->p, &r->note);
	json_decref(o);
	json_decref(r->doc);
	s = orders_page_json(r->p);
	r->doc = s ? js(s) : NULL;
	free(s);
	return r->rc;
}

static void
run_free(struct run *r)
{
	json_decref(r->doc);
	orders_page_free(r->p);
	orders_conv_free(r->c);
	tmpl_free(r->t);
}

/* Row i of the page's table ("orders", "addresses", "items"). */
static json_t *
row(const struct run *r, const char *table, size_t i)
{
	return json_array_get(json_object_get(r->doc, table), i);
}

static size_t
nrows(const struct run *r, const char *table)
{
	return json_array_size(json_object_get(r->doc, table));
}

/* A row's value as text: strings as they are, integers printed, null and
 * absent as "(null)" and "(absent)". */
static const char *
val(const json_t *rw, const char *key)
{
	static char buf[8][64];
	static int k;
	const json_t *v = json_object_get(rw, key);

	if (v == NULL)
		return "(absent)";
	if (json_is_null(v))
		return "(null)";
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		k = (k + 1) % 8;
		snprintf(buf[k], sizeof(buf[k]), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return buf[k];
	}
	return "(other)";
}

/* The address row of kind, or NULL. */
static json_t *
addr(const struct run *r, const char *kind)
{
	size_t i;

	for (i = 0; i < nrows(r, "addresses"); i++)
		if (strcmp(val(row(r, "addresses", i), "kind"), kind) == 0)
			return row(r, "addresses", i);
	return NULL;
}

/* ---- the order list, the cutoff, the comment ---------------------------- */

TEST(t_cutoff)
{
	static const struct {
		int64_t now, days;
		const char *want;	/* NULL: -1 */
	} cases[] = {
		{ 1709287200, 7, "2024-02-23 10:00:00" },	/* leap Feb */
		{ 1709287200, 0, "2024-03-01 10:00:00" },
		{ 1709287200, 1, "2024-02-29 10:00:00" },
		{ 86399, 0, "1970-01-01 23:59:59" },
		{ 1735689599, 365, "2024-01-01 23:59:59" },
		{ 1709287200, -1, NULL },
	};
	char buf[ORDERS_TIME_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = orders_cutoff(cases[i].now, cases[i].days, buf,
		    sizeof(buf));

		if (cases[i].want == NULL) {
			CHECK_INT(rc, -1);
			continue;
		}
		CHECK_INT(rc, 0);
		CHECK_STR(buf, cases[i].want);
	}
	CHECK_INT(orders_cutoff(0, 1, buf, ORDERS_TIME_MAX - 1), -1);
}

TEST(t_list_query)
{
	char *q;

	q = orders_list_query("pending,processing", "2024-02-23 10:00:00",
	    NULL, 50, 3);
	CHECK_HAS(q, "searchCriteria%5Bfilter_groups%5D%5B0%5D%5Bfilters%5D"
	    "%5B0%5D%5Bfield%5D=status&");
	CHECK_HAS(q, "%5Bfilter_groups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bvalue"
	    "%5D=pending%2Cprocessing&");
	CHECK_HAS(q, "%5Bfilter_groups%5D%5B0%5D%5Bfilters%5D%5B0%5D"
	    "%5Bcondition_type%5D=in");
	CHECK_HAS(q, "%5Bfilter_groups%5D%5B1%5D%5Bfilters%5D%5B0%5D%5Bfield"
	    "%5D=created_at&");
	CHECK_HAS(q, "%5Bfilter_groups%5D%5B1%5D%5Bfilters%5D%5B0%5D%5Bvalue"
	    "%5D=2024-02-23%2010%3A00%3A00&");
	CHECK_HAS(q, "%5Bfilter_groups%5D%5B1%5D%5Bfilters%5D%5B0%5D"
	    "%5Bcondition_type%5D=gteq");
	CHECK_HAS(q, "%5BsortOrders%5D%5B0%5D%5Bfield%5D=created_at&");
	CHECK_HAS(q, "%5BsortOrders%5D%5B0%5D%5Bdirection%5D=ASC");
	CHECK_HAS(q, "%5BsortOrders%5D%5B1%5D%5Bfield%5D=entity_id&");
	CHECK_HAS(q, "%5BpageSize%5D=50&");
	CHECK_HAS(q, "%5BcurrentPage%5D=3");
	CHECK(strstr(q, "filter_groups%5D%5B2%5D") == NULL);
	free(q);

	/* No statuses: created_at is the only group. */
	q = orders_list_query("", "2024-02-23 10:00:00", NULL, 10, 1);
	CHECK_HAS(q, "%5Bfilter_groups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bfield"
	    "%5D=created_at&");
	CHECK(q != NULL && strstr(q, "filter_groups%5D%5B1%5D") == NULL);
	CHECK(q != NULL && strstr(q, "=status") == NULL);
	free(q);
	q = orders_list_query(NULL, "2024-02-23 10:00:00", "total_count", 10,
	    1);
	CHECK(q != NULL && strstr(q, "=status") == NULL);
	CHECK_HAS(q, "&fields=total_count");
	free(q);

	CHECK(orders_list_query("pending", NULL, NULL, 50, 1) == NULL);
	CHECK(orders_list_query("pending", "", NULL, 50, 1) == NULL);
	CHECK(orders_list_query("pending", "2024-01-01 00:00:00", NULL, 0, 1)
	    == NULL);
	CHECK(orders_list_query("pending", "2024-01-01 00:00:00", NULL, 5, 0)
	    == NULL);
}

TEST(t_ack_body)
{
	json_t *j = orders_ack_body(77, "processing", "Imported by \"magsync\"");
	json_t *h = json_object_get(j, "statusHistory");

	CHECK(h != NULL);
	CHECK_STR(val(h, "comment"), "Imported by \"magsync\"");
	CHECK_STR(val(h, "status"), "processing");
	CHECK_STR(val(h, "parent_id"), "77");
	CHECK_STR(val(h, "is_customer_notified"), "0");
	CHECK_STR(val(h, "is_visible_on_front"), "0");
	CHECK_INT(json_object_size(h), 5);
	CHECK_INT(json_object_size(j), 1);
	json_decref(j);

	j = orders_ack_body(1, NULL, NULL);
	h = json_object_get(j, "statusHistory");
	CHECK_STR(val(h, "status"), "(null)");
	CHECK_STR(val(h, "comment"), "");
	json_decref(j);
}

TEST(t_entity)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
		{ "{\"increment_id\":\"000000123\",\"entity_id\":5}",
		    "order 000000123" },
		{ "{\"increment_id\":\"\",\"entity_id\":5}", "order #5" },
		{ "{\"entity_id\":\"6\"}", "order #6" },
		{ "{\"entity_id\":-6}", "order" },
		{ "[]", "order" },
	};
	char buf[ORDERS_ENTITY_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = js(cases[i].json);

		orders_entity(j, buf, sizeof(buf));
		CHECK_STR(buf, cases[i].want);
		json_decref(j);
	}
}

/* ---- conversion with the default template ------------------------------- */

TEST(t_full_order_default)
{
	struct orders_settings s = { 0, NULL };
	struct run r;
	json_t *o, *b, *sh, *it;

	run_init(&r, compile(NULL, "get_orders.default"), &s);
	CHECK_INT(run_order(&r, order_full, NULL), 0);
	CHECK_STR(r.note.entity, "order 000000007");
	CHECK_STR(r.note.msg, "");
	CHECK_INT(orders_page_count(r.p), 1);

	o = row(&r, "orders", 0);
	CHECK_STR(val(o, "e"), "7");
	CHECK_STR(val(o, "inc"), "000000007");
	CHECK_STR(val(o, "ack"), "pending");
	CHECK_STR(val(o, "increment_id"), "000000007");
	CHECK_STR(val(o, "status"), "pending");
	CHECK_STR(val(o, "grand_total"), "123.45");
	CHECK_STR(val(o, "shipping_amount"), "5");
	CHECK_STR(val(o, "coupon_code"), "SUMMER10");
	CHECK_STR(val(o, "customer_note"), "leave at door");
	/* Magento's times are UTC. */
	CHECK_STR(val(o, "magento_created_at"), "2024-03-01T10:00:00+00:00");
	CHECK_STR(val(o, "customer_email"), "a@x.test");
	CHECK_STR(val(o, "currency"), "EUR");
	CHECK_STR(val(o, "shipping_method"), "flatrate_flatrate");
	CHECK_STR(val(o, "shipping_method_name"), "(null)");

	CHECK_INT(nrows(&r, "addresses"), 2);
	b = addr(&r, "billing");
	sh = addr(&r, "shipping");
	CHECK_STR(val(b, "e"), "7");
	CHECK_STR(val(b, "first_name"), "Ann");
	CHECK_STR(val(b, "last_name"), "Lee");
	CHECK_STR(val(b, "company"), "Acme");
	CHECK_STR(val(b, "address_line_1"), "1 Main St");
	CHECK_STR(val(b, "address_line_2"), "Apt 2");
	CHECK_STR(val(b, "city"), "Austin");
	CHECK_STR(val(b, "state"), "Texas");
	CHECK_STR(val(b, "post_code"), "78701");
	CHECK_STR(val(b, "country_code"), "US");
	CHECK_STR(val(b, "telephone"), "555-0100");
	CHECK_STR(val(b, "email"), "ann@example.com");
	/* The shipping address comes from shipping_assignments only. */
	CHECK_STR(val(sh, "first_name"), "Bob");
	CHECK_STR(val(sh, "state"), "(null)");

	/* Simple, the pair as one row, the free gift. */
	CHECK_INT(nrows(&r, "items"), 3);
	it = row(&r, "items", 0);
	CHECK_STR(val(it, "magento_item_id"), "10");
	CHECK_STR(val(it, "parent_item_id"), "(null)");
	CHECK_STR(val(it, "alt_item_id"), "(null)");
	CHECK_STR(val(it, "sku"), "S-1");
	CHECK_STR(val(it, "name"), "Simple");
	CHECK_STR(val(it, "price"), "9.5");
	CHECK_STR(val(it, "qty_ordered"), "2");
	CHECK_STR(val(it, "weight"), "1.25");
	CHECK_STR(val(it, "discount_amount"), "0.5");
	CHECK_STR(val(it, "product_type"), "simple");
	it = row(&r, "items", 1);
	CHECK_STR(val(it, "magento_item_id"), "12");
	CHECK_STR(val(it, "parent_item_id"), "11");
	CHECK_STR(val(it, "alt_item_id"), "11");
	CHECK_STR(val(it, "sku"), "TEE-M");
	CHECK_STR(val(it, "name"), "Tee M");
	CHECK_STR(val(it, "price"), "20");
	CHECK_STR(val(it, "discount_amount"), "2");
	CHECK_STR(val(it, "product_type"), "simple");
	it = row(&r, "items", 2);
	CHECK_STR(val(it, "magento_item_id"), "13");
	CHECK_STR(val(it, "price"), "0");
	run_free(&r);
}

TEST(t_pair_parent_item_id)
{
	struct orders_settings s = { 1, NULL };
	struct run r;
	json_t *it;

	run_init(&r, compile(NULL, "get_orders.default"), &s);
	CHECK_INT(run_order(&r, order_full, NULL), 0);
	CHECK_INT(nrows(&r, "items"), 3);
	it = row(&r, "items", 1);
	CHECK_STR(val(it, "magento_item_id"), "11");
	CHECK_STR(val(it, "parent_item_id"), "(null)");
	CHECK_STR(val(it, "alt_item_id"), "12");
	CHECK_STR(val(it, "sku"), "TEE-M");
	CHECK_STR(val(it, "price"), "20");
	/* Lines outside pairs keep their ids either way. */
	CHECK_STR(val(row(&r, "items", 0), "magento_item_id"), "10");
	run_free(&r);
}

TEST(t_virtual_order)
{
	struct orders_settings s = { 0, NULL };
	struct run r;
	json_t *o;

	run_init(&r, compile(NULL, "get_orders.default"), &s);
	CHECK_INT(run_order(&r, order_virtual, NULL), 0);
	o = row(&r, "orders", 0);
	CHECK_STR(val(o, "e"), "8");
	CHECK_STR(val(o, "grand_total"), "25");
	CHECK_STR(val(o, "shipping_method"), "(null)");
	CHECK_STR(val(o, "coupon_code"), "(null)");
	CHECK_STR(val(o, "currency"), "(null)");
	CHECK_INT(nrows(&r, "addresses"), 1);
	CHECK(addr(&r, "billing") != NULL);
	CHECK(addr(&r, "shipping") == NULL);
	CHECK_STR(val(row(&r, "items", 0), "magento_item_id"), "20");
	CHECK_STR(val(row(&r, "items", 0), "product_type"), "virtual");
	run_free(&r);
}

TEST(t_bundle_lines)
{
	struct orders_settings s = { 1, NULL };
	struct run r;

	run_init(&r, compile(NULL, "get_orders.default"), &s);
	CHECK_INT(run_order(&r, order_bundle, NULL), 0);
	CHECK_INT(nrows(&r, "items"), 3);
	CHECK_STR(val(row(&r, "items", 0), "magento_item_id"), "31");
	CHECK_STR(val(row(&r, "items", 1), "magento_item_id"), "32");
	CHECK_STR(val(row(&r, "items", 1), "parent_item_id"), "31");
	CHECK_STR(val(row(&r, "items", 2), "magento_item_id"), "33");
	CHECK_STR(val(row(&r, "items", 2), "price"), "0");
	CHECK_INT(nrows(&r, "addresses"), 0);
	run_free(&r);
}

TEST(t_page_dups_and_counts)
{
	struct orders_settings s = { 0, NULL };
	struct run r;

	run_init(&r, compile(NULL, "get_orders.default"), &s);
	CHECK_INT(run_order(&r, order_full, NULL), 0);
	CHECK_INT(run_order(&r, order_virtual, NULL), 0);
	CHECK_INT(run_order(&r, order_full, NULL), ORDERS_EDUP);
	CHECK_INT(orders_page_count(r.p), 2);
	CHECK_INT(nrows(&r, "items"), 4);
	CHECK_INT(nrows(&r, "addresses"), 3);
	orders_page_reset(r.p);
	CHECK_INT(orders_page_count(r.p), 0);
	CHECK_INT(run_order(&r, order_full, NULL), 0);
	CHECK_INT(nrows(&r, "orders"), 1);
	run_free(&r);
}

/* ---- prices -------------------------------------------------------------- */

TEST(t_need_prices)
{
	struct orders_settings s = { 0, NULL };
	struct tmpl *t = compile(NULL, "get_orders.default");
	struct orders_conv *c = orders_conv_new(t, &s);
	json_t *o = js(order_noprice), *want = json_object(), *cache;

	CHECK_INT(orders_conv_wants_prices(c), 1);
	CHECK_INT(orders_need_prices(c, o, NULL, want), 4);
	CHECK(json_object_get(want, "Cfg-Red") != NULL);
	CHECK(json_object_get(want, "NOPRICE") != NULL);
	CHECK(json_object_get(want, "a,b") != NULL);
	CHECK(json_object_get(want, "UNKNOWN") != NULL);
	/* Asking again adds nothing; a cached SKU (any case) is not asked. */
	CHECK_INT(orders_need_prices(c, o, NULL, want), 0);
	json_object_clear(want);
	cache = js("{\"cfg-red\": 5, \"noprice\": null}");
	CHECK_INT(orders_need_prices(c, o, cache, want), 2);
	CHECK(json_object_get(want, "Cfg-Red") == NULL);
	CHECK(json_object_get(want, "NOPRICE") == NULL);
	json_decref(cache);
	json_decref(o);

	/* Priced lines, a free gift and a pair with its price: nothing. */
	json_object_clear(want);
	o = js(order_full);
	CHECK_INT(orders_need_prices(c, o, NULL, want), 0);
	json_decref(o);
	/* Not an order: nothing, no crash. */
	o = js("[1,2]");
	CHECK_INT(orders_need_prices(c, o, NULL, want), 0);
	json_decref(o);
	json_decref(want);
	orders_conv_free(c);
	tmpl_free(t);
}

TEST(t_price_query_and_parse)
{
	json_t *want = js("{\"A-1\":null,\"b 2\":null,\"c,3\":null}");
	json_t *asked = json_object(), *cache = json_object(), *body;
	char *q;

	q = orders_price_query(want, asked, 100);
	CHECK_INT(json_object_size(want), 0);
	CHECK_INT(json_object_size(asked), 3);
	CHECK_HAS(q, "%5Bfilter_groups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bfield"
	    "%5D=sku&");
	CHECK_HAS(q, "=c%2C3&");
	CHECK_HAS(q, "%5Bcondition_type%5D=eq");
	CHECK_HAS(q, "=A-1%2Cb%202&");
	CHECK_HAS(q, "%5Bcondition_type%5D=in");
	CHECK_HAS(q, "%5BpageSize%5D=3&");
	CHECK_HAS(q, "fields=items%5Bsku%2Cprice%5D%2Ctotal_count");
	CHECK(q != NULL && strstr(q, "filter_groups%5D%5B1%5D") == NULL);
	free(q);

	body = js("{\"items\":[{\"sku\":\"a-1\",\"price\":12.5},"
	    "{\"sku\":\"C,3\",\"price\":\"7.25\"},"
	    "{\"sku\":\"OTHER\",\"price\":1}],\"total_count\":3}");
	CHECK_INT(orders_price_parse(body, asked, cache), 2);
	CHECK_INT(json_object_size(asked), 0);
	CHECK(json_real_value(json_object_get(cache, "a-1")) == 12.5);
	CHECK(json_real_value(json_object_get(cache, "c,3")) == 7.25);
	CHECK(json_is_null(json_object_get(cache, "b 2")));
	CHECK(json_object_get(cache, "other") == NULL);
	json_decref(body);

	/* Batches: at most max SKUs per query, the rest stay. */
	json_object_set_new(want, "X1", json_null());
	json_object_set_new(want, "X2", json_null());
	json_object_set_new(want, "X3", json_null());
	q = orders_price_query(want, asked, 2);
	CHECK(q != NULL);
	CHECK_INT(json_object_size(asked), 2);
	CHECK_INT(json_object_size(want), 1);
	free(q);
	body = js("{\"message\":\"nope\"}");
	CHECK_INT(orders_price_parse(body, asked, cache), -1);
	CHECK_INT(json_object_size(asked), 2);
	CHECK(json_object_get(cache, "x1") == NULL);
	json_decref(body);
	body = js("{\"items\":[],\"total_count\":0}");
	CHECK_INT(orders_price_parse(body, asked, cache), 0);
	CHECK_INT(json_object_size(asked), 0);
	CHECK(json_is_null(json_object_get(cache, "x1")));
	json_decref(body);
	body = js("{\"items\":5}");
	json_object_set_new(asked, "Y", json_null());
	CHECK_INT(orders_price_parse(body, asked, cache), -1);
	json_decref(body);
	body = js("[]");
	CHECK_INT(orders_price_parse(body, asked, cache), -1);
	json_decref(body);
	CHECK(orders_price_query(json_object_get(cache, "none"), asked, 5) ==
	    NULL);
	json_object_clear(want);
	CHECK(orders_price_query(want, asked, 5) == NULL);
	json_decref(want);
	json_decref(asked);
	json_decref(cache);
}

TEST(t_prices_filled)
{
	struct orders_settings s = { 0, NULL };
	struct run r;
	json_t *cache = js("{\"cfg-red\": 15.5, \"noprice\": 3, "
	    "\"a,b\": 1.25, \"unknown\": null}");

	run_init(&r, compile(NULL, "get_orders.default"), &s);
	CHECK_INT(run_order(&r, order_noprice, cache), 0);
	CHECK_INT(nrows(&r, "items"), 4);
	CHECK_STR(val(row(&r, "items", 0), "price"), "15.5");
	CHECK_STR(val(row(&r, "items", 0), "magento_item_id"), "42");
	CHECK_STR(val(row(&r, "items", 1), "price"), "3");
	CHECK_STR(val(row(&r, "items", 2), "price"), "1.25");
	CHECK_STR(val(row(&r, "items", 3), "price"), "(null)");
	/* Added, with a warning naming the SKU not found. */
	CHECK_STR(r.note.msg, "no price on the order line nor in the "
	    "catalogue for SKU UNKNOWN");
	run_free(&r);

	/* Without a cache every missing price is named. */
	run_init(&r, compile(NULL, "get_orders.default"), &s);
	CHECK_INT(run_order(&r, order_noprice, NULL), 0);
	CHECK_HAS(r.note.msg, "SKU Cfg-Red, NOPRICE, a,b, UNKNOWN");
	CHECK_STR(val(row(&r, "items", 0), "price"), "0");
	CHECK_STR(val(row(&r, "items", 1), "price"), "(null)");
	run_free(&r);
	json_decref(cache);
}

/* ---- shipping methods ----------------------------------------------------- */

TEST(t_shipping_methods)
{
	struct tc *x = tc_new();
	struct conf_mapping_set *ms = tc_set(x, "ship");
	struct orders_settings s = { 0, ms };
	struct run r;

	kv_add(ms->entries, &ms->nentries, "flatrate_flatrate", "Standard");
	kv_add(ms->entries, &ms->nentries, "ups_GND", "UPS Ground");
	run_init(&r, compile(NULL, "get_orders.default"), &s);
	CHECK_INT(run_order(&r, order_full, NULL), 0);
	CHECK_STR(val(row(&r, "orders", 0), "shipping_method_name"),
	    "Standard");
	/* Virtual: no method, nothing to map, no failure. */
	CHECK_INT(run_order(&r, order_virtual, NULL), 0);
	CHECK_STR(val(row(&r, "orders", 1), "shipping_method_name"),
	    "(null)");
	run_free(&r);

	/* Unmatched without a default fails the order. */
	ms->nentries = 1;
	ms->entries[0].key = (char *)"tablerate_bestway";
	run_init(&r, compile(NULL, "get_orders.default"), &s);
	CHECK_INT(run_order(&r, order_full, NULL), ORDERS_EFAIL);
	CHECK_STR(r.note.msg, "shipping method 'flatrate_flatrate' is not in "
	    "mapping set 'ship', which has no * default");
	CHECK_INT(orders_page_count(r.p), 0);
	run_free(&r);

	/* The default entry; case matters as in templates' sets. */
	kv_add(ms->entries, &ms->nentries, "*", "Other");
	kv_add(ms->entries, &ms->nentries, "FLATRATE_FLATRATE", "Upper");
	run_init(&r, compile(NULL, "get_orders.default"), &s);
	CHECK_INT(run_order(&r, order_full, NULL), 0);
	CHECK_STR(val(row(&r, "orders", 0), "shipping_method_name"), "Other");
	run_free(&r);
	tc_free(x);
}

/* ---- failures ---------------------------------------------------------------- */

TEST(t_failures)
{
	static const struct {
		const char *json;
		int rc;
		const char *entity, *msg;
	} cases[] = {
		{ "[]", ORDERS_EFAIL, "order", "is not an order object" },
		{ "{\"increment_id\":\"5\"}", ORDERS_EFAIL, "order 5",
		    "has no entity_id" },
		{ "{\"entity_id\":0,\"increment_id\":\"5\"}", ORDERS_EFAIL,
		    "order 5", "has no entity_id" },
		{ "{\"entity_id\":\"5x\"}", ORDERS_EFAIL, "order",
		    "has no entity_id" },
		{ "{\"entity_id\":5,\"status\":\"new\"}", ORDERS_EFAIL,
		    "order #5", "order_id: is required" },
		{ "{\"entity_id\":5,\"increment_id\":\"5\"}", ORDERS_EFAIL,
		    "order 5", "status: is required" },
		{ "{\"entity_id\":5,\"increment_id\":\"5\",\"status\":\"new\","
		    "\"grand_total\":\"12,50\"}", ORDERS_EFAIL, "order 5",
		    "grand_total: '12,50' is not a number" },
		{ "{\"entity_id\":5,\"increment_id\":\"5\",\"status\":\"new\","
		    "\"created_at\":\"yesterday\"}", ORDERS_EFAIL, "order 5",
		    "date_created: 'yesterday' is not a timestamp" },
		{ "{\"entity_id\":5,\"increment_id\":\"5\",\"status\":\"new\","
		    "\"items\":{}}", ORDERS_EFAIL, "order 5",
		    "items is not a list" },
		{ "{\"entity_id\":5,\"increment_id\":\"5\",\"status\":\"new\","
		    "\"items\":[{\"sku\":\"A\",\"qty_ordered\":1}]}",
		    ORDERS_EFAIL, "order 5", "order line 1 has no item_id" },
		{ "{\"entity_id\":5,\"increment_id\":\"5\",\"status\":\"new\","
		    "\"items\":[{\"item_id\":1,\"sku\":\"A\",\"qty_ordered\":1},"
		    "5]}", ORDERS_EFAIL, "order 5",
		    "order line 2 has no item_id" },
		{ "{\"entity_id\":5,\"increment_id\":\"5\",\"status\":\"new\","
		    "\"items\":[{\"item_id\":1,\"sku\":\"A\","
		    "\"qty_ordered\":\"two\",\"price\":\"x\"}]}", ORDERS_EFAIL,
		    "order 5", "item A: item.quantity_ordered: 'two' is not a "
		    "number (and 1 more)" },
		{ "{\"entity_id\":5,\"increment_id\":\"5\",\"status\":\"new\","
		    "\"items\":[{\"item_id\":1,\"qty_ordered\":1}]}",
		    ORDERS_EFAIL, "order 5", "item (no sku): item.sku: is required" },
		{ "{\"entity_id\":5,\"increment_id\":\"5\",\"status\":\"new\","
		    "\"billing_address\":{\"street\":\"not a list\","
		    "\"city\":[1]}}", ORDERS_EFAIL, "order 5",
		    "billing address: " },
		{ "{\"entity_id\":5,\"increment_id\":\"5\",\"status\":\"new\","
		    "\"items\":[{\"item_id\":1,\"sku\":\"A\","
		    "\"qty_ordered\":-2}]}", ORDERS_EFAIL, "order 5",
		    "item A: item.quantity_ordered: '-2' is below 0" },
		{ "{\"entity_id\":5,\"increment_id\":\"5\",\"status\":\"new\","
		    "\"items\":[{\"item_id\":1,\"sku\":\"A\","
		    "\"qty_ordered\":-0,\"price\":1}]}", 0, "order 5", "" },
		/* Fine: nothing but what is Required. */
		{ "{\"entity_id\":5,\"increment_id\":\"5\",\"status\":\"new\"}",
		    0, "order 5", "" },
	};
	struct orders_settings s = { 0, NULL };
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_init(&r, compile(NULL, "get_orders.default"), &s);
		CHECK_INT(run_order(&r, cases[i].json, NULL), cases[i].rc);
		CHECK_STR(r.note.entity, cases[i].entity);
		if (*cases[i].msg == '\0')
			CHECK_STR(r.note.msg, "");
		else
			CHECK_HAS(r.note.msg, cases[i].msg);
		CHECK_INT(orders_page_count(r.p), cases[i].rc == 0);
		if (cases[i].rc != 0)
			CHECK_INT(nrows(&r, "items") + nrows(&r, "addresses"),
			    0);
		run_free(&r);
	}
}

/* ---- a custom template ----------------------------------------------------- */

TEST(t_custom_template)
{
	struct tc *x = tc_new();
	struct conf_template *t = tc_tmpl(x, "mine");
	struct conf_mapping_set *st = tc_set(x, "stat");
	struct orders_settings s = { 0, NULL };
	struct run r;
	json_t *o, *it;
	char *sql;

	kv_add(t->lines, &t->nlines, "grand_total", "skip");
	kv_add(t->lines, &t->nlines, "coupon_code", "empty");
	kv_add(t->lines, &t->nlines, "customer_note", "value:see WMS");
	kv_add(t->lines, &t->nlines, "status", "set:stat:status");
	kv_add(t->lines, &t->nlines, "shipping_amount",
	    "field:json:base_grand_total");
	kv_add(t->lines, &t->nlines, "item.item_id", "skip");
	kv_add(t->lines, &t->nlines, "item.name", "field:json:product_type");
	kv_add(t->lines, &t->nlines, "item.weight", "empty");
	kv_add(t->lines, &t->nlines, "item.price", "value:1.5");
	kv_add(t->lines, &t->nlines, "billing.company", "empty");
	kv_add(t->lines, &t->nlines, "shipping.city", "skip");
	kv_add(t->lines, &t->nlines, "shipping.state",
	    "field:json:extension_attributes.shipping_assignments[0]."
	    "shipping.address.region_code");
	kv_add(st->entries, &st->nentries, "pending", "new");
	kv_add(st->entries, &st->nentries, "*", "other");

	run_init(&r, compile(x, "mine"), &s);
	/* item.price no longer reads the line: no catalogue lookups. */
	CHECK_INT(orders_conv_wants_prices(r.c), 0);
	CHECK_INT(run_order(&r, order_full, NULL), 0);
	o = row(&r, "orders", 0);
	CHECK_STR(val(o, "grand_total"), "(absent)");
	CHECK_STR(val(o, "coupon_code"), "(null)");
	CHECK_STR(val(o, "customer_note"), "see WMS");
	CHECK_STR(val(o, "status"), "new");
	/* The comment carries Magento's status, not the mapped one. */
	CHECK_STR(val(o, "ack"), "pending");
	CHECK_STR(val(o, "shipping_amount"), "(null)");
	it = row(&r, "items", 1);
	/* item.item_id skipped: the key is Magento's line id. */
	CHECK_STR(val(it, "magento_item_id"), "12");
	CHECK_STR(val(it, "name"), "simple");
	CHECK_STR(val(it, "weight"), "(null)");
	CHECK_STR(val(it, "price"), "1.5");
	CHECK_STR(val(addr(&r, "billing"), "company"), "(null)");
	CHECK_STR(val(addr(&r, "shipping"), "company"), "Acme");
	CHECK_STR(val(addr(&r, "shipping"), "city"), "(absent)");
	CHECK_STR(val(addr(&r, "billing"), "city"), "Austin");
	CHECK_STR(val(addr(&r, "shipping"), "state"), "TX");

	sql = orders_upsert_sql(r.c);
	CHECK(sql != NULL);
	/* Skipped columns are neither inserted nor updated. */
	CHECK(sql != NULL && strstr(sql, "grand_total") == NULL);
	CHECK_HAS(sql, "coupon_code");
	CHECK_HAS(sql, "CASE WHEN t.pii_purged_at IS NULL THEN "
	    "EXCLUDED.customer_email ELSE t.customer_email END");
	CHECK_HAS(sql, "CASE WHEN t.pii_purged_at IS NULL THEN "
	    "EXCLUDED.customer_note ELSE t.customer_note END");
	CHECK_HAS(sql, "oa.pii_purged_at IS NULL");
	free(sql);
	run_free(&r);

	/* A template giving two rows one item id fails the order. */
	t = tc_tmpl(x, "same");
	kv_add(t->lines, &t->nlines, "item.item_id", "value:5");
	run_init(&r, compile(x, "same"), &s);
	CHECK_INT(run_order(&r, order_full, NULL), ORDERS_EFAIL);
	CHECK_HAS(r.note.msg, "item id 5 is given to two rows of the order");
	run_free(&r);
	tc_free(x);
}

TEST(t_default_sql)
{
	struct orders_settings s = { 0, NULL };
	struct tmpl *t = compile(NULL, "get_orders.default");
	struct orders_conv *c = orders_conv_new(t, &s);
	char *sql = orders_upsert_sql(c);
	static const char *const has[] = {
		"INSERT INTO magsync.orders AS t (channel, magento_entity_id, ",
		"ON CONFLICT (channel, magento_entity_id) DO UPDATE",
		"ON CONFLICT (order_id, kind) DO UPDATE",
		"ON CONFLICT (order_id, magento_item_id) DO NOTHING",
		"grand_total numeric", "magento_created_at timestamptz",
		"x.kind = 'billing'", "x.kind = 'shipping'",
		"IS DISTINCT FROM", "(x.magento_item_id, x.alt_item_id)",
		"CROSS JOIN LATERAL", "OFFSET 0",
		"xo.inc, xo.ack, oa.acknowledged_at IS NULL",
	};
	size_t i;

	CHECK(sql != NULL);
	for (i = 0; i < sizeof(has) / sizeof(has[0]); i++)
		CHECK_HAS(sql, has[i]);
	free(sql);
	orders_conv_free(c);
	tmpl_free(t);

	/* Another process's template is refused. */
	t = tmpl_compile(NULL, "sync_orders.default",
	    &(struct diag_list){ 0 });
	CHECK(t != NULL && orders_conv_new(t, &s) == NULL);
	tmpl_free(t);
	CHECK(orders_conv_new(NULL, &s) == NULL);
	orders_conv_free(NULL);
	orders_page_free(NULL);
}

/* Magento's fields= filter, as its FieldsFilter applies it: keep the
 * named keys of an object, apply the sub-list to each element of a list.
 * Enough of a parser for the specs orders_fields makes. */
static json_t *
pick(const json_t *v, const char **spec)
{
	json_t *out;
	const char *p;
	char name[128];
	size_t n;

	if (json_is_array(v)) {
		const char *start = *spec, *end = start;
		size_t i;
		const json_t *e;

		out = json_array();
		json_array_foreach(v, i, e) {
			end = start;
			json_array_append_new(out, pick(e, &end));
		}
		if (json_array_size(v) == 0) {
			json_t *dummy = json_object();

			end = start;
			json_decref(pick(dummy, &end));
			json_decref(dummy);
		}
		*spec = end;
		return out;
	}
	out = json_object();
	for (p = *spec; *p != '\0' && *p != ']'; ) {
		n = strcspn(p, ",[]");
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		p += n;
		if (*p == '[') {
			p++;
			if (json_object_get(v, name) != NULL)
				json_object_set_new(out, name,
				    pick(json_object_get(v, name), &p));
			else {
				json_t *dummy = json_object();

				json_decref(pick(dummy, &p));
				json_decref(dummy);
			}
			p++;	/* ']' */
		} else if (json_object_get(v, name) != NULL) {
			json_object_set(out, name, json_object_get(v, name));
		}
		if (*p == ',')
			p++;
	}
	*spec = p;
	return out;
}

TEST(t_fields_filter)
{
	struct orders_settings s = { 0, NULL };
	struct tc *x = tc_new();
	struct conf_template *t;
	struct run r, f;
	const char *sp;
	char *spec, *a, *b;
	json_t *o, *list, *picked;

	run_init(&r, compile(NULL, "get_orders.default"), &s);
	CHECK_INT(orders_fields(r.c, &spec), 0);
	CHECK(spec != NULL);
	CHECK_HAS(spec, "items[entity_id,increment_id,status,customer_email,"
	    "order_currency_code,items[item_id,parent_item_id,sku,"
	    "product_type,price,");
	CHECK_HAS(spec, "billing_address[entity_id,");
	CHECK_HAS(spec, "street");
	CHECK_HAS(spec, "extension_attributes[shipping_assignments[shipping["
	    "address[entity_id,");
	CHECK_HAS(spec, "],method]]]");
	CHECK_HAS(spec, "created_at");
	CHECK(spec != NULL && strstr(spec, "[0]") == NULL);
	CHECK(spec != NULL && strlen(spec) > 10 &&
	    strcmp(spec + strlen(spec) - 13, "],total_count") == 0);

	/* The filtered orders give exactly the rows of the whole ones. */
	run_init(&f, compile(NULL, "get_orders.default"), &s);
	o = js("{\"items\":[]}");
	json_array_append_new(json_object_get(o, "items"), js(order_full));
	json_array_append_new(json_object_get(o, "items"), js(order_virtual));
	json_array_append_new(json_object_get(o, "items"), js(order_bundle));
	sp = spec + strlen("items[");
	list = json_object_get(o, "items");
	picked = pick(list, &sp);
	CHECK(json_array_size(picked) == 3);
	CHECK(json_object_get(json_array_get(picked, 0), "payment") == NULL);
	CHECK(json_object_get(json_array_get(picked, 0), "customer_note") !=
	    NULL);
	{
		size_t i;
		json_t *e;
		char *txt;

		json_array_foreach(list, i, e) {
			txt = json_dumps(e, 0);
			CHECK_INT(run_order(&r, txt, NULL), 0);
			free(txt);
		}
		json_array_foreach(picked, i, e) {
			txt = json_dumps(e, 0);
			CHECK_INT(run_order(&f, txt, NULL), 0);
			free(txt);
		}
	}
	a = orders_page_json(r.p);
	b = orders_page_json(f.p);
	CHECK_STR(a, b);
	free(a);
	free(b);
	json_decref(picked);
	json_decref(o);
	free(spec);
	run_free(&f);
	run_free(&r);

	/* A json: source needs the whole order. */
	t = tc_tmpl(x, "j");
	kv_add(t->lines, &t->nlines, "coupon_code", "field:json:payment.method");
	run_init(&r, compile(x, "j"), &s);
	spec = (char *)"untouched";
	CHECK_INT(orders_fields(r.c, &spec), 0);
	CHECK(spec == NULL);
	run_free(&r);
	/* Two rules on one source look the same from outside: whole. */
	t = tc_tmpl(x, "twice");
	kv_add(t->lines, &t->nlines, "coupon_code", "field:status");
	run_init(&r, compile(x, "twice"), &s);
	CHECK_INT(orders_fields(r.c, &spec), 0);
	CHECK(spec == NULL);
	run_free(&r);
	/* Skipped and value: rules read nothing: still filtered. */
	t = tc_tmpl(x, "lean");
	kv_add(t->lines, &t->nlines, "coupon_code", "skip");
	kv_add(t->lines, &t->nlines, "customer_note", "value:x");
	run_init(&r, compile(x, "lean"), &s);
	CHECK_INT(orders_fields(r.c, &spec), 0);
	CHECK(spec != NULL && strstr(spec, "coupon_code") == NULL);
	CHECK(spec != NULL && strstr(spec, "customer_note") == NULL);
	free(spec);
	run_free(&r);
	tc_free(x);
}

TEST(t_text_escaping)
{
	static const char order[] =
	    "{\"entity_id\":3,\"increment_id\":\"q\\\"uote\",\"status\":\"new\","
	    "\"customer_note\":\"a\\\\b\\n\\u0001\\t\u00e9\u20ac\\ud83d\\ude00/\"}";
	struct tc *x = tc_new();
	struct conf_template *t = tc_tmpl(x, "bad");
	struct orders_settings s = { 0, NULL };
	struct run r;
	json_t *o;

	run_init(&r, compile(NULL, "get_orders.default"), &s);
	CHECK_INT(run_order(&r, order, NULL), 0);
	o = row(&r, "orders", 0);
	CHECK_STR(val(o, "increment_id"), "q\"uote");
	CHECK_STR(val(o, "customer_note"),
	    "a\\b\n\001\t\u00e9\u20ac\U0001F600/");
	run_free(&r);

	/* Text that is not UTF-8 (a constant from the ini) fails the
	 * order instead of the page. */
	kv_add(t->lines, &t->nlines, "customer_note", "value:caf\xe9");
	run_init(&r, compile(x, "bad"), &s);
	CHECK_INT(run_order(&r, order, NULL), ORDERS_EFAIL);
	CHECK_STR(r.note.msg, "customer_note: is not valid UTF-8");
	CHECK_INT(orders_page_count(r.p), 0);
	run_free(&r);
	tc_free(x);
}

int
main(void)
{
	RUN(t_cutoff);
	RUN(t_list_query);
	RUN(t_ack_body);
	RUN(t_entity);
	RUN(t_full_order_default);
	RUN(t_pair_parent_item_id);
	RUN(t_virtual_order);
	RUN(t_bundle_lines);
	RUN(t_page_dups_and_counts);
	RUN(t_need_prices);
	RUN(t_price_query_and_parse);
	RUN(t_prices_filled);
	RUN(t_shipping_methods);
	RUN(t_failures);
	RUN(t_custom_template);
	RUN(t_default_sql);
	RUN(t_fields_filter);
	RUN(t_text_escaping);
	return unit_done("test_orders");
}
