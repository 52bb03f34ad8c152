#!/bin/sh
# sync_orders.sh - benchmark of sync_orders (issue #5, make bench (b)).
#
# `magsyncctl run shop sync_orders` with 5,000 pending shipments (one per
# order, one or two lines each) against the fake Magento with 50 ms of
# injected latency per request, max_concurrency 4. The limit is
# 5,000 x 50 ms / 4 = 62.5 s; the goal a wall time within 1.3x of it, one
# request per shipment, every shipment synced exactly once, and a peak RSS
# of at most 64 MB.
#
# Self-contained: builds what it needs, starts its own PostgreSQL and fake,
# prints the figures, exits 1 when a goal is missed. Environment: BUILD
# (default build), PYTHON, BENCH_PGPORT, SHIPMENTS (5000), LATENCY_MS (50),
# CONCURRENCY (4).
set -eu
cd "$(dirname "$0")/../.."
. tests/bench/common.sh

bench_build "$BUILD/magsyncctl"
bench_work ship
bench_pg "${BENCH_PGPORT:-55453}"
bench_token
bench_createdb bench

"$PYTHON" - "$work" "$BUILD" "$token" "$conninfo" <<'EOF'
import os, subprocess, sys

sys.path.insert(0, "tests/bench")
from benchlib import control, psql, run_measured, start_fake  # noqa: E402

work, build, token, conninfo = sys.argv[1:5]
n = int(os.environ.get("SHIPMENTS", "5000"))
lat = int(os.environ.get("LATENCY_MS", "50"))
conc = int(os.environ.get("CONCURRENCY", "4"))
SLACK, RSS_GOAL_MB = 1.3, 64

fake, base = start_fake(work, ["--orders", "0", "--products", "10",
                               "--admin-token", token,
                               "--journal-max", "1000"], timeout=60,
                        who="sync_orders.sh")
try:
    # Orders 1..n in the fake; every third has two lines.
    orders = []
    for k in range(1, n + 1):
        items = [{"item_id": 16 * k + 1, "sku": "SKU-%d" % k,
                  "qty_ordered": 2, "price": 10}]
        if k % 3 == 0:
            items.append({"item_id": 16 * k + 2, "sku": "SKU-%d-B" % k,
                          "qty_ordered": 1, "price": 5})
        orders.append({"entity_id": k, "status": "processing",
                       "state": "processing", "grand_total": 25,
                       "total_invoiced": 25, "items": items})
    for i in range(0, n, 1000):
        control(base, "/__state/orders", {"orders": orders[i:i + 1000]})

    cfg = os.path.join(work, "magsync.ini")
    with open(cfg, "w") as f:
        f.write("[magsync]\ndatabase = %s\n\n[channel shop]\n"
                "store_url = %s\naccess_token_file = token\n"
                "max_concurrency = %d\n\n[job shop sync_orders]\n"
                "schedule = manual\nnotify_customer = yes\n\n"
                "[job shop get_orders]\nschedule = manual\n"
                "pii_retention = 30\n" % (conninfo, base, conc))
    ctl = os.path.join(build, "magsyncctl")
    subprocess.run([ctl, "-c", cfg, "migrate"], check=True,
                   capture_output=True)
    # What get_orders and a WMS would have written.
    psql("bench", "INSERT INTO magsync.orders (channel, magento_entity_id, "
         "increment_id, status, customer_note) SELECT 'shop', g, "
         "lpad(g::text, 9, '0'), 'processing', 'note ' || g "
         "FROM generate_series(1, %d) g" % n)
    psql("bench", "INSERT INTO magsync.order_items (order_id, "
         "magento_item_id, sku, qty_ordered) SELECT o.id, "
         "16 * o.magento_entity_id + 1, "
         "'SKU-' || o.magento_entity_id, 2 FROM magsync.orders o")
    psql("bench", "INSERT INTO magsync.order_items (order_id, "
         "magento_item_id, sku, qty_ordered) SELECT o.id, "
         "16 * o.magento_entity_id + 2, "
         "'SKU-' || o.magento_entity_id || '-B', 1 FROM magsync.orders o "
         "WHERE o.magento_entity_id % 3 = 0")
    psql("bench", "INSERT INTO magsync.shipments (order_id, carrier, "
         "tracking_number, method) SELECT o.id, 'DHL Express', "
         "lpad((1000000000 + o.magento_entity_id)::text, 10, '0'), "
         "'Express Worldwide' FROM magsync.orders o")
    psql("bench", "VACUUM ANALYZE")

    control(base, "/__faults", {"set": ["latency,ms=%d" % lat]})
    control(base, "/__reset-journal", {})
    rc, wall, ru, output = run_measured([ctl, "-c", cfg, "run", "shop",
                                         "sync_orders"],
                                        os.path.join(work, "run.out"))
    rss_mb = ru.ru_maxrss / 1024.0
    stats = control(base, "/__stats")
    state = control(base, "/__state")
finally:
    fake.terminate()
    fake.wait()

limit = n * lat / 1000.0 / conc
synced = int(psql("bench", "SELECT count(*) FROM magsync.shipments "
                  "WHERE status = 'synced'"))
shipped = int(psql("bench", "SELECT count(*) FROM magsync.orders "
                   "WHERE shipped_at IS NOT NULL AND pii_purge_at IS NOT "
                   "NULL"))
created = state["counts"]["shipments"] if "counts" in state and \
    "shipments" in state["counts"] else len(state["shipments"])
ok = True
print("sync_orders: %d pending shipments, %d ms latency, max_concurrency %d"
      % (n, lat, conc))
goal = wall <= SLACK * limit
ok &= goal
print("sync_orders: wall %.1f s, limit %.1f s (%d x %d ms / %d), ratio "
      "%.2fx (goal <= %.1fx) %s" % (wall, limit, n, lat, conc, wall / limit,
                                    SLACK, "ok" if goal else "SLOW"))
goal = stats["requests"] == n
ok &= goal
print("sync_orders: requests %d (goal %d: one per shipment) %s; max in "
      "flight at the store %s" % (stats["requests"], n,
                                  "ok" if goal else "MISSED",
                                  stats.get("max_in_flight")))
goal = synced == n and created == n and shipped == n
ok &= goal
print("sync_orders: %d rows synced, %d shipments in Magento, %d orders "
      "fully shipped %s" % (synced, created, shipped,
                            "ok" if goal else "MISSED"))
goal = rss_mb <= RSS_GOAL_MB
ok &= goal
print("sync_orders: peak RSS %.1f MB (goal <= %d MB) %s"
      % (rss_mb, RSS_GOAL_MB, "ok" if goal else "MISSED"))
if rc != 0:
    ok = False
    print("sync_orders: magsyncctl exit %d:\n%s" % (rc, output[-4000:]))
sys.exit(0 if ok else 1)
EOF
