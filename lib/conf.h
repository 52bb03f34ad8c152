/* conf.h - the magsync.ini model: parse, validate whole, report every
 * problem as FILE:LINE: message.
 *
 * lib/ does no I/O: the caller hands in a conf_io that reads files, expands
 * globs, stats modes and loads zones. The model is plain read-only data once
 * loaded; secrets live only in struct conf_channel's secret fields and must
 * never be printed. */
#ifndef MS_CONF_H
#define MS_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "export.h"
#include "proc.h"

struct cron;
struct tz;

/* How conf reaches the outside world. Every hook returns 0 or a negative
 * errno value. */
struct conf_io {
	/* Read a whole file; *buf new (caller frees), NUL-terminated. */
	int (*read_file)(void *ctx, const char *path, char **buf, size_t *len);
	/* Expand a glob; *paths new array of new strings, sorted; *n entries.
	 * No match is success with *n == 0. */
	int (*glob)(void *ctx, const char *pattern, char ***paths, size_t *n);
	/* Permission bits of a file (st_mode & 07777). */
	int (*file_mode)(void *ctx, const char *path, unsigned *mode);
	/* 1 if path names an existing regular file, else 0. */
	int (*exists)(void *ctx, const char *path);
	/* Load a zone by name (NULL: the system zone). New, or NULL with err. */
	struct tz *(*load_tz)(void *ctx, const char *name, char *err,
	    size_t errlen);
	void *ctx;
	const char *credentials_dir;	/* $CREDENTIALS_DIRECTORY or NULL */
};

/* One "key = value" line as written, with where it was written. In job
 * settings, list values are normalised to "a,b,c" (no spaces, no empty
 * items) and continuation lines are joined (JSON keeps its line breaks). */
struct conf_kv {
	char *key, *value;	/* owned */
	const char *file;	/* borrowed from struct conf's file list */
	int line;
};

enum conf_log_level { CONF_LOG_ERROR, CONF_LOG_WARNING, CONF_LOG_INFO,
	CONF_LOG_DEBUG };
enum conf_auth { CONF_AUTH_BEARER, CONF_AUTH_OAUTH1 };
enum conf_inventory { CONF_INV_AUTO, CONF_INV_MSI, CONF_INV_LEGACY };

struct conf_global {
	char *database;			/* libpq conninfo or URI */
	char *timezone;			/* NULL: system zone */
	enum conf_log_level log_level;
	int64_t stop_timeout;		/* seconds */
	int64_t log_retention;		/* seconds */
};

struct conf_channel {
	char *name;
	const char *file;
	int line;			/* of the section header */
	char *store_url;		/* without trailing '/' */
	char *store_code;		/* default "default" */
	enum conf_auth auth;
	/* Secrets, loaded from files (or inline, with a warning). Never log. */
	char *access_token, *access_token_secret;
	char *consumer_key, *consumer_secret;
	int page_size;			/* default 250, 1..10000 */
	int max_concurrency;		/* default 4, 1..64 */
	int64_t request_timeout;	/* seconds, default 60 */
	int retry_attempts;		/* per request, default 5, 1..20 */
	int64_t max_response_bytes;	/* default 64 MiB */
	bool verify_tls;		/* default yes */
	bool override_images;		/* default no */
	enum conf_inventory inventory;	/* default auto */
	char *sources;			/* MSI source codes, comma list; NULL all */
};

struct conf_job {
	struct conf_channel *channel;	/* borrowed, same conf */
	enum proc process;
	const char *file;
	int line;			/* of the section header; 0 implicit */
	char *schedule_text;
	struct cron *schedule;		/* owned, compiled */
	bool enabled;			/* default yes */
	bool catch_up;			/* default yes */
	int64_t jitter;			/* seconds, default 0 */
	char *template_name;		/* default "<process>.default" */
	struct conf_kv *settings;	/* process keys as written */
	size_t nsettings;
};

struct conf_template {
	char *name;
	enum proc process;
	char *base;			/* NULL: none */
	const char *file;
	int line;
	struct conf_kv *lines;		/* every key but process and base */
	size_t nlines;
};

struct conf_mapping_set {
	char *name;
	const char *file;
	int line;
	struct conf_kv *entries;	/* "*" is the default entry */
	size_t nentries;
};

struct conf {
	char *path;			/* as given */
	char **files;			/* every file read, owned */
	size_t nfiles;
	struct conf_global global;
	struct tz *tz;			/* owned: the schedule zone */
	struct conf_channel *channels;
	size_t nchannels;
	struct conf_job *jobs;		/* incl. each channel's implicit pii_retention;
					 * ordered by channel, then process */
	size_t njobs;
	struct conf_template *templates;
	size_t ntemplates;
	struct conf_mapping_set *sets;
	size_t nsets;
};

/* Load path and everything it includes. Appends every error and warning to
 * dl, sorted by file (in reading order) and line. Returns a new conf
 * (conf_free) when there is no error, else NULL. No message ever holds a
 * secret's value. Out of memory aborts, as in diag_add. */
MS_EXPORT struct conf *conf_load(const char *path, const struct conf_io *io,
    struct diag_list *dl);
MS_EXPORT void conf_free(struct conf *c);

MS_EXPORT const struct conf_channel *conf_channel(const struct conf *c,
    const char *name);
MS_EXPORT const struct conf_job *conf_job(const struct conf *c,
    const char *channel, enum proc p);
MS_EXPORT const struct conf_template *conf_template(const struct conf *c,
    const char *name);
MS_EXPORT const struct conf_mapping_set *conf_mapping_set(const struct conf *c,
    const char *name);

/* Process settings of a job, already validated at load, with the table's
 * default when absent. key must be one of the process's keys (else abort:
 * a programming error), and of the function's type: conf_job_str takes
 * any key (borrowed text; "" for an empty default such as statuses);
 * conf_job_int whole numbers (get_orders pii_retention: -1 for
 * "indefinitely"); conf_job_bool booleans; conf_job_secs durations. */
MS_EXPORT const char *conf_job_str(const struct conf_job *j, const char *key);
MS_EXPORT int64_t conf_job_int(const struct conf_job *j, const char *key);
MS_EXPORT bool conf_job_bool(const struct conf_job *j, const char *key);
MS_EXPORT int64_t conf_job_secs(const struct conf_job *j, const char *key);

#endif
