#!/bin/sh
# Programs that change their process as they start, before inflame's writer thread of an image
# that samples only its CPU is started (from a sample at a safe point): tests/progs/earlystart.
#
# 1. A program that closes every descriptor it did not open as it starts (tests/progs/earlystart
# main, child: a daemon's close loop), inflame's perf events and dump file with them, then
# runs 0.3 s on its CPU; itself ("main") or in a fork child ("child"). Whatever inflame can
# still sample, the process's CPU must not vanish: its files together show the thread's 0.3 s
# of CPU, and where samples stand for less than 80% of it, a notice says why. (With -e cpu
# the writer starts from a sample, and none came once the perf event was closed: the thread's
# CPU was in no file, or a fork child left no file at all.)
#
# 2. A program whose main thread has an alternate signal stack (earlystart altstack: 64 KiB,
# as clang sets one) and samples only its CPU: inflame's writer thread starts late, from a
# sample that interrupted the program at a safe point (preload/safepoint.c), and every sample
# runs on that stack. The writer must be running after 0.4 s of CPU (the program lists its
# threads), else the rings fill and drop (clang -e cpu: 20-28% of its CPU sampled, thousands
# of samples dropped), under each unwinder.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
P="$(cd "$B" && pwd)/tests/progs/earlystart"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

for mode in main child; do
	"$P" "$mode" "$T/pid" >"$T/want" 2>&1
	echo "status $?" >>"$T/want"
	for ev in cpu cpu,wall; do
		rm -rf "$T/d" && mkdir "$T/d"
		"$I" record -q -e "$ev" -o "$T/d/p.%p.ifl" "$P" "$mode" "$T/pid" >"$T/got" 2>&1
		echo "status $?" >>"$T/got"
		if ! cmp -s "$T/want" "$T/got"; then
			fail "$mode -e $ev: differs from unprofiled: $(diff "$T/want" "$T/got" | head -n 4)"
			continue
		fi
		pid=$(cat "$T/pid")
		: >"$T/info"
		for f in "$T/d/p.$pid.ifl"*; do
			[ -e "$f" ] && "$I" info "$f" >>"$T/info" 2>&1
		done
		# the burning thread's CPU over all its files, and its lowest coverage
		cpu=$(awk -v p="$pid" '$0 ~ "tid " p " " && match($0, /user [0-9.]+ s, sys [0-9.]+ s/) {
			split(substr($0, RSTART, RLENGTH), f, /[ ,]+/); s += f[2] + f[5] }
			END { printf "%.3f", s }' "$T/info")
		cov=$(awk -v p="$pid" '$0 ~ "tid " p " " && match($0, /s, [0-9.]+%/) {
			c = substr($0, RSTART + 3, RLENGTH - 4) + 0; if (!n++ || c < m) m = c }
			END { printf "%.1f", n ? m : 0 }' "$T/info")
		if awk -v c="$cpu" 'BEGIN { exit !(c < 0.2) }'; then
			fail "$mode -e $ev: the burning process's 0.3 s of CPU is in no file (${cpu} s): $(ls "$T/d" | tr '\n' ' ')"
		elif awk -v c="$cov" 'BEGIN { exit !(c >= 80) }'; then
			ok "$mode -e $ev: ${cpu} s of CPU, ${cov}% sampled"
		elif ! grep -q "closed or replaced inflame's perf event descriptors" "$T/info"; then
			fail "$mode -e $ev: ${cov}% sampled and no notice says why"
		else
			# (the readers' warning is left out when the thread's one or two samples
			# fell in inflame's own code: tools/view/coverage.c, inflame_coverage_low)
			w=$(grep -c '^warning: .*less than 80%' "$T/info")
			ok "$mode -e $ev: ${cpu} s of CPU, ${cov}% sampled, with the notice ($w warnings)"
		fi
	done
done

"$P" altstack "$T/threads" >"$T/want" 2>&1
echo "status $?" >>"$T/want"
grep -q '^status 0' "$T/want" || fail "unprofiled: $(cat "$T/want")"
for unwind in auto dwarf; do
	for round in 1 2; do
		rm -f "$T/p.ifl" "$T/threads"
		"$I" record -q -e cpu --unwind "$unwind" -o "$T/p.ifl" "$P" altstack "$T/threads" \
			>"$T/got" 2>&1
		echo "status $?" >>"$T/got"
		if ! cmp -s "$T/want" "$T/got"; then
			fail "--unwind $unwind: differs from unprofiled: $(diff "$T/want" "$T/got" | head -n 4)"
		elif ! grep -q '^inflame-writer$' "$T/threads"; then
			fail "--unwind $unwind, round $round: no writer thread after 0.4 s: $(tr '\n' ' ' <"$T/threads")"
		else
			ok "--unwind $unwind, round $round: the writer runs"
		fi
	done
done
[ "$fails" -eq 0 ] || exit 1
echo "all passed"
