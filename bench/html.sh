#!/bin/sh
# Benchmark of `inflame html` (and `inflame speedscope`): generation time, peak memory, file
# size and its ratio to the folded input, for BENCH_SIZES unique stacks (default 10k, 100k,
# 1M; bench/gen-stacks, depth 10 to 60), and for a 10-minute, 999 Hz, 8-thread dump. Medians of
# BENCH_REPEAT runs (default 3). With BENCH_COMPARE=path/to/other/inflame its pages are made
# too, the two programs' runs interleaved, and printed on the next line. Targets (issue
# 12): 100k stacks in at most 1 s, 1M in at most 10 s, the page at most 3 times the folded
# text. Time to first paint in a browser is measured by bench-html-paint.
set -u
B=${INFLAME_BUILDDIR:-.}
SIZES=${BENCH_SIZES:-"10000 100000 1000000"}
OUT=${BENCH_DIR:-$B/bench-out}
prog="$B/inflame"
other=${BENCH_COMPARE:-}
mkdir -p "$OUT"

# runs CMD... -o OUT once; appends "wall maxrss user sys" to the file $1.
run() {
	log=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$OUT/time.txt" "$@" 2>"$OUT/stderr.txt" || {
		echo "command failed: $*" >&2
		cat "$OUT/stderr.txt" >&2
	}
	cat "$OUT/time.txt" >>"$log"
}
# The median run (by wall clock) of a log: "wall maxrss user sys".
median() { sort -n "$1" | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'; }
# measure OUT_A OUT_B ARGS...: BENCH_REPEAT rounds of prog (and other) on ARGS, interleaved.
measure() {
	oa=$1 ob=$2
	shift 2
	: >"$OUT/a.log"
	: >"$OUT/b.log"
	i=0
	while [ $i -lt "${BENCH_REPEAT:-3}" ]; do
		run "$OUT/a.log" "$prog" "$@" -o "$oa"
		[ -z "$other" ] || run "$OUT/b.log" "$other" "$@" -o "$ob"
		i=$((i + 1))
	done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l) ? "ok" : "OVER" }'; }
# row LABEL OUTPUT LOG FILE INSIZE LIMIT: one line of figures.
row() {
	set -- "$1" "$2" "$(median "$3")" "$4" "$5" "$6"
	label=$1 output=$2 file=$4 insize=$5 limit=$6
	set -- $3
	size=$(wc -c <"$file")
	r=$(ratio "$size" "$insize")
	cpu=$(awk -v u="$3" -v s="$4" 'BEGIN { printf "%.2f", u + s }')
	printf '%-10s %-11s %8s %6s %10s %11s %11s %8s' "$label" "$output" "$1" "$cpu" \
		"$(($2 / 1024))" "$((insize / 1048576))" "$((size / 1048576))" "${r}x"
	[ "$output" = speedscope ] || printf '  %ssize %s' "${limit:+time $(verdict "$1" "$limit") (<= ${limit}s), }" \
		"$(verdict "$r" 3) (<= 3x)"
	echo
}

echo "inflame html benchmark ($(nproc) CPUs, program: $prog${other:+, compared with $other})"
echo "(seconds: wall clock, median of ${BENCH_REPEAT:-3}; cpu: user + system of that run; the machine's load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-10s %-11s %8s %6s %10s %11s %11s %8s\n' "stacks" "output" "seconds" "cpu" "peak MiB" "input MiB" "output MiB" "ratio"
for n in $SIZES; do
	in="$OUT/stacks-$n.folded"
	[ -s "$in" ] || "$B/bench/gen-stacks" folded "$n" 1 >"$in"
	insize=$(wc -c <"$in")
	case $n in 100000) limit=1 ;; 1000000) limit=10 ;; *) limit="" ;; esac
	measure "$OUT/html-$n.html" "$OUT/html-$n-compared.html" html "$in"
	row "$n" html "$OUT/a.log" "$OUT/html-$n.html" "$insize" "$limit"
	[ -z "$other" ] || row "" "compared" "$OUT/b.log" "$OUT/html-$n-compared.html" "$insize" "$limit"
	other_saved=$other
	other=""
	measure "$OUT/speedscope-$n.json" "" speedscope "$in"
	other=$other_saved
	row "$n" speedscope "$OUT/a.log" "$OUT/speedscope-$n.json" "$insize" ""
done
# A dump of a 10-minute run of 8 busy threads sampled at 999 Hz (gen-stacks dump: 4.8 million
# cpu samples over 20000 stacks), made once into $OUT; its folded text is `inflame collapse`'s.
# BENCH_DUMP=none skips it; BENCH_DUMP="S HZ THREADS" changes the run.
if [ "${BENCH_DUMP:-}" != none ]; then
	set -- ${BENCH_DUMP:-600 999 8}
	dump="$OUT/dump-$1s-$2hz-$3t.ifl"
	[ -s "$dump" ] || "$B/bench/gen-stacks" dump "$1" "$2" "$3" 1 >"$dump"
	label="dump $1s"
	"$prog" collapse "$dump" >"$OUT/dump.folded"
	insize=$(wc -c <"$OUT/dump.folded")
	measure "$OUT/html-dump.html" "$OUT/html-dump-compared.html" html "$dump"
	row "$label" html "$OUT/a.log" "$OUT/html-dump.html" "$insize" ""
	[ -z "$other" ] || row "" "compared" "$OUT/b.log" "$OUT/html-dump-compared.html" "$insize" ""
fi
