/* Workloads for bench/alloc.sh.
 *
 *   pairs N      N malloc/free pairs of sizes 16..512 B (the malloc-heavy case).
 *   threads N    the same N pairs, half in each of two threads.
 *   mixed N      a "realistic" mix: a working set of 4096 live blocks of 16 B..64 KiB replaced
 *                at random, with some computation on each block, N replacements.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

__attribute__((noinline)) static void *alloc_small(size_t n)
{
	void *p = malloc(n);

	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

static int pairs(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = alloc_small(16 + (size_t)(i & 31) * 16);

		free(p);
	}
	return 0;
}

static void *pairs_thread(void *arg)
{
	pairs(*(const long *)arg);
	return NULL;
}

static int two_threads(long n)
{
	long half = n / 2;
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, pairs_thread, &half) != 0)
			return 1;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return 0;
}

__attribute__((noinline)) static void *alloc_block(size_t n)
{
	char *p = malloc(n);

	if (p)
		for (size_t i = 0; i < n; i += 64)
			p[i] = (char)i;
	return p;
}

static int mixed(long n)
{
	enum { SET = 4096 };
	static char *set[SET];
	uint64_t sum = 0;

	for (long i = 0; i < n; i++) {
		unsigned k = (unsigned)(next() % SET);
		unsigned shift = 4 + (unsigned)(next() % 13);
		size_t sz = ((size_t)1 << shift) + next() % ((size_t)1 << shift);

		free(set[k]);
		set[k] = alloc_block(sz);
		for (size_t j = 0; j < sz && j < 4096; j += 8)
			sum += (uint64_t)set[k][j];
	}
	for (unsigned k = 0; k < SET; k++)
		free(set[k]);
	printf("%llu\n", (unsigned long long)sum & 1);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 20000000;

	if (argc > 1 && !strcmp(argv[1], "mixed"))
		return mixed(n);
	if (argc > 1 && !strcmp(argv[1], "threads"))
		return two_threads(n);
	return pairs(n);
}
