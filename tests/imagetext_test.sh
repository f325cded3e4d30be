#!/bin/sh
# The code a short image runs lies in one stretch at the front of libinflame.so, after the
# headers and the loader's tables (preload/imagetext.ld, issue 11). The kernel maps the
# library's code 64 KiB at a time, a page fault each: spread over the library, the set-up, the
# wrappers a shell calls and the bare end took four such windows in every /bin/true. Where the
# linker takes the script (configure.ac), this checks the stretch's place and, with callgrind,
# that every function of the library a /bin/true and a shell pipeline run (none samples) lies
# in it: a function the list misses is a page fault more in every process, not a failure.
name=imagetext
. "${INFLAME_SRCDIR:-$(dirname "$0")/..}/tests/testlib.sh"
L="$B/preload/.libs/libinflame.so"

if [ -z "${INFLAME_TEXT_LDFLAGS:-}" ] || ! command -v readelf > /dev/null 2>&1 ||
	! command -v nm > /dev/null 2>&1; then
	echo "the linker does not order the library's code (configure.ac), or no readelf: skipped"
	finish
	exit
fi

# The stretch: an output section of its own, which begins in the first 64 KiB of the file.
sec=$(readelf -SW "$L" | sed 's/^ *\[ *[0-9]*\] *//' | awk '$1 == ".text.inflame_image" { print $3, $5 }')
if [ -z "$sec" ]; then
	fail "libinflame.so has no section .text.inflame_image"
	finish
	exit
fi
lo=$(printf '%d' "0x${sec% *}")
hi=$((lo + $(printf '%d' "0x${sec#* }")))
if [ "$lo" -lt 65536 ]; then
	echo "ok: the short image's code lies at $lo .. $hi, after the headers"
else
	fail "the short image's code begins at $lo, past the first 64 KiB"
fi

if ! command -v valgrind > /dev/null 2>&1 || ! command -v callgrind_annotate > /dev/null 2>&1; then
	echo "no valgrind: the functions a short image runs are not checked"
	finish
	exit
fi

# Every function of libinflame.so that callgrind saw run, in every image of the two runs (it
# names the object of code outside .text "???").
# (LD_PRELOAD is given by env under valgrind: valgrind's own preloads come first.)
valgrind -q --tool=callgrind --trace-children=yes --callgrind-out-file="$d/cg.%p" \
	env INFLAME_EVENTS=cpu INFLAME_FREQUENCY=1 INFLAME_FOLLOW_CHILDREN=1 INFLAME_SHARED_FILE=1 \
	INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" /bin/true > /dev/null 2>&1 ||
	fail "/bin/true under callgrind failed"
valgrind -q --tool=callgrind --trace-children=yes --callgrind-out-file="$d/cg.%p" \
	env INFLAME_EVENTS=cpu INFLAME_FREQUENCY=1 INFLAME_FOLLOW_CHILDREN=1 INFLAME_SHARED_FILE=1 \
	INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" /bin/sh -c 'echo target-1 | tr a-z A-Z | cut -c1-4 > /dev/null' > /dev/null 2>&1 ||
	fail "the pipeline under callgrind failed"
for f in "$d"/cg.*; do
	callgrind_annotate --inclusive=no --threshold=100 "$f" 2> /dev/null |
		grep 'libinflame\.so\]\|\[???\]' | sed 's/.*:\([A-Za-z_0-9.]*\) \[.*/\1/'
done | sort -u > "$d/ran"
nm "$L" | awk '$2 ~ /^[tT]$/ { print $3, $1 }' | sort > "$d/syms"
# The C run-time's own functions (crtbeginS.o) lie just after the stretch, at the start of .text.
join "$d/ran" "$d/syms" | grep -v '^\(deregister_tm_clones\|register_tm_clones\|__do_global_dtors_aux\|frame_dummy\) ' |
	while read -r fn addr; do
		a=$(printf '%d' "0x$addr")
		[ "$a" -ge "$lo" ] && [ "$a" -lt "$hi" ] || echo "$fn"
	done > "$d/out"
ran=$(wc -l < "$d/ran")
if [ "$ran" -lt 40 ]; then
	fail "callgrind saw $ran functions of libinflame.so run, want many more"
elif [ -s "$d/out" ]; then
	fail "$(wc -l < "$d/out") of $ran functions run by a short image lie outside the stretch:" \
		"$(tr '\n' ' ' < "$d/out")"
else
	echo "ok: the $ran functions a short image ran all lie in the stretch"
fi
finish
