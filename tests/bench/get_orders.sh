#!/bin/sh
# get_orders.sh - benchmark of get_orders (issue #5, make bench (a)).
#
# `magsyncctl run shop get_orders` against the fake Magento with 50 ms of
# injected latency per request, page_size 50, max_concurrency 4:
#   1. 20,000 orders (about 3 order lines each), acknowledge = none:
#      wall time against 400 pages x 50 ms / 4 = 5 s (goal <= 1.3x),
#      requests made (goal: the pages only), peak RSS (goal <= 64 MB);
#   2. 200,000 orders, acknowledge = none: peak RSS (goal <= 64 MB: flat
#      in the size of the order book), wall time against its limit;
#   3. 20,000 orders, acknowledge = comment: wall time against
#      (400 + 20,000) x 50 ms / 4 = 255 s (goal <= 1.3x), requests
#      (goal: pages + one comment per order).
# Each case starts from an empty database and a fresh fake.
#
# Self-contained: builds what it needs, starts its own PostgreSQL and fake,
# prints the figures, exits 1 when a goal is missed. Environment: BUILD
# (default build), PYTHON, BENCH_PGPORT, BENCH_CASES (default "1 2 3"),
# ORDERS (20000), BIG_ORDERS (200000), LATENCY_MS (50).
set -eu
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/usr/bin/python3}
BUILD=${BUILD:-build}
PORT=${BENCH_PGPORT:-55452}

make -s BUILD="$BUILD" SAN= "$BUILD/magsyncctl"

work=$(mktemp -d /tmp/magsync-bench-orders.XXXXXX)
chmod 0755 "$work"
cleanup() {
	tests/pg.sh stop "$work/pg" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

eval "$(PGTEST_PORT=$PORT tests/pg.sh start "$work/pg")"
export PGHOST PGPORT PGUSER

"$PYTHON" - "$work" "$BUILD" <<'EOF'
import json, os, re, subprocess, sys, time, urllib.request

work, build = sys.argv[1], sys.argv[2]
python = os.environ.get("PYTHON", "/usr/bin/python3")
orders_n = int(os.environ.get("ORDERS", "20000"))
big_n = int(os.environ.get("BIG_ORDERS", "200000"))
lat = int(os.environ.get("LATENCY_MS", "50"))
cases = os.environ.get("BENCH_CASES", "1 2 3").split()
PAGE, CONC, RSS_GOAL_MB, SLACK = 50, 4, 64, 1.3
token = "bench-" + os.urandom(8).hex()
with open(os.path.join(work, "token"), "w") as f:
    f.write(token + "\n")
os.chmod(os.path.join(work, "token"), 0o600)


def psql(db, sql):
    return subprocess.run(["psql", "-X", "-q", "-A", "-t", "-d", db, "-c",
                           sql], check=True, capture_output=True,
                          text=True).stdout.strip()


def start_fake(n):
    log = open(os.path.join(work, "fake.log"), "w")
    p = subprocess.Popen([python, "tests/fake/magento.py", "--port", "0",
                          "--orders", str(n), "--products", "2000",
                          "--configurable-share", "0.5",
                          "--admin-token", token, "--journal-max", "1000",
                          "--fault", "latency,ms=%d" % lat],
                         stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        m = re.search(r"^listening on (\d+)", open(log.name).read(), re.M)
        if m:
            return p, "http://127.0.0.1:" + m.group(1)
        if p.poll() is not None:
            break
        time.sleep(0.1)
    sys.exit("get_orders.sh: the fake did not start:\n" +
             open(log.name).read())


def get(url):
    return json.load(urllib.request.urlopen(url, timeout=60))


def case(name, n, ack):
    db = "bench_%s" % name
    psql("postgres", "DROP DATABASE IF EXISTS %s" % db)
    psql("postgres", "CREATE DATABASE %s" % db)
    fake, url = start_fake(n)
    try:
        ini = os.path.join(work, "magsync.ini")
        with open(ini, "w") as f:
            f.write("[magsync]\ndatabase = host=%s port=%s user=%s "
                    "dbname=%s\ntimezone = UTC\n\n"
                    "[channel shop]\nstore_url = %s\n"
                    "access_token_file = token\nmax_concurrency = %d\n\n"
                    "[job shop get_orders]\nschedule = manual\n"
                    "days_back = 40\npage_size = %d\nacknowledge = %s\n"
                    % (os.environ["PGHOST"], os.environ["PGPORT"],
                       os.environ["PGUSER"], db, url, CONC, PAGE, ack))
        subprocess.run([build + "/magsyncctl", "-c", ini, "migrate"],
                       check=True, capture_output=True)
        urllib.request.urlopen(urllib.request.Request(
            url + "/__reset-journal", data=b"{}", method="POST"))
        out = open(os.path.join(work, "run.out"), "w+")
        t0 = time.time()
        p = subprocess.Popen([build + "/magsyncctl", "-c", ini, "run",
                              "shop", "get_orders"], stdout=out,
                             stderr=subprocess.STDOUT)
        # wait4: this process's own peak RSS and CPU, nobody else's.
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.time() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
        stats = get(url + "/__stats")
    finally:
        fake.terminate()
        fake.wait()
    if p.returncode != 0:
        print(output)
        return False, None
    m = re.search(r"requests: (\d+)", output)
    reqs = int(m.group(1)) if m else -1
    got = int(psql(db, "SELECT count(*) FROM magsync.orders"))
    lines = int(psql(db, "SELECT count(*) FROM magsync.order_items"))
    acked = int(psql(db, "SELECT count(*) FROM magsync.orders WHERE "
                         "acknowledged_at IS NOT NULL"))
    pages = -(-n // PAGE)
    want_reqs = pages + (n if ack == "comment" else 0)
    limit = want_reqs * lat / 1000.0 / CONC
    rss_mb = ru.ru_maxrss / 1024.0
    cpu = ru.ru_utime + ru.ru_stime
    ok = got == n and reqs == want_reqs and rss_mb <= RSS_GOAL_MB and \
        (ack != "comment" or acked == n)
    timed = name != "big"
    if timed:
        ok = ok and wall <= SLACK * limit
    print("get_orders %s: %d orders (%.2f rows of order_items each), "
          "acknowledge = %s" % (name, n, lines / max(1, got), ack))
    print("  wall %.2f s, limit %.2f s, ratio %.2fx (goal <= %.1fx)%s" %
          (wall, limit, wall / limit, SLACK,
           "" if timed else " - reported only"))
    print("  requests %d (goal %d: %s), max in flight at the store %s" %
          (reqs, want_reqs, "pages only" if ack == "none" else
           "pages + one comment per order", stats.get("max_in_flight")))
    print("  peak RSS %.1f MB (goal <= %d MB), CPU %.2f s; orders %d, "
          "acknowledged %d" % (rss_mb, RSS_GOAL_MB, cpu, got, acked))
    print("  %s" % ("ok" if ok else "MISSED"))
    return ok, wall


failed = 0
if "1" in cases:
    failed += not case("none", orders_n, "none")[0]
if "2" in cases:
    failed += not case("big", big_n, "none")[0]
if "3" in cases:
    failed += not case("comment", orders_n, "comment")[0]
sys.exit(1 if failed else 0)
EOF
