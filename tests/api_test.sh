#!/bin/sh
# The C API (inflame(3)): tests/progs/apiprog labels its phases and a worker thread, writes a
# dump with inflame_dump(), pauses and resumes sampling. Run without the library (every call
# is -ENOSYS and the program runs on), under LD_PRELOAD (inflame record), and linked with
# -linflame (apiprog_linked, no preload): each labelled phase is what `collapse --label`
# keeps, the paused phase has no samples. Then --label's refusals.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
P="$(cd "$B" && pwd)/tests/progs"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# leaves FILE: "function count" of every *_work leaf in folded FILE, summed
leaves() {
	awk '{ c = $NF; line = $0; sub(/ [0-9]+$/, "", line); k = split(line, f, ";");
		for (i = k; i > 0; i--) if (f[i] ~ /_work$/) { s[f[i]] += c; break } }
		END { for (n in s) print n, s[n] }' "$1" | sort
}

# only LABEL FUNC DUMP: collapse --label LABEL keeps FUNC and no other *_work function
only() {
	"$I" collapse --label "$1" "$3" >"$T/l.folded" 2>"$T/err" || {
		fail "collapse --label $1: $(cat "$T/err")"
		return
	}
	got=$(leaves "$T/l.folded" | tr '\n' ' ')
	case "$got" in
	"$2 "[0-9]*" ") ok "--label $1 keeps $got" ;;
	*) fail "--label $1 keeps [$got], want $2 alone" ;;
	esac
}

cat >"$T/want-nolib" <<'X'
label phase=parse: -38
label bad key: -38
label phase=eval: -38
label clear: -38
worker label: -38
dump: -38
start other events: -38
stop: -38
start: -38
X
cat >"$T/want-lib" <<'X'
label phase=parse: 0
label bad key: -22
label phase=eval: 0
label clear: 0
worker label: 0
dump: 0
start other events: -95
stop: 0
start: 0
X

# Without the library: the weak entry points are NULL, every call says -ENOSYS.
(cd "$T" && "$P/apiprog" "$T/nolib.ifl" >"$T/out" 2>"$T/err")
rc=$?
if [ $rc = 0 ] && cmp -s "$T/out" "$T/want-nolib" && [ ! -s "$T/err" ] && [ -z "$(ls "$T" | grep ifl)" ]; then
	ok "without the library: every call -ENOSYS, exit 0, no file"
else
	fail "without the library: exit $rc, output: $(cat "$T/out" "$T/err")"
fi

check_run() {
	how=$1
	if cmp -s "$T/out" "$T/want-lib"; then
		ok "$how: return values"
	else
		fail "$how: return values: $(diff "$T/want-lib" "$T/out" | tr '\n' ' ')"
	fi
	if [ ! -s "$T/mid.ifl" ]; then
		fail "$how: inflame_dump() wrote no $T/mid.ifl"
		return
	fi
	only phase=parse parse_work "$T/mid.ifl"
	only phase=eval eval_work "$T/mid.ifl"
	only request=42 worker_work "$T/mid.ifl"
	"$I" collapse "$T/mid.ifl" >"$T/all.folded"
	leaves "$T/all.folded" >"$T/all.leaves"
	grep -q '^unlabelled_work [0-9]' "$T/all.leaves" ||
		fail "$how: no unlabelled_work in the dump: $(cat "$T/all.leaves" | tr '\n' ' ')"
	# after the dump: paused (inflame_stop) and resumed (inflame_start)
	"$I" collapse "$T"/rest.* >"$T/rest.folded" 2>/dev/null
	leaves "$T/rest.folded" >"$T/rest.leaves"
	paused=$(awk '$1 == "paused_work" { print $2 }' "$T/rest.leaves")
	resumed=$(awk '$1 == "resumed_work" { print $2 }' "$T/rest.leaves")
	if [ "${paused:-0}" -le 2 ] && [ "${resumed:-0}" -ge 50 ]; then
		ok "$how: paused_work ${paused:-0} samples, resumed_work $resumed"
	else
		fail "$how: paused_work ${paused:-0} samples (want <= 2), resumed_work ${resumed:-0} (want >= 50)"
	fi
	if grep -q '_work' "$T/rest.folded" && grep -qE '(parse|eval|worker)_work' "$T/rest.leaves"; then
		fail "$how: the file after the dump has the phases before it: $(cat "$T/rest.leaves" | tr '\n' ' ')"
	fi
}

# Under LD_PRELOAD (inflame record).
rm -f "$T"/*.ifl* "$T"/rest.*
(cd "$T" && "$I" record -q -o "$T/rest.%p.ifl" "$P/apiprog" "$T/mid.ifl" >"$T/out" 2>"$T/err") ||
	fail "under inflame record: $(cat "$T/err")"
check_run "LD_PRELOAD"

# Linked with -linflame, no preload: configured by the environment alone.
rm -f "$T"/*.ifl* "$T"/rest.*
(cd "$T" && INFLAME_OUTPUT="$T/rest.%p.ifl" "$P/apiprog_linked" "$T/mid.ifl" >"$T/out" 2>"$T/err") ||
	fail "linked: $(cat "$T/err")"
check_run "-linflame"

# pprof: the program's labels are sample labels (read by tests/pprof_decode.py and, when
# Debian's golang-go is installed, go tool pprof -tags and -tagfocus).
S=${INFLAME_SRCDIR:-.}
if "$I" pprof --event cpu -o "$T/mid.pb.gz" "$T/mid.ifl" 2>"$T/err" &&
	python3 "$S/tests/pprof_decode.py" "$T/mid.pb.gz" >"$T/mid.dec" 2>&1; then
	grep -q '^label phase eval,parse$' "$T/mid.dec" && grep -q '^label request 42$' "$T/mid.dec" &&
		ok "pprof: labels phase=parse,eval and request=42" ||
		fail "pprof labels: $(grep '^label' "$T/mid.dec" | tr '\n' ' ')"
else
	fail "pprof of the API's dump: $(cat "$T/err" "$T/mid.dec")"
fi
GO=
if command -v go >/dev/null 2>&1; then GO=go; elif [ -x /usr/lib/go/bin/go ]; then GO=/usr/lib/go/bin/go; fi
if [ -n "$GO" ] && [ -s "$T/mid.pb.gz" ]; then
	export HOME="$T" PPROF_TMPDIR="$T" GOCACHE="$T/gocache"
	$GO tool pprof -tags "$T/mid.pb.gz" >"$T/tags" 2>"$T/goerr" && grep -q ' phase: Total' "$T/tags" &&
		grep -q ' parse$' "$T/tags" && grep -q ' 42$' "$T/tags" &&
		ok "go tool pprof -tags: phase and request" || fail "go tool pprof -tags: $(cat "$T/goerr" "$T/tags")"
	$GO tool pprof -tagfocus=phase=parse -top -nodecount=1 "$T/mid.pb.gz" >"$T/top" 2>"$T/goerr" &&
		grep -q 'parse_work$' "$T/top" && ! grep -q 'eval_work\|worker_work' "$T/top" &&
		ok "go tool pprof -tagfocus=phase=parse: parse_work" ||
		fail "go tool pprof -tagfocus: $(cat "$T/goerr" "$T/top")"
else
	echo "note: go (Debian's golang-go) is not installed: go tool pprof -tags is not checked"
fi

# --label's refusals: a value without '=', and inputs that have no labels.
printf 'main;parse_work 10\n' >"$T/a.folded"
"$I" collapse --label phase "$T/mid.ifl" >/dev/null 2>"$T/err"
rc=$?
if [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q '^inflame collapse: --label phase: expects KEY=VALUE' "$T/err"; then
	ok "--label without '=' -> 2: $(cat "$T/err")"
else
	fail "--label without '=': exit $rc: $(cat "$T/err")"
fi
"$I" collapse --label phase=parse "$T/a.folded" >/dev/null 2>"$T/err"
rc=$?
if [ $rc = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q 'no samples labelled phase=parse' "$T/err"; then
	ok "--label on folded stacks -> 1: $(cat "$T/err")"
else
	fail "--label on folded stacks: exit $rc: $(cat "$T/err")"
fi

[ $fails = 0 ] || exit 1
