#!/bin/sh
# A program whose main thread has an alternate signal stack (tests/progs/earlystart altstack:
# 64 KiB, as clang sets one) and samples only its CPU: inflame's writer thread starts late, from a sample
# that interrupted the program at a safe point (preload/safepoint.c), and every sample runs
# on that stack. The writer must be running after 0.4 s of CPU (the program lists its
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
