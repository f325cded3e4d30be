#!/bin/sh
# Runs tests/browser/speedscope.test.mjs: files of `inflame speedscope` (a folded file with known
# totals, a hostile folded file, the demo recorded with cpu and wall sampling) opened in the
# real speedscope viewer (npm package speedscope, installed next to playwright-core) offline in
# headless Chromium. Screenshots go to tests/browser/out/speedscope/. Skips (exit 77) only when
# the browser, its driver or speedscope cannot be installed (npm unreachable), saying why.
set -u
B=${INFLAME_BUILDDIR:-.}
S=${INFLAME_SRCDIR:-.}
dir=$(sh "$S/tests/browser/setup.sh")
if [ $? != 0 ]; then
	echo "SKIP: the speedscope test needs chromium and playwright-core (see messages above)"
	exit 77
fi
if [ ! -f "$dir/node_modules/speedscope/dist/release/index.html" ]; then
	echo "setup: installing speedscope into $dir" >&2
	if ! npm install --prefix "$dir" --no-audit --no-fund --loglevel=error speedscope >&2 ||
		[ ! -f "$dir/node_modules/speedscope/dist/release/index.html" ]; then
		echo "SKIP: npm install speedscope failed (npm registry unreachable?)"
		exit 77
	fi
fi
prog="$B/inflame"
shots="$B/tests/browser/out/speedscope"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
rm -rf "$shots"

printf 'main;alpha;beta 50\nmain;gamma 30\nmain;alpha;delta 20\n' >"$T/known.folded"
"$prog" speedscope -o "$T/known.json" "$T/known.folded" || exit 1
printf 'main;</script><script>window.pwned=1</script> 5\nmain;<img src=x onerror=window.pwned=2> 3\nmain;\342\200\250x\001y 2\n' \
	>"$T/hostile.folded"
"$prog" speedscope -o "$T/hostile.json" "$T/hostile.folded" || exit 1
"$prog" record -q -e cpu,wall -o "$T/demo.%p.ifl" -- "$B/demo/inflame-demo" 1 >/dev/null || exit 1
dump=$(ls "$T"/demo.*.ifl)
"$prog" speedscope -o "$T/demo.json" "$dump" || exit 1
node "$S/tests/browser/speedscope.test.mjs" "$dir" "$shots" \
	"$T/known.json|samples|main=100,alpha=70,beta=50,gamma=30,delta=20" \
	"$T/hostile.json|samples|main=10" \
	"$T/demo.json|cpu+wall|@top"
