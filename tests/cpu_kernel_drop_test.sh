#!/bin/sh
# INFLAME_CPU_KERNEL=1 in a program that drops its privileges (memcached -u nobody, started as
# root): a thread it starts after the drop cannot open a perf clock that counts kernel time at
# perf_event_paranoid 2, and was left without a single sample and without a notice (memcached's
# workers: 0 samples for 1.3 s of CPU each). Its clock now samples user code only, and a
# notice says so. Root only (the drop needs it).
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
d=$(mktemp -d /tmp/inflame-cpukdrop.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
chmod 777 "$d"
LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=cpu INFLAME_CPU_KERNEL=1 \
	INFLAME_OUTPUT="$d/p.%p.ifl" "$B/tests/progs/dropthread" > "$d/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ "$(cat "$d/out")" = done ] || { echo "FAIL: status $rc, $(head -c 200 "$d/out")"; exit 1; }
"$B/inflame" info "$d"/p.*.ifl > "$d/info" 2>&1 || { echo "FAIL: dump unreadable"; exit 1; }
grep -E '^samples|tid|CPU_KERNEL' "$d/info"
# The worker: the thread line with the most CPU time ("user U s, sys S s, samples X s, P%").
set -- $(awk 'match($0, /user [0-9.]+ s, sys [0-9.]+ s, samples [0-9.]+ s, [0-9.]+%/) {
	split(substr($0, RSTART, RLENGTH), f, /[ ,%]+/)
	if (f[2] + f[5] > best) { best = f[2] + f[5]; p = f[10] } }
	END { print best + 0, p + 0 }' "$d/info")
awk -v c="$1" 'BEGIN { exit !(c >= 0.1) }' || { echo "FAIL: no thread with CPU time"; exit 1; }
awk -v p="$2" 'BEGIN { exit !(p >= 80) }' ||
	{ echo "FAIL: the worker's samples stand for $2% of its $1 s of CPU"; exit 1; }
echo "PASS"
