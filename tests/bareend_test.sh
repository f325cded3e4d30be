#!/bin/sh
# The end of an image that waited and was never sampled makes its dump on its own (writer.c,
# bare end): no thread table, no writer state, no lock, one open, one write. Its dump must read
# as the general end's does. The first image of a run makes the shared file through the general
# end (the bare end only appends), so two /bin/true in a row give one dump of each end in one
# file: they are compared field by field (tests/dump_fields.py), less what differs from run to
# run (pids, times, CPU figures), and by what `inflame info` says of them. Then strace counts
# the system calls of an unsampled /bin/true's end, from its look for a vfork child (its last
# getpid) to its exit.
name=bareend
. "${INFLAME_SRCDIR:-$(dirname "$0")/..}/tests/testlib.sh"
S=${INFLAME_SRCDIR:-.}
L="$B/preload/.libs/libinflame.so"
I="$B/inflame"
command -v python3 > /dev/null 2>&1 ||
	{ echo "SKIP: python3 (installed by ./bootstrap) is missing: the field reader needs it"; exit 77; }

# run PROGRAM...: under the preload, cpu only, dumps to the shared file of $d/p, at 10 Hz (no
# image gets a sample on a loaded machine either: each ends as one that waited)
run()
{
	env LD_PRELOAD="$L" INFLAME_EVENTS=cpu INFLAME_FREQUENCY=10 INFLAME_SHARED_FILE=1 \
		INFLAME_OUTPUT="$d/p/x.%p.ifl" "$@"
}

# 1. The general end's dump (it creates the file) and the bare end's (it appends), field by field.
mkdir "$d/p"
run /bin/true || fail "first true: status $?"
run /bin/true || fail "second true: status $?"
varying=pid,ppid,tid0,unsampled_tid0,loss_tid0,start_realtime,start_monotonic,file_realtime
varying=$varying,file_monotonic,profiler_ns,cpu0,user0,sys0,unsampled_ns0,cpu_ns,time
python3 "$S/tests/dump_fields.py" --mask "$varying" "$d/p/x.shared.ifl" > "$d/fields" ||
	fail "the shared file does not read: $(cat "$d/fields")"
grep -q '^image3 ' "$d/fields" && fail "more than two images in the shared file"
sed -n 's/^image1 //p' "$d/fields" > "$d/general"
sed -n 's/^image2 //p' "$d/fields" > "$d/bare"
[ -s "$d/general" ] && [ -s "$d/bare" ] || fail "want two images: $(grep -c chunk "$d/fields") chunks"
grep -q '^chunk END' "$d/bare" || fail "the bare end's dump has no END"
diff "$d/general" "$d/bare" > "$d/fields.diff" ||
	fail "the bare end's dump differs from the general end's: $(cat "$d/fields.diff")"
# ... and as the reader shows them: every line but the ones of times and CPU figures
"$I" info "$d/p/x.shared.ifl" > "$d/info" 2>&1 || fail "inflame info: $(cat "$d/info")"
awk -v d="$d" '/^file:/ { n++ } { print > (d "/info." n) }' "$d/info"
for n in 1 2; do
	grep -vE '^((file|pid|started|duration|coverage|unsampled|profiler):|$)' "$d/info.$n" > "$d/info.$n.fixed"
done
[ -s "$d/info.1.fixed" ] || fail "inflame info shows one image: $(cat "$d/info")"
diff "$d/info.1.fixed" "$d/info.2.fixed" > "$d/info.diff" ||
	fail "inflame info differs between the two ends: $(cat "$d/info.diff")"
grep -q '^status: *complete' "$d/info.2" || fail "the bare end's dump is not complete"
# ... and as `inflame report` does (each image by itself: FILE@OFFSET, as info names them)
for n in 1 2; do
	at=$(sed -n 's/^file: *//p' "$d/info.$n")
	"$I" report "$at" > "$d/report.$n" 2>&1
	echo "status $?" >> "$d/report.$n"
	sed -i "s|$at|IMAGE|" "$d/report.$n"
done
cmp -s "$d/report.1" "$d/report.2" ||
	fail "inflame report differs: $(cat "$d/report.1") / $(cat "$d/report.2")"

# end_of TRACE: the lines of an strace from the end's first system call (its getpid) on.
end_of() {
	awk '/^getpid\(/ { n = NR } { line[NR] = $0 } END { for (i = n; i < NR; i++) print line[i] }' "$1"
}

# 2. The system calls of the bare end of an unsampled /bin/true (INFLAME_TRACED=1: strace is a
# tracer), the shared file there already.
if command -v strace > /dev/null 2>&1 && strace -qq -o /dev/null true 2> /dev/null; then
	INFLAME_TRACED=1 strace -qq -o "$d/true.trace" env LD_PRELOAD="$L" INFLAME_EVENTS=cpu \
		INFLAME_FREQUENCY=10 INFLAME_SHARED_FILE=1 INFLAME_OUTPUT="$d/p/x.%p.ifl" /bin/true ||
		fail "traced true: status $?"
	end_of "$d/true.trace" > "$d/end.trace"
	calls=$(grep -c . "$d/end.trace")
	echo "the end of an unsampled /bin/true: $calls system calls"
	sed 's/^/  /' "$d/end.trace"
	# (getpid, the mask blocked, the clock read and paused, open and its 2 checks (the
	# effective user is exec's: AT_EUID), getppid, readlinkat of AT_EXECFN, prctl, getrusage,
	# 2 clock reads, the size limit, write, close, the mask restored: 17; the general end made
	# 28)
	[ "$calls" -le 17 ] || fail "the end makes $calls system calls, want at most 17"
	[ "$(grep -c '^openat(' "$d/end.trace")" = 1 ] || fail "want one open at the end"
	[ "$(grep -c '^write(' "$d/end.trace")" = 1 ] || fail "want one write at the end"
	grep -E '^(mmap|munmap|futex|linkat|fcntl|geteuid)\(' "$d/end.trace" > "$d/end.extra" &&
		fail "the end maps, locks, links, moves or asks its user: $(cat "$d/end.extra")"
	"$I" info "$d/p/x.shared.ifl" 2> /dev/null | grep -c '^status: *complete' > "$d/complete"
	[ "$(cat "$d/complete")" = 3 ] || fail "want 3 complete dumps, got $(cat "$d/complete")"

	# 3. An image that ends by _exit: nothing but exit_group follows its end, which leaves
	# the clock running, the file open and the mask blocked to it (3 system calls fewer), and
	# its status is the program's.
	Q="$B/tests/progs/quickexit"
	INFLAME_TRACED=1 strace -qq -o "$d/quick.trace" env LD_PRELOAD="$L" INFLAME_EVENTS=cpu \
		INFLAME_FREQUENCY=10 INFLAME_SHARED_FILE=1 INFLAME_OUTPUT="$d/p/x.%p.ifl" "$Q" 3
	status=$?
	[ "$status" = 3 ] || fail "quickexit 3 under inflame: status $status"
	end_of "$d/quick.trace" > "$d/quick.end"
	calls=$(grep -c . "$d/quick.end")
	echo "the end of an unsampled _exit: $calls system calls"
	sed 's/^/  /' "$d/quick.end"
	[ "$calls" -le 14 ] || fail "the _exit end makes $calls system calls, want at most 14"
	tail -n 1 "$d/quick.trace" | grep -q '^exit_group(3' ||
		fail "the _exit end is not followed by exit_group(3): $(tail -n 1 "$d/quick.trace")"
	grep -E '^(close|timer_settime|rt_sigprocmask\(SIG_SETMASK)' "$d/quick.end" > "$d/quick.extra" &&
		fail "the _exit end closes, pauses or restores before exit_group: $(cat "$d/quick.extra")"
	"$I" info "$d/p/x.shared.ifl" > "$d/info4" 2>&1
	grep -c '^status: *complete' "$d/info4" > "$d/complete"
	[ "$(cat "$d/complete")" = 4 ] || fail "want 4 complete dumps, got $(cat "$d/complete")"
	grep -q '^command: *.*quickexit 3$' "$d/info4" || fail "no dump of quickexit: $(cat "$d/info4")"
else
	echo "strace cannot trace here: the system call count is skipped"
fi
finish
