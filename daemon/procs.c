/* procs.c - which processes this build has. */
#include <stddef.h>

#include "procs.h"

/* Processes not built yet have no entry on purpose (see procs.h). */
static const struct procs_ops procs_table[PROC_COUNT] = {
	[PROC_IMPORT_LISTINGS] = { proc_import_listings_start,
	    proc_import_listings_cancel },
	[PROC_GET_ORDERS] = { proc_get_orders_start,
	    proc_get_orders_cancel },
	[PROC_PII_RETENTION] = { proc_pii_start, NULL },
	[PROC_SYNC_ORDERS] = { proc_sync_orders_start,
	    proc_sync_orders_cancel },
};

const struct procs_ops *
procs_get(enum proc p)
{
	if ((int)p < 0 || p >= PROC_COUNT || procs_table[p].start == NULL)
		return NULL;
	return &procs_table[p];
}
