#!/bin/sh
# A program that a debugger traces from its start is not profiled unless INFLAME_TRACED=1
# asks: the debugger would list inflame's writer and ticker threads as the program's (gdb
# prints "[New Thread ...]" lines that an unprofiled run does not), and every signal inflame
# sends would stop the program in the debugger. inflame asks at the first moment it could show
# itself (tracer.h): set-up when it starts a thread (wall), else the first CPU sample (SIGPROF,
# which gdb passes without stopping or printing) or the program's first thread. So the
# debugger sees at most one signal of inflame's and no thread; the traced program's dump, if
# any, has no samples and a note that says why.
# tests/progs/tracer runs the program as a debugger would, and lists the signals it stopped at.
# The program's output and status must be as unprofiled, and with INFLAME_TRACED=1 its dump
# complete with samples. The tracer's fork child runs the tracer's code (and inflame's fork
# handlers) until its exec: when a sample lands there, under load, that child leaves a dump of
# its own (writer.c: a fork child writes a file once it has a sample). Such a dump is allowed,
# but only as what it is: the tracer's executable, a child of the tracer's pid, no more than
# one. The tracer's own dump is there: it is profiled as any program.
name=traced
. "${INFLAME_SRCDIR:-.}/tests/testlib.sh"
I="$B/inflame"
L="$B/preload/.libs/libinflame.so"
TR="$B/tests/progs/tracer"
P="$B/tests/progs/threads"
SH=$(readlink -f /bin/sh)
chmod 777 "$d"

# traced OUT [VAR=VALUE...] -- PROGRAM [ARGS]: the traced program's output (its measured times
# left out) and exit status into OUT, the signals the tracer saw into $d/seen.
traced() {
	out=$1
	shift
	vars=
	while [ "$1" != -- ]; do
		vars="$vars $1"
		shift
	done
	shift
	rm -f "$d/seen"
	# shellcheck disable=SC2086
	$RUNAS env $vars INFLAME_SHARED_FILE=0 "$TR" -s "$d/seen" "$@" >"$d/raw" 2>&1
	rc=$?
	grep -v '^truth' "$d/raw" >"$out"
	echo "status $rc" >>"$out"
}

# dumps WHAT EXE: sorts the dumps in $d by what inflame info says of them: $tracers of the
# tracer itself, $children of its fork child before the exec (the tracer's executable, the
# tracer's pid as parent: at most one), $traced of the traced program EXE, whose samples go to
# $samples, and whether its dump has the note ($noted). Returns 1, with a FAIL line, for an
# unreadable or incomplete dump or one of anything else.
dumps() {
	tracers=0 children=0 traced=0 samples=0 noted=0
	: >"$d/kinds"
	for f in "$d"/p.*; do
		[ -e "$f" ] || continue
		"$I" info "$f" >"$d/info" 2>&1 || { fail "$1: $f unreadable"; return 1; }
		grep -q '^status: *complete' "$d/info" || { fail "$1: $f not complete"; return 1; }
		exe=$(sed -n 's/^executable: *//p' "$d/info")
		pid=$(sed -n 's/^pid: *\([0-9]*\).*/\1/p' "$d/info")
		ppid=$(sed -n 's/^pid:.*(parent \([0-9]*\)).*/\1/p' "$d/info")
		echo "$pid $ppid $exe" >>"$d/kinds"
		if [ "$exe" = "$2" ]; then
			samples=$(sed -n 's/^samples: *cpu \([0-9]*\),.*/\1/p' "$d/info")
			grep -q "traced by process $ppid (a debugger): profiling stopped at" \
				"$d/info" && noted=1
		fi
	done
	# A dump of the tracer's executable whose parent is another such dump's pid is the
	# fork child's; the other is the tracer's own.
	while read -r pid ppid exe; do
		if [ "$exe" = "$2" ]; then
			traced=$((traced + 1))
		elif [ "$exe" != "$TR" ]; then
			fail "$1: a dump of $exe"
			return 1
		elif awk -v p="$ppid" -v e="$TR" '$1 == p && $3 == e {f = 1} END {exit !f}' \
			"$d/kinds"; then
			children=$((children + 1))
		else
			tracers=$((tracers + 1))
		fi
	done <"$d/kinds"
	[ "$children" -le 1 ] || { fail "$1: $children dumps of the tracer's fork child"; return 1; }
	[ "$tracers" = 1 ] || { fail "$1: $tracers dumps of the tracer (1 wanted)"; return 1; }
	return 0
}

# signals WHAT MAX: the tracer saw at most MAX signals (the programs send none of their own).
signals() {
	n=$(wc -l <"$d/seen")
	[ "$n" -le "$2" ] || fail "$1: the debugger saw $n signals ($(tr '\n' ' ' <"$d/seen")), $2 at most"
}

# check WHAT EXE MAX [VAR=VALUE...] -- PROGRAM [ARGS]: the program run traced and profiled as
# VARs say is as unprofiled; the debugger saw at most MAX signals; its dump, if any, has no
# samples and the note, which a program that ran long enough to be sampled must have.
check() {
	what=$1 exe=$2 max=$3
	shift 3
	traced "$d/got" INFLAME_OUTPUT="$d/p.%p.ifl" LD_PRELOAD="$L" "$@"
	cmp -s "$d/want" "$d/got" || fail "$what: output $(tr '\n' ' ' <"$d/got")"
	signals "$what" "$max"
	if dumps "$what" "$exe"; then
		if [ "$max" = 0 ] && [ "$traced" != 0 ]; then
			fail "$what: $traced dumps of the traced program (none wanted)"
		elif [ "$max" != 0 ] && [ "$traced" != 1 ]; then
			fail "$what: $traced dumps of the traced program (one wanted)"
		elif [ "$traced" = 1 ] && [ "$samples" != 0 ]; then
			fail "$what: $samples samples of the traced program (none wanted)"
		elif [ "$traced" = 1 ] && [ "$noted" != 1 ]; then
			fail "$what: the traced program's dump has no note of its tracer"
		else
			echo "ok: $what: not profiled, same output, $(wc -l <"$d/seen") signal(s)," \
				"$traced dump of it ($children fork child dump)"
		fi
	fi
	rm -f "$d"/p.*
}

# The tests, as root and, when it can, as an unprivileged user (who must reach the build).
users=root
if [ "$(id -u)" = 0 ] && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$TR" \
	2>/dev/null; then
	users="root nobody"
fi
for u in $users; do
	RUNAS=
	[ "$u" = nobody ] && RUNAS="setpriv --reuid=65534 --regid=65534 --clear-groups"
	traced "$d/want" -- "$P" 0.3
	grep -q 'status 0' "$d/want" || fail "$u: unprofiled: $(tr '\n' ' ' <"$d/want")"
	# With wall-clock sampling set-up starts a thread: it asks, and leaves no dump.
	for ev in wall cpu,wall,alloc; do
		check "$u -e $ev" "$P" 0 INFLAME_EVENTS=$ev -- "$P" 0.3
	done
	# CPU alone: at the first sample or the program's first thread.
	check "$u -e cpu (threads)" "$P" 1 INFLAME_EVENTS=cpu -- "$P" 0.3
	# One thread computing 0.1 s or more: its first sample asks.
	loop='i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; echo done'
	traced "$d/want" -- "$SH" -c "$loop"
	check "$u -e cpu (one thread)" "$SH" 1 INFLAME_EVENTS=cpu -- "$SH" -c "$loop"
	[ "$noted" = 1 ] || fail "$u -e cpu (one thread): the program ran on unchecked"
	# INFLAME_TRACED=1 profiles it.
	traced "$d/want" -- "$P" 0.3
	traced "$d/got" INFLAME_TRACED=1 INFLAME_EVENTS=cpu INFLAME_OUTPUT="$d/p.%p.ifl" \
		LD_PRELOAD="$L" -- "$P" 0.3
	cmp -s "$d/want" "$d/got" || fail "$u INFLAME_TRACED=1: output $(tr '\n' ' ' <"$d/got")"
	if dumps "$u INFLAME_TRACED=1" "$P" && [ "$traced" = 1 ] && [ "$samples" -gt 0 ] &&
		[ "$noted" = 0 ]; then
		echo "ok: $u INFLAME_TRACED=1: the traced program profiled, $samples samples"
	else
		fail "$u INFLAME_TRACED=1: $traced dumps of the traced program (1 wanted), $samples samples"
	fi
	rm -f "$d"/p.*
done
finish
