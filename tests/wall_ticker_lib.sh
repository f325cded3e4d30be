# Sourced by the tests of the wall ticker's wakeups (tests/wall_*_ticker_test.sh), after they
# set B (the build directory) and d (a scratch directory).
#
# ticker_case EV BOUND KEY FUNC PROG [ARGS...] runs PROG under INFLAME_EVENTS=EV at 999 Hz,
# counts its ticker's context switches (from /proc) from 1 s to 3 s, and fails when they are
# more than BOUND, or when the wall periods of the stacks through FUNC are not within 3% of the
# milliseconds PROG printed as "truth KEY N".

# The context switches of process $pid's ticker so far, or nothing before it runs (shell
# builtins only: forks for each of 66 threads took seconds on a loaded machine).
switches() {
	for t in /proc/"$pid"/task/*; do
		comm=
		read -r comm < "$t/comm" 2>/dev/null
		[ "$comm" = inflame-wall ] || continue
		s=0
		while read -r key v; do
			case $key in
			voluntary_ctxt_switches: | nonvoluntary_ctxt_switches:) s=$((s + v)) ;;
			esac
		done < "$t/status"
		echo "$s"
	done
}

ticker_case() {
	ev=$1 bound=$2 key=$3 func=$4
	shift 4
	rm -f "$d"/p.*.ifl
	LD_PRELOAD="$B/preload/.libs/libinflame.so" INFLAME_EVENTS=$ev INFLAME_FREQUENCY=999 \
		INFLAME_OUTPUT="$d/p.%p.ifl" "$@" > "$d/out" 2>&1 &
	pid=$!
	sleep 1
	a=$(switches)
	sleep 2
	b=$(switches)
	wait "$pid" || { echo "FAIL: $1 failed under $ev: $(head -3 "$d/out")"; exit 1; }
	[ -n "$a" ] && [ -n "$b" ] || { echo "FAIL: no ticker thread found under $ev"; exit 1; }
	wakes=$((b - a))
	truth=$(sed -n "s/^truth $key \([0-9]*\)\$/\1/p" "$d/out")
	[ -n "$truth" ] || { echo "FAIL: $1 said no truth under $ev: $(cat "$d/out")"; exit 1; }
	set -- "$d"/p.*.ifl
	[ -e "$1" ] || { echo "FAIL: no dump under $ev"; exit 1; }
	w=$("$B/inflame" collapse --event wall "$1" |
		awk -v f="$func" '$0 ~ f { s += $NF } END { print s + 0 }')
	echo "$ev: the ticker switched $wakes times from 1 s to 3 s; in $func: $w periods" \
		"for $truth ms"
	[ "$wakes" -le "$bound" ] ||
		{ echo "FAIL: the ticker woke more than $bound times in 2 s"; exit 1; }
	awk -v t="$truth" -v w="$w" 'BEGIN { e = t * 0.999; exit !(w >= 0.97 * e && w <= 1.03 * e) }' ||
		{ echo "FAIL: the wall samples in $func do not add up to the time in it"; exit 1; }
}
