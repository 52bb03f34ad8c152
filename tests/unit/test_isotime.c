/* test_isotime.c - civil arithmetic and ISO-8601 text. */
#include <stdint.h>
#include <stdlib.h>

#include "isotime.h"
#include "unit.h"

/* Epoch seconds worked out independently (date -u -d ... +%s). */
static const struct {
	int y, mo, d, h, mi, s, wday;
	int64_t t;
} civil_cases[] = {
	{ 1970, 1, 1, 0, 0, 0, 4, 0 },
	{ 1970, 1, 1, 0, 0, 1, 4, 1 },
	{ 1969, 12, 31, 23, 59, 59, 3, -1 },
	{ 1969, 12, 31, 0, 0, 0, 3, -86400 },
	{ 1900, 1, 1, 0, 0, 0, 1, -2208988800LL },
	{ 1900, 3, 1, 0, 0, 0, 4, -2203891200LL },	/* 1900: not leap */
	{ 1600, 2, 29, 0, 0, 0, 2, -11670998400LL },	/* 1600: leap */
	{ 1, 1, 1, 0, 0, 0, 1, -62135596800LL },
	{ 0, 1, 1, 0, 0, 0, 6, -62167219200LL },	/* year 0 is leap */
	{ 0, 3, 1, 0, 0, 0, 3, -62162035200LL },
	{ 2000, 2, 28, 0, 0, 0, 1, 951696000 },
	{ 2000, 2, 29, 0, 0, 0, 2, 951782400 },		/* 2000: leap */
	{ 2000, 3, 1, 0, 0, 0, 3, 951868800 },
	{ 2001, 9, 9, 1, 46, 40, 0, 1000000000 },
	{ 2004, 2, 29, 12, 0, 0, 0, 1078056000 },
	{ 2024, 2, 29, 23, 59, 59, 4, 1709251199 },
	{ 2024, 12, 31, 23, 59, 59, 2, 1735689599 },
	{ 2025, 1, 1, 0, 0, 0, 3, 1735689600 },
	{ 2026, 3, 29, 1, 0, 0, 0, 1774746000 },
	{ 2038, 1, 19, 3, 14, 7, 2, 2147483647 },
	{ 2038, 1, 19, 3, 14, 8, 2, 2147483648LL },
	{ 2100, 2, 28, 0, 0, 0, 0, 4107456000LL },
	{ 2100, 3, 1, 0, 0, 0, 1, 4107542400LL },	/* 2100: not leap */
	{ 2400, 2, 29, 0, 0, 0, 2, 13574563200LL },	/* 2400: leap */
	{ 9999, 12, 31, 23, 59, 59, 5, 253402300799LL },
};

TEST(civil_roundtrip)
{
	size_t i;

	for (i = 0; i < sizeof(civil_cases) / sizeof(civil_cases[0]); i++) {
		struct civil c = { civil_cases[i].y, civil_cases[i].mo,
		    civil_cases[i].d, civil_cases[i].h, civil_cases[i].mi,
		    civil_cases[i].s, 0 };
		struct civil back;

		CHECK_INT(isotime_from_civil(&c), civil_cases[i].t);
		isotime_to_civil(civil_cases[i].t, &back);
		CHECK_INT(back.year, civil_cases[i].y);
		CHECK_INT(back.month, civil_cases[i].mo);
		CHECK_INT(back.day, civil_cases[i].d);
		CHECK_INT(back.hour, civil_cases[i].h);
		CHECK_INT(back.min, civil_cases[i].mi);
		CHECK_INT(back.sec, civil_cases[i].s);
		CHECK_INT(back.wday, civil_cases[i].wday);
	}
}

/* Every day from 1600 to 2500 converts back to itself and the weekday
 * advances by one: catches any off-by-one in the era arithmetic. */
TEST(civil_every_day)
{
	int64_t t, start = -11676096000LL, end = 16725225600LL;
	struct civil c, prev;
	int bad = 0;

	isotime_to_civil(start - 86400, &prev);
	for (t = start; t < end && bad < 5; t += 86400) {
		isotime_to_civil(t, &c);
		if (isotime_from_civil(&c) != t ||
		    c.wday != (prev.wday + 1) % 7 || c.hour || c.min || c.sec) {
			UNIT_FAIL("day %lld", (long long)t);
			bad++;
		}
		if (c.day != 1 && c.day != prev.day + 1) {
			UNIT_FAIL("day sequence at %lld", (long long)t);
			bad++;
		}
		prev = c;
	}
}

TEST(civil_normalise)
{
	static const struct {
		int y, mo, d, h, mi, s;
		int64_t t;
	} cases[] = {
		{ 2024, 13, 1, 0, 0, 0, 1735689600 },	/* = 2025-01-01 */
		{ 2025, 0, 1, 0, 0, 0, 1733011200 },	/* = 2024-12-01 */
		{ 2025, -11, 1, 0, 0, 0, 1704067200 },	/* = 2024-01-01 */
		{ 2024, 2, 30, 0, 0, 0, 1709251200 },	/* = 2024-03-01 */
		{ 2025, 1, 0, 0, 0, 0, 1735603200 },	/* = 2024-12-31 */
		{ 2025, 1, 1, -1, 0, 0, 1735686000 },
		{ 2025, 1, 1, 24, 0, 0, 1735776000 },
		{ 2025, 1, 1, 0, 0, -1, 1735689599 },
		{ 2025, 1, 1, 0, 1440, 0, 1735776000 },
		{ 1970, 1, 1, 0, 0, 86400 * 365, 31536000 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct civil c = { cases[i].y, cases[i].mo, cases[i].d,
		    cases[i].h, cases[i].mi, cases[i].s, 0 };
		CHECK_INT(isotime_from_civil(&c), cases[i].t);
	}
}

static const struct {
	const char *text;
	int zoned;		/* parses with isotime_parse_zoned too */
	int64_t t;
} good[] = {
	{ "1970-01-01T00:00:00Z", 1, 0 },
	{ "1970-01-01T00:00Z", 1, 0 },
	{ "1970-01-01t00:00:00z", 1, 0 },
	{ "1970-01-01T01:00:00+01:00", 1, 0 },
	{ "1970-01-01T01:00:00+0100", 1, 0 },
	{ "1970-01-01T01:00:00+01", 1, 0 },
	{ "1969-12-31T19:00:00-05:00", 1, 0 },
	{ "1969-12-31T23:59:59Z", 1, -1 },
	{ "2001-09-09T01:46:40.999Z", 1, 1000000000 },
	{ "2001-09-09T01:46:40,5Z", 1, 1000000000 },
	{ "2001-09-09T07:16:40+05:30", 1, 1000000000 },
	{ "2001-09-08T22:01:40-03:45", 1, 1000000000 },
	{ "2001-09-09 01:46:40", 0, 1000000000 },	/* Magento: UTC */
	{ "2001-09-09 01:46:40Z", 1, 1000000000 },
	{ "2001-09-09T01:46:40", 0, 1000000000 },
	{ "2001-09-09T01:46", 0, 999999960 },
	{ "2001-09-09", 0, 999993600 },
	{ "2024-02-29T12:00:00Z", 1, 1709208000 },
	{ "2038-01-19T03:14:07Z", 1, 2147483647 },
	{ "2038-01-19T03:14:08Z", 1, 2147483648LL },
	{ "2100-03-01T00:00:00Z", 1, 4107542400LL },
	{ "1900-01-01T00:00:00Z", 1, -2208988800LL },
	{ "0000-01-01T00:00:00Z", 1, -62167219200LL },
	{ "9999-12-31T23:59:59Z", 1, 253402300799LL },
	{ "2025-01-01T00:00:00+23:59", 1, 1735689600 - 86340 },
	{ "2025-01-01T00:00:00-23:59", 1, 1735689600 + 86340 },
	{ "2025-06-15T12:34:56-00:00", 1, 1749990896 },
};

TEST(parse_good)
{
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int64_t t = 12345;
		int rc = isotime_parse(good[i].text, &t);

		if (rc != 0 || t != good[i].t)
			UNIT_FAIL("parse %s: rc %d t %lld", good[i].text, rc,
			    (long long)t);
		t = 12345;
		rc = isotime_parse_zoned(good[i].text, &t);
		if (good[i].zoned && (rc != 0 || t != good[i].t))
			UNIT_FAIL("zoned %s: rc %d t %lld", good[i].text, rc,
			    (long long)t);
		if (!good[i].zoned && (rc != -1 || t != 12345))
			UNIT_FAIL("zoned %s accepted", good[i].text);
	}
}

static const char *const bad[] = {
	"", "2025", "2025-01", "2025-1-01", "25-01-01", "2025-01-1",
	"2025/01/01", "2025-00-01", "2025-13-01", "2025-01-00", "2025-01-32",
	"2025-02-29", "2100-02-29", "2023-04-31", "2025-01-01T", "2025-01-01T1",
	"2025-01-01T10", "2025-01-01T10:", "2025-01-01T10:0", "2025-01-01T24:00Z",
	"2025-01-01T23:60Z", "2025-01-01T23:59:60Z", "2025-01-01T23:59:5Z",
	"2025-01-01T00:00:00.Z", "2025-01-01T00:00:00+", "2025-01-01T00:00:00+1",
	"2025-01-01T00:00:00+24:00", "2025-01-01T00:00:00+01:60",
	"2025-01-01T00:00:00+01:0", "2025-01-01T00:00:00+01:00 ",
	"2025-01-01T00:00:00ZZ", "2025-01-01T00:00:00UTC", " 2025-01-01",
	"2025-01-01x", "2025-01-01T00:00:00+01:00:00", "2025-01-01_00:00:00",
	"-2025-01-01", "+2025-01-01", "2025-01-01T00:00:00 Z", "abcd-ef-gh",
	"2025-01-01T00:00:00+0a:00", "2025-01-01T0a:00:00Z",
};

TEST(parse_bad)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t t = 777;

		if (isotime_parse(bad[i], &t) != -1 || t != 777)
			UNIT_FAIL("accepted \"%s\"", bad[i]);
		if (isotime_parse_zoned(bad[i], &t) != -1 || t != 777)
			UNIT_FAIL("zoned accepted \"%s\"", bad[i]);
	}
	CHECK_INT(isotime_parse(NULL, &(int64_t){ 0 }), -1);
	CHECK_INT(isotime_parse_zoned(NULL, &(int64_t){ 0 }), -1);
}

TEST(format)
{
	static const struct {
		int64_t t;
		int off;
		const char *want;
	} cases[] = {
		{ 0, 0, "1970-01-01T00:00:00+00:00" },
		{ 0, 3600, "1970-01-01T01:00:00+01:00" },
		{ 0, -18000, "1969-12-31T19:00:00-05:00" },
		{ 0, 19800, "1970-01-01T05:30:00+05:30" },
		{ 0, -12600, "1969-12-31T20:30:00-03:30" },
		{ 0, 3208, "1970-01-01T00:53:28+00:53:28" },	/* LMT */
		{ 0, -3208, "1969-12-31T23:06:32-00:53:28" },
		{ -1, 0, "1969-12-31T23:59:59+00:00" },
		{ 1709208000, 0, "2024-02-29T12:00:00+00:00" },
		{ 2147483648LL, 0, "2038-01-19T03:14:08+00:00" },
		{ 4107542400LL, 50400, "2100-03-01T14:00:00+14:00" },
		{ -62167219200LL, 0, "0000-01-01T00:00:00+00:00" },
		{ 253402300799LL, 0, "9999-12-31T23:59:59+00:00" },
		{ 1774746000, 7200, "2026-03-29T03:00:00+02:00" },
	};
	char buf[ISOTIME_MAX];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t back = 0;

		n = isotime_format(cases[i].t, cases[i].off, buf, sizeof(buf));
		CHECK_STR(buf, cases[i].want);
		CHECK_INT(n, strlen(cases[i].want));
		/* Minute offsets round-trip through the parser. */
		if (cases[i].off % 60 == 0) {
			CHECK_INT(isotime_parse_zoned(buf, &back), 0);
			CHECK_INT(back, cases[i].t);
		}
	}
}

TEST(format_small_buffer)
{
	char buf[11];

	CHECK_INT(isotime_format(0, 0, buf, sizeof(buf)), 10);
	CHECK_STR(buf, "1970-01-01");
	CHECK_INT(isotime_format(0, 0, buf, 0), 0);
	CHECK_INT(isotime_format(0, 0, buf, 1), 0);
	CHECK_STR(buf, "");
}

/* Parse and format agree on a spread of instants and offsets. */
TEST(roundtrip_sweep)
{
	int64_t t;
	int bad_n = 0;

	for (t = -5000000000LL; t < 10000000000LL && bad_n < 5;
	    t += 7777777) {
		static const int offs[] = { 0, 3600, -36000, 45900, -34200 };
		char buf[ISOTIME_MAX];
		size_t k;

		for (k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
			int64_t back = 0;

			isotime_format(t, offs[k], buf, sizeof(buf));
			if (isotime_parse_zoned(buf, &back) != 0 || back != t) {
				UNIT_FAIL("%lld at %d -> %s", (long long)t,
				    offs[k], buf);
				bad_n++;
			}
		}
	}
}

/* The ends of int64: no overflow, something printed. */
TEST(extremes)
{
	static const int64_t ts[] = { INT64_MIN, INT64_MIN + 1, INT64_MAX,
	    INT64_MAX - 1, -1000000000000000LL, 1000000000000000LL };
	char buf[ISOTIME_MAX];
	struct civil c;
	size_t i;

	for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		isotime_to_civil(ts[i], &c);
		CHECK(c.month >= 1 && c.month <= 12 && c.day >= 1 &&
		    c.day <= 31 && c.wday >= 0 && c.wday <= 6);
		CHECK(isotime_format(ts[i], 50400, buf, sizeof(buf)) > 0);
		CHECK(isotime_format(ts[i], -50400, buf, sizeof(buf)) > 0);
	}
	/* offsets no zone has are clamped, never negated past INT_MIN */
	CHECK(isotime_format(0, -2147483647 - 1, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "1969-12-27T20:00:01-99:59:59");
	CHECK(isotime_format(0, 2147483647, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "1970-01-05T03:59:59+99:59:59");
	/* a civil time with every field at an extreme */
	c = (struct civil){ 2147483647, 2147483647, 2147483647, 2147483647,
	    2147483647, 2147483647, 0 };
	(void)isotime_from_civil(&c);
	c = (struct civil){ -2147483647 - 1, -2147483647 - 1, -2147483647 - 1,
	    -2147483647 - 1, -2147483647 - 1, -2147483647 - 1, 0 };
	(void)isotime_from_civil(&c);
}

int
main(void)
{
	RUN(civil_roundtrip);
	RUN(civil_every_day);
	RUN(civil_normalise);
	RUN(parse_good);
	RUN(parse_bad);
	RUN(format);
	RUN(format_small_buffer);
	RUN(roundtrip_sweep);
	RUN(extremes);
	return unit_done("test_isotime");
}
