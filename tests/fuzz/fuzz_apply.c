/* fuzz_apply.c - libFuzzer target: templates applied to whatever Magento or
 * a database might hand over.
 *
 * Input: a first line holding a JSON path, then a JSON document. The path
 * becomes the json: source of a template mapping every destination type
 * of import_listings and get_orders; the document is the product, the
 * order, the child and the order item. The shipped defaults of every
 * process are applied too: the document's array elements become the
 * source row of the processes reading PostgreSQL and the computed values
 * of import_listings. Each type conversion is run on the document and on
 * its text, and the path is set into a copy of the document. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jpath.h"
#include "tmpl.h"

static struct conf_kv *
kvs(const char *const (*pairs)[2], size_t n, const char *path)
{
	struct conf_kv *kv = calloc(n, sizeof(*kv));
	size_t i;

	if (kv == NULL)
		abort();
	for (i = 0; i < n; i++) {
		size_t len = strlen(pairs[i][1]) + strlen(path) + 1;

		kv[i].key = strdup(pairs[i][0]);
		kv[i].value = malloc(len);
		if (kv[i].key == NULL || kv[i].value == NULL)
			abort();
		/* "%s" in a rule stands for the fuzzed path. */
		if (strstr(pairs[i][1], "%s") != NULL)
			snprintf(kv[i].value, len, pairs[i][1], path);
		else
			snprintf(kv[i].value, len, "%s", pairs[i][1]);
		kv[i].file = "fuzz.ini";
		kv[i].line = (int)i + 2;
	}
	return kv;
}

static const char *const il_rules[][2] = {
	{ "description", "field:json:%s" },
	{ "price", "field:json:%s" },
	{ "quantity", "set:m:json:%s" },
	{ "images", "field:json:%s" },
	{ "category_one", "set:m:json:%s" },
	{ "variant.upc", "field:json:%s" },
	{ "variant.price", "field:json:%s" },
};

static const char *const go_rules[][2] = {
	{ "date_created", "field:json:%s" },
	{ "customer_note", "field:json:%s" },
	{ "item.item_id", "field:json:%s" },
	{ "item.price", "field:json:%s" },
	{ "billing.city", "set:m:json:%s" },
};

static const char *const set_entries[][2] = {
	{ "1", "2" }, { "a", "b" }, { "true", "1" }, { "*", "3" },
};

static void
apply_groups(const struct tmpl *t, const struct tmpl_src *src,
    struct tmpl_out *o)
{
	char buf[256];
	json_t *p;
	size_t i;
	int g;

	for (g = 0; g < FIELDS_NGROUPS; g++) {
		if (tmpl_apply(t, (enum fields_group)g, src, o) == TMPL_ENOMEM)
			abort();
		for (i = 0; tmpl_out_err(o, i) != NULL; i++)
			tmpl_err_format(tmpl_out_err(o, i), buf, sizeof(buf));
		for (i = 0; i < FIELDS_MAX; i++)
			if (tmpl_out_value(o, (int)i) != NULL)
				(void)strlen(tmpl_out_value(o, (int)i));
		if ((p = tmpl_out_payload(o)) != NULL)
			free(json_dumps(p, JSON_COMPACT));
	}
}

static struct tmpl *
fuzz_template(enum proc p, const char *const (*rules)[2], size_t n,
    const char *path)
{
	struct conf_template t;
	struct conf_mapping_set s;
	struct conf c;
	struct diag_list dl = { NULL, 0, 0 };
	struct tmpl *r;
	char name[64];
	size_t i;

	memset(&c, 0, sizeof(c));
	memset(&t, 0, sizeof(t));
	memset(&s, 0, sizeof(s));
	snprintf(name, sizeof(name), "%s.default", proc_name(p));
	t.name = "f";
	t.process = p;
	t.base = name;
	t.file = "fuzz.ini";
	t.line = 1;
	t.lines = kvs(rules, n, path);
	t.nlines = n;
	s.name = "m";
	s.entries = kvs(set_entries, 4, "");
	s.nentries = 4;
	c.templates = &t;
	c.ntemplates = 1;
	c.sets = &s;
	c.nsets = 1;
	tmpl_check_conf(&c, &dl);
	r = tmpl_compile(&c, "f", &dl);
	diag_clear(&dl);
	for (i = 0; i < n; i++) {
		free(t.lines[i].key);
		free(t.lines[i].value);
	}
	for (i = 0; i < 4; i++) {
		free(s.entries[i].key);
		free(s.entries[i].value);
	}
	free(t.lines);
	free(s.entries);
	return r;
}

static void
conversions(const json_t *doc, const char *text)
{
	char buf[512], err[TMPL_MSG_MAX];
	json_t *r;
	int t;

	for (t = 0; t < FIELDS_NTYPES; t++) {
		json_decref(tmpl_to_json((enum fields_type)t, doc, NULL, err,
		    sizeof(err)));
		json_decref(tmpl_to_json((enum fields_type)t, NULL, text, err,
		    sizeof(err)));
		tmpl_to_sql((enum fields_type)t, doc, NULL, buf, sizeof(buf),
		    err, sizeof(err));
		tmpl_to_sql((enum fields_type)t, NULL, text, buf, sizeof(buf),
		    err, sizeof(err));
		/* A value's SQL text must convert again to the same text. */
		if (tmpl_to_sql((enum fields_type)t, NULL, text, buf,
		    sizeof(buf), err, sizeof(err)) == 0) {
			char again[512];

			if (tmpl_to_sql((enum fields_type)t, NULL, buf, again,
			    sizeof(again), err, sizeof(err)) != 0 ||
			    strcmp(buf, again) != 0)
				abort();
		}
		r = tmpl_to_json((enum fields_type)t, NULL, text, err,
		    sizeof(err));
		json_decref(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum proc procs[] = { PROC_IMPORT_LISTINGS,
	    PROC_SYNC_LISTINGS, PROC_PUBLISH_LISTINGS, PROC_GET_ORDERS,
	    PROC_SYNC_ORDERS };
	const char *text[FIELDS_MAX];
	json_t *extra[FIELDS_MAX];
	struct tmpl_src src;
	struct tmpl_out *o;
	struct diag_list dl = { NULL, 0, 0 };
	struct tmpl *t;
	struct jpath *jp;
	json_t *doc, *copy;
	char *in, *nl, name[64], err[256];
	size_t i;

	if (size > 65536)
		return 0;
	if ((in = malloc(size + 1)) == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	if (strlen(in) != size || (nl = strchr(in, '\n')) == NULL) {
		free(in);
		return 0;
	}
	*nl = '\0';
	doc = json_loads(nl + 1, JSON_DECODE_ANY, NULL);
	if ((o = tmpl_out_new()) == NULL)
		abort();
	memset(text, 0, sizeof(text));
	memset(extra, 0, sizeof(extra));
	for (i = 0; i < FIELDS_MAX && i < json_array_size(doc); i++) {
		extra[i] = json_array_get(doc, i);
		text[i] = json_string_value(extra[i]);
	}
	memset(&src, 0, sizeof(src));
	src.root = doc;
	src.sub = doc;
	src.text = text;

	for (i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		snprintf(name, sizeof(name), "%s.default", proc_name(procs[i]));
		if ((t = tmpl_compile(NULL, name, &dl)) == NULL)
			abort();	/* the shipped defaults always compile */
		src.extra = NULL;
		apply_groups(t, &src, o);
		src.extra = extra;
		apply_groups(t, &src, o);
		tmpl_free(t);
	}
	src.extra = NULL;
	if ((t = fuzz_template(PROC_IMPORT_LISTINGS, il_rules,
	    sizeof(il_rules) / sizeof(il_rules[0]), in)) != NULL) {
		apply_groups(t, &src, o);
		tmpl_free(t);
	}
	if ((t = fuzz_template(PROC_GET_ORDERS, go_rules,
	    sizeof(go_rules) / sizeof(go_rules[0]), in)) != NULL) {
		apply_groups(t, &src, o);
		tmpl_free(t);
	}
	if (doc != NULL)
		conversions(doc, nl + 1);

	if ((jp = jpath_new(in, err, sizeof(err))) != NULL) {
		json_decref(jpath_get(jp, doc));
		if ((copy = json_deep_copy(json_is_object(doc) ? doc : NULL))
		    != NULL) {
			jpath_set(jp, copy, json_string("x"));
			json_decref(jpath_get(jp, copy));
			json_decref(copy);
		}
		jpath_free(jp);
	}
	diag_clear(&dl);
	tmpl_out_free(o);
	json_decref(doc);
	free(in);
	return 0;
}
