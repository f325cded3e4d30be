/* e2e workload for the lock wrappers (preload/interpose_locks.c): the answers of the mutex
 * and rwlock calls that inflame tries first without waiting must be the ones glibc gives
 * unprofiled. An error-checking mutex locked again by its owner fails with EDEADLK (its
 * trylock says EBUSY), a recursive one is taken twice, a mutex another thread holds is waited
 * for, an rwlock held for writing by the caller fails a read lock with EDEADLK, a timed read
 * lock of an rwlock another thread holds for writing times out, and read locks are shared.
 * Prints "lockcheck ok", or the first check that failed and exits 1. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static int stage;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("lockcheck failed: %s (line %d)\n", #cond, __LINE__);               \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

static void nap_ms(long ms)
{
	struct timespec ts = {0, ms * 1000000};

	nanosleep(&ts, NULL);
}

static void *holder(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&plain);
	__atomic_store_n(&stage, 1, __ATOMIC_RELEASE);
	nap_ms(50);
	pthread_mutex_unlock(&plain);
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	pthread_rwlock_wrlock(&rw);
	__atomic_store_n(&stage, 2, __ATOMIC_RELEASE);
	nap_ms(200);
	pthread_rwlock_unlock(&rw);
	return NULL;
}

int main(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t ec, rec;
	pthread_t t;
	struct timespec abs;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&ec, &a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rec, &a);

	CHECK(pthread_mutex_lock(&ec) == 0);
	CHECK(pthread_mutex_lock(&ec) == EDEADLK);
	CHECK(pthread_mutex_unlock(&ec) == 0);
	CHECK(pthread_mutex_lock(&rec) == 0);
	CHECK(pthread_mutex_lock(&rec) == 0);
	CHECK(pthread_mutex_unlock(&rec) == 0);
	CHECK(pthread_mutex_unlock(&rec) == 0);
	CHECK(pthread_mutex_trylock(&rec) == 0);
	CHECK(pthread_mutex_unlock(&rec) == 0);

	CHECK(pthread_create(&t, NULL, holder, NULL) == 0);
	while (__atomic_load_n(&stage, __ATOMIC_ACQUIRE) != 1)
		nap_ms(1);
	CHECK(pthread_mutex_lock(&plain) == 0); /* waits for the holder */
	CHECK(pthread_mutex_unlock(&plain) == 0);
	CHECK(pthread_join(t, NULL) == 0);

	CHECK(pthread_rwlock_wrlock(&rw) == 0);
	CHECK(pthread_rwlock_rdlock(&rw) == EDEADLK);
	CHECK(pthread_rwlock_wrlock(&rw) == EDEADLK);
	CHECK(pthread_rwlock_unlock(&rw) == 0);
	CHECK(pthread_rwlock_rdlock(&rw) == 0);
	CHECK(pthread_rwlock_rdlock(&rw) == 0);
	CHECK(pthread_rwlock_unlock(&rw) == 0);
	CHECK(pthread_rwlock_unlock(&rw) == 0);

	CHECK(pthread_create(&t, NULL, writer, NULL) == 0);
	while (__atomic_load_n(&stage, __ATOMIC_ACQUIRE) != 2)
		nap_ms(1);
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 20000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	CHECK(pthread_rwlock_timedrdlock(&rw, &abs) == ETIMEDOUT);
	CHECK(pthread_rwlock_wrlock(&rw) == 0); /* waits for the writer */
	CHECK(pthread_rwlock_unlock(&rw) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	printf("lockcheck ok\n");
	return 0;
}
