#!/bin/sh
# Benchmark of `inflame flamegraph` and `inflame collapse` against the FlameGraph Perl scripts.
#
# Inputs are generated (bench/gen-stacks): folded stacks with BENCH_SIZES unique stacks
# (default 10k, 100k, 1M; depth 10 to 60) and BENCH_PERF_MB megabytes of perf script text
# (default 1178, the 1.15 GB of the published stackcollapse-perf figure). Each run reports
# wall time and peak memory (GNU time), best of BENCH_REPEAT runs. When flamegraph.pl and
# stackcollapse-perf.pl are on the PATH (or installable from a Debian package), they run on
# the same inputs and the ratios are measured side by side; otherwise the ratios are against
# the figures published in the issue for the same input sizes, and the output says so.
set -u
B=${INFLAME_BUILDDIR:-.}
S=${INFLAME_SRCDIR:-.}
SIZES=${BENCH_SIZES:-"10000 100000 1000000"}
PERF_MB=${BENCH_PERF_MB:-1178}
OUT=${BENCH_DIR:-$B/bench-out}
prog="$B/inflame"
mkdir -p "$OUT"

# Published figures (seconds, GiB) measured with the Perl scripts on this class of machine.
pub_fg_time() { case $1 in 100000) echo 17 ;; 1000000) echo 199 ;; *) echo "" ;; esac; }
pub_fg_mem() { case $1 in 100000) echo 1.06 ;; 1000000) echo 10.3 ;; *) echo "" ;; esac; }
pub_sc_time=41
pub_sc_mb=1178

# Find or install the Perl scripts.
fgpl=$(command -v flamegraph.pl || command -v flamegraph || true)
scpl=$(command -v stackcollapse-perf.pl || command -v stackcollapse-perf || true)
if [ -z "$fgpl" ] && [ "$(id -u)" = 0 ] && command -v apt-cache >/dev/null 2>&1 &&
	apt-cache show flamegraph >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y flamegraph >/dev/null 2>&1
	fgpl=$(command -v flamegraph.pl || command -v flamegraph || true)
	scpl=$(command -v stackcollapse-perf.pl || command -v stackcollapse-perf || true)
fi

# measure FILE_OUT CMD...: runs CMD BENCH_REPEAT times (default 2), prints the best run's
# "seconds maxrss_kib" (the first run also warms the page cache for the input).
measure() {
	out=$1
	shift
	best=""
	i=0
	while [ $i -lt "${BENCH_REPEAT:-2}" ]; do
		/usr/bin/time -f '%e %M' -o "$OUT/time.txt" "$@" >"$out" 2>"$OUT/stderr.txt" || {
			echo "command failed: $*" >&2
			cat "$OUT/stderr.txt" >&2
		}
		if [ -z "$best" ] || awk -v a="$(cut -d' ' -f1 "$OUT/time.txt")" -v b="${best%% *}" \
			'BEGIN { exit !(a < b) }'; then best=$(cat "$OUT/time.txt"); fi
		i=$((i + 1))
	done
	echo "$best"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }

echo "inflame flame graph benchmark ($(nproc) CPUs, program: $prog)"
[ -n "$fgpl" ] && echo "flamegraph.pl: $fgpl" ||
	echo "flamegraph.pl: not on this machine (no Debian package); ratios use the published figures"
[ -n "$scpl" ] && echo "stackcollapse-perf.pl: $scpl" ||
	echo "stackcollapse-perf.pl: not on this machine; ratios use the published figure"
echo
printf '%-34s %9s %10s %12s\n' "run" "seconds" "peak" "vs Perl"
for n in $SIZES; do
	in="$OUT/stacks-$n.folded"
	[ -s "$in" ] || "$B/bench/gen-stacks" folded "$n" 1 >"$in"
	set -- $(measure "$OUT/fg-$n.svg" "$prog" flamegraph "$in")
	t=$1 m=$2
	size=$(wc -c <"$OUT/fg-$n.svg")
	if [ -n "$fgpl" ]; then
		set -- $(measure "$OUT/fgpl-$n.svg" "$fgpl" "$in")
		vs="$(ratio "$1" "$t")x (Perl ${1}s, $(mib "$2"))"
	elif [ -n "$(pub_fg_time "$n")" ]; then
		vs="$(ratio "$(pub_fg_time "$n")" "$t")x (published $(pub_fg_time "$n")s, $(pub_fg_mem "$n") GiB)"
	else
		vs="-"
	fi
	printf '%-34s %9s %10s %s\n' "flamegraph, $n unique stacks" "$t" "$(mib "$m")" "$vs"
	echo "    input $(($(wc -c <"$in") / 1048576)) MiB, SVG $((size / 1024)) KiB"
	set -- $(measure "$OUT/collapse-$n.folded" "$prog" collapse "$in")
	printf '%-34s %9s %10s\n' "collapse (folded), $n stacks" "$1" "$(mib "$2")"
done
in="$OUT/perf-$PERF_MB.txt"
[ -s "$in" ] || "$B/bench/gen-stacks" perf "$PERF_MB" 1 >"$in"
set -- $(measure "$OUT/perf.folded" "$prog" collapse "$in")
t=$1 m=$2
if [ -n "$scpl" ]; then
	set -- $(measure "$OUT/perf-pl.folded" "$scpl" "$in")
	vs="$(ratio "$1" "$t")x (Perl ${1}s)"
	if cmp -s "$OUT/perf.folded" "$OUT/perf-pl.folded"; then vs="$vs, same output"; else
		vs="$vs, OUTPUT DIFFERS"; fi
else
	vs="$(ratio "$(awk -v a=$pub_sc_time -v s="$PERF_MB" -v p=$pub_sc_mb 'BEGIN{print a*s/p}')" "$t")x (published ${pub_sc_time}s for 1.15 GB)"
fi
printf '%-34s %9s %10s %s\n' "collapse, ${PERF_MB} MiB perf script" "$t" "$(mib "$m")" "$vs"
set -- $(measure "$OUT/perf.svg" "$prog" flamegraph "$in")
printf '%-34s %9s %10s\n' "flamegraph, ${PERF_MB} MiB perf script" "$1" "$(mib "$2")"
