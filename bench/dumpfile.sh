#!/bin/sh
# What a short process's dump file costs (issue 11), run by `make bench-dumpfile`.
#
# First the system calls of a dump file's life, timed step by step (bench/dumpfile.c), in the
# build's bench-out directory (the disk the dumps usually go to) and, when there is one, in
# /dev/shm (tmpfs): BENCH_DUMPFILE_FILES files (default 1000) per way and round.
# Then the same in a real process: bench/spawn-loop starts /bin/true BENCH_DUMPFILE_SPAWNS times
# (default 1000) and reports the mean CPU time and page faults of one run, unprofiled and with
# LD_PRELOAD=libinflame.so (-e cpu) writing its dumps to the disk, to /dev/shm, and to a
# directory that does not exist (no file: what a process costs without its dump file, whose
# content is then not gathered either). Each configuration runs once per round, BENCH_ROUNDS
# rounds (default 5) in an order rotated from round to round; the medians are shown. Nothing is
# deleted before the end: on ext4 without a journal every creation pays for the inodes deleted
# a few seconds before (see bench/startup.sh).
set -eu
B=${INFLAME_BUILDDIR:-.}
FILES=${BENCH_DUMPFILE_FILES:-1000}
SPAWNS=${BENCH_DUMPFILE_SPAWNS:-1000}
ROUNDS=${BENCH_ROUNDS:-5}
OUT=${BENCH_DIR:-$B/bench-out}/dumpfile.$$
SHM=/dev/shm/inflame-dumpfile.$$
lib="$B/preload/.libs/libinflame.so"
dirs="$OUT"
[ -d /dev/shm ] && [ -w /dev/shm ] && dirs="$dirs $SHM"
trap 'rm -rf "$OUT" "$SHM"' EXIT
for d in $dirs; do mkdir -p "$d/calls"; done
echo "dump file system calls: $(uname -r); file systems: $(for d in $dirs; do
	stat -f -c %T "$d"
done | tr '\n' ' ')"
for d in $dirs; do
	"$B/bench/dumpfile" "$d/calls" "$FILES" "$ROUNDS"
done

configs="unprofiled disk nowhere"
[ -d "$SHM" ] && configs="unprofiled disk tmpfs nowhere"
nconfigs=$(echo "$configs" | wc -w)
: >"$OUT/runs.txt"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	k=0 order="" rest=""
	for c in $configs; do
		if [ $k -lt $(((r - 1) % nconfigs)) ]; then rest="$rest $c"; else order="$order $c"; fi
		k=$((k + 1))
	done
	for c in $order $rest; do
		case $c in
		unprofiled) set -- ;;
		disk) mkdir -p "$OUT/spawn.$r" && set -- "$OUT/spawn.$r" ;;
		tmpfs) mkdir -p "$SHM/spawn.$r" && set -- "$SHM/spawn.$r" ;;
		nowhere) set -- "$OUT/none/none" ;;
		esac
		if [ $# -eq 0 ]; then
			res=$("$B/bench/spawn-loop" "$SPAWNS" /bin/true)
		else
			res=$(LD_PRELOAD="$lib" INFLAME_EVENTS=cpu INFLAME_OUTPUT="$1/x.%p.ifl" \
				"$B/bench/spawn-loop" "$SPAWNS" /bin/true 2>/dev/null)
		fi
		echo "$c $r $res" >>"$OUT/runs.txt"
	done
	printf '.' >&2
	r=$((r + 1))
done
echo >&2
echo "$SPAWNS x /bin/true by posix_spawn, CPU per process (median of $ROUNDS rounds):"
awk -v configs="$configs" '
function median(a, n,   i, j, t) {
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2
}
{ cpu[$1, $2] = $3; flt[$1, $2] = $4; if ($2 > rounds) rounds = $2 }
END {
	nc = split(configs, cl, " ")
	for (i = 1; i <= nc; i++) {
		c = cl[i]
		for (r = 1; r <= rounds; r++) {
			a[r - 1] = cpu[c, r]; f[r - 1] = flt[c, r]
			x[r - 1] = cpu[c, r] - cpu["unprofiled", r]
		}
		printf "  %-11s %7.1f us %+7.1f us %6.1f faults\n", c, median(a, rounds),
			median(x, rounds), median(f, rounds)
	}
}' "$OUT/runs.txt"
echo "(disk, tmpfs: the dumps written there; nowhere: no dump file could be created)"
