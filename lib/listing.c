/* listing.c - import_listings' rules (see listing.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "listing.h"
#include "tmpl.h"

/* Deeper category trees are refused: Magento's own are a handful of
 * levels, and a walk must not recurse or loop without bound. */
#define CATS_DEPTH_MAX	256

static void
emsg(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
emsg(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* A JSON integer, or a string of decimal digits (Magento sends ids both
 * ways). 0, or -1. */
static int
json_id(const json_t *j, int64_t *out)
{
	const char *s;
	char *end;
	long long v;

	if (json_is_integer(j)) {
		*out = json_integer_value(j);
		return 0;
	}
	if (!json_is_string(j))
		return -1;
	s = json_string_value(j);
	if (*s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* ---- categories ---------------------------------------------------------- */

struct cat {
	int64_t id;
	size_t parent;		/* index, or SIZE_MAX for a top node */
	int64_t level;
	char *name;
};

/* A node's id and position, sorted for lookups: the comparison needs
 * nothing but the two keys (qsort passes no context). */
struct cat_key {
	int64_t id;
	size_t pos;
};

struct listing_cats {
	struct cat *v;
	size_t n, cap;
	struct cat_key *by_id;	/* sorted by id, then position */
};

struct frame {
	const json_t *node;
	size_t parent;
	int64_t depth;
};

static int
cats_push(struct listing_cats *c, int64_t id, size_t parent, int64_t level,
    const char *name)
{
	struct cat *v;
	size_t cap;

	if (c->n == c->cap) {
		cap = c->cap ? c->cap * 2 : 64;
		if ((v = realloc(c->v, cap * sizeof(*v))) == NULL)
			return -1;
		c->v = v;
		c->cap = cap;
	}
	if ((c->v[c->n].name = strdup(name)) == NULL)
		return -1;
	c->v[c->n].id = id;
	c->v[c->n].parent = parent;
	c->v[c->n].level = level;
	c->n++;
	return 0;
}

static int
cmp_cat(const void *a, const void *b)
{
	const struct cat_key *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Depth-first with an explicit stack: a hostile tree cannot exhaust the
 * C stack. */
static int
cats_walk(struct listing_cats *c, const json_t *tree, char *err,
    size_t errlen)
{
	struct frame *st = NULL, *nst;
	size_t sn = 0, scap = 0, i, me;
	const json_t *kids, *node, *name;
	struct frame f;
	int64_t id, level;

	if ((st = malloc(16 * sizeof(*st))) == NULL)
		goto oom;
	scap = 16;
	st[sn++] = (struct frame){ tree, SIZE_MAX, 0 };
	while (sn > 0) {
		f = st[--sn];
		node = f.node;
		if (!json_is_object(node) ||
		    json_id(json_object_get(node, "id"), &id) < 0)
			continue;
		if (f.depth >= CATS_DEPTH_MAX) {
			emsg(err, errlen, "the category tree is deeper than "
			    "%d levels", CATS_DEPTH_MAX);
			free(st);
			return -1;
		}
		if (json_id(json_object_get(node, "level"), &level) < 0)
			level = f.depth + 1;
		name = json_object_get(node, "name");
		if (cats_push(c, id, f.parent, level,
		    json_is_string(name) ? json_string_value(name) : "") < 0)
			goto oom;
		me = c->n - 1;
		kids = json_object_get(node, "children_data");
		if (!json_is_array(kids))
			continue;
		/* Pushed in reverse so the walk keeps the tree's order. */
		for (i = json_array_size(kids); i-- > 0;) {
			if (sn == scap) {
				nst = realloc(st, 2 * scap * sizeof(*st));
				if (nst == NULL)
					goto oom;
				st = nst;
				scap *= 2;
			}
			st[sn++] = (struct frame){ json_array_get(kids, i), me,
			    f.depth + 1 };
		}
	}
	free(st);
	return 0;
oom:
	free(st);
	emsg(err, errlen, "out of memory");
	return -1;
}

struct listing_cats *
listing_cats_new(const json_t *tree, char *err, size_t errlen)
{
	struct listing_cats *c;
	size_t i;

	if (!json_is_object(tree)) {
		emsg(err, errlen, "the category tree is not a JSON object");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		emsg(err, errlen, "out of memory");
		return NULL;
	}
	if (cats_walk(c, tree, err, errlen) < 0)
		goto fail;
	if (c->n > 0) {
		if ((c->by_id = malloc(c->n * sizeof(*c->by_id))) == NULL) {
			emsg(err, errlen, "out of memory");
			goto fail;
		}
		for (i = 0; i < c->n; i++) {
			c->by_id[i].id = c->v[i].id;
			c->by_id[i].pos = i;
		}
		qsort(c->by_id, c->n, sizeof(*c->by_id), cmp_cat);
	}
	return c;
fail:
	listing_cats_free(c);
	return NULL;
}

void
listing_cats_free(struct listing_cats *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->v[i].name);
	free(c->v);
	free(c->by_id);
	free(c);
}

size_t
listing_cats_count(const struct listing_cats *c)
{
	return c != NULL ? c->n : 0;
}

/* The first node with id, or SIZE_MAX. */
static size_t
cats_find(const struct listing_cats *c, int64_t id)
{
	size_t lo = 0, hi = c->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->by_id[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->n && c->by_id[lo].id == id)
		return c->by_id[lo].pos;
	return SIZE_MAX;
}

int
listing_cats_path(const struct listing_cats *c, int64_t id,
    const char *names[3])
{
	size_t i, steps;
	int n = 0;

	names[0] = names[1] = names[2] = NULL;
	if (c == NULL || (i = cats_find(c, id)) == SIZE_MAX)
		return -1;
	/* Parents always come before their children in v, so the walk
	 * ends; the step cap is a second guard. */
	for (steps = 0; i != SIZE_MAX && steps <= CATS_DEPTH_MAX; steps++) {
		if (c->v[i].level >= 2 && c->v[i].level <= 4 &&
		    names[c->v[i].level - 2] == NULL) {
			names[c->v[i].level - 2] = c->v[i].name;
			n++;
		}
		i = c->v[i].parent;
	}
	return n;
}

/* ---- images ------------------------------------------------------------------ */

static const char *
url_field(const json_t *cfg, const char *key)
{
	const char *s = json_string_value(json_object_get(cfg, key));

	return s != NULL && *s != '\0' ? s : NULL;
}

char *
listing_media_base(const json_t *configs, const char *store_code, int https,
    char *err, size_t errlen)
{
	const json_t *cfg, *found = NULL;
	const char *url, *sec, *code;
	size_t i;
	char *out;

	if (!json_is_array(configs)) {
		emsg(err, errlen, "store configs are not a JSON array");
		return NULL;
	}
	json_array_foreach(configs, i, cfg) {
		code = json_string_value(json_object_get(cfg, "code"));
		if (code != NULL && strcmp(code, store_code) == 0) {
			found = cfg;
			break;
		}
	}
	if (found == NULL) {
		emsg(err, errlen, "the store configs have no store '%s'",
		    store_code);
		return NULL;
	}
	url = url_field(found, "base_media_url");
	sec = url_field(found, "secure_base_media_url");
	if (https && sec != NULL && strncmp(sec, "https://", 8) == 0)
		url = sec;
	if (url == NULL) {
		emsg(err, errlen, "store '%s' has no base_media_url",
		    store_code);
		return NULL;
	}
	if ((out = listing_image_url(url, "catalog/product")) == NULL)
		emsg(err, errlen, "out of memory");
	return out;
}

char *
listing_image_url(const char *base, const char *file)
{
	size_t bl = strlen(base), fl = strlen(file);
	int bs = bl > 0 && base[bl - 1] == '/', fs = file[0] == '/';
	char *out;

	if (bs && fs)
		file++, fl--;
	if ((out = malloc(bl + fl + 2)) == NULL)
		return NULL;
	memcpy(out, base, bl);
	if (!bs && !fs)
		out[bl++] = '/';
	memcpy(out + bl, file, fl + 1);
	return out;
}

/* ---- numbers as text ---------------------------------------------------------- */

/* A JSON number, or a string that is a plain decimal number, as
 * PostgreSQL numeric text into buf. 0, or -1. */
static int
num_text(const json_t *j, char *buf, size_t len)
{
	const char *s;
	double d;
	int prec;
	size_t i;

	if (json_is_integer(j)) {
		snprintf(buf, len, "%" PRId64, (int64_t)json_integer_value(j));
		return 0;
	}
	if (json_is_real(j)) {
		d = json_real_value(j);
		if (!isfinite(d))
			return -1;
		/* The shortest text that reads back as the same double. */
		for (prec = 1; prec <= 17; prec++) {
			snprintf(buf, len, "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
		return 0;
	}
	if (!json_is_string(j))
		return -1;
	s = json_string_value(j);
	if (*s == '\0' || strlen(s) >= len || strlen(s) > 64)
		return -1;
	for (i = 0; s[i] != '\0'; i++)
		if (strchr("0123456789.-+eE", s[i]) == NULL)
			return -1;
	d = strtod(s, (char **)&s);
	if (*s != '\0' || !isfinite(d))
		return -1;
	snprintf(buf, len, "%s", json_string_value(j));
	return 0;
}

/* ---- array literals --------------------------------------------------------------- */

struct sb {
	char *s;
	size_t len, cap;
	int oom;
};

static void
sb_addn(struct sb *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 128;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_elem(struct sb *b, const char *v)
{
	const char *p, *run;

	if (b->len > 1)
		sb_addn(b, ",", 1);
	if (v == NULL) {
		sb_addn(b, "NULL", 4);
		return;
	}
	/* Always quoted: then no element text (NULL, spaces, braces,
	 * commas) can be read as anything but itself. */
	sb_addn(b, "\"", 1);
	for (run = p = v; *p != '\0'; p++) {
		if (*p != '"' && *p != '\\')
			continue;
		sb_addn(b, run, (size_t)(p - run));
		sb_addn(b, "\\", 1);
		run = p;
	}
	sb_addn(b, run, (size_t)(p - run));
	sb_addn(b, "\"", 1);
}

static char *
sb_finish(struct sb *b)
{
	sb_addn(b, "}", 1);
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

int
listing_pg_array_to(char **buf, size_t *cap, const char *const *v,
    size_t n)
{
	size_t need = 3 + (n > 0 ? n - 1 : 0), i, k;
	const char *s;
	char *p, *o;

	/* The exact size first: one allocation at most, usually none. */
	for (i = 0; i < n; i++) {
		if (v[i] == NULL) {
			need += 4;
			continue;
		}
		need += 2;
		for (s = v[i]; *s != '\0'; s++)
			need += *s == '"' || *s == '\\' ? 2 : 1;
	}
	if (need > *cap) {
		if ((p = realloc(*buf, need)) == NULL)
			return LISTING_ENOMEM;
		*buf = p;
		*cap = need;
	}
	o = *buf;
	*o++ = '{';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*o++ = ',';
		if (v[i] == NULL) {
			memcpy(o, "NULL", 4);
			o += 4;
			continue;
		}
		*o++ = '"';
		for (s = v[i]; *s != '\0'; s += k) {
			k = strcspn(s, "\"\\");
			memcpy(o, s, k);
			o += k;
			if (s[k] == '\0')
				break;
			*o++ = '\\';
			*o++ = s[k];
			k++;
		}
		*o++ = '"';
	}
	*o++ = '}';
	*o = '\0';
	return 0;
}

char *
listing_pg_array(const char *const *v, size_t n)
{
	struct sb b = { NULL, 0, 0, 0 };
	size_t i;

	sb_addn(&b, "{", 1);
	for (i = 0; i < n; i++)
		sb_elem(&b, v[i]);
	return sb_finish(&b);
}

/* ---- stock --------------------------------------------------------------------------- */

/* 1 if code is one of the comma list's items (NULL or "": all). */
static int
source_listed(const char *sources, const char *code)
{
	size_t n = strlen(code);
	const char *p = sources, *e;

	if (sources == NULL || *sources == '\0')
		return 1;
	while (*p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && memcmp(p, code, n) == 0)
			return 1;
		p = *e == ',' ? e + 1 : e;
	}
	return 0;
}

int
listing_stock_key(const json_t *product, enum listing_inv inv, char *buf,
    size_t len)
{
	const json_t *idj;
	const char *s;
	int64_t id;

	if (inv == LISTING_LEGACY) {
		/* Stock items name the product in product_id, products
		 * themselves in id. */
		idj = json_object_get(product, "product_id");
		if (idj == NULL)
			idj = json_object_get(product, "id");
		if (json_id(idj, &id) < 0)
			return -1;
		snprintf(buf, len, "%" PRId64, id);
		return 0;
	}
	s = json_string_value(json_object_get(product, "sku"));
	if (s == NULL || *s == '\0' || strlen(s) >= len)
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static const char *
flag_text(const json_t *j, int msi)
{
	if (msi) {
		if (!json_is_integer(j))
			return NULL;
		return json_integer_value(j) == 1 ? "t" : "f";
	}
	if (json_is_boolean(j))
		return json_is_true(j) ? "t" : "f";
	if (json_is_integer(j))
		return json_integer_value(j) != 0 ? "t" : "f";
	return NULL;
}

int
listing_stock_arrays(const json_t *items, enum listing_inv inv,
    const char *sources, char **keys, char **qtys, char **flags, size_t *n,
    size_t *skipped)
{
	struct sb k = { NULL, 0, 0, 0 }, q = { NULL, 0, 0, 0 },
	    f = { NULL, 0, 0, 0 };
	int msi = inv == LISTING_MSI;
	char key[LISTING_SKU_MAX + 1], num[80];
	const char *code;
	const json_t *it;
	size_t i;

	*n = *skipped = 0;
	sb_addn(&k, "{", 1);
	sb_addn(&q, "{", 1);
	sb_addn(&f, "{", 1);
	json_array_foreach(items, i, it) {
		if (msi) {
			code = json_string_value(json_object_get(it,
			    "source_code"));
			if (code == NULL || !source_listed(sources, code))
				continue;
		}
		if (listing_stock_key(it, inv, key, sizeof(key)) < 0 ||
		    num_text(json_object_get(it, msi ? "quantity" : "qty"),
		    num, sizeof(num)) < 0) {
			(*skipped)++;
			continue;
		}
		sb_elem(&k, key);
		sb_elem(&q, num);
		sb_elem(&f, flag_text(json_object_get(it, msi ? "status" :
		    "is_in_stock"), msi));
		(*n)++;
	}
	*keys = sb_finish(&k);
	*qtys = sb_finish(&q);
	*flags = sb_finish(&f);
	if (*keys == NULL || *qtys == NULL || *flags == NULL) {
		free(*keys);
		free(*qtys);
		free(*flags);
		*keys = *qtys = *flags = NULL;
		return LISTING_ENOMEM;
	}
	return 0;
}

/* ---- staging rows ----------------------------------------------------------------------- */

/* Template destination -> staging column. */
static const int dest_cols[FIELDS_IL_NDESTS] = {
	[FIELDS_IL_SKU] = LISTING_COL_SKU,
	[FIELDS_IL_MASTER_SKU] = LISTING_COL_MASTER_SKU,
	[FIELDS_IL_NAME] = LISTING_COL_NAME,
	[FIELDS_IL_DESCRIPTION] = LISTING_COL_DESCRIPTION,
	[FIELDS_IL_PRICE] = LISTING_COL_PRICE,
	[FIELDS_IL_QUANTITY] = LISTING_COL_QUANTITY,
	[FIELDS_IL_IMAGES] = LISTING_COL_IMAGES,
	[FIELDS_IL_CATEGORY_ONE] = LISTING_COL_CATEGORY_ONE,
	[FIELDS_IL_CATEGORY_TWO] = LISTING_COL_CATEGORY_TWO,
	[FIELDS_IL_CATEGORY_THREE] = LISTING_COL_CATEGORY_THREE,
	[FIELDS_IL_VARIANT_SKU] = LISTING_COL_VSKU,
	[FIELDS_IL_VARIANT_UPC] = LISTING_COL_UPC,
	[FIELDS_IL_VARIANT_QUANTITY] = LISTING_COL_VQUANTITY,
	[FIELDS_IL_VARIANT_PRICE] = LISTING_COL_VPRICE,
};

int
listing_dest_col(int dest)
{
	if (dest < 0 || dest >= FIELDS_IL_NDESTS)
		return -1;
	return dest_cols[dest];
}

/* Values live in one buffer that grows once and is reused record after
 * record: a page builds thousands of them, and one allocation each made
 * malloc a good part of the run's CPU time. */
#define NOVAL	SIZE_MAX

struct listing_row {
	char *buf;
	size_t len, cap;
	size_t off[LISTING_NCOLS];	/* into buf; NOVAL: SQL NULL */
	char entity[LISTING_SKU_MAX + 16];
	char err[LISTING_ERR_MAX];	/* listing side, or EBAD */
	char verr[LISTING_ERR_MAX];	/* variant side */
	int parent;
	struct tmpl_out *out;
};

struct listing_row *
listing_row_new(void)
{
	struct listing_row *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	if ((r->out = tmpl_out_new()) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

static void
row_clear(struct listing_row *r)
{
	size_t i;

	for (i = 0; i < LISTING_NCOLS; i++)
		r->off[i] = NOVAL;
	r->len = 0;
	r->entity[0] = r->err[0] = r->verr[0] = '\0';
	r->parent = 0;
}

void
listing_row_free(struct listing_row *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	tmpl_out_free(r->out);
	free(r);
}

/* Column c's value; valid until the next set. */
static const char *
val(const struct listing_row *r, enum listing_col c)
{
	return r->off[c] == NOVAL ? NULL : r->buf + r->off[c];
}

/* Set column c to a copy of s (NULL: SQL NULL); s may be another
 * column's value. 0, or -1 (OOM). */
static int
set(struct listing_row *r, enum listing_col c, const char *s)
{
	size_t n, cap, from = NOVAL;
	char *p;

	r->off[c] = NOVAL;
	if (s == NULL)
		return 0;
	n = strlen(s) + 1;
	if (r->buf != NULL && s >= r->buf && s < r->buf + r->len)
		from = (size_t)(s - r->buf);
	if (r->len + n > r->cap) {
		cap = r->cap ? r->cap : 1024;
		while (cap < r->len + n)
			cap *= 2;
		if ((p = realloc(r->buf, cap)) == NULL)
			return -1;
		r->buf = p;
		r->cap = cap;
		if (from != NOVAL)
			s = r->buf + from;
	}
	memcpy(r->buf + r->len, s, n);
	r->off[c] = r->len;
	r->len += n;
	return 0;
}

const char *
listing_row_value(const struct listing_row *r, enum listing_col c)
{
	if ((int)c < 0 || c >= LISTING_NCOLS)
		return NULL;
	return val(r, c);
}

const char *
listing_row_entity(const struct listing_row *r)
{
	return r->entity;
}

const char *
listing_row_error(const struct listing_row *r)
{
	return r->err[0] != '\0' ? r->err : r->verr;
}

int
listing_row_is_parent(const struct listing_row *r)
{
	return r->parent;
}

/* The computed sources (FIELDS_COMPUTED) of a product. */
struct extras {
	json_t *v[FIELDS_ILS_NSRCS];
};

static void
extras_free(struct extras *x)
{
	size_t i;

	for (i = 0; i < FIELDS_ILS_NSRCS; i++)
		json_decref(x->v[i]);
}

/* The product's first category: its first category link, else the first
 * of custom_attributes.category_ids (an array or a comma list). */
static int
first_category(const json_t *p, int64_t *id)
{
	const json_t *links, *attrs, *a, *v;
	size_t i;

	links = json_object_get(json_object_get(p, "extension_attributes"),
	    "category_links");
	if (json_array_size(links) > 0 && json_id(json_object_get(
	    json_array_get(links, 0), "category_id"), id) == 0)
		return 0;
	attrs = json_object_get(p, "custom_attributes");
	json_array_foreach(attrs, i, a) {
		v = json_object_get(a, "attribute_code");
		if (!json_is_string(v) ||
		    strcmp(json_string_value(v), "category_ids") != 0)
			continue;
		v = json_object_get(a, "value");
		if (json_is_array(v))
			return json_id(json_array_get(v, 0), id);
		if (json_is_string(v)) {
			char *end;

			errno = 0;
			*id = strtoll(json_string_value(v), &end, 10);
			return errno == 0 && end != json_string_value(v) &&
			    (*end == '\0' || *end == ',') ? 0 : -1;
		}
		return -1;
	}
	return -1;
}

static json_t *
images(const json_t *p, const char *base)
{
	const json_t *entries, *e, *file, *type;
	json_t *out = json_array();
	size_t i;
	char *url;

	if (out == NULL)
		return NULL;
	entries = json_object_get(p, "media_gallery_entries");
	json_array_foreach(entries, i, e) {
		type = json_object_get(e, "media_type");
		file = json_object_get(e, "file");
		if (json_is_string(type) &&
		    strcmp(json_string_value(type), "image") != 0)
			continue;
		if (!json_is_string(file) || *json_string_value(file) == '\0')
			continue;
		if ((url = listing_image_url(base,
		    json_string_value(file))) == NULL ||
		    json_array_append_new(out, json_string(url)) < 0) {
			free(url);
			json_decref(out);
			return NULL;
		}
		free(url);
	}
	return out;
}

static int
extras_build(struct extras *x, const struct listing_opts *o, const json_t *p,
    const struct listing_stock *stock)
{
	const char *names[3] = { NULL, NULL, NULL };
	int64_t cat;
	int i;

	memset(x, 0, sizeof(*x));
	/* An explicit null, so the fallback path (a single product GET's
	 * stock_item, never in lists) is not read. */
	x->v[FIELDS_ILS_QUANTITY] = stock != NULL && stock->qty != NULL ?
	    json_string(stock->qty) : json_null();
	x->v[FIELDS_ILS_VARIANT_QUANTITY] = json_incref(
	    x->v[FIELDS_ILS_QUANTITY]);
	if (o->cats != NULL && first_category(p, &cat) == 0)
		(void)listing_cats_path(o->cats, cat, names);
	for (i = 0; i < 3; i++)
		x->v[FIELDS_ILS_CATEGORY_ONE + i] = names[i] != NULL ?
		    json_string(names[i]) : json_null();
	if (o->image_base != NULL &&
	    (x->v[FIELDS_ILS_IMAGES] = images(p, o->image_base)) == NULL)
		return -1;
	/* json_string fails only out of memory here: the texts come from
	 * parsed JSON or the database, both valid UTF-8. */
	for (i = 0; i < 3; i++)
		if (x->v[FIELDS_ILS_CATEGORY_ONE + i] == NULL)
			return -1;
	return x->v[FIELDS_ILS_QUANTITY] != NULL ? 0 : -1;
}

/* The first template error (and how many more) into buf. */
static void
tmpl_errors(const struct tmpl_out *out, char *buf, size_t len)
{
	char one[TMPL_MSG_MAX + TMPL_VALUE_MAX + 64];
	size_t n = tmpl_out_nerr(out);

	tmpl_err_format(tmpl_out_err(out, 0), one, sizeof(one));
	if (n > 1)
		snprintf(buf, len, "%s (and %zu more)", one, n - 1);
	else
		snprintf(buf, len, "%s", one);
}

static int
negative(const char *num)
{
	return num != NULL && strtod(num, NULL) < 0;
}

/* The database's rules on a SKU-like value, as a message. NULL: fine. */
static const char *
sku_problem(const char *s)
{
	if (s == NULL)
		return "is missing";
	if (*s == '\0')
		return "is empty";
	if (strlen(s) > LISTING_SKU_MAX)
		return "is too long";
	return NULL;
}

/* Copy the destinations [from, to] of the last apply into the row. */
static int
copy_dests(struct listing_row *r, int from, int to)
{
	int d;

	for (d = from; d <= to; d++)
		if (set(r, dest_cols[d], tmpl_out_value(r->out, d)) < 0)
			return -1;
	return 0;
}

/* The listing side. 0 converted, 1 failed (r->err), -1 OOM. */
static int
build_listing(struct listing_row *r, const struct listing_opts *o,
    const json_t *p, json_t *const *extra)
{
	struct tmpl_src src = { p, p, extra, NULL };
	const char *why, *ms;
	int rc;

	rc = tmpl_apply(o->tmpl, FIELDS_RECORD, &src, r->out);
	if (rc == TMPL_ENOMEM)
		return -1;
	if (rc != 0) {
		tmpl_errors(r->out, r->err, sizeof(r->err));
		return 1;
	}
	if (copy_dests(r, FIELDS_IL_SKU, FIELDS_IL_CATEGORY_THREE) < 0)
		return -1;
	if ((why = sku_problem(val(r, LISTING_COL_SKU))) != NULL) {
		snprintf(r->err, sizeof(r->err), "sku: %s", why);
		return 1;
	}
	ms = val(r, LISTING_COL_MASTER_SKU);
	if ((tmpl_out_written(r->out) >> FIELDS_IL_MASTER_SKU & 1) &&
	    (why = sku_problem(ms)) != NULL) {
		snprintf(r->err, sizeof(r->err), "master_sku: %s", why);
		return 1;
	}
	if (negative(val(r, LISTING_COL_PRICE))) {
		snprintf(r->err, sizeof(r->err), "price: '%.64s' is negative",
		    val(r, LISTING_COL_PRICE));
		return 1;
	}
	return 0;
}

/* The variant side, as build_listing. */
static int
build_variant(struct listing_row *r, const struct listing_opts *o,
    const json_t *p, json_t *const *extra)
{
	struct tmpl_src src = { p, p, extra, NULL };
	const char *why;
	int rc;

	rc = tmpl_apply(o->tmpl, FIELDS_VARIANT, &src, r->out);
	if (rc == TMPL_ENOMEM)
		return -1;
	if (rc != 0) {
		tmpl_errors(r->out, r->verr, sizeof(r->verr));
		return 1;
	}
	if (copy_dests(r, FIELDS_IL_VARIANT_SKU, FIELDS_IL_VARIANT_PRICE) < 0)
		return -1;
	/* A variant row needs its key: a template that skips variant.sku
	 * keys it by Magento's SKU. */
	if (tmpl_rule(o->tmpl, FIELDS_IL_VARIANT_SKU) == TMPL_SKIP &&
	    set(r, LISTING_COL_VSKU, val(r, LISTING_COL_MSKU)) < 0)
		return -1;
	if ((why = sku_problem(val(r, LISTING_COL_VSKU))) != NULL) {
		snprintf(r->verr, sizeof(r->verr), "variant.sku: %s", why);
		return 1;
	}
	if (negative(val(r, LISTING_COL_VPRICE))) {
		snprintf(r->verr, sizeof(r->verr), "variant.price: '%.64s' is "
		    "negative", val(r, LISTING_COL_VPRICE));
		return 1;
	}
	return 0;
}

/* Magento's own columns: what the database would refuse becomes NULL
 * (they are facts about the product, not the admin's mapping). */
static int
build_owned(struct listing_row *r, const json_t *p,
    const struct listing_stock *stock)
{
	char buf[64], err[TMPL_MSG_MAX];
	const json_t *j;
	int64_t v;

	j = json_object_get(p, "status");
	if (json_id(j, &v) == 0 && (v == 1 || v == 2)) {
		snprintf(buf, sizeof(buf), "%" PRId64, v);
		if (set(r, LISTING_COL_MAGENTO_STATUS, buf) < 0)
			return -1;
	}
	j = json_object_get(p, "visibility");
	if (json_id(j, &v) == 0 && v >= 1 && v <= 4) {
		snprintf(buf, sizeof(buf), "%" PRId64, v);
		if (set(r, LISTING_COL_VISIBILITY, buf) < 0)
			return -1;
	}
	j = json_object_get(p, "weight");
	if (j != NULL && tmpl_to_sql(FIELDS_NUMBER, j, NULL, buf, sizeof(buf),
	    err, sizeof(err)) == 0 && !negative(buf) &&
	    set(r, LISTING_COL_WEIGHT, buf) < 0)
		return -1;
	j = json_object_get(p, "type_id");
	if (json_is_string(j) && set(r, LISTING_COL_PRODUCT_TYPE,
	    json_string_value(j)) < 0)
		return -1;
	/* PostgreSQL has no year 0 (nor negative ones). */
	j = json_object_get(p, "updated_at");
	if (j != NULL && tmpl_to_sql(FIELDS_TIMESTAMP, j, NULL, buf,
	    sizeof(buf), err, sizeof(err)) == 0 && buf[0] != '-' &&
	    strncmp(buf, "0000", 4) != 0 &&
	    set(r, LISTING_COL_MAGENTO_UPDATED_AT, buf) < 0)
		return -1;
	if (stock != NULL && stock->in_stock >= 0 &&
	    set(r, LISTING_COL_IN_STOCK, stock->in_stock ? "t" : "f") < 0)
		return -1;
	return 0;
}

/* The configurable's children ids as a bigint[] literal. */
static int
build_children(struct listing_row *r, const json_t *p)
{
	const json_t *links, *l;
	char (*ids)[24] = NULL;
	const char **v = NULL;
	size_t i, n = 0;
	char *lit;
	int64_t id;
	int rc = -1;

	links = json_object_get(json_object_get(p, "extension_attributes"),
	    "configurable_product_links");
	if (json_array_size(links) > 0) {
		ids = calloc(json_array_size(links), sizeof(*ids));
		v = calloc(json_array_size(links), sizeof(*v));
		if (ids == NULL || v == NULL)
			goto out;
	}
	json_array_foreach(links, i, l) {
		if (json_id(l, &id) < 0)
			continue;
		snprintf(ids[n], sizeof(ids[n]), "%" PRId64, id);
		v[n] = ids[n];
		n++;
	}
	if ((lit = listing_pg_array(v, n)) == NULL)
		goto out;
	rc = set(r, LISTING_COL_CHILDREN, lit);
	free(lit);
out:
	free(ids);
	free(v);
	return rc;
}

/* Identify the product. 0, or LISTING_EBAD / LISTING_ENOMEM. */
static int
build_identity(struct listing_row *r, const json_t *p)
{
	const char *sku, *type;
	char id[24];
	int64_t v;

	if (!json_is_object(p)) {
		snprintf(r->err, sizeof(r->err), "a product that is not a "
		    "JSON object");
		snprintf(r->entity, sizeof(r->entity), "product");
		return LISTING_EBAD;
	}
	sku = json_string_value(json_object_get(p, "sku"));
	if (json_id(json_object_get(p, "id"), &v) < 0) {
		snprintf(r->entity, sizeof(r->entity), "sku %.*s",
		    LISTING_SKU_MAX, sku != NULL ? sku : "?");
		snprintf(r->err, sizeof(r->err), "the product has no id");
		return LISTING_EBAD;
	}
	snprintf(id, sizeof(id), "%" PRId64, v);
	if (sku == NULL || *sku == '\0' || strlen(sku) > LISTING_SKU_MAX) {
		snprintf(r->entity, sizeof(r->entity), "product #%s", id);
		snprintf(r->err, sizeof(r->err), "the product's SKU %s",
		    sku == NULL ? "is missing" : *sku == '\0' ? "is empty" :
		    "is too long");
		return LISTING_EBAD;
	}
	snprintf(r->entity, sizeof(r->entity), "sku %s", sku);
	type = json_string_value(json_object_get(p, "type_id"));
	r->parent = type != NULL && strcmp(type, "configurable") == 0;
	if (set(r, LISTING_COL_MAGENTO_ID, id) < 0 ||
	    set(r, LISTING_COL_MSKU, sku) < 0 ||
	    set(r, LISTING_COL_ROLE, r->parent ? "P" : "C") < 0)
		return LISTING_ENOMEM;
	return 0;
}

int
listing_row_build(struct listing_row *r, const struct listing_opts *o,
    const json_t *product, const struct listing_stock *stock)
{
	struct extras x;
	int rc, lr, vr = 0;

	row_clear(r);
	if ((rc = build_identity(r, product)) < 0)
		return rc;
	if (extras_build(&x, o, product, stock) < 0) {
		extras_free(&x);
		return LISTING_ENOMEM;
	}
	lr = build_listing(r, o, product, x.v);
	if (lr >= 0 && !r->parent)
		vr = build_variant(r, o, product, x.v);
	extras_free(&x);
	if (lr < 0 || vr < 0)
		return LISTING_ENOMEM;
	if (set(r, LISTING_COL_OK, lr == 0 ? "t" : "f") < 0 ||
	    set(r, LISTING_COL_ERR, lr == 0 ? NULL : r->err) < 0 ||
	    (!r->parent && set(r, LISTING_COL_VOK, vr == 0 ? "t" : "f") < 0) ||
	    (!r->parent && set(r, LISTING_COL_VERR, vr == 0 ? NULL :
	    r->verr) < 0) ||
	    build_owned(r, product, stock) < 0 ||
	    (r->parent && build_children(r, product) < 0))
		return LISTING_ENOMEM;
	return lr == 0 && vr == 0 ? 0 : LISTING_EITEM;
}
