#!/bin/sh
# A program that lowers its own file size limit (tests/progs/fsizelimit: RLIMIT_FSIZE 4 KiB,
# as OpenSSH's sandboxed child sets 0) and runs on for a second, its standard error a regular
# file already past the limit; with "nofile" it also leaves itself no free descriptor, so
# inflame cannot open what it wants and would say so on standard error. A write of
# inflame's past the limit would end the program with SIGXFSZ: it must run as unprofiled,
# and its dump hold what fitted, read as incomplete or complete, never torn.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
P="$(cd "$B" && pwd)/tests/progs/fsizelimit"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

for arg in limit nofile; do
	head -c 10000 /dev/zero >"$T/err"
	"$P" "$arg" >"$T/want" 2>>"$T/err"
	echo "status $?" >>"$T/want"
	grep -q "^status 0" "$T/want" || fail "$arg: unprofiled: $(cat "$T/want")"
	for ev in cpu cpu,wall; do
		rm -f "$T/p.ifl"
		head -c 10000 /dev/zero >"$T/err"
		"$I" record -q -e "$ev" -o "$T/p.ifl" "$P" "$arg" >"$T/got" 2>>"$T/err"
		echo "status $?" >>"$T/got"
		if ! cmp -s "$T/want" "$T/got"; then
			fail "$arg -e $ev: differs from unprofiled: $(diff "$T/want" "$T/got" | head -n 4)"
			continue
		fi
		if ! "$I" info "$T/p.ifl" >"$T/info" 2>&1; then
			fail "$arg -e $ev: unreadable dump: $(head -n 2 "$T/info")"
		elif grep -q "^status: *torn" "$T/info"; then
			fail "$arg -e $ev: $(grep '^status' "$T/info")"
		else
			ok "$arg -e $ev: runs as unprofiled; $(grep '^samples' "$T/info" | tr -s ' ')"
		fi
	done
done
[ $fails -eq 0 ] || exit 1
