/* pct.h - percent-encoding (RFC 3986 §2) into a growable string.
 *
 * A struct pct_buf is a string being built. Its error is sticky: after an
 * allocation failure every later append does nothing and pct_steal returns
 * NULL, so a builder checks once at the end instead of after every call. */
#ifndef MS_PCT_H
#define MS_PCT_H

#include <stddef.h>

#include "export.h"

struct pct_buf {
	char *s;		/* owned; NUL-terminated when not NULL */
	size_t len, cap;
	int err;		/* 0 or -ENOMEM, sticky */
};

#define PCT_BUF_INIT { NULL, 0, 0, 0 }

/* Append n raw bytes / a C string / printf output. Return 0 or -ENOMEM
 * (also when an earlier append failed). */
MS_EXPORT int pct_add(struct pct_buf *b, const char *s, size_t n);
MS_EXPORT int pct_adds(struct pct_buf *b, const char *s);
MS_EXPORT int pct_addf(struct pct_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append n bytes of s percent-encoded: the unreserved characters
 * (ALPHA DIGIT - . _ ~) and any byte in keep (may be NULL) stay as they
 * are, every other byte becomes %XX with upper-case hex (RFC 3986 §2.1,
 * RFC 5849 §3.6). Bytes are bytes: UTF-8 text comes out as its encoded
 * octets. */
MS_EXPORT int pct_enc(struct pct_buf *b, const char *s, size_t n,
    const char *keep);

/* Append n bytes of s percent-decoded. %XX with two hex digits becomes the
 * byte (which may be NUL: use b->len, not strlen); a '%' not followed by
 * two hex digits is kept literally. plus_space: '+' decodes to ' ', as in
 * application/x-www-form-urlencoded. */
MS_EXPORT int pct_dec(struct pct_buf *b, const char *s, size_t n,
    int plus_space);

/* The built string (new, caller frees) or NULL after an error; the buffer
 * is empty and reusable afterwards. An empty, never-grown buffer gives "". */
MS_EXPORT char *pct_steal(struct pct_buf *b);

/* Free the contents; the buffer is empty and reusable. */
MS_EXPORT void pct_reset(struct pct_buf *b);

/* 1 if c is an RFC 3986 unreserved character. */
MS_EXPORT int pct_unreserved(int c);

#endif
