/*
 * The clocks and the thread id (clock.h). They live here, apart from start-up, because every
 * file of the preload reads them: the handler, the writer, the shields and the interposers.
 */
#include "clock.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t read_clock(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t inflame__now_monotonic(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

uint64_t inflame__now_raw(void)
{
	return read_clock(CLOCK_MONOTONIC_RAW);
}

uint64_t inflame__now_realtime(void)
{
	return read_clock(CLOCK_REALTIME);
}

uint64_t inflame__thread_cpu_ns(void)
{
	return read_clock(CLOCK_THREAD_CPUTIME_ID);
}

uint64_t inflame__thread_sys_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) != 0)
		return 0;
	return (uint64_t)ru.ru_stime.tv_sec * 1000000000ull + (uint64_t)ru.ru_stime.tv_usec * 1000u;
}

pid_t inflame__gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}
