/*
 * Prints the ids of the first POSIX timers it makes, one in the main thread and one in a
 * thread it starts, each on the calling thread's CPU clock: the ids are results of a system
 * call the program sees, and Linux hands them out in sequence per process, so any timer made
 * by a profiler before them changes them (tests/timerid_test.sh).
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

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

int main(void)
{
	pthread_t th;
	long in_thread = -1, first = make_timer();

	if (pthread_create(&th, NULL, thread_main, &in_thread) != 0 || pthread_join(th, NULL) != 0)
		return 1;
	printf("main thread's timer %ld, new thread's timer %ld\n", first, in_thread);
	return 0;
}
