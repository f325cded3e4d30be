/*
 * Generates benchmark inputs on standard output:
 *   gen-stacks folded N SEED    N unique stacks (depth 10 to 60), folded, random counts
 *   gen-stacks perf MB SEED     about MB megabytes of `perf script` text
 *   gen-stacks dump S HZ T SEED a dump file (tests/dumpgen.h) of a run of S seconds with T busy
 *                               threads sampled at HZ on cpu, each sample one of 20000 stacks
 *                               (more often the first ones), frames named by PERFMAP entries
 * Frames come from a fixed vocabulary of a few thousand names, chosen so that stacks share
 * prefixes the way real programs do (few roots, more variety deeper down).
 */
#include "../tests/dumpgen.h"

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

#define DUMP_STACKS 20000
#define DUMP_CODE   0x7000000ull /* the names' code: 0x100 bytes each from here */

/* A dump of a run of secs seconds, threads threads sampled at hz (see the top). */
static int dump(long secs, long hz, long threads)
{
	struct dumpgen g;
	const char *argv[] = {"bench-prog"};
	uint64_t *ids = malloc(DUMP_STACKS * sizeof(*ids)), frames[64], total = 0;
	uint64_t ticks = (uint64_t)secs * (uint64_t)hz, period = 1000000000ull / (uint64_t)hz;
	char tname[32];

	if (!ids || secs <= 0 || hz <= 0 || threads <= 0 || threads > 1000)
		return 2;
	dg_begin(&g, 4242, INFLAME_FEAT_CPU);
	dg_process(&g, 4242, "/usr/bin/bench-prog", 1, argv, "cpu", (uint64_t)hz);
	dg_module(&g, 1, 0x400000, 0x400000, 0x500000, "/usr/bin/bench-prog", NULL, 0);
	dg_count(&g, VOCAB);
	for (int i = 0; i < VOCAB; i++) {
		inflame_buf_put_varint(&g.b, 0);
		inflame_buf_put_varint(&g.b, DUMP_CODE + (uint64_t)i * 0x100);
		inflame_buf_put_varint(&g.b, 0x100);
		dg_str(&g, names[i]);
	}
	dg_chunk(&g, INFLAME_CHUNK_PERFMAP);
	dg_count(&g, (uint64_t)threads);
	for (long t = 0; t < threads; t++) {
		snprintf(tname, sizeof(tname), "worker-%ld", t);
		dg_thread(&g, 5000 + (uint64_t)t, tname, 0);
	}
	dg_chunk(&g, INFLAME_CHUNK_THREADS);
	for (int c = 0; c < DUMP_STACKS / 1000; c++) {
		dg_count(&g, 1000);
		for (int i = c * 1000; i < (c + 1) * 1000; i++) {
			int depth = 10 + (int)(next() % 51);

			for (int k = 0; k < depth; k++) /* leaf first */
				frames[depth - 1 - k] =
				    DUMP_CODE +
				    (uint64_t)(pick(k) - names[0]) / sizeof(names[0]) * 0x100 + 1 +
				    next() % 0xf0;
			ids[i] = (uint64_t)i + 1;
			dg_stack(&g, ids[i], (size_t)depth, frames);
		}
		dg_chunk(&g, INFLAME_CHUNK_STACKS);
	}
	for (uint64_t tick = 0; tick < ticks;) {
		uint64_t n = ticks - tick < 100000 ? ticks - tick : 100000;

		dg_count(&g, n * (uint64_t)threads);
		for (uint64_t e = tick + n; tick < e; tick++) {
			for (long t = 0; t < threads; t++) {
				uint64_t time = g.start + tick * period + (uint64_t)t * 1000;
				uint64_t a = next() % DUMP_STACKS, b = next() % DUMP_STACKS;

				inflame_buf_put_varint(
				    &g.b, inflame_zigzag((int64_t)(time - g.last_time)));
				g.last_time = time;
				inflame_buf_put_varint(&g.b, 5000 + (uint64_t)t);
				inflame_buf_put_varint(&g.b, INFLAME_EV_CPU);
				inflame_buf_put_varint(&g.b, ids[a < b ? a : b]);
				inflame_buf_put_varint(&g.b, 1);
				total++;
			}
		}
		dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	}
	inflame_buf_put_varint(&g.b, g.start + ticks * period);
	for (int i = 0; i < INFLAME_EV_COUNT_; i++)
		inflame_buf_put_varint(&g.b, i == INFLAME_EV_CPU ? total : 0);
	dg_chunk(&g, INFLAME_CHUNK_END);
	free(ids);
	if (g.file.failed || fwrite(g.file.data, 1, g.file.len, stdout) != g.file.len)
		return 1;
	inflame_buf_free(&g.file);
	return 0;
}

int main(int argc, char **argv)
{
	long n;

	if (argc == 6 && !strcmp(argv[1], "dump")) {
		rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)atol(argv[5]);
		for (int i = 0; i < VOCAB; i++)
			snprintf(names[i], sizeof(names[i]), "%s_%s_%d",
				 parts[i % (sizeof(parts) / sizeof(parts[0]))],
				 parts[(i / 7) % (sizeof(parts) / sizeof(parts[0]))], i);
		return dump(atol(argv[2]), atol(argv[3]), atol(argv[4]));
	}
	if (argc != 4 || (strcmp(argv[1], "folded") && strcmp(argv[1], "perf"))) {
		fprintf(stderr, "usage: gen-stacks folded N SEED | gen-stacks perf MB SEED | "
				"gen-stacks dump SECONDS HZ THREADS SEED\n");
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
