/* proc_sync_orders.c - sync_orders: the WMS's shipments -> Magento
 * (SPEC §7).
 *
 * Open shipments of the channel (pending; failed with attempts left;
 * sending, left by a crash or an unanswered request) are loaded in batches
 * by id and worked through with up to twice max_concurrency in hand, so
 * that the database steps of the next shipments overlap the requests of
 * the current ones; the engine keeps at most max_concurrency requests in
 * flight. Shipments of one order go one at a time: each needs the
 * quantities the one before it shipped.
 *
 * One shipment is a small state machine (enum so_step):
 *
 *   [LOOKUP] -> ITEMS -> CLAIM -> POST -> RECORD
 *
 * LOOKUP, only for a shipment found in `sending`: the order's shipments in
 * Magento (GET /V1/shipments), matched by tracking number. Found: RECORD
 * it. Not found: it was never created; send it (ITEMS).
 * ITEMS: the lines to ship (the shipment's own, or everything of the order
 * not yet shipped), checked; the request body built (lib/ship.h). A bad
 * shipment ends `invalid` here and is never sent.
 * CLAIM: `sending` and attempts + 1, committed before the request. Never
 * twice: from here on a crash or a lost answer leaves the row in
 * `sending`, and the next run looks it up before sending it again.
 * POST: POST /V1/order/{entity_id}/ship, never repeated by the engine once
 * the store may have acted on it. The answer decides (ship_outcome):
 * created -> RECORD; refused -> `failed` (retried by later runs up to
 * max_attempts); maybe created -> stays `sending`.
 * RECORD: one statement: `synced` with Magento's id, the order items'
 * qty_shipped, and for an order now fully shipped its shipped_at and
 * pii_purge_at (the channel's get_orders pii_retention after it).
 *
 * Stopping: no new shipment starts; those in hand finish (soft) or have
 * their requests cancelled, which leaves them `sending` for the next run
 * (hard). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conf.h"
#include "diag.h"
#include "fields.h"
#include "http.h"
#include "mage.h"
#include "mclient.h"
#include "procs.h"
#include "run.h"
#include "ship.h"
#include "tmpl.h"

#define SO_BATCH		200	/* shipments loaded per query */
#define SO_PII_DEFAULT_DAYS	30	/* get_orders' default pii_retention,
					 * for a channel without that job */
#define SO_ENTITY_MAX		48
#define SO_MSG_MAX		768

enum so_step { SO_LOOKUP, SO_ITEMS, SO_CLAIM, SO_POST, SO_RECORD };

/* Columns of the load query before the template's sources. */
enum {
	COL_ID, COL_STATUS, COL_ATTEMPTS, COL_ORDER_ID, COL_ENTITY_ID,
	COL_INCREMENT_ID, COL_EXT, COL_TAKEN, COL_SOURCES
};

struct so;

/* One shipment, from its load to its end. */
struct so_ship {
	struct so *so;
	struct so_ship *next;		/* in the queue or the active list */
	enum so_step step;
	int64_t id, order_id, attempts;
	char id_text[24];
	char entity[SO_ENTITY_MAX];	/* "shipment 17" */
	char status[16];		/* as loaded */
	char *entity_id;		/* the order's Magento entity id */
	json_t *payload;		/* the template's output */
	json_t *ext_row;		/* the row's extension_attributes */
	char *tmpl_error;		/* the template could not map the row */
	int64_t *taken;			/* Magento ids of the order's other rows */
	size_t ntaken;
	json_t *body;			/* the ship request */
	struct ship_track track;
	int64_t magento_id;
	char *shipped;			/* lines shipped, ship_items_text */
};

struct so {
	struct run *run;
	const struct conf_job *job;
	struct http *http;
	struct mclient *mc;
	struct tmpl *tmpl;
	struct tmpl_out *out;
	json_t *ext_setting;
	int64_t max_attempts;
	int64_t pii_days;		/* -1: keep indefinitely */
	int notify, append_comment, visible;
	char *sql_load;
	int64_t last_id;		/* keyset of the load query */
	int loading, exhausted, ended;
	int hold;			/* > 0: inside so_pump or a cancel, whose
					 * callbacks must not free so */
	struct so_ship *queue, **queue_tail;
	size_t queued;
	struct so_ship *active;
	int nactive, limit;
	int64_t synced, failed, invalid, unknown;
	char *error;			/* why the run stops early */
};

static void so_pump(struct so *so);
static void ship_step(struct so_ship *s);

/* ---- SQL ---------------------------------------------------------------- */

/* Placeholders: the template's sources follow (sql_load_tail). */
static const char sql_load_head[] =
    "SELECT s.id, s.status, s.attempts, s.order_id, o.magento_entity_id, "
    "o.increment_id, s.extension_attributes::text, "
    "(SELECT string_agg(x.magento_shipment_id::text, ',') "
    "FROM magsync.shipments x WHERE x.order_id = s.order_id "
    "AND x.id <> s.id AND x.magento_shipment_id IS NOT NULL)";

static const char sql_load_tail[] =
    " FROM magsync.shipments s JOIN magsync.orders o ON o.id = s.order_id "
    "WHERE o.channel = $1 AND s.id > $2 AND (s.status IN ('pending', "
    "'sending') OR (s.status = 'failed' AND s.attempts < $3)) "
    "ORDER BY s.id LIMIT $4";

/* The lines of shipment $1: its shipment_items, or when it has none every
 * line of the order with something left to ship (virtual and downloadable
 * lines are never shipped). Magento's ship endpoint wants the parent line
 * of a configurable pair: a row that kept the child line's id
 * (use_parent_item_id = no) sends its parent_item_id. */
static const char sql_items[] =
    "WITH s AS (SELECT id, order_id FROM magsync.shipments WHERE id = $1), "
    "listed AS (SELECT oi.id, coalesce(oi.parent_item_id, "
    "oi.magento_item_id) AS mid, si.qty, oi.order_id = s.order_id AS own, "
    "si.qty > oi.qty_ordered - oi.qty_shipped AS over, "
    "oi.qty_ordered - oi.qty_shipped AS remaining, oi.sku "
    "FROM s JOIN magsync.shipment_items si ON si.shipment_id = s.id "
    "JOIN magsync.order_items oi ON oi.id = si.order_item_id) "
    "SELECT mid, qty, own, over, remaining, sku, id FROM listed "
    "UNION ALL "
    "SELECT coalesce(oi.parent_item_id, oi.magento_item_id), "
    "oi.qty_ordered - oi.qty_shipped, true, false, "
    "oi.qty_ordered - oi.qty_shipped, oi.sku, oi.id "
    "FROM s JOIN magsync.order_items oi ON oi.order_id = s.order_id "
    "WHERE NOT EXISTS (SELECT 1 FROM listed) "
    "AND oi.qty_ordered > oi.qty_shipped "
    "AND coalesce(oi.product_type, '') NOT IN ('virtual', 'downloadable') "
    "ORDER BY 7";

/* Committed before the request: from here a crash leaves `sending`. The
 * status guard skips a row the WMS changed meanwhile. */
static const char sql_claim[] =
    "UPDATE magsync.shipments SET status = 'sending', "
    "attempts = attempts + 1 WHERE id = $1 AND status = $2 "
    "RETURNING attempts";

static const char sql_mark[] =
    "UPDATE magsync.shipments SET status = $2, last_error = $3 "
    "WHERE id = $1";

/* Magento created shipment $2 of row $1 with lines $3 (ship_items_text);
 * $4 is pii_retention in days (-1: indefinitely). Quantities are added to
 * the order's lines the way sql_items chose them; the order is fully
 * shipped when no shippable line has anything left once they are. It
 * became so when this package left (the WMS's shipped_at, never in the
 * future), else now. */
static const char sql_record[] =
    "WITH x AS (SELECT r.order_item_id, sum(r.qty) AS qty "
    "FROM jsonb_to_recordset($3::jsonb) AS r(order_item_id bigint, "
    "qty numeric) GROUP BY r.order_item_id), "
    "s AS (UPDATE magsync.shipments SET status = 'synced', "
    "magento_shipment_id = $2, synced_at = now(), last_error = NULL "
    "WHERE id = $1 RETURNING order_id, "
    "least(coalesce(shipped_at, now()), now()) AS at), "
    "i AS (UPDATE magsync.order_items oi "
    "SET qty_shipped = oi.qty_shipped + x.qty FROM x, s "
    "WHERE oi.order_id = s.order_id AND coalesce(oi.parent_item_id, "
    "oi.magento_item_id) = x.order_item_id RETURNING oi.id), "
    "done AS (SELECT s.order_id, s.at FROM s WHERE NOT EXISTS ("
    "SELECT 1 FROM magsync.order_items oi LEFT JOIN x "
    "ON x.order_item_id = coalesce(oi.parent_item_id, oi.magento_item_id) "
    "WHERE oi.order_id = s.order_id "
    "AND coalesce(oi.product_type, '') NOT IN ('virtual', 'downloadable') "
    "AND oi.qty_shipped + coalesce(x.qty, 0) < oi.qty_ordered)), "
    "o AS (UPDATE magsync.orders o SET shipped_at = done.at, "
    "pii_purge_at = CASE WHEN $4::int < 0 THEN NULL "
    "ELSE done.at + make_interval(days => $4::int) END "
    "FROM done WHERE o.id = done.order_id AND o.shipped_at IS NULL "
    "RETURNING o.id) "
    "SELECT (SELECT count(*) FROM i), (SELECT count(*) FROM o)";

/* ---- setup -------------------------------------------------------------- */

/* The load query: the fixed columns, then one per template source - its
 * catalogue expression when a rule reads it, else NULL. Built from the
 * static catalogue only, never from data. */
static char *
build_load_sql(const struct tmpl *t)
{
	const struct fields_proc *fp = fields_proc(PROC_SYNC_ORDERS);
	uint64_t used = tmpl_sources(t, FIELDS_RECORD);
	size_t len, i;
	char *sql, *p;

	len = sizeof(sql_load_head) + sizeof(sql_load_tail);
	for (i = 0; i < fp->nsrcs; i++)
		len += strlen(fp->srcs[i].column) + 16;
	if ((sql = malloc(len)) == NULL)
		return NULL;
	p = sql + snprintf(sql, len, "%s", sql_load_head);
	for (i = 0; i < fp->nsrcs; i++)
		p += snprintf(p, len - (size_t)(p - sql), ", %s",
		    used & (1ull << i) ? fp->srcs[i].column : "NULL::text");
	snprintf(p, len - (size_t)(p - sql), "%s", sql_load_tail);
	return sql;
}

static int
setup(struct so *so, char *err, size_t errlen)
{
	const struct conf *c = run_config(so->run);
	const struct conf_job *go;
	struct diag_list dl = { 0 };
	const char *ext, *why = NULL;
	char line[DIAG_MSG_MAX];

	so->max_attempts = conf_job_int(so->job, "max_attempts");
	so->notify = conf_job_bool(so->job, "notify_customer");
	so->append_comment = conf_job_bool(so->job, "append_comment");
	so->visible = conf_job_bool(so->job, "visible_on_front");
	go = conf_job(c, so->job->channel->name, PROC_GET_ORDERS);
	so->pii_days = go != NULL ? conf_job_int(go, "pii_retention") :
	    SO_PII_DEFAULT_DAYS;
	ext = conf_job_str(so->job, "extension_attributes");
	if (ext != NULL && *ext != '\0') {
		/* Not inside json_is_object: a macro that evaluates its
		 * argument twice. */
		so->ext_setting = json_loads(ext, 0, NULL);
		if (!json_is_object(so->ext_setting)) {
			snprintf(err, errlen, "extension_attributes is not a "
			    "JSON object");
			return -1;
		}
	}
	if ((so->tmpl = tmpl_compile_job(c, so->job, &dl)) == NULL) {
		snprintf(err, errlen, "template: %s", dl.n > 0 ?
		    diag_format(&dl, 0, line, sizeof(line)) : "cannot compile");
		diag_clear(&dl);
		return -1;
	}
	diag_clear(&dl);
	if ((so->out = tmpl_out_new()) == NULL ||
	    (so->sql_load = build_load_sql(so->tmpl)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((so->http = http_new(run_loop(so->run), &why)) == NULL ||
	    (so->mc = mclient_new(so->http, so->job->channel, so->run,
	    &why)) == NULL) {
		snprintf(err, errlen, "Magento client: %s", why ? why :
		    "cannot start");
		return -1;
	}
	so->limit = 2 * mclient_max_concurrency(so->mc);
	so->queue_tail = &so->queue;
	return 0;
}

/* ---- the end ------------------------------------------------------------ */

static void
ship_free(struct so_ship *s)
{
	if (s == NULL)
		return;
	free(s->entity_id);
	json_decref(s->payload);
	json_decref(s->ext_row);
	free(s->tmpl_error);
	free(s->taken);
	json_decref(s->body);
	free(s->shipped);
	free(s);
}

static void
so_free(struct so *so)
{
	struct so_ship *s;

	while ((s = so->queue) != NULL) {
		so->queue = s->next;
		ship_free(s);
	}
	mclient_free(so->mc);
	http_free(so->http);
	tmpl_out_free(so->out);
	tmpl_free(so->tmpl);
	json_decref(so->ext_setting);
	free(so->sql_load);
	free(so->error);
	free(so);
}

static void
so_stop(struct so *so, const char *why)
{
	if (so->error == NULL)
		so->error = strdup(why);
}

/* Over once nothing is loading and no shipment is in hand; then the
 * summary, and the run is told. */
static void
so_maybe_end(struct so *so)
{
	struct run *r = so->run;
	char msg[256], *err;

	if (so->ended || so->hold > 0 || so->loading || so->nactive > 0)
		return;
	if ((so->queue != NULL || !so->exhausted) && so->error == NULL &&
	    !run_cancelled(r))
		return;
	so->ended = 1;
	snprintf(msg, sizeof(msg), "%" PRId64 " shipments synced, %" PRId64
	    " failed, %" PRId64 " invalid, %" PRId64 " awaiting a check in "
	    "Magento", so->synced, so->failed, so->invalid, so->unknown);
	run_log(r, RUN_INFO, NULL, msg, NULL);
	err = so->error;
	so->error = NULL;
	if (err == NULL && run_cancelled(r) &&
	    (so->queue != NULL || !so->exhausted))
		err = strdup("stopped between shipments");
	run_set_data(r, NULL);
	so_free(so);
	run_proc_done(r, err);
	free(err);
}

/* A shipment is over: counted, logged by the caller, freed. */
static void
ship_end(struct so_ship *s, int ok)
{
	struct so *so = s->so;
	struct so_ship **pp;

	for (pp = &so->active; *pp != NULL && *pp != s; pp = &(*pp)->next)
		;
	if (*pp == s)
		*pp = s->next;
	so->nactive--;
	run_count(so->run, ok > 0, ok == 0);
	run_progress(so->run, "%" PRId64 " synced, %" PRId64 " failed, %"
	    PRId64 " invalid", so->synced, so->failed + so->unknown,
	    so->invalid);
	ship_free(s);
	so_pump(so);
	so_maybe_end(so);
}

/* ---- marking rows -------------------------------------------------------- */

static void
on_marked(struct run *r, PGresult *res, const char *err, void *arg)
{
	struct so_ship *s = arg;
	char msg[SO_MSG_MAX];

	(void)res;
	if (err != NULL) {
		snprintf(msg, sizeof(msg), "cannot record the shipment's "
		    "status: %s", err);
		run_log(r, RUN_ERROR, s->entity, msg, NULL);
	}
	ship_end(s, 0);
}

/* Record status and last_error; the shipment is over (failed) then. */
static void
ship_mark(struct so_ship *s, const char *status, const char *error)
{
	const char *p[3] = { s->id_text, status, error };

	if (run_query(s->so->run, sql_mark, 3, p, on_marked, s) < 0) {
		so_stop(s->so, "database connection lost");
		ship_end(s, 0);
	}
}

static void
ship_invalid(struct so_ship *s, const char *reason)
{
	char msg[SO_MSG_MAX];

	s->so->invalid++;
	snprintf(msg, sizeof(msg), "invalid, not sent: %s", reason);
	run_log(s->so->run, RUN_ERROR, s->entity, msg, NULL);
	ship_mark(s, "invalid", reason);
}

/* ---- RECORD ------------------------------------------------------------- */

static void
on_recorded(struct run *r, PGresult *res, const char *err, void *arg)
{
	struct so_ship *s = arg;
	char msg[SO_MSG_MAX];

	(void)res;
	if (err != NULL) {
		/* Still `sending`: the next run finds it in Magento. */
		snprintf(msg, sizeof(msg), "Magento created shipment %" PRId64
		    " but recording it failed (%s); the next run finds it in "
		    "Magento", s->magento_id, err);
		run_log(r, RUN_ERROR, s->entity, msg, NULL);
		s->so->unknown++;
		ship_end(s, 0);
		return;
	}
	s->so->synced++;
	ship_end(s, 1);
}

static void
ship_record(struct so_ship *s)
{
	char mid[24], days[24];
	const char *p[4];

	s->step = SO_RECORD;
	snprintf(mid, sizeof(mid), "%" PRId64, s->magento_id);
	snprintf(days, sizeof(days), "%" PRId64, s->so->pii_days);
	p[0] = s->id_text;
	p[1] = mid;
	p[2] = s->shipped;
	p[3] = days;
	if (run_query(s->so->run, sql_record, 4, p, on_recorded, s) < 0) {
		so_stop(s->so, "database connection lost");
		s->so->unknown++;
		ship_end(s, 0);
	}
}

/* ---- POST --------------------------------------------------------------- */

static enum ship_transport
transport(const struct mclient_res *res)
{
	switch (res->err) {
	case HTTP_ERR_NONE:
		return SHIP_T_RESPONSE;
	case HTTP_ERR_DNS:
	case HTTP_ERR_CONNECT:
	case HTTP_ERR_TLS:
	case HTTP_ERR_AUTH:
	case HTTP_ERR_INTERNAL:
		return SHIP_T_NOT_SENT;
	default:
		/* Timeout, reset, cut, too big, cancelled in flight. */
		return SHIP_T_LOST;
	}
}

static void
on_shipped(struct mclient_res *res, void *arg)
{
	struct so_ship *s = arg;
	struct so *so = s->so;
	char msg[SO_MSG_MAX];
	const char *why = res->error ? res->error : "no answer";

	switch (ship_outcome(transport(res), res->status, res->body,
	    res->body_len, &s->magento_id)) {
	case SHIP_CREATED:
		json_decref(res->json);
		ship_record(s);
		return;
	case SHIP_MISMATCH:
		so->failed++;
		mclient_log(so->run, RUN_ERROR, s->entity, res, NULL);
		json_decref(res->json);
		ship_mark(s, "failed", SHIP_MISMATCH_TEXT);
		return;
	case SHIP_REFUSED:
		so->failed++;
		mclient_log(so->run, RUN_ERROR, s->entity, res, NULL);
		json_decref(res->json);
		ship_mark(s, "failed", why);
		return;
	case SHIP_UNKNOWN:
		break;
	}
	so->unknown++;
	snprintf(msg, sizeof(msg), "Magento's answer is unknown (%s%s); the "
	    "shipment stays 'sending' and is looked up in Magento before it "
	    "is sent again", why, res->ok ? ": no shipment id" : "");
	mclient_log(so->run, RUN_WARNING, s->entity, res, msg);
	json_decref(res->json);
	ship_mark(s, "sending", msg);
}

static void
ship_post(struct so_ship *s)
{
	struct mclient_call call = { 0 };
	const char *args[1] = { s->entity_id };
	int rc;

	s->step = SO_POST;
	call.method = "POST";
	call.op = MAGE_OP_ORDER;
	call.path = "/V1/order/{orderId}/ship";
	call.args = args;
	call.nargs = 1;
	call.body = s->body;
	call.idempotent = HTTP_IDEM_NO;
	if ((rc = mclient_request(s->so->mc, &call, on_shipped, s)) < 0) {
		/* Never submitted: back from `sending` to failed. */
		s->so->failed++;
		ship_mark(s, "failed", rc == -ENOMEM ? "out of memory" :
		    "cannot build the request");
	}
}

/* ---- CLAIM -------------------------------------------------------------- */

static void
on_claimed(struct run *r, PGresult *res, const char *err, void *arg)
{
	struct so_ship *s = arg;
	char msg[SO_MSG_MAX];

	if (err != NULL) {
		snprintf(msg, sizeof(msg), "cannot mark the shipment sending: "
		    "%s", err);
		run_log(r, RUN_ERROR, s->entity, msg, NULL);
		s->so->failed++;
		ship_end(s, 0);
		return;
	}
	if (PQntuples(res) != 1) {
		/* The WMS changed or removed it meanwhile: left alone. */
		run_log(r, RUN_WARNING, s->entity, "changed while being "
		    "prepared; left for the next run", NULL);
		ship_end(s, -1);
		return;
	}
	/* Even when the run is being stopped: a claimed shipment is in
	 * hand, and sending it is the shortest way to a safe point. */
	ship_post(s);
}

static void
ship_claim(struct so_ship *s)
{
	const char *p[2] = { s->id_text, s->status };

	s->step = SO_CLAIM;
	if (run_query(s->so->run, sql_claim, 2, p, on_claimed, s) < 0) {
		so_stop(s->so, "database connection lost");
		ship_end(s, 0);
	}
}

/* ---- ITEMS -------------------------------------------------------------- */

/* Check the lines and build the body; NULL reason: built. */
static int
build(struct so_ship *s, PGresult *res, char *reason, size_t rlen)
{
	struct so *so = s->so;
	struct ship_item *items;
	struct ship_opts o;
	int i, n = PQntuples(res), rc;

	for (i = 0; i < n; i++) {
		if (strcmp(PQgetvalue(res, i, 2), "t") != 0) {
			snprintf(reason, rlen, "order item %s is not an item "
			    "of this shipment's order", PQgetvalue(res, i, 6));
			return SHIP_EINVALID;
		}
		if (strcmp(PQgetvalue(res, i, 3), "t") == 0) {
			snprintf(reason, rlen, "SKU %.64s: %s to ship, but only "
			    "%s left unshipped", PQgetvalue(res, i, 5),
			    PQgetvalue(res, i, 1), PQgetvalue(res, i, 4));
			return SHIP_EINVALID;
		}
	}
	if (n <= 0) {
		snprintf(reason, rlen, "nothing left to ship: every item of "
		    "the order is shipped");
		return SHIP_EINVALID;
	}
	if ((items = calloc((size_t)n, sizeof(*items))) == NULL)
		return SHIP_ENOMEM;
	for (i = 0; i < n; i++) {
		items[i].order_item_id = strtoll(PQgetvalue(res, i, 0), NULL,
		    10);
		items[i].qty = PQgetvalue(res, i, 1);
	}
	o.notify = so->notify;
	o.append_comment = so->append_comment;
	o.visible_on_front = so->visible;
	o.ext_setting = so->ext_setting;
	o.ext_row = s->ext_row;
	rc = ship_body(s->payload, items, (size_t)n, &o, &s->body, &s->track,
	    reason, rlen);
	free(items);
	if (rc == 0 && (s->shipped = ship_items_text(s->body)) == NULL)
		rc = SHIP_ENOMEM;
	return rc;
}

static void
on_items(struct run *r, PGresult *res, const char *err, void *arg)
{
	struct so_ship *s = arg;
	char reason[SHIP_REASON_MAX], msg[SO_MSG_MAX];
	int rc;

	if (err != NULL) {
		snprintf(msg, sizeof(msg), "cannot read the shipment's items: "
		    "%s", err);
		run_log(r, RUN_ERROR, s->entity, msg, NULL);
		s->so->failed++;
		ship_end(s, 0);
		return;
	}
	if ((rc = build(s, res, reason, sizeof(reason))) == SHIP_EINVALID) {
		ship_invalid(s, reason);
		return;
	}
	if (rc < 0) {
		so_stop(s->so, "out of memory");
		s->so->failed++;
		ship_end(s, 0);
		return;
	}
	ship_claim(s);
}

static void
ship_items(struct so_ship *s)
{
	const char *p[1] = { s->id_text };
	char reason[SHIP_REASON_MAX];

	s->step = SO_ITEMS;
	if (s->tmpl_error != NULL) {
		ship_invalid(s, s->tmpl_error);
		return;
	}
	/* The tracking number first: no query for a row that cannot go. */
	if (ship_track(s->payload, &s->track, reason, sizeof(reason)) < 0) {
		ship_invalid(s, reason);
		return;
	}
	if (run_query(s->so->run, sql_items, 1, p, on_items, s) < 0) {
		so_stop(s->so, "database connection lost");
		ship_end(s, 0);
	}
}

/* ---- LOOKUP ------------------------------------------------------------- */

static void
on_lookup(struct mclient_res *res, void *arg)
{
	struct so_ship *s = arg;
	struct so *so = s->so;
	char msg[SO_MSG_MAX];
	int rc;

	json_decref(res->json);
	if (!res->ok) {
		/* Still unknown: stays `sending`, the next run asks again. */
		so->unknown++;
		snprintf(msg, sizeof(msg), "cannot check Magento for this "
		    "shipment (%s); it stays 'sending'", res->error);
		mclient_log(so->run, RUN_ERROR, s->entity, res, msg);
		ship_end(s, 0);
		return;
	}
	rc = ship_find(res->body, res->body_len, s->track.number, s->taken,
	    s->ntaken, &s->magento_id, &s->shipped);
	if (rc < 0) {
		so->unknown++;
		mclient_log(so->run, RUN_ERROR, s->entity, res, rc == -ENOMEM ?
		    "out of memory" : "unexpected shipment list from Magento");
		ship_end(s, 0);
		return;
	}
	if (rc == 1) {
		snprintf(msg, sizeof(msg), "found in Magento as shipment %"
		    PRId64 " (created before an interruption); recorded, not "
		    "sent again", s->magento_id);
		run_log(so->run, RUN_INFO, s->entity, msg, NULL);
		ship_record(s);
		return;
	}
	if (s->attempts >= so->max_attempts) {
		so->failed++;
		snprintf(msg, sizeof(msg), "not created in Magento after %"
		    PRId64 " attempts; giving up", s->attempts);
		run_log(so->run, RUN_ERROR, s->entity, msg, NULL);
		ship_mark(s, "failed", msg);
		return;
	}
	ship_items(s);
}

static void
ship_lookup(struct so_ship *s)
{
	struct mclient_call call = { 0 };
	struct mage_criteria *c;
	char reason[SHIP_REASON_MAX];
	char *q = NULL;

	s->step = SO_LOOKUP;
	if (s->tmpl_error != NULL || ship_track(s->payload, &s->track, reason,
	    sizeof(reason)) < 0) {
		/* Its tracking number is no longer valid, so the row was
		 * changed after it was sent: never send it again. */
		ship_invalid(s, s->tmpl_error ? s->tmpl_error : reason);
		return;
	}
	if ((c = mage_criteria_new()) == NULL ||
	    mage_criteria_filter(c, "order_id", MAGE_EQ, s->entity_id) < 0 ||
	    mage_criteria_page(c, MAGE_PAGE_SIZE_LIMIT, 1) < 0 ||
	    (q = mage_criteria_query(c)) == NULL) {
		mage_criteria_free(c);
		so_stop(s->so, "out of memory");
		ship_end(s, 0);
		return;
	}
	mage_criteria_free(c);
	call.method = "GET";
	call.op = MAGE_OP_ORDER;
	call.path = "/V1/shipments";
	call.query = q;
	if (mclient_request(s->so->mc, &call, on_lookup, s) < 0) {
		so_stop(s->so, "cannot build the shipment lookup");
		ship_end(s, 0);
	}
	free(q);
}

static void
ship_step(struct so_ship *s)
{
	if (strcmp(s->status, "sending") == 0)
		ship_lookup(s);
	else
		ship_items(s);
}

/* ---- loading and dispatch ----------------------------------------------- */

/* The template applied to the row's sources; a failure is kept as the
 * reason the shipment is invalid. */
static int
ship_map(struct so_ship *s, PGresult *res, int row)
{
	const char *text[FIELDS_SOS_NSRCS];
	struct tmpl_src src = { 0 };
	char buf[TMPL_MSG_MAX + TMPL_VALUE_MAX + 64];
	int i, rc;

	for (i = 0; i < FIELDS_SOS_NSRCS; i++)
		text[i] = PQgetisnull(res, row, COL_SOURCES + i) ? NULL :
		    PQgetvalue(res, row, COL_SOURCES + i);
	src.text = text;
	rc = tmpl_apply(s->so->tmpl, FIELDS_RECORD, &src, s->so->out);
	if (rc == TMPL_ENOMEM)
		return -1;
	if (rc == TMPL_EFIELD && tmpl_out_nerr(s->so->out) > 0) {
		tmpl_err_format(tmpl_out_err(s->so->out, 0), buf, sizeof(buf));
		if ((s->tmpl_error = strdup(buf)) == NULL)
			return -1;
	}
	/* Payload values are copies, never pointers into res. */
	if ((s->payload = tmpl_out_take_payload(s->so->out)) == NULL)
		s->payload = json_object();
	return s->payload != NULL ? 0 : -1;
}

static int
parse_taken(struct so_ship *s, const char *list)
{
	const char *p;
	size_t n = 1;

	if (list == NULL || *list == '\0')
		return 0;
	for (p = list; *p != '\0'; p++)
		n += *p == ',';
	if ((s->taken = calloc(n, sizeof(*s->taken))) == NULL)
		return -1;
	for (p = list; *p != '\0'; p++) {
		s->taken[s->ntaken++] = strtoll(p, NULL, 10);
		if ((p = strchr(p, ',')) == NULL)
			break;
	}
	return 0;
}

static struct so_ship *
ship_load(struct so *so, PGresult *res, int row)
{
	struct so_ship *s;
	const char *ext;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->so = so;
	s->id = strtoll(PQgetvalue(res, row, COL_ID), NULL, 10);
	s->order_id = strtoll(PQgetvalue(res, row, COL_ORDER_ID), NULL, 10);
	s->attempts = strtoll(PQgetvalue(res, row, COL_ATTEMPTS), NULL, 10);
	snprintf(s->id_text, sizeof(s->id_text), "%" PRId64, s->id);
	snprintf(s->entity, sizeof(s->entity), "shipment %" PRId64, s->id);
	snprintf(s->status, sizeof(s->status), "%s",
	    PQgetvalue(res, row, COL_STATUS));
	ext = PQgetisnull(res, row, COL_EXT) ? NULL :
	    PQgetvalue(res, row, COL_EXT);
	if ((s->entity_id = strdup(PQgetvalue(res, row,
	    COL_ENTITY_ID))) == NULL ||
	    (ext != NULL && (s->ext_row = json_loads(ext, 0, NULL)) == NULL) ||
	    parse_taken(s, PQgetisnull(res, row, COL_TAKEN) ? NULL :
	    PQgetvalue(res, row, COL_TAKEN)) < 0 ||
	    ship_map(s, res, row) < 0) {
		ship_free(s);
		return NULL;
	}
	return s;
}

static void
on_loaded(struct run *r, PGresult *res, const char *err, void *arg)
{
	struct so *so = arg;
	struct so_ship *s;
	char msg[SO_MSG_MAX];
	int i, n;

	so->loading = 0;
	if (err != NULL) {
		snprintf(msg, sizeof(msg), "cannot read the shipments: %s",
		    err);
		run_log(r, RUN_ERROR, NULL, msg, NULL);
		so_stop(so, msg);
		so_maybe_end(so);
		return;
	}
	n = PQntuples(res);
	if (n < SO_BATCH)
		so->exhausted = 1;
	for (i = 0; i < n; i++) {
		if ((s = ship_load(so, res, i)) == NULL) {
			so_stop(so, "out of memory");
			break;
		}
		so->last_id = s->id;
		*so->queue_tail = s;
		so->queue_tail = &s->next;
		so->queued++;
	}
	so_pump(so);
	so_maybe_end(so);
}

static void
so_load(struct so *so)
{
	char last[24], max[24], batch[24];
	const char *p[4];

	snprintf(last, sizeof(last), "%" PRId64, so->last_id);
	snprintf(max, sizeof(max), "%" PRId64, so->max_attempts);
	snprintf(batch, sizeof(batch), "%d", SO_BATCH);
	p[0] = so->job->channel->name;
	p[1] = last;
	p[2] = max;
	p[3] = batch;
	if (run_query(so->run, so->sql_load, 4, p, on_loaded, so) < 0) {
		so_stop(so, "database connection lost");
		return;
	}
	so->loading = 1;
}

static int
order_busy(const struct so *so, int64_t order_id)
{
	const struct so_ship *a;

	for (a = so->active; a != NULL; a = a->next)
		if (a->order_id == order_id)
			return 1;
	return 0;
}

/* Take the first queued shipment whose order has none in hand. */
static struct so_ship *
dequeue(struct so *so)
{
	struct so_ship **pp, *s;

	for (pp = &so->queue; (s = *pp) != NULL; pp = &s->next) {
		if (order_busy(so, s->order_id))
			continue;
		*pp = s->next;
		if (so->queue_tail == &s->next)
			so->queue_tail = pp;
		so->queued--;
		s->next = so->active;
		so->active = s;
		so->nactive++;
		return s;
	}
	return NULL;
}

static void
so_pump(struct so *so)
{
	struct so_ship *s;

	/* A shipment may end inside ship_step (a statement that could not
	 * be queued); hold keeps so alive until the loop is over, and the
	 * caller then calls so_maybe_end. */
	if (so->ended || so->hold > 0)
		return;
	so->hold++;
	while (so->error == NULL && !run_cancelled(so->run) &&
	    so->nactive < so->limit && (s = dequeue(so)) != NULL)
		ship_step(s);
	if (so->error == NULL && !run_cancelled(so->run) && !so->loading &&
	    !so->exhausted && so->queued < (size_t)so->limit)
		so_load(so);
	so->hold--;
}

/* ---- the process -------------------------------------------------------- */

void
proc_sync_orders_start(struct run *r)
{
	struct so *so;
	char err[512];

	if ((so = calloc(1, sizeof(*so))) == NULL) {
		run_proc_done(r, "out of memory");
		return;
	}
	so->run = r;
	so->job = run_job(r);
	so->queue_tail = &so->queue;
	if (setup(so, err, sizeof(err)) < 0) {
		run_log(r, RUN_ERROR, NULL, err, NULL);
		so_free(so);
		run_proc_done(r, err);
		return;
	}
	run_set_data(r, so);
	so_pump(so);
	so_maybe_end(so);
}

void
proc_sync_orders_cancel(struct run *r, int hard)
{
	struct so *so = run_data(r);

	if (so == NULL)
		return;
	/* Soft: so_pump starts nothing new; what is in hand finishes. Hard:
	 * requests end now (those in flight stay `sending` for the next
	 * run to look up); the dropped connection fails the rest. */
	so->hold++;
	if (hard)
		mclient_cancel(so->mc);
	so->hold--;
	so_maybe_end(so);
}
