/* test_sha256.c - SHA-256 against the FIPS 180-4 / NIST example vectors,
 * HMAC-SHA256 against RFC 4231 test cases 1-7. */
#include <stdlib.h>

#include "sha256.h"
#include "unit.h"

static const char *
hex_of(const uint8_t *d, size_t n, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		buf[2 * i] = hex[d[i] >> 4];
		buf[2 * i + 1] = hex[d[i] & 15];
	}
	buf[2 * n] = '\0';
	return buf;
}

static const char *
digest_hex(const void *data, size_t len, char *buf)
{
	uint8_t d[SHA256_DIGEST_LEN];

	sha256(data, len, d);
	return sha256_hex(d, buf);
}

/* NIST examples (FIPS 180-2 appendix B, NIST CSRC SHA256 examples). */
static const struct {
	const char *msg;
	const char *hex;
} vectors[] = {
	{ "",
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc",
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
};

TEST(nist_vectors)
{
	char buf[SHA256_HEX_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		CHECK_STR(digest_hex(vectors[i].msg, strlen(vectors[i].msg), buf),
		    vectors[i].hex);
	/* NULL data with length 0 is the empty message. */
	CHECK_STR(digest_hex(NULL, 0, buf), vectors[0].hex);
}

TEST(million_a)
{
	char buf[SHA256_HEX_LEN + 1];
	uint8_t d[SHA256_DIGEST_LEN];
	struct sha256_ctx c;
	char chunk[1000];
	int i;

	memset(chunk, 'a', sizeof(chunk));
	sha256_init(&c);
	for (i = 0; i < 1000; i++)
		sha256_update(&c, chunk, sizeof(chunk));
	sha256_final(&c, d);
	CHECK_STR(sha256_hex(d, buf),
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Feeding the same message in pieces of every size gives the same digest:
 * this walks the partial-block paths (55, 56, 63, 64 and 65 byte tails). */
TEST(incremental_splits)
{
	char want[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1];
	uint8_t msg[300], d[SHA256_DIGEST_LEN];
	struct sha256_ctx c;
	size_t len, step, off, n;
	int bad = 0;

	for (n = 0; n < sizeof(msg); n++)
		msg[n] = (uint8_t)(n * 7 + 3);
	for (len = 0; len <= sizeof(msg); len += (len < 130 ? 1 : 17)) {
		digest_hex(msg, len, want);
		for (step = 1; step <= 70; step += 3) {
			sha256_init(&c);
			for (off = 0; off < len; off += n) {
				n = len - off < step ? len - off : step;
				sha256_update(&c, msg + off, n);
			}
			sha256_final(&c, d);
			if (strcmp(sha256_hex(d, got), want) != 0 && !bad) {
				UNIT_FAIL("len %zu step %zu: %s != %s", len, step,
				    got, want);
				bad = 1;
			}
		}
	}
	/* Padding boundaries, checked against hashlib at development time. */
	memset(msg, 'x', sizeof(msg));
	CHECK_STR(digest_hex(msg, 55, got),
	    "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
}

/* RFC 4231 section 4. */
TEST(hmac_rfc4231)
{
	uint8_t key[131], data[152], d[SHA256_DIGEST_LEN];
	char buf[SHA256_HEX_LEN + 1];
	size_t i;

	/* Test case 1 */
	memset(key, 0x0b, 20);
	sha256_hmac(key, 20, "Hi There", 8, d);
	CHECK_STR(sha256_hex(d, buf),
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

	/* Test case 2: a key shorter than the output */
	sha256_hmac("Jefe", 4, "what do ya want for nothing?", 28, d);
	CHECK_STR(sha256_hex(d, buf),
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

	/* Test case 3: combined length of key and data over 64 bytes */
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	sha256_hmac(key, 20, data, 50, d);
	CHECK_STR(sha256_hex(d, buf),
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

	/* Test case 4 */
	for (i = 0; i < 25; i++)
		key[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, 50);
	sha256_hmac(key, 25, data, 50, d);
	CHECK_STR(sha256_hex(d, buf),
	    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");

	/* Test case 5: truncation to 128 bits */
	memset(key, 0x0c, 20);
	sha256_hmac(key, 20, "Test With Truncation", 20, d);
	CHECK_STR(hex_of(d, 16, buf), "a3b6167473100ee06e0c796c2955552b");

	/* Test case 6: a key larger than a block is hashed first */
	memset(key, 0xaa, 131);
	sha256_hmac(key, 131,
	    "Test Using Larger Than Block-Size Key - Hash Key First", 54, d);
	CHECK_STR(sha256_hex(d, buf),
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

	/* Test case 7: large key and large data */
	{
		static const char msg[] = "This is a test using a larger than "
		    "block-size key and a larger than block-size data. The key "
		    "needs to be hashed before being used by the HMAC algorithm.";
		sha256_hmac(key, 131, msg, sizeof(msg) - 1, d);
		CHECK_STR(sha256_hex(d, buf), "9b09ffa71b942fcb27635fbcd5b0e944"
		    "bfdc63644f0713938a7f51535c3a35e2");
	}
}

/* A key of exactly one block is used as is; one byte more is hashed. Both
 * boundaries checked against Python's hmac at development time. */
TEST(hmac_block_boundaries)
{
	uint8_t key[65], d[SHA256_DIGEST_LEN];
	char buf[SHA256_HEX_LEN + 1];

	memset(key, 'k', sizeof(key));
	sha256_hmac(key, 64, "msg", 3, d);
	CHECK_STR(sha256_hex(d, buf), "d62ad25bb128e96ab6ef43464aaf2bb9"
	    "1b5b85f013381e9ba6be747e8d0911b2");
	sha256_hmac(key, 65, "msg", 3, d);
	CHECK_STR(sha256_hex(d, buf), "c65585780e821bd312cfaa440c33cb28"
	    "d6af6b323d4977ae83934834ce589e38");
	sha256_hmac(NULL, 0, "", 0, d);
	CHECK_STR(sha256_hex(d, buf), "b613679a0814d9ec772f95d778c35fc5"
	    "ff1697c493715653c6c712144292c5ad");
}

int
main(void)
{
	RUN(nist_vectors);
	RUN(million_a);
	RUN(incremental_splits);
	RUN(hmac_rfc4231);
	RUN(hmac_block_boundaries);
	return unit_done("test_sha256");
}
