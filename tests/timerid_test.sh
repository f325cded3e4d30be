#!/bin/sh
# The ids of a program's POSIX timers are what it gets without inflame (tests/progs/timerid:
# its first timer in the main thread, one in a thread it starts, a fork child's first, the main
# thread's next after inflame sampled it, a fork child's after it was sampled, and the first
# after an exec, by an image before which timers were made). The kernel hands timer ids out in
# sequence per process: a POSIX timer inflame made for each thread's first period (a change
# tried and reverted) gave the program id 1 where it gets 0. Inflame's timer of a process's
# first period now asks for its id (preload/timer.c): the one before the kernel's next, which
# after an exec is not 0. Under every event set with the default clock, and with cpu where the
# kernel refuses that (tests/progs/noperf --ids: EINVAL, as before Linux 6.15): threads start on
# their perf clocks then.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-timerid.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
fails=0
want=$("$B/tests/progs/timerid") || { echo "FAIL: timerid failed unprofiled"; exit 1; }
want=$(printf '%s\n' "$want" | tr '\n' ' ')
for ev in cpu cpu,wall cpu,wall,alloc cpu,noids; do
	case $ev in
	*,noids) set -- "$B/tests/progs/noperf" --ids ;;
	*) set -- ;;
	esac
	got=$(LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=${ev%,noids} \
		INFLAME_OUTPUT="$d/t.%p.ifl" "$@" "$B/tests/progs/timerid" | tr '\n' ' ')
	if [ "$got" = "$want" ]; then
		echo "ok: -e $ev: $got"
	else
		echo "FAIL: -e $ev: '$got', unprofiled '$want'"
		fails=$((fails + 1))
	fi
done
[ "$fails" = 0 ]
