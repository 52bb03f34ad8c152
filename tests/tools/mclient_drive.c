/* mclient_drive - drive daemon/mclient and daemon/pager from the command
 * line, for the integration tests.
 *
 *   mclient_drive INI CHANNEL get PATH [--query Q] [--op read|order|write]
 *       [--method M] [--body JSON] [--arg A]...
 *       One request through the channel's client; prints one JSON line:
 *       ok, status, err, error, detail, method, path, attempts, json.
 *   mclient_drive INI CHANNEL page PATH [--page-size N] [--in-flight N]
 *       [--window W] [--slow-ms MS] [--plain] [--items-key K]
 *       [--stop-after N] [--field F]
 *       Page through a list: searchCriteria pageSize/currentPage (or,
 *       with --plain, pageSize=&currentPage= as /V1/stockItems/lowStock
 *       takes them). One JSON line per page handed over (page, items,
 *       total, and with --field the values of that item field), and a
 *       last line: end, error, failed (path, status), pager and client
 *       statistics, loop_close. --slow-ms makes the consumer take that
 *       long per page; --stop-after stops the pager after N pages.
 *
 * Secrets come from the ini's files only and are never printed. Exit 0
 * when the contract held (every callback once, the loop closed); 1 on a
 * usage error or a broken contract. The request's own failure is data,
 * not an exit status. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <uv.h>

#include "conf.h"
#include "confload.h"
#include "diag.h"
#include "http.h"
#include "mage.h"
#include "mclient.h"
#include "pager.h"

#define MAX_ARGS 8

struct drive {
	uv_loop_t loop;
	uv_timer_t slow;
	struct conf *conf;
	struct http *h;
	struct mclient *mc;
	struct pager *pg;
	const char *field;
	int plain, slow_ms, stop_after, delivered, ended, broken;
	int64_t items;
};

static void
print_json(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (s == NULL) {
		printf("{\"broken\":\"cannot print\"}\n");
		return;
	}
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	json_decref(j);
}

static void
teardown(struct drive *d)
{
	mclient_free(d->mc);
	d->mc = NULL;
	http_free(d->h);
	d->h = NULL;
	if (!uv_is_closing((uv_handle_t *)&d->slow))
		uv_close((uv_handle_t *)&d->slow, NULL);
}

/* ---- get ---------------------------------------------------------------- */

static void
on_get(struct mclient_res *res, void *arg)
{
	struct drive *d = arg;
	json_t *o;

	o = json_pack("{s:b, s:i, s:s, s:s?, s:s?, s:s?, s:s?, s:i, s:O?}",
	    "ok", res->ok, "status", res->status, "err",
	    http_err_name(res->err), "error", res->error, "detail",
	    res->detail, "method", res->http.method, "path", res->http.path,
	    "attempts", res->attempts, "json", res->json);
	print_json(o);
	json_decref(res->json);
	d->ended++;
	teardown(d);
}

/* ---- page --------------------------------------------------------------- */

static char *
page_query(int64_t page, int page_size, void *arg)
{
	struct drive *d = arg;
	struct mage_criteria *c;
	char *q = NULL;

	if (d->plain) {
		if (asprintf(&q, "scopeId=0&qty=1000000000&pageSize=%d&"
		    "currentPage=%" PRId64, page_size, page) < 0)
			return NULL;
		return q;
	}
	if ((c = mage_criteria_new()) == NULL)
		return NULL;
	if (mage_criteria_page(c, page_size, (int)page) == 0)
		q = mage_criteria_query(c);
	mage_criteria_free(c);
	return q;
}

static void
on_slow(uv_timer_t *t)
{
	struct drive *d = t->data;

	pager_page_done(d->pg);
}

static void
on_page(struct pager *p, const struct pager_page *pg, void *arg)
{
	struct drive *d = arg;
	json_t *o, *vals, *it;
	size_t i;

	o = json_pack("{s:I, s:I, s:I, s:s}", "page", (json_int_t)pg->page,
	    "items", (json_int_t)json_array_size(pg->items), "total",
	    (json_int_t)pg->total_count, "path", pg->res->http.path);
	if (o != NULL && d->field != NULL) {
		vals = json_array();
		json_array_foreach(pg->items, i, it)
			json_array_append(vals, json_object_get(it, d->field));
		json_object_set_new(o, "values", vals);
	}
	print_json(o);
	d->items += (int64_t)json_array_size(pg->items);
	d->delivered++;
	if (d->stop_after > 0 && d->delivered == d->stop_after)
		pager_stop(p, "stopped by the driver");
	if (d->slow_ms > 0) {
		if (uv_timer_start(&d->slow, on_slow, (uint64_t)d->slow_ms, 0))
			d->broken = 1;
		return;
	}
	pager_page_done(p);
}

static void
on_end(struct pager *p, const char *err, const struct mclient_res *failed,
    void *arg)
{
	struct drive *d = arg;
	struct pager_stats ps;
	struct mclient_stats ms;
	json_t *o;

	pager_stats(p, &ps);
	mclient_stats(d->mc, &ms);
	o = json_pack("{s:b, s:s?, s:I, s:I, s:I, s:I, s:i, s:i, s:I, s:I}",
	    "end", 1, "error", err,
	    "pages_requested", (json_int_t)ps.pages_requested,
	    "pages_delivered", (json_int_t)ps.pages_delivered,
	    "pages_dropped", (json_int_t)ps.pages_dropped,
	    "items", (json_int_t)d->items,
	    "max_in_flight", ps.max_in_flight, "max_held", ps.max_held,
	    "requests", (json_int_t)ms.requests,
	    "attempts", (json_int_t)ms.attempts);
	if (o != NULL && failed != NULL)
		json_object_set_new(o, "failed", json_pack("{s:s?, s:i, s:s?,"
		    " s:s?, s:i}", "path", failed->http.path, "status",
		    failed->status, "error", failed->error, "detail",
		    failed->detail, "attempts", failed->attempts));
	print_json(o);
	d->ended++;
	d->pg = NULL;
	teardown(d);
}

/* ---- main --------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr, "usage: mclient_drive INI CHANNEL get PATH [--query Q] "
	    "[--op read|order|write]\n"
	    "           [--method M] [--body JSON] [--arg A]...\n"
	    "       mclient_drive INI CHANNEL page PATH [--page-size N] "
	    "[--in-flight N] [--window W]\n"
	    "           [--slow-ms MS] [--plain] [--items-key K] "
	    "[--stop-after N] [--field F]\n");
	exit(1);
}

static int
num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 1000000)
		usage();
	return (int)v;
}

static struct conf *
load(const char *path)
{
	struct diag_list dl = { 0 };
	struct conf *c = confload(path, &dl);
	char buf[1024];
	size_t i;

	for (i = 0; i < dl.n; i++)
		if (dl.items[i].level == DIAG_ERROR)
			fprintf(stderr, "%s\n", diag_format(&dl, i, buf,
			    sizeof(buf)));
	diag_clear(&dl);
	return c;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "query", required_argument, NULL, 'q' },
		{ "op", required_argument, NULL, 'o' },
		{ "method", required_argument, NULL, 'm' },
		{ "body", required_argument, NULL, 'b' },
		{ "arg", required_argument, NULL, 'a' },
		{ "page-size", required_argument, NULL, 's' },
		{ "in-flight", required_argument, NULL, 'f' },
		{ "window", required_argument, NULL, 'w' },
		{ "slow-ms", required_argument, NULL, 'S' },
		{ "plain", no_argument, NULL, 'P' },
		{ "items-key", required_argument, NULL, 'k' },
		{ "stop-after", required_argument, NULL, 'x' },
		{ "field", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	struct drive d;
	struct mclient_call call;
	struct pager_params pp;
	const char *args[MAX_ARGS], *err = NULL, *chname, *mode, *path;
	const struct conf_channel *ch;
	json_t *body = NULL;
	json_error_t je;
	int ch_opt, rc, close_rc;

	memset(&d, 0, sizeof(d));
	memset(&call, 0, sizeof(call));
	memset(&pp, 0, sizeof(pp));
	call.method = "GET";
	call.op = MAGE_OP_READ;
	while ((ch_opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch_opt) {
		case 'q': call.query = optarg; break;
		case 'o':
			if (strcmp(optarg, "read") == 0)
				call.op = MAGE_OP_READ;
			else if (strcmp(optarg, "order") == 0)
				call.op = MAGE_OP_ORDER;
			else if (strcmp(optarg, "write") == 0)
				call.op = MAGE_OP_CATALOG_WRITE;
			else
				usage();
			pp.op = call.op;
			break;
		case 'm': call.method = optarg; break;
		case 'b':
			if ((body = json_loads(optarg, JSON_DECODE_ANY,
			    &je)) == NULL)
				usage();
			call.body = body;
			break;
		case 'a':
			if (call.nargs >= MAX_ARGS)
				usage();
			args[call.nargs++] = optarg;
			call.args = args;
			break;
		case 's': pp.page_size = num(optarg); break;
		case 'f': pp.max_in_flight = num(optarg); break;
		case 'w': pp.window = num(optarg); break;
		case 'S': d.slow_ms = num(optarg); break;
		case 'P': d.plain = 1; break;
		case 'k': pp.items_key = optarg; break;
		case 'x': d.stop_after = num(optarg); break;
		case 'F': d.field = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 4)
		usage();
	chname = argv[optind + 1];
	mode = argv[optind + 2];
	path = argv[optind + 3];
	if ((d.conf = load(argv[optind])) == NULL)
		return 1;
	if ((ch = conf_channel(d.conf, chname)) == NULL) {
		fprintf(stderr, "mclient_drive: no channel %s\n", chname);
		return 1;
	}
	if (uv_loop_init(&d.loop) != 0 || uv_timer_init(&d.loop, &d.slow))
		return 1;
	d.slow.data = &d;
	if ((d.h = http_new(&d.loop, &err)) == NULL ||
	    (d.mc = mclient_new(d.h, ch, NULL, &err)) == NULL) {
		fprintf(stderr, "mclient_drive: %s\n", err);
		return 1;
	}
	if (strcmp(mode, "get") == 0) {
		call.path = path;
		if ((rc = mclient_request(d.mc, &call, on_get, &d)) < 0) {
			printf("{\"refused\":%d}\n", rc);
			d.ended = 1;
			teardown(&d);
		}
	} else if (strcmp(mode, "page") == 0) {
		pp.loop = &d.loop;
		pp.mc = d.mc;
		pp.path = path;
		pp.query = page_query;
		pp.on_page = on_page;
		pp.on_end = on_end;
		pp.arg = &d;
		if ((d.pg = pager_start(&pp)) == NULL) {
			fprintf(stderr, "mclient_drive: pager_start failed\n");
			return 1;
		}
	} else {
		usage();
	}
	json_decref(body);
	rc = uv_run(&d.loop, UV_RUN_DEFAULT);
	close_rc = uv_loop_close(&d.loop);
	printf("{\"loop_close\":%d}\n", close_rc);
	conf_free(d.conf);
	if (rc != 0 || close_rc != 0 || d.broken ||
	    (d.ended != 1 && strcmp(mode, "get") == 0) ||
	    (strcmp(mode, "page") == 0 && d.ended != 1)) {
		fprintf(stderr, "mclient_drive: contract broken (run %d, close "
		    "%d, ended %d)\n", rc, close_rc, d.ended);
		return 1;
	}
	return 0;
}
