#!/bin/sh
# Whether the profiler's own CPU in the dump tells what profiling a real program costs, run by
# `make bench-compile`. The program is the compiler: gcc -O2 on a generated C file and g++ -O2
# on a generated C++ file of templates (Debian's cc1 and cc1plus have no frame pointers: the
# default unwinder walks their unwind tables), each about 5 s of CPU here. Configurations:
# unprofiled; the null handler (bench/libnullhandler.so: the same perf clock at 999 Hz with an
# empty handler, the floor cost of the signals); inflame at 999 Hz on the perf clock and on the
# default clock (auto); with BENCH_COMPILE_BASELINE=LIB also the libinflame.so LIB (another
# build) on both. BENCH_ROUNDS rounds (default 3), each running every configuration once in an
# order rotated from round to round; each run's CPU time (user + system of the compiler and its
# children, from wait4 by bench/cpu-run) is divided by the unprofiled run's of the same round.
# The table gives per configuration the median of: that ratio's excess (with its minimum and
# maximum), the excess over the null floor, the profiler's own CPU the dumps report (all the
# files of the run, over the run's CPU time), and the sampling handler's time a run (the dumps'
# handler line). The excess over unprofiled less the floor is what inflame's code cost; the
# floor (the kernel's delivery of each signal, and the program running slower after it) is in
# no dump.
set -eu
B=${INFLAME_BUILDDIR:-.}
ROUNDS=${BENCH_ROUNDS:-3}
BASELINE=${BENCH_COMPILE_BASELINE:-}
OUT=${BENCH_DIR:-$B/bench-out}/compile
inflame="$B/inflame"
run="$B/bench/cpu-run"
lib="$B/preload/.libs/libinflame.so"
nullso="$B/bench/.libs/libnullhandler.so"
mkdir -p "$OUT"
rm -f "$OUT"/runs.txt

# The inputs: N functions each (more is slower to compile, about linearly).
i=0
{
	printf '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n'
	while [ $i -lt "${BENCH_COMPILE_C:-600}" ]; do
		printf 'struct n%d { struct n%d *l, *r; int k; double v[8]; };\n' $i $i
		printf 'static struct n%d *ins%d(struct n%d *t, int k) { if (!t) { t = calloc(1, ' $i $i $i
		printf 'sizeof *t); t->k = k; return t; } if (k < t->k) t->l = ins%d(t->l, k); ' $i
		printf 'else t->r = ins%d(t->r, k); return t; }\n' $i
		printf 'double run%d(int n, const char *s) { struct n%d *t = 0; double acc = 0; ' $i $i
		printf 'char buf[256]; for (int j = 0; j < n; j++) { t = ins%d(t, (j * 2654435761u) ' $i
		printf '%% 1000); snprintf(buf, sizeof buf, "%%s-%%d-%d", s, j); for (int q = 0; ' $i
		printf 'q < 8; q++) { acc += t->v[q] * q + strlen(buf) + (j %% (q + 1)) * %d.5; ' $i
		printf 't->v[q] = acc / (q + 1); } switch (j %% 7) { case 0: acc *= 1.01; break; '
		printf 'case 1: acc -= %d; break; case 2: acc = acc > 1e9 ? 0 : acc; break; ' $i
		printf 'case 3: acc += buf[3]; break; default: acc += 1; } } return acc; }\n'
		i=$((i + 1))
	done
} >"$OUT/work.c"
i=0
{
	printf '#include <map>\n#include <regex>\n#include <string>\n#include <vector>\n'
	printf '#include <algorithm>\n#include <unordered_set>\n'
	while [ $i -lt "${BENCH_COMPILE_CXX:-12}" ]; do
		printf 'struct S%d { int a; std::string s; double d; bool operator<(const S%d &o) ' $i $i
		printf 'const { return a < o.a || (a == o.a && s < o.s); } };\n'
		printf 'std::map<std::string, std::vector<S%d>> f%d(const std::vector<std::string> ' $i $i
		printf '&in) { std::map<std::string, std::vector<S%d>> m; std::regex ' $i
		printf 're("([a-z]+)_%d([0-9]*)"); for (auto &x : in) { std::smatch sm; ' $i
		printf 'if (std::regex_match(x, sm, re)) m[sm[1]].push_back(S%d{(int)x.size(), ' $i
		printf 'sm[2], 1.0 * %d}); } for (auto &kv : m) { std::sort(kv.second.begin(), ' $i
		printf 'kv.second.end()); std::unordered_set<std::string> u; for (auto &e : '
		printf 'kv.second) u.insert(e.s); } return m; }\n'
		i=$((i + 1))
	done
} >"$OUT/work.cc"

configs="base null perf auto"
[ -n "$BASELINE" ] && configs="$configs baseperf baseauto"

# one WORKLOAD CONFIG ROUND: appends "WORKLOAD CONFIG ROUND CPU OWN RUNS HANDLER_S" to runs.txt.
one() {
	wl=$1 cfg=$2 rnd=$3
	rm -f "$OUT"/x.*.ifl
	case $wl in
	c) set -- gcc -O2 -c "$OUT/work.c" -o "$OUT/work.o" ;;
	cxx) set -- g++ -O2 -c "$OUT/work.cc" -o "$OUT/work.o" ;;
	esac
	case $cfg in
	base) set -- env "$@" ;;
	null) set -- env LD_PRELOAD="$nullso" INFLAME_NULL_HZ=999 "$@" ;;
	perf | auto | baseperf | baseauto)
		l=$lib
		case $cfg in base*) l=$BASELINE ;; esac
		t=auto
		case $cfg in *perf) t=perf ;; esac
		set -- env LD_PRELOAD="$l" INFLAME_EVENTS=cpu INFLAME_FREQUENCY=999 \
			INFLAME_CPU_TIMER=$t INFLAME_OUTPUT="$OUT/x.%p.ifl" "$@"
		;;
	esac
	if ! "$run" "$OUT/time.txt" "$@" >"$OUT/stdout.txt" 2>"$OUT/stderr.txt"; then
		echo "$cfg failed:" >&2
		cat "$OUT/stderr.txt" >&2
		exit 1
	fi
	read -r u s _ <"$OUT/time.txt"
	own=0 runs=0 hs=0
	if ls "$OUT"/x.*.ifl >/dev/null 2>&1; then
		for f in "$OUT"/x.*.ifl; do "$inflame" info "$f"; done >"$OUT/info.txt"
		# shellcheck disable=SC2046 # three fields, split on purpose
		set -- $(awk '
			/^profiler: .*own CPU/ { match($0, /own CPU: [0-9.]+ s/)
				split(substr($0, RSTART, RLENGTH), f, " "); own += f[3] }
			/^handler: / { match($0, /ran [0-9]+ times for [0-9.]+ s/)
				split(substr($0, RSTART, RLENGTH), f, " "); runs += f[2]; hs += f[5] }
			END { print own + 0, runs + 0, hs + 0 }' "$OUT/info.txt")
		own=$1 runs=$2 hs=$3
	fi
	echo "$wl $cfg $rnd $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') $own $runs $hs" \
		>>"$OUT/runs.txt"
}

table() {
	awk -v wl="$1" -v configs="$configs" '
	function median(a, n,   i, j, t) {
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2
	}
	$1 == wl { cpu[$2, $3] = $4; own[$2, $3] = $5; runs[$2, $3] = $6; hs[$2, $3] = $7
		if ($3 > rounds) rounds = $3 }
	END {
		nc = split(configs, cl, " ")
		for (r = 1; r <= rounds; r++) bc[r - 1] = cpu["base", r]
		printf "  unprofiled: %.3f s CPU (median of %d)\n", median(bc, rounds), rounds
		printf "  %-26s %-28s %-14s %-16s %s\n", "config", "excess CPU median (min, max)",
			"over the floor", "own CPU (dumps)", "handler a run"
		for (i = 2; i <= nc; i++) {
			c = cl[i]
			for (r = 1; r <= rounds; r++) {
				x[r - 1] = (cpu[c, r] / cpu["base", r] - 1) * 100
				f[r - 1] = (cpu[c, r] - cpu["null", r]) / cpu["base", r] * 100
				o[r - 1] = own[c, r] / cpu[c, r] * 100
				h[r - 1] = runs[c, r] ? hs[c, r] / runs[c, r] * 1e6 : -1
			}
			lo = hi = x[0]
			for (r = 1; r < rounds; r++) { if (x[r] < lo) lo = x[r]; if (x[r] > hi) hi = x[r] }
			printf "  %-26s %-28s %-14s %-16s %s\n",
				c == "null" ? "null handler 999 Hz" : "inflame 999 Hz, " c,
				sprintf("%+.1f%% (%+.1f, %+.1f)", median(x, rounds), lo, hi),
				c == "null" ? "-" : sprintf("%+.2f%%", median(f, rounds)),
				c == "null" ? "-" : sprintf("%.2f%%", median(o, rounds)),
				c == "null" || median(h, rounds) < 0 ? "-" :
				    sprintf("%.1f us", median(h, rounds))
		}
	}' "$OUT/runs.txt"
}

wls=c
! command -v g++ >/dev/null 2>&1 || wls="c cxx"
echo "inflame compile benchmark: $(nproc) CPUs, $(uname -r), $ROUNDS interleaved rounds"
for wl in $wls; do
	nconfigs=$(echo "$configs" | wc -w)
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		order="" rest="" k=0
		for c in $configs; do
			if [ $k -lt $(((r - 1) % nconfigs)) ]; then rest="$rest $c"; else order="$order $c"; fi
			k=$((k + 1))
		done
		for c in $order $rest; do one "$wl" "$c" "$r"; done
		printf '.' >&2
		r=$((r + 1))
	done
	echo >&2
done
echo
echo "workload: gcc -O2 -c on $OUT/work.c"
table c
if [ "$wls" != c ]; then
	echo
	echo "workload: g++ -O2 -c on $OUT/work.cc"
	table cxx
fi
echo
echo "excess CPU: the run's CPU time (the compiler and its children) over the unprofiled run of"
echo "the same round; over the floor: less the null handler's of the same round (what inflame's"
echo "code cost); own CPU: the profiler's own CPU all the run's dumps report, over the run's CPU"
echo "time; handler a run: the sampling handler's time from entry to exit, over its runs."
echo "Raw runs: $OUT/runs.txt"
