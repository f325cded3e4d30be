#!/bin/sh
# A process that lists more objects than the module map's first arrays hold (preload/modules.c
# FIRST_MODULES: a short process's map lives in .bss, issue 11) moves to the larger mappings and
# loses none: tests/progs/manyobjs loads twelve copies of a plugin and spins in the last one
# loaded. Its dump must list every object as loaded (not as a mapping found in /proc/self/maps),
# and the spin's samples must be walked through the last object's code, built without frame
# pointers, which takes its unwind entries from the walks' map: main;inflame_test_spin;
# spin_inner for most of the CPU.
# A short process (/bin/true, five objects) is listed whole too.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
L="$B/preload/.libs/libinflame.so"
P="$B/tests/progs/manyobjs"
SO="$B/tests/progs/plugins/libinflame-spinplugin.so"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

objs=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	cp "$SO" "$T/spin$i.so"
	objs="$objs $T/spin$i.so"
done
mkdir -p "$T/many" "$T/short"
# shellcheck disable=SC2086
env LD_PRELOAD="$L" INFLAME_EVENTS=cpu INFLAME_OUTPUT="$T/many/p.%p.ifl" "$P" 300 $objs \
	>/dev/null 2>"$T/err" || fail "manyobjs: status $?: $(head -c 300 "$T/err")"
set -- "$T/many"/p.*.ifl
if [ $# = 1 ] && "$B/inflame" info "$1" >"$T/info" 2>&1; then
	# (the last map's objects: "(N maps)" counts the maps the dump holds, one at the image's
	# start when it sets up at once, and one after the objects were loaded)
	mods=$(sed -n 's/^modules: *\([0-9]*\).*/\1/p' "$T/info")
	mods=${mods:-0}
	grep -q '^status: *complete' "$T/info" || fail "manyobjs: dump not complete"
	# the program, inflame, the C library, the loader, the vDSO and the twelve copies
	[ "$mods" -ge 17 ] && ok "manyobjs: $mods objects listed" ||
		fail "manyobjs: $mods objects listed, 17 or more wanted"
	"$B/inflame" collapse "$1" >"$T/folded" 2>&1 || fail "manyobjs: collapse failed"
	total=$(awk '{n += $NF} END {print n + 0}' "$T/folded")
	spin=$(awk '/main;inflame_test_spin;spin_inner/ {n += $NF} END {print n + 0}' "$T/folded")
	if [ "$total" -gt 100 ] && [ $((spin * 100)) -ge $((total * 80)) ]; then
		ok "manyobjs: $spin of $total samples in main;inflame_test_spin;spin_inner"
	else
		fail "manyobjs: $spin of $total samples in main;inflame_test_spin;spin_inner (80% wanted): $(sort -t' ' -k2 -rn "$T/folded" | head -3 | tr '\n' '|')"
	fi
else
	fail "manyobjs: $# dumps, or unreadable"
fi

# (with the wall clock: one that samples only its CPU and ends unsampled lists no object, as
# its dump has no address to name: inflame-preload(7))
env LD_PRELOAD="$L" INFLAME_EVENTS=cpu,wall INFLAME_OUTPUT="$T/short/p.%p.ifl" /bin/true ||
	fail "true: status $?"
set -- "$T/short"/p.*.ifl
if [ $# = 1 ] && "$B/inflame" info "$1" >"$T/info" 2>&1; then
	mods=$(sed -n 's/^modules: *\([0-9]*\).*/\1/p' "$T/info")
	want=$(($(ldd /bin/true | grep -c '=> /\|^[[:space:]]*/') + 2))
	[ "${mods:-0}" -ge "$want" ] && ok "true: $mods objects listed" ||
		fail "true: $mods objects listed, $want wanted"
else
	fail "true: $# dumps, or unreadable"
fi
[ $fails = 0 ] || exit 1
echo "all passed"
