/*
 * Counts the perf events a process holds (descriptors that read as anon_inode:[perf_event] in
 * /proc/self/fd), for tests/first_clock_test.sh: under the default cpu timer a thread starts on
 * a POSIX timer and opens its perf event at its first sample, so one that ends sooner has none.
 * Prints one line per count:
 *   start N       the main thread's, as it starts (no CPU of its own yet)
 *   thread N      those a thread opened that ends at once
 *   child N       those a fork child opened before it exits at once (its parent's copies aside)
 *   burned N      the main thread's after 50 ms of CPU time
 *   burnedchild N those a fork child opened, forked after that
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static int perf_events(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[64], target[64];
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		n += strcmp(target, "anon_inode:[perf_event]") == 0;
	}
	closedir(d);
	return n;
}

static void *counter(void *arg)
{
	*(int *)arg = perf_events();
	return NULL;
}

/* The events a fork child opened: its count less its parent's at the fork (the exit status). */
static int child_events(void)
{
	int before = perf_events(), st;
	pid_t p = fork();

	if (p == 0)
		_exit(perf_events() - before);
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void burn(double secs)
{
	struct timespec ts;

	do {
		for (int i = 0; i < 10000; i++)
			sink += (unsigned long)i * sink + 1;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	} while ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 < secs);
}

int main(void)
{
	pthread_t t;
	int in_thread = -1;

	printf("start %d\n", perf_events());
	if (pthread_create(&t, NULL, counter, &in_thread) == 0)
		pthread_join(t, NULL);
	printf("thread %d\n", in_thread);
	printf("child %d\n", child_events());
	burn(0.05);
	printf("burned %d\n", perf_events());
	printf("burnedchild %d\n", child_events());
	return 0;
}
