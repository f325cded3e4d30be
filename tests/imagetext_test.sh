#!/bin/sh
# The code an image started by exec runs when it ends unsampled (its start, its settling at its
# end, its bare dump: preload/layout.h, INFLAME_IMAGE_TEXT) lies in .text.startup, which the
# linker puts first in .text with .text.hot, within one 64 KiB stretch of the library's code:
# the kernel maps a file's pages up to 64 KiB at a time around a fault, and these functions lay
# in four such stretches, a page fault each in every short process (issue 11). The fork
# child's functions (.text.hot) stay together after them: a fork child runs those only. A function of each file of preload/ on
# that path is checked (lib/'s, the configuration's and the dump format's, stay where they are:
# one more stretch); the crtstuff function the linker puts at the start of the rest of .text marks the
# end of .text.hot.
name=imagetext
. "${INFLAME_SRCDIR:-$(dirname "$0")/..}/tests/testlib.sh"
L="$B/preload/.libs/libinflame.so"

if ! command -v nm > /dev/null 2>&1; then
	echo "no nm: the layout is not checked"
	finish
	exit
fi
nm "$L" > "$d/syms" || fail "nm failed"
addr()
{
	awk -v s="$1" '$NF == s { print $1; exit }' "$d/syms"
}
text=$(LC_ALL=C readelf -SW "$L" | awk '$2 == ".text" { print $4 }')
hot_end=$(addr deregister_tm_clones)
if [ -z "$text" ] || [ -z "$hot_end" ]; then
	echo "no .text or no deregister_tm_clones: the layout is not checked"
	finish
	exit
fi
# (the lowest of some functions of the fork child's, INFLAME_FORK_TEXT)
fork_lo=$(awk '$NF == "atfork_child" || $NF == "before_exec" || $NF == "inflame__pause" ||
	$NF == "inflame__syscall_raw" { print $1 }' "$d/syms" | sort | head -n 1)
[ -n "$fork_lo" ] || fail "no function of the fork child's in the library's symbols"
span=$((0x$hot_end - 0x$text))
if [ $span -le 65536 ]; then
	echo "ok: .text.startup and .text.hot span $span bytes"
else
	fail ".text.startup and .text.hot span $span bytes, more than 64 KiB"
fi
for f in inflame__interpose_resolve inflame_symlookup_open inflame_modules_self \
	inflame_unwind_hide inflame_timer_setup \
	inflame_sigstack_own_install inflame_alloc_decided inflame_thread_register_last \
	inflame_writer_start_image open_next write_process shared_append close_current \
	inflame__image_settle_end; do
	a=$(addr $f)
	if [ -z "$a" ]; then
		fail "$f: not in the library's symbols"
	elif [ $((0x$a)) -ge $((0x$hot_end)) ] || [ $((0x$a)) -lt $((0x$text)) ]; then
		fail "$f: at 0x$a, outside .text.startup and .text.hot (0x$text-0x$hot_end)"
	elif [ $((0x$a)) -ge $((0x$fork_lo)) ]; then
		fail "$f: at 0x$a, among or after the fork child's functions (from 0x$fork_lo)"
	fi
done
[ $fails -eq 0 ] && echo "ok: the functions of an unsampled image lie before the fork child's"
finish
