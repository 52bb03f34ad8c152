/* ctl_next_runs.c - magsyncctl next-runs EXPR [--from TIME] [--count N]
 * [--tz ZONE]: when a schedule fires.
 *
 * Works without a config file: the zone is --tz or the system zone, never
 * the config's [magsync] timezone (check shows runs in that zone).
 *
 * stdout carries only the timestamps, one per line, so scripts can read
 * it. A "manual" schedule prints nothing and a note on stderr, exit 0: it
 * is a valid schedule that simply never fires on its own. A schedule that
 * cannot fire ("0 0 30 2 *") prints nothing and exits 1: that is almost
 * certainly a mistake. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "ctl.h"
#include "ctl_util.h"
#include "isotime.h"
#include "tz.h"
#include "tzload.h"

#define NEXT_RUNS_DEFAULT 5
#define NEXT_RUNS_MAX 1000
#define NEXT_RUNS_USAGE "usage: magsyncctl next-runs EXPR [--from TIME] " \
	"[--count N] [--tz ZONE]\n"

struct next_runs_args {
	char expr[1100];
	const char *from, *count, *zone;
};

/* One of the options, 1; not an option, 0; -1 after saying why. */
static int
option(struct ctl *c, int *i, struct next_runs_args *a)
{
	static const char *const names[] = { "--from", "--count", "--tz" };
	const char **slots[] = { &a->from, &a->count, &a->zone };
	size_t k;
	int rc;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		if ((rc = ctlu_opt(c, i, names[k], slots[k])) == 0)
			continue;
		if (rc < 0)
			fprintf(stderr, "magsyncctl: next-runs: %s needs a "
			    "value\n", names[k]);
		return rc;
	}
	return 0;
}

/* The expression may be one quoted argument or several words
 * (next-runs 0 9 '*' '*' 1-5); words are joined with spaces. */
static int
parse_args(struct ctl *c, struct next_runs_args *a)
{
	size_t used = 0, n;
	int i, rc;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < c->argc; i++) {
		const char *arg = c->argv[i];

		if ((rc = option(c, &i, a)) < 0)
			return -1;
		if (rc > 0)
			continue;
		if (arg[0] == '-' && arg[1] == '-') {
			fprintf(stderr, "magsyncctl: next-runs: unknown option "
			    "%s\n", arg);
			return -1;
		}
		n = strlen(arg);
		if (used + n + 2 > sizeof(a->expr)) {
			fprintf(stderr, "magsyncctl: next-runs: expression "
			    "too long\n");
			return -1;
		}
		if (used)
			a->expr[used++] = ' ';
		memcpy(a->expr + used, arg, n + 1);
		used += n;
	}
	if (used == 0) {
		fprintf(stderr, "magsyncctl: next-runs: no schedule given\n");
		return -1;
	}
	return 0;
}

static int
parse_count(const char *s, int *count)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno == ERANGE ||
	    v < 1 || v > NEXT_RUNS_MAX) {
		fprintf(stderr, "magsyncctl: next-runs: --count \"%s\": want "
		    "a number from 1 to %d\n", s, NEXT_RUNS_MAX);
		return -1;
	}
	*count = (int)v;
	return 0;
}

static int
print_runs(const struct cron *cr, const struct tz *z, int64_t from,
    int count, const char *expr)
{
	char line[ISOTIME_MAX];
	int64_t t = from, next;
	int i;

	for (i = 0; i < count; i++) {
		if (cron_next(cr, z, t, &next) < 0) {
			if (i == 0) {
				fprintf(stderr, "magsyncctl: next-runs: \"%s\" "
				    "never fires (searched 8 years ahead)\n",
				    expr);
				return 1;
			}
			fprintf(stderr, "magsyncctl: next-runs: no more runs "
			    "after %d\n", i);
			break;
		}
		isotime_format(next, tz_offset(z, next), line, sizeof(line));
		if (printf("%s\n", line) < 0)
			return 1;
		t = next;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int
ctl_next_runs(struct ctl *c)
{
	struct next_runs_args a;
	struct cron *cr = NULL;
	struct tz *z = NULL;
	char err[256];
	int64_t from;
	int count = NEXT_RUNS_DEFAULT, rc = 1;

	if (parse_args(c, &a) < 0) {
		fputs(NEXT_RUNS_USAGE, stderr);
		return 1;
	}
	if (a.count && parse_count(a.count, &count) < 0)
		return 1;
	if (a.from) {
		if (isotime_parse_zoned(a.from, &from) < 0) {
			fprintf(stderr, "magsyncctl: next-runs: --from \"%s\": "
			    "want ISO-8601 with Z or an offset, e.g. "
			    "2026-03-29T00:00:00Z\n", a.from);
			return 1;
		}
	} else {
		from = (int64_t)time(NULL);
	}
	if ((cr = cron_parse(a.expr, err, sizeof(err))) == NULL) {
		fprintf(stderr, "magsyncctl: next-runs: \"%s\": %s\n", a.expr,
		    err);
		return 1;
	}
	if ((z = tzload(a.zone, err, sizeof(err))) == NULL) {
		fprintf(stderr, "magsyncctl: next-runs: %s\n", err);
		goto out;
	}
	if (cron_is_manual(cr)) {
		fprintf(stderr, "magsyncctl: next-runs: manual schedule: runs "
		    "only on demand\n");
		rc = 0;
		goto out;
	}
	rc = print_runs(cr, z, from, count, a.expr);
out:
	tz_free(z);
	cron_free(cr);
	return rc;
}
