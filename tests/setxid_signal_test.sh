#!/bin/sh
# A set*id call from a signal handler that interrupted a set*id call of the same thread must
# not deadlock (issue 9): POSIX makes them async-signal-safe, and a single-threaded program's
# are plain system calls. inflame's wrappers (preload/creds.c) took a mutex around the call, and
# inflame's threads make glibc's set*id broadcast to every thread, under a lock of its own:
# tests/progs/setxid_sig (2000 calls, each with a handler's call 10 us to 1 ms into it) hung
# under wall and cpu,wall,alloc.
# Each run must print "done" and exit 0 within 60 s, as unprofiled.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
P="$B/tests/progs/setxid_sig"
d=$(mktemp -d /tmp/inflame-setxidsig.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
fails=0
out=$(timeout 60 "$P" 2>&1)
[ "$out" = done ] || { echo "SKIP: unprofiled: $out (status $?)"; exit 77; }
for ev in cpu wall cpu,wall,alloc; do
	out=$(timeout -s KILL 60 env LD_PRELOAD="$B/preload/.libs/libinflame.so" \
		INFLAME_EVENTS=$ev INFLAME_OUTPUT="$d/t.%p.ifl" "$P" 2>&1)
	st=$?
	if [ "$out" = done ] && [ $st = 0 ]; then
		echo "ok: $ev"
	else
		echo "FAIL: $ev: status $st (137: hung, killed): $out"
		fails=$((fails + 1))
	fi
done
[ "$fails" = 0 ] && echo PASS
exit "$fails"
