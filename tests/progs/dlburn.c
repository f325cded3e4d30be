/*
 * Burns CPU inside a dl_iterate_phdr callback, then outside it (tests/imagelazy_test.sh). An
 * image that waits for its first sample to set up must not set up in a handler that interrupted
 * the loader's iteration: its own module map would call dl_iterate_phdr again there, whose lock
 * the interrupted call holds. Usage: dlburn MS_INSIDE MS_AFTER.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdlib.h>
#include <time.h>

static volatile double sink;

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static __attribute__((noinline)) void spin(double ms)
{
	double end = cpu_ms() + ms;

	while (cpu_ms() < end)
		for (int i = 0; i < 1000; i++)
			sink += i * 0.5;
}

static __attribute__((noinline)) int burn_in_loader(struct dl_phdr_info *info, size_t size,
						    void *arg)
{
	(void)info;
	(void)size;
	spin(*(double *)arg);
	return 1; /* (the first object only) */
}

static __attribute__((noinline)) void burn_after(double ms)
{
	spin(ms);
}

int main(int argc, char **argv)
{
	double inside = argc > 1 ? atof(argv[1]) : 100, after = argc > 2 ? atof(argv[2]) : 100;

	dl_iterate_phdr(burn_in_loader, &inside);
	burn_after(after);
	return 0;
}
