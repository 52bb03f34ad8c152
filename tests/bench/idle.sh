#!/bin/sh
# idle.sh - an idle magsyncd costs nothing: 200 channels x 5 jobs whose
# schedules do not fall due during the window; measure CPU time, wake-ups
# (context switches) and peak RSS over BENCH_SECONDS (default 60).
#
# Goals (SPEC §8, STYLE.md §22): no wake-up while no job is due (the timer
# is armed for the soonest job only), peak RSS <= 20 MB.
set -eu
cd "$(dirname "$0")/../.."
. tests/bench/common.sh
SECONDS_IDLE=${BENCH_SECONDS:-60}
CHANNELS=${BENCH_CHANNELS:-200}
RSS_GOAL_KB=20480

bench_build "$BUILD/magsyncd" "$BUILD/magsyncctl"
bench_work idle
bench_pg "${BENCH_PGPORT:-55441}"
bench_createdb bench

printf 'tok-bench\n' >"$work/bench.token"
chmod 0600 "$work/bench.token"
ini=$work/magsync.ini
{
	printf '[magsync]\ndatabase = %s\n' "$conninfo"
	printf 'timezone = UTC\nlog_level = info\n\n'
	i=1
	while [ "$i" -le "$CHANNELS" ]; do
		printf '[channel c%d]\nstore_url = http://127.0.0.1:9\n' "$i"
		printf 'access_token_file = bench.token\n\n'
		for p in import_listings sync_listings get_orders sync_orders \
		    pii_retention; do
			printf '[job c%d %s]\nschedule = 0 0 1 1 *\n\n' \
			    "$i" "$p"
		done
		i=$((i + 1))
	done
} >"$ini"
"$BUILD/magsyncctl" -c "$ini" migrate >/dev/null

"$BUILD/magsyncd" -c "$ini" >"$work/magsyncd.log" 2>&1 &
pid=$!
bench_track "$pid"
if ! bench_wait_log "$work/magsyncd.log" "magsyncd ready" "$pid" 300; then
	cat "$work/magsyncd.log"
	echo "idle: magsyncd did not become ready"
	exit 1
fi
# Let start-up work (jobs table, sweeps, pruning) finish first.
sleep 3

cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
switches() {
	awk '/^(voluntary|nonvoluntary)_ctxt_switches/ { s += $2 }
	    END { print s }' "/proc/$pid/status"
}
cpu0=$(cpu)
sw0=$(switches)
sleep "$SECONDS_IDLE"
cpu1=$(cpu)
sw1=$(switches)
hwm=$(bench_status "$pid" VmHWM)
rss=$(bench_status "$pid" VmRSS)
hz=$(getconf CLK_TCK)
jobs=$(psql -X -q -A -t -d bench -c "SELECT count(*) FROM magsync.jobs")
runs=$(psql -X -q -A -t -d bench -c "SELECT count(*) FROM magsync.job_runs")

rc=0
bench_stop "$pid" || rc=$?
grep -q "loop closed cleanly" "$work/magsyncd.log" || rc=1

wake=$((sw1 - sw0))
echo "idle: $jobs jobs ($CHANNELS channels x 5), none due, ${SECONDS_IDLE} s"
awk -v a="$cpu0" -v b="$cpu1" -v hz="$hz" \
    'BEGIN { printf "idle: CPU time %.2f s (utime+stime)\n", (b - a) / hz }'
echo "idle: wake-ups $wake (context switches; goal: 0 while nothing is due)"
echo "idle: peak RSS $((hwm / 1024)).$(((hwm % 1024) * 10 / 1024)) MB" \
    "(VmHWM ${hwm} kB; now ${rss} kB; goal <= 20 MB)"
echo "idle: runs recorded $runs (goal: 0); clean exit: $([ $rc -eq 0 ] &&
    echo yes || echo no)"
ok=1
[ "$wake" -eq 0 ] || ok=0
[ "$hwm" -le "$RSS_GOAL_KB" ] || ok=0
[ "$runs" -eq 0 ] || ok=0
[ "$rc" -eq 0 ] || ok=0
if [ "$ok" -eq 1 ]; then
	echo "idle: PASS"
else
	tail -n 20 "$work/magsyncd.log"
	echo "idle: FAIL"
	exit 1
fi
