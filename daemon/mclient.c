/* mclient.c - a channel's Magento client (see mclient.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "conf.h"
#include "mclient.h"
#include "utf8.h"

#define MCLIENT_ERR_MAX		1024
/* Body bytes kept in a detail excerpt before JSON escaping; shrunk until
 * the escaped text fits MCLIENT_DETAIL_MAX. */
#define MCLIENT_EXCERPT		1800
/* Magento keeps at most 32 characters of a nonce. */
#define MCLIENT_NONCE_BYTES	16

struct mclient {
	const struct conf_channel *ch;
	struct http_client *client;
	struct run *run;
	struct mage_creds creds;
};

/* One request in flight: where its answer goes. */
struct mreq {
	struct mclient *mc;
	mclient_cb *cb;
	void *arg;
};

/* ---- Authorization, once per attempt ------------------------------------ */

static int
fresh_nonce(char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[MCLIENT_NONCE_BYTES];
	size_t got = 0, i;
	ssize_t n;

	if (len < 2 * sizeof(rnd) + 1)
		return -1;
	while (got < sizeof(rnd)) {
		n = getrandom(rnd + got, sizeof(rnd) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	for (i = 0; i < sizeof(rnd); i++) {
		out[2 * i] = hex[rnd[i] >> 4];
		out[2 * i + 1] = hex[rnd[i] & 15];
	}
	out[2 * sizeof(rnd)] = '\0';
	explicit_bzero(rnd, sizeof(rnd));
	return 0;
}

/* http_auth_cb: the header value for this attempt of method on url (the
 * exact URL curl sends, so an OAuth signature covers what Magento sees).
 * NULL fails the request with HTTP_ERR_AUTH. */
static const char *
on_auth(void *arg, const char *method, const char *url, char *buf,
    size_t len)
{
	static const char prefix[] = "Authorization: ";
	struct mclient *mc = arg;
	char nonce[2 * MCLIENT_NONCE_BYTES + 1], *hdr = NULL;
	const char *v = NULL;
	size_t n;

	if (mc->creds.auth == MAGE_AUTH_OAUTH1 &&
	    fresh_nonce(nonce, sizeof(nonce)) < 0)
		return NULL;
	if (mage_auth_header(&mc->creds, method, url,
	    mc->creds.auth == MAGE_AUTH_OAUTH1 ? nonce : NULL,
	    (int64_t)time(NULL), &hdr) < 0)
		return NULL;
	if (strncmp(hdr, prefix, sizeof(prefix) - 1) == 0 &&
	    (n = strlen(hdr + sizeof(prefix) - 1)) < len) {
		memcpy(buf, hdr + sizeof(prefix) - 1, n + 1);
		v = buf;
	}
	explicit_bzero(hdr, strlen(hdr));
	free(hdr);
	return v;
}

/* ---- results ------------------------------------------------------------ */

/* {"excerpt": "..."} of the first bytes of body, valid UTF-8 (invalid
 * bytes become '?', NUL becomes a space), cut at a character boundary,
 * at most MCLIENT_DETAIL_MAX bytes once escaped. New, or NULL. */
static char *
make_detail(const char *body, size_t len)
{
	size_t keep = len < MCLIENT_EXCERPT ? len : MCLIENT_EXCERPT;
	char *clean, *out = NULL;
	size_t i = 0, o = 0, k;
	json_t *j;

	if (body == NULL || len == 0 || (clean = malloc(keep + 1)) == NULL)
		return NULL;
	while (i < keep) {
		k = utf8_seq(body + i, len - i);
		if (k == 0) {
			clean[o++] = '?';
			i++;
			continue;
		}
		if (i + k > keep)
			break;
		if (k == 1 && body[i] == '\0') {
			clean[o++] = ' ';
		} else {
			memcpy(clean + o, body + i, k);
			o += k;
		}
		i += k;
	}
	for (;;) {
		j = json_pack("{s:s%}", "excerpt", clean, o);
		out = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (out == NULL || strlen(out) <= MCLIENT_DETAIL_MAX || o == 0)
			break;
		free(out);
		out = NULL;
		/* Escapes blew it up: halve, back to a character start. */
		o /= 2;
		while (o > 0 && ((unsigned char)clean[o] & 0xc0) == 0x80)
			o--;
	}
	free(clean);
	return out;
}

static int
status_ok(int status)
{
	return status >= 200 && status <= 299;
}

/* Fill res from the engine's result; errbuf holds res->error's text and
 * *detail the new detail text. */
static void
make_result(const struct http_res *hr, struct mclient_res *res, char *errbuf,
    size_t errlen, char **detail)
{
	char msg[MAGE_ERROR_MAX];
	json_error_t je;

	memset(res, 0, sizeof(*res));
	*detail = NULL;
	res->status = hr->status;
	res->err = hr->err;
	res->attempts = hr->attempts;
	res->retry_after_ms = hr->retry_after_ms;
	res->body = hr->body;
	res->body_len = hr->body_len;
	res->http.method = hr->method;
	res->http.path = hr->path;
	res->http.status = hr->status;
	res->http.duration_ms = hr->duration_ms;
	if (hr->status == 0 || hr->err != HTTP_ERR_NONE) {
		snprintf(errbuf, errlen, "%s", hr->error && *hr->error ?
		    hr->error : http_err_name(hr->err));
		res->error = errbuf;
		return;
	}
	if (status_ok(hr->status)) {
		if (hr->body == NULL || hr->body_len == 0)
			res->json = json_null();
		else
			res->json = json_loadb(hr->body, hr->body_len,
			    JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		if (res->json != NULL) {
			res->ok = 1;
			return;
		}
		snprintf(errbuf, errlen, "malformed JSON from Magento: %s at "
		    "line %d column %d", je.text, je.line, je.column);
		res->error = errbuf;
		*detail = make_detail(hr->body, hr->body_len);
		res->detail = *detail;
		return;
	}
	/* An error status: Magento's message, and its object for callers
	 * that want its parameters. */
	if (hr->body != NULL && hr->body_len > 0)
		res->json = json_loadb(hr->body, hr->body_len,
		    JSON_DECODE_ANY, &je);
	if (mage_error_text(hr->body ? hr->body : "", hr->body_len, msg,
	    sizeof(msg)) < 0 && (hr->body == NULL || hr->body_len == 0))
		snprintf(msg, sizeof(msg), "HTTP %d with an empty body",
		    hr->status);
	if (hr->error && *hr->error)
		snprintf(errbuf, errlen, "%s: %s", hr->error, msg);
	else
		snprintf(errbuf, errlen, "%s", msg);
	res->error = errbuf;
	*detail = make_detail(hr->body, hr->body_len);
	res->detail = *detail;
}

static void
on_done(struct http_res *hr, void *arg)
{
	struct mreq *q = arg;
	struct mclient_res res;
	char errbuf[MCLIENT_ERR_MAX], *detail;
	mclient_cb *cb = q->cb;
	void *cb_arg = q->arg;

	if (q->mc->run != NULL && hr->attempts > 0)
		run_count_requests(q->mc->run, hr->attempts);
	free(q);
	/* From here on q->mc may die inside the callback: touch nothing of
	 * it after. */
	make_result(hr, &res, errbuf, sizeof(errbuf), &detail);
	cb(&res, cb_arg);
	free(detail);
}

/* ---- the client --------------------------------------------------------- */

struct mclient *
mclient_new(struct http *h, const struct conf_channel *ch, struct run *r,
    const char **err)
{
	struct http_limits lim;
	struct mclient *mc;
	const char *dummy;

	if (err == NULL)
		err = &dummy;
	if (h == NULL || ch == NULL || ch->store_url == NULL) {
		*err = "no channel";
		return NULL;
	}
	if (ch->access_token == NULL || *ch->access_token == '\0' ||
	    (ch->auth == CONF_AUTH_OAUTH1 && (ch->consumer_key == NULL ||
	    ch->consumer_secret == NULL || ch->access_token_secret == NULL))) {
		*err = ch->auth == CONF_AUTH_OAUTH1 ? "the channel's OAuth "
		    "credentials are incomplete (consumer key and secret, "
		    "access token and secret)" : "the channel has no access "
		    "token";
		return NULL;
	}
	if ((mc = calloc(1, sizeof(*mc))) == NULL) {
		*err = "out of memory";
		return NULL;
	}
	http_limits_from_conf(&lim, ch);
	if ((mc->client = http_client_new(h, &lim)) == NULL) {
		*err = "bad HTTP limits or out of memory";
		free(mc);
		return NULL;
	}
	mc->ch = ch;
	mc->run = r;
	mc->creds.auth = ch->auth == CONF_AUTH_OAUTH1 ? MAGE_AUTH_OAUTH1 :
	    MAGE_AUTH_BEARER;
	mc->creds.access_token = ch->access_token;
	mc->creds.access_token_secret = ch->access_token_secret;
	mc->creds.consumer_key = ch->consumer_key;
	mc->creds.consumer_secret = ch->consumer_secret;
	return mc;
}

void
mclient_free(struct mclient *mc)
{
	if (mc == NULL)
		return;
	/* Callbacks of cancelled requests run in here and may still look at
	 * mc (counting): free it only after. */
	http_client_free(mc->client);
	free(mc);
}

void
mclient_cancel(struct mclient *mc)
{
	http_cancel(mc->client);
}

int
mclient_request(struct mclient *mc, const struct mclient_call *call,
    mclient_cb *cb, void *arg)
{
	struct http_req req;
	struct mreq *q;
	char *url = NULL, *body = NULL;
	size_t i;
	int rc;

	if (mc == NULL || call == NULL || call->method == NULL ||
	    call->path == NULL || cb == NULL)
		return -EINVAL;
	for (i = 0; i < call->nargs; i++)
		if (call->args == NULL || call->args[i] == NULL ||
		    !mage_sku_path_safe(call->args[i], mc->creds.auth))
			return call->args && call->args[i] ? MAGE_EPATH :
			    -EINVAL;
	if ((rc = mage_url(&url, mc->ch->store_url, mage_scope(call->op,
	    mc->ch->store_code), call->path, call->args, call->nargs,
	    call->query)) < 0)
		return rc;
	if (call->body != NULL &&
	    (body = json_dumps(call->body, JSON_COMPACT | JSON_ENCODE_ANY)) ==
	    NULL) {
		free(url);
		return -ENOMEM;
	}
	if ((q = malloc(sizeof(*q))) == NULL) {
		free(url);
		free(body);
		return -ENOMEM;
	}
	q->mc = mc;
	q->cb = cb;
	q->arg = arg;
	memset(&req, 0, sizeof(req));
	req.method = call->method;
	req.url = url;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.auth = on_auth;
	req.auth_arg = mc;
	req.idempotent = call->idempotent;
	rc = http_request(mc->client, &req, on_done, q);
	free(url);
	free(body);
	if (rc < 0)
		free(q);
	return rc;
}

int
mclient_page_size(const struct mclient *mc)
{
	return mc->ch->page_size > 0 ? mc->ch->page_size : 250;
}

int
mclient_max_concurrency(const struct mclient *mc)
{
	return mc->ch->max_concurrency > 0 ? mc->ch->max_concurrency : 4;
}

const struct conf_channel *
mclient_channel(const struct mclient *mc)
{
	return mc->ch;
}

void
mclient_stats(const struct mclient *mc, struct mclient_stats *st)
{
	struct http_stats hs;

	http_client_stats(mc->client, &hs);
	st->requests = hs.requests;
	st->attempts = hs.attempts;
	st->running = hs.running;
	st->max_running = hs.max_running;
}

void
mclient_log(struct run *r, enum run_level level, const char *entity,
    const struct mclient_res *res, const char *message)
{
	if (message == NULL)
		message = res->error ? res->error : "ok";
	run_log_http(r, level, entity, &res->http, message, res->detail);
}
