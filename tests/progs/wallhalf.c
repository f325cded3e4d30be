/* e2e workload for wall-clock sampling: one thread alternates 5 ms of spinning and 5 ms of
 * sleeping; it reports the wall time it spent in each as "truth spin NS" / "truth sleep NS".
 * Sleeps restart after EINTR so wall sampling cannot shorten them. With "cond" the thread
 * sleeps in a timed wait on a condition variable nobody signals (a futex wait) instead of
 * clock_nanosleep. With "sites" it only sleeps, 5 ms at a time, through two callers in turn
 * (via_a, via_b) that reach the same sleep at the same depth: the same call site with the same
 * stack pointer, another stack above it ("truth a NS" / "truth b NS"). With "mutex" it waits
 * for a mutex that a helper thread holds until the sleep's end (a contended
 * pthread_mutex_lock); with "pipe" it reads a pipe that the helper writes a byte to then (a
 * blocking read without timeout). The helper's own frames are not spin_for or sleep_for. With a
 * third argument, each spin and each sleep lasts that many milliseconds instead of 5 (SLEEP:SPIN:
 * each sleep and each spin apart).
 * Usage: wallhalf [seconds] [sleep|cond|sites|mutex|pipe] [phase-ms[:spin-ms]] */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile unsigned long sink;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

__attribute__((noinline)) void spin_for(unsigned long long ns)
{
	unsigned long long end = now_ns() + ns;
	unsigned long s = sink;

	while (now_ns() < end)
		for (int i = 0; i < 1000; i++)
			s = s * 31 + (unsigned long)i;
	sink = s;
}

static int use_cond, use_helper; /* use_helper: 1 mutex, 2 pipe */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;
/* The helper's: the mutex it holds, the pipe it writes, when the sleep ends (0: not asked yet)
 * and whether it holds the mutex. */
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static int pfd[2];
static _Atomic unsigned long long wake_at;
static _Atomic int holding, taken, quit;

static void nap_until(unsigned long long t)
{
	struct timespec ts = {(time_t)(t / 1000000000ull), (long)(t % 1000000000ull)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void nap_us(unsigned long us)
{
	struct timespec ts = {0, (long)us * 1000};

	nanosleep(&ts, NULL);
}

/* The helper: holds the mutex while the main thread spins, and lets it go (or writes the pipe)
 * when the main thread's sleep is to end. */
static void *helper(void *arg)
{
	unsigned long long t;

	(void)arg;
	while (!atomic_load(&quit)) {
		if (use_helper == 1) {
			pthread_mutex_lock(&held);
			atomic_store(&holding, 1);
		}
		while (!(t = atomic_load(&wake_at)) && !atomic_load(&quit))
			nap_us(200);
		atomic_store(&wake_at, 0);
		nap_until(t);
		if (use_helper == 1) {
			int n = atomic_load(&taken);

			atomic_store(&holding, 0);
			pthread_mutex_unlock(&held);
			while (atomic_load(&taken) == n && !atomic_load(&quit))
				nap_us(100); /* until the main thread took it */
		} else if (write(pfd[1], "x", 1) != 1) {
			break;
		}
	}
	return NULL;
}

__attribute__((noinline)) void sleep_for(unsigned long long ns)
{
	struct timespec ts;
	unsigned long long end = now_ns() + ns;

	ts.tv_sec = (time_t)(end / 1000000000ull);
	ts.tv_nsec = (long)(end % 1000000000ull);
	if (use_helper == 1) {
		while (!atomic_load(&holding))
			nap_us(50);
		atomic_store(&wake_at, end);
		pthread_mutex_lock(&held);
		atomic_fetch_add(&taken, 1);
		pthread_mutex_unlock(&held);
		return;
	}
	if (use_helper == 2) {
		char c;

		atomic_store(&wake_at, end);
		while (read(pfd[0], &c, 1) < 0 && errno == EINTR)
			;
		return;
	}
	if (use_cond) {
		pthread_mutex_lock(&lock);
		while (pthread_cond_timedwait(&cond, &lock, &ts) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&lock);
		return;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

__attribute__((noinline)) void via_a(unsigned long long ns)
{
	sleep_for(ns);
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

__attribute__((noinline)) void via_b(unsigned long long ns)
{
	sleep_for(ns);
	__asm__ volatile("" ::: "memory");
}

static unsigned long long phase = 5000000, spin_phase = 5000000; /* ns */

static int two_sites(unsigned long long end)
{
	unsigned long long a = 0, b = 0, t0;

	while (now_ns() < end) {
		t0 = now_ns();
		via_a(phase);
		a += now_ns() - t0;
		t0 = now_ns();
		via_b(phase);
		b += now_ns() - t0;
	}
	fprintf(stderr, "truth a %llu\ntruth b %llu\n", a, b);
	printf("wallhalf done\n");
	return 0;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	unsigned long long end = now_ns() + (unsigned long long)(secs * 1e9);
	unsigned long long spin = 0, sleep = 0;
	pthread_condattr_t ca;
	pthread_t h;

	if (argc > 3) {
		char *rest;

		phase = spin_phase = strtoull(argv[3], &rest, 10) * 1000000ull;
		if (*rest == ':')
			spin_phase = strtoull(rest + 1, NULL, 10) * 1000000ull;
	}
	use_cond = argc > 2 && !strcmp(argv[2], "cond");
	use_helper = argc > 2 && !strcmp(argv[2], "mutex")  ? 1
		     : argc > 2 && !strcmp(argv[2], "pipe") ? 2
							    : 0;
	if (use_helper == 2 && pipe(pfd) != 0)
		return 1;
	if (use_helper && pthread_create(&h, NULL, helper, NULL) != 0)
		return 1;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cond, &ca);
	if (argc > 2 && !strcmp(argv[2], "sites"))
		return two_sites(end);

	while (now_ns() < end) {
		unsigned long long t0 = now_ns();

		spin_for(spin_phase);
		spin += now_ns() - t0;
		t0 = now_ns();
		sleep_for(phase);
		sleep += now_ns() - t0;
	}
	if (use_helper) {
		atomic_store(&quit, 1);
		atomic_store(&wake_at, 1);
		pthread_join(h, NULL);
	}
	fprintf(stderr, "truth spin %llu\ntruth sleep %llu\n", spin, sleep);
	printf("wallhalf done\n");
	return 0;
}
