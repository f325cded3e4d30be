#!/bin/sh
# A fork child's dump (no exec) covers its whole life: the subshell of sh -c '(sleep 0.5; true)'
# waits at least 0.5 s for its sleep, and under wall sampling its wall samples add up to that,
# but its dump said it lasted 0.42 s (0.420, 0.421, 0.432 in three runs, on main before and
# after the ticker's long sleeps): its file's start was when the child's writer opened it,
# at its first drain with samples, not the fork.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-forkdur.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=wall INFLAME_OUTPUT="$d/p.%p.ifl" \
	sh -c '(sleep 0.5; true); :' > "$d/out" 2>&1 || { echo "FAIL: sh failed"; exit 1; }
fail=0
n=0
for f in "$d"/p.*.ifl; do
	"$B/inflame" info "$f" > "$d/info" || { echo "FAIL: $f unreadable"; exit 1; }
	dur=$(sed -n 's/^duration:[[:space:]]*\([0-9.]*\) s.*/\1/p' "$d/info")
	cmd=$(sed -n 's/^command:[[:space:]]*//p' "$d/info")
	w=$("$B/inflame" collapse --event wall "$f" | awk '{ s += $NF } END { print s + 0 }')
	echo "$cmd: duration $dur s, wall samples $w periods"
	n=$((n + 1))
	awk -v d="$dur" 'BEGIN { exit !(d >= 0.5) }' ||
		{ echo "FAIL: $cmd: lasted at least 0.5 s, its dump says $dur s"; fail=1; }
	awk -v d="$dur" -v w="$w" 'BEGIN { exit !(w <= 1.03 * d * 999) }' ||
		{ echo "FAIL: $cmd: $w ms of wall samples in $dur s"; fail=1; }
done
[ "$n" -eq 3 ] || { echo "FAIL: $n dumps, not 3 (sh, its subshell, sleep)"; exit 1; }
[ "$fail" -eq 0 ] || exit 1
echo "PASS"
