/* utf8.h - UTF-8 sequence checks shared by everything that cleans or
 * escapes text (error excerpts, JSON written by hand, messages). */
#ifndef MS_UTF8_H
#define MS_UTF8_H

#include <stddef.h>

#include "export.h"

/* Length (1..4) of the valid UTF-8 sequence at the start of s, which
 * holds n bytes (n > 0), or 0 when there is none: a stray continuation
 * byte, a sequence cut short by n, an overlong form, a surrogate or a
 * code point past U+10FFFF. ASCII, NUL included, is length 1. */
MS_EXPORT size_t utf8_seq(const char *s, size_t n);

/* Characters in the n bytes at s, counting each byte that is not a
 * continuation byte (so invalid input still gives a number). */
MS_EXPORT size_t utf8_chars(const char *s, size_t n);

#endif
