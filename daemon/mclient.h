/* mclient.h - a channel's Magento client: what every process and
 * `magsyncctl test-connection` use to talk to a store.
 *
 * Built on the HTTP engine (http.h: one http_client with the channel's
 * limits) and lib/mage (URLs and scopes, error bodies, the Authorization
 * header). It adds what the engine leaves to its caller:
 *   - URLs: reads and order calls under /rest/<store_code>/V1, catalogue
 *     writes under /rest/all/V1 (enum mage_op picks);
 *   - the Authorization header for each attempt: the bearer token, or an
 *     OAuth 1.0a signature over the exact URL sent with a fresh nonce (32
 *     hex digits from getrandom) and the current time;
 *   - JSON: request bodies dumped compactly, response bodies parsed with
 *     jansson; Magento's error bodies decoded with %1 / %name filled in;
 *   - the fields of a job_log row (struct run_http, a detail excerpt) and
 *     request counting for the run.
 *
 * Secrets stay inside: no error, path or detail carries a token, a
 * signature or a secret. */
#ifndef MS_MCLIENT_H
#define MS_MCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http.h"
#include "mage.h"
#include "run.h"

struct conf_channel;
struct mclient;

/* Longest detail text (job_log.detail is "a response excerpt <= 2 KB"). */
#define MCLIENT_DETAIL_MAX	2048

/* How a request ended. Everything is borrowed for the duration of the
 * callback, except json (see below). */
struct mclient_res {
	int ok;			/* 1: a 2xx response whose body parsed */
	int status;		/* HTTP status; 0 if no response */
	enum http_err err;	/* transport failure class, HTTP_ERR_NONE if
				 * a response came */
	/* The parsed body whenever it is JSON - the answer on success,
	 * Magento's error object on failure (its "parameters" are there for
	 * callers that need them, e.g. "resources" of a 401); NULL
	 * otherwise. An empty 2xx body is JSON null. A NEW reference: the
	 * callback owns it and must json_decref it (NULL is fine). */
	json_t *json;
	/* NULL when ok; else one line for a human and for job_log.message:
	 * Magento's message with its parameters filled in ("The product
	 * that was requested doesn't exist. ..."), prefixed with the
	 * engine's reason when the request was retried to the end ("gave up
	 * after 5 attempts: HTTP 503: ..."); a transport failure ("connection
	 * failed: ..."); or "malformed JSON from Magento: <what> at line L
	 * column C" for a 2xx body that is not JSON. */
	const char *error;
	/* NULL, or a JSON object text of at most MCLIENT_DETAIL_MAX bytes
	 * for job_log.detail: {"excerpt": "<start of the body>"} (cut at a
	 * UTF-8 boundary) when a failed request had a body. */
	const char *detail;
	/* Method, path with query (never scheme, host or credentials),
	 * status, duration: ready for run_log_http. */
	struct run_http http;
	int attempts;
	int64_t retry_after_ms;	/* last Retry-After, -1 none */
	const char *body;	/* the raw body, NUL-terminated; NULL if none */
	size_t body_len;
};

/* Called exactly once per accepted request, never from inside
 * mclient_request. It may submit, cancel and free (the client too). */
typedef void mclient_cb(struct mclient_res *res, void *arg);

/* The client of channel ch on the engine h. ch is borrowed (its secrets
 * are read at every attempt: keep the conf alive as long as the client);
 * r may be NULL - else every attempt is counted with run_count_requests
 * (a retry is another request to the store). New (mclient_free), or NULL
 * with *err (may be NULL) set to a static message: bad limits, a
 * credential the channel's auth needs is missing, out of memory. */
struct mclient *mclient_new(struct http *h, const struct conf_channel *ch,
    struct run *r, const char **err);

/* Cancel every outstanding request (each callback fires, err
 * HTTP_ERR_CANCELLED, before this returns), then free. NULL is a no-op.
 * May be called from one of its own callbacks. */
void mclient_free(struct mclient *mc);

/* End every outstanding request now (callbacks fire before this returns,
 * with HTTP_ERR_CANCELLED); the client stays usable. */
void mclient_cancel(struct mclient *mc);

/* One request. */
struct mclient_call {
	const char *method;		/* "GET", "PUT", "POST", "DELETE" */
	enum mage_op op;		/* which scope: see mage.h */
	const char *path;		/* template, "/V1/products/{sku}" */
	const char *const *args;	/* one per {...}, encoded as a segment */
	size_t nargs;
	const char *query;		/* NULL, or "a=b&..." (mage_criteria_query) */
	const json_t *body;		/* NULL, or sent as compact JSON */
	enum http_idempotent idempotent;	/* AUTO: all but POST/PATCH */
};

/* Submit. Everything in call is copied or dumped before this returns.
 * Returns 0 (cb will be called exactly once) or a negative value and cb
 * is never called: MAGE_EPATH when an argument cannot travel in a URL
 * path with this channel's auth (a SKU with '/': use POST /V1/products),
 * -EINVAL (bad template or arguments), -ENOMEM, -ECANCELED (being freed). */
int mclient_request(struct mclient *mc, const struct mclient_call *call,
    mclient_cb *cb, void *arg);

/* The channel's configured page size and concurrency. */
int mclient_page_size(const struct mclient *mc);
int mclient_max_concurrency(const struct mclient *mc);
const struct conf_channel *mclient_channel(const struct mclient *mc);

struct mclient_stats {
	uint64_t requests;		/* submitted and answered */
	uint64_t attempts;		/* HTTP exchanges tried */
	int running;			/* in flight now */
	int max_running;		/* highest in flight since creation */
};
void mclient_stats(const struct mclient *mc, struct mclient_stats *st);

/* A job_log row for res (run_log_http): message NULL uses res->error
 * (or "ok"); the detail is res->detail. */
void mclient_log(struct run *r, enum run_level level, const char *entity,
    const struct mclient_res *res, const char *message);

#endif
