/*
 * The clocks and the thread id (clock.h). They live here, apart from start-up, because every
 * file of the preload reads them: the handler, the writer, the shields and the interposers.
 */
#include "clock.h"

#include "profiler.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* How many readings of the monotonic, raw and realtime clocks each thread makes with the system
 * call before the vDSO takes over. A short process reads them about ten times from its start to
 * its exit, and a reading through the vDSO is three page faults in such a process (the C
 * library's page of clock_gettime, the vDSO's code and its data page, issue 11), against a
 * system call of well under a microsecond each time. A thread that lives on pays those faults
 * once, after these readings. The count is the thread's own (initial-exec TLS, beside the
 * thread's control block, which the C library writes anyway): a count in the library's data
 * would be a page copied in every fork child that reads a clock. */
#define RAW_READINGS 64

static _Thread_local unsigned raw_readings;

/* Thread and process CPU clocks have no vDSO path: the vDSO would make the same system call
 * after the C library's and its own code had run. */
INFLAME_FORK_TEXT static int is_cpu_clock(clockid_t id)
{
	return id < 0 || id == CLOCK_PROCESS_CPUTIME_ID || id == CLOCK_THREAD_CPUTIME_ID;
}

/* (with the fork text: a fork child's timer reads its thread's CPU clock here) */
INFLAME_FORK_TEXT uint64_t inflame__clock_ns(clockid_t id)
{
	struct timespec ts;

	if (is_cpu_clock(id))
		return inflame__now_raw_syscall(id);
	if (raw_readings < RAW_READINGS) {
		raw_readings++;
		return inflame__now_raw_syscall(id);
	}
	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t inflame__now_monotonic(void)
{
	return inflame__clock_ns(CLOCK_MONOTONIC);
}

uint64_t inflame__now_raw(void)
{
	return inflame__clock_ns(CLOCK_MONOTONIC_RAW);
}

uint64_t inflame__now_realtime(void)
{
	return inflame__clock_ns(CLOCK_REALTIME);
}

uint64_t inflame__thread_cpu_ns(void)
{
	return inflame__clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

uint64_t inflame__thread_sys_ns(void)
{
	struct rusage ru;

	/* (by system call, as the clocks: the C library's getrusage is a page of code a short
	 * program never runs, issue 11) */
	if (inflame__syscall_raw(SYS_getrusage, RUSAGE_THREAD, (long)&ru, 0, 0, 0) != 0)
		return 0;
	return (uint64_t)ru.ru_stime.tv_sec * 1000000000ull + (uint64_t)ru.ru_stime.tv_usec * 1000u;
}

uint64_t inflame__thread_switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) != 0)
		return 0;
	return (uint64_t)ru.ru_nvcsw + (uint64_t)ru.ru_nivcsw;
}

pid_t inflame__gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

INFLAME_FORK_TEXT long inflame__syscall_raw(long nr, long a, long b, long c, long d, long e)
{
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4)
			 : "memory");
	return x0;
#else
	int saved = errno;
	long ret = syscall(nr, a, b, c, d, e);

	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
#endif
}

INFLAME_FORK_TEXT pid_t inflame__getpid_raw(void)
{
	return (pid_t)inflame__syscall_raw(SYS_getpid, 0, 0, 0, 0, 0);
}

INFLAME_FORK_TEXT uint64_t inflame__now_raw_syscall(clockid_t id)
{
	struct timespec ts;

	if (inflame__syscall_raw(SYS_clock_gettime, (long)id, (long)&ts, 0, 0, 0) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
