#!/bin/sh
# inflame push: requests to a loopback stand-in for Pyroscope's ingest API
# (tests/pyroscope_server.py checks each one as Pyroscope documents it and keeps the query,
# the profile and the sample type config); the profiles are decoded by tests/pprof_decode.py.
# Also: refusals (a 500, no server, bad usage), and --watch sending each complete dump once,
# skipping incomplete ones and other files, keeping or deleting what it sent.
set -u
command -v python3 >/dev/null 2>&1 ||
	{ echo "SKIP: python3 (installed by ./bootstrap) is missing: the readers of these tests need it"; exit 77; }
B=${INFLAME_BUILDDIR:-.}
S=${INFLAME_SRCDIR:-.}
I="$(cd "$B" && pwd)/inflame"
D="python3 $S/tests/pprof_decode.py"
T=$(mktemp -d)
SRV=
WPID=
cleanup() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

mkdir "$T/srv"
python3 "$S/tests/pyroscope_server.py" "$T/srv" &
SRV=$!
# (waits of up to a minute: a loaded machine can take seconds to start python3 or answer)
for i in $(seq 600); do [ -f "$T/srv/port" ] && break; sleep 0.1; done
[ -f "$T/srv/port" ] || { echo "FAIL: the test server did not start"; exit 1; }
URL="http://127.0.0.1:$(cat "$T/srv/port")"
requests() { ls "$T/srv" | grep -c '\.query$'; }

"$I" record -q -e cpu,wall -F 499 -o "$T/t.ifl" -- "$B/tests/progs/threads" 0.3 >/dev/null 2>&1
before=$(date +%s)
"$I" push --url "$URL/" --app 'my-app{env=ci,host=a.b}' --tenant team1 "$T/t.ifl" 2>"$T/err"
rc=$?
[ $rc = 0 ] && [ "$(requests)" = 2 ] && [ "$(grep -c '^inflame push: sent ' "$T/err")" = 2 ] &&
	ok "two requests (cpu, wall), one line each" || fail "push: rc $rc, $(requests) requests: $(cat "$T/err" "$T/srv/errors" 2>/dev/null)"
for n in 1 2; do
	q="$T/srv/$n.query"
	grep -qx 'name=my-app{env=ci,host=a.b}' "$q" && grep -qx 'format=pprof' "$q" &&
		grep -qx 'sampleRate=499' "$q" && grep -qx 'tenant=team1' "$q" &&
		ok "request $n: name with labels, format, sampleRate, tenant" || fail "request $n: $(cat "$q")"
	from=$(sed -n 's/^from=//p' "$q") until=$(sed -n 's/^until=//p' "$q")
	[ "$from" -le "$until" ] && [ "$until" -le $((before + 1)) ] && [ "$from" -ge $((before - 120)) ] &&
		ok "request $n: from $from until $until: the dump's span" || fail "request $n: from $from until $until, now $before"
done
$D "$T/srv/1.pb.gz" >"$T/1.dec" && $D "$T/srv/2.pb.gz" >"$T/2.dec" || fail "decode: $(cat "$T/1.dec" "$T/2.dec")"
want=$("$I" collapse --event cpu "$T/t.ifl" | awk '{ s += $NF } END { print s }')
grep -qx "samples/count $want" "$T/1.dec" && [ "$(grep -c '/' "$T/1.dec")" = 3 ] &&
	grep -q '^label thread_name .*work1' "$T/1.dec" && grep -q '"cpu": *{"units": *"nanoseconds"' "$T/srv/1.json" &&
	ok "cpu request: samples and cpu, $want samples, thread labels, config" || fail "cpu request: $(cat "$T/1.dec" "$T/srv/1.json")"
grep -q '^wall/nanoseconds ' "$T/2.dec" && [ "$(grep -c '/' "$T/2.dec")" = 2 ] && grep -q '"wall"' "$T/srv/2.json" &&
	ok "wall request: wall only" || fail "wall request: $(cat "$T/2.dec" "$T/srv/2.json")"
"$I" push --url "$URL" --app app --event wall "$T/t.ifl" 2>"$T/err" && [ "$(requests)" = 3 ] &&
	$D "$T/srv/3.pb.gz" | grep -q '^wall/' && ok "--event wall: one request" || fail "--event wall: $(cat "$T/err")"

# Refusals.
"$I" push --url "$URL" --app reject-me "$T/t.ifl" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -q 'the server answered 500: rejected by the test server' "$T/err" &&
	ok "a 500: exit 1, the server's message" || fail "500: rc $rc: $(cat "$T/err")"
port2=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$I" push --url "http://127.0.0.1:$port2" --app a "$T/t.ifl" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -q 'cannot connect to 127.0.0.1' "$T/err" && ok "no server: exit 1" || fail "no server: rc $rc: $(cat "$T/err")"
for args in "--url https://x --app a $T/t.ifl" "--url $URL --app a{b $T/t.ifl" "--app a $T/t.ifl" \
	"--url $URL --app a" "--url $URL --app a --delete $T/t.ifl" "--url ftp://x --app a $T/t.ifl"; do
	"$I" push $args 2>"$T/err"
	rc=$?
	[ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && ok "push $args -> 2: $(cat "$T/err")" ||
		fail "push $args: rc $rc: $(cat "$T/err")"
done
printf 'main;f 1\n' >"$T/x.folded"
"$I" push --url "$URL" --app a "$T/x.folded" 2>"$T/err"
[ $? = 1 ] && grep -q 'is not an inflame dump' "$T/err" && ok "a folded file is refused" || fail "folded: $(cat "$T/err")"

# --watch: the complete dump is sent once; an incomplete one (no END chunk) and other files
# are not; a dump that appears later is sent too.
mkdir "$T/w"
cp "$T/t.ifl" "$T/w/one.ifl"
size=$(wc -c <"$T/t.ifl")
head -c $((size - 40)) "$T/t.ifl" >"$T/w/torn.ifl"
printf 'not a dump\n' >"$T/w/notes.txt"
n0=$(requests)
"$I" push --url "$URL" --app watched --watch "$T/w" --interval 0.2 2>"$T/werr" &
WPID=$!
for i in $(seq 600); do [ "$(requests)" -ge $((n0 + 2)) ] && break; sleep 0.1; done
cp "$T/t.ifl" "$T/w/.two.tmp" && mv "$T/w/.two.tmp" "$T/w/two.ifl"  # hidden while copied
for i in $(seq 600); do [ "$(requests)" -ge $((n0 + 4)) ] && break; sleep 0.1; done
sleep 1
kill -TERM "$WPID"
wait "$WPID"
rc=$?
WPID=
[ "$(requests)" = $((n0 + 4)) ] && [ $rc = 0 ] && [ -f "$T/w/one.ifl" ] && [ -f "$T/w/torn.ifl" ] &&
	[ "$(grep -c 'sent .*/one.ifl' "$T/werr")" = 2 ] && [ "$(grep -c 'sent .*/two.ifl' "$T/werr")" = 2 ] &&
	! grep -q torn "$T/werr" && ok "--watch: each complete dump once, kept; SIGTERM ends it with 0" ||
	fail "--watch: rc $rc, $(($(requests) - n0)) requests: $(cat "$T/werr")"
n0=$(requests)
"$I" push --url "$URL" --app watched --watch "$T/w" --once --delete 2>"$T/werr"
rc=$?
[ $rc = 0 ] && [ "$(requests)" = $((n0 + 4)) ] && [ ! -e "$T/w/one.ifl" ] && [ ! -e "$T/w/two.ifl" ] &&
	[ -f "$T/w/torn.ifl" ] && [ -f "$T/w/notes.txt" ] && ok "--watch --once --delete: sent and removed" ||
	fail "--once --delete: rc $rc: $(ls "$T/w") $(cat "$T/werr")"
# --watch and a file short processes share (several dumps back to back, inflame-dump(5)): each
# complete dump in it is sent once, a placeholder (no END) is not, and one appended later is sent
# by the next scan; the file is kept. The dumps are t.ifl with other pids in their headers.
mkdir "$T/s"
as_pid() { cp "$T/t.ifl" "$T/p$1.ifl"; printf "\\$(printf %o "$1")" | dd of="$T/p$1.ifl" bs=1 seek=24 conv=notrunc 2>/dev/null; }
as_pid 101
as_pid 102
as_pid 103
as_pid 104
{ cat "$T/p101.ifl"; head -c 300 "$T/p104.ifl"; cat "$T/p102.ifl"; } >"$T/s/x.shared.ifl"
n0=$(requests)
"$I" push --url "$URL" --app watched --watch "$T/s" --interval 0.2 --delete 2>"$T/serr" &
WPID=$!
for i in $(seq 600); do [ "$(requests)" -ge $((n0 + 4)) ] && break; sleep 0.1; done
cat "$T/p103.ifl" >>"$T/s/x.shared.ifl"
for i in $(seq 600); do [ "$(requests)" -ge $((n0 + 6)) ] && break; sleep 0.1; done
sleep 1
kill -TERM "$WPID"
wait "$WPID"
WPID=
[ "$(requests)" = $((n0 + 6)) ] && [ -f "$T/s/x.shared.ifl" ] &&
	[ "$(grep -c 'sent .*x.shared.ifl@' "$T/serr")" = 6 ] &&
	ok "--watch: each complete dump of a shared file once, the file kept" ||
	fail "--watch shared file: $(($(requests) - n0)) requests: $(cat "$T/serr")"
[ ! -s "$T/srv/errors" ] && ok "every request as Pyroscope documents it" || fail "server: $(cat "$T/srv/errors")"

if [ $fails -gt 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all passed"
