/* fuzz_isotime.c - libFuzzer target: ISO-8601 text and civil time.
 *
 * The input's text (up to the first NUL) goes through isotime_parse and
 * isotime_parse_zoned; its first bytes also serve as raw numbers: an
 * instant, an offset and a broken-down civil time.
 *
 * Checked: the zoned parser accepts a subset of the plain one, with the
 * same instant; a parsed instant formatted at any whole-minute offset up
 * to +-23:59 parses back (plain and zoned, with 'T' or a blank) to the
 * same instant whenever the printed year has four digits; a short buffer
 * gets a terminated prefix of the full text; civil conversion round-trips
 * and yields fields in range; isotime_from_civil normalises consistently. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "targets.h"

/* Instants whose year fits an int with room to spare. */
#define FISO_T_BOUND	(1LL << 54)
/* Offsets tz can produce: +-25:59:59; text offsets stop at +-23:59. */
#define FISO_OFF_MAX	93599
#define FISO_TEXT_OFF	86340

static const int fiso_offsets[] = {
	0, 60, -60, 3600, -3600, 19800, -12600, 45900, -34200,
	86340, -86340,
};

static int
fiso_mdays(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Format t at off, check truncation, and parse it back when the year
 * has four digits. */
static void
fiso_round_trip(int64_t t, int off)
{
	char full[ISOTIME_MAX], small[ISOTIME_MAX];
	size_t n = isotime_format(t, off, full, sizeof(full)), k, m;
	int64_t back = 0;

	FUZZ_CHECK(n == strlen(full) && n < sizeof(full));
	FUZZ_CHECK(isotime_format(t, off, small, 0) == 0);
	for (k = 1; k <= n + 1; k++) {
		memset(small, 'x', sizeof(small));
		m = isotime_format(t, off, small, k);
		FUZZ_CHECK(m == (n < k ? n : k - 1) && small[m] == '\0');
		FUZZ_CHECK(memcmp(small, full, m) == 0);
	}
	if (t < -FISO_T_BOUND || t > FISO_T_BOUND || off % 60 != 0 ||
	    off < -FISO_TEXT_OFF || off > FISO_TEXT_OFF || full[0] < '0' ||
	    full[0] > '9' || full[4] != '-')
		return;
	FUZZ_CHECK(n == 25);
	FUZZ_CHECK(isotime_parse_zoned(full, &back) == 0 && back == t);
	back = 0;
	FUZZ_CHECK(isotime_parse(full, &back) == 0 && back == t);
	full[10] = ' ';
	back = 0;
	FUZZ_CHECK(isotime_parse(full, &back) == 0 && back == t);
}

static void
fiso_civil(int64_t t)
{
	struct civil c;
	int64_t days = t / 86400 - (t % 86400 < 0);

	if (t < -FISO_T_BOUND || t > FISO_T_BOUND)
		return;
	isotime_to_civil(t, &c);
	FUZZ_CHECK(c.month >= 1 && c.month <= 12);
	FUZZ_CHECK(c.day >= 1 && c.day <= fiso_mdays(c.year, c.month));
	FUZZ_CHECK(c.hour >= 0 && c.hour <= 23 && c.min >= 0 &&
	    c.min <= 59 && c.sec >= 0 && c.sec <= 59);
	FUZZ_CHECK(c.wday == (int)(((days + 4) % 7 + 7) % 7));
	FUZZ_CHECK(isotime_from_civil(&c) == t);
}

static int
fuzz_isotime_one(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size, i;
	char *s = fuzz_strndup(data, size);
	int64_t t1 = 11, t2 = 22, t, a;
	int r1, r2, off;
	struct civil c;

	r1 = isotime_parse(s, &t1);
	r2 = isotime_parse_zoned(s, &t2);
	FUZZ_CHECK(r1 == 0 || r1 == -1);
	FUZZ_CHECK(r2 == 0 || r2 == -1);
	if (r1 < 0)
		FUZZ_CHECK(t1 == 11 && r2 < 0);
	if (r2 < 0)
		FUZZ_CHECK(t2 == 22);
	else
		FUZZ_CHECK(t2 == t1);
	if (r1 == 0) {
		for (i = 0; i < sizeof(fiso_offsets) / sizeof(fiso_offsets[0]);
		    i++)
			fiso_round_trip(t1, fiso_offsets[i]);
		fiso_civil(t1);
	}

	/* The raw bytes as numbers: an instant, an offset, a civil time. */
	t = (int64_t)fuzz_take_u64(&p, &left, 8);
	off = (int)((int64_t)fuzz_take_u64(&p, &left, 4) % (FISO_OFF_MAX + 1));
	fiso_round_trip(t, off);
	fiso_round_trip(t, -off);
	fiso_civil(t);
	memset(&c, 0, sizeof(c));
	c.year = (int)((int64_t)(int32_t)fuzz_take_u64(&p, &left, 4) % 1000000);
	c.month = (int16_t)fuzz_take_u64(&p, &left, 2);
	c.day = (int16_t)fuzz_take_u64(&p, &left, 2);
	c.hour = (int16_t)fuzz_take_u64(&p, &left, 2);
	c.min = (int16_t)fuzz_take_u64(&p, &left, 2);
	c.sec = (int16_t)fuzz_take_u64(&p, &left, 2);
	a = isotime_from_civil(&c);
	fiso_civil(a);
	free(s);
	return 0;
}

FUZZ_ENTRY(fuzz_isotime_one)
