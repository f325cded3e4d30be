# Sourced by shell tests (". "$INFLAME_SRCDIR/tests/testlib.sh"): B, the build tree as an
# absolute path; d, a scratch directory named after $name, removed as the test ends; fail, which
# says why and counts; finish, which says PASS or not and gives the test's exit status.
set -u
B=${INFLAME_BUILDDIR:-.}
B=$(cd "$B" && pwd)
d=$(mktemp -d "/tmp/inflame-${name:-test}.XXXXXX")
trap 'rm -rf "$d"' EXIT INT TERM
fails=0
fail()
{
	echo "FAIL: $*"
	fails=$((fails + 1))
}
finish()
{
	[ $fails -eq 0 ] && echo PASS
	[ $fails -eq 0 ]
}
