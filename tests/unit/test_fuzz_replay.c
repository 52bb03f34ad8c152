/* test_fuzz_replay.c - every seed of the lib/ parser fuzz targets, run
 * through the same target bodies without libFuzzer.
 *
 * make fuzz needs clang and runs for minutes; this runs in every make
 * check (plain and under ASan+UBSan) and keeps the targets compiling and
 * the corpora crash-free, including the reproducers saved there from
 * past findings. The target files are included whole (targets.h explains
 * why that works). The corpora are read at run time from
 * tests/fuzz/corpus/<target>/, found from the working directory or one of
 * its parents (tests/run.sh runs unit tests from the top of the tree), or
 * given as the first argument. A target whose check fails aborts with the
 * input's path on stderr. */
#define FUZZ_REPLAY 1
#include "../fuzz/fuzz_conf.c"
#include "../fuzz/fuzz_cron.c"
#include "../fuzz/fuzz_isotime.c"
#include "../fuzz/fuzz_mage.c"
#include "../fuzz/fuzz_tz.c"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define REPLAY_MAX_INPUT (1024 * 1024)
#define REPLAY_MAX_FILES 4096

static char corpus_root[PATH_MAX];

static int
find_corpus(int argc, char **argv)
{
	static const char *const up[] = { "", "../", "../../", "../../../" };
	size_t i;
	DIR *d;

	for (i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
		if (argc > 1)
			snprintf(corpus_root, sizeof(corpus_root), "%s",
			    argv[1]);
		else
			snprintf(corpus_root, sizeof(corpus_root),
			    "%stests/fuzz/corpus", up[i]);
		if ((d = opendir(corpus_root)) != NULL) {
			closedir(d);
			return 0;
		}
		if (argc > 1)
			break;
	}
	corpus_root[0] = '\0';
	return -1;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read one input; NULL (with a failed check) when it cannot be. */
static uint8_t *
read_input(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (f == NULL) {
		UNIT_FAIL("cannot open %s", path);
		return NULL;
	}
	if ((buf = malloc(REPLAY_MAX_INPUT + 1)) == NULL)
		abort();
	n = fread(buf, 1, REPLAY_MAX_INPUT + 1, f);
	if (ferror(f) || n > REPLAY_MAX_INPUT) {
		UNIT_FAIL("%s: read error or larger than %d bytes", path,
		    REPLAY_MAX_INPUT);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Replay every file of corpus_root/name through fn; returns how many. */
static size_t
replay(const char *name, int (*fn)(const uint8_t *, size_t))
{
	char dir[PATH_MAX + 64], path[PATH_MAX * 2], *names[REPLAY_MAX_FILES];
	size_t n = 0, i, len = 0;
	struct dirent *e;
	uint8_t *buf;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", corpus_root, name);
	if ((d = opendir(dir)) == NULL) {
		UNIT_FAIL("no corpus directory %s", dir);
		return 0;
	}
	while ((e = readdir(d)) != NULL && n < REPLAY_MAX_FILES) {
		if (e->d_name[0] == '.')
			continue;
		if ((names[n++] = strdup(e->d_name)) == NULL)
			abort();
	}
	closedir(d);
	/* A fixed order, so a failure reproduces the same way. */
	qsort(names, n, sizeof(names[0]), cmp_name);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((buf = read_input(path, &len)) != NULL) {
			fuzz_input_name = path;
			CHECK_INT(fn(buf, len), 0);
			fuzz_input_name = NULL;
			free(buf);
		}
		free(names[i]);
	}
	printf("  %s: %zu inputs replayed\n", name, n);
	return n;
}

TEST(corpus_present)
{
	CHECK(corpus_root[0] != '\0');
}

/* A target with an empty corpus would pass without testing anything. */
TEST(replay_conf)
{
	CHECK(replay("fuzz_conf", fuzz_conf_one) >= 5);
}

TEST(replay_cron)
{
	CHECK(replay("fuzz_cron", fuzz_cron_one) >= 5);
}

TEST(replay_tz)
{
	CHECK(replay("fuzz_tz", fuzz_tz_one) >= 5);
}

TEST(replay_isotime)
{
	CHECK(replay("fuzz_isotime", fuzz_isotime_one) >= 5);
}

TEST(replay_mage)
{
	CHECK(replay("fuzz_mage", fuzz_mage_one) >= 5);
}

/* Inputs no seed holds: empty, one byte, all bytes, a long run. */
TEST(edge_inputs)
{
	static const struct {
		const char *name;
		int (*fn)(const uint8_t *, size_t);
	} t[] = {
		{ "conf", fuzz_conf_one }, { "cron", fuzz_cron_one },
		{ "tz", fuzz_tz_one }, { "isotime", fuzz_isotime_one },
		{ "mage", fuzz_mage_one },
	};
	uint8_t all[256], run[5000];
	size_t i;

	for (i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)i;
	memset(run, '*', sizeof(run));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fuzz_input_name = t[i].name;
		CHECK_INT(t[i].fn((const uint8_t *)"", 0), 0);
		CHECK_INT(t[i].fn((const uint8_t *)"\n", 1), 0);
		CHECK_INT(t[i].fn(all, sizeof(all)), 0);
		CHECK_INT(t[i].fn(run, sizeof(run)), 0);
		fuzz_input_name = NULL;
	}
}

int
main(int argc, char **argv)
{
	if (find_corpus(argc, argv) == 0)
		printf("  corpora in %s\n", corpus_root);
	RUN(corpus_present);
	RUN(replay_conf);
	RUN(replay_cron);
	RUN(replay_tz);
	RUN(replay_isotime);
	RUN(replay_mage);
	RUN(edge_inputs);
	return unit_done("test_fuzz_replay");
}
