/*
 * e2e workload for symbols that must match the build that ran. Built twice: rebuilt_a as is,
 * rebuilt_b with -DREBUILT_B, which lays out other functions at the same places, as a program
 * edited and rebuilt after it was profiled. Both spin in their own functions for the given
 * seconds (default 1), reading the clock through the vDSO between rounds; with "clock" they
 * only read the clock. rebuilt_a's spin loop is an inlined function of its own.
 * Usage: rebuilt [seconds [clock]]
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile unsigned long sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#ifdef REBUILT_B
__attribute__((noinline)) void other_spin(void)
{
	unsigned long s = sink;

	for (int i = 0; i < 200000; i++)
		s = s * 17 + (unsigned long)i;
	sink = s;
}

__attribute__((noinline)) void other_caller(void)
{
	other_spin();
	__asm__ volatile("" ::: "memory");
}
#define SPIN other_caller
#else
static inline __attribute__((always_inline)) unsigned long rebuilt_mix(unsigned long s)
{
	for (int i = 0; i < 200000; i++) {
		s = s * 31 + (unsigned long)i;
		__asm__ volatile("" : "+r"(s));
	}
	return s;
}

__attribute__((noinline)) void rebuilt_spin(void)
{
	sink = rebuilt_mix(sink);
}

__attribute__((noinline)) void rebuilt_caller(void)
{
	rebuilt_spin();
	__asm__ volatile("" ::: "memory");
}
#define SPIN rebuilt_caller
#endif

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0, end = now() + secs;
	int clock_only = argc > 2 && !strcmp(argv[2], "clock");

	while (now() < end)
		if (!clock_only)
			SPIN();
	return 0;
}
