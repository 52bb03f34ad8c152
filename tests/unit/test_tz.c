/* test_tz.c - TZif parsing, POSIX rules, wall-clock mapping across DST.
 *
 * No files: TZif data is assembled in memory from the fields RFC 8536
 * describes (and one literal byte array), so the test runs anywhere. */
#include <stdint.h>
#include <stdlib.h>

#include "isotime.h"
#include "tz.h"
#include "unit.h"

static char err[256];

static int64_t
T(const char *s)
{
	int64_t t = 0;

	if (isotime_parse(s, &t) != 0) {
		fprintf(stderr, "bad test time %s\n", s);
		abort();
	}
	return t;
}

/* ---- a TZif writer for the tests ------------------------------------- */

struct buf {
	unsigned char b[65536];
	size_t n;
};

static void
put8(struct buf *b, unsigned v)
{
	b->b[b->n++] = (unsigned char)v;
}

static void
put32(struct buf *b, uint32_t v)
{
	put8(b, v >> 24);
	put8(b, (v >> 16) & 0xff);
	put8(b, (v >> 8) & 0xff);
	put8(b, v & 0xff);
}

static void
put64(struct buf *b, int64_t v)
{
	put32(b, (uint32_t)((uint64_t)v >> 32));
	put32(b, (uint32_t)v);
}

struct ttype {
	int32_t off;
	int isdst;
	const char *abbr;
};

struct zone {
	char version;		/* 0, '2', '3' */
	size_t ntrans;
	const int64_t *trans;
	const unsigned char *idx;
	size_t ntypes;
	const struct ttype *types;
	const char *footer;	/* v2+: the rule between the newlines */
	int minimal_v1;		/* v2+: an empty v1 block, as zic -b slim */
};

static void
block(struct buf *b, const struct zone *z, int tsize, int empty)
{
	char chars[256];
	size_t nchars = 0, i, ntrans = empty ? 0 : z->ntrans;
	size_t ntypes = empty ? 1 : z->ntypes;
	size_t abbr_at[16];

	for (i = 0; i < ntypes; i++) {
		size_t len = strlen(z->types[i].abbr) + 1;

		abbr_at[i] = nchars;
		memcpy(chars + nchars, z->types[i].abbr, len);
		nchars += len;
	}
	memcpy(b->b + b->n, "TZif", 4);
	b->n += 4;
	put8(b, (unsigned char)z->version);
	memset(b->b + b->n, 0, 15);
	b->n += 15;
	put32(b, (uint32_t)ntypes);	/* isutcnt */
	put32(b, (uint32_t)ntypes);	/* isstdcnt */
	put32(b, 0);			/* leapcnt */
	put32(b, (uint32_t)ntrans);
	put32(b, (uint32_t)ntypes);
	put32(b, (uint32_t)nchars);
	for (i = 0; i < ntrans; i++) {
		if (tsize == 8)
			put64(b, z->trans[i]);
		else
			put32(b, (uint32_t)(int32_t)z->trans[i]);
	}
	for (i = 0; i < ntrans; i++)
		put8(b, z->idx[i]);
	for (i = 0; i < ntypes; i++) {
		put32(b, (uint32_t)z->types[i].off);
		put8(b, (unsigned)z->types[i].isdst);
		put8(b, (unsigned)abbr_at[i]);
	}
	memcpy(b->b + b->n, chars, nchars);
	b->n += nchars;
	for (i = 0; i < ntypes; i++)
		put8(b, 0);
	for (i = 0; i < ntypes; i++)
		put8(b, 0);
}

static void
build(struct buf *b, const struct zone *z)
{
	b->n = 0;
	block(b, z, 4, z->version != 0 && z->minimal_v1);
	if (z->version == 0)
		return;
	block(b, z, 8, 0);
	put8(b, '\n');
	memcpy(b->b + b->n, z->footer, strlen(z->footer));
	b->n += strlen(z->footer);
	put8(b, '\n');
}

/* A small real-looking zone: LMT, then CET/CEST transitions 2025-2027 and
 * the EU rule after that (like Debian's "fat" files, shortened). */
static const struct ttype berlin_types[] = {
	{ 3208, 0, "LMT" }, { 7200, 1, "CEST" }, { 3600, 0, "CET" },
};
static int64_t berlin_trans[6];
static const unsigned char berlin_idx[6] = { 1, 2, 1, 2, 1, 2 };

static void
init_berlin(void)
{
	berlin_trans[0] = T("2025-03-30T01:00:00Z");
	berlin_trans[1] = T("2025-10-26T01:00:00Z");
	berlin_trans[2] = T("2026-03-29T01:00:00Z");
	berlin_trans[3] = T("2026-10-25T01:00:00Z");
	berlin_trans[4] = T("2027-03-28T01:00:00Z");
	berlin_trans[5] = T("2027-10-31T01:00:00Z");
}

static struct tz *
berlin_tzif(char version, int minimal_v1)
{
	struct zone z = { version, 6, berlin_trans, berlin_idx, 3,
	    berlin_types, "CET-1CEST,M3.5.0,M10.5.0/3", minimal_v1 };
	static struct buf b;

	build(&b, &z);
	return tz_from_tzif("Europe/Berlin", b.b, b.n, err, sizeof(err));
}

/* ---- POSIX rules ------------------------------------------------------- */

struct offcase {
	const char *rule;
	const char *at;
	int off;
};

static const struct offcase posix_offsets[] = {
	{ "UTC0", "2026-06-01T00:00:00Z", 0 },
	{ "<+03>-3", "2026-06-01T00:00:00Z", 10800 },
	{ "<-0330>3:30", "2026-06-01T00:00:00Z", -12600 },
	{ "IST-5:30", "2026-01-01T00:00:00Z", 19800 },
	{ "NPT-5:45", "2026-01-01T00:00:00Z", 20700 },
	{ "EST+5", "2026-06-01T00:00:00Z", -18000 },
	/* Europe/Berlin */
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-01-15T12:00:00Z", 3600 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29T00:59:59Z", 3600 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29T01:00:00Z", 7200 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-07-01T00:00:00Z", 7200 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-10-25T00:59:59Z", 7200 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-10-25T01:00:00Z", 3600 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2027-03-28T01:00:00Z", 7200 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2027-03-28T00:59:59Z", 3600 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2100-03-28T01:00:00Z", 7200 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2100-03-28T00:59:59Z", 3600 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "1950-07-01T00:00:00Z", 7200 },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-12-31T23:30:00Z", 3600 },
	/* America/New_York */
	{ "EST5EDT,M3.2.0,M11.1.0", "2026-03-08T06:59:59Z", -18000 },
	{ "EST5EDT,M3.2.0,M11.1.0", "2026-03-08T07:00:00Z", -14400 },
	{ "EST5EDT,M3.2.0,M11.1.0", "2026-11-01T05:59:59Z", -14400 },
	{ "EST5EDT,M3.2.0,M11.1.0", "2026-11-01T06:00:00Z", -18000 },
	{ "EST5EDT", "2026-03-08T07:00:00Z", -14400 },	/* default dates */
	{ "EST5EDT", "2026-03-08T06:59:00Z", -18000 },
	/* Australia/Sydney: DST spans the new year */
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-01-01T00:00:00Z", 39600 },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-04-04T15:59:59Z", 39600 },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-04-04T16:00:00Z", 36000 },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-10-03T15:59:59Z", 36000 },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-10-03T16:00:00Z", 39600 },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-12-31T14:00:00Z", 39600 },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-12-31T13:00:00Z", 39600 },
	/* Lord Howe: half-hour DST, explicit DST offset */
	{ "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-04-04T14:59:59Z", 39600 },
	{ "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-04-04T15:00:00Z", 37800 },
	{ "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-10-03T15:29:59Z", 37800 },
	{ "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-10-03T15:30:00Z", 39600 },
	/* America/Nuuk: negative transition times (TZif v3) */
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2026-03-29T00:59:59Z", -7200 },
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2026-03-29T01:00:00Z", -3600 },
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2026-10-25T00:59:59Z", -3600 },
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2026-10-25T01:00:00Z", -7200 },
	/* Transition times past 24h (v3): Sunday 26:00 = Monday 02:00 */
	{ "XXX3YYY,M3.2.0/26,M11.1.0/26", "2026-03-09T04:59:59Z", -10800 },
	{ "XXX3YYY,M3.2.0/26,M11.1.0/26", "2026-03-09T05:00:00Z", -7200 },
	/* Permanent DST expressed as a rule (RFC 8536 section 3.3.1) */
	{ "EST5EDT,0/0,J365/25", "2026-01-01T04:59:59Z", -14400 },
	{ "EST5EDT,0/0,J365/25", "2026-01-01T05:00:00Z", -14400 },
	{ "EST5EDT,0/0,J365/25", "2026-07-01T00:00:00Z", -14400 },
	{ "EST5EDT,0/0,J365/25", "2028-12-31T23:00:00Z", -14400 },
	/* Jn never counts Feb 29; n does */
	{ "AAA0BBB,J60/0,J300/0", "2024-03-01T00:00:00Z", 3600 },
	{ "AAA0BBB,J60/0,J300/0", "2024-02-29T23:59:59Z", 0 },
	{ "AAA0BBB,59/0,300/0", "2024-02-29T00:00:00Z", 3600 },
	{ "AAA0BBB,59/0,300/0", "2024-02-28T23:59:59Z", 0 },
	{ "AAA0BBB,59/0,300/0", "2025-03-01T00:00:00Z", 3600 },
	{ "AAA0BBB,59/0,300/0", "2025-02-28T23:59:59Z", 0 },
	/* M.5 = last; a month with 5 Sundays and one without */
	{ "AAA0BBB,M3.5.0/0,M11.5.0/0", "2026-03-29T00:00:00Z", 3600 },
	{ "AAA0BBB,M3.5.0/0,M11.5.0/0", "2026-03-28T23:59:59Z", 0 },
	{ "AAA0BBB,M3.5.0/0,M11.5.0/0", "2026-11-29T00:00:00Z", 0 },
	{ "AAA0BBB,M3.5.0/0,M11.5.0/0", "2026-11-28T22:59:59Z", 3600 },
	{ "AAA0BBB,M3.5.0/0,M11.5.0/0", "2026-11-28T23:00:00Z", 0 },
	{ "AAA0BBB,M3.1.0/0,M3.5.6/0", "2026-03-01T00:00:00Z", 3600 },
	{ "AAA0BBB,M3.1.0/0,M3.5.6/0", "2026-03-28T00:00:00Z", 0 },
	{ "AAA0BBB,M3.1.0/0,M3.5.6/0", "2026-03-27T22:59:59Z", 3600 },
	/* quoted names with explicit DST offset and a full h:m:s time */
	{ "<+05>-5<+0630>-6:30,M4.1.0/1:30:15,M9.1.0", "2026-04-04T20:30:14Z",
	  18000 },
	{ "<+05>-5<+0630>-6:30,M4.1.0/1:30:15,M9.1.0", "2026-04-04T20:30:15Z",
	  23400 },
};

TEST(posix_offset_table)
{
	size_t i;

	for (i = 0; i < sizeof(posix_offsets) / sizeof(posix_offsets[0]); i++) {
		const struct offcase *c = &posix_offsets[i];
		struct tz *z = tz_from_posix(NULL, c->rule, err, sizeof(err));

		if (z == NULL) {
			UNIT_FAIL("%s: %s", c->rule, err);
			continue;
		}
		if (tz_offset(z, T(c->at)) != c->off)
			UNIT_FAIL("%s at %s: %d, want %d", c->rule, c->at,
			    tz_offset(z, T(c->at)), c->off);
		tz_free(z);
	}
}

TEST(posix_bad)
{
	static const char *const bad[] = {
		"", "C-1", "CET", "CE1", "1CET", "CET-1CEST,M3.5.0",
		"CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M0.5.0,M10.5.0",
		"CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.0.0,M10.5.0",
		"CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,M3.5,M10.5.0",
		"CET-1CEST,M3..0,M10.5.0", "<+03-3", "<+3>-3", "<>0",
		"CET25", "CET-25", "CET-1:60", "CET-1CEST,J0,J365",
		"CET-1CEST,J366,J1", "CET-1CEST,366,0",
		"CET-1CEST,M3.5.0/168,M10.5.0", "CET-1CEST,M3.5.0/,M10.5.0",
		"CET-1CEST,M3.5.0,M10.5.0/3 ", "CET-1 ", "CET-1CEST,",
		"CET-1CEST,,", "CET-1CEST;M3.5.0,M10.5.0", "CET-1CEST-",
		"CET-1CEST-2x", "<+03>", "CET-1C", "C+T-1",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tz *z = tz_from_posix("x", bad[i], err, sizeof(err));

		if (z != NULL) {
			UNIT_FAIL("accepted \"%s\"", bad[i]);
			tz_free(z);
		} else {
			CHECK_HAS(err, "rule");
		}
	}
	CHECK(tz_from_posix("x", NULL, err, sizeof(err)) == NULL);
}

TEST(names)
{
	struct tz *z = tz_from_posix("Europe/Paris", "CET-1CEST,M3.5.0,"
	    "M10.5.0/3", err, sizeof(err));
	struct tz *u = tz_utc();
	struct tz *anon = tz_from_posix(NULL, "EST5", err, sizeof(err));

	CHECK_STR(tz_name(z), "Europe/Paris");
	CHECK_STR(tz_name(u), "UTC");
	CHECK_STR(tz_name(anon), "EST5");
	CHECK_INT(tz_offset(u, 0), 0);
	CHECK_INT(tz_offset(u, T("2100-01-01")), 0);
	CHECK_INT(tz_offset(anon, 0), -18000);
	tz_free(z);
	tz_free(u);
	tz_free(anon);
	tz_free(NULL);
}

/* ---- wall clock -> instants -------------------------------------------- */

struct wallcase {
	const char *rule;
	const char *wall;	/* read as UTC: the wall clock digits */
	int n;
	const char *first, *second;
};

static const struct wallcase walls[] = {
	{ "UTC0", "2026-03-29T02:30:00", 1, "2026-03-29T02:30:00Z", NULL },
	/* Berlin spring forward 02:00 CET -> 03:00 CEST on 2026-03-29 */
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29T01:59:59", 1,
	  "2026-03-29T00:59:59Z", NULL },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29T02:00:00", 0,
	  "2026-03-29T01:00:00Z", NULL },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29T02:30:00", 0,
	  "2026-03-29T01:00:00Z", NULL },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29T02:59:59", 0,
	  "2026-03-29T01:00:00Z", NULL },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29T03:00:00", 1,
	  "2026-03-29T01:00:00Z", NULL },
	/* Berlin fall back 03:00 CEST -> 02:00 CET on 2026-10-25 */
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-10-25T01:59:59", 1,
	  "2026-10-24T23:59:59Z", NULL },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-10-25T02:00:00", 2,
	  "2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z" },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-10-25T02:30:00", 2,
	  "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z" },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-10-25T02:59:59", 2,
	  "2026-10-25T00:59:59Z", "2026-10-25T01:59:59Z" },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-10-25T03:00:00", 1,
	  "2026-10-25T02:00:00Z", NULL },
	/* New York */
	{ "EST5EDT,M3.2.0,M11.1.0", "2026-03-08T02:15:00", 0,
	  "2026-03-08T07:00:00Z", NULL },
	{ "EST5EDT,M3.2.0,M11.1.0", "2026-03-08T03:15:00", 1,
	  "2026-03-08T07:15:00Z", NULL },
	{ "EST5EDT,M3.2.0,M11.1.0", "2026-11-01T01:15:00", 2,
	  "2026-11-01T05:15:00Z", "2026-11-01T06:15:00Z" },
	{ "EST5EDT,M3.2.0,M11.1.0", "2026-11-01T02:00:00", 1,
	  "2026-11-01T07:00:00Z", NULL },
	/* Sydney: spring forward in October, fall back in April */
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-10-04T02:30:00", 0,
	  "2026-10-03T16:00:00Z", NULL },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-10-04T03:00:00", 1,
	  "2026-10-03T16:00:00Z", NULL },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-04-05T02:30:00", 2,
	  "2026-04-04T15:30:00Z", "2026-04-04T16:30:00Z" },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-04-05T03:00:00", 1,
	  "2026-04-04T17:00:00Z", NULL },
	/* Lord Howe: a half-hour gap and overlap */
	{ "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-10-04T02:15:00", 0,
	  "2026-10-03T15:30:00Z", NULL },
	{ "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-10-04T02:30:00", 1,
	  "2026-10-03T15:30:00Z", NULL },
	{ "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-04-05T01:45:00", 2,
	  "2026-04-04T14:45:00Z", "2026-04-04T15:15:00Z" },
	/* Nuuk: transitions at negative local times */
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2026-03-28T23:30:00", 0,
	  "2026-03-29T01:00:00Z", NULL },
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2026-10-24T23:30:00", 2,
	  "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z" },
};

TEST(wall_mapping)
{
	size_t i;

	for (i = 0; i < sizeof(walls) / sizeof(walls[0]); i++) {
		const struct wallcase *c = &walls[i];
		struct tz *z = tz_from_posix(NULL, c->rule, err, sizeof(err));
		int64_t first = -1, second = -1;
		int n;

		if (z == NULL) {
			UNIT_FAIL("%s: %s", c->rule, err);
			continue;
		}
		n = tz_from_wall(z, T(c->wall), &first, &second);
		if (n != c->n || first != T(c->first) ||
		    (c->second && second != T(c->second)))
			UNIT_FAIL("%s wall %s: n %d first %lld second %lld",
			    c->rule, c->wall, n, (long long)first,
			    (long long)second);
		/* second may be NULL */
		CHECK_INT(tz_from_wall(z, T(c->wall), &first, NULL), c->n);
		tz_free(z);
	}
}

/* For every fifth minute of two years, the instants tz_from_wall returns
 * show that wall time, and every instant is found from its own wall time. */
TEST(wall_sweep)
{
	static const char *const rules[] = {
		"CET-1CEST,M3.5.0,M10.5.0/3", "AEST-10AEDT,M10.1.0,M4.1.0/3",
		"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
		"<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
	};
	size_t r;

	for (r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		struct tz *z = tz_from_posix(NULL, rules[r], err, sizeof(err));
		int64_t t, end = T("2027-01-01"), a, b;
		int bad = 0, gaps = 0, dups = 0, n;

		for (t = T("2025-01-01"); t < end && bad < 3; t += 300) {
			int64_t w = t + tz_offset(z, t);

			n = tz_from_wall(z, w, &a, &b);
			if (n == 0 || (a != t && (n < 2 || b != t))) {
				UNIT_FAIL("%s: instant %lld not found",
				    rules[r], (long long)t);
				bad++;
			}
			/* The same minute read as a wall time. */
			n = tz_from_wall(z, t, &a, &b);
			if (n == 0) {
				gaps++;
				if (a + tz_offset(z, a) <= t ||
				    a - 1 + tz_offset(z, a - 1) >= t) {
					UNIT_FAIL("%s: gap %lld jump %lld",
					    rules[r], (long long)t,
					    (long long)a);
					bad++;
				}
			} else if (a + tz_offset(z, a) != t ||
			    (n == 2 && (b + tz_offset(z, b) != t || b <= a))) {
				UNIT_FAIL("%s: wall %lld", rules[r],
				    (long long)t);
				bad++;
			}
			dups += n == 2;
		}
		/* Two years: two gaps and two overlaps of 60 or 30 minutes,
		 * sampled every 5 minutes. */
		if (r == 2) {
			CHECK_INT(gaps, 2 * 6);
			CHECK_INT(dups, 2 * 6);
		} else {
			CHECK_INT(gaps, 2 * 12);
			CHECK_INT(dups, 2 * 12);
		}
		tz_free(z);
	}
}

/* ---- TZif -------------------------------------------------------------- */

TEST(tzif_versions)
{
	static const struct {
		char version;
		int minimal;
	} v[] = { { 0, 0 }, { '2', 0 }, { '2', 1 }, { '3', 0 }, { '3', 1 },
	    { '4', 0 } };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct tz *z = berlin_tzif(v[i].version, v[i].minimal);

		if (z == NULL) {
			UNIT_FAIL("version %d: %s", v[i].version, err);
			continue;
		}
		CHECK_STR(tz_name(z), "Europe/Berlin");
		/* before the first transition: type 0, LMT */
		CHECK_INT(tz_offset(z, T("1890-01-01")), 3208);
		CHECK_INT(tz_offset(z, T("2025-03-30T00:59:59Z")), 3208);
		CHECK_INT(tz_offset(z, T("2025-03-30T01:00:00Z")), 7200);
		CHECK_INT(tz_offset(z, T("2026-01-01")), 3600);
		CHECK_INT(tz_offset(z, T("2026-03-29T01:00:00Z")), 7200);
		CHECK_INT(tz_offset(z, T("2027-10-31T00:59:59Z")), 7200);
		CHECK_INT(tz_offset(z, T("2027-10-31T01:00:00Z")), 3600);
		/* past the table: the footer rule (v2+), else the last type */
		CHECK_INT(tz_offset(z, T("2040-07-01")), v[i].version ? 7200 :
		    3600);
		CHECK_INT(tz_offset(z, T("2040-01-01")), 3600);
		tz_free(z);
	}
}

/* Offsets at t and the mapping of t read as a wall time agree. */
static int
same(const struct tz *a, const struct tz *b, int64_t t)
{
	int64_t a1 = 0, a2 = 0, b1 = 0, b2 = 0;
	int na, nb;

	if (tz_offset(a, t) != tz_offset(b, t)) {
		UNIT_FAIL("offset at %lld", (long long)t);
		return 0;
	}
	na = tz_from_wall(a, t, &a1, &a2);
	nb = tz_from_wall(b, t, &b1, &b2);
	if (na != nb || a1 != b1 || (na == 2 && a2 != b2)) {
		UNIT_FAIL("wall at %lld", (long long)t);
		return 0;
	}
	return 1;
}

/* Debian's files are "fat": transitions to 2037, then the rule. The table
 * and the rule must agree where they meet and on every DST edge. */
TEST(tzif_fat_vs_rule)
{
	static int64_t trans[200];
	static unsigned char idx[200];
	static const struct ttype types[] = {
		{ 3600, 0, "CET" }, { 7200, 1, "CEST" },
	};
	const char *rule = "CET-1CEST,M3.5.0,M10.5.0/3";
	struct tz *p = tz_from_posix(NULL, rule, err, sizeof(err)), *f;
	struct zone zf = { '2', 0, trans, idx, 2, types, rule, 0 };
	static struct buf b;
	int64_t t;
	size_t n = 0, i;
	int bad = 0;

	/* Collect the rule's own transitions 1996-2037 by scanning. */
	for (t = T("1996-01-01"); t < T("2038-01-01"); t += 3600)
		if (tz_offset(p, t) != tz_offset(p, t - 3600) && n < 200) {
			trans[n] = t;
			idx[n] = tz_offset(p, t) == 7200;
			n++;
		}
	CHECK_INT(n, 84);
	zf.ntrans = n;
	build(&b, &zf);
	f = tz_from_tzif("fat", b.b, b.n, err, sizeof(err));
	CHECK(f != NULL);
	if (f == NULL) {
		tz_free(p);
		return;
	}
	/* Around every table transition, then densely where table and rule
	 * meet (end of 2037). */
	for (i = 0; i < n && bad < 3; i++) {
		for (t = trans[i] - 7200; t <= trans[i] + 7200; t += 900)
			if (!same(f, p, t))
				bad++;
	}
	for (t = T("2036-01-01"); t < T("2040-01-01") && bad < 3; t += 1800)
		if (!same(f, p, t))
			bad++;
	tz_free(f);
	tz_free(p);
}

/* A slim file: no transitions at all, only the footer. */
TEST(tzif_slim)
{
	static const struct ttype types[] = { { -18000, 0, "EST" } };
	struct zone zs = { '2', 0, NULL, NULL, 1, types,
	    "EST5EDT,M3.2.0,M11.1.0", 1 };
	static struct buf b;
	struct tz *z;
	int64_t a = 0, c = 0;

	build(&b, &zs);
	z = tz_from_tzif("America/New_York", b.b, b.n, err, sizeof(err));
	CHECK(z != NULL);
	if (z == NULL)
		return;
	CHECK_INT(tz_offset(z, T("2026-03-08T07:00:00Z")), -14400);
	CHECK_INT(tz_offset(z, T("2026-03-08T06:59:59Z")), -18000);
	CHECK_INT(tz_from_wall(z, T("2026-11-01T01:30:00"), &a, &c), 2);
	CHECK_INT(a, T("2026-11-01T05:30:00Z"));
	CHECK_INT(c, T("2026-11-01T06:30:00Z"));
	tz_free(z);

	/* An empty footer: the last type holds forever. */
	zs.footer = "";
	build(&b, &zs);
	z = tz_from_tzif("EST", b.b, b.n, err, sizeof(err));
	CHECK(z != NULL);
	if (z != NULL)
		CHECK_INT(tz_offset(z, T("2026-07-01")), -18000);
	tz_free(z);
}

/* Etc/UTC as zic writes it (v2, slim), as literal bytes. */
static const unsigned char utc_tzif[] = {
	'T', 'Z', 'i', 'f', '2', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4,
	0, 0, 0, 0, 0, 0, 'U', 'T', 'C', 0,
	'T', 'Z', 'i', 'f', '2', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4,
	0, 0, 0, 0, 0, 0, 'U', 'T', 'C', 0,
	'\n', 'U', 'T', 'C', '0', '\n',
};

TEST(tzif_literal_utc)
{
	struct tz *z = tz_from_tzif("Etc/UTC", utc_tzif, sizeof(utc_tzif), err,
	    sizeof(err));
	int64_t a = 0;

	CHECK(z != NULL);
	if (z == NULL)
		return;
	CHECK_INT(tz_offset(z, T("2026-06-01")), 0);
	CHECK_INT(tz_from_wall(z, 1000, &a, NULL), 1);
	CHECK_INT(a, 1000);
	tz_free(z);
}

static void
expect_bad(const unsigned char *p, size_t n, const char *what,
    const char *msg)
{
	struct tz *z;

	err[0] = '\0';
	z = tz_from_tzif("bad", p, n, err, sizeof(err));
	if (z != NULL) {
		UNIT_FAIL("accepted %s", what);
		tz_free(z);
		return;
	}
	if (msg && strstr(err, msg) == NULL)
		UNIT_FAIL("%s: message \"%s\" lacks \"%s\"", what, err, msg);
}

TEST(tzif_bad)
{
	static struct buf good, b;
	size_t cut, i;
	int64_t bad_trans[2];
	static const unsigned char bad_idx[2] = { 0, 5 };

	{
		struct zone z = { '2', 6, berlin_trans, berlin_idx, 3,
		    berlin_types, "CET-1CEST,M3.5.0,M10.5.0/3", 0 };
		build(&good, &z);
	}
	expect_bad(good.b, 0, "empty", "not TZif");
	expect_bad(NULL, 10, "NULL", "not TZif");
	/* Every truncation is refused; ASan checks nothing is read past. */
	for (cut = 0; cut < good.n; cut++) {
		unsigned char *copy = malloc(cut ? cut : 1);

		memcpy(copy, good.b, cut);
		expect_bad(copy, cut, "truncated", NULL);
		free(copy);
	}
	b = good;
	b.b[0] = 'X';
	expect_bad(b.b, b.n, "bad magic", "not TZif");
	b = good;
	b.b[4] = '1';
	expect_bad(b.b, b.n, "version 1 byte", "not TZif");
	b = good;
	b.b[b.n - 1] = 'x';
	expect_bad(b.b, b.n, "no final newline", "footer");
	b = good;
	memcpy(b.b + b.n - 27, "CET-1CEST,M3.9.0,M10.5.0/3", 26);
	expect_bad(b.b, b.n, "bad footer rule", "footer rule");
	/* leap seconds in the v1 block */
	b = good;
	b.b[31] = 1;
	expect_bad(b.b, b.n, "leap seconds", NULL);
	{
		struct zone z = { 0, 6, berlin_trans, berlin_idx, 3,
		    berlin_types, "", 0 };

		build(&b, &z);
		b.b[31] = 1;
		/* one leap record: 8 bytes more than the file has */
		expect_bad(b.b, b.n, "leap seconds v1", "truncated");
		memset(b.b + b.n, 0, 8);
		expect_bad(b.b, b.n + 8, "leap seconds v1", "leap-second");
		b.b[31] = 0;
		b.b[39] = 0;	/* typecnt 0 */
		expect_bad(b.b, b.n, "no types", "counts");
	}
	bad_trans[0] = T("2026-01-01");
	bad_trans[1] = T("2025-01-01");
	{
		struct zone z = { 0, 2, bad_trans, berlin_idx, 3,
		    berlin_types, "", 0 };

		build(&b, &z);
		expect_bad(b.b, b.n, "descending", "transition 1");
		z.trans = berlin_trans;
		z.idx = bad_idx;
		build(&b, &z);
		expect_bad(b.b, b.n, "type index", "transition 1");
	}
	{
		static const struct ttype wild[] = { { 100000, 0, "XXX" } };
		struct zone z = { 0, 0, NULL, NULL, 1, wild, "", 0 };

		build(&b, &z);
		expect_bad(b.b, b.n, "offset 100000", "type 0");
	}
	{
		/* counts near 2^32 must not wrap the size check */
		b = good;
		for (i = 20; i < 44; i++)
			b.b[i] = 0xff;
		expect_bad(b.b, b.n, "huge counts", "truncated");
	}
	/* Flip every byte of the good file: no crash, whatever the result. */
	for (i = 0; i < good.n; i++) {
		struct tz *z;

		b = good;
		b.b[i] ^= 0xa5;
		z = tz_from_tzif("flip", b.b, b.n, err, sizeof(err));
		if (z != NULL) {
			int64_t a;

			(void)tz_offset(z, T("2026-06-01"));
			(void)tz_from_wall(z, T("2026-10-25T02:30:00"), &a,
			    NULL);
			tz_free(z);
		}
	}
}

TEST(name_valid)
{
	static const char *const good[] = {
		"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires",
		"Etc/GMT+5", "Etc/GMT-14", "America/Port-au-Prince", "EST5EDT",
		"posixrules", "America/Port_of_Spain",
	};
	static const char *const bad[] = {
		"", "/etc/passwd", "../etc/passwd", "Europe/../../etc/passwd",
		"Europe/..", "..", ".", "./UTC", "Europe//Berlin", "Europe/",
		"Europe/Berlin ", "Europe\\Berlin", "Europe/Berlin\n", "a b",
		"UTC;rm", "$HOME", "~root", "Europe/.hidden", "a..b", "a.b",
	};
	size_t i;
	char longname[300];

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!tz_name_valid(good[i]))
			UNIT_FAIL("refused %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tz_name_valid(bad[i]))
			UNIT_FAIL("accepted \"%s\"", bad[i]);
	CHECK(!tz_name_valid(NULL));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(!tz_name_valid(longname));
}

/* The ends of int64 and a NULL zone: defined answers, no overflow (the
 * sanitizer build checks the arithmetic). */
TEST(extremes)
{
	static const int64_t ts[] = {
		INT64_MIN, INT64_MIN + 1, -100000000000000LL, -1, 0,
		100000000000000LL, INT64_MAX - 1, INT64_MAX,
	};
	struct tz *z[3];
	size_t i, k;

	z[0] = tz_from_posix(NULL, "AEST-10AEDT,M10.1.0,M4.1.0/3", err,
	    sizeof(err));
	z[1] = berlin_tzif('2', 0);
	z[2] = NULL;
	CHECK(z[0] != NULL && z[1] != NULL);
	for (k = 0; k < 3; k++) {
		for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
			int64_t a = 0;
			int off = tz_offset(z[k], ts[i]);

			CHECK(off >= -93599 && off <= 93599);
			CHECK_INT(tz_from_wall(z[k], ts[i], &a, NULL) >= 0, 1);
		}
	}
	CHECK_INT(tz_offset(NULL, 12345), 0);
	{
		int64_t a = 0;

		CHECK_INT(tz_from_wall(NULL, 12345, &a, NULL), 1);
		CHECK_INT(a, 12345);
	}
	tz_free(z[0]);
	tz_free(z[1]);
}

int
main(void)
{
	init_berlin();
	RUN(posix_offset_table);
	RUN(posix_bad);
	RUN(names);
	RUN(wall_mapping);
	RUN(wall_sweep);
	RUN(tzif_versions);
	RUN(tzif_fat_vs_rule);
	RUN(tzif_slim);
	RUN(tzif_literal_utc);
	RUN(tzif_bad);
	RUN(name_valid);
	RUN(extremes);
	return unit_done("test_tz");
}
