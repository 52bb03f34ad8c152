/* cron.c - schedules: five-field cron with Vixie cron's semantics, macros,
 * @every and manual, and their next fire time in a zone.
 *
 * Fields compile to bit sets. cron_next walks wall-clock candidates in the
 * zone (skipping whole months, days and hours that cannot match) and maps
 * each through tz_from_wall; see cron.h for the DST rules that follow. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "diag.h"
#include "isotime.h"
#include "tz.h"

#define CRON_EXPR_MAX 1024
/* Durations above a century are certainly typos, and the bound keeps
 * every sum and multiple well inside int64. */
#define CRON_DURATION_MAX (100LL * 366 * 86400)
/* A schedule that has not fired after the 8th calendar year from now never
 * will (Feb 29 can be 8 years away: 2096 -> 2104). */
#define CRON_SEARCH_YEARS 8
/* Instants cron_next accepts: years 1 to 9990, so the search never leaves
 * the range isotime formats with four digits. */
#define CRON_T_MIN (-62135596800LL)
#define CRON_T_MAX (253086595200LL)

enum cron_kind { CRON_FIELDS, CRON_EVERY, CRON_MANUAL };

enum cron_field { CRON_MIN, CRON_HOUR, CRON_DOM, CRON_MON, CRON_DOW,
	CRON_NFIELDS };

struct cron {
	enum cron_kind kind;
	uint64_t bits[CRON_NFIELDS];	/* bit v set: value v matches */
	int dom_star, dow_star;		/* the field's text starts with '*' */
	int64_t every;			/* CRON_EVERY: seconds */
};

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec", NULL
};

static const char *const day_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

/* What each field accepts. Day-of-week runs 0-7 with both ends Sunday, as
 * in Vixie cron and cronie, so "1/2" is 1,3,5,7 (Sunday included) and
 * "5-7" is Friday to Sunday. A step is at most the field's cycle. */
static const struct cron_spec {
	const char *name;
	int lo, hi, step_max;
	const char *const *names;
	int name_base;			/* value of names[0] */
} specs[CRON_NFIELDS] = {
	{ "minute", 0, 59, 60, NULL, 0 },
	{ "hour", 0, 23, 24, NULL, 0 },
	{ "day-of-month", 1, 31, 31, NULL, 0 },
	{ "month", 1, 12, 12, month_names, 1 },
	{ "day-of-week", 0, 7, 7, day_names, 0 },
};

static const struct {
	const char *name;
	const char *expr;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};


static int
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static int
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int
lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Case-insensitive comparison of the n bytes at s with the word w. */
static int
word_eq(const char *s, size_t n, const char *w)
{
	size_t i;

	if (strlen(w) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower(s[i]) != w[i])
			return 0;
	return 1;
}

/* ---- durations ---------------------------------------------------------- */

int
cron_duration(const char *s, int allow_zero, int64_t *secs)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	int64_t total = 0, v;
	size_t next = 0, u;
	const char *p = s;

	if (s == NULL || !is_digit(*s))
		return -1;
	while (*p) {
		const char *num = p;

		if (!is_digit(*p))
			return -1;
		for (v = 0; is_digit(*p); p++) {
			v = v * 10 + (*p - '0');
			if (v > CRON_DURATION_MAX)
				return -1;
		}
		if (*p == '\0' && num == s) {
			total = v;	/* a bare number is seconds */
			break;
		}
		/* Units in decreasing order, each once: "1h30m", not "30m1h". */
		for (u = next; u < sizeof(units) / sizeof(units[0]); u++)
			if (units[u].unit == *p)
				break;
		if (u == sizeof(units) / sizeof(units[0]))
			return -1;
		total += v * units[u].secs;
		if (total > CRON_DURATION_MAX)
			return -1;
		next = u + 1;
		p++;
	}
	if (total == 0 && !allow_zero)
		return -1;
	*secs = total;
	return 0;
}

/* ---- parsing ------------------------------------------------------------ */

/* A number or (month, day-of-week) a name, at *sp up to one of "-/,".
 * The message names the token so the admin can find it. */
static int
parse_value(const struct cron_spec *f, const char **sp, const char *end,
    int *out, char *err, size_t errlen)
{
	const char *s = *sp, *e = s;
	int v = 0, i;

	while (e < end && *e != '-' && *e != '/' && *e != ',')
		e++;
	if (e == s) {
		diag_seterr(err, errlen, "%s field: a number is missing", f->name);
		return -1;
	}
	if (is_digit(*s)) {
		const char *p;

		for (p = s; p < e && is_digit(*p); p++)
			if (v < 1000)
				v = v * 10 + (*p - '0');
		if (p != e)
			goto bad;
		if (v < f->lo || v > f->hi) {
			diag_seterr(err, errlen, "%s field: %.*s is out of range "
			    "%d-%d", f->name, (int)(e - s), s, f->lo, f->hi);
			return -1;
		}
		*out = v;
		*sp = e;
		return 0;
	}
	for (i = 0; f->names && f->names[i]; i++) {
		if (word_eq(s, (size_t)(e - s), f->names[i])) {
			*out = i + f->name_base;
			*sp = e;
			return 0;
		}
	}
bad:
	if (f->names == NULL)
		diag_seterr(err, errlen, "%s field: \"%.*s\" is not a number",
		    f->name, (int)(e - s), s);
	else
		diag_seterr(err, errlen, "%s field: \"%.*s\" is not a number or %s "
		    "name (%s-%s)", f->name, (int)(e - s), s,
		    f->names == month_names ? "month" : "day",
		    f->names[0], f->names == month_names ? "dec" : "sat");
	return -1;
}

/* One list item: "*", "v", "a-b", each optionally "/step". */
static int
parse_item(const struct cron_spec *f, const char *s, const char *end,
    uint64_t *bits, char *err, size_t errlen)
{
	int a, b, step = 1, v;
	int single = 0;

	if (s == end) {
		diag_seterr(err, errlen, "%s field: empty item in list", f->name);
		return -1;
	}
	if (*s == '*') {
		a = f->lo;
		b = f->hi;
		s++;
	} else {
		if (parse_value(f, &s, end, &a, err, errlen) < 0)
			return -1;
		b = a;
		single = 1;
		if (s < end && *s == '-') {
			s++;
			if (parse_value(f, &s, end, &b, err, errlen) < 0)
				return -1;
			single = 0;
			if (b < a) {
				diag_seterr(err, errlen, "%s field: range %d-%d is "
				    "backwards%s", f->name, a, b,
				    f->names == day_names ? " (write Sunday "
				    "as 7 to end a range with it)" : "");
				return -1;
			}
		}
	}
	if (s < end && *s == '/') {
		const char *p = ++s;

		for (step = 0; p < end && is_digit(*p); p++)
			if (step < 1000)
				step = step * 10 + (*p - '0');
		if (p == s || p != end) {
			diag_seterr(err, errlen, "%s field: step \"%.*s\" is not a "
			    "number", f->name, (int)(end - s), s);
			return -1;
		}
		if (step < 1 || step > f->step_max) {
			diag_seterr(err, errlen, "%s field: step %.*s is out of "
			    "range 1-%d", f->name, (int)(end - s), s,
			    f->step_max);
			return -1;
		}
		/* "a/n" is "a-max/n", as in cronie. */
		if (single)
			b = f->hi;
		s = p;
	}
	if (s != end) {
		diag_seterr(err, errlen, "%s field: unexpected \"%.*s\"", f->name,
		    (int)(end - s), s);
		return -1;
	}
	for (v = a; v <= b; v += step)
		*bits |= 1ULL << v;
	return 0;
}

static int
parse_field(struct cron *c, enum cron_field which, const char *s,
    const char *end, char *err, size_t errlen)
{
	const struct cron_spec *f = &specs[which];
	uint64_t bits = 0;
	const char *item = s, *p;

	for (p = s;; p++) {
		if (p == end || *p == ',') {
			if (parse_item(f, item, p, &bits, err, errlen) < 0)
				return -1;
			if (p == end)
				break;
			item = p + 1;
		}
	}
	if (which == CRON_DOW && (bits & 1ULL << 7))
		bits = (bits & ~(1ULL << 7)) | 1;	/* 7 is Sunday */
	if (bits == 0) {
		/* Every item sets at least one value; this guards the search
		 * loops, which assume each field matches something. */
		diag_seterr(err, errlen, "%s field: matches nothing", f->name);
		return -1;
	}
	c->bits[which] = bits;
	if (which == CRON_DOM)
		c->dom_star = *s == '*';
	if (which == CRON_DOW)
		c->dow_star = *s == '*';
	return 0;
}

static int
parse_fields(struct cron *c, const char *expr, char *err, size_t errlen)
{
	const char *start[CRON_NFIELDS], *end[CRON_NFIELDS], *p = expr;
	int n = 0, i;

	for (;;) {
		while (is_space(*p))
			p++;
		if (*p == '\0')
			break;
		if (n == CRON_NFIELDS) {
			diag_seterr(err, errlen, "too many fields: expected 5 "
			    "(minute hour day-of-month month day-of-week)");
			return -1;
		}
		start[n] = p;
		while (*p && !is_space(*p))
			p++;
		end[n++] = p;
	}
	if (n < CRON_NFIELDS) {
		diag_seterr(err, errlen, "expected 5 fields (minute hour "
		    "day-of-month month day-of-week), got %d", n);
		return -1;
	}
	for (i = 0; i < CRON_NFIELDS; i++)
		if (parse_field(c, (enum cron_field)i, start[i], end[i], err,
		    errlen) < 0)
			return -1;
	c->kind = CRON_FIELDS;
	return 0;
}

static int
parse_every(struct cron *c, const char *arg, char *err, size_t errlen)
{
	const char *s = arg, *e;
	char buf[64];

	while (is_space(*s))
		s++;
	for (e = s; *e && !is_space(*e); e++)
		;
	if (e == s) {
		diag_seterr(err, errlen, "@every needs a duration, e.g. "
		    "\"@every 15m\"");
		return -1;
	}
	if ((size_t)(e - s) >= sizeof(buf)) {
		diag_seterr(err, errlen, "@every: duration too long");
		return -1;
	}
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	while (is_space(*e))
		e++;
	if (*e != '\0') {
		diag_seterr(err, errlen, "@every takes one duration, got more "
		    "after \"%s\"", buf);
		return -1;
	}
	if (cron_duration(buf, 0, &c->every) < 0) {
		diag_seterr(err, errlen, "@every: \"%s\" is not a duration above "
		    "zero (use s, m, h, d: 30s, 5m, 1h30m, 7d)", buf);
		return -1;
	}
	c->kind = CRON_EVERY;
	return 0;
}

/* Macros and keywords: "@daily", "@every 5m", "manual". Returns 1 when the
 * expression was one (parsed or failed: see *rc), 0 when it is fields. */
static int
parse_word(struct cron *c, const char *expr, int *rc, char *err,
    size_t errlen)
{
	const char *e = expr;
	size_t n, i;

	while (*e && !is_space(*e))
		e++;
	n = (size_t)(e - expr);
	if (word_eq(expr, n, "manual")) {
		while (is_space(*e))
			e++;
		*rc = 0;
		c->kind = CRON_MANUAL;
		if (*e != '\0') {
			diag_seterr(err, errlen, "manual takes no arguments");
			*rc = -1;
		}
		return 1;
	}
	if (*expr != '@')
		return 0;
	if (word_eq(expr, n, "@every")) {
		*rc = parse_every(c, e, err, errlen);
		return 1;
	}
	for (i = 0; i < sizeof(macros) / sizeof(macros[0]); i++) {
		if (!word_eq(expr, n, macros[i].name))
			continue;
		while (is_space(*e))
			e++;
		if (*e != '\0') {
			diag_seterr(err, errlen, "%s takes no arguments",
			    macros[i].name);
			*rc = -1;
			return 1;
		}
		*rc = parse_fields(c, macros[i].expr, err, errlen);
		return 1;
	}
	if (word_eq(expr, n, "@reboot"))
		diag_seterr(err, errlen, "@reboot is not supported (use "
		    "catch_up, or \"manual\" and run it from systemd)");
	else
		diag_seterr(err, errlen, "unknown macro \"%.*s\" (known: @yearly "
		    "@annually @monthly @weekly @daily @midnight @hourly "
		    "@every)", (int)(n > 40 ? 40 : n), expr);
	*rc = -1;
	return 1;
}

struct cron *
cron_parse(const char *expr, char *err, size_t errlen)
{
	struct cron *c;
	int rc = 0;

	if (expr == NULL)
		expr = "";
	while (is_space(*expr))
		expr++;
	if (*expr == '\0') {
		diag_seterr(err, errlen, "empty schedule");
		return NULL;
	}
	if (strlen(expr) > CRON_EXPR_MAX) {
		diag_seterr(err, errlen, "schedule longer than %d characters",
		    CRON_EXPR_MAX);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		diag_seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (!parse_word(c, expr, &rc, err, errlen))
		rc = parse_fields(c, expr, err, errlen);
	if (rc < 0) {
		free(c);
		return NULL;
	}
	return c;
}

void
cron_free(struct cron *c)
{
	free(c);
}

int
cron_is_manual(const struct cron *c)
{
	return c->kind == CRON_MANUAL;
}

/* ---- next fire time ----------------------------------------------------- */

static int
has(const struct cron *c, enum cron_field f, int v)
{
	return (c->bits[f] >> v) & 1;
}

/* The smallest member of field f that is >= v, or -1. */
static int
next_in(const struct cron *c, enum cron_field f, int v)
{
	uint64_t rest;

	if (v > 63)
		return -1;
	rest = c->bits[f] >> v;
	if (rest == 0)
		return -1;
	return v + __builtin_ctzll(rest);
}

/* Vixie cron: if either day field starts with '*', both must match;
 * otherwise either may. */
static int
day_matches(const struct cron *c, const struct civil *cv)
{
	int dom = has(c, CRON_DOM, cv->day), dow = has(c, CRON_DOW, cv->wday);

	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}

/* Recompute a civil time after a field was pushed past its range. */
static void
normalise(struct civil *cv)
{
	isotime_to_civil(isotime_from_civil(cv), cv);
}

/* The first wall-clock minute >= *w (wall-as-UTC seconds, minute aligned)
 * that the fields match, into *w; -1 if there is none up to the end of
 * year last_year. Whole months, days and hours that cannot match are
 * skipped in one step each. */
static int
next_wall(const struct cron *c, int64_t *w, int last_year)
{
	struct civil cv;
	int v;

	isotime_to_civil(*w, &cv);
	while (cv.year <= last_year) {
		if (!has(c, CRON_MON, cv.month)) {
			v = next_in(c, CRON_MON, cv.month);
			if (v < 0) {
				cv.year++;
				if ((v = next_in(c, CRON_MON, 1)) < 0)
					return -1;	/* no months at all */
			}
			cv.month = v;
			cv.day = 1;
			cv.hour = cv.min = 0;
			normalise(&cv);
			continue;
		}
		if (!day_matches(c, &cv)) {
			cv.day++;
			cv.hour = cv.min = 0;
			normalise(&cv);
			continue;
		}
		if (!has(c, CRON_HOUR, cv.hour)) {
			v = next_in(c, CRON_HOUR, cv.hour);
			if (v < 0) {
				cv.day++;
				v = 0;
			}
			cv.hour = v;
			cv.min = 0;
			normalise(&cv);
			continue;
		}
		v = next_in(c, CRON_MIN, cv.min);
		if (v < 0) {
			cv.hour++;
			cv.min = 0;
			normalise(&cv);
			continue;
		}
		cv.min = v;
		*w = isotime_from_civil(&cv);
		return 0;
	}
	return -1;
}

static int
next_every(const struct cron *c, int64_t after, int64_t *next)
{
	int64_t q = after / c->every;

	if (after % c->every < 0)
		q--;		/* floor, not truncation, before 1970 */
	if (q >= (INT64_MAX / c->every) - 1)
		return -1;
	*next = (q + 1) * c->every;
	return 0;
}

int
cron_next(const struct cron *c, const struct tz *z, int64_t after,
    int64_t *next)
{
	struct civil cv;
	int64_t w, t;
	int last_year;

	if (c->kind == CRON_MANUAL)
		return -1;
	if (c->kind == CRON_EVERY)
		return next_every(c, after, next);
	if (after < CRON_T_MIN || after > CRON_T_MAX)
		return -1;
	/* Start at the wall minute showing `after`. Earlier wall times map
	 * to instants <= after (the wall->instant mapping below never goes
	 * backwards), so nothing is missed. */
	w = after + (z ? tz_offset(z, after) : 0);
	w -= ((w % 60) + 60) % 60;
	isotime_to_civil(w, &cv);
	last_year = cv.year + CRON_SEARCH_YEARS;
	for (;;) {
		if (next_wall(c, &w, last_year) < 0)
			return -1;
		/* One instant per wall time: the only one, the first of a
		 * repeated one, or the jump that skipped it. */
		if (z == NULL)
			t = w;
		else
			(void)tz_from_wall(z, w, &t, NULL);
		if (t > after) {
			*next = t;
			return 0;
		}
		w += 60;
	}
}
