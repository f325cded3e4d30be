#!/bin/sh
# Installs what the browser test needs and prints the directory holding node_modules:
# Debian's chromium (when missing and we are root) and playwright-core from npm, into
# $INFLAME_BROWSER_DIR (default: tests/browser/node in the build tree). Quick when both are
# already there. Several may run at once. Exits 77 with a reason on stderr when something
# cannot be installed.
set -u
B=${INFLAME_BUILDDIR:-.}
DIR=${INFLAME_BROWSER_DIR:-$B/tests/browser/node}
CHROMIUM=${INFLAME_CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$CHROMIUM" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "setup: installing chromium with apt-get" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2 ||
			{ apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2; }
	fi
	if [ ! -x "$CHROMIUM" ]; then
		echo "setup: $CHROMIUM is missing and could not be installed (need root and apt-get)" >&2
		exit 77
	fi
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "setup: node and npm are needed to drive the browser" >&2
	exit 77
fi
# The browser tests run at once under `make -j2 check`: one installs while the others wait for
# it (a lock on the directory), and the install counts as done once npm has finished (a marker
# written after it, not the package.json npm writes first).
mkdir -p "$DIR" || exit 77
exec 9> "$DIR/.install-lock" || exit 77
if command -v flock >/dev/null 2>&1; then
	flock 9 || exit 77
fi
if [ ! -f "$DIR/.installed" ] || [ ! -f "$DIR/node_modules/playwright-core/package.json" ]; then
	echo "setup: installing playwright-core into $DIR" >&2
	if ! npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error playwright-core >&2; then
		echo "setup: npm install playwright-core failed" >&2
		exit 77
	fi
	: > "$DIR/.installed"
fi
exec 9>&-
echo "$DIR"
