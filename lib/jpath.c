/* jpath.c - compile, read and write paths into Magento's JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpath.h"

/* An index past the end of an array pads it with nulls on set; the bound
 * keeps a hostile path ("tracks[999999999]") from eating memory. */
#define JPATH_PAD_MAX	1024
#define JPATH_INDEX_MAX	99999999

enum seg_kind { SEG_KEY, SEG_INDEX, SEG_ALL };

struct seg {
	enum seg_kind kind;
	const char *key;	/* SEG_KEY: NUL-terminated, inside the path */
	size_t index;		/* SEG_INDEX */
};

struct jpath {
	const char *text;	/* both strings live after seg[] */
	size_t n;
	int multi;
	struct seg seg[];
};

/* A segment while parsing: offsets into the text, since the keys are only
 * copied once the whole path is known to be good. */
struct pseg {
	enum seg_kind kind;
	size_t off, len, index;
};

static int
perr(char *err, size_t errlen, const char *text, const char *msg)
{
	if (errlen > 0)
		snprintf(err, errlen, "bad JSON path '%.64s': %s", text, msg);
	return -1;
}

static int
add_seg(struct pseg *ps, size_t *n, enum seg_kind kind, size_t off,
    size_t len, size_t index)
{
	if (*n == JPATH_SEG_MAX)
		return -1;
	ps[*n].kind = kind;
	ps[*n].off = off;
	ps[*n].len = len;
	ps[*n].index = index;
	(*n)++;
	return 0;
}

/* "[N]" or "[]" at s[*i]; *i moves past it. */
static int
parse_index(const char *s, size_t *i, struct pseg *ps, size_t *n,
    const char **msg)
{
	size_t j = *i + 1, v = 0, digits = 0;

	if (s[j] == ']') {
		*i = j + 1;
		if (add_seg(ps, n, SEG_ALL, 0, 0, 0) < 0)
			return *msg = "too many segments", -1;
		return 0;
	}
	while (s[j] >= '0' && s[j] <= '9') {
		if (++digits > 8)
			return *msg = "index too large", -1;
		v = v * 10 + (size_t)(s[j] - '0');
		j++;
	}
	if (digits == 0 || s[j] != ']')
		return *msg = "expected [N] or []", -1;
	if (v > JPATH_INDEX_MAX)
		return *msg = "index too large", -1;
	*i = j + 1;
	if (add_seg(ps, n, SEG_INDEX, 0, 0, v) < 0)
		return *msg = "too many segments", -1;
	return 0;
}

static int
parse(const char *s, struct pseg *ps, size_t *n, const char **msg)
{
	size_t i = 0, start;

	*n = 0;
	if (s[0] == '\0')
		return *msg = "empty path", -1;
	for (;;) {
		/* A key, except that a path may start with an index. */
		if (!(i == 0 && s[0] == '[')) {
			start = i;
			while (s[i] != '\0' && s[i] != '.' && s[i] != '[' &&
			    s[i] != ']')
				i++;
			if (i == start)
				return *msg = "empty key", -1;
			if (add_seg(ps, n, SEG_KEY, start, i - start, 0) < 0)
				return *msg = "too many segments", -1;
		}
		while (s[i] == '[')
			if (parse_index(s, &i, ps, n, msg) < 0)
				return -1;
		if (s[i] == '\0')
			return 0;
		if (s[i] != '.')
			return *msg = "unexpected ']'", -1;
		i++;
	}
}

struct jpath *
jpath_new(const char *text, char *err, size_t errlen)
{
	struct pseg ps[JPATH_SEG_MAX];
	const char *msg = NULL;
	struct jpath *p;
	size_t len, n, i;
	char *text_copy, *keys;

	if (text == NULL)
		text = "";
	len = strlen(text);
	if (len > JPATH_TEXT_MAX) {
		perr(err, errlen, text, "longer than 512 characters");
		return NULL;
	}
	if (parse(text, ps, &n, &msg) < 0) {
		perr(err, errlen, text, msg);
		return NULL;
	}
	/* One block: header, segments, the text, then the keys each
	 * NUL-terminated (a copy of the text with separators cut). */
	p = malloc(sizeof(*p) + n * sizeof(p->seg[0]) + 2 * (len + 1));
	if (p == NULL) {
		perr(err, errlen, text, "out of memory");
		return NULL;
	}
	text_copy = (char *)(p->seg + n);
	keys = text_copy + len + 1;
	memcpy(text_copy, text, len + 1);
	memcpy(keys, text, len + 1);
	p->text = text_copy;
	p->n = n;
	p->multi = 0;
	for (i = 0; i < n; i++) {
		p->seg[i].kind = ps[i].kind;
		p->seg[i].index = ps[i].index;
		p->seg[i].key = NULL;
		if (ps[i].kind == SEG_KEY) {
			keys[ps[i].off + ps[i].len] = '\0';
			p->seg[i].key = keys + ps[i].off;
		} else if (ps[i].kind == SEG_ALL) {
			p->multi = 1;
		}
	}
	return p;
}

void
jpath_free(struct jpath *p)
{
	free(p);
}

const char *
jpath_text(const struct jpath *p)
{
	return p->text;
}

int
jpath_is_multi(const struct jpath *p)
{
	return p->multi;
}

/* The element of a Magento attribute list whose attribute_code is key. */
static json_t *
attr_elem(const json_t *arr, const char *key)
{
	size_t i;
	json_t *e, *code;

	json_array_foreach(arr, i, e) {
		code = json_object_get(e, "attribute_code");
		if (json_is_string(code) && strcmp(json_string_value(code), key) == 0)
			return e;
	}
	return NULL;
}

/* One step from node; NULL when it leads nowhere. Borrowed. */
static json_t *
step(const struct seg *sg, const json_t *node)
{
	if (sg->kind == SEG_KEY) {
		if (json_is_object(node))
			return json_object_get(node, sg->key);
		if (json_is_array(node))
			return json_object_get(attr_elem(node, sg->key), "value");
		return NULL;
	}
	return json_array_get(node, sg->index);	/* NULL for non-arrays */
}

static json_t *
get_from(const struct jpath *p, size_t i, const json_t *node)
{
	json_t *out, *e, *r;
	size_t k;

	for (; i < p->n && node != NULL; i++) {
		if (p->seg[i].kind != SEG_ALL) {
			node = step(&p->seg[i], node);
			continue;
		}
		if (!json_is_array(node))
			return NULL;
		if ((out = json_array()) == NULL)
			return NULL;
		json_array_foreach(node, k, e) {
			r = get_from(p, i + 1, e);
			if (json_is_null(r)) {
				json_decref(r);
				continue;
			}
			if (r != NULL && json_array_append_new(out, r) < 0) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	/* jansson's reference count is the one mutable part of a value;
	 * handing out a reference does not change what the caller sees. */
	return node != NULL ? json_incref((json_t *)node) : NULL;
}

json_t *
jpath_get(const struct jpath *p, const json_t *root)
{
	if (root == NULL)
		return NULL;
	return get_from(p, 0, root);
}

/* The container that will hold segment next, created for key (the key
 * that leads to it, or NULL for an index). */
static json_t *
new_container(const struct seg *next, const char *key)
{
	if (next->kind != SEG_KEY ||
	    (key != NULL && strcmp(key, "custom_attributes") == 0))
		return json_array();
	return json_object();
}

/* Put child at segment sg of node (object key, array index, attribute).
 * Steals child. */
static int
put(const struct seg *sg, json_t *node, json_t *child)
{
	json_t *e;

	if (sg->kind == SEG_KEY && json_is_object(node))
		return json_object_set_new(node, sg->key, child);
	if (sg->kind == SEG_KEY && json_is_array(node)) {
		if ((e = attr_elem(node, sg->key)) != NULL)
			return json_object_set_new(e, "value", child);
		if ((e = json_object()) == NULL ||
		    json_object_set_new(e, "attribute_code",
		    json_string(sg->key)) < 0) {
			json_decref(e);
			json_decref(child);
			return -1;
		}
		if (json_object_set_new(e, "value", child) < 0) {
			json_decref(e);
			return -1;
		}
		return json_array_append_new(node, e);
	}
	if (sg->kind == SEG_INDEX && json_is_array(node)) {
		if (sg->index > json_array_size(node) + JPATH_PAD_MAX) {
			json_decref(child);
			return -1;
		}
		while (json_array_size(node) < sg->index)
			if (json_array_append_new(node, json_null()) < 0) {
				json_decref(child);
				return -1;
			}
		if (sg->index < json_array_size(node))
			return json_array_set_new(node, sg->index, child);
		return json_array_append_new(node, child);
	}
	json_decref(child);
	return -1;
}

int
jpath_set(const struct jpath *p, json_t *root, json_t *value)
{
	json_t *node = root, *child;
	size_t i;

	if (p->multi || !json_is_object(root)) {
		json_decref(value);
		return -1;
	}
	for (i = 0; i + 1 < p->n; i++) {
		child = step(&p->seg[i], node);
		if (child == NULL || json_is_null(child)) {
			child = new_container(&p->seg[i + 1], p->seg[i].key);
			if (child == NULL || put(&p->seg[i], node, child) < 0) {
				json_decref(value);
				return -1;
			}
		}
		node = child;
	}
	return put(&p->seg[p->n - 1], node, value);
}
