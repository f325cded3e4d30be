/* An object tests/progs/manyobjs loads (several copies of it, under other names): a function
 * that spins for a while on the CPU, in a callee. Built without frame pointers: a walk gets
 * from the callee to main only with the unwind entries the module map points it to. */
#include <time.h>

__attribute__((noinline)) static unsigned long spin_inner(unsigned long n)
{
	for (int i = 0; i < 100000; i++)
		n += (unsigned long)i * (n | 1);
	return n;
}

__attribute__((noinline)) unsigned long inflame_test_spin(double ms)
{
	struct timespec a, b;
	unsigned long n = 0;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	do {
		n = spin_inner(n);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	} while ((double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6 < ms);
	return n;
}
