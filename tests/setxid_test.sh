#!/bin/sh
# A root program that drops to nobody as setpriv does: keep-caps, setresuid, capset in its own
# thread, then setresgid and setgroups, which glibc runs in every thread it knows and aborts on
# when their results differ (issue 9). inflame's threads (wall ticker, writer) must follow the
# program's capabilities: under every event the program exits and prints as unprofiled. Runs
# setpriv itself, and tests/progs/setxid after 300 ms of work (one thread, and threads, which
# makes the writer thread start under cpu). Needs root.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
P="$(cd "$B" && pwd)/tests/progs/setxid"
[ "$(id -u)" = 0 ] || {
	echo "SKIP: needs root"
	exit 77
}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
chmod 1777 "$T" # the images after the drop write their dumps as nobody
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# run NAME DUMP-CHECK COMMAND...: unprofiled, then under each event, compared.
run() {
	name=$1
	check=$2
	shift 2
	"$@" >"$T/want" 2>&1
	echo "status $?" >>"$T/want"
	grep -q "^status 0" "$T/want" || fail "$name: unprofiled: $(cat "$T/want")"
	for ev in cpu wall alloc cpu,wall,alloc; do
		rm -f "$T"/p.ifl*
		INFLAME_ALLOC_RATE=4096 "$I" record -q -e "$ev" -o "$T/p.ifl" "$@" >"$T/got" 2>&1
		echo "status $?" >>"$T/got"
		if ! cmp -s "$T/want" "$T/got"; then
			fail "$name -e $ev: differs from unprofiled: $(diff "$T/want" "$T/got" | head -n 6)"
		elif [ "$check" = yes ] && ! "$I" info "$T/p.ifl" >"$T/info" 2>&1; then
			fail "$name -e $ev: unreadable dump: $(head -n 3 "$T/info")"
		elif [ "$check" = yes ] && ! grep -q "^status: *complete" "$T/info"; then
			fail "$name -e $ev: $(grep '^status' "$T/info")"
		else
			ok "$name -e $ev: as unprofiled"
		fi
	done
}

if command -v setpriv >/dev/null 2>&1; then
	# /bin/true, exec'd as nobody, loads the library again: from a copy the user nobody can read (a
	# build tree under /root is not), so that the loader has nothing to say on stderr.
	cp "$(cd "$B" && pwd)/preload/.libs/libinflame.so" "$T/libinflame.so"
	chmod 755 "$T/libinflame.so"
	INFLAME_PRELOAD_LIB="$T/libinflame.so"
	export INFLAME_PRELOAD_LIB
	run setpriv no setpriv --reuid=65534 --regid=65534 --clear-groups /bin/true
	unset INFLAME_PRELOAD_LIB
else
	echo "no setpriv here: that part is not run"
fi
run "setxid single" yes "$P" single
run "setxid threads" yes "$P" threads
[ $fails -eq 0 ] || exit 1
