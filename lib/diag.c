/* diag.c - a growable list of load-time problems. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void
diag_add(struct diag_list *dl, enum diag_level level, const char *file,
    int line, const char *fmt, ...)
{
	char msg[DIAG_MSG_MAX];
	va_list ap;
	struct diag *d;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (dl->n == dl->cap) {
		size_t cap = dl->cap ? dl->cap * 2 : 8;
		struct diag *items = realloc(dl->items, cap * sizeof(*items));
		if (items == NULL)
			abort();	/* out of memory while reporting: nothing sane left */
		dl->items = items;
		dl->cap = cap;
	}
	d = &dl->items[dl->n];
	d->level = level;
	d->file = strdup(file ? file : "");
	d->line = line;
	d->msg = strdup(msg);
	if (d->file == NULL || d->msg == NULL)
		abort();
	dl->n++;
}

size_t
diag_errors(const struct diag_list *dl)
{
	size_t i, n = 0;

	for (i = 0; i < dl->n; i++)
		if (dl->items[i].level == DIAG_ERROR)
			n++;
	return n;
}

char *
diag_format(const struct diag_list *dl, size_t i, char *buf, size_t len)
{
	const struct diag *d = &dl->items[i];
	const char *kind = d->level == DIAG_WARNING ? "warning: " : "";

	if (d->file[0] != '\0' && d->line > 0)
		snprintf(buf, len, "%s:%d: %s%s", d->file, d->line, kind, d->msg);
	else if (d->file[0] != '\0')
		snprintf(buf, len, "%s: %s%s", d->file, kind, d->msg);
	else
		snprintf(buf, len, "%s%s", kind, d->msg);
	return buf;
}

void
diag_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
diag_clear(struct diag_list *dl)
{
	size_t i;

	for (i = 0; i < dl->n; i++) {
		free(dl->items[i].file);
		free(dl->items[i].msg);
	}
	free(dl->items);
	dl->items = NULL;
	dl->n = dl->cap = 0;
}
