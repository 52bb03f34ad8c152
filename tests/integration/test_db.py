"""daemon/db.c under load and faults, driven by tests/tools/dbtool.c:
pipelined queries, COPY, errors, db_free from callbacks, multi-host connect,
the connect deadline, secrets in errors, and reconnect across a PostgreSQL
restart (tests/pg.sh halt/resume on the cluster run.sh started)."""
import os
import socket
import subprocess
import time

import harness


def dbtool(t, conninfo, *args, timeout=180):
    r = subprocess.run([t.bin("tests/dbtool"), conninfo] + list(args),
                       capture_output=True, text=True, env=t.env(),
                       cwd=t.dir, timeout=timeout)
    return r


def ok(t, r, want):
    last = r.stdout.strip().splitlines()[-1:] or [""]
    assert r.returncode == 0 and last[0].startswith(want), \
        "exit %d, stdout:\n%s\nstderr:\n%s" % (r.returncode, r.stdout[-3000:],
                                              r.stderr[-3000:])


def test_db_pipelined_queries(t):
    t.createdb()
    ok(t, dbtool(t, t.conninfo, "queries", "20000"), "queries 20000 ok")


def test_db_copy(t):
    t.createdb()
    r = dbtool(t, t.conninfo, "copy", "300000")
    ok(t, r, "copy 300000 ok")
    assert "bad copy refused: invalid input syntax" in r.stdout, r.stdout


def test_db_errors_keep_the_connection(t):
    t.createdb()
    r = dbtool(t, t.conninfo, "errors")
    ok(t, r, "errors ok")


def test_db_free_inside_callbacks(t):
    t.createdb()
    ok(t, dbtool(t, t.conninfo, "free"), "free ok")


def test_db_multi_host_connect(t):
    """The first host refuses (TCP), libpq moves to the second with a new
    socket: the poll handle must follow."""
    t.createdb()
    conninfo = "host=127.0.0.1,%s port=%d,%s user=%s dbname=%s" % (
        os.environ["PGHOST"], harness.free_port(), os.environ["PGPORT"],
        os.environ["PGUSER"], t.dbname)
    ok(t, dbtool(t, conninfo, "connect"), "connect ok")
    uri = "postgresql:///%s?host=%s&port=%s&user=%s" % (
        t.dbname, os.environ["PGHOST"], os.environ["PGPORT"],
        os.environ["PGUSER"])
    ok(t, dbtool(t, uri, "connect"), "connect ok")


def test_db_connect_deadline(t):
    """A server that accepts and never answers: the connect gives up after
    10 s with a clear message."""
    path = t.path(".s.PGSQL.5999")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    try:
        t0 = time.time()
        r = dbtool(t, "host=%s port=5999 dbname=x" % t.dir, "connect",
                   timeout=60)
        took = time.time() - t0
    finally:
        srv.close()
    t.eq(r.returncode, 1, "exit status")
    assert "down: connection timed out after 10 s" in r.stdout, r.stdout
    assert 9.0 < took < 20.0, "took %.1f s" % took


test_db_connect_deadline.limit = 60


def test_db_errors_hold_no_secret(t):
    for conninfo in ["host=/nonexistent port=1 password=hunter2",
                     "host=x password = hunter2 stray",
                     "postgresql://u:hunter2@/db?bogus=1",
                     "postgresql://u:hunter2@[::1"]:
        r = dbtool(t, conninfo, "connect")
        t.eq(r.returncode, 1, "exit status for a bad conninfo")
        assert "hunter2" not in r.stdout + r.stderr, r.stdout
        down = [ln for ln in r.stdout.splitlines() if ln.startswith("down:")]
        t.eq(len(down), 1, "one line per failure: %r" % r.stdout)



def test_db_reconnect_after_restart(t):
    t.createdb()
    p = t.spawn([t.bin("tests/dbtool"), t.conninfo, "reconnect", "90"],
                name="dbtool")
    p.wait_log(r"^long query in flight$", timeout=30)
    time.sleep(0.3)
    halted = False
    try:
        harness.pg_ctl("halt")
        halted = True
        p.wait_log(r"^down: ", timeout=30)
        time.sleep(2.5)     # a few failed attempts with backoff
    finally:
        if halted:
            harness.pg_ctl("resume")
    t.eq(p.wait(timeout=60), 0, "dbtool exit:\n" + p.output())
    out = p.output()
    assert "up 2" in out and "reconnect ok" in out, out
    # The query running when the server stopped was answered, once.
    t.eq(out.count("query failed: "), 1, "failed queries in:\n" + out)
    assert out.index("query failed: ") < out.index("up 2"), out
    # Backoff: 1 s, 2 s, ... so ~2.5 s down is a handful of attempts, not
    # hundreds.
    downs = out.count("down: ")
    assert 2 <= downs <= 6, "down events: %d\n%s" % (downs, out)
    t.eq(t.one("SELECT 1"), "1", "the cluster is back for other tests")


test_db_reconnect_after_restart.limit = 150
