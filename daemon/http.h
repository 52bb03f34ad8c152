/* http.h - the HTTP engine: libcurl's multi interface on the libuv loop.
 *
 * One struct http per loop owns the curl multi handle, its timer and one
 * poll handle per socket (STYLE.md §19); connections are kept and reused
 * across requests. One struct http_client per channel carries that
 * channel's limits: at most max_concurrency requests in flight (the rest
 * wait in FIFO order), a per-attempt timeout, an attempt limit with
 * exponential backoff and jitter between attempts (lib/retry.h has the
 * rules), and a cap on response size.
 *
 * The engine logs nothing and stores no credentials: the Authorization
 * header comes from the caller's auth hook for each attempt and is wiped
 * once the attempt is over. Results carry the path (with its query), never
 * the scheme, host or headers. */
#ifndef MS_HTTP_H
#define MS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct conf_channel;
struct http;
struct http_client;

/* The class of a transport failure; HTTP_ERR_NONE when a response came
 * (whatever its status). Stable: test-connection explains each. */
enum http_err {
	HTTP_ERR_NONE,
	HTTP_ERR_DNS,		/* the host name did not resolve (in time) */
	HTTP_ERR_CONNECT,	/* refused, unreachable, no route, timed out */
	HTTP_ERR_TLS,		/* handshake failed or certificate refused */
	HTTP_ERR_TIMEOUT,	/* request_timeout passed once connected */
	HTTP_ERR_TRANSFER,	/* reset, truncated body, nothing received */
	HTTP_ERR_PROTOCOL,	/* the answer was not HTTP we understand */
	HTTP_ERR_TOO_BIG,	/* response over max_response_bytes */
	HTTP_ERR_AUTH,		/* the auth hook produced no header */
	HTTP_ERR_CANCELLED,	/* http_cancel or a free */
	HTTP_ERR_INTERNAL	/* bad request, out of memory, curl refused */
};

/* "none", "dns", "connect", "tls", "timeout", "transfer", "protocol",
 * "too_big", "auth", "cancelled", "internal". */
const char *http_err_name(enum http_err e);

/* A channel's limits (SPEC §3). */
struct http_limits {
	int max_concurrency;		/* >= 1 */
	int64_t request_timeout_ms;	/* whole attempt, connect to last byte */
	int retry_attempts;		/* attempts per request, >= 1 */
	int64_t max_response_bytes;	/* > 0 */
	int verify_tls;			/* 0 only for verify_tls = no */
};

/* The limits configured for a channel. */
void http_limits_from_conf(struct http_limits *l,
    const struct conf_channel *ch);

/* Whether a request may be repeated after the store might have acted on it
 * (lib/retry.h). AUTO: every method but POST and PATCH. */
enum http_idempotent { HTTP_IDEM_AUTO, HTTP_IDEM_YES, HTTP_IDEM_NO };

/* The Authorization header value for one attempt of method on url, written
 * into buf (len bytes) or any string that stays valid until the hook is
 * called again; NULL to fail the request with HTTP_ERR_AUTH. Called once
 * per attempt, right before it starts, so OAuth 1.0a gets a fresh nonce and
 * timestamp. The engine wipes buf after copying it into the request. */
typedef const char *http_auth_cb(void *arg, const char *method,
    const char *url, char *buf, size_t len);

struct http_req {
	const char *method;		/* "GET", "PUT", "POST", "DELETE", ... */
	const char *url;		/* absolute http:// or https:// URL */
	const char *body;		/* NULL: none; else body_len bytes */
	size_t body_len;
	http_auth_cb *auth;		/* NULL: no Authorization header */
	void *auth_arg;
	enum http_idempotent idempotent;
};

/* How a request ended. Everything is borrowed until the callback returns,
 * except body, which the callback may steal by setting it to NULL (then it
 * frees it with free()). */
struct http_res {
	int status;			/* last HTTP status; 0 if no response */
	enum http_err err;		/* class of the last transport failure */
	const char *error;		/* "" when the last attempt got a response
					 * not worth retrying; else one line, e.g.
					 * "gave up after 5 attempts: HTTP 503" */
	char *body;			/* NUL-terminated; NULL if no response */
	size_t body_len;		/* = bytes received in the final response */
	int attempts;
	int64_t duration_ms;		/* submission to completion, waits incl. */
	int64_t retry_after_ms;		/* last response's Retry-After, -1 none */
	const char *method;
	const char *path;		/* path and query, without scheme/host */
};

/* Called exactly once per accepted request, never from inside
 * http_request itself. The callback may submit, cancel and free freely. */
typedef void http_done_cb(struct http_res *res, void *arg);

/* The engine for one loop. New (http_free), or NULL on failure with
 * *err (may be NULL) set to a static message. */
struct http *http_new(uv_loop_t *loop, const char **err);

/* Cancel every request of every client (each callback fires with
 * HTTP_ERR_CANCELLED before this returns), free every client, and close the
 * loop handles; memory goes in the close callbacks, so run the loop after.
 * May be called from a callback. NULL is a no-op. */
void http_free(struct http *h);

/* A channel's client on h; limits are copied (0 fields take the SPEC
 * defaults). New (http_client_free, or freed by http_free), or NULL on
 * out-of-memory or a nonsense limit. */
struct http_client *http_client_new(struct http *h,
    const struct http_limits *limits);

/* Cancel its requests (callbacks fire before this returns), then free.
 * May be called from one of its own callbacks. NULL is a no-op. */
void http_client_free(struct http_client *c);

/* Submit a request. method, url and body are copied. Returns 0 (cb will be
 * called exactly once) or a negative errno (cb is never called): -EINVAL
 * for a missing method or a URL that is not absolute http(s), -ECANCELED
 * once the client is being freed, -ENOMEM. */
int http_request(struct http_client *c, const struct http_req *req,
    http_done_cb *cb, void *arg);

/* End every request of c now, queued, waiting or in flight: each callback
 * fires with HTTP_ERR_CANCELLED ("cancelled") before this returns. The
 * client stays usable. */
void http_cancel(struct http_client *c);

struct http_stats {
	int running, queued, waiting;	/* now */
	int max_running;		/* highest in flight since creation */
	uint64_t requests, attempts;	/* since creation */
};
void http_client_stats(const struct http_client *c, struct http_stats *st);

#endif
