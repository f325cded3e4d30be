#!/bin/sh
# Under the default cpu timer (auto) the only thread of a process (its main thread at set-up, a
# fork child's) starts on a POSIX timer on its CPU clock and moves to its perf clock at its
# first sample (preload/timer.c): one that ends before one period of CPU opens no perf event, as
# most short processes do (a shell's fork children, an exec'd image's main thread). Before, each
# opened one (nine system calls, about 26 us of a fork child's life here). A thread started by a
# process that has threads opens its event at once (the timer's id could not be asked for then).
# tests/progs/perfcount counts the perf event descriptors it holds: none at its start, one opened
# by a thread that ends at once, none by a fork child that ends at once, one on the main thread
# after 50 ms of CPU. info says which threads never had one, and, for a process none of whose
# threads ran a period, that perf was not tried. INFLAME_CPU_TIMER=perf opens one at each start.
name=firstclock
. "${INFLAME_SRCDIR:-$(dirname "$0")/..}/tests/testlib.sh"

run()
{
	rm -f "$d"/t.*
	LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=cpu INFLAME_OUTPUT="$d/t.%p.ifl" \
		"$@"
}

# Perf must work here for the moves to be seen.
run env INFLAME_CPU_TIMER=perf "$B/tests/progs/perfcount" > "$d/perf.out" ||
	{ echo "FAIL: perfcount failed"; exit 1; }
cat "$d/perf.out"
if ! grep -qx 'burned 1' "$d/perf.out"; then
	echo "SKIP: no perf clock here"
	exit 77
fi
grep -qx 'start 1' "$d/perf.out" || fail "INFLAME_CPU_TIMER=perf: no perf event at the start"

run "$B/tests/progs/perfcount" > "$d/auto.out" || { echo "FAIL: perfcount failed"; exit 1; }
cat "$d/auto.out"
for want in 'start 0' 'thread 1' 'child 0' 'burned 1' 'burnedchild 0'; do
	grep -qx "$want" "$d/auto.out" || fail "auto: want \"$want\": $(tr '\n' ' ' < "$d/auto.out")"
done
"$B/inflame" info -v "$d"/t.*.ifl > "$d/info" 2>&1 || fail "unreadable dumps"
grep -E '^(cpu timer|  perfcount .* user )' "$d/info"
# The main thread moved to its perf clock, the new thread had its own (the fork children wrote
# no file of their own: they exited at once).
grep -qE '^cpu timer:   auto: perf, every thread kept it' "$d/info" ||
	fail "info: $(grep '^cpu timer' "$d/info")"
[ "$(grep -cE '^  perfcount .* user .*never on perf' "$d/info")" = 0 ] ||
	fail "info: a thread of perfcount marked as never on perf"

# An image whose one thread ends first never tried perf, and says so.
run /bin/true || fail "true failed"
"$B/inflame" info -v "$d"/t.*.ifl > "$d/info" 2>&1 || fail "unreadable dump of true"
grep -E '^(cpu timer|  true .* user )' "$d/info"
grep -qx 'cpu timer:   auto: no thread ran one period of CPU: POSIX timers only (perf not tried)' \
	"$d/info" || fail "true: $(grep '^cpu timer' "$d/info")"
grep -qE '^  true .* user .*\(POSIX timer only, never on perf\)' "$d/info" ||
	fail "true: its main thread not marked as never on perf"

finish
