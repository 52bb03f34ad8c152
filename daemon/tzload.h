/* tzload.h - find a time zone on this host and hand its bytes to lib/tz.
 *
 * The I/O half of time zones: lib/tz parses, this reads. */
#ifndef MS_TZLOAD_H
#define MS_TZLOAD_H

#include <stddef.h>

struct tz;

/* Load a zone. Returns a new zone (tz_free) or NULL with a message in err.
 *
 * name: an IANA name ("Europe/Berlin", checked with tz_name_valid), read
 * from $TZDIR/NAME, else /usr/share/zoneinfo/NAME. "UTC" always works,
 * even on a host without zoneinfo.
 *
 * NULL: the system zone. $TZ when set and not empty (":NAME", "NAME", or a
 * POSIX rule such as "CET-1CEST,M3.5.0,M10.5.0/3": what the C library would
 * use); otherwise /etc/localtime, named after its symlink target below a
 * zoneinfo directory ("Europe/Berlin") or "localtime"; UTC when there is
 * no /etc/localtime. */
struct tz *tzload(const char *name, char *err, size_t errlen);

#endif
