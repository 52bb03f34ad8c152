#!/bin/sh
# import_listings.sh - benchmark of import_listings (issue #6, make bench).
#
# `magsyncctl run shop import_listings` against the fake Magento with 50 ms
# of injected latency per request, page_size 250, max_concurrency 4, the
# default template (so: stock listing, category tree, store configs):
#   1. 100,000 products, 10 % configurable with 4 children each (so half
#      the catalogue in families): wall time against (product pages +
#      stock pages) x 50 ms / 4 (goal <= 1.3x), requests (goal: product
#      pages + stock pages + 2, with at most one product page more than a
#      single list would take), peak RSS (goal <= 64 MB);
#   2. the same at 1,000,000 products: peak RSS (goal <= 64 MB, flat in the
#      catalogue's size), wall time against its limit (reported only).
# Each case starts from an empty database and a fresh fake (--warm: pages
# cost the fake no rendering). The phases come from the fake's journal.
#
# Self-contained: builds what it needs, starts its own PostgreSQL and fake,
# prints the figures, exits 1 when a goal is missed. Environment: BUILD
# (default build), PYTHON, BENCH_PGPORT, BENCH_CASES (default "1 2"),
# PRODUCTS (100000), BIG_PRODUCTS (1000000), LATENCY_MS (50).
set -eu
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/usr/bin/python3}
BUILD=${BUILD:-build}
PORT=${BENCH_PGPORT:-55462}

make -s BUILD="$BUILD" SAN= "$BUILD/magsyncctl"

work=$(mktemp -d /tmp/magsync-bench-import.XXXXXX)
chmod 0755 "$work"
cleanup() {
	tests/pg.sh stop "$work/pg" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

eval "$(PGTEST_PORT=$PORT tests/pg.sh start "$work/pg")"
export PGHOST PGPORT PGUSER

"$PYTHON" - "$work" "$BUILD" <<'EOF'
import json, math, os, re, subprocess, sys, time, urllib.request

work, build = sys.argv[1], sys.argv[2]
python = os.environ.get("PYTHON", "/usr/bin/python3")
small_n = int(os.environ.get("PRODUCTS", "100000"))
big_n = int(os.environ.get("BIG_PRODUCTS", "1000000"))
lat = int(os.environ.get("LATENCY_MS", "50"))
cases = os.environ.get("BENCH_CASES", "1 2").split()
PAGE, CONC, RSS_GOAL_MB, SLACK = 250, 4, 64, 1.3
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
    # 10 % of the products are configurables with 4 children: families
    # (parent + children) are half the catalogue.
    p = subprocess.Popen([python, "tests/fake/magento.py", "--port", "0",
                          "--products", str(n), "--orders", "0",
                          "--configurable-share", "0.5", "--children", "4",
                          "--admin-token", token, "--warm",
                          "--cache-mb", str(max(256, n // 250)),
                          "--journal-max", "100000", "--journal-body-max",
                          "0", "--fault", "latency,ms=%d" % lat],
                         stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 1800
    while time.time() < deadline:
        m = re.search(r"^listening on (\d+)", open(log.name).read(), re.M)
        if m:
            return p, "http://127.0.0.1:" + m.group(1)
        if p.poll() is not None:
            break
        time.sleep(0.2)
    sys.exit("import_listings.sh: the fake did not start:\n" +
             open(log.name).read())


def get(url):
    return json.load(urllib.request.urlopen(url, timeout=120))


def journal(url):
    out, since = [], 0
    while True:
        j = get(url + "/__journal?since=%d&limit=20000" % since)
        out.extend(j["entries"])
        if not j["entries"] or j["last_seq"] <= since:
            return out
        since = j["last_seq"]


def phases(entries):
    by = {}
    for e in entries:
        by.setdefault(e["route"], []).append(e)
    t0 = min(e["t_start"] for e in entries)
    out = []
    for r, v in sorted(by.items(), key=lambda kv: min(e["t_start"]
                                                       for e in kv[1])):
        out.append("    %-28s %5d requests, %6.2f .. %6.2f s" %
                   (r, len(v), min(e["t_start"] for e in v) - t0,
                    max(e["t_end"] for e in v) - t0))
    return by, "\n".join(out)


def case(name, n, timed):
    db = "bench_%s" % name
    psql("postgres", "DROP DATABASE IF EXISTS %s" % db)
    psql("postgres", "CREATE DATABASE %s" % db)
    t_fake = time.time()
    fake, url = start_fake(n)
    t_fake = time.time() - t_fake
    try:
        ini = os.path.join(work, "magsync.ini")
        with open(ini, "w") as f:
            f.write("[magsync]\ndatabase = host=%s port=%s user=%s "
                    "dbname=%s\ntimezone = UTC\n\n"
                    "[channel shop]\nstore_url = %s\n"
                    "access_token_file = token\nmax_concurrency = %d\n"
                    "page_size = %d\n\n"
                    "[job shop import_listings]\nschedule = manual\n"
                    % (os.environ["PGHOST"], os.environ["PGPORT"],
                       os.environ["PGUSER"], db, url, CONC, PAGE))
        subprocess.run([build + "/magsyncctl", "-c", ini, "migrate"],
                       check=True, capture_output=True)
        urllib.request.urlopen(urllib.request.Request(
            url + "/__reset-journal", data=b"{}", method="POST"))
        out = open(os.path.join(work, "run.out"), "w+")
        t0 = time.time()
        p = subprocess.Popen([build + "/magsyncctl", "-c", ini, "run",
                              "shop", "import_listings"], stdout=out,
                             stderr=subprocess.STDOUT)
        # wait4: this process's own peak RSS and CPU, nobody else's.
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.time() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
        stats = get(url + "/__stats")
        by, phase_text = phases(journal(url))
    finally:
        fake.terminate()
        fake.wait()
    if p.returncode != 0:
        print(output)
        return False
    m = re.search(r"requests: (\d+)", output)
    reqs = int(m.group(1)) if m else -1
    listings = int(psql(db, "SELECT count(*) FROM magsync.listings"))
    variants = int(psql(db, "SELECT count(*) FROM magsync.listing_variants"))
    product_pages = len(by.get("/V1/products", []))
    stock_pages = len(by.get("/V1/inventory/source-items", []))
    single_list = math.ceil(n / PAGE)
    pages = product_pages + stock_pages
    limit = pages * lat / 1000.0 / CONC
    rss_mb = ru.ru_maxrss / 1024.0
    cpu = ru.ru_utime + ru.ru_stime
    ok = reqs == pages + 2 and product_pages <= single_list + 1 and \
        rss_mb <= RSS_GOAL_MB and listings + variants == n
    if timed:
        ok = ok and wall <= SLACK * limit
    print("import_listings %s: %d products (fake ready in %.0f s): "
          "%d listings, %d variants" % (name, n, t_fake, listings,
                                        variants))
    print("  wall %.2f s, limit %.2f s = (%d product pages + %d stock "
          "pages) x %d ms / %d, ratio %.2fx (goal <= %.1fx)%s" %
          (wall, limit, product_pages, stock_pages, lat, CONC,
           wall / limit, SLACK, "" if timed else " - reported only"))
    print("  requests %d (goal: pages + 2 = %d; product pages %d, one list "
          "would be %d), max in flight at the store %s" %
          (reqs, pages + 2, product_pages, single_list,
           stats.get("max_in_flight")))
    print("  peak RSS %.1f MB (goal <= %d MB), CPU %.2f s" %
          (rss_mb, RSS_GOAL_MB, cpu))
    print("  phases (from the fake's journal):\n" + phase_text)
    print("  %s" % ("ok" if ok else "MISSED"))
    return ok


failed = 0
if "1" in cases:
    failed += not case("100k", small_n, True)
if "2" in cases:
    failed += not case("1m", big_n, False)
sys.exit(1 if failed else 0)
EOF
