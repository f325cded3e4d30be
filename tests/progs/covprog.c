/* e2e workloads for coverage and the profiler's own CPU (tests/e2e_coverage_test.c).
 * Usage:
 *   covprog blocked [seconds]  a main thread and a worker that blocks every signal with the
 *                              raw system call (no interposer sees it), both burning CPU
 *   covprog sleep [seconds]    sleeps in clock_nanosleep until the time is up, using no CPU
 *   covprog naps [seconds]     the same in naps of 1 ms, waking a thousand times a second
 *   covprog syscalls [seconds] burns CPU mostly in the kernel (getppid, small writes)
 *   covprog mixed [seconds]    a main thread burning CPU in user code and a worker "mixer"
 *                              that burns as much in turns of 1 ms of user code, a burst of
 *                              system calls and a nap of 0.3 ms
 *   covprog dozes [seconds]    wall seconds of 0.2 ms of user code and a nap of 2 ms in turns,
 *                              as a thread that wakes for a little work (CPython's sleep loop)
 * Each thread reports its own CPU time as "truth NAME NS" on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double secs = 1.0;
volatile unsigned long sink;

static unsigned long long clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

__attribute__((noinline)) void spin_until(unsigned long long end)
{
	unsigned long s = sink;

	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		for (int i = 0; i < 1000000; i++)
			s = s * 31 + (unsigned long)i;
	sink = s;
}

static void *blocked_worker(void *arg)
{
	/* Every signal blocked behind the back of any interposer: the kernel's sigset_t is
	 * 8 bytes on Linux. */
	unsigned long all = ~0ul;

	(void)arg;
	pthread_setname_np(pthread_self(), "blocked");
	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, sizeof(all)) != 0) {
		perror("rt_sigprocmask");
		exit(2);
	}
	spin_until(clock_ns(CLOCK_THREAD_CPUTIME_ID) + (unsigned long long)(secs * 1e9));
	fprintf(stderr, "truth blocked %llu\n", clock_ns(CLOCK_THREAD_CPUTIME_ID));
	return NULL;
}

static int blocked(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, blocked_worker, NULL) != 0)
		return 2;
	spin_until(clock_ns(CLOCK_THREAD_CPUTIME_ID) + (unsigned long long)(secs * 1e9));
	fprintf(stderr, "truth main %llu\n", clock_ns(CLOCK_THREAD_CPUTIME_ID));
	pthread_join(t, NULL);
	return 0;
}

__attribute__((noinline)) void sleep_until(unsigned long long end)
{
	for (;;) {
		unsigned long long now = clock_ns(CLOCK_MONOTONIC);
		struct timespec ts;

		if (now >= end)
			return;
		ts.tv_sec = (time_t)((end - now) / 1000000000ull);
		ts.tv_nsec = (long)((end - now) % 1000000000ull);
		/* An EINTR only brings us back here. */
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	}
}

__attribute__((noinline)) void nap_until(unsigned long long end)
{
	struct timespec ts = {0, 1000000};

	while (clock_ns(CLOCK_MONOTONIC) < end)
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

__attribute__((noinline)) void syscall_until(unsigned long long end)
{
	int fd = open("/dev/null", O_WRONLY);
	char b[64] = {0};

	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		for (int i = 0; i < 200; i++) {
			(void)!write(fd, b, sizeof(b));
			syscall(SYS_getppid);
		}
	close(fd);
}

static void *mixer(void *arg)
{
	unsigned long long end =
	    clock_ns(CLOCK_THREAD_CPUTIME_ID) + (unsigned long long)(secs * 1e9);
	struct timespec nap = {0, 300000};
	int fd = open("/dev/null", O_WRONLY);
	char b[64] = {0};

	(void)arg;
	pthread_setname_np(pthread_self(), "mixer");
	for (unsigned long long now; (now = clock_ns(CLOCK_THREAD_CPUTIME_ID)) < end;) {
		unsigned long s = sink;

		while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < now + 1000000)
			for (int i = 0; i < 20000; i++)
				s = s * 31 + (unsigned long)i;
		sink = s;
		for (int i = 0; i < 300; i++) {
			(void)!write(fd, b, sizeof(b));
			syscall(SYS_getppid);
		}
		clock_nanosleep(CLOCK_MONOTONIC, 0, &nap, NULL);
	}
	close(fd);
	fprintf(stderr, "truth mixer %llu\n", clock_ns(CLOCK_THREAD_CPUTIME_ID));
	return NULL;
}

static int mixed(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, mixer, NULL) != 0)
		return 2;
	spin_until(clock_ns(CLOCK_THREAD_CPUTIME_ID) + (unsigned long long)(secs * 1e9));
	fprintf(stderr, "truth main %llu\n", clock_ns(CLOCK_THREAD_CPUTIME_ID));
	pthread_join(t, NULL);
	return 0;
}

/* Turns of 0.2 ms of user code and a 2 ms nap until the wall time is up. */
static void doze_until(unsigned long long end)
{
	struct timespec nap = {0, 2000000};

	while (clock_ns(CLOCK_MONOTONIC) < end) {
		unsigned long long stop = clock_ns(CLOCK_THREAD_CPUTIME_ID) + 200000;
		unsigned long s = sink;

		while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < stop)
			for (int i = 0; i < 2000; i++)
				s = s * 31 + (unsigned long)i;
		sink = s;
		clock_nanosleep(CLOCK_MONOTONIC, 0, &nap, NULL);
	}
}

int main(int argc, char **argv)
{
	if (argc > 2)
		secs = atof(argv[2]);
	if (argc > 1 && !strcmp(argv[1], "blocked"))
		return blocked();
	if (argc > 1 && !strcmp(argv[1], "sleep")) {
		sleep_until(clock_ns(CLOCK_MONOTONIC) + (unsigned long long)(secs * 1e9));
		fprintf(stderr, "truth main %llu\n", clock_ns(CLOCK_THREAD_CPUTIME_ID));
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "naps")) {
		nap_until(clock_ns(CLOCK_MONOTONIC) + (unsigned long long)(secs * 1e9));
		fprintf(stderr, "truth main %llu\n", clock_ns(CLOCK_THREAD_CPUTIME_ID));
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "syscalls")) {
		syscall_until(clock_ns(CLOCK_THREAD_CPUTIME_ID) + (unsigned long long)(secs * 1e9));
		fprintf(stderr, "truth main %llu\n", clock_ns(CLOCK_THREAD_CPUTIME_ID));
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "mixed"))
		return mixed();
	if (argc > 1 && !strcmp(argv[1], "dozes")) {
		doze_until(clock_ns(CLOCK_MONOTONIC) + (unsigned long long)(secs * 1e9));
		fprintf(stderr, "truth main %llu\n", clock_ns(CLOCK_THREAD_CPUTIME_ID));
		return 0;
	}
	fprintf(stderr, "usage: covprog blocked|sleep|naps|syscalls|mixed|dozes [seconds]\n");
	return 2;
}
