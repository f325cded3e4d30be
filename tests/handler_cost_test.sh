#!/bin/sh
# The sampling handler's own time is the profiler's, not the program's (issue 11). The clock's
# signal stays blocked while the handler runs, so a period that ends in it lands on the
# program's code as the handler returns: cc1 walked through its unwind tables spent 6.7 us a
# sample in the handler, 0.043 s of 6.7 s, charged to its functions, and the dump's own CPU
# left it out. Now each run is measured and its whole periods are the profiler's.
#
# A CPU-bound program walked through its unwind tables at 4999 Hz, on each CPU clock and with
# wall-clock samples only: info must show the handler's runs, and the profiler's own CPU in the
# program's threads must hold their time, to within a period and the rounding of the figures
# (with wall samples only, no CPU sample gives its periods up: the time itself is counted). On
# the perf clock (5000 samples) that time must be 2 ms or more, ten periods, for the check to
# tell; with wall samples only (fewer runs: the ticker's rate), 1.5 ms in 2 s.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-handler-cost.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
fails=0

for timer in perf thread wall; do
	rm -f "$d/t.ifl"
	events=cpu clock=$timer secs=1
	[ $timer = wall ] && events=wall clock=auto secs=2
	LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=$events \
		INFLAME_FREQUENCY=4999 INFLAME_UNWIND=dwarf INFLAME_CPU_TIMER=$clock \
		INFLAME_OUTPUT="$d/t.ifl" "$B/tests/progs/leafratio" $secs >/dev/null 2>&1 ||
		{ echo "FAIL: $timer: leafratio failed"; fails=$((fails + 1)); continue; }
	"$B/inflame" info "$d/t.ifl" >"$d/info" 2>&1 ||
		{ echo "FAIL: $timer: unreadable"; fails=$((fails + 1)); continue; }
	res=$(awk '
		/^profiler: .*own CPU/ { match($0, /program.s threads [0-9.]+ s/)
			split(substr($0, RSTART, RLENGTH), f, " "); own = f[3] }
		/^handler: / { match($0, /ran [0-9]+ times for [0-9.]+ s/)
			split(substr($0, RSTART, RLENGTH), f, " "); runs = f[2]; ns = f[5] }
		END { printf "%d %s %s %d\n", runs, ns + 0, own + 0,
			(runs > 0 && own + 0.0015 >= ns && (timer != "perf" || ns >= 0.002) &&
			 (timer != "wall" || (ns >= 0.0015 && own + 0.001 >= ns))) }' \
		timer=$timer "$d/info")
	set -- $res
	if [ "$4" = 1 ]; then
		echo "ok: $timer: the handler ran $1 times for $2 s; own CPU in the program's" \
			"threads $3 s"
	else
		echo "FAIL: $timer: handler runs ${1:-?}, ${2:-?} s; own CPU in the program's" \
			"threads ${3:-?} s"
		grep -E '^(profiler|handler|  .* tid )' "$d/info"
		fails=$((fails + 1))
	fi
done
[ $fails = 0 ]
