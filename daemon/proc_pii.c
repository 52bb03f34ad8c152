/* proc_pii.c - pii_retention: forget customers' personal data once an
 * order's purge time has passed (SPEC §7).
 *
 * Batches of the job's batch_size orders, one statement (so one
 * transaction) each; the stop request is honoured between batches. Names,
 * companies, address lines, cities, regions, post codes, phones, emails
 * and customer notes become NULL; the country stays (it identifies nobody
 * and tax reports need it). Only counts are logged. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "procs.h"
#include "run.h"

struct pii {
	int64_t batch_size;
	int64_t purged;
	int64_t batches;
};

/* SKIP LOCKED: an order another session is writing right now is purged by
 * the next run instead of making this one wait. */
static const char sql_purge[] =
    "WITH due AS (SELECT id FROM magsync.orders "
    "WHERE channel = $1 AND pii_purge_at <= now() "
    "AND pii_purged_at IS NULL "
    "ORDER BY pii_purge_at, id LIMIT $2 FOR UPDATE SKIP LOCKED), "
    "a AS (UPDATE magsync.order_addresses SET first_name = NULL, "
    "last_name = NULL, company = NULL, address_line_1 = NULL, "
    "address_line_2 = NULL, city = NULL, state = NULL, post_code = NULL, "
    "telephone = NULL, email = NULL "
    "WHERE order_id IN (SELECT id FROM due)), "
    "o AS (UPDATE magsync.orders SET customer_email = NULL, "
    "customer_note = NULL, pii_purged_at = now() "
    "WHERE id IN (SELECT id FROM due) RETURNING 1) "
    "SELECT count(*) FROM o";

static void pii_step(struct run *r);

static void
pii_end(struct run *r, const char *err)
{
	struct pii *p = run_data(r);
	char msg[128];

	snprintf(msg, sizeof(msg), "purged personal data of %" PRId64
	    " orders", p->purged);
	run_log(r, RUN_INFO, NULL, msg, NULL);
	run_set_data(r, NULL);
	free(p);
	run_proc_done(r, err);
}

static void
on_batch(struct run *r, PGresult *res, const char *err, void *arg)
{
	struct pii *p = arg;
	char msg[512];
	int64_t n;

	if (err != NULL && run_cancelled(r)) {
		/* Abandoned at stop: the batch rolled back, nothing failed. */
		pii_end(r, "stopped during a batch");
		return;
	}
	if (err != NULL || res == NULL || PQntuples(res) != 1) {
		snprintf(msg, sizeof(msg), "purge batch failed: %s",
		    err ? err : "no result");
		run_log(r, RUN_ERROR, NULL, msg, NULL);
		pii_end(r, msg);
		return;
	}
	n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	p->purged += n;
	p->batches++;
	run_count(r, n, 0);
	run_progress(r, "%" PRId64 " batches, %" PRId64 " orders purged",
	    p->batches, p->purged);
	if (n < p->batch_size) {
		pii_end(r, NULL);
		return;
	}
	pii_step(r);
}

/* Between batches: the safe point. */
static void
pii_step(struct run *r)
{
	struct pii *p = run_data(r);
	char limit[24];
	const char *params[2];
	int rc;

	if (run_cancelled(r)) {
		pii_end(r, "stopped between batches");
		return;
	}
	snprintf(limit, sizeof(limit), "%" PRId64, p->batch_size);
	params[0] = run_job(r)->channel->name;
	params[1] = limit;
	if ((rc = run_query(r, sql_purge, 2, params, on_batch, p)) < 0)
		pii_end(r, "database connection lost");
}

void
proc_pii_start(struct run *r)
{
	struct pii *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		run_proc_done(r, "out of memory");
		return;
	}
	p->batch_size = conf_job_int(run_job(r), "batch_size");
	if (p->batch_size <= 0)
		p->batch_size = 1000;
	run_set_data(r, p);
	pii_step(r);
}
