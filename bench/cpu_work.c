/*
 * bench/cpu-work: the deterministic CPU-bound workload of the overhead benchmark (bench/cpu.sh).
 *
 * The work is a fixed number of units; a unit evaluates a pseudo-random expression tree that
 * is never stored: each node derives its operator and its children's seeds from its own seed,
 * so the walk touches no memory beyond the stack. Operators are separate functions calling back
 * into eval(), which gives frame-pointer stacks about 25 frames deep on average (main, run,
 * worker, unit, then eval and an operator per level; chains of op_neg reach 40) and a flame
 * graph with a few distinct shapes. Leaves do a short arithmetic loop so that calls are not the
 * whole cost. About 2.7 s of CPU by default on a 2024 x86-64 server core.
 *
 * usage: cpu-work [-t THREADS] [-u UNITS] [-d FRAMES]
 * With -t the units are dealt round-robin to THREADS threads (same total work, same result).
 * With -d each worker runs its units FRAMES calls deeper (nest()), for stacks of about
 * 25 + FRAMES frames; the result is the same.
 * The checksum printed at the end is the wrapping sum of the units' values, independent of the
 * thread count, so runs can be checked against each other.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define DEPTH	 10 /* levels of operators below a unit */

static long units = 90000;
static int nthreads = 1;
static int nest_frames;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	x ^= x >> 33;
	return x;
}

static NOINLINE uint64_t eval(uint64_t seed, int depth);

static NOINLINE uint64_t leaf(uint64_t seed)
{
	uint64_t v = seed;

	for (int i = 0; i < 24; i++)
		v = v * 6364136223846793005ull + (v >> 29) + (uint64_t)i;
	return v;
}

static NOINLINE uint64_t op_add(uint64_t seed, int depth)
{
	return eval(mix(seed + 1), depth - 1) + eval(mix(seed + 2), depth - 1);
}

static NOINLINE uint64_t op_mul(uint64_t seed, int depth)
{
	return eval(mix(seed ^ 0x55), depth - 1) * (eval(mix(seed ^ 0xaa), depth - 1) | 1);
}

static NOINLINE uint64_t op_xor(uint64_t seed, int depth)
{
	uint64_t a = eval(mix(seed * 3), depth - 1);

	return a ^ (eval(mix(seed * 5), depth - 1) << 7);
}

/* One child only, but a deeper one: this is what makes some stacks longer than others. */
static NOINLINE uint64_t op_neg(uint64_t seed, int depth)
{
	return ~eval(mix(seed + 7), depth) + leaf(seed);
}

/* The result is adjusted after the call so that the compiler cannot turn the calls into jumps:
 * eval keeps its frame in every stack, like an interpreter's dispatch function. */
static NOINLINE uint64_t eval(uint64_t seed, int depth)
{
	uint64_t v;

	if (depth <= 0)
		return leaf(seed);
	switch (seed % 7) {
	case 0:
	case 1:
	case 2:
		v = op_add(seed, depth);
		break;
	case 3:
	case 4:
		v = op_mul(seed, depth);
		break;
	case 5:
		v = op_xor(seed, depth);
		break;
	default:
		v = op_neg(seed, depth);
		break;
	}
	return v + (uint64_t)depth;
}

static NOINLINE uint64_t unit(long i)
{
	return eval(mix((uint64_t)i + 0x9e3779b97f4a7c15ull), DEPTH);
}

struct worker {
	pthread_t thread;
	int index;
	uint64_t sum;
};

static NOINLINE void work_units(struct worker *w)
{
	for (long i = w->index; i < units; i += nthreads)
		w->sum += unit(i);
}

/* frames more calls between the worker and its units. */
static NOINLINE void nest(struct worker *w, int frames)
{
	volatile int keep = frames; /* used after the call: not a tail call */

	if (frames <= 0)
		work_units(w);
	else
		nest(w, frames - 1);
	w->sum += (uint64_t)(keep - frames);
}

static NOINLINE void *worker(void *arg)
{
	struct worker *w = arg;

	nest(w, nest_frames);
	return NULL;
}

static NOINLINE uint64_t run(void)
{
	struct worker *w = calloc((size_t)nthreads, sizeof(*w));
	uint64_t sum = 0;

	if (!w) {
		perror("calloc");
		exit(1);
	}
	for (int i = 0; i < nthreads; i++)
		w[i].index = i;
	if (nthreads == 1) {
		worker(&w[0]);
	} else {
		for (int i = 0; i < nthreads; i++) {
			int rc = pthread_create(&w[i].thread, NULL, worker, &w[i]);

			if (rc) {
				fprintf(stderr, "cpu-work: pthread_create: %s\n", strerror(rc));
				exit(1);
			}
		}
		for (int i = 0; i < nthreads; i++)
			pthread_join(w[i].thread, NULL);
	}
	for (int i = 0; i < nthreads; i++)
		sum += w[i].sum;
	free(w);
	return sum;
}

int main(int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "t:u:d:")) != -1) {
		switch (ch) {
		case 'd':
			nest_frames = atoi(optarg);
			break;
		case 't':
			nthreads = atoi(optarg);
			break;
		case 'u':
			units = atol(optarg);
			break;
		default:
			fprintf(stderr, "usage: cpu-work [-t THREADS] [-u UNITS] [-d FRAMES]\n");
			return 2;
		}
	}
	if (nthreads < 1 || nthreads > 1024 || units < 1 || nest_frames < 0 ||
	    nest_frames > 100000) {
		fprintf(stderr, "cpu-work: bad thread, unit or frame count\n");
		return 2;
	}
	printf("checksum %016llx (%ld units, %d threads)\n", (unsigned long long)run(), units,
	       nthreads);
	return 0;
}
