#!/bin/sh
# libinflame.so is linked with -z now: as it loads, in every profiled process, the loader looks
# up each C library function the library calls, about 0.12 us each (issue 11). The plain system
# calls and the string and signal-set functions it needs it makes itself (preload/sysraw.c,
# preload/strsig.c), through the linker's --wrap where the linker has it (configure.ac): none
# of the names wrapped in preload/include.am is left for the loader to look up, and none of
# the library's own versions is exported (the program's calls keep reaching the C library).
# The functions only an image that sets up fully calls are bound at their first call
# (preload/latebind.c), and what stays imported is an explicit list.
name=imports
. "${INFLAME_SRCDIR:-$(dirname "$0")/..}/tests/testlib.sh"
L="$B/preload/.libs/libinflame.so"
S="${INFLAME_SRCDIR:-$(dirname "$0")/..}"

if [ "${INFLAME_LD_WRAP:-}" != yes ] || ! command -v nm > /dev/null 2>&1; then
	echo "the linker does not wrap symbols (configure.ac), or no nm: skipped"
	finish
	exit
fi
tr ' \\\t' '\n\n\n' < "$S/preload/include.am" | sed -n 's/^-Wl,--wrap=//p' | sort -u > "$d/wrapped"
n=$(wc -l < "$d/wrapped")
if [ "$n" -lt 30 ]; then
	fail "found $n names wrapped in preload/include.am, want the whole list"
fi
nm -D --undefined-only "$L" | awk '{ sub(/@.*/, "", $2); print $2 }' | sort -u > "$d/imports"
left=$(comm -12 "$d/wrapped" "$d/imports" | tr '\n' ' ')
if [ -n "$left" ]; then
	fail "libinflame.so still imports: $left"
else
	echo "ok: none of the $n wrapped names is imported ($(wc -l < "$d/imports") imports)"
fi
# What stays imported, bound as the library loads: what the start, the bare end and the signal
# handlers call (and the C run-time's and the compiler's), the data symbols, and the loader's
# functions the late lookup itself needs. Every other function is the library's own or bound
# at its first call (preload/latebind.c): a new import is a deliberate choice, made by adding
# it to this list.
cat > "$d/allowed" << 'LIST'
_ITM_deregisterTMCloneTable
_ITM_registerTMCloneTable
__ctype_b_loc
__cxa_finalize
__environ
__errno_location
__gmon_start__
__libc_current_sigrtmax
__libc_current_sigrtmin
__libc_single_threaded
__libc_stack_end
__pthread_mutex_lock
__pthread_register_cancel
__pthread_unregister_cancel
__pthread_unwind_next
__register_atfork
__sigsetjmp
__x86_get_cpuid_feature_leaf
_dl_find_object
_r_debug
clock_gettime
dlsym
dlvsym
environ
fcntl
fstat
getauxval
getenv
getppid
getrlimit
memchr
memcmp
memcpy
memmove
memset
open
pthread_getcpuclockid
pthread_mutex_trylock
pthread_mutex_unlock
pthread_self
readlink
sysconf
LIST
extra=$(sort -u "$d/allowed" | comm -13 - "$d/imports" | tr '\n' ' ')
if [ -n "$extra" ]; then
	fail "libinflame.so imports names not on the allowed list: $extra"
else
	echo "ok: the $(wc -l < "$d/imports") imports are all on the allowed list"
fi
own=$(nm -D --defined-only "$L" | grep -c ' __wrap_')
if [ "$own" -eq 0 ]; then
	echo "ok: the library's own versions are not exported"
else
	fail "libinflame.so exports $own of its __wrap_ functions"
fi
finish
