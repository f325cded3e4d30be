#!/bin/sh
# Threads that spend most of their CPU time in system calls (tests/progs/pingpong: two threads
# passing a message back and forth over a socket pair, as a local client and server do) must be
# sampled for their CPU time like any other: the samples of each thread with 0.1 s of CPU or
# more stand for at least 85% of it, with the thread timer and with the default CPU clock
# (perf). Real servers showed the gap: lighttpd under ab, postgres under pgbench, 52% to 61%
# with the perf clock, 98% to 99% with the thread timer; memcached's threads 67-80%.
#
# With the perf clock, the periods that end while the thread is in the kernel send no signal;
# a sample stands for at most 4 periods unless the thread's system time pays for more
# (preload/sample_sigsafe.c, perf_periods). With a flat cap of 4 these threads were sampled for
# 16-22% of their CPU.
#
# What the perf clock still missed was not lost by our books but by the kernel's count: a
# software perf clock re-arms its timer at each switch to the thread and cancels it at each
# switch away, and that time is the thread's CPU time but not the event's count (a virtual
# machine makes it dear: each re-arm is a trip to the host). A task-clock event on each of
# pingpong's threads (no inflame) counted 66-68% of the thread's CPU clock under load, and the
# threads used 3 times the CPU with the event. The handler now compares the count with the
# thread's CPU clock and moves a thread that the clock costs more than an eighth of its CPU to a
# POSIX timer on its CPU clock (sample_sigsafe.c, clock_cost), with a notice: 62-78% under load
# before, 93-95% after. Threads that compute, or block a few hundred times a second
# (tests/progs/covprog mixed: 1 ms of user code, system calls and a nap of 0.3 ms in turns;
# covprog syscalls: system calls that never block), must keep the perf clock: no notice.
# Only the default INFLAME_CPU_TIMER=auto moves threads: an explicit perf keeps them all on the
# perf clock (before, it moved them too: the two could not be told apart).
#
# On a faster guest (kernel 6.18, 250 Hz tick, no PMU) auto covered pingpong's threads 30-80%.
# Their periods end in user code so seldom that a thread's first signal came after 50-400 ms
# of CPU, 2 to 9 signals in its life: the system time its first sample could charge to the
# kernel started at that signal, not at the arming (all but 4 periods and the slack of it
# dropped), and the cost check only took its first reading there, so the move came at the
# second signal. Both now start at the arming (sample_sigsafe.c, arm_books_hold): auto 91-99%
# in 12 runs. With the thread timer (and auto, once moved) 60000 round trips were under 0.1 s
# of CPU per thread there: those runs make 150000; perf, 3 times as dear, still 60000.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
P="$(cd "$B" && pwd)/tests/progs/pingpong"
C="$(cd "$B" && pwd)/tests/progs/covprog"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# One run of pingpong with --cpu-timer $timer, and its checks.
check_timer() {
	min=85
	rounds=150000
	[ $timer = perf ] && rounds=60000
	rm -f "$T"/p.*
	"$I" record -q --cpu-timer $timer -o "$T/p.%p.ifl" -- "$P" $rounds >"$T/out" 2>"$T/err"
	if [ $? != 0 ] || [ "$(cat "$T/out")" != "$rounds round trips" ]; then
		fail "--cpu-timer $timer: the run failed: $(cat "$T/out" "$T/err")"
		return
	fi
	"$I" info "$T"/p.* >"$T/info" 2>&1 || { fail "info: $(head -1 "$T/info")"; return; }
	# "min n": the lowest coverage among the threads with 0.1 s of CPU, and their number.
	set -- $(awk 'match($0, /user [0-9.]+ s, sys [0-9.]+ s, samples [0-9.]+ s, [0-9.]+%/) {
		split(substr($0, RSTART, RLENGTH), f, /[ ,%]+/)
		if (f[2] + f[5] < 0.1) next
		n++; if (n == 1 || f[10] < min) min = f[10] }
		END { printf "%s %d\n", n ? min : 0, n }' "$T/info")
	threads=$(grep -E '^  pingpong .* user ' "$T/info" | sed 's/^ *//' | tr -s ' ' | tr '\n' ';')
	# Threads moved to a POSIX timer have their system time at their calls: when every
	# thread of the run moved, no warning may say it is under the kernel frame.
	if [ "$(grep -cE '^  pingpong .* user ' "$T/info")" = \
	    "$(grep -cE '^  pingpong .* user .*\(POSIX timer\)' "$T/info")" ] &&
	    grep -q '^warning: .*is shown as' "$T/info"; then
		fail "--cpu-timer $timer: every thread moved, yet: $(grep '^warning: .*is shown as' "$T/info")"
	fi
	# A thread timer's expiries are at fixed points of the thread's CPU clock, each signal
	# standing for its overruns too: its samples and the CPU it ran after the last one (as it
	# exited, or as sampling ended) make up its CPU time. That last stretch was lost without
	# a word (the exiting thread 94.6-96% of its CPU, 3-7 ms missing): it is now shown.
	if [ $timer = thread ]; then
		whole=$(awk 'match($0, /user [0-9.]+ s, sys [0-9.]+ s, samples [0-9.]+ s, [0-9.]+%/) {
			split(substr($0, RSTART, RLENGTH), f, /[ ,%]+/)
			if (f[2] + f[5] < 0.1) next
			u = 0
			if (match($0, /\([0-9.]+ ms after its last sample\)/))
				u = substr($0, RSTART + 1) / 1000
			c = 100 * (f[8] + u) / (f[2] + f[5])
			if (n++ == 0 || c < min) min = c }
			END { printf "%.1f\n", n ? min : 0 }' "$T/info")
		if awk -v c="$whole" 'BEGIN { exit !(c >= 99 && c <= 101) }' &&
		    grep -q '^unsampled: ' "$T/info" &&
		    grep -qE '^  pingpong .*ms after its last sample.*\(exited\)' "$T/info"; then
			ok "--cpu-timer thread: samples and the unsampled ends make $whole% or more"
		else
			fail "--cpu-timer thread: samples and the unsampled ends make $whole%: $threads"
		fi
	fi
	if [ $timer = auto ]; then
		grep -qE '^  pingpong .* user .*\(POSIX timer\)' "$T/info" && moved=1
		# The count need not miss what the clock costs a thread that switches this often
		# (redis-server: twice its CPU time with the clock, 0.1% missed by the count): a
		# thread that switches once per 64 us of its CPU or more moves by its switches,
		# and its notice says so. pingpong's threads switch at every round trip.
		if grep -q 'switches in it (its timer is re-armed at each one)' "$T/info"; then
			ok "--cpu-timer auto: moved by its switches: $(grep -m1 'switches in it' "$T/info" | sed 's/^ *//')"
		else
			fail "--cpu-timer auto: no thread moved by its switches: $(grep 'thread [0-9]*:' "$T/info")"
		fi
	fi
	# An explicit perf keeps every thread on the perf clock (auto, the default, moves the
	# costly ones): no thread marked, and where auto moved one, a notice saying it is kept.
	if [ $timer = perf ]; then
		if grep -qE '\(POSIX timer\)|moved to a POSIX timer' "$T/info"; then
			fail "--cpu-timer perf: a thread left the perf clock: $(grep 'POSIX timer' "$T/info")"
		elif [ $moved = 1 ] && ! grep -q 'INFLAME_CPU_TIMER=perf keeps every thread' "$T/info"; then
			fail "--cpu-timer perf: auto moved a thread, perf kept them without a notice"
		else
			ok "--cpu-timer perf: every thread kept the perf clock ($threads)"
		fi
		return
	fi
	if [ "$2" -ge 1 ] && awk -v c="$1" -v m=$min 'BEGIN { exit !(c >= m) }'; then
		ok "--cpu-timer $timer: coverage $1% or more ($2 threads): $threads"
	else
		fail "--cpu-timer $timer: coverage $1% ($2 threads with 0.1 s of CPU): $threads"
	fi
}

# A loaded machine can fail a run now and then (3 of 6 runs here at load 15 to 25 on 2 CPUs: a
# thread timer's thread sampled for 79.6% of its CPU with 51.7 ms of it after its last sample,
# shown as such; covprog syscalls moved once; dozes under 97% in both runs): a check that fails
# gets a second run, and fails the test if it fails again. The defects these checks were
# written for fail every run.
moved=0
for timer in thread auto perf; do
	f0=$fails
	check_timer
	if [ $fails != $f0 ]; then
		echo "(--cpu-timer $timer: a second run)"
		fails=$f0
		check_timer
	fi
done
# One run of covprog $w, whose threads must all keep the perf clock.
check_kept() {
	rm -f "$T"/p.*
	"$I" record -q -o "$T/p.%p.ifl" -- "$C" $w 0.5 >"$T/out" 2>"$T/err" ||
		{ fail "covprog $w: the run failed: $(cat "$T/err")"; return; }
	"$I" info "$T"/p.* >"$T/info" 2>&1 || { fail "info: $(head -1 "$T/info")"; return; }
	if grep -qE '\(POSIX timer\)|moved to a POSIX timer' "$T/info"; then
		fail "covprog $w: a thread left the perf clock: $(grep 'POSIX timer' "$T/info")"
	else
		ok "covprog $w: every thread kept the perf clock"
	fi
}
for w in mixed syscalls; do
	f0=$fails
	check_kept
	if [ $fails != $f0 ]; then
		echo "(covprog $w: a second run)"
		fails=$f0
		check_kept
	fi
done
# The count misses more than the re-arms: even a counting task clock, with no timer, misses the
# kernel's switch to and from the thread, 7-19 us of the thread's CPU clock at each nap and
# wake-up here (perf stat -e task-clock on CPython sleeping 10 ms a thousand times: 89-92% of
# its CPU). A thread that wakes for a little work stays on the perf clock, or moves only after
# 20 ms of count, and was covered 86-96% (CPython's time.sleep loop 83% on CPython's tests);
# what the count missed is now charged to the kernel frame at each check (clock_cost).
# covprog dozes: 0.2 ms of user code and a 2 ms nap in turns.
# A move leaves the CPU its timer has not yet found at exit (the tick checks it) unsampled,
# so under load one run may fall short: the best of three runs counts (before: 86.4-95.9%
# in 9 runs, none at 97%; after: 96.7-99.1% in 9, one under 97%; at load 15 to 25, two runs
# in a row under 97% once in 6).
best=0
lines=
for run in 1 2 3; do
	rm -f "$T"/p.*
	"$I" record -q -e cpu -o "$T/p.%p.ifl" -- "$C" dozes 2 >"$T/out" 2>"$T/err" &&
		"$I" info "$T"/p.* >"$T/info" 2>&1 ||
		{ fail "covprog dozes: the run failed: $(cat "$T/err" "$T/info" | head -3)"; break; }
	line=$(grep -E '^  covprog .* user ' "$T/info" | sed 's/^ *//' | tr -s ' ')
	lines="$lines$line; "
	cov=$(echo "$line" | sed -n 's/.*samples [0-9.]* s, \([0-9.]*\)%.*/\1/p')
	best=$(awk -v c="${cov:-0}" -v b=$best 'BEGIN { print (c > b) ? c : b }')
	awk -v b=$best 'BEGIN { exit !(b >= 97) }' && break
done
if awk -v b=$best 'BEGIN { exit !(b >= 97) }'; then
	ok "covprog dozes: coverage $best%: $lines"
else
	fail "covprog dozes: coverage under 97% in three runs: $lines"
fi
[ $fails = 0 ] || exit 1
echo "all passed"
