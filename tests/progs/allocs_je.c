/* A program linked against jemalloc, for the end-to-end allocation tests: it allocates with
 * jemalloc's own API (mallocx, rallocx, xallocx, sdallocx, dallocx) and with malloc/free,
 * which jemalloc also provides here. Prints the bytes each site allocated and leaves. */
#include <jemalloc/jemalloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static void *volatile sink;

NOINLINE static void je_mallocx(int n)
{
	for (int i = 0; i < n; i++) {
		void *p = mallocx(4000, 0);

		sink = p;
		sdallocx(p, 4000, 0);
	}
}

NOINLINE static void je_rallocx(int n)
{
	for (int i = 0; i < n; i++) {
		void *p = mallocx(100, MALLOCX_ZERO);

		p = rallocx(p, 20000, 0);
		sink = p;
		dallocx(p, 0);
	}
}

NOINLINE static void je_malloc(int n)
{
	for (int i = 0; i < n; i++) {
		void *p = malloc(3000);

		memset(p, 1, 16);
		sink = p;
		free(p);
	}
}

NOINLINE static void *je_keep(void)
{
	char *p = mallocx(7777, 0);

	p[0] = 1; /* not a tail call: je_keep stays on the stack */
	return p;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;

	je_mallocx(n);
	je_rallocx(n);
	je_malloc(n);
	sink = je_keep();
	printf("truth je_mallocx %llu\n", 4000ull * (unsigned)n);
	printf("truth je_rallocx %llu\n", 20100ull * (unsigned)n);
	printf("truth je_malloc %llu\n", 3000ull * (unsigned)n);
	printf("truth je_keep 7777\n");
	return 0;
}
