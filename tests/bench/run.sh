#!/bin/sh
# run.sh - `make bench`: every benchmark in tests/bench/ in turn.
#
# Each bench is a self-contained shell script (it builds, starts its own
# throwaway PostgreSQL and cleans up) that prints its figures and exits
# non-zero when it misses a goal; what they share is in common.sh.
# BENCH_ONLY=name runs only matching ones.
set -u
cd "$(dirname "$0")/../.."
failed=0
ran=0
for b in tests/bench/*.sh; do
	name=$(basename "$b" .sh)
	case $name in run | common) continue ;; esac	# not benches
	case $name in *"${BENCH_ONLY:-}"*) ;; *) continue ;; esac
	echo "== bench $name"
	ran=$((ran + 1))
	rc=0
	if [ -x "$b" ]; then
		"$b" || rc=$?
	else
		sh "$b" || rc=$?
	fi
	if [ "$rc" -ne 0 ]; then
		echo "bench $name: FAILED"
		failed=$((failed + 1))
	fi
done
echo "benches: $ran run, $failed failed"
[ "$failed" -eq 0 ]
