#!/bin/sh
# The bash completion (completion/inflame): sourced into a bash, asked for completions as
# bash's programmable completion would (COMP_WORDS, COMP_CWORD), checked for a few cases.
set -u
B=${INFLAME_BUILDDIR:-.}
S=${INFLAME_SRCDIR:-.}
I="$(cd "$B" && pwd)/inflame"
C="$(cd "$S" && pwd)/completion/inflame"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
if ! command -v bash >/dev/null 2>&1; then
	echo "SKIP: no bash"
	exit 77
fi
: >"$T/run.ifl"
: >"$T/run2.ifl"

# complete WANT WORD...: the completions of the last word (the line as typed) include every
# word of WANT (a space-separated list), and, when WANT starts with "=", are exactly those.
complete_has() {
	want=$1
	shift
	got=$(cd "$T" && bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_inflame
		printf "%s\n" "${COMPREPLY[@]}" | sort -u' bash "$C" "$@")
	exact=0
	case $want in "="*) exact=1 want=${want#=} ;; esac
	for w in $want; do
		if ! printf '%s\n' "$got" | grep -qxF -- "$w"; then
			fail "'$*' completes to [$(echo $got)], missing $w"
			return
		fi
	done
	if [ $exact = 1 ] && [ "$(echo $got)" != "$(echo $want | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" ]; then
		fail "'$*' completes to [$(echo $got)], want exactly [$want]"
		return
	fi
	ok "'$*' -> $(echo $got)"
}

complete_has "=collapse" "$I" col
complete_has "record info collapse report flamegraph" "$I" ""
complete_has "--threads --event --show-profiler" "$I" collapse --
complete_has "=--frequency" "$I" record --freq
complete_has "=--width" "$I" flamegraph --wid
complete_has "=wall" "$I" report --event wa
complete_has "=run.ifl run2.ifl" "$I" flamegraph r
complete_has "=dwarf" "$I" record --unwind dw
# record: after the command to run, its own arguments are files, not inflame's options
complete_has "=run.ifl run2.ifl" "$I" record -F 99 ls r
complete_has "lsblk" "$I" record -o out.ifl lsbl
complete_has "lsblk" "$I" record -- lsbl
complete_has "=run.ifl run2.ifl" "$I" record -o r
complete_has "--events --output" "$I" record -

[ $fails = 0 ] || exit 1
