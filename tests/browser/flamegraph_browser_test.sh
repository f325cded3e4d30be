#!/bin/sh
# Runs tests/browser/flamegraph.test.mjs: makes a flame graph with known shares and a
# differential one, and exercises them in headless Chromium. Skips (exit 77) only when the browser or its driver cannot be
# installed, saying why.
set -u
B=${INFLAME_BUILDDIR:-.}
S=${INFLAME_SRCDIR:-.}
dir=$(sh "$S/tests/browser/setup.sh")
rc=$?
if [ $rc != 0 ]; then
	echo "SKIP: the browser test needs chromium and playwright-core (see messages above)"
	exit 77
fi
prog="$B/inflame"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat >"$T/in.folded" <<'X'
main;alpha;leaf_one 30
main;alpha;beta;leaf_two 20
main;gamma;leaf_one 10
main;gamma 40
main;delta;leaf_x;leaf_y 50
other 50
X
cat >"$T/diff.folded" <<'X'
main;grows 10 30
main;shrinks 40 20
main;same 50 50
X
"$prog" flamegraph -o "$T/fg.svg" "$T/in.folded" || exit 1
"$prog" flamegraph -o "$T/diff.svg" "$T/diff.folded" || exit 1
node "$S/tests/browser/flamegraph.test.mjs" "$dir" "$T/fg.svg" "$T/diff.svg"
