/*
 * Many threads allocating at once, for the full-tracing stress test (tests/e2e_stress_test.c):
 * `allocstorm THREADS PER` starts THREADS threads that wait for each other, then each makes PER
 * malloc/free pairs in storm_worker; the process exits as soon as they are joined. It prints
 * "truth allocs N", the allocations storm_worker made.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_barrier_t start;
static long per;

static void *__attribute__((noinline)) storm_worker(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start);
	for (long i = 0; i < per; i++) {
		void *p = malloc(16 + (size_t)(i & 63));

		__asm__ volatile("" : : "r"(p) : "memory");
		free(p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 500;
	pthread_t *t;

	per = argc > 2 ? atol(argv[2]) : 2000;
	if (n <= 0 || per <= 0)
		return 2;
	t = calloc((size_t)n, sizeof(*t));
	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, storm_worker, NULL) != 0)
			return 1;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("truth allocs %ld\n", (long)n * per);
	return 0;
}
