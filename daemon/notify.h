/* notify.h - the sd_notify protocol without libsystemd.
 *
 * systemd's Type=notify service manager listens on the AF_UNIX datagram
 * socket named by $NOTIFY_SOCKET (a path, or '@' for the abstract
 * namespace); each datagram holds newline-separated VAR=value lines. */
#ifndef MS_NOTIFY_H
#define MS_NOTIFY_H

#include <stdint.h>

struct notify;

/* The socket from $NOTIFY_SOCKET. New; NULL when the variable is unset or
 * unusable (logged) — every notify_ call accepts NULL as a no-op, so
 * callers need not care whether they run under systemd. */
struct notify *notify_new(void);
void notify_free(struct notify *n);

/* Send one datagram (e.g. "READY=1", "STATUS=..."). Best effort: never
 * blocks; returns 0 or a negative errno value (and logs it at debug). */
int notify_send(struct notify *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The watchdog interval in milliseconds from WATCHDOG_USEC when it applies
 * to this process (WATCHDOG_PID unset or ours), else 0. Ping at half of it. */
uint64_t notify_watchdog_ms(void);

#endif
