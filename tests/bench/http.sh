#!/bin/sh
# http.sh - benchmark of the HTTP engine (issue #3, make bench (a)).
#
# Fetches 2,000 product list pages from the fake Magento with 20 ms of
# injected latency per request, at max_concurrency 8, through
# tests/tools/httpdrive. The floor is 2,000 x 20 ms / 8 = 5 s; the goal is a
# wall time within 1.2x of it. Also reports the engine's CPU time (user +
# system of the httpdrive process) and how many connections it opened.
#
# Self-contained: builds what it needs, starts its own fake, prints results.
# Environment: BUILD (default build), PYTHON, REQUESTS (2000), LATENCY_MS
# (20), CONCURRENCY (8), PAGE_SIZE (20).
set -eu
cd "$(dirname "$0")/../.."
. tests/bench/common.sh
REQUESTS=${REQUESTS:-2000}
LATENCY_MS=${LATENCY_MS:-20}
CONCURRENCY=${CONCURRENCY:-8}
PAGE_SIZE=${PAGE_SIZE:-20}

bench_build "$BUILD/tests/httpdrive"
bench_work http
bench_token
# 2,000 pages of PAGE_SIZE products: pages hold real items all the way.
bench_fake --products $((REQUESTS * PAGE_SIZE)) --orders 0 \
    --admin-token "$token" --warm --fault "latency,ms=$LATENCY_MS"
base=$fake_url

tmpl="/rest/default/V1/products?searchCriteria[pageSize]=$PAGE_SIZE"
tmpl="$tmpl&searchCriteria[currentPage]={i}"
"$BUILD/tests/httpdrive" --url "$base" --path-template "$tmpl" \
    --count "$REQUESTS" --concurrency "$CONCURRENCY" --attempts 1 \
    --timeout 30 --token-file "$work/token" >"$work/out.jsonl"

"$PYTHON" - "$work/out.jsonl" "$base" "$REQUESTS" "$LATENCY_MS" \
    "$CONCURRENCY" <<'EOF'
import json, sys, urllib.request
lines = [json.loads(x) for x in open(sys.argv[1])]
stats = json.load(urllib.request.urlopen(sys.argv[2] + "/__stats"))
n, lat, conc = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
total = lines[-1]
reqs = lines[:-1]
floor = n * lat / conc
wall = total["wall_ms"]
items = sum(r["bytes"] for r in reqs)
bad = [r for r in reqs if r["status"] != 200]
print("http: %d product pages, %d ms latency, max_concurrency %d" % (n, lat, conc))
print("http: wall %d ms, limit %d ms, ratio %.2fx (goal <= 1.20x) %s" %
      (wall, floor, wall / floor, "ok" if wall <= 1.2 * floor else "SLOW"))
print("http: engine cpu %d ms (%.1f us per request), %.1f MB received" %
      (total["cpu_ms"], 1000.0 * total["cpu_ms"] / n, items / 1e6))
print("http: max in flight at the store %s, in the engine %d; failures %d" %
      (stats.get("max_in_flight"), total["max_running"], len(bad)))
if bad:
    print("http: first failure: %r" % bad[0])
    sys.exit(1)
EOF
