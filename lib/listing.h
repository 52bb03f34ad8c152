/* listing.h - import_listings' rules (SPEC §7): from Magento's product
 * JSON to the row import_listings stages for one product, and the
 * store-wide facts a run gathers first (category tree, media base URL,
 * stock listing pages).
 *
 * A run reads the category tree once (GET /V1/categories) and flattens it
 * here into an id -> path map; Category One, Two and Three of a product
 * are the names at levels 2, 3 and 4 (Magento's levels: 0 is the hidden
 * "Root Catalog", 1 a store's root category such as "Default Category",
 * 2 and below the named categories) along the path to the product's first
 * category link (extension_attributes.category_links[0], else the first of
 * custom_attributes.category_ids). A tree without "level" fields counts
 * its top node as level 1.
 *
 * Image URLs are a base + each media entry's file, with exactly one '/'
 * between them: the job's image_url_prefix, else the store's media base
 * URL + "catalog/product" (listing_media_base). Entries whose media_type
 * is not "image" (videos) or that have no file are left out; Magento's
 * order is kept.
 *
 * Stock: a page of MSI source items (sku, source_code, quantity, status)
 * or of legacy stock items (product_id, qty, is_in_stock) becomes three
 * PostgreSQL array literals (key, quantity, in stock) for one INSERT; MSI
 * items of sources outside the channel's list are dropped. Keys are SKUs
 * on MSI stores and product ids (decimal text) on legacy ones: the legacy
 * listing carries no SKU.
 *
 * A product becomes a staging row (enum listing_col): the template's
 * values for the listing and, for a product that may be a configurable's
 * child, for the variant; plus the columns import_listings owns beside the
 * template (Magento's id, type, status, visibility, weight, updated_at,
 * in_stock). Every value is PostgreSQL input text or NULL. The listing
 * side and the variant side fail separately (a simple product is only one
 * of the two, which the run learns later): each has an ok flag and an
 * error text naming the field and the value. Values the database would
 * refuse (an empty SKU, a negative price, a SKU too long for an index)
 * fail here, naming the field, rather than failing the page's statement. */
#ifndef MS_LISTING_H
#define MS_LISTING_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "export.h"

struct tmpl;
struct listing_cats;
struct listing_row;

/* Return codes. */
#define LISTING_ENOMEM	(-1)	/* out of memory */
#define LISTING_EITEM	(-2)	/* the row is staged, but a side failed */
#define LISTING_EBAD	(-3)	/* not a product: no id or no SKU; nothing
				 * to stage (listing_row_error says why) */

/* Longest SKU (listing or variant) accepted: B-tree index entries are
 * capped near 2.7 KB, and Magento's own limit is 64 characters. */
#define LISTING_SKU_MAX	1024

#define LISTING_ERR_MAX	320

enum listing_inv { LISTING_MSI, LISTING_LEGACY };

/* ---- categories ---------------------------------------------------------- */

/* Flatten a category tree (an object with id, name, level, children_data,
 * as GET /V1/categories answers). Nodes without an integer id are
 * skipped with their subtree; a repeated id keeps its first node. New
 * (listing_cats_free), or NULL with err: not an object, out of memory, a
 * tree deeper than 256 levels. */
MS_EXPORT struct listing_cats *listing_cats_new(const json_t *tree,
    char *err, size_t errlen);
MS_EXPORT void listing_cats_free(struct listing_cats *c);
MS_EXPORT size_t listing_cats_count(const struct listing_cats *c);

/* names[0..2] = Category One, Two, Three of category id (NULL where the
 * path is shorter); borrowed from c. Returns how many are set (0..3), or
 * -1 when c has no category id. */
MS_EXPORT int listing_cats_path(const struct listing_cats *c, int64_t id,
    const char *names[3]);

/* ---- images ---------------------------------------------------------------- */

/* The media base of store_code from GET /V1/store/storeConfigs (an array
 * of store configs): its secure_base_media_url when https is set and that
 * is an https URL, else base_media_url; + "catalog/product". New, or NULL
 * (no such store, no URL, out of memory) with err. */
MS_EXPORT char *listing_media_base(const json_t *configs,
    const char *store_code, int https, char *err, size_t errlen);

/* base + file with exactly one '/' between them. New, or NULL (OOM). */
MS_EXPORT char *listing_image_url(const char *base, const char *file);

/* ---- stock ------------------------------------------------------------------- */

/* A stock page's items as three array literals (text[], numeric[],
 * boolean[]) of *n rows, for INSERT ... SELECT unnest($1, $2, $3). sources
 * is the channel's comma list of MSI source codes (NULL or "": every
 * source); ignored for LEGACY. Items without a key or with a quantity
 * that is not a number are skipped and counted in *skipped. Each of
 * keys, qtys, flags is new (free) on success. Returns 0 or LISTING_ENOMEM
 * (nothing to free). */
MS_EXPORT int listing_stock_arrays(const json_t *items, enum listing_inv inv,
    const char *sources, char **keys, char **qtys, char **flags, size_t *n,
    size_t *skipped);

/* The key a product's stock is listed under: its SKU (MSI) or its id
 * (LEGACY), into buf. 0, or -1 when the product has none (or it does not
 * fit). */
MS_EXPORT int listing_stock_key(const json_t *product, enum listing_inv inv,
    char *buf, size_t len);

/* ---- PostgreSQL array literals --------------------------------------------- */

/* An array literal of n values ("{\"a\",\"b c\",NULL}"): every element
 * double-quoted (so "NULL", "", spaces, commas and braces stay text), '"'
 * and '\' backslash-escaped; NULL elements as NULL. New (free), or NULL
 * out of memory. */
MS_EXPORT char *listing_pg_array(const char *const *v, size_t n);

/* The same into *buf (*cap bytes, grown with realloc when too small and
 * kept for the next call: a page's columns reuse their buffers). 0, or
 * LISTING_ENOMEM (*buf unchanged). */
MS_EXPORT int listing_pg_array_to(char **buf, size_t *cap,
    const char *const *v, size_t n);

/* ---- staging rows ------------------------------------------------------------ */

/* The staging row's columns, in order. */
enum listing_col {
	LISTING_COL_MAGENTO_ID,		/* bigint: the product's entity id */
	LISTING_COL_MSKU,		/* Magento's SKU, for job_log */
	LISTING_COL_ROLE,		/* "P" configurable, "C" another type */
	LISTING_COL_OK,			/* listing side converted: "t"/"f" */
	LISTING_COL_ERR,		/* its first error, or NULL */
	LISTING_COL_VOK,		/* variant side ("C" only) */
	LISTING_COL_VERR,
	LISTING_COL_CHILDREN,		/* bigint[] of configurable links */
	/* The listing side: template destinations. */
	LISTING_COL_SKU, LISTING_COL_MASTER_SKU, LISTING_COL_NAME,
	LISTING_COL_DESCRIPTION, LISTING_COL_PRICE, LISTING_COL_QUANTITY,
	LISTING_COL_IMAGES, LISTING_COL_CATEGORY_ONE, LISTING_COL_CATEGORY_TWO,
	LISTING_COL_CATEGORY_THREE,
	/* The listing side: columns the process owns. */
	LISTING_COL_MAGENTO_STATUS, LISTING_COL_VISIBILITY, LISTING_COL_WEIGHT,
	LISTING_COL_PRODUCT_TYPE, LISTING_COL_MAGENTO_UPDATED_AT,
	LISTING_COL_IN_STOCK,
	/* The variant side: template destinations. */
	LISTING_COL_VSKU, LISTING_COL_UPC, LISTING_COL_VQUANTITY,
	LISTING_COL_VPRICE,
	LISTING_NCOLS
};

/* The staging column a template destination (FIELDS_IL_*) fills, or -1. */
MS_EXPORT int listing_dest_col(int dest);

/* What a row is built from. Everything is borrowed for the call. */
struct listing_opts {
	const struct tmpl *tmpl;	/* import_listings, compiled for the
					 * job (tmpl_compile_job) */
	const struct listing_cats *cats;	/* NULL: categories missing */
	const char *image_base;		/* NULL: images missing */
};

/* The product's stock, as the run's stock listing has it. */
struct listing_stock {
	const char *qty;		/* numeric text; NULL: not listed */
	int in_stock;			/* 1, 0; -1: unknown */
};

/* A reusable row (its buffers grow once). New, or NULL (OOM). NULL is a
 * no-op for free. */
MS_EXPORT struct listing_row *listing_row_new(void);
MS_EXPORT void listing_row_free(struct listing_row *r);

/* Build r from product (a list item of GET /V1/products). stock may be
 * NULL (nothing listed). Returns 0 (every side converted), LISTING_EITEM
 * (staged; a side failed: its ok column is "f" and its error set),
 * LISTING_EBAD (no id or SKU: do not stage) or LISTING_ENOMEM. */
MS_EXPORT int listing_row_build(struct listing_row *r,
    const struct listing_opts *o, const json_t *product,
    const struct listing_stock *stock);

/* Column c of the last build: text, or NULL for SQL NULL. Borrowed, valid
 * until the next build or free. */
MS_EXPORT const char *listing_row_value(const struct listing_row *r,
    enum listing_col c);

/* "sku ABC" for job_log's entity (the Magento SKU; "product #ID" when it
 * has none). Borrowed like a value. */
MS_EXPORT const char *listing_row_entity(const struct listing_row *r);

/* Why the last build failed: the listing side's error, else the variant
 * side's, else the LISTING_EBAD reason; "" when nothing failed. */
MS_EXPORT const char *listing_row_error(const struct listing_row *r);

/* 1 when the product is a configurable (role "P"), else 0. */
MS_EXPORT int listing_row_is_parent(const struct listing_row *r);

#endif
