#!/bin/sh
# run.sh - the libFuzzer targets (make fuzz).
#
# Builds each tests/fuzz/fuzz_*.c with Debian's clang and
# -fsanitize=fuzzer,address,undefined against lib/ into build-fuzz/, then
# runs it for FUZZ_SECONDS (default 60) seeded from tests/fuzz/corpus/NAME/.
# New inputs go to build-fuzz/corpus/NAME/ (the seeds in tests/ stay small;
# copy an interesting find there by hand). A crash, leak or sanitizer report
# stops that target, leaves the reproducer in build-fuzz/ and makes the
# script exit 1. Environment: FUZZ_SECONDS, TARGETS (names, default all),
# CLANG.
set -u
cd "$(dirname "$0")/../.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
CLANG=${CLANG:-clang}
OUT=build-fuzz
PKGS="jansson libuv libcurl libpq inih"

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "fuzz: $CLANG not found (apt-get install clang libclang-rt-14-dev)"
	exit 1
fi
if [ -z "${TARGETS:-}" ]; then
	TARGETS=$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done)
fi

mkdir -p "$OUT"
# -O1 keeps the sanitizers fast enough; -fno-sanitize-recover makes any
# UBSan finding a crash libFuzzer stops on.
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Ilib $(pkg-config --cflags $PKGS 2>/dev/null)"
LIBS="$(pkg-config --libs $PKGS 2>/dev/null) -lm"

status=0
for t in $TARGETS; do
	echo "== $t: build"
	# shellcheck disable=SC2086
	if ! $CLANG $CFLAGS -o "$OUT/$t" "tests/fuzz/$t.c" lib/*.c $LIBS \
	    2>"$OUT/$t.build.log"; then
		cat "$OUT/$t.build.log"
		echo "$t: build FAILED"
		status=1
		continue
	fi
	mkdir -p "$OUT/corpus/$t" "tests/fuzz/corpus/$t"
	echo "== $t: run ${FUZZ_SECONDS}s"
	ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
	    "$OUT/$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
	    -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
	    -artifact_prefix="$OUT/$t-" "$OUT/corpus/$t" "tests/fuzz/corpus/$t" \
	    >"$OUT/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$t.log" |
	    awk '{s += $1} END {print s + 0}')
	corpus=$(find "$OUT/corpus/$t" -type f | wc -l)
	if [ "$rc" -ne 0 ]; then
		grep -E "ERROR|SUMMARY|runtime error|Test unit written" \
		    "$OUT/$t.log" | head -20
		echo "$t: FAILED (exit $rc) after $execs executions; log $OUT/$t.log"
		status=1
	else
		echo "$t: ok, $execs executions, corpus $corpus files" \
		    "(+ $(find "tests/fuzz/corpus/$t" -type f | wc -l) seeds)"
	fi
done
exit $status
