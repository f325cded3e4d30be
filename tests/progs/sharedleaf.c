/* Two call paths that share their leaf frames, for the call-site cache of the allocation hooks
 * (thread.h, struct inflame_site_cache). Built without frame pointers, so that inflame walks
 * its stacks by the unwind tables. main calls path_a and path_b in a pseudo-random order;
 * both call mid, which calls leaf_alloc, which calls malloc: the hook's first frame (the
 * return address into leaf_alloc, its stack pointer) is the same for both paths, only the
 * return address of mid into path_a or path_b differs. Likewise outer_a and outer_b share
 * three frames (common, mid, leaf_alloc) above theirs. Prints "truth NAME VALUE" lines: the
 * allocations and bytes of each path, and same_sp 1 when mid's frame was at the same place on
 * both paths (the cache then saw one first frame for two stacks). With "wide", main calls
 * path_a, path_b, path_c and path_d instead: four stacks above one first frame.
 *
 *   sharedleaf N [wide]    N thousand allocations (freed at once).
 */
#include <string.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

static void *volatile sink;
static uintptr_t sp[6]; /* mid's frame on each path */
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

/* The paths differ by what they add to extra, not by their frames: one body for all, each its
 * own function (-fno-ipa-icf keeps them apart). */
#define PATH(name, via, where, add)                                                                \
	NOINLINE static void *name(size_t n)                                                       \
	{                                                                                          \
		void *p = via(n, &sp[where]);                                                      \
                                                                                                   \
		extra += add;                                                                      \
		__asm__ volatile("" : : "r"(p) : "memory");                                        \
		return p;                                                                          \
	}

PATH(path_a, mid, 0, 1)
PATH(path_b, mid, 1, 2)
PATH(path_c, mid, 4, 5)
PATH(path_d, mid, 5, 6)
PATH(outer_a, common, 2, 3)
PATH(outer_b, common, 3, 4)

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) * 1000 : 100000;
	unsigned long count[4] = {0}, bytes[4] = {0};
	int wide = argc > 2 && strcmp(argv[2], "wide") == 0;
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
			p = wide ? path_c(size) : outer_a(size);
			break;
		default:
			p = wide ? path_d(size) : outer_b(size);
			break;
		}
		count[which]++;
		bytes[which] += size;
		free(p);
	}
	printf("truth count_path_a %lu\ntruth count_path_b %lu\n", count[0], count[1]);
	printf("truth count_%s %lu\ntruth count_%s %lu\n", wide ? "path_c" : "outer_a", count[2],
	       wide ? "path_d" : "outer_b", count[3]);
	printf("truth bytes_path_a %lu\ntruth bytes_path_b %lu\n", bytes[0], bytes[1]);
	printf("truth bytes_%s %lu\ntruth bytes_%s %lu\n", wide ? "path_c" : "outer_a", bytes[2],
	       wide ? "path_d" : "outer_b", bytes[3]);
	same_sp = wide ? sp[0] == sp[1] && sp[1] == sp[4] && sp[4] == sp[5]
		       : sp[0] == sp[1] && sp[2] == sp[3];
	printf("truth same_sp %d\n", same_sp);
	return 0;
}
