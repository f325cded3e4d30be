/*
 * A preloaded library whose pthread_create() spends SLOWCREATE_MS milliseconds (20 unless set) of
 * the calling thread's CPU on its first call, then creates the thread as the C library does.
 * Loaded after libinflame.so, it is the pthread_create that inflame's own calls reach: the first
 * one starts inflame's writer thread, in the middle of inflame's set-up, which then lasts that
 * long on any machine (tests/setup_coverage_test.sh).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

static atomic_int slowcreate_done;

static long long slowcreate_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	int (*next)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

	if (!atomic_exchange(&slowcreate_done, 1)) {
		const char *v = getenv("SLOWCREATE_MS");
		long long end = slowcreate_cpu_ns() + (v ? atoll(v) : 20) * 1000000LL;
		volatile unsigned spin = 0;

		while (slowcreate_cpu_ns() < end)
			for (int i = 0; i < 1000; i++)
				spin++;
	}
	*(void **)&next = dlsym(RTLD_NEXT, "pthread_create");
	return next(t, attr, fn, arg);
}
