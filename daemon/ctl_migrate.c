/* ctl_migrate.c - `magsyncctl migrate [--database CONNINFO]`: apply the
 * pending schema migrations and say what was applied.
 *
 * The database comes from --database, else $MAGSYNC_DATABASE, else the
 * config's [magsync] database. The first two let an installer create the
 * schema before any config exists and keep this command usable when the
 * config has errors unrelated to the database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "conf.h"
#include "ctl.h"
#include "ctl_util.h"
#include "db.h"
#include "migrate.h"

struct ctl_migrate {
	struct db *db;
	int status;		/* exit status */
	int over;		/* the outcome is printed */
};

static void
migrate_usage(void)
{
	fprintf(stderr, "usage: magsyncctl migrate [--database CONNINFO]\n");
}

static void
on_applied(int version, const char *name, void *arg)
{
	(void)version;
	(void)arg;
	printf("applied %s\n", name);
	fflush(stdout);
}

static void
on_done(const struct migrate_status *st, int napplied, const char *err,
    void *arg)
{
	struct ctl_migrate *m = arg;

	m->over = 1;
	if (err != NULL) {
		fprintf(stderr, "magsyncctl: migrate: %s\n", err);
		m->status = 1;
	} else {
		if (napplied == 0)
			printf("schema is up to date (version %d)\n",
			    st->current);
		m->status = 0;
	}
	db_free(m->db);
}

static void
on_state(struct db *db, int up, const char *err, void *arg)
{
	struct ctl_migrate *m = arg;
	int rc;

	if (m->over)
		return;
	if (up) {
		if ((rc = migrate_run(db, on_applied, on_done, m)) == 0)
			return;
		fprintf(stderr, "magsyncctl: migrate: cannot start: %s\n",
		    strerror(-rc));
	} else {
		fprintf(stderr, "magsyncctl: migrate: cannot connect to the "
		    "database: %s\n", err);
	}
	m->over = 1;
	m->status = 1;
	db_free(db);
}

/* The conninfo to use, new; NULL after printing why. */
static char *
migrate_conninfo(struct ctl *c)
{
	const char *given = NULL, *conninfo;
	struct conf *cf;
	char *s = NULL;
	int i;

	for (i = 1; i < c->argc; i++)
		if (ctlu_opt(c, &i, "--database", &given) <= 0) {
			migrate_usage();
			return NULL;
		}
	if (ctlu_database("migrate", c->config_path, given, &conninfo,
	    &cf) < 0)
		return NULL;
	if (cf != NULL && (conninfo == NULL || *conninfo == '\0'))
		fprintf(stderr, "magsyncctl: migrate: %s: no database in "
		    "[magsync]\n", c->config_path);
	else if ((s = strdup(conninfo)) == NULL)
		fprintf(stderr, "magsyncctl: migrate: out of memory\n");
	conf_free(cf);
	return s;
}

int
ctl_migrate(struct ctl *c)
{
	struct ctl_migrate m = { .status = 1 };
	uv_loop_t loop;
	char *conninfo;
	int rc;

	if ((conninfo = migrate_conninfo(c)) == NULL)
		return 1;
	if ((rc = uv_loop_init(&loop)) != 0) {
		fprintf(stderr, "magsyncctl: migrate: %s\n", uv_strerror(rc));
		free(conninfo);
		return 1;
	}
	m.db = db_new(&loop, conninfo, 0, on_state, &m);
	explicit_bzero(conninfo, strlen(conninfo));
	free(conninfo);
	if (m.db == NULL) {
		fprintf(stderr, "magsyncctl: migrate: out of memory\n");
		m.status = 1;
	} else if ((rc = uv_run(&loop, UV_RUN_DEFAULT)) != 0 && !m.over) {
		fprintf(stderr, "magsyncctl: migrate: loop: %s\n",
		    uv_strerror(rc));
		m.status = 1;
	}
	if ((rc = uv_loop_close(&loop)) != 0) {
		fprintf(stderr, "magsyncctl: migrate: loop did not close: %s\n",
		    uv_strerror(rc));
		m.status = 1;
	}
	return m.status;
}
