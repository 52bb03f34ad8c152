/* ctl_run.c - `magsyncctl run CHANNEL PROCESS`: one run now, in this
 * process, through the same run.c the daemon uses (so the same lock: it is
 * skipped when the job is running anywhere).
 *
 * Exit status: 0 succeeded, 2 partial, 1 failed or interrupted, 3 skipped. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "conf.h"
#include "ctl.h"
#include "ctl_util.h"
#include "db.h"
#include "log.h"
#include "run.h"

struct ctl_run {
	uv_loop_t loop;
	uv_signal_t sigint, sigterm;
	struct db *side;
	struct run *run;
	int tty, progress_shown, signals;
	struct run_summary sum;
	char *error;			/* copy of sum.error */
	char prefix[256];
	int done;
};

static const int exit_codes[] = {
	[RUN_RUNNING] = 1,
	[RUN_SUCCEEDED] = 0,
	[RUN_PARTIAL] = 2,
	[RUN_FAILED] = 1,
	[RUN_INTERRUPTED] = 1,
	[RUN_SKIPPED] = 3,
};

static void
on_progress(struct run *r, const char *text, void *arg)
{
	struct ctl_run *cr = arg;

	(void)r;
	if (!cr->tty)
		return;
	/* One line, overwritten in place. */
	printf("\r%s: %s\033[K", run_prefix(r), text);
	fflush(stdout);
	cr->progress_shown = 1;
}

static void
on_done(struct run *r, void *arg)
{
	struct ctl_run *cr = arg;

	run_get_summary(r, &cr->sum);
	if (cr->sum.error != NULL)
		cr->error = strdup(cr->sum.error);
	cr->sum.error = NULL;
	snprintf(cr->prefix, sizeof(cr->prefix), "%s %s",
	    run_job(r)->channel->name, proc_name(run_job(r)->process));
	cr->run = NULL;
	cr->done = 1;
	uv_close((uv_handle_t *)&cr->sigint, NULL);
	uv_close((uv_handle_t *)&cr->sigterm, NULL);
	db_free(cr->side);
	cr->side = NULL;
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct ctl_run *cr = h->data;
	const char *name = signum == SIGINT ? "SIGINT" : "SIGTERM";
	char why[96];

	if (cr->run == NULL)
		return;
	if (cr->signals++ == 0) {
		snprintf(why, sizeof(why), "stopped by magsyncctl (%s)", name);
		fprintf(stderr, "\nmagsyncctl: %s: stopping at the next safe "
		    "point (again to stop at once)\n", name);
		run_cancel(cr->run, why);
	} else {
		snprintf(why, sizeof(why), "stopped at once by magsyncctl "
		    "(second %s)", name);
		run_abort(cr->run, why);
	}
}

/* The side connection only carries heartbeats and log rows; the run
 * falls back to its own connection while it is not up. */
static void
on_side_state(struct db *db, int up, const char *err, void *arg)
{
	(void)db;
	(void)up;
	(void)err;
	(void)arg;
}

static void
print_summary(struct ctl_run *cr)
{
	const struct run_summary *s = &cr->sum;

	if (cr->progress_shown)
		printf("\n");
	if (s->id > 0)
		printf("run %" PRId64 " (%s): %s", s->id, cr->prefix,
		    run_status_name(s->status));
	else
		printf("%s: %s (not recorded)", cr->prefix,
		    run_status_name(s->status));
	printf(" in %.1f s\n", (double)s->duration_ms / 1000.0);
	if (s->status != RUN_SKIPPED)
		printf("items: %" PRId64 " total, %" PRId64 " ok, %" PRId64
		    " failed; requests: %" PRId64 "\n", s->items_total,
		    s->items_ok, s->items_failed, s->requests);
	if (cr->error != NULL)
		printf("error: %s\n", cr->error);
	if (s->id > 0 && (s->items_failed > 0 || s->status == RUN_FAILED))
		printf("details: magsyncctl logs %" PRId64 "\n", s->id);
	fflush(stdout);
}

/* The job to run, or NULL after saying why. */
static const struct conf_job *
find_job(const struct conf *c, const char *path, const char *channel,
    const char *process)
{
	const struct conf_job *j;
	enum proc p = proc_from_name(process);

	if (p == PROC_NONE) {
		fprintf(stderr, "magsyncctl: run: unknown process '%s' "
		    "(import_listings, sync_listings, publish_listings, "
		    "get_orders, sync_orders or pii_retention)\n", process);
		return NULL;
	}
	if (conf_channel(c, channel) == NULL) {
		fprintf(stderr, "magsyncctl: run: no [channel %s] in %s\n",
		    channel, path);
		return NULL;
	}
	if ((j = conf_job(c, channel, p)) == NULL)
		fprintf(stderr, "magsyncctl: run: no [job %s %s] in %s\n",
		    channel, process, path);
	return j;
}

static int
run_loop_once(struct ctl_run *cr, struct run_conf *rc,
    const struct conf_job *job, const char *host)
{
	const struct conf *c = run_conf_get(rc);
	struct run_params p;
	int rc2;

	if ((rc2 = uv_loop_init(&cr->loop)) < 0) {
		fprintf(stderr, "magsyncctl: run: %s\n", uv_strerror(rc2));
		return 1;
	}
	/* uv_signal_init cannot fail on Linux short of a broken loop; the
	 * start calls can (bad signal number), so they are checked. */
	if ((rc2 = uv_signal_init(&cr->loop, &cr->sigint)) < 0 ||
	    (rc2 = uv_signal_init(&cr->loop, &cr->sigterm)) < 0) {
		fprintf(stderr, "magsyncctl: run: %s\n", uv_strerror(rc2));
		return 1;
	}
	cr->sigint.data = cr->sigterm.data = cr;
	if ((rc2 = uv_signal_start(&cr->sigint, on_signal, SIGINT)) < 0 ||
	    (rc2 = uv_signal_start(&cr->sigterm, on_signal, SIGTERM)) < 0)
		fprintf(stderr, "magsyncctl: run: cannot watch signals: %s\n",
		    uv_strerror(rc2));
	cr->side = db_new(&cr->loop, c->global.database, 0, on_side_state,
	    cr);

	memset(&p, 0, sizeof(p));
	p.loop = &cr->loop;
	p.conf = rc;
	p.job = job;
	p.conninfo = c->global.database;
	p.host = host;
	p.side = cr->side;
	p.trigger = RUN_TRIGGER_MANUAL;
	p.scheduled_for = -1;
	p.on_done = on_done;
	p.on_progress = on_progress;
	p.arg = cr;
	if (cr->side == NULL || (cr->run = run_start(&p)) == NULL) {
		fprintf(stderr, "magsyncctl: run: out of memory\n");
		db_free(cr->side);
		uv_close((uv_handle_t *)&cr->sigint, NULL);
		uv_close((uv_handle_t *)&cr->sigterm, NULL);
		uv_run(&cr->loop, UV_RUN_DEFAULT);
		uv_loop_close(&cr->loop);
		return 1;
	}
	uv_run(&cr->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&cr->loop) != 0)
		fprintf(stderr, "magsyncctl: run: loop did not close "
		    "cleanly\n");
	return 0;
}

int
ctl_run(struct ctl *c)
{
	struct ctl_run cr;
	struct run_conf *rc;
	struct conf *cf;
	const struct conf_job *job;
	char host[256];
	int status;

	if (c->argc != 3) {
		fprintf(stderr, "usage: magsyncctl run CHANNEL PROCESS\n");
		return 1;
	}
	/* Progress goes to stdout; stderr keeps warnings and errors. */
	log_init(LOG_LEVEL_WARNING);
	if ((cf = ctlu_load("run", c->config_path, CTLU_LOAD)) == NULL)
		return 1;
	if ((job = find_job(cf, c->config_path, c->argv[1], c->argv[2])) ==
	    NULL) {
		conf_free(cf);
		return 1;
	}
	if ((rc = run_conf_new(cf)) == NULL) {
		fprintf(stderr, "magsyncctl: run: out of memory\n");
		return 1;
	}
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	memset(&cr, 0, sizeof(cr));
	cr.tty = c->tty;
	signal(SIGPIPE, SIG_IGN);
	if (run_loop_once(&cr, rc, job, host) != 0 || !cr.done) {
		run_conf_unref(rc);
		return 1;
	}
	run_conf_unref(rc);
	print_summary(&cr);
	status = exit_codes[cr.sum.status];
	free(cr.error);
	return status;
}
