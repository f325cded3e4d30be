#!/bin/sh
# inflame's wall ticker keeps no descriptor in the program's table. It mapped each switch page
# from a perf event it opened at the lowest free number, for the time of an mmap, beside the
# program's threads: a program that closes a number twice (shells do) closed it, its next open
# took the number, and the ticker's close closed the program's file ("bash: cannot duplicate fd
# 5 to fd 1" in a pipeline under cpu,wall,alloc as the user nobody). The ticker now works in a
# table of its own (preload/wall.c, Descriptors).
# tests/progs/strayclose: 4 rounds of 64 threads blocked 200 ms in a pipe read (the ticker maps
# each a page) beside a thread that looks at the lowest free number, closes it, pauses, opens
# /dev/null there and checks it. Before, the ticker's perf events were seen at that number 6 to
# 71 times a run and 0 to 6 of the thread's descriptors were lost (6 runs of 6 saw them, 5 lost
# some); now none seen in 6 of 6, under load as well. Wall only: the CPU clock's perf events are
# the program's threads' own, opened in their handlers (moved high at once, preload/fdhigh.c).
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-stray.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=wall INFLAME_SHARED_FILE=0 \
	INFLAME_OUTPUT="$d/p.%p.ifl" "$B/tests/progs/strayclose" 4 64 200 > "$d/out" 2>&1
rc=$?
cat "$d/out"
[ "$rc" = 0 ] || { echo "FAIL: a perf event of inflame's in the program's table (exit $rc)"; exit 1; }
"$B/inflame" info "$d"/p.*.ifl > "$d/info" 2>&1 ||
	{ echo "FAIL: unreadable dump: $(head -2 "$d/info")"; exit 1; }
grep -q '^status: *complete' "$d/info" ||
	{ echo "FAIL: dump not complete: $(grep '^status' "$d/info")"; exit 1; }
grep -q "^samples:.*wall [1-9]" "$d/info" || { echo "FAIL: no wall samples"; exit 1; }
echo "PASS"
