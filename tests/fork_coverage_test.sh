#!/bin/sh
# A fork child's coverage counts its CPU from the fork. The subshell of
# sh -c '(busy loop); :' burns about 0.2 s of CPU and its samples stand for all of it, but its
# dump measured its thread's CPU from when its writer opened the file, at its first drain (a
# writer cycle after the fork, 66 to 120 ms later): coverage 128-180% in a C program's fork
# child, and 1400-1700% in a PostgreSQL parallel worker that lived 0.1 s.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-forkcov.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=cpu INFLAME_OUTPUT="$d/p.%p.ifl" \
	sh -c '(i=0; while [ $i -lt 150000 ]; do i=$((i + 1)); done); :' > "$d/out" 2>&1 ||
	{ echo "FAIL: sh failed"; exit 1; }
fail=0
busy=0
for f in "$d"/p.*.ifl; do
	"$B/inflame" info "$f" > "$d/info" || { echo "FAIL: $f unreadable"; exit 1; }
	# coverage:    samples stand for A s of B s of user and system CPU (P%); ...
	line=$(grep '^coverage:' "$d/info")
	echo "$(sed -n 's/^pid:[[:space:]]*//p' "$d/info"): $line"
	set -- $(echo "$line" | sed -n 's/.*stand for \([0-9.]*\) s of \([0-9.]*\) s of .*/\1 \2/p')
	[ $# -eq 2 ] || { echo "FAIL: no coverage figures in $f"; exit 1; }
	# Only a process that used CPU can be judged (the parent sh mostly waits).
	awk -v a="$1" 'BEGIN { exit !(a >= 0.1) }' || continue
	busy=$((busy + 1))
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= 0.88 * b && a <= 1.12 * b) }' ||
		{ echo "FAIL: samples stand for $1 s of $2 s of measured CPU"; fail=1; }
done
[ "$busy" -ge 1 ] || { echo "FAIL: no dump measured the busy subshell's CPU"; exit 1; }
[ "$fail" -eq 0 ] || exit 1
echo "PASS"
