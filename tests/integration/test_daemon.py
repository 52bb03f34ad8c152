"""test_daemon.py - the real magsyncd against a real PostgreSQL: jobs run on
their schedule and are recorded; a job never overlaps itself (one daemon,
two daemons, magsyncctl run); catch-up; reload; stop; PostgreSQL lost and
back; sd_notify; sweeps of abandoned runs; log_retention; valgrind.

pii_retention is the process these tests schedule: it is the one that needs
no Magento. A slow trigger on magsync.orders makes its runs take as long as
a test needs."""
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import harness

TOKEN = "tok-SECRET-d41e07"
HOST = socket.gethostname()
LOCK_KEY = "hashtextextended('magsync:shop:pii_retention', 0)"


def config(t, jobs, extra="", channels=("shop",), name="magsync.ini"):
    """Write an ini with the given [job] sections; extra holds more
    [magsync] lines (stop_timeout is 5s unless extra sets it)."""
    conninfo = t.createdb()
    if not os.path.exists(t.path("shop.token")):
        t.write("shop.token", TOKEN + "\n", mode=0o600)
    if "stop_timeout" not in extra:
        extra = "stop_timeout = 5s\n" + extra
    text = ("[magsync]\ndatabase = %s\ntimezone = UTC\n%s\n"
            % (conninfo, extra))
    for ch in channels:
        text += ("[channel %s]\nstore_url = http://127.0.0.1:9\n"
                 "access_token_file = shop.token\n\n" % ch)
    text += jobs
    return t.write(name, text)


def migrate(t, cfg):
    r = t.ctl("migrate", config=cfg)
    t.eq(r.returncode, 0, "migrate exit status (%s)" % r.stderr)


def setup(t, jobs, **kw):
    cfg = config(t, jobs, **kw)
    migrate(t, cfg)
    return cfg


def pii_job(schedule, batch_size=500, extra=""):
    return ("[job shop pii_retention]\nschedule = %s\nbatch_size = %d\n%s\n"
            % (schedule, batch_size, extra))


def seed_orders(t, n, channel="shop", due=True):
    t.psql("INSERT INTO magsync.orders (channel, magento_entity_id, "
           "increment_id, status, customer_email, customer_note, "
           "pii_purge_at) SELECT '%s', g, lpad(g::text, 9, '0'), "
           "'complete', 'c' || g || '@example.com', 'leave at door', "
           "now() %s interval '1 day' FROM generate_series("
           "(SELECT coalesce(max(magento_entity_id), 0) + 1 FROM "
           "magsync.orders), (SELECT coalesce(max(magento_entity_id), 0) + "
           "%d FROM magsync.orders)) g"
           % (channel, "-" if due else "+", n))


def slow_orders(t, secs):
    """Every UPDATE of an order sleeps: pii batches of 1 take secs each."""
    t.psql("CREATE FUNCTION public.slow() RETURNS trigger LANGUAGE plpgsql "
           "AS $$ BEGIN PERFORM pg_sleep(%s); RETURN NEW; END $$; "
           "CREATE TRIGGER slow BEFORE UPDATE ON magsync.orders FOR EACH "
           "ROW EXECUTE FUNCTION public.slow()" % secs)


def end_sleepers(t):
    """Killing psql does not stop its backend's pg_sleep: end it."""
    t.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
           "query LIKE '%%pg_sleep(60)%%' AND pid <> pg_backend_pid()")


def runs(t, where="true"):
    return t.psql("SELECT id, trigger, status, host, pid, "
                  "floor(extract(epoch FROM scheduled_for))::bigint, error "
                  "FROM magsync.job_runs WHERE %s ORDER BY id" % where)


def count(t, where):
    return int(t.one("SELECT count(*) FROM magsync.job_runs WHERE %s"
                     % where))


def stop(t, d, timeout=15):
    d.signal(signal.SIGTERM)
    rc = d.wait(timeout)
    t.eq(rc, 0, "magsyncd exit status:\n%s" % d.output()[-3000:])
    assert "loop closed cleanly" in d.output(), d.output()[-3000:]
    assert TOKEN not in d.output(), "the token was logged"


def test_jobs_run_and_are_recorded(t):
    cfg = setup(t, pii_job("@every 1s"))
    d = t.daemon(cfg)
    d.wait_log(r"magsyncd ready")
    t.wait_for(lambda: count(t, "status = 'succeeded'") >= 3, 15,
               "three succeeded runs")
    stop(t, d)
    rows = runs(t)
    for (rid, trig, status, host, pid, tick, err) in rows:
        t.eq(status, "succeeded", "status of run %s" % rid)
        assert trig in ("schedule", "catch_up"), trig
        t.eq(host, HOST, "host")
        t.eq(int(pid), d.pid, "pid")
        assert tick is not None, "scheduled_for is set"
        t.eq(err, None, "error")
    ticks = [int(r[5]) for r in rows]
    t.eq(len(ticks), len(set(ticks)), "one run per tick")
    assert count(t, "trigger = 'schedule'") >= 2
    last = t.one("SELECT max(id) FROM magsync.job_runs")
    t.eq(t.one("SELECT last_run_id FROM magsync.jobs WHERE channel = "
               "'shop' AND process = 'pii_retention'"), last, "last_run_id")
    # The implicit pii_retention job keeps its default schedule: our
    # section replaced it, no other job exists.
    t.eq(t.one("SELECT count(*) FROM magsync.jobs"), "1", "jobs rows")
    t.eq(t.one("SELECT schedule FROM magsync.jobs"), "@every 1s", "schedule")
    t.eq(t.one("SELECT count(*) FROM magsync.job_log WHERE message = "
               "'purged personal data of 0 orders'"), str(len(rows)),
         "one count row per run")
    assert re.search(r"\[shop pii_retention run \d+\] started \(trigger "
                     r"schedule\)", d.output()), d.output()


def test_jitter_spreads_starts(t):
    """jitter = 3s: each run starts within 3 s after its tick, not all at
    it; the same schedule without jitter starts at the tick."""
    jobs = (pii_job("@every 4s", extra="jitter = 3s") +
            "[job calm pii_retention]\nschedule = @every 4s\n\n")
    cfg = setup(t, jobs, channels=("shop", "calm"))
    d = t.daemon(cfg)
    t.wait_for(lambda: count(t, "channel = 'shop' AND trigger = 'schedule' "
                             "AND status = 'succeeded'") >= 5, 40,
               "five jittered runs")
    stop(t, d)

    def lags(channel):
        return [float(x[0]) for x in t.psql(
            "SELECT extract(epoch FROM started_at - scheduled_for) FROM "
            "magsync.job_runs WHERE channel = '%s' AND trigger = "
            "'schedule'" % channel)]
    jittered, calm = lags("shop"), lags("calm")
    assert all(0 <= x <= 3.6 for x in jittered), jittered
    # Uniform over [0, 3 s]: five starts all under 0.3 s has p = 1e-5.
    assert max(jittered) > 0.3, jittered
    assert calm and all(0 <= x < 0.8 for x in calm), calm


def test_notify_socket(t):
    cfg = setup(t, pii_job("@every 1s"))
    sock_path = t.path("notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sock_path)
    s.settimeout(0.2)
    got = []

    def drain():
        while True:
            try:
                got.append(s.recv(4096).decode())
            except socket.timeout:
                return

    def seen(prefix):
        drain()
        return any(m.startswith(prefix) for m in got)

    try:
        d = t.daemon(cfg, env={"NOTIFY_SOCKET": sock_path,
                               "WATCHDOG_USEC": "400000"})
        t.wait_for(lambda: seen("READY=1"), 15, "READY=1")
        t.wait_for(lambda: seen("STATUS="), 10, "STATUS=")
        t.wait_for(lambda: seen("WATCHDOG=1"), 5, "WATCHDOG=1")
        d.signal(signal.SIGHUP)
        t.wait_for(lambda: seen("RELOADING=1"), 10, "RELOADING=1")
        t.wait_for(lambda: seen("READY=1") and "READY=1" in got[
            got.index("RELOADING=1"):], 10, "READY=1 after the reload")
        stop(t, d)
        t.wait_for(lambda: seen("STOPPING=1"), 5, "STOPPING=1")
    finally:
        s.close()
    status = [m for m in got if m.startswith("STATUS=")]
    assert any("next: shop pii_retention at" in m for m in status), status
    # Abstract-namespace sockets ('@name') work too.
    name = "@magsync-test-%d" % os.getpid()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("\0" + name[1:])
    s.settimeout(10)
    try:
        d = t.daemon(cfg, env={"NOTIFY_SOCKET": name}, name="abstract")
        msgs = []
        while "READY=1" not in msgs:
            msgs.append(s.recv(4096).decode())
        stop(t, d)
    finally:
        s.close()


def test_journal_priorities(t):
    """stderr connected to the journal (JOURNAL_STREAM names it): <N>
    syslog priorities instead of time stamps; elsewhere, time stamps."""
    cfg = setup(t, pii_job("@every 1s"))
    log = t.path("journal.log")
    open(log, "wb").close()
    st = os.stat(log)
    d = t.daemon(cfg, env={"JOURNAL_STREAM": "%d:%d" % (st.st_dev,
                                                         st.st_ino)},
                 name="journal")
    d.wait_log(r"\] started \(trigger")
    stop(t, d)
    lines = d.output().splitlines()
    assert lines and all(re.match(r"^<[2-7]>", l) for l in lines), lines
    assert "<6>magsyncd ready" in d.output(), lines
    assert re.search(r"^<6>\[shop pii_retention run \d+\] started",
                     d.output(), re.M), lines
    # Another file's identity: not the journal.
    d = t.daemon(cfg, env={"JOURNAL_STREAM": "1:2"}, name="plain")
    d.wait_log(r"magsyncd ready")
    stop(t, d)
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} ",
                    d.output()), d.output()


def test_skipped_while_lock_held(t):
    cfg = setup(t, pii_job("@every 1s"))
    holder = t.spawn(["psql", "-X", "-q", "-d", t.dbname, "-c",
                      "SELECT pg_advisory_lock(%s), pg_sleep(60)" % LOCK_KEY],
                     name="holder")
    t.wait_for(lambda: t.one("SELECT count(*) FROM pg_locks WHERE locktype "
                             "= 'advisory' AND granted") == "1", 10,
               "the psql session holds the lock")
    d = t.daemon(cfg)
    t.wait_for(lambda: count(t, "status = 'skipped'") >= 2, 15,
               "skipped runs")
    r = t.ctl("run", "shop", "pii_retention", config=cfg)
    t.eq(r.returncode, 3, "magsyncctl run exit status while locked "
         "(%s %s)" % (r.stdout, r.stderr))
    assert "skipped" in r.stdout and "already running" in r.stdout, r.stdout
    end_sleepers(t)
    holder.kill()
    t.wait_for(lambda: count(t, "status = 'succeeded'") >= 1, 15,
               "a run once the lock is free")
    stop(t, d)
    t.eq(count(t, "status NOT IN ('skipped', 'succeeded')"), 0,
         "only skipped and succeeded runs")
    t.eq(count(t, "status = 'skipped' AND (error IS NULL OR error NOT LIKE "
                  "'already running%')"), 0, "skipped runs say why")
    t.eq(count(t, "status = 'skipped' AND trigger = 'manual'"), 1,
         "the manual run is recorded skipped")
    t.eq(count(t, "status = 'skipped' AND finished_at IS NULL"), 0,
         "skipped rows are finished")


def test_overlap_long_run(t):
    """A run that takes seconds: the following ticks are skipped with the
    running run's id, host and pid; magsyncctl run is refused meanwhile."""
    cfg = setup(t, pii_job("@every 1s", batch_size=1))
    seed_orders(t, 14)
    slow_orders(t, 0.5)
    d = t.daemon(cfg)
    t.wait_for(lambda: count(t, "status = 'running'") == 1, 15, "a run")
    rid = t.one("SELECT id FROM magsync.job_runs WHERE status = 'running'")
    # The heartbeat moves while the run works (every 5 s).
    t.wait_for(lambda: t.one("SELECT heartbeat_at > started_at + interval "
                             "'4 seconds' FROM magsync.job_runs WHERE id = "
                             "%s AND status = 'running'" % rid) == "t", 10,
               "a heartbeat during the run")
    t.wait_for(lambda: count(t, "status = 'skipped'") >= 2, 15, "skips")
    r = t.ctl("run", "shop", "pii_retention", config=cfg)
    t.eq(r.returncode, 3, "magsyncctl run exit status (%s)" % r.stdout)
    want = "already running: run %s on %s pid %d" % (rid, HOST, d.pid)
    assert want in r.stdout, (want, r.stdout)
    t.eq(count(t, "status = 'skipped' AND error <> '%s'" % want), 0,
         "every skip names the running run")
    t.wait_for(lambda: t.one("SELECT status FROM magsync.job_runs WHERE "
                             "id = %s" % rid) == "succeeded", 30,
               "the long run to finish")
    stop(t, d)
    t.eq(t.one("SELECT items_total || '/' || items_ok FROM magsync.job_runs "
               "WHERE id = %s" % rid), "14/14", "counts of the long run")
    t.eq(count(t, "status = 'succeeded' AND id <> %s AND items_total > 0"
               % rid), 0, "no other run purged anything")


def test_two_daemons_share_ticks(t):
    cfg = setup(t, pii_job("@every 1s"))
    a = t.daemon(cfg, name="a")
    b = t.daemon(cfg, name="b")
    a.wait_log(r"magsyncd ready")
    b.wait_log(r"magsyncd ready")
    time.sleep(6)
    stop(t, a)
    stop(t, b)
    per_tick = t.psql("SELECT scheduled_for, count(*) FROM magsync.job_runs "
                      "GROUP BY 1 HAVING count(*) > 1")
    t.eq(per_tick, [], "ticks run more than once")
    assert count(t, "true") >= 4, runs(t)
    t.eq(count(t, "status NOT IN ('succeeded', 'skipped')"), 0,
         "statuses")
    pids = set(int(r[4]) for r in runs(t))
    assert pids <= {a.pid, b.pid}, pids


def test_two_daemons_and_ctl_never_overlap(t):
    cfg = setup(t, pii_job("@every 1s", batch_size=1))
    seed_orders(t, 8)
    slow_orders(t, 0.4)
    a = t.daemon(cfg, name="a")
    b = t.daemon(cfg, name="b")
    t.wait_for(lambda: count(t, "status = 'running'") == 1, 15, "a run")
    r = t.ctl("run", "shop", "pii_retention", config=cfg)
    t.eq(r.returncode, 3, "magsyncctl run while a daemon runs the job")
    t.wait_for(lambda: count(t, "status = 'succeeded' AND items_total = 8")
               == 1, 30, "the long run to finish")
    time.sleep(2)
    stop(t, a)
    stop(t, b)
    # Runs never overlapped: intervals of non-skipped runs are disjoint.
    overl = t.psql("SELECT x.id, y.id FROM magsync.job_runs x JOIN "
                   "magsync.job_runs y ON x.id < y.id WHERE x.status NOT IN "
                   "('skipped') AND y.status NOT IN ('skipped') AND "
                   "tstzrange(x.started_at, x.finished_at) && "
                   "tstzrange(y.started_at, y.finished_at)")
    t.eq(overl, [], "overlapping runs")
    t.eq(t.psql("SELECT scheduled_for FROM magsync.job_runs WHERE "
                "scheduled_for IS NOT NULL GROUP BY 1 HAVING count(*) > 1"),
         [], "ticks run twice")
    t.eq(int(t.one("SELECT sum(items_ok) FROM magsync.job_runs")), 8,
         "every order purged exactly once")


def test_many_jobs_wait_for_a_slot(t):
    """40 jobs due at the same second: at most 32 runs (connections) at
    once, the rest wait their turn and still run for their tick."""
    chans = ["c%02d" % i for i in range(40)]
    jobs = "".join("[job %s pii_retention]\nschedule = @every 10s\n\n" % c
                   for c in chans)
    cfg = setup(t, jobs, channels=chans)
    for i, c in enumerate(chans):
        seed_orders(t, 1, channel=c)
    slow_orders(t, 1.0)
    d = t.daemon(cfg)
    t.wait_for(lambda: count(t, "status = 'succeeded' AND items_ok = 1")
               == 40, 40, "every channel's run")
    stop(t, d)
    t.eq(t.one("SELECT count(DISTINCT scheduled_for) FROM magsync.job_runs "
               "WHERE items_ok = 1"), "1", "all for the same tick")
    most = int(t.one("SELECT max(n) FROM (SELECT (SELECT count(*) FROM "
                     "magsync.job_runs y WHERE y.started_at <= x.started_at "
                     "AND y.finished_at > x.started_at) n FROM "
                     "magsync.job_runs x WHERE x.items_ok = 1) m"))
    assert 2 <= most <= 32, most
    assert "waiting for one of 32 runs to end" in d.output(), d.output()


def test_catch_up(t):
    cfg = setup(t, pii_job("@hourly") +
                "[channel other]\nstore_url = http://127.0.0.1:9\n"
                "access_token_file = shop.token\n\n"
                "[job other pii_retention]\nschedule = @hourly\n"
                "catch_up = no\n\n"
                "[channel fresh]\nstore_url = http://127.0.0.1:9\n"
                "access_token_file = shop.token\n\n"
                "[job fresh pii_retention]\nschedule = @hourly\n")
    t.psql("INSERT INTO magsync.jobs (channel, process, schedule, "
           "last_tick_at) VALUES "
           "('shop', 'pii_retention', '@hourly', "
           "date_trunc('hour', now()) - interval '3 hours'), "
           "('other', 'pii_retention', '@hourly', "
           "date_trunc('hour', now()) - interval '3 hours'), "
           "('gone', 'pii_retention', '@hourly', now())")
    d = t.daemon(cfg)
    t.wait_for(lambda: count(t, "status = 'succeeded'") == 1, 15,
               "the catch-up run")
    time.sleep(1.5)
    stop(t, d)
    rows = runs(t)
    t.eq(len(rows), 1, "runs: %r" % rows)
    t.eq(rows[0][1], "catch_up", "trigger")
    hour = t.one("SELECT floor(extract(epoch FROM date_trunc('hour', "
                 "now())))::bigint")
    t.eq(rows[0][5], hour, "the latest missed tick")
    t.eq(t.one("SELECT floor(extract(epoch FROM last_tick_at))::bigint "
               "FROM magsync.jobs WHERE channel = 'other'"), hour,
         "catch_up = no advances the last tick without a run")
    t.eq(t.one("SELECT count(*) FROM magsync.jobs WHERE channel = 'gone'"),
         "0", "jobs no longer configured are deleted")
    assert t.one("SELECT last_tick_at IS NOT NULL FROM magsync.jobs WHERE "
                 "channel = 'fresh'") == "t", "a new job starts its ticks"
    assert "catching up the tick of" in d.output(), d.output()
    # A second start finds nothing to catch up.
    d = t.daemon(cfg, name="again")
    d.wait_log(r"magsyncd ready")
    time.sleep(1.5)
    stop(t, d)
    t.eq(count(t, "true"), 1, "no second catch-up")


def test_reload(t):
    cfg = setup(t, pii_job("0 0 1 1 *"))
    d = t.daemon(cfg)
    d.wait_log(r"magsyncd ready")
    t.wait_for(lambda: t.one("SELECT schedule FROM magsync.jobs WHERE "
                             "channel = 'shop'") == "0 0 1 1 *", 10, "row")
    time.sleep(1.5)
    t.eq(count(t, "true"), 0, "no run on the yearly schedule")
    config(t, pii_job("@every 1s"))
    d.signal(signal.SIGHUP)
    d.wait_log(r"configuration reloaded")
    t.wait_for(lambda: t.one("SELECT schedule FROM magsync.jobs WHERE "
                             "channel = 'shop'") == "@every 1s", 10,
               "jobs row follows the new schedule")
    t.wait_for(lambda: count(t, "status = 'succeeded'") >= 2, 10,
               "runs on the new schedule")
    # A broken file is refused with FILE:LINE errors; the old config stays.
    t.write("magsync.ini", open(cfg).read().replace(
        "schedule = @every 1s", "schedule = 61 * * * *\nbogus_key = 1"))
    d.signal(signal.SIGHUP)
    d.wait_log(r"reload refused")
    out = d.output()
    assert re.search(re.escape(cfg) + r":\d+: ", out), out[-2000:]
    n = count(t, "true")
    t.wait_for(lambda: count(t, "true") >= n + 2, 10,
               "runs go on with the old schedule")
    t.eq(t.one("SELECT schedule FROM magsync.jobs WHERE channel = 'shop'"),
         "@every 1s", "schedule kept")
    stop(t, d)


def test_sigterm_interrupts_at_safe_point(t):
    cfg = setup(t, pii_job("@every 1s", batch_size=1))
    seed_orders(t, 40)
    slow_orders(t, 0.3)
    d = t.daemon(cfg)
    t.wait_for(lambda: count(t, "status = 'running' AND items_total >= 0")
               == 1 and "started" in d.output(), 15, "a running run")
    time.sleep(1)
    t0 = time.time()
    d.signal(signal.SIGTERM)
    t.eq(d.wait(10), 0, "exit status")
    assert time.time() - t0 < 5, "stopped within stop_timeout"
    assert "loop closed cleanly" in d.output(), d.output()
    row = t.psql("SELECT status, error, items_ok FROM magsync.job_runs "
                 "WHERE status <> 'skipped'")
    t.eq(len(row), 1, "one run: %r" % row)
    t.eq(row[0][0], "interrupted", "status")
    assert "stopping" in row[0][1], row[0][1]
    done = int(row[0][2])
    assert 0 < done < 40, done
    t.eq(t.one("SELECT count(*) FROM magsync.orders WHERE pii_purged_at IS "
               "NOT NULL"), str(done), "counts match the work done")


def test_sigterm_abandons_after_stop_timeout(t):
    """A statement that never reaches a safe point: after stop_timeout the
    run is marked interrupted and the daemon still exits 0, cleanly."""
    cfg = setup(t, pii_job("@every 1s", batch_size=5),
                extra="stop_timeout = 2s")
    seed_orders(t, 3)
    t.psql("INSERT INTO magsync.order_addresses (order_id, kind, "
           "first_name) SELECT id, 'billing', 'Ann' FROM magsync.orders")
    blocker = t.spawn(["psql", "-X", "-q", "-d", t.dbname, "-c",
                       "BEGIN; SELECT 1 FROM magsync.order_addresses "
                       "FOR UPDATE; SELECT pg_sleep(60);"], name="blocker")
    t.wait_for(lambda: t.one("SELECT count(*) FROM pg_stat_activity WHERE "
                             "query LIKE '%pg_sleep(60)%' AND pid <> "
                             "pg_backend_pid()") == "1", 10, "the blocker")
    d = t.daemon(cfg)
    t.wait_for(lambda: count(t, "status = 'running'") == 1, 15, "a run")
    time.sleep(1)
    t0 = time.time()
    d.signal(signal.SIGTERM)
    t.eq(d.wait(15), 0, "exit status:\n%s" % d.output())
    took = time.time() - t0
    assert 1.5 < took < 8, took
    assert "loop closed cleanly" in d.output(), d.output()
    row = t.psql("SELECT status, error FROM magsync.job_runs WHERE status "
                 "<> 'skipped'")
    t.eq(len(row), 1, "one run: %r" % row)
    t.eq(row[0][0], "interrupted", "status")
    assert "stop_timeout" in row[0][1], row[0][1]
    end_sleepers(t)
    blocker.kill()
    # The abandoned statement rolled back: nothing half purged.
    t.wait_for(lambda: t.one("SELECT count(*) FROM pg_locks WHERE locktype "
                             "= 'advisory'") == "0", 10, "lock released")
    t.eq(t.one("SELECT count(*) FROM magsync.orders WHERE pii_purged_at IS "
               "NOT NULL"), "0", "purges rolled back")


def test_postgres_lost_and_back(t):
    pgdir = os.environ.get("MAGSYNC_PG_DIR")
    if not pgdir:
        print("  skipped: MAGSYNC_PG_DIR not set")
        return
    cfg = setup(t, pii_job("@every 1s"))
    d = t.daemon(cfg)
    t.wait_for(lambda: count(t, "status = 'succeeded'") >= 2, 15, "runs")
    pg = os.path.join(harness.TOP, "tests", "pg.sh")
    env = dict(os.environ, PGTEST_PORT=os.environ["PGPORT"])
    subprocess.run([pg, "halt", pgdir], check=True, env=env)
    try:
        d.wait_log(r"database unavailable", timeout=15)
        n_started = d.output().count("] started (")
        time.sleep(3)
        t.eq(d.output().count("] started ("), n_started,
             "runs started while the database was away")
    finally:
        subprocess.run([pg, "resume", pgdir], check=True, env=env)
    d.wait_log(r"database connection is back", timeout=40)
    before = count(t, "status = 'succeeded'")
    t.wait_for(lambda: count(t, "status = 'succeeded'") >= before + 2, 20,
               "runs after the database came back")
    stop(t, d)
    t.eq(count(t, "status = 'running'"), 0, "no run left running")
    assert count(t, "trigger = 'catch_up'") <= 1, runs(t)


def test_unreachable_at_start_then_created(t):
    """The database does not exist yet: READY anyway, retry, and start
    jobs once it is there and migrated."""
    conninfo = t.conninfo  # not created yet
    t.write("shop.token", TOKEN + "\n", mode=0o600)
    cfg = t.write("magsync.ini",
                  "[magsync]\ndatabase = %s\ntimezone = UTC\n\n"
                  "[channel shop]\nstore_url = http://127.0.0.1:9\n"
                  "access_token_file = shop.token\n\n%s"
                  % (conninfo, pii_job("@every 1s")))
    d = t.daemon(cfg)
    d.wait_log(r"database unavailable")
    d.wait_log(r"magsyncd ready")
    t.createdb()
    migrate(t, cfg)
    d.wait_log(r"database schema current", timeout=40)
    t.wait_for(lambda: count(t, "status = 'succeeded'") >= 1, 15, "a run")
    stop(t, d)


def test_schema_not_current_is_fatal(t):
    cfg = config(t, pii_job("@every 1s"))
    d = t.daemon(cfg)
    t.eq(d.wait(20), 1, "exit status")
    assert "magsyncctl migrate" in d.output(), d.output()


def test_sweeps_at_start(t):
    cfg = setup(t, pii_job("0 0 1 1 *"))
    dead = subprocess.Popen(["true"])
    dead.wait()
    t.psql("INSERT INTO magsync.job_runs (channel, process, trigger, status, "
           "host, pid, started_at, heartbeat_at) VALUES "
           "('shop', 'pii_retention', 'schedule', 'running', '%s', %d, "
           "now(), now()), "
           "('shop', 'get_orders', 'schedule', 'running', 'elsewhere', 4242, "
           "now() - interval '10 minutes', now() - interval '5 minutes'), "
           "('shop', 'sync_orders', 'schedule', 'running', 'elsewhere', 4243, "
           "now(), now()), "
           "('shop', 'sync_listings', 'manual', 'running', '%s', %d, "
           "now(), now())" % (HOST, dead.pid, HOST, os.getpid()))
    d = t.daemon(cfg)
    d.wait_log(r"magsyncd ready")
    t.wait_for(lambda: count(t, "status = 'interrupted'") == 2, 10,
               "sweeps")
    stop(t, d)
    got = dict((r[0], (r[1], r[2])) for r in t.psql(
        "SELECT process, status, error FROM magsync.job_runs"))
    t.eq(got["pii_retention"], ("interrupted", "daemon on %s died (pid %d)"
                                % (HOST, dead.pid)), "this host's orphan")
    t.eq(got["get_orders"][0], "interrupted", "stale heartbeat")
    assert got["get_orders"][1].startswith("no heartbeat since"), got
    t.eq(got["sync_orders"], ("running", None), "a live run elsewhere")
    t.eq(got["sync_listings"], ("running", None),
         "a live process on this host (pid alive)")
    assert "marked interrupted" in d.output(), d.output()


def test_stale_heartbeat_swept_on_tick(t):
    """A run elsewhere whose daemon died: the next tick any daemon
    processes marks it interrupted."""
    cfg = setup(t, pii_job("@every 1s"))
    d = t.daemon(cfg)
    t.wait_for(lambda: count(t, "status = 'succeeded'") >= 1, 15, "a run")
    t.psql("INSERT INTO magsync.job_runs (channel, process, trigger, status, "
           "host, pid, started_at, heartbeat_at) VALUES ('shop', "
           "'get_orders', 'schedule', 'running', 'gone-host', 77, now() - "
           "interval '3 minutes', now() - interval '61 seconds')")
    t.wait_for(lambda: count(t, "process = 'get_orders' AND status = "
                                "'interrupted'") == 1, 5, "the sweep")
    stop(t, d)
    err = t.one("SELECT error FROM magsync.job_runs WHERE process = "
                "'get_orders'")
    assert re.match(r"no heartbeat since \S+: daemon on gone-host \(pid "
                    r"77\) presumed dead$", err), err


def test_log_retention(t):
    cfg = setup(t, pii_job("0 0 1 1 *"), extra="log_retention = 2d")
    t.psql("INSERT INTO magsync.job_runs (id, channel, process, trigger, "
           "status, started_at, finished_at) VALUES "
           "(1, 'shop', 'get_orders', 'schedule', 'succeeded', "
           "now() - interval '5 days', now() - interval '5 days'), "
           "(2, 'shop', 'get_orders', 'schedule', 'failed', "
           "now() - interval '4 days', now() - interval '4 days'), "
           "(3, 'shop', 'pii_retention', 'schedule', 'succeeded', "
           "now() - interval '4 days', now() - interval '4 days'), "
           "(4, 'shop', 'get_orders', 'schedule', 'succeeded', "
           "now() - interval '1 day', now() - interval '1 day'); "
           "INSERT INTO magsync.job_log (run_id, at, message) SELECT r, "
           "now() - interval '1 day' * (6 - r), 'm' FROM generate_series(1, 4)"
           " r, generate_series(1, 3); "
           "INSERT INTO magsync.jobs (channel, process, schedule, "
           "last_run_id) VALUES ('shop', 'pii_retention', '0 0 1 1 *', 3)")
    d = t.daemon(cfg)
    d.wait_log(r"pruned \d+ job_log rows and \d+ job_runs")
    stop(t, d)
    t.eq(t.psql("SELECT id FROM magsync.job_runs ORDER BY id"),
         [["3"], ["4"]], "runs kept: a job's last run and the recent one")
    t.eq(t.psql("SELECT run_id, count(*) FROM magsync.job_log GROUP BY 1 "
                "ORDER BY 1"), [["4", "3"]], "log rows kept")


def test_process_not_built_fails_clearly(t):
    """A valid job of a process this build lacks fails its runs with a
    clear error instead of pretending to work."""
    cfg = setup(t, pii_job("0 0 1 1 *"))
    r = t.ctl("check", config=cfg)
    t.eq(r.returncode, 0, "check (%s)" % r.stderr)
    from_procs = open(os.path.join(harness.TOP, "daemon", "procs.c")).read()
    missing = [p for p in ("get_orders", "sync_orders", "import_listings",
                           "sync_listings", "publish_listings")
               if "[PROC_%s]" % p.upper() not in from_procs]
    if not missing:
        print("  skipped: every process is built")
        return
    proc = missing[0]
    text = open(cfg).read() + "\n[job shop %s]\nschedule = @every 1s\n" % proc
    t.write("magsync.ini", text)
    r = t.ctl("check", config=cfg)
    if r.returncode != 0:
        print("  skipped: a bare [job shop %s] is not valid config: %s"
              % (proc, r.stderr.strip()))
        return
    d = t.daemon(cfg)
    t.wait_for(lambda: count(t, "process = '%s' AND status = 'failed'"
                                % proc) >= 1, 15, "a failed run")
    stop(t, d)
    t.eq(t.one("SELECT DISTINCT error FROM magsync.job_runs WHERE process "
               "= '%s'" % proc),
         "process %s is not available in this build" % proc, "error")
    t.eq(t.one("SELECT count(*) FROM magsync.job_log l JOIN "
               "magsync.job_runs r ON r.id = l.run_id WHERE r.process = '%s' "
               "AND l.level = 'error'" % proc) != "0", True, "error rows")


def test_valgrind(t):
    if shutil.which("valgrind") is None or "asan" in os.path.basename(
            t.build.rstrip("/")):
        print("  skipped: no valgrind, or an ASan build")
        return
    cfg = setup(t, pii_job("@every 1s", batch_size=2))
    seed_orders(t, 5)
    argv = ["valgrind", "--leak-check=full", "--error-exitcode=99",
            "--errors-for-leak-kinds=definite,possible",
            t.bin("magsyncd"), "-c", cfg]
    d = t.spawn(argv, name="valgrind")
    d.wait_log(r"magsyncd ready", timeout=60)
    t.wait_for(lambda: count(t, "status = 'succeeded'") >= 2, 30, "runs")
    d.signal(signal.SIGHUP)
    d.wait_log(r"configuration reloaded", timeout=30)
    time.sleep(1)
    d.signal(signal.SIGTERM)
    rc = d.wait(60)
    out = d.output()
    t.eq(rc, 0, "valgrind exit status:\n%s" % out[-4000:])
    assert "loop closed cleanly" in out, out[-3000:]
    assert "ERROR SUMMARY: 0 errors" in out, out[-3000:]


test_two_daemons_and_ctl_never_overlap.limit = 90
test_postgres_lost_and_back.limit = 120
test_valgrind.limit = 180
test_many_jobs_wait_for_a_slot.limit = 90
