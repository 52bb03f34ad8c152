/* retry.h - when an HTTP request is tried again, and after how long.
 *
 * The pure half of the HTTP engine's retry logic (daemon/http.c holds the
 * other half: turning libcurl's errors into an outcome). Everything here is
 * data in, decision out: the caller supplies the clock reading and the random
 * bits, so every rule can be unit-tested exactly.
 *
 * The rules (SPEC §7): connection errors, timeouts, 408, 429 and 5xx are
 * transient; every other status is final. Waits grow exponentially with full
 * jitter; a Retry-After on 429 or 503 replaces the computed wait. A request
 * whose method is not idempotent (POST: Magento creates a shipment or a
 * comment each time) is only retried when the store certainly did not act on
 * it: the request never left (DNS, connect, TLS handshake), or the store said
 * so (408, 429, 503). */
#ifndef MS_RETRY_H
#define MS_RETRY_H

#include <stdint.h>

#include "export.h"

#define RETRY_BASE_MS		500	/* ceiling of the first wait */
#define RETRY_CAP_MS		30000	/* the ceiling stops doubling here */
#define RETRY_AFTER_CAP_MS	120000	/* longest Retry-After we obey */

/* How one attempt ended, as far as retrying cares. */
enum retry_outcome {
	RETRY_RESPONSE,		/* a complete response: its status decides */
	RETRY_NOT_SENT,		/* DNS, connect, TLS handshake: store saw nothing */
	RETRY_LOST,		/* timeout, reset, truncated body, garbage: the
				 * store may have acted on the request */
	RETRY_FATAL		/* retrying cannot help: bad certificate, body
				 * over the cap, no credentials, bad URL */
};

struct retry_policy {
	int max_attempts;		/* total attempts, >= 1 */
	int64_t base_ms;
	int64_t cap_ms;
	int64_t retry_after_cap_ms;
};

struct retry_attempt {
	enum retry_outcome outcome;
	int status;			/* RETRY_RESPONSE: the HTTP status */
	int idempotent;			/* 1: the method may be repeated */
	int attempt;			/* 1-based number of the attempt that ended */
	int64_t retry_after_ms;		/* parsed Retry-After, -1 if none */
};

/* The defaults above with the given attempt limit (clamped to >= 1). */
MS_EXPORT void retry_policy_init(struct retry_policy *p, int max_attempts);

/* 1 if the attempt failed in a way another attempt may fix (the attempt
 * limit aside), else 0 (success, or a final failure). */
MS_EXPORT int retry_transient(const struct retry_attempt *a);

/* The full-jitter wait before attempt n + 1 after attempt n (n >= 1): a
 * uniform pick from [0, min(cap, base * 2^(n-1))] ms; rnd is 32 uniformly
 * random bits. */
MS_EXPORT int64_t retry_backoff_ms(const struct retry_policy *p, int attempt,
    uint32_t rnd);

/* Decide after an attempt: 1 and *delay_ms (>= 0) when another attempt
 * should follow; 0 when the request is over (a final status, a fatal error,
 * or the attempt limit reached). A Retry-After on 429 or 503 is the wait,
 * capped at retry_after_cap_ms; otherwise retry_backoff_ms. */
MS_EXPORT int retry_next(const struct retry_policy *p,
    const struct retry_attempt *a, uint32_t rnd, int64_t *delay_ms);

/* Parse a Retry-After value: delta-seconds ("120") or an HTTP-date in any
 * of the three forms of RFC 9110 §5.6.7 (IMF-fixdate, RFC 850, asctime).
 * now_ms is the current wall-clock time in ms since the epoch. Returns 0 and
 * *delay_ms (a date in the past gives 0, huge values saturate), or -1 when
 * value is neither form. */
MS_EXPORT int retry_after_parse(const char *value, int64_t now_ms,
    int64_t *delay_ms);

#endif
