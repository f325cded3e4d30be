#!/bin/sh
# A request-driven program (tests/progs/reqloop: 100 requests a second, every thread waiting
# in a marked call between them) lets the wall ticker sleep between requests (wall.c, long
# sleeps). Counts the ticker's context switches (from /proc) from 1 s to 3 s. Before, the quiet
# ticks it waited for before a long sleep doubled each time a request ended one early, and
# each time a thread came back from its call as it was about to sleep, and never came down:
# it woke each period (1940 to 1960 in 2 s under wall, 18-20 ms/s of its CPU); now about
# 3.5 times per request (690 to 810; 7-8 ms/s). The test allows 1400. No time is lost or
# moved meanwhile: the wall samples at the server's epoll_wait add up to its time in it
# (within 3%).
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-reqtick.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
# The context switches of process $pid's ticker so far, or nothing before it runs.
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
		INFLAME_OUTPUT="$d/p.%p.ifl" "$B/tests/progs/reqloop" 4 100 > "$d/out" 2>&1 &
	pid=$!
	sleep 1
	a=$(switches)
	sleep 2
	b=$(switches)
	wait "$pid" || { echo "FAIL: reqloop failed under $ev: $(head -3 "$d/out")"; exit 1; }
	[ -n "$a" ] && [ -n "$b" ] || { echo "FAIL: no ticker thread found under $ev"; exit 1; }
	wakes=$((b - a))
	truth=$(sed -n 's/^truth server_wait_ms \([0-9]*\)$/\1/p' "$d/out")
	[ -n "$truth" ] || { echo "FAIL: reqloop said no truth under $ev: $(cat "$d/out")"; exit 1; }
	set -- "$d"/p.*.ifl
	[ -e "$1" ] || { echo "FAIL: no dump under $ev"; exit 1; }
	w=$("$B/inflame" collapse --event wall "$1" | awk '/server_wait/ { s += $NF } END { print s + 0 }')
	echo "$ev: the ticker switched $wakes times from 1 s to 3 s; in epoll_wait: $w periods" \
		"for $truth ms"
	[ "$wakes" -le 1400 ] ||
		{ echo "FAIL: the ticker woke more than 1400 times in 2 s between requests"; exit 1; }
	awk -v t="$truth" -v w="$w" 'BEGIN { e = t * 0.999; exit !(w >= 0.97 * e && w <= 1.03 * e) }' ||
		{ echo "FAIL: the wall samples in epoll_wait do not add up to the time in it"; exit 1; }
done
echo "PASS"
