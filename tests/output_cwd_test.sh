#!/bin/sh
# A relative dump file pattern (INFLAME_OUTPUT=p.%p.ifl, or the default inflame.%p.ifl) names
# files in the directory the profiled command started in, for every process of the run: one
# that changes directory and then starts a new dump file (SIGUSR2), its fork children and the
# programs they execute. Each of them wrote its file in its new working directory, where the
# program saw it: `sh -c 'cd ../b && ls -A'` listed the dump of its own ls, and git, make -C or
# rsync would find the files in the trees they work on. So does a relative log file
# (INFLAME_LOG=file:inflame.log), opened for each notice: sort's (it handles SIGPROF, inflame's
# sampling signal) went to the directory it ran in.
set -u
B=${INFLAME_BUILDDIR:-.}
L="$(cd "$B" && pwd)/preload/.libs/libinflame.so"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# The shell moves to ../b, runs sort (a notice), starts a new dump file of its own, forks a
# subshell that takes a sample, and runs ls twice: each listing must be empty, as it is
# unprofiled.
cmd='cd ../b || exit 9
sort </dev/null
kill -USR2 $$
sleep 0.3
ls -A
(i=0; while [ $i -lt 20000 ]; do i=$((i + 1)); done; ls -A)
echo done'
for pattern in p.%p.ifl default; do
	rm -rf "$T/a" "$T/b"
	mkdir "$T/a" "$T/b"
	if [ "$pattern" = default ]; then
		(cd "$T/a" && env -u INFLAME_OUTPUT LD_PRELOAD="$L" INFLAME_EVENTS=cpu,wall \
			INFLAME_LOG=file:inflame.log sh -c "$cmd" >"$T/got" 2>&1)
	else
		(cd "$T/a" && env LD_PRELOAD="$L" INFLAME_EVENTS=cpu,wall \
			INFLAME_OUTPUT="$pattern" INFLAME_LOG=file:inflame.log sh -c "$cmd" >"$T/got" 2>&1)
	fi
	if [ "$(cat "$T/got")" != done ]; then
		fail "$pattern: the program saw files of inflame's: $(tr '\n' ' ' <"$T/got")"
	elif [ -n "$(ls -A "$T/b")" ]; then
		fail "$pattern: files of inflame's in the directory the shell moved to: $(ls -A "$T/b" | tr '\n' ' ')"
	elif ! grep -q SIGPROF "$T/a/inflame.log" 2>/dev/null; then
		fail "$pattern: sort's notice is not in the log file of the starting directory"
	else
		n=$(ls -A "$T/a" | grep -c '\.ifl')
		# the shell's two files, its subshell's, and ls's two (a fork child that
		# execs before its first sample may leave none)
		if [ "$n" -ge 4 ]; then
			ok "$pattern: $n dump files, all in the starting directory"
		else
			fail "$pattern: $n dump files in the starting directory: $(ls -A "$T/a" | tr '\n' ' ')"
		fi
	fi
done
[ $fails -eq 0 ] || exit 1
