/* fields.h - the field catalogues of the five channel processes (SPEC §5,
 * §7): for each, the destination fields a template maps and the source
 * fields its rules may name, as static const tables.
 *
 * Names are the field tables' names in lower case with spaces as '_';
 * variant, order item and address fields carry "variant.", "item.",
 * "billing." or "shipping.". Every destination says where it goes: a
 * column (processes writing PostgreSQL) or a path in the Magento payload
 * (processes writing Magento, see jpath.h). Every source says where it
 * comes from: a path in Magento's JSON, or an SQL expression over the
 * process's tables.
 *
 * The index enums below are positions in the tables, so processes can read
 * a template's output without looking names up. */
#ifndef MS_FIELDS_H
#define MS_FIELDS_H

#include <stddef.h>

#include "export.h"
#include "proc.h"

/* Every catalogue has at most this many destinations and sources: the
 * template's masks are 64-bit. */
#define FIELDS_MAX 64

enum fields_type {
	FIELDS_TEXT,
	FIELDS_NUMBER,		/* decimal: prices, quantities, weights */
	FIELDS_INTEGER,		/* whole numbers: ids, status, visibility */
	FIELDS_BOOLEAN,
	FIELDS_TIMESTAMP,	/* UTC instant */
	FIELDS_TEXT_ARRAY,
	FIELDS_JSON,
	FIELDS_NTYPES
};

/* Which record of the process a field belongs to. One template applies to
 * one group at a time (tmpl_apply): a listing and each of its variants, an
 * order, each of its items and its two addresses. */
enum fields_group {
	FIELDS_RECORD,		/* the listing, product, order or shipment */
	FIELDS_VARIANT,		/* variant.*: a configurable's child */
	FIELDS_ITEM,		/* item.*: an order line */
	FIELDS_BILLING,		/* billing.*: the billing address */
	FIELDS_SHIPPING,	/* shipping.*: the shipping address */
	FIELDS_NGROUPS
};

/* Which way the process copies. */
enum fields_dir {
	FIELDS_TO_DB,		/* Magento JSON -> PostgreSQL columns */
	FIELDS_TO_MAGENTO	/* PostgreSQL row -> Magento JSON payload */
};

/* Destination flags. */
#define FIELDS_REQUIRED		0x1u	/* skip or empty is a config error */
#define FIELDS_REQUIRED_UNLESS_NONE 0x2u /* import_listings master_sku:
					 * required unless the job says
					 * master_sku = none */

/* Source flags. */
#define FIELDS_COMPUTED		0x1u	/* the process supplies the value
					 * (struct tmpl_src extra[]); path,
					 * when set, is the fallback */

struct fields_dest {
	const char *name;	/* "variant.upc" */
	const char *label;	/* the SPEC table's name: "Variant UPC" */
	enum fields_type type;
	enum fields_group group;
	unsigned flags;
	/* FIELDS_TO_DB: the column of the group's table. FIELDS_TO_MAGENTO:
	 * the jpath of the value in the group's payload. */
	const char *target;
	/* FIELDS_TO_MAGENTO: a boolean written beside a value (false) or an
	 * empty (true), e.g. use_config_max_sale_qty; else NULL. */
	const char *companion;
	const char *rule;	/* the shipped default rule */
	const char *note;	/* one line for the shipped template file */
};

struct fields_src {
	const char *name;	/* "item.sku" */
	enum fields_type type;	/* what the value usually is; informative */
	enum fields_group group;
	unsigned flags;
	/* FIELDS_TO_DB: jpath into the group's Magento object (the product,
	 * the child product, the order, the order item); address fields are
	 * paths from the order. NULL for computed-only sources. */
	const char *path;
	/* FIELDS_TO_MAGENTO: the SQL expression the process selects, over the
	 * aliases l (listings), v (listing_variants), s (shipments) and
	 * o (orders). */
	const char *column;
	const char *note;
};

struct fields_proc {
	enum proc proc;
	enum fields_dir dir;
	const char *title;	/* "listings -> Magento (Sync & Link)" */
	/* Per group: the table written (FIELDS_TO_DB) or the payload built
	 * (FIELDS_TO_MAGENTO); NULL for groups the process does not have. */
	const char *group_target[FIELDS_NGROUPS];
	const struct fields_dest *dests;
	size_t ndests;
	const struct fields_src *srcs;
	size_t nsrcs;
};

/* The catalogue of p; NULL for processes without templates
 * (pii_retention) and out-of-range values. Static, never freed. */
MS_EXPORT const struct fields_proc *fields_proc(enum proc p);

/* Index of the destination or source named name, or -1. */
MS_EXPORT int fields_dest_find(const struct fields_proc *fp, const char *name);
MS_EXPORT int fields_src_find(const struct fields_proc *fp, const char *name);

/* "text", "number", "integer", "boolean", "timestamp", "text array",
 * "json"; NULL out of range. */
MS_EXPORT const char *fields_type_name(enum fields_type t);

/* "record", "variant", "item", "billing", "shipping"; NULL out of range. */
MS_EXPORT const char *fields_group_name(enum fields_group g);

/* Destination indexes per process. sync_listings and publish_listings share
 * one layout (FIELDS_LP_*), and so do their sources (FIELDS_LPS_*). */
enum {
	FIELDS_IL_SKU, FIELDS_IL_MASTER_SKU, FIELDS_IL_NAME,
	FIELDS_IL_DESCRIPTION, FIELDS_IL_PRICE, FIELDS_IL_QUANTITY,
	FIELDS_IL_IMAGES, FIELDS_IL_CATEGORY_ONE, FIELDS_IL_CATEGORY_TWO,
	FIELDS_IL_CATEGORY_THREE, FIELDS_IL_VARIANT_SKU, FIELDS_IL_VARIANT_UPC,
	FIELDS_IL_VARIANT_QUANTITY, FIELDS_IL_VARIANT_PRICE,
	FIELDS_IL_NDESTS
};

enum {
	FIELDS_LP_SKU, FIELDS_LP_NAME, FIELDS_LP_DESCRIPTION,
	FIELDS_LP_SHORT_DESCRIPTION, FIELDS_LP_PRICE, FIELDS_LP_SPECIAL_PRICE,
	FIELDS_LP_STOCK_QUANTITY, FIELDS_LP_IN_STOCK, FIELDS_LP_IMAGES,
	FIELDS_LP_CATEGORIES, FIELDS_LP_STATUS, FIELDS_LP_VISIBILITY,
	FIELDS_LP_MAX_SALE_QTY, FIELDS_LP_VARIANT_SKU, FIELDS_LP_VARIANT_UPC,
	FIELDS_LP_VARIANT_QUANTITY, FIELDS_LP_VARIANT_PRICE,
	FIELDS_LP_NDESTS
};

enum {
	FIELDS_GO_ORDER_ID, FIELDS_GO_STATUS, FIELDS_GO_GRAND_TOTAL,
	FIELDS_GO_SHIPPING_AMOUNT, FIELDS_GO_COUPON_CODE,
	FIELDS_GO_CUSTOMER_NOTE, FIELDS_GO_DATE_CREATED,
	FIELDS_GO_ITEM_SKU, FIELDS_GO_ITEM_NAME, FIELDS_GO_ITEM_QTY_ORDERED,
	FIELDS_GO_ITEM_PRICE, FIELDS_GO_ITEM_ITEM_ID, FIELDS_GO_ITEM_WEIGHT,
	FIELDS_GO_ITEM_DISCOUNT_AMOUNT,
	/* billing.* then shipping.*, each in FIELDS_ADDR_* order */
	FIELDS_GO_BILLING,
	FIELDS_GO_SHIPPING = FIELDS_GO_BILLING + 11,
	FIELDS_GO_NDESTS = FIELDS_GO_SHIPPING + 11
};

/* Offsets of the address fields from FIELDS_GO_BILLING/SHIPPING. */
enum {
	FIELDS_ADDR_LINE_1, FIELDS_ADDR_LINE_2, FIELDS_ADDR_CITY,
	FIELDS_ADDR_STATE, FIELDS_ADDR_POST_CODE, FIELDS_ADDR_COUNTRY_CODE,
	FIELDS_ADDR_TELEPHONE, FIELDS_ADDR_EMAIL, FIELDS_ADDR_FIRST_NAME,
	FIELDS_ADDR_LAST_NAME, FIELDS_ADDR_COMPANY,
	FIELDS_ADDR_N
};

enum {
	FIELDS_SO_CARRIER, FIELDS_SO_TRACKING_NUMBER, FIELDS_SO_METHOD,
	FIELDS_SO_FULFILLMENT_REQUEST_NUMBER, FIELDS_SO_SHIPPED_AT,
	FIELDS_SO_SHIPPING_COST, FIELDS_SO_COMMENT,
	FIELDS_SO_NDESTS
};

/* Source indexes of the processes reading PostgreSQL (the order of the
 * values in struct tmpl_src text[]). */
enum {
	FIELDS_LPS_SKU, FIELDS_LPS_NAME, FIELDS_LPS_DESCRIPTION,
	FIELDS_LPS_SHORT_DESCRIPTION, FIELDS_LPS_PRICE,
	FIELDS_LPS_SPECIAL_PRICE, FIELDS_LPS_QUANTITY, FIELDS_LPS_IN_STOCK,
	FIELDS_LPS_IMAGES, FIELDS_LPS_CATEGORIES, FIELDS_LPS_CATEGORY_ONE,
	FIELDS_LPS_CATEGORY_TWO, FIELDS_LPS_CATEGORY_THREE, FIELDS_LPS_STATUS,
	FIELDS_LPS_VISIBILITY, FIELDS_LPS_MAX_SALE_QTY, FIELDS_LPS_VARIANT_SKU,
	FIELDS_LPS_VARIANT_UPC,
	FIELDS_LPS_VARIANT_QUANTITY, FIELDS_LPS_VARIANT_PRICE,
	FIELDS_LPS_NSRCS
};

enum {
	FIELDS_SOS_CARRIER, FIELDS_SOS_TRACKING_NUMBER, FIELDS_SOS_TRACKING_URL,
	FIELDS_SOS_METHOD, FIELDS_SOS_FULFILLMENT_REQUEST_NUMBER,
	FIELDS_SOS_SHIPPED_AT, FIELDS_SOS_SHIPPING_COST, FIELDS_SOS_NOTE,
	FIELDS_SOS_SHIPMENT_NOTE, FIELDS_SOS_ORDER_NOTE,
	FIELDS_SOS_INCREMENT_ID,
	FIELDS_SOS_NSRCS
};

/* Source indexes of import_listings whose value the process computes
 * (struct tmpl_src extra[]). The sources of get_orders and the rest of
 * import_listings' are paths; find them by name. */
enum {
	FIELDS_ILS_SKU, FIELDS_ILS_NAME, FIELDS_ILS_DESCRIPTION,
	FIELDS_ILS_PRICE, FIELDS_ILS_QUANTITY, FIELDS_ILS_IMAGES,
	FIELDS_ILS_CATEGORY_ONE, FIELDS_ILS_CATEGORY_TWO,
	FIELDS_ILS_CATEGORY_THREE, FIELDS_ILS_VARIANT_SKU,
	FIELDS_ILS_VARIANT_UPC, FIELDS_ILS_VARIANT_QUANTITY,
	FIELDS_ILS_VARIANT_PRICE,
	FIELDS_ILS_NSRCS
};

#endif
