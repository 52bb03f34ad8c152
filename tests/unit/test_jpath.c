/* test_jpath.c - paths into Magento's JSON: syntax, reading, writing. */
#include <stdlib.h>
#include <string.h>

#include "jpath.h"
#include "unit.h"

static const char product[] =
    "{\"sku\":\"A-1\",\"price\":29.99,\"status\":1,\"weight\":null,"
    "\"custom_attributes\":["
    "{\"attribute_code\":\"description\",\"value\":\"<p>Soft</p>\"},"
    "{\"attribute_code\":\"color\",\"value\":\"49\"},"
    "{\"attribute_code\":\"novalue\"},"
    "{\"value\":\"orphan\"},"
    "\"junk\"],"
    "\"extension_attributes\":{\"stock_item\":{\"qty\":5,\"min_qty\":0},"
    "\"category_links\":[{\"category_id\":\"3\",\"position\":0}]},"
    "\"media_gallery_entries\":[{\"id\":1,\"file\":\"/a/b.jpg\"},"
    "{\"id\":2},{\"id\":3,\"file\":\"/c.png\"}],"
    "\"matrix\":[[1,2],[3,4]],"
    "\"tags\":[\"x\",\"y\"]}";

/* Compact JSON of what path yields in doc, "(missing)" or "(bad path)". */
static char *
get_text(const char *path, const char *doc)
{
	static char out[512];
	char err[128];
	struct jpath *p = jpath_new(path, err, sizeof(err));
	json_t *root = json_loads(doc, JSON_DECODE_ANY, NULL), *v;
	char *s;

	if (p == NULL) {
		json_decref(root);
		snprintf(out, sizeof(out), "(bad path)");
		return out;
	}
	v = jpath_get(p, root);
	if (v == NULL) {
		snprintf(out, sizeof(out), "(missing)");
	} else {
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
		    JSON_REAL_PRECISION(15));
		snprintf(out, sizeof(out), "%s", s ? s : "(dump failed)");
		free(s);
	}
	json_decref(v);
	json_decref(root);
	jpath_free(p);
	return out;
}

TEST(syntax_good)
{
	static const struct {
		const char *path;
		int multi;
	} cases[] = {
		{ "sku", 0 },
		{ "extension_attributes.stock_item.qty", 0 },
		{ "media_gallery_entries[0].file", 0 },
		{ "media_gallery_entries[].file", 1 },
		{ "[0]", 0 },
		{ "[]", 1 },
		{ "matrix[1][0]", 0 },
		{ "a[][]", 1 },
		{ "custom_attributes.color", 0 },
		{ "with space.and-dash", 0 },
		{ "x[12345678]", 0 },
	};
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jpath *p = jpath_new(cases[i].path, err, sizeof(err));

		CHECK(p != NULL);
		if (p == NULL) {
			UNIT_FAIL("%s: %s", cases[i].path, err);
			continue;
		}
		CHECK_STR(jpath_text(p), cases[i].path);
		CHECK_INT(jpath_is_multi(p), cases[i].multi);
		jpath_free(p);
	}
	jpath_free(NULL);
}

TEST(syntax_bad)
{
	static const struct {
		const char *path;
		const char *msg;
	} cases[] = {
		{ "", "empty path" },
		{ ".", "empty key" },
		{ "a.", "empty key" },
		{ ".a", "empty key" },
		{ "a..b", "empty key" },
		{ "a[", "expected [N] or []" },
		{ "a[x]", "expected [N] or []" },
		{ "a[1", "expected [N] or []" },
		{ "a[-1]", "expected [N] or []" },
		{ "a]", "unexpected ']'" },
		{ "a[0]b", "unexpected ']'" },
		{ "a.[0]", "empty key" },
		{ "a[123456789]", "index too large" },
	};
	char err[128], longp[700], many[200];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jpath *p = jpath_new(cases[i].path, err, sizeof(err));

		CHECK(p == NULL);
		jpath_free(p);
		CHECK_HAS(err, "bad JSON path");
		CHECK_HAS(err, cases[i].msg);
	}
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	CHECK(jpath_new(longp, err, sizeof(err)) == NULL);
	CHECK_HAS(err, "longer than 512");
	/* 33 segments: one too many. */
	many[0] = '\0';
	for (i = 0; i < 33; i++)
		strcat(many, i ? ".a" : "a");
	CHECK(jpath_new(many, err, sizeof(err)) == NULL);
	CHECK_HAS(err, "too many segments");
	many[strlen(many) - 2] = '\0';
	{
		struct jpath *p = jpath_new(many, err, sizeof(err));

		CHECK(p != NULL);
		jpath_free(p);
	}
	CHECK(jpath_new(NULL, err, sizeof(err)) == NULL);
	CHECK(jpath_new("", NULL, 0) == NULL);
}

TEST(get)
{
	static const struct {
		const char *path;
		const char *want;
	} cases[] = {
		{ "sku", "\"A-1\"" },
		{ "price", "29.99" },
		{ "weight", "null" },
		{ "missing", "(missing)" },
		{ "sku.deeper", "(missing)" },
		{ "extension_attributes.stock_item.qty", "5" },
		{ "extension_attributes.stock_item.min_qty", "0" },
		{ "extension_attributes.stock_item.max_qty", "(missing)" },
		{ "extension_attributes.category_links[0].category_id", "\"3\"" },
		{ "media_gallery_entries[0].file", "\"/a/b.jpg\"" },
		{ "media_gallery_entries[1].file", "(missing)" },
		{ "media_gallery_entries[3].file", "(missing)" },
		{ "media_gallery_entries[2]", "{\"id\":3,\"file\":\"/c.png\"}" },
		{ "media_gallery_entries[].file", "[\"/a/b.jpg\",\"/c.png\"]" },
		{ "media_gallery_entries[].id", "[1,2,3]" },
		{ "media_gallery_entries[].nothing", "[]" },
		{ "sku[]", "(missing)" },
		{ "sku[0]", "(missing)" },
		{ "matrix[1][0]", "3" },
		{ "matrix[][1]", "[2,4]" },
		{ "matrix[][]", "[[1,2],[3,4]]" },
		{ "tags[1]", "\"y\"" },
		{ "custom_attributes.description", "\"<p>Soft</p>\"" },
		{ "custom_attributes.color", "\"49\"" },
		{ "custom_attributes.size", "(missing)" },
		{ "custom_attributes.novalue", "(missing)" },
		{ "custom_attributes.orphan", "(missing)" },
		{ "custom_attributes[1].value", "\"49\"" },
		{ "custom_attributes.color.x", "(missing)" },
		{ "extension_attributes[0]", "(missing)" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = get_text(cases[i].path, product);

		if (strcmp(got, cases[i].want) != 0)
			UNIT_FAIL("%s: got %s, want %s", cases[i].path, got,
			    cases[i].want);
	}
	CHECK_STR(get_text("[1]", "[10,20]"), "20");
	CHECK_STR(get_text("[]", "[10,null,20]"), "[10,20]");
	CHECK_STR(get_text("a", "\"text\""), "(missing)");
}

TEST(get_null_root)
{
	struct jpath *p = jpath_new("a", NULL, 0);

	CHECK(p != NULL);
	CHECK(jpath_get(p, NULL) == NULL);
	jpath_free(p);
}

TEST(get_keeps_source)
{
	json_t *root = json_loads(product, 0, NULL), *v;
	struct jpath *p = jpath_new("sku", NULL, 0);

	v = jpath_get(p, root);
	CHECK(v == json_object_get(root, "sku"));
	json_decref(v);
	/* the source still owns its value */
	CHECK_STR(json_string_value(json_object_get(root, "sku")), "A-1");
	json_decref(root);
	jpath_free(p);
}

/* Set path to the JSON text value in doc (an object); compact result, or
 * "(fail)". */
static char *
set_text(const char *doc, const char *path, const char *value)
{
	static char out[1024];
	json_t *root = json_loads(doc, JSON_DECODE_ANY, NULL);
	struct jpath *p = jpath_new(path, NULL, 0);
	char *s;

	if (p == NULL || jpath_set(p, root, json_loads(value, JSON_DECODE_ANY,
	    NULL)) < 0) {
		snprintf(out, sizeof(out), "(fail)");
	} else {
		s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(out, sizeof(out), "%s", s);
		free(s);
	}
	json_decref(root);
	jpath_free(p);
	return out;
}

TEST(set)
{
	static const struct {
		const char *doc, *path, *value, *want;
	} cases[] = {
		{ "{}", "sku", "\"A\"", "{\"sku\":\"A\"}" },
		{ "{\"sku\":\"B\"}", "sku", "\"A\"", "{\"sku\":\"A\"}" },
		{ "{}", "extension_attributes.stock_item.qty", "5",
		    "{\"extension_attributes\":{\"stock_item\":{\"qty\":5}}}" },
		{ "{\"extension_attributes\":{\"stock_item\":{\"qty\":1}}}",
		    "extension_attributes.stock_item.is_in_stock", "true",
		    "{\"extension_attributes\":{\"stock_item\":"
		    "{\"is_in_stock\":true,\"qty\":1}}}" },
		{ "{}", "custom_attributes.description", "\"d\"",
		    "{\"custom_attributes\":[{\"attribute_code\":"
		    "\"description\",\"value\":\"d\"}]}" },
		{ "{\"custom_attributes\":[{\"attribute_code\":\"a\","
		    "\"value\":\"1\"},{\"attribute_code\":\"b\",\"value\":\"2\"}]}",
		    "custom_attributes.b", "\"3\"",
		    "{\"custom_attributes\":[{\"attribute_code\":\"a\","
		    "\"value\":\"1\"},{\"attribute_code\":\"b\",\"value\":\"3\"}]}" },
		{ "{\"custom_attributes\":[{\"attribute_code\":\"a\","
		    "\"value\":\"1\"}]}", "custom_attributes.c", "\"\"",
		    "{\"custom_attributes\":[{\"attribute_code\":\"a\","
		    "\"value\":\"1\"},{\"attribute_code\":\"c\",\"value\":\"\"}]}" },
		{ "{}", "tracks[0].carrier_code", "\"ups\"",
		    "{\"tracks\":[{\"carrier_code\":\"ups\"}]}" },
		{ "{\"tracks\":[{\"carrier_code\":\"ups\"}]}",
		    "tracks[0].track_number", "\"1Z\"",
		    "{\"tracks\":[{\"carrier_code\":\"ups\",\"track_number\":"
		    "\"1Z\"}]}" },
		{ "{}", "a[2]", "1", "{\"a\":[null,null,1]}" },
		{ "{\"a\":[5,6]}", "a[0]", "1", "{\"a\":[1,6]}" },
		{ "{}", "a[0][1]", "1", "{\"a\":[[null,1]]}" },
		{ "{\"a\":null}", "a.b", "1", "{\"a\":{\"b\":1}}" },
		{ "{}", "media_gallery_entries", "[]",
		    "{\"media_gallery_entries\":[]}" },
		{ "{\"sku\":\"x\"}", "sku.deeper", "1", "(fail)" },
		/* a key on an array is an attribute code, at any depth */
		{ "{\"a\":[]}", "a.b.c", "1", "{\"a\":[{\"attribute_code\":"
		    "\"b\",\"value\":{\"c\":1}}]}" },
		{ "{}", "a[]", "1", "(fail)" },
		{ "{}", "a[5000]", "1", "(fail)" },
		{ "{}", "[0]", "1", "(fail)" },
		{ "[]", "a", "1", "(fail)" },
		{ "{\"a\":{}}", "a[0]", "1", "(fail)" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = set_text(cases[i].doc, cases[i].path,
		    cases[i].value);

		if (strcmp(got, cases[i].want) != 0)
			UNIT_FAIL("%s in %s: got %s, want %s", cases[i].path,
			    cases[i].doc, got, cases[i].want);
	}
}

TEST(set_then_get)
{
	static const char *const paths[] = {
		"sku", "a.b.c", "custom_attributes.upc", "tracks[0].title",
		"x[3].y", "arguments.extension_attributes.shipped_at",
	};
	json_t *root = json_object(), *v;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct jpath *p = jpath_new(paths[i], NULL, 0);

		CHECK(jpath_set(p, root, json_integer((json_int_t)i)) == 0);
		v = jpath_get(p, root);
		CHECK(json_is_integer(v));
		CHECK_INT(json_integer_value(v), i);
		json_decref(v);
		jpath_free(p);
	}
	json_decref(root);
}

int
main(void)
{
	RUN(syntax_good);
	RUN(syntax_bad);
	RUN(get);
	RUN(get_null_root);
	RUN(get_keeps_source);
	RUN(set);
	RUN(set_then_get);
	return unit_done("test_jpath");
}
