#!/bin/sh
# A program that runs at the very end of its main thread's stack (Ruby reserves its stack that
# way as it starts: ruby_init_stack) must run as unprofiled, with its samples. It was killed
# with SIGSEGV (ruby: 1 run in 10 of a short script): the handler took the thread's own stack
# for roomy and walked it in full, and the safe point's test walked it again, past the
# RLIMIT_STACK floor; that floor was also computed a page or more too low (from
# __libc_stack_end, under the environment, instead of the stack's top). tests/progs/stackedge
# leaves 6 KiB above the floor, enough for the kernel's signal frame (3.4 KiB with AVX-512 state)
# but for the first call of clock_gettime there, whose lazy binding takes 2.5-3.3 KiB more: a
# sample that came then found no room for the kernel's frame or the handler's first frame, and
# killed 1 to 3 runs in 100 under load. Run with 2 KiB left, every sample would: inflame's handler
# runs on an alternate signal stack of its own in the main thread (sigstack.h).
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-stackedge.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
"$B/tests/progs/stackedge" 6144 0.1 > "$d/plain" 2>&1 || { echo "FAIL: unprofiled run failed"; exit 1; }
"$B/tests/progs/stackedge" 2048 0.1 > "$d/plain2" 2>&1 || { echo "FAIL: unprofiled run (2 KiB) failed"; exit 1; }
cmp -s "$d/plain" "$d/plain2" || { echo "FAIL: unprofiled runs differ"; exit 1; }
fail=0
for room in 6144 2048; do
	for u in auto fp dwarf; do
		for ev in cpu cpu,wall,alloc; do
			rm -f "$d"/p.*
			LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=$ev INFLAME_UNWIND=$u \
				INFLAME_OUTPUT="$d/p.%p.ifl" "$B/tests/progs/stackedge" $room 0.3 > "$d/out" 2>&1
			rc=$?
			n=$("$B/inflame" info "$d"/p.*.ifl 2> /dev/null | sed -n 's/^samples:[[:space:]]*cpu \([0-9]*\),.*/\1/p')
			what="room $room, unwind $u, events $ev"
			echo "$what: status $rc, $(tr -d '\n' < "$d/out"), ${n:-no} cpu samples"
			if [ "$rc" -ne 0 ] || ! cmp -s "$d/plain" "$d/out"; then
				echo "FAIL: $what: status $rc, output $(head -c 200 "$d/out")"
				fail=1
			elif [ "${n:-0}" -lt 100 ]; then
				echo "FAIL: $what: ${n:-no} cpu samples in 0.3 s of CPU"
				fail=1
			fi
		done
	done
done
[ "$fail" -eq 0 ] || exit 1
echo "PASS"
