/* e2e workload for system time: one thread alternates a computation in user code (COMPUTES
 * calls of compute()) and reads of 1 MiB from /dev/zero (READS of them, a copy done in the
 * kernel), until it used the given seconds of CPU (or 60 s passed: a loaded machine gives it
 * little). It measures the thread's CPU time (CLOCK_THREAD_CPUTIME_ID, user and system time
 * together, exact to the ns, not the kernel's user/system split made on clock ticks) at each
 * change of phase only, so that nearly all of its CPU time is in one phase or the other, and
 * reports each phase's total as "truth compute NS" / "truth read NS".
 * Usage: sysread [seconds] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define BLOCK	 (1u << 20)
#define COMPUTES 20
#define READS	 30

volatile unsigned long sink;

static unsigned long long clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

__attribute__((noinline)) void compute(void)
{
	unsigned long s = sink;

	for (int i = 0; i < 40000; i++)
		s = s * 31 + (unsigned long)i;
	sink = s;
}

__attribute__((noinline)) int read_block(int fd, char *buf)
{
	size_t got = 0;

	while (got < BLOCK) {
		ssize_t r = read(fd, buf + got, BLOCK - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2;
	unsigned long long end = clock_ns(CLOCK_MONOTONIC) + 60000000000ull;
	unsigned long long cpu = (unsigned long long)(secs * 1e9);
	unsigned long long t_compute = 0, t_read = 0, a, b;
	char *buf = malloc(BLOCK);
	int fd = open("/dev/zero", O_RDONLY);

	if (!buf || fd < 0)
		return 1;
	a = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	while (a < cpu && clock_ns(CLOCK_MONOTONIC) < end) {
		for (int i = 0; i < COMPUTES; i++)
			compute();
		b = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		for (int i = 0; i < READS; i++)
			if (read_block(fd, buf) < 0)
				return 1;
		t_compute += b - a;
		a = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		t_read += a - b;
	}
	close(fd);
	free(buf);
	fprintf(stderr, "truth compute %llu\ntruth read %llu\n", t_compute, t_read);
	return 0;
}
