#!/bin/sh
# End-to-end tests of `inflame collapse` and `inflame flamegraph`: formats, merging, standard
# input, options, error messages and exit codes, atomic output files.
set -u
B=${INFLAME_BUILDDIR:-.}
S=${INFLAME_SRCDIR:-.}
run() { "$B/inflame" "$@"; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# Checks that a file is well-formed XML, when python3 is there to tell.
wellformed() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$1"
	else
		grep -q '</svg>' "$1"
	fi
}

cat >"$T/a.folded" <<'X'
main;run;parse 10
main;run;eval 20
main;init 5
X
printf 'main;run;parse 1\r\nbad line here\r\nother;x<y>&z 4\r\n' >"$T/b.folded"
cp "$S/tests/fuzz/corpus/perfscript/sample" "$T/perf.txt"

# Collapse: merging two folded inputs (one with CRLF and a bad line), sorted output.
run collapse "$T/a.folded" "$T/b.folded" >"$T/out" 2>"$T/err"
rc=$?
printf 'main;init 5\nmain;run;eval 20\nmain;run;parse 11\nother;x<y>&z 4\n' >"$T/want"
if [ $rc = 0 ] && cmp -s "$T/out" "$T/want"; then ok "collapse merges folded inputs"; else
	fail "collapse merges folded inputs (rc $rc)"; diff "$T/want" "$T/out"; fi
grep -q '^inflame collapse: warning: 1 line of .*b.folded did not parse' "$T/err" &&
	ok "bad lines are reported" || fail "bad lines are reported: $(cat "$T/err")"

# Collapse of perf script text, from standard input.
run collapse - <"$T/perf.txt" >"$T/out" 2>"$T/err"
printf '%s\n' 'V8_WorkerThread;main;[unknown];[libfoo.so.1];(anonymous namespace)::helper;std::vector<int>::push_back;native_safe_halt 100' \
	'java;Interpreter;java/io/PrintStream:::print 1' >"$T/want"
cmp -s "$T/out" "$T/want" && ok "collapse perf script from stdin" ||
	{ fail "collapse perf script from stdin"; diff "$T/want" "$T/out"; }
run collapse --pid --no-comm "$T/perf.txt" >"$T/out" 2>&1
grep -q '^main;' "$T/out" && ok "--no-comm" || fail "--no-comm: $(cat "$T/out")"
run collapse --tid "$T/perf.txt" | grep -q '^V8_WorkerThread-24636/25607;' &&
	ok "--tid adds comm-pid/tid" || fail "--tid adds comm-pid/tid"
run collapse --pid=24636 "$T/perf.txt" 2>/dev/null | grep -c . | grep -qx 1 &&
	ok "--pid=N filters" || fail "--pid=N filters"

# Round trip: collapse output reads back to the same stacks.
run collapse "$T/a.folded" "$T/b.folded" 2>/dev/null >"$T/c1"
run collapse "$T/c1" >"$T/c2"
cmp -s "$T/c1" "$T/c2" && ok "collapse round trip" || fail "collapse round trip"

# Flame graphs from folded, perf script and standard input, written atomically with -o.
run flamegraph -o "$T/g.svg" "$T/a.folded" "$T/perf.txt" 2>"$T/err"
rc=$?
if [ $rc = 0 ] && wellformed "$T/g.svg"; then ok "flamegraph writes well-formed SVG"; else
	fail "flamegraph writes well-formed SVG (rc $rc): $(cat "$T/err")"; fi
[ "$(ls "$T" | grep -c 'tmp-')" = 0 ] && ok "no temporary file left" || fail "temporary file left"
grep -q 'std::vector&lt;int&gt;::push_back' "$T/g.svg" && ok "perf names escaped in SVG" ||
	fail "perf names escaped in SVG"
run flamegraph --title 'My <graph>' --subtitle sub --countname ms --colors mem --inverted \
	--width 900 --height 20 --fontsize 10 --minwidth 1% --nametype Fn: --notes n \
	--bgcolors grey --hash --reverse - <"$T/b.folded" >"$T/h.svg" 2>/dev/null
if wellformed "$T/h.svg" && grep -q 'My &lt;graph&gt;' "$T/h.svg" && grep -q 'width="900"' "$T/h.svg" &&
	grep -q ' ms, ' "$T/h.svg"; then ok "flamegraph options"; else fail "flamegraph options"; fi
run flamegraph --flamechart --minwidth=0 --cp --palfile "$T/pal.map" "$T/a.folded" >"$T/i.svg" &&
	grep -q '^main->rgb(' "$T/pal.map" && ok "--cp writes the palette" || fail "--cp writes the palette"

# Differential input ("stack base count"): collapse keeps both counts, merging and sorting;
# flamegraph colours by delta, and --negate swaps the hues and the sign.
printf 'main;b 5 1\nmain;a 2 4\nmain;b 1 1\n' >"$T/d.folded"
run collapse "$T/d.folded" >"$T/out" 2>"$T/err"
printf 'main;a 2 4\nmain;b 6 2\n' >"$T/want"
cmp -s "$T/out" "$T/want" && ok "collapse keeps two counts" ||
	{ fail "collapse keeps two counts"; diff "$T/want" "$T/out"; }
run flamegraph "$T/d.folded" >"$T/d.svg" 2>"$T/err" &&
	grep -q '<title>a (4 samples, 66.67%; +33.33%)</title><rect [^>]*fill="rgb(255,105,105)"' "$T/d.svg" &&
	grep -q '<title>b (2 samples, 33.33%; -66.67%)</title><rect [^>]*fill="rgb(0,0,255)"' "$T/d.svg" &&
	ok "differential flame graph" || fail "differential flame graph: $(cat "$T/err")"
run flamegraph --negate "$T/d.folded" >"$T/d.svg" 2>"$T/err" &&
	grep -q '<title>a (4 samples, 66.67%; -33.33%)</title><rect [^>]*fill="rgb(105,105,255)"' "$T/d.svg" &&
	grep -q '<title>b (2 samples, 33.33%; +66.67%)</title><rect [^>]*fill="rgb(255,0,0)"' "$T/d.svg" &&
	ok "--negate" || fail "--negate: $(cat "$T/err")"

# --flamechart keeps input order: a stack seen again later is a new box.
printf 'a;b 1\na;c 1\na;b 1\n' >"$T/fc.folded"
boxes() { grep -o '<title>[bc] ([0-9]*' "$1" | sed 's/<title>//; s/ (/:/' | tr '\n' ' '; }
run flamegraph --flamechart "$T/fc.folded" >"$T/fc.svg" && [ "$(boxes "$T/fc.svg")" = "b:1 c:1 b:1 " ] &&
	ok "--flamechart keeps time order" || fail "--flamechart keeps time order: $(boxes "$T/fc.svg")"
run flamegraph "$T/fc.folded" >"$T/fc.svg" && [ "$(boxes "$T/fc.svg")" = "b:2 c:1 " ] &&
	ok "without --flamechart stacks merge" || fail "without --flamechart: $(boxes "$T/fc.svg")"
run flamegraph --flamechart - <"$T/perf.txt" >"$T/fc.svg" 2>/dev/null && wellformed "$T/fc.svg" &&
	ok "--flamechart from perf script" || fail "--flamechart from perf script"

# Errors: one line prefixed with the command, non-zero exit, no output file left behind.
check_err() {
	want_rc=$1
	shift
	run "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" = "$want_rc" ] && [ "$(wc -l <"$T/err")" -ge 1 ] &&
		head -1 "$T/err" | grep -q "^inflame $1: "; then ok "error: $*"; else
		fail "error: $* (rc $rc, stderr: $(cat "$T/err"))"; fi
}
check_err 2 flamegraph --colors pink "$T/a.folded"
check_err 2 flamegraph --width abc "$T/a.folded"
check_err 2 flamegraph --minwidth 5%% "$T/a.folded"
check_err 2 flamegraph --bogus "$T/a.folded"
check_err 2 collapse --event nope "$T/a.folded"
check_err 1 flamegraph "$T/does-not-exist"
check_err 1 collapse "$T/does-not-exist"
head -c 4096 /dev/urandom >"$T/binary"
printf '\0' >>"$T/binary"
check_err 1 flamegraph "$T/binary"
printf 'nothing here\n' >"$T/junk"
check_err 1 flamegraph -o "$T/junk.svg" "$T/junk"
[ ! -e "$T/junk.svg" ] && ok "no file for an input without stacks" || fail "no file for an input without stacks"
run flamegraph -o "$T/missing.svg" "$T/does-not-exist" 2>/dev/null
[ ! -e "$T/missing.svg" ] && [ "$(ls "$T" | grep -c 'tmp-')" = 0 ] &&
	ok "no partial output on error" || fail "no partial output on error"
run flamegraph -o "$T/nodir/x.svg" "$T/a.folded" 2>"$T/err"
[ $? = 1 ] && grep -q '^inflame flamegraph: cannot create' "$T/err" && ok "unwritable output" ||
	fail "unwritable output: $(cat "$T/err")"
run flamegraph </dev/null >"$T/empty.svg" 2>"$T/err"
[ $? = 1 ] && [ "$(cat "$T/err")" = "inflame flamegraph: standard input is empty" ] &&
	[ ! -s "$T/empty.svg" ] && ok "empty input: one line, no output" ||
	fail "empty input: $(cat "$T/err")"
run flamegraph --help | grep -q -- '--minwidth' && ok "--help" || fail "--help"

if [ $fails -gt 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all passed"
