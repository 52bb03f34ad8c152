/* conf.c - build the configuration model from the raw sections that
 * conf_parse.c read, checking everything that spans keys or sections:
 * duplicates, references between sections, secrets, the zone. Every problem
 * is reported; the model is returned only when there was no error. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_priv.h"
#include "cron.h"
#include "tz.h"

/* Above this, stores with Magento 2.4's input limits refuse the page. */
#define CONF_MAGENTO_PAGE_CAP	300

struct conf_build {
	struct conf *c;
	const struct conf_parse *p;
	const struct conf_io *io;
	struct diag_list *dl;
};

/* The four secrets: inline key, file key, where it goes, and whether
 * bearer auth needs it (OAuth 1.0a needs all four). */
static const struct {
	const char *key;
	const char *file_key;
	size_t off;
	bool bearer;
} conf_secrets[] = {
	{ "access_token", "access_token_file",
	    offsetof(struct conf_channel, access_token), true },
	{ "access_token_secret", "access_token_secret_file",
	    offsetof(struct conf_channel, access_token_secret), false },
	{ "consumer_key", "consumer_key_file",
	    offsetof(struct conf_channel, consumer_key), false },
	{ "consumer_secret", "consumer_secret_file",
	    offsetof(struct conf_channel, consumer_secret), false },
};

/* Schedules of processes that need not name one. */
static const char *const conf_default_schedule[PROC_COUNT] = {
	[PROC_IMPORT_LISTINGS] = "manual",
	[PROC_PII_RETENTION] = "@hourly",
};

#define SHIPPED_SUFFIX	".default"

static size_t
count_kind(const struct conf_parse *p, enum conf_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < p->n; i++)
		if (p->sects[i].kind == kind)
			n++;
	return n;
}

static const struct conf_line *
find_line(const struct conf_sect *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nlines; i++)
		if (strcmp(s->lines[i].key, key) == 0)
			return &s->lines[i];
	return NULL;
}

/* The earlier section of the same kind and names as s, if any. */
static const struct conf_sect *
earlier_same(const struct conf_parse *p, const struct conf_sect *s)
{
	const struct conf_sect *o;

	for (o = p->sects; o < s; o++)
		if (o->kind == s->kind &&
		    (o->name == NULL || strcmp(o->name, s->name) == 0) &&
		    (o->name2 == NULL || strcmp(o->name2, s->name2) == 0))
			return o;
	return NULL;
}

static bool
duplicate(struct conf_build *b, const struct conf_sect *s, const char *what)
{
	const struct conf_sect *o = earlier_same(b->p, s);

	if (o == NULL)
		return false;
	diag_add(b->dl, DIAG_ERROR, s->file, s->line,
	    "duplicate section %s (first at %s:%d)", what, o->file, o->line);
	return true;
}

/* Report the lines of s that no table given knows. */
static void
unknown_keys(struct conf_build *b, const struct conf_sect *s,
    const struct conf_keytab *t, const char *what)
{
	size_t i;

	for (i = 0; i < s->nlines; i++)
		if (conf_key_find(t, s->lines[i].key) == NULL)
			diag_add(b->dl, DIAG_ERROR, s->file, s->lines[i].line,
			    "unknown key '%s' in %s", s->lines[i].key, what);
}

/* "get_orders.default" -> PROC_GET_ORDERS; anything else PROC_NONE. */
static enum proc
shipped_template(const char *name)
{
	size_t n = strlen(name), sl = strlen(SHIPPED_SUFFIX);
	char proc[64];

	if (n <= sl || n - sl >= sizeof(proc) ||
	    strcmp(name + n - sl, SHIPPED_SUFFIX) != 0)
		return PROC_NONE;
	memcpy(proc, name, n - sl);
	proc[n - sl] = '\0';
	return proc_from_name(proc);
}

static void
kv_copy(struct conf_kv *kv, const struct conf_sect *s,
    const struct conf_line *l, const char *value)
{
	kv->key = conf_xstrdup(l->key);
	kv->value = conf_xstrdup(value);
	kv->file = s->file;
	kv->line = l->line;
}

static void
kv_free(struct conf_kv *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

/* --- [magsync] ------------------------------------------------------- */

static void
build_zone(struct conf_build *b, const struct conf_sect *s,
    const struct conf_val *tzv)
{
	char err[256] = "";
	const char *name = tzv->text;

	if (name != NULL && !tz_name_valid(name)) {
		diag_add(b->dl, DIAG_ERROR, s->file, tzv->src->line,
		    "timezone: '%s' is not a zone name (such as UTC or "
		    "Europe/Berlin)", name);
		return;
	}
	b->c->tz = b->io->load_tz(b->io->ctx, name, err, sizeof(err));
	if (b->c->tz != NULL)
		return;
	if (name != NULL)
		diag_add(b->dl, DIAG_ERROR, s->file, tzv->src->line,
		    "timezone: cannot load '%s': %s", name, err);
	else
		diag_add(b->dl, DIAG_ERROR, s->file, s->line,
		    "cannot load the system time zone: %s (set timezone)", err);
}

static void
build_global(struct conf_build *b)
{
	const struct conf_keytab *t = conf_keys_magsync();
	struct conf_val v[8];
	struct conf_global *g = &b->c->global;
	const struct conf_sect *s = NULL;
	size_t i;

	for (i = 0; i < b->p->n; i++) {
		if (b->p->sects[i].kind != CONF_K_MAGSYNC)
			continue;
		if (s == NULL)
			s = &b->p->sects[i];
		else
			duplicate(b, &b->p->sects[i], "[magsync]");
	}
	if (s == NULL) {
		diag_add(b->dl, DIAG_ERROR, b->c->path, 0,
		    "no [magsync] section: it names the database");
		return;
	}
	if (t->n > sizeof(v) / sizeof(v[0]))
		abort();
	unknown_keys(b, s, t, "[magsync]");
	conf_vals_fill(s, t, v, b->dl);
	/* table order: database, timezone, log_level, stop_timeout,
	 * log_retention */
	g->database = v[0].text;
	g->timezone = v[1].text;
	g->log_level = (enum conf_log_level)v[2].num;
	g->stop_timeout = v[3].num;
	g->log_retention = v[4].num;
	build_zone(b, s, &v[1]);
	v[0].text = v[1].text = NULL;
	conf_vals_free(v, t->n);
}

/* --- [mapping_set] and [template] ------------------------------------ */

static void
build_sets(struct conf_build *b)
{
	struct conf *c = b->c;
	size_t i, j;

	c->sets = conf_xcalloc(count_kind(b->p, CONF_K_MAPPING_SET),
	    sizeof(*c->sets));
	for (i = 0; i < b->p->n; i++) {
		const struct conf_sect *s = &b->p->sects[i];
		struct conf_mapping_set *m;

		if (s->kind != CONF_K_MAPPING_SET)
			continue;
		if (duplicate(b, s, "[mapping_set]"))
			continue;
		m = &c->sets[c->nsets++];
		m->name = conf_xstrdup(s->name);
		m->file = s->file;
		m->line = s->line;
		m->entries = conf_xcalloc(s->nlines, sizeof(*m->entries));
		for (j = 0; j < s->nlines; j++) {
			const struct conf_line *l = &s->lines[j];

			if (l->cont_line != 0)
				diag_add(b->dl, DIAG_ERROR, s->file,
				    l->cont_line, "a mapping takes a single "
				    "line: this indented line would continue "
				    "it (remove the indentation)");
			kv_copy(&m->entries[m->nentries++], s, l, l->value);
		}
	}
}

static void
build_templates(struct conf_build *b)
{
	struct conf *c = b->c;
	const struct conf_line *pl;
	size_t i, j;

	c->templates = conf_xcalloc(count_kind(b->p, CONF_K_TEMPLATE),
	    sizeof(*c->templates));
	for (i = 0; i < b->p->n; i++) {
		const struct conf_sect *s = &b->p->sects[i];
		struct conf_template *t;

		if (s->kind != CONF_K_TEMPLATE)
			continue;
		if (shipped_template(s->name) != PROC_NONE) {
			diag_add(b->dl, DIAG_ERROR, s->file, s->line,
			    "template name '%s' is taken by a shipped "
			    "default: choose another and set base = %s",
			    s->name, s->name);
			continue;
		}
		if (duplicate(b, s, "[template]"))
			continue;
		t = &c->templates[c->ntemplates++];
		t->name = conf_xstrdup(s->name);
		t->file = s->file;
		t->line = s->line;
		t->process = PROC_NONE;
		if ((pl = find_line(s, "process")) == NULL)
			diag_add(b->dl, DIAG_ERROR, s->file, s->line,
			    "missing required key 'process'");
		else if (pl->cont_line == 0 &&
		    (t->process = proc_from_name(pl->value)) == PROC_NONE)
			diag_add(b->dl, DIAG_ERROR, s->file, pl->line,
			    "process: unknown process '%s'", pl->value);
		t->lines = conf_xcalloc(s->nlines, sizeof(*t->lines));
		for (j = 0; j < s->nlines; j++) {
			const struct conf_line *l = &s->lines[j];

			if (l->cont_line != 0)
				diag_add(b->dl, DIAG_ERROR, s->file,
				    l->cont_line, "%s takes a single line: "
				    "this indented line would continue it "
				    "(remove the indentation)", l->key);
			if (strcmp(l->key, "process") == 0)
				continue;
			if (strcmp(l->key, "base") == 0) {
				t->base = conf_xstrdup(l->value);
				continue;
			}
			kv_copy(&t->lines[t->nlines++], s, l, l->value);
		}
	}
}

/* Is name a template usable by process p? Reports why not at file:line. */
static void
check_template_ref(struct conf_build *b, const char *file, int line,
    const char *what, const char *name, enum proc p)
{
	enum proc q = shipped_template(name);
	const struct conf_template *t;

	if (q == PROC_NONE) {
		if ((t = conf_template(b->c, name)) == NULL) {
			diag_add(b->dl, DIAG_ERROR, file, line,
			    "%s: unknown template '%s' (no [template %s] "
			    "section, and not a shipped <process>.default)",
			    what, name, name);
			return;
		}
		q = t->process;
	}
	if (q != PROC_NONE && q != p)
		diag_add(b->dl, DIAG_ERROR, file, line,
		    "%s: '%s' is for process %s, not %s", what, name,
		    proc_name(q), proc_name(p));
}

/* base = ... names a template of the same process, and bases do not loop. */
static void
check_template_bases(struct conf_build *b)
{
	const struct conf *c = b->c;
	const struct conf_template *t, *u;
	const struct conf_line *bl;
	size_t i, steps;

	for (i = 0; i < b->p->n; i++) {
		const struct conf_sect *s = &b->p->sects[i];

		if (s->kind != CONF_K_TEMPLATE ||
		    (bl = find_line(s, "base")) == NULL ||
		    (t = conf_template(c, s->name)) == NULL ||
		    t->line != s->line || t->file != s->file ||
		    t->process == PROC_NONE)
			continue;
		check_template_ref(b, s->file, bl->line, "base", t->base,
		    t->process);
		for (u = t, steps = 0; u != NULL && u->base != NULL &&
		    steps <= c->ntemplates; steps++) {
			u = conf_template(c, u->base);
			if (u == t) {
				diag_add(b->dl, DIAG_ERROR, s->file, bl->line,
				    "base: templates based on each other in "
				    "a loop (back to '%s')", t->name);
				break;
			}
		}
	}
}

/* --- [channel] -------------------------------------------------------- */

static bool
secret_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return false;
	return true;
}

/* Read the secret file named by key = path in section s. Never reports
 * what the file holds. */
static char *
read_secret(struct conf_build *b, const struct conf_sect *s,
    const struct conf_line *l)
{
	const struct conf_io *io = b->io;
	char *path = NULL, *buf = NULL, *start, *end;
	const char *path_in = l->value;
	bool in_creds = false;
	size_t len = 0;
	int rc;

	if (path_in[0] != '/' && io->credentials_dir != NULL &&
	    io->credentials_dir[0] != '\0') {
		path = conf_xcalloc(strlen(io->credentials_dir) +
		    strlen(path_in) + 2, 1);
		sprintf(path, "%s/%s", io->credentials_dir, path_in);
		in_creds = io->exists != NULL &&
		    io->exists(io->ctx, path) == 1;
		if (!in_creds) {
			free(path);
			path = NULL;
		}
	}
	if (path == NULL)
		path = conf_path_relative(s->file, path_in);
	rc = io->read_file(io->ctx, path, &buf, &len);
	if (rc < 0) {
		diag_add(b->dl, DIAG_ERROR, s->file, l->line,
		    "%s: cannot read %s: %s%s", l->key, path, strerror(-rc),
		    path_in[0] != '/' && io->credentials_dir != NULL ?
		    " (nor found in $CREDENTIALS_DIRECTORY)" : "");
		goto fail;
	}
	if (strlen(buf) != len) {
		diag_add(b->dl, DIAG_ERROR, s->file, l->line,
		    "%s: %s contains a NUL byte", l->key, path);
		goto fail;
	}
	for (start = buf; isspace((unsigned char)*start); start++)
		;
	for (end = buf + len; end > start && isspace((unsigned char)end[-1]);
	    end--)
		;
	*end = '\0';
	if (*start == '\0') {
		diag_add(b->dl, DIAG_ERROR, s->file, l->line,
		    "%s: %s is empty", l->key, path);
		goto fail;
	}
	if (!secret_ok(start)) {
		diag_add(b->dl, DIAG_ERROR, s->file, l->line,
		    "%s: %s must hold the secret alone, on one line, without "
		    "spaces", l->key, path);
		goto fail;
	}
	memmove(buf, start, (size_t)(end - start) + 1);
	explicit_bzero(buf + (end - start) + 1, len - (size_t)(end - start));
	free(path);
	return buf;
fail:
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	free(path);
	return NULL;
}

static char *
inline_secret(struct conf_build *b, const struct conf_sect *s,
    const struct conf_line *l, const char *file_key)
{
	if (l->cont_line != 0 || *l->value == '\0')
		return NULL;	/* reported with the other values */
	if (!secret_ok(l->value)) {
		diag_add(b->dl, DIAG_ERROR, s->file, l->line,
		    "%s must be a single word, without spaces", l->key);
		return NULL;
	}
	if (s->mode != CONF_MODE_UNKNOWN && (s->mode & 077) != 0)
		diag_add(b->dl, DIAG_WARNING, s->file, l->line,
		    "%s is written inline in a file that group or others may "
		    "read (mode %04o): move it to a file named by %s, or "
		    "chmod 600 %s", l->key, s->mode & 07777, file_key, s->file);
	return conf_xstrdup(l->value);
}

static void
build_secrets(struct conf_build *b, const struct conf_sect *s,
    struct conf_channel *ch)
{
	const struct conf_line *il, *fl;
	const char *auth = ch->auth == CONF_AUTH_BEARER ? "bearer" : "oauth1";
	size_t i;
	char **dst;

	for (i = 0; i < sizeof(conf_secrets) / sizeof(conf_secrets[0]); i++) {
		bool needed = ch->auth == CONF_AUTH_OAUTH1 ||
		    conf_secrets[i].bearer;

		il = find_line(s, conf_secrets[i].key);
		fl = find_line(s, conf_secrets[i].file_key);
		dst = (char **)((char *)ch + conf_secrets[i].off);
		if (!needed) {
			if (il != NULL || fl != NULL)
				diag_add(b->dl, DIAG_ERROR, s->file,
				    (il ? il : fl)->line, "%s is only used "
				    "with auth = oauth1 (auth is %s)",
				    (il ? il : fl)->key, auth);
			continue;
		}
		if (il != NULL && fl != NULL) {
			diag_add(b->dl, DIAG_ERROR, s->file, il->line,
			    "give %s or %s, not both", conf_secrets[i].key,
			    conf_secrets[i].file_key);
			continue;
		}
		if (il == NULL && fl == NULL) {
			diag_add(b->dl, DIAG_ERROR, s->file, s->line,
			    "missing required key '%s' (auth = %s)",
			    conf_secrets[i].file_key, auth);
			continue;
		}
		if (fl != NULL && (fl->cont_line != 0 || *fl->value == '\0'))
			continue;	/* reported with the other values */
		if (fl != NULL)
			*dst = read_secret(b, s, fl);
		else
			*dst = inline_secret(b, s, il,
			    conf_secrets[i].file_key);
	}
}

static bool
local_host(const char *url)
{
	static const char *const locals[] = { "http://localhost",
		"http://127.", "http://[::1]" };
	size_t i;

	for (i = 0; i < sizeof(locals) / sizeof(locals[0]); i++)
		if (strncasecmp(url, locals[i], strlen(locals[i])) == 0)
			return true;
	return false;
}

static bool
code_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static void
channel_warnings(struct conf_build *b, const struct conf_sect *s,
    const struct conf_channel *ch, const struct conf_val *v)
{
	const struct conf_keytab *t = conf_keys_channel();
	const struct conf_val *pv, *tv, *uv, *sv;

	uv = &v[conf_key_find(t, "store_url") - t->keys];
	pv = &v[conf_key_find(t, "page_size") - t->keys];
	tv = &v[conf_key_find(t, "verify_tls") - t->keys];
	sv = &v[conf_key_find(t, "sources") - t->keys];
	if (ch->store_url != NULL && strncasecmp(ch->store_url, "http://", 7)
	    == 0 && !local_host(ch->store_url))
		diag_add(b->dl, DIAG_WARNING, s->file, uv->src->line,
		    "store_url: plain http: the token travels unencrypted");
	if (pv->src != NULL && ch->page_size > CONF_MAGENTO_PAGE_CAP)
		diag_add(b->dl, DIAG_WARNING, s->file, pv->src->line,
		    "page_size: stores with Magento 2.4's input limits "
		    "enabled refuse more than %d", CONF_MAGENTO_PAGE_CAP);
	if (tv->src != NULL && !ch->verify_tls)
		diag_add(b->dl, DIAG_WARNING, s->file, tv->src->line,
		    "verify_tls = no: the store's certificate is not checked");
	if (sv->src != NULL && ch->sources != NULL &&
	    ch->inventory == CONF_INV_LEGACY)
		diag_add(b->dl, DIAG_WARNING, s->file, sv->src->line,
		    "sources: ignored with inventory = legacy");
}

static void
build_channel(struct conf_build *b, const struct conf_sect *s,
    struct conf_channel *ch)
{
	const struct conf_keytab *t = conf_keys_channel();
	struct conf_val v[32];
#define V(name)	(&v[conf_key_find(t, name) - t->keys])

	if (t->n > sizeof(v) / sizeof(v[0]))
		abort();
	unknown_keys(b, s, t, "[channel]");
	conf_vals_fill(s, t, v, b->dl);
	ch->name = conf_xstrdup(s->name);
	ch->file = s->file;
	ch->line = s->line;
	ch->store_url = V("store_url")->text;
	V("store_url")->text = NULL;
	ch->store_code = V("store_code")->text;
	V("store_code")->text = NULL;
	if (!code_ok(ch->store_code) && V("store_code")->src != NULL)
		diag_add(b->dl, DIAG_ERROR, s->file, V("store_code")->src->line,
		    "store_code: '%s' is not a store code (letters, digits "
		    "and '_')", ch->store_code);
	ch->auth = (enum conf_auth)V("auth")->num;
	ch->page_size = (int)V("page_size")->num;
	ch->max_concurrency = (int)V("max_concurrency")->num;
	ch->request_timeout = V("request_timeout")->num;
	ch->retry_attempts = (int)V("retry_attempts")->num;
	ch->max_response_bytes = V("max_response_bytes")->num;
	ch->verify_tls = V("verify_tls")->num != 0;
	ch->override_images = V("override_images")->num != 0;
	ch->inventory = (enum conf_inventory)V("inventory")->num;
	if (V("sources")->text[0] != '\0') {
		ch->sources = V("sources")->text;
		V("sources")->text = NULL;
	}
	build_secrets(b, s, ch);
	channel_warnings(b, s, ch, v);
	conf_vals_free(v, t->n);
#undef V
}

static void
build_channels(struct conf_build *b)
{
	struct conf *c = b->c;
	size_t i;

	c->channels = conf_xcalloc(count_kind(b->p, CONF_K_CHANNEL),
	    sizeof(*c->channels));
	for (i = 0; i < b->p->n; i++) {
		const struct conf_sect *s = &b->p->sects[i];

		if (s->kind != CONF_K_CHANNEL || duplicate(b, s, "[channel]"))
			continue;
		build_channel(b, s, &c->channels[c->nchannels++]);
	}
}

/* --- [job] ------------------------------------------------------------ */

static void
job_unknown_keys(struct conf_build *b, const struct conf_sect *s,
    enum proc p)
{
	const struct conf_keytab *own = conf_keys_proc(p);
	const char *key;
	size_t i;
	int q;

	for (i = 0; i < s->nlines; i++) {
		key = s->lines[i].key;
		if (conf_key_find(conf_keys_job(), key) != NULL ||
		    conf_key_find(own, key) != NULL)
			continue;
		for (q = 0; q < PROC_COUNT; q++)
			if (conf_key_find(conf_keys_proc((enum proc)q), key))
				break;
		if (q < PROC_COUNT)
			diag_add(b->dl, DIAG_ERROR, s->file, s->lines[i].line,
			    "unknown key '%s' for process %s (it is a setting "
			    "of %s)", key, proc_name(p),
			    proc_name((enum proc)q));
		else
			diag_add(b->dl, DIAG_ERROR, s->file, s->lines[i].line,
			    "unknown key '%s' for process %s", key,
			    proc_name(p));
	}
}

static void
job_schedule(struct conf_build *b, const struct conf_sect *s,
    struct conf_job *j, struct conf_val *sv)
{
	char err[256];

	if (sv->text == NULL && sv->src == NULL) {
		if (conf_default_schedule[j->process] == NULL) {
			diag_add(b->dl, DIAG_ERROR, s->file, s->line,
			    "missing required key 'schedule'");
			return;
		}
		sv->text = conf_xstrdup(conf_default_schedule[j->process]);
	}
	if (sv->text == NULL)
		return;		/* reported */
	j->schedule_text = sv->text;
	sv->text = NULL;
	j->schedule = cron_parse(j->schedule_text, err, sizeof(err));
	if (j->schedule == NULL)
		diag_add(b->dl, DIAG_ERROR, s->file,
		    sv->src != NULL ? sv->src->line : s->line,
		    "schedule: %s", err);
}

/* Process settings that refer elsewhere or deserve a warning. */
static void
job_settings_checks(struct conf_build *b, const struct conf_sect *s,
    enum proc p, const struct conf_val *pv)
{
	const struct conf_keytab *t = conf_keys_proc(p);
	const struct conf_val *v;

	if (p != PROC_GET_ORDERS)
		return;
	v = &pv[conf_key_find(t, "shipping_methods") - t->keys];
	if (v->src != NULL && v->text != NULL && v->text[0] != '\0' &&
	    conf_mapping_set(b->c, v->text) == NULL)
		diag_add(b->dl, DIAG_ERROR, s->file, v->src->line,
		    "shipping_methods: unknown mapping set '%s' (no "
		    "[mapping_set %s] section)", v->text, v->text);
	v = &pv[conf_key_find(t, "page_size") - t->keys];
	if (v->src != NULL && v->num > CONF_MAGENTO_PAGE_CAP)
		diag_add(b->dl, DIAG_WARNING, s->file, v->src->line,
		    "page_size: stores with Magento 2.4's input limits "
		    "enabled refuse more than %d", CONF_MAGENTO_PAGE_CAP);
}

/* Keep the process keys as written, values normalised. */
static void
job_settings(const struct conf_sect *s, struct conf_job *j,
    const struct conf_val *pv)
{
	const struct conf_keytab *t = conf_keys_proc(j->process);
	const struct conf_key *k;
	size_t i;

	j->settings = conf_xcalloc(s->nlines, sizeof(*j->settings));
	for (i = 0; i < s->nlines; i++) {
		k = conf_key_find(t, s->lines[i].key);
		if (k != NULL && pv[k - t->keys].text != NULL)
			kv_copy(&j->settings[j->nsettings++], s, &s->lines[i],
			    pv[k - t->keys].text);
	}
}

static void
build_job(struct conf_build *b, const struct conf_sect *s, enum proc p,
    struct conf_job *j)
{
	const struct conf_keytab *jt = conf_keys_job(), *pt = conf_keys_proc(p);
	struct conf_val jv[8], pv[16];
	char def[64];

	if (jt->n > sizeof(jv) / sizeof(jv[0]) ||
	    pt->n > sizeof(pv) / sizeof(pv[0]))
		abort();
	job_unknown_keys(b, s, p);
	conf_vals_fill(s, jt, jv, b->dl);
	conf_vals_fill(s, pt, pv, b->dl);
	j->process = p;
	j->file = s->file;
	j->line = s->line;
	/* job table order: schedule, enabled, catch_up, jitter, template */
	job_schedule(b, s, j, &jv[0]);
	j->enabled = jv[1].num != 0;
	j->catch_up = jv[2].num != 0;
	j->jitter = jv[3].num;
	if (jv[4].text != NULL) {
		j->template_name = jv[4].text;
		jv[4].text = NULL;
		check_template_ref(b, s->file, jv[4].src->line, "template",
		    j->template_name, p);
	} else {
		snprintf(def, sizeof(def), "%s%s", proc_name(p),
		    SHIPPED_SUFFIX);
		j->template_name = conf_xstrdup(def);
	}
	job_settings_checks(b, s, p, pv);
	job_settings(s, j, pv);
	conf_vals_free(jv, jt->n);
	conf_vals_free(pv, pt->n);
}

static void
job_free(struct conf_job *j)
{
	free(j->schedule_text);
	cron_free(j->schedule);
	free(j->template_name);
	kv_free(j->settings, j->nsettings);
}

static void
implicit_pii_job(struct conf_build *b, struct conf_channel *ch)
{
	struct conf *c = b->c;
	struct conf_job *j = &c->jobs[c->njobs];
	char err[256];

	memset(j, 0, sizeof(*j));
	j->channel = ch;
	j->process = PROC_PII_RETENTION;
	j->file = ch->file;
	j->line = 0;
	j->schedule_text = conf_xstrdup(
	    conf_default_schedule[PROC_PII_RETENTION]);
	j->schedule = cron_parse(j->schedule_text, err, sizeof(err));
	if (j->schedule == NULL)
		abort();	/* our own default */
	j->enabled = true;
	j->catch_up = true;
	j->template_name = conf_xstrdup("pii_retention" SHIPPED_SUFFIX);
	c->njobs++;
}

static int
job_order(const void *a, const void *b)
{
	const struct conf_job *x = a, *y = b;

	if (x->channel != y->channel)
		return x->channel < y->channel ? -1 : 1;
	return (int)x->process - (int)y->process;
}

static struct conf_channel *
find_channel(struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nchannels; i++)
		if (strcmp(c->channels[i].name, name) == 0)
			return &c->channels[i];
	return NULL;
}

static void
build_jobs(struct conf_build *b)
{
	struct conf *c = b->c;
	struct conf_channel *ch;
	struct conf_job tmp;
	size_t i;
	enum proc p;

	c->jobs = conf_xcalloc(count_kind(b->p, CONF_K_JOB) + c->nchannels,
	    sizeof(*c->jobs));
	for (i = 0; i < b->p->n; i++) {
		const struct conf_sect *s = &b->p->sects[i];

		if (s->kind != CONF_K_JOB)
			continue;
		if ((p = proc_from_name(s->name2)) == PROC_NONE) {
			diag_add(b->dl, DIAG_ERROR, s->file, s->line,
			    "unknown process '%s' (expected import_listings, "
			    "sync_listings, publish_listings, get_orders, "
			    "sync_orders or pii_retention)", s->name2);
			continue;
		}
		if (duplicate(b, s, "[job]"))
			continue;
		ch = find_channel(c, s->name);
		if (ch == NULL)
			diag_add(b->dl, DIAG_ERROR, s->file, s->line,
			    "job for unknown channel '%s' (no [channel %s] "
			    "section)", s->name, s->name);
		/* Check its keys either way, so every error shows at once. */
		memset(&tmp, 0, sizeof(tmp));
		build_job(b, s, p, &tmp);
		if (ch == NULL) {
			job_free(&tmp);
			continue;
		}
		tmp.channel = ch;
		c->jobs[c->njobs++] = tmp;
	}
	for (i = 0; i < c->nchannels; i++)
		if (conf_job(c, c->channels[i].name, PROC_PII_RETENTION) ==
		    NULL)
			implicit_pii_job(b, &c->channels[i]);
	qsort(c->jobs, c->njobs, sizeof(*c->jobs), job_order);
}

/* --- the API ----------------------------------------------------------- */

struct conf_diag_key {
	size_t file;		/* index in c->files; after them: others */
	int line;
	size_t orig;
	struct diag d;
};

static int
diag_order(const void *a, const void *b)
{
	const struct conf_diag_key *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->orig < y->orig ? -1 : x->orig > y->orig;
}

/* The checks run pass by pass; an admin reads their findings best in the
 * order of the files: sort what this load added by file, then line. */
static void
sort_diags(const struct conf *c, struct diag_list *dl, size_t from)
{
	struct conf_diag_key *k;
	size_t i, f, n = dl->n - from;

	if (n < 2)
		return;
	k = conf_xcalloc(n, sizeof(*k));
	for (i = 0; i < n; i++) {
		k[i].d = dl->items[from + i];
		k[i].orig = i;
		k[i].line = k[i].d.line;
		for (f = 0; f < c->nfiles; f++)
			if (strcmp(c->files[f], k[i].d.file) == 0)
				break;
		k[i].file = f;
	}
	qsort(k, n, sizeof(*k), diag_order);
	for (i = 0; i < n; i++)
		dl->items[from + i] = k[i].d;
	free(k);
}

struct conf *
conf_load(const char *path, const struct conf_io *io, struct diag_list *dl)
{
	size_t errors = diag_errors(dl), first = dl->n;
	struct conf_parse p;
	struct conf_build b;
	struct conf *c;

	memset(&p, 0, sizeof(p));
	c = conf_xcalloc(1, sizeof(*c));
	c->path = conf_xstrdup(path);
	b.c = c;
	b.p = &p;
	b.io = io;
	b.dl = dl;
	if (conf_parse_files(c, path, io, dl, &p) == 0) {
		build_global(&b);
		build_sets(&b);
		build_templates(&b);
		check_template_bases(&b);
		build_channels(&b);
		build_jobs(&b);
	}
	conf_parse_free(&p);
	sort_diags(c, dl, first);
	if (diag_errors(dl) > errors) {
		conf_free(c);
		return NULL;
	}
	return c;
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->njobs; i++)
		job_free(&c->jobs[i]);
	free(c->jobs);
	for (i = 0; i < c->nchannels; i++) {
		struct conf_channel *ch = &c->channels[i];

		free(ch->name);
		free(ch->store_url);
		free(ch->store_code);
		free(ch->sources);
		conf_secret_free(ch->access_token);
		conf_secret_free(ch->access_token_secret);
		conf_secret_free(ch->consumer_key);
		conf_secret_free(ch->consumer_secret);
	}
	free(c->channels);
	for (i = 0; i < c->ntemplates; i++) {
		free(c->templates[i].name);
		free(c->templates[i].base);
		kv_free(c->templates[i].lines, c->templates[i].nlines);
	}
	free(c->templates);
	for (i = 0; i < c->nsets; i++) {
		free(c->sets[i].name);
		kv_free(c->sets[i].entries, c->sets[i].nentries);
	}
	free(c->sets);
	if (c->tz != NULL)
		tz_free(c->tz);
	conf_secret_free(c->global.database);
	free(c->global.timezone);
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->path);
	free(c);
}

const struct conf_channel *
conf_channel(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nchannels; i++)
		if (strcmp(c->channels[i].name, name) == 0)
			return &c->channels[i];
	return NULL;
}

const struct conf_job *
conf_job(const struct conf *c, const char *channel, enum proc p)
{
	size_t i;

	for (i = 0; i < c->njobs; i++)
		if (c->jobs[i].process == p &&
		    strcmp(c->jobs[i].channel->name, channel) == 0)
			return &c->jobs[i];
	return NULL;
}

const struct conf_template *
conf_template(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ntemplates; i++)
		if (strcmp(c->templates[i].name, name) == 0)
			return &c->templates[i];
	return NULL;
}

const struct conf_mapping_set *
conf_mapping_set(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nsets; i++)
		if (strcmp(c->sets[i].name, name) == 0)
			return &c->sets[i];
	return NULL;
}
