#!/bin/sh
# run.sh - the whole suite, the README's test command (make check).
#
# Builds and runs every test twice, plain (build/) and under ASan+UBSan
# (build-asan/), against one throwaway PostgreSQL, and ends with the one line
# CI reads: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
VARIANTS=${VARIANTS:-"plain asan"}
ONLY=${ONLY:-}			# substring filter on test names

work=$(mktemp -d /tmp/magsync-check.XXXXXX)
chmod 0755 "$work"
cleanup() { tests/pg.sh stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT INT TERM

passed=0
failed=0
started=$(date +%s)
add() { passed=$((passed + $1)); failed=$((failed + $2)); }

if ! eval "$(PGTEST_PORT=${PGTEST_PORT:-55432} tests/pg.sh start "$work/pg")"; then
	echo "run.sh: could not start the throwaway PostgreSQL"
	echo "0 passed, 1 failed"
	exit 1
fi
export PGHOST PGPORT PGUSER PGDATABASE
export MAGSYNC_PG_DIR="$work/pg"

for v in $VARIANTS; do
	case $v in
	plain) build=build; san= ;;
	asan) build=build-asan; san=1 ;;
	esac
	echo "== build ($v)"
	if ! make -s BUILD=$build SAN=$san tests >"$work/make-$v.log" 2>&1 ||
	    grep -q "warning:" "$work/make-$v.log"; then
		cat "$work/make-$v.log"
		echo "build ($v): FAILED (errors or warnings)"
		add 0 1
		continue
	fi
	add 1 0

	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87"
	echo "== unit ($v)"
	for t in $build/tests/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		case $name in *"$ONLY"*) ;; *) continue ;; esac
		out=$(timeout 300 "$t" 2>"$work/unit.err"); rc=$?
		res=$(printf '%s\n' "$out" | sed -n 's/^#unit-result //p' | tail -n 1)
		printf '%s\n' "$out" | grep -v '^#unit-result'
		if [ -z "$res" ]; then
			cat "$work/unit.err"
			echo "$name: no result line (exit $rc)"
			add 0 1
			continue
		fi
		set -- $res
		if [ "$rc" -ne 0 ] && [ "$2" -eq 0 ]; then
			cat "$work/unit.err"
			echo "$name: exit $rc"
			add "$1" 1
			continue
		fi
		[ "$2" -ne 0 ] && cat "$work/unit.err"
		add "$1" "$2"
	done

	echo "== integration ($v)"
	out=$("$PYTHON" tests/integration/run.py --build "$top/$build" \
	    ${ONLY:+--only "$ONLY"} 2>&1); rc=$?
	printf '%s\n' "$out" | grep -v '^#integration-result'
	res=$(printf '%s\n' "$out" | sed -n 's/^#integration-result //p' | tail -n 1)
	if [ -z "$res" ]; then
		echo "integration ($v): no result line (exit $rc)"
		add 0 1
	else
		set -- $res
		add "$1" "$2"
	fi
done

echo "suite took $(( $(date +%s) - started )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
