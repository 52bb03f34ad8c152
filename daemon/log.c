/* log.c - one line per event on stderr, journald-aware. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* The only globals of the daemon: logging is needed before, after and
 * outside of any context struct (fatal at start-up, in callbacks). */
static enum log_level log_level = LOG_LEVEL_INFO;
static int log_journal;

#define LOG_LINE_MAX 4096

static const struct {
	const char *word;	/* shown without the journal */
	char prio;		/* syslog priority digit for the journal */
} log_levels[] = {
	[LOG_LEVEL_ERROR] = { "error: ", '3' },
	[LOG_LEVEL_WARNING] = { "warning: ", '4' },
	[LOG_LEVEL_INFO] = { "", '6' },
	[LOG_LEVEL_DEBUG] = { "debug: ", '7' },
};

/* JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected; it only
 * counts if stderr still is that stream (not redirected by a wrapper). */
static int
journal_is_stderr(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;
	char tail;

	if (js == NULL || sscanf(js, "%ju:%ju%c", &dev, &ino, &tail) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void
log_init(enum log_level level)
{
	log_level = level;
	log_journal = journal_is_stderr();
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

int
log_enabled(enum log_level level)
{
	return level <= log_level;
}

static size_t
stamp(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	if (gettimeofday(&tv, NULL) == -1 ||
	    localtime_r(&tv.tv_sec, &tm) == NULL)
		return 0;
	n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	if (n == 0)
		return 0;
	n += (size_t)snprintf(buf + n, len - n, ".%03ld ",
	    (long)(tv.tv_usec / 1000));
	return n < len ? n : len - 1;
}

void
log_vemit(enum log_level level, const char *prefix, const char *fmt,
    va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n = 0, start, i;
	int r;

	if (!log_enabled(level))
		return;
	if (log_journal) {
		line[n++] = '<';
		line[n++] = log_levels[level].prio;
		line[n++] = '>';
	} else
		n = stamp(line, sizeof(line));
	r = snprintf(line + n, sizeof(line) - n, "%s%s%s%s",
	    prefix ? "[" : "", prefix ? prefix : "", prefix ? "] " : "",
	    log_levels[level].word);
	if (r > 0)
		n += (size_t)r;
	if (n >= sizeof(line) - 2)
		n = sizeof(line) - 2;
	start = n;
	r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (r > 0)
		n += (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	/* One event, one line: libpq messages carry newlines. */
	for (i = start; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	while (n > start && line[n - 1] == ' ')
		n--;
	line[n++] = '\n';
	/* One write per line keeps concurrent writers' lines whole. */
	while (write(STDERR_FILENO, line, n) == -1 && errno == EINTR)
		;
}

void
log_emit(enum log_level level, const char *prefix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(level, prefix, fmt, ap);
	va_end(ap);
}

/* fmt followed by ": strerror(e)". */
static void
vemit_errno(enum log_level level, int e, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_emit(level, NULL, "%s: %s", msg, strerror(e));
}

void
log_warn(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vemit_errno(LOG_LEVEL_WARNING, e, fmt, ap);
	va_end(ap);
	errno = e;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
log_errorx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(LOG_LEVEL_DEBUG))
		return;
	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vemit_errno(LOG_LEVEL_ERROR, e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
