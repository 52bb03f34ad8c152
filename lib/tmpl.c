/* tmpl.c - compile, check and apply mapping templates.
 *
 * Three layers: typed values (a source value checked against a
 * destination type, then emitted as a payload value or as PostgreSQL
 * text), compiled templates (a base chain folded into one rule per
 * destination), and apply, which walks one group's destinations for one
 * record. Apply allocates only what the output keeps: payload values, and
 * the output's text buffer, which grows once and is reused. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "isotime.h"
#include "jpath.h"
#include "tmpl.h"

#define CHAIN_MAX	64	/* templates in one base chain */
#define NUM_TEXT_MAX	40	/* longest number accepted, as text */
#define NAME_MAX_LEN	600	/* longest source or set name in a rule */

#define BIT(i)		((uint64_t)1 << (i))

/* ---- buffers ------------------------------------------------------------ */

struct buf {
	char *p;
	size_t len, cap;
};

static int
buf_reserve(struct buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (more > SIZE_MAX / 4 - b->len)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int
buf_add(struct buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

static int
buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

static void
fmsg(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fmsg(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
}

/* ---- typed values ------------------------------------------------------- */

/* A value checked against a destination type, ready to emit. Text may be
 * borrowed from the source (stable: NUL-terminated and living as long as
 * the source) or held in num. */
struct tv {
	enum fields_type type;
	const char *s;		/* TEXT, NUMBER (canonical), TEXT_ARRAY one */
	size_t n;
	int stable;
	double d;		/* NUMBER */
	int64_t i;		/* INTEGER, TIMESTAMP */
	int b;			/* BOOLEAN */
	const json_t *j;	/* TEXT_ARRAY: an array of scalars; JSON */
	const char *lit;	/* TEXT_ARRAY: a PostgreSQL array literal */
	size_t litn;
	int one;		/* TEXT_ARRAY: exactly the element s/n */
	json_t *own;		/* a reference this value holds */
	char num[48];
};

static void
tv_release(struct tv *v)
{
	json_decref(v->own);
	v->own = NULL;
}

/* Shortest "%g" that reads back as d. */
static void
fmt_real(double d, char *buf, size_t len)
{
	int prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
	snprintf(buf, len, "%.17g", d);
}

/* Text of a JSON scalar: strings as they are, numbers formatted into num,
 * booleans as words. -1 for null, arrays and objects. */
static int
scalar_text(const json_t *j, char *num, size_t numlen, const char **s,
    size_t *n)
{
	switch (json_typeof(j)) {
	case JSON_STRING:
		*s = json_string_value(j);
		*n = json_string_length(j);
		return 0;
	case JSON_INTEGER:
		snprintf(num, numlen, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(j));
		break;
	case JSON_REAL:
		fmt_real(json_real_value(j), num, numlen);
		break;
	case JSON_TRUE:
		*s = "true";
		*n = 4;
		return 0;
	case JSON_FALSE:
		*s = "false";
		*n = 5;
		return 0;
	default:
		return -1;
	}
	*s = num;
	*n = strlen(num);
	return 0;
}

static const char *
json_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "text";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* s[0..n) as a decimal number: [+-] digits [. digits] [e [+-] digits].
 * Leaves the canonical text in v->num (no '+', a leading 0 before '.', no
 * trailing fraction zeros) and the value in v->d. */
static int
num_parse(const char *s, size_t n, struct tv *v)
{
	size_t i = 0, ib, ie, fb = 0, fe = 0, eb = n, k = 0;
	int neg = 0;

	if (n == 0 || n > NUM_TEXT_MAX)
		return -1;
	if (s[i] == '+' || s[i] == '-')
		neg = s[i++] == '-';
	ib = i;
	while (i < n && is_digit(s[i]))
		i++;
	ie = i;
	if (i < n && s[i] == '.') {
		fb = ++i;
		while (i < n && is_digit(s[i]))
			i++;
		fe = i;
	}
	if (ie == ib && fe == fb)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		eb = i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i == n || !is_digit(s[i]))
			return -1;
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i != n)
		return -1;
	while (fe > fb && s[fe - 1] == '0')
		fe--;
	if (neg)
		v->num[k++] = '-';
	if (ie == ib)
		v->num[k++] = '0';
	memcpy(v->num + k, s + ib, ie - ib);
	k += ie - ib;
	if (fe > fb) {
		v->num[k++] = '.';
		memcpy(v->num + k, s + fb, fe - fb);
		k += fe - fb;
	}
	memcpy(v->num + k, s + eb, n - eb);
	k += n - eb;
	v->num[k] = '\0';
	v->d = strtod(v->num, NULL);
	if (!isfinite(v->d))
		return -1;
	v->s = v->num;
	v->n = k;
	return 0;
}

/* 2^63 as a double: the first value out of int64 range. */
#define I64_LIMIT 9223372036854775808.0

static int
real_to_int(double d, int64_t *out, char *msg, size_t len)
{
	if (d != floor(d)) {
		fmsg(msg, len, "is not a whole number");
		return -1;
	}
	if (d >= I64_LIMIT || d < -I64_LIMIT) {
		fmsg(msg, len, "is out of range");
		return -1;
	}
	*out = (int64_t)d;
	return 0;
}

static int
int_parse(const char *s, size_t n, struct tv *v, char *msg, size_t len)
{
	char *end;
	long long x;

	if (num_parse(s, n, v) < 0) {
		fmsg(msg, len, "is not a number");
		return -1;
	}
	/* The canonical form has a '.' only when the fraction is not zero,
	 * an exponent only when one was written. */
	if (strchr(v->num, '.') != NULL && strpbrk(v->num, "eE") == NULL) {
		fmsg(msg, len, "is not a whole number");
		return -1;
	}
	if (strpbrk(v->num, "eE") != NULL)
		return real_to_int(v->d, &v->i, msg, len);
	errno = 0;
	x = strtoll(v->num, &end, 10);
	if (errno == ERANGE || *end != '\0') {
		fmsg(msg, len, "is out of range");
		return -1;
	}
	v->i = x;
	return 0;
}

static const struct {
	const char *word;
	int value;
} bool_words[] = {
	{ "1", 1 }, { "0", 0 }, { "true", 1 }, { "false", 0 },
	{ "yes", 1 }, { "no", 0 }, { "on", 1 }, { "off", 0 },
	{ "t", 1 }, { "f", 0 }, { "y", 1 }, { "n", 0 },
};

static int
bool_parse(const char *s, size_t n, int *out)
{
	size_t i;

	for (i = 0; i < sizeof(bool_words) / sizeof(bool_words[0]); i++)
		if (strlen(bool_words[i].word) == n &&
		    strncasecmp(bool_words[i].word, s, n) == 0) {
			*out = bool_words[i].value;
			return 0;
		}
	return -1;
}

static int
time_parse(const char *s, size_t n, int64_t *out)
{
	char tmp[64];

	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return isotime_parse(tmp, out);
}

/* Walk a one-dimensional PostgreSQL array literal, calling fn with each
 * element that is not NULL, unescaped in tmp. fn may be NULL to only
 * check. Returns 0, -1 for bad syntax, -2 out of memory, or fn's
 * negative value. */
typedef int (*lit_fn)(void *arg, const char *s, size_t n);

#define LIT_SYNTAX	(-1)
#define LIT_NOMEM	(-2)
#define LIT_UTF8	(-3)	/* an element is not UTF-8 (to JSON) */
#define LIT_NUL		(-4)	/* an element holds a NUL (to SQL) */

static size_t
skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	return i;
}

static int
lit_elem(const char *s, size_t n, size_t *ip, struct buf *tmp, int *isnull)
{
	size_t i = *ip, run;

	tmp->len = 0;
	if (buf_reserve(tmp, 0) < 0)
		return LIT_NOMEM;
	tmp->p[0] = '\0';
	*isnull = 0;
	if (s[i] == '"') {
		for (i++; i < n && s[i] != '"';) {
			/* copy the run up to the next quote or backslash */
			run = i;
			while (i < n && s[i] != '"' && s[i] != '\\')
				i++;
			if (buf_add(tmp, s + run, i - run) < 0)
				return LIT_NOMEM;
			if (i < n && s[i] == '\\') {
				if (++i == n)
					return LIT_SYNTAX;
				if (buf_addc(tmp, s[i++]) < 0)
					return LIT_NOMEM;
			}
		}
		if (i == n)
			return LIT_SYNTAX;
		*ip = i + 1;
		return 0;
	}
	while (i < n && s[i] != ',' && s[i] != '}') {
		run = i;
		while (i < n && s[i] != ',' && s[i] != '}' && s[i] != '"' &&
		    s[i] != '{' && s[i] != '\\')
			i++;
		if (buf_add(tmp, s + run, i - run) < 0)
			return LIT_NOMEM;
		if (i < n && (s[i] == '"' || s[i] == '{'))
			return LIT_SYNTAX;
		if (i < n && s[i] == '\\') {
			if (++i == n)
				return LIT_SYNTAX;
			if (buf_addc(tmp, s[i++]) < 0)
				return LIT_NOMEM;
		}
	}
	while (tmp->len > 0 && (tmp->p[tmp->len - 1] == ' ' ||
	    tmp->p[tmp->len - 1] == '\t' || tmp->p[tmp->len - 1] == '\n' ||
	    tmp->p[tmp->len - 1] == '\r'))
		tmp->p[--tmp->len] = '\0';
	if (tmp->len == 0)
		return LIT_SYNTAX;
	*isnull = tmp->len == 4 && strncasecmp(tmp->p, "NULL", 4) == 0;
	*ip = i;
	return 0;
}

static int
lit_walk(const char *s, size_t n, struct buf *tmp, lit_fn fn, void *arg)
{
	size_t i = skip_ws(s, n, 0);
	int rc, isnull;

	if (i == n || s[i] != '{')
		return LIT_SYNTAX;
	i = skip_ws(s, n, i + 1);
	if (i < n && s[i] == '}')
		return skip_ws(s, n, i + 1) == n ? 0 : LIT_SYNTAX;
	for (;;) {
		i = skip_ws(s, n, i);
		if (i == n)
			return LIT_SYNTAX;
		if ((rc = lit_elem(s, n, &i, tmp, &isnull)) < 0)
			return rc;
		if (!isnull && fn != NULL && (rc = fn(arg, tmp->p,
		    tmp->len)) < 0)
			return rc;
		i = skip_ws(s, n, i);
		if (i < n && s[i] == ',') {
			i++;
			continue;
		}
		if (i < n && s[i] == '}')
			return skip_ws(s, n, i + 1) == n ? 0 : LIT_SYNTAX;
		return LIT_SYNTAX;
	}
}

/* Every element of a JSON array a scalar or null. */
static int
array_of_scalars(const json_t *a, char *msg, size_t len)
{
	size_t k;
	json_t *e;

	json_array_foreach(a, k, e) {
		if (json_is_array(e) || json_is_object(e)) {
			fmsg(msg, len, "is not a list of texts (element %zu is "
			    "%s)", k, json_kind(e));
			return -1;
		}
	}
	return 0;
}

/* Text s[0..n) to type t. stable: s outlives the use of v. */
static int
conv_text(enum fields_type t, const char *s, size_t n, int stable,
    struct tv *v, struct buf *tmp, char *msg, size_t len)
{
	json_error_t jerr;
	int rc;

	memset(v, 0, offsetof(struct tv, num));
	v->type = t;
	switch (t) {
	case FIELDS_TEXT:
		v->s = s;
		v->n = n;
		v->stable = stable;
		return 0;
	case FIELDS_NUMBER:
		if (num_parse(s, n, v) < 0) {
			fmsg(msg, len, "is not a number");
			return -1;
		}
		return 0;
	case FIELDS_INTEGER:
		return int_parse(s, n, v, msg, len);
	case FIELDS_BOOLEAN:
		if (bool_parse(s, n, &v->b) < 0) {
			fmsg(msg, len, "is not a boolean (yes/no, true/false, "
			    "1/0)");
			return -1;
		}
		return 0;
	case FIELDS_TIMESTAMP:
		if (time_parse(s, n, &v->i) < 0) {
			fmsg(msg, len, "is not a timestamp (ISO-8601 or "
			    "YYYY-MM-DD HH:MM:SS)");
			return -1;
		}
		return 0;
	case FIELDS_TEXT_ARRAY:
		if (n == 0)
			return 0;
		if (s[0] == '{') {
			rc = lit_walk(s, n, tmp, NULL, NULL);
			if (rc < 0) {
				fmsg(msg, len, rc == LIT_NOMEM ? "out of memory"
				    : "is not a valid array literal");
				return -1;
			}
			v->lit = s;
			v->litn = n;
			return 0;
		}
		if (s[0] == '[') {
			v->own = json_loadb(s, n, 0, &jerr);
			if (!json_is_array(v->own)) {
				tv_release(v);
				fmsg(msg, len, "is not a valid JSON array");
				return -1;
			}
			v->j = v->own;
			if (array_of_scalars(v->j, msg, len) < 0) {
				tv_release(v);
				return -1;
			}
			return 0;
		}
		v->one = 1;
		v->s = s;
		v->n = n;
		v->stable = stable;
		return 0;
	case FIELDS_JSON:
		v->own = json_loadb(s, n, JSON_DECODE_ANY, &jerr);
		if (v->own == NULL) {
			fmsg(msg, len, "is not valid JSON");
			return -1;
		}
		v->j = v->own;
		return 0;
	default:
		fmsg(msg, len, "has an unknown type");
		return -1;
	}
}

/* A JSON value (not null) to type t. Strings are read as text. */
static int
conv_json(enum fields_type t, const json_t *j, struct tv *v,
    struct buf *tmp, char *msg, size_t len)
{
	const char *s;
	size_t n;

	if (json_is_string(j) && t == FIELDS_TEXT_ARRAY) {
		/* Magento's strings are taken as they are: one element, not
		 * an array literal; "" is no element. */
		memset(v, 0, offsetof(struct tv, num));
		v->type = t;
		if (json_string_length(j) > 0) {
			v->one = 1;
			v->s = json_string_value(j);
			v->n = json_string_length(j);
			v->stable = 1;
		}
		return 0;
	}
	if (json_is_string(j) && t != FIELDS_JSON)
		return conv_text(t, json_string_value(j), json_string_length(j),
		    1, v, tmp, msg, len);
	memset(v, 0, offsetof(struct tv, num));
	v->type = t;
	switch (t) {
	case FIELDS_TEXT:
		if (scalar_text(j, v->num, sizeof(v->num), &v->s, &v->n) < 0)
			break;
		return 0;
	case FIELDS_NUMBER:
		if (json_is_integer(j)) {
			v->d = (double)json_integer_value(j);
			snprintf(v->num, sizeof(v->num), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(j));
		} else if (json_is_real(j)) {
			v->d = json_real_value(j);
			fmt_real(v->d, v->num, sizeof(v->num));
		} else {
			break;
		}
		v->s = v->num;
		v->n = strlen(v->num);
		return 0;
	case FIELDS_INTEGER:
		if (json_is_integer(j)) {
			v->i = json_integer_value(j);
			return 0;
		}
		if (json_is_real(j))
			return real_to_int(json_real_value(j), &v->i, msg, len);
		break;
	case FIELDS_BOOLEAN:
		if (json_is_boolean(j)) {
			v->b = json_is_true(j);
			return 0;
		}
		if ((json_is_integer(j) || json_is_real(j)) &&
		    (json_number_value(j) == 0 || json_number_value(j) == 1)) {
			v->b = json_number_value(j) == 1;
			return 0;
		}
		break;
	case FIELDS_TIMESTAMP:
		break;
	case FIELDS_TEXT_ARRAY:
		if (json_is_array(j)) {
			v->j = j;
			return array_of_scalars(j, msg, len);
		}
		if (scalar_text(j, v->num, sizeof(v->num), &s, &n) < 0)
			break;
		v->one = 1;
		v->s = s;
		v->n = n;
		return 0;
	case FIELDS_JSON:
		v->j = j;
		return 0;
	default:
		break;
	}
	fmsg(msg, len, "is %s, not %s", json_kind(j),
	    t == FIELDS_INTEGER ? "an integer" : t == FIELDS_NUMBER ?
	    "a number" : t == FIELDS_BOOLEAN ? "a boolean" :
	    t == FIELDS_TIMESTAMP ? "a timestamp" : t == FIELDS_TEXT_ARRAY ?
	    "a list of texts" : "text");
	return -1;
}

/* Emitting a text array element by element, to JSON or to a literal. */
struct elem_sink {
	json_t *arr;		/* JSON: the array being filled */
	struct buf *out;	/* SQL: the literal being written */
	int first;
};

static int
elem_put(void *arg, const char *s, size_t n)
{
	struct elem_sink *k = arg;
	json_t *e;
	size_t i, run;

	if (k->arr != NULL) {
		if ((e = json_stringn(s, n)) == NULL)
			return LIT_UTF8;
		return json_array_append_new(k->arr, e) < 0 ? LIT_NOMEM : 0;
	}
	if (memchr(s, '\0', n) != NULL)
		return LIT_NUL;
	if ((!k->first && buf_addc(k->out, ',') < 0) ||
	    buf_addc(k->out, '"') < 0)
		return LIT_NOMEM;
	k->first = 0;
	for (i = 0; i < n;) {
		run = i;
		while (i < n && s[i] != '"' && s[i] != '\\')
			i++;
		if (buf_add(k->out, s + run, i - run) < 0)
			return LIT_NOMEM;
		if (i < n && (buf_addc(k->out, '\\') < 0 ||
		    buf_addc(k->out, s[i++]) < 0))
			return LIT_NOMEM;
	}
	return buf_addc(k->out, '"') < 0 ? LIT_NOMEM : 0;
}

static int
elems_emit(const struct tv *v, struct elem_sink *k, struct buf *tmp)
{
	const char *s;
	char num[48];
	size_t i, n;
	json_t *e;
	int rc;

	if (v->one)
		return elem_put(k, v->s, v->n);
	if (v->lit != NULL)
		return lit_walk(v->lit, v->litn, tmp, elem_put, k);
	json_array_foreach(v->j, i, e) {
		if (json_is_null(e))
			continue;
		if (scalar_text(e, num, sizeof(num), &s, &n) < 0)
			return LIT_SYNTAX;
		if ((rc = elem_put(k, s, n)) < 0)
			return rc;
	}
	return 0;
}

static void
elems_msg(int rc, char *msg, size_t len)
{
	fmsg(msg, len, "%s", rc == LIT_NOMEM ? "out of memory" :
	    rc == LIT_UTF8 ? "is not valid UTF-8" : rc == LIT_NUL ?
	    "contains a NUL character" : "is not a list of texts");
}

/* The payload form of v: new, or NULL with msg. */
static json_t *
emit_json(const struct tv *v, struct buf *tmp, char *msg, size_t len)
{
	struct elem_sink k;
	struct civil c;
	char ts[32];
	json_t *r = NULL;
	int rc;

	switch (v->type) {
	case FIELDS_TEXT:
		if ((r = json_stringn(v->s, v->n)) == NULL)
			fmsg(msg, len, "is not valid UTF-8");
		return r;
	case FIELDS_NUMBER:
		/* Whole numbers print as integers (5, not 5.0). */
		if (v->d == floor(v->d) && fabs(v->d) < 9007199254740992.0)
			r = json_integer((json_int_t)v->d);
		else
			r = json_real(v->d);
		break;
	case FIELDS_INTEGER:
		r = json_integer(v->i);
		break;
	case FIELDS_BOOLEAN:
		r = json_boolean(v->b);
		break;
	case FIELDS_TIMESTAMP:
		isotime_to_civil(v->i, &c);
		snprintf(ts, sizeof(ts), "%04d-%02d-%02d %02d:%02d:%02d",
		    c.year, c.month, c.day, c.hour, c.min, c.sec);
		r = json_string(ts);
		break;
	case FIELDS_TEXT_ARRAY:
		if ((k.arr = json_array()) == NULL)
			break;
		k.out = NULL;
		k.first = 1;
		if (v->j == NULL && v->lit == NULL && !v->one)
			return k.arr;
		if ((rc = elems_emit(v, &k, tmp)) < 0) {
			json_decref(k.arr);
			elems_msg(rc, msg, len);
			return NULL;
		}
		return k.arr;
	case FIELDS_JSON:
		r = json_deep_copy(v->j);
		break;
	default:
		break;
	}
	if (r == NULL)
		fmsg(msg, len, "out of memory");
	return r;
}

/* The PostgreSQL text of v: *stable when it can be borrowed, else
 * appended to b at *off. 0, or -1 with msg. */
static int
emit_sql(const struct tv *v, struct buf *b, struct buf *tmp,
    const char **stable, size_t *off, char *msg, size_t len)
{
	struct elem_sink k;
	char ts[ISOTIME_MAX];
	size_t n;
	int rc = 0;

	*stable = NULL;
	*off = b->len;
	switch (v->type) {
	case FIELDS_TEXT:
		if (memchr(v->s, '\0', v->n) != NULL) {
			fmsg(msg, len, "contains a NUL character");
			return -1;
		}
		if (v->stable) {
			*stable = v->s;
			return 0;
		}
		rc = buf_add(b, v->s, v->n);
		break;
	case FIELDS_NUMBER:
		rc = buf_add(b, v->s, v->n);
		break;
	case FIELDS_INTEGER:
		rc = buf_printf(b, "%" PRId64, v->i);
		break;
	case FIELDS_BOOLEAN:
		*stable = v->b ? "true" : "false";
		return 0;
	case FIELDS_TIMESTAMP:
		n = isotime_format(v->i, 0, ts, sizeof(ts));
		rc = buf_add(b, ts, n);
		break;
	case FIELDS_TEXT_ARRAY:
		k.arr = NULL;
		k.out = b;
		k.first = 1;
		if ((rc = buf_addc(b, '{')) < 0)
			break;
		if (v->j != NULL || v->lit != NULL || v->one) {
			rc = elems_emit(v, &k, tmp);
			if (rc < 0) {
				elems_msg(rc, msg, len);
				return -1;
			}
		}
		rc = buf_addc(b, '}');
		break;
	case FIELDS_JSON:
		n = json_dumpb(v->j, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
		if (n == 0 || buf_reserve(b, n) < 0) {
			rc = -1;
			break;
		}
		json_dumpb(v->j, b->p + b->len, n,
		    JSON_COMPACT | JSON_ENCODE_ANY);
		b->len += n;
		b->p[b->len] = '\0';
		break;
	default:
		rc = -1;
		break;
	}
	if (rc < 0) {
		fmsg(msg, len, "out of memory");
		return -1;
	}
	/* Keep the NUL the buffer functions leave after the value, so the
	 * pointers fixed up after apply each see one string. */
	b->len++;
	return 0;
}

/* ---- compiled templates ------------------------------------------------- */

/* A constant (value:, a mapping set entry) converted once, at compile. */
struct cval {
	json_t *json;		/* processes writing Magento */
	char *sql;		/* processes writing PostgreSQL */
};

struct centry {
	char *key;
	struct cval v;
};

/* A mapping set compiled for one destination's type, sorted by key. */
struct cset {
	char *name;
	struct centry *e;
	size_t n;
	int has_def;
	struct cval def;
};

struct rule {
	enum tmpl_rule_kind kind;
	int src;		/* catalogue source, -1 for jp */
	struct jpath *jp;	/* json:PATH */
	struct cval cv;		/* value: */
	struct cset *set;	/* set: */
};

struct tmpl {
	char *name;
	const struct fields_proc *fp;
	struct rule r[FIELDS_MAX];
	struct jpath *dpath[FIELDS_MAX];	/* destination in the payload */
	struct jpath *cpath[FIELDS_MAX];	/* its companion, or NULL */
	struct jpath *spath[FIELDS_MAX];	/* source in Magento's JSON */
	uint64_t gmask[FIELDS_NGROUPS];		/* destinations per group */
	uint64_t attr;				/* custom attribute targets */
	uint64_t srcs[FIELDS_NGROUPS];		/* sources read per group */
};

struct tmpl_out {
	json_t *payload;
	const char *v[FIELDS_MAX];
	size_t off[FIELDS_MAX];		/* of v[i] in buf, when inbuf */
	uint64_t inbuf, written, empty;
	struct buf buf;			/* SQL text of this record */
	struct buf tmp;			/* scratch for array elements */
	struct tmpl_err err[TMPL_ERR_MAX];
	size_t nerr;
	int nomem;
};

static const char *
pname(enum proc p)
{
	const char *s = proc_name(p);

	return s ? s : "(none)";
}

static void
cval_free(struct cval *v)
{
	json_decref(v->json);
	free(v->sql);
	v->json = NULL;
	v->sql = NULL;
}

static void
cset_free(struct cset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->e[i].key);
		cval_free(&s->e[i].v);
	}
	cval_free(&s->def);
	free(s->e);
	free(s->name);
	free(s);
}

static void
rule_free(struct rule *r)
{
	jpath_free(r->jp);
	cval_free(&r->cv);
	cset_free(r->set);
	memset(r, 0, sizeof(*r));
	r->src = -1;
}

/* The built-in mapping sets: what the shipped defaults need. */
static const char *const listing_status_kv[][2] = {
	{ "active", "1" },
	{ "paused", "2" },
};

static const struct {
	const char *name;
	const char *const (*kv)[2];
	size_t n;
} builtin_sets[] = {
	{ "listing_status", listing_status_kv, 2 },
};

/* A mapping set: a [mapping_set] of the conf, else a built-in one. */
struct setref {
	const struct conf_mapping_set *ms;
	size_t bi;
};

static int
set_find(const struct conf *c, const char *name, struct setref *r)
{
	size_t i;

	for (i = 0; c != NULL && i < c->nsets; i++)
		if (c->sets[i].name != NULL &&
		    strcmp(c->sets[i].name, name) == 0) {
			r->ms = &c->sets[i];
			return 0;
		}
	for (i = 0; i < sizeof(builtin_sets) / sizeof(builtin_sets[0]); i++)
		if (strcmp(builtin_sets[i].name, name) == 0) {
			r->ms = NULL;
			r->bi = i;
			return 0;
		}
	return -1;
}

/* Convert a constant for destination d: 0, or -1 with msg. */
static int
cval_compile(const struct fields_proc *fp, int d, const char *text,
    struct cval *cv, struct buf *tmp, char *msg, size_t len)
{
	struct buf b = { NULL, 0, 0 };
	const char *st;
	struct tv v;
	size_t off;
	int rc = -1;

	if (conv_text(fp->dests[d].type, text, strlen(text), 1, &v, tmp, msg,
	    len) < 0)
		return -1;
	if (fp->dir == FIELDS_TO_MAGENTO) {
		cv->json = emit_json(&v, tmp, msg, len);
		rc = cv->json != NULL ? 0 : -1;
	} else if (emit_sql(&v, &b, tmp, &st, &off, msg, len) == 0) {
		cv->sql = strdup(st != NULL ? st : b.p + off);
		if (cv->sql != NULL)
			rc = 0;
		else
			fmsg(msg, len, "out of memory");
	}
	free(b.p);
	tv_release(&v);
	return rc;
}

static int
centry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct centry *)a)->key,
	    ((const struct centry *)b)->key);
}

static int
key_cmp(const void *key, const void *e)
{
	return strcmp(key, ((const struct centry *)e)->key);
}

/* Add key -> cv to s (a later entry for a key replaces the earlier one).
 * Steals cv. */
static int
cset_add(struct cset *s, const char *key, struct cval *cv)
{
	size_t k;

	if (strcmp(key, "*") == 0) {
		cval_free(&s->def);
		s->def = *cv;
		s->has_def = 1;
		return 0;
	}
	for (k = 0; k < s->n; k++)
		if (strcmp(s->e[k].key, key) == 0) {
			cval_free(&s->e[k].v);
			s->e[k].v = *cv;
			return 0;
		}
	if ((s->e[s->n].key = strdup(key)) == NULL) {
		cval_free(cv);
		return -1;
	}
	s->e[s->n++].v = *cv;
	return 0;
}

/* Compile mapping set name for destination d. New, or NULL with msg. */
static struct cset *
set_compile(const struct conf *c, const char *name,
    const struct fields_proc *fp, int d, struct buf *tmp, char *msg,
    size_t len)
{
	char m2[TMPL_MSG_MAX];
	const char *key, *value;
	struct setref r;
	struct cval cv;
	struct cset *s;
	size_t i, n;

	if (set_find(c, name, &r) < 0) {
		fmsg(msg, len, "unknown mapping set '%s'", name);
		return NULL;
	}
	n = r.ms != NULL ? r.ms->nentries : builtin_sets[r.bi].n;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->name = strdup(name)) == NULL ||
	    (s->e = calloc(n ? n : 1, sizeof(*s->e))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		key = r.ms ? r.ms->entries[i].key : builtin_sets[r.bi].kv[i][0];
		value = r.ms ? r.ms->entries[i].value :
		    builtin_sets[r.bi].kv[i][1];
		if (key == NULL || value == NULL)
			continue;
		memset(&cv, 0, sizeof(cv));
		if (cval_compile(fp, d, value, &cv, tmp, m2, sizeof(m2)) < 0) {
			if (r.ms != NULL)
				fmsg(msg, len, "mapping set '%s' maps '%.40s' "
				    "to '%.40s' (%s:%d), which %s", name, key,
				    value, r.ms->entries[i].file ?
				    r.ms->entries[i].file : "?",
				    r.ms->entries[i].line, m2);
			else
				fmsg(msg, len, "mapping set '%s' maps '%s' to "
				    "'%s', which %s", name, key, value, m2);
			cset_free(s);
			return NULL;
		}
		if (cset_add(s, key, &cv) < 0)
			goto nomem;
	}
	qsort(s->e, s->n, sizeof(s->e[0]), centry_cmp);
	return s;
nomem:
	cset_free(s);
	fmsg(msg, len, "out of memory");
	return NULL;
}

/* s[0..n) without surrounding blanks into out. -1 if it does not fit. */
static int
trimmed(const char *s, size_t n, char *out, size_t outlen)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= outlen)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* SOURCE of a rule for a destination of group g. */
static int
src_compile(const struct fields_proc *fp, enum fields_group g,
    const char *text, struct rule *r, char *msg, size_t len)
{
	enum fields_group sg;
	int s;

	if (text[0] == '\0') {
		fmsg(msg, len, "a source is missing");
		return -1;
	}
	if (strncmp(text, "json:", 5) == 0) {
		if (fp->dir == FIELDS_TO_MAGENTO) {
			fmsg(msg, len, "json: paths read Magento's JSON, and "
			    "%s reads PostgreSQL: name one of its sources",
			    pname(fp->proc));
			return -1;
		}
		r->jp = jpath_new(text + 5, msg, len);
		return r->jp != NULL ? 0 : -1;
	}
	if ((s = fields_src_find(fp, text)) < 0) {
		fmsg(msg, len, "unknown source '%.64s' for %s%s", text,
		    pname(fp->proc), fp->dir == FIELDS_TO_DB ?
		    " (a catalogue name, or json:PATH)" : "");
		return -1;
	}
	sg = fp->srcs[s].group;
	if ((sg == FIELDS_VARIANT || sg == FIELDS_ITEM) && sg != g) {
		fmsg(msg, len, "source '%s' is only for %s.* fields", text,
		    fields_group_name(sg));
		return -1;
	}
	r->src = s;
	return 0;
}

/* Compile one rule for destination d. 0, or -1 with msg and r empty. */
static int
rule_compile(const struct conf *c, const struct fields_proc *fp, int d,
    const char *text, struct rule *r, struct buf *tmp, char *msg,
    size_t len)
{
	char name[NAME_MAX_LEN], src[NAME_MAX_LEN], m2[TMPL_MSG_MAX];
	enum fields_group g = fp->dests[d].group;
	const char *colon;

	memset(r, 0, sizeof(*r));
	r->src = -1;
	if (strcmp(text, "skip") == 0) {
		r->kind = TMPL_SKIP;
		return 0;
	}
	if (strcmp(text, "empty") == 0) {
		r->kind = TMPL_EMPTY;
		return 0;
	}
	if (strncmp(text, "field:", 6) == 0) {
		r->kind = TMPL_FIELD;
		if (trimmed(text + 6, strlen(text + 6), src, sizeof(src)) < 0) {
			fmsg(msg, len, "source too long");
			return -1;
		}
		if (src_compile(fp, g, src, r, msg, len) < 0)
			goto fail;
		return 0;
	}
	if (strncmp(text, "value:", 6) == 0) {
		r->kind = TMPL_VALUE;
		if (cval_compile(fp, d, text + 6, &r->cv, tmp, m2,
		    sizeof(m2)) < 0) {
			fmsg(msg, len, "value '%.64s' %s", text + 6, m2);
			goto fail;
		}
		return 0;
	}
	if (strncmp(text, "set:", 4) == 0) {
		r->kind = TMPL_SET;
		colon = strchr(text + 4, ':');
		if (colon == NULL || trimmed(text + 4, (size_t)(colon -
		    (text + 4)), name, sizeof(name)) < 0 || name[0] == '\0' ||
		    trimmed(colon + 1, strlen(colon + 1), src, sizeof(src)) < 0) {
			fmsg(msg, len, "expected set:SETNAME:SOURCE");
			goto fail;
		}
		if (src_compile(fp, g, src, r, msg, len) < 0 ||
		    (r->set = set_compile(c, name, fp, d, tmp, msg, len)) ==
		    NULL)
			goto fail;
		return 0;
	}
	fmsg(msg, len, "unknown rule '%.64s' (skip, empty, field:SOURCE, "
	    "value:TEXT or set:SETNAME:SOURCE)", text);
fail:
	rule_free(r);
	return -1;
}

/* ---- template definitions and base chains ------------------------------- */

/* A template as defined: a [template] of the conf or a shipped default. */
struct tdef {
	const struct conf_template *ct;	/* NULL: the built-in default */
	enum proc proc;
	char name[48];			/* the built-in's name */
};

static const char *
tdef_name(const struct tdef *d)
{
	return d->ct != NULL ? d->ct->name : d->name;
}

static int
tdef_find(const struct conf *c, const char *name, struct tdef *d)
{
	size_t i, n;
	int p;

	memset(d, 0, sizeof(*d));
	for (i = 0; c != NULL && i < c->ntemplates; i++)
		if (c->templates[i].name != NULL &&
		    strcmp(c->templates[i].name, name) == 0) {
			d->ct = &c->templates[i];
			d->proc = d->ct->process;
			return 0;
		}
	for (p = 0; p < PROC_COUNT; p++) {
		if (fields_proc((enum proc)p) == NULL)
			continue;
		n = strlen(proc_name((enum proc)p));
		if (strncmp(name, proc_name((enum proc)p), n) == 0 &&
		    strcmp(name + n, ".default") == 0) {
			d->proc = (enum proc)p;
			snprintf(d->name, sizeof(d->name), "%s", name);
			return 0;
		}
	}
	return -1;
}

static int
tdef_same(const struct tdef *a, const struct tdef *b)
{
	return a->ct == b->ct && (a->ct != NULL || a->proc == b->proc);
}

struct chain {
	struct tdef t[CHAIN_MAX];	/* t[0] the leaf, t[n-1] the root */
	size_t n;
	/* When building fails: */
	size_t at;			/* whose base link is broken */
	int cycle;			/* it closes a cycle ... */
	size_t cycle_to;		/* ... back to t[cycle_to] */
	int toolong;			/* more than CHAIN_MAX templates */
	char msg[DIAG_MSG_MAX - 96];
};

static void
cycle_msg(struct chain *ch, size_t from, const char *back)
{
	size_t k, used;

	snprintf(ch->msg, sizeof(ch->msg), "base cycle: ");
	for (k = from; k < ch->n; k++) {
		used = strlen(ch->msg);
		snprintf(ch->msg + used, sizeof(ch->msg) - used, "%s -> ",
		    tdef_name(&ch->t[k]));
	}
	used = strlen(ch->msg);
	snprintf(ch->msg + used, sizeof(ch->msg) - used, "%s", back);
}

/* Follow base links from leaf. 0, or -1 with at, cycle and msg set. */
static int
chain_build(const struct conf *c, const struct tdef *leaf, struct chain *ch)
{
	const struct tdef *cur;
	struct tdef next;
	size_t k;

	ch->t[0] = *leaf;
	ch->n = 1;
	ch->cycle = 0;
	ch->toolong = 0;
	for (;;) {
		cur = &ch->t[ch->n - 1];
		if (cur->ct == NULL || cur->ct->base == NULL)
			return 0;
		ch->at = ch->n - 1;
		if (tdef_find(c, cur->ct->base, &next) < 0) {
			snprintf(ch->msg, sizeof(ch->msg), "unknown base "
			    "template '%.64s'", cur->ct->base);
			return -1;
		}
		for (k = 0; k < ch->n; k++)
			if (tdef_same(&ch->t[k], &next)) {
				ch->cycle = 1;
				ch->cycle_to = k;
				cycle_msg(ch, k, tdef_name(&next));
				return -1;
			}
		if (next.proc != cur->proc) {
			snprintf(ch->msg, sizeof(ch->msg), "base template "
			    "'%.64s' is for %s, not %s", tdef_name(&next),
			    pname(next.proc), pname(cur->proc));
			return -1;
		}
		if (ch->n == CHAIN_MAX) {
			ch->toolong = 1;
			snprintf(ch->msg, sizeof(ch->msg), "base chain longer "
			    "than %d templates", CHAIN_MAX);
			return -1;
		}
		ch->t[ch->n++] = next;
	}
}

/* The rule text of each destination after folding the chain, root first,
 * each line overriding what it inherits. */
struct raw {
	const char *text;	/* NULL: not mapped anywhere (skip) */
	const char *file;
	int line;
	size_t owner;		/* chain index it comes from */
};

static void
compose(const struct chain *ch, const struct fields_proc *fp,
    struct raw *raw)
{
	const struct tdef *root = &ch->t[ch->n - 1], *t;
	const struct conf_kv *kv;
	size_t i, k, l;
	int d;

	for (i = 0; i < fp->ndests; i++) {
		raw[i].text = NULL;
		raw[i].file = root->ct != NULL ? root->ct->file : NULL;
		raw[i].line = root->ct != NULL ? root->ct->line : 0;
		raw[i].owner = ch->n - 1;
	}
	for (k = ch->n; k-- > 0;) {
		t = &ch->t[k];
		if (t->ct == NULL) {
			for (i = 0; i < fp->ndests; i++) {
				raw[i].text = fp->dests[i].rule;
				raw[i].file = NULL;
				raw[i].line = 0;
				raw[i].owner = k;
			}
			continue;
		}
		for (l = 0; l < t->ct->nlines; l++) {
			kv = &t->ct->lines[l];
			if (kv->key == NULL || kv->value == NULL ||
			    (d = fields_dest_find(fp, kv->key)) < 0)
				continue;
			raw[d].text = kv->value;
			raw[d].file = kv->file;
			raw[d].line = kv->line;
			raw[d].owner = k;
		}
	}
}

/* skip (or unmapped), empty, or anything else (TMPL_FIELD). */
static enum tmpl_rule_kind
raw_kind(const struct raw *r)
{
	if (r->text == NULL || strcmp(r->text, "skip") == 0)
		return TMPL_SKIP;
	if (strcmp(r->text, "empty") == 0)
		return TMPL_EMPTY;
	return TMPL_FIELD;
}

/* ---- compile ------------------------------------------------------------ */

void
tmpl_free(struct tmpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < FIELDS_MAX; i++) {
		rule_free(&t->r[i]);
		jpath_free(t->dpath[i]);
		jpath_free(t->cpath[i]);
		jpath_free(t->spath[i]);
	}
	free(t->name);
	free(t);
}

static int
paths_compile(struct tmpl *t)
{
	const struct fields_proc *fp = t->fp;
	char err[128];
	size_t i;

	for (i = 0; i < fp->ndests && fp->dir == FIELDS_TO_MAGENTO; i++) {
		if ((t->dpath[i] = jpath_new(fp->dests[i].target, err,
		    sizeof(err))) == NULL)
			return -1;
		if (fp->dests[i].companion != NULL && (t->cpath[i] =
		    jpath_new(fp->dests[i].companion, err, sizeof(err))) ==
		    NULL)
			return -1;
		if (strncmp(fp->dests[i].target, "custom_attributes.", 18) == 0)
			t->attr |= BIT(i);
	}
	for (i = 0; i < fp->nsrcs && fp->dir == FIELDS_TO_DB; i++)
		if (fp->srcs[i].path != NULL && (t->spath[i] =
		    jpath_new(fp->srcs[i].path, err, sizeof(err))) == NULL)
			return -1;
	return 0;
}

static void
masks(struct tmpl *t)
{
	const struct fields_proc *fp = t->fp;
	enum fields_group g;
	size_t i;

	memset(t->gmask, 0, sizeof(t->gmask));
	memset(t->srcs, 0, sizeof(t->srcs));
	for (i = 0; i < fp->ndests; i++) {
		g = fp->dests[i].group;
		t->gmask[g] |= BIT(i);
		if ((t->r[i].kind == TMPL_FIELD || t->r[i].kind == TMPL_SET) &&
		    t->r[i].src >= 0)
			t->srcs[g] |= BIT(t->r[i].src);
	}
}

/* A Required destination left skip or empty, reported where it was left
 * so. */
static void
required_err(const char *tname, const struct fields_dest *de,
    const struct raw *raw, const char *hfile, int hline,
    struct diag_list *dl)
{
	if (raw->text == NULL)
		diag_add(dl, DIAG_ERROR, hfile, hline, "template '%s': "
		    "required field '%s' is not mapped", tname, de->name);
	else
		diag_add(dl, DIAG_ERROR, raw->file, raw->line, "%s: a required "
		    "field cannot be %s", de->name, raw->text);
}

static size_t key_errors(const struct conf_template *ct,
    const struct fields_proc *fp, struct diag_list *dl);

static struct tmpl *
compile_def(const struct conf *c, const struct tdef *leaf,
    struct diag_list *dl)
{
	const struct fields_proc *fp = fields_proc(leaf->proc);
	char msg[DIAG_MSG_MAX - 96];
	struct raw raw[FIELDS_MAX];
	struct buf tmp = { NULL, 0, 0 };
	const struct tdef *at, *root;
	struct chain ch;
	struct tmpl *t;
	size_t d, errors = 0;

	if (fp == NULL) {
		diag_add(dl, DIAG_ERROR, leaf->ct ? leaf->ct->file : NULL,
		    leaf->ct ? leaf->ct->line : 0, "template '%s': process "
		    "%s has no template", tdef_name(leaf), pname(leaf->proc));
		return NULL;
	}
	if (chain_build(c, leaf, &ch) < 0) {
		at = &ch.t[ch.at];
		diag_add(dl, DIAG_ERROR, at->ct->file, at->ct->line,
		    "template '%s': %s", tdef_name(at), ch.msg);
		return NULL;
	}
	for (d = 0; d < ch.n; d++)
		if (ch.t[d].ct != NULL)
			errors += key_errors(ch.t[d].ct, fp, dl);
	compose(&ch, fp, raw);
	root = &ch.t[ch.n - 1];
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->name = strdup(tdef_name(leaf))) == NULL)
		goto nomem;
	t->fp = fp;
	for (d = 0; d < FIELDS_MAX; d++)
		t->r[d].src = -1;
	for (d = 0; d < fp->ndests; d++) {
		if (rule_compile(c, fp, (int)d, raw[d].text ? raw[d].text :
		    "skip", &t->r[d], &tmp, msg, sizeof(msg)) < 0) {
			diag_add(dl, DIAG_ERROR, raw[d].file, raw[d].line,
			    "%s: %s", fp->dests[d].name, msg);
			errors++;
		} else if ((fp->dests[d].flags & FIELDS_REQUIRED) &&
		    raw_kind(&raw[d]) != TMPL_FIELD) {
			required_err(tdef_name(root), &fp->dests[d], &raw[d],
			    root->ct ? root->ct->file : NULL,
			    root->ct ? root->ct->line : 0, dl);
			errors++;
		}
	}
	if (paths_compile(t) < 0)
		goto nomem;
	masks(t);
	free(tmp.p);
	if (errors == 0)
		return t;
	tmpl_free(t);
	return NULL;
nomem:
	diag_add(dl, DIAG_ERROR, NULL, 0, "template '%s': out of memory",
	    tdef_name(leaf));
	free(tmp.p);
	tmpl_free(t);
	return NULL;
}

struct tmpl *
tmpl_compile(const struct conf *c, const char *name, struct diag_list *dl)
{
	struct tdef d;

	if (name == NULL || tdef_find(c, name, &d) < 0) {
		diag_add(dl, DIAG_ERROR, NULL, 0, "unknown template '%s'",
		    name ? name : "(null)");
		return NULL;
	}
	return compile_def(c, &d, dl);
}

/* The last line of job j that sets key, or NULL. */
static const struct conf_kv *
job_setting(const struct conf_job *j, const char *key)
{
	const struct conf_kv *r = NULL;
	size_t i;

	for (i = 0; i < j->nsettings; i++)
		if (j->settings[i].key != NULL && j->settings[i].value != NULL &&
		    strcmp(j->settings[i].key, key) == 0)
			r = &j->settings[i];
	return r;
}

/* The job's template name; def holds the default's. */
static const char *
job_template(const struct conf_job *j, char *def, size_t len)
{
	if (j->template_name != NULL)
		return j->template_name;
	snprintf(def, len, "%s.default", pname(j->process));
	return def;
}

/* The jpath variant.upc is read at for upc_attribute = value: CODE (a
 * custom attribute), json:PATH, or none (NULL path, *none set). 0, or -1
 * with msg. */
static int
upc_path(const char *value, struct jpath **out, char *msg, size_t len)
{
	char path[NAME_MAX_LEN];
	size_t i;

	*out = NULL;
	if (strcmp(value, "none") == 0)
		return 0;
	if (strncmp(value, "json:", 5) == 0) {
		*out = jpath_new(value + 5, msg, len);
		return *out != NULL ? 0 : -1;
	}
	for (i = 0; value[i] != '\0'; i++)
		if (!(value[i] >= 'a' && value[i] <= 'z') &&
		    !(value[i] >= 'A' && value[i] <= 'Z') && !is_digit(value[i]) &&
		    value[i] != '_')
			break;
	if (i == 0 || value[i] != '\0' || i > 200) {
		fmsg(msg, len, "'%.64s' is not an attribute code (letters, "
		    "digits, '_'), json:PATH or none", value);
		return -1;
	}
	snprintf(path, sizeof(path), "custom_attributes.%s", value);
	*out = jpath_new(path, msg, len);
	return *out != NULL ? 0 : -1;
}

struct tmpl *
tmpl_compile_job(const struct conf *c, const struct conf_job *j,
    struct diag_list *dl)
{
	char def[48], text[NAME_MAX_LEN + 8], msg[DIAG_MSG_MAX - 96];
	struct buf tmp = { NULL, 0, 0 };
	const struct conf_kv *ms, *ua;
	struct jpath *jp;
	struct rule *r;
	struct tmpl *t;
	const char *name = job_template(j, def, sizeof(def));

	if ((t = tmpl_compile(c, name, dl)) == NULL)
		return NULL;
	if (t->fp->proc != j->process) {
		diag_add(dl, DIAG_ERROR, j->file, j->line, "template '%s' is "
		    "for %s, not %s", name, pname(t->fp->proc),
		    pname(j->process));
		goto fail;
	}
	if (j->process != PROC_IMPORT_LISTINGS)
		return t;
	if ((ua = job_setting(j, "upc_attribute")) != NULL) {
		if (upc_path(ua->value, &jp, msg, sizeof(msg)) < 0) {
			diag_add(dl, DIAG_ERROR, ua->file, ua->line,
			    "upc_attribute: %s", msg);
			goto fail;
		}
		jpath_free(t->spath[FIELDS_ILS_VARIANT_UPC]);
		t->spath[FIELDS_ILS_VARIANT_UPC] = jp;
	}
	r = &t->r[FIELDS_IL_MASTER_SKU];
	ms = job_setting(j, "master_sku");
	if (ms != NULL && strcmp(ms->value, "none") == 0) {
		rule_free(r);
		r->kind = TMPL_SKIP;
	} else if (ms != NULL) {
		snprintf(text, sizeof(text), "field:%s", ms->value);
		rule_free(r);
		if (rule_compile(c, t->fp, FIELDS_IL_MASTER_SKU, text, r, &tmp,
		    msg, sizeof(msg)) < 0) {
			diag_add(dl, DIAG_ERROR, ms->file, ms->line,
			    "master_sku: %s", msg);
			goto fail;
		}
	} else if (r->kind == TMPL_SKIP || r->kind == TMPL_EMPTY) {
		diag_add(dl, DIAG_ERROR, j->file, j->line, "template '%s' "
		    "leaves master_sku %s: map it, or set master_sku = none",
		    name, r->kind == TMPL_SKIP ? "skip" : "empty");
		goto fail;
	}
	masks(t);
	free(tmp.p);
	return t;
fail:
	free(tmp.p);
	tmpl_free(t);
	return NULL;
}

enum proc
tmpl_proc(const struct tmpl *t)
{
	return t->fp->proc;
}

const char *
tmpl_name(const struct tmpl *t)
{
	return t->name;
}

enum tmpl_rule_kind
tmpl_rule(const struct tmpl *t, int dest)
{
	if (dest < 0 || (size_t)dest >= t->fp->ndests)
		return TMPL_SKIP;
	return t->r[dest].kind;
}

uint64_t
tmpl_mapped(const struct tmpl *t)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; i < t->fp->ndests; i++)
		if (t->r[i].kind != TMPL_SKIP)
			m |= BIT(i);
	return m;
}

uint64_t
tmpl_sources(const struct tmpl *t, enum fields_group g)
{
	if ((int)g < 0 || g >= FIELDS_NGROUPS)
		return 0;
	return t->srcs[g];
}

int
tmpl_source_check(enum proc p, const char *text, char *err, size_t errlen)
{
	const struct fields_proc *fp = fields_proc(p);
	struct rule r;

	if (fp == NULL) {
		fmsg(err, errlen, "process %s has no fields", pname(p));
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.src = -1;
	if (src_compile(fp, FIELDS_RECORD, text ? text : "", &r, err,
	    errlen) < 0)
		return -1;
	jpath_free(r.jp);
	return 0;
}

/* ---- check -------------------------------------------------------------- */

/* Lines of ct naming no destination of fp, or one already named: each an
 * error. Returns how many. */
static size_t
key_errors(const struct conf_template *ct, const struct fields_proc *fp,
    struct diag_list *dl)
{
	const struct conf_kv *seen[FIELDS_MAX] = { NULL }, *kv;
	size_t l, errors = 0;
	int d;

	for (l = 0; l < ct->nlines; l++) {
		kv = &ct->lines[l];
		if (kv->key == NULL || kv->value == NULL)
			continue;
		if ((d = fields_dest_find(fp, kv->key)) < 0) {
			diag_add(dl, DIAG_ERROR, kv->file, kv->line, "unknown "
			    "field '%s' for %s", kv->key, pname(fp->proc));
			errors++;
		} else if (seen[d] != NULL) {
			diag_add(dl, DIAG_ERROR, kv->file, kv->line, "field "
			    "'%s' is mapped twice (first at line %d)", kv->key,
			    seen[d]->line);
			errors++;
		} else {
			seen[d] = kv;
		}
	}
	return errors;
}

/* Every line of ct on its own: its field, its rule. */
static void
check_lines(const struct conf *c, const struct conf_template *ct,
    const struct fields_proc *fp, struct diag_list *dl)
{
	char msg[DIAG_MSG_MAX - 96];
	struct buf tmp = { NULL, 0, 0 };
	const struct conf_kv *kv;
	struct rule r;
	size_t l;
	int d;

	key_errors(ct, fp, dl);
	for (l = 0; l < ct->nlines; l++) {
		kv = &ct->lines[l];
		if (kv->key == NULL || kv->value == NULL ||
		    (d = fields_dest_find(fp, kv->key)) < 0)
			continue;
		if (rule_compile(c, fp, d, kv->value, &r, &tmp, msg,
		    sizeof(msg)) < 0)
			diag_add(dl, DIAG_ERROR, kv->file, kv->line, "%s: %s",
			    kv->key, msg);
		rule_free(&r);
	}
	free(tmp.p);
}

static void
check_template(const struct conf *c, const struct conf_template *ct,
    struct diag_list *dl)
{
	const struct fields_proc *fp = fields_proc(ct->process);
	struct raw raw[FIELDS_MAX];
	struct chain ch;
	struct tdef leaf;
	size_t d;

	if (fp == NULL) {
		/* A missing or unknown process is conf's to report. */
		if (ct->process == PROC_PII_RETENTION)
			diag_add(dl, DIAG_ERROR, ct->file, ct->line, "template "
			    "'%s': pii_retention takes no template", ct->name);
		return;
	}
	check_lines(c, ct, fp, dl);
	memset(&leaf, 0, sizeof(leaf));
	leaf.ct = ct;
	leaf.proc = ct->process;
	if (chain_build(c, &leaf, &ch) < 0) {
		/* Reported by the template whose link is broken, and by each
		 * template on a cycle; not again by every template above. A
		 * chain too long is every leaf's own problem. */
		if (ch.at == 0 || (ch.cycle && ch.cycle_to == 0) || ch.toolong)
			diag_add(dl, DIAG_ERROR, ct->file, ct->line,
			    "template '%s': %s", ct->name, ch.msg);
		return;
	}
	compose(&ch, fp, raw);
	for (d = 0; d < fp->ndests; d++)
		if ((fp->dests[d].flags & FIELDS_REQUIRED) &&
		    raw_kind(&raw[d]) != TMPL_FIELD && raw[d].owner == 0)
			required_err(ct->name, &fp->dests[d], &raw[d], ct->file,
			    ct->line, dl);
}

static void
check_set(const struct conf_mapping_set *ms, struct diag_list *dl)
{
	size_t i, k;

	for (i = 0; i < ms->nentries; i++)
		for (k = 0; k < i; k++)
			if (ms->entries[i].key != NULL &&
			    ms->entries[k].key != NULL &&
			    strcmp(ms->entries[i].key, ms->entries[k].key) == 0) {
				diag_add(dl, DIAG_ERROR, ms->entries[i].file,
				    ms->entries[i].line, "mapping set '%s': "
				    "'%s' is given twice (first at line %d)",
				    ms->name, ms->entries[i].key,
				    ms->entries[k].line);
				break;
			}
}

/* sync_listings fields = a, b, c: every name a destination. */
static void
check_field_list(const struct fields_proc *fp, const struct conf_kv *kv,
    struct diag_list *dl)
{
	const char *s = kv->value;
	char name[128];
	size_t n;

	for (;;) {
		s += strspn(s, ", \t\r\n");
		if (*s == '\0')
			return;
		n = strcspn(s, ", \t\r\n");
		snprintf(name, sizeof(name), "%.*s", (int)(n < 127 ? n : 127),
		    s);
		if (fields_dest_find(fp, name) < 0)
			diag_add(dl, DIAG_ERROR, kv->file, kv->line, "fields: "
			    "unknown field '%s' for %s", name,
			    pname(fp->proc));
		s += n;
	}
}

static void
check_job(const struct conf *c, const struct conf_job *j,
    struct diag_list *dl)
{
	const struct fields_proc *fp = fields_proc(j->process);
	const struct conf_kv *tk, *ms, *fs, *ua;
	char def[48], msg[DIAG_MSG_MAX - 96];
	struct raw raw[FIELDS_MAX];
	const char *name, *file;
	struct chain ch;
	struct tdef d;
	int line;

	if (fp == NULL)
		return;
	tk = job_setting(j, "template");
	file = tk != NULL ? tk->file : j->file;
	line = tk != NULL ? tk->line : j->line;
	name = job_template(j, def, sizeof(def));
	if (tdef_find(c, name, &d) < 0) {
		diag_add(dl, DIAG_ERROR, file, line, "unknown template '%s'",
		    name);
		return;
	}
	if (d.proc != j->process) {
		diag_add(dl, DIAG_ERROR, file, line, "template '%s' is for %s, "
		    "not %s", name, pname(d.proc), pname(j->process));
		return;
	}
	if (j->process == PROC_IMPORT_LISTINGS) {
		struct jpath *jp;

		if ((ua = job_setting(j, "upc_attribute")) != NULL) {
			if (upc_path(ua->value, &jp, msg, sizeof(msg)) < 0)
				diag_add(dl, DIAG_ERROR, ua->file, ua->line,
				    "upc_attribute: %s", msg);
			jpath_free(jp);
		}
		ms = job_setting(j, "master_sku");
		if (ms != NULL && strcmp(ms->value, "none") != 0 &&
		    tmpl_source_check(j->process, ms->value, msg,
		    sizeof(msg)) < 0)
			diag_add(dl, DIAG_ERROR, ms->file, ms->line,
			    "master_sku: %s", msg);
		if (ms == NULL && chain_build(c, &d, &ch) == 0) {
			compose(&ch, fp, raw);
			if (raw_kind(&raw[FIELDS_IL_MASTER_SKU]) != TMPL_FIELD)
				diag_add(dl, DIAG_ERROR, file, line, "template "
				    "'%s' leaves master_sku %s: map it, or set "
				    "master_sku = none", name,
				    raw[FIELDS_IL_MASTER_SKU].text ?
				    raw[FIELDS_IL_MASTER_SKU].text : "unmapped");
		}
	}
	if (j->process == PROC_SYNC_LISTINGS &&
	    (fs = job_setting(j, "fields")) != NULL)
		check_field_list(fp, fs, dl);
}

int
tmpl_check_conf(const struct conf *c, struct diag_list *dl)
{
	size_t before = diag_errors(dl), i;

	for (i = 0; i < c->ntemplates; i++)
		check_template(c, &c->templates[i], dl);
	for (i = 0; i < c->nsets; i++)
		check_set(&c->sets[i], dl);
	for (i = 0; i < c->njobs; i++)
		check_job(c, &c->jobs[i], dl);
	return (int)(diag_errors(dl) - before);
}

/* ---- apply -------------------------------------------------------------- */

struct tmpl_out *
tmpl_out_new(void)
{
	return calloc(1, sizeof(struct tmpl_out));
}

void
tmpl_out_free(struct tmpl_out *o)
{
	if (o == NULL)
		return;
	json_decref(o->payload);
	free(o->buf.p);
	free(o->tmp.p);
	free(o);
}

/* A source value: JSON (j) or column text; both NULL when missing. */
struct sv {
	const json_t *j;
	json_t *own;
	const char *text;
};

static void
src_get(const struct tmpl *t, enum fields_group g, const struct rule *r,
    const struct tmpl_src *src, struct sv *sv)
{
	const json_t *base;
	enum fields_group sg;

	memset(sv, 0, sizeof(*sv));
	if (t->fp->dir == FIELDS_TO_MAGENTO) {
		if (src->text != NULL && r->src >= 0)
			sv->text = src->text[r->src];
		return;
	}
	if (r->jp != NULL) {
		base = g == FIELDS_VARIANT || g == FIELDS_ITEM ? src->sub :
		    src->root;
		sv->own = jpath_get(r->jp, base);
	} else if (src->extra != NULL && src->extra[r->src] != NULL) {
		sv->j = src->extra[r->src];
	} else if (t->spath[r->src] != NULL) {
		sg = t->fp->srcs[r->src].group;
		base = sg == FIELDS_VARIANT || sg == FIELDS_ITEM ? src->sub :
		    src->root;
		sv->own = jpath_get(t->spath[r->src], base);
	}
	if (sv->own != NULL)
		sv->j = sv->own;
	if (json_is_null(sv->j))
		sv->j = NULL;
}

/* An excerpt of s[0..n) for a message: control characters as '?', cut
 * on a character boundary with "..." when long. */
static void
excerpt(const char *s, size_t n, char *out, size_t len)
{
	size_t i, max = n;

	if (n >= len) {
		max = len - 4;
		while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
			max--;
	}
	for (i = 0; i < max; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	if (max < n)
		memcpy(out + i, "...", 3), i += 3;
	out[i] = '\0';
}

static void
out_err(struct tmpl_out *o, const struct tmpl *t, int d, const struct sv *sv,
    const char *msg)
{
	struct tmpl_err *e;
	const char *s = "";
	char num[48];
	size_t n = 0;

	if (strcmp(msg, "out of memory") == 0) {
		o->nomem = 1;
		return;
	}
	if (o->nerr++ >= TMPL_ERR_MAX)
		return;
	e = &o->err[o->nerr - 1];
	e->dest = d;
	e->field = t->fp->dests[d].name;
	if (sv != NULL && sv->text != NULL) {
		s = sv->text;
		n = strlen(s);
	} else if (sv != NULL && sv->j != NULL &&
	    scalar_text(sv->j, num, sizeof(num), &s, &n) < 0) {
		s = json_is_array(sv->j) ? "(an array)" : "(an object)";
		n = strlen(s);
	}
	excerpt(s, n, e->value, sizeof(e->value));
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

/* Place value (stolen) at destination d of the payload. */
static void
put_json(const struct tmpl *t, int d, json_t *value, int empty,
    struct tmpl_out *o)
{
	if (value == NULL || jpath_set(t->dpath[d], o->payload, value) < 0 ||
	    (t->cpath[d] != NULL && jpath_set(t->cpath[d], o->payload,
	    json_boolean(empty)) < 0)) {
		o->nomem = 1;
		return;
	}
	o->written |= BIT(d);
	if (empty)
		o->empty |= BIT(d);
}

static void
put_empty(const struct tmpl *t, int d, struct tmpl_out *o)
{
	enum fields_type type = t->fp->dests[d].type;

	if (t->fp->dir == FIELDS_TO_DB) {
		o->v[d] = NULL;
		o->written |= BIT(d);
		o->empty |= BIT(d);
		return;
	}
	put_json(t, d, (t->attr & BIT(d)) || type == FIELDS_TEXT ?
	    json_string("") : type == FIELDS_TEXT_ARRAY ? json_array() :
	    json_null(), 1, o);
}

static void
put_const(const struct tmpl *t, int d, const struct cval *cv,
    struct tmpl_out *o)
{
	if (t->fp->dir == FIELDS_TO_DB) {
		o->v[d] = cv->sql;
		o->written |= BIT(d);
		return;
	}
	/* Scalars are immutable and shared; containers are copied so the
	 * process may change its payload. */
	put_json(t, d, json_is_array(cv->json) || json_is_object(cv->json) ?
	    json_deep_copy(cv->json) : json_incref(cv->json), 0, o);
}

static void
put_value(const struct tmpl *t, int d, const struct sv *sv,
    struct tmpl_out *o)
{
	enum fields_type type = t->fp->dests[d].type;
	char msg[TMPL_MSG_MAX];
	const char *st;
	struct tv v;
	size_t off;
	json_t *jv;
	int rc;

	if (sv->j != NULL)
		rc = conv_json(type, sv->j, &v, &o->tmp, msg, sizeof(msg));
	else
		rc = conv_text(type, sv->text, strlen(sv->text), 1, &v, &o->tmp,
		    msg, sizeof(msg));
	if (rc < 0) {
		out_err(o, t, d, sv, msg);
		return;
	}
	if (t->fp->dir == FIELDS_TO_MAGENTO) {
		if ((jv = emit_json(&v, &o->tmp, msg, sizeof(msg))) == NULL)
			out_err(o, t, d, sv, msg);
		else
			put_json(t, d, jv, 0, o);
	} else if (emit_sql(&v, &o->buf, &o->tmp, &st, &off, msg,
	    sizeof(msg)) < 0) {
		o->buf.len = off;
		out_err(o, t, d, sv, msg);
	} else {
		if (st != NULL) {
			o->v[d] = st;
		} else {
			o->off[d] = off;
			o->inbuf |= BIT(d);
		}
		o->written |= BIT(d);
	}
	tv_release(&v);
}

static void
put_looked_up(const struct tmpl *t, int d, const struct cset *set,
    const struct sv *sv, struct tmpl_out *o)
{
	const struct centry *e;
	char num[48], msg[TMPL_MSG_MAX];
	const char *key;
	size_t n;

	if (sv->j != NULL) {
		if (scalar_text(sv->j, num, sizeof(num), &key, &n) < 0) {
			fmsg(msg, sizeof(msg), "is %s, which mapping set '%s' "
			    "cannot look up", json_kind(sv->j), set->name);
			out_err(o, t, d, sv, msg);
			return;
		}
	} else {
		key = sv->text;
	}
	if ((e = bsearch(key, set->e, set->n, sizeof(set->e[0]), key_cmp)) !=
	    NULL)
		put_const(t, d, &e->v, o);
	else if (set->has_def)
		put_const(t, d, &set->def, o);
	else {
		fmsg(msg, sizeof(msg), "is not in mapping set '%s', which has "
		    "no * default", set->name);
		out_err(o, t, d, sv, msg);
	}
}

static void
missing_err(const struct tmpl *t, int d, const struct rule *r,
    struct tmpl_out *o)
{
	char msg[TMPL_MSG_MAX];

	if (r->jp != NULL)
		fmsg(msg, sizeof(msg), "is required, and json:%.64s has no "
		    "value", jpath_text(r->jp));
	else
		fmsg(msg, sizeof(msg), "is required, and source '%s' has no "
		    "value", t->fp->srcs[r->src].name);
	out_err(o, t, d, NULL, msg);
}

static void
apply_one(const struct tmpl *t, enum fields_group g, int d,
    const struct tmpl_src *src, struct tmpl_out *o)
{
	const struct rule *r = &t->r[d];
	struct sv sv;

	switch (r->kind) {
	case TMPL_SKIP:
		return;
	case TMPL_EMPTY:
		put_empty(t, d, o);
		return;
	case TMPL_VALUE:
		put_const(t, d, &r->cv, o);
		return;
	default:
		break;
	}
	src_get(t, g, r, src, &sv);
	if (sv.j == NULL && sv.text == NULL) {
		if (t->fp->dests[d].flags & (FIELDS_REQUIRED |
		    FIELDS_REQUIRED_UNLESS_NONE))
			missing_err(t, d, r, o);
		else
			put_empty(t, d, o);
	} else if (r->kind == TMPL_FIELD) {
		put_value(t, d, &sv, o);
	} else {
		put_looked_up(t, d, r->set, &sv, o);
	}
	json_decref(sv.own);
}

int
tmpl_apply(const struct tmpl *t, enum fields_group g,
    const struct tmpl_src *src, struct tmpl_out *o)
{
	uint64_t m;
	int d;

	json_decref(o->payload);
	o->payload = NULL;
	memset(o->v, 0, sizeof(o->v));
	o->inbuf = o->written = o->empty = 0;
	o->nerr = 0;
	o->nomem = 0;
	o->buf.len = 0;
	if (t->fp->dir == FIELDS_TO_MAGENTO &&
	    (o->payload = json_object()) == NULL)
		return TMPL_ENOMEM;
	if ((int)g < 0 || g >= FIELDS_NGROUPS)
		return 0;
	for (m = t->gmask[g]; m != 0; m &= m - 1) {
		d = __builtin_ctzll(m);
		apply_one(t, g, d, src, o);
		if (o->nomem)
			return TMPL_ENOMEM;
	}
	/* The buffer may have moved while it grew: point into it now. */
	for (m = o->inbuf; m != 0; m &= m - 1) {
		d = __builtin_ctzll(m);
		o->v[d] = o->buf.p + o->off[d];
	}
	return o->nerr > 0 ? TMPL_EFIELD : 0;
}

uint64_t
tmpl_out_written(const struct tmpl_out *o)
{
	return o->written;
}

uint64_t
tmpl_out_empty(const struct tmpl_out *o)
{
	return o->empty;
}

const char *
tmpl_out_value(const struct tmpl_out *o, int dest)
{
	if (dest < 0 || dest >= FIELDS_MAX)
		return NULL;
	return o->v[dest];
}

json_t *
tmpl_out_payload(const struct tmpl_out *o)
{
	return o->payload;
}

json_t *
tmpl_out_take_payload(struct tmpl_out *o)
{
	json_t *p = o->payload;

	o->payload = NULL;
	return p;
}

size_t
tmpl_out_nerr(const struct tmpl_out *o)
{
	return o->nerr;
}

const struct tmpl_err *
tmpl_out_err(const struct tmpl_out *o, size_t i)
{
	if (i >= o->nerr || i >= TMPL_ERR_MAX)
		return NULL;
	return &o->err[i];
}

char *
tmpl_err_format(const struct tmpl_err *e, char *buf, size_t len)
{
	if (e->value[0] != '\0')
		snprintf(buf, len, "%s: '%s' %s", e->field, e->value, e->msg);
	else
		snprintf(buf, len, "%s: %s", e->field, e->msg);
	return buf;
}

json_t *
tmpl_to_json(enum fields_type t, const json_t *in, const char *text,
    char *err, size_t errlen)
{
	struct buf tmp = { NULL, 0, 0 };
	char msg[TMPL_MSG_MAX];
	json_t *r = NULL;
	struct tv v;
	int rc;

	if ((int)t < 0 || t >= FIELDS_NTYPES) {
		fmsg(err, errlen, "unknown type");
		return NULL;
	}
	if ((in == NULL && text == NULL) || json_is_null(in))
		return json_null();
	rc = in != NULL ? conv_json(t, in, &v, &tmp, msg, sizeof(msg)) :
	    conv_text(t, text, strlen(text), 1, &v, &tmp, msg, sizeof(msg));
	if (rc == 0) {
		r = emit_json(&v, &tmp, msg, sizeof(msg));
		tv_release(&v);
	}
	if (r == NULL)
		fmsg(err, errlen, "%s", msg);
	free(tmp.p);
	return r;
}

int
tmpl_to_sql(enum fields_type t, const json_t *in, const char *text,
    char *buf, size_t len, char *err, size_t errlen)
{
	struct buf b = { NULL, 0, 0 }, tmp = { NULL, 0, 0 };
	char msg[TMPL_MSG_MAX];
	const char *st, *s = NULL;
	struct tv v;
	size_t off;
	int rc;

	if ((int)t < 0 || t >= FIELDS_NTYPES) {
		fmsg(err, errlen, "unknown type");
		return -1;
	}
	if ((in == NULL && text == NULL) || json_is_null(in)) {
		fmsg(err, errlen, "missing");
		return -1;
	}
	rc = in != NULL ? conv_json(t, in, &v, &tmp, msg, sizeof(msg)) :
	    conv_text(t, text, strlen(text), 1, &v, &tmp, msg, sizeof(msg));
	if (rc == 0) {
		rc = emit_sql(&v, &b, &tmp, &st, &off, msg, sizeof(msg));
		s = st != NULL ? st : b.p + off;
		tv_release(&v);
	}
	if (rc == 0 && strlen(s) >= len) {
		fmsg(msg, sizeof(msg), "too long");
		rc = -1;
	}
	if (rc == 0)
		memcpy(buf, s, strlen(s) + 1);
	else
		fmsg(err, errlen, "%s", msg);
	free(b.p);
	free(tmp.p);
	return rc;
}

/* ---- the shipped defaults as text --------------------------------------- */

/* text as ';' comment lines of at most 78 columns, continuation lines
 * indented by indent. */
static int
comment(struct buf *b, size_t indent, const char *text)
{
	size_t col, w, lead = strspn(text, " ");
	const char *s = text + lead;
	int rc = buf_addc(b, ';');

	/* Leading blanks of text are kept: they indent a list. */
	rc |= buf_printf(b, "%*s", (int)lead, "");
	col = 1 + lead;
	while (rc == 0 && *s != '\0') {
		s += strspn(s, " ");
		if (*s == '\0')
			break;
		w = strcspn(s, " ");
		if (col > 1 + indent && col + 1 + w > 78) {
			rc |= buf_printf(b, "\n;%*s", (int)indent, "");
			col = 1 + indent;
		}
		rc |= buf_addc(b, ' ');
		rc |= buf_add(b, s, w);
		col += 1 + w;
		s += w;
	}
	return rc | buf_addc(b, '\n');
}

static const char *const group_heading[FIELDS_NGROUPS] = {
	[FIELDS_RECORD] = NULL,
	[FIELDS_VARIANT] = "variant.*: each child product of a configurable",
	[FIELDS_ITEM] = "item.*: each ordered product",
	[FIELDS_BILLING] = "billing.*: the billing address",
	[FIELDS_SHIPPING] = "shipping.*: the shipping address (none for "
	    "virtual orders)",
};

static int
render_sources(struct buf *b, const struct fields_proc *fp)
{
	const struct fields_src *s;
	char line[512];
	size_t i;
	int rc = 0;

	rc |= comment(b, 0, fp->dir == FIELDS_TO_DB ? "Sources (field:NAME, "
	    "set:SET:NAME), with where each is read in Magento's JSON:" :
	    "Sources (field:NAME, set:SET:NAME), with the column each is "
	    "read from (l = listings, v = listing_variants, s = shipments, "
	    "o = orders):");
	for (i = 0; i < fp->nsrcs; i++) {
		s = &fp->srcs[i];
		snprintf(line, sizeof(line), "  %s (%s): %s%s%s%s", s->name,
		    fields_type_name(s->type), s->path ? s->path :
		    s->column ? s->column : "computed",
		    s->note ? " - " : "", s->note ? s->note : "",
		    (s->flags & FIELDS_COMPUTED) && s->path ? " (else the "
		    "path)" : "");
		rc |= comment(b, 6, line);
	}
	if (fp->dir == FIELDS_TO_DB)
		rc |= comment(b, 6, "  json:PATH: any value of Magento's "
		    "JSON, e.g. json:extension_attributes.stock_item.min_qty, "
		    "json:custom_attributes.color (by attribute code), "
		    "json:media_gallery_entries[0].file");
	return rc;
}

static int
render_dest(struct buf *b, const struct fields_proc *fp, size_t i)
{
	const struct fields_dest *de = &fp->dests[i];
	const char *table = fp->group_target[de->group];
	char line[512];
	int rc = 0;

	snprintf(line, sizeof(line), "%s: %s, %s; %s %s%s%s%s%s",
	    de->label, fields_type_name(de->type),
	    (de->flags & FIELDS_REQUIRED) ? "Required" :
	    (de->flags & FIELDS_REQUIRED_UNLESS_NONE) ?
	    "Required unless master_sku = none" : "Optional",
	    fp->dir == FIELDS_TO_DB ? "column" : "in the", fp->dir ==
	    FIELDS_TO_DB ? "" : table ? table : "", fp->dir == FIELDS_TO_DB ?
	    "" : " at ", fp->dir == FIELDS_TO_DB && strchr(de->target, '.') ==
	    NULL ? table : de->target, fp->dir == FIELDS_TO_DB &&
	    strchr(de->target, '.') == NULL ? "." : "", fp->dir ==
	    FIELDS_TO_DB && strchr(de->target, '.') == NULL ? de->target : "");
	rc |= buf_addc(b, '\n');
	rc |= comment(b, 2, line);
	if (de->note != NULL)
		rc |= comment(b, 2, de->note);
	rc |= buf_printf(b, "%s = %s\n", de->name, de->rule);
	return rc;
}

char *
tmpl_default_text(enum proc p)
{
	const struct fields_proc *fp = fields_proc(p);
	struct buf b = { NULL, 0, 0 };
	char line[512];
	size_t i;
	int g, rc = 0;

	if (fp == NULL)
		return NULL;
	snprintf(line, sizeof(line), "%s.default - the shipped mapping "
	    "template of %s (%s).", pname(p), pname(p), fp->title);
	rc |= comment(&b, 0, line);
	rc |= comment(&b, 0, "magsync has it built in; this file is for "
	    "reading and copying, and is generated from magsync's field "
	    "catalogue. To change a mapping, write a [template NAME] with "
	    "process and base = this template, holding only the lines you "
	    "change, and set template = NAME in the job.");
	rc |= buf_add(&b, ";\n", 2);
	rc |= comment(&b, 0, "Rules: skip (not written) | empty (NULL, or "
	    "an empty value in Magento) | field:SOURCE | value:TEXT | "
	    "set:SETNAME:SOURCE (look the value up in a [mapping_set]; "
	    "* = default).");
	rc |= buf_add(&b, ";\n", 2);
	rc |= render_sources(&b, fp);
	rc |= buf_printf(&b, "\n[template %s.default]\nprocess = %s\n",
	    pname(p), pname(p));
	for (g = 0; g < FIELDS_NGROUPS; g++)
		for (i = 0; i < fp->ndests; i++) {
			if ((int)fp->dests[i].group != g)
				continue;
			if (group_heading[g] != NULL && (i == 0 ||
			    (int)fp->dests[i - 1].group != g)) {
				snprintf(line, sizeof(line), "---- %s ----",
				    group_heading[g]);
				rc |= buf_addc(&b, '\n');
				rc |= comment(&b, 0, line);
			}
			rc |= render_dest(&b, fp, i);
		}
	if (rc != 0) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
