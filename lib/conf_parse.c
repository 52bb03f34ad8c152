/* conf_parse.c - read magsync.ini and the files it includes into raw
 * sections (struct conf_sect), reporting every syntax problem as FILE:LINE.
 *
 * inih splits "key = value" and strips inline comments. Our reader feeds it
 * one line at a time and is the only place lines are counted (Debian 12's
 * inih does not pass line numbers to the handler). The reader also takes on
 * what that inih cannot report or gets wrong: it reads section headers
 * itself (inih truncates names at 49 bytes and never tells the handler
 * about a section without keys), joins continuation lines itself (inih keys
 * them by a copy of the previous name truncated at 49 bytes and keeps
 * inline comments in them), rejects over-long lines (inih would split them
 * silently in two) and lines without '='. inih therefore only ever sees
 * well-formed, left-trimmed "key = value" lines; every other line reaches
 * it as a blank line, so its own count stays in step with ours. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "conf_priv.h"

#define CONF_INCLUDE_DEPTH	16
#define CONF_NAME_MAX		64

enum conf_lex_state {
	LEX_PREAMBLE,		/* before the first section */
	LEX_SECTION,		/* in a section we keep */
	LEX_BAD			/* in a section whose header was wrong */
};

struct conf_incl {
	char *pattern;		/* new */
	int line;
};

/* What all files of one load share. */
struct conf_loader {
	struct conf *c;
	const struct conf_io *io;
	struct diag_list *dl;
	struct conf_parse *p;
	char *stack[CONF_INCLUDE_DEPTH + 1];	/* cleaned paths being read */
	int depth;
	char **seen;		/* cleaned paths read so far, new */
	size_t nseen;
};

/* The state of one file being read. */
struct conf_lex {
	struct conf_loader *ld;
	const char *file;	/* borrowed from c->files */
	unsigned mode;
	const char *buf;
	size_t len, pos;
	int lineno;
	enum conf_lex_state state;
	size_t sect;		/* index in ld->p->sects when LEX_SECTION */
	bool cont_ok;		/* an indented line continues the last key */
	long last;		/* index of the last key line kept, or -1 */
	bool last_include;	/* the last key line was an include */
	struct conf_incl *incl;
	size_t nincl, inclcap;
};

static const struct {
	const char *word;
	enum conf_kind kind;
	int nargs;
	const char *usage;
} conf_kinds[] = {
	{ "magsync", CONF_K_MAGSYNC, 0, "[magsync]" },
	{ "channel", CONF_K_CHANNEL, 1, "[channel NAME]" },
	{ "job", CONF_K_JOB, 2, "[job CHANNEL PROCESS]" },
	{ "template", CONF_K_TEMPLATE, 1, "[template NAME]" },
	{ "mapping_set", CONF_K_MAPPING_SET, 1, "[mapping_set NAME]" },
};

static int conf_parse_file(struct conf_loader *ld, const char *path,
    const char *clean, const char *from, int from_line);

static bool
is_blank(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\f' || ch == '\v' ||
	    ch == '\r';
}

/* A name of a channel, template or mapping set: it is used in section
 * headers, "set:NAME:SOURCE" rules and log lines, so keep it plain. */
static bool
name_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '_' &&
		    s[n] != '-' && s[n] != '.')
			return false;
	return n > 0 && n <= CONF_NAME_MAX;
}

/* Lexical clean-up of a path ("a/./b/../c" -> "a/c") so that one file
 * reached by two spellings is recognised as one in include cycles. */
static char *
path_clean(const char *path)
{
	char *out = conf_xcalloc(strlen(path) + 2, 1);
	size_t o = 0, keep = 0;	/* keep: length that ".." may not cut */
	const char *s = path, *e;
	bool abs = path[0] == '/';

	if (abs) {
		out[o++] = '/';
		keep = 1;
	}
	while (*s != '\0') {
		while (*s == '/')
			s++;
		if (*s == '\0')
			break;
		e = strchr(s, '/');
		if (e == NULL)
			e = s + strlen(s);
		if (e - s == 1 && s[0] == '.') {
			/* nothing */
		} else if (e - s == 2 && s[0] == '.' && s[1] == '.' &&
		    o > keep) {
			while (o > keep && out[o - 1] != '/')
				o--;
			if (o > keep)
				o--;	/* the slash before the dropped part */
		} else if (e - s == 2 && s[0] == '.' && s[1] == '.' && abs) {
			/* "/.." is "/" */
		} else {
			if (o > 0 && out[o - 1] != '/')
				out[o++] = '/';
			memcpy(out + o, s, (size_t)(e - s));
			o += (size_t)(e - s);
			if (e - s == 2 && s[0] == '.' && s[1] == '.')
				keep = o;	/* relative path above its start */
		}
		s = e;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}

char *
conf_path_relative(const char *file, const char *pattern)
{
	const char *slash = strrchr(file, '/');
	size_t dlen;
	char *out;

	if (pattern[0] == '/' || slash == NULL)
		return conf_xstrdup(pattern);
	dlen = (size_t)(slash - file) + 1;
	out = conf_xcalloc(dlen + strlen(pattern) + 1, 1);
	memcpy(out, file, dlen);
	strcpy(out + dlen, pattern);
	return out;
}

static const char *
conf_add_file(struct conf *c, const char *path)
{
	c->files = conf_xrealloc(c->files, c->nfiles + 1, sizeof(*c->files));
	c->files[c->nfiles] = conf_xstrdup(path);
	return c->files[c->nfiles++];
}

static struct conf_sect *
lex_sect(struct conf_lex *lx)
{
	return &lx->ld->p->sects[lx->sect];
}

static void lex_error(struct conf_lex *lx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An error at the line being read. */
static void
lex_error(struct conf_lex *lx, const char *fmt, ...)
{
	char msg[DIAG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(lx->ld->dl, DIAG_ERROR, lx->file, lx->lineno, "%s", msg);
}

/* "[kind args]" between t and e (e is past the last non-blank). */
static void
lex_header(struct conf_lex *lx, const char *t, const char *e)
{
	const char *q = memchr(t, ']', (size_t)(e - t)), *r;
	char *words[4], *inner, *tok, *save = NULL;
	struct conf_parse *p = lx->ld->p;
	struct conf_sect *s;
	int nw = 0;
	size_t i;

	lx->state = LEX_BAD;
	lx->last = -1;
	lx->last_include = false;
	if (q == NULL) {
		lex_error(lx, "section header without a closing ']'");
		return;
	}
	for (r = q + 1; r < e && is_blank((unsigned char)*r); r++)
		;
	if (r < e && *r != ';' && *r != '#') {
		lex_error(lx, "unexpected text after ']' in a section header");
		return;
	}
	inner = conf_xstrndup(t + 1, (size_t)(q - t - 1));
	for (tok = strtok_r(inner, " \t\f\v\r", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t\f\v\r", &save))
		if (nw < 4)
			words[nw++] = tok;
		else
			nw++;
	if (nw == 0) {
		lex_error(lx, "empty section header");
		goto out;
	}
	for (i = 0; i < sizeof(conf_kinds) / sizeof(conf_kinds[0]); i++)
		if (strcmp(conf_kinds[i].word, words[0]) == 0)
			break;
	if (i == sizeof(conf_kinds) / sizeof(conf_kinds[0])) {
		lex_error(lx, "unknown section kind '%s' (expected magsync, "
		    "channel, job, template or mapping_set)", words[0]);
		goto out;
	}
	if (nw - 1 != conf_kinds[i].nargs) {
		lex_error(lx, "wrong section header: write %s",
		    conf_kinds[i].usage);
		goto out;
	}
	if (conf_kinds[i].kind == CONF_K_MAGSYNC && lx->ld->depth > 0) {
		lex_error(lx, "[magsync] may only appear in the main file, not "
		    "in an included one");
		goto out;
	}
	if (nw > 1 && !name_ok(words[1])) {
		diag_add(lx->ld->dl, DIAG_ERROR, lx->file, lx->lineno,
		    "bad %s name '%s': use 1 to %d letters, digits, '.', "
		    "'_' or '-'", words[0], words[1], CONF_NAME_MAX);
		goto out;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->sects = conf_xrealloc(p->sects, p->cap, sizeof(*p->sects));
	}
	s = &p->sects[p->n];
	memset(s, 0, sizeof(*s));
	s->kind = conf_kinds[i].kind;
	s->name = nw > 1 ? conf_xstrdup(words[1]) : NULL;
	s->name2 = nw > 2 ? conf_xstrdup(words[2]) : NULL;
	s->file = lx->file;
	s->line = lx->lineno;
	s->mode = lx->mode;
	s->depth = lx->ld->depth;
	lx->sect = p->n++;
	lx->state = LEX_SECTION;
out:
	free(inner);
}

/* An indented line after a key line: part of that key's value. */
static void
lex_continuation(struct conf_lex *lx, const char *t, const char *e)
{
	struct conf_line *l;
	const char *c;
	size_t old;

	/* inline comment, as inih has it: ';' after whitespace */
	for (c = t + 1; c < e; c++)
		if (*c == ';' && is_blank((unsigned char)c[-1]))
			break;
	while (c > t && is_blank((unsigned char)c[-1]))
		c--;
	if (lx->last_include) {
		lex_error(lx, "include takes a single line (this indented "
		    "line would continue it)");
		return;
	}
	if (lx->state != LEX_SECTION || lx->last < 0)
		return;		/* its key line was already reported */
	l = &lex_sect(lx)->lines[lx->last];
	old = strlen(l->value);
	l->value = conf_xrealloc(l->value, old + (size_t)(c - t) + 2, 1);
	l->value[old] = '\n';
	memcpy(l->value + old + 1, t, (size_t)(c - t));
	l->value[old + 1 + (size_t)(c - t)] = '\0';
	if (l->cont_line == 0)
		l->cont_line = lx->lineno;
}

/* Does this line hold '=' or ':' before any inline comment? The same scan
 * inih makes, so that what we hand it always parses. */
static bool
has_separator(const char *t, const char *e)
{
	bool was_space = false;

	for (; t < e; t++) {
		if (*t == '=' || *t == ':')
			return true;
		if (was_space && *t == ';')
			return false;
		was_space = isspace((unsigned char)*t);
	}
	return false;
}

/* Classify one line [s, e) and fill str with what inih should see. */
static void
lex_line(struct conf_lex *lx, const char *s, const char *e, char *str,
    int num)
{
	const char *t = s;
	size_t n;

	while (t < e && is_blank((unsigned char)*t))
		t++;
	while (e > t && is_blank((unsigned char)e[-1]))
		e--;
	if (t == e) {
		lx->cont_ok = false;	/* a blank line ends a value */
		return;
	}
	if (*t == ';' || *t == '#')
		return;			/* comments, indented or not */
	if (*t == '[') {
		lx->cont_ok = false;
		lex_header(lx, t, e);
		return;
	}
	if (t > s && lx->cont_ok) {
		lex_continuation(lx, t, e);
		return;
	}
	lx->cont_ok = false;
	if (!has_separator(t, e)) {
		lex_error(lx, "expected 'key = value', a [section] header or "
		    "a comment");
		return;
	}
	n = (size_t)(e - t);
	if (num < 3 || n + 2 > (size_t)num) {
		diag_add(lx->ld->dl, DIAG_ERROR, lx->file, lx->lineno,
		    "line too long: %zu characters, at most %d in a key line "
		    "(lists and JSON may go on over indented lines)", n,
		    num < 3 ? 0 : num - 2);
		return;
	}
	memcpy(str, t, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	lx->cont_ok = true;
}

/* inih's reader: one line per call, counted here. */
static char *
conf_reader(char *str, int num, void *stream)
{
	struct conf_lex *lx = stream;
	const char *s, *e, *nl;

	if (lx->pos >= lx->len || num < 2)
		return NULL;
	s = lx->buf + lx->pos;
	nl = memchr(s, '\n', lx->len - lx->pos);
	e = nl != NULL ? nl : lx->buf + lx->len;
	lx->pos = (size_t)(e - lx->buf) + (nl != NULL);
	lx->lineno++;
	if (lx->lineno == 1 && e - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;		/* UTF-8 byte order mark */
	str[0] = '\n';
	str[1] = '\0';
	if (memchr(s, '\0', (size_t)(e - s)) != NULL) {
		lex_error(lx, "line contains a NUL byte");
		lx->cont_ok = false;
		return str;
	}
	lex_line(lx, s, e, str, num);
	return str;
}

static void
lex_include(struct conf_lex *lx, const char *value)
{
	bool ok = lx->state == LEX_PREAMBLE || (lx->state == LEX_SECTION &&
	    lex_sect(lx)->kind == CONF_K_MAGSYNC);

	if (lx->state == LEX_BAD)
		return;
	if (!ok) {
		lex_error(lx, "include must come before the first section or "
		    "inside [magsync]");
		return;
	}
	lx->last_include = true;
	if (*value == '\0') {
		lex_error(lx, "include needs a file name or a pattern");
		return;
	}
	if (lx->nincl == lx->inclcap) {
		lx->inclcap = lx->inclcap ? lx->inclcap * 2 : 4;
		lx->incl = conf_xrealloc(lx->incl, lx->inclcap,
		    sizeof(*lx->incl));
	}
	lx->incl[lx->nincl].pattern = conf_xstrdup(value);
	lx->incl[lx->nincl++].line = lx->lineno;
}

static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_lex *lx = user;
	struct conf_sect *s;
	struct conf_line *l;
	size_t i;

	(void)section;		/* ours is lx->sect: see the top of the file */
	lx->last = -1;
	lx->last_include = false;
	if (*name == '\0') {
		lex_error(lx, "missing key name before '='");
		return 1;
	}
	if (strcmp(name, "include") == 0) {
		lex_include(lx, value);
		return 1;
	}
	if (lx->state == LEX_BAD)
		return 1;	/* its header was reported */
	if (lx->state == LEX_PREAMBLE) {
		lex_error(lx, "key '%s' outside any section (only include may "
		    "come before the first [section])", name);
		return 1;
	}
	s = lex_sect(lx);
	for (i = 0; i < s->nlines; i++)
		if (strcmp(s->lines[i].key, name) == 0) {
			diag_add(lx->ld->dl, DIAG_ERROR, lx->file, lx->lineno,
			    "duplicate key '%s' (first at line %d)", name,
			    s->lines[i].line);
			return 1;
		}
	if (s->nlines == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->lines = conf_xrealloc(s->lines, s->cap, sizeof(*s->lines));
	}
	l = &s->lines[s->nlines];
	l->key = conf_xstrdup(name);
	l->value = conf_xstrdup(value);
	l->line = lx->lineno;
	l->cont_line = 0;
	lx->last = (long)s->nlines++;
	return 1;
}

static bool
has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static bool
seen(const struct conf_loader *ld, const char *clean)
{
	size_t i;

	for (i = 0; i < ld->nseen; i++)
		if (strcmp(ld->seen[i], clean) == 0)
			return true;
	return false;
}

/* One included path (a glob match or the plain name). */
static void
include_one(struct conf_loader *ld, const char *path, const char *from,
    int line)
{
	char *clean = path_clean(path);
	int i;

	for (i = 0; i <= ld->depth; i++)
		if (strcmp(ld->stack[i], clean) == 0) {
			diag_add(ld->dl, DIAG_ERROR, from, line,
			    "include cycle: %s is already being read", clean);
			goto out;
		}
	if (seen(ld, clean)) {
		diag_add(ld->dl, DIAG_ERROR, from, line,
		    "%s is included a second time", path);
		goto out;
	}
	if (ld->depth >= CONF_INCLUDE_DEPTH) {
		diag_add(ld->dl, DIAG_ERROR, from, line,
		    "includes nested more than %d deep", CONF_INCLUDE_DEPTH);
		goto out;
	}
	ld->depth++;
	ld->stack[ld->depth] = clean;
	/* Read and report it by its clean name: "a/../b" would only puzzle. */
	conf_parse_file(ld, clean, clean, from, line);
	ld->depth--;
out:
	free(clean);
}

static void
include_expand(struct conf_loader *ld, const char *from,
    const struct conf_incl *in)
{
	char *rel = conf_path_relative(from, in->pattern);
	char *pat = path_clean(rel);
	char **paths = NULL;
	size_t n = 0, i;
	int rc;

	free(rel);
	if (!has_glob(in->pattern)) {
		include_one(ld, pat, from, in->line);
		free(pat);
		return;
	}
	rc = ld->io->glob(ld->io->ctx, pat, &paths, &n);
	if (rc < 0) {
		diag_add(ld->dl, DIAG_ERROR, from, in->line,
		    "include %s: %s", pat, strerror(-rc));
		n = 0;
	}
	/* No match is fine: an empty conf.d is a normal state. */
	for (i = 0; i < n; i++) {
		include_one(ld, paths[i], from, in->line);
		free(paths[i]);
	}
	free(paths);
	free(pat);
}

/* Read one file; from/from_line name the include line (NULL for the main
 * file). Returns 0 or -1 when the file could not be read. */
static int
conf_parse_file(struct conf_loader *ld, const char *path, const char *clean,
    const char *from, int from_line)
{
	struct conf_lex lx;
	char *buf = NULL;
	size_t len = 0, i;
	int rc;

	memset(&lx, 0, sizeof(lx));
	rc = ld->io->read_file(ld->io->ctx, path, &buf, &len);
	if (rc < 0) {
		if (from != NULL)
			diag_add(ld->dl, DIAG_ERROR, from, from_line,
			    "include %s: %s", path, strerror(-rc));
		else
			diag_add(ld->dl, DIAG_ERROR, path, 0,
			    "cannot read: %s", strerror(-rc));
		return -1;
	}
	ld->seen = conf_xrealloc(ld->seen, ld->nseen + 1, sizeof(*ld->seen));
	ld->seen[ld->nseen++] = conf_xstrdup(clean);
	lx.ld = ld;
	lx.file = conf_add_file(ld->c, path);
	if (ld->io->file_mode == NULL ||
	    ld->io->file_mode(ld->io->ctx, path, &lx.mode) < 0)
		lx.mode = CONF_MODE_UNKNOWN;
	lx.buf = buf;
	lx.len = len;
	lx.state = LEX_PREAMBLE;
	lx.last = -1;
	rc = ini_parse_stream(conf_reader, &lx, conf_handler, &lx);
	if (rc < 0)
		diag_add(ld->dl, DIAG_ERROR, lx.file, 0,
		    "ini parser failed (%d)", rc);
	else if (rc > 0)
		/* A line we passed on that inih refused: not expected, as we
		 * hand it only what its own scan accepts. */
		diag_add(ld->dl, DIAG_ERROR, lx.file, rc, "syntax error");
	free(buf);
	for (i = 0; i < lx.nincl; i++) {
		include_expand(ld, lx.file, &lx.incl[i]);
		free(lx.incl[i].pattern);
	}
	free(lx.incl);
	return 0;
}

int
conf_parse_files(struct conf *c, const char *path, const struct conf_io *io,
    struct diag_list *dl, struct conf_parse *p)
{
	struct conf_loader ld;
	size_t i;
	int rc;

	memset(&ld, 0, sizeof(ld));
	ld.c = c;
	ld.io = io;
	ld.dl = dl;
	ld.p = p;
	ld.stack[0] = path_clean(path);
	rc = conf_parse_file(&ld, path, ld.stack[0], NULL, 0);
	free(ld.stack[0]);
	for (i = 0; i < ld.nseen; i++)
		free(ld.seen[i]);
	free(ld.seen);
	return rc;
}

void
conf_parse_free(struct conf_parse *p)
{
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		struct conf_sect *s = &p->sects[i];

		for (j = 0; j < s->nlines; j++) {
			free(s->lines[j].key);
			/* may be an inline secret */
			conf_secret_free(s->lines[j].value);
		}
		free(s->lines);
		free(s->name);
		free(s->name2);
	}
	free(p->sects);
	p->sects = NULL;
	p->n = p->cap = 0;
}
