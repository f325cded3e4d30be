#!/bin/sh
# Many processes sharing one INFLAME_OUTPUT pattern without %p (every process of a shell loop,
# two loops at once): each must get a dump file of its own. A new process searched the names
# in use one creation attempt at a time and gave up after 1000 (the later processes ran
# unprofiled, "cannot create dump file ... File exists"), spending 15-35 ms per process past
# a few hundred; the search now doubles its steps and halves the gap (preload/writer.c).
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
L="$(cd "$B" && pwd)/preload/.libs/libinflame.so"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

N=520
loop="i=0; while [ \$i -lt $N ]; do /bin/true; i=\$((i+1)); done"
for pattern in "x.ifl" "y.%n.ifl"; do
	mkdir "$T/d"
	(
		cd "$T/d" || exit 1
		INFLAME_OUTPUT="$pattern" LD_PRELOAD="$L" sh -c "$loop" 2>"$T/err1" &
		INFLAME_OUTPUT="$pattern" LD_PRELOAD="$L" sh -c "$loop" 2>"$T/err2"
		wait
	)
	# two shells and their 2 x N children
	want=$((2 * N + 2))
	got=$(ls "$T/d" | wc -l)
	pids=$("$I" info "$T"/d/* 2>/dev/null | sed -n 's/^pid: *\([0-9]*\).*/\1/p' | sort -u | wc -l)
	if [ -s "$T/err1" ] || [ -s "$T/err2" ]; then
		fail "$pattern: standard error: $(cat "$T/err1" "$T/err2" | sort | uniq -c | head -n 3)"
	elif [ "$got" != "$want" ] || [ "$pids" != "$want" ]; then
		fail "$pattern: $got files of $pids processes, want $want"
	else
		ok "$pattern: $got files, one per process"
	fi
	rm -rf "$T/d"
done
[ "$fails" = 0 ]
