/* proc_import_listings.c - import_listings: Magento -> listings (SPEC §7).
 *
 * The run, step by step (one enum, one step function):
 *   SETUP      temporary tables on the run's own connection
 *   FACTS      concurrently, what the template needs of the store: the
 *              stock listing (paged: MSI source items over the channel's
 *              sources, or the legacy stock items below a huge qty; with
 *              inventory = auto a 404 on the first source-items page means
 *              no MSI), the category tree (one GET /V1/categories) and,
 *              for image URLs without image_url_prefix, the store configs
 *              (one GET /V1/store/storeConfigs)
 *   INDEX      index the stock table
 *   PARENTS    GET /V1/products?type_id eq configurable, paged
 *   OTHERS     GET /V1/products?type_id neq configurable, paged
 *   SWEEP      after a complete run only: removed listings, stale variants
 * Pages come with up to max_concurrency requests in flight. Each product
 * page costs two queries: its products' stock (one lookup), then ONE
 * statement writing the whole page (so one transaction): the page's rows
 * travel as arrays, one per staging column, and data-modifying CTEs write
 * products, listings, variants and what the run must remember. One
 * statement rather than a transaction of several: the run's connection
 * answers one statement at a time, and on a busy host each round trip
 * costs a wake-up on both sides - measured, that was more than the work.
 * A few pages are in work at once, each in a slot: while PostgreSQL writes
 * one, the next ones' lookups are answered and they are built (JSON and
 * templates are the loop's CPU work).
 * Requests: product pages (+ at most one: the two lists split the
 * catalogue) + stock pages + at most three (category tree, store configs,
 * and on a store without MSI the source-items page that answered 404),
 * whatever the catalogue's size.
 *
 * Why two lists: children may sit on any page of a single listing, before
 * or after their parent, so a simple product could only be called
 * standalone once the whole catalogue was read - every one of them would
 * wait (in memory, or in the database to be written a second time). With
 * the configurables first, every configurable link is known before the
 * first simple product arrives: each product is decided on its own page,
 * a child (a variant of the parents that link it) or a listing of its
 * own. A store that ignored the type filter would send everything twice:
 * each list only handles its own kind, so the result stays right.
 *
 * Memory stays flat in the catalogue's size: nothing of it is held here
 * beyond the pages in hand. What a run must remember across pages lives in
 * temporary tables on the run's own connection (they die with it, so a
 * killed run leaves nothing behind):
 *   imp_stock    the stock listing (key = SKU, or product id on legacy
 *                stores); each page sums its own products' rows with one
 *                query (a million-entry SKU -> qty map in memory would
 *                be 50-80 MB)
 *   imp_links    configurable links (child id -> parent id, and the
 *                parent's listing when this run wrote it)
 *   imp_written  listings this run wrote
 *   imp_seen     listing SKUs the store has: the rest get removed_at
 *   imp_vseen    variants the store has: the rest of the variants of a
 *                listing this run wrote are deleted
 *
 * After a complete run (both lists read and written, no stop request, the
 * lists' sizes steady while paging), listings of the channel whose SKU the
 * store no longer lists get removed_at, and variants of the listings this
 * run wrote that the store no longer links are deleted; writing a listing
 * clears removed_at. create_only inserts new listings (with their
 * variants) and leaves existing ones alone, except that one the store
 * lists again loses its removed_at. An interrupted or failed run marks
 * nothing.
 *
 * Counting: every product is one item, counted when its page statement
 * commits. Products the template cannot convert, or that are not products
 * at all, are job_log errors with their SKU; the run goes on. A page the
 * database refuses for its data (SQLSTATE classes 22, 23) is written again
 * one product per transaction, so that one odd product fails alone. Any
 * other database failure ends the run. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "fields.h"
#include "http.h"
#include "listing.h"
#include "mclient.h"
#include "pager.h"
#include "procs.h"
#include "run.h"
#include "tmpl.h"

#define BIT(i)		((uint64_t)1 << (i))
#define IL_MSG_MAX	1024
/* Legacy stock items are listed below a quantity: above what Magento's
 * decimal(12,4) qty column can hold, so every item is. */
#define IL_LEGACY_QTY	"100000000"
/* Statements in one transaction, at most. */
#define CHAIN_MAX	16

enum il_state {
	IL_SETUP,
	IL_FACTS,
	IL_INDEX,
	IL_PARENTS,
	IL_OTHERS,
	IL_SWEEP,
	IL_DONE
};

/* Which list a page comes from: the statements differ. */
enum il_mode { M_PARENTS, M_OTHERS };

struct il;

/* Rows of one statement in a chain (res borrowed for the call). */
typedef void chain_rows_cb(struct il *g, PGresult *res);
/* The chain ended: err NULL when every statement succeeded. */
typedef void chain_done_cb(struct il *g, const char *err,
    const char *sqlstate);

/* Statements queued at once on the run's connection, answered in order. */
struct chain {
	chain_rows_cb *rows[CHAIN_MAX];
	int queued, answered, armed, busy;
	char err[IL_MSG_MAX];
	char sqlstate[6];
	chain_done_cb *done;
};

/* Pages in work at once (see "product pages: slots"). */
#define IL_SLOTS	3

/* A product page from its stock lookup to its statement's answer. */
struct slot {
	struct il *g;
	int used;
	enum il_mode mode;
	json_t *items;			/* the page, until it is built */
	int64_t page_no;
	struct listing_row **rows;	/* the page's staging rows */
	size_t nrows, caprows;
	const char **col;		/* one column of them */
	char *arr[LISTING_NCOLS];	/* the columns as array literals,
					 * buffers kept page after page */
	size_t arrcap[LISTING_NCOLS];
	int singles, retries, out;
	size_t single;
	char err[IL_MSG_MAX];
	char sqlstate[6];
	int64_t c_ok, c_failed, c_listings, c_variants;	/* at commit */
	char **notes;			/* "entity\0message" pairs, at commit */
	size_t nnotes, capnotes;
};

/* A product's stock as the page's lookup found it. */
struct stock_ent {
	char *key, *qty;
	int in_stock;
};

struct il {
	struct run *r;
	enum il_state st;
	struct http *http;
	struct mclient *mc;
	struct pager *pager;		/* the one running, if any */
	struct tmpl *t;
	struct listing_cats *cats;
	char *image_base;		/* prefix or media base; NULL: none */
	enum listing_inv inv;
	int inv_auto, need_stock, need_cats, need_media;
	int create_only, master, hard, reqs;
	uint64_t mapped;
	char *fatal;			/* the run cannot go on: why */
	struct chain ch;

	/* The page statements, built once from the template (static pieces
	 * only), per list. */
	char *sql_page[2];

	/* Product pages in work, and one waiting for a free slot. */
	struct slot slots[IL_SLOTS];
	struct pager *hold_src;
	json_t *hold_items;
	int64_t hold_page;
	int stock_out;			/* stock inserts not answered yet */
	struct stock_ent *stock;	/* the page being built */
	size_t nstock;

	/* Counters. */
	int64_t stock_pages, stock_last, stock_rows, stock_skipped;
	int64_t pages[2], last_page[2], total[2], seen;
	int total_changed, done[2];
	int64_t listings, variants, removed, stale;
};

static void il_step(struct il *g);

static void
il_fatal(struct il *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The first fatal reason wins; paging stops at its next boundary. */
static void
il_fatal(struct il *g, const char *fmt, ...)
{
	char buf[IL_MSG_MAX];
	va_list ap;

	if (g->fatal != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	g->fatal = strdup(buf);
	if (g->fatal == NULL)
		g->fatal = strdup("out of memory");
	if (g->pager != NULL)
		pager_stop(g->pager, "stopped");
}

static int
il_stopping(const struct il *g)
{
	return g->fatal != NULL || g->hard || run_cancelled(g->r);
}

static enum il_mode
il_mode(const struct il *g)
{
	return g->st == IL_PARENTS ? M_PARENTS : M_OTHERS;
}

/* ---- a growable string for SQL built from static pieces ------------------ */

struct sb {
	char *s;
	size_t len, cap;
	int oom;
};

static void
sb_add(struct sb *b, const char *s)
{
	size_t n = strlen(s), cap;
	char *p;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 512;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static char *
sb_take(struct sb *b)
{
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

static const char *const sql_setup[] = {
	"CREATE TEMPORARY TABLE imp_stock (key text NOT NULL, qty numeric, "
	    "in_stock boolean)",
	"CREATE TEMPORARY TABLE imp_links (child_id bigint NOT NULL, "
	    "parent_id bigint NOT NULL, listing_id bigint, "
	    "PRIMARY KEY (child_id, parent_id))",
	"CREATE TEMPORARY TABLE imp_written (listing_id bigint PRIMARY KEY)",
	"CREATE TEMPORARY TABLE imp_seen (sku text PRIMARY KEY)",
	"CREATE TEMPORARY TABLE imp_vseen (listing_id bigint NOT NULL, "
	    "sku text NOT NULL, PRIMARY KEY (listing_id, sku))",
};

static const char sql_stock_insert[] =
    "INSERT INTO imp_stock (key, qty, in_stock) SELECT lower(u.k), u.q, u.f "
    "FROM unnest($1::text[], $2::numeric[], $3::boolean[]) AS u (k, q, f)";

static const char sql_stock_lookup[] =
    "SELECT u.k, sum(s.qty)::text, bool_or(s.in_stock) "
    "FROM (SELECT DISTINCT k FROM unnest($1::text[]) AS x (k)) u "
    "JOIN imp_stock s ON s.key = lower(u.k) GROUP BY u.k";


static const char sql_sweep_removed[] =
    "WITH u AS (UPDATE magsync.listings l SET removed_at = now() "
    "WHERE l.channel = $1 AND l.removed_at IS NULL AND NOT EXISTS ("
    "SELECT 1 FROM imp_seen s WHERE s.sku = l.sku) RETURNING 1) "
    "SELECT count(*) FROM u";

static const char sql_sweep_variants[] =
    "WITH d AS (DELETE FROM magsync.listing_variants v USING imp_written w "
    "WHERE v.listing_id = w.listing_id AND NOT EXISTS (SELECT 1 FROM "
    "imp_vseen s WHERE s.listing_id = v.listing_id AND s.sku = v.sku) "
    "RETURNING 1) SELECT count(*) FROM d";


/* ---- the page statement ------------------------------------------------- */

/* The staging row's columns (enum listing_col order) as the page
 * statement reads them: one text[] parameter each, $3 onwards, cast to
 * these types. */
struct stage_col {
	const char *name, *type;
};

static const struct stage_col stage_cols[LISTING_NCOLS] = {
	[LISTING_COL_MAGENTO_ID] = { "magento_id", "bigint" },
	[LISTING_COL_MSKU] = { "msku", "text" },
	[LISTING_COL_ROLE] = { "role", "text" },
	[LISTING_COL_OK] = { "ok", "boolean" },
	[LISTING_COL_ERR] = { "err", "text" },
	[LISTING_COL_VOK] = { "vok", "boolean" },
	[LISTING_COL_VERR] = { "verr", "text" },
	[LISTING_COL_CHILDREN] = { "children", "bigint[]" },
	[LISTING_COL_SKU] = { "sku", "text" },
	[LISTING_COL_MASTER_SKU] = { "master_sku", "text" },
	[LISTING_COL_NAME] = { "name", "text" },
	[LISTING_COL_DESCRIPTION] = { "description", "text" },
	[LISTING_COL_PRICE] = { "price", "numeric" },
	[LISTING_COL_QUANTITY] = { "quantity", "numeric" },
	[LISTING_COL_IMAGES] = { "images", "text[]" },
	[LISTING_COL_CATEGORY_ONE] = { "category_one", "text" },
	[LISTING_COL_CATEGORY_TWO] = { "category_two", "text" },
	[LISTING_COL_CATEGORY_THREE] = { "category_three", "text" },
	[LISTING_COL_MAGENTO_STATUS] = { "magento_status", "integer" },
	[LISTING_COL_VISIBILITY] = { "visibility", "integer" },
	[LISTING_COL_WEIGHT] = { "weight", "numeric" },
	[LISTING_COL_PRODUCT_TYPE] = { "product_type", "text" },
	[LISTING_COL_MAGENTO_UPDATED_AT] = { "magento_updated_at",
	    "timestamptz" },
	[LISTING_COL_IN_STOCK] = { "in_stock", "boolean" },
	[LISTING_COL_VSKU] = { "vsku", "text" },
	[LISTING_COL_UPC] = { "upc", "text" },
	[LISTING_COL_VQUANTITY] = { "vquantity", "numeric" },
	[LISTING_COL_VPRICE] = { "vprice", "numeric" },
};

/* $1 and $2; the columns follow. */
#define PRM_CHANNEL	0
#define PRM_STATUS	1
#define PRM_COLS	2
#define PRM_N		(PRM_COLS + LISTING_NCOLS)

/* Listing columns the process owns, always written. */
static const char *const owned_cols[] = {
	"magento_id", "magento_status", "visibility", "weight",
	"product_type", "magento_updated_at"
};

/* Template destinations written to listings and listing_variants beside
 * the keys (sku, variant.sku) and master_sku (the product link). */
static const int listing_dests[] = {
	FIELDS_IL_NAME, FIELDS_IL_DESCRIPTION, FIELDS_IL_PRICE,
	FIELDS_IL_QUANTITY, FIELDS_IL_IMAGES, FIELDS_IL_CATEGORY_ONE,
	FIELDS_IL_CATEGORY_TWO, FIELDS_IL_CATEGORY_THREE
};
static const int variant_dests[] = {
	FIELDS_IL_VARIANT_UPC, FIELDS_IL_VARIANT_QUANTITY,
	FIELDS_IL_VARIANT_PRICE
};

#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* The rows of a page that become listings: its configurables, or the
 * other products no configurable links. */
static const char *const mode_where[] = {
	[M_PARENTS] = "r.role = 'P'",
	[M_OTHERS] = "r.role = 'C' AND NOT EXISTS (SELECT 1 FROM imp_links k "
	    "WHERE k.child_id = r.magento_id)",
};

/* The children of a page: products linked to a parent this run wrote. */
static const char sql_kids_from[] =
    " FROM src c JOIN imp_links k ON k.child_id = c.magento_id "
    "WHERE c.role = 'C' AND k.listing_id IS NOT NULL";

static const char *
dest_target(int d)
{
	return fields_proc(PROC_IMPORT_LISTINGS)->dests[d].target;
}

static const char *
dest_stage(int d)
{
	return stage_cols[listing_dest_col(d)].name;
}

static void
add_dest_list(struct sb *b, const struct il *g, const int *dests, size_t n,
    const char *prefix, int stage)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g->mapped & BIT(dests[i])) {
			sb_add(b, prefix);
			sb_add(b, stage ? dest_stage(dests[i]) :
			    dest_target(dests[i]));
		}
}

static void
add_dest_set(struct sb *b, const struct il *g, const int *dests, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g->mapped & BIT(dests[i])) {
			sb_add(b, dest_target(dests[i]));
			sb_add(b, " = EXCLUDED.");
			sb_add(b, dest_target(dests[i]));
			sb_add(b, ", ");
		}
}

static void
add_num(struct sb *b, const char *prefix, int n)
{
	char num[24];

	snprintf(num, sizeof(num), "%s%d", prefix, n);
	sb_add(b, num);
}

/* The page's rows, from one text[] parameter per column. */
static void
add_src(struct sb *b)
{
	int c;

	sb_add(b, "WITH src AS (SELECT ");
	for (c = 0; c < LISTING_NCOLS; c++) {
		add_num(b, c ? ", u.c" : "u.c", c);
		sb_add(b, "::");
		sb_add(b, stage_cols[c].type);
		sb_add(b, " AS ");
		sb_add(b, stage_cols[c].name);
	}
	sb_add(b, " FROM unnest(");
	for (c = 0; c < LISTING_NCOLS; c++) {
		add_num(b, c ? ", $" : "$", PRM_COLS + c + 1);
		sb_add(b, "::text[]");
	}
	sb_add(b, ") AS u (");
	for (c = 0; c < LISTING_NCOLS; c++)
		add_num(b, c ? ", c" : "c", c);
	sb_add(b, "))");
}

/* Master products for the listings about to be written (with create_only
 * only for listings that do not exist yet). ORDER BY: concurrent imports
 * of two channels take the unique index's locks in one order, so they
 * cannot deadlock. */
static void
add_products(struct sb *b, const struct il *g, enum il_mode m)
{
	sb_add(b, ", prod AS (INSERT INTO magsync.products (master_sku, name) "
	    "SELECT DISTINCT ON (r.master_sku) r.master_sku, r.name FROM src r "
	    "WHERE ");
	sb_add(b, mode_where[m]);
	sb_add(b, " AND r.ok AND r.master_sku IS NOT NULL");
	if (g->create_only)
		sb_add(b, " AND NOT EXISTS (SELECT 1 FROM magsync.listings l "
		    "WHERE l.channel = $1 AND l.sku = r.sku)");
	sb_add(b, " ORDER BY r.master_sku, r.magento_id ON CONFLICT "
	    "(master_sku) DO NOTHING RETURNING id, master_sku), "
	    /* A map, not a join: the planner cannot know how many rows a
	     * CTE has and joins them in a nested loop, page x page. */
	    "pm AS MATERIALIZED (SELECT coalesce(jsonb_object_agg(master_sku, id), "
	    "'{}'::jsonb) AS m FROM prod)");
}

/* The listings upsert. Only the template's mapped destinations are
 * written; status only on insert. The product link is the row this
 * statement inserted or the one that was there: one another session
 * inserted meanwhile is neither, and is linked by a second statement. */
static void
add_listings(struct sb *b, const struct il *g, enum il_mode m)
{
	size_t i;

	sb_add(b, ", up AS (INSERT INTO magsync.listings AS l (channel, sku");
	add_dest_list(b, g, listing_dests, N(listing_dests), ", ", 0);
	if (g->master)
		sb_add(b, ", product_id");
	for (i = 0; i < N(owned_cols); i++) {
		sb_add(b, ", ");
		sb_add(b, owned_cols[i]);
	}
	if (g->need_stock)
		sb_add(b, ", in_stock");
	sb_add(b, ", status, imported_at, removed_at) "
	    "SELECT DISTINCT ON (r.sku) $1, r.sku");
	add_dest_list(b, g, listing_dests, N(listing_dests), ", r.", 1);
	if (g->master)
		sb_add(b, ", coalesce((pm.m ->> r.master_sku)::bigint, p.id)");
	for (i = 0; i < N(owned_cols); i++) {
		sb_add(b, ", r.");
		sb_add(b, owned_cols[i]);
	}
	if (g->need_stock)
		sb_add(b, ", r.in_stock");
	sb_add(b, ", $2, now(), NULL FROM src r");
	if (g->master)
		sb_add(b, " CROSS JOIN pm LEFT JOIN magsync.products p "
		    "ON p.master_sku = r.master_sku");
	sb_add(b, " WHERE ");
	sb_add(b, mode_where[m]);
	sb_add(b, " AND r.ok ORDER BY r.sku, r.magento_id DESC "
	    "ON CONFLICT (channel, sku) ");
	if (g->create_only) {
		sb_add(b, "DO NOTHING");
	} else {
		sb_add(b, "DO UPDATE SET ");
		add_dest_set(b, g, listing_dests, N(listing_dests));
		if (g->master)
			sb_add(b, "product_id = EXCLUDED.product_id, ");
		for (i = 0; i < N(owned_cols); i++) {
			sb_add(b, owned_cols[i]);
			sb_add(b, " = EXCLUDED.");
			sb_add(b, owned_cols[i]);
			sb_add(b, ", ");
		}
		if (g->need_stock)
			sb_add(b, "in_stock = EXCLUDED.in_stock, ");
		sb_add(b, "imported_at = EXCLUDED.imported_at, "
		    "removed_at = NULL");
	}
	sb_add(b, " RETURNING l.id, l.magento_id, l.sku, l.product_id)");
}

/* What the run remembers of the listings: those written (their variants
 * go there; the sweep cleans their variants) and the SKUs seen (the sweep
 * marks the others removed). A listing the store lists again loses
 * removed_at: the upsert clears it for the rows it writes, this for the
 * rest (products that failed; existing listings under create_only),
 * never touching a row the upsert writes. */
static void
add_memory(struct sb *b, const struct il *g, enum il_mode m)
{
	sb_add(b, ", w AS (INSERT INTO imp_written (listing_id) SELECT id "
	    "FROM up ON CONFLICT DO NOTHING), "
	    "sn AS (INSERT INTO imp_seen (sku) SELECT DISTINCT "
	    "coalesce(r.sku, r.msku) FROM src r WHERE ");
	sb_add(b, mode_where[m]);
	sb_add(b, " ON CONFLICT DO NOTHING), ur AS (UPDATE magsync.listings l "
	    "SET removed_at = NULL FROM src r WHERE ");
	sb_add(b, mode_where[m]);
	if (!g->create_only)
		sb_add(b, " AND NOT r.ok AND NOT EXISTS (SELECT 1 FROM src o "
		    "WHERE o.ok AND o.sku = coalesce(r.sku, r.msku))");
	sb_add(b, " AND l.channel = $1 AND l.sku = coalesce(r.sku, r.msku) "
	    "AND l.removed_at IS NOT NULL)");
}

/* The page's children: variants of the parents this run wrote (a child of
 * two configurables is a variant of both), and the variants the store
 * has, for the sweep. */
static void
add_variants(struct sb *b, const struct il *g)
{
	sb_add(b, ", kids AS (SELECT DISTINCT ON (k.listing_id, c.vsku) "
	    "k.listing_id, c.*");
	sb_add(b, sql_kids_from);
	sb_add(b, " AND c.vok ORDER BY k.listing_id, c.vsku, c.magento_id "
	    "DESC), vup AS (INSERT INTO magsync.listing_variants AS v "
	    "(listing_id, sku");
	add_dest_list(b, g, variant_dests, N(variant_dests), ", ", 0);
	sb_add(b, ", magento_id) SELECT listing_id, vsku");
	add_dest_list(b, g, variant_dests, N(variant_dests), ", ", 1);
	sb_add(b, ", magento_id FROM kids ON CONFLICT (listing_id, sku) DO "
	    "UPDATE SET ");
	add_dest_set(b, g, variant_dests, N(variant_dests));
	sb_add(b, "magento_id = EXCLUDED.magento_id RETURNING 1), "
	    "vs AS (INSERT INTO imp_vseen (listing_id, sku) SELECT DISTINCT "
	    "k.listing_id, coalesce(c.vsku, c.msku)");
	sb_add(b, sql_kids_from);
	sb_add(b, " ON CONFLICT DO NOTHING)");
}

/* One page, one statement (so one transaction, and one round trip: on a
 * busy host each round trip costs a wake-up on both sides, which
 * measured more than the statements themselves). Answers tagged rows:
 *   L  listings written (count)
 *   V  variants written (count)
 *   D  msku, ok, err: each product other than a configurable, decided
 *      as a listing (its listing side) or a child (its variant side)
 *   U  sku, master_sku: a listing left without its product link */
static char *
build_page(const struct il *g, enum il_mode m)
{
	struct sb b = { NULL, 0, 0, 0 };

	add_src(&b);
	if (g->master)
		add_products(&b, g, m);
	add_listings(&b, g, m);
	add_memory(&b, g, m);
	if (m == M_PARENTS)
		sb_add(&b, ", lk AS (INSERT INTO imp_links (child_id, "
		    "parent_id, listing_id) SELECT DISTINCT unnest(r.children), "
		    "r.magento_id, up.id FROM src r LEFT JOIN up "
		    "ON up.magento_id = r.magento_id WHERE r.role = 'P' "
		    "ON CONFLICT (child_id, parent_id) DO UPDATE SET "
		    "listing_id = coalesce(EXCLUDED.listing_id, "
		    "imp_links.listing_id))");
	else
		add_variants(&b, g);
	sb_add(&b, " SELECT 'L', count(*)::text, NULL, NULL FROM up");
	if (m == M_OTHERS)
		sb_add(&b, " UNION ALL SELECT 'V', count(*)::text, NULL, NULL "
		    "FROM vup UNION ALL SELECT 'D', r.msku, (CASE WHEN x.child "
		    "THEN r.vok ELSE r.ok END)::text, CASE WHEN x.child THEN "
		    "r.verr ELSE r.err END FROM src r CROSS JOIN LATERAL (SELECT "
		    "EXISTS (SELECT 1 FROM imp_links k WHERE k.child_id = "
		    "r.magento_id) AS child) x WHERE r.role = 'C'");
	if (g->master)
		sb_add(&b, " UNION ALL SELECT 'U', up.sku, r.master_sku, NULL "
		    "FROM up JOIN src r ON r.magento_id = up.magento_id "
		    "WHERE up.product_id IS NULL AND r.master_sku IS NOT NULL");
	return sb_take(&b);
}

static const char sql_relink[] =
    "UPDATE magsync.listings l SET product_id = p.id "
    "FROM unnest($2::text[], $3::text[]) AS u (sku, master_sku) "
    "JOIN magsync.products p ON p.master_sku = u.master_sku "
    "WHERE l.channel = $1 AND l.sku = u.sku";

/* ---- chains of statements ------------------------------------------------- */

static void
chain_answer(struct il *g, PGresult *res, const char *err,
    const char *sqlstate)
{
	struct chain *ch = &g->ch;
	int i = ch->answered++;

	if (err != NULL && ch->err[0] == '\0') {
		snprintf(ch->err, sizeof(ch->err), "%s", err);
		snprintf(ch->sqlstate, sizeof(ch->sqlstate), "%s",
		    sqlstate ? sqlstate : "");
	}
	if (err == NULL && res != NULL && ch->err[0] == '\0' &&
	    i < CHAIN_MAX && ch->rows[i] != NULL)
		ch->rows[i](g, res);
	if (ch->armed && ch->answered == ch->queued) {
		ch->busy = 0;
		ch->done(g, ch->err[0] != '\0' ? ch->err : NULL, ch->sqlstate);
	}
}

static void
on_chain_query(struct run *r, PGresult *res, const char *err, void *arg)
{
	const char *state = res != NULL ? PQresultErrorField(res,
	    PG_DIAG_SQLSTATE) : NULL;

	(void)r;
	chain_answer(arg, res, err, state);
}

static void
chain_begin(struct il *g, chain_done_cb *done)
{
	memset(&g->ch, 0, sizeof(g->ch));
	g->ch.busy = 1;
	g->ch.done = done;
}

/* A statement that could not be queued fails the chain; what was queued
 * still answers. */
static void
chain_refused(struct il *g, const char *why)
{
	if (g->ch.err[0] == '\0')
		snprintf(g->ch.err, sizeof(g->ch.err), "%s", why);
}

static void
chain_q(struct il *g, const char *sql, int n, const char *const *p,
    chain_rows_cb *rows)
{
	if (g->ch.err[0] != '\0' || g->ch.queued >= CHAIN_MAX) {
		chain_refused(g, "internal error: chain too long");
		return;
	}
	if (sql == NULL) {
		chain_refused(g, "out of memory");
		return;
	}
	g->ch.rows[g->ch.queued] = rows;
	if (run_query(g->r, sql, n, p, on_chain_query, g) < 0) {
		chain_refused(g, "database connection lost");
		return;
	}
	g->ch.queued++;
}

/* Everything is queued: done fires after the last answer (at once when
 * nothing could be queued). */
static void
chain_end(struct il *g)
{
	g->ch.armed = 1;
	if (g->ch.answered == g->ch.queued) {
		g->ch.busy = 0;
		g->ch.done(g, g->ch.err[0] != '\0' ? g->ch.err : "nothing "
		    "queued", g->ch.sqlstate);
	}
}


/* ---- notes: job_log rows that wait for their commit ------------------------ */

static void
note_add(struct slot *s, const char *entity, const char *msg)
{
	size_t el = strlen(entity), ml = strlen(msg);
	char **n, *p;

	if (s->nnotes == s->capnotes) {
		size_t cap = s->capnotes ? 2 * s->capnotes : 64;

		if ((n = realloc(s->notes, cap * sizeof(*n))) == NULL)
			return;
		s->notes = n;
		s->capnotes = cap;
	}
	if ((p = malloc(el + ml + 2)) == NULL)
		return;
	memcpy(p, entity, el + 1);
	memcpy(p + el + 1, msg, ml + 1);
	s->notes[s->nnotes++] = p;
}

static void
notes_clear(struct slot *s)
{
	size_t i;

	for (i = 0; i < s->nnotes; i++)
		free(s->notes[i]);
	s->nnotes = 0;
	s->c_ok = s->c_failed = s->c_listings = s->c_variants = 0;
}

/* The statement committed: its counts and failures are real now. */
static void
notes_commit(struct slot *s)
{
	struct il *g = s->g;
	size_t i;

	for (i = 0; i < s->nnotes; i++)
		run_log(g->r, RUN_ERROR, s->notes[i],
		    s->notes[i] + strlen(s->notes[i]) + 1, NULL);
	run_count(g->r, s->c_ok, s->c_failed);
	g->listings += s->c_listings;
	g->variants += s->c_variants;
	notes_clear(s);
}

/* An item failed on its own, whatever commits. */
static void
item_failed(struct il *g, const char *entity, const char *msg)
{
	run_log(g->r, RUN_ERROR, entity, msg, NULL);
	run_count(g->r, 0, 1);
}

static int64_t
count_of(PGresult *res)
{
	if (PQntuples(res) != 1 || PQnfields(res) < 1)
		return 0;
	return strtoll(PQgetvalue(res, 0, 0), NULL, 10);
}

/* ---- progress ------------------------------------------------------------------ */

static void
progress(struct il *g)
{
	if (g->st == IL_FACTS)
		run_progress(g->r, "stock: %" PRId64 "/%" PRId64 " pages",
		    g->stock_pages, g->stock_last);
	else if (g->st == IL_PARENTS || g->st == IL_OTHERS)
		run_progress(g->r, "%s: %" PRId64 "/%" PRId64 " pages; "
		    "products: %" PRId64 "/%" PRId64 " items",
		    g->st == IL_PARENTS ? "configurables" : "other products",
		    g->pages[il_mode(g)], g->last_page[il_mode(g)], g->seen,
		    g->total[M_PARENTS] + g->total[M_OTHERS]);
}

/* ---- product pages: slots -----------------------------------------------------
 *
 * A page goes: stock lookup, build (C), one statement. A slot keeps a
 * reference to the page's JSON and hands the page back to the pager at
 * once, so the lookups of the pages in the slots are queued on the
 * connection early: by the time PostgreSQL has written one page, the next
 * one's lookup has been answered and the page built, and its statement
 * follows without a gap. A page that finds every slot busy waits (held)
 * until one is free, and the pager sends no more meanwhile. Memory: the
 * slots' pages and the pager's window, whatever the catalogue's size. */

static void slot_take(struct slot *s, struct pager *p, json_t *items,
    int64_t page_no);

static void
slot_release_page(struct slot *s)
{
	json_decref(s->items);
	s->items = NULL;
}

static void
hold_release(struct il *g)
{
	struct pager *src = g->hold_src;

	json_decref(g->hold_items);
	g->hold_items = NULL;
	g->hold_src = NULL;
	if (src != NULL)
		pager_page_done(src);
}

/* The slot is free again: the held page, if any, takes it. */
static void
slot_end(struct slot *s)
{
	struct il *g = s->g;

	slot_release_page(s);
	s->used = 0;
	s->nrows = 0;
	s->singles = 0;
	s->retries = 0;
	notes_clear(s);
	if (g->hold_src != NULL && il_stopping(g))
		hold_release(g);
	if (g->hold_src != NULL) {
		struct pager *p = g->hold_src;
		json_t *items = g->hold_items;

		g->hold_src = NULL;
		g->hold_items = NULL;
		slot_take(s, p, items, g->hold_page);
		json_decref(items);
		return;
	}
	il_step(g);
}

static void
slot_done(struct slot *s)
{
	s->g->pages[s->mode]++;
	progress(s->g);
	slot_end(s);
}

static void
stock_clear(struct il *g)
{
	size_t i;

	for (i = 0; i < g->nstock; i++) {
		free(g->stock[i].key);
		free(g->stock[i].qty);
	}
	free(g->stock);
	g->stock = NULL;
	g->nstock = 0;
}

static int
cmp_stock(const void *a, const void *b)
{
	return strcmp(((const struct stock_ent *)a)->key,
	    ((const struct stock_ent *)b)->key);
}

static const struct stock_ent *
stock_find(const struct il *g, const char *key)
{
	struct stock_ent k = { (char *)key, NULL, 0 };

	if (g->nstock == 0)
		return NULL;
	return bsearch(&k, g->stock, g->nstock, sizeof(k), cmp_stock);
}

static int
rows_reserve(struct slot *s, size_t n)
{
	struct listing_row **rows;
	const char **col;
	size_t i;

	if (n <= s->caprows)
		return 0;
	if ((rows = realloc(s->rows, n * sizeof(*rows))) == NULL)
		return -1;
	s->rows = rows;
	for (i = s->caprows; i < n; i++)
		rows[i] = NULL;
	for (i = s->caprows; i < n; i++) {
		if ((rows[i] = listing_row_new()) == NULL)
			return -1;
		s->caprows = i + 1;
	}
	if ((col = realloc(s->col, n * sizeof(*col))) == NULL)
		return -1;
	s->col = col;
	return 0;
}

/* Every product of the page of the slot's kind becomes a staging row, or
 * fails alone. 0, or -1 out of memory. */
static int
slot_build(struct slot *s)
{
	struct il *g = s->g;
	struct listing_opts o = { g->t, g->cats, g->image_base };
	char key[LISTING_SKU_MAX + 1];
	const struct stock_ent *e;
	struct listing_stock st;
	struct listing_row *row;
	const json_t *item;
	size_t i;
	int rc;

	if (rows_reserve(s, json_array_size(s->items)) < 0)
		return -1;
	s->nrows = 0;
	json_array_foreach(s->items, i, item) {
		row = s->rows[s->nrows];
		st.qty = NULL;
		st.in_stock = -1;
		if (g->need_stock && listing_stock_key(item, g->inv, key,
		    sizeof(key)) == 0 && (e = stock_find(g, key)) != NULL) {
			st.qty = e->qty;
			st.in_stock = e->in_stock;
		}
		if ((rc = listing_row_build(row, &o, item, &st)) ==
		    LISTING_ENOMEM)
			return -1;
		/* Each list handles its own kind (a store that ignored the
		 * type filter sends every product in both). */
		if (rc != LISTING_EBAD && listing_row_is_parent(row) !=
		    (s->mode == M_PARENTS))
			continue;
		g->seen++;
		if (rc == LISTING_EBAD) {
			item_failed(g, listing_row_entity(row),
			    listing_row_error(row));
			continue;
		}
		/* A configurable that cannot be converted fails now; the
		 * others when SQL knows whether they are children. */
		if (listing_row_is_parent(row) && rc == LISTING_EITEM)
			item_failed(g, listing_row_entity(row),
			    listing_row_error(row));
		s->nrows++;
	}
	return 0;
}

static void slot_write(struct slot *s);

/* The slot failed for good: the run stops. */
static void
slot_fatal(struct slot *s, const char *fmt, const char *arg)
{
	il_fatal(s->g, fmt, arg);
	slot_end(s);
}

static void
on_lookup(struct run *r, PGresult *res, const char *err, void *arg)
{
	struct slot *s = arg;
	struct il *g = s->g;
	int i, n;

	(void)r;
	s->out--;
	if (err != NULL || res == NULL) {
		slot_fatal(s, "stock lookup failed: %s", err ? err :
		    "no result");
		return;
	}
	if (il_stopping(g)) {
		slot_end(s);
		return;
	}
	n = PQntuples(res);
	if (n > 0 && (g->stock = calloc((size_t)n, sizeof(*g->stock))) ==
	    NULL) {
		slot_fatal(s, "%s", "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		g->stock[i].key = strdup(PQgetvalue(res, i, 0));
		g->stock[i].qty = PQgetisnull(res, i, 1) ? NULL :
		    strdup(PQgetvalue(res, i, 1));
		g->stock[i].in_stock = PQgetisnull(res, i, 2) ? -1 :
		    strcmp(PQgetvalue(res, i, 2), "t") == 0;
		g->nstock++;
		if (g->stock[i].key == NULL || (g->stock[i].qty == NULL &&
		    !PQgetisnull(res, i, 1))) {
			stock_clear(g);
			slot_fatal(s, "%s", "out of memory");
			return;
		}
	}
	if (g->nstock > 1)
		qsort(g->stock, g->nstock, sizeof(*g->stock), cmp_stock);
	i = slot_build(s);
	stock_clear(g);
	if (i < 0) {
		slot_fatal(s, "%s", "out of memory");
		return;
	}
	slot_write(s);
}

/* The page's stock, one query for all its products. */
static void
slot_lookup(struct slot *s)
{
	struct il *g = s->g;
	char key[LISTING_SKU_MAX + 1], **keys, *lit;
	const char *p[1];
	const json_t *item;
	size_t i, n = 0;

	if (!g->need_stock) {
		if (slot_build(s) < 0) {
			slot_fatal(s, "%s", "out of memory");
			return;
		}
		slot_write(s);
		return;
	}
	if ((keys = calloc(json_array_size(s->items) + 1, sizeof(*keys))) ==
	    NULL) {
		slot_fatal(s, "%s", "out of memory");
		return;
	}
	json_array_foreach(s->items, i, item) {
		if (listing_stock_key(item, g->inv, key, sizeof(key)) < 0)
			continue;
		if ((keys[n] = strdup(key)) == NULL)
			break;
		n++;
	}
	lit = i < json_array_size(s->items) ? NULL :
	    listing_pg_array((const char *const *)keys, n);
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	if (lit == NULL) {
		slot_fatal(s, "%s", "out of memory");
		return;
	}
	p[0] = lit;
	if (run_query(g->r, sql_stock_lookup, 1, p, on_lookup, s) < 0) {
		free(lit);
		slot_fatal(s, "%s", "database connection lost");
		return;
	}
	free(lit);
	s->out++;
}

/* items is borrowed (a reference is taken); p gets its page back. */
static void
slot_take(struct slot *s, struct pager *p, json_t *items, int64_t page_no)
{
	s->used = 1;
	s->mode = il_mode(s->g);
	s->items = json_incref(items);
	s->page_no = page_no;
	s->err[0] = '\0';
	s->sqlstate[0] = '\0';
	pager_page_done(p);
	slot_lookup(s);
}

static void on_slot_answer(struct run *r, PGresult *res, const char *err,
    void *arg);

/* Listings whose master product another session inserted while the page
 * statement ran: now it is committed and visible. */
static void
relink(struct slot *s, PGresult *res)
{
	const char **sku, **ms;
	char *sl = NULL, *ml = NULL;
	const char *p[3];
	int i, n = 0;

	sku = calloc((size_t)PQntuples(res), sizeof(*sku));
	ms = calloc((size_t)PQntuples(res), sizeof(*ms));
	if (sku != NULL && ms != NULL) {
		for (i = 0; i < PQntuples(res); i++)
			if (PQgetvalue(res, i, 0)[0] == 'U') {
				sku[n] = PQgetvalue(res, i, 1);
				ms[n++] = PQgetvalue(res, i, 2);
			}
		sl = listing_pg_array(sku, (size_t)n);
		ml = listing_pg_array(ms, (size_t)n);
	}
	p[0] = run_job(s->g->r)->channel->name;
	p[1] = sl;
	p[2] = ml;
	if (sl == NULL || ml == NULL)
		snprintf(s->err, sizeof(s->err), "out of memory");
	else if (run_query(s->g->r, sql_relink, 3, p, on_slot_answer, s) < 0)
		snprintf(s->err, sizeof(s->err), "database connection lost");
	else
		s->out++;
	free(sku);
	free(ms);
	free(sl);
	free(ml);
}

/* The page statement's tagged rows (see build_page). */
static void
page_rows(struct slot *s, PGresult *res)
{
	char entity[LISTING_SKU_MAX + 16];
	const char *tag;
	int i, unlinked = 0;

	if (PQnfields(res) != 4)
		return;
	for (i = 0; i < PQntuples(res); i++) {
		tag = PQgetvalue(res, i, 0);
		if (tag[0] == 'L') {
			s->c_listings += strtoll(PQgetvalue(res, i, 1), NULL,
			    10);
		} else if (tag[0] == 'V') {
			s->c_variants += strtoll(PQgetvalue(res, i, 1), NULL,
			    10);
		} else if (tag[0] == 'U') {
			unlinked++;
		} else if (tag[0] == 'D') {
			if (PQgetvalue(res, i, 2)[0] == 't') {
				s->c_ok++;
				continue;
			}
			s->c_failed++;
			snprintf(entity, sizeof(entity), "sku %s",
			    PQgetvalue(res, i, 1));
			note_add(s, entity, PQgetisnull(res, i, 3) ?
			    "cannot be converted" : PQgetvalue(res, i, 3));
		}
	}
	if (unlinked > 0)
		relink(s, res);
}

/* One statement: the slot's rows (or, after a refusal, one of them)
 * written by kind: configurables (listings and links), or the other
 * products (variants of the parents that link them, listings of the
 * rest). Once it is queued the page's JSON is not needed any more. */
static void
slot_write(struct slot *s)
{
	struct il *g = s->g;
	size_t from = s->singles ? s->single : 0;
	size_t to = s->singles ? s->single + 1 : s->nrows;
	const char *p[PRM_N];
	size_t i;
	int c, oom = 0;

	notes_clear(s);
	/* Configurables count here; the others as the statement decides. */
	for (i = from; i < to; i++)
		if (s->mode == M_PARENTS && listing_row_is_parent(s->rows[i]) &&
		    strcmp(listing_row_value(s->rows[i], LISTING_COL_OK),
		    "t") == 0)
			s->c_ok++;
	for (c = 0; c < LISTING_NCOLS && !oom; c++) {
		for (i = from; i < to; i++)
			s->col[i - from] = listing_row_value(s->rows[i], c);
		if (listing_pg_array_to(&s->arr[c], &s->arrcap[c], s->col,
		    to - from) < 0)
			oom = 1;
		p[PRM_COLS + c] = s->arr[c];
	}
	p[PRM_CHANNEL] = run_job(g->r)->channel->name;
	p[PRM_STATUS] = conf_job_bool(run_job(g->r), "paused") ? "paused" :
	    "active";
	if (oom)
		snprintf(s->err, sizeof(s->err), "out of memory");
	else if (run_query(g->r, g->sql_page[s->mode], PRM_N, p,
	    on_slot_answer, s) < 0)
		snprintf(s->err, sizeof(s->err), "database connection lost");
	else
		s->out++;
	if (s->out == 0) {
		slot_fatal(s, "page not written: %s", s->err);
		return;
	}
	slot_release_page(s);
}

static void slot_written(struct slot *s);

static void
on_slot_answer(struct run *r, PGresult *res, const char *err, void *arg)
{
	struct slot *s = arg;

	(void)r;
	s->out--;
	if (err != NULL && s->err[0] == '\0') {
		snprintf(s->err, sizeof(s->err), "%s", err);
		snprintf(s->sqlstate, sizeof(s->sqlstate), "%s", res != NULL ?
		    db_sqlstate(res) : "");
	} else if (err == NULL && res != NULL && s->err[0] == '\0') {
		page_rows(s, res);
	}
	if (s->out == 0)
		slot_written(s);
}

static void
slot_next_single(struct slot *s)
{
	s->single++;
	if (s->single < s->nrows && !s->g->hard) {
		slot_write(s);
		return;
	}
	slot_done(s);
}

/* A statement that failed for its data: the page is retried row by row. */
static int
data_error(const char *sqlstate)
{
	return strncmp(sqlstate, "22", 2) == 0 ||
	    strncmp(sqlstate, "23", 2) == 0;
}

static void
slot_written(struct slot *s)
{
	struct il *g = s->g;
	char msg[IL_MSG_MAX + 64];

	if (s->err[0] == '\0') {
		notes_commit(s);
		if (s->singles)
			slot_next_single(s);
		else
			slot_done(s);
		return;
	}
	notes_clear(s);
	snprintf(msg, sizeof(msg), "%s", s->err);
	s->err[0] = '\0';
	/* Two imports creating the same master products at once can
	 * deadlock (the sorted insert makes it rare): the loser tries
	 * again. */
	if (!g->hard && strncmp(s->sqlstate, "40", 2) == 0 &&
	    s->retries++ < 3) {
		slot_write(s);
		return;
	}
	if (g->hard || !data_error(s->sqlstate)) {
		il_fatal(g, "page %" PRId64 " not written: %s", s->page_no,
		    msg);
		slot_end(s);
		return;
	}
	if (!s->singles && s->nrows > 1) {
		run_say(g->r, LOG_LEVEL_WARNING, "page %" PRId64 " refused (%s): "
		    "writing it one product at a time", s->page_no, msg);
		s->singles = 1;
		s->single = 0;
		slot_write(s);
		return;
	}
	memmove(msg + 13, msg, strlen(msg) + 1);
	memcpy(msg, "not written: ", 13);
	item_failed(g, listing_row_entity(s->rows[s->singles ? s->single :
	    0]), msg);
	if (s->singles)
		slot_next_single(s);
	else
		slot_done(s);
}

/* ---- product paging ------------------------------------------------------------- */

/* One of the two lists, sorted by entity id: new products come last, so
 * paging while the store adds products does not shift the pages already
 * read. */
static char *
on_products_query(int64_t page, int page_size, void *arg)
{
	struct il *g = arg;
	struct mage_criteria *c = mage_criteria_new();
	char *q = NULL;

	if (c != NULL && mage_criteria_filter(c, "type_id",
	    il_mode(g) == M_PARENTS ? MAGE_EQ : MAGE_NEQ, "configurable") == 0 &&
	    mage_criteria_sort(c, "entity_id", MAGE_ASC) == 0 &&
	    mage_criteria_page(c, page_size, (int)page) == 0)
		q = mage_criteria_query(c);
	mage_criteria_free(c);
	return q;
}

static void
on_products_page(struct pager *p, const struct pager_page *pg, void *arg)
{
	struct il *g = arg;
	enum il_mode m = il_mode(g);
	int i;

	if (g->pages[m] == 0 && g->total[m] == 0)
		g->total[m] = pg->total_count;
	else if (pg->total_count != g->total[m])
		g->total_changed = 1;
	g->last_page[m] = mage_page_count(g->total[m],
	    mclient_page_size(g->mc));
	if (il_stopping(g)) {
		pager_page_done(p);
		return;
	}
	for (i = 0; i < IL_SLOTS; i++)
		if (!g->slots[i].used) {
			slot_take(&g->slots[i], p, pg->items, pg->page);
			return;
		}
	g->hold_src = p;
	g->hold_items = json_incref(pg->items);
	g->hold_page = pg->page;
}

static void
on_products_end(struct pager *p, const char *err,
    const struct mclient_res *failed, void *arg)
{
	struct il *g = arg;

	(void)p;
	g->pager = NULL;
	if (err == NULL) {
		g->done[il_mode(g)] = 1;
	} else if (failed != NULL) {
		mclient_log(g->r, RUN_ERROR, NULL, failed, NULL);
		il_fatal(g, "%s", err);
	} else if (!il_stopping(g)) {
		il_fatal(g, "%s", err);
	}
	il_step(g);
}

static void
products_start(struct il *g, enum il_state st)
{
	struct pager_params pp;

	memset(&pp, 0, sizeof(pp));
	pp.loop = run_loop(g->r);
	pp.mc = g->mc;
	pp.path = "/V1/products";
	pp.op = MAGE_OP_READ;
	pp.run = g->r;
	pp.query = on_products_query;
	pp.on_page = on_products_page;
	pp.on_end = on_products_end;
	pp.arg = g;
	g->st = st;
	progress(g);
	if ((g->pager = pager_start(&pp)) == NULL)
		il_fatal(g, "out of memory");
}

/* ---- the sweep: what the store no longer has -------------------------------------- */

static void
on_removed(struct il *g, PGresult *res)
{
	g->removed = count_of(res);
}

static void
on_stale(struct il *g, PGresult *res)
{
	g->stale = count_of(res);
}

static void
on_swept(struct il *g, const char *err, const char *sqlstate)
{
	(void)sqlstate;
	if (err != NULL)
		il_fatal(g, "marking removed listings: %s", err);
	g->st = IL_DONE;
	il_step(g);
}

static void
sweep_start(struct il *g)
{
	const char *p[1] = { run_job(g->r)->channel->name };
	char msg[256];

	g->st = IL_SWEEP;
	if (g->total_changed) {
		run_log(g->r, RUN_WARNING, NULL, "the store's product count "
		    "changed while paging: no listing is marked removed by "
		    "this run", NULL);
		g->st = IL_DONE;
		il_step(g);
		return;
	}
	if (g->seen == 0) {
		/* An empty answer is likelier a scope or permission problem
		 * than a store without products. */
		snprintf(msg, sizeof(msg), "the store listed no products: "
		    "no listing is marked removed");
		run_log(g->r, RUN_WARNING, NULL, msg, NULL);
		g->st = IL_DONE;
		il_step(g);
		return;
	}
	chain_begin(g, on_swept);
	chain_q(g, "BEGIN", 0, NULL, NULL);
	chain_q(g, sql_sweep_removed, 1, p, on_removed);
	chain_q(g, sql_sweep_variants, 0, NULL, on_stale);
	chain_q(g, "COMMIT", 0, NULL, NULL);
	chain_end(g);
}

/* ---- the store's facts --------------------------------------------------------------- */

static void stock_start(struct il *g);

static char *
on_stock_query(int64_t page, int page_size, void *arg)
{
	struct il *g = arg;
	const char *src = run_job(g->r)->channel->sources;
	struct mage_criteria *c;
	char *q = NULL;

	if (g->inv == LISTING_LEGACY) {
		if (asprintf(&q, "scopeId=0&qty=%s&pageSize=%d&currentPage=%"
		    PRId64, IL_LEGACY_QTY, page_size, page) < 0)
			return NULL;
		return q;
	}
	if ((c = mage_criteria_new()) == NULL)
		return NULL;
	if ((src == NULL || *src == '\0' || mage_criteria_filter(c,
	    "source_code", MAGE_IN, src) == 0) &&
	    mage_criteria_page(c, page_size, (int)page) == 0)
		q = mage_criteria_query(c);
	mage_criteria_free(c);
	return q;
}

static void
on_stock_written(struct run *r, PGresult *res, const char *err, void *arg)
{
	struct il *g = arg;

	(void)r;
	(void)res;
	g->stock_out--;
	if (err != NULL)
		il_fatal(g, "stock page not written: %s", err);
	g->stock_pages++;
	progress(g);
	il_step(g);
}

static void
on_stock_page(struct pager *p, const struct pager_page *pg, void *arg)
{
	struct il *g = arg;
	char *k = NULL, *q = NULL, *f = NULL;
	const char *params[3];
	size_t n, skipped;

	g->stock_last = mage_page_count(pg->total_count,
	    mclient_page_size(g->mc));
	if (il_stopping(g) || listing_stock_arrays(pg->items, g->inv,
	    run_job(g->r)->channel->sources, &k, &q, &f, &n, &skipped) < 0) {
		if (!il_stopping(g))
			il_fatal(g, "out of memory");
		pager_page_done(p);
		return;
	}
	g->stock_rows += (int64_t)n;
	g->stock_skipped += (int64_t)skipped;
	params[0] = k;
	params[1] = q;
	params[2] = f;
	/* The parameters are copied: the page goes back at once, and the
	 * connection writes pages in turn while the next ones come. */
	if (run_query(g->r, sql_stock_insert, 3, params, on_stock_written,
	    g) < 0)
		il_fatal(g, "database connection lost");
	else
		g->stock_out++;
	pager_page_done(p);
	free(k);
	free(q);
	free(f);
}

static void
on_stock_end(struct pager *p, const char *err,
    const struct mclient_res *failed, void *arg)
{
	struct il *g = arg;

	(void)p;
	g->pager = NULL;
	if (err == NULL) {
		if (g->stock_skipped > 0) {
			char msg[160];

			snprintf(msg, sizeof(msg), "%" PRId64 " stock items "
			    "without a product or a quantity were left out",
			    g->stock_skipped);
			run_log(g->r, RUN_WARNING, NULL, msg, NULL);
		}
		il_step(g);
		return;
	}
	/* No MSI: its routes do not exist (404 on the very first page). */
	if (g->inv_auto && g->inv == LISTING_MSI && failed != NULL &&
	    failed->status == 404 && g->stock_pages == 0 && !il_stopping(g)) {
		run_log(g->r, RUN_INFO, NULL, "the store has no MSI "
		    "(inventory/source-items: 404): quantities from the "
		    "legacy stock items", NULL);
		g->inv = LISTING_LEGACY;
		g->inv_auto = 0;
		stock_start(g);
		il_step(g);
		return;
	}
	if (failed != NULL) {
		mclient_log(g->r, RUN_ERROR, NULL, failed, NULL);
		il_fatal(g, "stock listing: %s", err);
	} else if (!il_stopping(g)) {
		il_fatal(g, "stock listing: %s", err);
	}
	il_step(g);
}

static void
stock_start(struct il *g)
{
	struct pager_params pp;

	memset(&pp, 0, sizeof(pp));
	pp.loop = run_loop(g->r);
	pp.mc = g->mc;
	pp.path = g->inv == LISTING_MSI ? "/V1/inventory/source-items" :
	    "/V1/stockItems/lowStock";
	pp.op = MAGE_OP_READ;
	pp.run = g->r;
	pp.query = on_stock_query;
	pp.on_page = on_stock_page;
	pp.on_end = on_stock_end;
	pp.arg = g;
	if ((g->pager = pager_start(&pp)) == NULL)
		il_fatal(g, "out of memory");
}

static void
on_categories(struct mclient_res *res, void *arg)
{
	struct il *g = arg;
	char err[256];

	g->reqs--;
	if (!res->ok) {
		if (res->err != HTTP_ERR_CANCELLED) {
			mclient_log(g->r, RUN_ERROR, NULL, res, NULL);
			il_fatal(g, "category tree: %s", res->error ?
			    res->error : "failed");
		}
	} else if ((g->cats = listing_cats_new(res->json, err,
	    sizeof(err))) == NULL) {
		il_fatal(g, "category tree: %s", err);
	}
	json_decref(res->json);
	il_step(g);
}

static void
on_store_configs(struct mclient_res *res, void *arg)
{
	struct il *g = arg;
	const struct conf_channel *ch = run_job(g->r)->channel;
	char err[256];

	g->reqs--;
	if (!res->ok) {
		if (res->err != HTTP_ERR_CANCELLED) {
			mclient_log(g->r, RUN_ERROR, NULL, res, NULL);
			il_fatal(g, "store configs: %s", res->error ?
			    res->error : "failed");
		}
	} else if ((g->image_base = listing_media_base(res->json,
	    ch->store_code, strncmp(ch->store_url, "https:", 6) == 0, err,
	    sizeof(err))) == NULL) {
		il_fatal(g, "image URLs: %s; set image_url_prefix", err);
	}
	json_decref(res->json);
	il_step(g);
}

static void
fact_request(struct il *g, const char *path, mclient_cb *cb)
{
	struct mclient_call call;

	memset(&call, 0, sizeof(call));
	call.method = "GET";
	call.op = MAGE_OP_READ;
	call.path = path;
	if (mclient_request(g->mc, &call, cb, g) < 0) {
		il_fatal(g, "cannot request %s", path);
		return;
	}
	g->reqs++;
}

static void
facts_start(struct il *g)
{
	g->st = IL_FACTS;
	if (g->need_stock)
		stock_start(g);
	if (g->need_cats)
		fact_request(g, "/V1/categories", on_categories);
	if (g->need_media)
		fact_request(g, "/V1/store/storeConfigs", on_store_configs);
}


/* ---- the run ------------------------------------------------------------------------ */

static void
on_setup(struct il *g, const char *err, const char *sqlstate)
{
	(void)sqlstate;
	if (err != NULL)
		il_fatal(g, "temporary tables: %s", err);
	else
		facts_start(g);
	il_step(g);
}

static void
setup_start(struct il *g)
{
	size_t i;

	chain_begin(g, on_setup);
	for (i = 0; i < N(sql_setup); i++)
		chain_q(g, sql_setup[i], 0, NULL, NULL);
	chain_end(g);
}

static void
on_indexed(struct il *g, const char *err, const char *sqlstate)
{
	(void)sqlstate;
	if (err != NULL)
		il_fatal(g, "stock index: %s", err);
	else
		products_start(g, IL_PARENTS);
	il_step(g);
}

static void
index_start(struct il *g)
{
	g->st = IL_INDEX;
	chain_begin(g, on_indexed);
	if (g->need_stock) {
		chain_q(g, "CREATE INDEX ON imp_stock (key)", 0, NULL, NULL);
		/* Temporary tables get no autovacuum, so no statistics. */
		chain_q(g, "ANALYZE imp_stock", 0, NULL, NULL);
	} else {
		chain_q(g, "SELECT 1", 0, NULL, NULL);
	}
	chain_end(g);
}

static void
on_links_analyzed(struct il *g, const char *err, const char *sqlstate)
{
	(void)sqlstate;
	if (err != NULL)
		il_fatal(g, "configurable links: %s", err);
	else
		products_start(g, IL_OTHERS);
	il_step(g);
}

/* Temporary tables get no autovacuum and so no statistics: without them
 * the planner guesses 200 links per child and hash-joins whole tables
 * for every page of the second list. */
static void
links_analyze(struct il *g)
{
	g->done[M_PARENTS] = 0;
	chain_begin(g, on_links_analyzed);
	chain_q(g, "ANALYZE imp_links", 0, NULL, NULL);
	chain_end(g);
}

static void
il_free(struct il *g)
{
	struct slot *s;
	size_t i;
	int k;

	for (k = 0; k < IL_SLOTS; k++) {
		s = &g->slots[k];
		for (i = 0; i < s->caprows; i++)
			listing_row_free(s->rows[i]);
		free(s->rows);
		free(s->col);
		for (i = 0; i < LISTING_NCOLS; i++)
			free(s->arr[i]);
		notes_clear(s);
		free(s->notes);
	}
	mclient_free(g->mc);
	http_free(g->http);
	tmpl_free(g->t);
	listing_cats_free(g->cats);
	free(g->image_base);
	free(g->sql_page[M_PARENTS]);
	free(g->sql_page[M_OTHERS]);
	free(g->fatal);
	free(g);
}

static void
il_finish(struct il *g)
{
	struct run *r = g->r;
	char msg[512], *err = NULL;

	g->st = IL_DONE;
	if (!g->hard) {
		snprintf(msg, sizeof(msg), "%" PRId64 " products seen in %"
		    PRId64 " pages: %" PRId64 " listings and %" PRId64
		    " variants written; %" PRId64 " listings marked removed, %"
		    PRId64 " stale variants deleted", g->seen,
		    g->pages[M_PARENTS] + g->pages[M_OTHERS], g->listings,
		    g->variants, g->removed, g->stale);
		run_log(r, RUN_INFO, NULL, msg, NULL);
	}
	if (g->fatal != NULL)
		err = strdup(g->fatal);
	else if (run_cancelled(r) || g->hard)
		err = strdup("stopped at a page boundary");
	run_set_data(r, NULL);
	il_free(g);
	run_proc_done(r, err);
	free(err);
}

/* Anything still out: a pager, a request, a query or a chain. */
static int
il_busy(const struct il *g)
{
	int i;

	for (i = 0; i < IL_SLOTS; i++)
		if (g->slots[i].used)
			return 1;
	return g->pager != NULL || g->reqs > 0 || g->stock_out > 0 ||
	    g->ch.busy || g->hold_src != NULL;
}

/* The one step function: after every event, advance what can advance. */
static void
il_step(struct il *g)
{
	if (il_busy(g))
		return;
	if (g->st == IL_DONE || il_stopping(g)) {
		il_finish(g);
		return;
	}
	switch (g->st) {
	case IL_SETUP:
	case IL_INDEX:
		return;
	case IL_FACTS:
		index_start(g);
		return;
	case IL_PARENTS:
		if (g->done[M_PARENTS])
			links_analyze(g);
		return;
	case IL_OTHERS:
		if (g->done[M_OTHERS])
			sweep_start(g);
		return;
	case IL_SWEEP:
	case IL_DONE:
		return;
	}
}

/* Settings, template, SQL, clients. NULL with err on failure. */
static struct il *
il_new(struct run *r, char *err, size_t errlen)
{
	const struct conf_job *j = run_job(r);
	struct diag_list dl = { NULL, 0, 0 };
	uint64_t rec, var;
	const char *why = NULL;
	enum il_mode m;
	struct il *g;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->r = r;
	for (m = 0; m < IL_SLOTS; m++)
		g->slots[m].g = g;
	if ((g->t = tmpl_compile_job(run_config(r), j, &dl)) == NULL) {
		char d[DIAG_MSG_MAX + 64];

		snprintf(err, errlen, "template: %s", dl.n ?
		    diag_format(&dl, 0, d, sizeof(d)) : "does not compile");
		diag_clear(&dl);
		goto fail;
	}
	diag_clear(&dl);
	g->mapped = tmpl_mapped(g->t);
	g->master = tmpl_rule(g->t, FIELDS_IL_MASTER_SKU) != TMPL_SKIP;
	g->create_only = strcmp(conf_job_str(j, "manage"), "create_only") == 0;
	rec = tmpl_sources(g->t, FIELDS_RECORD);
	var = tmpl_sources(g->t, FIELDS_VARIANT);
	g->need_stock = (rec & BIT(FIELDS_ILS_QUANTITY)) ||
	    (var & BIT(FIELDS_ILS_VARIANT_QUANTITY));
	g->need_cats = (rec & (BIT(FIELDS_ILS_CATEGORY_ONE) |
	    BIT(FIELDS_ILS_CATEGORY_TWO) | BIT(FIELDS_ILS_CATEGORY_THREE))) != 0;
	if (rec & BIT(FIELDS_ILS_IMAGES)) {
		if (conf_job_str(j, "image_url_prefix")[0] != '\0') {
			if ((g->image_base = strdup(conf_job_str(j,
			    "image_url_prefix"))) == NULL)
				goto oom;
		} else {
			g->need_media = 1;
		}
	}
	g->inv = j->channel->inventory == CONF_INV_LEGACY ? LISTING_LEGACY :
	    LISTING_MSI;
	g->inv_auto = j->channel->inventory == CONF_INV_AUTO;
	for (m = M_PARENTS; m <= M_OTHERS; m++)
		if ((g->sql_page[m] = build_page(g, m)) == NULL)
			goto oom;
	if ((g->http = http_new(run_loop(r), &why)) == NULL ||
	    (g->mc = mclient_new(g->http, j->channel, r, &why)) == NULL) {
		snprintf(err, errlen, "%s", why ? why : "out of memory");
		goto fail;
	}
	return g;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	il_free(g);
	return NULL;
}

void
proc_import_listings_start(struct run *r)
{
	char err[IL_MSG_MAX];
	struct il *g;

	if ((g = il_new(r, err, sizeof(err))) == NULL) {
		run_proc_done(r, err);
		return;
	}
	run_set_data(r, g);
	g->st = IL_SETUP;
	/* Everything follows from the chain's answers. */
	setup_start(g);
}

void
proc_import_listings_cancel(struct run *r, int hard)
{
	struct il *g = run_data(r);

	if (g == NULL || g->st == IL_DONE)
		return;
	if (g->pager != NULL)
		pager_stop(g->pager, "cancelled");
	if (!hard) {
		il_step(g);
		return;
	}
	/* Every answer comes now, cancelled (g may be gone once this
	 * returns); the run's connection goes right after, failing what is
	 * queued on it. */
	g->hard = 1;
	mclient_cancel(g->mc);
}
