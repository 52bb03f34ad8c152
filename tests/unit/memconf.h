/* memconf.h - an in-memory file system behind struct conf_io, so that
 * magsync.ini loads without files: tests/unit/test_conf.c and
 * tests/fuzz/fuzz_conf.c (which test_fuzz_replay.c compiles together with
 * other targets, hence the memconf_ prefix on every name).
 *
 * Files are added with their permission bits; a file whose text is NULL
 * exists but cannot be read. Zones: UTC (also the system zone) and
 * Europe/Berlin; any other name is refused. */
#ifndef MS_TESTS_MEMCONF_H
#define MS_TESTS_MEMCONF_H

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "tz.h"

#define MEMCONF_FILES 16

struct memconf_file {
	const char *path;	/* borrowed */
	const char *text;	/* borrowed; NULL: exists but cannot be read */
	size_t len;		/* 0: strlen(text) */
	unsigned mode;
};

struct memconf {
	struct memconf_file f[MEMCONF_FILES];
	size_t n;
	int tz_calls;			/* zones asked for */
	const char *tz_asked;		/* the last name asked for */
};

static const struct memconf_file *
memconf_find(const struct memconf *fs, const char *path)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->f[i].path, path) == 0)
			return &fs->f[i];
	return NULL;
}

static int
memconf_read(void *ctx, const char *path, char **buf, size_t *len)
{
	const struct memconf_file *f = memconf_find(ctx, path);
	size_t n;

	if (f == NULL)
		return -ENOENT;
	if (f->text == NULL)
		return -EACCES;
	n = f->len ? f->len : strlen(f->text);
	if ((*buf = malloc(n + 1)) == NULL)
		return -ENOMEM;
	memcpy(*buf, f->text, n);
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

static int
memconf_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
memconf_glob(void *ctx, const char *pattern, char ***paths, size_t *n)
{
	const struct memconf *fs = ctx;
	size_t i;

	*n = 0;
	if ((*paths = calloc(MEMCONF_FILES, sizeof(**paths))) == NULL)
		return -ENOMEM;
	for (i = 0; i < fs->n; i++) {
		if (fnmatch(pattern, fs->f[i].path, FNM_PATHNAME) != 0)
			continue;
		if (((*paths)[*n] = strdup(fs->f[i].path)) == NULL) {
			while (*n > 0)
				free((*paths)[--*n]);
			free(*paths);
			*paths = NULL;
			return -ENOMEM;
		}
		(*n)++;
	}
	qsort(*paths, *n, sizeof(**paths), memconf_cmp);
	return 0;
}

static int
memconf_mode(void *ctx, const char *path, unsigned *mode)
{
	const struct memconf_file *f = memconf_find(ctx, path);

	if (f == NULL)
		return -ENOENT;
	*mode = f->mode;
	return 0;
}

static int
memconf_exists(void *ctx, const char *path)
{
	return memconf_find(ctx, path) != NULL;
}

static struct tz *
memconf_tz(void *ctx, const char *name, char *err, size_t errlen)
{
	struct memconf *fs = ctx;

	fs->tz_calls++;
	fs->tz_asked = name;
	if (name == NULL || strcmp(name, "UTC") == 0)
		return tz_utc();
	if (strcmp(name, "Europe/Berlin") == 0)
		return tz_from_posix(name, "CET-1CEST,M3.5.0,M10.5.0/3", err,
		    errlen);
	snprintf(err, errlen, "no such zone");
	return NULL;
}

/* Add a file of len bytes (0: strlen(text)); path and text are borrowed
 * until the last load. Aborts when the table is full: a test's mistake. */
static inline void
memconf_add_n(struct memconf *fs, const char *path, const char *text,
    size_t len, unsigned mode)
{
	if (fs->n == MEMCONF_FILES)
		abort();
	fs->f[fs->n].path = path;
	fs->f[fs->n].text = text;
	fs->f[fs->n].len = len;
	fs->f[fs->n++].mode = mode;
}

static inline void
memconf_add(struct memconf *fs, const char *path, const char *text,
    unsigned mode)
{
	memconf_add_n(fs, path, text, 0, mode);
}

/* The conf_io reading fs; creds is the credentials directory (or NULL). */
static inline struct conf_io
memconf_io(struct memconf *fs, const char *creds)
{
	struct conf_io io = {
		.read_file = memconf_read,
		.glob = memconf_glob,
		.file_mode = memconf_mode,
		.exists = memconf_exists,
		.load_tz = memconf_tz,
		.ctx = fs,
		.credentials_dir = creds,
	};

	return io;
}

#endif
