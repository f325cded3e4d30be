/* Threads blocked where the EINTR shield marks nothing: IDLE threads (default 32) each wait in a
 * read of a pipe in pipe_wait for SECONDS (default 3.5) while the main thread sleeps, then all
 * are released. Prints "truth idle_ms N": the threads' summed time in their reads.
 * Usage: pipeidle [seconds] [idle-threads] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_IDLE 256

static int fds[2];
static unsigned long long idle_ns[MAX_IDLE];

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void sleep_ns(unsigned long long ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};

	nanosleep(&ts, NULL);
}

static __attribute__((noinline)) void pipe_wait(long i)
{
	unsigned long long t0 = now_ns();
	char c;

	if (read(fds[0], &c, 1) != 1)
		perror("pipeidle: read");
	idle_ns[i] = now_ns() - t0;
}

static void *idle_main(void *p)
{
	pipe_wait((long)p);
	return NULL;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3.5;
	int n = argc > 2 ? atoi(argv[2]) : 32;
	pthread_t th[MAX_IDLE];
	unsigned long long t0, sum = 0;

	if (n < 1 || n > MAX_IDLE || secs < 0.1 || pipe(fds) != 0) {
		fprintf(stderr, "usage: pipeidle [seconds >= 0.1] [threads 1-%d]\n", MAX_IDLE);
		return 2;
	}
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		pthread_create(&th[i], NULL, idle_main, (void *)i);
	sleep_ns(t0 + (unsigned long long)(secs * 1e9) - now_ns());
	for (int i = 0; i < n; i++)
		if (write(fds[1], "x", 1) != 1)
			perror("pipeidle: write");
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		sum += idle_ns[i];
	}
	printf("truth idle_ms %llu\n", sum / 1000000ull);
	return 0;
}
