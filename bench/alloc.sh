#!/bin/sh
# Overhead of allocation profiling, measured side by side in one run: CPU time (user+sys of
# the program and every process the tool runs, from bench/cputime), best of BENCH_REPEAT runs
# (default 3), as a ratio to the unprofiled run of the same workload; and peak memory.
#
# Workloads (bench/alloc-work): "pairs" does BENCH_ALLOC_PAIRS malloc/free pairs of 16 to
# 512 B (default 20 million: the malloc-heavy case); "mixed" replaces blocks of 16 B to 64 KiB
# in a working set of 4096 and reads them, BENCH_ALLOC_MIXED times (default 2 million).
#
# Profilers: a forwarding shim (bench/forward_shim.c: malloc, calloc, realloc and free that only
# call the next definition, what any LD_PRELOAD interposer costs at least), inflame's
# pass-through floor (allocation profiling on, sampling never fires),
# default sampling (512 KiB), full tracing (INFLAME_ALLOC_RATE=1); and when installed (or
# installable from Debian, as root): heaptrack, jemalloc with MALLOC_CONF=prof:true (against
# plain jemalloc), tcmalloc's heap profiler (HEAPPROFILE, against plain tcmalloc; it is so
# slow that it runs once, on BENCH_ALLOC_TC_PAIRS pairs, default 2 million, and the ratio is
# per pair). For full tracing and heaptrack the number of allocations each one recorded is
# printed, to show that both results are exact.
set -u
B=${INFLAME_BUILDDIR:-.}
OUT=${BENCH_DIR:-$B/bench-out}/alloc
PAIRS=${BENCH_ALLOC_PAIRS:-20000000}
MIXED=${BENCH_ALLOC_MIXED:-2000000}
TC_PAIRS=${BENCH_ALLOC_TC_PAIRS:-2000000}
REPEAT=${BENCH_REPEAT:-3}
work="$B/bench/alloc-work"
lib="$B/preload/.libs/libinflame.so"
libdir=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
rm -rf "$OUT"
mkdir -p "$OUT"

# Comparison tools: install them when root and missing.
need=""
command -v heaptrack >/dev/null 2>&1 || need="$need heaptrack"
[ -e "$libdir/libjemalloc.so.2" ] || need="$need libjemalloc2"
[ -e "$libdir/libtcmalloc.so.4" ] || need="$need libgoogle-perftools4"
if [ -n "$need" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing:$need"
	DEBIAN_FRONTEND=noninteractive apt-get install -y $need >/dev/null 2>&1 ||
		echo "(could not install all of:$need)"
fi
jemalloc=$libdir/libjemalloc.so.2
tcmalloc=$libdir/libtcmalloc.so.4
[ -e "$jemalloc" ] || jemalloc=""
[ -e "$tcmalloc" ] || tcmalloc=""
heaptrack=$(command -v heaptrack || true)

# run N ENV... -- CMD...: best (lowest CPU) of N runs; prints "cpu_seconds maxrss_kib".
run() {
	n=$1
	shift
	best=""
	i=0
	while [ $i -lt "$n" ]; do
		rm -rf "$OUT/run"
		mkdir -p "$OUT/run"
		"$B/bench/cputime" "$OUT/time.txt" env "$@" >"$OUT/stdout.txt" \
			2>"$OUT/stderr.txt" || {
			echo "command failed: $*" >&2
			tail -3 "$OUT/stderr.txt" >&2
		}
		t=$(awk '{ printf "%.4f %d", $1, $2 }' "$OUT/time.txt")
		if [ -z "$best" ] || awk -v a="${t%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
			best=$t
			rm -rf "$OUT/best"
			mv "$OUT/run" "$OUT/best"
		fi
		i=$((i + 1))
	done
	echo "$best"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
row() { # name result base_result
	printf "  %-34s %8.4f s %8s %8d KiB\n" "$1" "${2%% *}" "$(ratio "${2%% *}" "${3%% *}")" \
		"${2##* }"
}
allocs_in() { # the alloc count of the one dump in the best run
	"$B/inflame" info "$OUT"/best/*.ifl 2>/dev/null | sed -n 's/^samples: .*alloc \([0-9]*\),.*/\1/p'
}

inflame() { # rate workload args...
	rate=$1
	shift
	run "$REPEAT" LD_PRELOAD="$lib" INFLAME_EVENTS=alloc INFLAME_ALLOC_RATE="$rate" \
		INFLAME_OUTPUT="$OUT/run/p.%p.ifl" "$@"
}

echo "inflame allocation profiling overhead ($(nproc) CPUs; CPU time user+sys, best of $REPEAT)"
for w in "pairs $PAIRS" "mixed $MIXED"; do
	set -- $w
	echo
	echo "workload: $1 $2"
	printf "  %-34s %10s %9s %12s\n" "" "cpu" "ratio" "max rss"
	plain=$(run "$REPEAT" "$work" "$1" "$2")
	row "unprofiled (glibc)" "$plain" "$plain"
	r=$(run "$REPEAT" LD_PRELOAD="$B/bench/.libs/libforwardshim.so" "$work" "$1" "$2")
	row "forwarding shim (any interposer)" "$r" "$plain"
	r=$(inflame 1099511627776 "$work" "$1" "$2")
	row "inflame pass-through floor" "$r" "$plain"
	r=$(inflame 524288 "$work" "$1" "$2")
	row "inflame default sampling (512 KiB)" "$r" "$plain"
	r=$(inflame 1 "$work" "$1" "$2")
	row "inflame full tracing" "$r" "$plain"
	full=$r
	full_allocs=$(allocs_in)
	echo "    recorded $full_allocs allocations; dump $(du -k "$OUT"/best/*.ifl | awk '{ s += $1 } END { print s }') KiB"
	if [ -n "$heaptrack" ]; then
		r=$(run "$REPEAT" "$heaptrack" -o "$OUT/run/ht" "$work" "$1" "$2")
		row "heaptrack" "$r" "$plain"
		calls=$(heaptrack_print "$OUT"/best/ht.* 2>/dev/null | sed -n 's/^calls to allocation functions: \([0-9]*\).*/\1/p')
		echo "    recorded $calls allocations; inflame full tracing is $(ratio "${r%% *}" "${full%% *}") cheaper"
	else
		echo "  heaptrack: not installed"
	fi
	if [ -n "$jemalloc" ]; then
		jp=$(run "$REPEAT" LD_PRELOAD="$jemalloc" "$work" "$1" "$2")
		row "jemalloc" "$jp" "$plain"
		r=$(run "$REPEAT" LD_PRELOAD="$jemalloc" MALLOC_CONF=prof:true,prof_prefix:"$OUT/run/jeprof" \
			"$work" "$1" "$2")
		row "jemalloc prof:true (vs jemalloc)" "$r" "$jp"
	else
		echo "  jemalloc: not installed"
	fi
	if [ -n "$tcmalloc" ] && [ "$1" = pairs ]; then
		tp=$(run 1 LD_PRELOAD="$tcmalloc" "$work" pairs "$TC_PAIRS")
		r=$(run 1 LD_PRELOAD="$tcmalloc" HEAPPROFILE="$OUT/run/tc" "$work" pairs "$TC_PAIRS")
		echo "  tcmalloc heap profiler, $TC_PAIRS pairs: $(ratio "${r%% *}" "${tp%% *}") of plain tcmalloc" \
			"(${r%% *} s against ${tp%% *} s)"
	fi
done
