#!/bin/sh
# The system calls of a short process's dump file, step by step (bench/dumpfile.c), run by
# `make bench-dumpfile`: in the build's bench-out directory (the disk the dumps usually go to)
# and, when there is one, in /dev/shm (tmpfs), BENCH_DUMPFILE_FILES files (default 1000) per
# way and round, BENCH_ROUNDS rounds (default 5). The files are deleted when the bench ends.
set -eu
B=${INFLAME_BUILDDIR:-.}
FILES=${BENCH_DUMPFILE_FILES:-1000}
ROUNDS=${BENCH_ROUNDS:-5}
dirs="${BENCH_DIR:-$B/bench-out}/dumpfile.$$"
[ -d /dev/shm ] && [ -w /dev/shm ] && dirs="$dirs /dev/shm/inflame-dumpfile.$$"
trap 'for d in $dirs; do rm -rf "$d"; done' EXIT
echo "dump file system calls: $(uname -r); file systems: $(for d in $dirs; do
	mkdir -p "$d"
	stat -f -c %T "$d"
done | tr '\n' ' ')"
for d in $dirs; do
	"$B/bench/dumpfile" "$d" "$FILES" "$ROUNDS"
done
