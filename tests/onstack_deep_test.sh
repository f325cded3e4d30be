#!/bin/sh
# A handler of the program's installed with SA_ONSTACK, in a program that set no alternate
# signal stack, runs 2 MiB deep (tests/progs/onstackdeep.c). Unprofiled it runs on the main
# thread's stack; under inflame on inflame's alternate stack of the main thread
# (preload/sigstack.h), which must be as deep as the thread's stack would have been: at 256 KiB
# the handler ran into its guard page and the program died of SIGSEGV under every event.
# The same with the handler installed by a second thread: an image that waited had a small
# stack of inflame's (preload/sigstack.h), which the main thread replaces before the second
# thread starts. And with the program's own alternate stack set as it installs the handler,
# then disabled: inflame's comes back, the full one.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
P="$B/tests/progs/onstackdeep"
d=$(mktemp -d /tmp/inflame-onstackdeep.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
fail=0
for how in main thread own; do
	"$P" $how > "$d/want" 2>&1
	echo "status $?" >> "$d/want"
	for ev in cpu wall alloc cpu,wall,alloc; do
		LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=$ev \
			INFLAME_OUTPUT="$d/p.%p.ifl" "$P" $how > "$d/got" 2>&1
		echo "status $?" >> "$d/got"
		if cmp -s "$d/want" "$d/got"; then
			echo "ok: $how, -e $ev: as unprofiled ($(head -1 "$d/got"))"
		else
			echo "FAIL: $how, -e $ev: differs from unprofiled:"
			diff "$d/want" "$d/got" | head -5
			fail=1
		fi
	done
done
[ "$fail" -eq 0 ] || exit 1
echo "PASS"
