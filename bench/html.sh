#!/bin/sh
# Benchmark of `inflame html` (and `inflame speedscope`): generation time, peak memory, file
# size and its ratio to the folded input, for BENCH_SIZES unique stacks (default 10k, 100k,
# 1M; bench/gen-stacks, depth 10 to 60), and for a 10-minute, 999 Hz, 8-thread dump. Best of
# BENCH_REPEAT runs (default 2). Targets (issue
# 12): 100k stacks in at most 1 s, 1M in at most 10 s, the page at most 3 times the folded
# text. Time to first paint in a browser is measured with the viewer's browser tests.
set -u
B=${INFLAME_BUILDDIR:-.}
SIZES=${BENCH_SIZES:-"10000 100000 1000000"}
OUT=${BENCH_DIR:-$B/bench-out}
prog="$B/inflame"
mkdir -p "$OUT"

measure() {
	out=$1
	shift
	best=""
	i=0
	while [ $i -lt "${BENCH_REPEAT:-2}" ]; do
		/usr/bin/time -f '%e %M %U %S' -o "$OUT/time.txt" "$@" -o "$out" 2>"$OUT/stderr.txt" || {
			echo "command failed: $*" >&2
			cat "$OUT/stderr.txt" >&2
		}
		if [ -z "$best" ] || awk -v a="$(cut -d' ' -f1 "$OUT/time.txt")" -v b="${best%% *}" \
			'BEGIN { exit !(a < b) }'; then best=$(cat "$OUT/time.txt"); fi
		i=$((i + 1))
	done
	echo "$best"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l) ? "ok" : "OVER" }'; }

echo "inflame html benchmark ($(nproc) CPUs, program: $prog)"
echo "(seconds: wall clock, best of ${BENCH_REPEAT:-2}; cpu: user + system of that run; the machine's load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-10s %-11s %8s %6s %10s %11s %11s %8s\n' "stacks" "output" "seconds" "cpu" "peak MiB" "input MiB" "output MiB" "ratio"
for n in $SIZES; do
	in="$OUT/stacks-$n.folded"
	[ -s "$in" ] || "$B/bench/gen-stacks" folded "$n" 1 >"$in"
	insize=$(wc -c <"$in")
	case $n in 100000) limit=1 ;; 1000000) limit=10 ;; *) limit="" ;; esac
	set -- $(measure "$OUT/html-$n.html" "$prog" html "$in")
	size=$(wc -c <"$OUT/html-$n.html")
	r=$(ratio "$size" "$insize")
	cpu=$(awk -v u="$3" -v s="$4" 'BEGIN { printf "%.2f", u + s }')
	printf '%-10s %-11s %8s %6s %10s %11s %11s %8s  time %s, size %s\n' "$n" html "$1" "$cpu" \
		"$(($2 / 1024))" "$((insize / 1048576))" "$((size / 1048576))" "${r}x" \
		"${limit:+$(verdict "$1" "$limit") (<= ${limit}s)}" "$(verdict "$r" 3) (<= 3x)"
	set -- $(measure "$OUT/speedscope-$n.json" "$prog" speedscope "$in")
	size=$(wc -c <"$OUT/speedscope-$n.json")
	cpu=$(awk -v u="$3" -v s="$4" 'BEGIN { printf "%.2f", u + s }')
	printf '%-10s %-11s %8s %6s %10s %11s %11s %8s\n' "$n" speedscope "$1" "$cpu" "$(($2 / 1024))" \
		"$((insize / 1048576))" "$((size / 1048576))" "$(ratio "$size" "$insize")x"
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
	set -- $(measure "$OUT/html-dump.html" "$prog" html "$dump")
	size=$(wc -c <"$OUT/html-dump.html")
	r=$(ratio "$size" "$insize")
	cpu=$(awk -v u="$3" -v s="$4" 'BEGIN { printf "%.2f", u + s }')
	printf '%-10s %-11s %8s %6s %10s %11s %11s %8s  size %s\n' "$label" html "$1" "$cpu" \
		"$(($2 / 1024))" "$((insize / 1048576))" "$((size / 1048576))" "${r}x" "$(verdict "$r" 3) (<= 3x)"
fi
