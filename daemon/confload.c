/* confload.c - the file system behind struct conf_io. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "confload.h"
#include "tmpl.h"
#include "tzload.h"

/* An ini or secret file bigger than this is a mistake (a log file named by
 * accident), not something to read into memory. */
#define CONFLOAD_MAX_FILE	(16 * 1024 * 1024)

static int
io_read_file(void *ctx, const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t n = 0;
	ssize_t r;
	char *b;
	int fd, rc;

	(void)ctx;
	/* O_NONBLOCK: a FIFO named by mistake must not hang the load. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto fail_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto fail_fd;
	}
	if (st.st_size > CONFLOAD_MAX_FILE) {
		rc = -EFBIG;
		goto fail_fd;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = -ENOMEM;
		goto fail_fd;
	}
	/* Read what is there now; a file that grows meanwhile is cut at
	 * the size it had. */
	while (n < (size_t)st.st_size) {
		r = read(fd, b + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			free(b);
			goto fail_fd;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
fail_fd:
	close(fd);
	return rc;
}

static int
cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
io_glob(void *ctx, const char *pattern, char ***paths, size_t *n)
{
	glob_t g;
	size_t i;
	int rc;

	(void)ctx;
	*paths = NULL;
	*n = 0;
	memset(&g, 0, sizeof(g));
	/* Sorted below by bytes, whatever the locale's collation. */
	rc = glob(pattern, GLOB_NOSORT, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		globfree(&g);
		return 0;
	}
	if (rc != 0) {
		globfree(&g);
		return rc == GLOB_NOSPACE ? -ENOMEM : -EIO;
	}
	if ((*paths = calloc(g.gl_pathc ? g.gl_pathc : 1,
	    sizeof(**paths))) == NULL) {
		globfree(&g);
		return -ENOMEM;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		if (((*paths)[i] = strdup(g.gl_pathv[i])) == NULL) {
			while (i-- > 0)
				free((*paths)[i]);
			free(*paths);
			*paths = NULL;
			globfree(&g);
			return -ENOMEM;
		}
	}
	*n = g.gl_pathc;
	globfree(&g);
	qsort(*paths, *n, sizeof(**paths), cmp_path);
	return 0;
}

static int
io_file_mode(void *ctx, const char *path, unsigned *mode)
{
	struct stat st;

	(void)ctx;
	if (stat(path, &st) < 0)
		return -errno;
	*mode = (unsigned)st.st_mode & 07777;
	return 0;
}

static int
io_exists(void *ctx, const char *path)
{
	struct stat st;

	(void)ctx;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static struct tz *
io_load_tz(void *ctx, const char *name, char *err, size_t errlen)
{
	(void)ctx;
	return tzload(name, err, errlen);
}

struct conf *
confload(const char *path, struct diag_list *dl)
{
	struct conf_io io;
	struct conf *c;
	const char *creds = getenv("CREDENTIALS_DIRECTORY");

	memset(&io, 0, sizeof(io));
	io.read_file = io_read_file;
	io.glob = io_glob;
	io.file_mode = io_file_mode;
	io.exists = io_exists;
	io.load_tz = io_load_tz;
	io.ctx = NULL;
	io.credentials_dir = creds != NULL && *creds != '\0' ? creds : NULL;
	c = conf_load(path, &io, dl);
	/* Templates are checked against the process catalogues only once
	 * the sections they refer to are known to be sound; a config the
	 * daemon would refuse at reload is refused everywhere. */
	if (c != NULL && tmpl_check_conf(c, dl) > 0) {
		conf_free(c);
		c = NULL;
	}
	return c;
}
