#!/bin/sh
# The command line contract of every `inflame` command (inflame(1), EXIT STATUS): options may
# follow the inputs and "--" ends them; a text that is not a profile, an empty input, a dump
# without the event asked for and a filter that keeps nothing are refused with exit status 1;
# an unknown option or a bad value with 2. Each refusal is exactly one line on stderr that
# starts with "inflame <command>: ", and leaves no output file behind.
set -u
B=${INFLAME_BUILDDIR:-.}
S=${INFLAME_SRCDIR:-.}
I="$(cd "$B" && pwd)/inflame"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# expect RC FIRST-WORDS-OF-STDERR -- COMMAND...: the exit status, exactly one line on stderr
# starting with the given text, and nothing in $T/out.d (where outputs are asked to go). The
# command runs with a file size limit of $FSIZE blocks when FSIZE is set.
FSIZE=
expect() {
	want_rc=$1
	want_err=$2
	shift 3
	rm -rf "$T/out.d"
	mkdir "$T/out.d"
	if [ -n "$FSIZE" ]; then
		(ulimit -f "$FSIZE" && exec "$I" "$@") >"$T/stdout" 2>"$T/stderr"
	else
		"$I" "$@" >"$T/stdout" 2>"$T/stderr"
	fi
	rc=$?
	lines=$(wc -l <"$T/stderr")
	left=$(ls -A "$T/out.d")
	case "$(cat "$T/stderr")" in
	"$want_err"*) msg_ok=1 ;;
	*) msg_ok=0 ;;
	esac
	if [ "$rc" = "$want_rc" ] && [ "$lines" = 1 ] && [ $msg_ok = 1 ] && [ -z "$left" ]; then
		ok "$* -> $rc: $(cat "$T/stderr")"
	else
		fail "$*: want $want_rc '$want_err...', got $rc, $lines line(s): $(cat "$T/stderr")${left:+; left behind: $left}"
	fi
}

# Inputs: folded stacks, a dump, and texts that are not profiles.
printf 'main;run;parse 10\nmain;run;eval 20\nmain;init 5\n' >"$T/a.folded"
cat >"$T/prose.txt" <<'X'
# Notes

The profiler writes one dump per process. Run it as
often as you like: each run takes about 2
seconds and costs nothing when it is off.

See inflame(1) for the options, version 0.1
X
cat >"$T/code.c" <<'X'
#include <stdio.h>

int main(void)
{
	int answer = 42;

	printf("%d\n", answer);
	return 0;
}
X
printf 'ftp\t\t21/tcp\nssh\t\t22/tcp\t\t\t# SSH Remote Login Protocol\ntelnet\t\t23/tcp\nsmtp\t\t25/tcp\t\tmail\ntime\t\t37/tcp\t\ttimserver 1\n' >"$T/services"
: >"$T/empty"
printf '\n  \n\n' >"$T/blank"
"$I" record -q -e cpu -o "$T/prof.ifl" -- /bin/true 2>"$T/rec.err"
[ -f "$T/prof.ifl" ] && ok "a dump to work on" || fail "a dump to work on: $(cat "$T/rec.err")"

for cmd in collapse flamegraph report pprof html speedscope; do
	# Where the output goes (report prints to standard output only).
	o="-o" x="$T/out.d/x"
	[ $cmd = report ] && o="--top" x=5
	# Options after the inputs, as GNU getopt permutes them.
	case $cmd in
	report) "$I" report "$T/a.folded" --top 1 >"$T/stdout" 2>"$T/stderr" &&
		[ "$(grep -c '%' "$T/stdout")" = 2 ] && ok "report INPUT --top 1" ||
		fail "report INPUT --top 1: $(cat "$T/stderr")" ;;
	pprof) rm -f "$T/o"
		"$I" pprof "$T/a.folded" -o "$T/o" --no-comm 2>"$T/stderr"
		[ -s "$T/o" ] && ok "pprof INPUT -o OUT" || fail "pprof INPUT -o OUT: $(cat "$T/stderr")" ;;
	*) rm -f "$T/o"
		case $cmd in
		collapse) extra=--keep-order ;;
		flamegraph) extra="--width 600" ;;
		*) extra= ;;
		esac
		"$I" $cmd "$T/a.folded" -o "$T/o" $extra 2>"$T/stderr"
		[ -s "$T/o" ] && ok "$cmd INPUT -o OUT" || fail "$cmd INPUT -o OUT: $(cat "$T/stderr")" ;;
	esac
	# Texts that are not profiles, named once with the reason.
	expect 1 "inflame $cmd: $T/prose.txt is not a profile: " -- $cmd $o "$x" "$T/prose.txt"
	expect 1 "inflame $cmd: $T/code.c is not a profile: line 3 is neither folded" -- \
		$cmd $o "$x" "$T/code.c"
	expect 1 "inflame $cmd: $T/services is not a profile: line 1 " -- $cmd $o "$x" "$T/services"
	# A profile followed by a text that is not one: nothing written.
	expect 1 "inflame $cmd: $T/code.c is not a profile" -- $cmd "$T/a.folded" "$T/code.c" $o "$x"
	# Empty inputs.
	expect 1 "inflame $cmd: $T/empty is empty" -- $cmd $o "$x" "$T/empty"
	expect 1 "inflame $cmd: $T/blank is empty" -- $cmd $o "$x" "$T/blank"
	expect 1 "inflame $cmd: standard input is empty" -- $cmd $o "$x" - </dev/null
	# A dump without the event asked for; a filter that keeps nothing.
	expect 1 "inflame $cmd: no alloc samples in $T/prof.ifl" -- $cmd --event alloc "$T/prof.ifl" $o "$x"
	expect 1 "inflame $cmd: no cpu samples of thread 99999 in $T/prof.ifl" -- \
		$cmd --event cpu --tid=99999 "$T/prof.ifl" $o "$x"
	expect 1 "inflame $cmd: cannot open $T/nothere: No such file" -- $cmd $o "$x" "$T/nothere"
	# Bad usage.
	expect 2 "inflame $cmd: unknown option '--bogus' (try inflame $cmd --help)" -- \
		$cmd "$T/a.folded" --bogus $o "$x"
	expect 2 "inflame $cmd: option '--event' needs a value" -- $cmd "$T/a.folded" $o "$x" --event
	expect 2 "inflame $cmd: --tid=x: expects positive numbers" -- $cmd --tid=x "$T/a.folded" $o "$x"
	expect 2 "inflame $cmd: --tid=1,: expects positive numbers" -- $cmd --tid=1, "$T/a.folded" $o "$x"
	expect 2 "inflame $cmd: --from 1.5.2: expects seconds from the start" -- $cmd --from 1.5.2 "$T/a.folded" $o "$x"
	expect 2 "inflame $cmd: --to 25:00:00: expects seconds" -- $cmd --to 25:00:00 "$T/a.folded" $o "$x"
	expect 1 "inflame $cmd: $T/a.folded has no sample times (folded stacks): --from and --to need inflame dumps" -- \
		$cmd --from 1 "$T/a.folded" $o "$x"
	expect 1 "inflame $cmd: no cpu samples in the time range asked for in $T/prof.ifl" -- \
		$cmd --event cpu --from 3600 "$T/prof.ifl" $o "$x"
done
expect 2 "inflame flamegraph: --width -5: expects a positive number" -- flamegraph --width -5 "$T/a.folded" -o "$T/out.d/x"
expect 2 "inflame flamegraph: --height 0: expects a positive number" -- flamegraph "$T/a.folded" --height=0 -o "$T/out.d/x"
expect 2 "inflame report: --top -3: expects a number" -- report "$T/a.folded" --top -3
expect 2 "inflame report: no input given" -- report --top 3
expect 2 "inflame html: --diff needs two inputs, BEFORE and AFTER (got 1)" -- html --diff "$T/a.folded" -o "$T/out.d/x"

# --from/--to: a run cut anywhere in two gives two halves that add up to the whole, in seconds
# and in wall-clock time; --tid lists.
"$I" record -q -e cpu -F 999 -o "$T/busy.ifl" -- /bin/sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done' 2>"$T/rec.err"
sum() { awk '{ s += $NF } END { print s + 0 }' "$@"; }
"$I" collapse "$T/busy.ifl" >"$T/all" 2>"$T/stderr" || fail "collapse busy.ifl: $(cat "$T/stderr")"
total=$(sum "$T/all")
[ "$total" -gt 20 ] && ok "busy run: $total samples" || fail "busy run has $total samples"
for cut in 0.05 0.1 0.2 0.35; do
	"$I" collapse --to $cut "$T/busy.ifl" >"$T/a1" 2>/dev/null
	"$I" collapse --from $cut "$T/busy.ifl" >"$T/a2" 2>/dev/null
	a1=$(sum "$T/a1") a2=$(sum "$T/a2")
	[ $((a1 + a2)) = "$total" ] && ok "--to $cut ($a1) + --from $cut ($a2) = $total" ||
		fail "--to $cut ($a1) + --from $cut ($a2) != $total"
done
"$I" collapse --from 0.05 --to 0.15 "$T/busy.ifl" >"$T/mid" 2>/dev/null
"$I" collapse --to 0.05 "$T/busy.ifl" >"$T/a1" 2>/dev/null
"$I" collapse --from 0.15 "$T/busy.ifl" >"$T/a2" 2>/dev/null
[ $(($(sum "$T/a1") + $(sum "$T/mid") + $(sum "$T/a2"))) = "$total" ] &&
	ok "three ranges add up to the whole" || fail "three ranges: $(sum "$T/a1") $(sum "$T/mid") $(sum "$T/a2") != $total"
# The same cut as a wall-clock time: the middle of the run (its start plus half its duration;
# a fixed offset can fall before the first sample on a loaded machine), local time.
start=$("$I" info "$T/busy.ifl" | sed -n 's/^started: *//p' | head -1)
dur=$("$I" info "$T/busy.ifl" | sed -n 's/^duration: *\([0-9.]*\) s$/\1/p' | head -1)
at=$(date -u -d "$start" +%s.%N 2>/dev/null)
if [ -n "$at" ] && [ -n "$dur" ]; then
	cut=$(awk -v t="$at" -v d="$dur" 'BEGIN { printf "%.3f", t + d / 2 }')
	iso=$(date -u -d "@$cut" +%Y-%m-%dT%H:%M:%S.%3NZ)
	tod=$(date -u -d "@$cut" +%H:%M:%S.%3N)
	"$I" collapse --to "$iso" "$T/busy.ifl" >"$T/a1" 2>/dev/null
	TZ=UTC "$I" collapse --from "$tod" "$T/busy.ifl" >"$T/a2" 2>/dev/null
	a1=$(sum "$T/a1") a2=$(sum "$T/a2")
	[ $((a1 + a2)) = "$total" ] && [ "$a1" -gt 0 ] && ok "--to $iso ($a1) + --from $tod ($a2) = $total" ||
		fail "--to $iso ($a1) + --from $tod ($a2) != $total"
else
	fail "info shows no start: $start"
fi
pid=$("$I" info "$T/busy.ifl" | sed -n 's/^pid: *\([0-9]*\).*/\1/p' | head -1)
if [ -n "$pid" ]; then
	"$I" collapse --tid=$pid,999999 "$T/busy.ifl" >"$T/t" 2>"$T/stderr" && cmp -s "$T/t" "$T/all" &&
		ok "--tid=$pid,999999 keeps the main thread" || fail "--tid list: $(cat "$T/stderr")"
fi

# An output that cannot be written whole (it outgrows the file size limit): one line, status 1,
# and neither the file nor its temporary copy left behind.
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "main;f%d;g%d %d\n", i, i, i + 1 }' >"$T/big.folded"
FSIZE=8
for cmd in collapse flamegraph html speedscope; do
	expect 1 "inflame $cmd: cannot write $T/out.d/x: File too large" -- $cmd "$T/big.folded" -o "$T/out.d/x"
done
FSIZE=

# Targets that are not regular files are written in place, and a symbolic link keeps naming
# its file: a rename over them turned a FIFO, a link, and (as root) /dev/null itself into
# regular files.
for cmd in collapse flamegraph html speedscope pprof; do
	rm -rf "$T/o.d"
	mkdir "$T/o.d"
	: >"$T/o.d/target"
	ln -s target "$T/o.d/link"
	"$I" $cmd "$T/a.folded" -o "$T/o.d/link" 2>"$T/stderr"
	[ $? = 0 ] && [ -L "$T/o.d/link" ] && [ -s "$T/o.d/target" ] &&
		[ "$(ls "$T/o.d" | tr '\n' ' ')" = "link target " ] &&
		ok "$cmd -o LINK writes the file it names" ||
		fail "$cmd -o LINK: $(cat "$T/stderr") $(ls -l "$T/o.d")"
	if [ -c /dev/null ]; then
		ln -s /dev/null "$T/o.d/null"
		"$I" $cmd "$T/a.folded" -o "$T/o.d/null" 2>"$T/stderr"
		[ $? = 0 ] && [ -L "$T/o.d/null" ] && [ -c /dev/null ] &&
			ok "$cmd -o LINK-TO-/dev/null" ||
			fail "$cmd -o LINK-TO-/dev/null: $(cat "$T/stderr") $(ls -l "$T/o.d/null" /dev/null)"
	else
		echo "skip: $cmd -o LINK-TO-/dev/null: /dev/null is not a device here: $(ls -l /dev/null)"
	fi
	mkfifo "$T/o.d/fifo"
	cat "$T/o.d/fifo" >"$T/fifo.out" &
	reader=$!
	timeout 60 "$I" $cmd "$T/a.folded" -o "$T/o.d/fifo" 2>"$T/stderr"
	rc=$?
	if [ -p "$T/o.d/fifo" ]; then
		wait $reader
	else
		kill $reader 2>/dev/null
		wait $reader 2>/dev/null
	fi
	[ $rc = 0 ] && [ -p "$T/o.d/fifo" ] && [ -s "$T/fifo.out" ] && ok "$cmd -o FIFO writes through it" ||
		fail "$cmd -o FIFO: status $rc, $(cat "$T/stderr") $(ls -l "$T/o.d/fifo")"
done

# An output whose name is as long as a file name may be (255 bytes): its temporary copy's name
# must fit too.
long=$(printf '%0255d' 0)
"$I" collapse "$T/a.folded" -o "$T/$long" 2>"$T/stderr" && [ -s "$T/$long" ] &&
	[ "$(ls "$T" | grep -c 'tmp-')" = 0 ] && ok "collapse -o NAME-OF-255-BYTES" ||
	fail "collapse -o NAME-OF-255-BYTES: $(cut -c1-80 "$T/stderr")"
rm -f "$T/$long"

# A dump that stops early says why: a chunk that fails its checksum (damaged) or one cut short
# (a crash, a kill); both were reported as "cut short". (The dump of a /bin/true that sets up at
# once, with its module map: that of one sampling only its CPU is a few small chunks, whose
# middle may be a chunk's type, which readers skip when they do not know it.)
"$I" record -q -e cpu,wall -o "$T/full.ifl" -- /bin/true 2>"$T/rec.err" ||
	fail "a full dump to damage: $(cat "$T/rec.err")"
sz=$(wc -c <"$T/full.ifl")
head -c $((sz - 3)) "$T/full.ifl" >"$T/cut.ifl"
cp "$T/full.ifl" "$T/bad.ifl"
printf '\377\377\377\377' | dd of="$T/bad.ifl" bs=1 seek=$((sz / 2)) conv=notrunc 2>/dev/null
for cmd in collapse report; do
	"$I" $cmd "$T/cut.ifl" >/dev/null 2>"$T/stderr"
	grep -q "^inflame $cmd: warning: $T/cut.ifl is torn (chunk at offset [0-9]* is cut short" \
		"$T/stderr" && ok "$cmd: a cut dump is named cut" || fail "$cmd cut.ifl: $(cat "$T/stderr")"
	"$I" $cmd "$T/bad.ifl" >/dev/null 2>"$T/stderr"
	grep -q "^inflame $cmd: warning: $T/bad.ifl is torn (chunk at offset [0-9]* fails its checksum)" \
		"$T/stderr" && ok "$cmd: a damaged dump is named damaged" ||
		fail "$cmd bad.ifl: $(cat "$T/stderr")"
done

# "--" ends the options: a file named like an option.
cp "$T/a.folded" "$T/-o"
"$I" collapse "$T/a.folded" >"$T/want"
(cd "$T" && "$I" collapse -- -o >"$T/stdout" 2>"$T/stderr") && cmp -s "$T/stdout" "$T/want" &&
	ok "collapse -- -o reads the file '-o'" || fail "collapse -- -o: $(cat "$T/stderr")"

# info: options after the dumps; errors.
"$I" info "$T/prof.ifl" -v >"$T/stdout" 2>"$T/stderr" && grep -q '^file:' "$T/stdout" &&
	ok "info DUMP -v" || fail "info DUMP -v: $(cat "$T/stderr")"
expect 1 "inflame info: $T/code.c: not an inflame dump" -- info "$T/code.c"
expect 2 "inflame info: unknown option '--bogus'" -- info "$T/prof.ifl" --bogus
expect 2 "inflame info: unknown option '-x'" -- info -x "$T/prof.ifl"
expect 2 "inflame info: no dump file given" -- info -v

# record: options end at the program's name ("--" optional); checked before it runs.
"$I" record -q -o "$T/r1.ifl" /bin/echo -o x >"$T/stdout" 2>"$T/stderr" &&
	[ "$(cat "$T/stdout")" = "-o x" ] && [ -f "$T/r1.ifl" ] && ok "record PROG -o x: -o is the program's" ||
	fail "record PROG -o x: $(cat "$T/stderr")"
"$I" record -q -o "$T/r2.ifl" -- /bin/echo --bogus >"$T/stdout" 2>"$T/stderr" &&
	[ "$(cat "$T/stdout")" = "--bogus" ] && [ -f "$T/r2.ifl" ] && ok "record -- PROG --bogus" ||
	fail "record -- PROG --bogus: $(cat "$T/stderr")"
# A relative output pattern names the directory record ran in, also for a process that changes
# directory before it writes its dump; a "%" in that directory's name is a plain character.
mkdir -p "$T/50%/rel" "$T/elsewhere"
(cd "$T/50%" && "$I" record -o "rel/p.%p.ifl" -- /bin/sh -c "cd '$T/elsewhere' && exec /bin/true") \
	2>"$T/stderr"
n=$(ls "$T/50%/rel" | grep -c '^p\.[0-9]*\.ifl')
[ "$n" = 2 ] && [ -z "$(ls -A "$T/elsewhere")" ] && [ "$(grep -c '^inflame record: wrote rel/p\.' "$T/stderr")" = 2 ] &&
	ok "record -o RELATIVE: dumps where record ran" ||
	fail "record -o RELATIVE: $n dumps in $T/50%/rel; $(cat "$T/stderr")"
# The summary lists the files of this run only: an earlier run's file modified in the second
# this run starts (here dated ahead, to be sure of it) is not this run's.
mkdir -p "$T/again"
"$I" record -q -o "$T/again/p.%p.ifl" -- /bin/true 2>"$T/stderr"
touch -d "@$(($(date +%s) + 30))" "$T"/again/p.*.ifl
"$I" record -o "$T/again/p.%p.ifl" -- /bin/true 2>"$T/stderr"
[ "$(ls "$T/again" | wc -l)" = 2 ] && [ "$(grep -c '^inflame record: wrote' "$T/stderr")" = 1 ] &&
	ok "record: the summary leaves an earlier run's file out" ||
	fail "record: an earlier run's file in the summary: $(cat "$T/stderr")"
expect 1 "inflame record: cannot write dumps to $T/out.d/missing/x.ifl: No such file or directory" -- \
	record -o "$T/out.d/missing/x.ifl" -- /bin/sh -c "touch $T/out.d/ran"
expect 2 "inflame record: unknown option '--bogus' (try inflame record --help)" -- \
	record --bogus -o "$T/out.d/x.ifl" /bin/true
expect 2 "inflame record: -F -5: expects a number from 1 to 10000" -- record -F -5 -o "$T/out.d/x.ifl" /bin/true
expect 2 "inflame record: --max-depth 0: expects a number from" -- record --max-depth 0 -o "$T/out.d/x.ifl" /bin/true
expect 2 "inflame record: -e: unknown event 'nope'" -- record -e nope -o "$T/out.d/x.ifl" /bin/true
expect 2 "inflame record: option '-o' needs a value" -- record -o
expect 2 "inflame record: no command given" -- record -q

# A hardware event on a machine without a PMU: one line, and the run goes on with the task
# clock. Only checked where there is no PMU (perf stat would count cycles otherwise).
if [ ! -e /sys/bus/event_source/devices/cpu/events/cpu-cycles ] &&
	[ ! -e /sys/bus/event_source/devices/cpu_core ]; then
	"$I" record -q --perf-event cycles -o "$T/c.ifl" -- /bin/true 2>"$T/stderr"
	if [ $? = 0 ] && [ "$(cat "$T/stderr")" = "inflame record: perf event cycles: this machine has no hardware PMU; using the task clock" ] &&
		[ -f "$T/c.ifl" ]; then ok "no PMU: one line, task clock"; else
		fail "no PMU: $(cat "$T/stderr")"; fi
else
	echo "skip: this machine has a PMU"
fi

# What is accepted as folded stacks: frames with blanks and punctuation, the count as the last
# field, fractional counts, difffolded.pl's two counts, CRLF.
cat >"$T/real.folded" <<'X'
main;std::vector<int, std::allocator<int> >::push_back(int const&);operator new(unsigned long) 7
java/lang/Thread.run_[j];com/example/Worker$1.call_[j];java/util/HashMap.get_[j] 3
<module> (app.py:1);main (app.py:12);parse (lib/p.py:40) 4
[unknown];__libc_start_main@@GLIBC_2.34;main 2.6
X
printf 'a;b 1 4\r\na;c 5 1\r\n' >"$T/diff.folded"
"$I" collapse "$T/real.folded" >"$T/stdout" 2>"$T/stderr" && [ ! -s "$T/stderr" ] &&
	grep -qx 'main;std::vector<int, std::allocator<int> >::push_back(int const&);operator new(unsigned long) 7' "$T/stdout" &&
	grep -qx '<module> (app.py:1);main (app.py:12);parse (lib/p.py:40) 4' "$T/stdout" &&
	grep -qx '\[unknown\];__libc_start_main@@GLIBC_2.34;main 3' "$T/stdout" &&
	ok "real folded lines accepted" || fail "real folded lines: $(cat "$T/stderr") $(cat "$T/stdout")"
"$I" collapse "$T/diff.folded" >"$T/stdout" 2>"$T/stderr" &&
	[ "$(cat "$T/stdout")" = "$(printf 'a;b 1 4\na;c 5 1')" ] && ok "differential folded accepted" ||
	fail "differential folded: $(cat "$T/stderr")"
# Text whose every line ends in numbers, but with one frame holding blanks: refused unless the
# format is forced.
printf 'Debian GNU/Linux 12\n' >"$T/issue"
printf 'proc /proc proc rw,relatime 0 0\nsysfs /sys sysfs rw,relatime 0 0\n' >"$T/mtab"
expect 1 "inflame collapse: $T/issue is not a profile: line 1 reads as text" -- collapse -o "$T/out.d/x" "$T/issue"
expect 1 "inflame report: $T/mtab is not a profile: line 1 reads as text" -- report "$T/mtab"
"$I" collapse --format folded "$T/issue" >"$T/stdout" 2>"$T/stderr" &&
	[ "$(cat "$T/stdout")" = "Debian GNU/Linux 12" ] && ok "--format folded forces it" ||
	fail "--format folded: $(cat "$T/stderr")"
printf 'single 5\n' | "$I" collapse >"$T/stdout" 2>"$T/stderr" && [ "$(cat "$T/stdout")" = "single 5" ] &&
	ok "a one-frame stack" || fail "a one-frame stack: $(cat "$T/stderr")"

# perf script: each sample weighs its period (perf prints it before the event name), or 1
# when it printed none.
cat >"$T/perf.txt" <<'X'
prog 100/100 [000] 10.000001:     250000 cpu-clock:u:
	          401136 work+0x6 (/tmp/prog)
	          401150 main+0x10 (/tmp/prog)

prog 100/100 [000] 10.004001: cpu-clock:u:
	          401136 work+0x6 (/tmp/prog)
	          401150 main+0x10 (/tmp/prog)
X
"$I" collapse "$T/perf.txt" >"$T/stdout" 2>"$T/stderr" && [ "$(cat "$T/stdout")" = "prog;main;work 250001" ] &&
	ok "perf script weighs the period" || fail "perf script weights: $(cat "$T/stdout") $(cat "$T/stderr")"

# perf script of a recording without call stacks: said so.
cat >"$T/flat.txt" <<'X'
        cli-loop 20015  2682.466278:    1001001 cpu-clock:ppp:  ffffffff81babd58 _copy_to_user+0x28 ([kernel.kallsyms])
        cli-loop 20015  2682.467239:    1001001 cpu-clock:ppp:      7f80134d650b _dl_map_object+0x65b (/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)
X
expect 1 "inflame flamegraph: $T/flat.txt is perf script output without call stacks: record with \"perf record -g\"" -- \
	flamegraph "$T/flat.txt" -o "$T/out.d/x"

# --help of each command lists the options its section of the man page describes, and only
# those.
sed 's/\\-/-/g; s/\\f[BIRP]//g' "$S/doc/inflame.1" >"$T/man"
for cmd in record info collapse report flamegraph pprof diff push html speedscope; do
	"$I" $cmd --help >"$T/help" 2>&1 || fail "$cmd --help exits 0"
	awk -v c="$cmd" '/^\.SS /{ on = ($0 ~ "^\\.SS inflame " c " ") } /^\.SH/{ on = 0 } on' "$T/man" >"$T/section"
	[ -s "$T/section" ] || fail "no section for $cmd in inflame(1)"
	for o in $(grep -o -- '--[a-z][a-z-]*' "$T/help" | sort -u); do
		grep -qF -- "$o" "$T/section" || fail "$cmd --help: $o is not in its section of inflame(1)"
	done
	for o in $(grep -o -- '--[a-z][a-z-]*' "$T/section" | sort -u); do
		grep -qF -- "$o" "$T/help" || fail "inflame(1) $cmd: $o is not in its --help"
	done
done
ok "--help options are documented"

# Several dumps read together without --event are read in one event: the first of cpu, wall
# and alloc that any of them has samples of. Each dump used to pick its own, so a dump without
# cpu samples (a wall-only run; an nginx worker that ran only in the kernel) added its wall
# samples to the others' cpu samples, under the header of whichever dump came last.
"$I" record -q -e cpu -o "$T/mix-cpu.ifl" -- /bin/sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done' ||
	fail "record -e cpu"
"$I" record -q -e wall -o "$T/mix-wall.ifl" -- /bin/sleep 0.2 || fail "record -e wall"
"$I" collapse "$T/mix-cpu.ifl" >"$T/cpu.folded" 2>"$T/err" &&
	"$I" collapse --event wall "$T/mix-wall.ifl" >"$T/wall.folded" 2>>"$T/err" ||
	fail "mixed events: the dumps alone: $(cat "$T/err")"
for order in "cpu wall" "wall cpu"; do
	set -- $order
	a=$T/mix-$1.ifl b=$T/mix-$2.ifl
	"$I" collapse "$a" "$b" >"$T/both.folded" 2>"$T/err"
	cmp -s "$T/both.folded" "$T/cpu.folded" && ok "collapse $order: the cpu samples alone" ||
		fail "collapse $order: not the cpu dump's stacks: $(grep -v -x -F -f "$T/cpu.folded" "$T/both.folded" | head -3)"
	"$I" report -n 1 "$a" "$b" 2>"$T/err" | head -1 >"$T/head"
	"$I" report -n 1 "$T/mix-cpu.ifl" 2>/dev/null | head -1 >"$T/want"
	cmp -s "$T/head" "$T/want" && ok "report $order: $(cat "$T/head")" ||
		fail "report $order: '$(cat "$T/head")', the cpu dump alone: '$(cat "$T/want")'"
	"$I" flamegraph --title t -o "$T/both.svg" "$a" "$b" 2>"$T/err" &&
		"$I" flamegraph --title t -o "$T/cpu.svg" "$T/mix-cpu.ifl" 2>"$T/err" &&
		cmp -s "$T/both.svg" "$T/cpu.svg" && ok "flamegraph $order: the cpu samples alone" ||
		fail "flamegraph $order: not the cpu dump's graph: $(cat "$T/err")"
done
# Asked for, an event is still read from every dump that has it.
"$I" collapse --event wall "$T/mix-cpu.ifl" "$T/mix-wall.ifl" >"$T/both.folded" 2>"$T/err"
cmp -s "$T/both.folded" "$T/wall.folded" && ok "collapse --event wall: the wall samples" ||
	fail "collapse --event wall: $(cat "$T/err")"

if [ $fails -gt 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all passed"
