/* e2e workload: one thread whose time splits between three leaf functions at a known ratio.
 * Each leaf is called from its own caller; the leaves are built without a frame of their own
 * (-momit-leaf-frame-pointer) so the profile must still find their real callers. The program
 * measures its own truth (the thread CPU time of the calls of each leaf) and prints it to
 * stderr as "truth leaf_a NS" lines. Usage: leafratio [seconds] */
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

__attribute__((noinline)) void caller_a(long n)
{
	leaf_a(n);
	__asm__ volatile("" ::: "memory"); /* not a tail call: keep this frame */
}

__attribute__((noinline)) void caller_b(long n)
{
	leaf_b(n);
	__asm__ volatile("" ::: "memory"); /* not a tail call: keep this frame */
}

__attribute__((noinline)) void caller_c(long n)
{
	leaf_c(n);
	__asm__ volatile("" ::: "memory"); /* not a tail call: keep this frame */
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3.0;
	/* Long calls: the CPU clock samples every 1/999 s of this thread's CPU time exactly, so
	 * a phase of T seconds gets T * 999 samples, give or take one at each end. */
	const long unit = 4000000;
	unsigned long long t[3] = {0, 0, 0}, start = cpu_ns(), t0;

	while (cpu_ns() - start < (unsigned long long)(secs * 1e9)) {
		t0 = cpu_ns();
		caller_a(5 * unit);
		t[0] += cpu_ns() - t0;
		t0 = cpu_ns();
		caller_b(3 * unit);
		t[1] += cpu_ns() - t0;
		t0 = cpu_ns();
		caller_c(2 * unit);
		t[2] += cpu_ns() - t0;
	}
	fprintf(stderr, "truth leaf_a %llu\ntruth leaf_b %llu\ntruth leaf_c %llu\n", t[0], t[1],
		t[2]);
	printf("leafratio done\n");
	return 0;
}
