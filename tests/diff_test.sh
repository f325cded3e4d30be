#!/bin/sh
# inflame diff: difffolded.pl's two-count output (scaled to the after total unless
# --absolute), the red/blue SVG, the change table, how the two sides are given, and the CI
# gate's exit status on prepared profiles: "hot" grows by 5 percentage points of self share,
# "eval" (its caller) by 5 points of total share only.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# Before: 200 samples; after: 100, with hot 20% -> 25% and init 20% -> 15%.
printf 'main;parse;lex 60\nmain;parse 20\nmain;eval;hot 40\nmain;eval 40\nmain;init 40\n' >"$T/before.folded"
printf 'main;parse;lex 30\nmain;parse 10\nmain;eval;hot 25\nmain;eval 20\nmain;init 15\n' >"$T/after.folded"
printf 'main;parse;lex 30\nmain;parse 10\nmain;eval;hot 20\nmain;eval 20\nmain;init 20\n' >"$T/half.folded"

# gate RC ARGS...: the exit status of the gate, and its stderr lines in $T/err.
gate() {
	want=$1
	shift
	"$I" diff "$@" -o "$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = "$want" ] && ok "diff $* -> $rc" || fail "diff $*: want $want, got $rc: $(cat "$T/err")"
}
gate 1 --fail-above 2 "$T/before.folded" "$T/after.folded"
grep -qx 'inflame diff: REGRESSION: hot: self share 20.00% -> 25.00% (+5.00 pp, limit 2.00 pp)' "$T/err" &&
	[ "$(grep -c REGRESSION "$T/err")" = 1 ] && ok "the regression, one line" || fail "regression lines: $(cat "$T/err")"
gate 0 --fail-above 10 "$T/before.folded" "$T/after.folded"
grep -q '^inflame diff: ok: ' "$T/err" || fail "passing gate says ok: $(cat "$T/err")"
gate 0 --fail-above 5 "$T/before.folded" "$T/after.folded"   # grew by exactly 5: not more
gate 0 --fail-above 4.99 --function '^(parse|init)$' "$T/before.folded" "$T/after.folded"
gate 1 --fail-above 4.99 --function 'ho' "$T/before.folded" "$T/after.folded"
# self vs total: eval's own share did not change, its total grew 5 points.
gate 0 --self --fail-above 2 --function '^eval$' "$T/before.folded" "$T/after.folded"
gate 1 --total --fail-above 2 --function '^eval$' "$T/before.folded" "$T/after.folded"
grep -q 'REGRESSION: eval: total share 40.00% -> 45.00% (+5.00 pp' "$T/err" || fail "total regression line: $(cat "$T/err")"
gate 1 --total --fail-above 2 "$T/before.folded" "$T/after.folded"
[ "$(grep -c REGRESSION "$T/err")" = 2 ] && ok "--total: eval and hot" || fail "--total lines: $(cat "$T/err")"
# Shrinking is never a regression.
gate 0 --fail-above 0 --function init "$T/before.folded" "$T/after.folded"

# Folded output: "stack before after", before scaled to the after total (200 -> 100).
"$I" diff "$T/before.folded" "$T/after.folded" >"$T/out" 2>"$T/err" || fail "diff: $(cat "$T/err")"
printf 'main;eval 20 20\nmain;eval;hot 20 25\nmain;init 20 15\nmain;parse 10 10\nmain;parse;lex 30 30\n' >"$T/want"
cmp -s "$T/out" "$T/want" && ok "difffolded output, normalised" || fail "folded: $(cat "$T/out")"
"$I" diff --absolute "$T/before.folded" "$T/after.folded" >"$T/out" 2>"$T/err"
grep -qx 'main;eval;hot 40 25' "$T/out" && ok "--absolute keeps the amounts" || fail "--absolute: $(cat "$T/out")"
# The output reads back as a differential profile.
"$I" collapse "$T/out" >"$T/back" 2>"$T/err" && cmp -s "$T/out" "$T/back" &&
	ok "inflame collapse reads it back unchanged" || fail "read back: $(cat "$T/err" "$T/back")"

# The sides: BEFORE... -- AFTER..., --before/--after, several inputs added up.
"$I" diff "$T/half.folded" "$T/half.folded" -- "$T/after.folded" >"$T/out" 2>"$T/err" &&
	grep -qx 'main;eval;hot 20 25' "$T/out" && ok "BEFORE BEFORE -- AFTER" || fail "separator: $(cat "$T/err" "$T/out")"
"$I" diff --after "$T/after.folded" --before "$T/half.folded" --before "$T/half.folded" >"$T/out2" 2>"$T/err" &&
	cmp -s "$T/out" "$T/out2" && ok "--before/--after" || fail "--before/--after: $(cat "$T/err" "$T/out2")"
"$I" diff --fail-above 2 --table -- "$T/a" 2>"$T/err"
[ $? = 2 ] && ok "a missing side is bad usage" || fail "missing side: $(cat "$T/err")"
"$I" diff "$T/half.folded" "$T/half.folded" "$T/after.folded" 2>"$T/err"
[ $? = 2 ] && grep -q 'separate the sides with --' "$T/err" && ok "three inputs without --: bad usage" ||
	fail "three inputs: $(cat "$T/err")"
"$I" diff --function '(' --fail-above 1 "$T/before.folded" "$T/after.folded" 2>"$T/err"
[ $? = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && ok "a bad regex: one line, 2" || fail "bad regex: $(cat "$T/err")"
mkdir "$T/o.d"
"$I" diff --svg -o "$T/o.d/x.svg" "$T/before.folded" "$T/nothere" 2>"$T/err"
[ $? = 1 ] && [ -z "$(ls -A "$T/o.d")" ] && [ "$(wc -l <"$T/err")" = 1 ] && ok "a missing input: no file" ||
	fail "missing input: $(cat "$T/err")"

# The table: most changed first, in percentage points.
"$I" diff --table -n 3 "$T/before.folded" "$T/after.folded" >"$T/out" 2>"$T/err"
sed -n '3,5p' "$T/out" | awk '{ print $NF }' | tr '\n' ' ' >"$T/names"
[ "$(cat "$T/names")" = "eval hot init " ] && [ "$(wc -l <"$T/out")" = 5 ] &&
	grep -q '^ *+5.00  *20.00%  *25.00%  *+5.00  *20.00%  *25.00%  hot$' "$T/out" &&
	ok "table: eval, hot, init first" || fail "table: $(cat "$T/out")"

# The SVG: a differential flame graph, red for growth.
"$I" diff --svg -o "$T/d.svg" "$T/before.folded" "$T/after.folded" 2>"$T/err" &&
	grep -q 'Differential Flame Graph' "$T/d.svg" && grep -q 'hot' "$T/d.svg" && ok "--svg" ||
	fail "--svg: $(cat "$T/err")"

# Dumps: two runs of the same program.
"$I" record -q -e cpu -o "$T/r1.ifl" -- "$B/tests/progs/threads" 0.2 >/dev/null 2>&1
"$I" record -q -e cpu -o "$T/r2.ifl" -- "$B/tests/progs/threads" 0.2 >/dev/null 2>&1
"$I" diff --table --fail-above 50 "$T/r1.ifl" "$T/r2.ifl" >"$T/out" 2>"$T/err" &&
	grep -q '^# cpu: before ' "$T/out" && grep -q 'spin_until' "$T/out" && ok "dumps: table and gate" ||
	fail "dumps: $(cat "$T/err" "$T/out")"

if [ $fails -gt 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all passed"
