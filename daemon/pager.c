/* pager.c - paged Magento lists, several pages in flight (see pager.h).
 *
 * One step function decides everything, run from an idle handle whenever
 * something changed (an answer came, the caller finished a page, a stop
 * was asked): it ends the pager, hands over a held page, or starts
 * requests, in that order. Answers only record what they brought and kick
 * the step, so no caller callback ever runs inside another one. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pager.h"
#include "run.h"

#define PAGER_ERR_MAX	1024

/* An answered page waiting for the caller (or with it). */
struct held {
	struct held *next;
	int64_t page, total;
	json_t *body;		/* owned */
	json_t *items;		/* borrowed from body */
	char *method, *path;
	int status, attempts;
	int64_t duration_ms;
};

/* A copy of the failing request's result, for on_end. */
struct failure {
	int set;
	int status, attempts;
	enum http_err err;
	int64_t duration_ms;
	char *method, *path, *error, *detail;
};

struct pager {
	uv_idle_t idle;			/* first: the handle is the struct */
	struct pager_params pp;
	char *path;
	const char *items_key;
	int page_size, max_in_flight, window;

	int64_t next;			/* next page to request */
	int64_t last;			/* pages known to exist (from totals) */
	int64_t limit;			/* no page past this one: INT64_MAX */
	int in_flight;
	struct held *head, *tail;	/* answered, waiting */
	int nheld;			/* in the queue */
	struct held *with_caller;

	int stopping, ended;
	char why[PAGER_ERR_MAX];
	struct failure fail;
	struct pager_stats st;
};

static void pager_kick(struct pager *p);

/* ---- bookkeeping ------------------------------------------------------ */

static void
held_free(struct held *h)
{
	if (h == NULL)
		return;
	json_decref(h->body);
	free(h->method);
	free(h->path);
	free(h);
}

static void
queue_push(struct pager *p, struct held *h)
{
	h->next = NULL;
	if (p->tail)
		p->tail->next = h;
	else
		p->head = h;
	p->tail = h;
	p->nheld++;
}

static struct held *
queue_pop(struct pager *p)
{
	struct held *h = p->head;

	if (h != NULL) {
		p->head = h->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->nheld--;
	}
	return h;
}

/* Drop held pages past the limit (a page past the end was seen). */
static void
queue_trim(struct pager *p)
{
	struct held **hp = &p->head, *h;

	p->tail = NULL;
	while ((h = *hp) != NULL) {
		if (h->page > p->limit) {
			*hp = h->next;
			p->nheld--;
			p->st.pages_dropped++;
			held_free(h);
		} else {
			p->tail = h;
			hp = &h->next;
		}
	}
}

static void
note_held(struct pager *p)
{
	int held = p->in_flight + p->nheld + (p->with_caller != NULL);

	if (p->in_flight > p->st.max_in_flight)
		p->st.max_in_flight = p->in_flight;
	if (held > p->st.max_held)
		p->st.max_held = held;
}

static void
stop_with(struct pager *p, const char *why)
{
	if (p->stopping)
		return;
	p->stopping = 1;
	snprintf(p->why, sizeof(p->why), "%s", why);
}

static void
fail_keep(struct pager *p, const struct mclient_res *res)
{
	struct failure *f = &p->fail;

	if (f->set)
		return;
	f->set = 1;
	f->status = res->status;
	f->attempts = res->attempts;
	f->err = res->err;
	f->duration_ms = res->http.duration_ms;
	f->method = res->http.method ? strdup(res->http.method) : NULL;
	f->path = res->http.path ? strdup(res->http.path) : NULL;
	f->error = res->error ? strdup(res->error) : NULL;
	f->detail = res->detail ? strdup(res->detail) : NULL;
}

static void
fail_free(struct failure *f)
{
	free(f->method);
	free(f->path);
	free(f->error);
	free(f->detail);
}

/* ---- answers ------------------------------------------------------------ */

struct ask {
	struct pager *p;
	int64_t page;
};

/* Check the shape of a list answer; 0 and *items, *total, else -1 with
 * why in buf. */
static int
list_shape(const struct pager *p, json_t *body, json_t **items,
    int64_t *total, char *buf, size_t len)
{
	json_t *tc;

	*items = json_is_object(body) ? json_object_get(body, p->items_key) :
	    NULL;
	if (!json_is_array(*items)) {
		snprintf(buf, len, "unexpected answer from Magento: no \"%s\" "
		    "array", p->items_key);
		return -1;
	}
	tc = json_object_get(body, "total_count");
	if (!json_is_integer(tc) || json_integer_value(tc) < 0) {
		snprintf(buf, len, "unexpected answer from Magento: no "
		    "total_count");
		return -1;
	}
	*total = json_integer_value(tc);
	return 0;
}

/* A good answer for page k: hand it over, or drop it when it lies past
 * the end, and move the limits. Takes body. */
static void
take_page(struct pager *p, int64_t k, const struct mclient_res *res,
    json_t *body, json_t *items, int64_t total)
{
	int64_t n = (int64_t)json_array_size(items);
	int64_t pages = mage_page_count(total, p->page_size);
	struct held *h;

	if (n == 0 || k > pages) {
		/* Empty, or the last page repeated past the end (Magento <
		 * 2.4): nothing from page k on exists. */
		if (k - 1 < p->limit)
			p->limit = k - 1;
		p->st.pages_dropped++;
		json_decref(body);
		queue_trim(p);
		return;
	}
	if (mage_page_done(k, p->page_size, total, n) && k < p->limit)
		p->limit = k;
	if (pages > p->last)
		p->last = pages;
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->method = strdup(res->http.method)) == NULL ||
	    (h->path = strdup(res->http.path)) == NULL) {
		if (h)
			free(h->method);
		free(h);
		json_decref(body);
		stop_with(p, "out of memory");
		return;
	}
	h->page = k;
	h->total = total;
	h->body = body;
	h->items = items;
	h->status = res->status;
	h->attempts = res->attempts;
	h->duration_ms = res->http.duration_ms;
	queue_push(p, h);
	queue_trim(p);
	note_held(p);
}

static void
on_answer(struct mclient_res *res, void *arg)
{
	struct ask *a = arg;
	struct pager *p = a->p;
	int64_t k = a->page, total;
	char why[PAGER_ERR_MAX], shape[256];
	struct mclient_res bad;
	json_t *items;

	free(a);
	p->in_flight--;
	if (p->stopping) {
		json_decref(res->json);
	} else if (!res->ok) {
		snprintf(why, sizeof(why), "page %" PRId64 ": %s", k,
		    res->error ? res->error : "failed");
		fail_keep(p, res);
		json_decref(res->json);
		stop_with(p, why);
	} else if (list_shape(p, res->json, &items, &total, shape,
	    sizeof(shape)) < 0) {
		snprintf(why, sizeof(why), "page %" PRId64 ": %s", k, shape);
		/* The request worked; what it brought did not. */
		bad = *res;
		bad.json = NULL;
		bad.error = shape;
		fail_keep(p, &bad);
		json_decref(res->json);
		stop_with(p, why);
	} else {
		take_page(p, k, res, res->json, items, total);
	}
	pager_kick(p);
}

/* ---- the step ----------------------------------------------------------- */

static int
request_page(struct pager *p, int64_t k)
{
	struct mclient_call call;
	struct ask *a;
	char *query;
	int rc;

	if ((query = p->pp.query(k, p->page_size, p->pp.arg)) == NULL)
		return -ENOMEM;
	if ((a = malloc(sizeof(*a))) == NULL) {
		free(query);
		return -ENOMEM;
	}
	a->p = p;
	a->page = k;
	memset(&call, 0, sizeof(call));
	call.method = "GET";
	call.op = p->pp.op;
	call.path = p->path;
	call.query = query;
	rc = mclient_request(p->pp.mc, &call, on_answer, a);
	free(query);
	if (rc < 0) {
		free(a);
		return rc;
	}
	p->in_flight++;
	p->st.pages_requested++;
	note_held(p);
	return 0;
}

static void
on_close(uv_handle_t *h)
{
	struct pager *p = (struct pager *)h;

	free(p->path);
	fail_free(&p->fail);
	free(p);
}

static void
pager_end(struct pager *p)
{
	struct mclient_res res;
	struct held *h;

	p->ended = 1;
	while ((h = queue_pop(p)) != NULL) {
		p->st.pages_dropped++;
		held_free(h);
	}
	memset(&res, 0, sizeof(res));
	if (p->fail.set) {
		res.status = p->fail.status;
		res.err = p->fail.err;
		res.error = p->fail.error;
		res.detail = p->fail.detail;
		res.attempts = p->fail.attempts;
		res.retry_after_ms = -1;
		res.http.method = p->fail.method;
		res.http.path = p->fail.path;
		res.http.status = p->fail.status;
		res.http.duration_ms = p->fail.duration_ms;
	}
	p->pp.on_end(p, p->stopping ? p->why : NULL,
	    p->fail.set ? &res : NULL, p->pp.arg);
	uv_close((uv_handle_t *)&p->idle, on_close);
}

static void
hand_over(struct pager *p)
{
	struct held *h = queue_pop(p);
	struct mclient_res res;
	struct pager_page pg;

	p->with_caller = h;
	memset(&res, 0, sizeof(res));
	res.ok = 1;
	res.status = h->status;
	res.json = h->body;
	res.attempts = h->attempts;
	res.retry_after_ms = -1;
	res.http.method = h->method;
	res.http.path = h->path;
	res.http.status = h->status;
	res.http.duration_ms = h->duration_ms;
	pg.page = h->page;
	pg.total_count = h->total;
	pg.items = h->items;
	pg.body = h->body;
	pg.res = &res;
	p->st.pages_delivered++;
	p->pp.on_page(p, &pg, p->pp.arg);
}

static int
may_request(const struct pager *p)
{
	int held = p->in_flight + p->nheld + (p->with_caller != NULL);

	return p->next <= p->last && p->next <= p->limit &&
	    p->in_flight < p->max_in_flight &&
	    held < p->max_in_flight + p->window;
}

/* Requests go on while the caller holds a page: that is what keeps the
 * store busy while a page is written. Page 1 goes alone: last stays 1
 * until its total says how many pages there are. */
static void
step(struct pager *p)
{
	int rc;

	if (p->ended)
		return;
	if (!p->stopping && p->pp.run != NULL && run_cancelled(p->pp.run))
		stop_with(p, "cancelled");
	while (!p->stopping && may_request(p)) {
		if ((rc = request_page(p, p->next)) < 0)
			stop_with(p, rc == MAGE_EPATH || rc == -EINVAL ?
			    "cannot build the list URL" : "out of memory");
		else
			p->next++;
	}
	if (p->with_caller != NULL)
		return;
	if (p->stopping) {
		if (p->in_flight == 0)
			pager_end(p);
		return;
	}
	if (p->head != NULL) {
		hand_over(p);
		return;
	}
	if (p->in_flight == 0 && !may_request(p))
		pager_end(p);
}

static void
on_idle(uv_idle_t *h)
{
	struct pager *p = (struct pager *)h;

	if (uv_idle_stop(h) != 0)
		abort();	/* cannot fail for an open idle handle */
	step(p);
}

static void
pager_kick(struct pager *p)
{
	if (!p->ended && uv_idle_start(&p->idle, on_idle) != 0)
		abort();	/* cannot fail for an open idle handle */
}

/* ---- API ---------------------------------------------------------------- */

struct pager *
pager_start(const struct pager_params *pp)
{
	struct pager *p;

	if (pp == NULL || pp->loop == NULL || pp->mc == NULL ||
	    pp->path == NULL || pp->query == NULL || pp->on_page == NULL ||
	    pp->on_end == NULL || pp->page_size < 0 ||
	    pp->max_in_flight < 0 || pp->window < 0)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->path = strdup(pp->path)) == NULL ||
	    uv_idle_init(pp->loop, &p->idle) != 0) {
		free(p->path);
		free(p);
		return NULL;
	}
	p->pp = *pp;
	p->items_key = pp->items_key ? pp->items_key : "items";
	p->page_size = pp->page_size ? pp->page_size :
	    mclient_page_size(pp->mc);
	p->max_in_flight = pp->max_in_flight ? pp->max_in_flight :
	    mclient_max_concurrency(pp->mc);
	p->window = pp->window ? pp->window : PAGER_WINDOW;
	p->next = 1;
	p->last = 1;
	p->limit = INT64_MAX;
	pager_kick(p);
	return p;
}

void
pager_page_done(struct pager *p)
{
	if (p == NULL || p->with_caller == NULL)
		return;
	held_free(p->with_caller);
	p->with_caller = NULL;
	pager_kick(p);
}

void
pager_stop(struct pager *p, const char *why)
{
	if (p == NULL || p->ended)
		return;
	stop_with(p, why ? why : "cancelled");
	pager_kick(p);
}

void
pager_stats(const struct pager *p, struct pager_stats *st)
{
	*st = p->st;
}
