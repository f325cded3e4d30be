#!/bin/sh
# The interposition layer's real functions, found at start-up by the own lookup
# (preload/symlookup.c) instead of dlsym, in real programs with allocation profiling on: python3,
# a C++ program using every form of new and delete (tests/progs/allocs_cxx), and python3 with
# Debian's libjemalloc2 preloaded after and before libinflame.so. Each must print what it prints
# without inflame and exit as it does, and its dump must hold allocation samples (none with
# jemalloc first: the program's malloc is jemalloc's, not inflame's wrapper); with jemalloc
# after libinflame.so, the program's malloc must reach jemalloc through inflame's wrapper (its
# per-thread counter of allocated bytes grows). Also the C++ program with LD_DYNAMIC_WEAK set,
# where the own lookup steps aside and dlsym finds every function.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
LIB="$B/preload/.libs/libinflame.so"
d=$(mktemp -d /tmp/inflame-resolve.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
fail=0
no_samples=0

cat > "$d/work.py" <<'PY'
import ctypes, sys
blocks = [bytearray(64 * 1024 + i) for i in range(400)]
table = {i: str(i) * 10 for i in range(50000)}
print(len(blocks), sum(len(b) for b in blocks), len(table))
libc = ctypes.CDLL(None)
if hasattr(libc, "mallctl") and len(sys.argv) > 1:
    v, n = ctypes.c_uint64(), ctypes.c_size_t(8)
    def allocated():
        libc.mallctl(b"thread.allocated", ctypes.byref(v), ctypes.byref(n), None, ctypes.c_size_t(0))
        return v.value
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    before = allocated()
    p = libc.malloc(ctypes.c_size_t(1 << 20))
    grew = allocated() - before
    libc.free(p)
    print("jemalloc served" if grew >= 1 << 20 else "jemalloc did not serve: %d" % grew)
sys.exit(3)
PY

# check NAME BASE PRELOAD PROGRAM...: runs PROGRAM with LD_PRELOAD=BASE (unprofiled) and
# PRELOAD (profiled, allocations included); compares output and exit status, and counts the
# dumps' allocation samples.
check()
{
	name=$1 base=$2 pre=$3
	shift 3
	LD_PRELOAD="$base" "$@" > "$d/want" 2>&1
	want_rc=$?
	rm -f "$d"/p.*
	# One sample per 4 KiB on average: allocs_cxx's 2 MB give hundreds, never none.
	LD_PRELOAD="$pre" INFLAME_EVENTS=cpu,alloc INFLAME_ALLOC_RATE=4096 INFLAME_OUTPUT="$d/p.%p.ifl" \
		INFLAME_SHARED_FILE=0 "$@" > "$d/got" 2>&1
	rc=$?
	if [ $rc -ne $want_rc ] || ! cmp -s "$d/want" "$d/got"; then
		echo "FAIL: $name: exit $rc (want $want_rc), output:"
		diff "$d/want" "$d/got" | head -10
		fail=1
		return 1
	fi
	n=0
	for f in "$d"/p.*; do
		[ -f "$f" ] || continue
		# An exec makes a second file (p.PID.ifl.1), a file may hold several dumps.
		a=$("$B/inflame" info "$f" 2>/dev/null |
			sed -n 's/^samples:.* alloc \([0-9]*\),.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
		n=$((n + a))
	done
	if [ "$n" -gt 0 ] || [ "$no_samples" = 1 ]; then
		echo "ok: $name: $n allocation samples, output and exit status $rc as unprofiled"
	else
		echo "FAIL: $name: no allocation samples"
		fail=1
		return 1
	fi
}

# The interpreter itself, not a wrapper script around it (pyenv's shims).
py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
if [ -n "$py" ]; then
	check python3 "" "$LIB" "$py" "$d/work.py"
else
	echo "skip: python3: not installed"
fi
check allocs_cxx "" "$LIB" "$B/tests/progs/allocs_cxx"
# With LD_DYNAMIC_WEAK the own lookup steps aside and dlsym finds every real function.
check "allocs_cxx, LD_DYNAMIC_WEAK" "" "$LIB" env LD_DYNAMIC_WEAK=1 "$B/tests/progs/allocs_cxx"

je=
for p in /usr/lib/*/libjemalloc.so.2 /usr/lib/libjemalloc.so.2; do
	[ -f "$p" ] && je=$p && break
done
if [ -z "$je" ] || [ -z "$py" ]; then
	echo "skip: jemalloc: libjemalloc.so.2 or python3 not installed"
else
	if check "python3, jemalloc after inflame" "$je" "$LIB:$je" "$py" "$d/work.py" je; then
		grep -q '^jemalloc served$' "$d/got" ||
			{ echo "FAIL: jemalloc after inflame: $(tail -1 "$d/got")"; fail=1; }
	fi
	# The program's malloc is jemalloc's, which inflame does not see (nor did it with dlsym).
	no_samples=1
	check "python3, jemalloc before inflame" "$je" "$je:$LIB" "$py" "$d/work.py" je
fi
exit $fail
