/* proc_get_orders.c - get_orders: Magento -> orders (SPEC §7).
 *
 * GET /V1/orders filtered by status (when the job lists statuses) and by
 * created_at >= now - days_back, in two filter groups, sorted by
 * created_at, paged by pager.c with up to max_concurrency pages in flight.
 * Each page, in hand one at a time:
 *
 *   PG_PRICES  rows lacking a price: GET /V1/products with sku in (...)
 *              for the SKUs the run's cache does not know yet (one request
 *              per page at most, in practice); then lib/orders converts
 *              the page and ONE statement upserting its orders, addresses
 *              and items is queued (one transaction: a crash loses at most
 *              this page, and the re-run repeats nothing twice)
 *   PG_HOLD    the page goes back to the pager once few comments wait
 *              (memory stays flat however many orders there are)
 *
 * The list asks Magento only for the fields the template reads (fields=,
 * see orders_fields): a fraction of each order, which is most of what
 * paging costs to send, receive and parse. A template reading json:
 * paths gets whole orders.
 *
 * Up to GO_WRITES_OUT page statements wait on the run's connection, so
 * the next page is converted while the last one is written; each keeps a
 * reference to its page's orders until its answer.
 *
 * acknowledge = comment: every written order whose acknowledged_at is NULL
 * gets POST /V1/orders/{id}/comments carrying its current status; once
 * Magento has accepted it, acknowledged_at is set (UPDATEs batched on the
 * run's connection, which runs them after the page writes queued before).
 * An order is commented at most once per run: one already waiting, in
 * flight or being recorded is not queued again. A comment Magento accepted
 * but whose recording a crash prevented is sent again by the next run:
 * that is the only window, and it is small.
 *
 * Counting: items_total = orders seen. An order counts ok once written
 * (with comments: once its comment is recorded) and failed when it cannot
 * be converted or commented. A page that fails for good after the
 * engine's retries ends paging: the orders never seen are counted failed,
 * with one log row saying so (the next run imports them).
 *
 * A page the database refuses for its data (SQLSTATE classes 22 and 23) is
 * written again one order per statement, so that one odd order fails
 * alone. Any other database failure ends the run. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "http.h"
#include "mclient.h"
#include "orders.h"
#include "pager.h"
#include "procs.h"
#include "run.h"
#include "tmpl.h"

/* SKUs per catalogue lookup. */
#define GO_PRICE_BATCH	100
/* Comments in flight at once: enough to keep the channel's connections
 * busy beside the pager, few enough to leave the pages their turn. */
#define GO_ACKS_OUT(g)	(2 * (g)->conc)
/* A page goes back to the pager only while fewer comments than this wait
 * to be sent. */
#define GO_ACKS_HELD(g)	((size_t)(2 * (g)->page_size + GO_ACKS_OUT(g)))
/* Page statements queued on the run's connection at once: one written
 * while the next is converted. */
#define GO_WRITES_OUT	2
/* Acknowledgements recorded per UPDATE at most. */
#define GO_REC_BATCH	500
#define GO_MSG_MAX	1024

enum go_state {
	GO_PAGING,		/* the pager runs; pages come one at a time */
	GO_PROBE,		/* nothing matched: does the store have orders? */
	GO_DRAIN,		/* paging over: comments still going */
	GO_DONE
};

enum page_state {
	PG_IDLE,		/* no page in hand */
	PG_PRICES,		/* catalogue lookups for the page, then its
				 * write is queued */
	PG_HOLD			/* to be handed back to the pager */
};

enum ack_state { ACK_QUEUED, ACK_SENT, ACK_ACCEPTED, ACK_RECORDING };

struct ack {
	enum ack_state st;
	int64_t order_id, entity_id;
	char *entity;			/* "order 000000123" */
	char *status;			/* Magento's, NULL when it has none */
};

struct go {
	struct run *r;
	enum go_state st;
	enum page_state ps;
	struct http *http;
	struct mclient *mc;
	struct pager *pager;
	struct tmpl *t;
	struct orders_conv *conv;
	struct orders_page *page;
	char *sql;
	char *fields;			/* fields= of the list, or NULL */
	int page_size, conc, ack, hard, cancelling;
	const char *statuses, *comment;
	char cutoff[ORDERS_TIME_MAX];
	int64_t days_back;

	/* The page in hand: borrowed from the pager until handed back. */
	json_t *items;
	int64_t page_no, total_count;
	int busy;			/* a catalogue lookup or the probe is out */
	int writes_out;			/* page statements queued */

	json_t *prices, *want, *asked;	/* catalogue cache and lookups */

	struct ack *acks;		/* queued, sent, accepted, recording */
	size_t nacks, capacks;
	int acks_out, rec_out;

	int64_t seen, written, failed, commented;
	char *fatal;			/* the run cannot go on: why */
};

/* A page's write on the run's connection. */
struct wr {
	struct go *g;
	json_t *items;			/* the page's orders (a reference) */
	int64_t page_no;
	int singles;			/* refused: now one order at a time */
	size_t single;			/* the next of those */
};

/* What a comment request carries back. */
struct ackreq {
	struct go *g;
	int64_t order_id;
};

static void go_step(struct go *g);
static void on_written(struct run *r, PGresult *res, const char *err,
    void *arg);

/* ---- small helpers ------------------------------------------------------ */

static void go_fatal(struct go *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The first fatal error wins; paging stops at the next page boundary. */
static void
go_fatal(struct go *g, const char *fmt, ...)
{
	char buf[GO_MSG_MAX];
	va_list ap;

	if (g->fatal != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((g->fatal = strdup(buf)) == NULL)
		g->fatal = strdup("out of memory");
	if (g->pager != NULL)
		pager_stop(g->pager, "stopped");
}

/* Nothing more can be done: a fatal error or a hard stop. */
static int
go_broken(const struct go *g)
{
	return g->fatal != NULL || g->hard;
}

/* No new work: broken, or the run was told to stop (the page in hand is
 * still written: that is the safe point). */
static int
go_stopping(const struct go *g)
{
	return go_broken(g) || run_cancelled(g->r);
}

/* ---- comments ----------------------------------------------------------- */

static struct ack *
ack_find(const struct go *g, int64_t order_id)
{
	size_t i;

	for (i = 0; i < g->nacks; i++)
		if (g->acks[i].order_id == order_id)
			return &g->acks[i];
	return NULL;
}

static void
ack_drop(struct go *g, struct ack *a)
{
	free(a->entity);
	free(a->status);
	*a = g->acks[--g->nacks];
}

static size_t
acks_in(const struct go *g, enum ack_state st)
{
	size_t i, n = 0;

	for (i = 0; i < g->nacks; i++)
		n += g->acks[i].st == st;
	return n;
}

/* Queue the comment of an order just written, unless it is on its way
 * already. 0, or -1 out of memory. */
static int
ack_add(struct go *g, int64_t order_id, int64_t entity_id, const char *inc,
    const char *status)
{
	struct ack *a, *na;
	char entity[ORDERS_ENTITY_MAX];
	size_t cap;

	if (ack_find(g, order_id) != NULL)
		return 0;
	if (g->nacks == g->capacks) {
		cap = g->capacks ? 2 * g->capacks : 64;
		if ((na = realloc(g->acks, cap * sizeof(*na))) == NULL)
			return -1;
		g->acks = na;
		g->capacks = cap;
	}
	if (inc != NULL && *inc != '\0')
		snprintf(entity, sizeof(entity), "order %.60s", inc);
	else
		snprintf(entity, sizeof(entity), "order #%" PRId64, entity_id);
	a = &g->acks[g->nacks];
	a->st = ACK_QUEUED;
	a->order_id = order_id;
	a->entity_id = entity_id;
	a->entity = strdup(entity);
	a->status = status ? strdup(status) : NULL;
	if (a->entity == NULL || (status != NULL && a->status == NULL)) {
		free(a->entity);
		free(a->status);
		return -1;
	}
	g->nacks++;
	return 0;
}

static void
on_ack(struct mclient_res *res, void *arg)
{
	struct ackreq *q = arg;
	struct go *g = q->g;
	struct ack *a = ack_find(g, q->order_id);
	char msg[GO_MSG_MAX];

	free(q);
	json_decref(res->json);
	g->acks_out--;
	/* a is never NULL: a sent comment stays listed until answered. */
	if (res->ok) {
		a->st = ACK_ACCEPTED;
	} else if (res->err == HTTP_ERR_CANCELLED) {
		ack_drop(g, a);		/* stopping: the next run sends it */
	} else {
		snprintf(msg, sizeof(msg), "acknowledgement comment failed: "
		    "%s (the next run tries again)", res->error);
		mclient_log(g->r, RUN_ERROR, a->entity, res, msg);
		run_count(g->r, 0, 1);
		g->failed++;
		ack_drop(g, a);
	}
	go_step(g);
}

/* Send queued comments while few are out. */
static void
ack_pump(struct go *g)
{
	struct mclient_call call;
	struct ackreq *q;
	json_t *body;
	char id[24];
	const char *args[1] = { id };
	size_t i;
	int rc;

	for (i = 0; i < g->nacks && g->acks_out < GO_ACKS_OUT(g); i++) {
		struct ack *a = &g->acks[i];

		if (a->st != ACK_QUEUED || go_stopping(g))
			continue;
		snprintf(id, sizeof(id), "%" PRId64, a->entity_id);
		body = orders_ack_body(a->entity_id, a->status, g->comment);
		q = malloc(sizeof(*q));
		if (body == NULL || q == NULL) {
			json_decref(body);
			free(q);
			go_fatal(g, "out of memory");
			return;
		}
		q->g = g;
		q->order_id = a->order_id;
		memset(&call, 0, sizeof(call));
		call.method = "POST";
		call.op = MAGE_OP_ORDER;
		call.path = "/V1/orders/{id}/comments";
		call.args = args;
		call.nargs = 1;
		call.body = body;
		rc = mclient_request(g->mc, &call, on_ack, q);
		json_decref(body);
		if (rc < 0) {
			free(q);
			go_fatal(g, "cannot send a comment: %s", strerror(-rc));
			return;
		}
		a->st = ACK_SENT;
		g->acks_out++;
	}
}

static void
on_recorded(struct run *r, PGresult *res, const char *err, void *arg)
{
	struct go *g = arg;
	size_t i, n = 0;

	(void)res;
	g->rec_out = 0;
	for (i = 0; i < g->nacks; ) {
		if (g->acks[i].st != ACK_RECORDING) {
			i++;
			continue;
		}
		ack_drop(g, &g->acks[i]);
		n++;
	}
	if (err != NULL) {
		run_count(r, 0, (int64_t)n);
		g->failed += (int64_t)n;
		go_fatal(g, "recording %zu acknowledgements failed: %s (Magento "
		    "has the comments; the next run adds them again)", n, err);
	} else {
		run_count(r, (int64_t)n, 0);
		g->commented += (int64_t)n;
	}
	go_step(g);
}

/* Record the comments Magento accepted: one UPDATE at a time. */
static void
rec_pump(struct go *g)
{
	static const char sql[] = "UPDATE magsync.orders SET acknowledged_at "
	    "= now() WHERE id = ANY($1::bigint[]) AND acknowledged_at IS NULL";
	char *list, *p;
	const char *params[1];
	size_t i, n = 0;

	if (g->rec_out || acks_in(g, ACK_ACCEPTED) == 0 || g->hard)
		return;
	if ((list = malloc(GO_REC_BATCH * 22 + 3)) == NULL) {
		go_fatal(g, "out of memory");
		return;
	}
	p = list;
	*p++ = '{';
	for (i = 0; i < g->nacks && n < GO_REC_BATCH; i++) {
		if (g->acks[i].st != ACK_ACCEPTED)
			continue;
		p += sprintf(p, "%s%" PRId64, n ? "," : "",
		    g->acks[i].order_id);
		g->acks[i].st = ACK_RECORDING;
		n++;
	}
	*p++ = '}';
	*p = '\0';
	params[0] = list;
	if (run_query(g->r, sql, 1, params, on_recorded, g) < 0) {
		free(list);
		for (i = 0; i < g->nacks; i++)
			if (g->acks[i].st == ACK_RECORDING)
				g->acks[i].st = ACK_ACCEPTED;
		go_fatal(g, "database connection lost");
		return;
	}
	free(list);
	g->rec_out = 1;
}

/* ---- the page in hand ------------------------------------------------------ */

static void
log_note(struct go *g, enum run_level level, const struct orders_note *n)
{
	run_log(g->r, level, n->entity, n->msg, NULL);
}

/* Convert orders [from, to) of items into g->page; failures are logged
 * and counted unless quiet (the one-by-one pass, which repeats a page
 * already counted). 0, or -1 out of memory. */
static int
page_convert(struct go *g, const json_t *items, size_t from, size_t to,
    int quiet)
{
	struct orders_note note;
	size_t i;
	int rc;

	orders_page_reset(g->page);
	for (i = from; i < to; i++) {
		rc = orders_convert(g->conv, json_array_get(items, i),
		    g->prices, g->page, &note);
		if (rc == ORDERS_ENOMEM)
			return -1;
		if (rc == ORDERS_EDUP || quiet)
			continue;
		if (rc == ORDERS_EFAIL) {
			log_note(g, RUN_ERROR, &note);
			run_count(g->r, 0, 1);
			g->failed++;
		} else if (note.msg[0] != '\0') {
			log_note(g, RUN_WARNING, &note);
		}
	}
	return 0;
}

/* The rows the page statement returned: counts and comments. */
static int
page_rows(struct go *g, PGresult *res)
{
	int i, n = PQntuples(res);
	int64_t ok = 0;

	g->written += n;
	for (i = 0; i < n; i++) {
		const char *needs = PQgetvalue(res, i, 4);

		if (!g->ack || needs[0] != 't') {
			ok++;
			continue;
		}
		if (ack_add(g, strtoll(PQgetvalue(res, i, 0), NULL, 10),
		    strtoll(PQgetvalue(res, i, 1), NULL, 10),
		    PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2),
		    PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3)) < 0)
			return -1;
	}
	run_count(g->r, ok, 0);
	return 0;
}

static void
wr_free(struct wr *w)
{
	json_decref(w->items);
	free(w);
}

/* Queue the upsert of what g->page holds, for w. 0 (or nothing to
 * write: 1), or -1 with g->fatal set. */
static int
wr_send(struct go *g, struct wr *w)
{
	const char *params[2];
	char *doc;
	int rc;

	if (orders_page_count(g->page) == 0)
		return 1;
	if ((doc = orders_page_json(g->page)) == NULL) {
		go_fatal(g, "out of memory");
		return -1;
	}
	params[0] = run_job(g->r)->channel->name;
	params[1] = doc;
	rc = run_query(g->r, g->sql, 2, params, on_written, w);
	free(doc);
	if (rc < 0) {
		go_fatal(g, "database connection lost");
		return -1;
	}
	return 0;
}

/* The next order of a page written one by one; w is freed when none is
 * left (or nothing more can be done). */
static void
wr_next_single(struct go *g, struct wr *w)
{
	size_t n = json_array_size(w->items);
	int rc = 1;

	while (rc == 1 && w->single < n && !go_broken(g)) {
		if (page_convert(g, w->items, w->single, w->single + 1, 1) <
		    0) {
			go_fatal(g, "out of memory");
			break;
		}
		w->single++;
		rc = wr_send(g, w);
	}
	if (rc != 0) {
		g->writes_out--;
		wr_free(w);
	}
}

/* A refusal for the data (classes 22 data exception and 23 integrity
 * constraint), not the database. */
static int
data_error(const PGresult *res)
{
	const char *st = res ? db_sqlstate(res) : "";

	return st[0] == '2' && (st[1] == '2' || st[1] == '3');
}

static void
on_written(struct run *r, PGresult *res, const char *err, void *arg)
{
	struct wr *w = arg;
	struct go *g = w->g;
	struct orders_note note;

	(void)r;
	if (err == NULL) {
		if (page_rows(g, res) < 0)
			go_fatal(g, "out of memory");
	} else if (data_error(res) && !w->singles) {
		/* Find the order it is: the page again, one by one. */
		run_say(g->r, LOG_LEVEL_WARNING, "page %" PRId64 " refused "
		    "(%s): writing its orders one by one", w->page_no, err);
		w->singles = 1;
	} else if (data_error(res)) {
		orders_entity(json_array_get(w->items, w->single - 1),
		    note.entity, sizeof(note.entity));
		snprintf(note.msg, sizeof(note.msg), "the database refused "
		    "the order: %s", err);
		log_note(g, RUN_ERROR, &note);
		run_count(g->r, 0, 1);
		g->failed++;
	} else {
		go_fatal(g, "writing page %" PRId64 " failed: %s", w->page_no,
		    err);
	}
	if (w->singles)
		wr_next_single(g, w);
	else {
		g->writes_out--;
		wr_free(w);
	}
	go_step(g);
}

/* Convert the page in hand and queue its write. The page itself may go
 * back to the pager right after: the write keeps a reference to its
 * orders only for the one-by-one fallback. */
static void
page_write(struct go *g)
{
	struct wr *w;
	int rc;

	if (page_convert(g, g->items, 0, json_array_size(g->items), 0) < 0) {
		go_fatal(g, "out of memory");
		return;
	}
	if (orders_page_count(g->page) == 0)
		return;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		go_fatal(g, "out of memory");
		return;
	}
	w->g = g;
	w->items = json_incref(g->items);
	w->page_no = g->page_no;
	if ((rc = wr_send(g, w)) != 0) {
		wr_free(w);
		return;
	}
	g->writes_out++;
}

static void
on_prices(struct mclient_res *res, void *arg)
{
	struct go *g = arg;
	int n;

	g->busy = 0;
	if (res->ok && (n = orders_price_parse(res->json, g->asked,
	    g->prices)) >= 0) {
		run_say(g->r, LOG_LEVEL_DEBUG, "catalogue: %d prices found", n);
	} else if (res->err != HTTP_ERR_CANCELLED) {
		/* Not cached: a later page asks again. The orders go in with
		 * the price NULL and a warning each; a re-import fills it. */
		mclient_log(g->r, RUN_WARNING, NULL, res, res->ok ?
		    "catalogue price lookup: not a product list" : NULL);
		json_object_clear(g->asked);
	}
	json_decref(res->json);
	go_step(g);
}

/* One catalogue lookup for SKUs still wanted. 1 when one went out. */
static int
price_lookup(struct go *g)
{
	struct mclient_call call;
	char *q;
	int rc;

	if (json_object_size(g->want) == 0 ||
	    (q = orders_price_query(g->want, g->asked, GO_PRICE_BATCH)) ==
	    NULL)
		return 0;
	memset(&call, 0, sizeof(call));
	call.method = "GET";
	call.op = MAGE_OP_READ;
	call.path = "/V1/products";
	call.query = q;
	rc = mclient_request(g->mc, &call, on_prices, g);
	free(q);
	if (rc < 0) {
		json_object_clear(g->asked);
		json_object_clear(g->want);
		return 0;
	}
	g->busy = 1;
	return 1;
}

/* Advance the page in hand as far as it goes without waiting. */
static void
page_step(struct go *g)
{
	while (g->ps != PG_IDLE && !g->busy) {
		switch (g->ps) {
		case PG_IDLE:
			return;
		case PG_PRICES:
			if (!go_broken(g) && price_lookup(g))
				return;
			/* Two writes queued: the database is the bottleneck,
			 * converting more would only hold memory. */
			if (!go_broken(g) && g->writes_out >= GO_WRITES_OUT)
				return;
			if (!go_broken(g))
				page_write(g);
			g->ps = PG_HOLD;
			break;
		case PG_HOLD:
			/* Comments waiting hold the next page back. */
			if (acks_in(g, ACK_QUEUED) >= GO_ACKS_HELD(g) &&
			    !go_stopping(g))
				return;
			g->ps = PG_IDLE;
			g->items = NULL;
			pager_page_done(g->pager);
			return;
		}
	}
}

/* ---- paging ----------------------------------------------------------------- */

static char *
on_query(int64_t page, int page_size, void *arg)
{
	struct go *g = arg;

	return orders_list_query(g->statuses, g->cutoff, g->fields, page_size,
	    (int)page);
}

static void
on_page(struct pager *p, const struct pager_page *pg, void *arg)
{
	struct go *g = arg;
	size_t i, n = json_array_size(pg->items);
	int rc;

	(void)p;
	g->items = pg->items;
	g->page_no = pg->page;
	if (g->total_count == 0)
		g->total_count = pg->total_count;
	g->seen += (int64_t)n;
	run_progress(g->r, "page %" PRId64 ", %" PRId64 " of %" PRId64
	    " orders", pg->page, g->seen, g->total_count);
	g->ps = PG_PRICES;
	if (orders_conv_wants_prices(g->conv))
		for (i = 0; i < n; i++) {
			rc = orders_need_prices(g->conv,
			    json_array_get(g->items, i), g->prices, g->want);
			if (rc == ORDERS_ENOMEM)
				go_fatal(g, "out of memory");
		}
	go_step(g);
}

static void
on_end(struct pager *p, const char *err, const struct mclient_res *failed,
    void *arg)
{
	struct go *g = arg;
	char msg[GO_MSG_MAX];
	int64_t missed;

	(void)p;
	g->pager = NULL;
	g->st = GO_DRAIN;
	if (err == NULL && g->seen == 0 && !go_stopping(g))
		g->st = GO_PROBE;
	if (err != NULL && failed != NULL && !go_stopping(g)) {
		/* A page failed for good: what it and the pages after it
		 * held is not seen this run. */
		missed = g->total_count - g->seen;
		if (g->total_count == 0) {
			mclient_log(g->r, RUN_ERROR, NULL, failed, NULL);
			go_fatal(g, "%s", err);
		} else {
			snprintf(msg, sizeof(msg), "%s; %" PRId64 " of the %"
			    PRId64 " orders were not imported (the next run "
			    "does)", err, missed > 0 ? missed : 0,
			    g->total_count);
			mclient_log(g->r, RUN_ERROR, NULL, failed, msg);
			if (missed > 0) {
				run_count(g->r, 0, missed);
				g->failed += missed;
			}
		}
	} else if (err != NULL && !go_stopping(g)) {
		go_fatal(g, "%s", err);
	}
	go_step(g);
}

static void
on_probe(struct mclient_res *res, void *arg)
{
	struct go *g = arg;
	json_t *tc = json_object_get(res->json, "total_count");
	char msg[GO_MSG_MAX], filter[512];
	json_int_t n = json_is_integer(tc) ? json_integer_value(tc) : -1;

	g->busy = 0;
	if (g->statuses[0] != '\0')
		snprintf(filter, sizeof(filter), "status in (%s) and ",
		    g->statuses);
	else
		filter[0] = '\0';
	if (res->ok && n > 0) {
		snprintf(msg, sizeof(msg), "the filters matched none of the "
		    "store's %" JSON_INTEGER_FORMAT " orders: %screated_at >= "
		    "%s UTC (days_back = %" PRId64 "); check statuses and "
		    "days_back", n, filter, g->cutoff, g->days_back);
		run_log(g->r, RUN_WARNING, NULL, msg, NULL);
	} else if (res->ok && n == 0) {
		run_log(g->r, RUN_INFO, NULL, "the store has no orders", NULL);
	} else if (res->err != HTTP_ERR_CANCELLED) {
		mclient_log(g->r, RUN_WARNING, NULL, res, NULL);
	}
	json_decref(res->json);
	g->st = GO_DRAIN;
	go_step(g);
}

/* Nothing matched: one look at the whole store, so that a filter nothing
 * matches does not pass for a quiet shop (SPEC §4). */
static void
probe(struct go *g)
{
	struct mclient_call call;
	static const char q[] = "searchCriteria%5BpageSize%5D=1&"
	    "searchCriteria%5BcurrentPage%5D=1&fields=total_count";

	memset(&call, 0, sizeof(call));
	call.method = "GET";
	call.op = MAGE_OP_ORDER;
	call.path = "/V1/orders";
	call.query = q;
	if (mclient_request(g->mc, &call, on_probe, g) < 0) {
		g->st = GO_DRAIN;
		return;
	}
	g->busy = 1;
}

/* ---- the run ------------------------------------------------------------------ */

static void
go_free(struct go *g)
{
	size_t i;

	for (i = 0; i < g->nacks; i++) {
		free(g->acks[i].entity);
		free(g->acks[i].status);
	}
	free(g->acks);
	mclient_free(g->mc);
	http_free(g->http);
	orders_page_free(g->page);
	orders_conv_free(g->conv);
	tmpl_free(g->t);
	json_decref(g->prices);
	json_decref(g->want);
	json_decref(g->asked);
	free(g->sql);
	free(g->fields);
	free(g->fatal);
	free(g);
}

static void
go_finish(struct go *g)
{
	struct run *r = g->r;
	char msg[256], *err = NULL;
	size_t left = acks_in(g, ACK_QUEUED) + acks_in(g, ACK_ACCEPTED);

	g->st = GO_DONE;
	if (left > 0)
		run_say(r, LOG_LEVEL_INFO, "%zu acknowledgements left for the "
		    "next run", left);
	snprintf(msg, sizeof(msg), "%" PRId64 " orders seen, %" PRId64
	    " written, %" PRId64 " failed", g->seen, g->written, g->failed);
	if (g->ack)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
		    ", %" PRId64 " acknowledged", g->commented);
	if (!g->hard)
		run_log(r, RUN_INFO, NULL, msg, NULL);
	if (g->fatal != NULL)
		err = strdup(g->fatal);
	else if (run_cancelled(r) || g->hard)
		err = strdup("stopped at a page boundary");
	run_set_data(r, NULL);
	go_free(g);
	run_proc_done(r, err);
	free(err);
}

/* The one step function: after every event, advance what can advance. */
static void
go_step(struct go *g)
{
	if (g->st == GO_DONE)
		return;
	if (g->fatal != NULL && g->pager != NULL)
		pager_stop(g->pager, "stopped");
	page_step(g);
	ack_pump(g);
	rec_pump(g);
	/* Comments queued behind a held page may let it go now. */
	page_step(g);
	switch (g->st) {
	case GO_PAGING:
		return;
	case GO_PROBE:
		if (!g->busy && !go_stopping(g))
			probe(g);
		if (g->busy)
			return;
		g->st = GO_DRAIN;
		/* FALLTHROUGH */
	case GO_DRAIN:
		if (g->busy || g->writes_out > 0 || g->acks_out > 0 ||
		    g->rec_out || g->cancelling)
			return;
		if (!go_stopping(g) && acks_in(g, ACK_QUEUED) > 0)
			return;
		/* Accepted comments are recorded even when stopping. */
		if (!go_broken(g) && acks_in(g, ACK_ACCEPTED) > 0)
			return;
		go_finish(g);
		return;
	case GO_DONE:
		return;
	}
}

/* Settings, template, clients. NULL with *err on failure. */
static struct go *
go_new(struct run *r, char *err, size_t errlen)
{
	const struct conf_job *j = run_job(r);
	const struct conf *c = run_config(r);
	struct orders_settings s = { 0, NULL };
	struct diag_list dl = { NULL, 0, 0 };
	const char *shm, *why = NULL;
	struct go *g;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->r = r;
	g->statuses = conf_job_str(j, "statuses");
	g->comment = conf_job_str(j, "acknowledge_comment");
	g->ack = strcmp(conf_job_str(j, "acknowledge"), "comment") == 0;
	g->page_size = (int)conf_job_int(j, "page_size");
	g->days_back = conf_job_int(j, "days_back");
	g->conc = j->channel->max_concurrency > 0 ?
	    j->channel->max_concurrency : 4;
	s.use_parent_item_id = conf_job_bool(j, "use_parent_item_id");
	shm = conf_job_str(j, "shipping_methods");
	if (shm[0] != '\0')
		s.shipping_methods = conf_mapping_set(c, shm);
	if (orders_cutoff((int64_t)time(NULL), g->days_back, g->cutoff,
	    sizeof(g->cutoff)) < 0) {
		snprintf(err, errlen, "bad days_back");
		goto fail;
	}
	if ((g->t = tmpl_compile_job(c, j, &dl)) == NULL) {
		char d[DIAG_MSG_MAX + 64];

		snprintf(err, errlen, "template: %s", dl.n ?
		    diag_format(&dl, 0, d, sizeof(d)) : "does not compile");
		diag_clear(&dl);
		goto fail;
	}
	diag_clear(&dl);
	if ((g->conv = orders_conv_new(g->t, &s)) == NULL ||
	    (g->page = orders_page_new()) == NULL ||
	    (g->sql = orders_upsert_sql(g->conv)) == NULL ||
	    orders_fields(g->conv, &g->fields) < 0 ||
	    (g->prices = json_object()) == NULL ||
	    (g->want = json_object()) == NULL ||
	    (g->asked = json_object()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((g->http = http_new(run_loop(r), &why)) == NULL ||
	    (g->mc = mclient_new(g->http, j->channel, r, &why)) == NULL) {
		snprintf(err, errlen, "%s", why ? why : "out of memory");
		goto fail;
	}
	return g;
fail:
	go_free(g);
	return NULL;
}

void
proc_get_orders_start(struct run *r)
{
	struct pager_params pp;
	char err[GO_MSG_MAX];
	struct go *g;

	if ((g = go_new(r, err, sizeof(err))) == NULL) {
		run_proc_done(r, err);
		return;
	}
	run_set_data(r, g);
	memset(&pp, 0, sizeof(pp));
	pp.loop = run_loop(r);
	pp.mc = g->mc;
	pp.path = "/V1/orders";
	pp.op = MAGE_OP_ORDER;
	pp.page_size = g->page_size;
	pp.max_in_flight = g->conc;
	pp.run = r;
	pp.query = on_query;
	pp.on_page = on_page;
	pp.on_end = on_end;
	pp.arg = g;
	if ((g->pager = pager_start(&pp)) == NULL) {
		run_set_data(r, NULL);
		go_free(g);
		run_proc_done(r, "out of memory");
		return;
	}
	g->st = GO_PAGING;
}

void
proc_get_orders_cancel(struct run *r, int hard)
{
	struct go *g = run_data(r);

	if (g == NULL || g->st == GO_DONE)
		return;
	if (g->pager != NULL)
		pager_stop(g->pager, "cancelled");
	/* Soft: every wait has an answer coming (the pager's end, a
	 * lookup, a write, a comment), and each answer steps on. */
	if (!hard)
		return;
	/* Every answer comes now, cancelled; the run's connection goes
	 * right after this, failing what is queued on it. The client is
	 * not freed from under its own cancel: the end waits for it. */
	g->hard = 1;
	g->cancelling = 1;
	mclient_cancel(g->mc);
	g->cancelling = 0;
	go_step(g);
}
