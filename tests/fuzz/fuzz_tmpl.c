/* fuzz_tmpl.c - libFuzzer target: template sections as an admin would type
 * them, through validation, compilation and one apply per group.
 *
 * The input is ini-like text; this file reads it into the plain-data
 * struct conf that conf_load would build (conf.c is not needed):
 *     [template NAME]      process = P, base = B, other lines are rules
 *     [mapping_set NAME]   key = value
 *     [job PROCESS]        template = NAME, other settings
 * Then tmpl_check_conf, tmpl_compile of every template and
 * tmpl_compile_job of every job, and tmpl_apply of each compiled template
 * to a fixed record of its process. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl.h"

#define MAX_SECT 64
#define MAX_LINES 256

static const char product_json[] =
    "{\"sku\":\"A-1\",\"name\":\"Shirt\",\"price\":29.99,"
    "\"custom_attributes\":[{\"attribute_code\":\"description\","
    "\"value\":\"<p>x</p>\"},{\"attribute_code\":\"upc\",\"value\":\"012\"}],"
    "\"extension_attributes\":{\"stock_item\":{\"qty\":5,\"is_in_stock\":true}},"
    "\"media_gallery_entries\":[{\"file\":\"/a/b.jpg\"},{\"file\":\"/c.png\"}]}";

static const char order_json[] =
    "{\"increment_id\":\"000000001\",\"status\":\"pending\",\"grand_total\":"
    "\"10.5000\",\"created_at\":\"2024-03-01 10:00:00\",\"billing_address\":"
    "{\"street\":[\"1 Main St\"],\"city\":\"X\",\"firstname\":\"A\"},"
    "\"items\":[{\"sku\":\"A-1\",\"qty_ordered\":2,\"item_id\":7}]}";

static const char *const row[FIELDS_MAX] = {
	"A-1", "Shirt", "desc", "short", "29.99", "19.5", "5", "t",
	"{http://x/a.jpg,\"http://x/b c.jpg\"}", "{Men,Shirts}", "Men",
	"Shirts", NULL, "active", "4", "10", "A-1-S", "012", "2", "30",
};

static char *
dup_range(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static const char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

struct sect {
	int kind;		/* 't', 's', 'j' */
	size_t idx;
};

static void
add_kv(struct conf_kv **kv, size_t *n, const char *k, const char *v,
    int line)
{
	if (*n == MAX_LINES)
		return;
	if (*n == 0 && (*kv = calloc(MAX_LINES, sizeof(**kv))) == NULL)
		abort();
	(*kv)[*n].key = dup_range(k, strlen(k));
	(*kv)[*n].value = dup_range(v, strlen(v));
	(*kv)[*n].file = "fuzz.ini";
	(*kv)[*n].line = line;
	(*n)++;
}

static void
on_header(struct conf *c, char *h, int line, struct sect *cur)
{
	char *sp = strchr(h, ' ');
	const char *name;

	cur->kind = 0;
	if (sp == NULL)
		return;
	*sp = '\0';
	name = trim(sp + 1);
	if (strcmp(h, "template") == 0 && c->ntemplates < MAX_SECT) {
		struct conf_template *t = &c->templates[c->ntemplates];

		t->name = dup_range(name, strlen(name));
		t->process = PROC_SYNC_LISTINGS;
		t->file = "fuzz.ini";
		t->line = line;
		cur->kind = 't';
		cur->idx = c->ntemplates++;
	} else if (strcmp(h, "mapping_set") == 0 && c->nsets < MAX_SECT) {
		struct conf_mapping_set *s = &c->sets[c->nsets];

		s->name = dup_range(name, strlen(name));
		s->file = "fuzz.ini";
		s->line = line;
		cur->kind = 's';
		cur->idx = c->nsets++;
	} else if (strcmp(h, "job") == 0 && c->njobs < MAX_SECT) {
		struct conf_job *j = &c->jobs[c->njobs];

		j->process = proc_from_name(name);
		j->file = "fuzz.ini";
		j->line = line;
		cur->kind = 'j';
		cur->idx = c->njobs++;
	}
}

static void
on_line(struct conf *c, char *s, int line, struct sect *cur)
{
	char *eq = strchr(s, '=');
	const char *k, *v;

	if (eq == NULL || cur->kind == 0)
		return;
	*eq = '\0';
	k = trim(s);
	v = trim(eq + 1);
	if (cur->kind == 't') {
		struct conf_template *t = &c->templates[cur->idx];

		if (strcmp(k, "process") == 0)
			t->process = proc_from_name(v);
		else if (strcmp(k, "base") == 0 && t->base == NULL)
			t->base = dup_range(v, strlen(v));
		else
			add_kv(&t->lines, &t->nlines, k, v, line);
	} else if (cur->kind == 's') {
		struct conf_mapping_set *ms = &c->sets[cur->idx];

		add_kv(&ms->entries, &ms->nentries, k, v, line);
	} else {
		struct conf_job *j = &c->jobs[cur->idx];

		if (strcmp(k, "template") == 0 && j->template_name == NULL)
			j->template_name = dup_range(v, strlen(v));
		add_kv(&j->settings, &j->nsettings, k, v, line);
	}
}

static void
parse(struct conf *c, const uint8_t *data, size_t size)
{
	struct sect cur = { 0, 0 };
	size_t i = 0, e;
	int line = 0;
	char *s;

	while (i < size) {
		for (e = i; e < size && data[e] != '\n'; e++)
			;
		line++;
		s = dup_range((const char *)data + i, e - i);
		if (strlen(s) == e - i) {
			char *t = (char *)trim(s);
			size_t n = strlen(t);

			if (n >= 2 && t[0] == '[' && t[n - 1] == ']') {
				t[n - 1] = '\0';
				on_header(c, t + 1, line, &cur);
			} else if (t[0] != ';' && t[0] != '#') {
				on_line(c, t, line, &cur);
			}
		}
		free(s);
		i = e + 1;
	}
}

static void
free_kv(struct conf_kv *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void
apply_all(const struct tmpl *t, const json_t *product, const json_t *order)
{
	const json_t *item = json_array_get(json_object_get(order, "items"), 0);
	struct tmpl_out *o = tmpl_out_new();
	struct tmpl_src src;
	char buf[256];
	size_t i;
	int g;

	if (o == NULL)
		abort();
	memset(&src, 0, sizeof(src));
	if (tmpl_proc(t) == PROC_GET_ORDERS) {
		src.root = order;
		src.sub = item;
	} else {
		src.root = product;
		src.sub = product;
	}
	src.text = row;
	for (g = 0; g < FIELDS_NGROUPS; g++) {
		tmpl_apply(t, (enum fields_group)g, &src, o);
		for (i = 0; i < tmpl_out_nerr(o) && tmpl_out_err(o, i); i++)
			tmpl_err_format(tmpl_out_err(o, i), buf, sizeof(buf));
		for (i = 0; i < FIELDS_MAX; i++) {
			const char *v = tmpl_out_value(o, (int)i);

			if (v != NULL && strlen(v) > 1u << 20)
				abort();
		}
	}
	tmpl_out_free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *product, *order;
	struct conf c;
	struct diag_list dl = { NULL, 0, 0 };
	struct tmpl *t;
	size_t i;

	if (size > 16384)
		return 0;
	if (product == NULL) {
		product = json_loads(product_json, 0, NULL);
		order = json_loads(order_json, 0, NULL);
		if (product == NULL || order == NULL)
			abort();
	}
	memset(&c, 0, sizeof(c));
	c.templates = calloc(MAX_SECT, sizeof(*c.templates));
	c.sets = calloc(MAX_SECT, sizeof(*c.sets));
	c.jobs = calloc(MAX_SECT, sizeof(*c.jobs));
	if (c.templates == NULL || c.sets == NULL || c.jobs == NULL)
		abort();
	parse(&c, data, size);

	tmpl_check_conf(&c, &dl);
	for (i = 0; i < c.ntemplates; i++) {
		if ((t = tmpl_compile(&c, c.templates[i].name, &dl)) != NULL) {
			apply_all(t, product, order);
			tmpl_free(t);
		}
	}
	for (i = 0; i < c.njobs; i++) {
		if (c.jobs[i].process == PROC_NONE)
			continue;
		if ((t = tmpl_compile_job(&c, &c.jobs[i], &dl)) != NULL) {
			apply_all(t, product, order);
			tmpl_free(t);
		}
	}
	{
		char buf[DIAG_MSG_MAX + 64];

		for (i = 0; i < dl.n; i++)
			diag_format(&dl, i, buf, sizeof(buf));
	}
	diag_clear(&dl);

	for (i = 0; i < c.ntemplates; i++) {
		free(c.templates[i].name);
		free(c.templates[i].base);
		free_kv(c.templates[i].lines, c.templates[i].nlines);
	}
	for (i = 0; i < c.nsets; i++) {
		free(c.sets[i].name);
		free_kv(c.sets[i].entries, c.sets[i].nentries);
	}
	for (i = 0; i < c.njobs; i++) {
		free(c.jobs[i].template_name);
		free_kv(c.jobs[i].settings, c.jobs[i].nsettings);
	}
	free(c.templates);
	free(c.sets);
	free(c.jobs);
	return 0;
}
