/* cron.h - schedules: five-field cron (Vixie semantics), macros, @every,
 * manual; next fire times in a zone, across DST.
 *
 * DST: wall times a spring-forward skips collapse into one run at the
 * instant of the jump; a wall time that occurs twice fires once, at its
 * first occurrence. @every DURATION fires at whole multiples of the
 * duration since the Unix epoch (so every host computes the same ticks). */
#ifndef MS_CRON_H
#define MS_CRON_H

#include <stddef.h>
#include <stdint.h>
#include "export.h"

struct cron;
struct tz;

/* Compile a schedule. Returns a new schedule (cron_free) or NULL with a
 * plain-language message in err ("minute field: 61 is out of range 0-59"). */
MS_EXPORT struct cron *cron_parse(const char *expr, char *err, size_t errlen);
MS_EXPORT void cron_free(struct cron *c);

/* 1 for "manual" (never fires on its own). */
MS_EXPORT int cron_is_manual(const struct cron *c);

/* The first fire time strictly after `after` (UTC seconds), evaluated in
 * zone z. Returns 0 and *next; -1 when it never fires (manual, or a date
 * that cannot occur such as "0 0 30 2 *", searched up to 8 years ahead). */
MS_EXPORT int cron_next(const struct cron *c, const struct tz *z,
    int64_t after, int64_t *next);

/* Parse a duration "30", "30s", "5m", "2h", "7d", "1h30m" into seconds.
 * Returns 0 and *secs (> 0 unless allow_zero), or -1. */
MS_EXPORT int cron_duration(const char *s, int allow_zero, int64_t *secs);

#endif
