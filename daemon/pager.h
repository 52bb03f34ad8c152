/* pager.h - fetch a paged Magento list with several pages in flight,
 * handing the caller one page at a time.
 *
 * Page 1 goes alone (its total_count says how many pages there are), then
 * up to max_in_flight pages at once. Pages are handed over in the order
 * they arrive, ONE AT A TIME: the caller processes a page (typically writes
 * it in one database transaction) and calls pager_page_done; only then does
 * the next page come. Memory stays flat: at most max_in_flight requests
 * plus `window` answered pages are held; when the caller is slow, no new
 * request starts until it catches up.
 *
 * Stop rule (mage_page_done): a page that comes back empty, or page N with
 * N x pageSize >= total_count, is the last. A page numbered past the end
 * (Magento before 2.4 repeats the last page there instead of answering
 * empty) is dropped, never handed over, so every page reaches the caller
 * exactly once and paging cannot loop.
 *
 * Lifetime: pager_start -> on_page (0 or more times) -> on_end (exactly
 * once). on_end fires only when nothing is outstanding (no request in
 * flight, no page with the caller); the pager's memory goes once the loop
 * has closed its idle handle after on_end. No callback fires from inside
 * pager_start, pager_page_done or pager_stop: all come from the loop (an
 * idle handle hops there), so a caller may call pager_page_done from
 * inside on_page or from a database callback alike. */
#ifndef MS_PAGER_H
#define MS_PAGER_H

#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "mage.h"
#include "mclient.h"

struct pager;
struct run;

/* Pages held beyond those in flight, by default. */
#define PAGER_WINDOW	2

struct pager_page {
	int64_t page;			/* 1-based page number */
	int64_t total_count;		/* as this page reported it */
	json_t *items;			/* borrowed: the items array (non-empty) */
	json_t *body;			/* borrowed: the whole answer */
	/* Borrowed: the request's method, path, status and duration (for
	 * mclient_log); res->json is body, borrowed like it - not the new
	 * reference a plain mclient callback gets. */
	const struct mclient_res *res;
};

/* The query string for page (1-based) of page_size items: new (the pager
 * frees it), or NULL on out-of-memory (the pager ends with an error). For
 * searchCriteria lists: mage_criteria_page + mage_criteria_query. */
typedef char *pager_query_cb(int64_t page, int page_size, void *arg);

/* A page to process. Everything in pg is borrowed until the caller calls
 * pager_page_done(p) - from inside this callback or later, exactly once
 * per page (a json_incref keeps items beyond that). */
typedef void pager_page_cb(struct pager *p, const struct pager_page *pg,
    void *arg);

/* Paging is over. err NULL: every page was handed over and done. Else
 * why it stopped: "cancelled" (pager_stop's reason, or the run was
 * cancelled: checked at every page boundary), or "page N: <mclient error>"
 * when a page failed for good (after the engine's retries) or came back
 * without an items array or total_count; then failed (else NULL) is that
 * request's result with json NULL, for mclient_log. Pages handed over
 * before the failure stay done. p is freed after this returns. */
typedef void pager_end_cb(struct pager *p, const char *err,
    const struct mclient_res *failed, void *arg);

struct pager_params {
	uv_loop_t *loop;		/* the mclient's loop */
	struct mclient *mc;		/* borrowed; outlives the pager */
	const char *path;		/* "/V1/products" (copied) */
	enum mage_op op;		/* MAGE_OP_READ or MAGE_OP_ORDER */
	int page_size;			/* 0: the channel's page_size */
	int max_in_flight;		/* 0: the channel's max_concurrency */
	int window;			/* 0: PAGER_WINDOW */
	const char *items_key;		/* NULL: "items" */
	struct run *run;		/* NULL, or checked with run_cancelled */
	pager_query_cb *query;
	pager_page_cb *on_page;
	pager_end_cb *on_end;
	void *arg;
};

/* Start paging. Returns the pager (on_end will be called exactly once) or
 * NULL on bad parameters or out of memory (no callback). */
struct pager *pager_start(const struct pager_params *pp);

/* The caller is done with the page it was handed. */
void pager_page_done(struct pager *p);

/* Stop at the next page boundary: no new request; answers still in
 * flight are awaited and dropped (mclient_cancel ends them at once); the
 * page with the caller, if any, is awaited; then on_end(why). Idempotent;
 * a no-op once on_end has been called. */
void pager_stop(struct pager *p, const char *why);

struct pager_stats {
	int64_t pages_requested, pages_delivered, pages_dropped;
	int max_in_flight;		/* highest requests in flight at once */
	int max_held;			/* highest in flight + answered, held */
};
void pager_stats(const struct pager *p, struct pager_stats *st);

#endif
