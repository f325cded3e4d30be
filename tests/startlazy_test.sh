#!/bin/sh
# A process that ends at once reads no clock through the C library or the vDSO: its start
# times, its thread's and its set-up's clocks, its file's and its exit's are read with the
# system call itself (preload/clock.c). Each first touch of the C library's clock_gettime page,
# the vDSO's code and the vDSO's data was a page fault in every short process, three of its
# about 23 (issue 11). A process that lives on reads the monotonic clocks through the vDSO again
# after its first few dozen readings. tests/progs/libclockspy.so, preloaded after
# libinflame.so, is the clock_gettime inflame's calls into the C library reach, and notes each.
name=startlazy
. "${INFLAME_SRCDIR:-$(dirname "$0")/..}/tests/testlib.sh"
L="$B/preload/.libs/libinflame.so"
S="$B/tests/progs/libclockspy.so"

# run NAME PROGRAM ARG...: PROGRAM profiled (cpu), its clock_gettime calls in $d/NAME.clocks
run()
{
	n=$1
	shift
	rm -f "$d/$n.clocks"
	LD_PRELOAD="$L $S" CLOCKSPY_OUT="$d/$n.clocks" INFLAME_EVENTS=cpu \
		INFLAME_OUTPUT="$d/$n.%p.ifl" "$@"
}

# A short process, with a file of its own and with the shared file (placeholder, final dump).
for shared in 0 1; do
	run "true$shared" env INFLAME_SHARED_FILE=$shared /bin/true || fail "true ($shared) failed"
	if [ -s "$d/true$shared.clocks" ]; then
		fail "INFLAME_SHARED_FILE=$shared: /bin/true read clocks through the C library:" \
			"$(sort "$d/true$shared.clocks" | uniq -c | tr '\n' ' ')"
	fi
	ls "$d"/true$shared.*.ifl > /dev/null 2>&1 || fail "INFLAME_SHARED_FILE=$shared: no dump"
	"$B/inflame" info "$d"/true$shared.*.ifl > "$d/true$shared.info" 2>&1 ||
		fail "INFLAME_SHARED_FILE=$shared: unreadable dump: $(cat "$d/true$shared.info")"
done

# A process that computes for a while: its samples' clocks move to the vDSO, and its dump is
# whole (its times read either way are one clock).
run spin sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i + 1)); done' ||
	fail "the spinning shell failed"
[ -s "$d/spin.clocks" ] ||
	fail "a process that lives on never read a clock through the C library (the vDSO)"
"$B/inflame" info "$d"/spin.*.ifl > "$d/spin.info" 2>&1 || fail "unreadable dump of the spin"
grep -E '^(samples|duration)' "$d/spin.info"
grep -qE '^samples: +cpu [1-9]' "$d/spin.info" || fail "no samples: $(cat "$d/spin.info")"

finish
