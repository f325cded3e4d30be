#!/bin/sh
# An image started by exec that samples only its CPU does at its start only what its first
# sample needs (init.c, lazy image): an image that ends unsampled (most of a shell pipeline's)
# maps no thread table, ring or scratch memory, moves no descriptor up, writes no placeholder
# and reads no module map, and leaves its dump with one write at its end; strace watches a
# /bin/true, and one that is sampled settles in its handler without reading /proc/self/maps
# (an allocation there). One that is sampled gets its samples, whole stacks and its coverage as
# before: a shell loop, and a subshell (a fork child of an image that had not set up yet) that
# burns CPU.
# A shell that forks and execs gives the same output, and each image one complete dump.
name=imagelazy
. "${INFLAME_SRCDIR:-$(dirname "$0")/..}/tests/testlib.sh"
L="$B/preload/.libs/libinflame.so"
I="$B/inflame"

# info NAME: `inflame info` of the dumps in $d/NAME, into $d/NAME.info
info()
{
	"$I" info "$d/$1"/* > "$d/$1.info" 2>&1 || fail "$1: unreadable dumps: $(cat "$d/$1.info")"
}

# 1. An unsampled /bin/true under strace (INFLAME_TRACED=1: strace is a tracer).
if command -v strace > /dev/null 2>&1 && strace -qq -o /dev/null true 2> /dev/null; then
	mkdir "$d/true"
	strace -qq -o "$d/true.trace" env LD_PRELOAD="$L" INFLAME_TRACED=1 INFLAME_EVENTS=cpu \
		INFLAME_SHARED_FILE=1 INFLAME_OUTPUT="$d/true/p.%p.ifl" /bin/true || fail "true: status $?"
	info true
	grep -q '^status: *complete' "$d/true.info" || fail "true: dump not complete"
	grep -qE '^samples: +cpu 0,' "$d/true.info" || fail "true: sampled: $(grep samples "$d/true.info")"
	grep -q '^coverage:' "$d/true.info" || fail "true: no coverage line"
	grep -qE '^pid: .*' "$d/true.info" && grep -q '^executable: .*true' "$d/true.info" ||
		fail "true: not named: $(grep -E '^(pid|executable)' "$d/true.info")"
	writes=$(grep -c '^write(.*"INFLAME' "$d/true.trace")
	[ "$writes" = 1 ] || fail "true: $writes writes of a dump, want one (no placeholder)"
	# the thread table (27 MiB), the ring (512 KiB), the scratch memory, the descriptor >= 512
	grep -E '^mmap\(NULL, (27262976|524288|112688),|F_DUPFD.*512' \
		"$d/true.trace" > "$d/true.extra" && fail "true: set-up it did not need: $(cat "$d/true.extra")"
	# its alternate signal stack is the small one, of the library's memory: one system call,
	# where the full one took five (a limit, a look, an 8 MiB mapping, its guard page, the set)
	grep -E '^mmap\(NULL, [0-9]+, .*MAP_STACK|^mprotect\(.*PROT_NONE' "$d/true.trace" \
		> "$d/true.stack" && fail "true: the full alternate stack: $(cat "$d/true.stack")"
	alts=$(grep -c '^sigaltstack(' "$d/true.trace")
	[ "$alts" = 1 ] || fail "true: $alts sigaltstack calls, want one"
	# one look for a vfork child at its end (a getpid each), and one at its start
	pids=$(grep -c '^getpid()' "$d/true.trace")
	[ "$pids" -le 2 ] || fail "true: $pids getpid, want at most 2"
	n=$(grep -c . "$d/true.trace")
	echo "true: $n system calls, $pids getpid, $writes dump write"
	# the same with a file of its own: no descriptor moved up either
	mkdir "$d/own"
	strace -qq -o "$d/own.trace" env LD_PRELOAD="$L" INFLAME_TRACED=1 INFLAME_EVENTS=cpu \
		INFLAME_SHARED_FILE=0 INFLAME_OUTPUT="$d/own/p.%p.ifl" /bin/true || fail "own: status $?"
	info own
	grep -q '^status: *complete' "$d/own.info" || fail "own: dump not complete"
	grep -E '^mmap\(NULL, (27262976|524288|112688),|F_DUPFD.*512' "$d/own.trace" > "$d/own.extra" &&
		fail "own: set-up it did not need: $(cat "$d/own.extra")"
	# A sampled image settles in its first sample's handler, on the alternate signal stack:
	# nothing there may allocate (its thread's stack bounds were once read with
	# pthread_getattr_np, whose fopen of /proc/self/maps took malloc's lock in a handler that
	# had interrupted malloc: a hang, or a corrupted heap).
	mkdir "$d/busy"
	strace -qq -e trace=openat -o "$d/busy.trace" env LD_PRELOAD="$L" INFLAME_TRACED=1 \
		INFLAME_EVENTS=cpu INFLAME_OUTPUT="$d/busy/p.%p.ifl" \
		sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i + 1)); done' || fail "busy: status $?"
	info busy
	grep -qE '^samples: +cpu [1-9]' "$d/busy.info" || fail "busy: not sampled"
	grep '/proc/self/maps' "$d/busy.trace" > "$d/busy.maps" &&
		fail "busy: the handler's settling read /proc/self/maps: $(cat "$d/busy.maps")"
else
	echo "strace cannot trace here: the system call checks are skipped"
fi

# 2. Sampled images: a shell loop (sampled in the exec'd image), and a subshell that burns CPU
# (a fork child of a shell that had not set up yet). Each dump complete, with samples whose
# stacks reach the program's root, and a coverage of 85-115%.
mkdir "$d/spin"
LD_PRELOAD="$L" INFLAME_SHARED_FILE=1 INFLAME_EVENTS=cpu INFLAME_OUTPUT="$d/spin/p.%p.ifl" \
	sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i + 1)); done
	(j=0; while [ $j -lt 200000 ]; do j=$((j + 1)); done); /bin/true' || fail "spin: status $?"
info spin
[ "$(grep -c '^status: *complete' "$d/spin.info")" = 3 ] ||
	fail "spin: want 3 complete dumps (shell, subshell, true): $(grep -E '^(pid|status|samples)' "$d/spin.info")"
for pid in $(sed -n 's/^pid: *\([0-9]*\).*/\1/p' "$d/spin.info"); do
	"$I" info "$d/spin"/* 2> /dev/null | awk -v p="$pid" '/^file:/ { on = 0 }
		$1 == "pid:" { on = ($2 == p) } on' > "$d/spin.$pid"
	grep -q '^executable:.*true' "$d/spin.$pid" && continue
	grep -qE '^samples: +cpu [1-9][0-9]' "$d/spin.$pid" ||
		fail "spin: process $pid: $(grep -E '^(command|samples)' "$d/spin.$pid")"
	cov=$(sed -n 's/^coverage: .*(\([0-9.]*\)%).*/\1/p' "$d/spin.$pid")
	awk -v c="${cov:-0}" 'BEGIN { exit !(c >= 85 && c <= 115) }' ||
		fail "spin: process $pid: coverage ${cov:-none}: $(grep '^coverage' "$d/spin.$pid")"
done
"$I" collapse "$d/spin"/* > "$d/spin.folded" 2> /dev/null || fail "spin: collapse failed"
awk '{ n = $NF; t += n } /^\[kernel/ { k += n } /^_start;__libc_start_main;/ { r += n }
	END { exit !(t > k && r >= 0.9 * (t - k)) }' \
	"$d/spin.folded" || fail "spin: stacks do not reach the root: $(head -c 600 "$d/spin.folded")"

# 3. A shell that forks and execs: the same output, a complete dump per exec'd image (sh, true, tr,
# and the sh an exec replaced), none of the fork children that exec'd.
mkdir "$d/pipe"
cmd='/bin/true; echo hello | tr a-z A-Z; exec /bin/echo done'
want=$(sh -c "$cmd" 2>&1)
got=$(LD_PRELOAD="$L" INFLAME_EVENTS=cpu INFLAME_OUTPUT="$d/pipe/p.%p.ifl" sh -c "$cmd" 2>&1)
[ "$got" = "$want" ] || fail "pipe: output '$got', want '$want'"
info pipe
[ "$(grep -c '^status: *complete' "$d/pipe.info")" = 4 ] &&
	[ "$(grep -c '^pid:' "$d/pipe.info")" = 4 ] ||
	fail "pipe: want 4 complete dumps: $(grep -E '^(pid|command|status)' "$d/pipe.info" | tr '\n' ' ')"

# 4. A first sample that interrupts the loader's iteration (dl_iterate_phdr) does not set the
# image up there: the module map's own dl_iterate_phdr would wait for the loader's lock, which
# the interrupted call may hold. Its samples are dropped and counted (not as CPU after the last
# sample: samples and losses 100%), and the image sets up at the first sample after it.
mkdir "$d/dl"
LD_PRELOAD="$L" INFLAME_EVENTS=cpu INFLAME_OUTPUT="$d/dl/p.%p.ifl" "$B/tests/progs/dlburn" 100 100 ||
	fail "dl: status $?"
info dl
"$I" collapse "$d/dl"/* > "$d/dl.folded" 2> /dev/null || fail "dl: collapse failed"
grep -q 'burn_in_loader' "$d/dl.folded" &&
	fail "dl: set up inside dl_iterate_phdr: $(grep burn_in_loader "$d/dl.folded" | head -1)"
grep -q '^_start;.*main;spin' "$d/dl.folded" ||
	fail "dl: no samples after dl_iterate_phdr: $(head -c 400 "$d/dl.folded")"
both=$(sed -n 's/.*(samples and losses: \([0-9.]*\)%).*/\1/p' "$d/dl.info")
awk -v c="${both:-0}" 'BEGIN { exit !(c >= 95 && c <= 105) }' ||
	fail "dl: samples and losses ${both:-none}%: $(grep 'tid ' "$d/dl.info")"

finish
