/* httpdrive - drive the HTTP engine from the command line, for tests and
 * benchmarks.
 *
 *   httpdrive --url BASE [--path-template T] [--count N] [--concurrency C]
 *       [--timeout SECS] [--attempts A] [--max-bytes B] [--token-file F]
 *       [--method M] [--body TEXT] [--idempotent auto|yes|no] [--insecure]
 *       [--cancel-after MS] [--print-body] [--clients K]
 *
 * Submits N requests at once, round-robin over K clients (channels) of one
 * engine, each with its own concurrency limit (the engine queues the rest),
 * for BASE + T, where "{i}" in T becomes the request number (1..N) and
 * "{c}" the client number (1..K). Prints one JSON line per finished request, then a total
 * line with wall and CPU time. The token is read from a file and only ever
 * handed to the engine's auth hook. The last callback frees the client and
 * the engine from inside itself, and the loop must then close cleanly.
 *
 * Exit status: 0 when every request was answered exactly once and the loop
 * closed; 1 on usage errors or a broken contract. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "http.h"

#define MAX_CLIENTS 16

struct drive {
	uv_loop_t loop;
	uv_timer_t cancel_timer;
	int cancel_open;
	struct http *h;
	struct http_client *c[MAX_CLIENTS];
	int nclients;
	char *token;
	const char *base, *tmpl, *method, *body;
	enum http_idempotent idem;
	int count, done, ok, failed, print_body, broken;
	int *seen;
	struct http_stats stats[MAX_CLIENTS];
	uint64_t t0;
};

struct one {
	struct drive *d;
	int i;
};

static const char *
auth_bearer(void *arg, const char *method, const char *url, char *buf,
    size_t len)
{
	struct drive *d = arg;

	(void)method;
	(void)url;
	if ((size_t)snprintf(buf, len, "Bearer %s", d->token) >= len)
		return NULL;
	return buf;
}

static void
finish_all(struct drive *d)
{
	int k;

	if (d->cancel_open) {
		uv_close((uv_handle_t *)&d->cancel_timer, NULL);
		d->cancel_open = 0;
	}
	/* From inside an engine callback: the deferred teardown path. The
	 * first client is freed explicitly, the others by http_free. */
	for (k = 0; k < d->nclients; k++)
		http_client_stats(d->c[k], &d->stats[k]);
	http_client_free(d->c[0]);
	memset(d->c, 0, sizeof(d->c));
	http_free(d->h);
	d->h = NULL;
}

static void
on_done(struct http_res *r, void *arg)
{
	struct one *o = arg;
	struct drive *d = o->d;
	json_t *j;
	char *line;

	if (d->seen[o->i - 1]++)
		d->broken = 1;
	d->done++;
	if (r->status >= 200 && r->status <= 299)
		d->ok++;
	else
		d->failed++;
	j = json_pack("{s:i, s:s, s:s, s:i, s:i, s:I, s:I, s:s, s:s, s:I}",
	    "i", o->i, "method", r->method, "path", r->path,
	    "status", r->status, "attempts", r->attempts,
	    "duration_ms", (json_int_t)r->duration_ms,
	    "bytes", (json_int_t)r->body_len, "err", http_err_name(r->err),
	    "error", r->error, "retry_after_ms",
	    (json_int_t)r->retry_after_ms);
	if (j && d->print_body && r->body) {
		json_t *b = json_stringn(r->body, r->body_len);

		if (b)
			json_object_set_new(j, "body", b);
		else
			json_object_set_new(j, "body_not_utf8", json_true());
	}
	if (j == NULL || (line = json_dumps(j, JSON_COMPACT)) == NULL) {
		d->broken = 1;
	} else {
		printf("%s\n", line);
		free(line);
	}
	json_decref(j);
	free(o);
	if (d->done == d->count)
		finish_all(d);
}

static void
on_cancel(uv_timer_t *t)
{
	struct drive *d = t->data;
	int k;

	/* A callback may free everything while we go. */
	for (k = 0; k < d->nclients && d->c[k]; k++)
		http_cancel(d->c[k]);
}

static char *
read_token(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return strdup(buf);
}

/* BASE + template with every "{i}" replaced by i. */
static char *
make_url(const char *base, const char *tmpl, int i, int c)
{
	char num[16], cnum[16], *out, *p;
	const char *s;
	size_t len;

	snprintf(num, sizeof(num), "%d", i);
	snprintf(cnum, sizeof(cnum), "%d", c);
	len = strlen(base) + strlen(tmpl) * (strlen(num) + 1) + 1;
	if ((out = malloc(len)) == NULL)
		return NULL;
	p = out + sprintf(out, "%s", base);
	for (s = tmpl; *s; s++) {
		if (strncmp(s, "{i}", 3) == 0) {
			p += sprintf(p, "%s", num);
			s += 2;
		} else if (strncmp(s, "{c}", 3) == 0) {
			p += sprintf(p, "%s", cnum);
			s += 2;
		} else {
			*p++ = *s;
		}
	}
	*p = '\0';
	return out;
}

static int64_t
cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return -1;
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static void
usage(void)
{
	fprintf(stderr, "usage: httpdrive --url BASE [--path-template T] "
	    "[--count N] [--concurrency C]\n"
	    "    [--timeout SECS] [--attempts A] [--max-bytes B] "
	    "[--token-file F] [--method M]\n"
	    "    [--body TEXT] [--idempotent auto|yes|no] [--insecure] "
	    "[--cancel-after MS] [--print-body]\n"
	    "    [--clients K]\n");
	exit(1);
}

static long long
num_arg(const char *s, long long lo, long long hi)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "httpdrive: bad number '%s'\n", s);
		exit(1);
	}
	return v;
}

static int
submit_all(struct drive *d)
{
	struct http_req req;
	struct one *o;
	int i, k, rc;
	char *url;

	for (i = 1; i <= d->count; i++) {
		memset(&req, 0, sizeof(req));
		k = (i - 1) % d->nclients;
		if ((url = make_url(d->base, d->tmpl, i, k + 1)) == NULL ||
		    (o = malloc(sizeof(*o))) == NULL) {
			free(url);
			return -ENOMEM;
		}
		o->d = d;
		o->i = i;
		req.method = d->method;
		req.url = url;
		req.body = d->body;
		req.body_len = d->body ? strlen(d->body) : 0;
		req.auth = d->token ? auth_bearer : NULL;
		req.auth_arg = d;
		req.idempotent = d->idem;
		rc = http_request(d->c[k], &req, on_done, o);
		free(url);
		if (rc < 0) {
			free(o);
			fprintf(stderr, "httpdrive: request %d: %s\n", i,
			    strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "path-template", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "concurrency", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "attempts", required_argument, NULL, 'a' },
		{ "max-bytes", required_argument, NULL, 'b' },
		{ "token-file", required_argument, NULL, 'k' },
		{ "method", required_argument, NULL, 'm' },
		{ "body", required_argument, NULL, 'B' },
		{ "idempotent", required_argument, NULL, 'I' },
		{ "insecure", no_argument, NULL, 'K' },
		{ "cancel-after", required_argument, NULL, 'C' },
		{ "print-body", no_argument, NULL, 'P' },
		{ "clients", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 }
	};
	struct drive d;
	struct http_limits lim = { 8, 60000, 5, 64LL << 20, 1 };
	const char *err = NULL;
	long long cancel_after = -1;
	double secs;
	char *end;
	int ch, rc, close_rc, k, max_running = 0;
	uint64_t attempts = 0;
	int64_t cpu0;

	memset(&d, 0, sizeof(d));
	d.tmpl = "/";
	d.method = "GET";
	d.count = 1;
	d.nclients = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': d.base = optarg; break;
		case 'p': d.tmpl = optarg; break;
		case 'n': d.count = (int)num_arg(optarg, 1, 10000000); break;
		case 'c':
			lim.max_concurrency = (int)num_arg(optarg, 1, 1024);
			break;
		case 't':
			secs = strtod(optarg, &end);
			if (*end || end == optarg || secs <= 0 || secs > 86400)
				usage();
			lim.request_timeout_ms = (int64_t)(secs * 1000);
			break;
		case 'a': lim.retry_attempts = (int)num_arg(optarg, 1, 100); break;
		case 'b': lim.max_response_bytes = num_arg(optarg, 1, 1LL << 40);
			break;
		case 'k':
			if ((d.token = read_token(optarg)) == NULL) {
				fprintf(stderr, "httpdrive: cannot read %s\n",
				    optarg);
				return 1;
			}
			break;
		case 'm': d.method = optarg; break;
		case 'B': d.body = optarg; break;
		case 'I':
			if (strcmp(optarg, "yes") == 0)
				d.idem = HTTP_IDEM_YES;
			else if (strcmp(optarg, "no") == 0)
				d.idem = HTTP_IDEM_NO;
			else if (strcmp(optarg, "auto") == 0)
				d.idem = HTTP_IDEM_AUTO;
			else
				usage();
			break;
		case 'K': lim.verify_tls = 0; break;
		case 'C': cancel_after = num_arg(optarg, 0, 1LL << 31); break;
		case 'P': d.print_body = 1; break;
		case 'L':
			d.nclients = (int)num_arg(optarg, 1, MAX_CLIENTS);
			break;
		default: usage();
		}
	}
	if (d.base == NULL || optind != argc)
		usage();
	if ((d.seen = calloc((size_t)d.count, sizeof(int))) == NULL ||
	    uv_loop_init(&d.loop) < 0)
		return 1;
	if ((d.h = http_new(&d.loop, &err)) == NULL) {
		fprintf(stderr, "httpdrive: %s\n", err);
		return 1;
	}
	for (k = 0; k < d.nclients; k++)
		if ((d.c[k] = http_client_new(d.h, &lim)) == NULL) {
			fprintf(stderr, "httpdrive: bad limits\n");
			return 1;
		}
	cpu0 = cpu_ms();
	d.t0 = uv_hrtime();
	if ((rc = submit_all(&d)) < 0)
		return 1;
	if (cancel_after >= 0) {
		/* From now, not from the loop's creation: start-up is slow
		 * under sanitizers and valgrind. */
		uv_update_time(&d.loop);
		if (uv_timer_init(&d.loop, &d.cancel_timer) < 0)
			return 1;
		d.cancel_timer.data = &d;
		d.cancel_open = 1;
		if (uv_timer_start(&d.cancel_timer, on_cancel,
		    (uint64_t)cancel_after, 0) < 0)
			return 1;
	}
	rc = uv_run(&d.loop, UV_RUN_DEFAULT);
	close_rc = uv_loop_close(&d.loop);
	printf("{\"clients\":[");
	for (k = 0; k < d.nclients; k++) {
		printf("%s{\"max_running\":%d,\"requests\":%" PRIu64
		    ",\"attempts\":%" PRIu64 "}", k ? "," : "",
		    d.stats[k].max_running, d.stats[k].requests,
		    d.stats[k].attempts);
		if (d.stats[k].max_running > max_running)
			max_running = d.stats[k].max_running;
		attempts += d.stats[k].attempts;
	}
	printf("],\"total\":%d,\"ok\":%d,\"failed\":%d,\"wall_ms\":%" PRIu64
	    ",\"cpu_ms\":%" PRId64 ",\"max_running\":%d,\"attempts\":%" PRIu64
	    ",\"loop_close\":%d}\n", d.done, d.ok, d.failed,
	    (uv_hrtime() - d.t0) / 1000000, cpu_ms() - cpu0,
	    max_running, attempts, close_rc);
	if (d.token) {
		explicit_bzero(d.token, strlen(d.token));
		free(d.token);
	}
	free(d.seen);
	if (rc != 0 || close_rc != 0 || d.done != d.count || d.broken) {
		fprintf(stderr, "httpdrive: contract broken: run %d, close %d, "
		    "%d of %d answered%s\n", rc, close_rc, d.done, d.count,
		    d.broken ? ", some twice" : "");
		return 1;
	}
	return 0;
}
