#!/bin/sh
# Threads with small alternate signal stacks (8 KiB with a guard page below, as Rust gives
# every thread): inflame's handler runs there (SA_ONSTACK) and must walk only as deep as fits
# (preload/sigstack.h). tests/progs/altstack runs unchanged under every event and unwinder,
# several times each, and inflame info counts the samples walked narrower or kept without a
# stack. A 6 KiB stack (room for the table walk, not for libunwind) and a 4.5 KiB one (room
# for no walk at all) check the narrower walks.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
P="$(cd "$B" && pwd)/tests/progs/altstack"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# want: the unprofiled run's output and status (with the environment of the runs to come)
want() {
	"$P" >"$T/want" 2>&1
	echo "status $?" >>"$T/want"
}
want

# run SIZE EVENTS UNWIND N: N profiled runs with an alternate stack of SIZE bytes, each
# exiting as unprofiled with the same output; the last one's dump is $T/last.ifl
run() {
	i=0
	while [ $i -lt "$4" ]; do
		rm -f "$T/last.ifl"
		ALTSTACK_SIZE=$1 "$I" record -q -e "$2" --unwind "$3" -o "$T/last.ifl" "$P" \
			>"$T/got" 2>&1
		echo "status $?" >>"$T/got"
		if ! cmp -s "$T/want" "$T/got"; then
			fail "$1 bytes, -e $2 --unwind $3, run $i: differs from unprofiled:"
			diff "$T/want" "$T/got" | head -n 5
			return 1
		fi
		i=$((i + 1))
	done
	ok "$1 bytes, -e $2 --unwind $3: $4 runs as unprofiled"
}

# counted FIELD: the samples inflame info reports as walked narrower (1) or kept without a
# stack (2); 0 when it reports none
counted() {
	"$I" info "$T/last.ifl" >"$T/info" 2>&1 || {
		echo -1
		return
	}
	awk -v f="$1" '/^sigstack:/ { print (f == 1 ? $2 : $6); found = 1 }
		END { if (!found) print 0 }' "$T/info"
}

for ev in wall cpu cpu,wall; do
	for uw in fp dwarf auto; do
		run 8192 "$ev" "$uw" 4 || continue
		n=$(counted 1)
		case "$uw:$ev" in
		fp:*) [ "$n" = 0 ] && ok "fp: nothing narrowed" ||
			fail "-e $ev --unwind fp: $n samples narrowed" ;;
		*:*wall*) [ "$n" -gt 0 ] 2>/dev/null && ok "$uw: $n samples narrowed, counted" ||
			fail "-e $ev --unwind $uw: narrowed samples not counted ($n)" ;;
		esac
	done
done
for ev in wall cpu; do
	for uw in dwarf auto; do
		run 6144 "$ev" "$uw" 2
	done
done
run 6144 cpu,wall auto 9
ALTSTACK_HANDLER=1 ALTSTACK_SIZE=6144 want
grep -q "read back as set" "$T/want" && grep -q "saw its own masks" "$T/want" ||
	fail "the program's handler unprofiled: $(cat "$T/want")"
export ALTSTACK_HANDLER=1
for ev in cpu,wall cpu; do
	run 6144 "$ev" auto 4
done
unset ALTSTACK_HANDLER
want
run 4608 wall fp 2 && {
	n=$(counted 2)
	[ "$n" -gt 0 ] 2>/dev/null && ok "4608 bytes: $n samples kept without a stack, counted" ||
		fail "4608 bytes: stackless samples not counted ($n)"
}
[ $fails -eq 0 ] || exit 1
