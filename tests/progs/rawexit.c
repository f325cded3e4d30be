/*
 * A program that ends through the raw exit_group system call, as Go programs do, after burning
 * about 1 s of CPU: no destructor, no _exit wrapper, so inflame's exit path never runs. Prints
 * "truth cpu_ms N", the CPU time it used.
 */
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
	while (cpu_now() < 1.0)
		for (int i = 0; i < 100000; i++)
			sink += (unsigned long)i;
	printf("truth cpu_ms %d\n", (int)(cpu_now() * 1000));
	fflush(stdout);
	syscall(SYS_exit_group, 0);
	return 1;
}
