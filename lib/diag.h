/* diag.h - problems found while loading configuration and templates.
 *
 * Parsers do not stop at the first problem: they append every error and
 * warning to a diag_list, each with the file and line it belongs to, and the
 * caller decides at the end (OpenBSD parse.y style). */
#ifndef MS_DIAG_H
#define MS_DIAG_H

#include <stddef.h>
#include "export.h"

#define DIAG_MSG_MAX 512

enum diag_level { DIAG_ERROR, DIAG_WARNING };

struct diag {
	enum diag_level level;
	char *file;		/* owned; "" when not tied to a file */
	int line;		/* 0 when not tied to a line */
	char *msg;		/* owned */
};

struct diag_list {
	struct diag *items;	/* owned array of n entries */
	size_t n, cap;
};

/* Append one entry; file may be NULL. Aborts on out-of-memory: a loader
 * that cannot even record its errors has nothing sane left to do. */
MS_EXPORT void diag_add(struct diag_list *dl, enum diag_level level,
    const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Number of DIAG_ERROR entries. */
MS_EXPORT size_t diag_errors(const struct diag_list *dl);

/* Format entry i as "FILE:LINE: message" (or "warning: ..." for warnings)
 * into buf; returns buf. */
MS_EXPORT char *diag_format(const struct diag_list *dl, size_t i, char *buf,
    size_t len);

/* Write a one-error message into a caller's buffer (the single-error
 * convention of functions taking char *err, size_t errlen). err may be
 * NULL or errlen 0: then nothing is written. */
MS_EXPORT void diag_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Free every entry; the list is empty and reusable afterwards. */
MS_EXPORT void diag_clear(struct diag_list *dl);

#endif
