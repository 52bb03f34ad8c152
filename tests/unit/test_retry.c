/* test_retry.c - the retry rules: transient or final, backoff with full
 * jitter, Retry-After in all its forms. */
#include <stdint.h>

#include "retry.h"
#include "unit.h"

#define T1994 784111777LL		/* Sun, 06 Nov 1994 08:49:37 GMT */
#define T2025 1748736000LL		/* 2025-06-01T00:00:00Z */

static const struct {
	enum retry_outcome outcome;
	int status, idempotent, want;
} transient_cases[] = {
	{ RETRY_RESPONSE, 200, 1, 0 },
	{ RETRY_RESPONSE, 201, 0, 0 },
	{ RETRY_RESPONSE, 204, 1, 0 },
	{ RETRY_RESPONSE, 301, 1, 0 },
	{ RETRY_RESPONSE, 304, 1, 0 },
	{ RETRY_RESPONSE, 400, 1, 0 },
	{ RETRY_RESPONSE, 401, 1, 0 },
	{ RETRY_RESPONSE, 403, 1, 0 },
	{ RETRY_RESPONSE, 404, 1, 0 },
	{ RETRY_RESPONSE, 405, 1, 0 },
	{ RETRY_RESPONSE, 409, 1, 0 },
	{ RETRY_RESPONSE, 410, 1, 0 },
	{ RETRY_RESPONSE, 413, 1, 0 },
	{ RETRY_RESPONSE, 422, 1, 0 },
	{ RETRY_RESPONSE, 499, 1, 0 },
	{ RETRY_RESPONSE, 408, 1, 1 },
	{ RETRY_RESPONSE, 408, 0, 1 },
	{ RETRY_RESPONSE, 429, 1, 1 },
	{ RETRY_RESPONSE, 429, 0, 1 },
	{ RETRY_RESPONSE, 500, 1, 1 },
	{ RETRY_RESPONSE, 500, 0, 0 },
	{ RETRY_RESPONSE, 502, 1, 1 },
	{ RETRY_RESPONSE, 502, 0, 0 },
	{ RETRY_RESPONSE, 503, 1, 1 },
	{ RETRY_RESPONSE, 503, 0, 1 },
	{ RETRY_RESPONSE, 504, 1, 1 },
	{ RETRY_RESPONSE, 504, 0, 0 },
	{ RETRY_RESPONSE, 599, 1, 1 },
	{ RETRY_RESPONSE, 600, 1, 0 },
	{ RETRY_RESPONSE, 0, 1, 0 },
	{ RETRY_NOT_SENT, 0, 1, 1 },
	{ RETRY_NOT_SENT, 0, 0, 1 },
	{ RETRY_LOST, 0, 1, 1 },
	{ RETRY_LOST, 0, 0, 0 },
	{ RETRY_FATAL, 0, 1, 0 },
	{ RETRY_FATAL, 0, 0, 0 },
	{ RETRY_FATAL, 503, 1, 0 },
};

TEST(transient_table)
{
	struct retry_attempt a;
	size_t i;

	for (i = 0; i < sizeof(transient_cases) / sizeof(transient_cases[0]);
	    i++) {
		a.outcome = transient_cases[i].outcome;
		a.status = transient_cases[i].status;
		a.idempotent = transient_cases[i].idempotent;
		a.attempt = 1;
		a.retry_after_ms = -1;
		if (retry_transient(&a) != transient_cases[i].want)
			UNIT_FAIL("case %zu: outcome %d status %d idem %d: "
			    "want %d", i, (int)a.outcome, a.status,
			    a.idempotent, transient_cases[i].want);
	}
}

static const struct {
	int attempt;
	uint32_t rnd;
	int64_t want;
} backoff_cases[] = {
	{ 1, 0, 0 },
	{ 1, UINT32_MAX, 500 },
	{ 1, 0x80000000u, 250 },
	{ 2, UINT32_MAX, 1000 },
	{ 2, 0x80000000u, 500 },
	{ 3, UINT32_MAX, 2000 },
	{ 4, UINT32_MAX, 4000 },
	{ 5, UINT32_MAX, 8000 },
	{ 6, UINT32_MAX, 16000 },
	{ 7, UINT32_MAX, 30000 },	/* 32000 capped */
	{ 7, 0, 0 },
	{ 8, UINT32_MAX, 30000 },
	{ 20, UINT32_MAX, 30000 },
	{ 1000000, UINT32_MAX, 30000 },	/* no overflow for huge counts */
	{ 0, UINT32_MAX, 500 },		/* nonsense attempt reads as 1 */
	{ -5, UINT32_MAX, 500 },
};

TEST(backoff_table)
{
	struct retry_policy p;
	size_t i;
	int64_t got;

	retry_policy_init(&p, 5);
	for (i = 0; i < sizeof(backoff_cases) / sizeof(backoff_cases[0]);
	    i++) {
		got = retry_backoff_ms(&p, backoff_cases[i].attempt,
		    backoff_cases[i].rnd);
		if (got != backoff_cases[i].want)
			UNIT_FAIL("case %zu: attempt %d rnd %u: got %" PRId64
			    " want %" PRId64, i, backoff_cases[i].attempt,
			    backoff_cases[i].rnd, got, backoff_cases[i].want);
	}
}

/* Full jitter covers the whole range: a sweep of rnd stays within
 * [0, ceiling], is monotonic in rnd, and reaches both ends. */
TEST(backoff_jitter_range)
{
	struct retry_policy p;
	uint64_t r;
	int64_t prev = -1, v, lo = INT64_MAX, hi = -1;

	retry_policy_init(&p, 5);
	for (r = 0; r <= UINT32_MAX; r += 65537) {
		v = retry_backoff_ms(&p, 3, (uint32_t)r);
		CHECK(v >= prev);
		prev = v;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	CHECK_INT(lo, 0);
	CHECK(hi >= 1999 && hi <= 2000);
}

TEST(backoff_custom_policy)
{
	struct retry_policy p;

	retry_policy_init(&p, 3);
	p.base_ms = 100;
	p.cap_ms = 250;
	CHECK_INT(retry_backoff_ms(&p, 1, UINT32_MAX), 100);
	CHECK_INT(retry_backoff_ms(&p, 2, UINT32_MAX), 200);
	CHECK_INT(retry_backoff_ms(&p, 3, UINT32_MAX), 250);
	p.base_ms = 0;
	CHECK_INT(retry_backoff_ms(&p, 3, UINT32_MAX), 0);
}

TEST(policy_init)
{
	struct retry_policy p;

	retry_policy_init(&p, 0);
	CHECK_INT(p.max_attempts, 1);
	retry_policy_init(&p, -3);
	CHECK_INT(p.max_attempts, 1);
	retry_policy_init(&p, 7);
	CHECK_INT(p.max_attempts, 7);
	CHECK_INT(p.base_ms, RETRY_BASE_MS);
	CHECK_INT(p.cap_ms, RETRY_CAP_MS);
	CHECK_INT(p.retry_after_cap_ms, RETRY_AFTER_CAP_MS);
}

static const struct {
	enum retry_outcome outcome;
	int status, idempotent, attempt;
	int64_t retry_after;
	int want;
	int64_t want_delay;		/* with rnd = UINT32_MAX */
} next_cases[] = {
	/* success and final statuses: never */
	{ RETRY_RESPONSE, 200, 1, 1, -1, 0, 0 },
	{ RETRY_RESPONSE, 404, 1, 1, -1, 0, 0 },
	{ RETRY_RESPONSE, 401, 1, 1, 5000, 0, 0 },
	{ RETRY_RESPONSE, 400, 1, 1, -1, 0, 0 },
	/* transient: backoff ceiling of the attempt */
	{ RETRY_RESPONSE, 500, 1, 1, -1, 1, 500 },
	{ RETRY_RESPONSE, 500, 1, 3, -1, 1, 2000 },
	{ RETRY_RESPONSE, 500, 1, 4, -1, 1, 4000 },
	{ RETRY_RESPONSE, 500, 1, 5, -1, 0, 0 },	/* limit */
	{ RETRY_RESPONSE, 500, 1, 9, -1, 0, 0 },
	{ RETRY_NOT_SENT, 0, 0, 1, -1, 1, 500 },
	{ RETRY_LOST, 0, 1, 2, -1, 1, 1000 },
	{ RETRY_LOST, 0, 0, 2, -1, 0, 0 },
	{ RETRY_FATAL, 0, 1, 1, -1, 0, 0 },
	/* Retry-After on 429 and 503 replaces the backoff, capped */
	{ RETRY_RESPONSE, 429, 1, 1, 3000, 1, 3000 },
	{ RETRY_RESPONSE, 429, 0, 2, 0, 1, 0 },
	{ RETRY_RESPONSE, 503, 1, 1, 7000, 1, 7000 },
	{ RETRY_RESPONSE, 503, 1, 1, 10, 1, 10 },
	{ RETRY_RESPONSE, 429, 1, 1, 3600000, 1, RETRY_AFTER_CAP_MS },
	{ RETRY_RESPONSE, 429, 1, 5, 3000, 0, 0 },	/* limit wins */
	{ RETRY_RESPONSE, 429, 1, 1, -1, 1, 500 },	/* none: backoff */
	/* ... but not on other statuses */
	{ RETRY_RESPONSE, 500, 1, 1, 9000, 1, 500 },
	{ RETRY_RESPONSE, 408, 1, 2, 9000, 1, 1000 },
};

TEST(next_table)
{
	struct retry_policy p;
	struct retry_attempt a;
	size_t i;
	int64_t delay;
	int got;

	retry_policy_init(&p, 5);
	for (i = 0; i < sizeof(next_cases) / sizeof(next_cases[0]); i++) {
		a.outcome = next_cases[i].outcome;
		a.status = next_cases[i].status;
		a.idempotent = next_cases[i].idempotent;
		a.attempt = next_cases[i].attempt;
		a.retry_after_ms = next_cases[i].retry_after;
		delay = -42;
		got = retry_next(&p, &a, UINT32_MAX, &delay);
		if (got != next_cases[i].want)
			UNIT_FAIL("case %zu: got %d want %d", i, got,
			    next_cases[i].want);
		else if (got && delay != next_cases[i].want_delay)
			UNIT_FAIL("case %zu: delay %" PRId64 " want %" PRId64,
			    i, delay, next_cases[i].want_delay);
		else if (!got && delay != -42)
			UNIT_FAIL("case %zu: delay written on stop", i);
	}
}

/* One attempt allowed: nothing is ever retried. */
TEST(next_single_attempt)
{
	struct retry_policy p;
	struct retry_attempt a = { RETRY_NOT_SENT, 0, 1, 1, -1 };
	int64_t d;

	retry_policy_init(&p, 1);
	CHECK_INT(retry_next(&p, &a, 0, &d), 0);
	a.outcome = RETRY_RESPONSE;
	a.status = 429;
	a.retry_after_ms = 1000;
	CHECK_INT(retry_next(&p, &a, 0, &d), 0);
}

static const struct {
	const char *value;
	int64_t now_ms;
	int want_rc;
	int64_t want;
} after_cases[] = {
	/* delta-seconds */
	{ "120", 0, 0, 120000 },
	{ "0", 0, 0, 0 },
	{ "1", T1994 * 1000, 0, 1000 },
	{ "  5  ", 0, 0, 5000 },
	{ "\t7", 0, 0, 7000 },
	{ "007", 0, 0, 7000 },
	{ "99999999999999999999999999", 0, 0, 1000000000000LL * 1000 },
	{ "-1", 0, -1, 0 },
	{ "+1", 0, -1, 0 },
	{ "1.5", 0, -1, 0 },
	{ "1e3", 0, -1, 0 },
	{ "12 s", 0, -1, 0 },
	{ "", 0, -1, 0 },
	{ "   ", 0, -1, 0 },
	{ "soon", 0, -1, 0 },
	{ "0x10", 0, -1, 0 },
	/* IMF-fixdate */
	{ "Sun, 06 Nov 1994 08:49:47 GMT", T1994 * 1000, 0, 10000 },
	{ "Sun, 06 Nov 1994 08:49:47 GMT", T1994 * 1000 + 500, 0, 9500 },
	{ "Sun, 06 Nov 1994 08:49:37 GMT", T1994 * 1000, 0, 0 },
	{ "Sun, 06 Nov 1994 08:49:00 GMT", T1994 * 1000, 0, 0 },	/* past */
	{ "Mon, 07 Nov 1994 08:49:37 GMT", T1994 * 1000, 0, 86400000 },
	{ "  Sun, 06 Nov 1994 08:50:37 GMT  ", T1994 * 1000, 0, 60000 },
	{ "sun, 06 nov 1994 08:49:47 GMT", T1994 * 1000, 0, 10000 },
	{ "Sun, 01 Jun 2025 00:00:02 GMT", T2025 * 1000, 0, 2000 },
	{ "Sat, 31 Dec 2016 23:59:60 GMT", 1483228799LL * 1000, 0, 1000 },
	{ "Sun, 06 Nov 1994 08:49:47 UTC", T1994 * 1000, -1, 0 },
	{ "Sun, 06 Nov 1994 08:49:47", T1994 * 1000, -1, 0 },
	{ "Sun, 06 Nov 1994 08:49:47 GMT x", T1994 * 1000, -1, 0 },
	{ "Sun, 6 Nov 1994 08:49:47 GMT", T1994 * 1000, -1, 0 },
	{ "Sun, 06 Nov 94 08:49:47 GMT", T1994 * 1000, -1, 0 },
	{ "Sun, 31 Feb 1994 08:49:47 GMT", T1994 * 1000, -1, 0 },
	{ "Sun, 29 Feb 1994 08:49:47 GMT", T1994 * 1000, -1, 0 },
	{ "Thu, 29 Feb 1996 00:00:00 GMT", T1994 * 1000, 0,
	    (825552000LL - T1994) * 1000 },
	{ "Sun, 00 Nov 1994 08:49:47 GMT", T1994 * 1000, -1, 0 },
	{ "Sun, 06 Nov 1994 24:00:00 GMT", T1994 * 1000, -1, 0 },
	{ "Sun, 06 Nov 1994 08:60:00 GMT", T1994 * 1000, -1, 0 },
	{ "Sun, 06 Nov 1994 08:49:61 GMT", T1994 * 1000, -1, 0 },
	{ "Sun, 06 Xyz 1994 08:49:47 GMT", T1994 * 1000, -1, 0 },
	{ "Fun, 06 Nov 1994 08:49:47 GMT", T1994 * 1000, -1, 0 },
	{ "Sun 06 Nov 1994 08:49:47 GMT", T1994 * 1000, -1, 0 },
	/* RFC 850 with the 50-year window */
	{ "Sunday, 06-Nov-94 08:49:47 GMT", T1994 * 1000, 0, 10000 },
	{ "Sunday, 06-Nov-94 08:49:47 GMT", T2025 * 1000, 0, 0 },
	{ "Tuesday, 01-Jan-30 00:00:00 GMT", T2025 * 1000, 0,
	    (1893456000LL - T2025) * 1000 },
	{ "Sunday, 06-Nov-1994 08:49:47 GMT", T1994 * 1000, -1, 0 },
	{ "Sun, 06-Nov-94 08:49:47 GMT", T1994 * 1000, -1, 0 },
	/* asctime */
	{ "Sun Nov  6 08:49:47 1994", T1994 * 1000, 0, 10000 },
	{ "Sun Nov 06 08:49:47 1994", T1994 * 1000, 0, 10000 },
	{ "Sun Nov 6 08:49:47 1994", T1994 * 1000, -1, 0 },
	{ "Sun Nov  6 08:49:47 1994 GMT", T1994 * 1000, -1, 0 },
	{ "Sun Nov  6 08:49:47", T1994 * 1000, -1, 0 },
};

TEST(retry_after_table)
{
	size_t i;
	int64_t got;
	int rc;

	for (i = 0; i < sizeof(after_cases) / sizeof(after_cases[0]); i++) {
		got = -42;
		rc = retry_after_parse(after_cases[i].value,
		    after_cases[i].now_ms, &got);
		if (rc != after_cases[i].want_rc)
			UNIT_FAIL("\"%s\": rc %d want %d", after_cases[i].value,
			    rc, after_cases[i].want_rc);
		else if (rc == 0 && got != after_cases[i].want)
			UNIT_FAIL("\"%s\": %" PRId64 " ms, want %" PRId64,
			    after_cases[i].value, got, after_cases[i].want);
	}
}

TEST(retry_after_null)
{
	int64_t d = 7;

	CHECK_INT(retry_after_parse(NULL, 0, &d), -1);
	CHECK_INT(d, 7);
}

int
main(void)
{
	RUN(transient_table);
	RUN(backoff_table);
	RUN(backoff_jitter_range);
	RUN(backoff_custom_policy);
	RUN(policy_init);
	RUN(next_table);
	RUN(next_single_attempt);
	RUN(retry_after_table);
	RUN(retry_after_null);
	return unit_done("test_retry");
}
