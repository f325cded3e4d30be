/*
 * Prints the ids of POSIX timers it makes, each on the calling thread's CPU clock: the ids are
 * results of a system call the program sees, and Linux hands them out in sequence per process,
 * so any timer made by a profiler before them changes them (tests/timerid_test.sh). In order:
 *   main N        the main thread's first, as it starts
 *   thread N      that of a thread it starts
 *   child N       the first of a fork child, which exits at once
 *   burned N      the main thread's after 30 ms of CPU (a profiler has sampled it by then)
 *   burnedchild N the first of a fork child that runs 30 ms of CPU first
 * then it execs itself with the argument "exec", after making these timers and deleting them:
 *   exec N        the first of the image after the exec, as it starts (the kernel's next id
 *                 is kept across an exec)
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static long make_timer(void)
{
	struct sigevent se = {0};
	timer_t t;

	se.sigev_notify = SIGEV_NONE;
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &se, &t) != 0)
		return -1;
	return (long)(intptr_t)t;
}

static void *thread_main(void *arg)
{
	*(long *)arg = make_timer();
	return NULL;
}

/* Spends ms of the calling thread's CPU time. */
static void burn(long ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 10000; i++)
			sink += (unsigned long)i;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000L + (t.tv_nsec - t0.tv_nsec) / 1000000L < ms);
}

/* A fork child that spends ms of CPU, prints its first timer's id after name and exits. */
static int child(const char *name, long ms)
{
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		burn(ms);
		printf("%s %ld\n", name, make_timer());
		fflush(stdout);
		_exit(0);
	}
	return pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) ? -1 : 0;
}

int main(int argc, char **argv)
{
	pthread_t th;
	long in_thread = -1, first = make_timer();

	if (argc > 1 && !strcmp(argv[1], "exec")) {
		printf("exec %ld\n", first);
		return 0;
	}
	if (pthread_create(&th, NULL, thread_main, &in_thread) != 0 || pthread_join(th, NULL) != 0)
		return 1;
	printf("main %ld\nthread %ld\n", first, in_thread);
	if (child("child", 0) < 0)
		return 1;
	burn(30);
	printf("burned %ld\n", make_timer());
	if (child("burnedchild", 30) < 0)
		return 1;
	fflush(stdout);
	for (long id = 0; id < 8; id++)
		timer_delete((timer_t)(intptr_t)id);
	execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
	return 1;
}
