#!/bin/sh
# Runs tests/browser/viewer.test.mjs: records the demo with cpu, wall and allocation sampling,
# makes viewer pages of it, of a profile with per-sample times and threads, of a differential
# profile and of a hostile folded file, and exercises them in headless Chromium. Screenshots
# of each state go to tests/browser/out/viewer/. Skips (exit 77) only when the browser or its
# driver cannot be installed, saying why.
# The pages are made by tests/browser/mkpage.mjs from the viewer's data contract; the dump's
# views come from `inflame collapse`, which has no sample times, so the timeline is exercised
# on the generated timed profile.
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
js="$S/tools/output/viewer.js"
mk="$S/tests/browser/mkpage.mjs"
shots="$B/tests/browser/out/viewer"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
rm -rf "$shots"
mkdir -p "$shots"

"$prog" record -q -e cpu,wall,alloc -o "$T/demo.%p.ifl" -- "$B/demo/inflame-demo" 1 >/dev/null || exit 1
dump=$(ls "$T"/demo.*.ifl)
for e in cpu wall alloc; do
	"$prog" collapse --event $e "$dump" >"$T/$e.folded" || exit 1
done
sps=$("$prog" info "$dump" | sed -n 's/^cpu clock:.*, \([0-9.]*\) ms a sample$/\1/p')
sps=$(echo "${sps:-1}" | awk '{ print $1 / 1000 }')
node "$mk" folded "$js" "$T/real.html" "inflame: demo/inflame-demo 1" "cpu:samples:$sps:$T/cpu.folded" \
	"wall:samples:$sps:$T/wall.folded" "alloc:bytes:0:$T/alloc.folded" || exit 1
node "$mk" timed "$js" "$T/timed.html" "$T/timed.json" 7 || exit 1
printf 'main;grows 10\nmain;shrinks 40\nmain;same 50\n' >"$T/before.folded"
printf 'main;grows 30\nmain;shrinks 20\nmain;same 50\n' >"$T/after.folded"
node "$mk" diff "$js" "$T/diff.html" "$T/before.folded" "$T/after.folded" || exit 1
printf 'main;</script><script>window.pwned=3</script> 5\nmain;<!--<script>window.pwned=4</script> 3\nmain;\342\200\250x\001y]]> 2\n' >"$T/hostile.folded"
node "$mk" folded "$js" "$T/hostile.html" "</title><script>window.pwned=5</script>" "cpu:samples:0:$T/hostile.folded" || exit 1
# The page of the real command, when this build has it.
html=""
if "$prog" html --help >/dev/null 2>&1; then
	"$prog" html -o "$T/html.html" "$dump" || exit 1
	printf 'main;grows 10 30\nmain;shrinks 40 20\nmain;same 50 50\n' >"$T/diff2.folded"
	"$prog" html -o "$T/html-diff.html" "$T/diff2.folded" || exit 1
	# Thousands of names: the page packs frame numbers in 13 bits (5000 names), or 12 (4000);
	# ~130k nodes, so the packed values run over several pieces of text (doc/viewer-data.md).
	for w in 5000 4000; do
		awk -v w=$w 'BEGIN { srand(9); for (i = 0; i < 20000; i++) { n = 2 + int(rand() * 11); s = "r";
			for (k = 1; k < n; k++) s = s ";g" int(rand() * w); print s, 1 + int(rand() * 9) } }' >"$T/wide$w.folded"
		"$prog" html -o "$T/html-wide$w.html" "$T/wide$w.folded" || exit 1
	done
	html="$T/html.html"
fi
cp "$T/real.html" "$T/timed.html" $html "$shots/"
node "$S/tests/browser/viewer.test.mjs" "$dir" "$shots" "$T/real.html" "$T/cpu.folded" "$T/wall.folded" \
	"$T/alloc.folded" "$T/timed.html" "$T/timed.json" "$T/diff.html" "$T/hostile.html" \
	${html:+"$prog" "$dump" "$html" "$T/html-diff.html" "$T/html-wide5000.html" "$T/wide5000.folded" \
	"$T/html-wide4000.html" "$T/wide4000.folded"}
