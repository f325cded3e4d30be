#!/bin/sh
# liburing's waits (tests/progs/uringwait) under inflame: each round burns about 1 ms and then
# waits for a 2 ms timeout, so that the wall ticker signals the thread as it blocks. No wait
# may fail with -EINTR for inflame's signal, under every event set that sends one, and a wait
# that the program's own SIGALRM handler interrupts still fails with -EINTR. The output and
# exit status are the unprofiled run's.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
P="$(cd "$B" && pwd)/tests/progs/uringwait"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

for mode in wait alarm; do
	"$P" "$mode" >"$T/want" 2>&1
	echo "status $?" >>"$T/want"
	if ! grep -q "^status 0" "$T/want"; then
		fail "$mode: unprofiled: $(cat "$T/want")"
		continue
	fi
	for ev in wall cpu cpu,wall,alloc; do
		rm -f "$T/p.ifl"
		"$I" record -q -e "$ev" -o "$T/p.ifl" "$P" "$mode" >"$T/got" 2>&1
		echo "status $?" >>"$T/got"
		if ! cmp -s "$T/want" "$T/got"; then
			fail "$mode -e $ev: differs from unprofiled: $(diff "$T/want" "$T/got" | grep '^>' | tr '\n' ' ')"
		elif ! "$I" info "$T/p.ifl" >"$T/info" 2>&1; then
			fail "$mode -e $ev: unreadable dump: $(head -n 3 "$T/info")"
		else
			ok "$mode -e $ev: as unprofiled"
		fi
	done
done
[ $fails -eq 0 ] || exit 1
