/* test_tmpl.c - mapping templates: every rule on every destination type
 * both ways, skip against empty, conversions, mapping sets, base chains,
 * validation with its lines, and the apply API's output. Configurations are
 * built by hand as the plain data conf_load produces. */
#include <stdlib.h>
#include <string.h>

#include "jpath.h"
#include "tmpl.h"
#include "unit.h"

#define F "t.ini"
#define BIT(i) ((uint64_t)1 << (i))

/* ---- a hand-built struct conf ------------------------------------------- */

#define NT 16
#define NL 48

struct tc {
	struct conf c;
	struct conf_template t[NT];
	struct conf_kv tl[NT][NL];
	struct conf_mapping_set s[NT];
	struct conf_kv sl[NT][NL];
	struct conf_job j[NT];
	struct conf_kv jl[NT][NL];
	struct diag_list dl;
};

static struct tc *
tc_new(void)
{
	struct tc *x = calloc(1, sizeof(*x));

	if (x == NULL)
		abort();
	x->c.templates = x->t;
	x->c.sets = x->s;
	x->c.jobs = x->j;
	return x;
}

static void
tc_free(struct tc *x)
{
	diag_clear(&x->dl);
	free(x);
}

static struct conf_template *
tc_tmpl(struct tc *x, const char *name, enum proc p, const char *base,
    int line)
{
	struct conf_template *t = &x->t[x->c.ntemplates];

	t->name = (char *)name;
	t->process = p;
	t->base = (char *)base;
	t->file = F;
	t->line = line;
	t->lines = x->tl[x->c.ntemplates++];
	return t;
}

static void
kv_add(struct conf_kv *kv, size_t *n, const char *k, const char *v, int line)
{
	kv[*n].key = (char *)k;
	kv[*n].value = (char *)v;
	kv[*n].file = F;
	kv[*n].line = line;
	(*n)++;
}

static void
tc_line(struct conf_template *t, const char *k, const char *v, int line)
{
	kv_add(t->lines, &t->nlines, k, v, line);
}

static struct conf_mapping_set *
tc_set(struct tc *x, const char *name, int line)
{
	struct conf_mapping_set *s = &x->s[x->c.nsets];

	s->name = (char *)name;
	s->file = F;
	s->line = line;
	s->entries = x->sl[x->c.nsets++];
	return s;
}

static void
tc_entry(struct conf_mapping_set *s, const char *k, const char *v, int line)
{
	kv_add(s->entries, &s->nentries, k, v, line);
}

static struct conf_job *
tc_job(struct tc *x, enum proc p, const char *tmpl, int line)
{
	struct conf_job *j = &x->j[x->c.njobs];

	j->process = p;
	j->file = F;
	j->line = line;
	j->template_name = (char *)tmpl;
	j->settings = x->jl[x->c.njobs++];
	if (tmpl != NULL)
		kv_add(j->settings, &j->nsettings, "template", tmpl, line + 1);
	return j;
}

static void
tc_setting(struct conf_job *j, const char *k, const char *v, int line)
{
	kv_add(j->settings, &j->nsettings, k, v, line);
}

/* 1 if dl has an error "t.ini:LINE: ..." containing needle. */
static int
tc_has(const struct tc *x, int line, const char *needle)
{
	char buf[DIAG_MSG_MAX + 64], want[32];
	size_t i;

	snprintf(want, sizeof(want), "%s:%d: ", F, line);
	for (i = 0; i < x->dl.n; i++) {
		diag_format(&x->dl, i, buf, sizeof(buf));
		if (strncmp(buf, want, strlen(want)) == 0 &&
		    strstr(buf, needle) != NULL)
			return 1;
	}
	return 0;
}

static void
tc_print(const struct tc *x)
{
	char buf[DIAG_MSG_MAX + 64];
	size_t i;

	for (i = 0; i < x->dl.n; i++)
		fprintf(stderr, "    diag: %s\n",
		    diag_format(&x->dl, i, buf, sizeof(buf)));
}

#define EXPECT_DIAG(x, line, needle) do {				\
	if (!tc_has((x), (line), (needle))) {				\
		UNIT_FAIL("no error at line %d with \"%s\"", (line),	\
		    (needle));						\
		tc_print(x);						\
	}								\
} while (0)

/* Sets for the typed rule tests: one per destination type. */
static void
tc_typed_sets(struct tc *x)
{
	struct conf_mapping_set *s;

	s = tc_set(x, "mtext", 100);
	tc_entry(s, "a", "Alpha", 101);
	tc_entry(s, "*", "Other", 102);
	s = tc_set(x, "mtext2", 103);
	tc_entry(s, "a", "Alpha", 104);
	s = tc_set(x, "mnum", 105);
	tc_entry(s, "a", "1.50", 106);
	tc_entry(s, "b", "2", 107);
	s = tc_set(x, "mint", 108);
	tc_entry(s, "a", "3", 109);
	tc_entry(s, "*", "4", 110);
	s = tc_set(x, "mbool", 111);
	tc_entry(s, "a", "yes", 112);
	tc_entry(s, "b", "no", 113);
	s = tc_set(x, "mtime", 114);
	tc_entry(s, "a", "2024-01-02 03:04:05", 115);
	s = tc_set(x, "mlist", 116);
	tc_entry(s, "a", "{x,\"y z\"}", 117);
	s = tc_set(x, "mkeys", 118);
	tc_entry(s, "1", "one", 119);
	tc_entry(s, "true", "yes", 120);
	tc_entry(s, "2.5", "two and a half", 121);
}

/* ---- every rule x every type, Magento -> PostgreSQL --------------------- */

enum { S_SKIP = 'S', S_EMPTY = 'E', S_VALUE = 'V', S_FAIL = 'F' };

static const char product[] =
    "{\"sku\":\"S1\",\"name\":\"Shirt\",\"price\":29.99,"
    "\"pstr\":\"29.9900\",\"pint\":30,\"pbad\":\"abc\",\"pexp\":\"1e3\","
    "\"flag\":true,\"n\":null,\"empty\":\"\",\"one\":\"x\","
    "\"custom_attributes\":[{\"attribute_code\":\"color\",\"value\":\"a\"},"
    "{\"attribute_code\":\"size\",\"value\":\"zz\"},"
    "{\"attribute_code\":\"description\",\"value\":\"<p>Soft</p>\"}],"
    "\"media_gallery_entries\":[{\"file\":\"/a.jpg\"},{\"file\":\"/b.png\"}],"
    "\"arr\":[1,\"a\",null,2.5,false],\"nested\":[[1]],\"obj\":{\"k\":1},"
    "\"esc\":[\"a\\\"b\",\"c\\\\d\"],\"nul\":\"a\\u0000b\","
    "\"kint\":1,\"ktrue\":true,\"kreal\":2.5}";

static const char item[] =
    "{\"item_id\":7,\"istr\":\"7\",\"ireal\":7.0,\"ihalf\":7.5,"
    "\"izero\":\"5.0000\",\"ibad\":\"x\",\"ibig\":1e20,\"code\":\"a\","
    "\"neg\":\"-12\",\"sku\":\"S1\",\"qty_ordered\":2,"
    "\"created_at\":\"2024-03-01 10:00:00\","
    "\"iso\":\"2024-03-01T12:00:00+02:00\",\"z\":\"2024-03-01T10:00:00Z\","
    "\"date\":\"2024-03-01\",\"bad\":\"yesterday\",\"num\":5,"
    "\"frac\":\"2024-03-01 10:00:00.123456+00\",\"increment_id\":\"1\","
    "\"status\":\"new\"}";

struct dbcase {
	enum proc p;
	const char *dest, *rule;
	const char *json;
	int state;
	const char *want;	/* S_VALUE: the SQL text; S_FAIL: message */
};

static const struct dbcase dbcases[] = {
	/* text */
	{ PROC_IMPORT_LISTINGS, "description", "skip", product, S_SKIP, NULL },
	{ PROC_IMPORT_LISTINGS, "description", "empty", product, S_EMPTY,
	    NULL },
	{ PROC_IMPORT_LISTINGS, "name", "field:name", product, S_VALUE,
	    "Shirt" },
	{ PROC_IMPORT_LISTINGS, "name", "field:json:custom_attributes.color",
	    product, S_VALUE, "a" },
	{ PROC_IMPORT_LISTINGS, "name", "field:json:pint", product, S_VALUE,
	    "30" },
	{ PROC_IMPORT_LISTINGS, "name", "field:json:price", product, S_VALUE,
	    "29.99" },
	{ PROC_IMPORT_LISTINGS, "name", "field:json:flag", product, S_VALUE,
	    "true" },
	{ PROC_IMPORT_LISTINGS, "name", "field:json:arr", product, S_FAIL,
	    "is an array, not text" },
	{ PROC_IMPORT_LISTINGS, "name", "field:json:obj", product, S_FAIL,
	    "is an object, not text" },
	{ PROC_IMPORT_LISTINGS, "name", "field:json:nul", product, S_FAIL,
	    "contains a NUL character" },
	{ PROC_IMPORT_LISTINGS, "name", "field:json:nothing", product, S_FAIL,
	    "is required, and json:nothing has no value" },
	{ PROC_IMPORT_LISTINGS, "name", "value:Hello world", product, S_VALUE,
	    "Hello world" },
	{ PROC_IMPORT_LISTINGS, "name", "value:", product, S_VALUE, "" },
	{ PROC_IMPORT_LISTINGS, "name", "set:mtext:json:custom_attributes.color",
	    product, S_VALUE, "Alpha" },
	{ PROC_IMPORT_LISTINGS, "name", "set:mtext:json:custom_attributes.size",
	    product, S_VALUE, "Other" },
	{ PROC_IMPORT_LISTINGS, "name",
	    "set:mtext2:json:custom_attributes.size", product, S_FAIL,
	    "is not in mapping set 'mtext2', which has no * default" },
	{ PROC_IMPORT_LISTINGS, "name", "set:mtext2:json:obj", product, S_FAIL,
	    "is an object, which mapping set 'mtext2' cannot look up" },
	{ PROC_IMPORT_LISTINGS, "name", "set:mkeys:json:kint", product,
	    S_VALUE, "one" },
	{ PROC_IMPORT_LISTINGS, "name", "set:mkeys:json:ktrue", product,
	    S_VALUE, "yes" },
	{ PROC_IMPORT_LISTINGS, "name", "set:mkeys:json:kreal", product,
	    S_VALUE, "two and a half" },
	{ PROC_IMPORT_LISTINGS, "description", "field:description", product,
	    S_VALUE, "<p>Soft</p>" },
	{ PROC_IMPORT_LISTINGS, "description", "field:json:nothing", product,
	    S_EMPTY, NULL },
	{ PROC_IMPORT_LISTINGS, "description", "field:json:n", product,
	    S_EMPTY, NULL },
	{ PROC_IMPORT_LISTINGS, "description", "set:mtext2:json:nothing",
	    product, S_EMPTY, NULL },
	{ PROC_IMPORT_LISTINGS, "description", "field:json:empty", product,
	    S_VALUE, "" },
	/* number */
	{ PROC_IMPORT_LISTINGS, "price", "skip", product, S_SKIP, NULL },
	{ PROC_IMPORT_LISTINGS, "price", "empty", product, S_EMPTY, NULL },
	{ PROC_IMPORT_LISTINGS, "price", "field:price", product, S_VALUE,
	    "29.99" },
	{ PROC_IMPORT_LISTINGS, "price", "field:json:pstr", product, S_VALUE,
	    "29.99" },
	{ PROC_IMPORT_LISTINGS, "price", "field:json:pint", product, S_VALUE,
	    "30" },
	{ PROC_IMPORT_LISTINGS, "price", "field:json:pexp", product, S_VALUE,
	    "1e3" },
	{ PROC_IMPORT_LISTINGS, "price", "field:json:pbad", product, S_FAIL,
	    "is not a number" },
	{ PROC_IMPORT_LISTINGS, "price", "field:json:flag", product, S_FAIL,
	    "is a boolean, not a number" },
	{ PROC_IMPORT_LISTINGS, "price", "field:json:empty", product, S_FAIL,
	    "is not a number" },
	{ PROC_IMPORT_LISTINGS, "price", "field:json:nothing", product,
	    S_EMPTY, NULL },
	{ PROC_IMPORT_LISTINGS, "price", "value:12.50", product, S_VALUE,
	    "12.5" },
	{ PROC_IMPORT_LISTINGS, "price", "value:+.5", product, S_VALUE,
	    "0.5" },
	{ PROC_IMPORT_LISTINGS, "price", "set:mnum:json:custom_attributes.color",
	    product, S_VALUE, "1.5" },
	/* text array */
	{ PROC_IMPORT_LISTINGS, "images", "skip", product, S_SKIP, NULL },
	{ PROC_IMPORT_LISTINGS, "images", "empty", product, S_EMPTY, NULL },
	{ PROC_IMPORT_LISTINGS, "images", "field:images", product, S_VALUE,
	    "{\"/a.jpg\",\"/b.png\"}" },
	{ PROC_IMPORT_LISTINGS, "images",
	    "field:json:media_gallery_entries[1].file", product, S_VALUE,
	    "{\"/b.png\"}" },
	{ PROC_IMPORT_LISTINGS, "images", "field:json:arr", product, S_VALUE,
	    "{\"1\",\"a\",\"2.5\",\"false\"}" },
	{ PROC_IMPORT_LISTINGS, "images", "field:json:one", product, S_VALUE,
	    "{\"x\"}" },
	{ PROC_IMPORT_LISTINGS, "images", "field:json:empty", product, S_VALUE,
	    "{}" },
	{ PROC_IMPORT_LISTINGS, "images", "field:json:price", product, S_VALUE,
	    "{\"29.99\"}" },
	{ PROC_IMPORT_LISTINGS, "images", "field:json:esc", product, S_VALUE,
	    "{\"a\\\"b\",\"c\\\\d\"}" },
	{ PROC_IMPORT_LISTINGS, "images", "field:json:nested", product, S_FAIL,
	    "is not a list of texts (element 0 is an array)" },
	{ PROC_IMPORT_LISTINGS, "images", "field:json:obj", product, S_FAIL,
	    "is an object, not a list of texts" },
	{ PROC_IMPORT_LISTINGS, "images", "value:{a,\"b c\", NULL }", product,
	    S_VALUE, "{\"a\",\"b c\"}" },
	{ PROC_IMPORT_LISTINGS, "images", "value:[1,\"z\"]", product, S_VALUE,
	    "{\"1\",\"z\"}" },
	{ PROC_IMPORT_LISTINGS, "images", "value:plain", product, S_VALUE,
	    "{\"plain\"}" },
	{ PROC_IMPORT_LISTINGS, "images", "value:", product, S_VALUE, "{}" },
	{ PROC_IMPORT_LISTINGS, "images",
	    "set:mlist:json:custom_attributes.color", product, S_VALUE,
	    "{\"x\",\"y z\"}" },
	/* integer */
	{ PROC_GET_ORDERS, "item.item_id", "skip", item, S_SKIP, NULL },
	{ PROC_GET_ORDERS, "item.item_id", "empty", item, S_EMPTY, NULL },
	{ PROC_GET_ORDERS, "item.item_id", "field:item.item_id", item, S_VALUE,
	    "7" },
	{ PROC_GET_ORDERS, "item.item_id", "field:json:istr", item, S_VALUE,
	    "7" },
	{ PROC_GET_ORDERS, "item.item_id", "field:json:ireal", item, S_VALUE,
	    "7" },
	{ PROC_GET_ORDERS, "item.item_id", "field:json:izero", item, S_VALUE,
	    "5" },
	{ PROC_GET_ORDERS, "item.item_id", "field:json:neg", item, S_VALUE,
	    "-12" },
	{ PROC_GET_ORDERS, "item.item_id", "field:json:ihalf", item, S_FAIL,
	    "is not a whole number" },
	{ PROC_GET_ORDERS, "item.item_id", "field:json:ibad", item, S_FAIL,
	    "is not a number" },
	{ PROC_GET_ORDERS, "item.item_id", "field:json:ibig", item, S_FAIL,
	    "is out of range" },
	{ PROC_GET_ORDERS, "item.item_id", "value:3", item, S_VALUE, "3" },
	{ PROC_GET_ORDERS, "item.item_id", "value:1e2", item, S_VALUE, "100" },
	{ PROC_GET_ORDERS, "item.item_id", "set:mint:json:code", item, S_VALUE,
	    "3" },
	{ PROC_GET_ORDERS, "item.item_id", "set:mint:json:ibad", item, S_VALUE,
	    "4" },
	/* timestamp */
	{ PROC_GET_ORDERS, "date_created", "skip", item, S_SKIP, NULL },
	{ PROC_GET_ORDERS, "date_created", "empty", item, S_EMPTY, NULL },
	{ PROC_GET_ORDERS, "date_created", "field:date_created", item,
	    S_VALUE, "2024-03-01T10:00:00+00:00" },
	{ PROC_GET_ORDERS, "date_created", "field:json:iso", item, S_VALUE,
	    "2024-03-01T10:00:00+00:00" },
	{ PROC_GET_ORDERS, "date_created", "field:json:z", item, S_VALUE,
	    "2024-03-01T10:00:00+00:00" },
	{ PROC_GET_ORDERS, "date_created", "field:json:date", item, S_VALUE,
	    "2024-03-01T00:00:00+00:00" },
	{ PROC_GET_ORDERS, "date_created", "field:json:frac", item, S_VALUE,
	    "2024-03-01T10:00:00+00:00" },
	{ PROC_GET_ORDERS, "date_created", "field:json:bad", item, S_FAIL,
	    "is not a timestamp" },
	{ PROC_GET_ORDERS, "date_created", "field:json:num", item, S_FAIL,
	    "is a number, not a timestamp" },
	{ PROC_GET_ORDERS, "date_created", "value:2024-01-01", item, S_VALUE,
	    "2024-01-01T00:00:00+00:00" },
	{ PROC_GET_ORDERS, "date_created", "set:mtime:json:code", item,
	    S_VALUE, "2024-01-02T03:04:05+00:00" },
};

static int
run_dbcase(const struct dbcase *k)
{
	struct tc *x = tc_new();
	const struct fields_proc *fp = fields_proc(k->p);
	const struct tmpl_err *e;
	struct conf_template *t;
	struct tmpl_out *o = tmpl_out_new();
	struct tmpl_src src;
	struct tmpl *tp;
	json_t *root = json_loads(k->json, JSON_ALLOW_NUL, NULL);
	char def[64], what[160];
	int d = fields_dest_find(fp, k->dest), rc, failed = unit_case_failed;
	uint64_t bit = BIT(d);
	size_t i;

	snprintf(what, sizeof(what), "%s %s = %s", proc_name(k->p), k->dest,
	    k->rule);
	snprintf(def, sizeof(def), "%s.default", proc_name(k->p));
	tc_typed_sets(x);
	t = tc_tmpl(x, "t", k->p, def, 1);
	tc_line(t, k->dest, k->rule, 2);
	tp = tmpl_compile(&x->c, "t", &x->dl);
	if (tp == NULL || root == NULL || d < 0) {
		UNIT_FAIL("%s: does not compile", what);
		tc_print(x);
		goto out;
	}
	memset(&src, 0, sizeof(src));
	src.root = root;
	src.sub = root;
	rc = tmpl_apply(tp, fp->dests[d].group, &src, o);
	for (i = 0, e = NULL; tmpl_out_err(o, i) != NULL; i++)
		if (tmpl_out_err(o, i)->dest == d)
			e = tmpl_out_err(o, i);
	switch (k->state) {
	case S_SKIP:
		if (tmpl_out_written(o) & bit)
			UNIT_FAIL("%s: written", what);
		break;
	case S_EMPTY:
		if (!(tmpl_out_written(o) & bit) || !(tmpl_out_empty(o) & bit) ||
		    tmpl_out_value(o, d) != NULL)
			UNIT_FAIL("%s: not written as NULL", what);
		break;
	case S_VALUE:
		if (!(tmpl_out_written(o) & bit) || (tmpl_out_empty(o) & bit))
			UNIT_FAIL("%s: not written (%s)", what,
			    e ? e->msg : "no error");
		else if (tmpl_out_value(o, d) == NULL ||
		    strcmp(tmpl_out_value(o, d), k->want) != 0)
			UNIT_FAIL("%s: got '%s', want '%s'", what,
			    tmpl_out_value(o, d) ? tmpl_out_value(o, d) :
			    "(null)", k->want);
		break;
	case S_FAIL:
		if (rc != TMPL_EFIELD || e == NULL)
			UNIT_FAIL("%s: did not fail (rc %d)", what, rc);
		else if (strstr(e->msg, k->want) == NULL)
			UNIT_FAIL("%s: message '%s', want '%s'", what, e->msg,
			    k->want);
		else if (tmpl_out_written(o) & bit)
			UNIT_FAIL("%s: failed field written", what);
		break;
	}
	if (k->state != S_FAIL && e != NULL)
		UNIT_FAIL("%s: unexpected error %s", what, e->msg);
out:
	tmpl_free(tp);
	tmpl_out_free(o);
	json_decref(root);
	tc_free(x);
	return unit_case_failed && !failed;
}

TEST(rules_to_sql)
{
	size_t i;

	for (i = 0; i < sizeof(dbcases) / sizeof(dbcases[0]); i++)
		run_dbcase(&dbcases[i]);
}

/* ---- every rule x every type, PostgreSQL -> Magento --------------------- */

struct mgcase {
	enum proc p;
	const char *dest, *rule;
	const char *src, *text;	/* a source and its column text */
	int state;
	const char *want;	/* S_VALUE, S_EMPTY: compact JSON at the
				 * destination's path; S_FAIL: message */
};

static const struct mgcase mgcases[] = {
	/* text */
	{ PROC_SYNC_LISTINGS, "name", "skip", "name", "Shirt", S_SKIP, NULL },
	{ PROC_SYNC_LISTINGS, "name", "empty", "name", "Shirt", S_EMPTY,
	    "\"\"" },
	{ PROC_SYNC_LISTINGS, "name", "field:name", "name", "Shirt", S_VALUE,
	    "\"Shirt\"" },
	{ PROC_SYNC_LISTINGS, "name", "field:name", "name", NULL, S_EMPTY,
	    "\"\"" },
	{ PROC_SYNC_LISTINGS, "name", "field:name", "name", "\xff\xfe", S_FAIL,
	    "is not valid UTF-8" },
	{ PROC_SYNC_LISTINGS, "name", "value:Fixed name", "name", NULL,
	    S_VALUE, "\"Fixed name\"" },
	{ PROC_SYNC_LISTINGS, "name", "set:mtext:status", "status", "a",
	    S_VALUE, "\"Alpha\"" },
	{ PROC_SYNC_LISTINGS, "name", "set:mtext:status", "status", "q",
	    S_VALUE, "\"Other\"" },
	{ PROC_SYNC_LISTINGS, "name", "set:mtext2:status", "status", "q",
	    S_FAIL, "is not in mapping set 'mtext2'" },
	{ PROC_SYNC_LISTINGS, "description", "field:description",
	    "description", "<p>d</p>", S_VALUE, "\"<p>d</p>\"" },
	{ PROC_SYNC_LISTINGS, "description", "empty", "description", "x",
	    S_EMPTY, "\"\"" },
	{ PROC_PUBLISH_LISTINGS, "name", "field:name", "name", NULL, S_FAIL,
	    "is required, and source 'name' has no value" },
	/* number */
	{ PROC_SYNC_LISTINGS, "price", "skip", "price", "1", S_SKIP, NULL },
	{ PROC_SYNC_LISTINGS, "price", "empty", "price", "1", S_EMPTY,
	    "null" },
	{ PROC_SYNC_LISTINGS, "price", "field:price", "price", "29.99",
	    S_VALUE, "29.99" },
	{ PROC_SYNC_LISTINGS, "price", "field:price", "price", "30.00",
	    S_VALUE, "30" },
	{ PROC_SYNC_LISTINGS, "price", "field:price", "price", "-1.5e2",
	    S_VALUE, "-150" },
	{ PROC_SYNC_LISTINGS, "price", "field:price", "price", "29,99",
	    S_FAIL, "is not a number" },
	{ PROC_SYNC_LISTINGS, "price", "field:price", "price", "1e999",
	    S_FAIL, "is not a number" },
	{ PROC_SYNC_LISTINGS, "price", "field:price", "price", NULL, S_EMPTY,
	    "null" },
	{ PROC_SYNC_LISTINGS, "price", "value:9.5", "price", NULL, S_VALUE,
	    "9.5" },
	{ PROC_SYNC_LISTINGS, "price", "set:mnum:status", "status", "b",
	    S_VALUE, "2" },
	{ PROC_SYNC_LISTINGS, "special_price", "field:special_price",
	    "special_price", "19.5", S_VALUE, "19.5" },
	{ PROC_SYNC_LISTINGS, "special_price", "empty", "special_price",
	    "19.5", S_EMPTY, "\"\"" },
	/* integer */
	{ PROC_SYNC_LISTINGS, "visibility", "skip", "visibility", "4", S_SKIP,
	    NULL },
	{ PROC_SYNC_LISTINGS, "visibility", "empty", "visibility", "4",
	    S_EMPTY, "null" },
	{ PROC_SYNC_LISTINGS, "visibility", "field:visibility", "visibility",
	    "4", S_VALUE, "4" },
	{ PROC_SYNC_LISTINGS, "visibility", "field:visibility", "visibility",
	    "4.0", S_VALUE, "4" },
	{ PROC_SYNC_LISTINGS, "visibility", "field:visibility", "visibility",
	    "4.5", S_FAIL, "is not a whole number" },
	{ PROC_SYNC_LISTINGS, "visibility", "field:visibility", "visibility",
	    "four", S_FAIL, "is not a number" },
	{ PROC_SYNC_LISTINGS, "visibility", "field:visibility", "visibility",
	    "99999999999999999999", S_FAIL, "is out of range" },
	{ PROC_SYNC_LISTINGS, "visibility", "value:2", "visibility", NULL,
	    S_VALUE, "2" },
	{ PROC_SYNC_LISTINGS, "visibility", "set:mint:status", "status", "zz",
	    S_VALUE, "4" },
	{ PROC_SYNC_LISTINGS, "status", "set:listing_status:status", "status",
	    "active", S_VALUE, "1" },
	{ PROC_SYNC_LISTINGS, "status", "set:listing_status:status", "status",
	    "paused", S_VALUE, "2" },
	{ PROC_SYNC_LISTINGS, "status", "set:listing_status:status", "status",
	    "Active", S_FAIL, "is not in mapping set 'listing_status'" },
	/* boolean */
	{ PROC_SYNC_LISTINGS, "in_stock", "skip", "in_stock", "t", S_SKIP,
	    NULL },
	{ PROC_SYNC_LISTINGS, "in_stock", "empty", "in_stock", "t", S_EMPTY,
	    "null" },
	{ PROC_SYNC_LISTINGS, "in_stock", "field:in_stock", "in_stock", "t",
	    S_VALUE, "true" },
	{ PROC_SYNC_LISTINGS, "in_stock", "field:in_stock", "in_stock", "f",
	    S_VALUE, "false" },
	{ PROC_SYNC_LISTINGS, "in_stock", "field:in_stock", "in_stock", "YES",
	    S_VALUE, "true" },
	{ PROC_SYNC_LISTINGS, "in_stock", "field:in_stock", "in_stock", "0",
	    S_VALUE, "false" },
	{ PROC_SYNC_LISTINGS, "in_stock", "field:in_stock", "in_stock", "Off",
	    S_VALUE, "false" },
	{ PROC_SYNC_LISTINGS, "in_stock", "field:in_stock", "in_stock", "maybe",
	    S_FAIL, "is not a boolean" },
	{ PROC_SYNC_LISTINGS, "in_stock", "value:on", "in_stock", NULL, S_VALUE,
	    "true" },
	{ PROC_SYNC_LISTINGS, "in_stock", "set:mbool:status", "status", "b",
	    S_VALUE, "false" },
	/* text array */
	{ PROC_SYNC_LISTINGS, "images", "skip", "images", "{a}", S_SKIP, NULL },
	{ PROC_SYNC_LISTINGS, "images", "empty", "images", "{a}", S_EMPTY,
	    "[]" },
	{ PROC_SYNC_LISTINGS, "images", "field:images", "images",
	    "{http://x/1.jpg,\"http://x/2 b.jpg\"}", S_VALUE,
	    "[\"http://x/1.jpg\",\"http://x/2 b.jpg\"]" },
	{ PROC_SYNC_LISTINGS, "images", "field:images", "images", "{}",
	    S_VALUE, "[]" },
	{ PROC_SYNC_LISTINGS, "images", "field:images", "images",
	    "{a,NULL,\"NULL\",\"q\\\"\\\\\"}", S_VALUE,
	    "[\"a\",\"NULL\",\"q\\\"\\\\\"]" },
	{ PROC_SYNC_LISTINGS, "images", "field:images", "images", "{a",
	    S_FAIL, "is not a valid array literal" },
	{ PROC_SYNC_LISTINGS, "images", "field:images", "images", "{{a}}",
	    S_FAIL, "is not a valid array literal" },
	{ PROC_SYNC_LISTINGS, "images", "field:images", "images", "[\"x\"]",
	    S_VALUE, "[\"x\"]" },
	{ PROC_SYNC_LISTINGS, "images", "field:images", "images", "[\"x\"",
	    S_FAIL, "is not a valid JSON array" },
	{ PROC_SYNC_LISTINGS, "images", "field:images", "images", "one",
	    S_VALUE, "[\"one\"]" },
	{ PROC_SYNC_LISTINGS, "images", "field:images", "images", NULL,
	    S_EMPTY, "[]" },
	{ PROC_SYNC_LISTINGS, "images", "value:{u,v}", "images", NULL,
	    S_VALUE, "[\"u\",\"v\"]" },
	{ PROC_SYNC_LISTINGS, "images", "set:mlist:status", "status", "a",
	    S_VALUE, "[\"x\",\"y z\"]" },
	{ PROC_SYNC_LISTINGS, "categories", "field:categories", "categories",
	    "{Men,Shirts}", S_VALUE, "[\"Men\",\"Shirts\"]" },
	{ PROC_SYNC_LISTINGS, "categories", "empty", "categories", NULL,
	    S_EMPTY, "[]" },
	/* timestamp */
	{ PROC_SYNC_ORDERS, "shipped_at", "skip", "shipped_at", "2024-03-01",
	    S_SKIP, NULL },
	{ PROC_SYNC_ORDERS, "shipped_at", "empty", "shipped_at", NULL, S_EMPTY,
	    "null" },
	{ PROC_SYNC_ORDERS, "shipped_at", "field:shipped_at", "shipped_at",
	    "2024-03-01 10:00:00+00", S_VALUE, "\"2024-03-01 10:00:00\"" },
	{ PROC_SYNC_ORDERS, "shipped_at", "field:shipped_at", "shipped_at",
	    "2024-03-01 12:00:00.25+02", S_VALUE, "\"2024-03-01 10:00:00\"" },
	{ PROC_SYNC_ORDERS, "shipped_at", "field:shipped_at", "shipped_at",
	    "2024-03-01T12:00:00+02:00", S_VALUE, "\"2024-03-01 10:00:00\"" },
	{ PROC_SYNC_ORDERS, "shipped_at", "field:shipped_at", "shipped_at",
	    "2024-02-30 00:00:00", S_FAIL, "is not a timestamp" },
	{ PROC_SYNC_ORDERS, "shipped_at", "value:2024-01-02T03:04:05Z",
	    "shipped_at", NULL, S_VALUE, "\"2024-01-02 03:04:05\"" },
	{ PROC_SYNC_ORDERS, "shipped_at", "set:mtime:method", "method", "a",
	    S_VALUE, "\"2024-01-02 03:04:05\"" },
	{ PROC_SYNC_ORDERS, "carrier", "field:carrier", "carrier", NULL,
	    S_FAIL, "is required, and source 'carrier' has no value" },
	{ PROC_SYNC_ORDERS, "comment", "field:order_note", "order_note",
	    "leave at door", S_VALUE, "\"leave at door\"" },
};

static char *
dump(const json_t *j)
{
	return j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_SORT_KEYS | JSON_REAL_PRECISION(15)) : NULL;
}

static void
run_mgcase(const struct mgcase *k)
{
	struct tc *x = tc_new();
	const struct fields_proc *fp = fields_proc(k->p);
	const struct tmpl_err *e;
	const char *text[FIELDS_MAX];
	struct conf_template *t;
	struct tmpl_out *o = tmpl_out_new();
	struct tmpl_src src;
	struct tmpl *tp;
	struct jpath *jp = NULL;
	json_t *v = NULL;
	char def[64], what[160], *got = NULL;
	int d = fields_dest_find(fp, k->dest), s = fields_src_find(fp, k->src);
	uint64_t bit = BIT(d);
	size_t i;
	int rc;

	snprintf(what, sizeof(what), "%s %s = %s (%s '%s')", proc_name(k->p),
	    k->dest, k->rule, k->src, k->text ? k->text : "NULL");
	snprintf(def, sizeof(def), "%s.default", proc_name(k->p));
	tc_typed_sets(x);
	t = tc_tmpl(x, "t", k->p, def, 1);
	tc_line(t, k->dest, k->rule, 2);
	tp = tmpl_compile(&x->c, "t", &x->dl);
	if (tp == NULL || d < 0 || s < 0) {
		UNIT_FAIL("%s: does not compile", what);
		tc_print(x);
		goto out;
	}
	memset(text, 0, sizeof(text));
	text[s] = k->text;
	memset(&src, 0, sizeof(src));
	src.text = text;
	rc = tmpl_apply(tp, fp->dests[d].group, &src, o);
	for (i = 0, e = NULL; tmpl_out_err(o, i) != NULL; i++)
		if (tmpl_out_err(o, i)->dest == d)
			e = tmpl_out_err(o, i);
	jp = jpath_new(fp->dests[d].target, NULL, 0);
	v = jpath_get(jp, tmpl_out_payload(o));
	got = dump(v);
	switch (k->state) {
	case S_SKIP:
		if ((tmpl_out_written(o) & bit) || v != NULL)
			UNIT_FAIL("%s: in the payload as %s", what, got);
		break;
	case S_EMPTY:
	case S_VALUE:
		if (!(tmpl_out_written(o) & bit) ||
		    !!(tmpl_out_empty(o) & bit) != (k->state == S_EMPTY))
			UNIT_FAIL("%s: written %d empty %d (%s)", what,
			    !!(tmpl_out_written(o) & bit),
			    !!(tmpl_out_empty(o) & bit), e ? e->msg : "");
		if (got == NULL || strcmp(got, k->want) != 0)
			UNIT_FAIL("%s: got %s, want %s", what,
			    got ? got : "(absent)", k->want);
		if (e != NULL)
			UNIT_FAIL("%s: unexpected error %s", what, e->msg);
		break;
	case S_FAIL:
		if (rc != TMPL_EFIELD || e == NULL)
			UNIT_FAIL("%s: did not fail", what);
		else if (strstr(e->msg, k->want) == NULL)
			UNIT_FAIL("%s: message '%s', want '%s'", what, e->msg,
			    k->want);
		if (v != NULL)
			UNIT_FAIL("%s: failed field in the payload", what);
		break;
	}
out:
	free(got);
	json_decref(v);
	jpath_free(jp);
	tmpl_free(tp);
	tmpl_out_free(o);
	tc_free(x);
}

TEST(rules_to_payload)
{
	size_t i;

	for (i = 0; i < sizeof(mgcases) / sizeof(mgcases[0]); i++)
		run_mgcase(&mgcases[i]);
}

/* ---- skip against empty, all the way out -------------------------------- */

TEST(skip_vs_empty_payload)
{
	struct tc *x = tc_new();
	struct conf_template *t = tc_tmpl(x, "t", PROC_SYNC_LISTINGS, NULL, 1);
	const char *text[FIELDS_MAX] = { NULL };
	struct tmpl_out *o = tmpl_out_new();
	struct tmpl_src src = { NULL, NULL, NULL, text };
	struct tmpl *tp;
	char *got;

	tc_line(t, "sku", "field:sku", 2);
	tc_line(t, "name", "field:name", 3);
	tc_line(t, "description", "empty", 4);
	tc_line(t, "special_price", "skip", 5);
	tc_line(t, "price", "empty", 6);
	tc_line(t, "images", "empty", 7);
	tc_line(t, "categories", "empty", 8);
	tc_line(t, "maximum_qty_allowed_in_shopping_cart", "empty", 9);
	tc_line(t, "in_stock", "skip", 10);
	tc_line(t, "visibility", "empty", 11);
	text[FIELDS_LPS_SKU] = "S";
	text[FIELDS_LPS_NAME] = "N";
	CHECK((tp = tmpl_compile(&x->c, "t", &x->dl)) != NULL);
	CHECK_INT(tmpl_apply(tp, FIELDS_RECORD, &src, o), 0);
	got = dump(tmpl_out_payload(o));
	CHECK_STR(got, "{\"custom_attributes\":[{\"attribute_code\":"
	    "\"description\",\"value\":\"\"}],\"extension_attributes\":"
	    "{\"category_links\":[],\"stock_item\":{\"max_sale_qty\":null,"
	    "\"use_config_max_sale_qty\":true}},\"media_gallery_entries\":[],"
	    "\"name\":\"N\",\"price\":null,\"sku\":\"S\",\"visibility\":null}");
	free(got);
	CHECK_INT(tmpl_out_written(o), BIT(FIELDS_LP_SKU) | BIT(FIELDS_LP_NAME) |
	    BIT(FIELDS_LP_DESCRIPTION) | BIT(FIELDS_LP_PRICE) |
	    BIT(FIELDS_LP_IMAGES) | BIT(FIELDS_LP_CATEGORIES) |
	    BIT(FIELDS_LP_MAX_SALE_QTY) | BIT(FIELDS_LP_VISIBILITY));
	CHECK_INT(tmpl_out_empty(o), BIT(FIELDS_LP_DESCRIPTION) |
	    BIT(FIELDS_LP_PRICE) | BIT(FIELDS_LP_IMAGES) |
	    BIT(FIELDS_LP_CATEGORIES) | BIT(FIELDS_LP_MAX_SALE_QTY) |
	    BIT(FIELDS_LP_VISIBILITY));
	CHECK(tmpl_out_value(o, FIELDS_LP_SKU) == NULL);

	/* the companion says false once a value is written */
	text[FIELDS_LPS_MAX_SALE_QTY] = "10";
	x->t[0].lines[7].value = "field:max_sale_qty";
	tmpl_free(tp);
	CHECK((tp = tmpl_compile(&x->c, "t", &x->dl)) != NULL);
	CHECK_INT(tmpl_apply(tp, FIELDS_RECORD, &src, o), 0);
	got = dump(json_object_get(json_object_get(tmpl_out_payload(o),
	    "extension_attributes"), "stock_item"));
	CHECK_STR(got, "{\"max_sale_qty\":10,\"use_config_max_sale_qty\":false}");
	free(got);
	tmpl_free(tp);
	tmpl_out_free(o);
	tc_free(x);
}

TEST(skip_vs_empty_sql)
{
	struct tc *x = tc_new();
	struct conf_template *t = tc_tmpl(x, "t", PROC_IMPORT_LISTINGS,
	    "import_listings.default", 1);
	json_t *root = json_loads(product, JSON_ALLOW_NUL, NULL);
	struct tmpl_out *o = tmpl_out_new();
	struct tmpl_src src = { root, root, NULL, NULL };
	struct tmpl *tp;
	uint64_t w, e;

	tc_line(t, "description", "empty", 2);
	tc_line(t, "price", "skip", 3);
	CHECK((tp = tmpl_compile(&x->c, "t", &x->dl)) != NULL);
	CHECK_INT(tmpl_apply(tp, FIELDS_RECORD, &src, o), 0);
	w = tmpl_out_written(o);
	e = tmpl_out_empty(o);
	/* both read as NULL; only the written bit tells them apart */
	CHECK(tmpl_out_value(o, FIELDS_IL_DESCRIPTION) == NULL);
	CHECK(tmpl_out_value(o, FIELDS_IL_PRICE) == NULL);
	CHECK(w & BIT(FIELDS_IL_DESCRIPTION));
	CHECK(e & BIT(FIELDS_IL_DESCRIPTION));
	CHECK(!(w & BIT(FIELDS_IL_PRICE)));
	CHECK(!(e & BIT(FIELDS_IL_PRICE)));
	/* category_one is computed and not supplied: written as NULL */
	CHECK(w & e & BIT(FIELDS_IL_CATEGORY_ONE));
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_SKU), "S1");
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_MASTER_SKU), "S1");
	CHECK(!(w & BIT(FIELDS_IL_VARIANT_SKU)));
	tmpl_free(tp);
	tmpl_out_free(o);
	json_decref(root);
	tc_free(x);
}

/* ---- base chains -------------------------------------------------------- */

TEST(inheritance)
{
	struct tc *x = tc_new();
	struct conf_template *a, *b, *c;
	struct tmpl *ta, *tb, *tcc;

	a = tc_tmpl(x, "a", PROC_SYNC_LISTINGS, "sync_listings.default", 1);
	tc_line(a, "price", "skip", 2);
	tc_line(a, "name", "value:A", 3);
	b = tc_tmpl(x, "b", PROC_SYNC_LISTINGS, "a", 4);
	tc_line(b, "name", "value:B", 5);
	tc_line(b, "visibility", "empty", 6);
	c = tc_tmpl(x, "c", PROC_SYNC_LISTINGS, "b", 7);
	tc_line(c, "price", "field:special_price", 8);
	CHECK_INT(tmpl_check_conf(&x->c, &x->dl), 0);
	ta = tmpl_compile(&x->c, "a", &x->dl);
	tb = tmpl_compile(&x->c, "b", &x->dl);
	tcc = tmpl_compile(&x->c, "c", &x->dl);
	CHECK(ta && tb && tcc);
	if (ta && tb && tcc) {
		CHECK_STR(tmpl_name(tb), "b");
		CHECK_INT(tmpl_proc(tcc), PROC_SYNC_LISTINGS);
		CHECK_INT(tmpl_rule(ta, FIELDS_LP_PRICE), TMPL_SKIP);
		CHECK_INT(tmpl_rule(ta, FIELDS_LP_NAME), TMPL_VALUE);
		CHECK_INT(tmpl_rule(ta, FIELDS_LP_SKU), TMPL_FIELD);
		CHECK_INT(tmpl_rule(ta, FIELDS_LP_STATUS), TMPL_SET);
		CHECK_INT(tmpl_rule(tb, FIELDS_LP_PRICE), TMPL_SKIP);
		CHECK_INT(tmpl_rule(tb, FIELDS_LP_VISIBILITY), TMPL_EMPTY);
		CHECK_INT(tmpl_rule(tcc, FIELDS_LP_PRICE), TMPL_FIELD);
		CHECK_INT(tmpl_rule(tcc, FIELDS_LP_VISIBILITY), TMPL_EMPTY);
		CHECK_INT(tmpl_rule(tcc, 99), TMPL_SKIP);
		CHECK(!(tmpl_mapped(ta) & BIT(FIELDS_LP_PRICE)));
		CHECK(tmpl_mapped(tcc) & BIT(FIELDS_LP_PRICE));
	}
	/* b's name is its own value, not a's */
	if (tb != NULL) {
		const char *text[FIELDS_MAX] = { "S" };
		struct tmpl_src src = { NULL, NULL, NULL, text };
		struct tmpl_out *o = tmpl_out_new();

		tmpl_apply(tb, FIELDS_RECORD, &src, o);
		CHECK_STR(json_string_value(json_object_get(
		    tmpl_out_payload(o), "name")), "B");
		tmpl_out_free(o);
	}
	tmpl_free(ta);
	tmpl_free(tb);
	tmpl_free(tcc);
	tc_free(x);
}

TEST(no_base_means_unmapped)
{
	struct tc *x = tc_new();
	struct conf_template *t = tc_tmpl(x, "t", PROC_SYNC_LISTINGS, NULL, 1);
	struct tmpl *tp;

	tc_line(t, "sku", "field:sku", 2);
	CHECK_INT(tmpl_check_conf(&x->c, &x->dl), 0);
	CHECK((tp = tmpl_compile(&x->c, "t", &x->dl)) != NULL);
	if (tp != NULL) {
		CHECK_INT(tmpl_mapped(tp), BIT(FIELDS_LP_SKU));
		CHECK_INT(tmpl_sources(tp, FIELDS_RECORD), BIT(FIELDS_LPS_SKU));
		CHECK_INT(tmpl_sources(tp, FIELDS_VARIANT), 0);
	}
	tmpl_free(tp);
	tc_free(x);
}

/* A user template may shadow a shipped default of the same name. */
TEST(shadow_default)
{
	struct tc *x = tc_new();
	struct conf_template *t = tc_tmpl(x, "sync_orders.default",
	    PROC_SYNC_ORDERS, NULL, 1);
	struct tmpl *tp;

	tc_line(t, "carrier", "value:ups", 2);
	tc_line(t, "tracking_number", "field:tracking_number", 3);
	CHECK((tp = tmpl_compile(&x->c, "sync_orders.default", &x->dl)) !=
	    NULL);
	if (tp != NULL) {
		CHECK_INT(tmpl_rule(tp, FIELDS_SO_CARRIER), TMPL_VALUE);
		CHECK_INT(tmpl_rule(tp, FIELDS_SO_COMMENT), TMPL_SKIP);
	}
	tmpl_free(tp);
	tc_free(x);
}

/* ---- validation, each error at its line --------------------------------- */

TEST(check_line_errors)
{
	static const struct {
		enum proc p;
		const char *key, *value, *needle;
	} cases[] = {
		{ PROC_SYNC_LISTINGS, "colour", "field:name",
		    "unknown field 'colour' for sync_listings" },
		{ PROC_SYNC_LISTINGS, "name", "field:nope",
		    "name: unknown source 'nope' for sync_listings" },
		{ PROC_IMPORT_LISTINGS, "name", "field:nope",
		    "unknown source 'nope' for import_listings (a catalogue "
		    "name, or json:PATH)" },
		{ PROC_SYNC_LISTINGS, "name", "field:json:name",
		    "json: paths read Magento's JSON, and sync_listings reads "
		    "PostgreSQL" },
		{ PROC_IMPORT_LISTINGS, "description", "field:json:a..b",
		    "bad JSON path 'a..b': empty key" },
		{ PROC_IMPORT_LISTINGS, "description", "field:",
		    "a source is missing" },
		{ PROC_SYNC_LISTINGS, "name", "copy:sku",
		    "unknown rule 'copy:sku'" },
		{ PROC_SYNC_LISTINGS, "name", "Skip", "unknown rule 'Skip'" },
		{ PROC_SYNC_LISTINGS, "status", "set:nope",
		    "expected set:SETNAME:SOURCE" },
		{ PROC_SYNC_LISTINGS, "status", "set::status",
		    "expected set:SETNAME:SOURCE" },
		{ PROC_SYNC_LISTINGS, "status", "set:nope:status",
		    "unknown mapping set 'nope'" },
		{ PROC_SYNC_LISTINGS, "status", "set:bad:status",
		    "mapping set 'bad' maps 'x' to 'high' (t.ini:51), which is "
		    "not a number" },
		{ PROC_SYNC_LISTINGS, "status", "set:listing_status:nope",
		    "unknown source 'nope'" },
		{ PROC_SYNC_LISTINGS, "price", "value:cheap",
		    "price: value 'cheap' is not a number" },
		{ PROC_SYNC_LISTINGS, "in_stock", "value:maybe",
		    "value 'maybe' is not a boolean" },
		{ PROC_SYNC_ORDERS, "shipped_at", "value:soon",
		    "value 'soon' is not a timestamp" },
		{ PROC_SYNC_LISTINGS, "images", "value:{a",
		    "value '{a' is not a valid array literal" },
		{ PROC_SYNC_LISTINGS, "sku", "skip",
		    "sku: a required field cannot be skip" },
		{ PROC_PUBLISH_LISTINGS, "name", "empty",
		    "name: a required field cannot be empty" },
		{ PROC_GET_ORDERS, "item.quantity_ordered", "skip",
		    "a required field cannot be skip" },
		{ PROC_SYNC_LISTINGS, "price", "field:variant.price",
		    "source 'variant.price' is only for variant.* fields" },
		{ PROC_GET_ORDERS, "status", "field:item.sku",
		    "source 'item.sku' is only for item.* fields" },
		{ PROC_SYNC_LISTINGS, "variant.price", "field:item.price",
		    "unknown source 'item.price'" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tc *x = tc_new();
		struct conf_mapping_set *s = tc_set(x, "bad", 50);
		struct conf_template *t;
		char def[64];
		int n;

		tc_entry(s, "x", "high", 51);
		snprintf(def, sizeof(def), "%s.default", proc_name(cases[i].p));
		t = tc_tmpl(x, "t", cases[i].p, def, 10);
		tc_line(t, cases[i].key, cases[i].value, 12);
		n = tmpl_check_conf(&x->c, &x->dl);
		CHECK_INT(n, 1);
		if (n != 1)
			tc_print(x);
		EXPECT_DIAG(x, 12, cases[i].needle);
		/* compiling reports the same problem and fails */
		diag_clear(&x->dl);
		if (tmpl_compile(&x->c, "t", &x->dl) != NULL)
			UNIT_FAIL("%s = %s compiles", cases[i].key,
			    cases[i].value);
		EXPECT_DIAG(x, 12, cases[i].needle);
		tc_free(x);
	}
}

TEST(check_required_unmapped)
{
	struct tc *x = tc_new();
	struct conf_template *t = tc_tmpl(x, "t", PROC_SYNC_ORDERS, NULL, 7);

	tc_line(t, "comment", "field:note", 8);
	CHECK_INT(tmpl_check_conf(&x->c, &x->dl), 2);
	EXPECT_DIAG(x, 7, "template 't': required field 'carrier' is not "
	    "mapped");
	EXPECT_DIAG(x, 7, "required field 'tracking_number' is not mapped");
	tc_free(x);
}

TEST(check_twice)
{
	struct tc *x = tc_new();
	struct conf_template *t = tc_tmpl(x, "t", PROC_SYNC_LISTINGS,
	    "sync_listings.default", 1);

	tc_line(t, "name", "field:name", 2);
	tc_line(t, "price", "skip", 3);
	tc_line(t, "name", "value:x", 4);
	CHECK_INT(tmpl_check_conf(&x->c, &x->dl), 1);
	EXPECT_DIAG(x, 4, "field 'name' is mapped twice (first at line 2)");
	tc_free(x);
}

TEST(check_bases)
{
	struct tc *x = tc_new();
	struct tmpl *tp;

	tc_tmpl(x, "unknown", PROC_SYNC_LISTINGS, "nope", 1);
	tc_tmpl(x, "other", PROC_SYNC_LISTINGS, "get_orders.default", 2);
	tc_tmpl(x, "cyc1", PROC_SYNC_LISTINGS, "cyc2", 3);
	tc_tmpl(x, "cyc2", PROC_SYNC_LISTINGS, "cyc1", 4);
	tc_tmpl(x, "self", PROC_SYNC_LISTINGS, "self", 5);
	tc_tmpl(x, "above", PROC_SYNC_LISTINGS, "cyc1", 6);
	tc_tmpl(x, "above2", PROC_SYNC_LISTINGS, "unknown", 7);
	tc_tmpl(x, "mixed", PROC_GET_ORDERS, "above", 8);
	CHECK_INT(tmpl_check_conf(&x->c, &x->dl), 6);
	EXPECT_DIAG(x, 1, "template 'unknown': unknown base template 'nope'");
	EXPECT_DIAG(x, 2, "base template 'get_orders.default' is for "
	    "get_orders, not sync_listings");
	EXPECT_DIAG(x, 3, "base cycle: cyc1 -> cyc2 -> cyc1");
	EXPECT_DIAG(x, 4, "base cycle: cyc2 -> cyc1 -> cyc2");
	EXPECT_DIAG(x, 5, "base cycle: self -> self");
	EXPECT_DIAG(x, 8, "base template 'above' is for sync_listings, not "
	    "get_orders");
	/* above, above2: their chains break elsewhere, reported there; but
	 * compiling them says why they cannot be used */
	diag_clear(&x->dl);
	CHECK((tp = tmpl_compile(&x->c, "above", &x->dl)) == NULL);
	EXPECT_DIAG(x, 4, "template 'cyc2': base cycle");
	CHECK(tmpl_compile(&x->c, "above2", &x->dl) == NULL);
	EXPECT_DIAG(x, 1, "unknown base template 'nope'");
	CHECK(tmpl_compile(&x->c, "nope", &x->dl) == NULL);
	CHECK(tmpl_compile(NULL, "nope", &x->dl) == NULL);
	tc_free(x);
}

TEST(check_long_chain)
{
	static char names[70][8];
	struct tc *x = tc_new();
	struct conf_template big[70];
	struct conf c;
	size_t i;

	memset(big, 0, sizeof(big));
	for (i = 0; i < 70; i++) {
		snprintf(names[i], sizeof(names[i]), "t%zu", i);
		big[i].name = names[i];
		big[i].process = PROC_SYNC_ORDERS;
		big[i].base = i == 0 ? "sync_orders.default" : names[i - 1];
		big[i].file = F;
		big[i].line = (int)i + 1;
	}
	memset(&c, 0, sizeof(c));
	c.templates = big;
	c.ntemplates = 70;
	CHECK(tmpl_check_conf(&c, &x->dl) > 0);
	EXPECT_DIAG(x, 70, "base chain longer than 64 templates");
	diag_clear(&x->dl);
	{
		struct tmpl *tp = tmpl_compile(&c, "t50", &x->dl);

		CHECK(tp != NULL);
		tmpl_free(tp);
	}
	tc_free(x);
}

/* Problems in a base are reported once, at the base, not again for every
 * template built on it. */
TEST(check_no_duplicates)
{
	struct tc *x = tc_new();
	struct conf_template *a, *b;

	a = tc_tmpl(x, "a", PROC_SYNC_LISTINGS, NULL, 1);
	tc_line(a, "sku", "skip", 2);
	tc_line(a, "price", "field:nope", 3);
	b = tc_tmpl(x, "b", PROC_SYNC_LISTINGS, "a", 4);
	tc_line(b, "name", "field:name", 5);
	tc_tmpl(x, "c", PROC_SYNC_LISTINGS, "b", 6);
	CHECK_INT(tmpl_check_conf(&x->c, &x->dl), 2);
	EXPECT_DIAG(x, 2, "sku: a required field cannot be skip");
	EXPECT_DIAG(x, 3, "unknown source 'nope'");
	/* b overriding the bad line fixes it for b */
	tc_line(b, "sku", "field:sku", 7);
	tc_line(b, "price", "field:price", 8);
	diag_clear(&x->dl);
	{
		struct tmpl *tp = tmpl_compile(&x->c, "c", &x->dl);

		CHECK(tp != NULL);
		tmpl_free(tp);
	}
	tc_free(x);
}

TEST(check_sets)
{
	struct tc *x = tc_new();
	struct conf_mapping_set *s = tc_set(x, "m", 1);

	tc_entry(s, "a", "1", 2);
	tc_entry(s, "b", "2", 3);
	tc_entry(s, "a", "3", 4);
	CHECK_INT(tmpl_check_conf(&x->c, &x->dl), 1);
	EXPECT_DIAG(x, 4, "mapping set 'm': 'a' is given twice (first at line "
	    "2)");
	tc_free(x);
}

TEST(check_pii_template)
{
	struct tc *x = tc_new();

	tc_tmpl(x, "p", PROC_PII_RETENTION, NULL, 3);
	tc_tmpl(x, "n", PROC_NONE, NULL, 4);	/* conf's to report */
	CHECK_INT(tmpl_check_conf(&x->c, &x->dl), 1);
	EXPECT_DIAG(x, 3, "pii_retention takes no template");
	diag_clear(&x->dl);
	CHECK(tmpl_compile(&x->c, "p", &x->dl) == NULL);
	EXPECT_DIAG(x, 3, "has no template");
	tc_free(x);
}

TEST(check_jobs)
{
	struct tc *x = tc_new();
	struct conf_template *t;
	struct conf_job *j;

	t = tc_tmpl(x, "orders", PROC_GET_ORDERS, "get_orders.default", 1);
	t = tc_tmpl(x, "nomaster", PROC_IMPORT_LISTINGS,
	    "import_listings.default", 2);
	tc_line(t, "master_sku", "skip", 3);
	tc_job(x, PROC_SYNC_LISTINGS, "missing", 10);		/* 11 */
	tc_job(x, PROC_SYNC_LISTINGS, "orders", 12);		/* 13 */
	tc_job(x, PROC_SYNC_LISTINGS, "get_orders.default", 14);	/* 15 */
	tc_job(x, PROC_GET_ORDERS, NULL, 16);			/* default */
	tc_job(x, PROC_PII_RETENTION, NULL, 17);		/* none */
	j = tc_job(x, PROC_IMPORT_LISTINGS, NULL, 20);
	tc_setting(j, "master_sku", "nope", 21);
	j = tc_job(x, PROC_IMPORT_LISTINGS, NULL, 22);
	tc_setting(j, "master_sku", "json:custom_attributes.mpn", 23);
	j = tc_job(x, PROC_IMPORT_LISTINGS, NULL, 24);
	tc_setting(j, "master_sku", "json:a[", 25);
	tc_job(x, PROC_IMPORT_LISTINGS, "nomaster", 26);		/* 27 */
	j = tc_job(x, PROC_IMPORT_LISTINGS, "nomaster", 28);
	tc_setting(j, "master_sku", "none", 30);
	j = tc_job(x, PROC_SYNC_LISTINGS, NULL, 31);
	tc_setting(j, "fields", "price, stock_quantity,\n bogus ,in_stock",
	    32);
	j = tc_job(x, PROC_SYNC_LISTINGS, NULL, 33);
	tc_setting(j, "fields", "price,name", 34);
	j = tc_job(x, PROC_IMPORT_LISTINGS, NULL, 35);
	tc_setting(j, "upc_attribute", "bar.code", 36);
	j = tc_job(x, PROC_IMPORT_LISTINGS, NULL, 37);
	tc_setting(j, "upc_attribute", "json:[", 38);
	j = tc_job(x, PROC_IMPORT_LISTINGS, NULL, 39);
	tc_setting(j, "upc_attribute", "ean_13", 40);
	tc_setting(j, "upc_attribute", "none", 41);
	CHECK_INT(tmpl_check_conf(&x->c, &x->dl), 9);
	EXPECT_DIAG(x, 36, "upc_attribute: 'bar.code' is not an attribute "
	    "code");
	EXPECT_DIAG(x, 38, "upc_attribute: bad JSON path");
	EXPECT_DIAG(x, 11, "unknown template 'missing'");
	EXPECT_DIAG(x, 13, "template 'orders' is for get_orders, not "
	    "sync_listings");
	EXPECT_DIAG(x, 15, "template 'get_orders.default' is for get_orders");
	EXPECT_DIAG(x, 21, "master_sku: unknown source 'nope'");
	EXPECT_DIAG(x, 25, "master_sku: bad JSON path");
	EXPECT_DIAG(x, 27, "template 'nomaster' leaves master_sku skip: map "
	    "it, or set master_sku = none");
	EXPECT_DIAG(x, 32, "fields: unknown field 'bogus' for sync_listings");
	tc_free(x);
}

TEST(source_check)
{
	char err[256];

	CHECK_INT(tmpl_source_check(PROC_IMPORT_LISTINGS, "sku", err,
	    sizeof(err)), 0);
	CHECK_INT(tmpl_source_check(PROC_IMPORT_LISTINGS,
	    "json:custom_attributes.mpn", err, sizeof(err)), 0);
	CHECK_INT(tmpl_source_check(PROC_IMPORT_LISTINGS, "variant.sku", err,
	    sizeof(err)), -1);
	CHECK_HAS(err, "only for variant.* fields");
	CHECK_INT(tmpl_source_check(PROC_IMPORT_LISTINGS, "skuu", err,
	    sizeof(err)), -1);
	CHECK_HAS(err, "unknown source 'skuu'");
	CHECK_INT(tmpl_source_check(PROC_SYNC_LISTINGS, "json:sku", err,
	    sizeof(err)), -1);
	CHECK_HAS(err, "json: paths read Magento's JSON");
	CHECK_INT(tmpl_source_check(PROC_SYNC_ORDERS, "note", err,
	    sizeof(err)), 0);
	CHECK_INT(tmpl_source_check(PROC_PII_RETENTION, "x", err,
	    sizeof(err)), -1);
	CHECK_INT(tmpl_source_check(PROC_GET_ORDERS, "", err, sizeof(err)),
	    -1);
}

/* ---- jobs: settings that name fields ------------------------------------ */

TEST(compile_job_master_sku)
{
	static const char prod[] = "{\"sku\":\"S1\",\"name\":\"N\","
	    "\"custom_attributes\":[{\"attribute_code\":\"mpn\","
	    "\"value\":\"M-9\"}]}";
	struct tc *x = tc_new();
	json_t *root = json_loads(prod, 0, NULL);
	struct tmpl_src src = { root, NULL, NULL, NULL };
	struct tmpl_out *o = tmpl_out_new();
	struct conf_job *j1, *j2, *j3, *j4;
	struct tmpl *t;

	j1 = tc_job(x, PROC_IMPORT_LISTINGS, NULL, 1);
	j2 = tc_job(x, PROC_IMPORT_LISTINGS, NULL, 2);
	tc_setting(j2, "master_sku", "json:custom_attributes.mpn", 3);
	j3 = tc_job(x, PROC_IMPORT_LISTINGS, NULL, 4);
	tc_setting(j3, "master_sku", "none", 5);
	j4 = tc_job(x, PROC_IMPORT_LISTINGS, NULL, 6);
	tc_setting(j4, "master_sku", "nope", 7);

	CHECK((t = tmpl_compile_job(&x->c, j1, &x->dl)) != NULL);
	tmpl_apply(t, FIELDS_RECORD, &src, o);
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_MASTER_SKU), "S1");
	tmpl_free(t);
	CHECK((t = tmpl_compile_job(&x->c, j2, &x->dl)) != NULL);
	tmpl_apply(t, FIELDS_RECORD, &src, o);
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_MASTER_SKU), "M-9");
	tmpl_free(t);
	CHECK((t = tmpl_compile_job(&x->c, j3, &x->dl)) != NULL);
	tmpl_apply(t, FIELDS_RECORD, &src, o);
	CHECK(!(tmpl_out_written(o) & BIT(FIELDS_IL_MASTER_SKU)));
	CHECK_INT(tmpl_rule(t, FIELDS_IL_MASTER_SKU), TMPL_SKIP);
	tmpl_free(t);
	CHECK(tmpl_compile_job(&x->c, j4, &x->dl) == NULL);
	EXPECT_DIAG(x, 7, "master_sku: unknown source 'nope'");

	/* a mapped master_sku whose source is missing fails the item */
	json_object_del(root, "sku");
	CHECK((t = tmpl_compile_job(&x->c, j1, &x->dl)) != NULL);
	CHECK_INT(tmpl_apply(t, FIELDS_RECORD, &src, o), TMPL_EFIELD);
	CHECK_INT(tmpl_out_nerr(o), 2);		/* sku and master_sku */
	tmpl_free(t);
	tmpl_out_free(o);
	json_decref(root);
	tc_free(x);
}

TEST(compile_job_upc_attribute)
{
	static const char child[] = "{\"sku\":\"C\",\"custom_attributes\":["
	    "{\"attribute_code\":\"upc\",\"value\":\"111\"},"
	    "{\"attribute_code\":\"ean\",\"value\":\"222\"}],"
	    "\"gtin\":\"333\"}";
	static const struct {
		const char *setting, *want;
	} cases[] = {
		{ NULL, "111" }, { "ean", "222" }, { "json:gtin", "333" },
		{ "none", NULL }, { "missing", NULL },
	};
	json_t *c = json_loads(child, 0, NULL);
	struct tmpl_src src = { c, c, NULL, NULL };
	struct tmpl_out *o = tmpl_out_new();
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tc *x = tc_new();
		struct conf_job *j = tc_job(x, PROC_IMPORT_LISTINGS, NULL, 1);
		struct tmpl *t;

		if (cases[i].setting != NULL)
			tc_setting(j, "upc_attribute", cases[i].setting, 2);
		CHECK((t = tmpl_compile_job(&x->c, j, &x->dl)) != NULL);
		if (t != NULL) {
			CHECK_INT(tmpl_apply(t, FIELDS_VARIANT, &src, o), 0);
			CHECK_STR(tmpl_out_value(o, FIELDS_IL_VARIANT_UPC),
			    cases[i].want);
			CHECK(tmpl_out_written(o) &
			    BIT(FIELDS_IL_VARIANT_UPC));
		}
		tmpl_free(t);
		tc_free(x);
	}
	{
		struct tc *x = tc_new();
		struct conf_job *j = tc_job(x, PROC_IMPORT_LISTINGS, NULL, 1);

		tc_setting(j, "upc_attribute", "a b", 2);
		CHECK(tmpl_compile_job(&x->c, j, &x->dl) == NULL);
		EXPECT_DIAG(x, 2, "upc_attribute: 'a b' is not an attribute");
		tc_free(x);
	}
	tmpl_out_free(o);
	json_decref(c);
}

TEST(compile_job_other_process)
{
	struct tc *x = tc_new();
	struct conf_job *j;
	struct tmpl *t;

	tc_tmpl(x, "o", PROC_GET_ORDERS, "get_orders.default", 1);
	j = tc_job(x, PROC_SYNC_ORDERS, "o", 5);
	CHECK((t = tmpl_compile_job(&x->c, j, &x->dl)) == NULL);
	EXPECT_DIAG(x, 5, "template 'o' is for get_orders, not sync_orders");
	j = tc_job(x, PROC_SYNC_ORDERS, NULL, 7);
	CHECK((t = tmpl_compile_job(&x->c, j, &x->dl)) != NULL);
	CHECK_STR(tmpl_name(t), "sync_orders.default");
	tmpl_free(t);
	tc_free(x);
}

/* ---- apply: records, groups, sources ------------------------------------ */

static const char order[] =
    "{\"increment_id\":\"000000123\",\"status\":\"processing\","
    "\"created_at\":\"2024-03-01 10:00:00\",\"grand_total\":42.5,"
    "\"shipping_amount\":\"5.0000\",\"coupon_code\":null,"
    "\"billing_address\":{\"street\":[\"1 Main St\",\"Apt 2\"],"
    "\"city\":\"Berlin\",\"region\":\"Berlin\",\"postcode\":\"10115\","
    "\"country_id\":\"DE\",\"telephone\":\"+49 30 1\",\"email\":\"a@b.c\","
    "\"firstname\":\"Ann\",\"lastname\":\"Bee\"},"
    "\"extension_attributes\":{\"shipping_assignments\":[{\"shipping\":"
    "{\"address\":{\"street\":[\"2 Side St\"],\"city\":\"Hamburg\","
    "\"firstname\":\"Cy\"},\"method\":\"flatrate_flatrate\"}}]},"
    "\"items\":[{\"item_id\":7,\"sku\":\"S1\",\"name\":\"Shirt\","
    "\"qty_ordered\":2,\"price\":21.25,\"weight\":\"0.5000\","
    "\"discount_amount\":0}]}";

TEST(apply_get_orders)
{
	json_t *root = json_loads(order, 0, NULL);
	json_t *it = json_array_get(json_object_get(root, "items"), 0);
	struct tmpl_src src = { root, it, NULL, NULL };
	struct diag_list dl = { NULL, 0, 0 };
	struct tmpl_out *o = tmpl_out_new();
	struct tmpl *t = tmpl_compile(NULL, "get_orders.default", &dl);

	CHECK(t != NULL);
	CHECK_INT(tmpl_apply(t, FIELDS_RECORD, &src, o), 0);
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_ORDER_ID), "000000123");
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_STATUS), "processing");
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_GRAND_TOTAL), "42.5");
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_SHIPPING_AMOUNT), "5");
	CHECK(tmpl_out_value(o, FIELDS_GO_COUPON_CODE) == NULL);
	CHECK(tmpl_out_empty(o) & BIT(FIELDS_GO_COUPON_CODE));
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_DATE_CREATED),
	    "2024-03-01T10:00:00+00:00");
	/* only the record's fields */
	CHECK_INT(tmpl_out_written(o) & ~(uint64_t)0x7f, 0);

	CHECK_INT(tmpl_apply(t, FIELDS_ITEM, &src, o), 0);
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_ITEM_SKU), "S1");
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_ITEM_QTY_ORDERED), "2");
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_ITEM_PRICE), "21.25");
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_ITEM_ITEM_ID), "7");
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_ITEM_WEIGHT), "0.5");
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_ITEM_DISCOUNT_AMOUNT), "0");

	CHECK_INT(tmpl_apply(t, FIELDS_BILLING, &src, o), 0);
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_BILLING + FIELDS_ADDR_LINE_1),
	    "1 Main St");
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_BILLING + FIELDS_ADDR_LINE_2),
	    "Apt 2");
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_BILLING + FIELDS_ADDR_STATE),
	    "Berlin");
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_BILLING +
	    FIELDS_ADDR_COUNTRY_CODE), "DE");
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_BILLING +
	    FIELDS_ADDR_FIRST_NAME), "Ann");
	CHECK(tmpl_out_value(o, FIELDS_GO_BILLING + FIELDS_ADDR_COMPANY) ==
	    NULL);

	CHECK_INT(tmpl_apply(t, FIELDS_SHIPPING, &src, o), 0);
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_SHIPPING + FIELDS_ADDR_LINE_1),
	    "2 Side St");
	CHECK(tmpl_out_value(o, FIELDS_GO_SHIPPING + FIELDS_ADDR_LINE_2) ==
	    NULL);
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_SHIPPING + FIELDS_ADDR_CITY),
	    "Hamburg");

	/* a virtual order: no shipping address, every field NULL */
	json_object_del(root, "extension_attributes");
	CHECK_INT(tmpl_apply(t, FIELDS_SHIPPING, &src, o), 0);
	CHECK_INT(tmpl_out_written(o), tmpl_out_empty(o));
	CHECK(tmpl_out_written(o) & BIT(FIELDS_GO_SHIPPING));

	/* an item without a sku fails that item only */
	json_object_del(it, "sku");
	CHECK_INT(tmpl_apply(t, FIELDS_ITEM, &src, o), TMPL_EFIELD);
	CHECK_INT(tmpl_out_nerr(o), 1);
	CHECK_STR(tmpl_out_err(o, 0)->field, "item.sku");
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_ITEM_NAME), "Shirt");
	tmpl_free(t);
	tmpl_out_free(o);
	json_decref(root);
	diag_clear(&dl);
}

TEST(apply_variants)
{
	static const char parent[] = "{\"sku\":\"P\",\"name\":\"Parent\","
	    "\"price\":10,\"extension_attributes\":{\"configurable_product_"
	    "links\":[2]}}";
	static const char child[] = "{\"sku\":\"P-S\",\"price\":12,"
	    "\"custom_attributes\":[{\"attribute_code\":\"upc\",\"value\":"
	    "\"0123\"},{\"attribute_code\":\"ean\",\"value\":\"4000\"}],"
	    "\"extension_attributes\":{\"stock_item\":{\"qty\":3}}}";
	struct tc *x = tc_new();
	struct conf_template *t = tc_tmpl(x, "v", PROC_IMPORT_LISTINGS,
	    "import_listings.default", 1);
	json_t *p = json_loads(parent, 0, NULL), *c = json_loads(child, 0, NULL);
	struct tmpl_src src = { p, c, NULL, NULL };
	struct tmpl_out *o = tmpl_out_new();
	struct tmpl *tp, *td;

	tc_line(t, "variant.price", "field:price", 2);
	tc_line(t, "variant.upc", "field:json:custom_attributes.ean", 3);
	tp = tmpl_compile(&x->c, "v", &x->dl);
	td = tmpl_compile(&x->c, "import_listings.default", &x->dl);
	CHECK(tp != NULL && td != NULL);
	CHECK_INT(tmpl_apply(td, FIELDS_VARIANT, &src, o), 0);
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_VARIANT_SKU), "P-S");
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_VARIANT_UPC), "0123");
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_VARIANT_QUANTITY), "3");
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_VARIANT_PRICE), "12");
	CHECK(!(tmpl_out_written(o) & BIT(FIELDS_IL_SKU)));
	/* unprefixed sources read the parent; json: the child */
	CHECK_INT(tmpl_apply(tp, FIELDS_VARIANT, &src, o), 0);
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_VARIANT_PRICE), "10");
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_VARIANT_UPC), "4000");
	CHECK_INT(tmpl_apply(tp, FIELDS_RECORD, &src, o), 0);
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_SKU), "P");
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_PRICE), "10");
	/* no child given: variant sources are missing */
	src.sub = NULL;
	CHECK_INT(tmpl_apply(td, FIELDS_VARIANT, &src, o), 0);
	CHECK_INT(tmpl_out_written(o), tmpl_out_empty(o));
	tmpl_free(tp);
	tmpl_free(td);
	tmpl_out_free(o);
	json_decref(p);
	json_decref(c);
	tc_free(x);
}

TEST(apply_sync_variant_rows)
{
	const char *text[FIELDS_MAX] = { NULL };
	struct tmpl_src src = { NULL, NULL, NULL, text };
	struct diag_list dl = { NULL, 0, 0 };
	struct tmpl_out *o = tmpl_out_new();
	struct tmpl *t = tmpl_compile(NULL, "sync_listings.default", &dl);
	char *got;

	text[FIELDS_LPS_SKU] = "P";
	text[FIELDS_LPS_VARIANT_SKU] = "P-S";
	text[FIELDS_LPS_VARIANT_UPC] = "0123";
	text[FIELDS_LPS_VARIANT_QUANTITY] = "3.0000";
	text[FIELDS_LPS_VARIANT_PRICE] = "12.50";
	CHECK_INT(tmpl_apply(t, FIELDS_VARIANT, &src, o), 0);
	got = dump(tmpl_out_payload(o));
	CHECK_STR(got, "{\"custom_attributes\":[{\"attribute_code\":\"upc\","
	    "\"value\":\"0123\"}],\"extension_attributes\":{\"stock_item\":"
	    "{\"qty\":3}},\"price\":12.5,\"sku\":\"P-S\"}");
	free(got);
	CHECK_INT(tmpl_sources(t, FIELDS_VARIANT),
	    BIT(FIELDS_LPS_VARIANT_SKU) | BIT(FIELDS_LPS_VARIANT_UPC) |
	    BIT(FIELDS_LPS_VARIANT_QUANTITY) | BIT(FIELDS_LPS_VARIANT_PRICE));
	CHECK(tmpl_sources(t, FIELDS_RECORD) & BIT(FIELDS_LPS_CATEGORIES));
	CHECK(!(tmpl_sources(t, FIELDS_RECORD) & BIT(FIELDS_LPS_CATEGORY_ONE)));
	CHECK_INT(tmpl_sources(t, FIELDS_NGROUPS), 0);
	/* a group the process does not have writes nothing */
	CHECK_INT(tmpl_apply(t, FIELDS_ITEM, &src, o), 0);
	CHECK_INT(tmpl_out_written(o), 0);
	got = dump(tmpl_out_payload(o));
	CHECK_STR(got, "{}");
	free(got);
	CHECK_INT(tmpl_apply(t, FIELDS_NGROUPS, &src, o), 0);
	tmpl_free(t);
	tmpl_out_free(o);
	diag_clear(&dl);
}

TEST(apply_full_sync_listing)
{
	const char *text[FIELDS_MAX] = {
		[FIELDS_LPS_SKU] = "A-1", [FIELDS_LPS_NAME] = "Shirt",
		[FIELDS_LPS_DESCRIPTION] = "<p>Soft</p>",
		[FIELDS_LPS_SHORT_DESCRIPTION] = NULL,
		[FIELDS_LPS_PRICE] = "29.99", [FIELDS_LPS_SPECIAL_PRICE] = NULL,
		[FIELDS_LPS_QUANTITY] = "5", [FIELDS_LPS_IN_STOCK] = "t",
		[FIELDS_LPS_IMAGES] = "{http://x/a.jpg}",
		[FIELDS_LPS_CATEGORIES] = "{Men,Shirts}",
		[FIELDS_LPS_STATUS] = "active", [FIELDS_LPS_VISIBILITY] = "4",
		[FIELDS_LPS_MAX_SALE_QTY] = NULL,
	};
	struct tmpl_src src = { NULL, NULL, NULL, text };
	struct diag_list dl = { NULL, 0, 0 };
	struct tmpl_out *o = tmpl_out_new();
	struct tmpl *t = tmpl_compile(NULL, "sync_listings.default", &dl);
	json_t *p;
	char *got;

	CHECK_INT(tmpl_apply(t, FIELDS_RECORD, &src, o), 0);
	got = dump(tmpl_out_payload(o));
	CHECK_STR(got, "{\"custom_attributes\":[{\"attribute_code\":"
	    "\"description\",\"value\":\"<p>Soft</p>\"},{\"attribute_code\":"
	    "\"short_description\",\"value\":\"\"},{\"attribute_code\":"
	    "\"special_price\",\"value\":\"\"}],\"extension_attributes\":"
	    "{\"category_links\":[\"Men\",\"Shirts\"],\"stock_item\":"
	    "{\"is_in_stock\":true,\"max_sale_qty\":null,\"qty\":5,"
	    "\"use_config_max_sale_qty\":true}},\"media_gallery_entries\":"
	    "[\"http://x/a.jpg\"],\"name\":\"Shirt\",\"price\":29.99,"
	    "\"sku\":\"A-1\",\"status\":1,\"visibility\":4}");
	free(got);
	p = tmpl_out_take_payload(o);
	CHECK(p != NULL);
	CHECK(tmpl_out_payload(o) == NULL);
	json_decref(p);
	CHECK(tmpl_out_value(o, FIELDS_LP_SKU) == NULL);
	tmpl_free(t);
	tmpl_out_free(o);
	diag_clear(&dl);
}

TEST(apply_extra)
{
	json_t *root = json_loads(product, JSON_ALLOW_NUL, NULL);
	json_t *extra[FIELDS_MAX] = { NULL };
	struct tmpl_src src = { root, root, extra, NULL };
	struct diag_list dl = { NULL, 0, 0 };
	struct tmpl_out *o = tmpl_out_new();
	struct tmpl *t = tmpl_compile(NULL, "import_listings.default", &dl);

	CHECK_INT(tmpl_apply(t, FIELDS_RECORD, &src, o), 0);
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_IMAGES), "{\"/a.jpg\",\"/b.png\"}");
	CHECK(tmpl_out_value(o, FIELDS_IL_QUANTITY) == NULL);
	extra[FIELDS_ILS_CATEGORY_ONE] = json_string("Men");
	extra[FIELDS_ILS_CATEGORY_TWO] = json_null();
	extra[FIELDS_ILS_QUANTITY] = json_real(12.0);
	extra[FIELDS_ILS_IMAGES] = json_pack("[s]", "https://cdn/a.jpg");
	CHECK_INT(tmpl_apply(t, FIELDS_RECORD, &src, o), 0);
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_CATEGORY_ONE), "Men");
	CHECK(tmpl_out_value(o, FIELDS_IL_CATEGORY_TWO) == NULL);
	CHECK(tmpl_out_written(o) & BIT(FIELDS_IL_CATEGORY_TWO));
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_QUANTITY), "12");
	CHECK_STR(tmpl_out_value(o, FIELDS_IL_IMAGES), "{\"https://cdn/a.jpg\"}");
	json_decref(extra[FIELDS_ILS_CATEGORY_ONE]);
	json_decref(extra[FIELDS_ILS_CATEGORY_TWO]);
	json_decref(extra[FIELDS_ILS_QUANTITY]);
	json_decref(extra[FIELDS_ILS_IMAGES]);
	tmpl_free(t);
	tmpl_out_free(o);
	json_decref(root);
	diag_clear(&dl);
}

/* Values written into the output's buffer stay right while it grows. */
TEST(apply_buffer_growth)
{
	struct tc *x = tc_new();
	struct conf_template *t = tc_tmpl(x, "t", PROC_GET_ORDERS,
	    "get_orders.default", 1);
	struct tmpl_out *o = tmpl_out_new();
	struct tmpl_src src;
	struct tmpl *tp;
	json_t *root = json_object(), *addr = json_object();
	char big[11][400];
	int i;

	for (i = 0; i < 11; i++) {
		memset(big[i], 'a' + i, sizeof(big[i]) - 1);
		big[i][sizeof(big[i]) - 1] = '\0';
	}
	json_object_set_new(root, "billing_address", addr);
	json_object_set_new(addr, "street", json_pack("[s,s]", big[0],
	    big[1]));
	json_object_set_new(addr, "city", json_string(big[2]));
	json_object_set_new(addr, "num", json_integer(1234567));
	tc_line(t, "billing.state", "field:json:billing_address.num", 2);
	tc_line(t, "billing.company", "value:Acme", 3);
	tp = tmpl_compile(&x->c, "t", &x->dl);
	memset(&src, 0, sizeof(src));
	src.root = root;
	CHECK_INT(tmpl_apply(tp, FIELDS_BILLING, &src, o), 0);
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_BILLING), big[0]);
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_BILLING + 1), big[1]);
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_BILLING + 2), big[2]);
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_BILLING + FIELDS_ADDR_STATE),
	    "1234567");
	CHECK_STR(tmpl_out_value(o, FIELDS_GO_BILLING + FIELDS_ADDR_COMPANY),
	    "Acme");
	CHECK(tmpl_out_value(o, -1) == NULL);
	CHECK(tmpl_out_value(o, FIELDS_MAX) == NULL);
	tmpl_free(tp);
	tmpl_out_free(o);
	json_decref(root);
	tc_free(x);
}

TEST(apply_errors)
{
	static const char bad[] = "{\"obj\":{},\"billing_address\":"
	    "{\"city\":[1]}}";
	struct tc *x = tc_new();
	struct conf_template *t = tc_tmpl(x, "t", PROC_GET_ORDERS,
	    "get_orders.default", 1);
	static const char *const keys[] = {
		"billing.address_line_1", "billing.address_line_2",
		"billing.state", "billing.post_code", "billing.country_code",
		"billing.telephone", "billing.email", "billing.first_name",
		"billing.last_name", "billing.company",
	};
	json_t *root = json_loads(bad, 0, NULL);
	struct tmpl_src src = { root, NULL, NULL, NULL };
	struct tmpl_out *o = tmpl_out_new();
	char buf[300], longv[300];
	struct tmpl *tp;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		tc_line(t, keys[i], "field:json:obj", (int)i + 2);
	tp = tmpl_compile(&x->c, "t", &x->dl);
	CHECK_INT(tmpl_apply(tp, FIELDS_BILLING, &src, o), TMPL_EFIELD);
	CHECK_INT(tmpl_out_nerr(o), 11);
	CHECK(tmpl_out_err(o, TMPL_ERR_MAX - 1) != NULL);
	CHECK(tmpl_out_err(o, TMPL_ERR_MAX) == NULL);
	CHECK_STR(tmpl_err_format(tmpl_out_err(o, 0), buf, sizeof(buf)),
	    "billing.address_line_1: '(an object)' is an object, not text");
	CHECK_STR(tmpl_out_err(o, 2)->field, "billing.city");
	CHECK_STR(tmpl_out_err(o, 2)->value, "(an array)");
	CHECK_INT(tmpl_out_written(o), 0);

	/* a long value with control characters, cut on a character */
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	memcpy(longv, "a\tb\n", 4);
	memcpy(longv + 58, "\xc3\xa9\xc3\xa9", 4);
	json_object_set_new(root, "obj", json_string(longv));
	x->t[0].nlines = 1;
	x->t[0].lines[0].key = "billing.post_code";
	x->t[0].lines[0].value = "set:listing_status:json:obj";
	tmpl_free(tp);
	tp = tmpl_compile(&x->c, "t", &x->dl);
	CHECK_INT(tmpl_apply(tp, FIELDS_BILLING, &src, o), TMPL_EFIELD);
	CHECK_INT(tmpl_out_nerr(o), 2);	/* and the default's city */
	CHECK(tmpl_out_err(o, 1) != NULL);
	if (tmpl_out_err(o, 1) != NULL) {
		const struct tmpl_err *e = tmpl_out_err(o, 1);

		CHECK_STR(e->field, "billing.post_code");
		CHECK(strncmp(e->value, "a?b?xx", 6) == 0);
		CHECK(strlen(e->value) < TMPL_VALUE_MAX);
		CHECK_STR(e->value + strlen(e->value) - 3, "...");
		CHECK_HAS(e->value, "x\xc3\xa9...");
		CHECK_HAS(e->msg, "is not in mapping set 'listing_status'");
	}
	tmpl_free(tp);
	tmpl_out_free(o);
	json_decref(root);
	tc_free(x);
}

TEST(sets_exact_match)
{
	struct tc *x = tc_new();
	struct conf_mapping_set *s = tc_set(x, "ship", 1);
	struct conf_template *t;
	const char *text[FIELDS_MAX] = { NULL };
	struct tmpl_src src = { NULL, NULL, NULL, text };
	struct tmpl_out *o = tmpl_out_new();
	struct tmpl *tp;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "UPS", "ups" }, { "ups", "ups-lower" }, { "Fed Ex", "fedex" },
		{ "", "blank" }, { " UPS", NULL }, { "UPSX", NULL },
	};
	size_t i;

	tc_entry(s, "UPS", "ups", 2);
	tc_entry(s, "ups", "ups-lower", 3);
	tc_entry(s, "Fed Ex", "fedex", 4);
	tc_entry(s, "", "blank", 5);
	t = tc_tmpl(x, "t", PROC_SYNC_ORDERS, "sync_orders.default", 10);
	tc_line(t, "carrier", "set:ship:carrier", 11);
	CHECK((tp = tmpl_compile(&x->c, "t", &x->dl)) != NULL);
	text[FIELDS_SOS_TRACKING_NUMBER] = "1Z";
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v;

		text[FIELDS_SOS_CARRIER] = cases[i].in;
		tmpl_apply(tp, FIELDS_RECORD, &src, o);
		v = json_object_get(json_array_get(json_object_get(
		    tmpl_out_payload(o), "tracks"), 0), "carrier_code");
		if (cases[i].out == NULL) {
			CHECK(v == NULL);
			CHECK_INT(tmpl_out_nerr(o), 1);
			CHECK_HAS(tmpl_out_err(o, 0)->msg, "mapping set 'ship'");
			CHECK_STR(tmpl_out_err(o, 0)->value, cases[i].in);
		} else {
			CHECK_STR(json_string_value(v), cases[i].out);
		}
	}
	/* a * default catches the rest */
	tc_entry(s, "*", "custom", 6);
	tmpl_free(tp);
	CHECK((tp = tmpl_compile(&x->c, "t", &x->dl)) != NULL);
	text[FIELDS_SOS_CARRIER] = "Royal Mail";
	CHECK_INT(tmpl_apply(tp, FIELDS_RECORD, &src, o), 0);
	CHECK_STR(json_string_value(json_object_get(json_array_get(
	    json_object_get(tmpl_out_payload(o), "tracks"), 0),
	    "carrier_code")), "custom");
	tmpl_free(tp);
	tmpl_out_free(o);
	tc_free(x);
}

/* A [mapping_set listing_status] replaces the built-in one. */
TEST(sets_replace_builtin)
{
	struct tc *x = tc_new();
	struct conf_mapping_set *s = tc_set(x, "listing_status", 1);
	const char *text[FIELDS_MAX] = { NULL };
	struct tmpl_src src = { NULL, NULL, NULL, text };
	struct tmpl_out *o = tmpl_out_new();
	struct tmpl *tp;

	tc_entry(s, "active", "1", 2);
	tc_entry(s, "*", "2", 3);
	tc_tmpl(x, "sync_listings.default", PROC_SYNC_LISTINGS, NULL, 5);
	tc_line(&x->t[0], "sku", "field:sku", 6);
	tc_line(&x->t[0], "status", "set:listing_status:status", 7);
	text[FIELDS_LPS_SKU] = "S";
	text[FIELDS_LPS_STATUS] = "archived";
	CHECK((tp = tmpl_compile(&x->c, "sync_listings.default", &x->dl)) !=
	    NULL);
	CHECK_INT(tmpl_apply(tp, FIELDS_RECORD, &src, o), 0);
	CHECK_INT(json_integer_value(json_object_get(tmpl_out_payload(o),
	    "status")), 2);
	tmpl_free(tp);
	tmpl_out_free(o);
	tc_free(x);
}

/* ---- conversions on their own ------------------------------------------- */

TEST(convert_direct)
{
	static const struct {
		enum fields_type t;
		const char *json, *text;	/* one of them */
		const char *sql, *payload;	/* NULL: fails */
	} cases[] = {
		{ FIELDS_TEXT, "\"x\"", NULL, "x", "\"x\"" },
		{ FIELDS_TEXT, NULL, "x", "x", "\"x\"" },
		{ FIELDS_TEXT, "1.5", NULL, "1.5", "\"1.5\"" },
		{ FIELDS_TEXT, "[1]", NULL, NULL, NULL },
		{ FIELDS_NUMBER, "\"29.99\"", NULL, "29.99", "29.99" },
		{ FIELDS_NUMBER, "29.99", NULL, "29.99", "29.99" },
		{ FIELDS_NUMBER, "0.1", NULL, "0.1", "0.1" },
		{ FIELDS_NUMBER, "1e300", NULL, "1e+300", "1e300" },
		{ FIELDS_NUMBER, NULL, "-007.500", "-007.5", "-7.5" },
		{ FIELDS_NUMBER, NULL, "1.", "1", "1" },
		{ FIELDS_NUMBER, NULL, ".", NULL, NULL },
		{ FIELDS_NUMBER, NULL, "1e", NULL, NULL },
		{ FIELDS_NUMBER, NULL, " 1", NULL, NULL },
		{ FIELDS_NUMBER, NULL, "0x10", NULL, NULL },
		{ FIELDS_NUMBER, NULL, "inf", NULL, NULL },
		{ FIELDS_NUMBER, NULL, "nan", NULL, NULL },
		{ FIELDS_NUMBER, NULL, "12345678901234567890123456789012345678901",
		    NULL, NULL },
		{ FIELDS_INTEGER, NULL, "9223372036854775807",
		    "9223372036854775807", "9223372036854775807" },
		{ FIELDS_INTEGER, NULL, "9223372036854775808", NULL, NULL },
		{ FIELDS_INTEGER, NULL, "-9223372036854775808",
		    "-9223372036854775808", "-9223372036854775808" },
		{ FIELDS_INTEGER, "true", NULL, NULL, NULL },
		{ FIELDS_BOOLEAN, "1", NULL, "true", "true" },
		{ FIELDS_BOOLEAN, "0.0", NULL, "false", "false" },
		{ FIELDS_BOOLEAN, "2", NULL, NULL, NULL },
		{ FIELDS_BOOLEAN, "\"no\"", NULL, "false", "false" },
		{ FIELDS_BOOLEAN, "\"Y\"", NULL, "true", "true" },
		{ FIELDS_BOOLEAN, "\"\"", NULL, NULL, NULL },
		{ FIELDS_BOOLEAN, "{}", NULL, NULL, NULL },
		{ FIELDS_TIMESTAMP, "\"2024-03-01 10:00:00\"", NULL,
		    "2024-03-01T10:00:00+00:00", "\"2024-03-01 10:00:00\"" },
		{ FIELDS_TIMESTAMP, NULL, "2024-03-01T10:00:00-05:30",
		    "2024-03-01T15:30:00+00:00", "\"2024-03-01 15:30:00\"" },
		{ FIELDS_TIMESTAMP, NULL, "2024-03-01 25:00:00", NULL, NULL },
		{ FIELDS_TIMESTAMP, "true", NULL, NULL, NULL },
		{ FIELDS_TEXT_ARRAY, "[\"a\",\"b\"]", NULL, "{\"a\",\"b\"}",
		    "[\"a\",\"b\"]" },
		{ FIELDS_TEXT_ARRAY, "\"{a,b}\"", NULL, "{\"{a,b}\"}",
		    "[\"{a,b}\"]" },
		{ FIELDS_TEXT_ARRAY, NULL, "{ a , \"b\\\\c\" } ",
		    "{\"a\",\"b\\\\c\"}", "[\"a\",\"b\\\\c\"]" },
		{ FIELDS_TEXT_ARRAY, NULL, "{a,}", NULL, NULL },
		{ FIELDS_TEXT_ARRAY, NULL, "{a}x", NULL, NULL },
		{ FIELDS_TEXT_ARRAY, NULL, "{\"a}", NULL, NULL },
		{ FIELDS_TEXT_ARRAY, NULL, "{a\\", NULL, NULL },
		{ FIELDS_TEXT_ARRAY, NULL, "[{}]", NULL, NULL },
		{ FIELDS_TEXT_ARRAY, "true", NULL, "{\"true\"}", "[\"true\"]" },
		{ FIELDS_JSON, "{\"a\":[1,2]}", NULL, "{\"a\":[1,2]}",
		    "{\"a\":[1,2]}" },
		{ FIELDS_JSON, NULL, "{\"a\": 1}", "{\"a\":1}", "{\"a\":1}" },
		{ FIELDS_JSON, NULL, "42", "42", "42" },
		{ FIELDS_JSON, "\"s\"", NULL, "\"s\"", "\"s\"" },
		{ FIELDS_JSON, NULL, "{bad", NULL, NULL },
	};
	char sql[256], err[TMPL_MSG_MAX], what[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *in = cases[i].json ? json_loads(cases[i].json,
		    JSON_DECODE_ANY, NULL) : NULL, *out;
		char *got;
		int rc;

		snprintf(what, sizeof(what), "%s %s", fields_type_name(
		    cases[i].t), cases[i].json ? cases[i].json : cases[i].text);
		rc = tmpl_to_sql(cases[i].t, in, cases[i].text, sql,
		    sizeof(sql), err, sizeof(err));
		if (cases[i].sql == NULL && rc == 0)
			UNIT_FAIL("%s: converted to SQL '%s'", what, sql);
		if (cases[i].sql != NULL && (rc != 0 ||
		    strcmp(sql, cases[i].sql) != 0))
			UNIT_FAIL("%s: SQL '%s' (%s), want '%s'", what,
			    rc ? "" : sql, rc ? err : "", cases[i].sql);
		out = tmpl_to_json(cases[i].t, in, cases[i].text, err,
		    sizeof(err));
		got = dump(out);
		if (cases[i].payload == NULL && out != NULL)
			UNIT_FAIL("%s: converted to %s", what, got);
		if (cases[i].payload != NULL && (got == NULL ||
		    strcmp(got, cases[i].payload) != 0))
			UNIT_FAIL("%s: payload %s (%s), want %s", what,
			    got ? got : "-", out ? "" : err, cases[i].payload);
		free(got);
		json_decref(out);
		json_decref(in);
	}
	CHECK_INT(tmpl_to_sql(FIELDS_TEXT, NULL, NULL, sql, sizeof(sql), err,
	    sizeof(err)), -1);
	CHECK_STR(err, "missing");
	CHECK_INT(tmpl_to_sql(FIELDS_TEXT, NULL, "0123456789", sql, 10, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "too long");
	CHECK_INT(tmpl_to_sql(FIELDS_NTYPES, NULL, "x", sql, sizeof(sql), err,
	    sizeof(err)), -1);
	{
		json_t *n = json_null(), *r = tmpl_to_json(FIELDS_NUMBER, n,
		    NULL, err, sizeof(err));

		CHECK(json_is_null(r));
		json_decref(r);
		CHECK(tmpl_to_json((enum fields_type)-1, NULL, "x", err,
		    sizeof(err)) == NULL);
	}
}

TEST(free_null)
{
	tmpl_free(NULL);
	tmpl_out_free(NULL);
}

int
main(void)
{
	RUN(rules_to_sql);
	RUN(rules_to_payload);
	RUN(skip_vs_empty_payload);
	RUN(skip_vs_empty_sql);
	RUN(inheritance);
	RUN(no_base_means_unmapped);
	RUN(shadow_default);
	RUN(check_line_errors);
	RUN(check_required_unmapped);
	RUN(check_twice);
	RUN(check_bases);
	RUN(check_long_chain);
	RUN(check_no_duplicates);
	RUN(check_sets);
	RUN(check_pii_template);
	RUN(check_jobs);
	RUN(source_check);
	RUN(compile_job_master_sku);
	RUN(compile_job_upc_attribute);
	RUN(compile_job_other_process);
	RUN(apply_get_orders);
	RUN(apply_variants);
	RUN(apply_sync_variant_rows);
	RUN(apply_full_sync_listing);
	RUN(apply_extra);
	RUN(apply_buffer_growth);
	RUN(apply_errors);
	RUN(sets_exact_match);
	RUN(sets_replace_builtin);
	RUN(convert_direct);
	RUN(free_null);
	return unit_done("test_tmpl");
}
