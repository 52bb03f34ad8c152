/* mage.c - Magento 2 REST client core (see mage.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "mage.h"
#include "oauth1.h"
#include "pct.h"
#include "utf8.h"

/* ---- URLs ------------------------------------------------------------- */

/* Characters left as they are in a path segment besides the unreserved
 * ones. RFC 3986 allows every sub-delim raw in a segment; these are the
 * ones Laminas OAuth (older Magento releases) would decode from %XX before
 * signing, so sending them raw keeps its signature equal to ours. The rest
 * ('!' '*' '\'' '(' ')') it re-encodes when raw, so they go encoded. '+'
 * must be %2B: Magento urldecode()s path parameters. */
#define SEGMENT_KEEP	":@&=$,;"

const char *
mage_scope(enum mage_op op, const char *store_code)
{
	return op == MAGE_OP_CATALOG_WRITE ? "all" : store_code;
}

int
mage_sku_path_safe(const char *sku, enum mage_auth auth)
{
	const unsigned char *p;

	if (sku == NULL || sku[0] == '\0' || strcmp(sku, ".") == 0 ||
	    strcmp(sku, "..") == 0)
		return 0;
	for (p = (const unsigned char *)sku; *p != '\0'; p++) {
		if (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f)
			return 0;
		if (auth == MAGE_AUTH_OAUTH1 && (*p == '+' || *p == '%'))
			return 0;
	}
	return 1;
}

/* Magento store codes: letters, digits and '_' (it also wants a letter
 * first, but that is Magento's to enforce). */
static int
scope_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* Length of store_url without trailing '/', or 0 if it is not an absolute
 * http(s) URL without query, fragment, blanks or control characters. */
static size_t
base_len(const char *u)
{
	size_t n, skip;
	const char *p;

	if (u == NULL)
		return 0;
	if (strncasecmp(u, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(u, "https://", 8) == 0)
		skip = 8;
	else
		return 0;
	for (p = u; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' ||
		    *p == '#')
			return 0;
	n = strlen(u);
	while (n > skip && u[n - 1] == '/')
		n--;
	if (n == skip || u[skip] == '/')
		return 0;	/* no host */
	return n;
}

int
mage_url(char **out, const char *store_url, const char *scope,
    const char *path, const char *const *args, size_t nargs,
    const char *query)
{
	struct pct_buf b = PCT_BUF_INIT;
	size_t blen = base_len(store_url), used = 0;
	const char *p, *close;

	*out = NULL;
	if (blen == 0 || !scope_ok(scope) || path == NULL || path[0] != '/' ||
	    strpbrk(path, "?# ") != NULL || (nargs > 0 && args == NULL))
		return -EINVAL;
	pct_add(&b, store_url, blen);
	pct_adds(&b, "/rest/");
	pct_adds(&b, scope);
	for (p = path; *p != '\0'; p++) {
		if (*p == '}')
			goto inval;
		if (*p != '{') {
			pct_add(&b, p, 1);
			continue;
		}
		if ((close = strchr(p, '}')) == NULL || close == p + 1 ||
		    used == nargs)
			goto inval;
		if (!mage_sku_path_safe(args[used], MAGE_AUTH_BEARER)) {
			pct_reset(&b);
			return MAGE_EPATH;
		}
		pct_enc(&b, args[used], strlen(args[used]), SEGMENT_KEEP);
		used++;
		p = close;
	}
	if (used != nargs)
		goto inval;
	if (query != NULL && query[0] != '\0') {
		pct_add(&b, "?", 1);
		pct_adds(&b, query);
	}
	if ((*out = pct_steal(&b)) == NULL)
		return -ENOMEM;
	return 0;
inval:
	pct_reset(&b);
	return -EINVAL;
}

/* ---- searchCriteria --------------------------------------------------- */

static const char *const cond_names[MAGE_COND_COUNT] = {
	[MAGE_EQ] = "eq", [MAGE_NEQ] = "neq", [MAGE_LIKE] = "like",
	[MAGE_NLIKE] = "nlike", [MAGE_IN] = "in", [MAGE_NIN] = "nin",
	[MAGE_NOTNULL] = "notnull", [MAGE_NULL] = "null", [MAGE_GT] = "gt",
	[MAGE_LT] = "lt", [MAGE_GTEQ] = "gteq", [MAGE_LTEQ] = "lteq",
	[MAGE_MOREQ] = "moreq", [MAGE_FROM] = "from", [MAGE_TO] = "to",
	[MAGE_FINSET] = "finset", [MAGE_NFINSET] = "nfinset",
};

const char *
mage_cond_name(enum mage_cond c)
{
	return (int)c >= 0 && c < MAGE_COND_COUNT ? cond_names[c] : NULL;
}

int
mage_cond_from_name(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < MAGE_COND_COUNT; i++)
		if (strcmp(cond_names[i], s) == 0)
			return i;
	return -1;
}

struct filter {
	char *field, *value;
	enum mage_cond cond;
};

struct group {
	struct filter f[MAGE_CRITERIA_MAX];
	int n;
};

struct sort {
	char *field;
	enum mage_dir dir;
};

struct mage_criteria {
	struct group g[MAGE_CRITERIA_MAX];
	int ngroups;
	struct sort s[MAGE_CRITERIA_MAX];
	int nsorts;
	int page_size, current_page;	/* 0: not sent */
	char *fields;
};

struct mage_criteria *
mage_criteria_new(void)
{
	return calloc(1, sizeof(struct mage_criteria));
}

void
mage_criteria_free(struct mage_criteria *c)
{
	int i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->ngroups; i++)
		for (j = 0; j < c->g[i].n; j++) {
			free(c->g[i].f[j].field);
			free(c->g[i].f[j].value);
		}
	for (i = 0; i < c->nsorts; i++)
		free(c->s[i].field);
	free(c->fields);
	free(c);
}

int
mage_criteria_group(struct mage_criteria *c)
{
	if (c->ngroups == MAGE_CRITERIA_MAX)
		return -E2BIG;
	c->g[c->ngroups++].n = 0;
	return 0;
}

int
mage_criteria_filter(struct mage_criteria *c, const char *field,
    enum mage_cond cond, const char *value)
{
	struct group *g;
	struct filter *f;
	int rc;

	if (field == NULL || field[0] == '\0' || mage_cond_name(cond) == NULL ||
	    (value == NULL && cond != MAGE_NULL && cond != MAGE_NOTNULL))
		return -EINVAL;
	if (c->ngroups == 0 && (rc = mage_criteria_group(c)) != 0)
		return rc;
	g = &c->g[c->ngroups - 1];
	if (g->n == MAGE_CRITERIA_MAX)
		return -E2BIG;
	f = &g->f[g->n];
	f->field = strdup(field);
	f->value = strdup(value ? value : "");
	f->cond = cond;
	if (f->field == NULL || f->value == NULL) {
		free(f->field);
		free(f->value);
		return -ENOMEM;
	}
	g->n++;
	return 0;
}

int
mage_criteria_sort(struct mage_criteria *c, const char *field,
    enum mage_dir dir)
{
	if (field == NULL || field[0] == '\0' ||
	    (dir != MAGE_ASC && dir != MAGE_DESC))
		return -EINVAL;
	if (c->nsorts == MAGE_CRITERIA_MAX)
		return -E2BIG;
	if ((c->s[c->nsorts].field = strdup(field)) == NULL)
		return -ENOMEM;
	c->s[c->nsorts++].dir = dir;
	return 0;
}

int
mage_criteria_page(struct mage_criteria *c, int page_size, int current_page)
{
	if (page_size < 1 || current_page < 1)
		return -EINVAL;
	c->page_size = page_size;
	c->current_page = current_page;
	return 0;
}

int
mage_criteria_fields(struct mage_criteria *c, const char *spec)
{
	char *s = NULL;

	if (spec != NULL && (s = strdup(spec)) == NULL)
		return -ENOMEM;
	free(c->fields);
	c->fields = s;
	return 0;
}

/* One "name=value" with the name's brackets and the value encoded. The
 * name is built from a printf format of fixed words and indices. */
static void
query_param(struct pct_buf *b, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
query_param(struct pct_buf *b, const char *value, const char *fmt, ...)
{
	char name[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(name)) {
		b->err = -ENOMEM;	/* cannot happen with our formats */
		return;
	}
	if (b->len > 0)
		pct_add(b, "&", 1);
	pct_enc(b, name, (size_t)n, NULL);
	pct_add(b, "=", 1);
	pct_enc(b, value, strlen(value), NULL);
}

char *
mage_criteria_query(const struct mage_criteria *c)
{
	struct pct_buf b = PCT_BUF_INIT;
	const struct filter *f;
	char num[16];
	int i, j;

	for (i = 0; i < c->ngroups; i++)
		for (j = 0; j < c->g[i].n; j++) {
			f = &c->g[i].f[j];
			query_param(&b, f->field, "searchCriteria[filter_groups]"
			    "[%d][filters][%d][field]", i, j);
			query_param(&b, f->value, "searchCriteria[filter_groups]"
			    "[%d][filters][%d][value]", i, j);
			query_param(&b, cond_names[f->cond],
			    "searchCriteria[filter_groups][%d][filters][%d]"
			    "[condition_type]", i, j);
		}
	for (i = 0; i < c->nsorts; i++) {
		query_param(&b, c->s[i].field,
		    "searchCriteria[sortOrders][%d][field]", i);
		query_param(&b, c->s[i].dir == MAGE_DESC ? "DESC" : "ASC",
		    "searchCriteria[sortOrders][%d][direction]", i);
	}
	if (c->page_size > 0) {
		snprintf(num, sizeof(num), "%d", c->page_size);
		query_param(&b, num, "searchCriteria[pageSize]");
		snprintf(num, sizeof(num), "%d", c->current_page);
		query_param(&b, num, "searchCriteria[currentPage]");
	}
	if (b.len == 0)
		query_param(&b, "", "searchCriteria");
	if (c->fields != NULL)
		query_param(&b, c->fields, "fields");
	return pct_steal(&b);
}

/* ---- paging ----------------------------------------------------------- */

int64_t
mage_page_count(int64_t total, int64_t size)
{
	if (total <= 0 || size < 1)
		return 0;
	return total / size + (total % size != 0);
}

int
mage_page_done(int64_t current_page, int64_t page_size, int64_t total_count,
    int64_t items_on_page)
{
	if (current_page < 1 || page_size < 1 || total_count < 0 ||
	    items_on_page <= 0)
		return 1;
	/* current_page * page_size >= total_count, without the overflow. */
	return current_page >= mage_page_count(total_count, page_size);
}

/* ---- errors ----------------------------------------------------------- */

/* Magento's placeholder for a parameter key: PHP arrays turn decimal
 * string keys into integers, and its renderer names integer key k "%k+1",
 * so an object key "0" is %1 just like the first array element. */
static void
placeholder(const char *key, char *ph, size_t len)
{
	const char *p = key;
	unsigned long long k;
	char *end;

	for (; *p >= '0' && *p <= '9'; p++)
		;
	if (*key != '\0' && *p == '\0' && (key[0] != '0' || key[1] == '\0') &&
	    strlen(key) < 19) {
		k = strtoull(key, &end, 10);
		snprintf(ph, len, "%llu", k + 1);
	} else {
		snprintf(ph, len, "%s", key);
	}
}

/* Shortest "%.Ng" that reads back as v: PHP 8 prints floats this way. */
static void
real_text(double v, char *buf, size_t len)
{
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* A parameter value as PHP's strtr would print it; structured values as
 * compact JSON (PHP would print "Array"). */
static void
value_text(struct pct_buf *b, const json_t *v)
{
	char num[40], *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		pct_add(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		pct_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		real_text(json_real_value(v), num, sizeof(num));
		pct_adds(b, num);
		break;
	case JSON_TRUE:
		pct_add(b, "1", 1);
		break;
	case JSON_FALSE:
	case JSON_NULL:
		break;
	default:
		if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL) {
			b->err = -ENOMEM;
			return;
		}
		pct_adds(b, s);
		free(s);
	}
}

/* Does msg at p ("%...") start with the placeholder for key? Returns its
 * length (without '%') or 0. */
static size_t
match_key(const char *p, const char *key)
{
	char ph[64];
	size_t n;

	placeholder(key, ph, sizeof(ph));
	n = strlen(ph);
	return n > 0 && strncmp(p + 1, ph, n) == 0 ? n : 0;
}

/* Render msg with params like Magento's Placeholder renderer: PHP strtr,
 * which at each position replaces the longest matching placeholder and
 * never rescans replaced text. */
static void
render(struct pct_buf *b, const char *msg, const json_t *params)
{
	const json_t *best_v, *v;
	const char *p, *key;
	char idx[24];
	size_t best, n, i;

	for (p = msg; *p != '\0'; p++) {
		best = 0;
		best_v = NULL;
		if (*p == '%' && json_is_array(params)) {
			json_array_foreach(params, i, v) {
				snprintf(idx, sizeof(idx), "%zu", i);
				if ((n = match_key(p, idx)) > best) {
					best = n;
					best_v = v;
				}
			}
		} else if (*p == '%' && json_is_object(params)) {
			json_object_foreach((json_t *)params, key, v) {
				if ((n = match_key(p, key)) > best) {
					best = n;
					best_v = v;
				}
			}
		}
		if (best_v != NULL) {
			value_text(b, best_v);
			p += best;
		} else {
			pct_add(b, p, 1);
		}
	}
}

/* Copy text into buf as one clean line: control characters and runs of
 * blanks become one space, invalid UTF-8 bytes '?', ends trimmed, and a
 * text too long is cut at a character boundary with "...". */
static void
put_line(const char *text, size_t n, char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, o = 0, k, room = len - 1, cut = 0;
	int space = 0;

	while (i < n) {
		if (s[i] <= 0x20 || s[i] == 0x7f) {
			space = o > 0;
			i++;
			continue;
		}
		k = utf8_seq(text + i, n - i);
		if (k == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0) {
			/* U+0080..U+009F: C1 controls, blanks like C0. */
			space = o > 0;
			i += 2;
			continue;
		}
		if ((size_t)space + (k ? k : 1) > room - o) {
			cut = 1;
			break;
		}
		if (space)
			buf[o++] = ' ';
		space = 0;
		if (k == 0) {
			buf[o++] = '?';
			i++;
		} else {
			memcpy(buf + o, s + i, k);
			o += k;
			i += k;
		}
	}
	if (cut) {
		/* Make room for "..." by dropping whole characters. */
		while (o > 0 && o + 3 > room) {
			do
				o--;
			while (o > 0 && ((unsigned char)buf[o] & 0xc0) == 0x80);
		}
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

/* Reduce an HTML page to its <title>, or else to its text. */
static void
html_text(struct pct_buf *b, const char *s, size_t n)
{
	const char *t, *e, *end = s + n;
	int in_tag = 0;

	if ((t = memmem(s, n, "<title>", 7)) != NULL &&
	    (e = memmem(t + 7, (size_t)(end - t - 7), "</title>", 8)) != NULL &&
	    e > t + 7) {
		pct_add(b, t + 7, (size_t)(e - t - 7));
		return;
	}
	for (; s < end; s++) {
		if (*s == '<')
			in_tag = 1;
		else if (*s == '>' && in_tag) {
			in_tag = 0;
			pct_add(b, " ", 1);
		} else if (!in_tag)
			pct_add(b, s, 1);
	}
}

/* The excerpt for a body that is not Magento's error JSON. */
static void
excerpt(const char *body, size_t n, char *buf, size_t len)
{
	struct pct_buf b = PCT_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)body[i] > 0x20)
			break;
	if (i == n) {
		put_line("empty response body", 19, buf, len);
		return;
	}
	if (n > 4096)
		n = 4096;	/* an excerpt: never walk a huge page */
	pct_adds(&b, "unexpected response body: ");
	if (memchr(body, '<', n) != NULL && body[i] == '<')
		html_text(&b, body, n);
	else
		pct_add(&b, body, n);
	if (b.err)
		put_line("unexpected response body", 24, buf, len);
	else
		put_line(b.s, b.len, buf, len > 200 ? 200 : len);
	pct_reset(&b);
}

/* message [": " error "; " error ...] */
static void
render_error(struct pct_buf *b, const json_t *root)
{
	const json_t *errs = json_object_get(root, "errors"), *e, *m;
	const char *top = json_string_value(json_object_get(root, "message"));
	size_t i, start = b->len, nerr = 0;

	render(b, top, json_object_get(root, "parameters"));
	json_array_foreach(errs, i, e) {
		if (!json_is_string(m = json_object_get(e, "message")))
			continue;
		if (strcmp(json_string_value(m), top) == 0)
			continue;	/* the top message repeated */
		if (nerr++ == 0) {
			if (b->len > start && b->s[b->len - 1] == '.')
				b->len--;
			pct_add(b, ": ", 2);
		} else {
			pct_add(b, "; ", 2);
		}
		render(b, json_string_value(m), json_object_get(e, "parameters"));
	}
}

int
mage_error_text(const char *body, size_t body_len, char *buf, size_t len)
{
	struct pct_buf b = PCT_BUF_INIT;
	json_error_t jerr;
	json_t *root;
	int rc = 0;

	if (buf == NULL || len < 8)
		return -EINVAL;
	if (body == NULL)
		body_len = 0;
	root = body_len > 0 ? json_loadb(body, body_len, 0, &jerr) : NULL;
	if (!json_is_object(root) ||
	    !json_is_string(json_object_get(root, "message"))) {
		excerpt(body ? body : "", body_len, buf, len);
		json_decref(root);
		return -EBADMSG;
	}
	render_error(&b, root);
	if (b.err) {
		put_line("Magento error (out of memory rendering it)", 42, buf,
		    len);
		rc = 0;
	} else {
		put_line(b.s ? b.s : "", b.len, buf, len);
	}
	pct_reset(&b);
	json_decref(root);
	return rc;
}

/* ---- authorization ---------------------------------------------------- */

static int
header_safe(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int
mage_auth_header(const struct mage_creds *c, const char *method,
    const char *url, const char *nonce, int64_t timestamp, char **out)
{
	struct oauth1_req r;
	struct pct_buf b = PCT_BUF_INIT;
	char *oauth;
	int rc;

	*out = NULL;
	if (c == NULL || !header_safe(c->access_token))
		return -EINVAL;
	if (c->auth == MAGE_AUTH_BEARER) {
		pct_adds(&b, "Authorization: Bearer ");
		pct_adds(&b, c->access_token);
		return (*out = pct_steal(&b)) == NULL ? -ENOMEM : 0;
	}
	if (c->auth != MAGE_AUTH_OAUTH1 || !header_safe(c->consumer_key) ||
	    c->consumer_secret == NULL || c->access_token_secret == NULL ||
	    nonce == NULL || !header_safe(nonce))
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.method = method;
	r.url = url;
	r.consumer_key = c->consumer_key;
	r.consumer_secret = c->consumer_secret;
	r.token = c->access_token;
	r.token_secret = c->access_token_secret;
	r.nonce = nonce;
	r.timestamp = timestamp;
	if ((rc = oauth1_header(&r, &oauth)) != 0)
		return rc;
	pct_adds(&b, "Authorization: ");
	pct_adds(&b, oauth);
	free(oauth);
	return (*out = pct_steal(&b)) == NULL ? -ENOMEM : 0;
}
