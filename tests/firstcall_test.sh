#!/bin/sh
# The real functions the interposition layer looks up at their wrapper's first call
# (preload/interpose.c), called first in a signal handler, a fork child and a new thread
# (tests/progs/firstcall.c), with and without allocation and wall-clock profiling: the program
# prints what it prints unprofiled and exits as it does, and each image's dump is complete.
name=firstcall
. "${INFLAME_SRCDIR:-$(dirname "$0")/..}/tests/testlib.sh"
LIB="$B/preload/.libs/libinflame.so"
PROG="$B/tests/progs/firstcall"

"$PROG" > "$d/want" 2>&1
want_rc=$?
if [ $want_rc -ne 0 ] || ! grep -q "reaped 1 status 7" "$d/want"; then
	fail "unprofiled run: exit $want_rc: $(cat "$d/want")"
	finish
	exit
fi
for ev in cpu cpu,alloc cpu,wall; do
	rm -f "$d"/p.*
	LD_PRELOAD="$LIB" INFLAME_EVENTS=$ev INFLAME_FOLLOW_CHILDREN=1 INFLAME_SHARED_FILE=0 \
		INFLAME_OUTPUT="$d/p.%p.ifl" "$PROG" > "$d/got" 2>&1
	rc=$?
	if [ $rc -ne $want_rc ] || ! cmp -s "$d/want" "$d/got"; then
		fail "$ev: exit $rc (want $want_rc), output: $(diff "$d/want" "$d/got" | head -10)"
		continue
	fi
	for f in "$d"/p.*.ifl; do
		if ! "$B/inflame" info "$f" > "$d/info" 2>&1 ||
			! grep -q '^status: *complete' "$d/info"; then
			fail "$ev: $f is not a complete dump: $(head -20 "$d/info")"
		fi
	done
	echo "ok: $ev: $(ls "$d"/p.*.ifl | wc -l) dumps"
done
finish
