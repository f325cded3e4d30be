#!/bin/sh
# What writing its dump costs a short process in pages of the library's data (issue 11): each
# page of .data or .bss it writes, or reads where nothing was written (.bss: the zero page), is
# a page fault of every process under inflame, about 1-2 us here, and the make workload of
# bench-startup starts 900 of them. A /bin/true whose dump goes to the shared file touches the
# pages start-up writes anyway (the relocated .data and GOT, the start of .bss, interpose.c's
# and modules.c's variables next to it) and no more: the writer's state, its first buffers and
# the file's name share the first page of w (preload/writer.c); the variables of .data1 share
# the page where .bss starts, among them those the writer's first and last file read (layout.h).
# Before, the shared file's name, the dump's buffers and a page of .bss read by the writer
# (the last stack, the perf map's state, the log level) were three more pages (7 in all on
# x86-64, 4 now). The same with a file of its own (INFLAME_SHARED_FILE=0, as the other tests
# run). tests/progs/libpagepeek.so, preloaded after libinflame.so, lists the pages touched after
# inflame's destructor wrote the dump. The dump itself must be whole. An image that samples only
# its CPU and ends unsampled keeps its thread's slot in a one-slot table of the library's (its
# own page, thread.c last_slot) instead of the first page of the thread table's mapping (which
# is not the library's data, not counted): that page is not counted either.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
L="$B/preload/.libs/libinflame.so"
P="$B/tests/progs/libpagepeek.so"
MAX=${DUMPCOST_MAX_PAGES:-4}
d=$(mktemp -d /tmp/inflame-dumpcost.XXXXXX)
trap 'rm -rf "$d"' EXIT INT TERM
fails=0

case $(uname -m) in
x86_64) ;;
*)
	echo "SKIP: the page layout is checked on x86-64 only (layout.h)"
	exit 77
	;;
esac

# the page of the one-slot table (hex, as libpagepeek.so lists pages), if nm finds it
slot=$(nm "$L" 2>/dev/null | awk '$3 == "last_slot" { print $1 }')
[ -n "$slot" ] && slot=$(printf '%x' $((0x$slot / 4096 * 4096)))

# each way: events, then whether the dump goes to the shared file (1) or a file of its own (0)
for way in cpu:1 cpu,wall:1 cpu:0; do
	ev=${way%:*} shared=${way#*:}
	rm -f "$d"/*.ifl "$d/pages"
	env LD_PRELOAD="$L $P" PAGEPEEK_OUT="$d/pages" INFLAME_EVENTS=$ev \
		INFLAME_SHARED_FILE=$shared INFLAME_OUTPUT="$d/x.%p.ifl" /bin/true ||
		{ echo "FAIL: $way: true failed"; fails=$((fails + 1)); continue; }
	if [ ! -s "$d/pages" ]; then
		echo "FAIL: $way: libpagepeek.so reported nothing"
		fails=$((fails + 1))
		continue
	fi
	read -r n list < "$d/pages"
	if [ -n "$slot" ] && echo " $list " | grep -q " $slot "; then
		n=$((n - 1))
		list=$(echo " $list " | sed "s/ $slot / /; s/^ //; s/ \$//")
	fi
	if [ "$n" -le "$MAX" ]; then
		echo "ok: $way: /bin/true touched $n pages of the library's data ($list)"
	else
		echo "FAIL: $way: /bin/true touched $n pages of the library's data, more than $MAX ($list)"
		fails=$((fails + 1))
	fi
	set -- "$d"/x.*.ifl
	if ! "$B/inflame" info "$1" > "$d/info" 2>&1 ||
		! grep -q '^status: *complete' "$d/info" ||
		! grep -q '^command: */bin/true$' "$d/info"; then
		echo "FAIL: $way: no whole dump of /bin/true"
		cat "$d/info"
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ] || exit 1
echo "PASS: a short process's dump touches no page of its own"
