#!/bin/sh
# `make demo`, the README's first command, as a user runs it: demo/run.sh profiles the bundled
# demo with the default settings (the shared file on, as outside this suite) and writes its
# folded stacks, flame graphs and viewer page. Each must be there and hold something; the run
# must name its dumps. (The shared file broke it once: the script took `ls` of the dumps as one
# file name, and the demo leaves two files, its own and the shared file of its pattern.)
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
S=${INFLAME_SRCDIR:-$B}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
unset INFLAME_SHARED_FILE
fails=0
if ! sh "$S/demo/run.sh" "$B" "$T/out" > "$T/log" 2>&1; then
	echo "FAIL: demo/run.sh failed:"
	cat "$T/log"
	exit 1
fi
for f in cpu.folded wall.folded alloc.folded cpu.svg wall.svg alloc.svg profile.html; do
	if [ ! -s "$T/out/$f" ]; then
		echo "FAIL: demo-out/$f is missing or empty"
		fails=$((fails + 1))
	fi
done
if ! grep -q '^profile: .*demo\.[0-9]*\.ifl' "$T/log"; then
	echo "FAIL: the run does not name its dump: $(grep '^profile:' "$T/log")"
	fails=$((fails + 1))
fi
if ! grep -q 'parse_records' "$T/out/cpu.folded"; then
	echo "FAIL: the cpu stacks name none of the demo's functions"
	fails=$((fails + 1))
fi
[ "$fails" = 0 ] && echo PASS
exit "$fails"
