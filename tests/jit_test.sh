#!/bin/sh
# Generated code named from the program's /tmp/perf-PID.map (the PERFMAP chunk): a C program
# that copies a function into anonymous executable memory and names it in its own map (written
# before the run and removed before the reader runs; written only at exit; not written at all,
# which leaves [anon:jit] frames; owned by another user, which is not read), the program's
# own code mapped a second time (named from its file), and Node.js running a JavaScript hot loop under
# --perf-basic-prof (skipped with a message when nodejs is not installed).
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
P="$(cd "$B" && pwd)/tests/progs/jitprog"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# share NAME FILE: percent of the folded samples in FILE whose leaf frame starts with NAME
share() {
	awk -v n="$1" '{ c = $NF; t += c; line = $0; sub(/ [0-9]+$/, "", line);
		k = split(line, f, ";"); if (index(f[k], n) == 1) m += c }
		END { if (t == 0) print 0; else printf "%d\n", 100 * m / t }' "$2"
}

# jit MODE NAME MIN: the leaf NAME takes at least MIN percent of the cpu samples
jit() {
	rm -f "$T"/d.*
	"$I" record -q -o "$T/d.%p.ifl" "${PROG:-$P}" "$1" 1 >"$T/out" 2>"$T/err" || {
		fail "jitprog $1: exit status $?: $(cat "$T/err")"
		return
	}
	"$I" collapse "$T"/d.*.ifl >"$T/folded" 2>"$T/err" || {
		fail "collapse after jitprog $1: $(cat "$T/err")"
		return
	}
	pct=$(share "$2" "$T/folded")
	if [ "$pct" -ge "$3" ]; then
		ok "jitprog $1: $2 is the leaf of $pct% of the samples"
	else
		fail "jitprog $1: $2 is the leaf of $pct% of the samples (want >= $3%); top leaves:"
		sort -t' ' -k2 -n "$T/folded" | tail -3
	fi
	pid=$(ls "$T"/d.*.ifl | sed 's/.*d\.\([0-9]*\)\.ifl/\1/')
	rm -f "/tmp/perf-$pid.map"
}

jit map jit_spin_loop 60
jit late jit_spin_loop 60
jit nomap '[anon:jit]' 60
# The executable's own code mapped again by the program (as V8 maps the node binary's builtins)
# is named from the file: it was a bare address before.
jit remap jit_source 60
PROG="$(cd "$B" && pwd)/tests/progs/jitprog_nopie" jit remap jit_source 60
if grep -q jit_spin_loop "$T/folded"; then
	fail "jitprog nomap: a name without a map"
fi
# A map that is not the user's is not read: anyone may create /tmp/perf-PID.map first.
if [ "$(id -u)" = 0 ]; then
	jit foreign '[anon:jit]' 60
	if grep -q jit_spin_loop "$T/folded"; then
		fail "jitprog foreign: a name from another user's map"
	fi
else
	echo "SKIP: not root: no map owned by another user"
fi

if command -v node >/dev/null 2>&1; then
	cat >"$T/hot.js" <<'JS'
function inflameHotLoop(n) {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x * 31 + i) % 1000003;
  return x;
}
// A second of the loop's CPU time, not of wall time: on a loaded machine 1.5 s of wall time
// gave the loop as little CPU as node's start-up (0.34 s of CPU in 3.3 s at load ~15, 42% of
// the samples in JS frames instead of 88%). At most 30 s of wall time.
const t0 = process.cpuUsage();
const end = Date.now() + 30000;
let s = 0;
while (Date.now() < end) {
  s += inflameHotLoop(100000);
  const u = process.cpuUsage(t0);
  if (u.user + u.system >= 1000000) break;
}
if (s === -1) console.log(s);
JS
	rm -f "$T"/n.*
	# (in $T: node with --perf-basic-prof leaves an isolate-*-v8.log in its working directory)
	if (cd "$T" && "$I" record -q -o "$T/n.%p.ifl" node --perf-basic-prof "$T/hot.js") 2>"$T/err"; then
		"$I" collapse "$T"/n.*.ifl >"$T/folded" 2>"$T/err"
		pct=$(share "JS:*inflameHotLoop" "$T/folded")
		any=$(share "JS:" "$T/folded")
		if [ "$any" -ge 50 ] && grep -q 'inflameHotLoop /' "$T/folded"; then
			ok "node --perf-basic-prof: JS frames lead $any% of the samples (optimised inflameHotLoop $pct%)"
		else
			fail "node --perf-basic-prof: JS frames lead $any% of the samples (want >= 50%)"
		fi
	else
		fail "node under inflame: $(cat "$T/err")"
	fi
	for d in "$T"/n.*.ifl; do
		pid=$(echo "$d" | sed 's/.*n\.\([0-9]*\)\.ifl/\1/')
		rm -f "/tmp/perf-$pid.map"
	done
else
	echo "SKIP: nodejs is not installed (bootstrap installs it as root): no Node.js JIT frames test"
fi

[ $fails = 0 ] || exit 1
