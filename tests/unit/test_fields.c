/* test_fields.c - the field catalogues against SPEC §7's field tables, and
 * the shipped default templates rendered from them.
 *
 * The tables below are written from SPEC §7 as the spec words them (labels,
 * Required marks, the variant/item/billing/shipping prefixes); the test
 * derives each name with SPEC §5's rule (lower case, spaces as '_') rather
 * than trusting the catalogue's. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "jpath.h"
#include "tmpl.h"
#include "unit.h"

#define REQ 1
#define OPT 0
#define REQ_UNLESS_NONE 2

struct spec_field {
	const char *prefix;	/* "", "variant.", "item.", ... */
	const char *label;	/* as SPEC §7 writes it */
	int required;
	enum fields_type type;	/* our choice where SPEC says nothing */
};

#define END { NULL, NULL, 0, FIELDS_TEXT }

/* import_listings: SKU (sku, Required), Master SKU (Required unless
 * none), Name (Required), Description, Price, Quantity, Images, Category
 * One/Two/Three, Variant SKU, Variant UPC, Variant Quantity, Variant
 * Price. */
static const struct spec_field spec_import[] = {
	{ "", "SKU", REQ, FIELDS_TEXT },
	{ "", "Master SKU", REQ_UNLESS_NONE, FIELDS_TEXT },
	{ "", "Name", REQ, FIELDS_TEXT },
	{ "", "Description", OPT, FIELDS_TEXT },
	{ "", "Price", OPT, FIELDS_NUMBER },
	{ "", "Quantity", OPT, FIELDS_NUMBER },
	{ "", "Images", OPT, FIELDS_TEXT_ARRAY },
	{ "", "Category One", OPT, FIELDS_TEXT },
	{ "", "Category Two", OPT, FIELDS_TEXT },
	{ "", "Category Three", OPT, FIELDS_TEXT },
	{ "variant.", "SKU", OPT, FIELDS_TEXT },
	{ "variant.", "UPC", OPT, FIELDS_TEXT },
	{ "variant.", "Quantity", OPT, FIELDS_NUMBER },
	{ "variant.", "Price", OPT, FIELDS_NUMBER },
	END
};

/* sync_listings: SKU (Required), Name, Description, Short Description,
 * Price, Special Price, Stock Quantity, In Stock, Images, Categories,
 * Status, Visibility, Maximum Qty Allowed in Shopping Cart, Variant
 * SKU/UPC/Quantity/Price. publish_listings: SKU and Name Required, the
 * rest as sync_listings. */
#define LISTING_TABLE(NAME_REQ) \
	{ "", "SKU", REQ, FIELDS_TEXT }, \
	{ "", "Name", NAME_REQ, FIELDS_TEXT }, \
	{ "", "Description", OPT, FIELDS_TEXT }, \
	{ "", "Short Description", OPT, FIELDS_TEXT }, \
	{ "", "Price", OPT, FIELDS_NUMBER }, \
	{ "", "Special Price", OPT, FIELDS_NUMBER }, \
	{ "", "Stock Quantity", OPT, FIELDS_NUMBER }, \
	{ "", "In Stock", OPT, FIELDS_BOOLEAN }, \
	{ "", "Images", OPT, FIELDS_TEXT_ARRAY }, \
	{ "", "Categories", OPT, FIELDS_TEXT_ARRAY }, \
	{ "", "Status", OPT, FIELDS_INTEGER }, \
	{ "", "Visibility", OPT, FIELDS_INTEGER }, \
	{ "", "Maximum Qty Allowed in Shopping Cart", OPT, FIELDS_NUMBER }, \
	{ "variant.", "SKU", OPT, FIELDS_TEXT }, \
	{ "variant.", "UPC", OPT, FIELDS_TEXT }, \
	{ "variant.", "Quantity", OPT, FIELDS_NUMBER }, \
	{ "variant.", "Price", OPT, FIELDS_NUMBER }, \
	END

static const struct spec_field spec_sync[] = { LISTING_TABLE(OPT) };
static const struct spec_field spec_publish[] = { LISTING_TABLE(REQ) };

/* get_orders: Order ID (increment_id, Required), Status (Required), Grand
 * Total, Shipping Amount, Coupon Code, Customer Note, Date Created; items:
 * SKU (Required), Name, Quantity Ordered (Required), Price, Item ID,
 * Weight, Discount Amount; billing and shipping: Address Line 1/2, City,
 * State, Post Code, Country Code, Telephone, Email, First Name, Last Name,
 * Company. */
#define ADDRESS(P) \
	{ P, "Address Line 1", OPT, FIELDS_TEXT }, \
	{ P, "Address Line 2", OPT, FIELDS_TEXT }, \
	{ P, "City", OPT, FIELDS_TEXT }, \
	{ P, "State", OPT, FIELDS_TEXT }, \
	{ P, "Post Code", OPT, FIELDS_TEXT }, \
	{ P, "Country Code", OPT, FIELDS_TEXT }, \
	{ P, "Telephone", OPT, FIELDS_TEXT }, \
	{ P, "Email", OPT, FIELDS_TEXT }, \
	{ P, "First Name", OPT, FIELDS_TEXT }, \
	{ P, "Last Name", OPT, FIELDS_TEXT }, \
	{ P, "Company", OPT, FIELDS_TEXT }

static const struct spec_field spec_orders[] = {
	{ "", "Order ID", REQ, FIELDS_TEXT },
	{ "", "Status", REQ, FIELDS_TEXT },
	{ "", "Grand Total", OPT, FIELDS_NUMBER },
	{ "", "Shipping Amount", OPT, FIELDS_NUMBER },
	{ "", "Coupon Code", OPT, FIELDS_TEXT },
	{ "", "Customer Note", OPT, FIELDS_TEXT },
	{ "", "Date Created", OPT, FIELDS_TIMESTAMP },
	{ "item.", "SKU", REQ, FIELDS_TEXT },
	{ "item.", "Name", OPT, FIELDS_TEXT },
	{ "item.", "Quantity Ordered", REQ, FIELDS_NUMBER },
	{ "item.", "Price", OPT, FIELDS_NUMBER },
	{ "item.", "Item ID", OPT, FIELDS_INTEGER },
	{ "item.", "Weight", OPT, FIELDS_NUMBER },
	{ "item.", "Discount Amount", OPT, FIELDS_NUMBER },
	ADDRESS("billing."),
	ADDRESS("shipping."),
	END
};

/* sync_orders: Carrier -> carrier_code (Required), Tracking Number ->
 * track_number (Required), Method, Fulfillment Request Number, Shipped At,
 * Shipping Cost, Comment. */
static const struct spec_field spec_ship[] = {
	{ "", "Carrier", REQ, FIELDS_TEXT },
	{ "", "Tracking Number", REQ, FIELDS_TEXT },
	{ "", "Method", OPT, FIELDS_TEXT },
	{ "", "Fulfillment Request Number", OPT, FIELDS_TEXT },
	{ "", "Shipped At", OPT, FIELDS_TIMESTAMP },
	{ "", "Shipping Cost", OPT, FIELDS_NUMBER },
	{ "", "Comment", OPT, FIELDS_TEXT },
	END
};

static const struct {
	enum proc p;
	const struct spec_field *table;
	enum fields_dir dir;
} spec[] = {
	{ PROC_IMPORT_LISTINGS, spec_import, FIELDS_TO_DB },
	{ PROC_SYNC_LISTINGS, spec_sync, FIELDS_TO_MAGENTO },
	{ PROC_PUBLISH_LISTINGS, spec_publish, FIELDS_TO_MAGENTO },
	{ PROC_GET_ORDERS, spec_orders, FIELDS_TO_DB },
	{ PROC_SYNC_ORDERS, spec_ship, FIELDS_TO_MAGENTO },
};

#define NSPEC (sizeof(spec) / sizeof(spec[0]))

/* SPEC §5: "the table's field name in lower case with spaces as _". */
static void
spec_name(const struct spec_field *f, char *out, size_t len)
{
	size_t i, k = strlen(f->prefix);

	snprintf(out, len, "%s", f->prefix);
	for (i = 0; f->label[i] != '\0' && k + 1 < len; i++)
		out[k++] = f->label[i] == ' ' ? '_' :
		    (char)tolower((unsigned char)f->label[i]);
	out[k] = '\0';
}

static size_t
spec_count(const struct spec_field *t)
{
	size_t n = 0;

	while (t[n].label != NULL)
		n++;
	return n;
}

TEST(catalogues_match_spec)
{
	char name[128];
	size_t s, i;

	for (s = 0; s < NSPEC; s++) {
		const struct fields_proc *fp = fields_proc(spec[s].p);
		const struct spec_field *t = spec[s].table;

		CHECK(fp != NULL);
		if (fp == NULL)
			continue;
		CHECK_INT(fp->proc, spec[s].p);
		CHECK_INT(fp->dir, spec[s].dir);
		CHECK_INT(fp->ndests, spec_count(t));
		for (i = 0; t[i].label != NULL && i < fp->ndests; i++) {
			const struct fields_dest *d = &fp->dests[i];
			unsigned want = t[i].required == REQ ? FIELDS_REQUIRED :
			    t[i].required == REQ_UNLESS_NONE ?
			    FIELDS_REQUIRED_UNLESS_NONE : 0;

			spec_name(&t[i], name, sizeof(name));
			if (strcmp(d->name, name) != 0)
				UNIT_FAIL("%s #%zu: %s, SPEC says %s",
				    proc_name(spec[s].p), i, d->name, name);
			if ((d->flags & (FIELDS_REQUIRED |
			    FIELDS_REQUIRED_UNLESS_NONE)) != want)
				UNIT_FAIL("%s %s: required flags %u, want %u",
				    proc_name(spec[s].p), name, d->flags, want);
			if (d->type != t[i].type)
				UNIT_FAIL("%s %s: type %s, want %s",
				    proc_name(spec[s].p), name,
				    fields_type_name(d->type),
				    fields_type_name(t[i].type));
			CHECK_INT(fields_dest_find(fp, name), i);
		}
	}
}

/* The default text has exactly SPEC's fields, in order, with the
 * catalogue's rules; and only the fields Magento has no place for are
 * skipped by default. */
TEST(default_text_matches_spec)
{
	static const char *const skipped[] = {
		"fulfillment_request_number", "shipped_at", "shipping_cost",
	};
	char name[128], header[80], *text, *line, *save, *eq;
	size_t s, i, k;

	for (s = 0; s < NSPEC; s++) {
		const struct fields_proc *fp = fields_proc(spec[s].p);
		const struct spec_field *t = spec[s].table;
		int in_section = 0, saw_process = 0;

		text = tmpl_default_text(spec[s].p);
		CHECK(text != NULL);
		if (text == NULL || fp == NULL)
			continue;
		snprintf(header, sizeof(header), "[template %s.default]",
		    proc_name(spec[s].p));
		CHECK_HAS(text, header);
		i = 0;
		for (line = strtok_r(text, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (line[0] == ';')
				continue;
			if (strcmp(line, header) == 0) {
				in_section = 1;
				continue;
			}
			if (!in_section || (eq = strstr(line, " = ")) == NULL) {
				if (line[0] != '\0')
					UNIT_FAIL("stray line: %s", line);
				continue;
			}
			*eq = '\0';
			if (strcmp(line, "process") == 0) {
				CHECK_STR(eq + 3, proc_name(spec[s].p));
				saw_process = 1;
				continue;
			}
			if (t[i].label == NULL) {
				UNIT_FAIL("%s: extra line %s", header, line);
				continue;
			}
			spec_name(&t[i], name, sizeof(name));
			CHECK_STR(line, name);
			CHECK_STR(eq + 3, fp->dests[i].rule);
			if (t[i].required == REQ) {
				CHECK(strcmp(eq + 3, "skip") != 0);
				CHECK(strcmp(eq + 3, "empty") != 0);
			}
			if (strcmp(eq + 3, "skip") == 0) {
				for (k = 0; k < 3 && strcmp(skipped[k], line);
				    k++)
					;
				if (k == 3 || spec[s].p != PROC_SYNC_ORDERS)
					UNIT_FAIL("%s: %s skipped by default",
					    header, line);
			}
			i++;
		}
		CHECK(saw_process);
		CHECK_INT(i, spec_count(t));
		free(text);
	}
	CHECK(tmpl_default_text(PROC_PII_RETENTION) == NULL);
	CHECK(tmpl_default_text(PROC_NONE) == NULL);
}

static const char *const group_prefix[FIELDS_NGROUPS] = {
	"", "variant.", "item.", "billing.", "shipping.",
};

static int
group_of(const char *name)
{
	int g;

	for (g = FIELDS_NGROUPS - 1; g > 0; g--)
		if (strncmp(name, group_prefix[g], strlen(group_prefix[g])) == 0)
			return g;
	return strchr(name, '.') == NULL ? 0 : -1;
}

TEST(catalogue_consistency)
{
	char err[128];
	size_t s, i, k;

	for (s = 0; s < NSPEC; s++) {
		const struct fields_proc *fp = fields_proc(spec[s].p);

		if (fp == NULL)
			continue;
		CHECK(fp->ndests <= FIELDS_MAX);
		CHECK(fp->nsrcs <= FIELDS_MAX);
		CHECK(fp->title != NULL);
		for (i = 0; i < fp->ndests; i++) {
			const struct fields_dest *d = &fp->dests[i];
			struct jpath *p;

			CHECK_INT(group_of(d->name), d->group);
			CHECK(fp->group_target[d->group] != NULL);
			CHECK(d->label != NULL && d->target != NULL &&
			    d->rule != NULL);
			for (k = 0; d->name[k] != '\0'; k++)
				CHECK(!isupper((unsigned char)d->name[k]) &&
				    d->name[k] != ' ');
			for (k = 0; k < i; k++)
				CHECK(strcmp(fp->dests[k].name, d->name) != 0);
			if (fp->dir == FIELDS_TO_MAGENTO) {
				p = jpath_new(d->target, err, sizeof(err));
				CHECK(p != NULL && !jpath_is_multi(p));
				jpath_free(p);
				if (d->companion != NULL) {
					p = jpath_new(d->companion, err,
					    sizeof(err));
					CHECK(p != NULL);
					jpath_free(p);
				}
			} else {
				CHECK(d->companion == NULL);
			}
		}
		for (i = 0; i < fp->nsrcs; i++) {
			const struct fields_src *sr = &fp->srcs[i];

			CHECK_INT(group_of(sr->name), sr->group);
			CHECK_INT(fields_src_find(fp, sr->name), i);
			if (fp->dir == FIELDS_TO_DB) {
				CHECK(sr->column == NULL);
				CHECK(sr->path != NULL ||
				    (sr->flags & FIELDS_COMPUTED));
				if (sr->path != NULL) {
					struct jpath *p = jpath_new(sr->path,
					    err, sizeof(err));

					CHECK(p != NULL);
					jpath_free(p);
				}
			} else {
				CHECK(sr->path == NULL && sr->column != NULL);
				CHECK(!(sr->flags & FIELDS_COMPUTED));
			}
		}
		CHECK_INT(fields_dest_find(fp, "nope"), -1);
		CHECK_INT(fields_src_find(fp, "nope"), -1);
	}
	CHECK(fields_proc(PROC_PII_RETENTION) == NULL);
	CHECK(fields_proc(PROC_NONE) == NULL);
	CHECK(fields_proc(PROC_COUNT) == NULL);
}

TEST(index_enums)
{
	static const struct {
		enum proc p;
		int dest;	/* 1: destination index, 0: source index */
		int index;
		const char *name;
	} cases[] = {
		{ PROC_IMPORT_LISTINGS, 1, FIELDS_IL_SKU, "sku" },
		{ PROC_IMPORT_LISTINGS, 1, FIELDS_IL_MASTER_SKU, "master_sku" },
		{ PROC_IMPORT_LISTINGS, 1, FIELDS_IL_IMAGES, "images" },
		{ PROC_IMPORT_LISTINGS, 1, FIELDS_IL_CATEGORY_THREE,
		    "category_three" },
		{ PROC_IMPORT_LISTINGS, 1, FIELDS_IL_VARIANT_PRICE,
		    "variant.price" },
		{ PROC_IMPORT_LISTINGS, 0, FIELDS_ILS_QUANTITY, "quantity" },
		{ PROC_IMPORT_LISTINGS, 0, FIELDS_ILS_CATEGORY_ONE,
		    "category_one" },
		{ PROC_IMPORT_LISTINGS, 0, FIELDS_ILS_VARIANT_QUANTITY,
		    "variant.quantity" },
		{ PROC_SYNC_LISTINGS, 1, FIELDS_LP_MAX_SALE_QTY,
		    "maximum_qty_allowed_in_shopping_cart" },
		{ PROC_SYNC_LISTINGS, 1, FIELDS_LP_STOCK_QUANTITY,
		    "stock_quantity" },
		{ PROC_PUBLISH_LISTINGS, 1, FIELDS_LP_VARIANT_UPC,
		    "variant.upc" },
		{ PROC_SYNC_LISTINGS, 0, FIELDS_LPS_CATEGORIES, "categories" },
		{ PROC_SYNC_LISTINGS, 0, FIELDS_LPS_MAX_SALE_QTY,
		    "max_sale_qty" },
		{ PROC_PUBLISH_LISTINGS, 0, FIELDS_LPS_VARIANT_PRICE,
		    "variant.price" },
		{ PROC_GET_ORDERS, 1, FIELDS_GO_DATE_CREATED, "date_created" },
		{ PROC_GET_ORDERS, 1, FIELDS_GO_ITEM_QTY_ORDERED,
		    "item.quantity_ordered" },
		{ PROC_GET_ORDERS, 1, FIELDS_GO_ITEM_DISCOUNT_AMOUNT,
		    "item.discount_amount" },
		{ PROC_GET_ORDERS, 1, FIELDS_GO_BILLING + FIELDS_ADDR_LINE_1,
		    "billing.address_line_1" },
		{ PROC_GET_ORDERS, 1, FIELDS_GO_BILLING + FIELDS_ADDR_COMPANY,
		    "billing.company" },
		{ PROC_GET_ORDERS, 1, FIELDS_GO_SHIPPING + FIELDS_ADDR_STATE,
		    "shipping.state" },
		{ PROC_GET_ORDERS, 0, FIELDS_GO_SHIPPING + FIELDS_ADDR_POST_CODE,
		    "shipping.post_code" },
		{ PROC_SYNC_ORDERS, 1, FIELDS_SO_COMMENT, "comment" },
		{ PROC_SYNC_ORDERS, 1, FIELDS_SO_SHIPPED_AT, "shipped_at" },
		{ PROC_SYNC_ORDERS, 0, FIELDS_SOS_NOTE, "note" },
		{ PROC_SYNC_ORDERS, 0, FIELDS_SOS_INCREMENT_ID, "increment_id" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fields_proc *fp = fields_proc(cases[i].p);

		if (cases[i].dest)
			CHECK_INT(fields_dest_find(fp, cases[i].name),
			    cases[i].index);
		else
			CHECK_INT(fields_src_find(fp, cases[i].name),
			    cases[i].index);
	}
	CHECK_INT(fields_proc(PROC_GET_ORDERS)->ndests, FIELDS_GO_NDESTS);
	CHECK_INT(fields_proc(PROC_SYNC_ORDERS)->nsrcs, FIELDS_SOS_NSRCS);
}

TEST(targets)
{
	static const struct {
		enum proc p;
		const char *name, *target;
	} cases[] = {
		{ PROC_IMPORT_LISTINGS, "quantity", "quantity" },
		{ PROC_IMPORT_LISTINGS, "variant.upc", "upc" },
		{ PROC_SYNC_LISTINGS, "price", "price" },
		{ PROC_SYNC_LISTINGS, "stock_quantity",
		    "extension_attributes.stock_item.qty" },
		{ PROC_SYNC_LISTINGS, "description",
		    "custom_attributes.description" },
		{ PROC_SYNC_LISTINGS, "status", "status" },
		{ PROC_PUBLISH_LISTINGS, "images", "media_gallery_entries" },
		{ PROC_GET_ORDERS, "order_id", "increment_id" },
		{ PROC_GET_ORDERS, "date_created", "magento_created_at" },
		{ PROC_GET_ORDERS, "item.item_id", "magento_item_id" },
		{ PROC_GET_ORDERS, "shipping.post_code", "post_code" },
		{ PROC_SYNC_ORDERS, "carrier", "tracks[0].carrier_code" },
		{ PROC_SYNC_ORDERS, "tracking_number", "tracks[0].track_number" },
	};
	size_t i;
	int d;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fields_proc *fp = fields_proc(cases[i].p);

		d = fields_dest_find(fp, cases[i].name);
		CHECK(d >= 0);
		if (d >= 0)
			CHECK_STR(fp->dests[d].target, cases[i].target);
	}
	d = fields_src_find(fields_proc(PROC_GET_ORDERS), "shipping.city");
	CHECK_STR(fields_proc(PROC_GET_ORDERS)->srcs[d].path,
	    "extension_attributes.shipping_assignments[0].shipping.address.city");
	d = fields_src_find(fields_proc(PROC_IMPORT_LISTINGS), "description");
	CHECK_STR(fields_proc(PROC_IMPORT_LISTINGS)->srcs[d].path,
	    "custom_attributes.description");
}

TEST(names)
{
	CHECK_STR(fields_type_name(FIELDS_TEXT), "text");
	CHECK_STR(fields_type_name(FIELDS_TEXT_ARRAY), "text array");
	CHECK_STR(fields_type_name(FIELDS_JSON), "json");
	CHECK(fields_type_name(FIELDS_NTYPES) == NULL);
	CHECK(fields_type_name((enum fields_type)-1) == NULL);
	CHECK_STR(fields_group_name(FIELDS_ITEM), "item");
	CHECK_STR(fields_group_name(FIELDS_SHIPPING), "shipping");
	CHECK(fields_group_name(FIELDS_NGROUPS) == NULL);
}

int
main(void)
{
	RUN(catalogues_match_spec);
	RUN(default_text_matches_spec);
	RUN(catalogue_consistency);
	RUN(index_enums);
	RUN(targets);
	RUN(names);
	return unit_done("test_fields");
}
