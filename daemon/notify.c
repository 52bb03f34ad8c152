/* notify.c - sd_notify datagrams on $NOTIFY_SOCKET. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

struct notify {
	int fd;
	struct sockaddr_un addr;
	socklen_t addrlen;
};

struct notify *
notify_new(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct notify *n;
	size_t len;

	if (path == NULL || *path == '\0')
		return NULL;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') ||
	    len >= sizeof(n->addr.sun_path)) {
		log_warnx("NOTIFY_SOCKET is not a usable socket path; "
		    "not notifying the service manager");
		return NULL;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		log_warn("notify");
		return NULL;
	}
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd == -1) {
		log_warn("notify: socket");
		free(n);
		return NULL;
	}
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, path, len);
	if (path[0] == '@')
		n->addr.sun_path[0] = '\0';	/* abstract namespace */
	n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	return n;
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	close(n->fd);
	free(n);
}

int
notify_send(struct notify *n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int len;
	ssize_t r;

	if (n == NULL)
		return 0;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0)
		return -EINVAL;
	if ((size_t)len >= sizeof(msg))
		len = sizeof(msg) - 1;
	do
		r = sendto(n->fd, msg, (size_t)len, MSG_NOSIGNAL,
		    (const struct sockaddr *)&n->addr, n->addrlen);
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		int e = errno;

		log_debug("notify: %s", strerror(e));
		return -e;
	}
	return 0;
}

/* Parse a positive decimal; 0 on anything else. */
static uint64_t
env_u64(const char *name)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	return v;
}

uint64_t
notify_watchdog_ms(void)
{
	uint64_t usec = env_u64("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");

	if (usec == 0)
		return 0;
	if (pid != NULL && *pid != '\0' && env_u64("WATCHDOG_PID") !=
	    (uint64_t)getpid())
		return 0;
	return usec / 1000 ? usec / 1000 : 1;
}
