/* A program that closes a descriptor number twice, as shells do after a fork (the second close is
 * harmless when the program alone opens descriptors), while THREADS threads at a time block in a
 * read of a pipe for BLOCK_MS, long enough for inflame's wall-clock ticker to map them a switch
 * page (preload/wall.c), ROUNDS times. A hammer thread closes the lowest free number, pauses,
 * opens /dev/null (which takes that number), works a little and checks that its descriptor is
 * still /dev/null. When inflame holds a descriptor at that number on a thread of its own, the
 * stray close closes inflame's, and inflame's close of it then closes the hammer's file. Before
 * each stray close the hammer also looks at what the number and the next two hold: a perf event
 * there is inflame's (the wall ticker's switch pages, preload/wall.c).
 * Prints "loops N, perf events of inflame's at the lowest free number N, second closes that
 * closed something N, descriptors lost N"; exits 1 when it saw such a perf event. (Lost
 * descriptors are counted, not failed on: inflame's other descriptors still take a low number
 * between two of its calls, preload/fdhigh.c, which a thread preempted there makes long.)
 * Usage: strayclose [rounds] [threads] [block-ms] [spin] */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;
static long block_ms = 200;
static int spin = 20000;
static int fds[2];
static unsigned long closed_twice, lost, loops, perf_seen;

static void *hammer(void *arg)
{
	struct stat null_st, st;
	char path[3][64], link[64];
	int low;

	(void)arg;
	if (stat("/dev/null", &null_st) != 0)
		return NULL;
	/* The lowest free number, which every open takes. */
	low = open("/dev/null", O_RDONLY);
	close(low);
	for (int i = 0; i < 3; i++)
		snprintf(path[i], sizeof(path[i]), "/proc/self/fd/%d", low + i);
	while (!atomic_load(&stop)) {
		int b;

		/* A perf event of inflame's at that number or the next two (the program opens none
		 * there). */
		for (int i = 0; i < 3; i++) {
			ssize_t n = readlink(path[i], link, sizeof(link) - 1);

			if (n > 0) {
				link[n] = 0;
				if (strstr(link, "perf_event"))
					perf_seen++;
			}
		}
		/* A stray close: the number is free, unless another thread took it meanwhile. */
		if (close(low) == 0)
			closed_twice++;
		/* (a pause: a descriptor held between two calls only is not what this looks for) */
		for (volatile int k = 0; k < spin / 2; k++)
			;
		b = open("/dev/null", O_RDONLY);
		for (volatile int k = 0; k < spin; k++)
			;
		if (fstat(b, &st) != 0 || st.st_rdev != null_st.st_rdev)
			lost++;
		close(b);
		loops++;
	}
	return NULL;
}

/* Blocks in a read of the pipe (a call inflame marks nothing in), as an idle worker would. */
static void *blocker(void *arg)
{
	char c;

	(void)arg;
	if (read(fds[0], &c, 1) != 1)
		perror("strayclose: read");
	return NULL;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 4, n = argc > 2 ? atoi(argv[2]) : 64;
	pthread_t h, t[256];

	if (argc > 3)
		block_ms = atol(argv[3]);
	if (argc > 4)
		spin = atoi(argv[4]);
	if (n < 1 || n > 256 || pipe(fds) != 0) {
		fprintf(stderr, "usage: strayclose [rounds] [threads 1-256] [block-ms] [spin]\n");
		return 2;
	}
	pthread_create(&h, NULL, hammer, NULL);
	for (int r = 0; r < rounds; r++) {
		struct timespec ts = {block_ms / 1000, (block_ms % 1000) * 1000000L};

		for (int i = 0; i < n; i++)
			pthread_create(&t[i], NULL, blocker, NULL);
		nanosleep(&ts, NULL);
		/* (the hammer stops before the threads end: what inflame does as threads exit is
		 * not what this looks for) */
		if (r == rounds - 1) {
			atomic_store(&stop, 1);
			pthread_join(h, NULL);
		}
		for (int i = 0; i < n; i++)
			if (write(fds[1], "x", 1) != 1)
				return 2;
		for (int i = 0; i < n; i++)
			pthread_join(t[i], NULL);
	}
	printf("loops %lu, perf events of inflame's at the lowest free number %lu, second closes "
	       "that closed something %lu, descriptors lost %lu\n",
	       loops, perf_seen, closed_twice, lost);
	return perf_seen ? 1 : 0;
}
