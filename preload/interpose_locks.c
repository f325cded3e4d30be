/*
 * Marks for the wall ticker on the lock calls that block: pthread_mutex_lock and the rwlocks'
 * rdlock and wrlock (their timed and clock variants too).
 *
 * These calls wait in a futex that glibc waits on again after a signal: they need no EINTR
 * shield. A thread blocked in one is seen by the wall ticker through its CPU clock alone,
 * unless the wait is marked (shield.h): then a look splits its periods where the thread
 * entered and left the wait, and a thread that waits at the same lock again and again is
 * known to be at the same stack without a signal.
 *
 * A mark costs two clock reads, more than an uncontended lock. So each wrapper first tries the
 * lock without waiting (the try variant, one atomic instruction as in the lock itself) and
 * marks only a lock that is held: the try variants answer exactly as the lock would, bar the
 * wait (EBUSY for a lock held, also by the caller, where the lock then waits or fails with
 * EDEADLK). Without wall sampling, or on a thread inflame did not register (its own threads),
 * the wrappers only pass the calls on.
 *
 * Inflame's own code may take a lock through these wrappers, and the first call may come
 * before the constructor resolved the real functions: the lookup (dlsym) is guarded against a
 * call of its own, which then goes to glibc's lock directly.
 *
 * These wrappers are as async-signal-safe as the calls they wrap.
 */
#include "interpose.h"

#include "profiler.h"
#include "shield.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

static int (*real_pthread_mutex_lock)(pthread_mutex_t *);
static int (*real_pthread_mutex_trylock)(pthread_mutex_t *);
static int (*real_pthread_rwlock_rdlock)(pthread_rwlock_t *);
static int (*real_pthread_rwlock_tryrdlock)(pthread_rwlock_t *);
static int (*real_pthread_rwlock_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
static int (*real_pthread_rwlock_clockrdlock)(pthread_rwlock_t *, clockid_t,
					      const struct timespec *);
static int (*real_pthread_rwlock_wrlock)(pthread_rwlock_t *);
static int (*real_pthread_rwlock_trywrlock)(pthread_rwlock_t *);
static int (*real_pthread_rwlock_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
static int (*real_pthread_rwlock_clockwrlock)(pthread_rwlock_t *, clockid_t,
					      const struct timespec *);

/* glibc's own, for a lock taken while the lookup runs (any glibc since 2.2.5 exports them). */
extern int __pthread_mutex_lock(pthread_mutex_t *) __attribute__((weak));

static __thread int resolving __attribute__((tls_model("initial-exec")));

void inflame__interpose_locks_resolve(void)
{
	if (resolving)
		return;
	resolving = 1;
	INFLAME_LOCKS_NAMES(INFLAME_RESOLVE_ONE)
	resolving = 0;
}

/* Looks up the two functions one wrapper calls, at its first call (not the family's ten: the
 * writer's own lock at a short process's end took them all). */
#define RESOLVE_PAIR(name, try)                                                                    \
	do {                                                                                       \
		if (!resolving) {                                                                  \
			resolving = 1;                                                             \
			INFLAME_RESOLVE(name);                                                     \
			INFLAME_RESOLVE(try);                                                      \
			resolving = 0;                                                             \
		}                                                                                  \
	} while (0)

/* The calling thread's slot when its waits are to be marked, else NULL. */
static inline struct inflame_thread *marking(void)
{
	if (!(inflame__prof.cfg.events & INFLAME_EVMASK_WALL))
		return NULL;
	return inflame_thread_self();
}

/* Returns try_expr's answer unless the lock is held (EBUSY); then wait_expr's, the wait marked
 * for the wall ticker when t is not NULL. */
#define MARKED_LOCK(t, try_expr, wait_expr)                                                        \
	do {                                                                                       \
		int rc_;                                                                           \
		if (!(t))                                                                          \
			return (wait_expr);                                                        \
		rc_ = (try_expr);                                                                  \
		if (rc_ != EBUSY)                                                                  \
			return rc_;                                                                \
		inflame_shield_enter((t), INFLAME_SHIELD_SITE);                                    \
		rc_ = (wait_expr);                                                                 \
		inflame_shield_end();                                                              \
		return rc_;                                                                        \
	} while (0)

INFLAME_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
	struct inflame_thread *t;

	if (__builtin_expect(!real_pthread_mutex_lock || !real_pthread_mutex_trylock, 0)) {
		RESOLVE_PAIR(pthread_mutex_lock, pthread_mutex_trylock);
		if (!real_pthread_mutex_lock || !real_pthread_mutex_trylock)
			return __pthread_mutex_lock ? __pthread_mutex_lock(m) : ENOSYS;
	}
	t = marking();
	MARKED_LOCK(t, real_pthread_mutex_trylock(m), real_pthread_mutex_lock(m));
}

/* The rwlock wrappers: real_<name> must be there, and the try variant to mark. */
#define RWLOCK_READY(name, try)                                                                    \
	do {                                                                                       \
		if (!real_##name || !real_##try)                                                   \
			RESOLVE_PAIR(name, try);                                                   \
		if (!real_##name)                                                                  \
			return ENOSYS;                                                             \
		if (!real_##try)                                                                   \
			t = NULL;                                                                  \
	} while (0)

INFLAME_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	struct inflame_thread *t = marking();

	RWLOCK_READY(pthread_rwlock_rdlock, pthread_rwlock_tryrdlock);
	MARKED_LOCK(t, real_pthread_rwlock_tryrdlock(l), real_pthread_rwlock_rdlock(l));
}

INFLAME_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	struct inflame_thread *t = marking();

	RWLOCK_READY(pthread_rwlock_wrlock, pthread_rwlock_trywrlock);
	MARKED_LOCK(t, real_pthread_rwlock_trywrlock(l), real_pthread_rwlock_wrlock(l));
}

INFLAME_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abs)
{
	struct inflame_thread *t = marking();

	RWLOCK_READY(pthread_rwlock_timedrdlock, pthread_rwlock_tryrdlock);
	MARKED_LOCK(t, real_pthread_rwlock_tryrdlock(l), real_pthread_rwlock_timedrdlock(l, abs));
}

INFLAME_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abs)
{
	struct inflame_thread *t = marking();

	RWLOCK_READY(pthread_rwlock_timedwrlock, pthread_rwlock_trywrlock);
	MARKED_LOCK(t, real_pthread_rwlock_trywrlock(l), real_pthread_rwlock_timedwrlock(l, abs));
}

INFLAME_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clk,
					      const struct timespec *abs)
{
	struct inflame_thread *t = marking();

	RWLOCK_READY(pthread_rwlock_clockrdlock, pthread_rwlock_tryrdlock);
	MARKED_LOCK(t, real_pthread_rwlock_tryrdlock(l),
		    real_pthread_rwlock_clockrdlock(l, clk, abs));
}

INFLAME_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clk,
					      const struct timespec *abs)
{
	struct inflame_thread *t = marking();

	RWLOCK_READY(pthread_rwlock_clockwrlock, pthread_rwlock_trywrlock);
	MARKED_LOCK(t, real_pthread_rwlock_trywrlock(l),
		    real_pthread_rwlock_clockwrlock(l, clk, abs));
}
