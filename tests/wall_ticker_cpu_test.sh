#!/bin/sh
# The wall-clock ticker thread's CPU time is the profiler's own: `inflame info` reports at least
# what /proc says that thread used (read while the program runs, so a little less than its
# total), for a thread burning 3 s of CPU, which the ticker signals each period. (It was left
# out: 0.15 to 0.20 s of ticker CPU on a loaded machine, 0.009 to 0.015 s reported.)
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-ticker.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=wall INFLAME_OUTPUT="$d/p.%p.ifl" \
	"$B/tests/progs/lifecycle" burn 3 > "$d/out" 2>&1 &
pid=$!
last=0
while kill -0 "$pid" 2>/dev/null; do
	for t in /proc/"$pid"/task/*/stat; do
		# after "(comm) state", utime and stime are the 12th and 13th fields
		v=$(sed -n 's/^[0-9]* (inflame-wall) [A-Za-z] \(.*\)$/\1/p' "$t" 2>/dev/null |
			awk '{ print $11 + $12 }')
		[ -n "$v" ] && last=$v
	done
	sleep 0.05
done
wait "$pid" || { echo "FAIL: lifecycle burn failed: $(head -3 "$d/out")"; exit 1; }
set -- "$d"/p.*.ifl
[ -e "$1" ] || { echo "FAIL: no dump"; exit 1; }
hz=$(getconf CLK_TCK)
own=$("$B/inflame" info "$1" | sed -n "s/.*inflame's threads \([0-9.]*\) s)\$/\1/p")
[ -n "$own" ] || { echo "FAIL: no profiler line: $("$B/inflame" info "$1" | grep profiler)"; exit 1; }
used=$(awk -v l="$last" -v h="$hz" 'BEGIN { printf "%.3f", l / h }')
echo "the wall ticker used at least $used s (from /proc); inflame's threads reported: $own s"
# (/proc counts whole clock ticks: 10 ms of slack)
awk -v u="$used" -v o="$own" 'BEGIN { exit !(o + 0.01 >= u) }' ||
	{ echo "FAIL: the ticker's CPU is not in the profiler's own CPU"; exit 1; }
echo "PASS"
