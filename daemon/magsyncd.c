/* magsyncd - the magsync daemon: one libuv loop, one control connection,
 * the scheduler and its runs; systemd Type=notify. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "conf.h"
#include "confload.h"
#include "db.h"
#include "diag.h"
#include "log.h"
#include "migrate.h"
#include "notify.h"
#include "run.h"
#include "scheduler.h"

#define DEFAULT_CONFIG "/etc/magsync/magsync.ini"
/* After stop_timeout the runs are abandoned; this long more for them to
 * close their handles before we give up on a clean exit. */
#define STOP_GRACE_MS 5000

/* Everything the daemon has, reachable from every handle (STYLE.md §18). */
struct daemon {
	uv_loop_t loop;
	uv_signal_t sighup, sigterm, sigint;
	uv_timer_t watchdog;
	uv_timer_t stop_timer;
	const char *config_path;
	char host[256];
	char *conninfo;			/* the control connection's; a change
					 * needs a restart */
	struct run_conf *rc;
	struct db *db;
	struct sched *sched;
	struct notify *notify;
	uint64_t watchdog_ms;
	int started;			/* READY=1 sent */
	int db_seen;			/* the first connect attempt ended */
	int db_lost_logged;
	int schema_ok;
	int checking;			/* migrate_status in flight */
	int stopping, finishing, aborted;
	int exit_code;
};

static void daemon_stop(struct daemon *d, int code);
static void daemon_finish(struct daemon *d);

static void
usage(int status)
{
	fprintf(stderr, "usage: magsyncd [-c FILE]\n"
	    "  FILE defaults to $MAGSYNC_CONFIG, else " DEFAULT_CONFIG "\n");
	exit(status);
}

static enum log_level
level_of(const struct conf *c)
{
	static const enum log_level map[] = {
		[CONF_LOG_ERROR] = LOG_LEVEL_ERROR,
		[CONF_LOG_WARNING] = LOG_LEVEL_WARNING,
		[CONF_LOG_INFO] = LOG_LEVEL_INFO,
		[CONF_LOG_DEBUG] = LOG_LEVEL_DEBUG,
	};

	return map[c->global.log_level];
}

/* Load the config and log every problem as FILE:LINE: message. */
static struct conf *
load(const char *path)
{
	struct diag_list dl = { NULL, 0, 0 };
	struct conf *c;
	char line[DIAG_MSG_MAX + 512];
	size_t i;

	c = confload(path, &dl);
	for (i = 0; i < dl.n; i++) {
		diag_format(&dl, i, line, sizeof(line));
		if (dl.items[i].level == DIAG_ERROR)
			log_errorx("%s", line);
		else
			log_warnx("%s", line);
	}
	if (c == NULL && diag_errors(&dl) == 0)
		log_errorx("%s: cannot load the configuration", path);
	diag_clear(&dl);
	return c;
}

static void
update_status(struct daemon *d)
{
	char buf[512];

	if (d->notify == NULL || d->finishing)
		return;
	sched_describe(d->sched, buf, sizeof(buf));
	notify_send(d->notify, "STATUS=%s%s%s", d->stopping ? "stopping; " :
	    "", !d->schema_ok ? "database unavailable; " : "", buf);
}

static void
on_sched_change(struct sched *s, void *arg)
{
	struct daemon *d = arg;

	(void)s;
	update_status(d);
	if (d->stopping && !d->finishing && sched_running(d->sched) == 0)
		daemon_finish(d);
}

static void
ready(struct daemon *d)
{
	if (d->started)
		return;
	d->started = 1;
	notify_send(d->notify, "READY=1");
	log_info("magsyncd ready (pid %ld on %s)", (long)getpid(), d->host);
	update_status(d);
}

/* ---- database and schema ------------------------------------------- */

static void
on_schema(const struct migrate_status *st, const char *err, void *arg)
{
	struct daemon *d = arg;

	d->checking = 0;
	if (d->finishing)
		return;
	if (err != NULL) {
		log_warnx("cannot check the database schema: %s", err);
		ready(d);
		return;
	}
	if (st->too_new) {
		log_errorx("the database schema (version %d) is newer than "
		    "this magsyncd knows (%d): upgrade magsync", st->current,
		    st->latest);
	} else if (st->pending > 0) {
		log_errorx("the database schema is at version %d, %d "
		    "migration%s pending: run magsyncctl migrate",
		    st->current, st->pending, st->pending == 1 ? "" : "s");
	} else {
		d->schema_ok = 1;
		log_info("database schema current (version %d)", st->current);
		ready(d);
		sched_db_up(d->sched);
		update_status(d);
		return;
	}
	/* Before READY=1 a wrong schema is fatal; later (the database came
	 * back migrated differently) we wait for an operator. */
	if (!d->started)
		daemon_stop(d, 1);
	else
		log_errorx("no job starts until the schema is current");
}

static void
check_schema(struct daemon *d)
{
	int rc;

	if (d->checking || d->stopping)
		return;
	if ((rc = migrate_status(d->db, on_schema, d)) < 0) {
		log_warnx("cannot check the database schema: %s",
		    strerror(-rc));
		ready(d);
		return;
	}
	d->checking = 1;
}

static void
on_db_state(struct db *db, int up, const char *err, void *arg)
{
	struct daemon *d = arg;

	(void)db;
	d->db_seen = 1;
	if (up) {
		log_info("database connection %s", d->db_lost_logged ?
		    "is back" : "established");
		d->db_lost_logged = 0;
		check_schema(d);
		return;
	}
	if (d->schema_ok || !d->db_lost_logged) {
		log_warnx("database unavailable: %s; retrying, no job starts "
		    "meanwhile", err ? err : "connection lost");
		d->db_lost_logged = 1;
	} else
		log_debug("database still unavailable: %s", err ? err : "?");
	d->schema_ok = 0;
	sched_db_down(d->sched);
	update_status(d);
	/* Unreachable at start is not fatal: systemd may have started us
	 * before PostgreSQL; keep retrying. */
	ready(d);
}

/* ---- signals ------------------------------------------------------- */

static void
reload(struct daemon *d)
{
	struct conf *c;
	struct run_conf *rc;

	notify_send(d->notify, "RELOADING=1");
	log_info("reloading %s", d->config_path);
	if ((c = load(d->config_path)) == NULL) {
		log_errorx("reload refused: %s has errors; keeping the running "
		    "configuration", d->config_path);
		notify_send(d->notify, "READY=1");
		update_status(d);
		return;
	}
	if (strcmp(c->global.database, d->conninfo) != 0)
		log_warnx("[magsync] database changed: it takes effect when "
		    "magsyncd restarts");
	log_set_level(level_of(c));
	if ((rc = run_conf_new(c)) == NULL) {
		log_errorx("reload failed: out of memory");
		notify_send(d->notify, "READY=1");
		return;
	}
	sched_set_conf(d->sched, rc);
	run_conf_unref(d->rc);
	d->rc = rc;
	log_info("configuration reloaded");
	notify_send(d->notify, "READY=1");
	update_status(d);
	if (db_is_up(d->db) && !d->schema_ok)
		check_schema(d);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (signum == SIGHUP) {
		if (!d->stopping)
			reload(d);
		return;
	}
	if (d->stopping) {
		log_warnx("second stop signal: abandoning running jobs");
		d->aborted = 1;
		sched_abort(d->sched, "magsyncd stopped at once (second stop "
		    "signal)");
		return;
	}
	log_info("%s: stopping", signum == SIGTERM ? "SIGTERM" : "SIGINT");
	daemon_stop(d, 0);
}

static void
on_watchdog(uv_timer_t *t)
{
	struct daemon *d = t->data;

	notify_send(d->notify, "WATCHDOG=1");
}

/* ---- stopping ------------------------------------------------------ */

static void
on_grace(uv_timer_t *t)
{
	struct daemon *d = t->data;

	log_errorx("%zu runs did not end after being abandoned; exiting "
	    "without a clean shutdown", sched_running(d->sched));
	exit(1);
}

static void
on_stop_timeout(uv_timer_t *t)
{
	struct daemon *d = t->data;
	char why[128];

	if (d->finishing)
		return;
	snprintf(why, sizeof(why), "stop_timeout (%" PRId64 " s) reached "
	    "before the run got to a safe point",
	    run_conf_get(d->rc)->global.stop_timeout);
	log_warnx("%s: abandoning %zu runs", why, sched_running(d->sched));
	d->aborted = 1;
	sched_abort(d->sched, why);
	if (!d->finishing)
		uv_timer_start(&d->stop_timer, on_grace, STOP_GRACE_MS, 0);
}

/* Stop scheduling and let runs reach a safe point (STYLE.md §23). */
static void
daemon_stop(struct daemon *d, int code)
{
	int64_t secs = run_conf_get(d->rc)->global.stop_timeout;

	if (d->stopping)
		return;
	d->stopping = 1;
	d->exit_code = code;
	notify_send(d->notify, "STOPPING=1");
	sched_stop(d->sched, "magsyncd stopping");
	if (sched_running(d->sched) > 0) {
		log_info("waiting up to %" PRId64 " s for %zu runs to reach a "
		    "safe point", secs, sched_running(d->sched));
		if (secs < 1)
			secs = 1;
		uv_timer_start(&d->stop_timer, on_stop_timeout,
		    (uint64_t)secs * 1000, 0);
	}
	update_status(d);
	if (sched_running(d->sched) == 0)
		daemon_finish(d);
}

/* Every run is over: close every handle; main runs the loop dry. */
static void
daemon_finish(struct daemon *d)
{
	if (d->finishing)
		return;
	d->finishing = 1;
	sched_free(d->sched);
	d->sched = NULL;
	db_free(d->db);
	d->db = NULL;
	uv_close((uv_handle_t *)&d->sighup, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->watchdog, NULL);
	uv_close((uv_handle_t *)&d->stop_timer, NULL);
}

static void
on_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	log_errorx("handle still open at exit: %s",
	    uv_handle_type_name(uv_handle_get_type(h)));
}

/* ---- start --------------------------------------------------------- */

static void
daemon_init(struct daemon *d, struct conf *c)
{
	int rc;

	if ((rc = uv_loop_init(&d->loop)) < 0)
		fatalx("uv_loop_init: %s", uv_strerror(rc));
	if (gethostname(d->host, sizeof(d->host)) == -1 || d->host[0] == '\0')
		strcpy(d->host, "localhost");
	d->host[sizeof(d->host) - 1] = '\0';
	if ((d->conninfo = strdup(c->global.database)) == NULL)
		fatal("strdup");
	if ((d->rc = run_conf_new(c)) == NULL)
		fatalx("out of memory");
	d->notify = notify_new();
	if ((d->db = db_new(&d->loop, d->conninfo, 1, on_db_state, d)) == NULL)
		fatalx("out of memory");
	d->sched = sched_new(&d->loop, d->db, d->conninfo, d->host,
	    on_sched_change, d);
	if (d->sched == NULL)
		fatalx("cannot create the scheduler");
	sched_set_conf(d->sched, d->rc);

	if (uv_signal_init(&d->loop, &d->sighup) < 0 ||
	    uv_signal_init(&d->loop, &d->sigterm) < 0 ||
	    uv_signal_init(&d->loop, &d->sigint) < 0 ||
	    uv_timer_init(&d->loop, &d->watchdog) < 0 ||
	    uv_timer_init(&d->loop, &d->stop_timer) < 0)
		fatalx("cannot create the loop's handles");
	d->sighup.data = d->sigterm.data = d->sigint.data = d;
	d->watchdog.data = d->stop_timer.data = d;
	if (uv_signal_start(&d->sighup, on_signal, SIGHUP) < 0 ||
	    uv_signal_start(&d->sigterm, on_signal, SIGTERM) < 0 ||
	    uv_signal_start(&d->sigint, on_signal, SIGINT) < 0)
		fatalx("cannot watch signals");
	if ((d->watchdog_ms = notify_watchdog_ms()) > 0 &&
	    uv_timer_start(&d->watchdog, on_watchdog, d->watchdog_ms / 2 ?
	    d->watchdog_ms / 2 : 1, d->watchdog_ms / 2 ?
	    d->watchdog_ms / 2 : 1) < 0)
		fatalx("cannot start the watchdog timer");
}

int
main(int argc, char **argv)
{
	struct daemon d;
	const char *config = getenv("MAGSYNC_CONFIG");
	struct conf *c;
	int ch, rc;

	memset(&d, 0, sizeof(d));
	log_init(LOG_LEVEL_INFO);
	while ((ch = getopt(argc, argv, "c:h")) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(1);
		}
	}
	if (optind != argc)
		usage(1);
	d.config_path = config && *config ? config : DEFAULT_CONFIG;
	signal(SIGPIPE, SIG_IGN);

	if ((c = load(d.config_path)) == NULL)
		fatalx("%s: not starting", d.config_path);
	log_set_level(level_of(c));
	daemon_init(&d, c);

	uv_run(&d.loop, UV_RUN_DEFAULT);

	notify_free(d.notify);
	run_conf_unref(d.rc);
	free(d.conninfo);
	if ((rc = uv_loop_close(&d.loop)) != 0) {
		uv_walk(&d.loop, on_walk, NULL);
		log_errorx("loop did not close cleanly: %s", uv_strerror(rc));
		return 1;
	}
	log_info("loop closed cleanly");
	return d.exit_code;
}
