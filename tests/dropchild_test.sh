#!/bin/sh
# A fork child that drops root at once, as a server's worker does (tests/progs/dropchild), keeps
# its profile: its first dump file is made before the drop, while the process may still create
# it. A fork child makes its file when it first has something to write; nginx's workers (user
# nobody, dumps in a directory only root may write to) had not, and their files could not be
# made after it ("cannot create dump file: Permission denied", 2 dumps of 4 in 3 runs of 3):
# their whole profile was lost, and nothing said so. Needs root.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
L="$(cd "$B" && pwd)/preload/.libs/libinflame.so"
P="$(cd "$B" && pwd)/tests/progs/dropchild"
[ "$(id -u)" = 0 ] || {
	echo "SKIP: needs root"
	exit 77
}
T=$(mktemp -d) # mode 0700: nobody cannot make a file in it
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

for how in record:cpu record:cpu,wall preload:cpu,wall,alloc; do
	ev=${how#*:}
	rm -rf "$T/d"
	mkdir "$T/d"
	if [ "${how%%:*}" = record ]; then
		"$I" record -q -e "$ev" -o "$T/d/p.%p.ifl" -- "$P" >"$T/out" 2>&1
	else
		LD_PRELOAD="$L" INFLAME_EVENTS="$ev" INFLAME_OUTPUT="$T/d/p.%p.ifl" "$P" >"$T/out" 2>&1
	fi
	rc=$?
	if [ $rc -ne 0 ] || [ "$(cat "$T/out")" != "child status 0" ]; then
		fail "$how: status $rc: $(head -c 300 "$T/out")"
		continue
	fi
	# the parent's file and the child's, the child's with the most cpu samples
	n=0 cpu=0
	for f in "$T"/d/p.*; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		if ! "$I" info "$f" >"$T/info" 2>&1; then
			fail "$how: $f unreadable: $(head -n 1 "$T/info")"
			continue
		fi
		c=$(sed -n 's/^samples: *cpu \([0-9]*\),.*/\1/p' "$T/info")
		[ "${c:-0}" -gt "$cpu" ] && cpu=$c
	done
	if [ "$n" -ne 2 ]; then
		fail "$how: $n dump files for 2 processes: $(ls "$T/d" | tr '\n' ' ')"
	elif [ "$cpu" -lt 100 ]; then
		fail "$how: the child's 300 ms of CPU are in $cpu samples"
	else
		ok "$how: 2 dump files, the child's with $cpu cpu samples"
	fi
done
[ $fails -eq 0 ] || exit 1
