/* proc.h - the closed set of channel processes. */
#ifndef MS_PROC_H
#define MS_PROC_H

#include "export.h"

enum proc {
	PROC_IMPORT_LISTINGS,
	PROC_SYNC_LISTINGS,
	PROC_PUBLISH_LISTINGS,
	PROC_GET_ORDERS,
	PROC_SYNC_ORDERS,
	PROC_PII_RETENTION,
	PROC_COUNT,
	PROC_NONE = -1
};

/* "get_orders" etc.; NULL for out-of-range values. */
MS_EXPORT const char *proc_name(enum proc p);

/* The process named s, or PROC_NONE. */
MS_EXPORT enum proc proc_from_name(const char *s);

#endif
