#!/bin/sh
# CPU-overhead benchmark of `inflame record -e cpu` (issue #2), run by `make bench-cpu`.
#
# The workload is bench/cpu-work, a fixed amount of CPU-bound work with stacks about 25 frames
# deep, run once on one thread, once split over BENCH_THREADS threads (default 16) and once on
# one thread BENCH_DEEP (default 90) calls deeper (stacks of about 115 frames), with frame
# pointers and then without (bench/cpu-work-nofp, the same program built with
# -fomit-frame-pointer: inflame walks it with its unwind tables, issue #11: at most 0.5%). Each
# configuration runs BENCH_ROUNDS times (default 5), interleaved with the others: a round runs
# every configuration once, in an order rotated from round to round, and each run's CPU time
# (user + system of the whole command, from wait4 by bench/cpu-run) and wall time are divided
# by those of the unprofiled run of the same round. The table gives the median ratio with its
# minimum and maximum, the sampling rate achieved per CPU-second and the peak resident memory.
#
# Configurations: unprofiled; the null handler (bench/libnullhandler.so: inflame's clock with
# an empty handler, the floor cost of the signals) at 99 and 999 Hz, and at 999 Hz delivered as
# a perf sigtrap instead of F_SETSIG (when the kernel has it); inflame at 99 and 999 Hz;
# gperftools' libprofiler at CPUPROFILE_FREQUENCY=999; `perf record -F 999 -g`. Missing peers
# are installed with apt-get when running as root, and reported "not installed" otherwise.
# The cost per sample is the extra CPU time of the run over its samples, in microseconds.
# Below each table, inflame's excess over the null-handler floor at 999 Hz: the median over the
# rounds of the difference of the two CPU ratios, and per sample (issue #11: at most 0.3%), with
# the part of it that inflame's own threads (the writer) spent: their CPU from the dump, which
# unlike the difference of two runs hardly varies, and grows with the wall time of a run (the
# writer's cycles come by the clock) on a busy machine.
# The minor page faults of each run (all its processes) are counted too: unlike CPU time they
# hardly vary from run to run, and on a virtual machine each costs microseconds of CPU.
# BENCH_CPU_WORKLOADS="single nofp" runs only the workloads named (of single, threads, deep,
# nofp).
# BENCH_CPU_ONLY="base null999 inflame999" runs only the configurations named; with
# BENCH_CPU_BASELINE=DIR the inflame built in DIR runs at 999 Hz and BENCH_CPU_HIGH too
# ("baseline 999 Hz").
#
# The cost per sample at a high rate (issue #11): at 999 Hz inflame's excess over the floor is a
# few tenths of a percent, and on a shared virtual machine runs of the same command vary by
# tens of percent, so the 999 Hz ratios cannot tell such an excess from noise. The null handler
# and inflame also run at BENCH_CPU_HIGH Hz (default 5000; 0 leaves them out), where each run
# takes five times as many samples. Each such run's cost per sample is its extra CPU time over
# the unprofiled run of the round divided by its own samples (the perf clock counts the
# handlers' time too, so a costlier handler takes more samples for the same work, and dividing
# by the floor's samples would understate it), and inflame's excess per sample is the
# difference from the floor's in the same round: its median and quartiles over the rounds,
# with the share of it that inflame's own threads (the writer) spent, and the minor faults per
# sample over the floor. That figure times 999 is the excess at 999 Hz, in millionths of a
# CPU-second per second: 3 us per sample is the 0.3% of issue #11.
#
# Achieved rates: inflame's from `inflame info`, the null handler's from its own count of
# signals over its own CPU time; gperftools' (samples summed from the profile) and perf's
# (`perf report --stats`) over the CPU time of the unprofiled run of the same round.
set -eu
B=${INFLAME_BUILDDIR:-.}
ROUNDS=${BENCH_ROUNDS:-5}
THREADS=${BENCH_THREADS:-16}
DEEP=${BENCH_DEEP:-90}
BASELINE=${BENCH_CPU_BASELINE:-}
UNITS=${BENCH_UNITS:-90000}
WORKLOADS=${BENCH_CPU_WORKLOADS:-single threads deep nofp}
HIGH=${BENCH_CPU_HIGH:-5000}
OUT=${BENCH_DIR:-$B/bench-out}/cpu
inflame="$B/inflame"
work="$B/bench/cpu-work"
work_fp=$work
work_nofp="$B/bench/cpu-work-nofp"
run="$B/bench/cpu-run"
nullso="$B/bench/.libs/libnullhandler.so"
mkdir -p "$OUT"
rm -f "$OUT"/runs.txt

root=0
[ "$(id -u)" = 0 ] && root=1
apt_install() {
	[ $root = 1 ] && command -v apt-get >/dev/null 2>&1 || return 0
	echo "installing $* with apt-get..." >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >"$OUT/apt.log" 2>&1 || true
}
find_profiler() {
	for f in ${BENCH_LIBPROFILER:-} /usr/lib/x86_64-linux-gnu/libprofiler.so \
		/usr/lib/*/libprofiler.so /usr/lib/*/libprofiler.so.0 /usr/local/lib/libprofiler.so; do
		[ -e "$f" ] && echo "$f" && return 0
	done
	return 0
}

# Peers.
gperf=$(find_profiler)
if [ -z "$gperf" ]; then
	apt_install libgoogle-perftools-dev google-perftools
	gperf=$(find_profiler)
fi
perf=$(command -v perf || true)
if [ -z "$perf" ]; then
	apt_install linux-perf
	perf=$(command -v perf || true)
fi
perf_note="not installed"
if [ -n "$perf" ]; then
	if "$perf" record -q -F 999 -g -o "$OUT/probe.data" -- true >"$OUT/probe.log" 2>&1; then
		perf_note=""
	else
		perf_note="unavailable: perf record failed (perf_event_paranoid=$(cat \
			/proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo ?); see $OUT/probe.log)"
		perf=""
	fi
fi

# The kernel entries of a run (system calls, page faults), counted by perf stat where its
# tracepoints can be read (root): one more run each of the floor and inflame at the high rate,
# not timed, after the rounds.
stat_events=""
if [ -n "$perf" ] && [ "$HIGH" -gt 0 ] && "$perf" stat -x, -o "$OUT/probe.stat" \
	-e raw_syscalls:sys_enter,exceptions:page_fault_user -- true >/dev/null 2>&1; then
	stat_events="raw_syscalls:sys_enter,exceptions:page_fault_user"
fi
counting=""
rm -f "$OUT"/counts.txt

configs="base null99 null999"
if env LD_PRELOAD="$nullso" INFLAME_NULL_SIGTRAP=1 "$work" -u 1 >/dev/null 2>"$OUT/probe.log" &&
	[ ! -s "$OUT/probe.log" ]; then
	configs="$configs trap999"
fi
configs="$configs inflame99 inflame999"
[ "$HIGH" -gt 0 ] && configs="$configs null$HIGH inflame$HIGH"
[ "$HIGH" -gt 0 ] && [ -n "$BASELINE" ] && configs="$configs baseline$HIGH"
[ -n "$BASELINE" ] && configs="$configs baseline999"
[ -n "$gperf" ] && configs="$configs gperf999"
[ -n "$perf" ] && configs="$configs perf999"
if [ -n "${BENCH_CPU_ONLY:-}" ]; then
	keep=""
	for c in $configs; do
		case " $BENCH_CPU_ONLY " in *" $c "*) keep="$keep $c" ;; esac
	done
	configs="base${keep# base}"
	case " $configs " in *" base "*) ;; *) configs="base $configs" ;; esac
fi

label() {
	case $1 in
	base) echo "unprofiled" ;;
	null*) echo "null handler ${1#null} Hz" ;;
	trap*) echo "null handler ${1#trap} Hz, sigtrap" ;;
	inflame*) echo "inflame ${1#inflame} Hz" ;;
	baseline*) echo "baseline ${1#baseline} Hz" ;;
	gperf*) echo "gperftools ${1#gperf} Hz" ;;
	perf*) echo "perf -g ${1#perf} Hz" ;;
	esac
}

# Sum of the sample counts of a gperftools CPU profile (64-bit words: a 5-word header, then
# records "count, depth, pc..." up to the trailer "0, 1, 0").
gperf_samples() {
	od -An -v -t u8 -w8 "$1" | awk '
		{ w[n++] = $1 }
		END {
			i = 5; s = 0
			while (i + 1 < n) {
				if (w[i] == 0 && w[i + 1] == 1) break
				s += w[i]; i += 2 + w[i + 1]
			}
			print s
		}'
}

# one WORKLOAD CONFIG ROUND ARGS...: runs the workload under CONFIG, appends a line
# "WORKLOAD CONFIG ROUND CPU WALL MAXRSS_KIB SAMPLES SAMPLE_CPU MINFLT OWN" to runs.txt, where
# the achieved rate is SAMPLES / SAMPLE_CPU (SAMPLE_CPU 0: divide by the unprofiled run's CPU
# time) and OWN is the CPU time of inflame's own threads (inflame only, else 0).
one() {
	wl=$1 cfg=$2 rnd=$3
	shift 3
	rm -f "$OUT"/x.* "$OUT"/null.txt "$OUT"/gperf.prof "$OUT"/perf.data
	case $cfg in
	base) set -- "$work" "$@" ;;
	null*)
		set -- env LD_PRELOAD="$nullso" INFLAME_NULL_HZ="${cfg#null}" \
			INFLAME_NULL_OUT="$OUT/null.txt" "$work" "$@"
		;;
	trap*)
		set -- env LD_PRELOAD="$nullso" INFLAME_NULL_HZ="${cfg#trap}" INFLAME_NULL_SIGTRAP=1 \
			INFLAME_NULL_OUT="$OUT/null.txt" "$work" "$@"
		;;
	inflame*)
		set -- "$inflame" record -q -F "${cfg#inflame}" -e cpu -o "$OUT/x.%p.ifl" -- \
			"$work" "$@"
		;;
	baseline*)
		set -- "$BASELINE/inflame" record -q -F "${cfg#baseline}" -e cpu \
			-o "$OUT/x.%p.ifl" -- "$work" "$@"
		;;
	gperf*)
		set -- env LD_PRELOAD="$gperf" CPUPROFILE="$OUT/gperf.prof" \
			CPUPROFILE_FREQUENCY="${cfg#gperf}" "$work" "$@"
		;;
	perf*) set -- "$perf" record -q -F "${cfg#perf}" -g -o "$OUT/perf.data" -- "$work" "$@" ;;
	esac
	[ -z "$counting" ] || set -- "$perf" stat -x, -o "$OUT/count.txt" -e "$stat_events" -- "$@"
	if ! "$run" "$OUT/time.txt" "$@" >"$OUT/stdout.txt" 2>"$OUT/stderr.txt"; then
		echo "$(label "$cfg") failed:" >&2
		cat "$OUT/stderr.txt" >&2
		exit 1
	fi
	if [ "$(cat "$OUT/stdout.txt")" != "$(cat "$OUT/expected.$wl")" ]; then
		echo "$(label "$cfg"): wrong output: $(cat "$OUT/stdout.txt")" >&2
		exit 1
	fi
	samples=0 scpu=0 own=0
	case $cfg in
	null* | trap*) read -r samples scpu <"$OUT/null.txt" ;;
	inflame* | baseline*)
		# shellcheck disable=SC2046 # two fields, split on purpose
		"$inflame" info "$OUT"/x.*.ifl >"$OUT/info.txt"
		set -- $(sed -n 's/.*achieved (\([0-9]*\) samples in \([0-9.]*\) s of CPU).*/\1 \2/p' \
			"$OUT/info.txt")
		samples=${1:-0}
		scpu=${2:-0}
		own=$(sed -n "s/.*inflame's threads \([0-9.]*\) s).*/\1/p" "$OUT/info.txt" | head -n 1)
		;;
	gperf*) samples=$(gperf_samples "$OUT/gperf.prof") ;;
	perf*)
		samples=$("$perf" report -i "$OUT/perf.data" --stats 2>/dev/null |
			awk '/SAMPLE events:/ { print $3; exit }')
		;;
	esac
	if [ -n "$counting" ]; then
		echo "$wl $cfg ${samples:-0} $(awk -F, '/raw_syscalls:sys_enter/ { s = $1 }
			/exceptions:page_fault_user/ { f = $1 } END { print s + 0, f + 0 }' \
			"$OUT/count.txt")" >>"$OUT/counts.txt"
		return 0
	fi
	read -r u s w rss _ mf <"$OUT/time.txt"
	echo "$wl $cfg $rnd $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') $w $rss" \
		"${samples:-0} $scpu ${mf:-0} ${own:-0}" >>"$OUT/runs.txt"
}

# workload NAME ARGS...: all rounds of all configurations on one workload.
workload() {
	wl=$1
	shift
	"$work" "$@" >"$OUT/expected.$wl"
	nconfigs=$(echo "$configs" | wc -w)
	r=1
	while [ "$r" -le "$ROUNDS" ]; do
		# rotate the order by one configuration per round
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
			one "$wl" "$c" "$r" "$@"
		done
		printf '.' >&2
		r=$((r + 1))
	done
	if [ -n "$stat_events" ]; then
		counting=1
		for c in $configs; do
			case $c in null"$HIGH" | inflame"$HIGH" | baseline"$HIGH") one "$wl" "$c" 0 "$@" ;; esac
		done
		counting=""
	fi
	echo >&2
}

# counts NAME: the kernel entries per sample of the counted runs of one workload (counts.txt).
counts() {
	[ -s "$OUT/counts.txt" ] || return 0
	awk -v wl="$1" -v hz="$HIGH" '
	$1 == wl && $3 > 0 { sc[$2] = $4 / $3; fl[$2] = $5 / $3; seen[++n] = $2 }
	END {
		if (!(("null" hz) in sc)) exit
		printf "  kernel entries per sample at %s Hz (perf stat, one run each): floor %.3f " \
			"system calls, %.3f page faults", hz, sc["null" hz], fl["null" hz]
		for (i = 1; i <= n; i++) {
			c = seen[i]
			if (c == "null" hz) continue
			printf "; %s %+.3f, %+.3f over it", c ~ /^inflame/ ? "inflame" : "baseline",
				sc[c] - sc["null" hz], fl[c] - fl["null" hz]
		}
		printf "\n"
	}' "$OUT/counts.txt"
}

# table NAME: the table of one workload from runs.txt.
table() {
	awk -v wl="$1" -v configs="$configs" -v gperf_note="${gperf:+x}" \
		-v perf_note="$perf_note" '
	function median(a, n,   i, j, t) {
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2
	}
	function minmax(a, n,   i) {
		lo = hi = a[0]
		for (i = 1; i < n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
	}
	# the q-quantile of a[0..n) (sorted in place by median()), interpolated
	function quantile(a, n, q,   x, i) {
		median(a, n)
		x = q * (n - 1); i = int(x)
		return i + 1 < n ? a[i] + (x - i) * (a[i + 1] - a[i]) : a[i]
	}
	function label(c) {
		if (c == "base") return "unprofiled"
		if (c ~ /^null/) return "null handler " substr(c, 5) " Hz"
		if (c ~ /^trap/) return "null, sigtrap " substr(c, 5) " Hz"
		if (c ~ /^inflame/) return "inflame " substr(c, 8) " Hz"
		if (c ~ /^baseline/) return "baseline " substr(c, 9) " Hz"
		if (c ~ /^gperf/) return "gperftools " substr(c, 6) " Hz"
		if (c ~ /^perf/) return "perf record -g " substr(c, 5) " Hz"
	}
	$1 == wl { cpu[$2, $3] = $4; wall[$2, $3] = $5; rss[$2, $3] = $6; smp[$2, $3] = $7
		scpu[$2, $3] = $8; flt[$2, $3] = $9; own[$2, $3] = $10; if ($3 > rounds) rounds = $3 }
	END {
		nc = split(configs, cl, " ")
		for (r = 1; r <= rounds; r++) { bc[r - 1] = cpu["base", r]; bw[r - 1] = wall["base", r] }
		printf "  unprofiled: %.3f s CPU, %.3f s wall (median of %d)\n", median(bc, rounds),
			median(bw, rounds), rounds
		printf "  %-22s %-26s %-7s %-13s %-10s %-17s %s\n", "config",
			"CPU ratio median (min-max)", "wall", "samples/CPU-s", "us/sample", "max RSS",
			"minor faults"
		for (i = 1; i <= nc; i++) {
			c = cl[i]
			for (r = 1; r <= rounds; r++) {
				rc[r - 1] = cpu[c, r] / cpu["base", r]
				rw[r - 1] = wall[c, r] / wall["base", r]
				m[r - 1] = rss[c, r]
				f[r - 1] = flt[c, r]
				d = scpu[c, r] > 0 ? scpu[c, r] : cpu["base", r]
				ra[r - 1] = smp[c, r] / d
				us[r - 1] = smp[c, r] > 0 ? (cpu[c, r] - cpu["base", r]) / smp[c, r] * 1e6 : 0
			}
			mc = median(rc, rounds); minmax(rc, rounds)
			rate = c == "base" ? "-" : sprintf("%.0f", median(ra, rounds))
			if (c != "base") rate = rate " of " substr(c, match(c, /[0-9]/))
			mr = median(m, rounds)
			mf = median(f, rounds)
			if (c == "base") { base_flt = mf; faults = sprintf("%.0f", mf) }
			else faults = sprintf("%.0f (%+.0f)", mf, mf - base_flt)
			if (c == "base") { base_rss = mr; mem = sprintf("%.1f MiB", mr / 1024) }
			else mem = sprintf("%.1f MiB (%+.1f)", mr / 1024, (mr - base_rss) / 1024)
			cost = c == "base" ? "-" : sprintf("%.1f", median(us, rounds))
			printf "  %-22s %-26s %-7.3f %-13s %-10s %-17s %s\n", label(c),
				sprintf("%.4f (%.4f-%.4f)", mc, lo, hi), median(rw, rounds), rate, cost, mem,
				faults
		}
		for (i = 1; i <= nc; i++) {
			c = cl[i]
			if (c !~ /^(inflame|baseline)999$/ || !(("null999", 1) in cpu)) continue
			for (r = 1; r <= rounds; r++) {
				ex[r - 1] = (cpu[c, r] - cpu["null999", r]) / cpu["base", r] * 100
				eu[r - 1] = smp[c, r] > 0 ? (cpu[c, r] - cpu["null999", r]) / smp[c, r] * 1e6 : 0
				ow[r - 1] = smp[c, r] > 0 ? own[c, r] / smp[c, r] * 1e6 : 0
			}
			me = median(ex, rounds); minmax(ex, rounds)
			printf "  %s over the null floor: %+.2f%% of the unprofiled CPU (%+.2f to %+.2f), " \
				"%+.1f us per sample, inflame\047s threads %.2f us\n", label(c), me, lo, hi,
				median(eu, rounds), median(ow, rounds)
		}
		# Per sample at each rate other than 999 Hz where the floor ran too (BENCH_CPU_HIGH).
		for (i = 1; i <= nc; i++) {
			c = cl[i]
			hz = substr(c, match(c, /[0-9]/))
			if (c !~ /^(inflame|baseline)[0-9]+$/ || hz == 999 || !(("null" hz, 1) in cpu))
				continue
			k = 0
			for (r = 1; r <= rounds; r++) {
				if (smp[c, r] <= 0 || smp["null" hz, r] <= 0) continue
				ex[k] = ((cpu[c, r] - cpu["base", r]) / smp[c, r] - \
					 (cpu["null" hz, r] - cpu["base", r]) / smp["null" hz, r]) * 1e6
				ow[k] = own[c, r] / smp[c, r] * 1e6
				fs[k] = (flt[c, r] - flt["null" hz, r]) / smp[c, r]
				fl[k] = (cpu["null" hz, r] - cpu["base", r]) / smp["null" hz, r] * 1e6
				k++
			}
			if (!k) continue
			lo = quantile(ex, k, 0.25); hi = quantile(ex, k, 0.75); me = median(ex, k)
			printf "  %s over the null floor at %s Hz: %+.2f us per sample (quartiles %+.2f to " \
				"%+.2f; the floor %.1f us), inflame\047s threads %.2f us, %+.3f minor faults; " \
				"at 999 Hz: %+.2f%%\n", label(c), hz, me, lo, hi, median(fl, k),
				median(ow, k), median(fs, k), me * 999 / 1e4
		}
		if (gperf_note == "") printf "  %-22s not installed\n", "gperftools 999 Hz"
		if (perf_note != "") printf "  %-22s %s\n", "perf record -g 999 Hz", perf_note
	}' "$OUT/runs.txt"
}

echo "inflame CPU-overhead benchmark: $(nproc) CPUs, $(uname -r), $ROUNDS interleaved rounds"
echo "peers: gperftools ${gperf:-not installed}; perf ${perf:-$perf_note}"
wanted() {
	case " $WORKLOADS " in *" $1 "*) return 0 ;; esac
	return 1
}
! wanted single || workload single -u "$UNITS"
! wanted threads || workload threads -u "$UNITS" -t "$THREADS"
! wanted deep || workload deep -u "$UNITS" -d "$DEEP"
work=$work_nofp
! wanted nofp || workload nofp -u "$UNITS" -d "$DEEP"
work=$work_fp
if wanted single; then
	echo
	echo "workload: bench/cpu-work -u $UNITS (1 thread)"
	table single
	counts single
fi
if wanted threads; then
	echo
	echo "workload: bench/cpu-work -u $UNITS -t $THREADS ($THREADS threads)"
	table threads
	counts threads
fi
if wanted deep; then
	echo
	echo "workload: bench/cpu-work -u $UNITS -d $DEEP (1 thread, stacks about $((25 + DEEP))" \
		"frames)"
	table deep
	counts deep
fi
if wanted nofp; then
	echo
	echo "workload: bench/cpu-work-nofp -u $UNITS -d $DEEP (as deep, without frame pointers)"
	table nofp
	counts nofp
fi
echo
echo "CPU and wall: whole command (profiler processes included) over the unprofiled run of the"
echo "same round. samples/CPU-s: inflame from 'inflame info', null handler from its own count;"
echo "gperftools and perf over the unprofiled CPU time. us/sample: extra CPU time over samples."
echo "max RSS: the largest process of the run (for perf, perf itself). minor faults: of all its"
echo "processes (in brackets, over the unprofiled run)."
if [ "$HIGH" -gt 0 ]; then
	echo "Per sample at $HIGH Hz: each run's extra CPU over the unprofiled run of its round, over"
	echo "its own samples, minus the floor's of the same round (median and quartiles over the"
	echo "rounds); inflame's threads: their CPU over the samples; at 999 Hz: that excess as a share"
	echo "of the CPU at 999 samples a second (issue #11: at most 0.3%, 0.5% on nofp). Kernel"
	echo "entries: each one is a trip through the hypervisor on a virtual machine (here a system"
	echo "call about 1.5 us, a page fault 13 us), counted, where perf can, in one more run each."
fi
echo "Raw runs: $OUT/runs.txt"
