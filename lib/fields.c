/* fields.c - the field catalogues of SPEC §7, one static table per process
 * and direction. The shipped default templates (tmpl_default_text and
 * etc/templates/) are rendered from the rule column here, so this file is
 * the single source of both. */
#include <string.h>

#include "fields.h"

#define R	FIELDS_REQUIRED
#define T_TEXT	FIELDS_TEXT
#define T_NUM	FIELDS_NUMBER
#define T_INT	FIELDS_INTEGER
#define T_BOOL	FIELDS_BOOLEAN
#define T_TIME	FIELDS_TIMESTAMP
#define T_LIST	FIELDS_TEXT_ARRAY
#define G_REC	FIELDS_RECORD
#define G_VAR	FIELDS_VARIANT
#define G_ITEM	FIELDS_ITEM

/* ---- import_listings: Magento -> listings ------------------------------ */

static const struct fields_dest il_dests[] = {
	[FIELDS_IL_SKU] = { "sku", "SKU", T_TEXT, G_REC, R, "sku", NULL,
	    "field:sku", NULL },
	[FIELDS_IL_MASTER_SKU] = { "master_sku", "Master SKU", T_TEXT, G_REC,
	    FIELDS_REQUIRED_UNLESS_NONE, "products.master_sku", NULL,
	    "field:sku",
	    "links the listing to products.master_sku; the job's "
	    "master_sku setting overrides this line, master_sku = none "
	    "turns linking off" },
	[FIELDS_IL_NAME] = { "name", "Name", T_TEXT, G_REC, R, "name", NULL,
	    "field:name", NULL },
	[FIELDS_IL_DESCRIPTION] = { "description", "Description", T_TEXT,
	    G_REC, 0, "description", NULL, "field:description", NULL },
	[FIELDS_IL_PRICE] = { "price", "Price", T_NUM, G_REC, 0, "price",
	    NULL, "field:price", NULL },
	[FIELDS_IL_QUANTITY] = { "quantity", "Quantity", T_NUM, G_REC, 0,
	    "quantity", NULL, "field:quantity", NULL },
	[FIELDS_IL_IMAGES] = { "images", "Images", T_LIST, G_REC, 0,
	    "images", NULL, "field:images", NULL },
	[FIELDS_IL_CATEGORY_ONE] = { "category_one", "Category One", T_TEXT,
	    G_REC, 0, "category_one", NULL, "field:category_one", NULL },
	[FIELDS_IL_CATEGORY_TWO] = { "category_two", "Category Two", T_TEXT,
	    G_REC, 0, "category_two", NULL, "field:category_two", NULL },
	[FIELDS_IL_CATEGORY_THREE] = { "category_three", "Category Three",
	    T_TEXT, G_REC, 0, "category_three", NULL, "field:category_three",
	    NULL },
	[FIELDS_IL_VARIANT_SKU] = { "variant.sku", "Variant SKU", T_TEXT,
	    G_VAR, 0, "sku", NULL, "field:variant.sku", NULL },
	[FIELDS_IL_VARIANT_UPC] = { "variant.upc", "Variant UPC", T_TEXT,
	    G_VAR, 0, "upc", NULL, "field:variant.upc",
	    "the child's custom attribute named by the job's upc_attribute "
	    "setting (upc by default)" },
	[FIELDS_IL_VARIANT_QUANTITY] = { "variant.quantity", "Variant Quantity",
	    T_NUM, G_VAR, 0, "quantity", NULL, "field:variant.quantity", NULL },
	[FIELDS_IL_VARIANT_PRICE] = { "variant.price", "Variant Price", T_NUM,
	    G_VAR, 0, "price", NULL, "field:variant.price", NULL },
};

static const struct fields_src il_srcs[] = {
	[FIELDS_ILS_SKU] = { "sku", T_TEXT, G_REC, 0, "sku", NULL, NULL },
	[FIELDS_ILS_NAME] = { "name", T_TEXT, G_REC, 0, "name", NULL, NULL },
	[FIELDS_ILS_DESCRIPTION] = { "description", T_TEXT, G_REC, 0,
	    "custom_attributes.description", NULL, NULL },
	[FIELDS_ILS_PRICE] = { "price", T_NUM, G_REC, 0, "price", NULL, NULL },
	[FIELDS_ILS_QUANTITY] = { "quantity", T_NUM, G_REC, FIELDS_COMPUTED,
	    "extension_attributes.stock_item.qty", NULL,
	    "the quantity summed over the channel's sources" },
	[FIELDS_ILS_IMAGES] = { "images", T_LIST, G_REC, FIELDS_COMPUTED,
	    "media_gallery_entries[].file", NULL,
	    "image_url_prefix + each media entry's file" },
	[FIELDS_ILS_CATEGORY_ONE] = { "category_one", T_TEXT, G_REC,
	    FIELDS_COMPUTED, NULL, NULL,
	    "the first category name below the root on the path of the "
	    "product's first category link" },
	[FIELDS_ILS_CATEGORY_TWO] = { "category_two", T_TEXT, G_REC,
	    FIELDS_COMPUTED, NULL, NULL, "the second name on that path" },
	[FIELDS_ILS_CATEGORY_THREE] = { "category_three", T_TEXT, G_REC,
	    FIELDS_COMPUTED, NULL, NULL, "the third name on that path" },
	[FIELDS_ILS_VARIANT_SKU] = { "variant.sku", T_TEXT, G_VAR, 0, "sku",
	    NULL, NULL },
	[FIELDS_ILS_VARIANT_UPC] = { "variant.upc", T_TEXT, G_VAR, 0,
	    "custom_attributes.upc", NULL,
	    "the job's upc_attribute replaces upc" },
	[FIELDS_ILS_VARIANT_QUANTITY] = { "variant.quantity", T_NUM, G_VAR,
	    FIELDS_COMPUTED, "extension_attributes.stock_item.qty", NULL,
	    "the child's quantity summed over the channel's sources" },
	[FIELDS_ILS_VARIANT_PRICE] = { "variant.price", T_NUM, G_VAR, 0,
	    "price", NULL, NULL },
};

/* ---- sync_listings and publish_listings: listings -> Magento ------------ */

/* The two share every destination but the Required mark of name, so the
 * table is written once as a macro. */
#define LP_DESTS(NAME_FLAGS) \
	[FIELDS_LP_SKU] = { "sku", "SKU", T_TEXT, G_REC, R, "sku", NULL, \
	    "field:sku", NULL }, \
	[FIELDS_LP_NAME] = { "name", "Name", T_TEXT, G_REC, NAME_FLAGS, \
	    "name", NULL, "field:name", NULL }, \
	[FIELDS_LP_DESCRIPTION] = { "description", "Description", T_TEXT, \
	    G_REC, 0, "custom_attributes.description", NULL, \
	    "field:description", NULL }, \
	[FIELDS_LP_SHORT_DESCRIPTION] = { "short_description", \
	    "Short Description", T_TEXT, G_REC, 0, \
	    "custom_attributes.short_description", NULL, \
	    "field:short_description", NULL }, \
	[FIELDS_LP_PRICE] = { "price", "Price", T_NUM, G_REC, 0, "price", \
	    NULL, "field:price", NULL }, \
	[FIELDS_LP_SPECIAL_PRICE] = { "special_price", "Special Price", \
	    T_NUM, G_REC, 0, "custom_attributes.special_price", NULL, \
	    "field:special_price", "empty removes the special price" }, \
	[FIELDS_LP_STOCK_QUANTITY] = { "stock_quantity", "Stock Quantity", \
	    T_NUM, G_REC, 0, "extension_attributes.stock_item.qty", NULL, \
	    "field:quantity", NULL }, \
	[FIELDS_LP_IN_STOCK] = { "in_stock", "In Stock", T_BOOL, G_REC, 0, \
	    "extension_attributes.stock_item.is_in_stock", NULL, \
	    "field:in_stock", NULL }, \
	[FIELDS_LP_IMAGES] = { "images", "Images", T_LIST, G_REC, 0, \
	    "media_gallery_entries", NULL, "field:images", \
	    "skip leaves Magento's images alone, empty removes them all, " \
	    "field:images uploads each URL once" }, \
	[FIELDS_LP_CATEGORIES] = { "categories", "Categories", T_LIST, G_REC, \
	    0, "extension_attributes.category_links", NULL, \
	    "field:categories", "category names, resolved to Magento's " \
	    "category ids; empty unassigns every category" }, \
	[FIELDS_LP_STATUS] = { "status", "Status", T_INT, G_REC, 0, "status", \
	    NULL, "set:listing_status:status", \
	    "1 enabled, 2 disabled; listing_status is a built-in mapping " \
	    "set (active = 1, paused = 2) a [mapping_set listing_status] " \
	    "replaces" }, \
	[FIELDS_LP_VISIBILITY] = { "visibility", "Visibility", T_INT, G_REC, \
	    0, "visibility", NULL, "field:visibility", \
	    "1 not visible, 2 catalog, 3 search, 4 catalog and search" }, \
	[FIELDS_LP_MAX_SALE_QTY] = { "maximum_qty_allowed_in_shopping_cart", \
	    "Maximum Qty Allowed in Shopping Cart", T_NUM, G_REC, 0, \
	    "extension_attributes.stock_item.max_sale_qty", \
	    "extension_attributes.stock_item.use_config_max_sale_qty", \
	    "field:max_sale_qty", "empty returns to the store's setting" }, \
	[FIELDS_LP_VARIANT_SKU] = { "variant.sku", "Variant SKU", T_TEXT, \
	    G_VAR, 0, "sku", NULL, "field:variant.sku", NULL }, \
	[FIELDS_LP_VARIANT_UPC] = { "variant.upc", "Variant UPC", T_TEXT, \
	    G_VAR, 0, "custom_attributes.upc", NULL, "field:variant.upc", \
	    NULL }, \
	[FIELDS_LP_VARIANT_QUANTITY] = { "variant.quantity", \
	    "Variant Quantity", T_NUM, G_VAR, 0, \
	    "extension_attributes.stock_item.qty", NULL, \
	    "field:variant.quantity", NULL }, \
	[FIELDS_LP_VARIANT_PRICE] = { "variant.price", "Variant Price", \
	    T_NUM, G_VAR, 0, "price", NULL, "field:variant.price", NULL },

static const struct fields_dest sl_dests[] = { LP_DESTS(0) };
static const struct fields_dest pl_dests[] = { LP_DESTS(R) };

static const struct fields_src lp_srcs[] = {
	[FIELDS_LPS_SKU] = { "sku", T_TEXT, G_REC, 0, NULL, "l.sku", NULL },
	[FIELDS_LPS_NAME] = { "name", T_TEXT, G_REC, 0, NULL, "l.name", NULL },
	[FIELDS_LPS_DESCRIPTION] = { "description", T_TEXT, G_REC, 0, NULL,
	    "l.description", NULL },
	[FIELDS_LPS_SHORT_DESCRIPTION] = { "short_description", T_TEXT, G_REC,
	    0, NULL, "l.short_description", NULL },
	[FIELDS_LPS_PRICE] = { "price", T_NUM, G_REC, 0, NULL, "l.price",
	    NULL },
	[FIELDS_LPS_SPECIAL_PRICE] = { "special_price", T_NUM, G_REC, 0, NULL,
	    "l.special_price", NULL },
	[FIELDS_LPS_QUANTITY] = { "quantity", T_NUM, G_REC, 0, NULL,
	    "l.quantity", NULL },
	[FIELDS_LPS_IN_STOCK] = { "in_stock", T_BOOL, G_REC, 0, NULL,
	    "l.in_stock", NULL },
	[FIELDS_LPS_IMAGES] = { "images", T_LIST, G_REC, 0, NULL, "l.images",
	    NULL },
	[FIELDS_LPS_CATEGORIES] = { "categories", T_LIST, G_REC, 0, NULL,
	    "array_remove(ARRAY[l.category_one, l.category_two, "
	    "l.category_three], NULL)", "category one, two and three" },
	[FIELDS_LPS_CATEGORY_ONE] = { "category_one", T_TEXT, G_REC, 0, NULL,
	    "l.category_one", NULL },
	[FIELDS_LPS_CATEGORY_TWO] = { "category_two", T_TEXT, G_REC, 0, NULL,
	    "l.category_two", NULL },
	[FIELDS_LPS_CATEGORY_THREE] = { "category_three", T_TEXT, G_REC, 0,
	    NULL, "l.category_three", NULL },
	[FIELDS_LPS_STATUS] = { "status", T_TEXT, G_REC, 0, NULL, "l.status",
	    "active or paused" },
	[FIELDS_LPS_VISIBILITY] = { "visibility", T_INT, G_REC, 0, NULL,
	    "l.visibility", NULL },
	[FIELDS_LPS_MAX_SALE_QTY] = { "max_sale_qty", T_NUM, G_REC, 0, NULL,
	    "l.max_sale_qty", NULL },
	[FIELDS_LPS_VARIANT_SKU] = { "variant.sku", T_TEXT, G_VAR, 0, NULL,
	    "v.sku", NULL },
	[FIELDS_LPS_VARIANT_UPC] = { "variant.upc", T_TEXT, G_VAR, 0, NULL,
	    "v.upc", NULL },
	[FIELDS_LPS_VARIANT_QUANTITY] = { "variant.quantity", T_NUM, G_VAR, 0,
	    NULL, "v.quantity", NULL },
	[FIELDS_LPS_VARIANT_PRICE] = { "variant.price", T_NUM, G_VAR, 0, NULL,
	    "v.price", NULL },
};

/* ---- get_orders: Magento -> orders -------------------------------------- */

/* The eleven address fields: offset, name, label, path in an address. */
#define ADDR_FIELDS(X) \
	X(FIELDS_ADDR_LINE_1, "address_line_1", "Address Line 1", "street[0]") \
	X(FIELDS_ADDR_LINE_2, "address_line_2", "Address Line 2", "street[1]") \
	X(FIELDS_ADDR_CITY, "city", "City", "city") \
	X(FIELDS_ADDR_STATE, "state", "State", "region") \
	X(FIELDS_ADDR_POST_CODE, "post_code", "Post Code", "postcode") \
	X(FIELDS_ADDR_COUNTRY_CODE, "country_code", "Country Code", \
	    "country_id") \
	X(FIELDS_ADDR_TELEPHONE, "telephone", "Telephone", "telephone") \
	X(FIELDS_ADDR_EMAIL, "email", "Email", "email") \
	X(FIELDS_ADDR_FIRST_NAME, "first_name", "First Name", "firstname") \
	X(FIELDS_ADDR_LAST_NAME, "last_name", "Last Name", "lastname") \
	X(FIELDS_ADDR_COMPANY, "company", "Company", "company")

#define BILL_DEST(off, nm, lbl, path) \
	[FIELDS_GO_BILLING + off] = { "billing." nm, "Billing " lbl, T_TEXT, \
	    FIELDS_BILLING, 0, nm, NULL, "field:billing." nm, NULL },
#define SHIP_DEST(off, nm, lbl, path) \
	[FIELDS_GO_SHIPPING + off] = { "shipping." nm, "Shipping " lbl, \
	    T_TEXT, FIELDS_SHIPPING, 0, nm, NULL, "field:shipping." nm, NULL },
#define BILL_SRC(off, nm, lbl, path) \
	[FIELDS_GO_BILLING + off] = { "billing." nm, T_TEXT, FIELDS_BILLING, \
	    0, "billing_address." path, NULL, NULL },
#define SHIP_SRC(off, nm, lbl, path) \
	[FIELDS_GO_SHIPPING + off] = { "shipping." nm, T_TEXT, \
	    FIELDS_SHIPPING, 0, \
	    "extension_attributes.shipping_assignments[0].shipping.address." \
	    path, NULL, NULL },

static const struct fields_dest go_dests[] = {
	[FIELDS_GO_ORDER_ID] = { "order_id", "Order ID", T_TEXT, G_REC, R,
	    "increment_id", NULL, "field:order_id", NULL },
	[FIELDS_GO_STATUS] = { "status", "Status", T_TEXT, G_REC, R, "status",
	    NULL, "field:status", NULL },
	[FIELDS_GO_GRAND_TOTAL] = { "grand_total", "Grand Total", T_NUM, G_REC,
	    0, "grand_total", NULL, "field:grand_total", NULL },
	[FIELDS_GO_SHIPPING_AMOUNT] = { "shipping_amount", "Shipping Amount",
	    T_NUM, G_REC, 0, "shipping_amount", NULL, "field:shipping_amount",
	    NULL },
	[FIELDS_GO_COUPON_CODE] = { "coupon_code", "Coupon Code", T_TEXT,
	    G_REC, 0, "coupon_code", NULL, "field:coupon_code", NULL },
	[FIELDS_GO_CUSTOMER_NOTE] = { "customer_note", "Customer Note",
	    T_TEXT, G_REC, 0, "customer_note", NULL, "field:customer_note",
	    NULL },
	[FIELDS_GO_DATE_CREATED] = { "date_created", "Date Created", T_TIME,
	    G_REC, 0, "magento_created_at", NULL, "field:date_created",
	    NULL },
	[FIELDS_GO_ITEM_SKU] = { "item.sku", "Item SKU", T_TEXT, G_ITEM, R, "sku",
	    NULL, "field:item.sku", NULL },
	[FIELDS_GO_ITEM_NAME] = { "item.name", "Item Name", T_TEXT, G_ITEM, 0,
	    "name", NULL, "field:item.name", NULL },
	[FIELDS_GO_ITEM_QTY_ORDERED] = { "item.quantity_ordered",
	    "Item Quantity Ordered", T_NUM, G_ITEM, R, "qty_ordered", NULL,
	    "field:item.quantity_ordered", NULL },
	[FIELDS_GO_ITEM_PRICE] = { "item.price", "Item Price", T_NUM, G_ITEM, 0,
	    "price", NULL, "field:item.price", NULL },
	[FIELDS_GO_ITEM_ITEM_ID] = { "item.item_id", "Item ID", T_INT, G_ITEM,
	    0, "magento_item_id", NULL, "field:item.item_id", NULL },
	[FIELDS_GO_ITEM_WEIGHT] = { "item.weight", "Item Weight", T_NUM, G_ITEM, 0,
	    "weight", NULL, "field:item.weight", NULL },
	[FIELDS_GO_ITEM_DISCOUNT_AMOUNT] = { "item.discount_amount",
	    "Item Discount Amount", T_NUM, G_ITEM, 0, "discount_amount", NULL,
	    "field:item.discount_amount", NULL },
	ADDR_FIELDS(BILL_DEST)
	ADDR_FIELDS(SHIP_DEST)
};

/* One source per destination, same index, same name. */
static const struct fields_src go_srcs[] = {
	[FIELDS_GO_ORDER_ID] = { "order_id", T_TEXT, G_REC, 0, "increment_id",
	    NULL, NULL },
	[FIELDS_GO_STATUS] = { "status", T_TEXT, G_REC, 0, "status", NULL,
	    NULL },
	[FIELDS_GO_GRAND_TOTAL] = { "grand_total", T_NUM, G_REC, 0,
	    "grand_total", NULL, NULL },
	[FIELDS_GO_SHIPPING_AMOUNT] = { "shipping_amount", T_NUM, G_REC, 0,
	    "shipping_amount", NULL, NULL },
	[FIELDS_GO_COUPON_CODE] = { "coupon_code", T_TEXT, G_REC, 0,
	    "coupon_code", NULL, NULL },
	[FIELDS_GO_CUSTOMER_NOTE] = { "customer_note", T_TEXT, G_REC, 0,
	    "customer_note", NULL, NULL },
	[FIELDS_GO_DATE_CREATED] = { "date_created", T_TIME, G_REC, 0,
	    "created_at", NULL, NULL },
	[FIELDS_GO_ITEM_SKU] = { "item.sku", T_TEXT, G_ITEM, 0, "sku", NULL,
	    NULL },
	[FIELDS_GO_ITEM_NAME] = { "item.name", T_TEXT, G_ITEM, 0, "name", NULL,
	    NULL },
	[FIELDS_GO_ITEM_QTY_ORDERED] = { "item.quantity_ordered", T_NUM,
	    G_ITEM, 0, "qty_ordered", NULL, NULL },
	[FIELDS_GO_ITEM_PRICE] = { "item.price", T_NUM, G_ITEM, 0, "price",
	    NULL, NULL },
	[FIELDS_GO_ITEM_ITEM_ID] = { "item.item_id", T_INT, G_ITEM, 0,
	    "item_id", NULL, NULL },
	[FIELDS_GO_ITEM_WEIGHT] = { "item.weight", T_NUM, G_ITEM, 0, "weight",
	    NULL, NULL },
	[FIELDS_GO_ITEM_DISCOUNT_AMOUNT] = { "item.discount_amount", T_NUM,
	    G_ITEM, 0, "discount_amount", NULL, NULL },
	ADDR_FIELDS(BILL_SRC)
	ADDR_FIELDS(SHIP_SRC)
};

/* ---- sync_orders: shipments -> Magento ---------------------------------- */

static const struct fields_dest so_dests[] = {
	[FIELDS_SO_CARRIER] = { "carrier", "Carrier", T_TEXT, G_REC, R,
	    "tracks[0].carrier_code", NULL, "field:carrier",
	    "matched to Magento's carrier codes; other carriers go as "
	    "custom" },
	[FIELDS_SO_TRACKING_NUMBER] = { "tracking_number", "Tracking Number",
	    T_TEXT, G_REC, R, "tracks[0].track_number", NULL,
	    "field:tracking_number", NULL },
	[FIELDS_SO_METHOD] = { "method", "Method", T_TEXT, G_REC, 0,
	    "tracks[0].title", NULL, "field:method",
	    "the track's title; when skipped or empty, the carrier's name" },
	[FIELDS_SO_FULFILLMENT_REQUEST_NUMBER] = {
	    "fulfillment_request_number", "Fulfillment Request Number",
	    T_TEXT, G_REC, 0,
	    "arguments.extension_attributes.fulfillment_request_number", NULL,
	    "skip", "not a field of Magento's ship request: map it only "
	    "when the store has this extension attribute" },
	[FIELDS_SO_SHIPPED_AT] = { "shipped_at", "Shipped At", T_TIME, G_REC,
	    0, "arguments.extension_attributes.shipped_at", NULL, "skip",
	    "not a field of Magento's ship request: map it only when the "
	    "store has this extension attribute" },
	[FIELDS_SO_SHIPPING_COST] = { "shipping_cost", "Shipping Cost", T_NUM,
	    G_REC, 0, "arguments.extension_attributes.shipping_cost", NULL,
	    "skip", "not a field of Magento's ship request: map it only "
	    "when the store has this extension attribute" },
	[FIELDS_SO_COMMENT] = { "comment", "Comment", T_TEXT, G_REC, 0,
	    "comment.comment", NULL, "field:note",
	    "the shipment's note, else the order's; an empty comment is not "
	    "sent" },
};

static const struct fields_src so_srcs[] = {
	[FIELDS_SOS_CARRIER] = { "carrier", T_TEXT, G_REC, 0, NULL,
	    "s.carrier", NULL },
	[FIELDS_SOS_TRACKING_NUMBER] = { "tracking_number", T_TEXT, G_REC, 0,
	    NULL, "s.tracking_number", NULL },
	[FIELDS_SOS_TRACKING_URL] = { "tracking_url", T_TEXT, G_REC, 0, NULL,
	    "s.tracking_url", NULL },
	[FIELDS_SOS_METHOD] = { "method", T_TEXT, G_REC, 0, NULL, "s.method",
	    NULL },
	[FIELDS_SOS_FULFILLMENT_REQUEST_NUMBER] = {
	    "fulfillment_request_number", T_TEXT, G_REC, 0, NULL,
	    "s.fulfillment_request_number", NULL },
	[FIELDS_SOS_SHIPPED_AT] = { "shipped_at", T_TIME, G_REC, 0, NULL,
	    "s.shipped_at", NULL },
	[FIELDS_SOS_SHIPPING_COST] = { "shipping_cost", T_NUM, G_REC, 0, NULL,
	    "s.shipping_cost", NULL },
	[FIELDS_SOS_NOTE] = { "note", T_TEXT, G_REC, 0, NULL,
	    "coalesce(s.note, o.customer_note)",
	    "the shipment's note, else the order's customer note" },
	[FIELDS_SOS_SHIPMENT_NOTE] = { "shipment_note", T_TEXT, G_REC, 0, NULL,
	    "s.note", NULL },
	[FIELDS_SOS_ORDER_NOTE] = { "order_note", T_TEXT, G_REC, 0, NULL,
	    "o.customer_note", NULL },
	[FIELDS_SOS_INCREMENT_ID] = { "increment_id", T_TEXT, G_REC, 0, NULL,
	    "o.increment_id", NULL },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(N(il_dests) == FIELDS_IL_NDESTS, "import_listings layout");
_Static_assert(N(il_srcs) == FIELDS_ILS_NSRCS, "import_listings sources");
_Static_assert(N(sl_dests) == FIELDS_LP_NDESTS, "sync_listings layout");
_Static_assert(N(pl_dests) == FIELDS_LP_NDESTS, "publish_listings layout");
_Static_assert(N(lp_srcs) == FIELDS_LPS_NSRCS, "listing sources");
_Static_assert(N(go_dests) == FIELDS_GO_NDESTS, "get_orders layout");
_Static_assert(N(go_srcs) == FIELDS_GO_NDESTS, "get_orders sources");
_Static_assert(N(so_dests) == FIELDS_SO_NDESTS, "sync_orders layout");
_Static_assert(N(so_srcs) == FIELDS_SOS_NSRCS, "sync_orders sources");
_Static_assert(FIELDS_GO_NDESTS <= FIELDS_MAX, "masks are 64-bit");
_Static_assert(FIELDS_ADDR_N == 11, "address layout");

static const struct fields_proc procs[] = {
	{ PROC_IMPORT_LISTINGS, FIELDS_TO_DB, "Magento -> listings",
	    { "listings", "listing_variants", NULL, NULL, NULL },
	    il_dests, N(il_dests), il_srcs, N(il_srcs) },
	{ PROC_SYNC_LISTINGS, FIELDS_TO_MAGENTO,
	    "listings -> Magento (Sync & Link)",
	    { "product", "child product", NULL, NULL, NULL },
	    sl_dests, N(sl_dests), lp_srcs, N(lp_srcs) },
	{ PROC_PUBLISH_LISTINGS, FIELDS_TO_MAGENTO,
	    "listings -> Magento (create or update)",
	    { "product", "child product", NULL, NULL, NULL },
	    pl_dests, N(pl_dests), lp_srcs, N(lp_srcs) },
	{ PROC_GET_ORDERS, FIELDS_TO_DB, "Magento -> orders",
	    { "orders", NULL, "order_items", "order_addresses",
	    "order_addresses" },
	    go_dests, N(go_dests), go_srcs, N(go_srcs) },
	{ PROC_SYNC_ORDERS, FIELDS_TO_MAGENTO, "shipments -> Magento",
	    { "ship request", NULL, NULL, NULL, NULL },
	    so_dests, N(so_dests), so_srcs, N(so_srcs) },
};

const struct fields_proc *
fields_proc(enum proc p)
{
	size_t i;

	for (i = 0; i < N(procs); i++)
		if (procs[i].proc == p)
			return &procs[i];
	return NULL;
}

int
fields_dest_find(const struct fields_proc *fp, const char *name)
{
	size_t i;

	for (i = 0; i < fp->ndests; i++)
		if (strcmp(fp->dests[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
fields_src_find(const struct fields_proc *fp, const char *name)
{
	size_t i;

	for (i = 0; i < fp->nsrcs; i++)
		if (strcmp(fp->srcs[i].name, name) == 0)
			return (int)i;
	return -1;
}

static const char *const type_names[FIELDS_NTYPES] = {
	[FIELDS_TEXT] = "text",
	[FIELDS_NUMBER] = "number",
	[FIELDS_INTEGER] = "integer",
	[FIELDS_BOOLEAN] = "boolean",
	[FIELDS_TIMESTAMP] = "timestamp",
	[FIELDS_TEXT_ARRAY] = "text array",
	[FIELDS_JSON] = "json",
};

const char *
fields_type_name(enum fields_type t)
{
	if ((int)t < 0 || t >= FIELDS_NTYPES)
		return NULL;
	return type_names[t];
}

static const char *const group_names[FIELDS_NGROUPS] = {
	[FIELDS_RECORD] = "record",
	[FIELDS_VARIANT] = "variant",
	[FIELDS_ITEM] = "item",
	[FIELDS_BILLING] = "billing",
	[FIELDS_SHIPPING] = "shipping",
};

const char *
fields_group_name(enum fields_group g)
{
	if ((int)g < 0 || g >= FIELDS_NGROUPS)
		return NULL;
	return group_names[g];
}
