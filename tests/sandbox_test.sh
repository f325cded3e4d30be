#!/bin/sh
# A program that installs a seccomp filter which kills it on any system call off its list
# (tests/progs/sandbox: by prctl on its thread, or by syscall(SYS_seccomp) with TSYNC on all).
# Under every event it runs as unprofiled (no SIGSYS for a call of inflame's), and its dump
# is complete, holds the samples taken before the filter and says why profiling stopped.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
P="$(cd "$B" && pwd)/tests/progs/sandbox"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

for how in prctl tsync; do
	"$P" "$how" >"$T/want" 2>&1
	echo "status $?" >>"$T/want"
	grep -q "^status 0" "$T/want" || fail "$how: unprofiled: $(cat "$T/want")"
	for ev in cpu wall alloc cpu,wall,alloc; do
		rm -f "$T/p.ifl"
		INFLAME_ALLOC_RATE=4096 "$I" record -q -e "$ev" -o "$T/p.ifl" "$P" "$how" \
			>"$T/got" 2>&1
		echo "status $?" >>"$T/got"
		if ! cmp -s "$T/want" "$T/got"; then
			fail "$how -e $ev: differs from unprofiled: $(diff "$T/want" "$T/got" | head -n 4)"
			continue
		fi
		"$I" info "$T/p.ifl" >"$T/info" 2>&1 || {
			fail "$how -e $ev: unreadable dump: $(head -n 3 "$T/info")"
			continue
		}
		first=${ev%%,*}
		n=$(awk -v e="$first" '/^samples:/ { for (i = 2; i < NF; i++) if ($i == e) print $(i + 1) + 0 }' \
			"$T/info")
		if ! grep -q "^status: *complete" "$T/info"; then
			fail "$how -e $ev: $(grep '^status' "$T/info")"
		elif ! grep -q "installs a seccomp filter" "$T/info"; then
			fail "$how -e $ev: no notice of the filter"
		elif [ "${n:-0}" -lt 3 ]; then
			fail "$how -e $ev: ${n:-0} $first samples before the filter"
		else
			ok "$how -e $ev: runs as unprofiled, $n $first samples, the notice"
		fi
	done
done
[ $fails -eq 0 ] || exit 1
