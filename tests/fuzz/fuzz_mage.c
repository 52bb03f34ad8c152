/* fuzz_mage.c - libFuzzer target: the Magento client core (lib/mage.c)
 * and OAuth 1.0a base strings (lib/oauth1.c) on hostile text.
 *
 * The first byte picks what the rest of the input is:
 *   'c'  searchCriteria operations, one a line:
 *          g                    start a filter group
 *          f<cond> <field>=<value>   a filter; <cond> a condition name or
 *                               a number (raw enum value); no '=' means
 *                               a NULL value
 *          s<A|D|x><field>      a sort order (x: an invalid direction)
 *          p<size>,<page>       paging
 *          F<spec>              field filtering ("F" alone removes it)
 *   'o'  an OAuth request, one field a line: method, url, form body,
 *        token, nonce, version, signature method, timestamp ("-" is NULL)
 *   'u'  mage_url: store_url, scope, path template, query ("-" is NULL),
 *        then up to four arguments; the scope also serves as a bearer
 *        token
 *   'p'  paging arithmetic on four numbers taken from the bytes
 *   else the whole input is a response body for mage_error_text
 *
 * Checked: return codes match a model of the documented rules; the
 * query decodes back, in order, to exactly the names and values given,
 * with nothing unencoded but unreserved characters; a base string has
 * three parts, a lower-case scheme and host, sorted parameters with the
 * protocol ones present, and moving the query into a form body does not
 * change it; signatures and headers never show a secret; a header line
 * never holds CR or LF; mage_url decodes back to the template with its
 * arguments; error text is one clean line of valid UTF-8 that a shorter
 * buffer only cuts. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mage.h"
#include "oauth1.h"
#include "pct.h"
#include "targets.h"

#define FMAGE_PAIRS	(3 * MAGE_CRITERIA_MAX * MAGE_CRITERIA_MAX + \
			    2 * MAGE_CRITERIA_MAX + 4)
#define FMAGE_CSECRET	"CSECRET-fz-91"
#define FMAGE_TSECRET	"TSECRET-fz-37"

/* ---- helpers -------------------------------------------------------- */

static char *
fmage_decode(const char *s, size_t n, size_t *len)
{
	struct pct_buf b = PCT_BUF_INIT;
	char *out;

	pct_dec(&b, s, n, 0);
	*len = b.len;
	out = pct_steal(&b);
	FUZZ_CHECK(out != NULL);
	return out;
}

static char *
fmage_encode(const char *s)
{
	struct pct_buf b = PCT_BUF_INIT;
	char *out;

	pct_enc(&b, s, strlen(s), NULL);
	out = pct_steal(&b);
	FUZZ_CHECK(out != NULL);
	return out;
}

static int
fmage_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* Every byte of s[0..n) unreserved, one of extra, or a %XX escape with
 * upper-case hex. */
static int
fmage_encoded(const char *s, size_t n, const char *extra)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (pct_unreserved((unsigned char)s[i]) ||
		    (s[i] != '\0' && strchr(extra, s[i]) != NULL))
			continue;
		if (s[i] != '%' || i + 2 >= n || !fmage_hex(s[i + 1]) ||
		    !fmage_hex(s[i + 2]))
			return 0;
		i += 2;
	}
	return 1;
}

/* Compare byte strings as strcmp would (they hold no NUL). */
static int
fmage_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c != 0)
		return c;
	return an < bn ? -1 : an > bn;
}

/* Is [p, e) exactly s? */
static int
fmage_is(const char *p, const char *e, const char *s)
{
	return (size_t)(e - p) == strlen(s) && memcmp(p, s, strlen(s)) == 0;
}

/* A decimal number clamped to int, for counts and enum values. */
static int
fmage_int(const char *s)
{
	long long v = strtoll(s, NULL, 10);

	return v < INT_MIN ? INT_MIN : v > INT_MAX ? INT_MAX : (int)v;
}

static int
fmage_no_crlf(const char *s)
{
	return strchr(s, '\r') == NULL && strchr(s, '\n') == NULL;
}

/* ---- searchCriteria ------------------------------------------------- */

struct fmage_pair {
	char name[128];
	const char *value;	/* borrowed from the model */
};

struct fmage_filter {
	char *field, *value;	/* value NULL: sent as "" */
	int cond;
};

struct fmage_model {
	struct fmage_filter f[MAGE_CRITERIA_MAX][MAGE_CRITERIA_MAX];
	int nf[MAGE_CRITERIA_MAX];
	int ngroups;
	char *sort[MAGE_CRITERIA_MAX];
	int dir[MAGE_CRITERIA_MAX];
	int nsorts;
	char size[16], page[16];	/* "" when not set */
	char *fields;
};

static void
fmage_model_free(struct fmage_model *m)
{
	int i, j;

	for (i = 0; i < m->ngroups; i++)
		for (j = 0; j < m->nf[i]; j++) {
			free(m->f[i][j].field);
			free(m->f[i][j].value);
		}
	for (i = 0; i < m->nsorts; i++)
		free(m->sort[i]);
	free(m->fields);
}

static int
fmage_filter_op(struct mage_criteria *c, struct fmage_model *m,
    const char *arg)
{
	char name[32], *field, *value = NULL, *eq;
	const char *sp = strchr(arg, ' ');
	size_t n = sp ? (size_t)(sp - arg) : strlen(arg);
	int cond, want, rc, nullable;

	snprintf(name, sizeof(name), "%.*s", (int)(n < 31 ? n : 31), arg);
	if ((cond = mage_cond_from_name(name)) < 0)
		cond = fmage_int(name);
	else
		FUZZ_CHECK(strcmp(mage_cond_name(cond), name) == 0);
	field = fuzz_strndup(sp ? sp + 1 : "", sp ? strlen(sp + 1) : 0);
	if ((eq = strchr(field, '=')) != NULL) {
		*eq = '\0';
		value = fuzz_strndup(eq + 1, strlen(eq + 1));
	}
	nullable = cond == MAGE_NULL || cond == MAGE_NOTNULL;
	if (field[0] == '\0' || cond < 0 || cond >= MAGE_COND_COUNT ||
	    (value == NULL && !nullable))
		want = -EINVAL;
	else if (m->ngroups > 0 && m->nf[m->ngroups - 1] == MAGE_CRITERIA_MAX)
		want = -E2BIG;
	else
		want = 0;
	rc = mage_criteria_filter(c, field, (enum mage_cond)cond, value);
	FUZZ_CHECK(rc == want);
	if (rc == 0) {
		if (m->ngroups == 0)
			m->nf[m->ngroups++] = 0;
		m->f[m->ngroups - 1][m->nf[m->ngroups - 1]++] =
		    (struct fmage_filter){ field, value, cond };
	} else {
		free(field);
		free(value);
	}
	return rc;
}

static void
fmage_op(struct mage_criteria *c, struct fmage_model *m, const char *line)
{
	int rc, want, size, page, dir;
	const char *arg = line + 1;
	char *comma;

	switch (line[0]) {
	case 'g':
		want = m->ngroups == MAGE_CRITERIA_MAX ? -E2BIG : 0;
		FUZZ_CHECK((rc = mage_criteria_group(c)) == want);
		if (rc == 0)
			m->nf[m->ngroups++] = 0;
		break;
	case 'f':
		fmage_filter_op(c, m, arg);
		break;
	case 's':
		dir = arg[0] == 'A' ? MAGE_ASC : arg[0] == 'D' ? MAGE_DESC : 7;
		if (arg[0] != '\0')
			arg++;
		want = arg[0] == '\0' || dir == 7 ? -EINVAL :
		    m->nsorts == MAGE_CRITERIA_MAX ? -E2BIG : 0;
		rc = mage_criteria_sort(c, arg, (enum mage_dir)dir);
		FUZZ_CHECK(rc == want);
		if (rc == 0) {
			m->dir[m->nsorts] = dir;
			m->sort[m->nsorts++] = fuzz_strndup(arg, strlen(arg));
		}
		break;
	case 'p':
		size = fmage_int(arg);
		page = (comma = strchr(arg, ',')) ? fmage_int(comma + 1) : 0;
		want = size < 1 || page < 1 ? -EINVAL : 0;
		FUZZ_CHECK(mage_criteria_page(c, size, page) == want);
		if (want == 0) {
			snprintf(m->size, sizeof(m->size), "%d", size);
			snprintf(m->page, sizeof(m->page), "%d", page);
		}
		break;
	case 'F':
		FUZZ_CHECK(mage_criteria_fields(c, arg[0] ? arg : NULL) == 0);
		free(m->fields);
		m->fields = arg[0] ? fuzz_strndup(arg, strlen(arg)) : NULL;
		break;
	default:
		break;
	}
}

/* The name=value pairs the model says the query must hold, in order. */
static size_t
fmage_expect(const struct fmage_model *m, struct fmage_pair *p)
{
	static const char *const fmt[3] = {
		"searchCriteria[filter_groups][%d][filters][%d][field]",
		"searchCriteria[filter_groups][%d][filters][%d][value]",
		("searchCriteria[filter_groups][%d][filters][%d]"
		    "[condition_type]"),
	};
	size_t n = 0;
	int i, j, k;

	for (i = 0; i < m->ngroups; i++)
		for (j = 0; j < m->nf[i]; j++)
			for (k = 0; k < 3; k++) {
				snprintf(p[n].name, sizeof(p[n].name), fmt[k],
				    i, j);
				p[n++].value = k == 0 ? m->f[i][j].field :
				    k == 1 ? (m->f[i][j].value ?
				    m->f[i][j].value : "") :
				    mage_cond_name(m->f[i][j].cond);
			}
	for (i = 0; i < m->nsorts; i++) {
		snprintf(p[n].name, sizeof(p[n].name),
		    "searchCriteria[sortOrders][%d][field]", i);
		p[n++].value = m->sort[i];
		snprintf(p[n].name, sizeof(p[n].name),
		    "searchCriteria[sortOrders][%d][direction]", i);
		p[n++].value = m->dir[i] == MAGE_DESC ? "DESC" : "ASC";
	}
	if (m->size[0] != '\0') {
		snprintf(p[n].name, sizeof(p[n].name),
		    "searchCriteria[pageSize]");
		p[n++].value = m->size;
		snprintf(p[n].name, sizeof(p[n].name),
		    "searchCriteria[currentPage]");
		p[n++].value = m->page;
	}
	if (n == 0) {
		snprintf(p[n].name, sizeof(p[n].name), "searchCriteria");
		p[n++].value = "";
	}
	if (m->fields != NULL) {
		snprintf(p[n].name, sizeof(p[n].name), "fields");
		p[n++].value = m->fields;
	}
	return n;
}

static void
fmage_criteria(const uint8_t *data, size_t size)
{
	static struct fmage_pair want[FMAGE_PAIRS];
	struct fmage_model m;
	struct mage_criteria *c = mage_criteria_new();
	char *line, *q, *s, *amp, *eq, *name, *value;
	size_t nwant, i = 0, nlen, vlen;

	FUZZ_CHECK(c != NULL);
	memset(&m, 0, sizeof(m));
	while ((line = fuzz_next_token(&data, &size, '\n')) != NULL) {
		fmage_op(c, &m, line);
		free(line);
	}
	nwant = fmage_expect(&m, want);
	q = mage_criteria_query(c);
	FUZZ_CHECK(q != NULL);
	FUZZ_CHECK(fmage_encoded(q, strlen(q), "=&"));
	for (s = q;; s = amp + 1) {
		amp = s + strcspn(s, "&");
		eq = memchr(s, '=', (size_t)(amp - s));
		FUZZ_CHECK(eq != NULL && i < nwant);
		name = fmage_decode(s, (size_t)(eq - s), &nlen);
		value = fmage_decode(eq + 1, (size_t)(amp - eq - 1), &vlen);
		FUZZ_CHECK(strcmp(name, want[i].name) == 0);
		FUZZ_CHECK(vlen == strlen(want[i].value) &&
		    memcmp(value, want[i].value, vlen) == 0);
		free(name);
		free(value);
		i++;
		if (*amp == '\0')
			break;
	}
	FUZZ_CHECK(i == nwant);
	free(q);
	mage_criteria_free(c);
	fmage_model_free(&m);
}

/* ---- OAuth 1.0a ----------------------------------------------------- */

/* Check the three parts of a base string for request r. */
static void
fmage_base_parts(const struct oauth1_req *r, const char *base)
{
	const char *a1 = strchr(base, '&'), *a2, *m, *p, *e, *eq;
	const char *prev = NULL, *prev_eq = NULL, *prev_e = NULL;
	char *uri, *params, *want, *enc, ts[48];
	size_t ulen, plen, i, hlen;
	int seen_ck = 0, seen_nonce = 0, seen_ts = 0, seen_tok = 0;

	FUZZ_CHECK(a1 != NULL && (a2 = strchr(a1 + 1, '&')) != NULL &&
	    strchr(a2 + 1, '&') == NULL);
	FUZZ_CHECK((size_t)(a1 - base) == strlen(r->method));
	for (m = r->method, p = base; *m != '\0'; m++, p++)
		FUZZ_CHECK(*p == (*m >= 'a' && *m <= 'z' ? *m - 32 : *m));
	FUZZ_CHECK(fmage_encoded(a1 + 1, (size_t)(a2 - a1 - 1), ""));
	FUZZ_CHECK(fmage_encoded(a2 + 1, strlen(a2 + 1), ""));

	uri = fmage_decode(a1 + 1, (size_t)(a2 - a1 - 1), &ulen);
	FUZZ_CHECK(strncmp(uri, "http://", 7) == 0 ||
	    strncmp(uri, "https://", 8) == 0);
	FUZZ_CHECK(memchr(uri, '?', ulen) == NULL &&
	    memchr(uri, '#', ulen) == NULL);
	p = uri + (uri[4] == 's' ? 8 : 7);
	hlen = strcspn(p, "/");
	for (i = 0; i < hlen; i++)
		FUZZ_CHECK(p[i] < 'A' || p[i] > 'Z');
	FUZZ_CHECK(p[hlen] == '/');
	free(uri);

	params = fmage_decode(a2 + 1, strlen(a2 + 1), &plen);
	FUZZ_CHECK(strlen(params) == plen);
	FUZZ_CHECK(fmage_encoded(params, plen, "=&"));
	snprintf(ts, sizeof(ts), "oauth_timestamp=%" PRId64, r->timestamp);
	enc = fmage_encode(r->nonce);
	want = malloc(strlen(enc) + 13);
	FUZZ_CHECK(want != NULL);
	sprintf(want, "oauth_nonce=%s", enc);
	free(enc);
	for (p = params; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "&");
		eq = memchr(p, '=', (size_t)(e - p));
		FUZZ_CHECK(eq != NULL);
		/* §3.4.1.3.2: sorted by encoded name, then encoded value. */
		if (prev != NULL) {
			int c = fmage_cmp(prev, (size_t)(prev_eq - prev), p,
			    (size_t)(eq - p));

			if (c == 0)
				c = fmage_cmp(prev_eq + 1,
				    (size_t)(prev_e - prev_eq - 1), eq + 1,
				    (size_t)(e - eq - 1));
			FUZZ_CHECK(c <= 0);
		}
		seen_ck |= fmage_is(p, e, "oauth_consumer_key=ck-fz");
		seen_ts |= fmage_is(p, e, ts);
		seen_nonce |= fmage_is(p, e, want);
		seen_tok |= (size_t)(eq - p) == 11 &&
		    strncmp(p, "oauth_token", 11) == 0;
		prev = p;
		prev_eq = eq;
		prev_e = e;
	}
	FUZZ_CHECK(seen_ck && seen_nonce && seen_ts);
	FUZZ_CHECK(r->token == NULL || seen_tok);
	free(want);
	free(params);
}

static void
fmage_oauth(const uint8_t *data, size_t size)
{
	char *f[8], *base = NULL, *base2 = NULL, *sig = NULL, *hdr = NULL;
	char *url2 = NULL, *body2 = NULL, *q;
	struct oauth1_req r, r2;
	struct mage_creds mc;
	int i, rc, rs, shows_secret;

	/* The secrets' text may only show if the input itself holds it. */
	shows_secret = memmem(data, size, "SECRET-fz", 9) != NULL;
	for (i = 0; i < 8; i++) {
		f[i] = fuzz_next_token(&data, &size, '\n');
		if (f[i] != NULL && strcmp(f[i], "-") == 0) {
			free(f[i]);
			f[i] = NULL;
		}
	}
	memset(&r, 0, sizeof(r));
	r.method = f[0];
	r.url = f[1];
	r.form_body = f[2];
	r.token = f[3];
	r.nonce = f[4];
	r.version = f[5];
	r.signature_method = f[6];
	r.timestamp = f[7] ? strtoll(f[7], NULL, 10) : 1700000000;
	r.consumer_key = "ck-fz";
	r.consumer_secret = FMAGE_CSECRET;
	r.token_secret = FMAGE_TSECRET;

	rc = oauth1_base_string(&r, &base);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	FUZZ_CHECK((rc == 0) == (base != NULL));
	if (rc == 0) {
		fmage_base_parts(&r, base);
		/* §3.4.1.3.1: query and form parameters are one set. */
		if ((q = strchr(r.url, '?')) != NULL &&
		    strchr(r.url, '#') == NULL) {
			url2 = fuzz_strndup(r.url, (size_t)(q - r.url));
			body2 = malloc(strlen(q) + (r.form_body ?
			    strlen(r.form_body) : 0) + 2);
			FUZZ_CHECK(body2 != NULL);
			sprintf(body2, "%s%s%s", q + 1, r.form_body ? "&" : "",
			    r.form_body ? r.form_body : "");
			r2 = r;
			r2.url = url2;
			r2.form_body = body2;
			FUZZ_CHECK(oauth1_base_string(&r2, &base2) == 0);
			FUZZ_CHECK(strcmp(base, base2) == 0);
		}
	}

	rs = oauth1_signature(&r, &sig);
	if (rc == 0 && (r.signature_method == NULL ||
	    strcmp(r.signature_method, "HMAC-SHA256") == 0)) {
		FUZZ_CHECK(rs == 0 && strlen(sig) == 44 && sig[43] == '=');
		FUZZ_CHECK(oauth1_header(&r, &hdr) == 0);
		FUZZ_CHECK(strncmp(hdr, "OAuth ", 6) == 0 && fmage_no_crlf(hdr));
		FUZZ_CHECK(shows_secret || strstr(hdr, "SECRET-fz") == NULL);
	} else {
		FUZZ_CHECK(rs != 0 && sig == NULL);
	}
	free(hdr);
	hdr = NULL;

	memset(&mc, 0, sizeof(mc));
	mc.auth = MAGE_AUTH_OAUTH1;
	mc.access_token = r.token ? r.token : "tok";
	mc.access_token_secret = FMAGE_TSECRET;
	mc.consumer_key = "ck-fz";
	mc.consumer_secret = FMAGE_CSECRET;
	if (mage_auth_header(&mc, r.method, r.url, r.nonce, r.timestamp,
	    &hdr) == 0) {
		FUZZ_CHECK(strncmp(hdr, "Authorization: OAuth ", 21) == 0);
		FUZZ_CHECK(fmage_no_crlf(hdr));
		FUZZ_CHECK(shows_secret || strstr(hdr, "SECRET-fz") == NULL);
	} else {
		FUZZ_CHECK(hdr == NULL);
	}
	free(hdr);
	free(sig);
	free(base);
	free(base2);
	free(url2);
	free(body2);
	for (i = 0; i < 8; i++)
		free(f[i]);
}

/* ---- URLs and bearer headers ---------------------------------------- */

/* The template with each {...} replaced by the next argument, raw. */
static char *
fmage_expand(const char *path, char *const *args, size_t nargs)
{
	struct pct_buf b = PCT_BUF_INIT;
	const char *p, *close;
	size_t used = 0;
	char *out;

	for (p = path; *p != '\0'; p++) {
		if (*p == '{' && (close = strchr(p, '}')) != NULL &&
		    used < nargs) {
			pct_adds(&b, args[used++]);
			p = close;
		} else {
			pct_add(&b, p, 1);
		}
	}
	out = pct_steal(&b);
	FUZZ_CHECK(out != NULL);
	return out;
}

static void
fmage_url(const uint8_t *data, size_t size)
{
	char *store = fuzz_next_token(&data, &size, '\n');
	char *scope = fuzz_next_token(&data, &size, '\n');
	char *path = fuzz_next_token(&data, &size, '\n');
	char *query = fuzz_next_token(&data, &size, '\n');
	char *args[4], *out = NULL, *hdr = NULL, *want, *got;
	size_t nargs = 0, i, blen, plen, glen;
	int rc, safe = 1;

	if (query != NULL && strcmp(query, "-") == 0) {
		free(query);
		query = NULL;
	}
	while (nargs < 4 &&
	    (args[nargs] = fuzz_next_token(&data, &size, '\n')) != NULL)
		nargs++;
	for (i = 0; i < nargs; i++) {
		int b = mage_sku_path_safe(args[i], MAGE_AUTH_BEARER);
		int o = mage_sku_path_safe(args[i], MAGE_AUTH_OAUTH1);

		FUZZ_CHECK(o <= b);
		safe &= b;
	}
	rc = mage_url(&out, store, scope, path, (const char *const *)args,
	    nargs, query);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == MAGE_EPATH);
	FUZZ_CHECK((rc == 0) == (out != NULL));
	if (rc == MAGE_EPATH)
		FUZZ_CHECK(!safe);
	if (rc == 0) {
		FUZZ_CHECK(safe);
		blen = strlen(store);
		while (blen > 0 && store[blen - 1] == '/')
			blen--;
		FUZZ_CHECK(strncmp(out, store, blen) == 0 &&
		    strncmp(out + blen, "/rest/", 6) == 0);
		FUZZ_CHECK(strncmp(out + blen + 6, scope, strlen(scope)) == 0);
		got = out + blen + 6 + strlen(scope);
		plen = strcspn(got, "?");
		if (query == NULL || query[0] == '\0')
			FUZZ_CHECK(got[plen] == '\0');
		else
			FUZZ_CHECK(strcmp(got + plen + 1, query) == 0);
		if (strchr(path, '%') == NULL) {
			want = fmage_expand(path, args, nargs);
			got = fmage_decode(got, plen, &glen);
			FUZZ_CHECK(glen == strlen(want) &&
			    memcmp(got, want, glen) == 0);
			free(want);
			free(got);
		}
	}

	/* The scope line as a bearer token: never a broken header line. */
	{
		struct mage_creds mc = { MAGE_AUTH_BEARER, scope, NULL, NULL,
		    NULL };

		rc = mage_auth_header(&mc, NULL, NULL, NULL, 0, &hdr);
		if (rc == 0) {
			FUZZ_CHECK(fmage_no_crlf(hdr));
			FUZZ_CHECK(strncmp(hdr, "Authorization: Bearer ", 22) ==
			    0 && strcmp(hdr + 22, scope) == 0);
		} else {
			FUZZ_CHECK(rc == -EINVAL && hdr == NULL);
		}
	}
	free(hdr);
	free(out);
	for (i = 0; i < nargs; i++)
		free(args[i]);
	free(store);
	free(scope);
	free(path);
	free(query);
}

/* ---- paging ---------------------------------------------------------- */

static void
fmage_paging(const uint8_t *data, size_t size)
{
	int64_t v[4], pages;
	int i, done;

	for (i = 0; i < 4; i++)
		v[i] = (int64_t)fuzz_take_u64(&data, &size, 8);
	pages = mage_page_count(v[0], v[1]);
	if (v[0] <= 0 || v[1] < 1) {
		FUZZ_CHECK(pages == 0);
	} else {
		FUZZ_CHECK(pages >= 1);
		FUZZ_CHECK((__int128)pages * v[1] >= v[0]);
		FUZZ_CHECK((__int128)(pages - 1) * v[1] < v[0]);
	}
	done = mage_page_done(v[2], v[1], v[0], v[3]);
	FUZZ_CHECK(done == 0 || done == 1);
	if (v[2] < 1 || v[1] < 1 || v[0] < 0 || v[3] <= 0)
		FUZZ_CHECK(done == 1);
	else
		FUZZ_CHECK(done == ((__int128)v[2] * v[1] >= v[0]));
}

/* ---- error bodies ---------------------------------------------------- */

/* One clean line: no control bytes, no blank at either end, valid
 * UTF-8. */
static void
fmage_clean_line(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i, k;

	if (n > 0)
		FUZZ_CHECK(p[0] != ' ' && p[n - 1] != ' ');
	for (i = 0; i < n; i += k) {
		FUZZ_CHECK(p[i] >= 0x20 && p[i] != 0x7f);
		k = p[i] < 0x80 ? 1 : p[i] >= 0xf0 ? 4 : p[i] >= 0xe0 ? 3 : 2;
		FUZZ_CHECK(p[i] < 0x80 || (p[i] >= 0xc2 && p[i] <= 0xf4));
		FUZZ_CHECK(i + k <= n);
		for (size_t j = 1; j < k; j++)
			FUZZ_CHECK((p[i + j] & 0xc0) == 0x80);
	}
}

static void
fmage_error(const uint8_t *data, size_t size)
{
	static const size_t lens[] = { 8, 9, 12, 40, 199, MAGE_ERROR_MAX };
	static char big[16384];
	char buf[MAGE_ERROR_MAX];
	const char *body = (const char *)data;
	size_t i, n, fit;
	int rc, r;

	FUZZ_CHECK(mage_error_text(body, size, buf, 7) == -EINVAL);
	FUZZ_CHECK(mage_error_text(body, size, NULL, 100) == -EINVAL);
	rc = mage_error_text(body, size, big, sizeof(big));
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	fmage_clean_line(big);
	n = strlen(big);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		r = mage_error_text(body, size, buf, lens[i]);
		FUZZ_CHECK(r == rc);
		FUZZ_CHECK(memchr(buf, '\0', lens[i]) != NULL);
		fmage_clean_line(buf);
		/* An excerpt is capped at 200 bytes whatever the buffer. */
		fit = rc == 0 || lens[i] <= 200 ? lens[i] : 200;
		if (n < fit) {
			FUZZ_CHECK(strcmp(buf, big) == 0);
		} else if (strcmp(buf, big) != 0) {
			size_t m = strlen(buf);

			FUZZ_CHECK(m >= 3 && strcmp(buf + m - 3, "...") == 0);
			FUZZ_CHECK(strncmp(buf, big, m - 3) == 0);
		}
	}
}

static int
fuzz_mage_one(const uint8_t *data, size_t size)
{
	if (size == 0) {
		fmage_error(data, size);
		return 0;
	}
	switch (data[0]) {
	case 'c':
		fmage_criteria(data + 1, size - 1);
		break;
	case 'o':
		fmage_oauth(data + 1, size - 1);
		break;
	case 'u':
		fmage_url(data + 1, size - 1);
		break;
	case 'p':
		fmage_paging(data + 1, size - 1);
		break;
	default:
		fmage_error(data, size);
		break;
	}
	return 0;
}

FUZZ_ENTRY(fuzz_mage_one)
