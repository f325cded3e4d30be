#!/bin/sh
# The wall samples of a fork child (no exec) add up to its life, from the fork to its end by
# exit, _exit or a signal handler (tests/progs/forkwall.c). A child's account began when its
# ticker thread started, some time after the fork, rather than at the fork: 3 to 14 ms of each
# child's start were no one's on a quiet machine (50 ms in a PostgreSQL worker on a loaded
# one), and its last periods were dropped as it ended (sampling stopped before the ticker's
# final look): children that lived 0.4 s had 96.7% to 99.6% of it in wall samples, now 99.6%
# to 99.9%. Counted with the profiler's own share ([inflame]), which is its time too.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-forkwall.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=wall INFLAME_OUTPUT="$d/p.%p.ifl" \
	"$B/tests/progs/forkwall" 10 > "$d/out" 2>&1 || { echo "FAIL: forkwall failed"; exit 1; }
fail=0
n=0
for pid in $(awk '$1 == "child" { print $2 }' "$d/out"); do
	f="$d/p.$pid.ifl"
	[ -f "$f" ] || { echo "FAIL: no dump of child $pid"; fail=1; continue; }
	"$B/inflame" info "$f" > "$d/info" || { echo "FAIL: $f unreadable"; exit 1; }
	dur=$(sed -n 's/^duration:[[:space:]]*\([0-9.]*\) s.*/\1/p' "$d/info")
	hz=$(sed -n 's/^frequency:[[:space:]]*\([0-9]*\) Hz.*/\1/p' "$d/info")
	w=$("$B/inflame" collapse --show-profiler --event wall "$f" | awk '{ s += $NF } END { print s + 0 }')
	how=$(awk -v p="$pid" '$1 == "child" && $2 == p { print "kind " $4 " end " $6 }' "$d/out")
	r=$(awk -v d="$dur" -v h="$hz" -v w="$w" 'BEGIN { printf "%.4f", (d > 0) ? w / (d * h) : 0 }')
	echo "child $pid ($how): lived $dur s, wall samples $w periods at $hz Hz: $r"
	n=$((n + 1))
	# A period or two at each end may fall either way (the dump's start and end are read
	# on their own): 0.3 s is about 300 periods.
	awk -v r="$r" 'BEGIN { exit !(r >= 0.99 && r <= 1.01) }' ||
		{ echo "FAIL: child $pid: wall samples stand for $r of its life"; fail=1; }
done
[ "$n" -eq 10 ] || { echo "FAIL: $n children reported, not 10"; exit 1; }
[ "$fail" -eq 0 ] || exit 1
echo "PASS"
