/* http.c - libcurl's multi interface driven by libuv.
 *
 * The bridge follows curl's docs/examples/multi-uv.c in shape (one uv_poll_t
 * per curl socket, found again through curl_multi_assign; one uv_timer_t for
 * the multi handle) but not in its shortcuts: every return is checked, the
 * timer is stopped on -1 and a 0 ms timeout becomes 1 ms (libuv 1.44 spins
 * on zero timers started from timer callbacks), poll errors reach curl as
 * CURL_CSELECT_ERR, and curl_multi_info_read is drained after every
 * curl_multi_socket_action.
 *
 * Re-entrancy is kept simple by phases. Inside curl's hooks we only touch
 * libuv. After a socket action we read curl's messages and move finished
 * requests to h->done without calling anyone. Only then, from a libuv
 * callback at the top of the stack, are the user's callbacks run, one by one
 * (deliver). Starting requests is likewise never done where they are
 * submitted: http_request queues and arms an idle handle (kick), whose
 * callback starts what the concurrency limits allow. So a user callback may
 * submit, cancel or free anything; the one thing that must wait is freeing
 * struct http itself, which is deferred until the outermost engine frame
 * unwinds (h->depth). */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "conf.h"
#include "http.h"
#include "retry.h"

#ifndef MAGSYNC_VERSION
#define MAGSYNC_VERSION "0.1"
#endif

#define HTTP_USER_AGENT		"magsync/" MAGSYNC_VERSION
#define HTTP_POOL_MAX		64	/* idle easy handles kept for reuse */
#define HTTP_MSG_MAX		320	/* one error line */
#define HTTP_AUTH_MAX		4096	/* an Authorization value */
#define HTTP_RA_MAX		64	/* a Retry-After value */

#define HTTP_DEF_CONCURRENCY	4
#define HTTP_DEF_TIMEOUT_MS	60000
#define HTTP_DEF_ATTEMPTS	5
#define HTTP_DEF_MAX_BYTES	(64LL * 1024 * 1024)

struct call;

/* An intrusive FIFO; every call is on exactly one list, or none while its
 * callback runs. */
struct calls {
	struct call *head, *tail;
	int n;
};

struct call {
	struct call *prev, *next;
	struct calls *list;
	struct http *h;
	struct http_client *client;
	http_done_cb *cb;
	void *arg;
	http_auth_cb *auth;
	void *auth_arg;
	char *method, *url, *body;	/* owned copies */
	size_t body_len;
	const char *path;		/* into url */
	int idempotent, head;
	uint64_t start_ns;
	int attempts;

	/* The attempt in flight. */
	CURL *easy;
	struct curl_slist *headers;	/* includes Authorization: wiped */
	char errbuf[CURL_ERROR_SIZE];
	char retry_after[HTTP_RA_MAX];
	int too_big, oom;

	/* The last response. */
	char *buf;
	size_t len, cap;

	uv_timer_t timer;		/* backoff; initialised on first use */
	int timer_open;

	char msg[HTTP_MSG_MAX];		/* the last attempt's failure */
	char error[HTTP_MSG_MAX + 64];	/* the final message */
	struct http_res res;
};

struct http_client {
	struct http_client *prev, *next;
	struct http *h;
	struct http_limits lim;
	struct retry_policy policy;
	struct calls queued, running, waiting;
	int freeing;
	int max_running;
	uint64_t requests, attempts;
};

/* A curl socket's poll handle; freed in its close callback. */
struct sock {
	struct sock *prev, *next;
	struct http *h;
	curl_socket_t fd;
	uv_poll_t poll;
};

struct http {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	uv_idle_t kick;
	int kick_on;
	int nopen;			/* handles not yet closed */
	struct http_client *clients;
	struct calls done;		/* finished, callback not yet run */
	struct sock *socks;
	CURL *pool[HTTP_POOL_MAX];
	int npool;
	int depth;			/* engine frames on the stack */
	int dying, torn;
	uint64_t rng;
};

static const char *const err_names[] = {
	[HTTP_ERR_NONE] = "none",
	[HTTP_ERR_DNS] = "dns",
	[HTTP_ERR_CONNECT] = "connect",
	[HTTP_ERR_TLS] = "tls",
	[HTTP_ERR_TIMEOUT] = "timeout",
	[HTTP_ERR_TRANSFER] = "transfer",
	[HTTP_ERR_PROTOCOL] = "protocol",
	[HTTP_ERR_TOO_BIG] = "too_big",
	[HTTP_ERR_AUTH] = "auth",
	[HTTP_ERR_CANCELLED] = "cancelled",
	[HTTP_ERR_INTERNAL] = "internal",
};

/* What a libcurl error means to us. LOST becomes NOT_SENT when curl had
 * not sent a byte of the request (see classify). */
static const struct {
	CURLcode code;
	enum http_err err;
	enum retry_outcome outcome;
	const char *what;
} curl_errs[] = {
	{ CURLE_COULDNT_RESOLVE_HOST, HTTP_ERR_DNS, RETRY_NOT_SENT,
	    "DNS lookup failed" },
	{ CURLE_COULDNT_RESOLVE_PROXY, HTTP_ERR_DNS, RETRY_NOT_SENT,
	    "DNS lookup of the proxy failed" },
	{ CURLE_COULDNT_CONNECT, HTTP_ERR_CONNECT, RETRY_NOT_SENT,
	    "connection failed" },
	{ CURLE_OPERATION_TIMEDOUT, HTTP_ERR_TIMEOUT, RETRY_LOST,
	    "timed out" },
	/* A handshake can fail for passing reasons (a reset mid-way); a
	 * certificate that does not verify will not verify next time. */
	{ CURLE_SSL_CONNECT_ERROR, HTTP_ERR_TLS, RETRY_NOT_SENT,
	    "TLS handshake failed" },
	{ CURLE_PEER_FAILED_VERIFICATION, HTTP_ERR_TLS, RETRY_FATAL,
	    "TLS certificate verification failed" },
	{ CURLE_SSL_ISSUER_ERROR, HTTP_ERR_TLS, RETRY_FATAL,
	    "TLS certificate verification failed" },
	{ CURLE_SSL_PINNEDPUBKEYNOTMATCH, HTTP_ERR_TLS, RETRY_FATAL,
	    "TLS certificate verification failed" },
	{ CURLE_SSL_INVALIDCERTSTATUS, HTTP_ERR_TLS, RETRY_FATAL,
	    "TLS certificate verification failed" },
	{ CURLE_SSL_CACERT_BADFILE, HTTP_ERR_TLS, RETRY_FATAL,
	    "TLS CA certificates could not be read" },
	{ CURLE_SSL_CERTPROBLEM, HTTP_ERR_TLS, RETRY_FATAL,
	    "TLS client certificate problem" },
	{ CURLE_SSL_CIPHER, HTTP_ERR_TLS, RETRY_FATAL,
	    "TLS cipher problem" },
	{ CURLE_SSL_ENGINE_INITFAILED, HTTP_ERR_TLS, RETRY_FATAL,
	    "TLS engine problem" },
	{ CURLE_SEND_ERROR, HTTP_ERR_TRANSFER, RETRY_LOST,
	    "sending the request failed" },
	{ CURLE_RECV_ERROR, HTTP_ERR_TRANSFER, RETRY_LOST,
	    "receiving the response failed" },
	{ CURLE_PARTIAL_FILE, HTTP_ERR_TRANSFER, RETRY_LOST,
	    "response truncated" },
	{ CURLE_GOT_NOTHING, HTTP_ERR_TRANSFER, RETRY_LOST,
	    "empty reply from server" },
	{ CURLE_WEIRD_SERVER_REPLY, HTTP_ERR_PROTOCOL, RETRY_LOST,
	    "not an HTTP response" },
	{ CURLE_BAD_CONTENT_ENCODING, HTTP_ERR_PROTOCOL, RETRY_LOST,
	    "undecodable content encoding" },
	{ CURLE_HTTP2, HTTP_ERR_PROTOCOL, RETRY_LOST, "HTTP/2 error" },
	{ CURLE_HTTP2_STREAM, HTTP_ERR_PROTOCOL, RETRY_LOST,
	    "HTTP/2 stream error" },
	{ CURLE_UNSUPPORTED_PROTOCOL, HTTP_ERR_INTERNAL, RETRY_FATAL,
	    "unsupported protocol" },
	{ CURLE_URL_MALFORMAT, HTTP_ERR_INTERNAL, RETRY_FATAL,
	    "malformed URL" },
	{ CURLE_OUT_OF_MEMORY, HTTP_ERR_INTERNAL, RETRY_FATAL,
	    "out of memory" },
};

static void on_kick(uv_idle_t *idle);
static void on_timer(uv_timer_t *t);
static void on_poll(uv_poll_t *p, int status, int events);
static void on_backoff(uv_timer_t *t);
static void teardown(struct http *h);
static void size_cache(struct http *h);

const char *
http_err_name(enum http_err e)
{
	if ((unsigned)e >= sizeof(err_names) / sizeof(err_names[0]))
		return "unknown";
	return err_names[e];
}

void
http_limits_from_conf(struct http_limits *l, const struct conf_channel *ch)
{
	l->max_concurrency = ch->max_concurrency;
	l->request_timeout_ms = ch->request_timeout * 1000;
	l->retry_attempts = ch->retry_attempts;
	l->max_response_bytes = ch->max_response_bytes;
	l->verify_tls = ch->verify_tls;
}

/* -- lists ---------------------------------------------------------------- */

static void
calls_push(struct calls *l, struct call *x, int at_head)
{
	x->list = l;
	if (at_head) {
		x->prev = NULL;
		x->next = l->head;
		if (l->head)
			l->head->prev = x;
		else
			l->tail = x;
		l->head = x;
	} else {
		x->next = NULL;
		x->prev = l->tail;
		if (l->tail)
			l->tail->next = x;
		else
			l->head = x;
		l->tail = x;
	}
	l->n++;
}

static void
calls_remove(struct call *x)
{
	struct calls *l = x->list;

	if (l == NULL)
		return;
	if (x->prev)
		x->prev->next = x->next;
	else
		l->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	else
		l->tail = x->prev;
	l->n--;
	x->prev = x->next = NULL;
	x->list = NULL;
}

static struct call *
calls_pop(struct calls *l)
{
	struct call *x = l->head;

	if (x)
		calls_remove(x);
	return x;
}

/* -- small helpers -------------------------------------------------------- */

/* xorshift64*: jitter needs spread, not secrecy. */
static uint32_t
rng_next(struct http *h)
{
	h->rng ^= h->rng >> 12;
	h->rng ^= h->rng << 25;
	h->rng ^= h->rng >> 27;
	return (uint32_t)((h->rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static int64_t
wall_ms(void)
{
	uv_timeval64_t tv;

	if (uv_gettimeofday(&tv) < 0)
		return 0;
	return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void
wipe_headers(struct curl_slist *l)
{
	for (; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
}

/* "/path?query" of an absolute URL; "/" when it has none. */
static const char *
url_path(const char *url)
{
	const char *p = strstr(url, "://");

	p = p ? p + 3 : url;
	p += strcspn(p, "/?#");
	return *p == '/' || *p == '?' ? p : "/";
}

static int
method_token(const char *m)
{
	size_t i;

	if (m == NULL || *m == '\0' || strlen(m) > 16)
		return 0;
	for (i = 0; m[i]; i++)
		if (!(m[i] >= 'A' && m[i] <= 'Z'))
			return 0;
	return 1;
}

static int
http_url(const char *url)
{
	return url && (strncasecmp(url, "http://", 7) == 0 ||
	    strncasecmp(url, "https://", 8) == 0) && !strpbrk(url, " \r\n");
}

static void
kick(struct http *h)
{
	if (h->kick_on || h->torn)
		return;
	/* uv_idle_start on an initialised, open idle handle cannot fail. */
	if (uv_idle_start(&h->kick, on_kick) == 0)
		h->kick_on = 1;
}

static void
pool_put(struct http *h, CURL *e)
{
	if (e == NULL)
		return;
	if (h->npool < HTTP_POOL_MAX && !h->dying) {
		curl_easy_reset(e);
		h->pool[h->npool++] = e;
	} else {
		curl_easy_cleanup(e);
	}
}

static CURL *
pool_get(struct http *h)
{
	if (h->npool > 0)
		return h->pool[--h->npool];
	return curl_easy_init();
}

/* -- ending requests ------------------------------------------------------ */

static void
on_call_timer_close(uv_handle_t *t)
{
	free(t->data);
}

static void
call_free(struct call *call)
{
	free(call->method);
	free(call->url);
	free(call->body);
	free(call->buf);
	if (call->timer_open)
		uv_close((uv_handle_t *)&call->timer, on_call_timer_close);
	else
		free(call);
}

/* Release what the attempt in flight holds; the call is off every list. */
static void
attempt_release(struct call *call, int remove)
{
	CURLMcode mc = CURLM_OK;

	if (call->easy) {
		if (remove)
			mc = curl_multi_remove_handle(call->h->multi,
			    call->easy);
		/* curl refuses only handles it does not know, which cannot
		 * happen; if it did, leaking the handle beats freeing one
		 * the multi handle may still use. */
		if (mc == CURLM_OK)
			pool_put(call->h, call->easy);
		call->easy = NULL;
	}
	if (call->headers) {
		wipe_headers(call->headers);
		curl_slist_free_all(call->headers);
		call->headers = NULL;
	}
}

/* The request is over: fill res and queue it for delivery. */
static void
finish(struct call *call, enum http_err err, int status, int transient)
{
	struct http_res *r = &call->res;
	uint64_t now = uv_hrtime();

	calls_remove(call);
	if (call->timer_open)
		uv_timer_stop(&call->timer);
	if (err == HTTP_ERR_NONE && !transient)
		call->error[0] = '\0';
	else if (err == HTTP_ERR_CANCELLED || call->attempts <= 1)
		snprintf(call->error, sizeof(call->error), "%s", call->msg);
	else if (transient)
		snprintf(call->error, sizeof(call->error),
		    "gave up after %d attempts: %s", call->attempts, call->msg);
	else
		snprintf(call->error, sizeof(call->error), "%s (attempt %d)",
		    call->msg, call->attempts);
	r->status = status;
	r->err = err;
	r->error = call->error;
	if (status != 0 && call->buf == NULL)
		call->buf = strdup("");
	if (status != 0 && call->buf) {
		r->body = call->buf;
		r->body_len = call->len;
		call->buf = NULL;
	} else {
		r->body = NULL;
		r->body_len = 0;
	}
	r->attempts = call->attempts;
	r->duration_ms = (int64_t)((now - call->start_ns) / 1000000);
	r->method = call->method;
	r->path = call->path;
	calls_push(&call->h->done, call, 0);
}

static void
finish_msg(struct call *call, enum http_err err, const char *msg)
{
	snprintf(call->msg, sizeof(call->msg), "%s", msg);
	call->res.retry_after_ms = -1;
	finish(call, err, 0, 0);
}

/* Run the callback of one finished call and free it. */
static void
deliver_one(struct call *call)
{
	struct http *h = call->h;

	h->depth++;
	call->cb(&call->res, call->arg);
	h->depth--;
	free(call->res.body);
	call_free(call);
}

static void
deliver(struct http *h)
{
	struct call *call;

	while ((call = calls_pop(&h->done)) != NULL)
		deliver_one(call);
}

/* Leave an engine frame: the outermost one completes a deferred free. */
static void
leave(struct http *h)
{
	h->depth--;
	if (h->depth == 0 && h->dying && !h->torn)
		teardown(h);
}

/* -- starting attempts ---------------------------------------------------- */

static size_t
on_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct call *call = arg;
	size_t n = size * nmemb, cap;
	char *nb;

	if ((int64_t)(call->len + n) > call->client->lim.max_response_bytes) {
		call->too_big = 1;
		return 0;
	}
	if (call->len + n + 1 > call->cap) {
		cap = call->cap ? call->cap : 16384;
		while (cap < call->len + n + 1)
			cap *= 2;
		if ((nb = realloc(call->buf, cap)) == NULL) {
			call->oom = 1;
			return 0;
		}
		call->buf = nb;
		call->cap = cap;
	}
	memcpy(call->buf + call->len, ptr, n);
	call->len += n;
	call->buf[call->len] = '\0';
	return n;
}

/* Header value after "name:", trimmed, if line is that header. */
static int
header_value(const char *line, size_t len, const char *name, char *out,
    size_t outlen)
{
	size_t nl = strlen(name), i;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return 0;
	line += nl + 1;
	len -= nl + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && strchr(" \t\r\n", line[len - 1]))
		len--;
	i = len < outlen - 1 ? len : outlen - 1;
	memcpy(out, line, i);
	out[i] = '\0';
	return 1;
}

static size_t
on_header(char *line, size_t size, size_t nmemb, void *arg)
{
	struct call *call = arg;
	size_t n = size * nmemb;
	char v[32];
	long long cl;

	/* A new status line (after a 100 Continue, say) starts afresh. */
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		call->retry_after[0] = '\0';
		return n;
	}
	if (header_value(line, n, "retry-after", call->retry_after,
	    sizeof(call->retry_after)))
		return n;
	/* Refuse an announced oversize body before reading any of it (a
	 * HEAD answer announces a body it does not carry). */
	if (!call->head &&
	    header_value(line, n, "content-length", v, sizeof(v))) {
		cl = strtoll(v, NULL, 10);
		if (cl > call->client->lim.max_response_bytes) {
			call->too_big = 1;
			return 0;
		}
	}
	return n;
}

#define SETOPT(e, opt, val) do {					\
	if (curl_easy_setopt((e), (opt), (val)) != CURLE_OK)		\
		return -1;						\
} while (0)

static int
set_method(struct call *call, CURL *e)
{
	if (strcmp(call->method, "GET") == 0) {
		SETOPT(e, CURLOPT_HTTPGET, 1L);
		return 0;
	}
	if (strcmp(call->method, "HEAD") == 0) {
		SETOPT(e, CURLOPT_NOBODY, 1L);
		return 0;
	}
	if (strcmp(call->method, "POST") != 0)
		SETOPT(e, CURLOPT_CUSTOMREQUEST, call->method);
	if (call->body || strcmp(call->method, "POST") == 0 ||
	    strcmp(call->method, "PUT") == 0) {
		/* POSTFIELDS is not copied: call->body outlives the
		 * transfer (curl may resend it on a stale connection). */
		SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)call->body_len);
		SETOPT(e, CURLOPT_POSTFIELDS, call->body ? call->body : "");
	}
	return 0;
}

static int
set_options(struct call *call, CURL *e)
{
	const struct http_limits *l = &call->client->lim;

	SETOPT(e, CURLOPT_URL, call->url);
	SETOPT(e, CURLOPT_PRIVATE, (void *)call);
	SETOPT(e, CURLOPT_ERRORBUFFER, call->errbuf);
	SETOPT(e, CURLOPT_NOSIGNAL, 1L);
	SETOPT(e, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SETOPT(e, CURLOPT_TIMEOUT_MS, (long)l->request_timeout_ms);
	SETOPT(e, CURLOPT_SSL_VERIFYPEER, l->verify_tls ? 1L : 0L);
	SETOPT(e, CURLOPT_SSL_VERIFYHOST, l->verify_tls ? 2L : 0L);
	SETOPT(e, CURLOPT_USERAGENT, HTTP_USER_AGENT);
	SETOPT(e, CURLOPT_HTTPHEADER, call->headers);
	/* Every encoding curl can decode; the size cap applies to the
	 * decoded body, which is what we hold in memory. */
	SETOPT(e, CURLOPT_ACCEPT_ENCODING, "");
	SETOPT(e, CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(e, CURLOPT_WRITEFUNCTION, on_write);
	SETOPT(e, CURLOPT_WRITEDATA, (void *)call);
	SETOPT(e, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(e, CURLOPT_HEADERDATA, (void *)call);
	return set_method(call, e);
}

/* Headers of one attempt. The Authorization line is built in local
 * buffers that are wiped before returning; curl_slist_append copies it
 * and attempt_release wipes that copy. */
static int
build_headers(struct call *call)
{
	static const char *const fixed[] = {
		"Accept: application/json",
		"Expect:",	/* no 100-continue round trip for bodies */
	};
	char value[HTTP_AUTH_MAX], line[HTTP_AUTH_MAX + 32];
	const char *v;
	struct curl_slist *l = NULL, *n;
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && rc == 0; i++)
		if ((n = curl_slist_append(l, fixed[i])) != NULL)
			l = n;
		else
			rc = -ENOMEM;
	if (rc == 0 && call->body) {
		if ((n = curl_slist_append(l,
		    "Content-Type: application/json")) != NULL)
			l = n;
		else
			rc = -ENOMEM;
	}
	if (rc == 0 && call->auth) {
		v = call->auth(call->auth_arg, call->method, call->url, value,
		    sizeof(value));
		if (v == NULL || (size_t)snprintf(line, sizeof(line),
		    "Authorization: %s", v) >= sizeof(line) ||
		    strpbrk(v, "\r\n"))
			rc = -EPERM;
		else if ((n = curl_slist_append(l, line)) != NULL)
			l = n;
		else
			rc = -ENOMEM;
		explicit_bzero(value, sizeof(value));
		explicit_bzero(line, sizeof(line));
	}
	if (rc < 0) {
		wipe_headers(l);
		curl_slist_free_all(l);
		return rc;
	}
	call->headers = l;
	return 0;
}

/* Start the next attempt of a call taken off its client's queue. On
 * failure the call is finished (delivered later), never left dangling. */
static void
attempt_start(struct call *call)
{
	struct http_client *c = call->client;
	CURLMcode mc;
	int rc;

	call->errbuf[0] = '\0';
	call->retry_after[0] = '\0';
	call->too_big = call->oom = 0;
	call->len = 0;
	call->attempts++;
	c->attempts++;
	rc = build_headers(call);
	if (rc == -EPERM) {
		finish_msg(call, HTTP_ERR_AUTH,
		    "could not build the Authorization header");
		return;
	}
	if (rc < 0 || (call->easy = pool_get(call->h)) == NULL) {
		attempt_release(call, 0);
		finish_msg(call, HTTP_ERR_INTERNAL, "out of memory");
		return;
	}
	if (set_options(call, call->easy) < 0) {
		attempt_release(call, 0);
		finish_msg(call, HTTP_ERR_INTERNAL,
		    "libcurl refused a request option");
		return;
	}
	if ((mc = curl_multi_add_handle(call->h->multi, call->easy)) !=
	    CURLM_OK) {
		attempt_release(call, 0);
		snprintf(call->msg, sizeof(call->msg), "libcurl: %s",
		    curl_multi_strerror(mc));
		call->res.retry_after_ms = -1;
		finish(call, HTTP_ERR_INTERNAL, 0, 0);
		return;
	}
	calls_push(&c->running, call, 0);
	if (c->running.n > c->max_running)
		c->max_running = c->running.n;
}

/* Start what c's concurrency limit allows. Returns how many started. */
static int
pump(struct http_client *c)
{
	struct call *call;
	int started = 0;

	while (c->running.n < c->lim.max_concurrency &&
	    (call = calls_pop(&c->queued)) != NULL) {
		attempt_start(call);
		started++;
	}
	return started;
}

/* -- ending attempts ------------------------------------------------------ */

/* What we keep of a finished transfer, copied out of curl before its easy
 * handle is removed. */
struct ended {
	CURLcode rc;
	long status;
	long sent;			/* request bytes sent */
	int resolved, connected;	/* how far the attempt got */
};

static void
classify(struct call *call, const struct ended *end, enum http_err *err,
    enum retry_outcome *outcome)
{
	const char *what = "transfer failed", *detail;
	size_t i;

	*err = HTTP_ERR_INTERNAL;
	*outcome = RETRY_FATAL;
	detail = call->errbuf[0] ? call->errbuf : curl_easy_strerror(end->rc);
	if (call->too_big) {
		*err = HTTP_ERR_TOO_BIG;
		snprintf(call->msg, sizeof(call->msg),
		    "response larger than %lld bytes",
		    (long long)call->client->lim.max_response_bytes);
		return;
	}
	if (call->oom) {
		snprintf(call->msg, sizeof(call->msg), "out of memory");
		return;
	}
	for (i = 0; i < sizeof(curl_errs) / sizeof(curl_errs[0]); i++)
		if (curl_errs[i].code == end->rc) {
			*err = curl_errs[i].err;
			*outcome = curl_errs[i].outcome;
			what = curl_errs[i].what;
			break;
		}
	/* The store saw nothing of it: a request that never left cannot
	 * have been acted on. A timeout before that point is a slow name
	 * server or a black-holed address, which test-connection must name
	 * as such. */
	if (*outcome == RETRY_LOST && end->sent == 0)
		*outcome = RETRY_NOT_SENT;
	if (end->rc == CURLE_OPERATION_TIMEDOUT && end->sent == 0) {
		if (!end->resolved) {
			*err = HTTP_ERR_DNS;
			what = "DNS lookup timed out";
		} else if (!end->connected) {
			*err = HTTP_ERR_CONNECT;
			what = "connection timed out";
		}
	}
	snprintf(call->msg, sizeof(call->msg), "%s: %s", what, detail);
}

static void
backoff(struct call *call, int64_t delay_ms)
{
	struct http_client *c = call->client;

	if (!call->timer_open) {
		if (uv_timer_init(call->h->loop, &call->timer) < 0) {
			call->res.retry_after_ms = -1;
			finish_msg(call, HTTP_ERR_INTERNAL,
			    "cannot start a timer");
			return;
		}
		call->timer.data = call;
		call->timer_open = 1;
	}
	/* Never a 0 ms timer: see the top of the file. */
	if (uv_timer_start(&call->timer, on_backoff,
	    (uint64_t)(delay_ms < 1 ? 1 : delay_ms), 0) < 0) {
		finish_msg(call, HTTP_ERR_INTERNAL, "cannot start a timer");
		return;
	}
	calls_push(&c->waiting, call, 0);
}

/* An attempt is over (curl said so): retry it, or finish the call. */
static void
attempt_done(struct call *call, const struct ended *end)
{
	struct http_client *c = call->client;
	struct retry_attempt a;
	enum http_err err = HTTP_ERR_NONE;
	int64_t delay;

	calls_remove(call);
	attempt_release(call, 0);
	a.idempotent = call->idempotent;
	a.attempt = call->attempts;
	a.status = 0;
	a.retry_after_ms = -1;
	if (end->rc == CURLE_OK) {
		a.outcome = RETRY_RESPONSE;
		a.status = (int)end->status;
		if (call->retry_after[0] && retry_after_parse(call->retry_after,
		    wall_ms(), &a.retry_after_ms) < 0)
			a.retry_after_ms = -1;
		snprintf(call->msg, sizeof(call->msg), "HTTP %ld", end->status);
	} else {
		classify(call, end, &err, &a.outcome);
	}
	call->res.retry_after_ms = a.retry_after_ms;
	if (!c->freeing && !call->h->dying &&
	    retry_next(&c->policy, &a, rng_next(call->h), &delay))
		backoff(call, delay);
	else
		finish(call, err, a.status, retry_transient(&a));
	if (c->queued.n > 0)
		kick(call->h);
}

/* Drain curl's messages. Copy everything out of the CURLMsg before the
 * easy handle is removed: the message dies with it. */
static void
read_messages(struct http *h)
{
	CURLMsg *m;
	struct ended end;
	struct call *call;
	curl_off_t t;
	char *priv;
	int left;
	CURL *e;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		e = m->easy_handle;
		end.rc = m->data.result;
		priv = NULL;
		if (curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv) != CURLE_OK ||
		    priv == NULL)
			continue;	/* not ours: cannot happen */
		call = (struct call *)priv;
		if (curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &end.status) !=
		    CURLE_OK)
			end.status = 0;
		/* Unknown progress counts as "went out": the safe side for
		 * requests that must not be repeated. */
		if (curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &end.sent) !=
		    CURLE_OK)
			end.sent = 1;
		end.resolved = curl_easy_getinfo(e, CURLINFO_NAMELOOKUP_TIME_T,
		    &t) != CURLE_OK || t > 0;
		end.connected = curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T,
		    &t) != CURLE_OK || t > 0;
		if (curl_multi_remove_handle(h->multi, e) != CURLM_OK)
			call->easy = NULL;	/* see attempt_release */
		attempt_done(call, &end);
	}
}

/* curl_multi_socket_action failed as a whole: nothing in flight can be
 * trusted to finish, so end every running attempt with the reason. */
static void
multi_failed(struct http *h, CURLMcode mc)
{
	struct http_client *c;
	struct call *call;

	for (c = h->clients; c; c = c->next)
		while ((call = calls_pop(&c->running)) != NULL) {
			attempt_release(call, 1);
			snprintf(call->msg, sizeof(call->msg), "libcurl: %s",
			    curl_multi_strerror(mc));
			call->res.retry_after_ms = -1;
			finish(call, HTTP_ERR_INTERNAL, 0, 0);
		}
}

static void
socket_action(struct http *h, curl_socket_t fd, int flags)
{
	CURLMcode mc;
	int running;

	mc = curl_multi_socket_action(h->multi, fd, flags, &running);
	if (mc != CURLM_OK)
		multi_failed(h, mc);
	read_messages(h);
}

/* -- libuv callbacks ------------------------------------------------------ */

static void
on_kick(uv_idle_t *idle)
{
	struct http *h = idle->data;
	struct http_client *c;
	int started = 0;

	uv_idle_stop(idle);
	h->kick_on = 0;
	h->depth++;
	for (c = h->clients; c; c = c->next)
		started += pump(c);
	/* Let curl begin at once rather than on its 1 ms timer. */
	if (started)
		socket_action(h, CURL_SOCKET_TIMEOUT, 0);
	deliver(h);
	leave(h);
}

static void
on_timer(uv_timer_t *t)
{
	struct http *h = t->data;

	h->depth++;
	socket_action(h, CURL_SOCKET_TIMEOUT, 0);
	deliver(h);
	leave(h);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	struct sock *s = p->data;
	struct http *h = s->h;
	int flags = 0;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	h->depth++;
	socket_action(h, s->fd, flags);
	deliver(h);
	leave(h);
}

static void
on_backoff(uv_timer_t *t)
{
	struct call *call = t->data;

	/* A retry goes before fresh requests: it was submitted earlier. */
	calls_remove(call);
	calls_push(&call->client->queued, call, 1);
	kick(call->h);
}

/* -- curl's hooks: libuv only, never libcurl (but curl_multi_assign) ------- */

static void
on_sock_close(uv_handle_t *p)
{
	free(p->data);
}

static void
sock_close(struct sock *s)
{
	struct http *h = s->h;

	if (s->prev)
		s->prev->next = s->next;
	else
		h->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	/* Stop now: libuv keys watchers by fd number, and curl may open a
	 * new socket with the same number before the close callback. */
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, on_sock_close);
}

static int
on_curl_socket(CURL *e, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
	struct http *h = userp;
	struct sock *s = socketp;
	int events = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s)
			sock_close(s);
		return 0;
	}
	if (s == NULL) {
		if (h->torn || (s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		if (uv_poll_init_socket(h->loop, &s->poll, fd) < 0) {
			free(s);
			return -1;
		}
		s->h = h;
		s->fd = fd;
		s->poll.data = s;
		s->next = h->socks;
		if (h->socks)
			h->socks->prev = s;
		h->socks = s;
		/* Documented as safe to call from this callback. */
		if (curl_multi_assign(h->multi, fd, s) != CURLM_OK) {
			sock_close(s);
			return -1;
		}
	}
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	if (events == 0)
		return uv_poll_stop(&s->poll) < 0 ? -1 : 0;
	return uv_poll_start(&s->poll, events, on_poll) < 0 ? -1 : 0;
}

static int
on_curl_timer(CURLM *m, long ms, void *userp)
{
	struct http *h = userp;

	(void)m;
	if (ms < 0 || h->torn) {
		if (!h->torn)
			uv_timer_stop(&h->timer);
		return 0;
	}
	return uv_timer_start(&h->timer, on_timer, ms < 1 ? 1 : (uint64_t)ms,
	    0) < 0 ? -1 : 0;
}

/* -- life cycle ----------------------------------------------------------- */

static void
on_http_close(uv_handle_t *hd)
{
	struct http *h = hd->data;

	if (--h->nopen == 0) {
		free(h);
		curl_global_cleanup();
	}
}

struct http *
http_new(uv_loop_t *loop, const char **err)
{
	struct http *h = NULL;
	uint64_t seed = 0;
	const char *e = "libcurl initialisation failed";

	/* Reference-counted by libcurl; the matching cleanup is in
	 * on_http_close. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto fail_global;
	e = "out of memory";
	if ((h = calloc(1, sizeof(*h))) == NULL)
		goto fail;
	h->loop = loop;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = uv_hrtime() ^ ((uint64_t)getpid() << 32);
	h->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
	e = "libcurl multi handle failed";
	if ((h->multi = curl_multi_init()) == NULL)
		goto fail;
	if (curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION,
	    on_curl_socket) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION,
	    on_curl_timer) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK)
		goto fail;
	e = "cannot create loop handles";
	if (uv_timer_init(loop, &h->timer) < 0)
		goto fail;
	h->timer.data = h;
	h->nopen++;
	if (uv_idle_init(loop, &h->kick) < 0) {
		/* The timer is open: h goes in its close callback. */
		curl_multi_cleanup(h->multi);
		h->multi = NULL;
		uv_close((uv_handle_t *)&h->timer, on_http_close);
		if (err)
			*err = e;
		return NULL;
	}
	h->kick.data = h;
	h->nopen++;
	size_cache(h);
	return h;
fail:
	if (h && h->multi)
		curl_multi_cleanup(h->multi);
	free(h);
	curl_global_cleanup();
fail_global:
	if (err)
		*err = e;
	return NULL;
}

/* Keep enough idle connections for every client's concurrency, so a
 * finished request's connection is there for the next one: curl's default
 * cache follows the number of easy handles added, which dips between
 * requests. The per-host limit stays 0 (none): clients limit themselves. */
static void
size_cache(struct http *h)
{
	struct http_client *c;
	long total = 0;

	for (c = h->clients; c; c = c->next)
		total += c->lim.max_concurrency;
	if (total < 8)
		total = 8;
	/* Failing leaves curl's default, which only costs reconnects. */
	(void)curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, total);
}

static void
teardown(struct http *h)
{
	struct sock *s;

	h->torn = 1;
	while (h->npool > 0)
		curl_easy_cleanup(h->pool[--h->npool]);
	/* May call on_curl_socket with CURL_POLL_REMOVE for cached
	 * connections; those polls close there. */
	curl_multi_cleanup(h->multi);
	h->multi = NULL;
	while ((s = h->socks) != NULL)
		sock_close(s);
	uv_timer_stop(&h->timer);
	uv_idle_stop(&h->kick);
	uv_close((uv_handle_t *)&h->timer, on_http_close);
	uv_close((uv_handle_t *)&h->kick, on_http_close);
}

void
http_free(struct http *h)
{
	if (h == NULL || h->dying)
		return;
	h->dying = 1;
	h->depth++;
	while (h->clients)
		http_client_free(h->clients);
	leave(h);
}

struct http_client *
http_client_new(struct http *h, const struct http_limits *limits)
{
	struct http_client *c;
	struct http_limits l = *limits;

	if (h == NULL || h->dying)
		return NULL;
	if (l.max_concurrency == 0)
		l.max_concurrency = HTTP_DEF_CONCURRENCY;
	if (l.request_timeout_ms == 0)
		l.request_timeout_ms = HTTP_DEF_TIMEOUT_MS;
	if (l.retry_attempts == 0)
		l.retry_attempts = HTTP_DEF_ATTEMPTS;
	if (l.max_response_bytes == 0)
		l.max_response_bytes = HTTP_DEF_MAX_BYTES;
	if (l.max_concurrency < 0 || l.request_timeout_ms < 0 ||
	    l.request_timeout_ms > (int64_t)0x7fffffff ||
	    l.retry_attempts < 0 || l.max_response_bytes < 0)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->h = h;
	c->lim = l;
	retry_policy_init(&c->policy, l.retry_attempts);
	c->next = h->clients;
	if (h->clients)
		h->clients->prev = c;
	h->clients = c;
	size_cache(h);
	return c;
}

/* Move every call of c, in any state, onto out, ready for delivery. */
static void
collect(struct http_client *c, struct calls *out)
{
	struct http *h = c->h;
	struct call *call, *next;

	while ((call = calls_pop(&c->running)) != NULL) {
		attempt_release(call, 1);
		snprintf(call->msg, sizeof(call->msg), "cancelled");
		call->res.retry_after_ms = -1;
		finish(call, HTTP_ERR_CANCELLED, 0, 0);
	}
	while ((call = calls_pop(&c->waiting)) != NULL)
		finish_msg(call, HTTP_ERR_CANCELLED, "cancelled");
	while ((call = calls_pop(&c->queued)) != NULL)
		finish_msg(call, HTTP_ERR_CANCELLED, "cancelled");
	/* finish() queued them on h->done, where finished-but-undelivered
	 * calls of c may already wait: take all of c's. */
	for (call = h->done.head; call; call = next) {
		next = call->next;
		if (call->client == c) {
			calls_remove(call);
			calls_push(out, call, 0);
		}
	}
}

void
http_cancel(struct http_client *c)
{
	struct calls mine = { NULL, NULL, 0 };
	struct http *h;
	struct call *call;

	if (c == NULL)
		return;
	h = c->h;
	h->depth++;
	collect(c, &mine);
	/* From here on c may be freed by a callback: use only the list. */
	while ((call = calls_pop(&mine)) != NULL)
		deliver_one(call);
	leave(h);
}

void
http_client_free(struct http_client *c)
{
	struct http *h;

	if (c == NULL || c->freeing)
		return;
	h = c->h;
	c->freeing = 1;
	h->depth++;
	http_cancel(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	if (!h->dying)
		size_cache(h);
	leave(h);
}

int
http_request(struct http_client *c, const struct http_req *req,
    http_done_cb *cb, void *arg)
{
	struct call *call;

	if (c == NULL || req == NULL || cb == NULL ||
	    !method_token(req->method) || !http_url(req->url) ||
	    (req->body == NULL && req->body_len != 0))
		return -EINVAL;
	if (c->freeing || c->h->dying)
		return -ECANCELED;
	if ((call = calloc(1, sizeof(*call))) == NULL)
		return -ENOMEM;
	call->method = strdup(req->method);
	call->url = strdup(req->url);
	if (req->body && (call->body = malloc(req->body_len + 1)) != NULL) {
		memcpy(call->body, req->body, req->body_len);
		call->body[req->body_len] = '\0';
	}
	if (call->method == NULL || call->url == NULL ||
	    (req->body && call->body == NULL)) {
		call_free(call);
		return -ENOMEM;
	}
	call->body_len = req->body_len;
	call->path = url_path(call->url);
	call->h = c->h;
	call->client = c;
	call->cb = cb;
	call->arg = arg;
	call->auth = req->auth;
	call->auth_arg = req->auth_arg;
	call->idempotent = req->idempotent == HTTP_IDEM_YES ||
	    (req->idempotent == HTTP_IDEM_AUTO &&
	    strcmp(call->method, "POST") != 0 &&
	    strcmp(call->method, "PATCH") != 0);
	call->head = strcmp(call->method, "HEAD") == 0;
	call->start_ns = uv_hrtime();
	call->res.retry_after_ms = -1;
	calls_push(&c->queued, call, 0);
	c->requests++;
	kick(c->h);
	return 0;
}

void
http_client_stats(const struct http_client *c, struct http_stats *st)
{
	st->running = c->running.n;
	st->queued = c->queued.n;
	st->waiting = c->waiting.n;
	st->max_running = c->max_running;
	st->requests = c->requests;
	st->attempts = c->attempts;
}
