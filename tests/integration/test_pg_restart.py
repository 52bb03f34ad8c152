"""test_pg_restart.py - PostgreSQL goes away in the middle of a run's write
stream (get_orders, one transaction per page): the run ends with a clear
error instead of hanging or losing pages silently, and once the database
is back the next run completes with every order exactly once."""
import os
import subprocess
import time

import harness

TOKEN = "tok-pgrestart-SECRET-5b1e"
ORDERS = 300


def pg(action):
    env = dict(os.environ, PGTEST_PORT=os.environ["PGPORT"])
    subprocess.run([os.path.join(harness.TOP, "tests", "pg.sh"), action,
                    os.environ["MAGSYNC_PG_DIR"]], check=True, env=env)


def test_get_orders_survives_a_database_restart(t):
    if not os.environ.get("MAGSYNC_PG_DIR"):
        print("  skipped: MAGSYNC_PG_DIR not set")
        return
    conninfo = t.createdb()
    _, url = t.fake_magento("--admin-token", TOKEN, "--orders", str(ORDERS),
                            "--order-days", "20", "--seed", "9",
                            "--fault", "latency,ms=150")
    t.write("shop.token", TOKEN + "\n", mode=0o600)
    cfg = t.write("magsync.ini",
                  "[magsync]\ndatabase = %s\ntimezone = UTC\n\n"
                  "[channel shop]\nstore_url = %s\n"
                  "access_token_file = shop.token\nmax_concurrency = 1\n"
                  "page_size = 10\n\n"
                  "[job shop get_orders]\nschedule = manual\n"
                  "days_back = 30\nacknowledge = none\n" % (conninfo, url))
    r = t.ctl("migrate", config=cfg)
    t.eq(r.returncode, 0, "migrate (%s)" % r.stderr)

    p = t.spawn([os.path.join(t.build, "magsyncctl"), "-c", cfg, "run",
                 "shop", "get_orders"], name="run1")
    t.wait_for(lambda: int(t.one("SELECT count(*) FROM magsync.orders"))
               >= 20, 60, "the first pages committed")
    pg("halt")
    try:
        rc = p.wait(60)
    finally:
        pg("resume")
    out = p.output()
    assert rc not in (0, None), "the interrupted run exited %r:\n%s" % (
        rc, out[-3000:])
    assert "database" in out.lower(), "a clear error:\n" + out[-3000:]
    assert TOKEN not in out
    t.wait_for(lambda: t.psql("SELECT 1", check=False) == [["1"]], 30,
               "the database back")
    kept = int(t.one("SELECT count(*) FROM magsync.orders"))
    assert 20 <= kept < ORDERS, "part of the orders committed (%d)" % kept

    r = t.ctl("run", "shop", "get_orders", config=cfg, timeout=180)
    t.eq(r.returncode, 0, "the next run (%s)" % r.stderr[-3000:])
    total = int(t.one("SELECT count(DISTINCT magento_entity_id) FROM "
                      "magsync.orders"))
    t.eq(int(t.one("SELECT count(*) FROM magsync.orders")), total,
         "no order twice")
    assert total > kept, (total, kept)
    t.eq(t.one("SELECT status FROM magsync.job_runs ORDER BY id DESC "
               "LIMIT 1"), "succeeded", "the next run's status")
    # The next run held the job's lock: the first run's row, left running
    # when its database went away, is marked interrupted, with the reason.
    first = t.psql("SELECT status, error FROM magsync.job_runs ORDER BY id "
                   "LIMIT 1")[0]
    t.eq(first[0], "interrupted", "the first run's status")
    assert "lost its process or database connection" in first[1], first


test_get_orders_survives_a_database_restart.limit = 240
