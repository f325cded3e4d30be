#!/bin/sh
# Wall-clock sampling benchmark (issue #9), run by `make bench-wall`.
#
# The workload is bench/wall-work: BENCH_IDLE threads (default 64) blocked on a condition
# variable (a timed wait that times out once a second) next to BENCH_BUSY threads (default 2)
# sharing BENCH_UNITS units of CPU work. Each configuration runs BENCH_ROUNDS times (default 5),
# interleaved: a round runs every configuration once, in an order rotated from round to round,
# and each run's CPU time (user + system of the whole command, from wait4 by bench/cpu-run) and
# wall time are divided by those of the unprofiled run of the same round. The table gives the
# median ratios (CPU with its minimum and maximum), the wall samples' total weight per second
# of wall time and thread (about the frequency when every thread is covered), how often each
# idle thread was woken per second (the workload's count of its idle threads' voluntary context
# switches; unprofiled, about once a second by the timeout), and the CPU time of inflame's own
# threads (the wall ticker, the writer) until the work ends, per second of wall time (median)
# and in per cent of the unprofiled run's CPU of the same round. "over cpu" is the median of each
# round's CPU of the wall run over that of the cpu run: what wall-clock sampling adds above the
# sampling of the busy threads, which both pay. On a shared machine that figure
# is steadier than the ratios, which other programs' load moves by several points, but a loaded
# machine still makes each of the ticker's wakeups dearer.
#
# Configurations: unprofiled; `inflame record -e cpu -F 999` (the cost of sampling the busy
# threads, a floor for wall-clock sampling); `inflame record -e wall -F 999`; `inflame record
# -e cpu,wall -F 999` (where a busy thread's CPU sample takes its wall sample too, "over cpu"
# is about the ticker alone); and with BENCH_WALL_BASELINE=DIR, the wall and cpu,wall runs with
# the inflame built in DIR (a build of an older version, e.g. the per-thread wall timers before
# the ticker: `git worktree add /tmp/old <commit>`, then ./bootstrap there).
set -eu
B=${INFLAME_BUILDDIR:-.}
ROUNDS=${BENCH_ROUNDS:-5}
IDLE=${BENCH_IDLE:-64}
BUSY=${BENCH_BUSY:-2}
UNITS=${BENCH_UNITS:-4000}
BASE=${BENCH_WALL_BASELINE:-}
OUT=${BENCH_DIR:-$B/bench-out}/wall
work="$B/bench/wall-work"
run="$B/bench/cpu-run"
mkdir -p "$OUT"
rm -f "$OUT"/runs.txt

configs="base cpu wall cw"
if [ -n "$BASE" ]; then
	if [ -x "$BASE/inflame" ]; then
		configs="$configs old oldcw"
	else
		echo "bench-wall: $BASE/inflame not found; BENCH_WALL_BASELINE ignored" >&2
		BASE=""
	fi
fi

label() {
	case $1 in
	base) echo "unprofiled" ;;
	cpu) echo "inflame cpu 999 Hz" ;;
	wall) echo "inflame wall 999 Hz" ;;
	old) echo "baseline wall 999 Hz" ;;
	cw) echo "inflame cpu,wall 999 Hz" ;;
	oldcw) echo "baseline cpu,wall 999 Hz" ;;
	esac
}

# one CONFIG ROUND: runs the workload, appends "CONFIG ROUND CPU WALL WAKEUPS WEIGHT" to runs.txt.
one() {
	cfg=$1 rnd=$2
	rm -f "$OUT"/x.*
	case $cfg in
	base) set -- "$work" ;;
	cpu) set -- "$B/inflame" record -q -F 999 -e cpu -o "$OUT/x.%p.ifl" -- "$work" ;;
	wall) set -- "$B/inflame" record -q -F 999 -e wall -o "$OUT/x.%p.ifl" -- "$work" ;;
	old) set -- "$BASE/inflame" record -q -F 999 -e wall -o "$OUT/x.%p.ifl" -- "$work" ;;
	cw) set -- "$B/inflame" record -q -F 999 -e cpu,wall -o "$OUT/x.%p.ifl" -- "$work" ;;
	oldcw) set -- "$BASE/inflame" record -q -F 999 -e cpu,wall -o "$OUT/x.%p.ifl" -- "$work" ;;
	esac
	if ! "$run" "$OUT/time.txt" "$@" -i "$IDLE" -b "$BUSY" -u "$UNITS" >"$OUT/stdout.txt" \
		2>"$OUT/stderr.txt"; then
		echo "$(label "$cfg") failed:" >&2
		cat "$OUT/stderr.txt" >&2
		exit 1
	fi
	if [ "$(cat "$OUT/stdout.txt")" != "$(cat "$OUT/expected")" ]; then
		echo "$(label "$cfg"): wrong output: $(cat "$OUT/stdout.txt")" >&2
		exit 1
	fi
	wakeups=$(sed -n 's/^wakeups \([0-9]*\)$/\1/p' "$OUT/stderr.txt")
	helpers=$(sed -n 's/^helpers \([0-9]*\)$/\1/p' "$OUT/stderr.txt")
	weight=0
	if [ "$cfg" != base ] && [ "$cfg" != cpu ]; then
		weight=$("$B/inflame" collapse --event wall "$OUT"/x.*.ifl |
			awk '{ s += $NF } END { print s + 0 }')
	fi
	read -r u s w _ <"$OUT/time.txt"
	echo "$cfg $rnd $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') $w ${wakeups:-0} $weight ${helpers:-0}" \
		>>"$OUT/runs.txt"
}

"$work" -i "$IDLE" -b "$BUSY" -u "$UNITS" >"$OUT/expected" 2>/dev/null
nconfigs=$(echo "$configs" | wc -w)
r=1
while [ "$r" -le "$ROUNDS" ]; do
	order="" rest="" k=0
	for c in $configs; do
		if [ $k -lt $(((r - 1) % nconfigs)) ]; then
			rest="$rest $c"
		else
			order="$order $c"
		fi
		k=$((k + 1))
	done
	for c in $order $rest; do
		one "$c" "$r"
	done
	printf '.' >&2
	r=$((r + 1))
done
echo >&2

echo "inflame wall-clock benchmark: $(nproc) CPUs, $(uname -r), $ROUNDS interleaved rounds"
echo "workload: $IDLE idle threads (timed condition waits), $BUSY busy threads, $UNITS units"
awk -v configs="$configs" -v threads="$((IDLE + BUSY + 1))" -v idle="$IDLE" \
	-v base_dir="${BASE:-}" '
function median(a, n,   i, j, t) {
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2
}
function minmax(a, n,   i) {
	lo = hi = a[0]
	for (i = 1; i < n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
}
function hcol(c) {
	if (c == "base") return "-"
	return sprintf("%.1f (%.2f%%)", median(hs, rounds), median(hc, rounds))
}
function label(c) {
	if (c == "base") return "unprofiled"
	if (c == "cpu") return "inflame cpu 999 Hz"
	if (c == "wall") return "inflame wall 999 Hz"
	if (c == "old") return "baseline wall 999 Hz"
	if (c == "cw") return "inflame cpu,wall 999 Hz"
	if (c == "oldcw") return "baseline cpu,wall 999 Hz"
}
{ cpu[$1, $2] = $3; wall[$1, $2] = $4; wk[$1, $2] = $5; wt[$1, $2] = $6; hp[$1, $2] = $7
	if ($2 > rounds) rounds = $2 }
END {
	nc = split(configs, cl, " ")
	for (r = 1; r <= rounds; r++) { bc[r - 1] = cpu["base", r]; bw[r - 1] = wall["base", r] }
	printf "  unprofiled: %.3f s CPU, %.3f s wall (median of %d)\n", median(bc, rounds),
		median(bw, rounds), rounds
	printf "  %-22s %-26s %-8s %-7s %-16s %-12s %s\n", "config", "CPU ratio median (min-max)",
		"over cpu", "wall", "weight/thread-s", "idle wakeups", "inflame threads ms/s (% of CPU)"
	for (i = 1; i <= nc; i++) {
		c = cl[i]
		for (r = 1; r <= rounds; r++) {
			rc[r - 1] = cpu[c, r] / cpu["base", r]
			rw[r - 1] = wall[c, r] / wall["base", r]
			ww[r - 1] = wt[c, r] / (wall[c, r] * threads)
			wu[r - 1] = wk[c, r] / (wall[c, r] * idle)
			hs[r - 1] = hp[c, r] / 1e6 / wall[c, r]
			hc[r - 1] = 100 * hp[c, r] / 1e9 / cpu["base", r]
			oc[r - 1] = cpu[c, r] / cpu["cpu", r]
		}
		mo = median(oc, rounds)
		mc = median(rc, rounds); minmax(rc, rounds)
		printf "  %-22s %-26s %-8s %-7.3f %-16s %-12.1f %s\n", label(c),
			sprintf("%.4f (%.4f-%.4f)", mc, lo, hi),
			c == "base" || c == "cpu" ? "-" : sprintf("%.4f", mo), median(rw, rounds),
			c == "base" || c == "cpu" ? "-" : sprintf("%.0f", median(ww, rounds)),
			median(wu, rounds), hcol(c)
	}
	if (base_dir != "") printf "  (baseline: %s)\n", base_dir
}' "$OUT/runs.txt"
