#!/bin/sh
# inflame's set-up executes no cpuid instruction: in a virtual machine each one is a trap to
# the hypervisor (20-40 us on a nested guest), and the three that the safe point's xsave size took
# (preload/safepoint.c) were a tenth of a short process's cost of inflame (issue 11). The C
# library reads the processor's features once for every process; inflame reads its copy.
# tests/progs/libnocpuid.so, preloaded after libinflame.so, makes cpuid fault (SIGSEGV) from
# before inflame's constructor on, where the processor and the kernel can (else the test is
# skipped): /bin/true, and a program with threads that lives long enough to be sampled, must
# exit as without inflame and leave a readable dump.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
L="$B/preload/.libs/libinflame.so"
N="$B/tests/progs/libnocpuid.so"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

if LD_PRELOAD="$N" /bin/true 2>&1 | grep -q 'nocpuid: unsupported'; then
	echo "SKIP: cpuid cannot be made to fault here"
	exit 77
fi
# (the C library's own start-up runs cpuid before any constructor: unprofiled, all is well)
LD_PRELOAD="$N" /bin/true || fail "/bin/true with cpuid faulting, unprofiled"

for prog in "/bin/true" "$B/tests/progs/threads 0.2"; do
	name=$(basename "${prog%% *}")
	LD_PRELOAD="$L:$N" INFLAME_OUTPUT="$T/$name.ifl" $prog >"$T/$name.out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name exited with $rc under inflame with cpuid faulting"
		cat "$T/$name.out"
	elif ! "$B/inflame" info "$T/$name.ifl" >"$T/$name.info" 2>&1; then
		fail "$name: no readable dump"
		cat "$T/$name.info"
	else
		echo "ok: $name"
	fi
done
[ "$fails" -eq 0 ]
