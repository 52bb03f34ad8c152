/* targets.h - what the fuzz targets of lib/'s parsers share.
 *
 * Each tests/fuzz/fuzz_NAME.c holds one target body,
 *     static int fuzz_NAME_one(const uint8_t *data, size_t size);
 * and ends with FUZZ_ENTRY(fuzz_NAME_one), which becomes libFuzzer's
 * LLVMFuzzerTestOneInput. tests/unit/test_fuzz_replay.c defines
 * FUZZ_REPLAY and includes every such file, so FUZZ_ENTRY is empty there
 * and one plain binary (no libFuzzer) replays every seed corpus in each
 * make check. The files are compiled together in that test, so their
 * file-local names carry the target's prefix (fconf_, fcron_, ftz_,
 * fiso_, fmage_).
 *
 * A target checks properties, not just "does not crash": a broken one is
 * reported with FUZZ_CHECK, which names the check and aborts (libFuzzer
 * then saves the input; the replay test dies with the input's name). */
#ifndef MS_FUZZ_TARGETS_H
#define MS_FUZZ_TARGETS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The input being replayed (set by the replay test), for the message. */
static const char *fuzz_input_name;

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz check failed: %s (%s:%d)%s%s\n",	\
		    #cond, __FILE__, __LINE__,				\
		    fuzz_input_name ? " on " : "",			\
		    fuzz_input_name ? fuzz_input_name : "");		\
		abort();						\
	}								\
} while (0)

#ifdef FUZZ_REPLAY
#define FUZZ_ENTRY(fn)
#else
#define FUZZ_ENTRY(fn)							\
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);		\
int									\
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)		\
{									\
	return fn(data, size);						\
}
#endif

/* A NUL-terminated copy of n bytes (which may hold NULs of their own);
 * out of memory aborts, as nothing can be tested then. */
static inline char *
fuzz_strndup(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Split off the text up to the next sep (or the end) as a new string;
 * *pp and *np advance past it and the separator. NULL at the end. */
static inline char *
fuzz_next_token(const uint8_t **pp, size_t *np, int sep)
{
	const uint8_t *p = *pp, *e;
	size_t len;

	if (p == NULL)
		return NULL;
	e = memchr(p, sep, *np);
	len = e != NULL ? (size_t)(e - p) : *np;
	if (e != NULL) {
		*pp = e + 1;
		*np -= len + 1;
	} else {
		*pp = NULL;
		*np = 0;
	}
	return fuzz_strndup(p, len);
}

/* Read a little-endian integer of up to 8 bytes from the input, 0 past
 * its end: lets a target take numbers from the fuzzer. */
static inline uint64_t
fuzz_take_u64(const uint8_t **pp, size_t *np, size_t bytes)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < bytes && *np > 0; i++) {
		v |= (uint64_t)**pp << (8 * i);
		(*pp)++;
		(*np)--;
	}
	return v;
}

#endif
