#!/bin/sh
# Threads that spend most of their CPU time in system calls (tests/progs/pingpong: two threads
# passing a message back and forth over a socket pair, as a local client and server do) must be
# sampled for their CPU time like any other: the samples of each thread with 0.1 s of CPU or
# more stand for at least 85% of it with the thread timer, and at least 50% with the default
# CPU clock (perf; 88-93% on a quiet machine, 62-78% under load, 16-22% before). Real servers showed the gap: lighttpd under ab, postgres under pgbench, 52% to 61%
# with the perf clock before, 98% to 99% with the thread timer.
#
# With the perf clock, the periods that end while the thread is in the kernel send no signal;
# a sample stands for at most 4 periods unless the thread's system time pays for more
# (preload/sample_sigsafe.c, perf_periods). With a flat cap of 4 these threads were sampled for
# 16-22% of their CPU.
#
# What the perf clock misses now is not lost by our books: counting the periods of every read
# against the capped weights, the cap dropped 6 periods of 2350 in a run covered at 65% under
# load. The kernel's own count falls short: a task-clock event on each of pingpong's threads (no
# inflame) counted 66-68% of the thread's CPU clock under load, with exclude_kernel or without,
# and the threads used 1.5-1.8 s of CPU with the event against 0.34-0.48 s without. The time to
# switch the event in and out at each context switch (a virtual machine makes it dear) is in the
# thread's CPU time and not in the event's count, and a loaded machine adds switches. Neither
# steal time (none reported) nor getrusage's granularity explains it.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
P="$(cd "$B" && pwd)/tests/progs/pingpong"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

for timer in thread perf; do
	min=85
	[ $timer = perf ] && min=50
	rm -f "$T"/p.*
	"$I" record -q --cpu-timer $timer -o "$T/p.%p.ifl" -- "$P" 60000 >"$T/out" 2>"$T/err"
	if [ $? != 0 ] || [ "$(cat "$T/out")" != "60000 round trips" ]; then
		fail "--cpu-timer $timer: the run failed: $(cat "$T/out" "$T/err")"
		continue
	fi
	"$I" info "$T"/p.* >"$T/info" 2>&1 || { fail "info: $(head -1 "$T/info")"; continue; }
	# "min n": the lowest coverage among the threads with 0.1 s of CPU, and their number.
	set -- $(awk 'match($0, /user [0-9.]+ s, sys [0-9.]+ s, samples [0-9.]+ s, [0-9.]+%/) {
		split(substr($0, RSTART, RLENGTH), f, /[ ,%]+/)
		if (f[2] + f[5] < 0.1) next
		n++; if (n == 1 || f[10] < min) min = f[10] }
		END { printf "%s %d\n", n ? min : 0, n }' "$T/info")
	threads=$(grep -E '^  pingpong .* user ' "$T/info" | sed 's/^ *//' | tr -s ' ' | tr '\n' ';')
	if [ "$2" -ge 1 ] && awk -v c="$1" -v m=$min 'BEGIN { exit !(c >= m) }'; then
		ok "--cpu-timer $timer: coverage $1% or more ($2 threads): $threads"
	else
		fail "--cpu-timer $timer: coverage $1% ($2 threads with 0.1 s of CPU): $threads"
	fi
done
[ $fails = 0 ] || exit 1
echo "all passed"
