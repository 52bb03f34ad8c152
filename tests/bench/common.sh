# common.sh - what the benches in tests/bench/ share (POSIX sh, sourced):
#
#	cd "$(dirname "$0")/../.."
#	. tests/bench/common.sh
#
# Sets BUILD (default build) and PYTHON (default /usr/bin/python3) unless
# the environment has them, and gives:
#   bench_build TARGET...   make TARGETs in $BUILD, never a sanitizer build
#                           (the figures are for the real thing)
#   bench_work NAME         a fresh directory $work (mode 0755: a server
#                           running as nobody reads it); at exit, whatever
#                           bench_track names is killed, the PostgreSQL of
#                           bench_pg stopped and $work removed
#   bench_pg PORT           a throwaway PostgreSQL in $work/pg on PORT;
#                           PGHOST, PGPORT and PGUSER exported
#   bench_createdb DB       CREATE DATABASE DB; $conninfo names it
#   bench_token             a random token in $work/token (0600): $token
#   bench_fake ARGS...      tests/fake/magento.py --port 0 ARGS in the
#                           background, logging to $work/fake.log, waited
#                           for: $fake (pid, tracked) and $fake_url
#   bench_wait_log FILE RE PID TENTHS
#                           wait until a line of FILE matches RE (grep -E),
#                           at most TENTHS tenths of a second; fails when
#                           PID dies first
#   bench_track PID         kill PID at exit if it still runs
#   bench_stop PID          SIGTERM, wait: its exit status; untracked
#   bench_status PID FIELD  a kB field of /proc/PID/status (VmHWM: peak RSS)
#
# Python benches can use tests/bench/benchlib.py for the same things from
# Python (psql, the fake's control API, a child's wall time, CPU and peak
# RSS).

BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
export PYTHON
work=
bench_pids=

bench_build() {
	make -s BUILD="$BUILD" SAN= "$@"
}

bench_cleanup() {
	for p in $bench_pids; do
		{ kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; } || true
	done
	if [ -n "$work" ]; then
		tests/pg.sh stop "$work/pg" >/dev/null 2>&1 || true
		rm -rf "$work"
	fi
}

bench_work() {
	work=$(mktemp -d "/tmp/magsync-bench-$1.XXXXXX")
	chmod 0755 "$work"
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

bench_pg() {
	eval "$(PGTEST_PORT=$1 tests/pg.sh start "$work/pg")"
	export PGHOST PGPORT PGUSER
}

bench_createdb() {
	psql -X -q -d postgres -c "CREATE DATABASE $1"
	conninfo="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$1"
}

bench_token() {
	token=bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
	printf '%s\n' "$token" >"$work/token"
	chmod 0600 "$work/token"
}

bench_track() {
	bench_pids="$bench_pids $1"
}

bench_stop() {
	_rc=0
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" || _rc=$?
	_left=
	for p in $bench_pids; do
		[ "$p" = "$1" ] || _left="$_left $p"
	done
	bench_pids=$_left
	return "$_rc"
}

bench_wait_log() {
	_n=0
	until grep -Eq "$2" "$1" 2>/dev/null; do
		_n=$((_n + 1))
		if [ "$_n" -gt "$4" ] || ! kill -0 "$3" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
}

bench_fake() {
	: >"$work/fake.log"
	"$PYTHON" tests/fake/magento.py --port 0 "$@" >>"$work/fake.log" 2>&1 &
	fake=$!
	bench_track "$fake"
	if ! bench_wait_log "$work/fake.log" '^listening on' "$fake" 1200; then
		echo "$(basename "$0"): the fake did not start:"
		cat "$work/fake.log"
		return 1
	fi
	fake_url=http://127.0.0.1:$(sed -n 's/^listening on \([0-9]*\).*/\1/p' \
	    "$work/fake.log")
}

bench_status() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}
