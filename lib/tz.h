/* tz.h - time zones from TZif data (RFC 8536), no global state.
 *
 * The daemon reads /usr/share/zoneinfo/NAME and hands the bytes in; lib
 * never opens files. Times after the last transition follow the POSIX TZ
 * rule in the TZif v2+ footer. */
#ifndef MS_TZ_H
#define MS_TZ_H

#include <stddef.h>
#include <stdint.h>
#include "export.h"

struct tz;

/* Parse TZif bytes (v1, v2 or v3; later versions are read as v3). With a
 * v2+ file the 64-bit data and the footer rule are used. Debian's "fat"
 * and zic's "slim" files both work. Refused, with a message in err: any
 * truncation or inconsistency, offsets beyond +-25:59:59, and leap-second
 * ("right/") zones. Returns a new zone (tz_free), or NULL. name is copied
 * and reported by tz_name; data is only read during the call. */
MS_EXPORT struct tz *tz_from_tzif(const char *name, const unsigned char *data,
    size_t len, char *err, size_t errlen);

/* A zone from a POSIX TZ rule string ("CET-1CEST,M3.5.0,M10.5.0/3",
 * "UTC0", "<+0330>-3:30", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0"), with the
 * RFC 8536 extensions: quoted names, transition times from -167h to 167h.
 * A DST name without dates gets the US rule (M3.2.0,M11.1.0). name may be
 * NULL (the rule is the name). New, or NULL with err. */
MS_EXPORT struct tz *tz_from_posix(const char *name, const char *rule,
    char *err, size_t errlen);

/* UTC itself; new. */
MS_EXPORT struct tz *tz_utc(void);

MS_EXPORT void tz_free(struct tz *z);
MS_EXPORT const char *tz_name(const struct tz *z);

/* Offset from UTC in seconds east at instant t. z NULL is UTC (here and
 * in tz_from_wall). */
MS_EXPORT int tz_offset(const struct tz *z, int64_t t);

/* Map a wall-clock time (seconds since the epoch as if the wall clock were
 * UTC) to instants. Returns how many instants show that wall time:
 *   1: *first is it;
 *   2: a repeated wall time (fall back): *first, then *second;
 *   0: a skipped wall time (spring forward): *first is the instant of the
 *      jump that skipped it.
 * second may be NULL. */
MS_EXPORT int tz_from_wall(const struct tz *z, int64_t wall, int64_t *first,
    int64_t *second);

/* Zone names safe to look up under a zoneinfo directory: letters, digits,
 * '/', '_', '-', '+' (so no '.' at all), no leading, trailing or doubled
 * '/', at most 255 bytes. Returns 1 if safe, 0 if not. */
MS_EXPORT int tz_name_valid(const char *name);

#endif
