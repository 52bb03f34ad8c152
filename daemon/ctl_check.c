/* ctl_check.c - magsyncctl check [FILE] [--from TIME]: validate the
 * configuration and show when each job runs next.
 *
 * Every problem goes to stderr as FILE:LINE: message (warnings too, marked
 * "warning:"); any error means exit 1 and no summary. On success stdout has
 * one line per job with its next three runs in the configured zone, then
 * "OK: N channels, M jobs". FILE overrides -c; --from (ISO-8601 with a
 * zone) replaces "now", so the output can be compared in tests. Every
 * template, and every job's use of one, is checked too (tmpl_check_conf),
 * once the ini itself has no error. Nothing
 * printed ever holds a secret: conf's messages never carry one, and the
 * summary shows no channel settings. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "cron.h"
#include "ctl.h"
#include "ctl_util.h"
#include "isotime.h"
#include "tz.h"

#define CHECK_RUNS	3
#define CHECK_USAGE	"usage: magsyncctl check [FILE] [--from TIME]\n"

/* The next CHECK_RUNS fire times of j after now, as text. */
static void
next_runs(const struct conf *c, const struct conf_job *j, int64_t now,
    char *out, size_t outlen)
{
	char ts[ISOTIME_MAX];
	int64_t t = now, next;
	size_t o = 0;
	int i;

	out[0] = '\0';
	if (cron_is_manual(j->schedule)) {
		snprintf(out, outlen, "manual (on demand only)");
		return;
	}
	for (i = 0; i < CHECK_RUNS; i++) {
		if (cron_next(j->schedule, c->tz, t, &next) < 0)
			break;
		isotime_format(next, tz_offset(c->tz, next), ts, sizeof(ts));
		o += (size_t)snprintf(out + o, outlen - o, "%s%s",
		    i ? ", " : "", ts);
		if (o >= outlen)
			return;
		t = next;
	}
	if (i == 0)
		snprintf(out, outlen, "never (no date matches the schedule)");
}

static int
print_summary(const struct conf *c, int64_t now)
{
	char runs[3 * ISOTIME_MAX + 64];
	const struct conf_job *j;
	size_t i;

	printf("timezone: %s\n", tz_name(c->tz));
	for (i = 0; i < c->njobs; i++) {
		j = &c->jobs[i];
		next_runs(c, j, now, runs, sizeof(runs));
		if (j->enabled || cron_is_manual(j->schedule))
			printf("%s %s  schedule=%s  next: %s%s%s\n",
			    j->channel->name, proc_name(j->process),
			    j->schedule_text, runs,
			    j->line == 0 ? "  (implicit)" : "",
			    j->enabled ? "" : "  (disabled)");
		else
			printf("%s %s  schedule=%s  next: disabled (enabled = "
			    "no; would run %s)\n", j->channel->name,
			    proc_name(j->process), j->schedule_text, runs);
	}
	printf("OK: %zu channel%s, %zu job%s\n", c->nchannels,
	    c->nchannels == 1 ? "" : "s", c->njobs, c->njobs == 1 ? "" : "s");
	return fflush(stdout) == 0 ? 0 : 1;
}

int
ctl_check(struct ctl *c)
{
	const char *path = c->config_path, *from = NULL;
	struct conf *cf;
	int64_t now = (int64_t)time(NULL);
	int a, rc;

	for (a = 1; a < c->argc; a++) {
		if ((rc = ctlu_opt(c, &a, "--from", &from)) > 0)
			continue;
		if (rc == 0 && c->argv[a][0] != '-' && path == c->config_path)
			path = c->argv[a];
		else {
			fputs(CHECK_USAGE, stderr);
			return 1;
		}
	}
	if (from != NULL && isotime_parse_zoned(from, &now) < 0) {
		fprintf(stderr, "magsyncctl: check: --from \"%s\": want ISO-8601 "
		    "with Z or an offset\n", from);
		return 1;
	}
	/* Templates are checked too (confload). */
	if ((cf = ctlu_load("check", path, CTLU_LOAD_COUNT)) == NULL)
		return 1;
	rc = print_summary(cf, now);
	conf_free(cf);
	return rc;
}
