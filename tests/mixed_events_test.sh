#!/bin/sh
# Several dumps read together without --event are read in one event: the first of cpu, wall
# and alloc that any of them has samples of. Each dump used to pick its own, so a dump without
# cpu samples (a wall-only run; an nginx worker that ran only in the kernel) added its wall
# samples to the others' cpu samples, under the header of whichever dump came last.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

"$I" record -q -e cpu -o "$T/cpu.ifl" -- /bin/sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done' ||
	fail "record -e cpu"
"$I" record -q -e wall -o "$T/wall.ifl" -- /bin/sleep 0.2 || fail "record -e wall"
"$I" collapse "$T/cpu.ifl" >"$T/cpu.folded" 2>"$T/err" || {
	echo "SKIP: no cpu samples in a busy loop: $(cat "$T/err")"
	exit 77
}
[ -s "$T/cpu.folded" ] || { echo "SKIP: no cpu samples in a busy loop"; exit 77; }
"$I" collapse --event wall "$T/wall.ifl" >"$T/wall.folded" 2>"$T/err" && [ -s "$T/wall.folded" ] ||
	fail "no wall samples in sleep 0.2: $(cat "$T/err")"

for order in "cpu wall" "wall cpu"; do
	set -- $order
	a=$T/$1.ifl b=$T/$2.ifl
	"$I" collapse "$a" "$b" >"$T/both.folded" 2>"$T/err"
	cmp -s "$T/both.folded" "$T/cpu.folded" && ok "collapse $order: the cpu samples alone" ||
		fail "collapse $order: $(wc -l <"$T/both.folded") lines, not the cpu dump's $(wc -l <"$T/cpu.folded"): $(grep -v -x -F -f "$T/cpu.folded" "$T/both.folded" | head -3)"
	"$I" report -n 1 "$a" "$b" 2>"$T/err" | head -1 >"$T/head"
	"$I" report -n 1 "$T/cpu.ifl" 2>/dev/null | head -1 >"$T/want"
	cmp -s "$T/head" "$T/want" && ok "report $order: $(cat "$T/head")" ||
		fail "report $order: '$(cat "$T/head")', the cpu dump alone: '$(cat "$T/want")'"
	"$I" flamegraph --title t -o "$T/both.svg" "$a" "$b" 2>"$T/err" &&
		"$I" flamegraph --title t -o "$T/cpu.svg" "$T/cpu.ifl" 2>"$T/err" &&
		cmp -s "$T/both.svg" "$T/cpu.svg" && ok "flamegraph $order: the cpu samples alone" ||
		fail "flamegraph $order: not the cpu dump's graph: $(cat "$T/err")"
done
# Asked for, an event is still read from every dump that has it.
"$I" collapse --event wall "$T/cpu.ifl" "$T/wall.ifl" >"$T/both.folded" 2>"$T/err"
cmp -s "$T/both.folded" "$T/wall.folded" && ok "collapse --event wall: the wall samples" ||
	fail "collapse --event wall: $(cat "$T/err")"
[ "$fails" = 0 ]
