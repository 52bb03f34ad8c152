/* test_ship.c - the ship request (with the shipped sync_orders template in
 * front of it, as the process runs them) and what Magento's answers mean. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diag.h"
#include "fields.h"
#include "ship.h"
#include "tmpl.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char *
dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_REAL_PRECISION(15));
}

/* The payload of the default template for one shipment row. */
struct row {
	const char *carrier, *number, *method, *note;
};

static json_t *
default_payload(const struct row *r)
{
	const char *text[FIELDS_SOS_NSRCS] = { 0 };
	struct diag_list dl = { 0 };
	struct tmpl_src src = { 0 };
	struct tmpl *t;
	struct tmpl_out *o;
	json_t *p = NULL;

	text[FIELDS_SOS_CARRIER] = r->carrier;
	text[FIELDS_SOS_TRACKING_NUMBER] = r->number;
	text[FIELDS_SOS_METHOD] = r->method;
	text[FIELDS_SOS_NOTE] = r->note;
	text[FIELDS_SOS_SHIPPING_COST] = "4.95";
	text[FIELDS_SOS_SHIPPED_AT] = "2024-05-01 10:00:00+00";
	src.text = text;
	if ((t = tmpl_compile(NULL, "sync_orders.default", &dl)) == NULL ||
	    (o = tmpl_out_new()) == NULL) {
		UNIT_FAIL("template");
		tmpl_free(t);
		diag_clear(&dl);
		return NULL;
	}
	/* A missing Required field fails the apply; the payload holds the
	 * rest, as for the process. */
	(void)tmpl_apply(t, FIELDS_RECORD, &src, o);
	p = tmpl_out_take_payload(o);
	tmpl_out_free(o);
	tmpl_free(t);
	diag_clear(&dl);
	return p;
}

static const struct ship_item two_items[] = {
	{ 1701, "2.0000" },
	{ 1702, "1" },
};

TEST(default_template_full_body)
{
	struct row r = { "UPS", " 1z999aa10123456784 ", "Ground",
	    "Leave at the door" };
	struct ship_opts o = { 1, 1, 1, NULL, NULL };
	struct ship_track tr;
	char reason[SHIP_REASON_MAX] = "untouched";
	json_t *p, *body = NULL;
	char *s;

	CHECK((p = default_payload(&r)) != NULL);
	CHECK_INT(ship_body(p, two_items, 2, &o, &body, &tr, reason,
	    sizeof(reason)), 0);
	CHECK_STR(reason, "untouched");
	CHECK_INT(tr.carrier, TRACK_UPS);
	CHECK_STR(tr.number, "1Z999AA10123456784");
	s = dump(body);
	CHECK_STR(s, "{\"appendComment\":true,\"comment\":{\"comment\":"
	    "\"Leave at the door\",\"is_visible_on_front\":1},\"items\":"
	    "[{\"order_item_id\":1701,\"qty\":2},{\"order_item_id\":1702,"
	    "\"qty\":1}],\"notify\":true,\"tracks\":[{\"carrier_code\":\"ups\","
	    "\"title\":\"Ground\",\"track_number\":\"1Z999AA10123456784\"}]}");
	free(s);
	json_decref(body);
	json_decref(p);
}

TEST(flags_off_no_comment)
{
	struct row r = { "fedex", "123456789012", NULL, NULL };
	struct ship_opts o = { 0, 0, 0, NULL, NULL };
	struct ship_track tr;
	char reason[SHIP_REASON_MAX];
	json_t *p, *body = NULL;
	char *s;

	p = default_payload(&r);
	CHECK_INT(ship_body(p, two_items, 1, &o, &body, &tr, reason,
	    sizeof(reason)), 0);
	s = dump(body);
	CHECK_STR(s, "{\"appendComment\":false,\"items\":[{\"order_item_id\":"
	    "1701,\"qty\":2}],\"notify\":false,\"tracks\":[{\"carrier_code\":"
	    "\"fedex\",\"title\":\"Federal Express\",\"track_number\":"
	    "\"123456789012\"}]}");
	free(s);
	json_decref(body);
	json_decref(p);
}

static const struct {
	const char *carrier, *method, *number;
	const char *code, *title;
} carrier_cases[] = {
	{ "ups", NULL, "1Z999AA10123456784", "ups", "United Parcel Service" },
	{ "ups", "", "1Z999AA10123456784", "ups", "United Parcel Service" },
	{ "ups", "  ", "1Z999AA10123456784", "ups", "United Parcel Service" },
	{ "ups", "Next Day Air", "1Z999AA10123456784", "ups", "Next Day Air" },
	{ "ups", " Next Day Air ", "1Z999AA10123456784", "ups",
	    "Next Day Air" },
	{ "United Parcel Service", NULL, "1Z999AA10123456784", "ups",
	    "United Parcel Service" },
	{ "FedEx Ground", NULL, "123456789012", "fedex", "Federal Express" },
	{ "FedEx Ground", "Home Delivery", "123456789012", "fedex",
	    "Home Delivery" },
	{ "U.S. Postal Service", NULL, "EA123456785US", "usps",
	    "United States Postal Service" },
	{ "usps", "Priority Mail", "9400100000000000000001", "usps",
	    "Priority Mail" },
	{ "DHL Express", NULL, "1234567890", "dhl", "DHL" },
	{ "DHL", "Express Worldwide", "1234567890", "dhl",
	    "Express Worldwide" },
	/* Other carriers: custom, titled with their own name. */
	{ "DPD", "Classic", "05222618000123", "custom", "DPD" },
	{ " Royal Mail ", NULL, "RB123456785GB", "custom", "Royal Mail" },
	{ "DHL eCommerce", NULL, "GM2951173225174494", "custom",
	    "DHL eCommerce" },
	{ "Österreichische Post", NULL, "1234-5678", "custom",
	    "Österreichische Post" },
};

TEST(carriers_and_titles)
{
	struct ship_opts o = { 0, 1, 0, NULL, NULL };
	struct ship_track tr;
	char reason[SHIP_REASON_MAX];
	json_t *p, *body, *t0;
	size_t i;

	for (i = 0; i < N(carrier_cases); i++) {
		struct row r = { carrier_cases[i].carrier,
		    carrier_cases[i].number, carrier_cases[i].method, NULL };

		body = NULL;
		p = default_payload(&r);
		if (ship_body(p, two_items, 2, &o, &body, &tr, reason,
		    sizeof(reason)) != 0) {
			UNIT_FAIL("case %zu (%s): %s", i, r.carrier, reason);
			json_decref(p);
			continue;
		}
		t0 = json_array_get(json_object_get(body, "tracks"), 0);
		CHECK_STR(json_string_value(json_object_get(t0,
		    "carrier_code")), carrier_cases[i].code);
		CHECK_STR(json_string_value(json_object_get(t0, "title")),
		    carrier_cases[i].title);
		CHECK_INT(json_array_size(json_object_get(body, "tracks")), 1);
		json_decref(body);
		json_decref(p);
	}
}

static const struct {
	struct row r;
	const char *reason;
} invalid_cases[] = {
	{ { "ups", "1Z999AA10123456785", NULL, NULL }, "check digit" },
	{ { "ups", "1Z999AA10123456784,1Z879E930346834440", NULL, NULL },
	    "more than one tracking number: a comma inside" },
	{ { "fedex", "1234 5678 9012", NULL, NULL }, "a space inside" },
	{ { "fedex", "1234567890", NULL, NULL }, "not a FedEx tracking" },
	{ { "dhl", "JJD0099999", NULL, NULL }, "not a DHL Express" },
	{ { "usps", "EA12345678US", NULL, NULL }, "not a USPS" },
	{ { "DPD", "x", NULL, NULL }, "4 to 40 letters" },
	{ { "DPD", "1234567890123456789012345678901234567890123", NULL, NULL },
	    "too long: 43 characters" },
	{ { "DPD", "", NULL, NULL }, "no tracking number" },
	{ { "DPD", NULL, NULL, NULL }, "no tracking number" },
	{ { "", "1234567890", NULL, NULL }, "no carrier" },
	{ { NULL, "1234567890", NULL, NULL }, "no carrier" },
	{ { "  ", "1234567890", NULL, NULL }, "no carrier" },
};

TEST(invalid_shipments)
{
	struct ship_opts o = { 0, 1, 0, NULL, NULL };
	struct ship_track tr;
	char reason[SHIP_REASON_MAX];
	json_t *p, *body;
	size_t i;

	for (i = 0; i < N(invalid_cases); i++) {
		body = (json_t *)&o;	/* must become NULL */
		reason[0] = '\0';
		p = default_payload(&invalid_cases[i].r);
		CHECK_INT(ship_body(p, two_items, 2, &o, &body, &tr, reason,
		    sizeof(reason)), SHIP_EINVALID);
		CHECK(body == NULL);
		CHECK_HAS(reason, invalid_cases[i].reason);
		json_decref(p);
	}
}

static const struct {
	const char *qty;
	const char *want;	/* the items text, or NULL: invalid */
} qty_cases[] = {
	{ "1", "[{\"order_item_id\":7,\"qty\":1}]" },
	{ "2.0000", "[{\"order_item_id\":7,\"qty\":2}]" },
	{ "1.5", "[{\"order_item_id\":7,\"qty\":1.5}]" },
	{ "0.25", "[{\"order_item_id\":7,\"qty\":0.25}]" },
	{ "1e3", "[{\"order_item_id\":7,\"qty\":1000}]" },
	{ "100000", "[{\"order_item_id\":7,\"qty\":100000}]" },
	{ "0", NULL },
	{ "0.0000", NULL },
	{ "-1", NULL },
	{ "", NULL },
	{ "abc", NULL },
	{ "1x", NULL },
	{ "nan", NULL },
	{ "inf", NULL },
	{ NULL, NULL },
};

TEST(quantities)
{
	struct row r = { "dhl", "1234567890", NULL, NULL };
	struct ship_opts o = { 0, 1, 0, NULL, NULL };
	struct ship_item it;
	struct ship_track tr;
	char reason[SHIP_REASON_MAX], *s;
	json_t *p, *body;
	size_t i;
	int rc;

	p = default_payload(&r);
	for (i = 0; i < N(qty_cases); i++) {
		it.order_item_id = 7;
		it.qty = qty_cases[i].qty;
		body = NULL;
		rc = ship_body(p, &it, 1, &o, &body, &tr, reason,
		    sizeof(reason));
		if (qty_cases[i].want == NULL) {
			CHECK_INT(rc, SHIP_EINVALID);
			CHECK_HAS(reason, "is not a positive number");
			continue;
		}
		CHECK_INT(rc, 0);
		s = ship_items_text(body);
		CHECK_STR(s, qty_cases[i].want);
		free(s);
		json_decref(body);
	}
	/* No items, or an item without an id. */
	body = NULL;
	CHECK_INT(ship_body(p, NULL, 0, &o, &body, &tr, reason,
	    sizeof(reason)), SHIP_EINVALID);
	CHECK_STR(reason, "nothing to ship: no items");
	it.order_item_id = 0;
	it.qty = "1";
	CHECK_INT(ship_body(p, &it, 1, &o, &body, &tr, reason,
	    sizeof(reason)), SHIP_EINVALID);
	CHECK_HAS(reason, "has no Magento order item id");
	json_decref(p);
}

TEST(extension_attributes_merge)
{
	struct row r = { "dhl", "1234567890", NULL, NULL };
	struct ship_opts o = { 0, 1, 0, NULL, NULL };
	struct ship_track tr;
	char reason[SHIP_REASON_MAX], *s;
	json_t *p, *body = NULL, *setting, *row, *bad;

	p = default_payload(&r);
	setting = json_loads("{\"source_code\":\"default\",\"a\":1}", 0, NULL);
	row = json_loads("{\"source_code\":\"eu_warehouse\"}", 0, NULL);
	o.ext_setting = setting;
	CHECK_INT(ship_body(p, two_items, 1, &o, &body, &tr, reason,
	    sizeof(reason)), 0);
	s = dump(json_object_get(body, "arguments"));
	CHECK_STR(s, "{\"extension_attributes\":{\"a\":1,\"source_code\":"
	    "\"default\"}}");
	free(s);
	json_decref(body);

	/* The shipment's own column wins over the job's setting. */
	o.ext_row = row;
	CHECK_INT(ship_body(p, two_items, 1, &o, &body, &tr, reason,
	    sizeof(reason)), 0);
	s = dump(json_object_get(body, "arguments"));
	CHECK_STR(s, "{\"extension_attributes\":{\"a\":1,\"source_code\":"
	    "\"eu_warehouse\"}}");
	free(s);
	json_decref(body);

	/* The template's mapped fields win over both. */
	json_object_set_new(p, "arguments", json_pack("{s:{s:s,s:f}}",
	    "extension_attributes", "source_code", "mapped", "shipping_cost",
	    4.95));
	CHECK_INT(ship_body(p, two_items, 1, &o, &body, &tr, reason,
	    sizeof(reason)), 0);
	s = dump(json_object_get(body, "arguments"));
	CHECK_STR(s, "{\"extension_attributes\":{\"a\":1,\"shipping_cost\":"
	    "4.95,\"source_code\":\"mapped\"}}");
	free(s);
	json_decref(body);
	json_object_del(p, "arguments");

	/* Empty objects and JSON null add nothing: no arguments at all. */
	bad = json_object();
	o.ext_setting = bad;
	o.ext_row = json_null();
	CHECK_INT(ship_body(p, two_items, 1, &o, &body, &tr, reason,
	    sizeof(reason)), 0);
	CHECK(json_object_get(body, "arguments") == NULL);
	json_decref(body);
	json_decref(bad);

	/* Not an object: the shipment is invalid, and says whose it is. */
	bad = json_loads("[1,2]", 0, NULL);
	o.ext_setting = NULL;
	o.ext_row = bad;
	CHECK_INT(ship_body(p, two_items, 1, &o, &body, &tr, reason,
	    sizeof(reason)), SHIP_EINVALID);
	CHECK_STR(reason, "the shipment's extension_attributes is not a JSON "
	    "object");
	o.ext_row = NULL;
	o.ext_setting = bad;
	CHECK_INT(ship_body(p, two_items, 1, &o, &body, &tr, reason,
	    sizeof(reason)), SHIP_EINVALID);
	CHECK_HAS(reason, "the job's extension_attributes");
	json_decref(bad);
	json_decref(setting);
	json_decref(row);
	json_decref(p);
}

TEST(comment_source_and_visibility)
{
	struct row r = { "dhl", "1234567890", NULL, "  " };
	struct ship_opts o = { 0, 1, 0, NULL, NULL };
	struct ship_track tr;
	char reason[SHIP_REASON_MAX], *s;
	json_t *p, *body = NULL;

	/* A blank note is no comment. */
	p = default_payload(&r);
	CHECK_INT(ship_body(p, two_items, 1, &o, &body, &tr, reason,
	    sizeof(reason)), 0);
	CHECK(json_object_get(body, "comment") == NULL);
	json_decref(body);
	json_decref(p);

	r.note = "Ha\xc3\xa4ndle with care \"please\"";
	p = default_payload(&r);
	CHECK_INT(ship_body(p, two_items, 1, &o, &body, &tr, reason,
	    sizeof(reason)), 0);
	s = dump(json_object_get(body, "comment"));
	CHECK_STR(s, "{\"comment\":\"Ha\xc3\xa4ndle with care \\\"please\\\"\","
	    "\"is_visible_on_front\":0}");
	free(s);
	json_decref(body);
	json_decref(p);

	/* No template payload at all: nothing to read a carrier from. */
	CHECK_INT(ship_body(NULL, two_items, 1, NULL, &body, &tr, reason,
	    sizeof(reason)), SHIP_EINVALID);
	CHECK_STR(reason, "no carrier");
}

TEST(track_only)
{
	struct row r = { "U.P.S.", " 1z999aa10123456784\n", "Ground", NULL };
	struct ship_track tr;
	char reason[SHIP_REASON_MAX];
	json_t *p;

	p = default_payload(&r);
	CHECK_INT(ship_track(p, &tr, reason, sizeof(reason)), 0);
	CHECK_INT(tr.carrier, TRACK_UPS);
	CHECK_STR(tr.number, "1Z999AA10123456784");
	json_decref(p);
	r.carrier = "Hermes";
	r.number = "AB 12";
	p = default_payload(&r);
	CHECK_INT(ship_track(p, &tr, reason, sizeof(reason)), SHIP_EINVALID);
	CHECK_HAS(reason, "a space inside");
	json_decref(p);
	CHECK_INT(ship_track(NULL, &tr, reason, sizeof(reason)), SHIP_EINVALID);
	CHECK_STR(reason, "no carrier");
}

static const struct {
	enum ship_transport t;
	int status;
	const char *body;
	enum ship_outcome want;
	int64_t id;
} outcome_cases[] = {
	{ SHIP_T_RESPONSE, 200, "\"17\"", SHIP_CREATED, 17 },
	{ SHIP_T_RESPONSE, 200, "17", SHIP_CREATED, 17 },
	{ SHIP_T_RESPONSE, 200, " \"123456789012\" ", SHIP_CREATED,
	    123456789012LL },
	{ SHIP_T_RESPONSE, 201, "5", SHIP_CREATED, 5 },
	{ SHIP_T_RESPONSE, 200, "\"\"", SHIP_UNKNOWN, 0 },
	{ SHIP_T_RESPONSE, 200, "\"-3\"", SHIP_UNKNOWN, 0 },
	{ SHIP_T_RESPONSE, 200, "0", SHIP_UNKNOWN, 0 },
	{ SHIP_T_RESPONSE, 200, "\"17x\"", SHIP_UNKNOWN, 0 },
	{ SHIP_T_RESPONSE, 200, "true", SHIP_UNKNOWN, 0 },
	{ SHIP_T_RESPONSE, 200, "{\"id\":17}", SHIP_UNKNOWN, 0 },
	{ SHIP_T_RESPONSE, 200, "<html>", SHIP_UNKNOWN, 0 },
	{ SHIP_T_RESPONSE, 200, "", SHIP_UNKNOWN, 0 },
	{ SHIP_T_RESPONSE, 200, NULL, SHIP_UNKNOWN, 0 },
	{ SHIP_T_RESPONSE, 200, "1.5", SHIP_UNKNOWN, 0 },
	{ SHIP_T_RESPONSE, 400, "{\"message\":\"Shipment Document Validation "
	    "Error(s):\\nYou can't create a shipment without products.\"}",
	    SHIP_MISMATCH, 0 },
	{ SHIP_T_RESPONSE, 400, "{\"message\":\"Shipment Document Validation "
	    "Error(s):\\nThe shipment contains product SKU \\\"%1\\\" that is "
	    "not part of the original order.\",\"parameters\":[\"MH01\"]}",
	    SHIP_MISMATCH, 0 },
	{ SHIP_T_RESPONSE, 400, "{\"message\":\"Shipment Document Validation "
	    "Error(s):\\nThe order does not allow a shipment to be created.\"}",
	    SHIP_REFUSED, 0 },
	{ SHIP_T_RESPONSE, 400, "{\"message\":\"Shipment Document Validation "
	    "Error(s):\\nThe quantity to ship must not be greater than the "
	    "unshipped quantity for product SKU \\\"MH01\\\".\"}",
	    SHIP_REFUSED, 0 },
	{ SHIP_T_RESPONSE, 400, "not json at all", SHIP_REFUSED, 0 },
	{ SHIP_T_RESPONSE, 401, "{\"message\":\"The consumer isn't authorized "
	    "to access %resources.\"}", SHIP_REFUSED, 0 },
	{ SHIP_T_RESPONSE, 404, "{\"message\":\"The entity that was requested "
	    "doesn't exist. Verify the entity and try again.\"}",
	    SHIP_REFUSED, 0 },
	{ SHIP_T_RESPONSE, 408, NULL, SHIP_REFUSED, 0 },
	{ SHIP_T_RESPONSE, 429, "", SHIP_REFUSED, 0 },
	{ SHIP_T_RESPONSE, 503, "<html>maintenance</html>", SHIP_REFUSED, 0 },
	{ SHIP_T_RESPONSE, 500, "{\"message\":\"Internal Error.\"}",
	    SHIP_UNKNOWN, 0 },
	{ SHIP_T_RESPONSE, 502, "", SHIP_UNKNOWN, 0 },
	{ SHIP_T_RESPONSE, 504, "", SHIP_UNKNOWN, 0 },
	{ SHIP_T_RESPONSE, 599, "", SHIP_UNKNOWN, 0 },
	{ SHIP_T_RESPONSE, 301, "", SHIP_REFUSED, 0 },
	{ SHIP_T_RESPONSE, 0, NULL, SHIP_UNKNOWN, 0 },
	{ SHIP_T_NOT_SENT, 0, NULL, SHIP_REFUSED, 0 },
	{ SHIP_T_LOST, 0, NULL, SHIP_UNKNOWN, 0 },
	{ SHIP_T_LOST, 200, "\"17\"", SHIP_UNKNOWN, 0 },
};

TEST(outcomes)
{
	enum ship_outcome got;
	int64_t id;
	size_t i;
	const char *b;

	for (i = 0; i < N(outcome_cases); i++) {
		id = 0;
		b = outcome_cases[i].body;
		got = ship_outcome(outcome_cases[i].t, outcome_cases[i].status,
		    b, b ? strlen(b) : 0, &id);
		if (got != outcome_cases[i].want)
			UNIT_FAIL("case %zu (%d %s): %s, want %s", i,
			    outcome_cases[i].status, b ? b : "(null)",
			    ship_outcome_name(got),
			    ship_outcome_name(outcome_cases[i].want));
		CHECK_INT(id, outcome_cases[i].id);
	}
	CHECK_STR(ship_outcome_name(SHIP_UNKNOWN), "unknown");
	CHECK_STR(ship_outcome_name((enum ship_outcome)9), NULL);
}

static const char shipments[] =
    "{\"items\":["
    "{\"entity_id\":3,\"order_id\":9,\"tracks\":[{\"track_number\":"
    "\"1234567890\",\"carrier_code\":\"dhl\"}],\"items\":[{\"order_item_id\":"
    "145,\"qty\":1}]},"
    "{\"entity_id\":\"8\",\"order_id\":9,\"tracks\":[{\"track_number\":"
    "\"EA123456785US\"},{\"track_number\":\" 1z999aa10123456784 \"}],"
    "\"items\":[{\"order_item_id\":\"145\",\"qty\":2.5},{\"order_item_id\":"
    "146,\"qty\":1,\"sku\":\"X\"},{\"order_item_id\":null,\"qty\":1}]},"
    "{\"entity_id\":12,\"order_id\":9,\"tracks\":[{\"track_number\":"
    "\"1234567890\"}],\"items\":[{\"order_item_id\":147,\"qty\":4}]},"
    "{\"order_id\":9,\"tracks\":[{\"track_number\":\"NOID1234\"}]}"
    "],\"total_count\":4}";

TEST(find_in_magento)
{
	int64_t id = 0, skip3[] = { 3 }, skip_all[] = { 3, 12 };
	char *items = NULL;

	CHECK_INT(ship_find(shipments, strlen(shipments), "1Z999AA10123456784",
	    NULL, 0, &id, &items), 1);
	CHECK_INT(id, 8);
	CHECK_STR(items, "[{\"order_item_id\":145,\"qty\":2.5},"
	    "{\"order_item_id\":146,\"qty\":1}]");
	free(items);
	CHECK_INT(ship_find(shipments, strlen(shipments), "ea123456785us",
	    NULL, 0, &id, &items), 1);
	CHECK_INT(id, 8);
	free(items);

	/* The first match that is not someone else's already. */
	CHECK_INT(ship_find(shipments, strlen(shipments), "1234567890", NULL, 0,
	    &id, &items), 1);
	CHECK_INT(id, 3);
	CHECK_STR(items, "[{\"order_item_id\":145,\"qty\":1}]");
	free(items);
	CHECK_INT(ship_find(shipments, strlen(shipments), "1234567890", skip3,
	    1, &id, &items), 1);
	CHECK_INT(id, 12);
	free(items);
	id = -1;
	CHECK_INT(ship_find(shipments, strlen(shipments), "1234567890",
	    skip_all, 2, &id, &items), 0);
	CHECK_INT(id, -1);
	CHECK(items == NULL);

	/* Not there; a shipment without an id never matches. */
	CHECK_INT(ship_find(shipments, strlen(shipments), "9999999999", NULL, 0,
	    &id, &items), 0);
	CHECK_INT(ship_find(shipments, strlen(shipments), "NOID1234", NULL, 0,
	    &id, &items), 0);
	CHECK_INT(ship_find(shipments, strlen(shipments), "", NULL, 0, &id,
	    &items), 0);
	CHECK_INT(ship_find("{\"items\":[],\"total_count\":0}", 28, "1234567890",
	    NULL, 0, &id, &items), 0);

	/* Not a search result. */
	CHECK_INT(ship_find("{\"message\":\"x\"}", 15, "1", NULL, 0, &id,
	    &items), -EBADMSG);
	CHECK_INT(ship_find("[]", 2, "1", NULL, 0, &id, &items), -EBADMSG);
	CHECK_INT(ship_find("<html>", 6, "1", NULL, 0, &id, &items), -EBADMSG);
	CHECK_INT(ship_find(NULL, 0, "1", NULL, 0, &id, &items), -EBADMSG);
	CHECK_INT(ship_find(shipments, 40, "1234567890", NULL, 0, &id, &items),
	    -EBADMSG);
	CHECK(items == NULL);
}

TEST(items_text)
{
	json_t *b;
	char *s;

	b = json_loads("{\"items\":[{\"order_item_id\":1,\"qty\":3},"
	    "{\"order_item_id\":\"2\",\"qty\":0.5},{\"qty\":1},"
	    "{\"order_item_id\":4,\"qty\":\"1\"}]}", 0, NULL);
	s = ship_items_text(b);
	CHECK_STR(s, "[{\"order_item_id\":1,\"qty\":3},{\"order_item_id\":2,"
	    "\"qty\":0.5}]");
	free(s);
	json_decref(b);
	b = json_loads("{\"items\":[]}", 0, NULL);
	s = ship_items_text(b);
	CHECK_STR(s, "[]");
	free(s);
	json_decref(b);
	b = json_loads("{}", 0, NULL);
	CHECK(ship_items_text(b) == NULL);
	json_decref(b);
	CHECK(ship_items_text(NULL) == NULL);
}

int
main(void)
{
	RUN(default_template_full_body);
	RUN(flags_off_no_comment);
	RUN(carriers_and_titles);
	RUN(invalid_shipments);
	RUN(quantities);
	RUN(extension_attributes_merge);
	RUN(comment_source_and_visibility);
	RUN(track_only);
	RUN(outcomes);
	RUN(find_in_magento);
	RUN(items_text);
	return unit_done("test_ship");
}
