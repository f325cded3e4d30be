#!/bin/sh
# tests/browser/setup.sh run twice at once into one fresh directory, as `make -j2 check` does
# with the two browser tests in a new build tree: neither may print the directory before
# playwright-core is fully installed there. npm is replaced by a slow stand-in that writes the
# package's package.json first and its code a second later, so no registry is needed.
set -u
S=${INFLAME_SRCDIR:-.}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin"
cat > "$T/bin/npm" <<'NPM'
#!/bin/sh
# npm install --prefix DIR ... playwright-core, slowly.
while [ $# -gt 0 ]; do [ "$1" = --prefix ] && { dir=$2; shift; }; shift; done
mkdir -p "$dir/node_modules/playwright-core/lib"
echo '{"name":"playwright-core"}' > "$dir/node_modules/playwright-core/package.json"
sleep 1
echo done > "$dir/node_modules/playwright-core/lib/done"
NPM
chmod +x "$T/bin/npm"
printf '#!/bin/sh\nexit 0\n' > "$T/bin/node"
chmod +x "$T/bin/node"
failed=0
for i in 1 2; do
	# the second starts while the first one's npm is at work
	[ $i = 2 ] && sleep 0.3
	(PATH="$T/bin:$PATH" INFLAME_BROWSER_DIR="$T/dir" INFLAME_CHROMIUM=/bin/true \
		sh "$S/tests/browser/setup.sh" > "$T/out$i" 2> "$T/err$i"
	echo $? > "$T/rc$i"
	[ -f "$T/dir/node_modules/playwright-core/lib/done" ] || echo incomplete > "$T/bad$i") &
done
wait
for i in 1 2; do
	if [ "$(cat "$T/rc$i")" != 0 ] || [ "$(cat "$T/out$i")" != "$T/dir" ]; then
		echo "FAIL: setup $i: status $(cat "$T/rc$i"), printed '$(cat "$T/out$i")': $(cat "$T/err$i")"
		failed=1
	elif [ -e "$T/bad$i" ]; then
		echo "FAIL: setup $i returned before playwright-core was fully installed"
		failed=1
	fi
done
[ $failed = 0 ] && echo "ok: two setups at once both wait for one complete install"
exit $failed
