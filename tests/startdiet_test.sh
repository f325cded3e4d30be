#!/bin/sh
# What a short image does for inflame's set-up that it needs no more (issue 11). It calls no
# getenv of the C library (tests/progs/libenvspy.so, preloaded after libinflame.so, notes the
# calls that reach it): the configuration is read in one pass over the environment, and the
# C library's getenv was the only code of its page such a process ran, a page fault. Nor does
# it ask for SIGRTMIN, needed only when the sampling signal cannot be SIGPROF or one of three
# others (0.7 page faults per /bin/true). Counted
# with strace -f: a /bin/true reads its thread id twice (set-up, the main thread's
# registration; the timer's set-up took a third), and a fork child that arms its first timer
# asks for its id between two prctl(PR_TIMER_CREATE_RESTORE_IDS) calls without reading the mode
# first, once its parent was granted an id (the kernel starts every new process's mode off;
# the exec'd image still reads it: the image before may have left it on).
# tests/timerid_test.sh shows the program's timer ids are unchanged.
name=startdiet
. "${INFLAME_SRCDIR:-$(dirname "$0")/..}/tests/testlib.sh"
L="$B/preload/.libs/libinflame.so"
P="$B/tests/progs/forklazy"

for shared in 0 1; do
	rm -f "$d/env"
	LD_PRELOAD="$L $B/tests/progs/libenvspy.so" ENVSPY_OUT="$d/env" INFLAME_EVENTS=cpu \
		INFLAME_SHARED_FILE=$shared INFLAME_OUTPUT="$d/e.%p.ifl" /bin/true || fail "true failed"
	if [ -s "$d/env" ]; then
		fail "INFLAME_SHARED_FILE=$shared: /bin/true called the C library's getenv" \
			"or SIGRTMIN: $(tr '\n' ' ' < "$d/env")"
	else
		echo "ok: INFLAME_SHARED_FILE=$shared: /bin/true called no getenv or SIGRTMIN" \
			"of the C library"
	fi
done

# When SIGPROF and the three others are taken, it samples with SIGRTMIN + 4 all the same.
rt=$(LD_PRELOAD="$L $B/tests/progs/libenvspy.so" ENVSPY_TAKE=1 INFLAME_EVENTS=cpu INFLAME_LOG=info \
	INFLAME_OUTPUT="$d/r.%p.ifl" /bin/true 2>&1 | sed -n 's/.*sampling with signal \([0-9]*\).*/\1/p')
if [ -n "$rt" ] && [ "$rt" -gt 32 ]; then
	echo "ok: SIGPROF, SIGVTALRM, SIGSTKFLT and SIGPWR taken: sampling with signal $rt"
else
	fail "SIGPROF, SIGVTALRM, SIGSTKFLT and SIGPWR taken: signal '$rt', want a real-time one"
fi

# Where the linker can (configure.ac), libinflame.so loads in two segments, code and constant
# data in one, the writable data in the other: -z separate-code mapped three more (headers,
# code, constant data), two mappings and a page fault or two more in every process. RELRO stays.
if [ -n "${INFLAME_SEGMENT_LDFLAGS:-}" ] && command -v readelf > /dev/null 2>&1; then
	loads=$(readelf -lW "$L" | grep -c '^ *LOAD')
	relro=$(readelf -lW "$L" | grep -c '^ *GNU_RELRO')
	if [ "$loads" = 2 ] && [ "$relro" = 1 ]; then
		echo "ok: libinflame.so loads in $loads segments, with RELRO"
	else
		fail "libinflame.so: $loads segments to load, $relro RELRO, want 2 and 1"
	fi
fi

# The writable data of the file (.data, .data1) lies on the page where .bss begins: the
# loader's clearing of the start of .bss and the relocation of __dso_handle, at the start of
# .data, write the same page, one page fault in every process and not two. The writer's large
# buffers, zero at first, lie in .lbss on x86-64 (layout.h); in .data they made it 17 KiB.
if [ "$(uname -m)" = x86_64 ] && command -v readelf > /dev/null 2>&1; then
	dpage=$(readelf -SW "$L" | sed 's/^ *\[ *[0-9]*\] *//' | awk '$1 == ".data" { print $3 }')
	bpage=$(readelf -SW "$L" | sed 's/^ *\[ *[0-9]*\] *//' | awk '$1 == ".bss" { print $3 }')
	dpage=$(($(printf '%d' "0x$dpage") / 4096))
	bpage=$(($(printf '%d' "0x$bpage") / 4096))
	if [ "$dpage" = "$bpage" ]; then
		echo "ok: .data and the start of .bss share page $dpage"
	else
		fail ".data begins on page $dpage, .bss on page $bpage: want one page"
	fi
fi

if ! command -v strace > /dev/null 2>&1; then
	echo "no strace: the system calls are not counted"
	finish
	exit
fi

LD_PRELOAD="$L" INFLAME_EVENTS=cpu INFLAME_OUTPUT="$d/t.%p.ifl" \
	strace -f -qq -o "$d/true.st" -e trace=gettid,prctl /bin/true || fail "true failed"
n=$(grep -c 'gettid()' "$d/true.st")
if [ "$n" -le 2 ]; then
	echo "ok: /bin/true: $n gettid"
else
	fail "/bin/true: $n gettid (2 at most)"
fi
if ! grep -q 'prctl(0x4d /\* PR_??? \*/, 0x1\|prctl(PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_ON' \
	"$d/true.st"; then
	echo "ok: the kernel gives no timer ids here: no fork child asks for one"
	finish
	exit
fi

# Two children that exit at once: each arms its timer at the fork (forklazy).
LD_PRELOAD="$L" INFLAME_EVENTS=cpu INFLAME_OUTPUT="$d/f.%p.ifl" \
	strace -f -qq -o "$d/fork.st" -e trace=prctl "$P" faults 2 > /dev/null || fail "forklazy failed"
parent=$(head -1 "$d/fork.st" | cut -d' ' -f1)
grep -v "^$parent " "$d/fork.st" | grep 'prctl(0x4d\|PR_TIMER_CREATE_RESTORE_IDS' > "$d/child.st"
children=$(cut -d' ' -f1 "$d/child.st" | sort -u | wc -l)
calls=$(wc -l < "$d/child.st")
gets=$(grep -c '0x4d /\* PR_??? \*/, 0x2\|PR_TIMER_CREATE_RESTORE_IDS_GET' "$d/child.st")
if [ "$children" -eq 2 ] && [ "$calls" -eq 4 ] && [ "$gets" -eq 0 ]; then
	echo "ok: fork children: $calls prctl of the timer ids in $children, none reads the mode"
else
	fail "fork children: $calls prctl of the timer ids in $children children, $gets read the mode" \
		"(want 4 in 2, 0): $(cat "$d/child.st" | tr '\n' ' ')"
fi

# A fork child that execs at once (tests/progs/firstcall's, which waits a millisecond first):
# it reads its CPU clock once, as it arms its timer at the fork; stopping that timer before the
# exec reads none (its CPU since is read only after a failed exec; main read it there too).
LD_PRELOAD="$L" INFLAME_EVENTS=cpu INFLAME_FOLLOW_CHILDREN=1 INFLAME_OUTPUT="$d/s.%p.ifl" \
	strace -f -qq -o "$d/fe.st" -e trace=clock_gettime,execve "$B/tests/progs/firstcall" \
	> /dev/null || fail "firstcall failed"
child=$(grep 'execve("/bin/sh"' "$d/fe.st" | cut -d' ' -f1)
if [ -z "$child" ]; then
	fail "no fork child exec'd /bin/sh: $(tr '\n' ' ' < "$d/fe.st" | cut -c1-300)"
else
	cpu=$(awk -v c="$child" '$1 == c && /execve\("\/bin\/sh"/ { exit } $1 == c' "$d/fe.st" |
		grep -c 'clock_gettime(\(CLOCK_THREAD_CPUTIME_ID\|CLOCK_PROCESS_CPUTIME_ID\|-\|0xf\)')
	if [ "$cpu" -eq 1 ]; then
		echo "ok: a fork child read its CPU clock once before its exec"
	else
		fail "a fork child read its CPU clock $cpu times before its exec (want 1):" \
			"$(awk -v c="$child" '$1 == c' "$d/fe.st" | head -8 | tr '\n' ' ')"
	fi
fi
finish
