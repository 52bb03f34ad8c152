/* proc.c - process names. */
#include <string.h>

#include "proc.h"

static const char *const proc_names[PROC_COUNT] = {
	[PROC_IMPORT_LISTINGS] = "import_listings",
	[PROC_SYNC_LISTINGS] = "sync_listings",
	[PROC_PUBLISH_LISTINGS] = "publish_listings",
	[PROC_GET_ORDERS] = "get_orders",
	[PROC_SYNC_ORDERS] = "sync_orders",
	[PROC_PII_RETENTION] = "pii_retention",
};

const char *
proc_name(enum proc p)
{
	if ((int)p < 0 || p >= PROC_COUNT)
		return NULL;
	return proc_names[p];
}

enum proc
proc_from_name(const char *s)
{
	int i;

	for (i = 0; i < PROC_COUNT; i++)
		if (strcmp(proc_names[i], s) == 0)
			return (enum proc)i;
	return PROC_NONE;
}
