/* fuzz_conf.c - libFuzzer target: magsync.ini through conf_load.
 *
 * The input is the main file, /etc/magsync/magsync.ini. A line "#%%"
 * splits it: what follows becomes /etc/magsync/conf.d/extra.ini (else that
 * file holds a fixed channel). Beside them, in an in-memory file system
 * behind struct conf_io: a second included file, token files (good,
 * group-readable, empty, with a NUL, unreadable) and a credentials
 * directory, and the zones UTC and Europe/Berlin.
 *
 * Checked: a conf comes back exactly when no error was reported; every
 * diagnostic formats; no diagnostic shows the token file's secret (unless
 * the input itself holds that text); the loaded model answers its own
 * lookups, every job's settings read back through conf_job_str, and every
 * schedule's next run lies in the future. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "cron.h"
#include "tz.h"
#include "targets.h"
#include "../unit/memconf.h"

#define FCONF_DIR	"/etc/magsync"
#define FCONF_MAIN	FCONF_DIR "/magsync.ini"
#define FCONF_EXTRA	FCONF_DIR "/conf.d/extra.ini"
#define FCONF_SPLIT	"\n#%%\n"
#define FCONF_SECRET	"tok-FUZZ-SECRET-7d1c"

static const char fconf_default_extra[] =
    "[channel extra]\n"
    "store_url = http://extra.example\n"
    "access_token_file = token\n"
    "[job extra get_orders]\n"
    "schedule = @every 5m\n"
    "shipping_methods = ship\n";

static const char fconf_other[] =
    "[mapping_set ship]\n"
    "flatrate_flatrate = Standard\n"
    "* = Other\n";

static const char fconf_nul_token[] = "abc\0def\n";

/* Everything a loaded conf promises about itself. */
static void
fconf_walk(const struct conf *c)
{
	int64_t next;
	size_t i, k;

	FUZZ_CHECK(c->nfiles >= 1 && strcmp(c->files[0], FCONF_MAIN) == 0);
	FUZZ_CHECK(c->tz != NULL);
	FUZZ_CHECK(c->global.database != NULL);
	for (i = 0; i < c->nchannels; i++) {
		const struct conf_channel *ch = &c->channels[i];

		FUZZ_CHECK(conf_channel(c, ch->name) == ch);
		FUZZ_CHECK(ch->store_url != NULL && ch->store_code != NULL);
		FUZZ_CHECK(ch->access_token != NULL);
		FUZZ_CHECK(ch->page_size >= 1 && ch->page_size <= 10000);
		FUZZ_CHECK(ch->max_concurrency >= 1 &&
		    ch->max_concurrency <= 64);
	}
	for (i = 0; i < c->njobs; i++) {
		const struct conf_job *j = &c->jobs[i];

		FUZZ_CHECK(j->channel != NULL && j->schedule != NULL);
		FUZZ_CHECK(conf_job(c, j->channel->name, j->process) == j);
		for (k = 0; k < j->nsettings; k++)
			FUZZ_CHECK(conf_job_str(j, j->settings[k].key) != NULL);
		if (cron_next(j->schedule, c->tz, 1700000000, &next) == 0)
			FUZZ_CHECK(next > 1700000000);
	}
	for (i = 0; i < c->ntemplates; i++)
		FUZZ_CHECK(conf_template(c, c->templates[i].name) ==
		    &c->templates[i]);
	for (i = 0; i < c->nsets; i++)
		FUZZ_CHECK(conf_mapping_set(c, c->sets[i].name) == &c->sets[i]);
}

static int
fuzz_conf_one(const uint8_t *data, size_t size)
{
	struct memconf fs = { .n = 0 };
	struct diag_list dl = { NULL, 0, 0 };
	struct conf_io io;
	struct conf *c;
	char *text = fuzz_strndup(data, size), *split, line[DIAG_MSG_MAX * 2];
	size_t main_len = size, i;
	int shows_secret = memmem(data, size, FCONF_SECRET,
	    strlen(FCONF_SECRET)) != NULL;

	split = memmem(text, size, FCONF_SPLIT, strlen(FCONF_SPLIT));
	if (split != NULL)
		main_len = (size_t)(split - text) + 1;
	memconf_add_n(&fs, FCONF_MAIN, text, main_len, 0640);
	if (split != NULL)
		memconf_add_n(&fs, FCONF_EXTRA, split + strlen(FCONF_SPLIT),
		    size - main_len - strlen(FCONF_SPLIT) + 1, 0644);
	else
		memconf_add(&fs, FCONF_EXTRA, fconf_default_extra, 0644);
	memconf_add(&fs, FCONF_DIR "/conf.d/other.conf", fconf_other, 0644);
	memconf_add(&fs, FCONF_DIR "/token", FCONF_SECRET "\n", 0600);
	memconf_add(&fs, FCONF_DIR "/token-open", FCONF_SECRET "\n", 0644);
	memconf_add(&fs, FCONF_DIR "/empty", "", 0600);
	memconf_add_n(&fs, FCONF_DIR "/nul", fconf_nul_token,
	    sizeof(fconf_nul_token) - 1, 0600);
	memconf_add(&fs, FCONF_DIR "/locked", NULL, 0000);
	memconf_add(&fs, "/run/creds/cred", FCONF_SECRET, 0400);

	/* Half the inputs see a credentials directory. */
	io = memconf_io(&fs, size % 2 ? "/run/creds" : NULL);

	c = conf_load(FCONF_MAIN, &io, &dl);
	FUZZ_CHECK((c != NULL) == (diag_errors(&dl) == 0));
	for (i = 0; i < dl.n; i++) {
		diag_format(&dl, i, line, sizeof(line));
		FUZZ_CHECK(dl.items[i].line >= 0);
		FUZZ_CHECK(shows_secret || strstr(line, FCONF_SECRET) == NULL);
	}
	if (c != NULL)
		fconf_walk(c);
	conf_free(c);
	diag_clear(&dl);
	free(text);
	return 0;
}

FUZZ_ENTRY(fuzz_conf_one)
