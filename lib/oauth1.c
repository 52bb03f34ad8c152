/* oauth1.c - RFC 5849 signature base string, HMAC-SHA256 signature and
 * Authorization header. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oauth1.h"
#include "pct.h"
#include "sha256.h"

#define DEFAULT_METHOD	"HMAC-SHA256"
#define DEFAULT_VERSION	"1.0"

/* One request parameter, both halves already percent-encoded (§3.4.1.3.2
 * sorts and joins the encoded forms). */
struct param {
	char *name, *value;
};

struct params {
	struct param *v;
	size_t n, cap;
};

static void
params_free(struct params *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].value);
	}
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

/* Encode and append one parameter given in plain (decoded) form. */
static int
params_add(struct params *p, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	struct pct_buf b = PCT_BUF_INIT;
	struct param *v;
	char *en, *ev;

	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		if ((v = realloc(p->v, cap * sizeof(*v))) == NULL)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	pct_enc(&b, name, nlen, NULL);
	en = pct_steal(&b);
	pct_enc(&b, value, vlen, NULL);
	ev = pct_steal(&b);
	if (en == NULL || ev == NULL) {
		free(en);
		free(ev);
		return -ENOMEM;
	}
	p->v[p->n].name = en;
	p->v[p->n].value = ev;
	p->n++;
	return 0;
}

static int
params_adds(struct params *p, const char *name, const char *value)
{
	return params_add(p, name, strlen(name), value, strlen(value));
}

/* §3.4.1.3.1: "name=value" pairs separated by '&', decoded as
 * application/x-www-form-urlencoded ('+' is a space). A pair without '='
 * is a name with an empty value; empty pairs ("a&&b") carry nothing. */
static int
params_add_form(struct params *p, const char *s, size_t n)
{
	struct pct_buf name = PCT_BUF_INIT, value = PCT_BUF_INIT;
	const char *end = s + n, *amp, *eq;
	int rc = 0;

	while (s < end && rc == 0) {
		amp = memchr(s, '&', (size_t)(end - s));
		if (amp == NULL)
			amp = end;
		if (amp > s) {
			eq = memchr(s, '=', (size_t)(amp - s));
			if (eq == NULL)
				eq = amp;
			pct_dec(&name, s, (size_t)(eq - s), 1);
			pct_dec(&value, eq < amp ? eq + 1 : amp,
			    eq < amp ? (size_t)(amp - eq - 1) : 0, 1);
			/* Force allocation so .s is valid for empty halves. */
			pct_add(&name, "", 0);
			pct_add(&value, "", 0);
			if (name.err || value.err)
				rc = -ENOMEM;
			else
				rc = params_add(p, name.s, name.len, value.s,
				    value.len);
			name.len = value.len = 0;
		}
		s = amp + 1;
	}
	pct_reset(&name);
	pct_reset(&value);
	return rc;
}

static int
cmp_param(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* §3.4.1.2: scheme and host lower-case, the port only when not the
 * scheme's default, the path as sent ("/" when empty), no query or
 * fragment. Sets *query and *qlen to the query (without the "?"). */
static int
base_uri(const char *url, struct pct_buf *out, const char **query,
    size_t *qlen)
{
	const char *p, *auth, *aend, *host_end, *port = NULL, *path, *pend;
	int https;
	size_t i;

	if (strncasecmp(url, "http://", 7) == 0) {
		https = 0;
		auth = url + 7;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		https = 1;
		auth = url + 8;
	} else {
		return -EINVAL;
	}
	aend = auth + strcspn(auth, "/?#");
	if (aend == auth || memchr(auth, '@', (size_t)(aend - auth)) != NULL)
		return -EINVAL;
	/* The port follows the last ':' outside an IPv6 literal. */
	host_end = aend;
	for (p = aend; p > auth; p--) {
		if (p[-1] == ']')
			break;
		if (p[-1] == ':') {
			host_end = p - 1;
			port = p;
			break;
		}
	}
	if (host_end == auth)
		return -EINVAL;
	if (port != NULL) {
		for (p = port; p < aend; p++)
			if (*p < '0' || *p > '9')
				return -EINVAL;
		while (port < aend - 1 && *port == '0')
			port++;
		if (port == aend ||
		    ((size_t)(aend - port) == 2 && !https &&
		    strncmp(port, "80", 2) == 0) ||
		    ((size_t)(aend - port) == 3 && https &&
		    strncmp(port, "443", 3) == 0))
			port = NULL;
	}

	pct_adds(out, https ? "https://" : "http://");
	for (i = 0; auth + i < host_end; i++) {
		char c = (char)lower((unsigned char)auth[i]);
		pct_add(out, &c, 1);
	}
	if (port != NULL) {
		pct_add(out, ":", 1);
		pct_add(out, port, (size_t)(aend - port));
	}
	path = aend;
	pend = path + strcspn(path, "?#");
	if (pend == path || *path != '/')
		pct_add(out, "/", 1);
	pct_add(out, path, (size_t)(pend - path));

	*query = NULL;
	*qlen = 0;
	if (*pend == '?') {
		*query = pend + 1;
		*qlen = strcspn(*query, "#");
	}
	return out->err;
}

static int
valid_req(const struct oauth1_req *r)
{
	const char *p;

	if (r == NULL || r->method == NULL || r->url == NULL ||
	    r->consumer_key == NULL || r->consumer_secret == NULL ||
	    r->nonce == NULL || r->timestamp < 0 || r->method[0] == '\0')
		return 0;
	for (p = r->method; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
			return 0;
	return 1;
}

/* The protocol parameters that are signed (all but realm and
 * oauth_signature, §3.4.1.3.1). */
static int
add_protocol_params(struct params *p, const struct oauth1_req *r)
{
	char ts[24];
	const char *method = r->signature_method ? r->signature_method :
	    DEFAULT_METHOD;
	const char *version = r->version ? r->version : DEFAULT_VERSION;
	int rc;

	snprintf(ts, sizeof(ts), "%" PRId64, r->timestamp);
	if ((rc = params_adds(p, "oauth_consumer_key", r->consumer_key)) ||
	    (rc = params_adds(p, "oauth_nonce", r->nonce)) ||
	    (rc = params_adds(p, "oauth_signature_method", method)) ||
	    (rc = params_adds(p, "oauth_timestamp", ts)))
		return rc;
	if (r->token != NULL &&
	    (rc = params_adds(p, "oauth_token", r->token)) != 0)
		return rc;
	if (version[0] != '\0' &&
	    (rc = params_adds(p, "oauth_version", version)) != 0)
		return rc;
	return 0;
}

int
oauth1_base_string(const struct oauth1_req *r, char **out)
{
	struct pct_buf uri = PCT_BUF_INIT, norm = PCT_BUF_INIT,
	    b = PCT_BUF_INIT;
	struct params p = { NULL, 0, 0 };
	const char *query, *m;
	size_t qlen, i;
	int rc;

	*out = NULL;
	if (!valid_req(r))
		return -EINVAL;
	if ((rc = base_uri(r->url, &uri, &query, &qlen)) != 0)
		goto done;
	if ((query != NULL && (rc = params_add_form(&p, query, qlen)) != 0) ||
	    (r->form_body != NULL &&
	    (rc = params_add_form(&p, r->form_body, strlen(r->form_body))) != 0) ||
	    (rc = add_protocol_params(&p, r)) != 0)
		goto done;

	/* §3.4.1.3.2: sort by encoded name, then encoded value; join. */
	qsort(p.v, p.n, sizeof(*p.v), cmp_param);
	for (i = 0; i < p.n; i++) {
		if (i > 0)
			pct_add(&norm, "&", 1);
		pct_adds(&norm, p.v[i].name);
		pct_add(&norm, "=", 1);
		pct_adds(&norm, p.v[i].value);
	}
	pct_add(&norm, "", 0);

	/* §3.4.1.1: METHOD & enc(base URI) & enc(normalized parameters). */
	for (m = r->method; *m != '\0'; m++) {
		char c = *m >= 'a' && *m <= 'z' ? (char)(*m - 'a' + 'A') : *m;
		pct_add(&b, &c, 1);
	}
	pct_add(&b, "&", 1);
	pct_enc(&b, uri.s, uri.len, NULL);
	pct_add(&b, "&", 1);
	pct_enc(&b, norm.s ? norm.s : "", norm.len, NULL);
	if ((*out = pct_steal(&b)) == NULL)
		rc = -ENOMEM;
done:
	params_free(&p);
	pct_reset(&uri);
	pct_reset(&norm);
	pct_reset(&b);
	return rc;
}

/* RFC 2045 §6.8 base64 with padding, as §3.4.2 asks. */
static char *
base64(const uint8_t *d, size_t n)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
	size_t i;
	uint32_t v;

	if (out == NULL)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
		*o++ = abc[v >> 18];
		*o++ = abc[(v >> 12) & 63];
		*o++ = abc[(v >> 6) & 63];
		*o++ = abc[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)d[i] << 16;
		*o++ = abc[v >> 18];
		*o++ = abc[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8;
		*o++ = abc[v >> 18];
		*o++ = abc[(v >> 12) & 63];
		*o++ = abc[(v >> 6) & 63];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

int
oauth1_signature(const struct oauth1_req *r, char **out)
{
	struct pct_buf key = PCT_BUF_INIT;
	uint8_t mac[SHA256_DIGEST_LEN];
	char *base;
	int rc;

	*out = NULL;
	if (!valid_req(r))
		return -EINVAL;
	if (r->signature_method != NULL &&
	    strcmp(r->signature_method, DEFAULT_METHOD) != 0)
		return -ENOTSUP;
	if ((rc = oauth1_base_string(r, &base)) != 0)
		return rc;
	/* §3.4.2: key = enc(consumer secret) & enc(token secret). */
	pct_enc(&key, r->consumer_secret, strlen(r->consumer_secret), NULL);
	pct_add(&key, "&", 1);
	if (r->token_secret != NULL)
		pct_enc(&key, r->token_secret, strlen(r->token_secret), NULL);
	if (key.err) {
		rc = -ENOMEM;
	} else {
		sha256_hmac(key.s, key.len, base, strlen(base), mac);
		if ((*out = base64(mac, sizeof(mac))) == NULL)
			rc = -ENOMEM;
		explicit_bzero(key.s, key.len);
	}
	explicit_bzero(mac, sizeof(mac));
	pct_reset(&key);
	free(base);
	return rc;
}

/* One ", name=\"enc(value)\"" of §3.5.1. */
static void
header_param(struct pct_buf *b, const char *name, const char *value)
{
	if (b->len > strlen("OAuth "))
		pct_add(b, ", ", 2);
	pct_adds(b, name);
	pct_add(b, "=\"", 2);
	pct_enc(b, value, strlen(value), NULL);
	pct_add(b, "\"", 1);
}

int
oauth1_header(const struct oauth1_req *r, char **out)
{
	struct pct_buf b = PCT_BUF_INIT;
	const char *version;
	char ts[24], *sig;
	int rc;

	*out = NULL;
	if ((rc = oauth1_signature(r, &sig)) != 0)
		return rc;
	version = r->version ? r->version : DEFAULT_VERSION;
	snprintf(ts, sizeof(ts), "%" PRId64, r->timestamp);
	pct_adds(&b, "OAuth ");
	header_param(&b, "oauth_consumer_key", r->consumer_key);
	header_param(&b, "oauth_nonce", r->nonce);
	header_param(&b, "oauth_signature", sig);
	header_param(&b, "oauth_signature_method", DEFAULT_METHOD);
	header_param(&b, "oauth_timestamp", ts);
	if (r->token != NULL)
		header_param(&b, "oauth_token", r->token);
	if (version[0] != '\0')
		header_param(&b, "oauth_version", version);
	free(sig);
	if ((*out = pct_steal(&b)) == NULL)
		return -ENOMEM;
	return 0;
}
