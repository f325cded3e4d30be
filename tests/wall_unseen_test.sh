#!/bin/sh
# Wall time of threads that no wall sample found is counted, not dropped. The wall ticker's
# look at a thread that ended (or its final look, as sampling ends) gives the thread's last
# periods to where a sample last found it; a thread no sample ever found has no such place,
# and those periods went nowhere without a word (done so that a fork child that exits at once
# writes no dump). In a process that writes a dump anyway, info now says how much wall time
# is in no sample, and of how many threads (STATS keys 11 and 12). tests/progs/lifecycle churn
# starvechurn puts the ticker under SCHED_IDLE first, then creates and joins short threads four
# at a time; on one CPU beside them the ticker seldom runs and most end before it looks.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-wallunseen.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
pin=
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
# Whether a thread ends unseen is up to the scheduler: the first of three runs that has one.
for run in 1 2 3; do
	rm -f "$d"/p.*
	$pin "$B/inflame" record -q -e wall -o "$d/p.%p.ifl" -- "$B/tests/progs/lifecycle" \
		starvechurn 400 >"$d/out" 2>&1 || { echo "FAIL: the run failed: $(cat "$d/out")"; exit 1; }
	"$B/inflame" info "$d"/p.*.ifl >"$d/info" 2>&1 || { echo "FAIL: info: $(cat "$d/info")"; exit 1; }
	line=$(grep '^unsampled: .* of wall time is in no sample' "$d/info") && break
done
if [ -z "${line:-}" ]; then
	echo "FAIL: no thread's wall time reported in no sample in 3 runs of 400 short threads"
	exit 1
fi
echo "run $run: $line"
# The figures hold together: at least one thread, at most the 400, and each no more of the
# run's duration than the run lasted.
dur=$(sed -n 's/^duration:[[:space:]]*\([0-9.]*\) s.*/\1/p' "$d/info")
echo "$line" | awk -v d="$dur" '{
	s = $2; n = $11
	if (n < 1 || n > 400 || s <= 0 || s > n * d) { print "FAIL: " s " s, " n " threads, run " d " s"; exit 1 }
}' || exit 1
echo "all passed"
