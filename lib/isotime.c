/* isotime.c - proleptic Gregorian arithmetic on int64 seconds and ISO-8601
 * text. Nothing here touches the C library's time zone state (TZ, tzset,
 * mktime): schedules and Magento timestamps must not depend on how the
 * process happens to be configured. */
#include <stdio.h>
#include <string.h>

#include "isotime.h"

#define DAY 86400

/* Floor division and modulo: the calendar is continuous across 1970 and
 * across year 0, so negative values must round down, not toward zero. */
static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t
floormod(int64_t a, int64_t b)
{
	int64_t r = a % b;

	if (r != 0 && ((r < 0) != (b < 0)))
		r += b;
	return r;
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). The
 * year is shifted to start in March so the leap day is the last day of the
 * shifted year; then a 400-year era has a fixed length of 146097 days. */
static int64_t
days_from_ymd(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = floordiv(y, 400);
	yoe = y - era * 400;				/* 0..399 */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;	/* 0..365 */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* 0..146096 */
	return era * 146097 + doe - 719468;
}

static void
ymd_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floordiv(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int64_t
isotime_from_civil(const struct civil *c)
{
	int64_t y = c->year, mon = (int64_t)c->month - 1, days;

	/* Normalise the month first; day, hour, minute and second are plain
	 * linear offsets and need no normalising. */
	y += floordiv(mon, 12);
	mon = floormod(mon, 12);
	days = days_from_ymd(y, (int)mon + 1, 1) + ((int64_t)c->day - 1);
	return days * DAY + (int64_t)c->hour * 3600 + (int64_t)c->min * 60 +
	    c->sec;
}

void
isotime_to_civil(int64_t t, struct civil *c)
{
	int64_t days = floordiv(t, DAY), secs = floormod(t, DAY), y;

	ymd_from_days(days, &y, &c->month, &c->day);
	c->year = (int)y;
	c->hour = (int)(secs / 3600);
	c->min = (int)(secs / 60 % 60);
	c->sec = (int)(secs % 60);
	c->wday = (int)floormod(days + 4, 7);	/* 1970-01-01 was a Thursday */
}

/* Read exactly n decimal digits. */
static int
digits(const char **sp, int n, int *out)
{
	const char *s = *sp;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	*out = v;
	return 0;
}

static int
expect(const char **sp, char ch)
{
	if (**sp != ch)
		return -1;
	(*sp)++;
	return 0;
}

/* "Z", "+HH:MM", "+HHMM" or "+HH" (and '-'); seconds east into *off. */
static int
parse_zone(const char **sp, int *off)
{
	const char *s = *sp;
	int sign, hh, mm = 0;

	if (*s == 'Z' || *s == 'z') {
		*sp = s + 1;
		*off = 0;
		return 0;
	}
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if (digits(&s, 2, &hh) < 0)
		return -1;
	if (*s == ':') {
		s++;
		if (digits(&s, 2, &mm) < 0)
			return -1;
	} else if (*s >= '0' && *s <= '9') {
		if (digits(&s, 2, &mm) < 0)
			return -1;
	}
	if (hh > 23 || mm > 59)
		return -1;
	*sp = s;
	*off = sign * (hh * 3600 + mm * 60);
	return 0;
}

/* The common parser; *zoned tells whether the text carried a zone. */
static int
parse(const char *s, int64_t *out, int *zoned)
{
	struct civil c;
	int off = 0;

	memset(&c, 0, sizeof(c));
	*zoned = 0;
	if (s == NULL || digits(&s, 4, &c.year) < 0 || expect(&s, '-') < 0 ||
	    digits(&s, 2, &c.month) < 0 || expect(&s, '-') < 0 ||
	    digits(&s, 2, &c.day) < 0)
		return -1;
	if (c.month < 1 || c.month > 12 || c.day < 1 ||
	    c.day > month_days(c.year, c.month))
		return -1;
	if (*s == '\0')
		goto done;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (digits(&s, 2, &c.hour) < 0 || expect(&s, ':') < 0 ||
	    digits(&s, 2, &c.min) < 0)
		return -1;
	if (*s == ':') {
		s++;
		if (digits(&s, 2, &c.sec) < 0)
			return -1;
		if (*s == '.' || *s == ',') {
			/* Fractions are truncated: every consumer works in
			 * whole seconds. At least one digit is required. */
			s++;
			if (*s < '0' || *s > '9')
				return -1;
			while (*s >= '0' && *s <= '9')
				s++;
		}
	}
	/* Leap seconds (:60) are refused rather than folded silently. */
	if (c.hour > 23 || c.min > 59 || c.sec > 59)
		return -1;
	if (*s != '\0') {
		if (parse_zone(&s, &off) < 0 || *s != '\0')
			return -1;
		*zoned = 1;
	}
done:
	*out = isotime_from_civil(&c) - off;
	return 0;
}

int
isotime_parse(const char *s, int64_t *out)
{
	int zoned;

	return parse(s, out, &zoned);
}

int
isotime_parse_zoned(const char *s, int64_t *out)
{
	int64_t t;
	int zoned;

	if (parse(s, &t, &zoned) < 0 || !zoned)
		return -1;
	*out = t;
	return 0;
}

size_t
isotime_format(int64_t t, int offset, char *buf, size_t len)
{
	char tmp[ISOTIME_MAX + 32];
	struct civil c;
	int a, n;
	size_t w;

	/* No zone is a day away from UTC; a wilder offset (bad input) is
	 * clamped so negating and printing it stay defined. */
	if (offset > ISOTIME_OFFSET_MAX)
		offset = ISOTIME_OFFSET_MAX;
	if (offset < -ISOTIME_OFFSET_MAX)
		offset = -ISOTIME_OFFSET_MAX;
	a = offset < 0 ? -offset : offset;

	/* At the very ends of int64 the offset is dropped, not overflowed. */
	if ((offset > 0 && t > INT64_MAX - offset) ||
	    (offset < 0 && t < INT64_MIN - offset))
		isotime_to_civil(t, &c);
	else
		isotime_to_civil(t + offset, &c);
	n = snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
	    c.year, c.month, c.day, c.hour, c.min, c.sec,
	    offset < 0 ? '-' : '+', a / 3600, a / 60 % 60);
	/* Local mean time offsets have seconds; print them rather than show a
	 * wall time that does not match the offset beside it. */
	if (n > 0 && a % 60 != 0)
		n += snprintf(tmp + n, sizeof(tmp) - (size_t)n, ":%02d", a % 60);
	if (len == 0)
		return 0;
	w = n < 0 ? 0 : (size_t)n;
	if (w >= len)
		w = len - 1;
	memcpy(buf, tmp, w);
	buf[w] = '\0';
	return w;
}
