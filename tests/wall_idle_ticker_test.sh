#!/bin/sh
# The wall-clock ticker's cost follows the work: in a process whose threads all wait (a shell in
# wait4 for its child, the child in nanosleep), the ticker sleeps past its period until a thread
# comes back from its wait, rather than waking 1000 times a second (before: 1869 and 1968
# wakeups over these 2 s; now 56 and 63, most of them at the start, while the processes run).
# Its wakeups do not grow with the machine's load: the test allows 150 for each ticker.
# No period is lost meanwhile: each process's wall samples add up to its duration (within 3%).
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-idletick.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=wall INFLAME_OUTPUT="$d/p.%p.ifl" \
	sh -c 'sleep 2; :' > "$d/out" 2>&1 &
pid=$!
: > "$d/wakeups"
# Polled with shell builtins only: a loop that forks cat and sed for each look could miss a
# 2 s process altogether on a loaded machine.
while kill -0 "$pid" 2>/dev/null; do
	# The tickers of the shell and of its child: "TID voluntary-switches" while they live.
	kids=
	for c in /proc/"$pid"/task/*/children; do
		k=; read -r k < "$c" 2>/dev/null; kids="$kids $k" # (no newline at its end)
	done
	for p in "$pid" $kids; do
		for t in /proc/"$p"/task/*; do
			read -r comm < "$t/comm" 2>/dev/null || continue
			[ "$comm" = inflame-wall ] || continue
			while read -r key v; do
				[ "$key" = voluntary_ctxt_switches: ] && echo "${t##*/} $v" >> "$d/wakeups"
			done < "$t/status" 2>/dev/null
		done
	done
	sleep 0.05
done
wait "$pid" || { echo "FAIL: sh -c 'sleep 2; :' failed: $(head -3 "$d/out")"; exit 1; }
# the last count seen of each ticker
awk '{ last[$1] = $2 } END { for (t in last) print t, last[t] }' "$d/wakeups" > "$d/last"
n=$(wc -l < "$d/last")
[ "$n" -eq 2 ] || { echo "FAIL: saw $n tickers, not 2 (the shell's and sleep's)"; exit 1; }
cat "$d/last" | while read -r t v; do echo "ticker $t: $v wakeups (at least)"; done
awk '$2 > 150 { bad = 1 } END { exit bad }' "$d/last" ||
	{ echo "FAIL: a ticker of a waiting process woke more than 150 times in 2 s"; exit 1; }
set -- "$d"/p.*.ifl
[ "$#" -eq 2 ] || { echo "FAIL: $# dumps, not 2"; exit 1; }
for f in "$@"; do
	dur=$("$B/inflame" info "$f" | sed -n 's/^duration:[[:space:]]*\([0-9.]*\) s$/\1/p')
	hz=$("$B/inflame" info "$f" | sed -n 's/^frequency:[[:space:]]*\([0-9]*\) Hz.*/\1/p')
	w=$("$B/inflame" collapse --event wall "$f" | awk '{ s += $NF } END { print s + 0 }')
	echo "$f: duration $dur s, wall samples $w periods at $hz Hz"
	awk -v d="$dur" -v h="$hz" -v w="$w" 'BEGIN { e = d * h; exit !(w >= 0.97 * e && w <= 1.03 * e) }' ||
		{ echo "FAIL: the wall samples do not add up to the duration"; exit 1; }
done
echo "PASS"
