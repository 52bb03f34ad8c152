/* pct.c - percent-encoding into a growable string. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pct.h"

static int
grow(struct pct_buf *b, size_t more)
{
	size_t cap;
	char *s;

	if (b->err)
		return b->err;
	if (more < b->cap - b->len && b->s != NULL)
		return 0;
	if (more > ((size_t)-1) / 4 - b->len) {
		b->err = -ENOMEM;
		return b->err;
	}
	cap = b->cap ? b->cap : 64;
	while (cap - b->len <= more)
		cap *= 2;
	if ((s = realloc(b->s, cap)) == NULL) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->s = s;
	b->cap = cap;
	return 0;
}

int
pct_add(struct pct_buf *b, const char *s, size_t n)
{
	if (grow(b, n) != 0)
		return b->err;
	if (n > 0)
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int
pct_adds(struct pct_buf *b, const char *s)
{
	return pct_add(b, s, strlen(s));
}

int
pct_addf(struct pct_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return b->err;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -ENOMEM;	/* only on encoding errors; treat as fatal */
		return b->err;
	}
	if (grow(b, (size_t)n) != 0)
		return b->err;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int
pct_unreserved(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

int
pct_enc(struct pct_buf *b, const char *s, size_t n, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	/* Worst case every byte triples; reserve once. */
	if (n > ((size_t)-1) / 4 || grow(b, 3 * n) != 0) {
		if (!b->err)
			b->err = -ENOMEM;
		return b->err;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (pct_unreserved(c) ||
		    (keep != NULL && c != '\0' && strchr(keep, c) != NULL)) {
			b->s[b->len++] = (char)c;
		} else {
			b->s[b->len++] = '%';
			b->s[b->len++] = hex[c >> 4];
			b->s[b->len++] = hex[c & 15];
		}
	}
	b->s[b->len] = '\0';
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
pct_dec(struct pct_buf *b, const char *s, size_t n, int plus_space)
{
	size_t i;
	int hi, lo;

	if (grow(b, n) != 0)	/* decoding never lengthens */
		return b->err;
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			b->s[b->len++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (plus_space && s[i] == '+') {
			b->s[b->len++] = ' ';
		} else {
			b->s[b->len++] = s[i];
		}
	}
	b->s[b->len] = '\0';
	return 0;
}

char *
pct_steal(struct pct_buf *b)
{
	char *s;

	if (b->err) {
		pct_reset(b);
		return NULL;
	}
	if (b->s == NULL)
		return strdup("");
	s = b->s;
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void
pct_reset(struct pct_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}
