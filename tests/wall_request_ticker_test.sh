#!/bin/sh
# A request-driven program (tests/progs/reqloop: 100 requests a second, every thread waiting
# in a marked call between them) lets the wall ticker sleep between requests (wall.c, long
# sleeps). Counts the ticker's context switches (from /proc) from 1 s to 3 s. Before, the quiet
# ticks it waited for before a long sleep doubled each time a thread came back from its call
# as the ticker was about to sleep, and never came down: it woke each period (1940 to 1990 in
# 2 s under wall, 17-20 ms/s of its CPU); now about 4 times per request (690 to 820; 7-10
# ms/s). The test allows 1400. No time is lost or moved meanwhile: the wall samples at the
# server's epoll_wait add up to its time in it (within 3%).
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d /tmp/inflame-reqtick.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
. "$(dirname "$0")/wall_ticker_lib.sh"
for ev in wall cpu,wall; do
	ticker_case "$ev" 1400 server_wait_ms server_wait "$B/tests/progs/reqloop" 4 100
done
echo "PASS"
