/* orders.h - get_orders' rules (SPEC §7): from Magento's order JSON
 * (salesDataOrderInterface) to rows of orders, order_addresses and
 * order_items; the searchCriteria of the order list and of the catalogue
 * price lookup; the acknowledgement comment; the page upsert statement.
 *
 * Order lines. Magento lists a configurable product as two lines: the
 * parent line (product_type configurable) carries the child's SKU and the
 * price, the child line has parent_item_id set and price 0. A parent line
 * with exactly one child line becomes ONE row: the child line's fields,
 * with the parent line's money fields (price, original_price, row totals,
 * discount, tax, each with its base_ twin) and whatever else only the
 * parent line has (product_option). use_parent_item_id = yes: the row's
 * magento_item_id is the parent line's id (what the ship endpoint wants)
 * and parent_item_id is NULL; no: the child line's id, parent_item_id the
 * parent line's. A parent with several children (a bundle) and every other
 * line stay one row each, with their own ids.
 *
 * Prices. A row's price is missing when the line has none (absent, null)
 * or, for a configurable pair, when the parent line's price is 0 too; a
 * standalone line at 0 is a free item and keeps 0. A missing price comes
 * from the catalogue (orders_need_prices, orders_price_query,
 * orders_price_parse, then orders_convert with the cache); a SKU the
 * catalogue does not know leaves the price NULL with a warning.
 *
 * The template (tmpl.h) maps every field of the get_orders catalogue; the
 * item group reads the row's merged line, the address groups the order.
 * Fixed columns, outside the template: magento_entity_id (entity_id),
 * customer_email, currency (order_currency_code), shipping_method (the
 * code in extension_attributes.shipping_assignments[0].shipping.method)
 * and shipping_method_name (the code looked up in the job's
 * shipping_methods mapping set: exact key, else "*", else the order
 * fails), and per item parent_item_id and product_type. The item.item_id
 * rule decides magento_item_id; when it writes nothing (skip, empty, no
 * value) the Magento line id above is used: the column is the row's key.
 *
 * Addresses. The billing address is the order's billing_address; the
 * shipping address exists only in
 * extension_attributes.shipping_assignments[0].shipping.address, and a
 * virtual order without one gets no shipping row.
 *
 * An order that cannot be converted (a field the template cannot convert,
 * no entity_id, a line without item_id, an unmapped shipping method, two
 * rows with one item id) fails as a whole: nothing of it is written and
 * the note says why. */
#ifndef MS_ORDERS_H
#define MS_ORDERS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "conf.h"
#include "export.h"

struct tmpl;
struct orders_conv;
struct orders_page;

/* Return codes. */
#define ORDERS_ENOMEM	(-1)	/* out of memory */
#define ORDERS_EFAIL	(-2)	/* the order failed: see the note */
#define ORDERS_EDUP	(-3)	/* the page already holds this order */

#define ORDERS_ENTITY_MAX	96
#define ORDERS_MSG_MAX		512
/* The longest Magento time text, "YYYY-MM-DD HH:MM:SS" and its NUL. */
#define ORDERS_TIME_MAX		20

struct orders_settings {
	int use_parent_item_id;
	/* The job's shipping_methods set, borrowed; NULL: none (then
	 * shipping_method_name stays NULL). */
	const struct conf_mapping_set *shipping_methods;
};

/* What orders_convert has to say about one order. */
struct orders_note {
	/* "order 000000123" (the increment id), else "order #<entity_id>",
	 * else "order". */
	char entity[ORDERS_ENTITY_MAX];
	/* ORDERS_EFAIL: why. 0: a warning when not "" (prices not found). */
	char msg[ORDERS_MSG_MAX];
};

/* ---- the order list and the comment ---------------------------------- */

/* The created_at cutoff: now - days_back days, as Magento's UTC text
 * "YYYY-MM-DD HH:MM:SS" into buf (ORDERS_TIME_MAX bytes). Returns 0, or -1
 * for days_back < 0 or a buffer too small. */
MS_EXPORT int orders_cutoff(int64_t now, int64_t days_back, char *buf,
    size_t len);

/* The query of GET /V1/orders, page `page` of page_size: a filter group
 * status in statuses (a comma list as conf normalises it; NULL or "": no
 * status group) and a group created_at gteq cutoff, sorted by created_at
 * then entity_id ascending; fields (may be NULL) becomes the fields=
 * parameter. New, or NULL (bad arguments, out of memory). */
MS_EXPORT char *orders_list_query(const char *statuses, const char *cutoff,
    const char *fields, int page_size, int page);

/* The body of POST /V1/orders/{id}/comments: a statusHistory with comment,
 * is_customer_notified 0, is_visible_on_front 0, parent_id and status (the
 * order's current Magento status: without one Magento sets the status to
 * NULL; a NULL status here is sent as null all the same). New, or NULL
 * out of memory. */
MS_EXPORT json_t *orders_ack_body(int64_t entity_id, const char *status,
    const char *comment);

/* A short label for an order JSON (see struct orders_note's entity). */
MS_EXPORT void orders_entity(const json_t *order, char *buf, size_t len);

/* ---- conversion -------------------------------------------------------- */

/* A converter for one run. t must be a get_orders template; t and the
 * settings' mapping set are borrowed and must outlive the converter. New,
 * or NULL (out of memory, t of another process). */
MS_EXPORT struct orders_conv *orders_conv_new(const struct tmpl *t,
    const struct orders_settings *s);
MS_EXPORT void orders_conv_free(struct orders_conv *c);

/* Magento's fields= filter for the order list: only what the template and
 * these rules read ("items[entity_id,...,items[sku,...],billing_address[
 * ...],extension_attributes[shipping_assignments[shipping[address[...],
 * method]]]],total_count"), a fraction of an order's JSON, which is what
 * paging mostly costs to send, receive and parse. *out new, or NULL when
 * the template reads json: paths (or might: two rules reading one source
 * look the same from outside), which need the whole order. 0, or
 * ORDERS_ENOMEM. */
MS_EXPORT int orders_fields(const struct orders_conv *c, char **out);

/* 1 if the template reads item prices (then missing ones are worth a
 * catalogue lookup), else 0. */
MS_EXPORT int orders_conv_wants_prices(const struct orders_conv *c);

/* Add to want (a JSON object used as a set: key the SKU, value null) the
 * SKUs of order's rows whose price is missing and that cache (the
 * catalogue prices known so far, see orders_price_parse; may be NULL) does
 * not know yet. Returns how many were added, or ORDERS_ENOMEM. Nothing is
 * added when the template does not read prices or the order is not
 * convertible. */
MS_EXPORT int orders_need_prices(const struct orders_conv *c,
    const json_t *order, const json_t *cache, json_t *want);

/* The query of GET /V1/products looking up SKUs of want: one filter group
 * with sku in (...) and, for SKUs holding a comma (Magento splits in lists
 * on commas), sku eq filters; fields=items[sku,price],total_count, a page
 * as large as the batch. At most max SKUs (and about 6 KB of them) go into one query:
 * those are moved from want into asked, the rest stay for the next call.
 * New, or NULL (want empty, out of memory). */
MS_EXPORT char *orders_price_query(json_t *want, json_t *asked, size_t max);

/* Read a GET /V1/products answer for the SKUs in asked into cache: key the
 * SKU in lower case (Magento's SKU lookups ignore case), value the price
 * (a JSON number), or null for an asked SKU that came back without one or
 * not at all. asked is emptied. Returns the number of prices found, or -1
 * when body is not a product list (the asked SKUs stay unknown). */
MS_EXPORT int orders_price_parse(const json_t *body, json_t *asked,
    json_t *cache);

/* Convert order into the page's rows. prices: the catalogue cache (may be
 * NULL). Returns 0 (added; note->msg may hold a warning), ORDERS_EFAIL
 * (nothing added; note->msg says why), ORDERS_EDUP (an order with this
 * entity_id is already in the page; nothing added) or ORDERS_ENOMEM (the
 * page is reset: the run cannot go on anyway). note->entity is always
 * set. A quantity ordered below 0 fails the order (the column's check
 * would fail the whole page). */
MS_EXPORT int orders_convert(struct orders_conv *c, const json_t *order,
    const json_t *prices, struct orders_page *p, struct orders_note *note);

/* The statement writing a page in one go (one statement, so one
 * transaction): $1 the channel, $2 orders_page_json. It upserts orders by
 * (channel, magento_entity_id), addresses by (order_id, kind) and items by
 * (order_id, magento_item_id), where an existing row keyed by the other
 * line of a configurable pair is re-keyed instead (use_parent_item_id
 * changed between runs), so nothing is ever duplicated. Columns the
 * template skips are left alone; rows that would not change are not
 * touched (updated_at keeps meaning "changed"); an order whose personal
 * data was purged gets neither its addresses, nor customer_email, nor
 * customer_note back. Result rows, one per order of the page: id,
 * magento_entity_id, increment_id (Magento's), status (Magento's, for the
 * acknowledgement), needs_ack ('t' when acknowledged_at IS NULL). New, or
 * NULL out of memory. */
MS_EXPORT char *orders_upsert_sql(const struct orders_conv *c);

/* ---- a page of rows --------------------------------------------------- */

MS_EXPORT struct orders_page *orders_page_new(void);
MS_EXPORT void orders_page_free(struct orders_page *p);
/* Forget every order; the page is reusable. */
MS_EXPORT void orders_page_reset(struct orders_page *p);
MS_EXPORT size_t orders_page_count(const struct orders_page *p);
/* The $2 parameter of orders_upsert_sql: new JSON text, or NULL out of
 * memory. */
MS_EXPORT char *orders_page_json(const struct orders_page *p);

#endif
