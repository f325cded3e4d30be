#!/bin/sh
# Threads blocked outside the marked calls (here 64 threads in a read of a pipe) cost the wall
# ticker one load each per look once they have a switch page (wall.c), and their clocks are
# read on a grid all of them share, so the ticker sleeps PAGE_SKIP + 1 periods at a time. Counts
# the ticker's context switches (from /proc) from 1 s to 3 s of tests/progs/pipeidle: before,
# the threads' clock reads, spread over the periods, woke it about every other period (944 and
# 1073 in 2 s under wall; 30-38 ms/s of its CPU); now about one in eight (169 to 271; 12-14 ms/s).
# The test allows 500. No time is lost or moved meanwhile: the wall samples at the
# read add up to the time the threads spent in it (within 3%).
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-pagetick.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
. "$(dirname "$0")/wall_ticker_lib.sh"
for ev in wall cpu,wall; do
	ticker_case "$ev" 500 idle_ms pipe_wait "$B/tests/progs/pipeidle" 6 64
done
echo "PASS"
