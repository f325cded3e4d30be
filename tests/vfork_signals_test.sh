#!/bin/sh
# A vfork child that changes a signal's action must not change the parent's (gdb hangs when it
# does: it resets SIGCHLD in the vfork child that becomes the debugged program, and its own
# SIGCHLD handler, which wakes its event loop, then never runs). tests/progs/vforksig runs with
# the same output and status under every event set as unprofiled.
#
# The sigaction wrapper (preload/interpose_signals.c) records the program's handler in a table
# in memory, which a vfork child shares with its parent: the child's change goes to the kernel
# only, or its SIG_DFL would clear the parent's entry and the parent's trampoline call nothing.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
P="$(cd "$B" && pwd)/tests/progs/vforksig"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

"$P" >"$T/want" 2>&1
echo "status $?" >>"$T/want"
grep -q 'status 0' "$T/want" || fail "unprofiled: $(cat "$T/want")"
for ev in cpu wall alloc cpu,wall,alloc; do
	"$I" record -q -e $ev -o "$T/p.%p.ifl" -- "$P" >"$T/got" 2>&1
	echo "status $?" >>"$T/got"
	if cmp -s "$T/want" "$T/got"; then
		ok "-e $ev: as unprofiled"
	else
		fail "-e $ev: $(tr '\n' ' ' <"$T/got")"
	fi
	rm -f "$T"/p.*
done
[ $fails = 0 ] || exit 1
echo "all passed"
