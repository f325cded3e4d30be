/* e2e workload: one thread whose time splits between three leaf functions at a known ratio.
 * Each leaf is called from its own caller; the leaves are built without a frame of their own
 * (-momit-leaf-frame-pointer) so the profile must still find their real callers. The program
 * measures its own truth (thread CPU time spent in each leaf) and prints it to stderr as
 * "truth leaf_a NS" lines. Usage: leafratio [seconds] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

volatile unsigned long sink;

static unsigned long long cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

__attribute__((noinline)) void leaf_a(long n)
{
	unsigned long s = sink;

	for (long i = 0; i < n; i++)
		s = s * 31 + (unsigned long)i;
	sink = s;
}

__attribute__((noinline)) void leaf_b(long n)
{
	unsigned long s = sink;

	for (long i = 0; i < n; i++)
		s = s * 17 + (unsigned long)(i >> 1);
	sink = s;
}

__attribute__((noinline)) void leaf_c(long n)
{
	unsigned long s = sink;

	for (long i = 0; i < n; i++)
		s = (s ^ (unsigned long)i) * 7;
	sink = s;
}

static unsigned long long t_a, t_b, t_c;

__attribute__((noinline)) void caller_a(long n)
{
	unsigned long long t0 = cpu_ns();

	leaf_a(n);
	t_a += cpu_ns() - t0;
}

__attribute__((noinline)) void caller_b(long n)
{
	unsigned long long t0 = cpu_ns();

	leaf_b(n);
	t_b += cpu_ns() - t0;
}

__attribute__((noinline)) void caller_c(long n)
{
	unsigned long long t0 = cpu_ns();

	leaf_c(n);
	t_c += cpu_ns() - t0;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3.0;
	unsigned long long end = cpu_ns() + (unsigned long long)(secs * 1e9);
	const long unit = 60000; /* roughly 60-100 us per call */

	while (cpu_ns() < end) {
		caller_a(5 * unit);
		caller_b(3 * unit);
		caller_c(2 * unit);
	}
	fprintf(stderr, "truth leaf_a %llu\ntruth leaf_b %llu\ntruth leaf_c %llu\n", t_a, t_b, t_c);
	printf("leafratio done\n");
	return 0;
}
