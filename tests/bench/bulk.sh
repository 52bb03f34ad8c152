#!/bin/sh
# bulk.sh - benchmark of page-sized upserts (issue #3, make bench (b)).
#
# Upserts ROWS (100,000) generated listing rows into magsync.listings in
# PAGE-row (250) transactions - BEGIN, one bulk_upsert, COMMIT, as a
# process writes a page - with each strategy of daemon/bulk.c:
#   values   multi-row INSERT ... VALUES ($1, ...), ... ON CONFLICT
#   stage    COPY into a temporary staging table, INSERT ... SELECT ...
#            ON CONFLICT
#   arrays   INSERT ... SELECT FROM unnest($1::text[], ...) ON CONFLICT
#            (one text[] parameter per column)
# and a plain COPY of the same rows into the empty table: the limit (the
# winner once more with RETURNING id, the price of asking for ids). Each
# strategy runs twice per round: into the empty table (inserts) and again
# with changed prices and quantities (every row an update). Rounds are
# interleaved and the best of ROUNDS (3) is reported - other work on the
# machine only ever slows a run down - as rows/s and as a ratio to COPY's
# rows/s. Goal: the strategy bulk.c uses (BULK_AUTO) at >= 0.5x of COPY
# for inserts.
#
# Self-contained: builds what it needs, starts its own throwaway PostgreSQL
# (BENCH_PGPORT, default 55445), cleans up. Environment: BUILD, ROWS, PAGE,
# ROUNDS, BENCH_PGPORT.
set -eu
cd "$(dirname "$0")/../.."
. tests/bench/common.sh
ROWS=${ROWS:-100000}
PAGE=${PAGE:-250}
ROUNDS=${ROUNDS:-3}

bench_build "$BUILD/magsyncctl" "$BUILD/tests/bulkbench"
bench_work bulk
bench_pg "${BENCH_PGPORT:-55445}"
bench_createdb bench
"$BUILD/magsyncctl" migrate --database "$conninfo" >/dev/null

: >"$work/results.jsonl"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for mode in copy values stage arrays "arrays --returning"; do
		# shellcheck disable=SC2086 # mode carries an option
		"$BUILD/tests/bulkbench" "$conninfo" bench $mode \
		    --rows "$ROWS" --page "$PAGE" >>"$work/results.jsonl"
	done
	r=$((r + 1))
done

"$PYTHON" - "$work/results.jsonl" "$ROWS" "$PAGE" "$ROUNDS" <<'EOF'
import json, sys
res = [json.loads(x) for x in open(sys.argv[1])]
rows, page, rounds = sys.argv[2], sys.argv[3], sys.argv[4]
copy = max(r["rows_per_s"] for r in res if r["mode"] == "copy")
print("bulk: %s listing rows, %s-row transactions, best of %s rounds"
      % (rows, page, rounds))
print("bulk: plain COPY (the limit)        %8.0f rows/s" % copy)
winner = "arrays"          # BULK_DEFAULT in daemon/bulk.c
ok = True
for mode, ret in (("values", False), ("stage", False), ("arrays", False),
                  ("arrays", True)):
    mine = [r for r in res if r["mode"] == mode and r["returning"] == ret]
    ins = max(r["insert_rows_per_s"] for r in mine)
    upd = max(r["update_rows_per_s"] for r in mine)
    name = mode + (" + RETURNING id" if ret else "")
    tag = " (used)" if mode == winner and not ret else ""
    print("bulk: %-24s insert %7.0f rows/s %.2fx COPY, update %7.0f rows/s "
          "%.2fx COPY%s" % (name, ins, ins / copy, upd, upd / copy, tag))
    if tag and ins < 0.5 * copy:
        ok = False
print("bulk: goal >= 0.50x COPY for inserts: %s" % ("ok" if ok else "MISSED"))
sys.exit(0 if ok else 1)
EOF
