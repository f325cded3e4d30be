/*
 * A program that uses inflame's C API (inflame(3)): labels its phases, writes a dump in the
 * middle, pauses and resumes sampling. Built twice: with only the header (runs without the
 * library, or under LD_PRELOAD) and linked with -linflame.
 *
 * usage: apiprog DUMPFILE
 * Prints the return values of the calls, one line each.
 */
#include <inflame.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static volatile uint64_t sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Spins for s seconds of the thread's CPU time (each function its own constant, so that the
 * compiler keeps them apart). */
#define SPIN_FN(name, k)                                                                           \
	__attribute__((noinline)) void name(double s)                                              \
	{                                                                                          \
		double end = now() + s;                                                            \
		while (now() < end)                                                                \
			for (int i = 0; i < 10000; i++)                                            \
				sink = sink * (k) + (uint64_t)i;                                   \
	}
void parse_work(double s);
void eval_work(double s);
void unlabelled_work(double s);
void paused_work(double s);
void resumed_work(double s);
void worker_work(double s);
SPIN_FN(parse_work, 31)
SPIN_FN(eval_work, 37)
SPIN_FN(unlabelled_work, 41)
SPIN_FN(paused_work, 43)
SPIN_FN(resumed_work, 47)
SPIN_FN(worker_work, 53)

static void *worker(void *arg)
{
	(void)arg;
	printf("worker label: %d\n", inflame_label("request", "42"));
	worker_work(0.3);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc != 2) {
		fprintf(stderr, "usage: apiprog DUMPFILE\n");
		return 2;
	}
	printf("label phase=parse: %d\n", inflame_label("phase", "parse"));
	printf("label bad key: %d\n", inflame_label("a=b", "c"));
	parse_work(0.3);
	printf("label phase=eval: %d\n", inflame_label("phase", "eval"));
	eval_work(0.3);
	printf("label clear: %d\n", inflame_label_clear());
	unlabelled_work(0.2);
	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
	fflush(stdout);
	printf("dump: %d\n", inflame_dump(argv[1]));
	printf("start other events: %d\n", inflame_start("cpu,wall,alloc"));
	printf("stop: %d\n", inflame_stop());
	paused_work(0.3);
	printf("start: %d\n", inflame_start(NULL));
	resumed_work(0.2);
	return 0;
}
