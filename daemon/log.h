/* log.h - one line per event on stderr (OpenBSD log.c style).
 *
 * When stderr is the systemd journal (JOURNAL_STREAM names stderr's device
 * and inode) each line starts with a "<N>" syslog priority and carries no
 * time stamp (the journal adds its own); otherwise lines start with the
 * local ISO-8601 time. Run-related lines carry "[CHANNEL PROCESS run ID]"
 * (see run.h). Never pass a secret to these functions. */
#ifndef MS_LOG_H
#define MS_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* Detect the journal and set the level. Call once, first thing. */
void log_init(enum log_level level);
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);

/* The one writer: "[prefix] " (when prefix is not NULL) and the message. */
void log_vemit(enum log_level level, const char *prefix, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

/* Like log_warnx etc., with the prefix. */
void log_emit(enum log_level level, const char *prefix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* log_warn appends ": strerror(errno)"; the x forms do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log at error level and exit(1). fatal appends strerror(errno). */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
