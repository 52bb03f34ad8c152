/* cron.h - schedules: five-field cron (Vixie semantics), macros, @every,
 * manual; next fire times in a zone, across DST.
 *
 * Syntax: "min hour dom mon dow" separated by blanks; each field a list of
 * "*", "v", "a-b", each optionally "/step"; "a/n" means "a-max/n". Month
 * names jan-dec and day names sun-sat, any case. Day-of-week runs 0-7 with
 * both 0 and 7 Sunday ("5-7" is Friday to Sunday, "1/2" is Mon, Wed, Fri,
 * Sun); ranges must run forwards ("fri-sun" is an error, as in cronie).
 * Steps run 1 to the field's cycle (60, 24, 31, 12, 7). Day rule: when
 * the day-of-month or day-of-week text starts with '*' (also "*" + "/N"
 * and "*,N") a day must match both fields, otherwise either. Keywords,
 * any case: @yearly @annually @monthly @weekly @daily @midnight @hourly,
 * "@every DURATION", "manual". Not supported, with an error: @reboot, L,
 * W, #, ?.
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
 * zone z (NULL: UTC; borrowed for the call). Returns 0 and *next; -1 when
 * it never fires (manual, or a date that cannot occur such as
 * "0 0 30 2 *": the search runs through the 8th calendar year after
 * `after`, so Feb 29 of 2104 is still found from 2096-03-01), or when
 * `after` lies outside years 1-9990. */
MS_EXPORT int cron_next(const struct cron *c, const struct tz *z,
    int64_t after, int64_t *next);

/* Parse a duration "30", "30s", "5m", "2h", "7d", "1h30m" into seconds.
 * A bare number is seconds; units d h m s (lower case) combine in that
 * order, each at most once; no blanks or signs; at most 100 years (36600d).
 * Returns 0 and *secs (> 0 unless allow_zero), or -1 (*secs untouched). */
MS_EXPORT int cron_duration(const char *s, int allow_zero, int64_t *secs);

#endif
