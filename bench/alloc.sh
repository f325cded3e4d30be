#!/bin/sh
# Overhead of allocation profiling, measured side by side in one run: CPU time (user+sys of
# the program and every process the tool runs, from bench/cputime), best of BENCH_REPEAT runs
# (default 3) taken in interleaved rounds, as a ratio to the unprofiled run of the same
# workload; and peak memory.
#
# Workloads (bench/alloc-work): "pairs" does BENCH_ALLOC_PAIRS malloc/free pairs of 16 to
# 512 B (default 20 million: the malloc-heavy case); "threads" the same pairs, half in each of
# two threads; "mixed" replaces blocks of 16 B to 64 KiB
# in a working set of 4096 and reads them, BENCH_ALLOC_MIXED times (default 2 million);
# "python" runs Debian's python3 (BENCH_PYTHON, default /usr/bin/python3: a binary built without
# frame pointers, so every stack is a walk of unwind tables) with PYTHONMALLOC=malloc on
# bench/alloc_work.py, BENCH_ALLOC_PY iterations (default 1 million, about 5.8 million
# allocations: every object is a malloc), with the forwarding shim, inflame and heaptrack only.
# For python the rounds also run CPU and allocation sampling together (INFLAME_EVENTS=cpu,alloc,
# default rates). Default sampling is also given as a ratio to the forwarding shim, the floor
# of any interposer (on python3 the shim alone costs 1.03-1.06x).
# For python the summary gives heaptrack's added CPU time over inflame full tracing's (the
# issue's target: 5 or more), then each configuration's start-up alone (the script with 0
# iterations, run in the same rounds) and its added CPU time per allocation of the iterations
# (start-up taken out, over the allocations full tracing recorded), and the same ratio of
# heaptrack's to inflame's for the iterations alone, the share of full tracing's allocations whose stacks reach
# _start (or clone3), and the peak heap of both profilers (heaptrack_print's "peak heap memory
# consumption" against the sum of inflame's peak view).
#
# BENCH_ALLOC_WORKLOADS (default "pairs threads mixed python") selects workloads.
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
#
# BENCH_ALLOC_BASE=PATH (another build's libinflame.so, e.g. of the main branch) runs that
# library's pass-through floor, default sampling and full tracing too, in the same rounds, and
# prints their rows (marked "base") beside this build's: a before/after measured side by side.
#
# inflame's unwind tables are kept on disk (INFLAME_TABLE_CACHE) in $OUT/table-cache, empty at
# the start: the first round builds them (as a process does the first time on a machine), the
# later ones map them (as every later process does).
set -u
B=${INFLAME_BUILDDIR:-.}
OUT=${BENCH_DIR:-$B/bench-out}/alloc
PAIRS=${BENCH_ALLOC_PAIRS:-20000000}
MIXED=${BENCH_ALLOC_MIXED:-2000000}
TC_PAIRS=${BENCH_ALLOC_TC_PAIRS:-2000000}
PY_ITER=${BENCH_ALLOC_PY:-1000000}
PYTHON=${BENCH_PYTHON:-/usr/bin/python3}
SRC=${INFLAME_SRCDIR:-$(dirname "$0")/..}
REPEAT=${BENCH_REPEAT:-3}
work="$B/bench/alloc-work"
lib="$B/preload/.libs/libinflame.so"
base=${BENCH_ALLOC_BASE:-}
if [ -n "$base" ] && [ ! -r "$base" ]; then
	echo "BENCH_ALLOC_BASE: cannot read $base" >&2
	exit 1
fi
libdir=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
rm -rf "$OUT"
mkdir -p "$OUT"
INFLAME_TABLE_CACHE=$(cd "$OUT" && pwd)/table-cache
export INFLAME_TABLE_CACHE

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

# once NAME ENV... CMD...: one run of configuration NAME; its best (lowest CPU) result so far,
# "cpu_seconds maxrss_kib", is kept in $OUT/NAME.best and the files of that run in $OUT/NAME.dir
# (commands write their files to $OUT/run, which is fresh for each run).
once() {
	name=$1$SUFFIX
	shift
	rm -rf "$OUT/run"
	mkdir -p "$OUT/run"
	"$B/bench/cputime" "$OUT/time.txt" env "$@" >"$OUT/stdout.txt" 2>"$OUT/stderr.txt" || {
		echo "command failed: $*" >&2
		tail -3 "$OUT/stderr.txt" >&2
	}
	t=$(awk '{ printf "%.4f %d", $1, $2 }' "$OUT/time.txt")
	best=$(cat "$OUT/$name.best" 2>/dev/null)
	if [ -z "$best" ] || awk -v a="${t%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
		echo "$t" >"$OUT/$name.best"
		rm -rf "$OUT/$name.dir"
		mv "$OUT/run" "$OUT/$name.dir"
	fi
}
best() { cat "$OUT/$1.best"; }
SUFFIX=""
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
row() { # name result base_result
	printf "  %-34s %8.4f s %8s %8d KiB\n" "$1" "${2%% *}" "$(ratio "${2%% *}" "${3%% *}")" \
		"${2##* }"
}

# One round: every configuration once, in turn, so that a slow spell of the machine falls on
# all of them alike rather than on one. The command is the rest of the arguments; "python"
# before it asks for the interposers and heaptrack only.
round() { # [python] command...
	only_interposers=0
	if [ "$1" = python ]; then
		only_interposers=1
		shift
	fi
	once plain "$@"
	once shim LD_PRELOAD="$B/bench/.libs/libforwardshim.so" "$@"
	for c in "floor 1099511627776" "sampling 524288" "full 1"; do
		once "${c% *}" LD_PRELOAD="$lib" INFLAME_EVENTS=alloc INFLAME_ALLOC_RATE="${c#* }" \
			INFLAME_OUTPUT="$OUT/run/p.%p.ifl" "$@"
		[ -n "$base" ] && once "base${c% *}" LD_PRELOAD="$base" INFLAME_EVENTS=alloc \
			INFLAME_ALLOC_RATE="${c#* }" INFLAME_OUTPUT="$OUT/run/p.%p.ifl" "$@"
	done
	if [ $only_interposers = 1 ]; then
		# CPU and allocations sampled together (default rates): the writer's work is done
		# on the program's thread, which keeps the C library's malloc single-threaded.
		once cpualloc LD_PRELOAD="$lib" INFLAME_EVENTS=cpu,alloc \
			INFLAME_OUTPUT="$OUT/run/p.%p.ifl" "$@"
		[ -n "$base" ] && once basecpualloc LD_PRELOAD="$base" INFLAME_EVENTS=cpu,alloc \
			INFLAME_OUTPUT="$OUT/run/p.%p.ifl" "$@"
	fi
	[ -n "$heaptrack" ] && once heaptrack "$heaptrack" -o "$OUT/run/ht" "$@"
	if [ -n "$jemalloc" ] && [ $only_interposers = 0 ]; then
		once jemalloc LD_PRELOAD="$jemalloc" "$@"
		once jeprof LD_PRELOAD="$jemalloc" MALLOC_CONF=prof:true,prof_prefix:"$OUT/run/jeprof" "$@"
	fi
}

echo "inflame allocation profiling overhead ($(nproc) CPUs; CPU time user+sys, best of $REPEAT" \
	"interleaved rounds)"
workloads=${BENCH_ALLOC_WORKLOADS:-pairs threads mixed python}
if [ ! -x "$PYTHON" ]; then
	workloads=$(echo "$workloads" | sed 's/python//')
	echo "($PYTHON not found: no python workload)"
fi
for w in $workloads; do
	rm -rf "$OUT"/*.best "$OUT"/*.dir
	case $w in
	pairs | threads) set -- "$w" "$PAIRS" ;;
	mixed) set -- mixed "$MIXED" ;;
	python) set -- python "$PY_ITER" ;;
	esac
	i=0
	while [ $i -lt "$REPEAT" ]; do
		if [ "$w" = python ]; then
			(
				export PYTHONMALLOC=malloc
				round python "$PYTHON" "$SRC/bench/alloc_work.py" "$2"
				# The same with no iterations: the start-up alone.
				SUFFIX=0
				round python "$PYTHON" "$SRC/bench/alloc_work.py" 0
			)
		else
			round "$work" "$1" "$2"
		fi
		i=$((i + 1))
	done
	echo
	if [ "$w" = python ]; then
		echo "workload: python $2 ($PYTHON with PYTHONMALLOC=malloc, bench/alloc_work.py)"
	else
		echo "workload: $1 $2"
	fi
	printf "  %-34s %10s %9s %12s\n" "" "cpu" "ratio" "max rss"
	plain=$(best plain)
	row "unprofiled (glibc)" "$plain" "$plain"
	row "forwarding shim (any interposer)" "$(best shim)" "$plain"
	row "inflame pass-through floor" "$(best floor)" "$plain"
	[ -n "$base" ] && row "  base: pass-through floor" "$(best basefloor)" "$plain"
	row "inflame default sampling (512 KiB)" "$(best sampling)" "$plain"
	[ -n "$base" ] && row "  base: default sampling" "$(best basesampling)" "$plain"
	# The floor any interposer costs: default sampling read against it.
	echo "    default sampling over the forwarding shim:" \
		"$(ratio "$(best sampling | cut -d' ' -f1)" "$(best shim | cut -d' ' -f1)")" \
		"$([ -n "$base" ] && echo "(base $(ratio "$(best basesampling | cut -d' ' -f1)" \
			"$(best shim | cut -d' ' -f1)"))")"
	if [ "$w" = python ]; then
		row "inflame cpu,alloc (default rates)" "$(best cpualloc)" "$plain"
		[ -n "$base" ] && row "  base: cpu,alloc" "$(best basecpualloc)" "$plain"
	fi
	full=$(best full)
	row "inflame full tracing" "$full" "$plain"
	[ -n "$base" ] && row "  base: full tracing" "$(best basefull)" "$plain"
	full_allocs=$("$B/inflame" info "$OUT"/full.dir/*.ifl 2>/dev/null |
		sed -n 's/^samples: .*alloc \([0-9]*\),.*/\1/p')
	echo "    recorded $full_allocs allocations; dump" \
		"$(du -k "$OUT"/full.dir/*.ifl | awk '{ s += $1 } END { print s }') KiB"
	if [ -n "$heaptrack" ]; then
		r=$(best heaptrack)
		row "heaptrack" "$r" "$plain"
		calls=$(heaptrack_print "$OUT"/heaptrack.dir/ht.* 2>/dev/null |
			sed -n 's/^calls to allocation functions: \([0-9]*\).*/\1/p')
		echo "    recorded $calls allocations; inflame full tracing is" \
			"$(ratio "${r%% *}" "${full%% *}") cheaper"
		echo "    added CPU time, heaptrack over inflame full tracing:" \
			"$(awk -v h="${r%% *}" -v f="${full%% *}" -v p="${plain%% *}" \
				'BEGIN { if (f > p) printf "%.2fx", (h - p) / (f - p); else print "-" }')" \
			"$([ "$w" = python ] && echo "(target: 5x or more)")"
		[ -n "$base" ] && echo "    added CPU time, heaptrack over base full tracing:" \
			"$(awk -v h="${r%% *}" -v f="$(best basefull | cut -d' ' -f1)" -v p="${plain%% *}" \
				'BEGIN { if (f > p) printf "%.2fx", (h - p) / (f - p); else print "-" }')"
	else
		echo "  heaptrack: not installed"
	fi
	if [ "$w" = python ]; then
		# Stack quality and the peak, from the runs kept above.
		"$B/inflame" collapse --event alloc-count "$OUT"/full.dir/*.ifl >"$OUT/folded" 2>/dev/null
		awk '{ t += $NF } /^(_start|clone3);/ { g += $NF }
			END { if (t) printf "    stacks of full tracing reaching _start or clone3: %.2f%% of %d allocations\n", 100 * g / t, t }' \
			"$OUT/folded"
		ipeak=$("$B/inflame" collapse --event peak "$OUT"/full.dir/*.ifl 2>/dev/null |
			awk '{ s += $NF } END { print s + 0 }')
		heaptrack_print -f "$OUT"/heaptrack.dir/ht.* --flamegraph-cost-type peak \
			-F "$OUT/ht-peak.txt" >/dev/null 2>&1
		hpeak=$(awk '{ s += $NF } END { print s + 0 }' "$OUT/ht-peak.txt" 2>/dev/null)
		echo "    peak heap: inflame full tracing $ipeak B, heaptrack $hpeak B" \
			"(inflame/heaptrack $(ratio "$ipeak" "$hpeak"))"
		# Start-up (the script with 0 iterations) apart from the cost per allocation: the
		# time of the iterations above the start-up's, less the unprofiled run's, over the
		# allocations full tracing recorded.
		echo "  start-up (0 iterations) and added cost per allocation of the $2 iterations:"
		p0=$(best plain0 | cut -d' ' -f1)
		for c in shim floor sampling cpualloc full heaptrack \
			$([ -n "$base" ] && echo basefloor basesampling basecpualloc); do
			[ -r "$OUT/${c}0.best" ] || continue
			awk -v n="$c" -v t="$(best "$c" | cut -d' ' -f1)" -v t0="$(best "${c}0" | cut -d' ' -f1)" \
				-v p="${plain%% *}" -v p0="$p0" -v a="${full_allocs:-0}" 'BEGIN {
				printf "    %-10s start-up %7.4f s (+%6.4f s)", n, t0, t0 - p0
				if (a > 0) printf ", %6.1f ns per allocation", ((t - t0) - (p - p0)) * 1e9 / a
				printf "\n" }'
		done
		[ -n "$heaptrack" ] && awk -v h="$(best heaptrack | cut -d' ' -f1)" -v h0="$(best heaptrack0 | cut -d' ' -f1)" \
			-v f="${full%% *}" -v f0="$(best full0 | cut -d' ' -f1)" -v p="${plain%% *}" -v p0="$p0" \
			'BEGIN { if ((f - f0) > (p - p0)) printf "    added CPU time of the iterations alone, heaptrack over inflame full tracing: %.2fx\n", ((h - h0) - (p - p0)) / ((f - f0) - (p - p0)) }'
		continue
	fi
	if [ -n "$jemalloc" ]; then
		jp=$(best jemalloc)
		row "jemalloc" "$jp" "$plain"
		row "jemalloc prof:true (vs jemalloc)" "$(best jeprof)" "$jp"
	else
		echo "  jemalloc: not installed"
	fi
	if [ -n "$tcmalloc" ] && [ "$1" = pairs ]; then
		once tcplain LD_PRELOAD="$tcmalloc" "$work" pairs "$TC_PAIRS"
		once tcprof LD_PRELOAD="$tcmalloc" HEAPPROFILE="$OUT/run/tc" "$work" pairs "$TC_PAIRS"
		tp=$(best tcplain)
		r=$(best tcprof)
		echo "  tcmalloc heap profiler, $TC_PAIRS pairs: $(ratio "${r%% *}" "${tp%% *}") of plain tcmalloc" \
			"(${r%% *} s against ${tp%% *} s)"
	fi
done
