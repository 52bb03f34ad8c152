#!/bin/sh
# tmpl.sh - mapping template benchmark (part of make bench).
#
# Applies sync_listings.default to TMPL_BENCH_N (default 1,000,000) listing
# rows, and import_listings.default to as many Magento products, and prints
# ns per record (CPU time of the thread, and wall time) and allocations per
# record. Builds build/tests/bench_tmpl first (BUILD= to change; never a
# sanitizer build: the tool counts allocations by replacing malloc).
set -eu
cd "$(dirname "$0")/../.."
. tests/bench/common.sh
N=${TMPL_BENCH_N:-1000000}

bench_build "$BUILD/tests/bench_tmpl"
echo "== mapping templates ($N records)"
"$BUILD/tests/bench_tmpl" "$N"
