#!/bin/sh
# inflame record passes on SIGTERM, SIGINT, SIGHUP and SIGQUIT sent to it by a process, so that
# killing the launcher never leaves its command running orphaned; it exits with the command's
# status (128 + the signal, to a shell, when the signal killed it), and the dump is readable.
# The terminal's ^C, which reaches the whole foreground process group, is not sent twice
# (checked in a pseudo-terminal).
set -u
B=${INFLAME_BUILDDIR:-.}
I="$(cd "$B" && pwd)/inflame"
P="$(cd "$B" && pwd)/tests/progs/sigcount"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# wait_for FILE: up to 20 s for FILE to exist
wait_for() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

# child_of PID: the pid of PID's child, once it exists (up to 20 s)
child_of() {
	i=0
	while [ $i -lt 200 ]; do
		c=$(ps -o pid= --ppid "$1" | tr -d ' ' | head -n 1)
		[ -n "$c" ] && {
			echo "$c"
			return 0
		}
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# 1. A command with the default action for SIGTERM (sleep): killing record kills it too.
"$I" record -e cpu,wall -o "$T/sleep.%p.ifl" sleep 30 2>"$T/sleep.err" &
rec=$!
child=$(child_of $rec) || fail "record sleep 30: no child"
# The profiler is in place in the child once its dump file is there (a fixed wait of 0.5 s could
# kill the command before its set-up on a loaded machine). With the wall clock it sets up at
# once: sampling only its CPU, it would write nothing before its first sample or its end.
i=0
while [ $i -lt 600 ]; do
	set -- "$T"/sleep.*.ifl
	[ -e "$1" ] && break
	sleep 0.1
	i=$((i + 1))
done
kill -TERM $rec
wait $rec
rc=$?
sleep 0.2
if [ $rc = 143 ]; then ok "record killed by SIGTERM exits 143 (the command died of SIGTERM)"; else fail "record killed by SIGTERM: exit status $rc, want 143"; fi
if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
	fail "the command (pid $child) still runs after record was killed"
	kill -KILL "$child"
else
	ok "the command is gone with record"
fi
set -- "$T"/sleep.*.ifl
if [ -f "$1" ] && "$I" info "$1" >"$T/info" 2>"$T/info.err"; then
	ok "inflame info reads the dump of the killed command: $(grep '^status:' "$T/info" | cut -c1-40)"
else
	fail "no readable dump of the killed command: $* $(cat "$T/info.err" 2>/dev/null)"
fi
grep -q "wrote $T/sleep" "$T/sleep.err" && ok "record still lists the dump" || fail "record did not list the dump: $(cat "$T/sleep.err")"

# 2. A command that handles them: each signal sent to record arrives exactly once, the exit
# status is the command's, and its dump is complete.
"$I" record -q -o "$T/count.%p.ifl" "$P" "$T/ready" "$T/counts" 2>"$T/count.err" &
rec=$!
if wait_for "$T/ready"; then
	for s in HUP QUIT INT; do
		kill -$s $rec
		sleep 0.2
	done
	kill -TERM $rec
fi
wait $rec
rc=$?
[ $rc = 7 ] && ok "record exits with the command's status (7)" || fail "record exits $rc, want 7: $(cat "$T/count.err")"
want="INT=1 QUIT=1 HUP=1 TERM=1"
got=$(cat "$T/counts" 2>/dev/null)
[ "$got" = "$want" ] && ok "each signal sent to record reached the command once: $got" ||
	fail "signals reaching the command: '$got', want '$want'"
set -- "$T"/count.*.ifl
if [ -f "$1" ] && "$I" info "$1" 2>&1 | grep -q '^status: *complete'; then
	ok "the command's dump is complete"
else
	fail "the command's dump is not complete: $("$I" info "$1" 2>&1 | grep status)"
fi

# 3. The terminal's ^C reaches record and the command (the foreground process group) at once:
# record does not send it again. Run in a pseudo-terminal; then SIGTERM from a process ends it.
rm -f "$T/ready" "$T/counts"
if command -v python3 >/dev/null 2>&1; then
	python3 - "$I" "$P" "$T" <<'PY' >"$T/pty.out" 2>&1
import os, pty, signal, sys, time
inflame, prog, tmp = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(inflame, [inflame, "record", "-q", "-o", tmp + "/pty.%p.ifl", prog,
                       tmp + "/ready", tmp + "/counts"])
for _ in range(200):
    if os.path.exists(tmp + "/ready"):
        break
    time.sleep(0.1)
os.write(fd, b"\x03")
time.sleep(0.5)
os.kill(pid, signal.SIGTERM)
out = b""
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
print("status", os.waitstatus_to_exitcode(st))
PY
	got=$(cat "$T/counts" 2>/dev/null)
	if [ "$got" = "INT=1 QUIT=0 HUP=0 TERM=1" ] && grep -q "^status 7" "$T/pty.out"; then
		ok "the terminal's ^C reached the command once: $got"
	else
		fail "terminal ^C: counts '$got', $(cat "$T/pty.out")"
	fi
else
	echo "SKIP: no python3 for the pseudo-terminal case"
fi

[ $fails = 0 ] || exit 1
exit 0
