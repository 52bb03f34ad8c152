"""test_ctl.py - `magsyncctl run`, `status` and `logs`: what they print and
their exit codes."""
import os
import pty
import re
import select
import signal
import subprocess
import time

TOKEN = "tok-SECRET-90aa4e"
LOCK_KEY = "hashtextextended('magsync:shop:pii_retention', 0)"
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"

JOBS = """[job shop pii_retention]
schedule = @hourly
batch_size = 1

[job shop get_orders]
schedule = */5 * * * *

[job shop sync_orders]
schedule = @hourly
enabled = no

[job shop import_listings]
"""


def setup(t, jobs=JOBS, database=None, migrate=True):
    conninfo = database or t.createdb()
    t.write("shop.token", TOKEN + "\n", mode=0o600)
    cfg = t.write("magsync.ini",
                  "[magsync]\ndatabase = %s\ntimezone = Europe/Berlin\n"
                  "stop_timeout = 5s\n\n"
                  "[channel shop]\nstore_url = http://127.0.0.1:9\n"
                  "access_token_file = shop.token\n\n"
                  "[channel b2b]\nstore_url = http://127.0.0.1:9\n"
                  "access_token_file = shop.token\n\n%s" % (conninfo, jobs))
    if migrate:
        r = t.ctl("migrate", config=cfg)
        t.eq(r.returncode, 0, "migrate (%s)" % r.stderr)
    return cfg


def seed_orders(t, n):
    t.psql("INSERT INTO magsync.orders (channel, magento_entity_id, "
           "increment_id, status, pii_purge_at) SELECT 'shop', g, 'I' || g, "
           "'complete', now() - interval '1 day' FROM generate_series(1, %d) "
           "g" % n)


def no_secret(r):
    assert TOKEN not in r.stdout + r.stderr, "the token was printed"


def test_run_succeeded(t):
    cfg = setup(t)
    seed_orders(t, 3)
    r = t.ctl("run", "shop", "pii_retention", config=cfg)
    t.eq(r.returncode, 0, "exit status (%s)" % r.stderr)
    lines = r.stdout.splitlines()
    assert re.match(r"^run (\d+) \(shop pii_retention\): succeeded in "
                    r"\d+\.\d s$", lines[0]), lines
    t.eq(lines[1], "items: 3 total, 3 ok, 0 failed; requests: 0", "counts")
    t.eq(len(lines), 2, "no error line")
    assert "\r" not in r.stdout, "no progress line when not a terminal"
    no_secret(r)
    rid = re.match(r"^run (\d+)", lines[0]).group(1)
    t.eq(t.one("SELECT status || ' ' || trigger || ' ' || "
               "coalesce(scheduled_for::text, '-') FROM magsync.job_runs "
               "WHERE id = %s" % rid), "succeeded manual -", "row")


def test_run_progress_on_a_terminal(t):
    cfg = setup(t)
    seed_orders(t, 4)
    master, slave = pty.openpty()
    p = subprocess.Popen([t.bin("magsyncctl"), "-c", cfg, "run", "shop",
                          "pii_retention"], stdout=slave,
                         stderr=subprocess.PIPE, env=t.env(), cwd=t.dir)
    os.close(slave)
    out = b""
    while True:
        r, _, _ = select.select([master], [], [], 30)
        if not r:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    t.eq(p.wait(30), 0, "exit status")
    text = out.decode()
    assert "\rshop pii_retention run " in text, repr(text)
    assert "4 batches, 4 orders purged" in text, repr(text)
    assert re.search(r"\n.*run \d+ \(shop pii_retention\): succeeded",
                     text), repr(text)


def test_run_skipped_when_running_anywhere(t):
    cfg = setup(t)
    holder = t.spawn(["psql", "-X", "-q", "-d", t.dbname, "-c",
                      "SELECT pg_advisory_lock(%s), pg_sleep(60)" % LOCK_KEY],
                     name="holder")
    t.wait_for(lambda: t.one("SELECT count(*) FROM pg_locks WHERE locktype "
                             "= 'advisory' AND granted") == "1", 10, "lock")
    try:
        r = t.ctl("run", "shop", "pii_retention", config=cfg)
    finally:
        t.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
               "WHERE query LIKE '%%pg_sleep(60)%%' AND pid <> "
               "pg_backend_pid()")
        holder.kill()
    t.eq(r.returncode, 3, "exit status (%s %s)" % (r.stdout, r.stderr))
    lines = r.stdout.splitlines()
    assert re.match(r"^run \d+ \(shop pii_retention\): skipped", lines[0]), \
        lines
    t.eq(lines[1], "error: already running (the job's lock is held by "
         "another session)", "reason")
    t.eq(t.one("SELECT status || ' ' || trigger FROM magsync.job_runs"),
         "skipped manual", "row")


def test_run_interrupted_by_sigint(t):
    cfg = setup(t)
    seed_orders(t, 30)
    t.psql("CREATE FUNCTION public.slow() RETURNS trigger LANGUAGE plpgsql "
           "AS $$ BEGIN PERFORM pg_sleep(0.2); RETURN NEW; END $$; "
           "CREATE TRIGGER slow BEFORE UPDATE ON magsync.orders FOR EACH "
           "ROW EXECUTE FUNCTION public.slow()")
    p = subprocess.Popen([t.bin("magsyncctl"), "-c", cfg, "run", "shop",
                          "pii_retention"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=t.env(), cwd=t.dir,
                         text=True)
    t.wait_for(lambda: t.one("SELECT count(*) FROM magsync.job_runs WHERE "
                             "status = 'running'") == "1", 10, "running")
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    t.eq(p.returncode, 1, "exit status (%s %s)" % (out, err))
    assert "interrupted" in out.splitlines()[0], out
    assert "error: stopped by magsyncctl (SIGINT)" in out, out
    row = t.psql("SELECT status, error, items_ok FROM magsync.job_runs")[0]
    t.eq(row[:2], ["interrupted", "stopped by magsyncctl (SIGINT)"], "row")
    assert 0 < int(row[2]) < 30, row


def test_run_failures(t):
    cfg = setup(t)
    cases = [
        (["run"], "usage: magsyncctl run CHANNEL PROCESS"),
        (["run", "shop"], "usage: magsyncctl run CHANNEL PROCESS"),
        (["run", "shop", "nosuch"], "unknown process 'nosuch'"),
        (["run", "nosuch", "pii_retention"], "no [channel nosuch]"),
        (["run", "shop", "sync_listings"], "no [job shop sync_listings]"),
    ]
    for args, want in cases:
        r = t.ctl(*args, config=cfg)
        t.eq(r.returncode, 1, "exit status of %r" % args)
        assert want in r.stderr, (args, r.stderr)
        t.eq(r.stdout, "", "stdout of %r" % args)
    # A process this build lacks: a failed run, not a pretended success.
    procs = open(os.path.join(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))), "daemon",
        "procs.c")).read()
    if "[PROC_GET_ORDERS]" not in procs:
        r = t.ctl("run", "shop", "get_orders", config=cfg)
        t.eq(r.returncode, 1, "exit status (%s)" % r.stdout)
        assert "error: process get_orders is not available in this build" \
            in r.stdout, r.stdout
    # The database is not there: failed, with the reason.
    cfg2 = t.write("other.ini", open(cfg).read().replace(
        t.dbname, t.dbname + "_missing"))
    r = t.ctl("run", "shop", "pii_retention", config=cfg2)
    t.eq(r.returncode, 1, "exit status without a database")
    assert "failed" in r.stdout and "cannot connect to the database" in \
        r.stdout, r.stdout
    assert "(not recorded)" in r.stdout, r.stdout
    no_secret(r)


def runs_for(t, process, n, total, status="succeeded", channel="shop"):
    t.psql("INSERT INTO magsync.job_runs (channel, process, trigger, status, "
           "started_at, finished_at, items_total, items_ok) SELECT '%s', "
           "'%s', 'schedule', '%s', now() - interval '1 hour' + g * "
           "interval '1 minute', now() - interval '1 hour' + g * interval "
           "'1 minute' + interval '2 seconds', %d, %d FROM "
           "generate_series(1, %d) g" % (channel, process, status, total,
                                          total, n))


def blocks(stdout):
    """status output as {"channel process": {"schedule": ..., ...}}."""
    out = {}
    cur = None
    for line in stdout.splitlines():
        if not line.strip():
            continue
        if not line.startswith("  "):
            cur = out.setdefault(line, {})
            continue
        key, _, val = line.strip().partition("  ")
        cur[key] = val.strip()
    return out


def test_status(t):
    cfg = setup(t)
    runs_for(t, "get_orders", 3, 0)
    runs_for(t, "pii_retention", 3, 0)
    runs_for(t, "sync_orders", 1, 5, status="partial")
    t.psql("UPDATE magsync.job_runs SET error = 'boom' WHERE process = "
           "'sync_orders'")
    t.psql("INSERT INTO magsync.job_runs (channel, process, trigger, status, "
           "started_at, finished_at, error) VALUES ('shop', 'get_orders', "
           "'schedule', 'skipped', now(), now(), 'already running')")
    r = t.ctl("status", config=cfg)
    t.eq(r.returncode, 0, "exit status (%s)" % r.stderr)
    b = blocks(r.stdout)
    t.eq(sorted(b), ["b2b pii_retention", "shop get_orders",
                     "shop import_listings", "shop pii_retention",
                     "shop sync_orders"], "jobs")
    go = b["shop get_orders"]
    t.eq(go["schedule"], "*/5 * * * *", "schedule")
    assert re.match(r"^\d+ succeeded %s \(schedule\), 0 items: 0 ok, 0 "
                    r"failed$" % ISO, go["last run"]), go
    assert go["last run"].split()[2].endswith(("+01:00", "+02:00")), \
        "times in the configured zone: %s" % go["last run"]
    assert re.match(ISO + "$", go["next run"]), go
    t.eq(go["note"], "found nothing in the last 3 runs — check filters",
         "note")
    assert "note" not in b["shop pii_retention"], "pii_retention exempt"
    so = b["shop sync_orders"]
    t.eq(so["schedule"], "@hourly (disabled)", "disabled")
    t.eq(so["next run"], "none (disabled)", "disabled next run")
    t.eq(so["error"], "boom", "error shown")
    assert "partial" in so["last run"] and "5 items: 5 ok" in \
        so["last run"], so
    il = b["shop import_listings"]
    t.eq(il["last run"], "never", "never run")
    t.eq(il["next run"], "on demand (manual)", "manual")
    # One channel; an unknown one is an error.
    r = t.ctl("status", "b2b", config=cfg)
    t.eq(r.returncode, 0, "status b2b")
    t.eq(list(blocks(r.stdout)), ["b2b pii_retention"], "filtered")
    r = t.ctl("status", "nosuch", config=cfg)
    t.eq(r.returncode, 1, "unknown channel")
    assert "no [channel nosuch]" in r.stderr, r.stderr
    # Two finished runs with results break the "nothing" streak.
    runs_for(t, "get_orders", 1, 4)
    r = t.ctl("status", "shop", config=cfg)
    assert "note" not in blocks(r.stdout)["shop get_orders"], r.stdout
    no_secret(r)


def test_status_from_database(t):
    cfg = setup(t)
    t.psql("INSERT INTO magsync.jobs (channel, process, schedule, enabled, "
           "next_run_at) VALUES ('x', 'get_orders', '@daily', true, "
           "'2030-01-01T00:00:00Z'), ('y', 'sync_orders', '@hourly', false, "
           "NULL)")
    runs_for(t, "get_orders", 2, 7, channel="x")
    os.rename(cfg, cfg + ".away")
    r = t.ctl("status", "--database", t.conninfo, config=cfg)
    t.eq(r.returncode, 0, "exit status (%s)" % r.stderr)
    b = blocks(r.stdout)
    t.eq(sorted(b), ["x get_orders", "y sync_orders"], "jobs from the table")
    t.eq(b["x get_orders"]["next run"], "2030-01-01T00:00:00+00:00", "next")
    r = t.ctl("status", "y", config=cfg,
              env={"MAGSYNC_DATABASE": t.conninfo})
    t.eq(list(blocks(r.stdout)), ["y sync_orders"], "env and filter")
    r = t.ctl("status", config=cfg)
    t.eq(r.returncode, 1, "no config, no --database")


def test_logs(t):
    cfg = setup(t)
    t.psql("INSERT INTO magsync.job_runs (id, channel, process, trigger, "
           "status, started_at) VALUES (1, 'shop', 'get_orders', 'schedule', "
           "'partial', now()), (2, 'b2b', 'sync_orders', 'manual', 'failed', "
           "now())")
    t.psql("INSERT INTO magsync.job_log (run_id, at, level, entity, "
           "http_method, http_path, http_status, duration_ms, message) "
           "SELECT 1, '2024-03-01T10:00:00Z'::timestamptz + g * interval "
           "'1 second', CASE WHEN g % 10 = 0 THEN 'error' ELSE 'info' END, "
           "'order ' || g, CASE WHEN g = 20 THEN 'GET' END, CASE WHEN g = 20 "
           "THEN '/rest/default/V1/orders/20' END, CASE WHEN g = 20 THEN 404 "
           "END, CASE WHEN g = 20 THEN 35 END, 'message ' || g "
           "FROM generate_series(1, 60) g")
    t.psql("INSERT INTO magsync.job_log (run_id, at, level, message) VALUES "
           "(2, '2024-03-01T11:00:00Z', 'error', 'other run')")
    r = t.ctl("logs", config=cfg)
    t.eq(r.returncode, 0, "exit status (%s)" % r.stderr)
    lines = r.stdout.splitlines()
    t.eq(len(lines), 50, "default limit")
    t.eq(lines[-1], "2024-03-01T12:00:00+01:00 [b2b sync_orders run 2] "
         "error: other run", "newest last, in the configured zone")
    t.eq(lines[0], "2024-03-01T11:00:12+01:00 [shop get_orders run 1] "
         "info: order 12: message 12", "oldest shown first")
    r = t.ctl("logs", "1", "--errors", config=cfg)
    t.eq(r.stdout.splitlines(), [
        "2024-03-01T11:00:%02d+01:00 [shop get_orders run 1] error: order "
        "%d: message %d%s" % (g, g, g, " (GET /rest/default/V1/orders/20 "
                               "-> 404, 35 ms)" if g == 20 else "")
        for g in (10, 20, 30, 40, 50)] + [
        "2024-03-01T11:01:00+01:00 [shop get_orders run 1] error: order 60: "
        "message 60"], "errors of run 1")
    r = t.ctl("logs", "--channel", "b2b", config=cfg)
    t.eq(len(r.stdout.splitlines()), 1, "by channel")
    r = t.ctl("logs", "--process=get_orders", "--limit", "3", config=cfg)
    t.eq([l.split(": ")[-1] for l in r.stdout.splitlines()],
         ["message 58", "message 59", "message 60"], "by process, limited")
    r = t.ctl("logs", "3", config=cfg)
    t.eq((r.returncode, r.stdout), (0, ""), "no entries")
    assert "no matching entries" in r.stderr, r.stderr
    r = t.ctl("logs", "--database", t.conninfo, "--limit", "1")
    t.eq(r.stdout, "2024-03-01T11:00:00+00:00 [b2b sync_orders run 2] "
         "error: other run\n", "--database, in UTC")
    for bad in (["--limit", "0"], ["--limit", "x"], ["--bogus"],
                ["1", "2"], ["--process", "nosuch"], ["abc"]):
        r = t.ctl("logs", *bad, config=cfg)
        t.eq(r.returncode, 1, "exit status of %r" % bad)
