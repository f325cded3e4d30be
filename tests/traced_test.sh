#!/bin/sh
# A program that a debugger traces from its start is not profiled unless INFLAME_TRACED=1
# asks: the debugger would list inflame's writer and ticker threads as the program's (gdb
# prints "[New Thread ...]" lines that an unprofiled run does not), and every signal inflame
# sends would stop the program in the debugger. tests/progs/tracer runs tests/progs/threads as
# a debugger would; the program's output and status must be as unprofiled, with no dump of it,
# and with INFLAME_TRACED=1 a complete dump. The tracer's fork child runs the tracer's code
# (and inflame's fork handlers) until its exec: when a sample lands there, under load, that
# child leaves a dump of its own (writer.c: a fork child writes a file once it has a sample).
# Such a dump is allowed, but only as what it is: the tracer's executable, a child of the
# tracer's pid, no more than one; the traced program's executable never shows up.
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

# dumps WHAT: sorts the dumps in $T by what inflame info says of them: $tracers of the tracer
# itself (its executable, its own pid as no dump's parent), $children of its fork child before
# the exec (the tracer's executable, the tracer's pid as parent: at most one), $traced of the
# traced program (its executable, the tracer's pid as parent). Returns 1, with a FAIL line,
# for an unreadable or incomplete dump or one of anything else.
dumps() {
	tracers=0 children=0 traced=0
	: >"$T/kinds"
	for f in "$T"/p.*; do
		[ -e "$f" ] || continue
		"$I" info "$f" >"$T/info" 2>&1 || { fail "$1: $f unreadable"; return 1; }
		grep -q '^status: *complete' "$T/info" || { fail "$1: $f not complete"; return 1; }
		exe=$(sed -n 's/^executable: *//p' "$T/info")
		pid=$(sed -n 's/^pid: *\([0-9]*\).*/\1/p' "$T/info")
		ppid=$(sed -n 's/^pid:.*(parent \([0-9]*\)).*/\1/p' "$T/info")
		echo "$pid $ppid $exe" >>"$T/kinds"
	done
	# A dump of the tracer's executable whose parent is another such dump's pid is the
	# fork child's; the other is the tracer's own.
	while read -r pid ppid exe; do
		if [ "$exe" = "$P" ]; then
			traced=$((traced + 1))
		elif [ "$exe" != "$TR" ]; then
			fail "$1: a dump of $exe"
			return 1
		elif awk -v p="$ppid" -v e="$TR" '$1 == p && $3 == e {f = 1} END {exit !f}' \
			"$T/kinds"; then
			children=$((children + 1))
		else
			tracers=$((tracers + 1))
		fi
	done <"$T/kinds"
	[ "$children" -le 1 ] || { fail "$1: $children dumps of the tracer's fork child"; return 1; }
	return 0
}

traced "$T/want"
grep -q 'status 0' "$T/want" || fail "unprofiled: $(tr '\n' ' ' <"$T/want")"
for ev in cpu wall cpu,wall,alloc; do
	traced "$T/got" INFLAME_EVENTS=$ev INFLAME_OUTPUT="$T/p.%p.ifl" LD_PRELOAD="$L"
	cmp -s "$T/want" "$T/got" || fail "-e $ev: output $(tr '\n' ' ' <"$T/got")"
	# The tracer itself is profiled (one dump, maybe one of its fork child before the
	# exec); the traced program is not.
	if dumps "-e $ev" && [ "$tracers" = 1 ] && [ "$traced" = 0 ]; then
		ok "-e $ev: traced program not profiled, same output ($children fork child dump)"
	else
		fail "-e $ev: $tracers tracer dumps (1 wanted), $traced of the traced program (0 wanted), $children of the tracer's fork child"
	fi
	rm -f "$T"/p.*
done
traced "$T/got" INFLAME_TRACED=1 INFLAME_EVENTS=cpu INFLAME_OUTPUT="$T/p.%p.ifl" LD_PRELOAD="$L"
cmp -s "$T/want" "$T/got" || fail "INFLAME_TRACED=1: output $(tr '\n' ' ' <"$T/got")"
if dumps "INFLAME_TRACED=1" && [ "$tracers" = 1 ] && [ "$traced" = 1 ]; then
	ok "INFLAME_TRACED=1: the traced program profiled too ($children fork child dump)"
else
	fail "INFLAME_TRACED=1: $tracers tracer dumps (1 wanted), $traced of the traced program (1 wanted), $children of the tracer's fork child"
fi
[ $fails = 0 ] || exit 1
echo "all passed"
