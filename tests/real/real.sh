#!/bin/sh
# Real programs from Debian's packages, profiled unchanged (`make check-real`; `make check`
# runs the fast subset). Usage: real.sh [fast|full]
#
# For each workload (xz, zstd, gzip, python3, sqlite3, a shell pipeline that forks and execs)
# it runs the command plainly and under `inflame record -e cpu,wall,alloc` at the default
# settings, and checks:
#   - standard output, standard error and exit status are identical (inflame keeps its notices
#     in the dump unless INFLAME_LOG asks for them; one workload makes a notice on purpose);
#   - every dump is readable, complete, and reports no drops;
#   - the coverage of its threads (samples' CPU against measured CPU, from `inflame info`) is
#     reported, and must reach COVMIN% for every thread with 0.1 s of CPU or more (0 but for
#     the threaded compression run of full mode, which needs 95%);
#   - processes killed as they start their dump file leave a readable one, never an empty one;
#   - there is a dump for every program image (execve counted by strace on a plain run,
#     skipped with a message when strace is missing);
#   - the hottest functions agree with `perf record` on the same command (the top one of each
#     is among the top five of the other; skipped with a message when perf cannot run).
# In full mode it also reports stack quality per unwinder: the share of cpu samples whose stack
# reaches the program's start (main, _start, __libc_start_main, __libc_start_call_main) or a
# thread's (start_thread, clone3, clone).
# Full mode adds perl, gdb debugging a program, node with its JIT perf map (JS frames must be
# named), gcc, make -j2 of a small tree, python3 run by the user nobody (the unprivileged path,
# when run as root), and the outputs of one dump: pprof (read back by `go tool pprof` when go
# is installed), speedscope JSON (every frame index in range) and the html page.
# Missing programs are skipped with a message. Exit status 0 = pass, 77 = nothing ran, 1 = fail.
set -u
B=${INFLAME_BUILDDIR:-.}
# Real programs are profiled as users run them: `make check` turns the shared file off for the
# tests that expect a file per process, not for these.
unset INFLAME_SHARED_FILE
MODE=${1:-full}
INFLAME="$B/inflame"
work=$(mktemp -d /tmp/inflame-real.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
failed=0
ran=0
say() { printf '%s\n' "$*"; }
fail() { say "FAIL: $*"; failed=1; }

# Inputs: compressible text and incompressible bytes, the same for every run.
seq 1 400000 > "$work/text"
head -c 3000000 /dev/urandom > "$work/rand"
cat "$work/text" "$work/rand" > "$work/mixed"
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3 || true)

perf_ok=0
if command -v perf >/dev/null 2>&1 && perf record -q -o "$work/probe.data" -- true \
	>/dev/null 2>&1; then
	perf_ok=1
else
	say "note: perf cannot run here; hottest-function comparison skipped"
fi
command -v strace >/dev/null 2>&1 || say "note: strace missing; dump-per-image count skipped"

# Normalizes a frame name: "[liblzma.so.5+0x15a50]" and perf's "liblzma.so.5.4.1 0x...15a50"
# both become "liblzma.so+0x15a50"; symbol versions are dropped.
# Offsets keep their last five hex digits: inflame counts them from the load address (for a
# non-PIE executable, the address itself), perf from the file, and the two differ by the
# segment's placement, a multiple of 0x100000 (0x400000 for python3.11).
norm_inflame() {
	sed -e 's/^\[\(.*\.so\)[.0-9]*+\(0x[0-9a-f]*\)\]$/\1+\2/' \
		-e 's/^\[\([^]+]*\)+\(0x[0-9a-f]*\)\]$/\1+\2/' -e 's/@.*//' |
		norm_offset
}
norm_offset() {
	sed -e 's/+0x[0-9a-f]*\([0-9a-f]\{5\}\)$/+0x\1/'
}
# inflame's top N self functions of the dumps given.
top_inflame() {
	n=$1
	shift
	# (perf's list has the program's functions only: not inflame's kernel pseudo-frame)
	"$INFLAME" report --event cpu -n "$((n + 1))" "$@" 2>/dev/null |
		awk -v n="$n" 'NR > 2 && $2 > 0 && !/\[kernel, caller unknown\]/ && c < n { print $5; c++ }' |
		norm_inflame
}
# h(x): the value of hex x ("0x" optional), for awks without strtonum.
hexfn='function h(x,  i, n) { sub(/^0x/, "", x); n = 0
	for (i = 1; i <= length(x); i++) n = n * 16 + index("0123456789abcdef", tolower(substr(x, i, 1))) - 1
	return n }'
# fn_starts FILE: for each file offset of FILE read on standard input (hex, no 0x), "OFFSET
# START": the start of the function holding it, as a link-time address in hex (the offset
# itself when no unwind entry holds it, or without readelf). inflame names a stripped function
# "[module+0xstart]" (the start from its unwind entry); perf names each address apart. One
# readelf per file, whatever the number of addresses.
fn_starts() {
	if ! command -v readelf >/dev/null 2>&1; then
		awk '{ print $1, $1 }'
		return
	fi
	{
		readelf -lW "$1" 2>/dev/null | awk '$1 == "LOAD" { print "L", $2, $3, $5 }'
		readelf --debug-dump=frames "$1" 2>/dev/null |
			awk '/ FDE / { split($NF, r, /[=.]+/); print "F", r[2], r[3] }'
		echo "-"
		cat
	} | awk "$hexfn"'
		$1 == "L" { nl++; lo[nl] = h($2); lv[nl] = h($3); ls[nl] = h($4); next }
		$1 == "F" { nf++; fs[nf] = h($2); fe[nf] = h($3); fn[nf] = $2; next }
		$1 == "-" { body = 1; next }
		body {
			o = h($1); v = o
			for (i = 1; i <= nl; i++)
				if (lo[i] <= o && o < lo[i] + ls[i]) { v = o - lo[i] + lv[i]; break }
			s = $1
			for (i = 1; i <= nf; i++)
				if (fs[i] <= v && v < fe[i]) { s = fn[i]; sub(/^0+/, "", s); break }
			print $1, s
		}'
}
# top_perf N DATA: perf's top N user functions of DATA, its rows of one function summed first
# (perf gives each unnamed address a row of its own: a stripped function hot in many places
# came out as many small rows, none in the top N).
top_perf() {
	perf buildid-list -i "$2" --with-hits 2>/dev/null | awk '{ print $2 }' > "$2.paths"
	perf report -i "$2" --stdio --no-children --sort dso,sym -q -g none 2>/dev/null |
		awk 'NF >= 4 && $3 == "[.]" { p = $1; sub(/%$/, "", p); s = $0
			sub(/^[^[]*\[\.\] /, "", s); print p, $2, s }' > "$2.rows"
	: > "$2.starts"
	awk '$3 ~ /^0x/ { print $2 }' "$2.rows" | sort -u | while read -r dso; do
		path=$(grep -m1 "/$dso\$" "$2.paths")
		[ -n "$path" ] || continue
		awk -v d="$dso" '$2 == d && $3 ~ /^0x/ { o = substr($3, 3); sub(/^0+/, "", o); print o }' \
			"$2.rows" | sort -u | fn_starts "$path" | sed "s|^|$dso |" >> "$2.starts"
	done
	# (the starts by FILENAME: with no unnamed row the starts file is empty, and NR == FNR would
	# take the rows for starts)
	awk 'FILENAME == ARGV[1] { st[$1 " " $2] = $3; next }
		{ p = $1; d = $2; s = $3
		  for (i = 4; i <= NF; i++) s = s " " $i
		  if (s ~ /^0x/) { o = substr(s, 3); sub(/^0+/, "", o)
			s = d "+0x" ((d " " o) in st ? st[d " " o] : o) }
		  sum[s] += p }
		END { for (s in sum) printf "%.4f %s\n", sum[s], s }' "$2.starts" "$2.rows" |
		sort -k1,1 -rn | head -n "$1" | cut -d" " -f2- |
		sed -e 's/^\([^+]*\.so\)[.0-9]*+/\1+/' -e 's/@.*//' | norm_offset
}

# quality FOLDED: "good total" samples reaching a start routine near the root (or the kernel
# pseudo-frame alone, a whole stack).
quality() {
	awk '{ c = $NF; sub(/ [0-9]+$/, ""); n = split($0, f, ";"); ok = $0 == "[kernel, caller unknown]"
		for (i = 1; i <= n && i <= 4; i++) {
			x = f[i]; sub(/@.*/, "", x)
			if (x == "main" || x == "_start" || x == "__libc_start_main" ||
			    x == "__libc_start_call_main" || x == "start_thread" || x == "clone3" ||
			    x == "__clone3" || x == "clone" || x == "__clone") ok = 1 }
		tot += c; if (ok) good += c }
		END { printf "%d %d\n", good, tot }' "$1"
}

# coverage INFO-FILES...: "min n", the lowest coverage (percent) among the threads with at
# least 0.1 s of CPU whose samples are mostly the program's (as for info's warning), and how
# many there are.
coverage() {
	awk 'match($0, /user [0-9.]+ s, sys [0-9.]+ s, samples [0-9.]+ s, [0-9.]+%/) {
		split(substr($0, RSTART, RLENGTH), f, /[ ,%]+/)
		own = 0
		if (match($0, /\([0-9.]+ s of it in inflame\)/))
			own = substr($0, RSTART + 1, RLENGTH - 1) + 0
		if (f[2] + f[5] < 0.1 || 2 * own > f[8]) next
		n++; if (n == 1 || f[10] < min) min = f[10] }
		END { printf "%s %d\n", n ? min : 100, n }' "$@"
}

# check_info NAME FILE INFO: the dumps `inflame info` read in FILE are complete and dropped
# nothing. A shared file (`inflame record`'s default, INFLAME_SHARED_FILE) holds the dumps of
# several short images, a block each, and the placeholders of images that went on in files of
# their own; one that holds only those says it has no dump of its own.
check_info() {
	if grep -q '^status: *no dump of its own' "$3"; then
		grep -q '^pid:' "$3" && fail "$1: $2 has dumps but says it has none"
		return
	fi
	grep -q '^pid:' "$3" || fail "$1: $2 holds no dump"
	grep '^status:' "$3" | grep -qv '^status: *complete' &&
		fail "$1: $2 not complete: $(grep '^status:' "$3" | grep -v 'complete' | head -1)"
	grep '^drops:' "$3" | grep -qv '^drops: *ring 0, stack table 0, threads 0' &&
		fail "$1: $2: $(grep '^drops:' "$3" | grep -v 'ring 0, stack table 0, threads 0' | head -1)"
	[ "$(grep -c '^status:' "$3")" = "$(grep -c '^pid:' "$3")" ] ||
		fail "$1: $2: $(grep -c '^pid:' "$3") dumps but $(grep -c '^status:' "$3") status lines"
}

# run NAME HOT COMMAND: HOT=1 for a cpu-bound workload (perf comparison, quality).
run() {
	name=$1 hot=$2 cmd=$3
	d="$work/$name"
	mkdir -p "$d/dumps"
	ran=$((ran + 1))
	(cd "$work" && sh -c "$cmd" > "$d/plain.out" 2> "$d/plain.err")
	plain_rc=$?
	(cd "$work" && "$INFLAME" record -q -e cpu,wall,alloc -o "$d/dumps/p.%p.ifl" -- \
		sh -c "$cmd" > "$d/prof.out" 2> "$d/prof.err")
	prof_rc=$?
	[ "$plain_rc" = "$prof_rc" ] || fail "$name: exit status $prof_rc profiled, $plain_rc plain"
	cmp -s "$d/plain.out" "$d/prof.out" || fail "$name: standard output differs"
	cmp -s "$d/plain.err" "$d/prof.err" ||
		fail "$name: standard error differs: $(diff "$d/plain.err" "$d/prof.err" | head -5 | tr '\n' ' ')"
	ndumps=0
	: > "$d/infos"
	for f in "$d"/dumps/p.*; do
		[ -e "$f" ] || continue
		if ! "$INFLAME" info "$f" > "$d/info" 2>&1; then
			fail "$name: $f unreadable: $(head -1 "$d/info")"
			continue
		fi
		cat "$d/info" >> "$d/infos"
		check_info "$name" "$f" "$d/info"
		ndumps=$((ndumps + $(grep -c '^pid:' "$d/info")))
	done
	[ "$ndumps" -gt 0 ] || fail "$name: no dump"
	set -- $(coverage "$d/infos")
	covmsg="coverage $1% or more ($2 threads with 0.1 s of CPU)"
	awk -v c="$1" -v m="${COVMIN:-0}" 'BEGIN { exit !(c < m) }' &&
		fail "$name: a thread's coverage is $1%, under ${COVMIN:-0}%: $(grep -h '^warning:' "$d/infos" | head -1)"
	if command -v strace >/dev/null 2>&1; then
		(cd "$work" && strace -f -qq -e trace=execve -o "$d/strace" sh -c "$cmd" \
			> /dev/null 2>&1)
		images=$(grep -c 'execve(.*) = 0' "$d/strace")
		[ "$ndumps" -ge "$images" ] ||
			fail "$name: $ndumps dumps for $images program images"
	fi
	msg="$name: same output, errors and status, $ndumps readable dumps, no drops, $covmsg"
	if [ "$hot" = 1 ] && [ "$perf_ok" = 1 ]; then
		(cd "$work" && perf record -q -F 999 -o "$d/perf.data" -- sh -c "$cmd" \
			> /dev/null 2>&1)
		top_inflame 5 "$d"/dumps/p.* > "$d/itop"
		top_perf 5 "$d/perf.data" > "$d/ptop"
		i1=$(head -1 "$d/itop") p1=$(head -1 "$d/ptop")
		if grep -qxF "$p1" "$d/itop" && grep -qxF "$i1" "$d/ptop"; then
			msg="$msg, hottest agrees with perf ($i1 / $p1)"
		else
			fail "$name: hottest functions differ: inflame $(tr '\n' ' ' < "$d/itop")/ perf $(tr '\n' ' ' < "$d/ptop")"
		fi
	fi
	if [ "$hot" = 1 ]; then
		# One root per thread: every stack ends at _start (main threads) or clone3 (others),
		# whichever unwinder walked its leaf; or is the kernel pseudo-frame alone (system
		# time a sample found behind it, its caller unknown).
		"$INFLAME" collapse --event cpu "$d"/dumps/p.* 2> /dev/null |
			awk '{ c = $NF; t += c; split($0, f, ";")
				if (f[1] == "_start" || f[1] == "clone3" || $0 ~ /^\[kernel, caller unknown\] [0-9]+$/) g += c }
				END { printf "%d %d\n", g, t }' > "$d/roots"
		set -- $(cat "$d/roots")
		if [ "${2:-0}" -gt 0 ] && [ $(($1 * 100)) -lt $(($2 * 98)) ]; then
			fail "$name: only $1 of $2 cpu samples end at _start or clone3"
		else
			msg="$msg, roots ${1:-0}/${2:-0} at _start or clone3"
		fi
	fi
	say "$msg"
	if [ "$hot" = 1 ] && [ "$MODE" = full ]; then
		line="$name quality:"
		for u in fp dwarf auto; do
			rm -f "$d"/q.*
			(cd "$work" && "$INFLAME" record -q --unwind "$u" -o "$d/q.%p.ifl" -- \
				sh -c "$cmd" > /dev/null 2>&1)
			"$INFLAME" collapse "$d"/q.* > "$d/q.folded" 2> /dev/null
			set -- $(quality "$d/q.folded")
			line="$line $u $(awk -v g="$1" -v t="$2" 'BEGIN { printf "%.1f%%", t ? 100 * g / t : 0 }') ($1/$2)"
		done
		say "$line"
	fi
}

# outputs DIR: the dumps in DIR become a pprof profile (read back by go tool pprof when go is
# installed), speedscope JSON (parsed; every sample's frames in range) and an html page.
outputs() {
	o="$work/outputs"
	mkdir -p "$o"
	ran=$((ran + 1))
	msg="outputs:"
	if "$INFLAME" pprof "$1"/p.* > "$o/p.pb.gz" 2> "$o/err"; then
		if command -v go >/dev/null 2>&1; then
			if HOME=$o GOCACHE=$o/gocache go tool pprof -top "$o/p.pb.gz" \
				> "$o/top" 2>&1 && grep -q 'flat%' "$o/top"; then
				msg="$msg pprof read by go tool pprof,"
			else
				fail "outputs: go tool pprof cannot read the profile: $(head -2 "$o/top" | tr '\n' ' ')"
			fi
		else
			msg="$msg pprof written (go missing),"
		fi
	else
		fail "outputs: inflame pprof failed: $(head -1 "$o/err")"
	fi
	if "$INFLAME" speedscope -o "$o/s.json" "$1"/p.* 2> "$o/err"; then
		if [ -n "$py" ] && ! "$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
n = len(d["shared"]["frames"])
assert d["profiles"], "no profiles"
for p in d["profiles"]:
    assert len(p["samples"]) == len(p["weights"]), "samples and weights differ in length"
    assert all(0 <= i < n for s in p["samples"] for i in s), "frame index out of range"' \
			"$o/s.json" 2> "$o/err"; then
			fail "outputs: speedscope JSON invalid: $(tail -1 "$o/err")"
		else
			msg="$msg speedscope JSON valid,"
		fi
	else
		fail "outputs: inflame speedscope failed: $(head -1 "$o/err")"
	fi
	if "$INFLAME" html -o "$o/p.html" "$1"/p.* 2> "$o/err" &&
		grep -q 'id="inflame-data"' "$o/p.html"; then
		say "$msg html written"
	else
		fail "outputs: inflame html failed: $(head -1 "$o/err")"
	fi
}

# nobody: as the user nobody (when run as root), python3 under `inflame record` gives the
# plain run's output and a complete dump with no drops and its thread's coverage reported.
nobody() {
	if [ "$(id -u)" != 0 ] || ! command -v runuser >/dev/null 2>&1 ||
		! runuser -u nobody -- test -x "$INFLAME" 2>/dev/null; then
		say "skip: nobody (needs root, runuser and a build tree nobody can read)"
		return
	fi
	d="$work/nobody"
	mkdir -p "$d"
	chmod 711 "$work" # mktemp made it private: nobody may pass through it
	chmod 777 "$d"
	ran=$((ran + 1))
	c="$py -c 'print(sum(i * i % 7 for i in range(3000000)))'"
	(cd "$d" && runuser -u nobody -- sh -c "$c" > "$d/plain.out" 2> "$d/plain.err")
	plain_rc=$?
	(cd "$d" && runuser -u nobody -- "$INFLAME" record -q -o "$d/p.%p.ifl" -- sh -c "$c" \
		> "$d/prof.out" 2> "$d/prof.err")
	prof_rc=$?
	[ "$plain_rc" = "$prof_rc" ] || fail "nobody: exit status $prof_rc profiled, $plain_rc plain"
	cmp -s "$d/plain.out" "$d/prof.out" || fail "nobody: standard output differs"
	cmp -s "$d/plain.err" "$d/prof.err" || fail "nobody: standard error differs"
	: > "$d/infos"
	for f in "$d"/p.*; do
		[ -e "$f" ] || { fail "nobody: no dump"; return; }
		"$INFLAME" info "$f" > "$d/info" 2>&1 || fail "nobody: $f unreadable"
		cat "$d/info" >> "$d/infos"
		check_info nobody "$f" "$d/info"
	done
	set -- $(coverage "$d/infos")
	awk -v c="$1" 'BEGIN { exit !(c < 90) }' && fail "nobody: coverage $1%"
	say "nobody: same output and status, complete dumps, no drops, coverage $1% or more ($2 threads)"
}

have() { command -v "$1" >/dev/null 2>&1 || { say "skip: $1 not installed"; return 1; }; }

now() { date +%s.%N; }
# behave NAME SECONDS COMMAND: a program whose timing and signals must not change. Runs it
# plainly and under `inflame record` with wall, cpu and all events: the same output and exit
# status, and an elapsed time not shorter than SECONDS (what the command asks for), and not
# much longer (start-up and the last dump cost each process some milliseconds, and this machine
# is shared: twice the plain run's plus a second).
behave() {
	name=$1 want=$2 cmd=$3
	d="$work/$name"
	mkdir -p "$d"
	ran=$((ran + 1))
	t0=$(now)
	(cd "$work" && sh -c "$cmd" > "$d/plain.out" 2> "$d/plain.err")
	plain_rc=$?
	plain_t=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
	msg="$name: plain ${plain_t}s"
	for ev in wall cpu cpu,wall,alloc; do
		rm -rf "$d/dumps"
		mkdir -p "$d/dumps"
		t0=$(now)
		(cd "$work" && "$INFLAME" record -q -e "$ev" -o "$d/dumps/p.%p.ifl" -- \
			sh -c "$cmd" > "$d/prof.out" 2> "$d/prof.err")
		prof_rc=$?
		prof_t=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
		[ "$plain_rc" = "$prof_rc" ] ||
			fail "$name ($ev): exit status $prof_rc profiled, $plain_rc plain"
		cmp -s "$d/plain.out" "$d/prof.out" ||
			fail "$name ($ev): standard output differs: $(head -c 200 "$d/prof.out")"
		cmp -s "$d/plain.err" "$d/prof.err" ||
			fail "$name ($ev): standard error differs: $(diff "$d/plain.err" "$d/prof.err" | head -5 | tr '\n' ' ')"
		awk -v p="$plain_t" -v q="$prof_t" -v w="$want" \
			'BEGIN { exit !(q >= w && p >= w && q <= p * 2 + 1) }' ||
			fail "$name ($ev): took ${prof_t}s profiled, ${plain_t}s plain (asked ${want}s)"
		msg="$msg, $ev ${prof_t}s"
	done
	say "$msg"
}

if have xz; then run xz 1 'xz -T1 -6 -c mixed'; fi
if have gzip && have sort; then
	run pipeline 0 'seq 1 200000 | gzip -c | gzip -dc | sort -r | md5sum; sh -c "echo child; exit 3"; echo $?'
fi
# Sleeps and signal waits: inflame's signals must not cut a sleep short or reach a thread that
# waits for any signal.
behave shell-sleeps 0.9 'for i in 1 2 3; do sleep 0.3; done; echo slept'
if have perl; then
	# (Time::HiRes's clock where perl has it: with whole seconds, a start just before a second
	# ends and a sleep that overran it by a few ms ended the loop after one sleep, plain or not)
	behave perl-sleep 2 'perl -e '\''my $now = eval { require Time::HiRes; \&Time::HiRes::time } || sub { time }; my ($n, $t) = (0, $now->()); while ($now->() - $t < 2) { sleep 1; $n++ } print $n <= 3 ? "few\n" : "many: $n\n"; select(undef, undef, undef, 0.25) for 1 .. 2; print "ok\n"'\'''
fi
if [ -n "$py" ]; then
	behave python-sigwait 0.6 "$py -c 'import os, signal, threading, time
signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
def work():
    t0 = time.time()
    while time.time() - t0 < 0.6:
        pass
    os.kill(os.getpid(), signal.SIGTERM)
threading.Thread(target=work).start()
print(\"shutting down on\", signal.Signals(signal.sigwait(signal.valid_signals())).name)'"
fi
# Processes killed as they start their dump (a multiprocessing pool's workers told to terminate,
# here ten python3 children killed as soon as their file shows up): each file must read as a
# dump, never be empty (an empty one made `inflame collapse` of the whole run fail: 8 of 10
# children left one before dump files were created with their header in them).
if [ -n "$py" ]; then
	d="$work/killed"
	mkdir -p "$d"
	ran=$((ran + 1))
	"$INFLAME" record -q -o "$d/p.%p.ifl" -- "$py" -c 'import decimal, hashlib, json, os, signal, sqlite3, ssl, sys, time
for i in range(10):
    p = os.fork()
    if p == 0:
        while True:
            pass
    f, t = "%s/p.%d.ifl" % (sys.argv[1], p), time.time()
    while not os.path.exists(f) and time.time() - t < 10:
        pass
    os.kill(p, signal.SIGKILL)
    os.waitpid(p, 0)' "$d" > "$d/out" 2>&1 || fail "killed: python3 failed: $(head -3 "$d/out")"
	n=0
	for f in "$d"/p.*; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		"$INFLAME" info "$f" > /dev/null 2>&1 || fail "killed: $f unreadable ($(wc -c < "$f") bytes)"
	done
	"$INFLAME" collapse "$d"/p.* > /dev/null 2> "$d/err" ||
		fail "killed: inflame collapse of the run fails: $(head -1 "$d/err")"
	[ "$n" -ge 11 ] || fail "killed: $n dumps for 11 processes"
	say "killed: $n readable dumps of 11 processes, ten of them killed as they started one"
fi
# Programs that write to standard error, one of them (python3 with a SIGPROF handler of its own)
# making inflame take a notice: the stderr of each is the same as unprofiled.
if have sort && [ -n "$py" ]; then
	run stderr 0 "sort -rn text | md5sum; sort no-such-file; $py -c 'import signal, sys
signal.signal(signal.SIGPROF, lambda *a: None)
print(\"python3: to stderr\", file=sys.stderr)
sys.exit(sum(range(300000)) % 7)'"
	for f in "$work"/stderr/dumps/p.*; do "$INFLAME" info "$f"; done 2>&1 |
		grep -q 'installed a handler for SIGPROF' ||
		fail "stderr: python3's notice is not in its dump"
fi
if [ "$MODE" = full ]; then
	if have zstd; then run zstd 1 'zstd -q -T1 -15 -c mixed'; fi
	# Threads that a library starts with every signal blocked must be sampled all the same.
	if have xz; then COVMIN=95 run xz-T2 0 'exec xz -T2 -6 -c mixed mixed mixed'; fi
	if have gzip; then run gzip 1 'gzip -9 -c mixed'; fi
	if [ -n "$py" ]; then
		run python3 1 "$py -c 'import hashlib,json
d = {str(i): [i * j % 97 for j in range(40)] for i in range(40000)}
s = json.dumps(d, sort_keys=True)
print(hashlib.sha256(s.encode()).hexdigest(), sum(len(v) for v in json.loads(s).values()))'"
	else
		say "skip: python3 not installed"
	fi
	if have sqlite3; then
		run sqlite3 1 "sqlite3 :memory: 'CREATE TABLE t(a, b); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 300000) INSERT INTO t SELECT x, x * 7919 % 1000 FROM c; CREATE INDEX i ON t(b); SELECT b, count(*), sum(a) FROM t GROUP BY b ORDER BY 3 DESC LIMIT 3;'"
	fi
	if have perl; then
		run perl 1 "perl -e 'my (\$s, %h) = (0); for my \$i (1 .. 1500000) { \$s += \$i % 7; \$h{\$i % 1000} .= \"x\" if \$i % 3 == 0 } print \"\$s \", length(\$h{5}), \"\\n\"'"
	fi
	# gdb running a program to a breakpoint: gdb's SIGCHLD handler wakes its event loop, and
	# must run under inflame though gdb resets SIGCHLD in the vfork child it starts (it hung:
	# tests/vfork_signals_test.sh). timeout ends a hung run.
	if have gdb && have gcc && have timeout; then
		printf 'static double work(int n) { double s = 0; for (int i = 1; i < n; i++) s += 1.0 / i; return s; }\nint main(void) { return work(3000000) > 100; }\n' >"$work/dbg.c"
		gcc -g -O1 -o "$work/dbg" "$work/dbg.c"
		run gdb 0 'timeout -s KILL 60 gdb -nx -batch -ex "break work" -ex run -ex bt -ex continue ./dbg 2>&1 | sed -e "s/process [0-9]*/process N/" -e "s/0x[0-9a-f]*/ADDR/g" | grep -v "^warning: Error disabling address space"; echo gdb status $?'
	fi
	# node writes /tmp/perf-PID.map (--perf-basic-prof): inflame names its JIT code from it. (fib(31):
	# with fib(27) node's start-up outweighed fib, which had 3-5 of ~70 samples, not always in the top 5.)
	if have node; then
		cat > "$work/fib.js" <<'EOF'
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
let s = 0;
for (let i = 0; i < 3; i++) s += fib(31);
console.log(s);
EOF
		run node 0 'node --perf-basic-prof fib.js & p=$!; wait $p; r=$?; rm -f /tmp/perf-$p.map; exit $r'
		grep -q '^jit: *[1-9][0-9]* perf map entries' "$work/node/infos" ||
			fail "node: no perf map entries in the dump: $(grep -h '^jit' "$work/node/infos")"
		"$INFLAME" report --event cpu -n 5 "$work"/node/dumps/p.* 2>/dev/null |
			grep -q ' JS:[*~^]*fib ' || fail "node: fib is not among the hottest JS functions"
	fi
	if have gcc && have make; then
		mkdir -p "$work/tree"
		for i in 1 2 3 4 5 6; do
			printf '#include <stdio.h>\n#include <stdlib.h>\nstatic int c%d(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }\nint f%d(int *v, int n) { qsort(v, n, sizeof *v, c%d); printf("%%d\\n", v[0]); return v[n - 1]; }\n' \
				"$i" "$i" "$i" > "$work/tree/f$i.c"
		done
		printf 'OBJS = f1.o f2.o f3.o f4.o f5.o f6.o\nall: $(OBJS)\n%%.o: %%.c\n\tgcc -O2 -c $< -o $@\n' > "$work/tree/Makefile"
		run make 0 'rm -f tree/*.o; make -s -j2 -C tree; echo made $(ls tree/*.o | wc -l)'
	fi
	if [ -n "$py" ]; then
		outputs "$work/python3/dumps"
		nobody
	fi
fi
[ "$ran" -gt 0 ] || exit 77
exit $failed
