/*
 * Generates benchmark inputs on standard output:
 *   gen-stacks folded N SEED    N unique stacks (depth 10 to 60), folded, random counts
 *   gen-stacks perf MB SEED     about MB megabytes of `perf script` text
 * Frames come from a fixed vocabulary of a few thousand names, chosen so that stacks share
 * prefixes the way real programs do (few roots, more variety deeper down).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOCAB 4000

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *const parts[] = {"parse",  "eval",	"read", "write", "alloc",   "hash",
				    "lookup", "insert", "sort", "merge", "encode",  "decode",
				    "send",   "recv",	"lock", "wait",	 "compute", "render"};

static char names[VOCAB][48];

/* The name of frame k of a stack: narrow choices near the root, wide ones deeper. */
static const char *pick(int k)
{
	uint64_t width = k < 2 ? 3 : k < 5 ? 16 : k < 9 ? 200 : VOCAB;

	return names[next() % width];
}

int main(int argc, char **argv)
{
	long n;

	if (argc != 4 || (strcmp(argv[1], "folded") && strcmp(argv[1], "perf"))) {
		fprintf(stderr, "usage: gen-stacks folded N SEED | gen-stacks perf MB SEED\n");
		return 2;
	}
	n = atol(argv[2]);
	rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)atol(argv[3]);
	for (int i = 0; i < VOCAB; i++)
		snprintf(names[i], sizeof(names[i]), "%s_%s_%d",
			 parts[i % (sizeof(parts) / sizeof(parts[0]))],
			 parts[(i / 7) % (sizeof(parts) / sizeof(parts[0]))], i);
	if (!strcmp(argv[1], "folded")) {
		for (long i = 0; i < n; i++) {
			int depth = 10 + (int)(next() % 51);

			for (int k = 0; k < depth; k++) {
				if (k)
					putchar(';');
				fputs(pick(k), stdout);
			}
			printf(" %llu\n", (unsigned long long)(1 + next() % 100));
		}
	} else {
		uint64_t limit = (uint64_t)n << 20, written = 0;
		const char *frames[64];

		while (written < limit) {
			int depth = 10 + (int)(next() % 40), len;
			uint64_t tid = 1000 + next() % 8;

			for (int k = 0; k < depth; k++)
				frames[k] = pick(k);
			len =
			    printf("myprog %llu/%llu [%03d] %llu.%06llu: 250000 cpu-clock:pppH:\n",
				   1000ull, (unsigned long long)tid, (int)(next() % 8),
				   (unsigned long long)(written >> 10),
				   (unsigned long long)(next() % 1000000));
			written += (uint64_t)len;
			for (int k = depth - 1; k >= 0; k--) {
				uint64_t h = (uint64_t)(frames[k] - names[0]) * 2654435761u;

				len = printf("\t    7f%010llx %s+0x%llx (/usr/lib/x86_64-linux-gnu/"
					     "libmyprog.so.1)\n",
					     (unsigned long long)(h & 0xffffffffffull), frames[k],
					     (unsigned long long)(next() % 4096));
				written += (uint64_t)len;
			}
			putchar('\n');
			written++;
		}
	}
	return ferror(stdout) ? 1 : 0;
}
