/* mage_request.c - print the URL and Authorization header lib/mage.c makes
 * for one request, so integration tests can send exactly that to the fake
 * Magento (tests/integration/test_criteria_fake.py).
 *
 * Reads one JSON object on stdin:
 *   {"store_url": "http://127.0.0.1:8080", "op": "read" | "order" |
 *    "catalog_write", "store_code": "default", "path": "/V1/products/{sku}",
 *    "args": ["..."],
 *    "groups": [[{"field": "sku", "cond": "eq", "value": "..."}], ...],
 *    "sorts": [{"field": "created_at", "dir": "ASC"}],
 *    "page_size": 50, "current_page": 1, "fields": "items[sku]",
 *    "auth": {"kind": "bearer" | "oauth1", "token": "...",
 *             "token_secret": "...", "consumer_key": "...",
 *             "consumer_secret": "...", "method": "GET",
 *             "nonce": "...", "timestamp": 1700000000}}
 * (everything but store_url and path optional; a filter without "value"
 * passes NULL) and prints {"url": ..., "authorization": ...} or
 * {"error": code}. Test credentials only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mage.h"

static const char *
str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int
build_criteria(const json_t *in, struct mage_criteria *c)
{
	const json_t *g, *f, *s;
	size_t i, j;
	int rc, cond;

	json_array_foreach(json_object_get(in, "groups"), i, g) {
		if (i > 0 && (rc = mage_criteria_group(c)) != 0)
			return rc;
		json_array_foreach(g, j, f) {
			cond = mage_cond_from_name(str(f, "cond") ?
			    str(f, "cond") : "eq");
			if (cond < 0)
				return -EINVAL;
			if ((rc = mage_criteria_filter(c, str(f, "field"),
			    (enum mage_cond)cond, str(f, "value"))) != 0)
				return rc;
		}
	}
	json_array_foreach(json_object_get(in, "sorts"), i, s) {
		const char *d = str(s, "dir");
		if ((rc = mage_criteria_sort(c, str(s, "field"),
		    d && strcmp(d, "DESC") == 0 ? MAGE_DESC : MAGE_ASC)) != 0)
			return rc;
	}
	if (json_is_integer(json_object_get(in, "page_size")) &&
	    (rc = mage_criteria_page(c,
	    (int)json_integer_value(json_object_get(in, "page_size")),
	    json_is_integer(json_object_get(in, "current_page")) ?
	    (int)json_integer_value(json_object_get(in, "current_page")) : 1))
	    != 0)
		return rc;
	if (str(in, "fields") && (rc = mage_criteria_fields(c,
	    str(in, "fields"))) != 0)
		return rc;
	return 0;
}

static enum mage_op
op_of(const char *s)
{
	if (s != NULL && strcmp(s, "catalog_write") == 0)
		return MAGE_OP_CATALOG_WRITE;
	if (s != NULL && strcmp(s, "order") == 0)
		return MAGE_OP_ORDER;
	return MAGE_OP_READ;
}

static int
request(const json_t *in, char **url, char **auth)
{
	const char *args[16];
	struct mage_criteria *c;
	struct mage_creds cr;
	const json_t *a, *au;
	char *query = NULL;
	size_t i, nargs = 0;
	int rc;

	json_array_foreach(json_object_get(in, "args"), i, a) {
		if (nargs == sizeof(args) / sizeof(args[0]))
			return -E2BIG;
		args[nargs++] = json_string_value(a);
	}
	if ((c = mage_criteria_new()) == NULL)
		return -ENOMEM;
	if (json_object_get(in, "groups") || json_object_get(in, "sorts") ||
	    json_object_get(in, "page_size") || json_object_get(in, "fields")) {
		if ((rc = build_criteria(in, c)) != 0 ||
		    (query = mage_criteria_query(c)) == NULL) {
			mage_criteria_free(c);
			return rc ? rc : -ENOMEM;
		}
	}
	mage_criteria_free(c);
	rc = mage_url(url, str(in, "store_url"), mage_scope(op_of(str(in, "op")),
	    str(in, "store_code") ? str(in, "store_code") : "default"),
	    str(in, "path"), args, nargs, query);
	free(query);
	if (rc != 0 || (au = json_object_get(in, "auth")) == NULL)
		return rc;
	memset(&cr, 0, sizeof(cr));
	cr.auth = str(au, "kind") && strcmp(str(au, "kind"), "oauth1") == 0 ?
	    MAGE_AUTH_OAUTH1 : MAGE_AUTH_BEARER;
	cr.access_token = str(au, "token");
	cr.access_token_secret = str(au, "token_secret");
	cr.consumer_key = str(au, "consumer_key");
	cr.consumer_secret = str(au, "consumer_secret");
	return mage_auth_header(&cr, str(au, "method") ? str(au, "method") :
	    "GET", *url, str(au, "nonce"),
	    json_integer_value(json_object_get(au, "timestamp")), auth);
}

int
main(void)
{
	json_error_t jerr;
	json_t *in, *out;
	char *url = NULL, *auth = NULL, *text;
	int rc;

	if ((in = json_loadf(stdin, 0, &jerr)) == NULL) {
		fprintf(stderr, "mage_request: stdin: %s\n", jerr.text);
		return 2;
	}
	rc = request(in, &url, &auth);
	if (rc != 0)
		out = json_pack("{s:i}", "error", rc);
	else
		out = json_pack("{s:s, s:s?}", "url", url, "authorization",
		    auth);
	free(url);
	free(auth);
	json_decref(in);
	if (out == NULL || (text = json_dumps(out, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "mage_request: out of memory\n");
		return 1;
	}
	json_decref(out);
	rc = printf("%s\n", text) < 0 || fflush(stdout) != 0;
	free(text);
	return rc;
}
