/* retry.c - the HTTP engine's retry rules: which failures are transient,
 * how long to wait, and what a Retry-After header means. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "isotime.h"
#include "retry.h"

/* Longest delta-seconds we read before saturating: far beyond any cap, far
 * below int64 overflow once turned into milliseconds. */
#define RETRY_SECS_MAX	1000000000000LL

void
retry_policy_init(struct retry_policy *p, int max_attempts)
{
	p->max_attempts = max_attempts < 1 ? 1 : max_attempts;
	p->base_ms = RETRY_BASE_MS;
	p->cap_ms = RETRY_CAP_MS;
	p->retry_after_cap_ms = RETRY_AFTER_CAP_MS;
}

/* Statuses that say the store did not act on the request, so even a POST
 * may be repeated: 408 (it gave up reading it), 429 (rate limit), 503
 * (maintenance mode, overload). */
static int
status_not_acted(int status)
{
	return status == 408 || status == 429 || status == 503;
}

int
retry_transient(const struct retry_attempt *a)
{
	switch (a->outcome) {
	case RETRY_RESPONSE:
		if (status_not_acted(a->status))
			return 1;
		return a->status >= 500 && a->status <= 599 && a->idempotent;
	case RETRY_NOT_SENT:
		return 1;
	case RETRY_LOST:
		return a->idempotent != 0;
	case RETRY_FATAL:
		return 0;
	}
	return 0;
}

int64_t
retry_backoff_ms(const struct retry_policy *p, int attempt, uint32_t rnd)
{
	int64_t ceiling = p->base_ms;
	int i;

	for (i = 1; i < attempt && ceiling < p->cap_ms; i++)
		ceiling *= 2;
	if (ceiling > p->cap_ms)
		ceiling = p->cap_ms;
	if (ceiling <= 0)
		return 0;
	/* Scale 32 random bits onto [0, ceiling]: no modulo bias, and the
	 * product cannot overflow while ceiling stays below 2^31. */
	return (int64_t)(((uint64_t)(ceiling + 1) * rnd) >> 32);
}

int
retry_next(const struct retry_policy *p, const struct retry_attempt *a,
    uint32_t rnd, int64_t *delay_ms)
{
	if (!retry_transient(a) || a->attempt >= p->max_attempts)
		return 0;
	if (a->outcome == RETRY_RESPONSE && a->retry_after_ms >= 0 &&
	    (a->status == 429 || a->status == 503)) {
		*delay_ms = a->retry_after_ms < p->retry_after_cap_ms ?
		    a->retry_after_ms : p->retry_after_cap_ms;
		return 1;
	}
	*delay_ms = retry_backoff_ms(p, a->attempt, rnd);
	return 1;
}

/* A tiny cursor over the header value. Every reader returns 0 or -1; the
 * single-token readers advance only on success, the date forms may stop
 * half-way (the caller rewinds). */
struct cur {
	const char *s;
};

static void
skip_ows(struct cur *c)
{
	while (*c->s == ' ' || *c->s == '\t')
		c->s++;
}

static int
expect(struct cur *c, char ch)
{
	if (*c->s != ch)
		return -1;
	c->s++;
	return 0;
}

/* Exactly n digits (n >= 1), or with lead_space a space then n-1 digits
 * (asctime's day of month). */
static int
digits(struct cur *c, int n, int lead_space, int *out)
{
	const char *s = c->s;
	int v = 0, i;

	if (lead_space && *s == ' ') {
		s++;
		n--;
	}
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	c->s = s + n;
	*out = v;
	return 0;
}

/* One of the names in a table, case-insensitively; *idx its index. */
static int
name(struct cur *c, const char *const *names, int count, int *idx)
{
	int i;
	size_t len;

	for (i = 0; i < count; i++) {
		len = strlen(names[i]);
		if (strncasecmp(c->s, names[i], len) == 0) {
			c->s += len;
			*idx = i;
			return 0;
		}
	}
	return -1;
}

static const char *const day_short[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const day_long[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};
static const char *const month_short[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};

static int
clock_part(struct cur *c, struct civil *cv)
{
	if (digits(c, 2, 0, &cv->hour) < 0 || expect(c, ':') < 0 ||
	    digits(c, 2, 0, &cv->min) < 0 || expect(c, ':') < 0 ||
	    digits(c, 2, 0, &cv->sec) < 0)
		return -1;
	return 0;
}

static int
gmt(struct cur *c)
{
	if (expect(c, ' ') < 0 || strncmp(c->s, "GMT", 3) != 0)
		return -1;
	c->s += 3;
	return 0;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static int
imf_fixdate(struct cur *c, struct civil *cv)
{
	int i;

	if (name(c, day_short, 7, &i) < 0 || expect(c, ',') < 0 ||
	    expect(c, ' ') < 0 || digits(c, 2, 0, &cv->day) < 0 ||
	    expect(c, ' ') < 0 || name(c, month_short, 12, &i) < 0)
		return -1;
	cv->month = i + 1;
	if (expect(c, ' ') < 0 || digits(c, 4, 0, &cv->year) < 0 ||
	    expect(c, ' ') < 0 || clock_part(c, cv) < 0 || gmt(c) < 0)
		return -1;
	return 0;
}

/* "Sunday, 06-Nov-94 08:49:37 GMT"; the century is chosen so the date is
 * not more than 50 years ahead of now (RFC 9110 §5.6.7). */
static int
rfc850_date(struct cur *c, struct civil *cv, int now_year)
{
	int i, yy;

	if (name(c, day_long, 7, &i) < 0 || expect(c, ',') < 0 ||
	    expect(c, ' ') < 0 || digits(c, 2, 0, &cv->day) < 0 ||
	    expect(c, '-') < 0 || name(c, month_short, 12, &i) < 0)
		return -1;
	cv->month = i + 1;
	if (expect(c, '-') < 0 || digits(c, 2, 0, &yy) < 0 ||
	    expect(c, ' ') < 0 || clock_part(c, cv) < 0 || gmt(c) < 0)
		return -1;
	cv->year = now_year - now_year % 100 + yy;
	if (cv->year > now_year + 50)
		cv->year -= 100;
	return 0;
}

/* "Sun Nov  6 08:49:37 1994" */
static int
asctime_date(struct cur *c, struct civil *cv)
{
	int i;

	if (name(c, day_short, 7, &i) < 0 || expect(c, ' ') < 0 ||
	    name(c, month_short, 12, &i) < 0)
		return -1;
	cv->month = i + 1;
	if (expect(c, ' ') < 0 || digits(c, 2, 1, &cv->day) < 0 ||
	    expect(c, ' ') < 0 || clock_part(c, cv) < 0 ||
	    expect(c, ' ') < 0 || digits(c, 4, 0, &cv->year) < 0)
		return -1;
	return 0;
}

/* Field ranges, including the day of the month: isotime_from_civil would
 * quietly normalise 31 Feb into March. */
static int
civil_valid(const struct civil *cv, int64_t *t)
{
	struct civil back, c = *cv;
	int leap = c.sec == 60;

	if (c.hour > 23 || c.min > 59 || c.sec > 60 || c.day < 1 || c.day > 31)
		return -1;
	/* A leap second reads as the first second after it. */
	if (leap)
		c.sec = 59;
	*t = isotime_from_civil(&c);
	isotime_to_civil(*t, &back);
	if (back.year != c.year || back.month != c.month || back.day != c.day)
		return -1;
	*t += leap;
	return 0;
}

static int
http_date(const char *s, int64_t now_s, int64_t *t)
{
	struct civil cv, now;
	struct cur c;

	isotime_to_civil(now_s, &now);
	memset(&cv, 0, sizeof(cv));
	c.s = s;
	if (imf_fixdate(&c, &cv) < 0) {
		c.s = s;
		memset(&cv, 0, sizeof(cv));
		if (rfc850_date(&c, &cv, now.year) < 0) {
			c.s = s;
			memset(&cv, 0, sizeof(cv));
			if (asctime_date(&c, &cv) < 0)
				return -1;
		}
	}
	skip_ows(&c);
	if (*c.s != '\0')
		return -1;
	return civil_valid(&cv, t);
}

static int
delta_seconds(const char *s, int64_t *secs)
{
	int64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if (v < RETRY_SECS_MAX)
			v = v * 10 + (*p - '0');
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
		return -1;
	*secs = v < RETRY_SECS_MAX ? v : RETRY_SECS_MAX;
	return 0;
}

int
retry_after_parse(const char *value, int64_t now_ms, int64_t *delay_ms)
{
	struct cur c;
	int64_t secs, t, d;

	if (value == NULL)
		return -1;
	c.s = value;
	skip_ows(&c);
	if (delta_seconds(c.s, &secs) == 0) {
		*delay_ms = secs * 1000;
		return 0;
	}
	/* Floor division: a clock before 1970 is absurd but must not make
	 * the date arithmetic round the wrong way. */
	if (http_date(c.s, now_ms >= 0 ? now_ms / 1000 :
	    -((-now_ms + 999) / 1000), &t) < 0)
		return -1;
	if (t > RETRY_SECS_MAX)
		t = RETRY_SECS_MAX;
	d = t * 1000 - now_ms;
	*delay_ms = d > 0 ? d : 0;
	return 0;
}
