#!/bin/sh
# The last cycle of a file that holds no stack does not look for the program's perf map
# (/tmp/perf-PID.map): with no address in the file there is nothing for it to name, and the
# failed open was a path lookup at the exit of every short process (issue 11). strace watches
# the opens of a /bin/true that ends without a sample, and of a shell loop that runs long enough
# for samples, whose file must still read the map at its end. Both dumps must be complete.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
L="$B/preload/.libs/libinflame.so"
command -v strace >/dev/null 2>&1 || { echo "SKIP: strace is not installed"; exit 77; }
strace -qq -o /dev/null true 2>/dev/null || { echo "SKIP: strace cannot trace here"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run NAME COMMAND...: the command under strace (opens only), profiled (INFLAME_TRACED=1: strace
# is a tracer); its dump must be complete. Sets pid to the profiled process's.
run() {
	name=$1
	shift
	mkdir -p "$T/$name"
	strace -f -qq -e trace=open,openat -o "$T/$name.trace" env LD_PRELOAD="$L" \
		INFLAME_TRACED=1 INFLAME_EVENTS=cpu INFLAME_OUTPUT="$T/$name/p.%p.ifl" "$@" \
		>/dev/null 2>"$T/$name.err" || fail "$name: status $?: $(head -c 300 "$T/$name.err")"
	set -- "$T/$name"/p.*.ifl
	[ $# = 1 ] && [ -f "$1" ] || { fail "$name: $# dumps"; return 1; }
	"$B/inflame" info "$1" >"$T/$name.info" 2>&1 || { fail "$name: dump unreadable"; return 1; }
	grep -q '^status: *complete' "$T/$name.info" || fail "$name: dump not complete"
	pid=$(sed -n 's/^pid: *\([0-9]*\).*/\1/p' "$T/$name.info")
	return 0
}

if run true /bin/true; then
	if grep -q "perf-$pid\.map" "$T/true.trace"; then
		fail "true: its exit opened /tmp/perf-$pid.map: $(grep "perf-$pid" "$T/true.trace")"
	else
		echo "ok: a process without samples does not look for its perf map"
	fi
fi
if run loop sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i + 1)); done'; then
	if ! grep -q '^samples: *cpu [1-9]' "$T/loop.info"; then
		fail "loop: no sample: $(grep '^samples' "$T/loop.info")"
	elif grep -q "perf-$pid\.map" "$T/loop.trace"; then
		echo "ok: a process with samples still reads its perf map at its end"
	else
		fail "loop: its end did not look for /tmp/perf-$pid.map"
	fi
fi
[ $fails = 0 ] || exit 1
echo "all passed"
