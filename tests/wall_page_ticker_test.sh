#!/bin/sh
# Threads blocked outside the marked calls (here 64 threads in a read of a pipe) cost the wall
# ticker one load each per look once they have a switch page (wall.c), and their clocks are
# read on a grid all of them share, so the ticker sleeps PAGE_SKIP + 1 periods at a time. Counts
# the ticker's context switches (from /proc) from 1 s to 3 s of tests/progs/pipeidle: before,
# the threads' clock reads, spread over the periods, woke it about every other period (944 and
# 1073 in 2 s under wall; 30-38 ms/s of its CPU); now about one in eight (169 to 271; 12-14 ms/s).
# The test allows 250 a second, over the time that passed between its two reads. No time is
# lost or moved meanwhile: the wall samples at the read add up to the time the threads spent
# in it (within 3%).
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-pagetick.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
# The context switches of process $pid's ticker so far, or nothing before it runs (shell
# builtins only: forks for each of its 66 threads took seconds on a loaded machine).
switches() {
	for t in /proc/"$pid"/task/*; do
		comm=
		read -r comm < "$t/comm" 2>/dev/null
		[ "$comm" = inflame-wall ] || continue
		s=0
		while read -r key v; do
			case $key in
			voluntary_ctxt_switches: | nonvoluntary_ctxt_switches:) s=$((s + v)) ;;
			esac
		done < "$t/status"
		echo "$s"
	done
}
for ev in wall cpu,wall; do
	rm -f "$d"/p.*.ifl
	LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=$ev INFLAME_FREQUENCY=999 \
		INFLAME_OUTPUT="$d/p.%p.ifl" "$B/tests/progs/pipeidle" 6 64 > "$d/out" 2>&1 &
	pid=$!
	sleep 1
	a=$(switches)
	read -r ta _ < /proc/uptime
	sleep 2
	b=$(switches)
	read -r tb _ < /proc/uptime
	wait "$pid" || { echo "FAIL: pipeidle failed under $ev: $(head -3 "$d/out")"; exit 1; }
	[ -n "$a" ] && [ -n "$b" ] || { echo "FAIL: no ticker thread found under $ev"; exit 1; }
	wakes=$((b - a))
	truth=$(sed -n 's/^truth idle_ms \([0-9]*\)$/\1/p' "$d/out")
	[ -n "$truth" ] || { echo "FAIL: pipeidle said no truth under $ev: $(cat "$d/out")"; exit 1; }
	set -- "$d"/p.*.ifl
	[ -e "$1" ] || { echo "FAIL: no dump under $ev"; exit 1; }
	w=$("$B/inflame" collapse --event wall "$1" | awk '/pipe_wait/ { s += $NF } END { print s + 0 }')
	# The rate over the time that passed between the two reads, which a loaded machine makes
	# longer than the sleep.
	rate=$(awk -v n="$wakes" -v t0="$ta" -v t1="$tb" 'BEGIN { printf "%.0f", n / (t1 - t0) }')
	echo "$ev: the ticker switched $wakes times in $(awk -v t0="$ta" -v t1="$tb" 'BEGIN { print t1 - t0 }') s" \
		"from 1 s on ($rate a second); at the read: $w periods for $truth ms"
	[ "$rate" -le 250 ] ||
		{ echo "FAIL: the ticker woke more than 250 times a second beside blocked threads"; exit 1; }
	awk -v t="$truth" -v w="$w" 'BEGIN { e = t * 0.999; exit !(w >= 0.97 * e && w <= 1.03 * e) }' ||
		{ echo "FAIL: the wall samples at the read do not add up to the time in it"; exit 1; }
done
echo "PASS"
