/* mage.h - the Magento 2 REST client core: URLs and scopes, searchCriteria,
 * paging arithmetic, error bodies, SKUs in paths, the Authorization header.
 *
 * Data in, data out: no sockets, no clock, no randomness (the caller passes
 * OAuth nonces and timestamps). Functions returning int give 0 or a negative
 * errno value (or MAGE_EPATH); functions returning a pointer give NULL on
 * failure. */
#ifndef MS_MAGE_H
#define MS_MAGE_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

/* A path argument (a SKU) that cannot travel in a URL path. */
#define MAGE_EPATH	(-10001)

/* Magento 2.4's optional input limits cap pageSize at this. */
#define MAGE_PAGE_SIZE_LIMIT	300

/* A useful size for mage_error_text's buffer. */
#define MAGE_ERROR_MAX	512

/* What a request does, which decides its scope. */
enum mage_op {
	MAGE_OP_READ,		/* catalogue and stock reads: the store view */
	MAGE_OP_ORDER,		/* order reads and writes: the store view */
	MAGE_OP_CATALOG_WRITE	/* product writes: "all", never a store view,
				 * or Magento silently creates store-view
				 * overrides of the written values */
};

enum mage_auth { MAGE_AUTH_BEARER, MAGE_AUTH_OAUTH1 };

/* ---- URLs ------------------------------------------------------------- */

/* The scope segment for op: store_code (borrowed) or "all". */
MS_EXPORT const char *mage_scope(enum mage_op op, const char *store_code);

/* Build store_url + "/rest/" + scope + path [+ "?" + query] into *out
 * (new). store_url is "http(s)://host[:port][/prefix]" (trailing '/'
 * ignored). scope is a store code (letters, digits, '_') or "all". path is
 * a path template as the schema writes it, e.g.
 * "/V1/products/{sku}/media/{entryId}": each {...} is replaced, in order,
 * by the next of the nargs args, encoded as one path segment (see
 * mage_sku_path_safe). query (may be NULL or "") is appended as is - build
 * it with mage_criteria_query. Returns 0, -EINVAL (bad store_url, scope or
 * template, or args not matching the placeholders), MAGE_EPATH (an arg that
 * cannot be a path segment) or -ENOMEM. */
MS_EXPORT int mage_url(char **out, const char *store_url, const char *scope,
    const char *path, const char *const *args, size_t nargs,
    const char *query);

/* 1 if sku can be a path segment of /V1/products/{sku} and friends, else 0
 * (update it with POST /V1/products, which updates an existing SKU).
 * Refused for every channel: the empty SKU, "." and ".." (clients and
 * servers squash dot segments), '/' (web servers refuse or split %2F;
 * Magento's router then matches another route or none), '\' (%5C is
 * treated like %2F by some servers), control characters. With
 * MAGE_AUTH_OAUTH1 also '+' and '%': Magento releases that verify
 * signatures with Zend/Laminas OAuth (before its switch to Guzzle's
 * oauth-subscriber) normalise %2B and %25 in the path before signing, so
 * no client signature can match, and the router needs them encoded. */
MS_EXPORT int mage_sku_path_safe(const char *sku, enum mage_auth auth);

/* ---- searchCriteria --------------------------------------------------- */

enum mage_cond {
	MAGE_EQ, MAGE_NEQ, MAGE_LIKE, MAGE_NLIKE, MAGE_IN, MAGE_NIN,
	MAGE_NOTNULL, MAGE_NULL, MAGE_GT, MAGE_LT, MAGE_GTEQ, MAGE_LTEQ,
	MAGE_MOREQ, MAGE_FROM, MAGE_TO, MAGE_FINSET, MAGE_NFINSET,
	MAGE_COND_COUNT
};

enum mage_dir { MAGE_ASC, MAGE_DESC };

/* Magento's condition_type name ("eq", "nfinset", ...); NULL if out of
 * range. */
MS_EXPORT const char *mage_cond_name(enum mage_cond c);
/* The condition named s, or -1. */
MS_EXPORT int mage_cond_from_name(const char *s);

/* At most this many filter groups, filters per group and sort orders.
 * Why: OAuth servers order the signed parameters differently - RFC 5849
 * sorts encoded names bytewise, Zend/Laminas OAuth (older Magento 2.x)
 * sorts them "naturally", Guzzle's oauth-subscriber (recent 2.4) sorts the
 * decoded names bytewise. With one-digit indices all three orders agree;
 * with "[10]" next to "[2]" each server computes another signature. */
#define MAGE_CRITERIA_MAX	10

/* A search criteria being built. Filters within a group are OR-ed, groups
 * are AND-ed (Magento cannot express (A AND B) OR C). A range is two
 * groups, [from] and [to], not one group with two filters. */
struct mage_criteria;

MS_EXPORT struct mage_criteria *mage_criteria_new(void);
MS_EXPORT void mage_criteria_free(struct mage_criteria *c);

/* Start a new filter group; later filters go into it. Returns 0, -E2BIG
 * past MAGE_CRITERIA_MAX groups, or -ENOMEM. */
MS_EXPORT int mage_criteria_group(struct mage_criteria *c);

/* Add field <cond> value to the current group (a first group is started if
 * there is none). Strings are copied. value may be NULL only for MAGE_NULL
 * and MAGE_NOTNULL (then sent as ""; Magento ignores it). For MAGE_IN and
 * MAGE_NIN value is a comma-separated list, as Magento splits it. Returns
 * 0, -EINVAL (empty field, NULL value, bad cond), -E2BIG or -ENOMEM. */
MS_EXPORT int mage_criteria_filter(struct mage_criteria *c, const char *field,
    enum mage_cond cond, const char *value);

/* Add a sort order (applied in the order added). Errors as above. */
MS_EXPORT int mage_criteria_sort(struct mage_criteria *c, const char *field,
    enum mage_dir dir);

/* Page size and page (1-based). Without them Magento returns everything in
 * one response: list calls should always page. Returns -EINVAL for
 * page_size < 1 or current_page < 1. */
MS_EXPORT int mage_criteria_page(struct mage_criteria *c, int page_size,
    int current_page);

/* Magento's field filtering: "fields=<spec>" is added to the query, e.g.
 * "items[sku,name],total_count". NULL removes it. Returns 0 or -ENOMEM. */
MS_EXPORT int mage_criteria_fields(struct mage_criteria *c, const char *spec);

/* The query string (no leading '?'), new, or NULL on -ENOMEM:
 *   searchCriteria[filter_groups][0][filters][0][field]=status&
 *   searchCriteria[filter_groups][0][filters][0][value]=pending&
 *   searchCriteria[filter_groups][0][filters][0][condition_type]=in&...&
 *   searchCriteria[sortOrders][0][field]=created_at&
 *   searchCriteria[sortOrders][0][direction]=ASC&
 *   searchCriteria[pageSize]=50&searchCriteria[currentPage]=1
 * with '[' and ']' sent as %5B and %5D and every value percent-encoded
 * (RFC 3986 unreserved characters kept, space as %20 - never '+', which
 * some Magento versions' OAuth code decodes differently). An empty
 * criteria gives "searchCriteria=" (Magento requires the parameter). */
MS_EXPORT char *mage_criteria_query(const struct mage_criteria *c);

/* ---- paging ----------------------------------------------------------- */

/* 1 when paging ends after current_page came back with items_on_page
 * items out of total_count: the page was empty, or
 * current_page * page_size >= total_count. The count rule is what stops
 * Magento before 2.4, which repeats the last page past the end instead of
 * answering empty. Nonsense input (page_size or current_page < 1,
 * total_count < 0) also ends paging, so no loop can run forever. */
MS_EXPORT int mage_page_done(int64_t current_page, int64_t page_size,
    int64_t total_count, int64_t items_on_page);

/* Pages holding total items at size per page: ceil(total / size); 0 when
 * total <= 0 or size < 1. After the first page this says how many more to
 * request, concurrently. */
MS_EXPORT int64_t mage_page_count(int64_t total, int64_t size);

/* ---- errors ----------------------------------------------------------- */

/* One line of text for a Magento error response body, into buf (len bytes,
 * NUL-terminated, cut at a UTF-8 boundary with "..." when too long).
 * Magento's {"message": "...", "parameters": [...] | {...}} has %1..%N
 * (array, 1-based) or %name (object) filled in as Magento's own renderer
 * does (longest placeholder first, so %10 is not %1 then '0'; unknown
 * placeholders stay); a nested "errors" list (validation) follows as
 * "message: error; error"; "trace" is dropped. Control characters become
 * spaces. Returns 0 for Magento's error shape; -EBADMSG for anything else
 * (then buf holds "unexpected response body: <short excerpt>", HTML
 * reduced to its title or text, or "empty response body"); -EINVAL if
 * buf is NULL or len < 8. */
MS_EXPORT int mage_error_text(const char *body, size_t body_len, char *buf,
    size_t len);

/* ---- authorization ---------------------------------------------------- */

/* A channel's credentials, borrowed. */
struct mage_creds {
	enum mage_auth auth;
	const char *access_token;	/* bearer token / OAuth access token */
	const char *access_token_secret;	/* OAuth only */
	const char *consumer_key, *consumer_secret;	/* OAuth only */
};

/* The whole header line, "Authorization: Bearer <token>" or
 * "Authorization: OAuth ...", ready for a curl_slist. For OAuth the method
 * and url (exactly as sent, query included) are signed with nonce and
 * timestamp; bearer ignores them (may be NULL). *out new: a credential,
 * never log it. Returns 0, -EINVAL (missing credential, a token with
 * control characters, bad URL) or -ENOMEM. */
MS_EXPORT int mage_auth_header(const struct mage_creds *c, const char *method,
    const char *url, const char *nonce, int64_t timestamp, char **out);

#endif
