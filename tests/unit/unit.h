/* unit.h - the tiny assertion kit of magsync's unit tests.
 *
 * Each test binary is its own process. TEST(name) defines a case; RUN(name)
 * runs it and counts it passed if none of its checks failed. CHECK_* print
 * both sides on failure and go on, so one run shows every broken case.
 * The output is TAP (the Test Anything Protocol, which prove and CI test
 * reporters read): "ok N - case" or "not ok N - case" per case on stdout,
 * failures as "# FAIL ..." diagnostics on stderr, the plan "1..N" last.
 * unit_done() also prints the TAP comment "#unit-result P F" that
 * tests/run.sh sums, and returns the exit status. */
#ifndef MS_UNIT_H
#define MS_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int unit_case_failed, unit_passed, unit_failed;
static const char *unit_case;

#define UNIT_FAIL(...) do {						\
	fprintf(stderr, "# FAIL %s (%s:%d): ", unit_case, __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	unit_case_failed = 1;						\
} while (0)

#define CHECK(cond) do {						\
	if (!(cond))							\
		UNIT_FAIL("%s", #cond);					\
} while (0)

#define CHECK_INT(a, b) do {						\
	long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);	\
	if (unit_a_ != unit_b_)						\
		UNIT_FAIL("%s == %s: %lld != %lld", #a, #b, unit_a_, unit_b_); \
} while (0)

#define CHECK_DBL(a, b, eps) do {					\
	double unit_a_ = (a), unit_b_ = (b);				\
	if (!(unit_a_ - unit_b_ <= (eps) && unit_b_ - unit_a_ <= (eps)))	\
		UNIT_FAIL("%s == %s: %.17g != %.17g", #a, #b, unit_a_, unit_b_); \
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *unit_a_ = (a), *unit_b_ = (b);			\
	if (unit_a_ == NULL || unit_b_ == NULL ? unit_a_ != unit_b_	\
	    : strcmp(unit_a_, unit_b_) != 0)				\
		UNIT_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,		\
		    unit_a_ ? unit_a_ : "(null)", unit_b_ ? unit_b_ : "(null)"); \
} while (0)

/* Substring check: haystack contains needle. */
#define CHECK_HAS(hay, needle) do {					\
	const char *unit_h_ = (hay), *unit_n_ = (needle);		\
	if (unit_h_ == NULL || strstr(unit_h_, unit_n_) == NULL)	\
		UNIT_FAIL("\"%s\" contains \"%s\"",			\
		    unit_h_ ? unit_h_ : "(null)", unit_n_);		\
} while (0)

#define TEST(name) static void name(void)

#define RUN(name) do {							\
	unit_case = #name;						\
	unit_case_failed = 0;						\
	name();								\
	if (unit_case_failed)						\
		unit_failed++;						\
	else								\
		unit_passed++;						\
	printf("%sok %d - %s\n", unit_case_failed ? "not " : "",	\
	    unit_passed + unit_failed, #name);				\
	fflush(stdout);							\
} while (0)

static inline int
unit_done(const char *binary)
{
	printf("1..%d\n", unit_passed + unit_failed);
	printf("# %s: %d cases ok, %d cases broken\n", binary, unit_passed,
	    unit_failed);
	printf("#unit-result %d %d\n", unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif
