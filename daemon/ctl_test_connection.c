/* ctl_test_connection.c - `magsyncctl test-connection CHANNEL`: can this
 * machine reach the channel's store, and may its token do what the
 * channel's enabled jobs do?
 *
 * Checks in order, one plain-language line each with its verdict (ok,
 * FAILED and what to do, warning, note):
 *   URL -> DNS -> TCP -> TLS (https) -> token -> each permission the
 *   enabled jobs need, probed with the very endpoints the processes use.
 * A failure of the URL, DNS, TCP or TLS step skips the rest. The token is
 * GET /V1/store/storeConfigs; the permissions are read-only list calls with
 * pageSize=1. Writes (creating shipments, order comments) cannot be probed
 * without side effects: they get a "note" naming the ACL resource.
 *
 * A 401 means "no principal may do this" to Magento: a wrong token, an
 * integration token presented as a bearer token to a Magento that refuses
 * that (2.4.4+ by default), and a missing ACL resource all answer the same
 * "The consumer isn't authorized to access %resources.". The calls tell
 * them apart: when no call at all is accepted the token is refused; when
 * some are, the 401s are missing resources, named from the "resources"
 * parameter of Magento's answer.
 *
 * Exit 0 when nothing FAILED, 1 otherwise. DNS and TCP are blocking calls
 * (this is a one-shot command); HTTP goes through the daemon's own engine
 * and Magento client, with one attempt per request. No line ever holds a
 * credential: every printed line is scrubbed of the channel's secrets as a
 * last line of defence. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <uv.h>

#include "conf.h"
#include "ctl.h"
#include "ctl_util.h"
#include "http.h"
#include "mage.h"
#include "mclient.h"

#define TC_USAGE	"usage: magsyncctl test-connection CHANNEL\n"
#define TC_LINE_MAX	2048
#define TC_TCP_MAX_MS	10000

/* ---- what the jobs need ---------------------------------------------- */

enum probe_id {
	P_PRODUCTS, P_CATEGORIES, P_SOURCE_ITEMS, P_LOW_STOCK, P_ORDERS,
	P_SHIPMENTS, P_COUNT
};

/* A read-only call a process makes, and the ACL resource behind it. */
static const struct probe {
	const char *what;		/* "read products" */
	const char *path;
	enum mage_op op;
	int criteria;			/* 1: searchCriteria pageSize=1 */
	const char *query;		/* else this query */
	const char *resource;
} probes[P_COUNT] = {
	[P_PRODUCTS] = { "read products", "/V1/products", MAGE_OP_READ, 1,
	    NULL, "Magento_Catalog::products" },
	[P_CATEGORIES] = { "read categories", "/V1/categories", MAGE_OP_READ,
	    0, "depth=1", "Magento_Catalog::categories" },
	[P_SOURCE_ITEMS] = { "read stock (MSI source items)",
	    "/V1/inventory/source-items", MAGE_OP_READ, 1, NULL,
	    "Magento_InventoryApi::source" },
	[P_LOW_STOCK] = { "read stock (stock items)",
	    "/V1/stockItems/lowStock", MAGE_OP_READ, 0,
	    "scopeId=0&qty=1000000000&pageSize=1&currentPage=1",
	    "Magento_CatalogInventory::cataloginventory" },
	[P_ORDERS] = { "read orders", "/V1/orders", MAGE_OP_ORDER, 1, NULL,
	    "Magento_Sales::actions_view" },
	[P_SHIPMENTS] = { "read shipments", "/V1/shipments", MAGE_OP_ORDER, 1,
	    NULL, "Magento_Sales::shipment" },
};

#define PB(x)	(1u << (x))
#define P_STOCK	(1u << P_COUNT)	/* source items or stock items, per
				 * the channel's inventory setting */

static const struct need {
	enum proc proc;
	unsigned probes;
	const char *unprobed;		/* writes we cannot try, or NULL */
} needs[] = {
	{ PROC_IMPORT_LISTINGS, PB(P_PRODUCTS) | PB(P_CATEGORIES) | P_STOCK,
	    NULL },
	{ PROC_SYNC_LISTINGS, PB(P_PRODUCTS), "updates products and their "
	    "stock (Magento_Catalog::products)" },
	{ PROC_PUBLISH_LISTINGS, PB(P_PRODUCTS), "creates and updates "
	    "products and their images (Magento_Catalog::products, "
	    "Magento_Catalog::catalog)" },
	{ PROC_GET_ORDERS, PB(P_ORDERS), "adds order comments when "
	    "acknowledge = comment (Magento_Sales::comment)" },
	{ PROC_SYNC_ORDERS, PB(P_SHIPMENTS), "creates shipments "
	    "(Magento_Sales::ship)" },
	{ PROC_PII_RETENTION, 0, NULL },
};

/* ---- state ---------------------------------------------------------- */

/* What one call brought back (copies: the mclient result dies with its
 * callback). */
struct answer {
	int done, ok, status;
	enum http_err err;
	char *error;		/* the one-line error */
	char *message;		/* Magento's "message" template, raw */
	char *resources;	/* Magento's "resources" parameter */
	char *path;		/* without the query */
};

struct tc {
	uv_loop_t loop;
	struct conf *conf;
	struct conf_channel ch;		/* the channel, one attempt per call */
	struct http *h;
	struct http_client *plain;	/* the TLS step: no credentials */
	struct mclient *mc;
	char host[256], scheme[8];
	long port;
	unsigned wanted;		/* probe bits to run */
	int current;			/* probe running, -1: the token call */
	struct answer token, ans[P_COUNT];
	int failed;
};

/* ---- output ------------------------------------------------------------ */

/* Replace every occurrence of secret in s by "***" (in place; s has room:
 * the replacement is never longer than a secret worth scrubbing). */
static void
scrub(char *s, const char *secret)
{
	size_t n;
	char *p;

	if (secret == NULL || (n = strlen(secret)) < 4)
		return;
	while ((p = strstr(s, secret)) != NULL) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + n, strlen(p + n) + 1);
	}
}

static void
say(struct tc *t, const char *verdict, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct tc *t, const char *verdict, const char *fmt, ...)
{
	char buf[TC_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	scrub(buf, t->ch.access_token);
	scrub(buf, t->ch.access_token_secret);
	scrub(buf, t->ch.consumer_key);
	scrub(buf, t->ch.consumer_secret);
	printf("%-8s%s\n", verdict, buf);
	fflush(stdout);
	if (strcmp(verdict, "FAILED") == 0)
		t->failed++;
}

/* ---- URL, DNS, TCP: blocking, one shot ------------------------------------ */

static int
check_url(struct tc *t)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;

	if (u == NULL) {
		say(t, "FAILED", "URL: out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, t->ch.store_url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		say(t, "FAILED", "URL: store_url is not a URL curl can use: "
		    "write it as https://host[:port][/path]");
		goto out;
	}
	if ((strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
	    strlen(host) >= sizeof(t->host)) {
		say(t, "FAILED", "URL: store_url must start with https:// (or "
		    "http://)");
		goto out;
	}
	snprintf(t->scheme, sizeof(t->scheme), "%s", scheme);
	/* IPv6 literals come bracketed; getaddrinfo wants them bare. */
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		snprintf(t->host, sizeof(t->host), "%s", host + 1);
	} else {
		snprintf(t->host, sizeof(t->host), "%s", host);
	}
	t->port = strtol(port, NULL, 10);
	say(t, "ok", "URL: %s, host %s, port %ld, store view \"%s\", %s",
	    t->scheme, t->host, t->port, t->ch.store_code,
	    t->ch.auth == CONF_AUTH_OAUTH1 ? "OAuth 1.0a signatures" :
	    "bearer token");
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

static void
addr_text(const struct addrinfo *ai, char *buf, size_t len)
{
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, (socklen_t)len,
	    NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(buf, len, "?");
}

static struct addrinfo *
check_dns(struct tc *t)
{
	struct addrinfo hints, *res = NULL, *ai;
	char first[64];
	int rc, n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(t->host, NULL, &hints, &res) == 0) {
		say(t, "ok", "DNS: not needed, %s is an address", t->host);
		return res;
	}
	hints.ai_flags = AI_ADDRCONFIG;
	if ((rc = getaddrinfo(t->host, NULL, &hints, &res)) != 0) {
		if (rc == EAI_NONAME || rc == EAI_NODATA)
			say(t, "FAILED", "DNS: the name %s does not exist (%s). "
			    "Check the host name in store_url.", t->host,
			    gai_strerror(rc));
		else if (rc == EAI_AGAIN)
			say(t, "FAILED", "DNS: no answer for %s from the name "
			    "servers (%s). Check this machine's DNS settings "
			    "(/etc/resolv.conf) and network.", t->host,
			    gai_strerror(rc));
		else
			say(t, "FAILED", "DNS: cannot look up %s: %s", t->host,
			    gai_strerror(rc));
		return NULL;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		n++;
	addr_text(res, first, sizeof(first));
	say(t, "ok", "DNS: %s is %s%s", t->host, first,
	    n > 1 ? " (and more addresses)" : "");
	return res;
}

/* Connect to one address within ms; 0 or an errno value. */
static int
tcp_try(const struct addrinfo *ai, long port, int ms)
{
	struct sockaddr_storage ss;
	struct pollfd pfd;
	socklen_t sl = sizeof(int);
	int fd, err = 0, rc;

	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	else if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port =
		    htons((uint16_t)port);
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&ss, ai->ai_addrlen) == 0) {
		close(fd);
		return 0;
	}
	if (errno != EINPROGRESS) {
		err = errno;
		close(fd);
		return err;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		rc = poll(&pfd, 1, ms);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		err = ETIMEDOUT;
	else if (rc < 0)
		err = errno;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
		err = errno;
	close(fd);
	return err;
}

static int
check_tcp(struct tc *t, const struct addrinfo *res)
{
	const struct addrinfo *ai;
	char addr[64];
	int err = 0, ms = TC_TCP_MAX_MS;
	uint64_t t0;

	if (t->ch.request_timeout > 0 && t->ch.request_timeout * 1000 < ms)
		ms = (int)(t->ch.request_timeout * 1000);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		t0 = uv_hrtime();
		if ((err = tcp_try(ai, t->port, ms)) == 0) {
			addr_text(ai, addr, sizeof(addr));
			say(t, "ok", "TCP: connected to %s port %ld (%llu ms)",
			    addr, t->port, (unsigned long long)((uv_hrtime() -
			    t0) / 1000000));
			return 0;
		}
	}
	addr_text(res, addr, sizeof(addr));
	switch (err) {
	case ECONNREFUSED:
		say(t, "FAILED", "TCP: %s port %ld refused the connection: "
		    "nothing listens there. Check the port in store_url and "
		    "that the web server runs.", addr, t->port);
		break;
	case ETIMEDOUT:
		say(t, "FAILED", "TCP: no answer from %s port %ld within %d ms: "
		    "the host is down, or a firewall drops the connection "
		    "(this machine's outgoing rules or the store's incoming "
		    "ones).", addr, t->port, ms);
		break;
	case ENETUNREACH:
	case EHOSTUNREACH:
		say(t, "FAILED", "TCP: no route to %s (%s): check this "
		    "machine's network and routing.", addr, strerror(err));
		break;
	default:
		say(t, "FAILED", "TCP: cannot connect to %s port %ld: %s", addr,
		    t->port, strerror(err));
	}
	return -1;
}

/* ---- answers ------------------------------------------------------------ */

static void
answer_clear(struct answer *a)
{
	free(a->error);
	free(a->message);
	free(a->resources);
	free(a->path);
	memset(a, 0, sizeof(*a));
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Magento's raw "message" and the "resources" parameter, when there. */
static void
answer_keep(struct answer *a, const struct mclient_res *res)
{
	json_t *params, *r;
	const char *q;

	a->done = 1;
	a->ok = res->ok;
	a->status = res->status;
	a->err = res->err;
	a->error = dup_or_null(res->error);
	if (res->http.path != NULL) {
		q = strchr(res->http.path, '?');
		a->path = q ? strndup(res->http.path,
		    (size_t)(q - res->http.path)) : strdup(res->http.path);
	}
	if (!json_is_object(res->json))
		return;
	a->message = dup_or_null(json_string_value(json_object_get(res->json,
	    "message")));
	params = json_object_get(res->json, "parameters");
	r = json_is_object(params) ? json_object_get(params, "resources") :
	    NULL;
	if (json_is_string(r))
		a->resources = strdup(json_string_value(r));
}

/* Magento's ACL refusal, as opposed to an OAuth verdict. */
static int
is_acl_401(const struct answer *a)
{
	return a->status == 401 && (a->resources != NULL ||
	    (a->message != NULL && strstr(a->message, "isn't authorized")));
}

/* The error without the engine's "HTTP 500: " (the line says the
 * status already). */
static const char *
bare_error(const struct answer *a)
{
	char pre[32];
	int n;

	if (a->error == NULL)
		return "no message";
	n = snprintf(pre, sizeof(pre), "HTTP %d: ", a->status);
	if (n > 0 && strncmp(a->error, pre, (size_t)n) == 0)
		return a->error + n;
	return a->error;
}

/* Everything but a 401 that says what is wrong, into buf. */
static void
explain(const struct answer *a, const char *store_code, char *buf,
    size_t len)
{
	if (a->status == 0)
		snprintf(buf, len, "no answer: %s", a->error ? a->error :
		    "failed");
	else if (a->status >= 500)
		snprintf(buf, len, "the store answers %d (%s). Magento itself "
		    "fails here: see var/log/exception.log and system.log on "
		    "the Magento server, then try again.", a->status,
		    bare_error(a));
	else if (a->status == 404)
		snprintf(buf, len, "the store answers 404 for %s (%s). Check "
		    "that store_url is the shop's base URL and that store_code "
		    "\"%s\" is a store view code.", a->path ? a->path : "it",
		    bare_error(a), store_code);
	else if (a->status == 429)
		snprintf(buf, len, "the store answers 429 (rate limited): try "
		    "again later, or lower max_concurrency.");
	else
		snprintf(buf, len, "the store answers %d: %s", a->status,
		    bare_error(a));
}

/* ---- the HTTP steps ------------------------------------------------------ */

static void run_next(struct tc *t);

static void
teardown(struct tc *t)
{
	mclient_free(t->mc);
	t->mc = NULL;
	http_client_free(t->plain);
	t->plain = NULL;
	http_free(t->h);
	t->h = NULL;
}

static void
on_probe(struct mclient_res *res, void *arg)
{
	struct tc *t = arg;

	answer_keep(t->current < 0 ? &t->token : &t->ans[t->current], res);
	json_decref(res->json);
	/* No MSI (the inventory routes are 404): the legacy stock listing
	 * is what import_listings falls back to. */
	if (t->current == P_SOURCE_ITEMS && res->status == 404 &&
	    t->ch.inventory == CONF_INV_AUTO)
		t->wanted |= PB(P_LOW_STOCK);
	run_next(t);
}

static int
start_call(struct tc *t, int id)
{
	struct mclient_call call;
	struct mage_criteria *c = NULL;
	char *q = NULL;
	int rc;

	memset(&call, 0, sizeof(call));
	call.method = "GET";
	if (id < 0) {
		call.op = MAGE_OP_READ;
		call.path = "/V1/store/storeConfigs";
	} else {
		call.op = probes[id].op;
		call.path = probes[id].path;
		if (probes[id].criteria) {
			if ((c = mage_criteria_new()) == NULL ||
			    mage_criteria_page(c, 1, 1) < 0 ||
			    (q = mage_criteria_query(c)) == NULL) {
				mage_criteria_free(c);
				return -ENOMEM;
			}
			mage_criteria_free(c);
			call.query = q;
		} else {
			call.query = probes[id].query;
		}
	}
	t->current = id;
	rc = mclient_request(t->mc, &call, on_probe, t);
	free(q);
	return rc;
}

/* After the token call (current -1), every wanted probe in order, one at
 * a time; then the loop runs dry. */
static void
run_next(struct tc *t)
{
	int id, rc;

	for (id = t->current + 1; id < P_COUNT && !(t->wanted & PB(id)); id++)
		;
	if (id >= P_COUNT) {
		teardown(t);
		return;
	}
	if ((rc = start_call(t, id)) < 0) {
		say(t, "FAILED", "cannot send a request: %s",
		    rc == -ENOMEM ? "out of memory" : strerror(-rc));
		teardown(t);
	}
}

static void
on_tls(struct http_res *res, void *arg)
{
	struct tc *t = arg;
	int rc;

	if (res->err == HTTP_ERR_TLS) {
		say(t, "FAILED", "TLS: the certificate of %s was refused: %s.",
		    t->host, res->error);
		say(t, "", "Give the store a certificate from a public CA that "
		    "names %s, with its full chain; for a private CA, add it "
		    "to this machine's trust store (update-ca-certificates). "
		    "verify_tls = no skips the check, which lets anyone on the "
		    "way read the token: use it only to test.", t->host);
		teardown(t);
		return;
	}
	if (res->status == 0) {
		say(t, "FAILED", "HTTP: %s accepts connections but does not "
		    "answer HTTP%s: %s", t->host, strcmp(t->scheme, "https") ?
		    "" : " over TLS", res->error);
		teardown(t);
		return;
	}
	if (strcmp(t->scheme, "https") == 0)
		say(t, t->ch.verify_tls ? "ok" : "warning", t->ch.verify_tls ?
		    "TLS: certificate of %s verified" : "TLS: works, but the "
		    "certificate of %s is NOT verified (verify_tls = no): "
		    "anyone on the way could read the token", t->host);
	else
		say(t, "warning", "TLS: not used (store_url is http://): the "
		    "token travels unencrypted");
	if ((rc = start_call(t, -1)) < 0) {
		say(t, "FAILED", "cannot send a request: %s", strerror(-rc));
		teardown(t);
	}
}

/* A request without credentials: does TLS (and HTTP) work at all? */
static int
start_tls(struct tc *t)
{
	struct http_limits lim;
	struct http_req req;
	char *url = NULL;
	int rc;

	http_limits_from_conf(&lim, &t->ch);
	if ((t->plain = http_client_new(t->h, &lim)) == NULL)
		return -ENOMEM;
	if ((rc = mage_url(&url, t->ch.store_url, t->ch.store_code,
	    "/V1/store/storeConfigs", NULL, 0, NULL)) < 0)
		return rc;
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	rc = http_request(t->plain, &req, on_tls, t);
	free(url);
	return rc;
}

/* ---- the verdicts on token and permissions --------------------------------- */

static int
looks_like_jwt(const char *tok)
{
	const char *d1;

	return tok != NULL && strncmp(tok, "eyJ", 3) == 0 &&
	    (d1 = strchr(tok, '.')) != NULL && strchr(d1 + 1, '.') != NULL;
}

static void
report_refused_token(struct tc *t)
{
	const struct answer *a = &t->token;

	if (t->ch.auth == CONF_AUTH_OAUTH1) {
		say(t, "FAILED", "token: Magento refused the OAuth 1.0a "
		    "request (%d: %s).", a->status, a->error);
		say(t, "", "Check the four credential files (consumer key, "
		    "consumer secret, access token, access token secret: all "
		    "from the integration's page in System > Extensions > "
		    "Integrations) and this machine's clock: Magento refuses "
		    "timestamps more than 10 minutes off.");
		return;
	}
	say(t, "FAILED", "token: Magento refused it - every call answered "
	    "401 (\"%s\").", a->error);
	if (looks_like_jwt(t->ch.access_token)) {
		say(t, "", "This is an admin token: it is wrong or has expired "
		    "(admin tokens last 4 hours by default). Use an "
		    "integration's credentials instead: they do not expire.");
		return;
	}
	say(t, "", "Likely causes:");
	say(t, "", "- an integration's access token used as a bearer token: "
	    "Magento 2.4.4 and later refuse that by default. Either enable "
	    "Stores > Configuration > Services > OAuth > Consumer Settings > "
	    "\"Allow OAuth Access Tokens to be used as standalone Bearer "
	    "tokens\" (oauth/consumer/enable_integration_as_bearer), or set "
	    "auth = oauth1 for this channel with the integration's consumer "
	    "key and secret and access token and secret;");
	say(t, "", "- a wrong, revoked or expired token: check "
	    "access_token_file (an integration's token changes when it is "
	    "reauthorized).");
}

/* Was the token accepted by any call? */
static int
token_accepted(const struct tc *t)
{
	int i;

	if (t->token.ok)
		return 1;
	for (i = 0; i < P_COUNT; i++)
		if (t->ans[i].ok)
			return 1;
	return 0;
}

static void
report_token(struct tc *t)
{
	const struct answer *a = &t->token;
	char why[TC_LINE_MAX];

	if (a->ok) {
		say(t, "ok", "token: accepted (GET %s)", a->path);
		return;
	}
	if (a->status == 401 && is_acl_401(a) && token_accepted(t)) {
		say(t, "ok", "token: accepted by other calls (it may not read "
		    "the store configuration, %s, which no job needs)",
		    a->resources ? a->resources : "Magento_Backend::store");
		return;
	}
	if (a->status == 401 || (a->status == 400 &&
	    t->ch.auth == CONF_AUTH_OAUTH1)) {
		report_refused_token(t);
		return;
	}
	explain(a, t->ch.store_code, why, sizeof(why));
	say(t, "FAILED", "token: cannot tell: %s", why);
}

static void
report_probe(struct tc *t, const char *jobs, int id)
{
	const struct answer *a = &t->ans[id];
	const struct probe *p = &probes[id];
	char why[TC_LINE_MAX];

	if (a->ok) {
		say(t, "ok", "%s: may %s (GET %s)", jobs, p->what, a->path);
		return;
	}
	if (a->status == 401 && !token_accepted(t)) {
		say(t, "skipped", "%s: %s - cannot tell while the token is "
		    "refused", jobs, p->what);
		return;
	}
	if (is_acl_401(a)) {
		say(t, "FAILED", "%s: may not %s: the token lacks the ACL "
		    "resource %s (Magento: \"%s\").", jobs, p->what,
		    a->resources ? a->resources : p->resource, a->error);
		say(t, "", "Grant %s to the integration (System > Extensions > "
		    "Integrations > Edit > API) or to the admin user's role, "
		    "then save (reauthorize the integration if asked).",
		    a->resources ? a->resources : p->resource);
		return;
	}
	if (!t->token.ok && t->token.status != 401 &&
	    a->status == t->token.status && a->err == t->token.err) {
		say(t, "FAILED", "%s: cannot %s: the same failure", jobs,
		    p->what);
		return;
	}
	explain(a, t->ch.store_code, why, sizeof(why));
	say(t, "FAILED", "%s: cannot %s: %s", jobs, p->what, why);
}

/* The channel's next enabled job from *i on (start with *i = 0), and
 * what it needs; NULL when there is none left. */
static const struct need *
next_job(const struct tc *t, size_t *i, const struct conf_job **job)
{
	const struct conf_channel *ch = conf_channel(t->conf, t->ch.name);
	const struct conf_job *j;
	size_t k;

	while (*i < t->conf->njobs) {
		j = &t->conf->jobs[(*i)++];
		if (j->channel != ch || !j->enabled)
			continue;
		for (k = 0; k < sizeof(needs) / sizeof(needs[0]); k++)
			if (needs[k].proc == j->process) {
				*job = j;
				return &needs[k];
			}
	}
	return NULL;
}

/* "import_listings, sync_listings": the enabled jobs needing probe id. */
static void
jobs_needing(const struct tc *t, int id, char *buf, size_t len)
{
	const struct conf_job *j;
	const struct need *n;
	size_t i = 0, o = 0;

	buf[0] = '\0';
	while ((n = next_job(t, &i, &j)) != NULL)
		if ((n->probes & PB(id)) || ((n->probes & P_STOCK) &&
		    (id == P_SOURCE_ITEMS || id == P_LOW_STOCK)))
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0,
			    "%s%s", o ? ", " : "", proc_name(j->process));
}

static void
report(struct tc *t)
{
	const struct conf_job *j;
	const struct need *n;
	char jobs[512];
	size_t i = 0;
	int id;

	report_token(t);
	for (id = 0; id < P_COUNT; id++) {
		if (!t->ans[id].done)
			continue;
		jobs_needing(t, id, jobs, sizeof(jobs));
		if (id == P_SOURCE_ITEMS && t->ans[id].status == 404 &&
		    t->ans[P_LOW_STOCK].done) {
			say(t, "note", "%s: no MSI on this store (the inventory "
			    "routes answer 404): stock comes from the stock "
			    "items listing", jobs);
			continue;
		}
		report_probe(t, jobs, id);
	}
	while ((n = next_job(t, &i, &j)) != NULL)
		if (n->unprobed != NULL)
			say(t, "note", "%s also %s: not probed, as that would "
			    "change the store", proc_name(j->process),
			    n->unprobed);
}

/* ---- the command ------------------------------------------------------- */

static unsigned
wanted_probes(const struct tc *t)
{
	const struct conf_job *j;
	const struct need *n;
	unsigned bits = 0;
	size_t i = 0;

	while ((n = next_job(t, &i, &j)) != NULL)
		bits |= n->probes;
	if (bits & P_STOCK)
		bits = (bits & ~P_STOCK) | (t->ch.inventory == CONF_INV_LEGACY ?
		    PB(P_LOW_STOCK) : PB(P_SOURCE_ITEMS));
	return bits;
}

/* The HTTP half: TLS, token, permissions, on the loop. */
static int
http_steps(struct tc *t)
{
	const char *err = NULL;
	int rc;

	if (uv_loop_init(&t->loop) != 0)
		return -1;
	if ((t->h = http_new(&t->loop, &err)) == NULL ||
	    (t->mc = mclient_new(t->h, &t->ch, NULL, &err)) == NULL) {
		say(t, "FAILED", "cannot start: %s", err ? err : "?");
		teardown(t);
	} else if ((rc = start_tls(t)) < 0) {
		say(t, "FAILED", "cannot send a request: %s", strerror(-rc));
		teardown(t);
	}
	if (uv_run(&t->loop, UV_RUN_DEFAULT) != 0 ||
	    uv_loop_close(&t->loop) != 0) {
		say(t, "FAILED", "internal: the event loop did not close");
		return -1;
	}
	return 0;
}

int
ctl_test_connection(struct ctl *c)
{
	const struct conf_channel *ch;
	struct addrinfo *addrs;
	struct tc t;
	int i;

	if (c->argc != 2 || c->argv[1][0] == '-') {
		fputs(TC_USAGE, stderr);
		return 1;
	}
	memset(&t, 0, sizeof(t));
	if ((t.conf = ctlu_load("test-connection", c->config_path,
	    CTLU_LOAD_ERRORS)) == NULL)
		return 1;
	if ((ch = conf_channel(t.conf, c->argv[1])) == NULL) {
		fprintf(stderr, "magsyncctl: test-connection: no channel \"%s\" "
		    "in %s\n", c->argv[1], c->config_path);
		conf_free(t.conf);
		return 1;
	}
	/* One attempt per call: this is a diagnosis of now, not a job. */
	t.ch = *ch;
	t.ch.retry_attempts = 1;
	t.ch.max_concurrency = 1;
	t.wanted = wanted_probes(&t);
	printf("Testing channel %s\n", t.ch.name);
	if (check_url(&t) == 0 && (addrs = check_dns(&t)) != NULL) {
		if (check_tcp(&t, addrs) == 0 && http_steps(&t) == 0 &&
		    t.token.done)
			report(&t);
		freeaddrinfo(addrs);
	}
	if (!t.token.done && t.failed > 0)
		say(&t, "skipped", "token and permissions: fix the failure "
		    "above first");
	for (i = 0; i < P_COUNT; i++)
		answer_clear(&t.ans[i]);
	answer_clear(&t.token);
	printf("%s\n", t.failed ? "Result: FAILED (see above)" :
	    "Result: ok");
	conf_free(t.conf);
	return t.failed ? 1 : 0;
}
