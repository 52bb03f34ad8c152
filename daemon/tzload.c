/* tzload.c - read zoneinfo files for lib/tz. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tz.h"
#include "tzload.h"

#define TZLOAD_DIR "/usr/share/zoneinfo"
#define TZLOAD_LOCALTIME "/etc/localtime"
/* The largest real TZif file is a few kB; anything huge is not one. */
#define TZLOAD_MAX_BYTES (1024 * 1024)

/* Read a whole regular file. Returns 0 with *data (new) and *len, or -1
 * with errno set (EFBIG for oversized, EISDIR for a directory such as
 * "Europe", EINVAL for other non-regular files). */
static int
read_file(const char *path, unsigned char **data, size_t *len)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	if (st.st_size > TZLOAD_MAX_BYTES) {
		errno = EFBIG;
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	while (got <= (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > (size_t)st.st_size) {
		errno = EFBIG;	/* grew while we read it */
		goto fail;
	}
	close(fd);
	*data = buf;
	*len = got;
	return 0;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return -1;
}

static struct tz *
load_path(const char *name, const char *path, char *err, size_t errlen)
{
	unsigned char *data;
	size_t len;
	struct tz *z;
	char why[200];

	if (read_file(path, &data, &len) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			snprintf(err, errlen, "unknown time zone \"%s\" (no %s)",
			    name, path);
		else if (errno == EISDIR)
			snprintf(err, errlen, "unknown time zone \"%s\" (%s is "
			    "a directory of zones)", name, path);
		else
			snprintf(err, errlen, "time zone \"%s\": %s: %s", name,
			    path, strerror(errno));
		return NULL;
	}
	z = tz_from_tzif(name, data, len, why, sizeof(why));
	free(data);
	if (z == NULL)
		snprintf(err, errlen, "time zone \"%s\": %s: %s", name, path,
		    why);
	return z;
}

static struct tz *
load_name(const char *name, char *err, size_t errlen)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX];

	if (strcmp(name, "UTC") == 0)
		return tz_utc();
	if (!tz_name_valid(name)) {
		snprintf(err, errlen, "invalid time zone name \"%s\"", name);
		return NULL;
	}
	if (dir == NULL || *dir == '\0')
		dir = TZLOAD_DIR;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		snprintf(err, errlen, "time zone \"%s\": path too long", name);
		return NULL;
	}
	return load_path(name, path, err, errlen);
}

/* $TZ the way the C library reads it: a zone name, else a POSIX rule. */
static struct tz *
load_env(const char *tz, char *err, size_t errlen)
{
	const char *name = *tz == ':' ? tz + 1 : tz;
	struct tz *z;
	char why[200];

	if (tz_name_valid(name) && (z = load_name(name, err, errlen)) != NULL)
		return z;
	if (*tz != ':' && (z = tz_from_posix(tz, tz, why, sizeof(why))) !=
	    NULL)
		return z;
	snprintf(err, errlen, "TZ=\"%s\" is neither a known zone nor a POSIX "
	    "TZ rule", tz);
	return NULL;
}

static struct tz *
load_system(char *err, size_t errlen)
{
	char target[PATH_MAX];
	const char *name = "localtime", *p;
	ssize_t n;
	struct stat st;

	if (stat(TZLOAD_LOCALTIME, &st) < 0 && errno == ENOENT)
		return tz_utc();
	n = readlink(TZLOAD_LOCALTIME, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		/* ".../zoneinfo/Europe/Berlin" -> "Europe/Berlin" */
		if ((p = strstr(target, "zoneinfo/")) != NULL &&
		    tz_name_valid(p + 9))
			name = p + 9;
	}
	return load_path(name, TZLOAD_LOCALTIME, err, errlen);
}

struct tz *
tzload(const char *name, char *err, size_t errlen)
{
	const char *env;

	if (name != NULL)
		return load_name(name, err, errlen);
	env = getenv("TZ");
	if (env != NULL && *env != '\0')
		return load_env(env, err, errlen);
	return load_system(err, errlen);
}
