#!/bin/sh
# The file short processes share (INFLAME_SHARED_FILE, inflame-preload(7)): a loop of short
# processes leaves one shared file and no file per process, and `inflame info` shows each
# process; a process that lives past a writer cycle still gets a file of its own (and its
# placeholder in the shared file is dropped); a short process killed by SIGKILL shows as an
# incomplete dump; 2 x 50 processes appending at once all read back; an image torn in the middle
# (cut short, garbage) is reported and the others read; a shared file that is a symlink, or
# that another user owns, is not used; a user without privilege shares a file too; a fork child
# that samples a little appends its dump too; and INFLAME_SHARED_FILE=0 gives each process its
# own file as before.
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
L="$(cd "$B" && pwd)/preload/.libs/libinflame.so"
T=$(mktemp -d)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
export INFLAME_SHARED_FILE=1

# pids DUMP...: the pids `inflame info` lists, one a line, sorted.
pids() { "$I" info "$@" 2>/dev/null | sed -n 's/^pid: *\([0-9]*\).*/\1/p' | sort -n; }
# statuses DUMP...: "complete", "incomplete", "torn" per dump listed.
statuses() { "$I" info "$@" 2>/dev/null | sed -n 's/^status: *\([a-z]*\).*/\1/p'; }
# own DIR: the files of single processes (x.PID.ifl).
own() { ls "$1" | grep -c '^x\.[0-9]*\.ifl' ; }

loop() { echo "i=0; while [ \$i -lt $1 ]; do /bin/true; i=\$((i+1)); done"; }

# 1. A loop of short processes under inflame record: one shared file, a dump per process.
d="$T/loop"
mkdir "$d"
"$I" record -o "$d/x.%p.ifl" -- sh -c "$(loop 20)" 2>"$T/rec.err" ||
	fail "record: $(cat "$T/rec.err")"
# (a second run appends to the same file: its summary counts its own dumps only)
"$I" record -o "$d/x.%p.ifl" -- sh -c "$(loop 2)" 2>"$T/rec2.err"
grep -q "wrote 21 process dumps to $d/x.shared.ifl" "$T/rec.err" &&
	grep -q "wrote 3 process dumps to $d/x.shared.ifl" "$T/rec2.err" ||
	fail "record's summary: $(cat "$T/rec.err" "$T/rec2.err")"
n=$(pids "$d/x.shared.ifl" | wc -l)
if [ ! -f "$d/x.shared.ifl" ] || [ "$(own "$d")" != 0 ]; then
	fail "loop: files $(ls "$d" | tr '\n' ' '), want x.shared.ifl only"
elif [ "$n" != 24 ] || [ "$(statuses "$d/x.shared.ifl" | sort -u)" != complete ]; then
	fail "loop: info lists $n processes ($(statuses "$d/x.shared.ifl" | sort | uniq -c)), want 21 + 3 complete"
elif ! "$I" collapse "$d"/x.*.ifl >/dev/null 2>"$T/col.err" && grep -v "no cpu samples" "$T/col.err"; then
	fail "loop: collapse: $(cat "$T/col.err")"
else
	ok "loop: one shared file, 21 + 3 complete dumps, record's summaries say so"
fi

# 2. A process that lives past a writer cycle gets its own file; the shared file drops its
# placeholder (a MOVED stand-in follows it), so that every process is listed once.
d="$T/long"
mkdir "$d"
INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" sh -c \
	'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; /bin/true' 2>"$T/long.err"
all=$(pids "$d"/x.*.ifl | tr '\n' ' ')
shared=$(pids "$d/x.shared.ifl" | wc -l)
if [ "$(own "$d")" != 1 ] || [ ! -f "$d/x.shared.ifl" ]; then
	fail "long: files $(ls "$d" | tr '\n' ' '), want one x.PID.ifl and x.shared.ifl"
elif [ "$shared" != 1 ] || [ "$(echo "$all" | wc -w)" != 2 ] ||
	[ "$(pids "$d"/x.*.ifl | sort -u | wc -l)" != 2 ]; then
	fail "long: info lists '$all' ($shared in the shared file), want the shell once and true"
elif [ "$(statuses "$d"/x.[0-9]*.ifl)" != complete ]; then
	fail "long: the shell's own file is $(statuses "$d"/x.[0-9]*.ifl)"
else
	ok "long: the shell has its own file, the shared file only true"
fi

# A shared file with no dump of its own (its only process went on in a file of its own) stands
# for nothing: info says so, report of it alone fails, with the other file it adds nothing.
d="$T/long2"
mkdir "$d"
INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" sh -c \
	'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done' 2>"$T/long.err"
if "$I" report "$d/x.shared.ifl" >/dev/null 2>"$T/rep.err" ||
	! grep -q "no dump in the inputs" "$T/rep.err" ||
	! "$I" info "$d/x.shared.ifl" >"$T/info.out" 2>&1 ||
	! grep -q "^status: *no dump of its own" "$T/info.out" ||
	[ "$(pids "$d"/x.*.ifl | wc -l)" != 1 ]; then
	fail "long alone: report $(cat "$T/rep.err"), info $(cat "$T/info.out"), pids $(pids "$d"/x.*.ifl | tr '\n' ' ')"
else
	ok "long alone: the shared file of its placeholder stands for nothing"
fi

# 3. A short process killed by SIGKILL leaves its placeholder: an incomplete dump. One that
# sets up at once (here with the wall clock) leaves it from its start; one that samples only its
# CPU leaves it from its first sample (a busy shell loop), and none before (sleep: inflame's
# set-up waited for a first need that never came, inflame-preload(7)).
d="$T/kill"
mkdir "$d"
INFLAME_EVENTS=cpu,wall INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" sleep 30 &
p=$!
k=0
while [ ! -s "$d/x.shared.ifl" ] && [ $k -lt 600 ]; do sleep 0.05; k=$((k + 1)); done
kill -9 $p
wait $p 2>/dev/null
INFLAME_EVENTS=cpu INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" sleep 30 &
q=$!
INFLAME_EVENTS=cpu INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" sh -c 'while :; do :; done' &
r=$!
k=0
while ! pids "$d/x.shared.ifl" | grep -qx "$r" && [ $k -lt 600 ]; do sleep 0.05; k=$((k + 1)); done
kill -9 $q $r
wait $q $r 2>/dev/null
INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" /bin/true
if [ "$(pids "$d/x.shared.ifl" | tr '\n' ' ')" != "$p $r $(pids "$d/x.shared.ifl" | tail -n 1) " ] ||
	[ "$(statuses "$d/x.shared.ifl" | tr '\n' ' ')" != "incomplete incomplete complete " ]; then
	fail "kill: info: $("$I" info "$d/x.shared.ifl" 2>&1 | grep -E '^(pid|status)') (killed $p, $q unsampled, $r sampled)"
else
	ok "kill: the killed processes show as incomplete dumps (the one never sampled as none)"
fi

# 4. Two loops of 50 processes at once: every image whole.
d="$T/conc"
mkdir "$d"
INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" sh -c "$(loop 50)" &
INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" sh -c "$(loop 50)"
wait
n=$(pids "$d/x.shared.ifl" | sort -u | wc -l)
if [ "$n" != 102 ] || [ "$(statuses "$d/x.shared.ifl" | sort -u)" != complete ] ||
	[ "$(own "$d")" != 0 ]; then
	fail "concurrent: $n processes, $(statuses "$d/x.shared.ifl" | sort | uniq -c | tr '\n' ' '), want 102 complete"
else
	ok "concurrent: 102 complete dumps"
fi

# 5. Damage in the middle: four dumps back to back, the second cut short, garbage before the
# fourth. The damaged parts are reported, the others read. (Dumps of images that set up at once:
# one that ends unsampled, sampling only its CPU, may be cut in half between two chunks.)
d="$T/torn"
mkdir "$d"
for k in 1 2 3 4; do
	INFLAME_EVENTS=cpu,wall INFLAME_SHARED_FILE=0 INFLAME_OUTPUT="$d/f$k.%p" LD_PRELOAD="$L" \
		/bin/true
done
set -- "$d"/f1.* "$d"/f2.* "$d"/f3.* "$d"/f4.*
{
	cat "$1"
	head -c $(($(wc -c <"$2") / 2)) "$2"
	cat "$3"
	printf 'garbage garbage garbage'
	cat "$4"
} >"$T/torn.ifl"
st=$(statuses "$T/torn.ifl" | tr '\n' ' ')
"$I" report "$T/torn.ifl" >/dev/null 2>"$T/torn.err"
case $st in
"complete torn complete complete ")
	if grep -q "no dump image" "$T/torn.err" && grep -q "is torn" "$T/torn.err"; then
		ok "torn: the torn image and the garbage reported, the rest read ($st)"
	else
		fail "torn: report said: $(cat "$T/torn.err")"
	fi
	;;
*) fail "torn: statuses $st" ;;
esac

# 6. A shared file that is a symlink, or that another user owns, is not used.
d="$T/refuse"
mkdir "$d"
ln -s "$T/target" "$d/x.shared.ifl"
INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" /bin/true
if [ -e "$T/target" ] || [ "$(own "$d")" != 1 ]; then
	fail "symlink: files $(ls "$d" | tr '\n' ' ') (target $(ls "$T/target" 2>&1))"
else
	ok "symlink: not followed; the process has its own file"
fi
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	d="$T/other"
	mkdir "$d"
	: >"$d/x.shared.ifl"
	chown nobody "$d/x.shared.ifl"
	INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" /bin/true
	if [ -s "$d/x.shared.ifl" ] || [ "$(own "$d")" != 1 ]; then
		fail "other user: files $(ls -l "$d" | tr '\n' ' ')"
	else
		ok "other user's shared file: not used; the process has its own file"
	fi
	# 7. The unprivileged path: a user without privilege shares a file too.
	d="$T/user"
	mkdir "$d"
	chown nobody "$d"
	if command -v setpriv >/dev/null 2>&1 &&
		setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
		# (the library from a copy nobody can read: a build tree under /root is not)
		cp "$L" "$T/libinflame.so"
		chmod 755 "$T/libinflame.so"
		setpriv --reuid=nobody --regid=nogroup --clear-groups env \
			INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$T/libinflame.so" sh -c "$(loop 5)"
		n=$(pids "$d/x.shared.ifl" | wc -l)
		if [ "$n" != 6 ] || [ "$(stat -c %U "$d/x.shared.ifl")" != nobody ] ||
			[ "$(own "$d")" != 0 ]; then
			fail "unprivileged: $n dumps, files $(ls -l "$d" | tr '\n' ' ')"
		else
			ok "unprivileged: one shared file of nobody's, 6 dumps"
		fi
	else
		echo "skip: unprivileged (no setpriv to nobody)"
	fi
else
	echo "skip: other user's file and unprivileged path (not root)"
fi

# 8. A fork child that samples a little and exits appends its dump to the shared file (without a
# placeholder: its first dump is written at its end); one that writes nothing writes nothing.
# A loaded machine may stretch the child past the writer's start (50 ms), which gives it a
# file of its own: up to three tries.
for try in 1 2 3; do
	d="$T/fork$try"
	mkdir "$d"
	INFLAME_FREQUENCY=5000 INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" sh -c \
		'(i=0; while [ $i -lt 8000 ]; do i=$((i+1)); done); (:); true'
	n=$(pids "$d"/x.*.ifl | wc -l)
	[ "$n" = 2 ] && [ "$(own "$d")" = 0 ] && break
done
if [ "$n" != 2 ] || [ "$(own "$d")" != 0 ]; then
	fail "fork: $n dumps, files $(ls "$d" | tr '\n' ' '), want the shell's and the child's in x.shared.ifl"
else
	ok "fork: the child's dump in the shared file ($try tries), none of the idle child"
fi

# 9. Under a file size limit (RLIMIT_FSIZE) too small for a whole dump after the placeholder,
# each process has a file of its own, complete, and no placeholder or empty file is left. An
# image that writes no placeholder (sampling only its CPU, never sampled) appends its dump while
# it fits, and takes a file of its own after that: every dump complete either way.
d="$T/fsize"
mkdir "$d"
(cd "$d" && ulimit -f 4 && INFLAME_EVENTS=cpu,wall INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" \
	sh -c "$(loop 3)")
if [ -e "$d/x.shared.ifl" ] || [ "$(own "$d")" != 4 ] ||
	[ "$(statuses "$d"/x.*.ifl | sort -u)" != complete ]; then
	fail "fsize: files $(ls -l "$d" | tr '\n' ' ')"
else
	ok "file size limit: 4 files of their own, complete"
fi
d="$T/fsize-cpu"
mkdir "$d"
(cd "$d" && ulimit -f 4 && INFLAME_EVENTS=cpu INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" \
	sh -c "$(loop 3)")
if [ "$(pids "$d"/x.*.ifl | wc -l)" != 4 ] ||
	[ "$(statuses "$d"/x.*.ifl | sort -u)" != complete ]; then
	fail "fsize cpu: files $(ls -l "$d" | tr '\n' ' ')"
else
	ok "file size limit, cpu only: 4 complete dumps, in the shared file while they fit"
fi

# 10. INFLAME_SHARED_FILE=0: a file per process, as before.
d="$T/off"
mkdir "$d"
INFLAME_SHARED_FILE=0 INFLAME_OUTPUT="$d/x.%p.ifl" LD_PRELOAD="$L" sh -c "$(loop 5)"
if [ -e "$d/x.shared.ifl" ] || [ "$(own "$d")" != 6 ]; then
	fail "off: files $(ls "$d" | tr '\n' ' ')"
else
	ok "INFLAME_SHARED_FILE=0: 6 files of their own"
fi
[ "$fails" = 0 ]
