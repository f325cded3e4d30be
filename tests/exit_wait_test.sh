#!/bin/sh
# A process's last dump is never lost without a word (tests/progs/exitlock.c). A fork child
# that computed 0.3 s in a signal handler and called _exit there left no dump at all in a full
# check at load 30-90 (tests/fork_wall_test.sh). Two ways to that, each tested here:
#   slow:  the thread that ends an image (exit, _exit, exec) writes its last cycle itself once
#          the writer's cycle under way ends; _exit waited for that 1 s at most and exec 2 s,
#          then gave up without a word. Now they wait as long as the writer makes progress,
#          and give up only after 5 s without any, or at once when the thread interrupted a
#          write of its own. Here the writer's cycle waits 2.5 s for the loader's lock (a
#          thread of the program holds it): the child's dump must be complete.
#   stuck: the child ends inside its own dl_iterate_phdr callback, so the writer's cycle never
#          ends: its dump must be there, cut short, and say why (a notice `inflame info`
#          shows).
#   starved: the child's wall ticker never got a CPU before it ended, and the final look gives
#          a thread no sample found none of its periods (they are counted as in no sample,
#          and that count alone made no dump): forkwall's children with their threads on
#          SCHED_IDLE beside 4 busy loops on one CPU left none 7 times in 20. A child that
#          lived 50 ms or more now writes its dump, which says how much wall time is in no
#          sample.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-exitwait.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
fail=0

# run MODE HOW: runs exitlock; sets $f to the child's first dump and $d/info to its info.
run()
{
	rm -f "$d"/p.*
	LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=wall INFLAME_OUTPUT="$d/p.%p.ifl" \
		INFLAME_SHARED_FILE=0 "$B/tests/progs/exitlock" "$1" "$2" > "$d/out" 2> "$d/err"
	rc=$?
	[ $rc -eq 77 ] && { echo "skip: $1 $2: no real-time scheduling here"; return 1; }
	[ $rc -eq 0 ] || { echo "FAIL: $1 $2: exitlock failed: $(cat "$d/err")"; fail=1; return 1; }
	pid=$(awk '$1 == "child" { print $2 }' "$d/out")
	f="$d/p.$pid.ifl"
	[ -f "$f" ] || { echo "FAIL: $1 $2: no dump of child $pid"; fail=1; return 1; }
	"$B/inflame" info "$f" > "$d/info" 2>&1 ||
		{ echo "FAIL: $1 $2: $f unreadable"; fail=1; return 1; }
	return 0
}

for how in _exit exec exit; do
	run slow $how || continue
	if grep -q '^status: *complete' "$d/info"; then
		echo "ok: slow $how: $(grep '^duration:' "$d/info")"
	else
		echo "FAIL: slow $how: $(grep '^status:' "$d/info")"
		grep -A3 '^notes' "$d/info"
		fail=1
	fi
done

# starved: the child computes 0.3 s on a real-time thread, on the one CPU inflame's threads
# have: its wall ticker never looks at it before it ends, and the final look gives a thread no
# sample found none of its periods (they are counted as in no sample). Such a child wrote no
# dump at all (4 of 4 runs); its dump now says how much of its wall time is in no sample.
for how in _exit exec exit; do
	run starved $how || continue
	if line=$(grep '^unsampled: .* of wall time is in no sample' "$d/info") ||
		grep -q '^samples: .* wall [1-9]' "$d/info"; then
		echo "ok: starved $how: ${line:-its ticker ran after all}"
	else
		echo "FAIL: starved $how: neither samples nor wall time in no sample"
		cat "$d/info"
		fail=1
	fi
done

if run stuck _exit; then
	if grep -q "_exit while inflame's writer had made no progress for 5 s" "$d/info" &&
		! grep -q '^status: *complete' "$d/info"; then
		echo "ok: stuck _exit: $(grep "no progress" "$d/info" | sed 's/^ *//')"
	else
		echo "FAIL: stuck _exit: no notice of the lost cycle"
		cat "$d/info"
		fail=1
	fi
	# (the program's stderr is its own: the notice went into the file)
	[ -s "$d/err" ] && { echo "FAIL: stuck _exit: stderr: $(cat "$d/err")"; fail=1; }
fi
[ "$fail" -eq 0 ] || exit 1
echo PASS
