#!/bin/sh
# A bounded fuzzing run of every libFuzzer target for `make check` (built when configure found
# clang with libFuzzer): FUZZ_CHECK_SECONDS (default 2) each, starting from the seed corpus in
# the tree. New inputs go to a temporary directory, never into the tree; a crash fails the test
# and leaves its input in the current directory (crash-*) for the corpus.
set -u
B=${INFLAME_BUILDDIR:-.}
S=${INFLAME_SRCDIR:-.}
secs=${FUZZ_CHECK_SECONDS:-2}
work=$(mktemp -d /tmp/inflame-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
ran=0
for t in folded perfscript dump config ehframe; do
	f="$B/tests/fuzz/fuzz-$t"
	[ -x "$f" ] || continue
	mkdir -p "$work/$t"
	if ! "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
		"$work/$t" "$S/tests/fuzz/corpus/$t" > "$work/$t.log" 2>&1; then
		tail -n 40 "$work/$t.log"
		echo "FAIL: fuzz-$t"
		exit 1
	fi
	echo "fuzz-$t: $(grep -o 'Done [0-9]* runs' "$work/$t.log" | head -n 1) in ${secs}s, no crash"
	ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || exit 77
