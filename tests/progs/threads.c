/* e2e workload: named threads doing CPU work in the ratio 1:2:3 (two cores, so they also
 * compete), each reporting its own thread CPU time as "truth NAME NS" on stderr.
 * Usage: threads [seconds-of-the-longest] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double secs = 2.0;
volatile unsigned long sink;

static unsigned long long cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

__attribute__((noinline)) void spin_until(unsigned long long end)
{
	unsigned long s = sink;

	while (cpu_ns() < end)
		for (int i = 0; i < 10000; i++)
			s = s * 31 + (unsigned long)i;
	sink = s;
}

struct job {
	const char *name;
	int share;
	unsigned long long used;
};

static void *worker(void *p)
{
	struct job *j = p;

	pthread_setname_np(pthread_self(), j->name);
	spin_until(cpu_ns() + (unsigned long long)(secs * 1e9 * j->share / 3));
	j->used = cpu_ns();
	return NULL;
}

int main(int argc, char **argv)
{
	struct job jobs[3] = {{"work1", 1, 0}, {"work2", 2, 0}, {"work3", 3, 0}};
	pthread_t t[3];

	if (argc > 1)
		secs = atof(argv[1]);
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, worker, &jobs[i]);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 3; i++)
		fprintf(stderr, "truth %s %llu\n", jobs[i].name, jobs[i].used);
	printf("threads done\n");
	return 0;
}
