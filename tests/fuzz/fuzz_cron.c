/* fuzz_cron.c - libFuzzer target: schedules through cron_parse and
 * cron_next in several zones, and durations through cron_duration.
 *
 * Input lines: the first is the schedule; then optionally "TZ=<rule>"
 * (one more zone, from tz_from_posix), "T=<seconds>" (more start
 * instants) and "D=<text>" (a duration). The first line goes through
 * cron_duration as well.
 *
 * Checked for cron_next, in every zone from every start instant: the
 * next run lies strictly after the start; asking again from any instant
 * between the start and that run gives the same run (so no run is
 * skipped or invented by where the search begins); runs keep increasing;
 * NULL and a UTC zone agree; manual never fires; "@every D" fires on
 * multiples of D, at most D later. Fixed zones have whole-minute offsets
 * and transitions, so a five-field run falls on a whole minute there.
 * For cron_duration: the value is in range and reads back from its
 * decimal and its "XdYhZmWs" spellings. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cron.h"
#include "tz.h"
#include "targets.h"

/* cron.h: instants in years 1 to 9990; durations up to 36600 days. */
#define FCRON_T_MIN	(-62135596800LL)
#define FCRON_T_MAX	(253086595200LL)
#define FCRON_DUR_MAX	(36600LL * 86400)
#define FCRON_MAX_T	4

static const char *const fcron_rules[] = {
	"CET-1CEST,M3.5.0,M10.5.0/3",		/* Europe/Berlin */
	"EST5EDT,M3.2.0,M11.1.0",		/* America/New_York */
	"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",	/* half-hour DST */
	"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45",	/* Chatham */
	"<-02>2<-01>,M3.5.0/-1,M10.5.0/0",	/* v3 negative time */
	"<-04>4<-03>,M9.1.6/24,M4.1.6/24",	/* v3 24:00 */
	"EST5EDT,0/0,J365/25",			/* DST all year */
	"<+14>-14",				/* far east, no DST */
};

#define FCRON_NZONES (sizeof(fcron_rules) / sizeof(fcron_rules[0]))

static const int64_t fcron_starts[] = {
	0, -1, 1700000000,
	1711846800 - 1,		/* just before the EU spring forward */
	1729990800 - 1,		/* just before the EU fall back */
	1730613600 - 1800,	/* in the US fall back */
	3981398400LL,		/* 2096-03-01: Feb 29 eight years away */
	FCRON_T_MIN, FCRON_T_MAX - 86400,
};

#define FCRON_NSTARTS (sizeof(fcron_starts) / sizeof(fcron_starts[0]))

/* "@every D" (any case, any blanks) -> D in seconds, else 0. */
static int64_t
fcron_every(const char *expr)
{
	const char *p = expr;
	char arg[64];
	size_t n;
	int64_t secs;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (strncasecmp(p, "@every", 6) != 0)
		return 0;
	p += 6;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	n = strcspn(p, " \t\r\n");
	if (n == 0 || n >= sizeof(arg))
		return 0;
	memcpy(arg, p, n);
	arg[n] = '\0';
	return cron_duration(arg, 0, &secs) == 0 ? secs : 0;
}

static void
fcron_duration(const char *s)
{
	char buf[64];
	int64_t secs = -7, again, zero = -7;

	if (cron_duration(s, 1, &zero) < 0) {
		FUZZ_CHECK(zero == -7);
		FUZZ_CHECK(cron_duration(s, 0, &secs) < 0 && secs == -7);
		return;
	}
	FUZZ_CHECK(zero >= 0 && zero <= FCRON_DUR_MAX);
	if (cron_duration(s, 0, &secs) < 0) {
		FUZZ_CHECK(zero == 0);
		return;
	}
	FUZZ_CHECK(secs == zero && secs > 0);
	snprintf(buf, sizeof(buf), "%" PRId64, secs);
	FUZZ_CHECK(cron_duration(buf, 0, &again) == 0 && again == secs);
	snprintf(buf, sizeof(buf), "%" PRId64 "d%dh%dm%ds", secs / 86400,
	    (int)(secs / 3600 % 24), (int)(secs / 60 % 60), (int)(secs % 60));
	FUZZ_CHECK(cron_duration(buf, 0, &again) == 0 && again == secs);
}

/* The properties of one schedule in one zone from one start. */
static void
fcron_check(const struct cron *c, const struct tz *z, int64_t after,
    int64_t every, int whole_minutes)
{
	int64_t n1, n2, mid;
	int k;

	if (cron_next(c, z, after, &n1) < 0)
		return;
	FUZZ_CHECK(!cron_is_manual(c));
	FUZZ_CHECK(n1 > after);
	if (every > 0) {
		FUZZ_CHECK(n1 % every == 0 &&
		    (uint64_t)n1 - (uint64_t)after <= (uint64_t)every);
		return;
	}
	if (whole_minutes)
		FUZZ_CHECK(n1 % 60 == 0);
	if (n1 - 1 <= FCRON_T_MAX) {
		FUZZ_CHECK(cron_next(c, z, n1 - 1, &n2) == 0 && n2 == n1);
		mid = after + (n1 - after) / 2;
		FUZZ_CHECK(cron_next(c, z, mid, &n2) == 0 && n2 == n1);
	}
	for (k = 0; k < 2 && n1 <= FCRON_T_MAX; k++) {
		if (cron_next(c, z, n1, &n2) < 0)
			break;
		FUZZ_CHECK(n2 > n1);
		n1 = n2;
	}
}

static int
fuzz_cron_one(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size, nt = 0, i, j;
	char *expr = fuzz_next_token(&p, &left, '\n'), *line, err[256];
	struct tz *zones[FCRON_NZONES + 2] = { NULL }, *fz = NULL;
	int64_t starts[FCRON_NSTARTS + FCRON_MAX_T], every;
	struct cron *c, *c2;
	size_t nz = 0;
	int64_t a, b;

	while ((line = fuzz_next_token(&p, &left, '\n')) != NULL) {
		if (strncmp(line, "TZ=", 3) == 0 && fz == NULL)
			fz = tz_from_posix(NULL, line + 3, err, sizeof(err));
		else if (strncmp(line, "T=", 2) == 0 && nt < FCRON_MAX_T)
			starts[FCRON_NSTARTS + nt++] = strtoll(line + 2, NULL,
			    10);
		else if (strncmp(line, "D=", 2) == 0)
			fcron_duration(line + 2);
		free(line);
	}
	fcron_duration(expr);

	err[0] = '\0';
	c = cron_parse(expr, err, sizeof(err));
	if (c == NULL)
		FUZZ_CHECK(err[0] != '\0' && strlen(err) < sizeof(err));
	/* The outcome never depends on the error buffer. */
	c2 = cron_parse(expr, err, 1);
	FUZZ_CHECK((c2 == NULL) == (c == NULL) && err[0] == '\0');
	cron_free(c2);
	c2 = cron_parse(expr, NULL, 0);
	FUZZ_CHECK((c2 == NULL) == (c == NULL));
	cron_free(c2);
	if (c == NULL)
		goto out;

	memcpy(starts, fcron_starts, sizeof(fcron_starts));
	zones[nz++] = NULL;
	zones[nz++] = tz_utc();
	for (i = 0; i < FCRON_NZONES; i++) {
		zones[nz] = tz_from_posix(NULL, fcron_rules[i], err,
		    sizeof(err));
		FUZZ_CHECK(zones[nz] != NULL);
		nz++;
	}
	every = fcron_every(expr);
	for (j = 0; j < FCRON_NSTARTS + nt; j++) {
		int ra = cron_next(c, NULL, starts[j], &a);
		int rb = cron_next(c, zones[1], starts[j], &b);

		FUZZ_CHECK(ra == rb && (ra < 0 || a == b));
		if (cron_is_manual(c))
			FUZZ_CHECK(ra < 0);
		for (i = 0; i < nz; i++)
			fcron_check(c, zones[i], starts[j], every, 1);
		if (fz != NULL)
			fcron_check(c, fz, starts[j], every, 0);
	}
	for (i = 0; i < nz; i++)
		tz_free(zones[i]);
	cron_free(c);
out:
	tz_free(fz);
	free(expr);
	return 0;
}

FUZZ_ENTRY(fuzz_cron_one)
