#!/bin/sh
# The wall ticker does not wake each period for a thread that only computes: a thread found
# running is looked at every few periods (RUN_LOOK in preload/wall.c), its sample weighted by
# the periods it stands for. Counts the ticker's wakes (its voluntary context switches, from
# /proc) over one second of a thread burning CPU under wall at 999 Hz. Before, it woke each
# period (about 990 a second); now about 500, and its CPU went from 25-28 ms/s to 13-14.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-runlook.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=wall INFLAME_FREQUENCY=999 \
	INFLAME_OUTPUT="$d/p.%p.ifl" "$B/tests/progs/lifecycle" burn 3 > "$d/out" 2>&1 &
pid=$!
# The ticker's voluntary context switches, or nothing before it runs.
wakes() {
	for t in /proc/"$pid"/task/*; do
		if [ "$(cat "$t/comm" 2>/dev/null)" = inflame-wall ]; then
			sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "$t/status"
		fi
	done
}
sleep 0.5
a=$(wakes)
sleep 1
b=$(wakes)
wait "$pid" || { echo "FAIL: lifecycle burn failed: $(head -3 "$d/out")"; exit 1; }
[ -n "$a" ] && [ -n "$b" ] || { echo "FAIL: no ticker thread found"; exit 1; }
echo "the ticker woke $((b - a)) times in one second beside a busy thread"
[ $((b - a)) -le 750 ] || { echo "FAIL: the ticker wakes each period for a running thread"; exit 1; }
echo "PASS"
