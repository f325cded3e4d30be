#!/bin/sh
# Every thread's measured CPU is its samples plus what inflame counts as in no sample, each
# under a true label (issue 9): what it ran after its clock's last sample, what the perf count
# missed at its switches, what it ran before its clock was armed, the periods its clock's
# signals brought that no sample took. Before, the first two were one figure called "unsampled
# at its end" (a 2 ms thread's switches were "at its end"), and the last two were in no figure:
# a short program's main thread was 52-74% covered with 1.7 ms "at its end", pingpong's threads
# under the perf clock 91.9% and 97.1% with everything counted.
#
# info -v prints "(samples and losses: X%)" per thread: it must be 97-103% for every thread of
# at least 2 ms of CPU, in a 3 ms program, a 0.3 s one, and two threads passing messages (most
# of their CPU in the kernel, the perf count missing some at each switch) on each CPU clock.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-accounting.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
fails=0

# check NAME: every thread line of $d/info with 2 ms or more of CPU sums to 97-$hi% (103 unless
# set; over: how many were above it).
check()
{
	res=$(awk -v hi="${hi:-103}" '
		/^  .* tid [0-9]+ +user / {
			match($0, /user [0-9.]+ s, sys [0-9.]+ s/)
			split(substr($0, RSTART, RLENGTH), f, /[ ,]+/)
			if (f[2] + f[5] < 0.002) next
			n++
			if (!match($0, /\(samples and losses: [0-9.]+%\)/)) { bad++; next }
			c = substr($0, RSTART + 21) + 0
			printf "%s%.1f", (n > 1 ? " " : ""), c
			if (c < 97 || c > hi) bad++
			if (c > hi) over++
		}
		END { printf "|%d|%d|%d\n", n, bad, over }' "$d/info")
	n=$(echo "$res" | cut -d'|' -f2)
	bad=$(echo "$res" | cut -d'|' -f3)
	over=$(echo "$res" | cut -d'|' -f4)
	if [ "$n" -gt 0 ] && [ "$bad" = 0 ]; then
		echo "ok: $1: samples and losses make $(echo "$res" | cut -d'|' -f1)% of each thread"
	else
		echo "FAIL: $1: $n threads, $bad off: $(echo "$res" | cut -d'|' -f1)"
		grep -E '^(unsampled|  .* tid .* user )' "$d/info"
		fails=$((fails + 1))
	fi
}

# One run of $run under $timer, and its checks.
measure()
{
	rm -f "$d/t.ifl"
	set -- $run
	prog=$1
	shift
	${pin:-} env LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=cpu \
		INFLAME_CPU_TIMER=$timer INFLAME_OUTPUT="$d/t.ifl" \
		"$B/tests/progs/$prog" "$@" > /dev/null 2>&1 ||
		{ echo "FAIL: $run failed"; fails=$((fails + 1)); return; }
	"$B/inflame" info -v "$d/t.ifl" > "$d/info" 2>&1 ||
		{ echo "FAIL: $run: unreadable"; fails=$((fails + 1)); return; }
	check "$timer: $run"
	# info says what was asked for and what ran (before: "perf" under auto).
	case $timer in
	# (a thread that ended before its first sample never left the POSIX timer of its
	# start; a process where every one did never tried perf)
	auto) want='^cpu timer:   auto: (perf(, [0-9]+ threads? moved to a POSIX timer on (its|their) CPU clock|, every thread kept it)?(; [0-9]+ threads? never on it \(ended on the POSIX timer of (its|their) start\))?|no thread ran one period of CPU: POSIX timers only \(perf not tried\))$' ;;
	*) want="^cpu timer:   $timer\$" ;;
	esac
	grep -qE "$want" "$d/info" || {
		echo "FAIL: $timer: $(grep '^cpu timer:' "$d/info")"
		fails=$((fails + 1))
	}
}

# A run that fails gets a second one, which must pass: the lost or unlabelled CPU this test was
# written for is lost every run. (At load 30-90 on 2 CPUs the 3 ms thread under the perf clock
# came to 104.3% and 109.3% in two full checks, 2 of 13 runs of this test: see below.)
for timer in auto thread perf; do
	for run in "lifecycle burn 0.003" "lifecycle burn 0.3" "pingpong 20000"; do
		f0=$fails
		measure
		if [ "$fails" != "$f0" ]; then
			echo "($timer: $run: a second run)"
			fails=$f0
			measure
		fi
	done
	# A short thread's CPU the count missed is not called its end.
	if [ $timer = perf ] && grep -q 'unsampled at its end' "$d/info"; then
		echo "FAIL: $timer: the old label: $(grep 'unsampled at its end' "$d/info")"
		fails=$((fails + 1))
	fi
done
# The perf count runs ahead of the thread's CPU clock (2% on a quiet machine, more on a CPU it
# shares), and the tail after a thread's last sample, read in the count's ns, made a 3 ms thread
# 100.2-101.8% of its CPU on a quiet machine (7 of 12 runs), 106.1-108.6% beside 4 busy loops on
# its CPU (3 of 8). What the count gives beyond the CPU since its arming comes off the tail now:
# 100.0%, unless its samples alone stand for more. Ten more runs of the 3 ms thread under the
# perf clock, on one CPU beside two busy loops, none above 100.5% (no second run for these; a
# CI machine gave 100.1% once: a few us of a 3 ms thread, against 106-108% before the fix).
timer=perf
run="lifecycle burn 0.003"
pin=
busy=
if command -v taskset >/dev/null 2>&1; then
	pin="taskset -c 0"
	for i in 1 2; do
		taskset -c 0 sh -c 'while :; do :; done' &
		busy="$busy $!"
	done
	trap 'kill $busy 2>/dev/null; rm -rf "$d"' EXIT INT TERM
fi
highest=0
hi=100.5
for i in 1 2 3 4 5 6 7 8 9 10; do
	over=0
	f0=$fails
	measure > "$d/one" 2>&1
	c=$(grep -oE '(make|off:) [0-9.]+' "$d/one" | head -1 | tr -dc '0-9.')
	[ -n "$c" ] && highest=$(awk -v a="$highest" -v b="$c" 'BEGIN { print (b > a) ? b : a }')
	if [ "$fails" != "$f0" ] && [ "${over:-0}" = 0 ]; then
		fails=$f0 # (below 97%: the runs above take that)
	elif [ "$fails" != "$f0" ]; then
		cat "$d/one"
	fi
done
[ -n "$busy" ] && kill $busy 2>/dev/null
echo "perf: $run: at most $highest% in 10 more runs${pin:+ beside two busy loops}"
[ "$fails" = 0 ] && echo PASS
exit "$fails"
