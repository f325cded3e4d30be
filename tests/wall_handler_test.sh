#!/bin/sh
# The wall samples of a program's signal handler that runs while its thread waits in a blocking
# call inflame marks (waitpid, clock_nanosleep, sigsuspend) go to the handler, not to the call:
# tests/progs/wallhandler spends about 60% of a 1 s wait in its SIGALRM handler. The marked
# call's periods went to the call whatever ran in it (0 to 1% of the wall samples in the
# handler; waitpid before it was marked: 82%, as true), now each mode's share of the samples in
# spin_in_handler is the program's own measure within 10 points. A mode gets a second run when
# the first is off: under a loaded machine (make -j2 check) the ticker can wake late for a whole
# stretch of the handler (seen 10.0 points off once in three full runs), while the defect this
# guards against is off by 60 points every run.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-wallhandler.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
fail=0
for mode in wait sleep suspend; do
	for try in 1 2; do
		rm -f "$d"/p.*.ifl
		LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=wall \
			INFLAME_OUTPUT="$d/p.%p.ifl" "$B/tests/progs/wallhandler" "$mode" > "$d/out" 2>&1 ||
			{ echo "FAIL: wallhandler $mode failed: $(head -3 "$d/out")"; exit 1; }
		pid=$(sed -n 's/^pid //p' "$d/out")
		truth=$(awk '/^truth/ { printf "%.1f", 100 * $3 / $5 }' "$d/out")
		f="$d/p.$pid.ifl"
		[ -n "$truth" ] && [ -s "$f" ] || { echo "FAIL: $mode: no truth or no dump $f"; exit 1; }
		got=$("$B/inflame" collapse --event wall "$f" |
			awk '{ t += $NF; if ($0 ~ /spin_in_handler/) h += $NF } END { printf "%.1f", t ? 100 * h / t : 0 }')
		echo "$mode (run $try): wall samples in the handler $got%, truth $truth%"
		awk -v g="$got" -v t="$truth" 'BEGIN { d = g - t; exit !(d > -10 && d < 10) }' && break
		[ "$try" -eq 2 ] &&
			{ echo "FAIL: $mode: the handler's share is $got%, not $truth%"; fail=1; }
	done
done
[ "$fail" -eq 0 ] || exit 1
echo "PASS"
