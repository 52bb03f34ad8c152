"""test_daemon_processes.py - the Magento processes under magsyncd's
schedules, and each process's requests bounded by the channel's
max_concurrency (counted by the fake, which sees every request in
flight)."""
import json
import signal
import urllib.request

TOKEN = "tok-daemonproc-SECRET-77d2"


def stats(url):
    with urllib.request.urlopen(url + "/__stats", timeout=30) as r:
        return json.loads(r.read().decode())


def setup(t, url, jobs, conc=3, page_size=10):
    conninfo = t.createdb()
    t.write("shop.token", TOKEN + "\n", mode=0o600)
    cfg = t.write("magsync.ini",
                  "[magsync]\ndatabase = %s\ntimezone = UTC\n"
                  "stop_timeout = 20s\n\n"
                  "[channel shop]\nstore_url = %s\n"
                  "access_token_file = shop.token\nmax_concurrency = %d\n"
                  "page_size = %d\n\n%s" % (conninfo, url, conc, page_size,
                                            jobs))
    r = t.ctl("migrate", config=cfg)
    t.eq(r.returncode, 0, "migrate (%s)" % r.stderr)
    return cfg


def test_get_orders_on_the_daemons_schedule(t):
    _, url = t.fake_magento("--admin-token", TOKEN, "--orders", "40",
                            "--seed", "3")
    cfg = setup(t, url, "[job shop get_orders]\nschedule = @every 2s\n"
                "days_back = 60\nstatuses = pending, processing\n")
    d = t.daemon(cfg)
    t.wait_for(lambda: int(t.one(
        "SELECT count(*) FROM magsync.job_runs WHERE process = 'get_orders' "
        "AND trigger = 'schedule' AND status = 'succeeded'")) >= 2, 40,
        "two scheduled get_orders runs")
    d.signal(signal.SIGTERM)
    t.eq(d.wait(30), 0, "magsyncd exit status:\n" + d.output()[-3000:])
    assert TOKEN not in d.output()
    n = int(t.one("SELECT count(*) FROM magsync.orders"))
    assert n > 0, "orders imported"
    t.eq(int(t.one("SELECT count(DISTINCT magento_entity_id) FROM "
                   "magsync.orders")), n, "each order once across runs")
    t.eq(t.one("SELECT count(*) FROM magsync.orders WHERE status NOT IN "
               "('pending', 'processing')"), "0", "the status filter")


test_get_orders_on_the_daemons_schedule.limit = 120


def bounded(t, process, fake_args, job_extra=""):
    _, url = t.fake_magento("--admin-token", TOKEN, "--seed", "4",
                            "--fault", "latency,ms=120", *fake_args)
    cfg = setup(t, url, "[job shop %s]\nschedule = manual\n%s"
                % (process, job_extra), conc=3, page_size=10)
    r = t.ctl("run", "shop", process, config=cfg, timeout=200)
    t.eq(r.returncode, 0, "%s (%s)" % (process, r.stderr[-3000:]))
    s = stats(url)
    assert s["requests"] >= 12, s
    assert s["max_in_flight"] <= 3, "over max_concurrency: %r" % s
    t.eq(s["max_in_flight"], 3, "pages in flight at once")


def test_get_orders_stays_within_max_concurrency(t):
    bounded(t, "get_orders", ("--orders", "200", "--order-days", "20"),
            "days_back = 30\nacknowledge = none\npage_size = 10\n")


def test_import_listings_stays_within_max_concurrency(t):
    bounded(t, "import_listings", ("--products", "200",))


test_get_orders_stays_within_max_concurrency.limit = 120
test_import_listings_stays_within_max_concurrency.limit = 120
