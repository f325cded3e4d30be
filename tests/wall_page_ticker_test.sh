#!/bin/sh
# Threads blocked outside the marked calls (here 64 threads in a read of a pipe) cost the wall
# ticker one load each per look once they have a switch page (wall.c), and their clocks are
# read on a grid all of them share, so the ticker sleeps PAGE_SKIP + 1 periods at a time. Counts
# the ticker's context switches from 1 s to 3 s, as tests/progs/pipeidle reports them: before,
# the threads' clock reads, spread over the periods, woke it about every other period (944 and
# 1073 in 2 s under wall; 30-38 ms/s of its CPU); now about one in eight (250 to 271; 12-14 ms/s).
# The test allows 500. No time is lost or moved meanwhile: the wall samples at the
# read add up to the time the threads spent in it (within 3%).
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-pagetick.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
for ev in wall cpu,wall; do
	rm -f "$d"/p.*.ifl
	LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=$ev INFLAME_FREQUENCY=999 \
		INFLAME_OUTPUT="$d/p.%p.ifl" "$B/tests/progs/pipeidle" 3.5 64 > "$d/out" 2>&1 ||
		{ echo "FAIL: pipeidle failed under $ev: $(head -3 "$d/out")"; exit 1; }
	wakes=$(sed -n 's/^ticker_wakes \(-*[0-9]*\)$/\1/p' "$d/out")
	truth=$(sed -n 's/^truth idle_ms \([0-9]*\)$/\1/p' "$d/out")
	[ -n "$wakes" ] && [ "$wakes" -ge 0 ] && [ -n "$truth" ] ||
		{ echo "FAIL: no ticker seen under $ev: $(cat "$d/out")"; exit 1; }
	set -- "$d"/p.*.ifl
	[ -e "$1" ] || { echo "FAIL: no dump under $ev"; exit 1; }
	w=$("$B/inflame" collapse --event wall "$1" | awk '/pipe_wait/ { s += $NF } END { print s + 0 }')
	echo "$ev: the ticker switched $wakes times from 1 s to 3 s; at the read: $w periods" \
		"for $truth ms"
	[ "$wakes" -le 500 ] ||
		{ echo "FAIL: the ticker woke more than 500 times in 2 s beside blocked threads"; exit 1; }
	awk -v t="$truth" -v w="$w" 'BEGIN { e = t * 0.999; exit !(w >= 0.97 * e && w <= 1.03 * e) }' ||
		{ echo "FAIL: the wall samples at the read do not add up to the time in it"; exit 1; }
done
echo "PASS"
