/* test_utf8.c - UTF-8 sequence lengths and character counts. */
#include <string.h>

#include "unit.h"
#include "utf8.h"

static const struct {
	const char *s;
	size_t n;		/* bytes offered */
	size_t want;
} seqs[] = {
	{ "a", 1, 1 },
	{ "\0", 1, 1 },
	{ "\x7f", 1, 1 },
	{ "\xc2\x80", 2, 2 },		/* U+0080 */
	{ "\xdf\xbf", 2, 2 },		/* U+07FF */
	{ "\xe0\xa0\x80", 3, 3 },	/* U+0800 */
	{ "\xe2\x82\xac", 3, 3 },	/* euro sign */
	{ "\xed\x9f\xbf", 3, 3 },	/* U+D7FF */
	{ "\xef\xbf\xbf", 3, 3 },	/* U+FFFF */
	{ "\xf0\x90\x80\x80", 4, 4 },	/* U+10000 */
	{ "\xf4\x8f\xbf\xbf", 4, 4 },	/* U+10FFFF */
	{ "\x80", 1, 0 },		/* stray continuation */
	{ "\xbf", 1, 0 },
	{ "\xc0\x80", 2, 0 },		/* overlong NUL */
	{ "\xc1\xbf", 2, 0 },		/* overlong */
	{ "\xe0\x9f\xbf", 3, 0 },	/* overlong three-byte */
	{ "\xed\xa0\x80", 3, 0 },	/* surrogate U+D800 */
	{ "\xed\xbf\xbf", 3, 0 },	/* surrogate U+DFFF */
	{ "\xf0\x8f\xbf\xbf", 4, 0 },	/* overlong four-byte */
	{ "\xf4\x90\x80\x80", 4, 0 },	/* U+110000 */
	{ "\xf5\x80\x80\x80", 4, 0 },
	{ "\xff", 1, 0 },
	{ "\xc2", 1, 0 },		/* cut short by n */
	{ "\xe2\x82\xac", 2, 0 },
	{ "\xf0\x90\x80\x80", 3, 0 },
	{ "\xc2\x41", 2, 0 },		/* bad continuation */
	{ "\xe2\x41\xac", 3, 0 },
	{ "\xf0\x90\x80\x41", 4, 0 },
	{ "", 0, 0 },			/* nothing offered */
};

TEST(sequences)
{
	size_t i;

	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
		if (utf8_seq(seqs[i].s, seqs[i].n) != seqs[i].want)
			UNIT_FAIL("case %zu: %zu, want %zu", i,
			    utf8_seq(seqs[i].s, seqs[i].n), seqs[i].want);
}

TEST(longer_input_reads_one_sequence)
{
	CHECK_INT((int)utf8_seq("ab", 2), 1);
	CHECK_INT((int)utf8_seq("\xc3\xa9t\xc3\xa9", 5), 2);
}

TEST(characters)
{
	CHECK_INT((int)utf8_chars("", 0), 0);
	CHECK_INT((int)utf8_chars("abc", 3), 3);
	CHECK_INT((int)utf8_chars("\xc3\xa9t\xc3\xa9", 5), 3);
	CHECK_INT((int)utf8_chars("\xf0\x9f\x93\xa6 box", 8), 5);
	/* a lone continuation byte is not a character; a lead byte is */
	CHECK_INT((int)utf8_chars("\x80\x80", 2), 0);
	CHECK_INT((int)utf8_chars("\xe2\x82", 2), 1);
}

int
main(void)
{
	RUN(sequences);
	RUN(longer_input_reads_one_sequence);
	RUN(characters);
	return unit_done("test_utf8");
}
