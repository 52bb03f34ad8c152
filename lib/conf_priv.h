/* conf_priv.h - what the three files of the conf module share (conf.c builds
 * the model, conf_parse.c reads files into raw sections, conf_keys.c holds
 * the key tables and value parsers). Not installed; nothing here is
 * exported from libmagsync. */
#ifndef MS_CONF_PRIV_H
#define MS_CONF_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* Permission bits not known (the file could not be stat'ed). */
#define CONF_MODE_UNKNOWN	0xffffffffu

enum conf_kind {
	CONF_K_MAGSYNC,
	CONF_K_CHANNEL,
	CONF_K_JOB,
	CONF_K_TEMPLATE,
	CONF_K_MAPPING_SET
};

/* One "key = value" line as read, before validation. */
struct conf_line {
	char *key;		/* new */
	char *value;		/* new; continuation lines joined by '\n' */
	int line;
	int cont_line;		/* first continuation line, 0 when none */
};

/* One section as read. */
struct conf_sect {
	enum conf_kind kind;
	char *name;		/* new; channel, template or set name; job: channel */
	char *name2;		/* new; job: the process as written; else NULL */
	const char *file;	/* borrowed from struct conf's file list */
	int line;		/* of the header */
	unsigned mode;		/* permission bits of its file, or CONF_MODE_UNKNOWN */
	int depth;		/* 0: the main file; n: included n levels deep */
	struct conf_line *lines;
	size_t nlines, cap;
};

struct conf_parse {
	struct conf_sect *sects;
	size_t n, cap;
};

/* Read path and every file it includes into p (sections in reading order),
 * adding each file read to c->files. Every problem goes to dl. Returns 0,
 * or -1 when the main file itself could not be read. */
int conf_parse_files(struct conf *c, const char *path,
    const struct conf_io *io, struct diag_list *dl, struct conf_parse *p);
void conf_parse_free(struct conf_parse *p);

/* path as seen from the directory of file (path itself when absolute or
 * when file has no directory part). New. */
char *conf_path_relative(const char *file, const char *path);

/* Value types of the key tables. */
enum conf_type {
	CONF_T_TEXT,		/* as written */
	CONF_T_URL,		/* http(s)://..., stored without trailing '/' */
	CONF_T_FIELD,		/* a source field name, json:PATH or none */
	CONF_T_LIST,		/* items split on ',' and lines, stored "a,b,c" */
	CONF_T_BOOL,		/* yes/no/true/false/on/off/1/0 */
	CONF_T_INT,		/* whole number in min..max */
	CONF_T_DAYS,		/* CONF_T_INT or "indefinitely" (-1) */
	CONF_T_DURATION,	/* seconds > 0, cron_duration syntax */
	CONF_T_DURATION0,	/* seconds >= 0 */
	CONF_T_SIZE,		/* bytes, binary k/M/G multiples, in min..max */
	CONF_T_ENUM,		/* one of values[]; num is its index */
	CONF_T_JSON		/* a JSON object */
};

#define CONF_F_REQUIRED		0x1u	/* a missing key is an error */
#define CONF_F_MULTILINE	0x2u	/* continuation lines allowed */
#define CONF_F_SECRET		0x4u	/* the value is never echoed */

struct conf_key {
	const char *name;
	enum conf_type type;
	const char *def;		/* default as text; NULL: none */
	int64_t min, max;		/* CONF_T_INT, CONF_T_DAYS, CONF_T_SIZE */
	const char *const *values;	/* CONF_T_ENUM: NULL-terminated */
	unsigned flags;
};

struct conf_keytab {
	const struct conf_key *keys;
	size_t n;
};

/* A key's parsed value. */
struct conf_val {
	const struct conf_line *src;	/* borrowed; NULL: the default */
	int64_t num;			/* numbers, booleans, enum index */
	char *text;			/* new; normalised text; NULL: absent */
};

const struct conf_keytab *conf_keys_magsync(void);
const struct conf_keytab *conf_keys_channel(void);
const struct conf_keytab *conf_keys_job(void);
const struct conf_keytab *conf_keys_proc(enum proc p);
const struct conf_key *conf_key_find(const struct conf_keytab *t,
    const char *name);

/* Fill vals[i] for every key of t from the lines of s that name it, and
 * from defaults for the rest. Reports bad values at their line and missing
 * required keys at the header; lines naming other keys are left alone.
 * vals must hold t->n entries; free them with conf_vals_free. Returns the
 * number of errors reported. */
int conf_vals_fill(const struct conf_sect *s, const struct conf_keytab *t,
    struct conf_val *vals, struct diag_list *dl);
void conf_vals_free(struct conf_val *vals, size_t n);

/* Parse a boolean word; 0 and *out, or -1. */
int conf_bool(const char *s, bool *out);

/* Allocation that cannot fail: out of memory aborts, like diag_add (a
 * loader that cannot record its errors has nothing sane left to do). */
void *conf_xcalloc(size_t n, size_t size);
void *conf_xrealloc(void *p, size_t n, size_t size);
char *conf_xstrdup(const char *s);
char *conf_xstrndup(const char *s, size_t n);

/* Overwrite and free a secret. */
void conf_secret_free(char *s);

#endif
