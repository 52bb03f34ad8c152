/* fuzz_tz.c - libFuzzer target: zones from arbitrary bytes.
 *
 * The whole input goes to tz_from_tzif; its text up to the first NUL or
 * newline goes to tz_from_posix and tz_name_valid. Lines "@<seconds>"
 * anywhere in the input add instants to look at (TZif parsing ignores
 * what follows the footer, so they can ride along with a TZif file).
 *
 * Checked for every zone that loads, at instants spread over 1901-9999,
 * the extremes and the input's own: offsets stay within +-25:59:59; the
 * wall time an instant shows maps back to that instant (the only one, or
 * one of two); every instant tz_from_wall returns shows the wall time
 * asked for; a skipped wall time is reported at a real spring-forward
 * whose gap holds it; far beyond the zone data (and at the ends of int64)
 * a wall time is one instant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"
#include "targets.h"

#define FTZ_OFF_MAX	93599
#define FTZ_T_BOUND	10000000000000LL	/* beyond: no wall checks */
#define FTZ_T_LIMIT	100000000000000LL	/* tz.c's lookup bound */
#define FTZ_MAX_AT	4

static const int ftz_years[] = {
	1901, 1969, 1970, 2000, 2024, 2037, 2038, 2100, 2400, 9999
};
static const int ftz_days[] = { 0, 59, 80, 100, 180, 280, 300, 364 };

static int64_t
ftz_year_start(int y)
{
	int64_t d = (int64_t)(y - 1970) * 365;

	/* Leap days between 1970 and y (y > 1600 here). */
	d += (y - 1 - 1968) / 4 - (y - 1 - 1900) / 100 + (y - 1 - 1600) / 400;
	return d * 86400;
}

/* What tz_from_wall says about wall time w must hold in z. */
static void
ftz_wall(const struct tz *z, int64_t w, int shown_by, int64_t t)
{
	int64_t first = 0, second = 0, f2 = 0;
	int n = tz_from_wall(z, w, &first, &second), o1, o0;

	FUZZ_CHECK(tz_from_wall(z, w, &f2, NULL) == n && f2 == first);
	switch (n) {
	case 1:
		FUZZ_CHECK(first + tz_offset(z, first) == w);
		if (shown_by)
			FUZZ_CHECK(first == t);
		break;
	case 2:
		FUZZ_CHECK(first < second);
		FUZZ_CHECK(first + tz_offset(z, first) == w);
		FUZZ_CHECK(second + tz_offset(z, second) == w);
		break;
	case 0:
		FUZZ_CHECK(!shown_by);
		o0 = tz_offset(z, first - 1);
		o1 = tz_offset(z, first);
		FUZZ_CHECK(o1 > o0);
		FUZZ_CHECK(first + o0 <= w && w < first + o1);
		break;
	default:
		FUZZ_CHECK(!"tz_from_wall returned a count out of range");
	}
}

static void
ftz_at(const struct tz *z, int64_t t)
{
	int off = tz_offset(z, t);

	FUZZ_CHECK(off >= -FTZ_OFF_MAX && off <= FTZ_OFF_MAX);
	if (t < -FTZ_T_BOUND || t > FTZ_T_BOUND)
		return;
	ftz_wall(z, t + off, 1, t);
	ftz_wall(z, t + off - 1800, 0, 0);
	ftz_wall(z, t + off + 3599, 0, 0);
}

/* A wall time anywhere in int64: past +-10^14 s tz.h's zones have one
 * fixed offset, so there it must map to exactly one instant. */
static void
ftz_far_wall(const struct tz *z, int64_t w)
{
	int64_t f = 0, want;
	int n = tz_from_wall(z, w, &f, NULL);

	FUZZ_CHECK(n >= 0 && n <= 2);
	/* At the very ends of int64 the offset is dropped, not overflowed. */
	if (__builtin_sub_overflow(w, (int64_t)tz_offset(z, w), &want))
		want = w;
	if (w > 2 * FTZ_T_LIMIT || w < -2 * FTZ_T_LIMIT)
		FUZZ_CHECK(n == 1 && f == want);
}

static void
ftz_zone(const struct tz *z, const int64_t *extra, size_t nextra)
{
	static const int64_t edges[] = {
		INT64_MIN, INT64_MIN + 1, -FTZ_T_LIMIT - 1, -FTZ_T_BOUND, -1,
		0, 1, FTZ_T_BOUND, FTZ_T_LIMIT + 1, INT64_MAX - 1, INT64_MAX,
	};
	static const int64_t walls[] = {
		-3 * FTZ_T_LIMIT, -FTZ_T_LIMIT - 93601, -FTZ_T_LIMIT + 93599,
		FTZ_T_LIMIT - 93601, FTZ_T_LIMIT + 93599, 3 * FTZ_T_LIMIT,
	};
	size_t i, j;

	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		ftz_at(z, edges[i]);
	for (i = 0; i < sizeof(walls) / sizeof(walls[0]); i++)
		ftz_far_wall(z, walls[i]);
	for (i = 0; i < sizeof(ftz_years) / sizeof(ftz_years[0]); i++)
		for (j = 0; j < sizeof(ftz_days) / sizeof(ftz_days[0]); j++)
			ftz_at(z, ftz_year_start(ftz_years[i]) +
			    (int64_t)ftz_days[j] * 86400 + 7200);
	/* The input's own numbers, as instants and as wall times. */
	for (i = 0; i < nextra; i++) {
		ftz_at(z, extra[i]);
		ftz_far_wall(z, extra[i]);
	}
}

static int
fuzz_tz_one(const uint8_t *data, size_t size)
{
	int64_t extra[FTZ_MAX_AT];
	size_t nextra = 0, i;
	char *text = fuzz_strndup(data, size), err[128];
	struct tz *z;
	const char *p;

	for (p = text; nextra < FTZ_MAX_AT &&
	    (p = memmem(p, size - (size_t)(p - text), "@", 1)) != NULL; p++)
		if (p == text || p[-1] == '\n')
			extra[nextra++] = strtoll(p + 1, NULL, 10);

	if ((z = tz_from_tzif("Fuzz/Zone", data, size, err,
	    sizeof(err))) != NULL) {
		FUZZ_CHECK(strcmp(tz_name(z), "Fuzz/Zone") == 0);
		ftz_zone(z, extra, nextra);
		tz_free(z);
	} else {
		FUZZ_CHECK(err[0] != '\0');
	}

	text[strcspn(text, "\n")] = '\0';
	if ((z = tz_from_posix(NULL, text, err, sizeof(err))) != NULL) {
		FUZZ_CHECK(strcmp(tz_name(z), text) == 0);
		ftz_zone(z, extra, nextra);
		tz_free(z);
	}
	if (tz_name_valid(text)) {
		FUZZ_CHECK(text[0] != '/' && strlen(text) <= 255);
		FUZZ_CHECK(strstr(text, "//") == NULL &&
		    strstr(text, ".") == NULL);
		for (i = 0; text[i] != '\0'; i++)
			FUZZ_CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
			    "klmnopqrstuvwxyz0123456789/_-+", text[i]) != NULL);
	}
	free(text);
	return 0;
}

FUZZ_ENTRY(fuzz_tz_one)
