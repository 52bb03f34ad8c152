/* conf_keys.c - every key magsync.ini knows, as static tables, and the
 * parsers of their values. What a section may hold is decided here and
 * nowhere else; conf.c only adds checks that span several keys or sections
 * (references, secrets, zones). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "conf_priv.h"
#include "cron.h"

#define KIB	INT64_C(1024)
#define GIB	(KIB * KIB * KIB)

static const char *const conf_log_levels[] = { "error", "warning", "info",
	"debug", NULL };
static const char *const conf_auths[] = { "bearer", "oauth1", NULL };
static const char *const conf_inventories[] = { "auto", "msi", "legacy",
	NULL };
static const char *const conf_manages[] = { "create_only", "create_update",
	NULL };
static const char *const conf_acks[] = { "none", "comment", NULL };

/* The enums of conf.h follow these tables' order. */
_Static_assert(CONF_LOG_DEBUG == 3, "conf_log_levels order");
_Static_assert(CONF_AUTH_OAUTH1 == 1, "conf_auths order");
_Static_assert(CONF_INV_LEGACY == 2, "conf_inventories order");

#define TEXT(n, d, f)		{ n, CONF_T_TEXT, d, 0, 0, NULL, f }
#define URL(n, d, f)		{ n, CONF_T_URL, d, 0, 0, NULL, f }
#define FIELD(n, d)		{ n, CONF_T_FIELD, d, 0, 0, NULL, 0 }
#define LIST(n)			{ n, CONF_T_LIST, "", 0, 0, NULL, \
				    CONF_F_MULTILINE }
#define BOOL(n, d)		{ n, CONF_T_BOOL, d, 0, 1, NULL, 0 }
#define INT(n, d, lo, hi)	{ n, CONF_T_INT, d, lo, hi, NULL, 0 }
#define DUR(n, d)		{ n, CONF_T_DURATION, d, 0, 0, NULL, 0 }
#define ENUM(n, d, v)		{ n, CONF_T_ENUM, d, 0, 0, v, 0 }

static const struct conf_key magsync_keys[] = {
	/* A conninfo may carry a password: never echoed. */
	TEXT("database", NULL,
	    CONF_F_REQUIRED | CONF_F_MULTILINE | CONF_F_SECRET),
	TEXT("timezone", NULL, 0),
	ENUM("log_level", "info", conf_log_levels),
	DUR("stop_timeout", "20s"),
	DUR("log_retention", "90d"),
};

static const struct conf_key channel_keys[] = {
	URL("store_url", NULL, CONF_F_REQUIRED),
	TEXT("store_code", "default", 0),
	ENUM("auth", "bearer", conf_auths),
	TEXT("access_token_file", NULL, 0),
	TEXT("access_token_secret_file", NULL, 0),
	TEXT("consumer_key_file", NULL, 0),
	TEXT("consumer_secret_file", NULL, 0),
	TEXT("access_token", NULL, CONF_F_SECRET),
	TEXT("access_token_secret", NULL, CONF_F_SECRET),
	TEXT("consumer_key", NULL, CONF_F_SECRET),
	TEXT("consumer_secret", NULL, CONF_F_SECRET),
	INT("page_size", "250", 1, 10000),
	INT("max_concurrency", "4", 1, 64),
	DUR("request_timeout", "60s"),
	INT("retry_attempts", "5", 1, 20),
	{ "max_response_bytes", CONF_T_SIZE, "64M", KIB, 4 * GIB, NULL, 0 },
	BOOL("verify_tls", "yes"),
	BOOL("override_images", "no"),
	ENUM("inventory", "auto", conf_inventories),
	LIST("sources"),
};

static const struct conf_key job_keys[] = {
	TEXT("schedule", NULL, 0),	/* default depends on the process */
	BOOL("enabled", "yes"),
	BOOL("catch_up", "yes"),
	{ "jitter", CONF_T_DURATION0, "0", 0, 0, NULL, 0 },
	TEXT("template", NULL, 0),	/* default "<process>.default" */
};

static const struct conf_key import_keys[] = {
	BOOL("paused", "no"),
	FIELD("master_sku", "sku"),
	ENUM("manage", "create_update", conf_manages),
	URL("image_url_prefix", "", 0),
	FIELD("upc_attribute", "upc"),
};

static const struct conf_key sync_keys[] = {
	LIST("fields"),
	BOOL("only_changed", "yes"),
};

static const struct conf_key publish_keys[] = {
	BOOL("create_new", "yes"),
	BOOL("update_existing", "yes"),
	INT("attribute_set_id", "4", 1, INT32_MAX),
};

static const struct conf_key get_orders_keys[] = {
	INT("days_back", "7", 1, 3650),
	LIST("statuses"),
	{ "pii_retention", CONF_T_DAYS, "30", 0, 36500, NULL, 0 },
	BOOL("use_parent_item_id", "no"),
	ENUM("acknowledge", "none", conf_acks),
	TEXT("acknowledge_comment", "Imported by magsync", 0),
	TEXT("shipping_methods", "", 0),	/* a [mapping_set] */
	INT("page_size", "50", 1, 10000),
};

static const struct conf_key sync_orders_keys[] = {
	BOOL("notify_customer", "no"),
	BOOL("visible_on_front", "no"),
	BOOL("append_comment", "yes"),
	{ "extension_attributes", CONF_T_JSON, "", 0, 0, NULL,
	    CONF_F_MULTILINE },
	INT("max_attempts", "5", 1, 100),
};

static const struct conf_key pii_keys[] = {
	INT("batch_size", "500", 1, 100000),
};

#define TAB(a)	{ a, sizeof(a) / sizeof(a[0]) }

static const struct conf_keytab magsync_tab = TAB(magsync_keys);
static const struct conf_keytab channel_tab = TAB(channel_keys);
static const struct conf_keytab job_tab = TAB(job_keys);
static const struct conf_keytab proc_tabs[PROC_COUNT] = {
	[PROC_IMPORT_LISTINGS] = TAB(import_keys),
	[PROC_SYNC_LISTINGS] = TAB(sync_keys),
	[PROC_PUBLISH_LISTINGS] = TAB(publish_keys),
	[PROC_GET_ORDERS] = TAB(get_orders_keys),
	[PROC_SYNC_ORDERS] = TAB(sync_orders_keys),
	[PROC_PII_RETENTION] = TAB(pii_keys),
};

static const struct {
	const char *word;
	bool value;
} conf_bools[] = {
	{ "yes", true }, { "no", false }, { "true", true }, { "false", false },
	{ "on", true }, { "off", false }, { "1", true }, { "0", false },
};

/* Size suffixes: binary multiples, whatever the spelling. */
static const struct {
	const char *suffix;
	int64_t mult;
} conf_sizes[] = {
	{ "", 1 }, { "B", 1 },
	{ "k", KIB }, { "K", KIB }, { "KB", KIB }, { "KiB", KIB },
	{ "M", KIB * KIB }, { "MB", KIB * KIB }, { "MiB", KIB * KIB },
	{ "G", GIB }, { "GB", GIB }, { "GiB", GIB },
};

const struct conf_keytab *
conf_keys_magsync(void)
{
	return &magsync_tab;
}

const struct conf_keytab *
conf_keys_channel(void)
{
	return &channel_tab;
}

const struct conf_keytab *
conf_keys_job(void)
{
	return &job_tab;
}

const struct conf_keytab *
conf_keys_proc(enum proc p)
{
	if ((int)p < 0 || p >= PROC_COUNT)
		return NULL;
	return &proc_tabs[p];
}

const struct conf_key *
conf_key_find(const struct conf_keytab *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->keys[i].name, name) == 0)
			return &t->keys[i];
	return NULL;
}

void *
conf_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void *
conf_xrealloc(void *p, size_t n, size_t size)
{
	void *q;

	if (size != 0 && n > SIZE_MAX / size)
		abort();
	q = realloc(p, n != 0 && size != 0 ? n * size : 1);
	if (q == NULL)
		abort();
	return q;
}

char *
conf_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

char *
conf_xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		abort();
	return p;
}

void
conf_secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

int
conf_bool(const char *s, bool *out)
{
	size_t i;

	for (i = 0; i < sizeof(conf_bools) / sizeof(conf_bools[0]); i++)
		if (strcasecmp(conf_bools[i].word, s) == 0) {
			*out = conf_bools[i].value;
			return 0;
		}
	return -1;
}

/* A whole number with nothing around it. */
static int
parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)s[0]) &&
	    !(s[0] == '-' && isdigit((unsigned char)s[1])))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -2;
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Items separated by commas or line breaks, stored "a,b,c". */
static int
parse_list(const char *s, char **out, char *err, size_t errlen)
{
	char *res = conf_xcalloc(strlen(s) + 1, 1);
	size_t o = 0;
	const char *p = s, *e, *a, *b;

	while (*p != '\0') {
		e = p + strcspn(p, ",\n");
		for (a = p; a < e && isspace((unsigned char)*a); a++)
			;
		for (b = e; b > a && isspace((unsigned char)b[-1]); b--)
			;
		if (b > a) {
			const char *q;

			for (q = a; q < b; q++)
				if (isspace((unsigned char)*q) ||
				    iscntrl((unsigned char)*q)) {
					snprintf(err, errlen, "'%.*s' has a "
					    "space in it: separate items with "
					    "commas", (int)(b - a), a);
					free(res);
					return -1;
				}
			if (o > 0)
				res[o++] = ',';
			memcpy(res + o, a, (size_t)(b - a));
			o += (size_t)(b - a);
		}
		p = *e != '\0' ? e + 1 : e;
	}
	res[o] = '\0';
	*out = res;
	return 0;
}

/* http(s)://host..., stored without trailing '/'. */
static int
parse_url(const char *s, char **out, char *err, size_t errlen)
{
	size_t n, skip;
	const char *p;

	if (strncasecmp(s, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		skip = 7;
	else {
		snprintf(err, errlen, "'%s' is not an http:// or https:// "
		    "URL", s);
		return -1;
	}
	for (p = s; *p != '\0'; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p)) {
			snprintf(err, errlen, "the URL has a space or control "
			    "character in it");
			return -1;
		}
	if (strchr("/?#", s[skip]) != NULL) {
		snprintf(err, errlen, "'%s' has no host name", s);
		return -1;
	}
	n = strlen(s);
	while (n > skip && s[n - 1] == '/')
		n--;
	*out = conf_xstrndup(s, n);
	return 0;
}

/* A source field name ("sku", "variant.upc"), "json:PATH" or "none". */
static int
parse_field(const char *s, char *err, size_t errlen)
{
	const char *p = s;

	if (strncmp(s, "json:", 5) == 0) {
		for (p = s + 5; *p != '\0'; p++)
			if (isspace((unsigned char)*p) ||
			    iscntrl((unsigned char)*p))
				break;
		if (s[5] != '\0' && *p == '\0')
			return 0;
		snprintf(err, errlen, "'%s' is not a json:PATH", s);
		return -1;
	}
	for (; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.')
			break;
	if (p > s && *p == '\0')
		return 0;
	snprintf(err, errlen, "'%s' is not a field name (letters, digits, "
	    "'_' and '.'), a json:PATH or none", s);
	return -1;
}

static int
parse_json_object(const char *s, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;
	int ok;

	if (*s == '\0')
		return 0;	/* none */
	j = json_loads(s, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		snprintf(err, errlen, "not valid JSON: %s (line %d, column %d "
		    "of the value)", je.text, je.line, je.column);
		return -1;
	}
	ok = json_is_object(j);
	json_decref(j);
	if (!ok) {
		snprintf(err, errlen, "must be a JSON object ({...})");
		return -1;
	}
	return 0;
}

static int
parse_size(const struct conf_key *k, const char *s, int64_t *out, char *err,
    size_t errlen)
{
	char *end;
	long long v;
	size_t i;

	if (!isdigit((unsigned char)s[0]))
		goto bad;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		goto range;
	for (i = 0; i < sizeof(conf_sizes) / sizeof(conf_sizes[0]); i++)
		if (strcmp(end, conf_sizes[i].suffix) == 0)
			break;
	if (i == sizeof(conf_sizes) / sizeof(conf_sizes[0]))
		goto bad;
	if (v > INT64_MAX / conf_sizes[i].mult)
		goto range;
	v *= conf_sizes[i].mult;
	if (v < k->min || v > k->max)
		goto range;
	*out = v;
	return 0;
bad:
	snprintf(err, errlen, "'%s' is not a size (bytes, or with k, M or G)",
	    s);
	return -1;
range:
	snprintf(err, errlen, "'%s' is out of range %" PRId64 "K..%" PRId64
	    "G", s, k->min / KIB, k->max / GIB);
	return -1;
}

static int
parse_number(const struct conf_key *k, const char *s, int64_t *out,
    char *err, size_t errlen)
{
	int rc;

	if (k->type == CONF_T_DAYS && strcmp(s, "indefinitely") == 0) {
		*out = -1;
		return 0;
	}
	rc = parse_int(s, out);
	if (rc == 0 && *out >= k->min && *out <= k->max)
		return 0;
	if (rc == -1)
		snprintf(err, errlen, "'%s' is not a whole number%s", s,
		    k->type == CONF_T_DAYS ? " of days or indefinitely" : "");
	else
		snprintf(err, errlen, "%s is out of range %" PRId64 "..%"
		    PRId64, s, k->min, k->max);
	return -1;
}

static int
parse_enum(const struct conf_key *k, const char *s, int64_t *out, char *err,
    size_t errlen)
{
	size_t i, o;

	for (i = 0; k->values[i] != NULL; i++)
		if (strcmp(k->values[i], s) == 0) {
			*out = (int64_t)i;
			return 0;
		}
	o = (size_t)snprintf(err, errlen, "'%s' is not one of: ", s);
	for (i = 0; k->values[i] != NULL && o < errlen; i++)
		o += (size_t)snprintf(err + o, errlen - o, "%s%s",
		    i ? ", " : "", k->values[i]);
	return -1;
}

/* Parse text (continuations already joined) as key k. */
static int
conf_value(const struct conf_key *k, const char *text, struct conf_val *v,
    char *err, size_t errlen)
{
	bool b;

	v->num = 0;
	v->text = NULL;
	if (*text == '\0' && !(k->def != NULL && k->def[0] == '\0')) {
		snprintf(err, errlen, "empty value");
		return -1;
	}
	switch (k->type) {
	case CONF_T_TEXT:
		for (const char *p = text; *p != '\0'; p++)
			if (iscntrl((unsigned char)*p) && *p != '\t') {
				snprintf(err, errlen, "control character in "
				    "the value");
				return -1;
			}
		break;
	case CONF_T_LIST:
		return parse_list(text, &v->text, err, errlen);
	case CONF_T_URL:
		if (*text == '\0')
			break;
		return parse_url(text, &v->text, err, errlen);
	case CONF_T_FIELD:
		if (parse_field(text, err, errlen) < 0)
			return -1;
		break;
	case CONF_T_JSON:
		if (parse_json_object(text, err, errlen) < 0)
			return -1;
		break;
	case CONF_T_BOOL:
		if (conf_bool(text, &b) < 0) {
			snprintf(err, errlen, "'%s' is not yes or no", text);
			return -1;
		}
		v->num = b;
		break;
	case CONF_T_INT:
	case CONF_T_DAYS:
		if (parse_number(k, text, &v->num, err, errlen) < 0)
			return -1;
		break;
	case CONF_T_DURATION:
	case CONF_T_DURATION0:
		if (cron_duration(text, 1, &v->num) < 0) {
			snprintf(err, errlen, "'%s' is not a duration (such as "
			    "30s, 5m, 2h, 7d or 1h30m)", text);
			return -1;
		}
		if (v->num == 0 && k->type == CONF_T_DURATION) {
			snprintf(err, errlen, "must be longer than 0");
			return -1;
		}
		break;
	case CONF_T_SIZE:
		if (parse_size(k, text, &v->num, err, errlen) < 0)
			return -1;
		break;
	case CONF_T_ENUM:
		if (parse_enum(k, text, &v->num, err, errlen) < 0)
			return -1;
		break;
	}
	v->text = conf_xstrdup(text);
	return 0;
}

/* Continuation lines become commas in lists and spaces elsewhere. */
static char *
join_lines(const char *s, enum conf_type type)
{
	char *out = conf_xstrdup(s), *p;

	if (type != CONF_T_LIST && type != CONF_T_JSON)
		for (p = out; (p = strchr(p, '\n')) != NULL; p++)
			*p = ' ';
	return out;
}

int
conf_vals_fill(const struct conf_sect *s, const struct conf_keytab *t,
    struct conf_val *vals, struct diag_list *dl)
{
	char err[DIAG_MSG_MAX - 64];
	const struct conf_key *k;
	struct conf_val *v;
	size_t i;
	int errs = 0;
	char *text;

	memset(vals, 0, t->n * sizeof(*vals));
	for (i = 0; i < s->nlines; i++) {
		const struct conf_line *l = &s->lines[i];

		if ((k = conf_key_find(t, l->key)) == NULL)
			continue;
		v = &vals[k - t->keys];
		v->src = l;
		if (l->cont_line != 0 && !(k->flags & CONF_F_MULTILINE)) {
			diag_add(dl, DIAG_ERROR, s->file, l->cont_line,
			    "%s takes a single line: this indented line would "
			    "continue its value (remove the indentation)",
			    k->name);
			errs++;
			continue;
		}
		text = join_lines(l->value, k->type);
		if (conf_value(k, text, v, err, sizeof(err)) < 0) {
			diag_add(dl, DIAG_ERROR, s->file, l->line, "%s: %s%s",
			    k->name, err, strstr(text, " #") != NULL ?
			    " (inline comments start with ';')" : "");
			errs++;
		}
		if (k->flags & CONF_F_SECRET)
			explicit_bzero(text, strlen(text));
		free(text);
	}
	for (i = 0; i < t->n; i++) {
		k = &t->keys[i];
		v = &vals[i];
		if (v->src == NULL && (k->flags & CONF_F_REQUIRED)) {
			diag_add(dl, DIAG_ERROR, s->file, s->line,
			    "missing required key '%s'", k->name);
			errs++;
		}
		/* Defaults also stand in for values that were wrong, so
		 * later checks see something sane. */
		if (v->text == NULL && k->def != NULL &&
		    conf_value(k, k->def, v, err, sizeof(err)) < 0)
			abort();	/* a bad default in the tables */
	}
	return errs;
}

void
conf_vals_free(struct conf_val *vals, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		conf_secret_free(vals[i].text);
		vals[i].text = NULL;
	}
}

/* Process settings: the job's own line, else the table's default. */
static const struct conf_key *
job_key(const struct conf_job *j, const char *key, const char **text)
{
	const struct conf_keytab *t = conf_keys_proc(j->process);
	const struct conf_key *k;
	size_t i;

	if (t == NULL || (k = conf_key_find(t, key)) == NULL)
		abort();	/* not a key of this process: a caller's bug */
	*text = k->def;
	for (i = 0; i < j->nsettings; i++)
		if (strcmp(j->settings[i].key, key) == 0)
			*text = j->settings[i].value;
	return k;
}

const char *
conf_job_str(const struct conf_job *j, const char *key)
{
	const char *text;

	job_key(j, key, &text);
	return text;
}

int64_t
conf_job_int(const struct conf_job *j, const char *key)
{
	const char *text;
	const struct conf_key *k = job_key(j, key, &text);
	char err[8];
	int64_t v;

	if ((k->type != CONF_T_INT && k->type != CONF_T_DAYS) ||
	    parse_number(k, text, &v, err, sizeof(err)) < 0)
		abort();
	return v;
}

bool
conf_job_bool(const struct conf_job *j, const char *key)
{
	const char *text;
	const struct conf_key *k = job_key(j, key, &text);
	bool b;

	if (k->type != CONF_T_BOOL || conf_bool(text, &b) < 0)
		abort();
	return b;
}

int64_t
conf_job_secs(const struct conf_job *j, const char *key)
{
	const char *text;
	const struct conf_key *k = job_key(j, key, &text);
	int64_t v;

	if ((k->type != CONF_T_DURATION && k->type != CONF_T_DURATION0) ||
	    cron_duration(text, 1, &v) < 0)
		abort();
	return v;
}
