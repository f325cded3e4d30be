#!/bin/sh
# Work on stacks other than the thread's own (tests/progs/coroutine: ucontext coroutines on a
# malloc'd stack and on a mapped one with nothing above it, and a stretch with the frame
# pointer register holding an unmapped address). Under every unwinder the program runs as
# unprofiled, the CPU samples of coro_burn reach the coroutine's entry
# (coro_entry;coro_work;coro_burn) rather than stopping at the leaf, and so do the bytes
# coro_alloc allocates there, rather than an empty stack. On x86-64 the root below coro_entry
# is named __start_context (glibc's, where makecontext's function returns to: not a dynamic
# symbol, it was "[libc.so.6+0x519bf]"). Where a seccomp filter refuses process_vm_readv
# (tests/progs/noperf --vm) those stacks can only end at their leaf: the program still runs
# as unprofiled, and the dump says why in a notice.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
P="$(cd "$B" && pwd)/tests/progs/coroutine"
NP="$(cd "$B" && pwd)/tests/progs/noperf"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

"$P" >"$T/want" 2>&1
echo "status $?" >>"$T/want"

# share EVENT LEAF: "whole total" of the folded stacks of EVENT whose leaf is LEAF, whole
# the ones that reach coro_entry;coro_work;LEAF
share() {
	"$I" collapse --event "$1" "$T/p.ifl" 2>/dev/null | awk -v leaf="$2" '
		{ n = $NF; s = $0; sub(/ [0-9]+$/, "", s); k = split(s, f, ";")
		  if (f[k] != leaf) next
		  total += n; if (s ~ ("coro_entry;coro_work;" leaf "$")) whole += n }
		END { printf "%d %d\n", whole, total }'
}

# whole UNWIND EVENT LEAF WHAT MIN: at least MIN of EVENT end at LEAF, 90% of them reaching
# coro_entry
whole() {
	set -- "$@" $(share "$2" "$3")
	if [ "$7" -ge "$5" ] && [ $(($6 * 100)) -ge $(($7 * 90)) ]; then
		ok "--unwind $1: $6 of $7 $4 of $3 reach coro_entry"
	else
		fail "--unwind $1: $6 of $7 $4 of $3 reach coro_entry"
		"$I" collapse --event "$2" "$T/p.ifl" | sort -t' ' -k2 -nr | head -n 5
	fi
}

for uw in fp dwarf auto; do
	rm -f "$T/p.ifl"
	"$I" record -q -e cpu,alloc --unwind "$uw" -o "$T/p.ifl" "$P" >"$T/got" 2>&1
	echo "status $?" >>"$T/got"
	if ! cmp -s "$T/want" "$T/got"; then
		fail "--unwind $uw: differs from unprofiled: $(diff "$T/want" "$T/got" | head -n 4)"
		continue
	fi
	whole "$uw" cpu coro_burn "cpu samples" 20
	whole "$uw" alloc coro_alloc "sampled bytes" 1
	if [ "$(uname -m)" = x86_64 ]; then
		set -- $("$I" collapse --event cpu "$T/p.ifl" 2>/dev/null | awk '
			/coro_entry;coro_work;coro_burn [0-9]+$/ { all += $NF
				if ($0 ~ /^__start_context;coro_entry;/) named += $NF }
			END { printf "%d %d\n", named, all }')
		if [ "$2" -gt 0 ] && [ $(($1 * 100)) -ge $(($2 * 90)) ]; then
			ok "--unwind $uw: $1 of $2 whole coro_burn samples have the root __start_context"
		else
			fail "--unwind $uw: $1 of $2 whole coro_burn samples have the root __start_context:" \
				"$("$I" collapse --event cpu "$T/p.ifl" | grep 'coro_burn ' | head -n 3)"
		fi
	fi
done
rm -f "$T/p.ifl"
"$NP" --vm "$I" record -q -e cpu,alloc -o "$T/p.ifl" "$P" >"$T/got" 2>&1
echo "status $?" >>"$T/got"
if ! cmp -s "$T/want" "$T/got"; then
	fail "process_vm_readv refused: differs from unprofiled: $(diff "$T/want" "$T/got" | head -n 4)"
elif ! "$I" info "$T/p.ifl" 2>&1 | grep -q "process_vm_readv is refused"; then
	fail "process_vm_readv refused: no notice in the dump"
else
	ok "process_vm_readv refused: runs as unprofiled, the dump has the notice"
fi
[ $fails -eq 0 ] || exit 1
