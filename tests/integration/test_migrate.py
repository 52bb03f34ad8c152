"""magsyncctl migrate: applies the compiled-in sql/NNN_*.sql once each, is a
no-op the second time, is safe when several run at once, refuses a database
newer than itself, and rolls a failed migration back whole."""
import glob
import os
import subprocess

import harness

SQL_DIR = os.path.join(harness.TOP, "sql")
LOCK_KEY = "7881694568531256097"   # migrate.h MIGRATE_LOCK_KEY


def migrations():
    """[(version, name)] of the files in sql/, in order."""
    out = []
    for p in sorted(glob.glob(os.path.join(SQL_DIR, "[0-9]*_*.sql"))):
        name = os.path.basename(p)[:-4]
        out.append((int(name.split("_", 1)[0]), name))
    return out


def latest():
    return migrations()[-1][0]


def migrate(t, *extra, env=None):
    return t.ctl("migrate", "--database", t.conninfo, *extra, env=env)


def applied_rows(t):
    return [(int(v), n) for v, n in t.psql(
        "SELECT version, name FROM magsync.schema_migrations ORDER BY 1")]


def test_migrate_applies(t):
    t.createdb()
    r = migrate(t)
    t.eq(r.returncode, 0, "exit status (stderr: %s)" % r.stderr)
    want = "".join("applied %s\n" % n for _, n in migrations())
    t.eq(r.stdout, want, "stdout")
    # The binary's compiled-in list is exactly the files in sql/.
    t.eq(applied_rows(t), migrations(), "schema_migrations")
    t.eq(t.one("SELECT count(*) FROM magsync.schema_migrations "
               "WHERE applied_at > now() - interval '5 minutes'"),
         str(len(migrations())), "applied_at is recent")


def test_migrate_second_run_is_a_noop(t):
    t.createdb()
    r = migrate(t)
    t.eq(r.returncode, 0, "first run: " + r.stderr)
    before = t.psql("SELECT version, applied_at FROM "
                    "magsync.schema_migrations ORDER BY 1")
    r = migrate(t)
    t.eq(r.returncode, 0, "second run: " + r.stderr)
    t.eq(r.stdout, "schema is up to date (version %d)\n" % latest(),
         "second stdout")
    after = t.psql("SELECT version, applied_at FROM "
                   "magsync.schema_migrations ORDER BY 1")
    t.eq(after, before, "schema_migrations unchanged")


def test_migrate_from_environment(t):
    t.createdb()
    r = t.ctl("migrate", env={"MAGSYNC_DATABASE": t.conninfo})
    t.eq(r.returncode, 0, "exit status: " + r.stderr)
    t.eq(applied_rows(t), migrations(), "schema_migrations")


def test_migrate_from_config(t):
    t.createdb()
    ini = t.write("magsync.ini", "[magsync]\ndatabase = %s\n" % t.conninfo)
    r = t.ctl("migrate", config=ini)
    t.eq(r.returncode, 0, "exit status: %s%s" % (r.stdout, r.stderr))
    t.eq(applied_rows(t), migrations(), "schema_migrations")


def test_migrate_concurrent(t):
    """Four migrate processes start while a fifth session holds the
    migration lock, so all of them see an empty database and then queue on
    the lock: exactly one applies each migration, all exit 0."""
    t.createdb()
    holder = subprocess.Popen(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d",
         t.dbname],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        holder.stdin.write("BEGIN;\nSELECT 'locked' FROM "
                           "pg_advisory_xact_lock(%s);\n" % LOCK_KEY)
        holder.stdin.flush()
        t.eq(holder.stdout.readline().strip(), "locked", "holder")
        argv = [t.bin("magsyncctl"), "migrate", "--database", t.conninfo]
        procs = [subprocess.Popen(argv, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True,
                                  env=t.env(), cwd=t.dir)
                 for _ in range(4)]
        t.wait_for(lambda: t.one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND NOT granted") == "4", timeout=30,
            what="four migrate runs waiting on the lock")
        holder.stdin.write("COMMIT;\n")
        holder.stdin.close()
        holder.wait(timeout=30)
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=60)
            t.eq(p.returncode, 0, "a concurrent migrate: " + err)
            outs.append(out)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    for _, name in migrations():
        n = sum(o.count("applied %s\n" % name) for o in outs)
        t.eq(n, 1, "runs that applied %s" % name)
    t.eq(sum(o.count("schema is up to date") for o in outs), 3,
         "runs that found nothing to do")
    t.eq(applied_rows(t), migrations(), "schema_migrations")


def test_migrate_concurrent_unsynchronised(t):
    """The same without a lock holder: whatever the interleaving, all
    succeed and each migration is applied once."""
    t.createdb()
    argv = [t.bin("magsyncctl"), "migrate", "--database", t.conninfo]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              env=t.env(), cwd=t.dir) for _ in range(6)]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        t.eq(p.returncode, 0, "a concurrent migrate: " + err)
        outs.append(out)
    t.eq(sum(o.count("applied 001_schema\n") for o in outs), 1,
         "runs that applied 001_schema")
    t.eq(applied_rows(t), migrations(), "schema_migrations")


def test_migrate_refuses_newer_database(t):
    t.createdb()
    t.eq(migrate(t).returncode, 0, "first migrate")
    future = latest() + 998
    t.psql("INSERT INTO magsync.schema_migrations (version, name) "
           "VALUES (%d, '%d_from_the_future')" % (future, future))
    r = migrate(t)
    t.eq(r.returncode, 1, "exit status")
    want = ("database schema version %d is newer than this magsyncctl "
            "(knows up to %d); upgrade magsync" % (future, latest()))
    assert want in r.stderr, "stderr: %r" % r.stderr
    t.eq(r.stdout, "", "stdout")


def test_migrate_failure_rolls_back(t):
    """A migration that fails leaves nothing behind: not its tables, not
    its schema_migrations row."""
    t.createdb()
    t.psql("CREATE SCHEMA magsync; CREATE TABLE magsync.listings (x int)")
    r = migrate(t)
    t.eq(r.returncode, 1, "exit status")
    assert "001_schema: " in r.stderr and "already exists" in r.stderr, \
        "stderr: %r" % r.stderr
    t.eq(r.stderr.count("\n"), 1, "one line of error")
    t.eq(t.one("SELECT to_regclass('magsync.schema_migrations') IS NULL "
               "AND to_regclass('magsync.jobs') IS NULL"), "t",
         "nothing of 001 is left")
    # Fixed by the operator, the next run applies it.
    t.psql("DROP TABLE magsync.listings")
    r = migrate(t)
    t.eq(r.returncode, 0, "after the fix: " + r.stderr)
    t.eq(applied_rows(t), migrations(), "schema_migrations")


def test_migrate_existing_schema_without_create_privilege(t):
    """A DBA created the schema for an owner that may not create schemas
    in the database: migrate still works."""
    t.createdb()
    role = "r_" + t.dbname
    t.psql("CREATE ROLE %s LOGIN" % role, db="postgres")
    try:
        t.psql("REVOKE CREATE ON DATABASE %s FROM PUBLIC; "
               "CREATE SCHEMA magsync AUTHORIZATION %s" % (t.dbname, role))
        conninfo = t.conninfo.replace("user=%s" % os.environ["PGUSER"],
                                      "user=%s" % role)
        r = t.ctl("migrate", "--database", conninfo)
        t.eq(r.returncode, 0, "exit status: " + r.stderr)
        t.eq(t.one("SELECT tableowner FROM pg_tables WHERE "
                   "schemaname = 'magsync' AND tablename = 'jobs'"), role,
             "owner of magsync.jobs")
    finally:
        t.psql("DROP OWNED BY %s" % role, check=False)
        t.psql("DROP ROLE IF EXISTS %s" % role, db="postgres", check=False)


def test_migrate_cannot_connect(t):
    r = t.ctl("migrate", "--database",
              "host=/nonexistent/dir port=1 password=hunter2")
    t.eq(r.returncode, 1, "exit status")
    assert "cannot connect to the database" in r.stderr, r.stderr
    assert "hunter2" not in r.stderr + r.stdout, "password in output"
    # A malformed string that holds a password: libpq would quote it.
    r = t.ctl("migrate", "--database", "host=x password hunter2 oops")
    t.eq(r.returncode, 1, "exit status (malformed)")
    assert "hunter2" not in r.stderr + r.stdout, "password in output"
    t.eq(r.stderr.count("\n"), 1, "one line: %r" % r.stderr)


def test_migrate_usage(t):
    r = t.ctl("migrate", "--frobnicate")
    t.eq(r.returncode, 1, "exit status")
    assert "usage" in r.stderr, r.stderr


test_migrate_concurrent.limit = 120
test_migrate_concurrent_unsynchronised.limit = 120


def test_migrate_status_for_the_daemon(t):
    """migrate_status (what magsyncd checks at start), through dbtool."""
    t.createdb()

    def status():
        r = subprocess.run([t.bin("tests/dbtool"), t.conninfo, "status"],
                           capture_output=True, text=True, env=t.env(),
                           timeout=60)
        return r.returncode, r.stdout.strip().splitlines()[-1]

    n = len(migrations())
    t.eq(status(), (0, "status current 0 latest %d pending %d too_new 0 ok"
                    % (latest(), n)), "empty database")
    t.eq(migrate(t).returncode, 0, "migrate")
    t.eq(status(), (0, "status current %d latest %d pending 0 too_new 0 ok"
                    % (latest(), latest())), "migrated")
    t.psql("INSERT INTO magsync.schema_migrations (version, name) "
           "VALUES (%d, 'x')" % (latest() + 1))
    rc, line = status()
    t.eq(rc, 1, "too new: exit status")
    assert ("database schema version %d is newer than this dbtool"
            % (latest() + 1)) in line and "too_new 1" in line, line
