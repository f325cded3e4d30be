#!/bin/sh
# inflame's wall ticker keeps no descriptor in the program's table. It mapped each switch page
# from a perf event it opened at the lowest free number, for the time of an mmap, beside the
# program's threads: a program that closes a number twice (shells do) closed it, its next open
# took the number, and the ticker's close closed the program's file ("bash: cannot duplicate fd
# 5 to fd 1" in a pipeline under cpu,wall,alloc as the user nobody). The ticker now works in a
# table of its own (preload/wall.c, Descriptors).
# tests/progs/strayclose: 8 rounds of 64 threads blocked 200 ms in a pipe read (the ticker maps
# each a page) beside a thread that looks at the lowest free number and the next two, closes the
# lowest, pauses, opens /dev/null there and checks it. Before, the ticker's perf events were seen
# there in 6 quiet runs of 6 (4 rounds: 6 to 71 times; 0 to 6 descriptors lost) and in 5 of 7
# runs beside two busy loops (61 to 357 times); now in none of 16, quiet or loaded. Wall only: the
# CPU clock's perf events are the program's threads' own, opened in their handlers (moved high at
# once, preload/fdhigh.c). Lost descriptors are printed, not failed on: the writer's own opens
# still take a low number between two of its calls. Its read of each thread's /proc stat file
# each cycle did so 64 times a cycle here, and beside two busy loops 2 runs of 4 lost one; it
# now reads no file for a thread that has not run since (0 lost in 10 runs, 7 of them loaded).
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-stray.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=wall INFLAME_SHARED_FILE=0 \
	INFLAME_OUTPUT="$d/p.%p.ifl" "$B/tests/progs/strayclose" 8 64 200 > "$d/out" 2>&1
rc=$?
cat "$d/out"
[ "$rc" = 0 ] || { echo "FAIL: a perf event of inflame's in the program's table (exit $rc)"; exit 1; }
"$B/inflame" info "$d"/p.*.ifl > "$d/info" 2>&1 ||
	{ echo "FAIL: unreadable dump: $(head -2 "$d/info")"; exit 1; }
grep -q '^status: *complete' "$d/info" ||
	{ echo "FAIL: dump not complete: $(grep '^status' "$d/info")"; exit 1; }
grep -q "^samples:.*wall [1-9]" "$d/info" || { echo "FAIL: no wall samples"; exit 1; }
echo "PASS"
