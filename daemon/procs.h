/* procs.h - the processes a run can hand its work to.
 *
 * Each process is one state machine in its own file (proc_<name>.c) and one
 * line in procs.c's table. A process that is not built has no line: its
 * jobs are valid config, but their runs fail with "process X is not
 * available in this build" instead of pretending to work. */
#ifndef MS_PROCS_H
#define MS_PROCS_H

#include "proc.h"

struct run;

struct procs_ops {
	/* Begin the work; end it with run_proc_done (exactly once, possibly
	 * from within start). The run's config and job are in run_job(). */
	void (*start)(struct run *r);
	/* Stop request. hard = 0: finish at the next safe point (a page or
	 * batch boundary). hard = 1: release everything now and call
	 * run_proc_done as soon as nothing is held; the run's connection is
	 * dropped right after this call, so outstanding run_query callbacks
	 * fire with an error. NULL: the process only waits on run_query and
	 * checks run_cancelled() itself. */
	void (*cancel)(struct run *r, int hard);
};

/* The process's operations, or NULL when it is not in this build. */
const struct procs_ops *procs_get(enum proc p);

/* proc_import_listings.c */
void proc_import_listings_start(struct run *r);
void proc_import_listings_cancel(struct run *r, int hard);

/* proc_get_orders.c */
void proc_get_orders_start(struct run *r);
void proc_get_orders_cancel(struct run *r, int hard);

/* proc_pii.c */
void proc_pii_start(struct run *r);

/* proc_sync_orders.c */
void proc_sync_orders_start(struct run *r);
void proc_sync_orders_cancel(struct run *r, int hard);

#endif
