#!/bin/sh
# A program that a debugger traces from its start is not profiled unless INFLAME_TRACED=1
# asks: the debugger would list inflame's writer and ticker threads as the program's (gdb
# prints "[New Thread ...]" lines that an unprofiled run does not), and every signal inflame
# sends would stop the program in the debugger. tests/progs/tracer runs tests/progs/threads as
# a debugger would; the program's output and status must be as unprofiled, with no dump of it,
# and with INFLAME_TRACED=1 a complete dump.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
L="$(cd "$B" && pwd)/preload/.libs/libinflame.so"
TR="$(cd "$B" && pwd)/tests/progs/tracer"
P="$(cd "$B" && pwd)/tests/progs/threads"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# traced OUT [VAR=VALUE...]: the traced program's output (its measured times left out) and
# exit status into OUT.
traced() {
	out=$1
	shift
	env "$@" "$TR" "$P" 0.3 >"$T/raw" 2>&1
	rc=$?
	grep -v '^truth' "$T/raw" >"$out"
	echo "status $rc" >>"$out"
}

traced "$T/want"
grep -q 'status 0' "$T/want" || fail "unprofiled: $(tr '\n' ' ' <"$T/want")"
for ev in cpu wall cpu,wall,alloc; do
	traced "$T/got" INFLAME_EVENTS=$ev INFLAME_OUTPUT="$T/p.%p.ifl" LD_PRELOAD="$L"
	cmp -s "$T/want" "$T/got" || fail "-e $ev: output $(tr '\n' ' ' <"$T/got")"
	# The tracer itself is profiled (one dump); the traced program is not.
	n=$(ls "$T" | grep -c '^p\.')
	if [ "$n" = 1 ]; then
		ok "-e $ev: traced program not profiled, same output"
	else
		fail "-e $ev: $n dumps, 1 wanted (the tracer's)"
	fi
	rm -f "$T"/p.*
done
traced "$T/got" INFLAME_TRACED=1 INFLAME_EVENTS=cpu INFLAME_OUTPUT="$T/p.%p.ifl" LD_PRELOAD="$L"
cmp -s "$T/want" "$T/got" || fail "INFLAME_TRACED=1: output $(tr '\n' ' ' <"$T/got")"
n=0
for f in "$T"/p.*; do
	[ -e "$f" ] || continue
	"$I" info "$f" >"$T/info" 2>&1 || fail "INFLAME_TRACED=1: $f unreadable"
	grep -q '^status: *complete' "$T/info" || fail "INFLAME_TRACED=1: $f not complete"
	n=$((n + 1))
done
if [ "$n" = 2 ]; then
	ok "INFLAME_TRACED=1: the traced program profiled too"
else
	fail "INFLAME_TRACED=1: $n dumps, 2 wanted"
fi
[ $fails = 0 ] || exit 1
echo "all passed"
