#!/bin/sh
# inflame pprof: the profile.proto it writes, read by two readers that share no code with the
# encoder: tests/pprof_decode.py (the wire format by hand: structure, ids, strings, labels,
# totals) and Go's own `go tool pprof` (Debian's golang-go, installed by ./bootstrap; the
# comparisons with it are skipped with a message only when it is missing). For every event
# (cpu, wall, alloc, alloc-count, live, live-count) both must agree with inflame collapse on
# the total and with inflame report on the top function; threads and the process must be
# labels; hostile names must come out as valid UTF-8 without control characters. Functions
# carry start lines and (C++) mangled system names; the program is mapping 1.
set -u
command -v python3 >/dev/null 2>&1 ||
	{ echo "SKIP: python3 (installed by ./bootstrap) is missing: the readers of these tests need it"; exit 77; }
B=${INFLAME_BUILDDIR:-.}
S=${INFLAME_SRCDIR:-.}
I="$(cd "$B" && pwd)/inflame"
D="python3 $S/tests/pprof_decode.py"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

GO=
if command -v go >/dev/null 2>&1; then GO=go
elif [ -x /usr/lib/go/bin/go ]; then GO=/usr/lib/go/bin/go
else echo "note: go (Debian's golang-go) is not installed: the go tool pprof checks are skipped; ./bootstrap installs it"
fi
export HOME="$T" PPROF_TMPDIR="$T" GOCACHE="$T/gocache"

"$I" record -q -e cpu,wall -F 499 -o "$T/threads.ifl" -- "$B/tests/progs/threads" 0.4 >/dev/null 2>"$T/rec.err" ||
	fail "record threads: $(cat "$T/rec.err")"
"$I" record -q -e cpu,alloc --alloc-rate 1 -o "$T/allocs.ifl" -- "$B/tests/progs/allocs" sites 300 \
	>/dev/null 2>"$T/rec.err" || fail "record allocs: $(cat "$T/rec.err")"

"$I" pprof "$T/threads.ifl" -o "$T/threads.pb.gz" 2>"$T/err" || fail "pprof threads: $(cat "$T/err")"
"$I" pprof "$T/allocs.ifl" -o "$T/allocs.pb.gz" 2>"$T/err" || fail "pprof allocs: $(cat "$T/err")"
for p in threads allocs; do
	$D "$T/$p.pb.gz" >"$T/$p.dec" 2>&1 && ok "$p: decoded: $(tail -1 "$T/$p.dec")" ||
		fail "$p: decoder: $(cat "$T/$p.dec")"
done

# Sample types and period.
grep -q '^samples/count ' "$T/threads.dec" && grep -q '^cpu/nanoseconds ' "$T/threads.dec" &&
	grep -q '^wall/nanoseconds ' "$T/threads.dec" && grep -q '^period cpu/nanoseconds 2004008$' "$T/threads.dec" &&
	ok "threads: samples, cpu, wall; period 1/499 s" || fail "threads: types: $(cat "$T/threads.dec")"
for t in alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes; do
	grep -q "^$t " "$T/allocs.dec" || fail "allocs: no $t: $(cat "$T/allocs.dec")"
done
# Labels: every thread of the program by name and id, and the process.
grep -q '^label thread_name threads,work1,work2,work3$' "$T/threads.dec" &&
	[ "$(grep '^label thread_id ' "$T/threads.dec" | tr ',' '\n' | wc -l)" = 4 ] &&
	grep -q '^label pid [0-9][0-9]*$' "$T/threads.dec" && ok "threads: thread and pid labels" ||
	fail "threads: labels: $(grep label "$T/threads.dec")"

# check EVENT DUMP TYPE MUL: totals and top function of one view against collapse and report.
check() {
	ev=$1 f=$2 type=$3 mul=$4
	want=$("$I" collapse --event "$ev" "$T/$f.ifl" | awk '{ s += $NF } END { printf "%.0f", s * '"$mul"' }')
	got=$($D "$T/$f.pb.gz" | awk -v t="$type" '$1 ~ "^" t "/" { print $2 }')
	[ -n "$want" ] && [ "$want" = "$got" ] && ok "$ev: decoder total $got = collapse's" ||
		fail "$ev: decoder total $got, collapse $want"
	"$I" report --event "$ev" -n 2 "$T/$f.ifl" | sed -n '3,4p' >"$T/rep"
	top=$(sed -n 1p "$T/rep" | sed 's/.*%  *[0-9.]* *[KMGTiB]*  //')
	ties=$(awk '{ print $1 }' "$T/rep" | uniq -d)
	dtop=$($D "$T/$f.pb.gz" --self 1 --column "$type" | awk '/^function /{ sub(/^function /, ""); sub(/ [0-9]+$/, ""); print }')
	if [ -n "$ties" ]; then
		ok "$ev: top functions tie in report; not compared"
	else
		[ "$top" = "$dtop" ] && ok "$ev: decoder's top function $dtop = report's" ||
			fail "$ev: decoder's top function '$dtop', report's '$top'"
	fi
	[ -n "$GO" ] || return 0
	$GO tool pprof -sample_index="$type" -raw "$T/$f.pb.gz" >"$T/raw" 2>"$T/goerr" ||
		{ fail "$ev: go tool pprof -raw: $(cat "$T/goerr")"; return 0; }
	# -raw: a header of the types, then one line per sample "v1 v2 ...: locations".
	col=$(awk '/^Samples:/{ getline; for (i = 1; i <= NF; i++) { t = $i; sub(/\/.*/, "", t); if (t == "'"$type"'") print i } exit }' "$T/raw")
	gtot=$(awk -v c="$col" '/^Samples:/{ on = 1; getline; next } /^Locations/{ on = 0 } on && /:/{ split($0, a, ":"); split(a[1], v, " "); s += v[c] } END { printf "%.0f", s }' "$T/raw")
	[ "$gtot" = "$want" ] && ok "$ev: go tool pprof -raw total $gtot" ||
		fail "$ev: go tool pprof -raw total $gtot, collapse $want"
	$GO tool pprof -sample_index="$type" -top -nodecount=1 "$T/$f.pb.gz" >"$T/top" 2>"$T/goerr" ||
		{ fail "$ev: go tool pprof -top: $(cat "$T/goerr")"; return 0; }
	gtop=$(tail -1 "$T/top" | awk '{ print $NF }')
	if [ -z "$ties" ]; then
		[ "$gtop" = "$top" ] && ok "$ev: go tool pprof -top: $gtop first, as in report" ||
			fail "$ev: go tool pprof -top: '$gtop' first, report '$top' ($(cat "$T/top"))"
	fi
}
check cpu threads samples 1
check cpu threads cpu 2004008
check wall threads wall 2004008
check alloc allocs alloc_space 1
check alloc-count allocs alloc_objects 1
check live allocs inuse_space 1
check live-count allocs inuse_objects 1

# Frame metadata (tests/progs/threads is built with -g): the program's mapping with its
# build-id, locations with source lines, and cpu_ns() inlined into spin_until() as two lines of
# one location.
$D "$T/threads.pb.gz" --lines >"$T/threads.lines" 2>&1 || fail "threads: --lines: $(cat "$T/threads.lines")"
bid=$(readelf -n "$B/tests/progs/threads" 2>/dev/null | awk '/Build ID:/ { print $3 }')
if [ -n "$bid" ]; then
	grep -q "^mapping .*/tests/progs/threads $bid\$" "$T/threads.lines" &&
		ok "threads: the program's mapping with its build-id" ||
		fail "threads: no mapping with build-id $bid: $(grep '^mapping' "$T/threads.lines")"
else
	echo "note: readelf is missing: the build-id of the mapping is not compared"
fi
grep -q '^line spin_until .*tests/progs/threads\.c:[0-9][0-9]*$' "$T/threads.lines" &&
	grep -q '^line worker .*tests/progs/threads\.c:[0-9][0-9]*$' "$T/threads.lines" &&
	ok "threads: source lines of spin_until and worker" ||
	fail "threads: source lines: $(cat "$T/threads.lines")"
grep -q '^inline cpu_ns .*tests/progs/threads\.c:[0-9][0-9]*$' "$T/threads.lines" &&
	ok "threads: cpu_ns inlined into spin_until, one location" ||
	fail "threads: inline lines: $(cat "$T/threads.lines")"
if [ -n "$GO" ]; then
	$GO tool pprof -raw "$T/threads.pb.gz" >"$T/raw" 2>"$T/goerr" &&
		grep -q "^ *[0-9]*: 0x[0-9a-f]* M=[0-9]* spin_until .*tests/progs/threads\.c:[0-9]" "$T/raw" &&
		awk '/^Mappings/ { on = 1 } on' "$T/raw" | grep -q "/tests/progs/threads $bid" &&
		grep -A1 ' cpu_ns .*threads\.c:' "$T/raw" | grep -q '^  *spin_until .*threads\.c:' &&
		ok "go tool pprof -raw: addresses, mappings, build-id, file:line, inline frames" ||
		fail "go tool pprof -raw: $(cat "$T/goerr" "$T/raw")"
	$GO tool pprof -lines -top -nodecount=3 "$T/threads.pb.gz" >"$T/top" 2>"$T/goerr" &&
		grep -q 'spin_until .*tests/progs/threads\.c:[0-9]' "$T/top" &&
		ok "go tool pprof -lines: spin_until by file:line" ||
		fail "go tool pprof -lines: $(cat "$T/goerr" "$T/top")"
fi

# Functions: the line their declaration starts at (DW_AT_decl_line; an inlined function's
# too) and, for C++, the mangled symbol as system name; mapping 1 is the program (pprof's
# main binary), even when the first stack met ends in libc (the main thread's wall samples
# wait in pthread_join).
line_of() { grep -n "$1" "$S/tests/progs/$2" | head -n 1 | cut -d: -f1; }
grep -q "^function spin_until | spin_until | $(line_of '^__attribute__((noinline)) void spin_until' threads.c)\$" "$T/threads.lines" &&
	grep -q "^function cpu_ns | cpu_ns | $(line_of '^static unsigned long long cpu_ns' threads.c)\$" "$T/threads.lines" &&
	ok "threads: start lines of spin_until and of the inlined cpu_ns" ||
	fail "threads: start lines: $(grep '^function' "$T/threads.lines")"
"$I" record -q -o "$T/cxx.ifl" -- "$B/tests/progs/cxxhot" 0.3 2>"$T/rec.err" || fail "record cxxhot: $(cat "$T/rec.err")"
"$I" pprof "$T/cxx.ifl" -o "$T/cxx.pb.gz" 2>"$T/err" && $D "$T/cxx.pb.gz" --lines >"$T/cxx.lines" 2>&1 ||
	fail "pprof cxxhot: $(cat "$T/err" "$T/cxx.lines")"
mixl=$(line_of 'double mix(double x, int n)' cxxhot.cc)
runl=$(line_of '^double Burner::run' cxxhot.cc)
grep -q "^function hot::mix(double, int) | _ZN3hot3mixEdi | $mixl\$" "$T/cxx.lines" &&
	grep -q "^function hot::Burner::run(double) | _ZN3hot6Burner3runEd | $runl\$" "$T/cxx.lines" &&
	ok "cxxhot: demangled names with their mangled system names and start lines" ||
	fail "cxxhot: functions: $(grep '^function' "$T/cxx.lines")"
"$I" pprof --event wall "$T/threads.ifl" -o "$T/wall.pb.gz" 2>"$T/err" && $D "$T/wall.pb.gz" --lines >"$T/wall.lines" 2>&1 &&
	grep '^mapping' "$T/wall.lines" | head -n 1 | grep -q "/tests/progs/threads " &&
	ok "wall: mapping 1 is the program" || fail "wall: first mapping: $(cat "$T/err"; grep '^mapping' "$T/wall.lines")"
if [ -n "$GO" ]; then
	$GO tool pprof -raw "$T/cxx.pb.gz" >"$T/raw" 2>"$T/goerr" &&
		grep -q " hot::mix(double, int) .*cxxhot\.cc:[0-9]* s=$mixl(_ZN3hot3mixEdi)\$" "$T/raw" &&
		ok "go tool pprof -raw: start line and system name of hot::mix" ||
		fail "go tool pprof -raw cxxhot: $(cat "$T/goerr" "$T/raw")"
	$GO tool pprof -top "$T/wall.pb.gz" >"$T/top" 2>"$T/goerr" &&
		grep -q '^File: threads$' "$T/top" && { [ -z "$bid" ] || grep -q "^Build ID: $bid\$" "$T/top"; } &&
		ok "go tool pprof -top: the main binary is the program" ||
		fail "go tool pprof -top wall: $(cat "$T/goerr" "$T/top")"
fi

# --event keeps that event's types only.
"$I" pprof --event wall "$T/threads.ifl" -o "$T/w.pb.gz" && $D "$T/w.pb.gz" >"$T/w.dec" &&
	[ "$(grep -c '/' "$T/w.dec")" = 2 ] && grep -q '^wall/nanoseconds ' "$T/w.dec" &&
	ok "--event wall: wall only" || fail "--event wall: $(cat "$T/w.dec")"
"$I" pprof --event cpu --tid=999999 "$T/threads.ifl" -o "$T/x.pb.gz" 2>"$T/err"
[ $? = 1 ] && [ ! -e "$T/x.pb.gz" ] && grep -q "no cpu samples of thread 999999" "$T/err" &&
	ok "a filter that keeps nothing: refused, no file" || fail "empty filter: $(cat "$T/err")"

# Hostile names: invalid UTF-8, control characters, quotes and markup, a long name, Unicode.
long=$(head -c 3000 /dev/zero | tr '\0' 'x')
printf 'main;bad\377\376utf8 5\nmain;ctl\001\033[31mred 7\nmain;"q"<tag>&amp;\\ 3\nmain;%s 2\nmain;h\303\251llo\342\202\254 4\nmain;over\300\257long 1\n' \
	"$long" >"$T/hostile.folded"
"$I" pprof "$T/hostile.folded" -o "$T/h.pb.gz" 2>"$T/err" || fail "pprof hostile: $(cat "$T/err")"
$D "$T/h.pb.gz" --self 10 >"$T/h.dec" 2>&1 && ok "hostile names: decoded, valid UTF-8" ||
	fail "hostile names: $(cat "$T/h.dec")"
grep -q '^samples/count 22$' "$T/h.dec" && grep -q '^function héllo€ 4$' "$T/h.dec" &&
	grep -q '^function bad??utf8 5$' "$T/h.dec" && grep -q '^function over??long 1$' "$T/h.dec" &&
	grep -q "^function x\{3000\} 2\$" "$T/h.dec" && ok "hostile names: kept or replaced by ?" ||
	fail "hostile names: $(cut -c1-100 "$T/h.dec")"
if [ -n "$GO" ]; then
	$GO tool pprof -top "$T/h.pb.gz" >"$T/top" 2>"$T/goerr" && grep -q 'héllo€' "$T/top" &&
		ok "hostile names: go tool pprof reads them" || fail "hostile: go: $(cat "$T/goerr")"
fi

# Several inputs: one profile.
"$I" pprof "$T/threads.ifl" "$T/allocs.ifl" -o "$T/both.pb.gz" 2>"$T/err" && $D "$T/both.pb.gz" >"$T/both.dec" &&
	[ "$(grep -c '^label pid' "$T/both.dec")" = 1 ] && [ "$(grep '^label pid' "$T/both.dec" | tr ',' '\n' | wc -l)" = 2 ] &&
	ok "two dumps: one profile, two pids" || fail "two dumps: $(cat "$T/err" "$T/both.dec")"

if [ $fails -gt 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all passed"
