/*
 * The bundled demo workload for `make demo`: a small program with a recognisable shape, so a
 * first flame graph is easy to read. The main thread parses and sorts records, a worker
 * thread hashes buffers, a third thread waits on a condition most of the time (visible in the
 * wall-clock graph, invisible in the CPU one), and every stage allocates.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double seconds = 2.0;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct record {
	char key[24];
	long value;
};

__attribute__((noinline)) static void parse_records(struct record *r, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		snprintf(r[i].key, sizeof(r[i].key), "key-%08x", seed);
		r[i].value = (long)(seed >> 8);
	}
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct record *)a)->key, ((const struct record *)b)->key);
}

__attribute__((noinline)) static void sort_records(struct record *r, size_t n)
{
	qsort(r, n, sizeof(*r), by_key);
}

__attribute__((noinline)) static long sum_values(const struct record *r, size_t n)
{
	long s = 0;

	for (size_t i = 0; i < n; i++)
		s += r[i].value % 1000;
	return s;
}

__attribute__((noinline)) static long process_batch(unsigned seed)
{
	size_t n = 20000;
	struct record *r = malloc(n * sizeof(*r));
	long s;

	if (!r)
		return 0;
	parse_records(r, n, seed);
	sort_records(r, n);
	s = sum_values(r, n);
	free(r);
	return s;
}

__attribute__((noinline)) static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

__attribute__((noinline)) static uint64_t hash_buffers(void)
{
	size_t n = 1 << 20;
	unsigned char *buf = malloc(n);
	uint64_t h;

	if (!buf)
		return 0;
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7);
	h = fnv1a(buf, n);
	free(buf);
	return h;
}

static void *hasher(void *arg)
{
	uint64_t h = 0;
	double end = now() + seconds;

	(void)arg;
	pthread_setname_np(pthread_self(), "hasher");
	while (now() < end)
		h ^= hash_buffers();
	return (void *)(uintptr_t)(h & 1);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ticks;

__attribute__((noinline)) static void wait_for_work(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&lock);
	pthread_cond_timedwait(&cond, &lock, &ts);
	ticks++;
	pthread_mutex_unlock(&lock);
}

static void *waiter(void *arg)
{
	double end = now() + seconds;

	(void)arg;
	pthread_setname_np(pthread_self(), "waiter");
	while (now() < end)
		wait_for_work();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t h, w;
	long total = 0;
	unsigned seed = 1;
	double end;

	if (argc > 1)
		seconds = atof(argv[1]);
	end = now() + seconds;
	pthread_create(&h, NULL, hasher, NULL);
	pthread_create(&w, NULL, waiter, NULL);
	while (now() < end)
		total += process_batch(seed++);
	pthread_join(h, NULL);
	pthread_join(w, NULL);
	printf("demo: %u batches, checksum %ld, %d waits\n", seed - 1, total % 100000, ticks);
	return 0;
}
