/* test_mage.c - Magento client core: URLs and scopes, SKUs in paths,
 * searchCriteria (against Magento's documented queries and exact
 * strings), paging arithmetic, error bodies, Authorization headers. */
#include <errno.h>
#include <stdlib.h>

#include "mage.h"
#include "oauth1.h"
#include "pct.h"
#include "unit.h"

/* ---- helpers ------------------------------------------------------------ */

#define MAXP 64

/* A query split into decoded name/value pairs, in order. */
struct pairs {
	char name[MAXP][160], value[MAXP][160];
	int n;
};

static void
decode_into(char *dst, size_t len, const char *s, size_t n)
{
	struct pct_buf b = PCT_BUF_INIT;

	pct_dec(&b, s, n, 0);
	pct_add(&b, "", 0);
	snprintf(dst, len, "%s", b.s ? b.s : "");
	pct_reset(&b);
}

/* Split a query; the documented examples are written over several lines,
 * so newlines are skipped. */
static void
split(const char *q, struct pairs *p)
{
	char flat[4096], *s, *amp, *eq;
	size_t o = 0;

	for (; *q != '\0' && o + 1 < sizeof(flat); q++)
		if (*q != '\n')
			flat[o++] = *q;
	flat[o] = '\0';
	p->n = 0;
	for (s = flat; *s != '\0' && p->n < MAXP; s = amp + 1) {
		if ((amp = strchr(s, '&')) == NULL)
			amp = s + strlen(s);
		eq = memchr(s, '=', (size_t)(amp - s));
		if (eq == NULL)
			eq = amp;
		decode_into(p->name[p->n], sizeof(p->name[0]), s,
		    (size_t)(eq - s));
		decode_into(p->value[p->n], sizeof(p->value[0]),
		    eq < amp ? eq + 1 : amp, eq < amp ? (size_t)(amp - eq - 1) : 0);
		p->n++;
		if (*amp == '\0')
			break;
	}
}

static void
check_same_pairs(const char *got, const char *want, const char *what)
{
	struct pairs *g = calloc(1, sizeof(*g)), *w = calloc(1, sizeof(*w));
	int i;

	if (g == NULL || w == NULL || got == NULL) {
		UNIT_FAIL("%s: no query", what);
		goto out;
	}
	split(got, g);
	split(want, w);
	if (g->n != w->n)
		UNIT_FAIL("%s: %d parameters, want %d", what, g->n, w->n);
	for (i = 0; i < g->n && i < w->n; i++)
		if (strcmp(g->name[i], w->name[i]) != 0 ||
		    strcmp(g->value[i], w->value[i]) != 0)
			UNIT_FAIL("%s: parameter %d is %s=%s, want %s=%s", what,
			    i, g->name[i], g->value[i], w->name[i], w->value[i]);
out:
	free(g);
	free(w);
}

/* ---- percent-encoding -------------------------------------------------- */

TEST(pct_codec)
{
	struct pct_buf b = PCT_BUF_INIT;
	char *s;

	/* only n bytes are read: "%4" then '1' outside the range */
	pct_dec(&b, "ab%41", 4, 0);
	s = pct_steal(&b);
	CHECK_STR(s, "ab%4");
	free(s);
	pct_dec(&b, "%41%4a%4G+%", 11, 1);
	s = pct_steal(&b);
	CHECK_STR(s, "AJ%4G %");
	free(s);
	pct_dec(&b, "a%00b", 5, 0);
	CHECK_INT(b.len, 3);
	CHECK(b.s != NULL && b.s[1] == '\0');
	pct_reset(&b);
	pct_enc(&b, "a b/\xff~", 6, "/");
	s = pct_steal(&b);
	CHECK_STR(s, "a%20b/%FF~");
	free(s);
	pct_enc(&b, "x\0y", 3, "");
	s = pct_steal(&b);
	CHECK_STR(s, "x%00y");
	free(s);
	s = pct_steal(&b);
	CHECK_STR(s, "");
	free(s);
	CHECK_INT(pct_addf(&b, "%d-%s", 42, "x"), 0);
	s = pct_steal(&b);
	CHECK_STR(s, "42-x");
	free(s);
	/* a failed buffer stays failed, then resets */
	b.err = -ENOMEM;
	CHECK_INT(pct_adds(&b, "x"), -ENOMEM);
	CHECK(pct_steal(&b) == NULL);
	CHECK_INT(b.err, 0);
	pct_reset(&b);
}

/* ---- URLs ------------------------------------------------------------- */

TEST(scopes)
{
	CHECK_STR(mage_scope(MAGE_OP_READ, "de"), "de");
	CHECK_STR(mage_scope(MAGE_OP_ORDER, "de"), "de");
	CHECK_STR(mage_scope(MAGE_OP_CATALOG_WRITE, "de"), "all");
	CHECK_STR(mage_scope(MAGE_OP_CATALOG_WRITE, "default"), "all");
}

TEST(urls)
{
	const char *sku[] = { "24-MB01" };
	const char *two[] = { "MH01", "17" };
	char *u = NULL;

	CHECK_INT(mage_url(&u, "https://shop.example.com/", "default",
	    "/V1/products", NULL, 0, "searchCriteria%5BpageSize%5D=1"), 0);
	CHECK_STR(u, "https://shop.example.com/rest/default/V1/products?"
	    "searchCriteria%5BpageSize%5D=1");
	free(u);

	CHECK_INT(mage_url(&u, "http://127.0.0.1:8080", mage_scope(
	    MAGE_OP_CATALOG_WRITE, "default"), "/V1/products/{sku}", sku, 1,
	    NULL), 0);
	CHECK_STR(u, "http://127.0.0.1:8080/rest/all/V1/products/24-MB01");
	free(u);

	/* A store under a path prefix, trailing slashes dropped, "" query. */
	CHECK_INT(mage_url(&u, "https://h.example/magento//", "de_ch",
	    "/V1/products/{sku}/media/{entryId}", two, 2, ""), 0);
	CHECK_STR(u, "https://h.example/magento/rest/de_ch/V1/products/MH01/"
	    "media/17");
	free(u);

	/* Async bulk routes sit beside V1. */
	CHECK_INT(mage_url(&u, "https://h", "all", "/async/bulk/V1/products",
	    NULL, 0, NULL), 0);
	CHECK_STR(u, "https://h/rest/all/async/bulk/V1/products");
	free(u);
}

/* Every byte of a hostile SKU, as it goes into a path segment. */
TEST(url_segment_encoding)
{
	const char *arg[] = { "a b+c:d@e&f=g$h,i;j!k*l'm(n)o~p.q_r-s%t?u#v"
	    "[w]x\"y<z>\xc3\xa9{|}^`" };
	char *u = NULL;

	CHECK_INT(mage_url(&u, "https://h", "default", "/V1/products/{sku}",
	    arg, 1, NULL), 0);
	CHECK_STR(u, "https://h/rest/default/V1/products/"
	    "a%20b%2Bc:d@e&f=g$h,i;j%21k%2Al%27m%28n%29o~p.q_r-s%25t%3Fu%23v"
	    "%5Bw%5Dx%22y%3Cz%3E%C3%A9%7B%7C%7D%5E%60");
	free(u);
}

TEST(url_errors)
{
	static const char *bad_base[] = {
		NULL, "", "ftp://h", "shop.example.com", "https://", "https:///x",
		"https://h/a?b=1", "https://h/#x", "https://h x", "https://h\n",
	};
	static const char *bad_scope[] = { NULL, "", "de-DE", "a/b", "d e" };
	static const char *bad_path[] = {
		NULL, "", "V1/products", "/V1/{", "/V1/}", "/V1/{}", "/V1/x?y",
		"/V1/x#y", "/V1/{a}}",
	};
	const char *one[] = { "x" }, *bad_arg[] = { "a/b" };
	char *u = (char *)"sentinel";
	size_t i;

	for (i = 0; i < sizeof(bad_base) / sizeof(bad_base[0]); i++)
		if (mage_url(&u, bad_base[i], "default", "/V1/x", NULL, 0,
		    NULL) != -EINVAL || u != NULL)
			UNIT_FAIL("store_url %s accepted",
			    bad_base[i] ? bad_base[i] : "(null)");
	for (i = 0; i < sizeof(bad_scope) / sizeof(bad_scope[0]); i++)
		if (mage_url(&u, "https://h", bad_scope[i], "/V1/x", NULL, 0,
		    NULL) != -EINVAL)
			UNIT_FAIL("scope %s accepted",
			    bad_scope[i] ? bad_scope[i] : "(null)");
	for (i = 0; i < sizeof(bad_path) / sizeof(bad_path[0]); i++)
		if (mage_url(&u, "https://h", "all", bad_path[i], one, 1,
		    NULL) != -EINVAL)
			UNIT_FAIL("path %s accepted",
			    bad_path[i] ? bad_path[i] : "(null)");
	/* placeholder and argument counts must match */
	CHECK_INT(mage_url(&u, "https://h", "all", "/V1/products/{sku}", NULL,
	    0, NULL), -EINVAL);
	CHECK_INT(mage_url(&u, "https://h", "all", "/V1/products", one, 1,
	    NULL), -EINVAL);
	CHECK_INT(mage_url(&u, "https://h", "all", "/V1/products/{sku}", NULL,
	    1, NULL), -EINVAL);
	/* an argument that cannot be a segment */
	CHECK_INT(mage_url(&u, "https://h", "all", "/V1/products/{sku}",
	    bad_arg, 1, NULL), MAGE_EPATH);
	CHECK(u == NULL);
}

TEST(sku_path_safe)
{
	static const struct {
		const char *sku;
		int bearer, oauth;
	} cases[] = {
		{ "24-MB01", 1, 1 },
		{ "WSH02-31-Yellow", 1, 1 },
		{ "ABCD (20-B)", 1, 1 },
		{ "a&b=c;d,e:f@g$h", 1, 1 },
		{ "caf\xc3\xa9", 1, 1 },
		{ "x?y#z[1]", 1, 1 },
		{ "...", 1, 1 },
		{ ".x", 1, 1 },
		{ "BAH-SB+7", 1, 0 },
		{ "50%off", 1, 0 },
		{ "CLE-056621/6", 0, 0 },
		{ "/", 0, 0 },
		{ "a\\b", 0, 0 },
		{ ".", 0, 0 },
		{ "..", 0, 0 },
		{ "", 0, 0 },
		{ "tab\there", 0, 0 },
		{ "nl\n", 0, 0 },
		{ "del\x7f", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (mage_sku_path_safe(cases[i].sku, MAGE_AUTH_BEARER) !=
		    cases[i].bearer)
			UNIT_FAIL("bearer: \"%s\" should be %d", cases[i].sku,
			    cases[i].bearer);
		if (mage_sku_path_safe(cases[i].sku, MAGE_AUTH_OAUTH1) !=
		    cases[i].oauth)
			UNIT_FAIL("oauth1: \"%s\" should be %d", cases[i].sku,
			    cases[i].oauth);
	}
	CHECK_INT(mage_sku_path_safe(NULL, MAGE_AUTH_BEARER), 0);
}

/* ---- searchCriteria --------------------------------------------------- */

TEST(cond_names)
{
	static const char *names[] = {
		"eq", "neq", "like", "nlike", "in", "nin", "notnull", "null",
		"gt", "lt", "gteq", "lteq", "moreq", "from", "to", "finset",
		"nfinset",
	};
	int i;

	CHECK_INT(MAGE_COND_COUNT, sizeof(names) / sizeof(names[0]));
	for (i = 0; i < MAGE_COND_COUNT; i++) {
		CHECK_STR(mage_cond_name((enum mage_cond)i), names[i]);
		CHECK_INT(mage_cond_from_name(names[i]), i);
	}
	CHECK(mage_cond_name(MAGE_COND_COUNT) == NULL);
	CHECK(mage_cond_name((enum mage_cond)-1) == NULL);
	CHECK_INT(mage_cond_from_name("EQ"), -1);
	CHECK_INT(mage_cond_from_name(""), -1);
	CHECK_INT(mage_cond_from_name(NULL), -1);
}

/* SPEC §7 get_orders: status in the list AND created_at gteq the cutoff,
 * sorted by created_at, paged - exactly as sent. */
TEST(criteria_exact_orders)
{
	struct mage_criteria *c = mage_criteria_new();
	char *q;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK_INT(mage_criteria_filter(c, "status", MAGE_IN,
	    "pending,processing"), 0);
	CHECK_INT(mage_criteria_group(c), 0);
	CHECK_INT(mage_criteria_filter(c, "created_at", MAGE_GTEQ,
	    "2024-05-01 00:00:00"), 0);
	CHECK_INT(mage_criteria_sort(c, "created_at", MAGE_ASC), 0);
	CHECK_INT(mage_criteria_page(c, 50, 1), 0);
	q = mage_criteria_query(c);
	CHECK_STR(q,
	    "searchCriteria%5Bfilter_groups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bfield%5D=status"
	    "&searchCriteria%5Bfilter_groups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bvalue%5D=pending%2Cprocessing"
	    "&searchCriteria%5Bfilter_groups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bcondition_type%5D=in"
	    "&searchCriteria%5Bfilter_groups%5D%5B1%5D%5Bfilters%5D%5B0%5D%5Bfield%5D=created_at"
	    "&searchCriteria%5Bfilter_groups%5D%5B1%5D%5Bfilters%5D%5B0%5D%5Bvalue%5D=2024-05-01%2000%3A00%3A00"
	    "&searchCriteria%5Bfilter_groups%5D%5B1%5D%5Bfilters%5D%5B0%5D%5Bcondition_type%5D=gteq"
	    "&searchCriteria%5BsortOrders%5D%5B0%5D%5Bfield%5D=created_at"
	    "&searchCriteria%5BsortOrders%5D%5B0%5D%5Bdirection%5D=ASC"
	    "&searchCriteria%5BpageSize%5D=50&searchCriteria%5BcurrentPage%5D=1");
	/* decoded, it is the brief's documented form */
	check_same_pairs(q,
	    "searchCriteria[filter_groups][0][filters][0][field]=status&"
	    "searchCriteria[filter_groups][0][filters][0][value]=pending,processing&"
	    "searchCriteria[filter_groups][0][filters][0][condition_type]=in&"
	    "searchCriteria[filter_groups][1][filters][0][field]=created_at&"
	    "searchCriteria[filter_groups][1][filters][0][value]=2024-05-01 00:00:00&"
	    "searchCriteria[filter_groups][1][filters][0][condition_type]=gteq&"
	    "searchCriteria[sortOrders][0][field]=created_at&"
	    "searchCriteria[sortOrders][0][direction]=ASC&"
	    "searchCriteria[pageSize]=50&searchCriteria[currentPage]=1",
	    "orders");
	free(q);

	/* Changing the page re-renders only the page. */
	CHECK_INT(mage_criteria_page(c, 50, 7), 0);
	q = mage_criteria_query(c);
	CHECK_HAS(q, "&searchCriteria%5BcurrentPage%5D=7");
	free(q);
	mage_criteria_free(c);
}

/* The examples of Adobe's "Search using REST endpoints" page
 * (commerce-webapi, rest/use-rest/performing-searches.md), built with the
 * criteria API and compared parameter by parameter after decoding. */
struct doc_filter {
	int group;
	const char *field, *value;
	enum mage_cond cond;
};

static void
check_doc(const char *what, const struct doc_filter *f, size_t n,
    const char *doc)
{
	struct mage_criteria *c = mage_criteria_new();
	int group = 0;
	size_t i;
	char *q;

	if (c == NULL) {
		UNIT_FAIL("out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		if (f[i].group != group) {
			CHECK_INT(mage_criteria_group(c), 0);
			group = f[i].group;
		}
		CHECK_INT(mage_criteria_filter(c, f[i].field, f[i].cond,
		    f[i].value), 0);
	}
	q = mage_criteria_query(c);
	check_same_pairs(q, doc, what);
	free(q);
	mage_criteria_free(c);
}

TEST(criteria_documented_examples)
{
	static const struct doc_filter simple[] = {
		{ 0, "category_gear", "86", MAGE_FINSET },
	};
	static const struct doc_filter timestamp[] = {
		{ 0, "created_at", "2016-07-01 00:00:00", MAGE_GT },
	};
	static const struct doc_filter in[] = {
		{ 0, "entity_id", "1,2,3,4,5", MAGE_IN },
	};
	static const struct doc_filter or[] = {
		{ 0, "name", "%Leggings%", MAGE_LIKE },
		{ 0, "name", "%Parachute%", MAGE_LIKE },
	};
	static const struct doc_filter and[] = {
		{ 0, "sku", "WSH%31%", MAGE_LIKE },
		{ 1, "price", "30", MAGE_LT },
	};
	static const struct doc_filter andor[] = {
		{ 0, "sku", "WSH%29%", MAGE_LIKE },
		{ 0, "sku", "WP%29%", MAGE_LIKE },
		{ 1, "price", "40", MAGE_FROM },
		{ 2, "price", "49.99", MAGE_TO },
	};
#define N(a) (sizeof(a) / sizeof(a[0]))
	check_doc("simple", simple, N(simple),
	    "searchCriteria[filter_groups][0][filters][0][field]=category_gear&\n"
	    "searchCriteria[filter_groups][0][filters][0][value]=86&\n"
	    "searchCriteria[filter_groups][0][filters][0][condition_type]=finset");
	check_doc("timestamp", timestamp, N(timestamp),
	    "searchCriteria[filter_groups][0][filters][0][field]=created_at&\n"
	    "searchCriteria[filter_groups][0][filters][0][value]=2016-07-01 00:00:00&\n"
	    "searchCriteria[filter_groups][0][filters][0][condition_type]=gt");
	check_doc("in", in, N(in),
	    "searchCriteria[filter_groups][0][filters][0][field]=entity_id&\n"
	    "searchCriteria[filter_groups][0][filters][0][value]=1,2,3,4,5&\n"
	    "searchCriteria[filter_groups][0][filters][0][condition_type]=in");
	check_doc("or", or, N(or),
	    "searchCriteria[filter_groups][0][filters][0][field]=name&\n"
	    "searchCriteria[filter_groups][0][filters][0][value]=%25Leggings%25&\n"
	    "searchCriteria[filter_groups][0][filters][0][condition_type]=like&\n"
	    "searchCriteria[filter_groups][0][filters][1][field]=name&\n"
	    "searchCriteria[filter_groups][0][filters][1][value]=%25Parachute%25&\n"
	    "searchCriteria[filter_groups][0][filters][1][condition_type]=like");
	check_doc("and", and, N(and),
	    "searchCriteria[filter_groups][0][filters][0][field]=sku&\n"
	    "searchCriteria[filter_groups][0][filters][0][value]=WSH%2531%25&\n"
	    "searchCriteria[filter_groups][0][filters][0][condition_type]=like&\n"
	    "searchCriteria[filter_groups][1][filters][0][field]=price&\n"
	    "searchCriteria[filter_groups][1][filters][0][value]=30&\n"
	    "searchCriteria[filter_groups][1][filters][0][condition_type]=lt");
	check_doc("and-or", andor, N(andor),
	    "searchCriteria[filter_groups][0][filters][0][field]=sku&\n"
	    "searchCriteria[filter_groups][0][filters][0][value]=WSH%2529%25&\n"
	    "searchCriteria[filter_groups][0][filters][0][condition_type]=like&\n"
	    "searchCriteria[filter_groups][0][filters][1][field]=sku&\n"
	    "searchCriteria[filter_groups][0][filters][1][value]=WP%2529%25&\n"
	    "searchCriteria[filter_groups][0][filters][1][condition_type]=like&\n"
	    "searchCriteria[filter_groups][1][filters][0][field]=price&\n"
	    "searchCriteria[filter_groups][1][filters][0][value]=40&\n"
	    "searchCriteria[filter_groups][1][filters][0][condition_type]=from&\n"
	    "searchCriteria[filter_groups][2][filters][0][field]=price&\n"
	    "searchCriteria[filter_groups][2][filters][0][value]=49.99&\n"
	    "searchCriteria[filter_groups][2][filters][0][condition_type]=to");
#undef N
}

/* The page's sort/fields example, plus what it leaves to defaults (eq,
 * Magento's default DESC) which we always send. */
TEST(criteria_documented_sort_fields)
{
	struct mage_criteria *c = mage_criteria_new();
	char *q;

	if (c == NULL)
		return;
	CHECK_INT(mage_criteria_filter(c, "status", MAGE_EQ, "pending"), 0);
	CHECK_INT(mage_criteria_sort(c, "increment_id", MAGE_DESC), 0);
	CHECK_INT(mage_criteria_fields(c, "items[increment_id,entity_id]"), 0);
	q = mage_criteria_query(c);
	check_same_pairs(q,
	    "searchCriteria[filter_groups][0][filters][0][field]=status&\n"
	    "searchCriteria[filter_groups][0][filters][0][value]=pending&\n"
	    "searchCriteria[filter_groups][0][filters][0][condition_type]=eq&\n"
	    "searchCriteria[sortOrders][0][field]=increment_id&\n"
	    "searchCriteria[sortOrders][0][direction]=DESC&\n"
	    "fields=items[increment_id,entity_id]", "sort+fields");
	CHECK_HAS(q, "&fields=items%5Bincrement_id%2Centity_id%5D");
	free(q);
	CHECK_INT(mage_criteria_fields(c, NULL), 0);
	q = mage_criteria_query(c);
	CHECK(q != NULL && strstr(q, "fields=") == NULL);
	free(q);
	mage_criteria_free(c);
}

/* Hostile values: every reserved character, '%', '+', spaces, control
 * characters and UTF-8 travel as their bytes and decode back. */
TEST(criteria_hostile_values)
{
	static const struct {
		const char *value, *encoded;
	} cases[] = {
		{ "a&b=c", "a%26b%3Dc" },
		{ "[0][field]", "%5B0%5D%5Bfield%5D" },
		{ "100%", "100%25" },
		{ "%25", "%2525" },
		{ "a+b c", "a%2Bb%20c" },
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "%C3%A9%E2%82%AC%F0%9F%98%80" },
		{ "#?/\\", "%23%3F%2F%5C" },
		{ "tab\tnl\n", "tab%09nl%0A" },
		{ "-._~", "-._~" },
		{ "", "" },
		{ "'\"<>;,", "%27%22%3C%3E%3B%2C" },
	};
	struct mage_criteria *c;
	char want[256], *q;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if ((c = mage_criteria_new()) == NULL)
			return;
		CHECK_INT(mage_criteria_filter(c, "sku", MAGE_EQ,
		    cases[i].value), 0);
		q = mage_criteria_query(c);
		snprintf(want, sizeof(want), "searchCriteria%%5Bfilter_groups%%5D"
		    "%%5B0%%5D%%5Bfilters%%5D%%5B0%%5D%%5Bvalue%%5D=%s&",
		    cases[i].encoded);
		CHECK_HAS(q, want);
		if (q != NULL) {
			struct pairs *p = calloc(1, sizeof(*p));
			if (p != NULL) {
				split(q, p);
				CHECK_INT(p->n, 3);
				CHECK_STR(p->value[1], cases[i].value);
				free(p);
			}
		}
		free(q);
		mage_criteria_free(c);
	}
	/* Field names are encoded too. */
	c = mage_criteria_new();
	if (c == NULL)
		return;
	CHECK_INT(mage_criteria_filter(c, "a&b", MAGE_EQ, "1"), 0);
	q = mage_criteria_query(c);
	CHECK_HAS(q, "%5Bfield%5D=a%26b&");
	free(q);
	mage_criteria_free(c);
}

TEST(criteria_every_condition)
{
	struct mage_criteria *c;
	char want[128], *q;
	int i;

	for (i = 0; i < MAGE_COND_COUNT; i++) {
		if ((c = mage_criteria_new()) == NULL)
			return;
		CHECK_INT(mage_criteria_filter(c, "f", (enum mage_cond)i,
		    i == MAGE_NULL || i == MAGE_NOTNULL ? NULL : "v"), 0);
		q = mage_criteria_query(c);
		snprintf(want, sizeof(want), "%%5Bcondition_type%%5D=%s",
		    mage_cond_name((enum mage_cond)i));
		CHECK_HAS(q, want);
		/* condition_type ends the query: "in" must not match "nin" */
		if (q != NULL && strlen(q) >= strlen(want))
			CHECK_STR(q + strlen(q) - strlen(want), want);
		if (i == MAGE_NULL || i == MAGE_NOTNULL)
			CHECK_HAS(q, "%5Bvalue%5D=&");
		free(q);
		mage_criteria_free(c);
	}
}

TEST(criteria_limits_and_errors)
{
	struct mage_criteria *c = mage_criteria_new();
	char *q;
	int i;

	if (c == NULL)
		return;
	/* empty: the parameter Magento requires */
	q = mage_criteria_query(c);
	CHECK_STR(q, "searchCriteria=");
	free(q);
	CHECK_INT(mage_criteria_fields(c, "total_count"), 0);
	q = mage_criteria_query(c);
	CHECK_STR(q, "searchCriteria=&fields=total_count");
	free(q);

	CHECK_INT(mage_criteria_filter(c, NULL, MAGE_EQ, "x"), -EINVAL);
	CHECK_INT(mage_criteria_filter(c, "", MAGE_EQ, "x"), -EINVAL);
	CHECK_INT(mage_criteria_filter(c, "f", MAGE_EQ, NULL), -EINVAL);
	CHECK_INT(mage_criteria_filter(c, "f", MAGE_IN, NULL), -EINVAL);
	CHECK_INT(mage_criteria_filter(c, "f", MAGE_COND_COUNT, "x"), -EINVAL);
	CHECK_INT(mage_criteria_filter(c, "f", (enum mage_cond)-1, "x"),
	    -EINVAL);
	CHECK_INT(mage_criteria_sort(c, NULL, MAGE_ASC), -EINVAL);
	CHECK_INT(mage_criteria_sort(c, "f", (enum mage_dir)7), -EINVAL);
	CHECK_INT(mage_criteria_page(c, 0, 1), -EINVAL);
	CHECK_INT(mage_criteria_page(c, 10, 0), -EINVAL);
	CHECK_INT(mage_criteria_page(c, -5, 1), -EINVAL);

	/* ten of each, not eleven (one-digit indices, see mage.h) */
	for (i = 0; i < MAGE_CRITERIA_MAX; i++)
		CHECK_INT(mage_criteria_filter(c, "f", MAGE_EQ, "x"), 0);
	CHECK_INT(mage_criteria_filter(c, "f", MAGE_EQ, "x"), -E2BIG);
	for (i = 1; i < MAGE_CRITERIA_MAX; i++)
		CHECK_INT(mage_criteria_group(c), 0);
	CHECK_INT(mage_criteria_group(c), -E2BIG);
	for (i = 0; i < MAGE_CRITERIA_MAX; i++)
		CHECK_INT(mage_criteria_sort(c, "f", MAGE_DESC), 0);
	CHECK_INT(mage_criteria_sort(c, "f", MAGE_ASC), -E2BIG);
	q = mage_criteria_query(c);
	CHECK_HAS(q, "filter_groups%5D%5B0%5D%5Bfilters%5D%5B9%5D");
	CHECK_HAS(q, "sortOrders%5D%5B9%5D%5Bdirection%5D=DESC");
	CHECK(q != NULL && strstr(q, "%5B10%5D") == NULL);
	free(q);
	mage_criteria_free(c);
	mage_criteria_free(NULL);
}

/* ---- paging ----------------------------------------------------------- */

TEST(paging)
{
	static const struct {
		int64_t page, size, total, items;
		int done;
	} cases[] = {
		{ 1, 50, 120, 50, 0 },
		{ 2, 50, 120, 50, 0 },
		{ 3, 50, 120, 20, 1 },	/* the last page */
		{ 2, 50, 100, 50, 1 },	/* exact fit */
		{ 1, 50, 50, 50, 1 },
		{ 1, 50, 0, 0, 1 },	/* empty store */
		{ 1, 50, 10, 0, 1 },	/* empty page ends it, count or not */
		{ 5, 50, 1000, 0, 1 },
		/* Magento < 2.4 repeats the last page past the end: the
		 * count rule must stop it even though the page is full */
		{ 4, 50, 120, 20, 1 },
		{ 9, 50, 120, 50, 1 },
		/* a count grown during the run keeps paging */
		{ 3, 50, 151, 50, 0 },
		/* nonsense ends paging instead of looping forever */
		{ 0, 50, 120, 50, 1 },
		{ 1, 0, 120, 50, 1 },
		{ 1, 50, -1, 50, 1 },
		{ 1, 50, 120, -3, 1 },
		/* no overflow in page * size */
		{ INT64_MAX, INT64_MAX, INT64_MAX, 1, 1 },
		{ 1, INT64_MAX / 2, INT64_MAX, 1, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (mage_page_done(cases[i].page, cases[i].size, cases[i].total,
		    cases[i].items) != cases[i].done)
			UNIT_FAIL("case %zu: page %" PRId64 " size %" PRId64
			    " total %" PRId64 " items %" PRId64 " should be %d",
			    i, cases[i].page, cases[i].size, cases[i].total,
			    cases[i].items, cases[i].done);

	CHECK_INT(mage_page_count(120, 50), 3);
	CHECK_INT(mage_page_count(100, 50), 2);
	CHECK_INT(mage_page_count(1, 50), 1);
	CHECK_INT(mage_page_count(0, 50), 0);
	CHECK_INT(mage_page_count(-4, 50), 0);
	CHECK_INT(mage_page_count(10, 0), 0);
	CHECK_INT(mage_page_count(10, -1), 0);
	CHECK_INT(mage_page_count(INT64_MAX, 1), INT64_MAX);
	CHECK_INT(mage_page_count(INT64_MAX, INT64_MAX), 1);
}

/* Walk a store with a legacy last-page repetition: requesting pages one by
 * one until mage_page_done stops after exactly the real pages. */
TEST(paging_walk_legacy)
{
	int64_t total, size, page, items, fetched;

	for (total = 0; total <= 260; total += 13)
		for (size = 1; size <= 60; size += 7) {
			fetched = 0;
			for (page = 1; page < 1000; page++) {
				/* legacy: past the end, the last page again */
				int64_t last = mage_page_count(total, size);
				int64_t p = page > last ? last : page;
				items = p == 0 ? 0 : (p < last ? size :
				    total - (last - 1) * size);
				fetched += items;
				if (mage_page_done(page, size, total, items))
					break;
			}
			if (fetched != total || (total > 0 &&
			    page != mage_page_count(total, size)))
				UNIT_FAIL("total %" PRId64 " size %" PRId64
				    ": fetched %" PRId64 " in %" PRId64 " pages",
				    total, size, fetched, page);
		}
}

/* ---- errors ----------------------------------------------------------- */

static const char *
etext(const char *body, int want_rc)
{
	static char buf[MAGE_ERROR_MAX];
	int rc = mage_error_text(body, body ? strlen(body) : 0, buf,
	    sizeof(buf));

	if (rc != want_rc)
		UNIT_FAIL("rc %d, want %d for %s", rc, want_rc,
		    body ? body : "(null)");
	return buf;
}

TEST(error_parameters)
{
	/* object parameters, %name */
	CHECK_STR(etext("{\"message\":\"The consumer isn't authorized to "
	    "access %resources.\",\"parameters\":{\"resources\":"
	    "\"Magento_Catalog::products\"}}", 0),
	    "The consumer isn't authorized to access Magento_Catalog::products.");
	CHECK_STR(etext("{\"message\":\"No such entity with %fieldName = "
	    "%fieldValue\",\"parameters\":{\"fieldName\":\"sku\",\"fieldValue\":"
	    "\"24-MB01\"}}", 0), "No such entity with sku = 24-MB01");
	/* array parameters, %1-based */
	CHECK_STR(etext("{\"message\":\"Requested %1 doesn't exist: %2\","
	    "\"parameters\":[\"product\",\"X\"]}", 0),
	    "Requested product doesn't exist: X");
	/* no parameters at all: placeholders stay */
	CHECK_STR(etext("{\"message\":\"The %1 is wrong.\"}", 0),
	    "The %1 is wrong.");
	CHECK_STR(etext("{\"message\":\"Plain.\",\"parameters\":[]}", 0),
	    "Plain.");
	/* missing ones stay, present ones fill */
	CHECK_STR(etext("{\"message\":\"%1 %2 %3\",\"parameters\":[\"a\","
	    "\"b\"]}", 0), "a b %3");
	CHECK_STR(etext("{\"message\":\"%fieldName %other\",\"parameters\":"
	    "{\"fieldName\":\"x\"}}", 0), "x %other");
	/* a lone % and %% are text */
	CHECK_STR(etext("{\"message\":\"50% off %% %\",\"parameters\":[\"a\"]}",
	    0), "50% off %% %");
	/* object keys that PHP turns into integers are 1-based too */
	CHECK_STR(etext("{\"message\":\"%1/%2\",\"parameters\":{\"0\":\"a\","
	    "\"1\":\"b\"}}", 0), "a/b");
	/* value types as PHP prints them; structures as JSON */
	CHECK_STR(etext("{\"message\":\"%1|%2|%3|%4|%5|%6|%7\",\"parameters\":"
	    "[42,1.5,true,false,null,[1,\"x\"],{\"k\":2.0}]}", 0),
	    "42|1.5|1|||[1,\"x\"]|{\"k\":2.0}");
	/* replaced text is not scanned again */
	CHECK_STR(etext("{\"message\":\"%1 %2\",\"parameters\":[\"%2\",\"x\"]}",
	    0), "%2 x");
}

/* %10 is the tenth parameter, not %1 followed by '0' - unless there is no
 * tenth, as PHP's strtr does it. */
TEST(error_placeholder_ten)
{
	CHECK_STR(etext("{\"message\":\"%1,%10,%2,%11\",\"parameters\":[\"a\","
	    "\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\"]}", 0),
	    "a,j,b,a1");
	CHECK_STR(etext("{\"message\":\"%10\",\"parameters\":[\"a\",\"b\"]}", 0),
	    "a0");
	CHECK_STR(etext("{\"message\":\"%name%names\",\"parameters\":{\"name\":"
	    "\"1\",\"names\":\"2\"}}", 0), "12");
}

TEST(error_nested)
{
	CHECK_STR(etext("{\"message\":\"One or more input exceptions have "
	    "occurred.\",\"errors\":[{\"message\":\"\\\"%fieldName\\\" is "
	    "required. Enter and try again.\",\"parameters\":{\"fieldName\":"
	    "\"product\"}},{\"message\":\"The %1 value is invalid.\","
	    "\"parameters\":[\"price\"]}]}", 0),
	    "One or more input exceptions have occurred: \"product\" is "
	    "required. Enter and try again.; The price value is invalid.");
	/* the top message repeated in errors, and junk entries, are skipped */
	CHECK_STR(etext("{\"message\":\"Bad.\",\"errors\":[{\"message\":"
	    "\"Bad.\"},{\"nomessage\":1},7,{\"message\":\"Worse %1\","
	    "\"parameters\":[\"x\"]}]}", 0), "Bad: Worse x");
	CHECK_STR(etext("{\"message\":\"Bad.\",\"errors\":[]}", 0), "Bad.");
	CHECK_STR(etext("{\"message\":\"Bad.\",\"errors\":\"nope\"}", 0),
	    "Bad.");
}

TEST(error_trace_and_lines)
{
	CHECK_STR(etext("{\"message\":\"Internal Error.\",\"trace\":\"#0 "
	    "/var/www/vendor/x.php(12): secret()\\n#1 {main}\"}", 0),
	    "Internal Error.");
	CHECK_STR(etext("{\"message\":\"line one\\nline\\ttwo  \\r\\n\","
	    "\"code\":5}", 0), "line one line two");
	CHECK_STR(etext("  {\"message\":\"\"}  ", 0), "");
	CHECK_STR(etext("{\"message\":\" \\n lead\"}", 0), "lead");
	/* C1 controls (U+0085 NEL, U+009B CSI) blank like C0; U+00A0 stays */
	CHECK_STR(etext("{\"message\":\"a\\u0085b\\u009b[2Jc\"}", 0),
	    "a b [2Jc");
	CHECK_STR(etext("{\"message\":\"x\\u00a0y\"}", 0), "x\xc2\xa0y");
}

TEST(error_garbage)
{
	CHECK_STR(etext("<html><head><title>502 Bad Gateway</title></head>"
	    "<body><center><h1>502 Bad Gateway</h1></center><hr>nginx</body>"
	    "</html>", -EBADMSG), "unexpected response body: 502 Bad Gateway");
	CHECK_STR(etext("<html><body><h1>Service\nUnavailable</h1><p>try "
	    "later</p></body></html>", -EBADMSG),
	    "unexpected response body: Service Unavailable try later");
	CHECK_STR(etext("Internal Server Error\n", -EBADMSG),
	    "unexpected response body: Internal Server Error");
	CHECK_STR(etext("", -EBADMSG), "empty response body");
	CHECK_STR(etext(" \r\n\t", -EBADMSG), "empty response body");
	CHECK_STR(etext(NULL, -EBADMSG), "empty response body");
	CHECK_STR(etext("{\"message\": \"cut", -EBADMSG),
	    "unexpected response body: {\"message\": \"cut");
	CHECK_STR(etext("[\"a\"]", -EBADMSG), "unexpected response body: [\"a\"]");
	CHECK_STR(etext("{\"message\":5}", -EBADMSG),
	    "unexpected response body: {\"message\":5}");
	CHECK_STR(etext("{\"error\":\"x\"}", -EBADMSG),
	    "unexpected response body: {\"error\":\"x\"}");
	/* bytes that are not UTF-8 become '?' */
	CHECK_STR(etext("bad \xff\xfe bytes \xc3", -EBADMSG),
	    "unexpected response body: bad ?? bytes ?");
}

TEST(error_bounds)
{
	char body[3000], buf[64], small[8];
	size_t i, n;
	int rc;

	/* a long message is cut with "..." */
	n = (size_t)snprintf(body, sizeof(body), "{\"message\":\"");
	for (i = 0; i < 2000; i++)
		body[n++] = (char)('a' + i % 26);
	n += (size_t)snprintf(body + n, sizeof(body) - n, "\"}");
	CHECK_INT(mage_error_text(body, n, buf, sizeof(buf)), 0);
	CHECK_INT(strlen(buf), sizeof(buf) - 1);
	CHECK(strncmp(buf, "abcdefgh", 8) == 0);
	CHECK_STR(buf + strlen(buf) - 3, "...");

	/* ...at a character boundary: 2-byte characters, odd room */
	n = (size_t)snprintf(body, sizeof(body), "{\"message\":\"");
	for (i = 0; i < 100; i++) {
		body[n++] = '\xc3';
		body[n++] = '\xa9';
	}
	n += (size_t)snprintf(body + n, sizeof(body) - n, "\"}");
	CHECK_INT(mage_error_text(body, n, buf, 21), 0);
	CHECK_INT(strlen(buf), 19);	/* 8 x 2 bytes + "..." */
	CHECK_STR(buf + 16, "...");

	/* a huge non-JSON body: a short excerpt */
	memset(body, 'x', sizeof(body));
	CHECK_INT(mage_error_text(body, sizeof(body), buf, sizeof(buf)),
	    -EBADMSG);
	CHECK(strlen(buf) < sizeof(buf));
	CHECK_HAS(buf, "...");

	/* the body need not be NUL-terminated: only len bytes are read */
	memcpy(body, "{\"message\":\"ok\"}GARBAGE", 23);
	CHECK_INT(mage_error_text(body, 16, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "ok");

	CHECK_INT(mage_error_text("{}", 2, NULL, 10), -EINVAL);
	CHECK_INT(mage_error_text("{}", 2, small, 7), -EINVAL);
	rc = mage_error_text("{\"message\":\"abcdefghij\"}", 24, small,
	    sizeof(small));
	CHECK_INT(rc, 0);
	CHECK_STR(small, "abcd...");
}

/* ---- authorization ---------------------------------------------------- */

TEST(auth_bearer)
{
	struct mage_creds c = { MAGE_AUTH_BEARER, "tok123", NULL, NULL, NULL };
	char *h = NULL;

	CHECK_INT(mage_auth_header(&c, NULL, NULL, NULL, 0, &h), 0);
	CHECK_STR(h, "Authorization: Bearer tok123");
	free(h);
	c.access_token = "tok\r\nX-Evil: 1";
	CHECK_INT(mage_auth_header(&c, "GET", "https://h/", NULL, 0, &h),
	    -EINVAL);
	CHECK(h == NULL);
	c.access_token = "";
	CHECK_INT(mage_auth_header(&c, "GET", "https://h/", NULL, 0, &h),
	    -EINVAL);
	c.access_token = NULL;
	CHECK_INT(mage_auth_header(&c, "GET", "https://h/", NULL, 0, &h),
	    -EINVAL);
	CHECK_INT(mage_auth_header(NULL, "GET", "https://h/", NULL, 0, &h),
	    -EINVAL);
}

TEST(auth_oauth1)
{
	struct mage_creds c = { MAGE_AUTH_OAUTH1, "tok", "tsec", "ck", "csec" };
	const char *url = "https://h.example/rest/default/V1/orders?"
	    "searchCriteria%5BpageSize%5D=5";
	struct oauth1_req r;
	const char *prefix = "Authorization: OAuth oauth_consumer_key=\"ck\", "
	    "oauth_nonce=\"abc123\", oauth_signature=\"";
	char *h = NULL, *sig = NULL, *enc, want[256];
	struct pct_buf b = PCT_BUF_INIT;

	CHECK_INT(mage_auth_header(&c, "GET", url, "abc123", 1700000000, &h), 0);
	CHECK(h != NULL && strncmp(h, prefix, strlen(prefix)) == 0);
	CHECK_HAS(h, "oauth_signature_method=\"HMAC-SHA256\", "
	    "oauth_timestamp=\"1700000000\", oauth_token=\"tok\", "
	    "oauth_version=\"1.0\"");
	/* the signature is oauth1's for the same request */
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.url = url;
	r.consumer_key = "ck";
	r.consumer_secret = "csec";
	r.token = "tok";
	r.token_secret = "tsec";
	r.nonce = "abc123";
	r.timestamp = 1700000000;
	CHECK_INT(oauth1_signature(&r, &sig), 0);
	pct_enc(&b, sig ? sig : "", sig ? strlen(sig) : 0, NULL);
	enc = pct_steal(&b);
	snprintf(want, sizeof(want), "oauth_signature=\"%s\"", enc ? enc : "");
	CHECK_HAS(h, want);
	/* secrets never appear in the header */
	CHECK(h != NULL && strstr(h, "csec") == NULL && strstr(h, "tsec") == NULL);
	free(enc);
	free(sig);
	free(h);

	c.consumer_secret = NULL;
	CHECK_INT(mage_auth_header(&c, "GET", url, "n", 1, &h), -EINVAL);
	c.consumer_secret = "csec";
	CHECK_INT(mage_auth_header(&c, "GET", url, NULL, 1, &h), -EINVAL);
	CHECK_INT(mage_auth_header(&c, "GET", "not a url", "n", 1, &h),
	    -EINVAL);
	CHECK_INT(mage_auth_header(&c, "GET", url, "n\r\n", 1, &h), -EINVAL);
	c.auth = (enum mage_auth)9;
	CHECK_INT(mage_auth_header(&c, "GET", url, "n", 1, &h), -EINVAL);
	CHECK(h == NULL);
}

int
main(void)
{
	RUN(pct_codec);
	RUN(scopes);
	RUN(urls);
	RUN(url_segment_encoding);
	RUN(url_errors);
	RUN(sku_path_safe);
	RUN(cond_names);
	RUN(criteria_exact_orders);
	RUN(criteria_documented_examples);
	RUN(criteria_documented_sort_fields);
	RUN(criteria_hostile_values);
	RUN(criteria_every_condition);
	RUN(criteria_limits_and_errors);
	RUN(paging);
	RUN(paging_walk_legacy);
	RUN(error_parameters);
	RUN(error_placeholder_ten);
	RUN(error_nested);
	RUN(error_trace_and_lines);
	RUN(error_garbage);
	RUN(error_bounds);
	RUN(auth_bearer);
	RUN(auth_oauth1);
	return unit_done("test_mage");
}
