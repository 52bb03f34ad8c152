/* test_conf.c - magsync.ini: defaults, every key, includes, secrets, and
 * every kind of mistake reported as FILE:LINE: message.
 *
 * No files: a tiny in-memory file system (memconf.h) stands behind struct
 * conf_io. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "cron.h"
#include "memconf.h"
#include "tz.h"
#include "unit.h"

#define TOKEN "tok-SECRET-0123456789"

static struct conf *
load_fs(struct memconf *fs, const char *path, const char *creds,
    struct diag_list *dl)
{
	struct conf_io io = memconf_io(fs, creds);

	return conf_load(path, &io, dl);
}

/* magsync.ini with text plus the usual token file. */
static struct conf *
load_text(const char *text, struct diag_list *dl)
{
	static struct memconf fs;

	memset(&fs, 0, sizeof(fs));
	memconf_add(&fs, "magsync.ini", text, 0600);
	memconf_add(&fs, "shop.token", TOKEN "\n", 0600);
	return load_fs(&fs, "magsync.ini", NULL, dl);
}

static void
dump(const struct diag_list *dl)
{
	char buf[1024];
	size_t i;

	for (i = 0; i < dl->n; i++)
		fprintf(stderr, "    | %s\n", diag_format(dl, i, buf,
		    sizeof(buf)));
}

/* Is there an entry formatted as "prefix...frag..."? */
static bool
has_diag(const struct diag_list *dl, const char *prefix, const char *frag)
{
	char buf[1024];
	size_t i;

	for (i = 0; i < dl->n; i++) {
		diag_format(dl, i, buf, sizeof(buf));
		if (strncmp(buf, prefix, strlen(prefix)) == 0 &&
		    strstr(buf + strlen(prefix), frag) != NULL)
			return true;
	}
	return false;
}

#define CHECK_DIAG(dl, prefix, frag) do {				\
	if (!has_diag((dl), (prefix), (frag))) {			\
		UNIT_FAIL("no diagnostic \"%s...%s\" among:", (prefix),	\
		    (frag));						\
		dump(dl);						\
	}								\
} while (0)

#define CHECK_NO_DIAG(dl) do {						\
	if ((dl)->n != 0) {						\
		UNIT_FAIL("unexpected diagnostics:");			\
		dump(dl);						\
	}								\
} while (0)

/* 8 lines every mistake below is added to (mistakes start at line 9). */
#define BASE								\
	"[magsync]\n"							\
	"database = postgresql:///magsync\n"				\
	"timezone = UTC\n"						\
	"\n"								\
	"[channel shop]\n"						\
	"store_url = https://shop.example.com/\n"			\
	"access_token_file = shop.token\n"				\
	"\n"

/* ---- valid configurations ---------------------------------------------- */

TEST(minimal_defaults)
{
	struct diag_list dl = { 0 };
	struct conf *c = load_text(BASE
	    "[job shop get_orders]\n"
	    "schedule = */5 * * * *\n", &dl);
	const struct conf_channel *ch;
	const struct conf_job *j;

	CHECK(c != NULL);
	CHECK_NO_DIAG(&dl);
	if (c == NULL)
		return;
	CHECK_STR(c->path, "magsync.ini");
	CHECK_INT(c->nfiles, 1);
	CHECK_STR(c->global.database, "postgresql:///magsync");
	CHECK_STR(c->global.timezone, "UTC");
	CHECK_INT(c->global.log_level, CONF_LOG_INFO);
	CHECK_INT(c->global.stop_timeout, 20);
	CHECK_INT(c->global.log_retention, 90 * 86400);
	CHECK(c->tz != NULL);
	CHECK_INT(c->nchannels, 1);
	ch = conf_channel(c, "shop");
	CHECK(ch != NULL);
	if (ch != NULL) {
		CHECK_STR(ch->store_url, "https://shop.example.com");
		CHECK_STR(ch->store_code, "default");
		CHECK_INT(ch->auth, CONF_AUTH_BEARER);
		CHECK_STR(ch->access_token, TOKEN);
		CHECK(ch->access_token_secret == NULL);
		CHECK(ch->consumer_key == NULL);
		CHECK_INT(ch->page_size, 250);
		CHECK_INT(ch->max_concurrency, 4);
		CHECK_INT(ch->request_timeout, 60);
		CHECK_INT(ch->retry_attempts, 5);
		CHECK_INT(ch->max_response_bytes, 64 * 1024 * 1024);
		CHECK(ch->verify_tls);
		CHECK(!ch->override_images);
		CHECK_INT(ch->inventory, CONF_INV_AUTO);
		CHECK(ch->sources == NULL);
		CHECK_STR(ch->file, "magsync.ini");
		CHECK_INT(ch->line, 5);
	}
	CHECK(conf_channel(c, "nope") == NULL);
	CHECK_INT(c->njobs, 2);		/* + the implicit pii_retention */
	j = conf_job(c, "shop", PROC_GET_ORDERS);
	CHECK(j != NULL);
	if (j != NULL) {
		CHECK(j->channel == ch);
		CHECK_INT(j->line, 9);
		CHECK_STR(j->schedule_text, "*/5 * * * *");
		CHECK(j->schedule != NULL);
		CHECK(j->enabled);
		CHECK(j->catch_up);
		CHECK_INT(j->jitter, 0);
		CHECK_STR(j->template_name, "get_orders.default");
		CHECK_INT(j->nsettings, 0);
		CHECK_INT(conf_job_int(j, "days_back"), 7);
		CHECK_STR(conf_job_str(j, "statuses"), "");
		CHECK_INT(conf_job_int(j, "pii_retention"), 30);
		CHECK_STR(conf_job_str(j, "pii_retention"), "30");
		CHECK(!conf_job_bool(j, "use_parent_item_id"));
		CHECK_STR(conf_job_str(j, "acknowledge"), "none");
		CHECK_STR(conf_job_str(j, "acknowledge_comment"),
		    "Imported by magsync");
		CHECK_STR(conf_job_str(j, "shipping_methods"), "");
		CHECK_INT(conf_job_int(j, "page_size"), 50);
	}
	CHECK(conf_job(c, "shop", PROC_SYNC_ORDERS) == NULL);
	conf_free(c);
	diag_clear(&dl);
}

TEST(implicit_pii_job)
{
	struct diag_list dl = { 0 };
	struct conf *c = load_text(BASE
	    "[channel two]\n"
	    "store_url = http://127.0.0.1:8080\n"
	    "access_token_file = shop.token\n", &dl);
	const struct conf_job *j;

	CHECK(c != NULL);
	CHECK_NO_DIAG(&dl);
	if (c == NULL)
		return;
	CHECK_INT(c->njobs, 2);
	j = conf_job(c, "two", PROC_PII_RETENTION);
	CHECK(j != NULL);
	if (j != NULL) {
		CHECK_INT(j->line, 0);
		CHECK_STR(j->schedule_text, "@hourly");
		CHECK(j->schedule != NULL);
		CHECK(j->enabled);
		CHECK_STR(j->template_name, "pii_retention.default");
		CHECK_INT(conf_job_int(j, "batch_size"), 500);
	}
	/* jobs are ordered by channel, then process */
	CHECK_STR(c->jobs[0].channel->name, "shop");
	CHECK_STR(c->jobs[1].channel->name, "two");
	conf_free(c);
	diag_clear(&dl);

	c = load_text(BASE
	    "[job shop pii_retention]\n"
	    "schedule = @daily\n"
	    "batch_size = 100\n", &dl);
	CHECK(c != NULL);
	CHECK_NO_DIAG(&dl);
	if (c == NULL)
		return;
	CHECK_INT(c->njobs, 1);
	j = conf_job(c, "shop", PROC_PII_RETENTION);
	CHECK(j != NULL && j->line == 9);
	CHECK(j != NULL && conf_job_int(j, "batch_size") == 100);
	CHECK(j != NULL && strcmp(j->schedule_text, "@daily") == 0);
	conf_free(c);
	diag_clear(&dl);
}

TEST(process_defaults)
{
	struct diag_list dl = { 0 };
	struct conf *c = load_text(BASE
	    "[job shop import_listings]\n"
	    "[job shop sync_listings]\n"
	    "schedule = @hourly\n"
	    "[job shop publish_listings]\n"
	    "schedule = @daily\n"
	    "[job shop sync_orders]\n"
	    "schedule = */10 * * * *\n", &dl);
	const struct conf_job *j;

	CHECK(c != NULL);
	CHECK_NO_DIAG(&dl);
	if (c == NULL)
		return;
	CHECK_INT(c->njobs, 5);
	j = conf_job(c, "shop", PROC_IMPORT_LISTINGS);
	CHECK(j != NULL);
	if (j != NULL) {
		CHECK_STR(j->schedule_text, "manual");
		CHECK(cron_is_manual(j->schedule));
		CHECK(!conf_job_bool(j, "paused"));
		CHECK_STR(conf_job_str(j, "master_sku"), "sku");
		CHECK_STR(conf_job_str(j, "manage"), "create_update");
		CHECK_STR(conf_job_str(j, "image_url_prefix"), "");
		CHECK_STR(conf_job_str(j, "upc_attribute"), "upc");
		CHECK_STR(j->template_name, "import_listings.default");
	}
	j = conf_job(c, "shop", PROC_SYNC_LISTINGS);
	CHECK(j != NULL);
	if (j != NULL) {
		CHECK_STR(conf_job_str(j, "fields"), "");
		CHECK(conf_job_bool(j, "only_changed"));
	}
	j = conf_job(c, "shop", PROC_PUBLISH_LISTINGS);
	CHECK(j != NULL);
	if (j != NULL) {
		CHECK(conf_job_bool(j, "create_new"));
		CHECK(conf_job_bool(j, "update_existing"));
		CHECK_INT(conf_job_int(j, "attribute_set_id"), 4);
	}
	j = conf_job(c, "shop", PROC_SYNC_ORDERS);
	CHECK(j != NULL);
	if (j != NULL) {
		CHECK(!conf_job_bool(j, "notify_customer"));
		CHECK(!conf_job_bool(j, "visible_on_front"));
		CHECK(conf_job_bool(j, "append_comment"));
		CHECK_STR(conf_job_str(j, "extension_attributes"), "");
		CHECK_INT(conf_job_int(j, "max_attempts"), 5);
	}
	conf_free(c);
	diag_clear(&dl);
}

static const char full_ini[] =
	"; a full configuration\n"			/* 1 */
	"[magsync]\n"					/* 2 */
	"database = host=/run/postgresql\n"		/* 3 */
	"    dbname=magsync\n"				/* 4 */
	"timezone = Europe/Berlin\n"			/* 5 */
	"log_level = debug\n"				/* 6 */
	"stop_timeout = 1m30s\n"			/* 7 */
	"log_retention = 30d ; a month\n"		/* 8 */
	"\n"						/* 9 */
	"[channel shop-eu]\n"				/* 10 */
	"store_url = https://shop.example.com//\n"	/* 11 */
	"store_code = eu_store\n"			/* 12 */
	"auth = oauth1\n"				/* 13 */
	"access_token_file = /secrets/at\n"		/* 14 */
	"access_token_secret_file = ats\n"		/* 15 */
	"consumer_key_file = ck\n"			/* 16 */
	"consumer_secret_file = cs\n"			/* 17 */
	"page_size = 200\n"				/* 18 */
	"max_concurrency = 8\n"				/* 19 */
	"request_timeout = 2m\n"			/* 20 */
	"retry_attempts = 3\n"				/* 21 */
	"max_response_bytes = 1M\n"			/* 22 */
	"verify_tls = YES\n"				/* 23 */
	"override_images = On\n"			/* 24 */
	"inventory = msi\n"				/* 25 */
	"sources = src_a , src_b,\n"			/* 26 */
	"    src_c\n"					/* 27 */
	"\n"						/* 28 */
	"[job shop-eu get_orders]\n"			/* 29 */
	"schedule = */5 * * * *\n"			/* 30 */
	"enabled = no\n"				/* 31 */
	"catch_up = off\n"				/* 32 */
	"jitter = 30s\n"				/* 33 */
	"template = my_orders\n"			/* 34 */
	"days_back = 14\n"				/* 35 */
	"statuses = pending,\n"				/* 36 */
	"    ; indented comment\n"			/* 37 */
	"    processing ; inline\n"			/* 38 */
	"pii_retention = indefinitely\n"		/* 39 */
	"use_parent_item_id = 1\n"			/* 40 */
	"acknowledge = comment\n"			/* 41 */
	"acknowledge_comment = Got it; thanks\n"	/* 42 */
	"shipping_methods = ship_map\n"			/* 43 */
	"page_size = 100\n"				/* 44 */
	"\n"						/* 45 */
	"[job shop-eu sync_orders]\n"			/* 46 */
	"schedule = @every 10m\n"			/* 47 */
	"extension_attributes = {\n"			/* 48 */
	"    \"source_code\": \"default\"\n"		/* 49 */
	"  }\n"						/* 50 */
	"max_attempts = 9\n"				/* 51 */
	"\n"						/* 52 */
	"[template my_orders]\n"			/* 53 */
	"process = get_orders\n"			/* 54 */
	"base = get_orders.default\n"			/* 55 */
	"shipping.telephone = skip\n"			/* 56 */
	"status = set:ship_map:status\n"		/* 57 */
	"\n"						/* 58 */
	"[mapping_set ship_map]\n"			/* 59 */
	"flatrate_flatrate = Standard\n"		/* 60 */
	"* = Other\n";					/* 61 */

TEST(full_config)
{
	struct memconf fs = { 0 };
	struct diag_list dl = { 0 };
	const struct conf_channel *ch;
	const struct conf_job *j;
	const struct conf_template *t;
	const struct conf_mapping_set *m;
	struct conf *c;

	memconf_add(&fs, "/etc/magsync/magsync.ini", full_ini, 0640);
	memconf_add(&fs, "/secrets/at", "AT\n", 0600);
	memconf_add(&fs, "/etc/magsync/ats", "  ATS \r\n", 0600);
	memconf_add(&fs, "/etc/magsync/ck", "CK", 0600);
	memconf_add(&fs, "/etc/magsync/cs", "CS\n\n", 0600);
	c = load_fs(&fs, "/etc/magsync/magsync.ini", NULL, &dl);
	CHECK(c != NULL);
	CHECK_NO_DIAG(&dl);
	if (c == NULL)
		return;
	CHECK_STR(c->global.database, "host=/run/postgresql dbname=magsync");
	CHECK_STR(c->global.timezone, "Europe/Berlin");
	CHECK_STR(fs.tz_asked, "Europe/Berlin");
	CHECK_STR(tz_name(c->tz), "Europe/Berlin");
	CHECK_INT(c->global.log_level, CONF_LOG_DEBUG);
	CHECK_INT(c->global.stop_timeout, 90);
	CHECK_INT(c->global.log_retention, 30 * 86400);

	ch = conf_channel(c, "shop-eu");
	CHECK(ch != NULL);
	if (ch == NULL)
		goto out;
	CHECK_STR(ch->store_url, "https://shop.example.com");
	CHECK_STR(ch->store_code, "eu_store");
	CHECK_INT(ch->auth, CONF_AUTH_OAUTH1);
	CHECK_STR(ch->access_token, "AT");
	CHECK_STR(ch->access_token_secret, "ATS");
	CHECK_STR(ch->consumer_key, "CK");
	CHECK_STR(ch->consumer_secret, "CS");
	CHECK_INT(ch->page_size, 200);
	CHECK_INT(ch->max_concurrency, 8);
	CHECK_INT(ch->request_timeout, 120);
	CHECK_INT(ch->retry_attempts, 3);
	CHECK_INT(ch->max_response_bytes, 1024 * 1024);
	CHECK(ch->verify_tls);
	CHECK(ch->override_images);
	CHECK_INT(ch->inventory, CONF_INV_MSI);
	CHECK_STR(ch->sources, "src_a,src_b,src_c");

	j = conf_job(c, "shop-eu", PROC_GET_ORDERS);
	CHECK(j != NULL);
	if (j == NULL)
		goto out;
	CHECK(!j->enabled);
	CHECK(!j->catch_up);
	CHECK_INT(j->jitter, 30);
	CHECK_STR(j->template_name, "my_orders");
	CHECK_INT(conf_job_int(j, "days_back"), 14);
	CHECK_STR(conf_job_str(j, "statuses"), "pending,processing");
	CHECK_INT(conf_job_int(j, "pii_retention"), -1);
	CHECK_STR(conf_job_str(j, "pii_retention"), "indefinitely");
	CHECK(conf_job_bool(j, "use_parent_item_id"));
	CHECK_STR(conf_job_str(j, "acknowledge"), "comment");
	/* ';' without a space before it is no comment */
	CHECK_STR(conf_job_str(j, "acknowledge_comment"), "Got it; thanks");
	CHECK_STR(conf_job_str(j, "shipping_methods"), "ship_map");
	CHECK_INT(conf_job_int(j, "page_size"), 100);
	CHECK_INT(j->nsettings, 8);
	CHECK_STR(j->settings[0].key, "days_back");
	CHECK_INT(j->settings[0].line, 35);
	CHECK_STR(j->settings[0].file, "/etc/magsync/magsync.ini");

	j = conf_job(c, "shop-eu", PROC_SYNC_ORDERS);
	CHECK(j != NULL);
	if (j != NULL) {
		CHECK_STR(j->schedule_text, "@every 10m");
		CHECK_HAS(conf_job_str(j, "extension_attributes"),
		    "\"source_code\": \"default\"");
		CHECK_INT(conf_job_int(j, "max_attempts"), 9);
	}
	CHECK(conf_job(c, "shop-eu", PROC_PII_RETENTION) != NULL);
	CHECK_INT(c->njobs, 3);

	t = conf_template(c, "my_orders");
	CHECK(t != NULL);
	if (t != NULL) {
		CHECK_INT(t->process, PROC_GET_ORDERS);
		CHECK_STR(t->base, "get_orders.default");
		CHECK_INT(t->line, 53);
		CHECK_INT(t->nlines, 2);
		CHECK_STR(t->lines[0].key, "shipping.telephone");
		CHECK_STR(t->lines[0].value, "skip");
		CHECK_INT(t->lines[0].line, 56);
		CHECK_STR(t->lines[1].key, "status");
		CHECK_STR(t->lines[1].value, "set:ship_map:status");
	}
	m = conf_mapping_set(c, "ship_map");
	CHECK(m != NULL);
	if (m != NULL) {
		CHECK_INT(m->nentries, 2);
		CHECK_STR(m->entries[0].key, "flatrate_flatrate");
		CHECK_STR(m->entries[0].value, "Standard");
		CHECK_STR(m->entries[1].key, "*");
		CHECK_INT(m->entries[1].line, 61);
	}
	CHECK(conf_mapping_set(c, "nope") == NULL);
	CHECK(conf_template(c, "nope") == NULL);
out:
	conf_free(c);
	diag_clear(&dl);
}

TEST(lexical_details)
{
	struct diag_list dl = { 0 };
	struct conf *c;

	/* BOM, CRLF, '#' comments, ':' as separator, header comment */
	c = load_text("\xef\xbb\xbf# top\r\n"
	    "[magsync] ; the core\r\n"
	    "database: postgresql:///x\r\n"
	    "\t# indented comment\r\n"
	    "[channel shop]\r\n"
	    "store_url=https://a.example\r\n"
	    "access_token_file   =   shop.token   \r\n"
	    "max_response_bytes = 512KiB\r\n", &dl);
	CHECK(c != NULL);
	CHECK_NO_DIAG(&dl);
	if (c != NULL) {
		CHECK_STR(c->global.database, "postgresql:///x");
		CHECK(c->global.timezone == NULL);	/* system zone */
		CHECK(c->tz != NULL);
		CHECK_INT(c->channels[0].max_response_bytes, 512 * 1024);
		CHECK_STR(c->channels[0].access_token, TOKEN);
	}
	conf_free(c);
	diag_clear(&dl);
	conf_free(NULL);
}

/* The longest key line inih can take whole is ini_max_line - 2 (200 - 2
 * in Debian's build): it must arrive whole, and one more is an error. */
TEST(longest_line)
{
	char text[2048], value[256];
	struct diag_list dl = { 0 };
	struct conf *c;
	size_t n = 198 - strlen("store_code = ");

	memset(value, 'a', n);
	value[n] = '\0';
	snprintf(text, sizeof(text), BASE "store_code = %s\n", value);
	c = load_text(text, &dl);
	CHECK(c != NULL);
	CHECK_NO_DIAG(&dl);
	CHECK(c != NULL && strcmp(c->channels[0].store_code, value) == 0);
	conf_free(c);

	snprintf(text, sizeof(text), BASE "store_code = %sa\n", value);
	c = load_text(text, &dl);
	CHECK(c == NULL);
	CHECK_DIAG(&dl, "magsync.ini:9: ", "line too long: 199 characters");
	diag_clear(&dl);

	/* comments and continuation lines have no limit */
	snprintf(text, sizeof(text), BASE "; %s%s\nsources = a,\n  %s%s\n",
	    value, value, value, value);
	c = load_text(text, &dl);
	CHECK(c != NULL);
	CHECK_NO_DIAG(&dl);
	CHECK(c != NULL && strlen(c->channels[0].sources) == 2 + 2 * n);
	conf_free(c);
}

/* ---- mistakes ------------------------------------------------------------ */

struct bad {
	const char *name;
	const char *text;		/* magsync.ini */
	const char *where;		/* "FILE:LINE: " */
	const char *frag;
	const char *xpath, *xtext;	/* an extra file */
};

static const char long_line[] = BASE "store_code = "
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "\n";

static const struct bad bads[] = {
	{ "unknown channel key", BASE "bogus = 1\n",
	    "magsync.ini:9: ", "unknown key 'bogus' in [channel]", NULL, NULL },
	{ "unknown magsync key", "[magsync]\ndatabase = x\nlog = 1\n",
	    "magsync.ini:3: ", "unknown key 'log' in [magsync]", NULL, NULL },
	{ "unknown section kind", BASE "[chanel x]\n",
	    "magsync.ini:9: ", "unknown section kind 'chanel'", NULL, NULL },
	{ "bad cron", BASE "[job shop get_orders]\nschedule = 61 * * * *\n",
	    "magsync.ini:10: ", "schedule: ", NULL, NULL },
	{ "cron garbage", BASE "[job shop get_orders]\nschedule = whenever\n",
	    "magsync.ini:10: ", "schedule: ", NULL, NULL },
	{ "job of unknown channel",
	    BASE "[job nope get_orders]\nschedule = @daily\n",
	    "magsync.ini:9: ", "job for unknown channel 'nope'", NULL, NULL },
	{ "unknown process", BASE "[job shop get_order]\n",
	    "magsync.ini:9: ", "unknown process 'get_order'", NULL, NULL },
	{ "bad duration", BASE "request_timeout = 5x\n",
	    "magsync.ini:9: ", "request_timeout: '5x' is not a duration", NULL, NULL },
	{ "zero duration", BASE "request_timeout = 0\n",
	    "magsync.ini:9: ", "request_timeout: must be longer than 0", NULL, NULL },
	{ "bad jitter", BASE "[job shop get_orders]\nschedule = @daily\n"
	    "jitter = soon\n",
	    "magsync.ini:11: ", "jitter: 'soon' is not a duration", NULL, NULL },
	{ "missing token file", BASE "[channel two]\n"
	    "store_url = https://two.example\naccess_token_file = two.token\n",
	    "magsync.ini:11: ",
	    "access_token_file: cannot read two.token: No such file", NULL, NULL },
	{ "empty token file", BASE "[channel two]\n"
	    "store_url = https://two.example\n"
	    "access_token_file = empty.token\n",
	    "magsync.ini:11: ", "access_token_file: empty.token is empty",
	    "empty.token", " \n\n" },
	{ "unreadable token file", BASE "[channel two]\n"
	    "store_url = https://two.example\n"
	    "access_token_file = locked.token\n",
	    "magsync.ini:11: ", "cannot read locked.token: Permission denied",
	    "locked.token", NULL },
	{ "token file of two lines", BASE "[channel two]\n"
	    "store_url = https://two.example\n"
	    "access_token_file = two.token\n",
	    "magsync.ini:11: ", "two.token must hold the secret alone",
	    "two.token", "abc\ndef\n" },
	{ "duplicate section", BASE "[channel shop]\n",
	    "magsync.ini:9: ",
	    "duplicate section [channel] (first at magsync.ini:5)", NULL, NULL },
	{ "duplicate job", BASE "[job shop get_orders]\nschedule = @daily\n"
	    "[job shop get_orders]\nschedule = @daily\n",
	    "magsync.ini:11: ", "duplicate section [job] (first at "
	    "magsync.ini:9)", NULL, NULL },
	{ "duplicate magsync", BASE "[magsync]\ndatabase = y\n",
	    "magsync.ini:9: ", "duplicate section [magsync]", NULL, NULL },
	{ "duplicate key", BASE "store_url = https://other.example\n",
	    "magsync.ini:9: ", "duplicate key 'store_url' (first at line 6)", NULL, NULL },
	{ "duplicate mapping", BASE "[mapping_set m]\na = 1\na = 2\n",
	    "magsync.ini:11: ", "duplicate key 'a' (first at line 10)", NULL, NULL },
	{ "bad bool", BASE "verify_tls = maybe\n",
	    "magsync.ini:9: ", "verify_tls: 'maybe' is not yes or no", NULL, NULL },
	{ "int out of range", BASE "page_size = 10001\n",
	    "magsync.ini:9: ", "page_size: 10001 is out of range 1..10000", NULL, NULL },
	{ "int below range", BASE "[job shop get_orders]\nschedule = @daily\n"
	    "days_back = 0\n",
	    "magsync.ini:11: ", "days_back: 0 is out of range 1..3650", NULL, NULL },
	{ "int overflow", BASE "page_size = 99999999999999999999999\n",
	    "magsync.ini:9: ", "out of range 1..10000", NULL, NULL },
	{ "int trailing junk", BASE "max_concurrency = 4x\n",
	    "magsync.ini:9: ", "max_concurrency: '4x' is not a whole number", NULL, NULL },
	{ "int with hash comment", BASE "max_concurrency = 4 # four\n",
	    "magsync.ini:9: ", "(inline comments start with ';')", NULL, NULL },
	{ "empty int", BASE "page_size =\n",
	    "magsync.ini:9: ", "page_size: empty value", NULL, NULL },
	{ "bad days", BASE "[job shop get_orders]\nschedule = @daily\n"
	    "pii_retention = forever\n", "magsync.ini:11: ",
	    "pii_retention: 'forever' is not a whole number of days or "
	    "indefinitely", NULL, NULL },
	{ "bad enum", BASE "inventory = both\n",
	    "magsync.ini:9: ", "inventory: 'both' is not one of: auto, msi, "
	    "legacy", NULL, NULL },
	{ "bad log level", "[magsync]\ndatabase = x\nlog_level = loud\n",
	    "magsync.ini:3: ", "log_level: 'loud' is not one of: error, "
	    "warning, info, debug", NULL, NULL },
	{ "bad size", BASE "max_response_bytes = 10T\n",
	    "magsync.ini:9: ", "max_response_bytes: '10T' is not a size", NULL, NULL },
	{ "size too small", BASE "max_response_bytes = 100\n",
	    "magsync.ini:9: ", "max_response_bytes: '100' is out of range", NULL, NULL },
	{ "unknown mapping set", BASE "[job shop get_orders]\n"
	    "schedule = @daily\nshipping_methods = nomap\n",
	    "magsync.ini:11: ", "unknown mapping set 'nomap'", NULL, NULL },
	{ "template of another process", BASE "[template t]\n"
	    "process = sync_listings\n[job shop get_orders]\n"
	    "schedule = @daily\ntemplate = t\n",
	    "magsync.ini:13: ", "template: 't' is for process sync_listings, "
	    "not get_orders", NULL, NULL },
	{ "shipped template of another process", BASE
	    "[job shop get_orders]\nschedule = @daily\n"
	    "template = sync_orders.default\n", "magsync.ini:11: ",
	    "template: 'sync_orders.default' is for process sync_orders", NULL, NULL },
	{ "unknown template", BASE "[job shop get_orders]\n"
	    "schedule = @daily\ntemplate = mine\n",
	    "magsync.ini:11: ", "unknown template 'mine'", NULL, NULL },
	{ "template without process", BASE "[template t]\n"
	    "price = field:price\n",
	    "magsync.ini:9: ", "missing required key 'process'", NULL, NULL },
	{ "template of unknown process", BASE "[template t]\nprocess = foo\n",
	    "magsync.ini:10: ", "process: unknown process 'foo'", NULL, NULL },
	{ "template with a shipped name", BASE
	    "[template get_orders.default]\nprocess = get_orders\n",
	    "magsync.ini:9: ", "taken by a shipped default", NULL, NULL },
	{ "unknown base", BASE "[template t]\nprocess = get_orders\n"
	    "base = nope\n", "magsync.ini:11: ",
	    "base: unknown template 'nope'", NULL, NULL },
	{ "base of another process", BASE "[template t]\n"
	    "process = get_orders\nbase = sync_orders.default\n",
	    "magsync.ini:11: ", "base: 'sync_orders.default' is for "
	    "process sync_orders, not get_orders", NULL, NULL },
	{ "base loop", BASE "[template a]\nprocess = get_orders\nbase = b\n"
	    "[template b]\nprocess = get_orders\nbase = a\n",
	    "magsync.ini:11: ", "in a loop", NULL, NULL },
	{ "include cycle", "include = a.ini\n" BASE,
	    "a.ini:1: ", "include cycle: magsync.ini is already being read",
	    "a.ini", "include = ./magsync.ini\n" },
	{ "glob includes itself", "include = *.ini\n" BASE,
	    "magsync.ini:1: ", "include cycle: magsync.ini",
	    "a.ini", "" },
	{ "missing include", "include = nothere.ini\n" BASE,
	    "magsync.ini:1: ", "include nothere.ini: No such file", NULL, NULL },
	{ "included twice", "include = x.ini\ninclude = x.ini\n" BASE,
	    "magsync.ini:2: ", "x.ini is included a second time",
	    "x.ini", "" },
	{ "magsync in included file", "include = inc.ini\n" BASE,
	    "inc.ini:2: ", "[magsync] may only appear in the main file",
	    "inc.ini", "; included\n[magsync]\ndatabase = x\n" },
	{ "include after a section", BASE "include = x.ini\n",
	    "magsync.ini:9: ", "include must come before the first section "
	    "or inside [magsync]", NULL, NULL },
	{ "empty include", "include =\n" BASE,
	    "magsync.ini:1: ", "include needs a file name", NULL, NULL },
	{ "missing required key", BASE "[channel two]\n"
	    "access_token_file = shop.token\n",
	    "magsync.ini:9: ", "missing required key 'store_url'", NULL, NULL },
	{ "missing database", "[magsync]\ntimezone = UTC\n",
	    "magsync.ini:1: ", "missing required key 'database'", NULL, NULL },
	{ "no magsync section", "[channel shop]\n"
	    "store_url = https://a.example\naccess_token_file = shop.token\n",
	    "magsync.ini: ", "no [magsync] section", NULL, NULL },
	{ "missing schedule", BASE "[job shop get_orders]\ndays_back = 3\n",
	    "magsync.ini:9: ", "missing required key 'schedule'", NULL, NULL },
	{ "missing token", BASE "[channel two]\n"
	    "store_url = https://two.example\n",
	    "magsync.ini:9: ", "missing required key 'access_token_file' "
	    "(auth = bearer)", NULL, NULL },
	{ "store_url not http", BASE "[channel two]\nstore_url = ftp://two\n"
	    "access_token_file = shop.token\n",
	    "magsync.ini:10: ", "store_url: 'ftp://two' is not an http:// or "
	    "https:// URL", NULL, NULL },
	{ "store_url without host", BASE "[channel two]\n"
	    "store_url = https:///x\naccess_token_file = shop.token\n",
	    "magsync.ini:10: ", "has no host name", NULL, NULL },
	{ "bad store code", BASE "store_code = eu-1\n",
	    "magsync.ini:9: ", "store_code: 'eu-1' is not a store code", NULL, NULL },
	{ "oauth1 missing a file", BASE "[channel two]\n"
	    "store_url = https://two.example\nauth = oauth1\n"
	    "access_token_file = shop.token\nconsumer_key_file = shop.token\n"
	    "consumer_secret_file = shop.token\n",
	    "magsync.ini:9: ", "missing required key "
	    "'access_token_secret_file' (auth = oauth1)", NULL, NULL },
	{ "oauth1 key with bearer", BASE "consumer_key_file = shop.token\n",
	    "magsync.ini:9: ", "consumer_key_file is only used with auth = "
	    "oauth1", NULL, NULL },
	{ "inline and file token", BASE "access_token = abc\n",
	    "magsync.ini:9: ", "give access_token or access_token_file, not "
	    "both", NULL, NULL },
	{ "too-long line", long_line,
	    "magsync.ini:9: ", "line too long: 229 characters, at most 198", NULL, NULL },
	{ "bad timezone", "[magsync]\ndatabase = x\ntimezone = Mars/Olympus\n",
	    "magsync.ini:3: ", "timezone: cannot load 'Mars/Olympus': no such "
	    "zone", NULL, NULL },
	{ "timezone not a name", "[magsync]\ndatabase = x\n"
	    "timezone = ../etc/passwd\n",
	    "magsync.ini:3: ", "timezone: '../etc/passwd' is not a zone name", NULL, NULL },
	{ "extension_attributes not JSON", BASE "[job shop sync_orders]\n"
	    "schedule = @daily\nextension_attributes = {\"a\": }\n",
	    "magsync.ini:11: ", "extension_attributes: not valid JSON", NULL, NULL },
	{ "extension_attributes not an object", BASE "[job shop sync_orders]\n"
	    "schedule = @daily\nextension_attributes = [1, 2]\n",
	    "magsync.ini:11: ", "extension_attributes: must be a JSON object", NULL, NULL },
	{ "key of another process", BASE "[job shop sync_orders]\n"
	    "schedule = @daily\ndays_back = 3\n",
	    "magsync.ini:11: ", "unknown key 'days_back' for process "
	    "sync_orders (it is a setting of get_orders)", NULL, NULL },
	{ "unknown job key", BASE "[job shop sync_orders]\n"
	    "schedule = @daily\nfrobnicate = 3\n",
	    "magsync.ini:11: ", "unknown key 'frobnicate' for process "
	    "sync_orders", NULL, NULL },
	{ "key outside a section", "foo = 1\n" BASE,
	    "magsync.ini:1: ", "key 'foo' outside any section", NULL, NULL },
	{ "line without =", BASE "just some words\n",
	    "magsync.ini:9: ", "expected 'key = value'", NULL, NULL },
	{ "header without ]", BASE "[channel x\n",
	    "magsync.ini:9: ", "without a closing ']'", NULL, NULL },
	{ "text after ]", BASE "[channel x] y\n",
	    "magsync.ini:9: ", "unexpected text after ']'", NULL, NULL },
	{ "empty header", BASE "[ ]\n",
	    "magsync.ini:9: ", "empty section header", NULL, NULL },
	{ "wrong header arguments", BASE "[job shop]\n",
	    "magsync.ini:9: ", "write [job CHANNEL PROCESS]", NULL, NULL },
	{ "bad channel name", BASE "[channel a/b]\n",
	    "magsync.ini:9: ", "bad channel name 'a/b'", NULL, NULL },
	{ "missing key name", BASE "= 3\n",
	    "magsync.ini:9: ", "missing key name", NULL, NULL },
	{ "continued single-line key", BASE "verify_tls = yes\n  no\n",
	    "magsync.ini:10: ", "verify_tls takes a single line", NULL, NULL },
	{ "indented keys run together", BASE "[job shop get_orders]\n"
	    "  schedule = @daily\n  days_back = 3\n",
	    "magsync.ini:11: ", "schedule takes a single line", NULL, NULL },
	{ "bad master_sku", BASE "[job shop import_listings]\n"
	    "master_sku = a b\n",
	    "magsync.ini:10: ", "master_sku: 'a b' is not a field name", NULL, NULL },
	{ "bad manage", BASE "[job shop import_listings]\nmanage = all\n",
	    "magsync.ini:10: ", "manage: 'all' is not one of: create_only, "
	    "create_update", NULL, NULL },
	{ "bad image prefix", BASE "[job shop import_listings]\n"
	    "image_url_prefix = /media\n",
	    "magsync.ini:10: ", "image_url_prefix: '/media' is not an http", NULL, NULL },
	{ "list item with a space", BASE "[job shop get_orders]\n"
	    "schedule = @daily\nstatuses = pending processing\n",
	    "magsync.ini:11: ", "'pending processing' has a space in it", NULL, NULL },
	{ "bad acknowledge", BASE "[job shop get_orders]\n"
	    "schedule = @daily\nacknowledge = yes\n",
	    "magsync.ini:11: ", "acknowledge: 'yes' is not one of: none, "
	    "comment", NULL, NULL },
	{ "bad attribute set", BASE "[job shop publish_listings]\n"
	    "schedule = @daily\nattribute_set_id = 0\n",
	    "magsync.ini:11: ", "attribute_set_id: 0 is out of range", NULL, NULL },
	{ "bad batch size", BASE "[job shop pii_retention]\n"
	    "batch_size = 100001\n",
	    "magsync.ini:10: ", "batch_size: 100001 is out of range "
	    "1..100000", NULL, NULL },
	{ "continued mapping", BASE "[mapping_set m]\na = 1\n  b\n",
	    "magsync.ini:11: ", "a mapping takes a single line", NULL, NULL },
	{ "continued include", "include = a.ini\n  b.ini\n" BASE,
	    "magsync.ini:2: ", "include takes a single line", "a.ini", "" },
};

TEST(mistakes)
{
	struct memconf fs;
	struct diag_list dl = { 0 };
	struct conf *c;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		memset(&fs, 0, sizeof(fs));
		memconf_add(&fs, "magsync.ini", bads[i].text, 0600);
		memconf_add(&fs, "shop.token", TOKEN "\n", 0600);
		if (bads[i].xpath != NULL)
			memconf_add(&fs, bads[i].xpath, bads[i].xtext, 0600);
		c = load_fs(&fs, "magsync.ini", NULL, &dl);
		if (c != NULL) {
			UNIT_FAIL("%s: loaded", bads[i].name);
			conf_free(c);
		}
		if (!has_diag(&dl, bads[i].where, bads[i].frag)) {
			UNIT_FAIL("%s: no \"%s...%s\" among:", bads[i].name,
			    bads[i].where, bads[i].frag);
			dump(&dl);
		}
		if (diag_errors(&dl) == 0)
			UNIT_FAIL("%s: no error", bads[i].name);
		diag_clear(&dl);
	}
	CHECK(sizeof(bads) / sizeof(bads[0]) >= 25);
}

TEST(many_errors_at_once)
{
	struct diag_list dl = { 0 };
	struct conf *c = load_text(
	    "[magsync]\n"				/* 1 */
	    "database = x\n"				/* 2 */
	    "log_level = loud\n"			/* 3 */
	    "[channel shop]\n"				/* 4 */
	    "store_url = https://a.example\n"		/* 5 */
	    "access_token_file = shop.token\n"		/* 6 */
	    "page_size = lots\n"			/* 7 */
	    "verify_tls = perhaps\n"			/* 8 */
	    "[job shop get_orders]\n"			/* 9 */
	    "schedule = 99 * * * *\n"			/* 10 */
	    "days_back = -1\n"				/* 11 */
	    "[job ghost sync_orders]\n"			/* 12 */
	    "schedule = @daily\n"			/* 13 */
	    "max_attempts = 1000\n"			/* 14 */
	    "[wat]\n", &dl);				/* 15 */

	CHECK(c == NULL);
	conf_free(c);
	CHECK_DIAG(&dl, "magsync.ini:3: ", "log_level");
	CHECK_DIAG(&dl, "magsync.ini:7: ", "page_size");
	CHECK_DIAG(&dl, "magsync.ini:8: ", "verify_tls");
	CHECK_DIAG(&dl, "magsync.ini:10: ", "schedule");
	CHECK_DIAG(&dl, "magsync.ini:11: ", "days_back");
	CHECK_DIAG(&dl, "magsync.ini:12: ", "unknown channel 'ghost'");
	CHECK_DIAG(&dl, "magsync.ini:14: ", "max_attempts");
	CHECK_DIAG(&dl, "magsync.ini:15: ", "unknown section kind");
	CHECK_INT(diag_errors(&dl), 8);
	diag_clear(&dl);
}

TEST(errors_across_files)
{
	struct memconf fs = { 0 };
	struct diag_list dl = { 0 };
	struct conf *c;

	memconf_add(&fs, "etc/magsync.ini", "include = conf.d/*.ini\n" BASE,
	    0600);
	memconf_add(&fs, "etc/shop.token", TOKEN, 0600);
	memconf_add(&fs, "etc/conf.d/a.ini", "[job shop get_orders]\n"
	    "schedule = @daily\nbogus = 1\n", 0600);
	memconf_add(&fs, "etc/conf.d/b.ini", "\n[channel b]\n", 0600);
	c = load_fs(&fs, "etc/magsync.ini", NULL, &dl);
	CHECK(c == NULL);
	conf_free(c);
	CHECK_DIAG(&dl, "etc/conf.d/a.ini:3: ", "unknown key 'bogus'");
	CHECK_DIAG(&dl, "etc/conf.d/b.ini:2: ",
	    "missing required key 'store_url'");
	CHECK_INT(diag_errors(&dl), 3);	/* + b's missing token */
	diag_clear(&dl);
}

TEST(line_numbers_after_continuations)
{
	struct diag_list dl = { 0 };
	struct conf *c = load_text(BASE
	    "sources = a,\n"		/* 9 */
	    "  b,\n"			/* 10 */
	    "\n"			/* 11 */
	    "  ; c\n"			/* 12 */
	    "  d\n"			/* 13: after a blank line: a key line */
	    "page_size = x\n", &dl);	/* 14 */

	CHECK(c == NULL);
	conf_free(c);
	CHECK_DIAG(&dl, "magsync.ini:13: ", "expected 'key = value'");
	CHECK_DIAG(&dl, "magsync.ini:14: ", "page_size: 'x'");
	CHECK_INT(diag_errors(&dl), 2);
	diag_clear(&dl);
}

TEST(nul_byte)
{
	static const char text[] = BASE "page_size = 1\0 0\n";
	struct memconf fs = { 0 };
	struct diag_list dl = { 0 };
	struct conf *c;

	memconf_add_n(&fs, "magsync.ini", text, sizeof(text) - 1, 0600);
	memconf_add(&fs, "shop.token", TOKEN, 0600);
	c = load_fs(&fs, "magsync.ini", NULL, &dl);
	CHECK(c == NULL);
	conf_free(c);
	CHECK_DIAG(&dl, "magsync.ini:9: ", "NUL byte");
	diag_clear(&dl);
}

TEST(missing_main_file)
{
	struct memconf fs = { 0 };
	struct diag_list dl = { 0 };
	struct conf *c = load_fs(&fs, "/etc/magsync/magsync.ini", NULL, &dl);

	CHECK(c == NULL);
	CHECK_DIAG(&dl, "/etc/magsync/magsync.ini: ", "cannot read: No such");
	diag_clear(&dl);
}

/* ---- warnings -------------------------------------------------------------- */

static const char inline_ini[] =
	"[magsync]\n"
	"database = x\n"
	"[channel shop]\n"
	"store_url = https://shop.example.com\n"
	"access_token = " TOKEN "\n";		/* 5 */

TEST(inline_token_permissions)
{
	static const unsigned modes[] = { 0644, 0640, 0604, 0600, 0400 };
	struct memconf fs;
	struct diag_list dl = { 0 };
	struct conf *c;
	char buf[1024];
	size_t i, j;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		memset(&fs, 0, sizeof(fs));
		memconf_add(&fs, "magsync.ini", inline_ini, modes[i]);
		c = load_fs(&fs, "magsync.ini", NULL, &dl);
		CHECK(c != NULL);
		CHECK(c != NULL && strcmp(c->channels[0].access_token, TOKEN)
		    == 0);
		conf_free(c);
		CHECK_INT(diag_errors(&dl), 0);
		if (modes[i] & 077) {
			CHECK_INT(dl.n, 1);
			CHECK_DIAG(&dl, "magsync.ini:5: warning: ",
			    "access_token is written inline in a file that "
			    "group or others may read");
			CHECK(dl.n == 1 && dl.items[0].level == DIAG_WARNING);
		} else {
			CHECK_NO_DIAG(&dl);
		}
		for (j = 0; j < dl.n; j++)
			CHECK(strstr(diag_format(&dl, j, buf, sizeof(buf)),
			    "SECRET") == NULL);
		diag_clear(&dl);
	}
}

TEST(warnings)
{
	struct diag_list dl = { 0 };
	struct conf *c = load_text(BASE
	    "page_size = 500\n"				/* 9 */
	    "verify_tls = no\n"				/* 10 */
	    "[channel plain]\n"				/* 11 */
	    "store_url = http://shop.example.com\n"	/* 12 */
	    "access_token_file = shop.token\n"		/* 13 */
	    "inventory = legacy\n"			/* 14 */
	    "sources = a\n"				/* 15 */
	    "[job shop get_orders]\n"			/* 16 */
	    "schedule = @daily\n"			/* 17 */
	    "page_size = 301\n", &dl);			/* 18 */

	CHECK(c != NULL);
	conf_free(c);
	CHECK_INT(diag_errors(&dl), 0);
	CHECK_INT(dl.n, 5);
	CHECK_DIAG(&dl, "magsync.ini:9: warning: ", "page_size: stores with "
	    "Magento 2.4's input limits enabled refuse more than 300");
	CHECK_DIAG(&dl, "magsync.ini:10: warning: ", "verify_tls = no");
	CHECK_DIAG(&dl, "magsync.ini:12: warning: ", "plain http");
	CHECK_DIAG(&dl, "magsync.ini:15: warning: ", "sources: ignored");
	CHECK_DIAG(&dl, "magsync.ini:18: warning: ", "page_size");
	diag_clear(&dl);
}

/* ---- secrets ---------------------------------------------------------------- */

TEST(secrets_never_shown)
{
	static const char *const texts[] = {
		/* inline secrets among errors, in a world-readable file */
		"[magsync]\n"
		"database = postgresql://u:SECRET-PW@h/db\n"
		"database = postgresql://u:SECRET-PW2@h/db\n"
		"[channel shop]\n"
		"store_url = https://a.example\n"
		"auth = oauth1\n"
		"access_token = SECRET-AT\n"
		"access_token_secret = SECRET ATS\n"
		"consumer_key = SECRET-CK\n"
		"  SECRET-CK-CONT\n"
		"consumer_secret =\n"
		"SECRET-ALONE\n"
		"access_token_file = x\n"
		"page_size = nope\n",
		/* a secret in an over-long line */
		BASE "[channel two]\nstore_url = https://b.example\n"
		"access_token = SECRET-"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
		/* a secret file holding junk, and inline in [magsync] */
		"[magsync]\ndatabase = x\naccess_token = SECRET-M\n"
		"[channel shop]\nstore_url = https://a.example\n"
		"access_token_file = bad.token\n",
		/* a secret as a continuation of a duplicate key */
		BASE "access_token_file = y\n  SECRET-DUP\n",
	};
	struct memconf fs;
	struct diag_list dl = { 0 };
	struct conf *c;
	char buf[1024];
	size_t i, j;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		memset(&fs, 0, sizeof(fs));
		memconf_add(&fs, "magsync.ini", texts[i], 0644);
		memconf_add(&fs, "shop.token", TOKEN, 0644);
		memconf_add(&fs, "bad.token", "SECRET-F1 SECRET-F2\n", 0644);
		c = load_fs(&fs, "magsync.ini", NULL, &dl);
		CHECK(c == NULL);
		conf_free(c);
		CHECK(dl.n > 0);
		for (j = 0; j < dl.n; j++) {
			diag_format(&dl, j, buf, sizeof(buf));
			if (strstr(buf, "SECRET") != NULL)
				UNIT_FAIL("case %zu shows a secret: %s", i,
				    buf);
		}
		diag_clear(&dl);
	}
}

TEST(credentials_directory)
{
	struct memconf fs;
	struct diag_list dl = { 0 };
	struct conf *c;

	/* $CREDENTIALS_DIRECTORY first ... */
	memset(&fs, 0, sizeof(fs));
	memconf_add(&fs, "/etc/magsync/magsync.ini", BASE, 0600);
	memconf_add(&fs, "/etc/magsync/shop.token", "from-etc\n", 0600);
	memconf_add(&fs, "/run/creds/shop.token", "from-creds\n", 0600);
	c = load_fs(&fs, "/etc/magsync/magsync.ini", "/run/creds", &dl);
	CHECK(c != NULL);
	CHECK(c != NULL && strcmp(c->channels[0].access_token,
	    "from-creds") == 0);
	conf_free(c);
	CHECK_NO_DIAG(&dl);

	/* ... then the directory of the ini file */
	memset(&fs, 0, sizeof(fs));
	memconf_add(&fs, "/etc/magsync/magsync.ini", BASE, 0600);
	memconf_add(&fs, "/etc/magsync/shop.token", "from-etc\n", 0600);
	c = load_fs(&fs, "/etc/magsync/magsync.ini", "/run/creds", &dl);
	CHECK(c != NULL && strcmp(c->channels[0].access_token,
	    "from-etc") == 0);
	conf_free(c);
	CHECK_NO_DIAG(&dl);

	/* absolute paths are taken as they are */
	memset(&fs, 0, sizeof(fs));
	memconf_add(&fs, "/etc/magsync/magsync.ini", "[magsync]\ndatabase = x\n"
	    "[channel shop]\nstore_url = https://a.example\n"
	    "access_token_file = /run/creds/shop.token\n", 0600);
	memconf_add(&fs, "/run/creds/shop.token", "abs\n", 0600);
	c = load_fs(&fs, "/etc/magsync/magsync.ini", "/elsewhere", &dl);
	CHECK(c != NULL && strcmp(c->channels[0].access_token, "abs") == 0);
	conf_free(c);
	CHECK_NO_DIAG(&dl);

	/* found nowhere: the error says where it looked */
	memset(&fs, 0, sizeof(fs));
	memconf_add(&fs, "/etc/magsync/magsync.ini", BASE, 0600);
	c = load_fs(&fs, "/etc/magsync/magsync.ini", "/run/creds", &dl);
	CHECK(c == NULL);
	CHECK_DIAG(&dl, "/etc/magsync/magsync.ini:7: ", "cannot read "
	    "/etc/magsync/shop.token: No such file or directory (nor found in "
	    "$CREDENTIALS_DIRECTORY)");
	diag_clear(&dl);
}

/* ---- includes ------------------------------------------------------------------ */

TEST(includes_in_glob_order)
{
	struct memconf fs = { 0 };
	struct diag_list dl = { 0 };
	struct conf *c;

	memconf_add(&fs, "etc/magsync.ini", "include = conf.d/*.ini\n"
	    "[magsync]\ndatabase = x\ninclude = extra/one.ini\n", 0600);
	memconf_add(&fs, "etc/conf.d/b.ini", "[channel b]\n"
	    "store_url = https://b.example\naccess_token_file = b.token\n",
	    0600);
	memconf_add(&fs, "etc/conf.d/b.token", "tb", 0600);
	memconf_add(&fs, "etc/conf.d/a.ini", "include = ../extra/two.ini\n"
	    "[channel a]\n"
	    "store_url = https://a.example\naccess_token_file = a.token\n",
	    0600);
	memconf_add(&fs, "etc/conf.d/a.token", "ta", 0600);
	memconf_add(&fs, "etc/conf.d/notes.txt", "not ini at all", 0600);
	memconf_add(&fs, "etc/extra/one.ini", "[job a get_orders]\n"
	    "schedule = @daily\n", 0600);
	memconf_add(&fs, "etc/extra/two.ini", "[mapping_set m]\nx = y\n", 0600);
	c = load_fs(&fs, "etc/magsync.ini", NULL, &dl);
	CHECK(c != NULL);
	CHECK_NO_DIAG(&dl);
	if (c == NULL)
		return;
	CHECK_INT(c->nfiles, 5);
	if (c->nfiles == 5) {
		CHECK_STR(c->files[0], "etc/magsync.ini");
		CHECK_STR(c->files[1], "etc/conf.d/a.ini");
		CHECK_STR(c->files[2], "etc/extra/two.ini");
		CHECK_STR(c->files[3], "etc/conf.d/b.ini");
		CHECK_STR(c->files[4], "etc/extra/one.ini");
	}
	CHECK_INT(c->nchannels, 2);
	CHECK_STR(c->channels[0].name, "a");
	CHECK_STR(c->channels[0].access_token, "ta");
	CHECK_STR(c->channels[0].file, "etc/conf.d/a.ini");
	CHECK_STR(c->channels[1].access_token, "tb");
	CHECK(conf_mapping_set(c, "m") != NULL);
	CHECK(conf_job(c, "a", PROC_GET_ORDERS) != NULL);
	CHECK_STR(conf_job(c, "a", PROC_GET_ORDERS)->file,
	    "etc/extra/one.ini");
	CHECK_INT(c->njobs, 3);
	conf_free(c);

	/* a glob that matches nothing is fine */
	memset(&fs, 0, sizeof(fs));
	memconf_add(&fs, "magsync.ini", "include = conf.d/*.ini\n[magsync]\n"
	    "database = x\n", 0600);
	c = load_fs(&fs, "magsync.ini", NULL, &dl);
	CHECK(c != NULL);
	CHECK_NO_DIAG(&dl);
	CHECK(c != NULL && c->nfiles == 1 && c->nchannels == 0);
	conf_free(c);
}

int
main(void)
{
	RUN(minimal_defaults);
	RUN(implicit_pii_job);
	RUN(process_defaults);
	RUN(full_config);
	RUN(lexical_details);
	RUN(longest_line);
	RUN(mistakes);
	RUN(many_errors_at_once);
	RUN(errors_across_files);
	RUN(line_numbers_after_continuations);
	RUN(nul_byte);
	RUN(missing_main_file);
	RUN(inline_token_permissions);
	RUN(warnings);
	RUN(secrets_never_shown);
	RUN(credentials_directory);
	RUN(includes_in_glob_order);
	return unit_done("test_conf");
}
