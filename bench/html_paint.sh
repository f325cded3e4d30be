#!/bin/sh
# Benchmark of the profile viewer's page (tools/output/viewer.js) in headless Chromium: pages of
# BENCH_SIZES unique stacks (default 10k, 100k, 1M; depth 10 to 60) in the viewer's data
# format, time from navigation to the flame graph's first paint, then zoom, reset, search and
# clearing the search (script time), and the time to interactive (the whole viewer ready);
# medians of BENCH_ROUNDS rounds (3). BENCH_COMPARE=other/inflame measures its pages too, in
# interleaved rounds. BENCH_PARENT=delta writes the call tree's parents as nodes.parent_delta
# (node minus parent) instead of absolute indexes.
# BENCH_INFLAME=path/to/inflame opens the pages that `inflame html` writes for bench/gen-stacks'
# stacks instead (bench-html-paint sets it to the build's inflame unless BENCH_INFLAME=none);
# with it, the size "dump" (one of the defaults) is the page of a generated dump of a 10-minute,
# 999 Hz, 8-thread run.
# The machine's load average is printed with the figures: on a shared machine they vary a lot.
set -u
B=${INFLAME_BUILDDIR:-.}
S=${INFLAME_SRCDIR:-.}
SIZES=${BENCH_SIZES:-"10000 100000 1000000 dump"}
OUT=${BENCH_DIR:-$B/bench-out}
[ "${BENCH_INFLAME:-}" = none ] || export BENCH_INFLAME="${BENCH_INFLAME:-$B/inflame}"
dir=$(INFLAME_BUILDDIR=$B sh "$S/tests/browser/setup.sh") || {
	echo "bench-html-paint: needs chromium and playwright-core (see above)"
	exit 1
}
echo "bench-html-paint: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
node "$S/bench/html_paint.mjs" "$dir" "$S/tools/output/viewer.js" "$OUT" $SIZES
rc=$?
echo "bench-html-paint: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
