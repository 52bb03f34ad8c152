/* tz.c - time zones from TZif bytes (RFC 8536) and POSIX TZ rules.
 *
 * A zone is a sorted table of transitions (instant -> offset) followed by a
 * POSIX rule that extends it forever. Debian ships "fat" TZif files (the
 * table runs to 2037) but slim ones (a short table, the rule does the rest)
 * work the same way: everything goes through one "offset at t, and when it
 * next changes" primitive, on which tz_from_wall is built. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "diag.h"
#include "tz.h"

/* RFC 8536 says offsets SHOULD stay within -25:59:59..+25:59:59; anything
 * beyond is refused so wall-clock arithmetic has a fixed window. */
#define TZ_OFF_MAX 93599
#define TZ_WINDOW (TZ_OFF_MAX + 1)
#define TZ_NEVER INT64_MAX
/* Instants beyond +-10^14 s (about three million years) are looked up as
 * if at that bound: no zone data means anything there, and the bound keeps
 * every sum below inside int64 and every year inside int. */
#define TZ_T_LIMIT 100000000000000LL

enum tz_date_kind { TZ_JULIAN1, TZ_JULIAN0, TZ_MWD };

/* One end of the DST period of a POSIX rule. */
struct tz_date {
	enum tz_date_kind kind;
	int day;		/* J: 1-365; n: 0-365; M: weekday 0-6 */
	int month, week;	/* M form only */
	int secs;		/* local time of day; v3 allows -167h..167h */
};

struct tz_rule {
	int std_off, dst_off;	/* seconds east */
	int has_dst;
	struct tz_date start, end;
};

struct tz {
	char *name;
	size_t ntrans;
	int64_t *trans;		/* ascending instants */
	int *trans_off;		/* offset from trans[i] on */
	int first_off;		/* before trans[0] (time type 0) */
	int has_rule;
	struct tz_rule rule;
};


static struct tz *
tz_alloc(const char *name)
{
	struct tz *z = calloc(1, sizeof(*z));

	if (z == NULL)
		return NULL;
	z->name = strdup(name ? name : "");
	if (z->name == NULL) {
		free(z);
		return NULL;
	}
	return z;
}

void
tz_free(struct tz *z)
{
	if (z == NULL)
		return;
	free(z->name);
	free(z->trans);
	free(z->trans_off);
	free(z);
}

const char *
tz_name(const struct tz *z)
{
	return z->name;
}

struct tz *
tz_utc(void)
{
	return tz_alloc("UTC");
}

/* ---- POSIX TZ rules ------------------------------------------------- */

/* An abbreviation: three or more letters, or <...> of letters, digits,
 * '+' and '-' (RFC 8536 3.3 and POSIX). */
static int
rule_name(const char **sp)
{
	const char *s = *sp;
	size_t n = 0;

	if (*s == '<') {
		for (s++; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '+' || *s == '-'; s++)
			n++;
		if (*s != '>' || n < 3)
			return -1;
		*sp = s + 1;
		return 0;
	}
	for (; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'); s++)
		n++;
	if (n < 3)
		return -1;
	*sp = s;
	return 0;
}

static int
rule_num(const char **sp, int max, int *out)
{
	const char *s = *sp;
	int v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		if (v > max)
			return -1;
	}
	*sp = s;
	*out = v;
	return 0;
}

/* [+-]hh[:mm[:ss]] in seconds; hours up to maxh. */
static int
rule_hms(const char **sp, int maxh, int *out)
{
	const char *s = *sp;
	int sign = 1, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (rule_num(&s, maxh, &h) < 0)
		return -1;
	if (*s == ':') {
		s++;
		if (rule_num(&s, 59, &m) < 0)
			return -1;
		if (*s == ':') {
			s++;
			if (rule_num(&s, 59, &sec) < 0)
				return -1;
		}
	}
	*sp = s;
	*out = sign * (h * 3600 + m * 60 + sec);
	return 0;
}

static int
rule_date(const char **sp, struct tz_date *d)
{
	const char *s = *sp;

	if (*s == 'J') {
		s++;
		d->kind = TZ_JULIAN1;
		if (rule_num(&s, 365, &d->day) < 0 || d->day < 1)
			return -1;
	} else if (*s == 'M') {
		s++;
		d->kind = TZ_MWD;
		if (rule_num(&s, 12, &d->month) < 0 || d->month < 1 ||
		    *s++ != '.' || rule_num(&s, 5, &d->week) < 0 ||
		    d->week < 1 || *s++ != '.' || rule_num(&s, 6, &d->day) < 0)
			return -1;
	} else {
		d->kind = TZ_JULIAN0;
		if (rule_num(&s, 365, &d->day) < 0)
			return -1;
	}
	d->secs = 7200;		/* default 02:00 local */
	if (*s == '/') {
		s++;
		if (rule_hms(&s, 167, &d->secs) < 0)
			return -1;
	}
	*sp = s;
	return 0;
}

static int
rule_parse(const char *s, struct tz_rule *r)
{
	int off;

	memset(r, 0, sizeof(*r));
	if (rule_name(&s) < 0 || rule_hms(&s, 24, &off) < 0)
		return -1;
	r->std_off = -off;	/* POSIX counts west, we count east */
	r->dst_off = r->std_off;
	if (*s == '\0')
		return 0;
	if (rule_name(&s) < 0)
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if (rule_hms(&s, 24, &off) < 0)
			return -1;
		r->dst_off = -off;
	}
	if (*s == '\0') {
		/* No dates: POSIX leaves them to the implementation; the
		 * customary choice is the current US rule. */
		r->start = (struct tz_date){ TZ_MWD, 0, 3, 2, 7200 };
		r->end = (struct tz_date){ TZ_MWD, 0, 11, 1, 7200 };
		return 0;
	}
	if (*s++ != ',' || rule_date(&s, &r->start) < 0 || *s++ != ',' ||
	    rule_date(&s, &r->end) < 0 || *s != '\0')
		return -1;
	return 0;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const unsigned char days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Local wall time (as seconds, wall-as-UTC) at which date d falls in year
 * y. Called ten times per lookup past the table, so it stays cheap: one
 * civil conversion, weekday by arithmetic. */
static int64_t
rule_wall(const struct tz_date *d, int y)
{
	struct civil c = { y, d->kind == TZ_MWD ? d->month : 1, 1, 0, 0, 0, 0 };
	int64_t start = isotime_from_civil(&c), days, day;
	int wday, dom, mdays;

	switch (d->kind) {
	case TZ_JULIAN1:
		/* Feb 29 is never counted: day 60 is always March 1. */
		day = d->day - 1;
		if (d->day >= 60 && is_leap(y))
			day++;
		break;
	case TZ_JULIAN0:
		day = d->day;
		break;
	default:
		days = start / 86400;	/* exact: start is a midnight */
		wday = (int)(((days + 4) % 7 + 7) % 7);	/* 1970-01-01: Thu */
		mdays = days_in_month(y, d->month);
		dom = 1 + (d->day - wday + 7) % 7 + (d->week - 1) * 7;
		while (dom > mdays)
			dom -= 7;
		day = dom - 1;
		break;
	}
	return start + day * 86400 + d->secs;
}

struct tz_event {
	int64_t at;
	int dst;		/* state from `at` on */
};

#define TZ_YEARS 5
#define TZ_EVENTS (2 * TZ_YEARS)

/* The DST start and end instants of years y-2 .. y+2, sorted; ends sort
 * before starts at the same instant so "DST all year" rules stay in DST. */
static void
rule_events(const struct tz_rule *r, int y, struct tz_event ev[TZ_EVENTS])
{
	int i, j;

	for (i = 0; i < TZ_YEARS; i++) {
		ev[2 * i].at = rule_wall(&r->start, y - 2 + i) - r->std_off;
		ev[2 * i].dst = 1;
		ev[2 * i + 1].at = rule_wall(&r->end, y - 2 + i) - r->dst_off;
		ev[2 * i + 1].dst = 0;
	}
	for (i = 1; i < TZ_EVENTS; i++) {
		struct tz_event e = ev[i];

		for (j = i; j > 0 && (ev[j - 1].at > e.at ||
		    (ev[j - 1].at == e.at && ev[j - 1].dst > e.dst)); j--)
			ev[j] = ev[j - 1];
		ev[j] = e;
	}
}

/* Offset at t under the rule, and the next instant > t it changes. */
static int
rule_offset(const struct tz_rule *r, int64_t t, int64_t *next)
{
	struct tz_event ev[TZ_EVENTS];
	struct civil c;
	int i, dst;

	*next = TZ_NEVER;
	if (!r->has_dst)
		return r->std_off;
	isotime_to_civil(t + r->std_off, &c);
	rule_events(r, c.year, ev);
	/* Year y-2's events lie before t even when a v3 time pushes them
	 * 167 hours on, so ev[0] is in the past and sets the state. */
	dst = ev[0].dst;
	for (i = 1; i < TZ_EVENTS && ev[i].at <= t; i++)
		dst = ev[i].dst;
	/* The next event that changes the state. A permanent-DST rule's
	 * end/start pair at one instant still reports a boundary there, with
	 * equal offsets on both sides; callers treat that as no change. */
	for (; i < TZ_EVENTS; i++) {
		if (ev[i].dst != dst) {
			*next = ev[i].at;
			break;
		}
	}
	return dst ? r->dst_off : r->std_off;
}

struct tz *
tz_from_posix(const char *name, const char *rule, char *err, size_t errlen)
{
	struct tz *z;
	struct tz_rule r;

	if (rule == NULL || rule_parse(rule, &r) < 0) {
		diag_seterr(err, errlen, "invalid POSIX TZ rule \"%s\"",
		    rule ? rule : "(null)");
		return NULL;
	}
	if (r.std_off < -TZ_OFF_MAX || r.std_off > TZ_OFF_MAX ||
	    r.dst_off < -TZ_OFF_MAX || r.dst_off > TZ_OFF_MAX) {
		diag_seterr(err, errlen, "POSIX TZ rule \"%s\": offset out of range",
		    rule);
		return NULL;
	}
	if ((z = tz_alloc(name ? name : rule)) == NULL) {
		diag_seterr(err, errlen, "out of memory");
		return NULL;
	}
	z->has_rule = 1;
	z->rule = r;
	z->first_off = r.std_off;
	return z;
}

/* ---- lookup ----------------------------------------------------------- */

/* Offset at t and the next instant > t where it may change. */
static int
offset_next(const struct tz *z, int64_t t, int64_t *next)
{
	size_t lo, hi;

	*next = TZ_NEVER;
	if (t > TZ_T_LIMIT)
		t = TZ_T_LIMIT;
	if (t < -TZ_T_LIMIT)
		t = -TZ_T_LIMIT;
	if (z->ntrans == 0) {
		if (z->has_rule)
			return rule_offset(&z->rule, t, next);
		return z->first_off;
	}
	if (t < z->trans[0]) {
		*next = z->trans[0];
		return z->first_off;
	}
	if (t >= z->trans[z->ntrans - 1]) {
		if (z->has_rule)
			return rule_offset(&z->rule, t, next);
		return z->trans_off[z->ntrans - 1];
	}
	/* trans[lo] <= t < trans[hi] */
	lo = 0;
	hi = z->ntrans - 1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	*next = z->trans[hi];
	return z->trans_off[lo];
}

int
tz_offset(const struct tz *z, int64_t t)
{
	int64_t next;

	if (z == NULL)
		return 0;
	return offset_next(z, t, &next);
}

int
tz_from_wall(const struct tz *z, int64_t wall, int64_t *first,
    int64_t *second)
{
	int64_t t, end, next, got[2];
	int64_t jump = TZ_NEVER;
	int n = 0, off, prev_off = 0, have_prev = 0;

	if (z == NULL || wall > TZ_T_LIMIT - TZ_WINDOW ||
	    wall < -TZ_T_LIMIT + TZ_WINDOW) {
		/* UTC, or so far out that only the bound's offset applies:
		 * one instant, computed without overflowing. */
		off = tz_offset(z, wall);
		if ((off > 0 && wall < INT64_MIN + off) ||
		    (off < 0 && wall > INT64_MAX + off))
			off = 0;
		*first = wall - off;
		return 1;
	}
	t = wall - TZ_WINDOW;
	end = wall + TZ_WINDOW;
	/* Walk the intervals of constant offset covering every instant that
	 * could show this wall time; each interval holds at most one. */
	while (t <= end) {
		off = offset_next(z, t, &next);
		if (have_prev && off > prev_off && jump == TZ_NEVER &&
		    wall >= t + prev_off && wall < t + off)
			jump = t;	/* spring forward at t skipped it */
		if (wall - off >= t && (next == TZ_NEVER || wall - off < next) &&
		    n < 2)
			got[n++] = wall - off;
		if (next == TZ_NEVER)
			break;
		prev_off = off;
		have_prev = 1;
		t = next;
	}
	if (n == 0) {
		/* The window always covers a gap's jump; the fallback only
		 * guards against malformed tables. */
		*first = jump != TZ_NEVER ? jump : wall - tz_offset(z, wall);
		return 0;
	}
	*first = got[0];
	if (n == 2 && second != NULL)
		*second = got[1];
	return n;
}

int
tz_name_valid(const char *name)
{
	const char *p;

	if (name == NULL || *name == '\0' || *name == '/' ||
	    strlen(name) > 255)
		return 0;
	for (p = name; *p; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' ||
		    *p == '-' || *p == '+'))
			return 0;
		if (*p == '/' && (p[1] == '/' || p[1] == '\0'))
			return 0;
	}
	return 1;
}

/* ---- TZif ------------------------------------------------------------- */

struct tzif_hdr {
	int version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int
tzif_header(const unsigned char *p, size_t len, struct tzif_hdr *h)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	/* Versions past 4 keep the v2 layout (RFC 8536 section 3.1). */
	if (p[4] != 0 && (p[4] < '2' || p[4] > '9'))
		return -1;
	h->version = p[4] == 0 ? 1 : p[4] - '0';
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return 0;
}

/* Size of a data block after its header, in 64-bit arithmetic so hostile
 * counts cannot wrap. */
static uint64_t
tzif_body_len(const struct tzif_hdr *h, int tsize)
{
	return (uint64_t)h->timecnt * (uint64_t)tsize + h->timecnt +
	    (uint64_t)h->typecnt * 6 + h->charcnt +
	    (uint64_t)h->leapcnt * (uint64_t)(tsize + 4) + h->isstdcnt +
	    h->isutcnt;
}

static int
tzif_body(struct tz *z, const struct tzif_hdr *h, const unsigned char *p,
    int tsize, char *err, size_t errlen)
{
	const unsigned char *times = p, *idx = p + (size_t)h->timecnt * tsize;
	const unsigned char *types = idx + h->timecnt;
	uint32_t i;

	if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0 ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt)) {
		diag_seterr(err, errlen, "TZif: inconsistent counts");
		return -1;
	}
	if (h->leapcnt != 0) {
		diag_seterr(err, errlen, "TZif: leap-second zones (right/...) "
		    "are not supported");
		return -1;
	}
	for (i = 0; i < h->typecnt; i++) {
		int32_t off = (int32_t)be32(types + 6 * i);

		if (off < -TZ_OFF_MAX || off > TZ_OFF_MAX ||
		    types[6 * i + 4] > 1 || types[6 * i + 5] >= h->charcnt) {
			diag_seterr(err, errlen, "TZif: bad local time type %u",
			    (unsigned)i);
			return -1;
		}
	}
	z->first_off = (int32_t)be32(types);
	if (h->timecnt == 0)
		return 0;
	z->trans = calloc(h->timecnt, sizeof(*z->trans));
	z->trans_off = calloc(h->timecnt, sizeof(*z->trans_off));
	if (z->trans == NULL || z->trans_off == NULL) {
		diag_seterr(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < h->timecnt; i++) {
		int64_t t = tsize == 8 ? be64(times + 8 * (size_t)i) :
		    (int32_t)be32(times + 4 * (size_t)i);

		if (idx[i] >= h->typecnt || (i > 0 && t <= z->trans[i - 1])) {
			diag_seterr(err, errlen, "TZif: bad transition %u",
			    (unsigned)i);
			return -1;
		}
		z->trans[i] = t;
		z->trans_off[i] = (int32_t)be32(types + 6 * idx[i]);
	}
	z->ntrans = h->timecnt;
	return 0;
}

struct tz *
tz_from_tzif(const char *name, const unsigned char *data, size_t len,
    char *err, size_t errlen)
{
	struct tzif_hdr h;
	struct tz *z = NULL;
	uint64_t body;
	const unsigned char *p = data;
	size_t left = len;
	char rule[256];

	if (data == NULL || tzif_header(p, left, &h) < 0) {
		diag_seterr(err, errlen, "not TZif data");
		return NULL;
	}
	body = tzif_body_len(&h, 4);
	if (body > left - 44) {
		diag_seterr(err, errlen, "TZif: truncated");
		return NULL;
	}
	if ((z = tz_alloc(name)) == NULL) {
		diag_seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (h.version == 1) {
		if (tzif_body(z, &h, p + 44, 4, err, errlen) < 0)
			goto fail;
		return z;
	}
	/* v2+: skip the 32-bit block, use the 64-bit one and the footer. */
	p += 44 + body;
	left -= 44 + body;
	if (tzif_header(p, left, &h) < 0 || h.version < 2) {
		diag_seterr(err, errlen, "TZif: bad second header");
		goto fail;
	}
	body = tzif_body_len(&h, 8);
	if (body > left - 44) {
		diag_seterr(err, errlen, "TZif: truncated");
		goto fail;
	}
	if (tzif_body(z, &h, p + 44, 8, err, errlen) < 0)
		goto fail;
	p += 44 + body;
	left -= 44 + body;
	if (left < 2 || p[0] != '\n') {
		diag_seterr(err, errlen, "TZif: missing footer");
		goto fail;
	}
	{
		const unsigned char *nl = memchr(p + 1, '\n', left - 1);
		size_t n;

		if (nl == NULL || (n = (size_t)(nl - p - 1)) >= sizeof(rule)) {
			diag_seterr(err, errlen, "TZif: bad footer");
			goto fail;
		}
		memcpy(rule, p + 1, n);
		rule[n] = '\0';
	}
	if (rule[0] != '\0') {
		if (rule_parse(rule, &z->rule) < 0 ||
		    z->rule.std_off < -TZ_OFF_MAX ||
		    z->rule.std_off > TZ_OFF_MAX ||
		    z->rule.dst_off < -TZ_OFF_MAX ||
		    z->rule.dst_off > TZ_OFF_MAX) {
			diag_seterr(err, errlen, "TZif: bad footer rule \"%s\"",
			    rule);
			goto fail;
		}
		z->has_rule = 1;
	}
	return z;
fail:
	tz_free(z);
	return NULL;
}
