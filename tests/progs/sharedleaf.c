/* Two call paths that share their leaf frames, for the call-site cache of the allocation hooks
 * (thread.h, struct inflame_site_cache). Built without frame pointers, so that inflame walks
 * its stacks by the unwind tables. main calls path_a and path_b in a pseudo-random order;
 * both call mid, which calls leaf_alloc, which calls malloc: the hook's first frame (the
 * return address into leaf_alloc, its stack pointer) is the same for both paths, only the
 * return address of mid into path_a or path_b differs. Likewise outer_a and outer_b share
 * three frames (common, mid, leaf_alloc) above theirs. Prints "truth NAME VALUE" lines: the
 * allocations and bytes of each path, and same_sp 1 when mid's frame was at the same place on
 * both paths (the cache then saw one first frame for two stacks).
 *
 *   sharedleaf N    N thousand allocations (freed at once).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static void *volatile sink;
static uintptr_t sp[4]; /* mid's frame on each path */
static volatile unsigned extra;

NOINLINE static void *leaf_alloc(size_t n)
{
	void *p = malloc(n);

	sink = p;
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

NOINLINE static void *mid(size_t n, uintptr_t *where)
{
	volatile char here;
	void *p;

	*where = (uintptr_t)&here; /* the place of mid's frame, roughly */
	p = leaf_alloc(n);
	__asm__ volatile("" : : "r"(p) : "memory"); /* (no tail call) */
	return p;
}

NOINLINE static void *common(size_t n, uintptr_t *where)
{
	void *p = mid(n, where);

	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

/* The paths differ by what they add to extra, not by their frames. */
NOINLINE static void *path_a(size_t n)
{
	void *p = mid(n, &sp[0]);

	extra += 1;
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

NOINLINE static void *path_b(size_t n)
{
	void *p = mid(n, &sp[1]);

	extra += 2;
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

NOINLINE static void *outer_a(size_t n)
{
	void *p = common(n, &sp[2]);

	extra += 3;
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

NOINLINE static void *outer_b(size_t n)
{
	void *p = common(n, &sp[3]);

	extra += 4;
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) * 1000 : 100000;
	unsigned long count[4] = {0}, bytes[4] = {0};
	int same_sp;
	uint32_t x = 12345;

	for (unsigned long i = 0; i < n; i++) {
		size_t size;
		unsigned which;
		void *p;

		x = x * 1103515245u + 12345u;
		/* runs of one path and quick alternations, both */
		which = (x >> 16) & 3;
		size = 16 + 8 * which + ((x >> 20) & 7);
		switch (which) {
		case 0:
			p = path_a(size);
			break;
		case 1:
			p = path_b(size);
			break;
		case 2:
			p = outer_a(size);
			break;
		default:
			p = outer_b(size);
			break;
		}
		count[which]++;
		bytes[which] += size;
		free(p);
	}
	printf("truth count_path_a %lu\ntruth count_path_b %lu\n", count[0], count[1]);
	printf("truth count_outer_a %lu\ntruth count_outer_b %lu\n", count[2], count[3]);
	printf("truth bytes_path_a %lu\ntruth bytes_path_b %lu\n", bytes[0], bytes[1]);
	printf("truth bytes_outer_a %lu\ntruth bytes_outer_b %lu\n", bytes[2], bytes[3]);
	same_sp = sp[0] == sp[1] && sp[2] == sp[3];
	printf("truth same_sp %d\n", same_sp);
	return 0;
}
