#!/bin/sh
# libinflame.so is linked with -z now: as it loads, in every profiled process, the loader looks
# up each C library function the library calls, about 0.12 us each (issue 11). The plain system
# calls and the string and signal-set functions it needs it makes itself (preload/sysraw.c,
# preload/strsig.c), through the linker's --wrap where the linker has it (configure.ac): none
# of the names wrapped in preload/include.am is left for the loader to look up, and none of
# the library's own versions is exported (the program's calls keep reaching the C library).
name=imports
. "${INFLAME_SRCDIR:-$(dirname "$0")/..}/tests/testlib.sh"
L="$B/preload/.libs/libinflame.so"
S="${INFLAME_SRCDIR:-$(dirname "$0")/..}"

if [ "${INFLAME_LD_WRAP:-}" != yes ] || ! command -v nm > /dev/null 2>&1; then
	echo "the linker does not wrap symbols (configure.ac), or no nm: skipped"
	finish
	exit
fi
tr ' \\\t' '\n\n\n' < "$S/preload/include.am" | sed -n 's/^-Wl,--wrap=//p' | sort -u > "$d/wrapped"
n=$(wc -l < "$d/wrapped")
if [ "$n" -lt 30 ]; then
	fail "found $n names wrapped in preload/include.am, want the whole list"
fi
nm -D --undefined-only "$L" | awk '{ sub(/@.*/, "", $2); print $2 }' | sort -u > "$d/imports"
left=$(comm -12 "$d/wrapped" "$d/imports" | tr '\n' ' ')
if [ -n "$left" ]; then
	fail "libinflame.so still imports: $left"
else
	echo "ok: none of the $n wrapped names is imported ($(wc -l < "$d/imports") imports)"
fi
own=$(nm -D --defined-only "$L" | grep -c ' __wrap_')
if [ "$own" -eq 0 ]; then
	echo "ok: the library's own versions are not exported"
else
	fail "libinflame.so exports $own of its __wrap_ functions"
fi
finish
