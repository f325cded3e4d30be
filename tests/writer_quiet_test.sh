#!/bin/sh
# The writer thread's wake-ups follow its work (writer.c, PERIOD_NS): once the image has lived a
# second, a cycle that found every ring less than a quarter full waits 250 ms for the next,
# not 100 ms. A CPU-bound thread sampled at 999 Hz with short stacks fills its ring far less
# than that, so from its second second on the writer wakes about 4 times a second (before: 10;
# each wake-up costs it 50-90 us of CPU on a virtual machine, issue 11). A loaded machine only
# delays the writer: the test allows 7 a second. Nothing is lost meanwhile: the dump is
# complete, with no ring drop (tests/accounting_test.sh checks what the samples stand for).
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-writerquiet.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
read -r t0 _ < /proc/uptime
LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=cpu INFLAME_FREQUENCY=999 \
	INFLAME_OUTPUT="$d/p.%p.ifl" "$B/tests/progs/leafratio" 3 > "$d/out" 2>&1 &
pid=$!
: > "$d/wakeups"
# Polled with shell builtins only: "UPTIME VOLUNTARY-SWITCHES" of the writer while it lives.
while kill -0 "$pid" 2>/dev/null; do
	for t in /proc/"$pid"/task/*; do
		read -r comm < "$t/comm" 2>/dev/null || continue
		[ "$comm" = inflame-writer ] || continue
		read -r up _ < /proc/uptime
		while read -r key v; do
			[ "$key" = voluntary_ctxt_switches: ] && echo "$up $v" >> "$d/wakeups"
		done < "$t/status" 2>/dev/null
	done
	sleep 0.05
done
wait "$pid" || { echo "FAIL: leafratio failed: $(head -3 "$d/out")"; exit 1; }
# The rate from 1.5 s after the start to the last look.
awk -v t0="$t0" '
	$1 >= t0 + 1.5 { if (!n++) { u0 = $1; v0 = $2 } u1 = $1; v1 = $2 }
	END {
		if (u1 - u0 < 0.8) { print "short"; exit }
		printf "%.1f %.2f %d\n", (v1 - v0) / (u1 - u0), u1 - u0, v1 - v0
	}' "$d/wakeups" > "$d/rate"
read -r rate span n < "$d/rate"
[ "$rate" != short ] || { echo "FAIL: the writer was seen for less than 2.3 s"; exit 1; }
echo "writer: $n wake-ups in $span s ($rate a second) from 1.5 s on"
awk -v r="$rate" 'BEGIN { exit !(r <= 7) }' ||
	{ echo "FAIL: the writer of a quiet image woke more than 7 times a second"; exit 1; }
set -- "$d"/p.*.ifl
[ "$#" -eq 1 ] || { echo "FAIL: $# dumps, not 1"; exit 1; }
"$B/inflame" info "$1" > "$d/info"
grep -q "^status:      complete" "$d/info" || { echo "FAIL: incomplete dump"; exit 1; }
grep -q "^drops:       ring 0," "$d/info" || { echo "FAIL: $(grep '^drops' "$d/info")"; exit 1; }
n=$(sed -n 's/^samples:[[:space:]]*cpu \([0-9]*\),.*/\1/p' "$d/info")
echo "cpu samples: $n"
[ "${n:-0}" -ge 1000 ] || { echo "FAIL: ${n:-no} cpu samples in 3 s of CPU"; exit 1; }
echo "PASS"
