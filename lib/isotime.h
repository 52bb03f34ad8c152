/* isotime.h - civil time arithmetic and ISO-8601 text, without the C
 * library's global time zone state. Times are int64 seconds since the Unix
 * epoch (UTC). */
#ifndef MS_ISOTIME_H
#define MS_ISOTIME_H

#include <stddef.h>
#include <stdint.h>
#include "export.h"

/* Broken-down civil time; no zone attached. */
struct civil {
	int year, month, day;		/* month 1-12, day 1-31 */
	int hour, min, sec;
	int wday;			/* 0 = Sunday; filled by isotime_to_civil */
};

/* Seconds since the epoch of a civil time read as UTC. Fields may be out of
 * range (normalised arithmetically, like timegm). */
MS_EXPORT int64_t isotime_from_civil(const struct civil *c);

/* The civil time (UTC) of t, with wday filled. */
MS_EXPORT void isotime_to_civil(int64_t t, struct civil *c);

/* Parse "YYYY-MM-DDTHH:MM[:SS[.frac]](Z|+HH:MM|-HH:MM|+HHMM)" and Magento's
 * "YYYY-MM-DD HH:MM:SS" (read as UTC, which is what Magento stores).
 * A bare date "YYYY-MM-DD" is midnight UTC. Also accepted: 't' and 'z' in
 * lower case, a blank instead of 'T' with or without a zone, "+HH", a
 * ',' before the fraction (which is truncated to whole seconds). Years
 * 0000-9999. Returns 0 and *out, or -1 for anything else (trailing
 * garbage, out-of-range fields, Feb 30, second 60, hour 24); *out is
 * untouched on error. */
MS_EXPORT int isotime_parse(const char *s, int64_t *out);

/* Like isotime_parse, but text without a zone is an error (strict form for
 * the command line). */
MS_EXPORT int isotime_parse_zoned(const char *s, int64_t *out);

/* Format t at the given UTC offset (seconds east) as
 * "YYYY-MM-DDTHH:MM:SS+HH:MM" ("Z" is never used; +00:00 is). An offset
 * with seconds (local mean time before ~1900) is printed "+HH:MM:SS" so
 * the wall time and offset still agree. buf should hold ISOTIME_MAX bytes;
 * a shorter buffer gets a truncated, terminated string. Returns the
 * length written (0 when len is 0). An offset beyond
 * ±ISOTIME_OFFSET_MAX is clamped to it. */
#define ISOTIME_MAX 40
#define ISOTIME_OFFSET_MAX (99 * 3600 + 59 * 60 + 59)
MS_EXPORT size_t isotime_format(int64_t t, int offset, char *buf, size_t len);

#endif
