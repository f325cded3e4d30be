/*
 * The set*id family as the program calls it, and the credentials of inflame's own threads.
 * glibc runs each of these calls in every thread it knows (its SIGSETXID broadcast) and aborts
 * the process when the threads' results differ. Capabilities and securebits (keep-caps among
 * them) are per thread: a program that sets keep-caps and then restores its effective
 * capabilities with capset in its own thread (setpriv does) would succeed where inflame's
 * ticker and writer, which never had those calls, fail. So before the program's call goes on,
 * each of inflame's threads that runs takes the calling thread's capabilities and securebits
 * (a thread can only set its own: it is asked, and answers, at the top of its loop), and the
 * call then finds every thread in the same state. This file owns that exchange.
 *
 * These calls are async-signal-safe, and a single-threaded program's are plain system calls: a
 * signal handler may make one that interrupted another of the same thread. Under inflame the
 * process has threads, so glibc's call takes a lock of its own to broadcast, and the exchange
 * takes one too: a handler's call made there would wait forever for its own thread. So the
 * wrappers run with every signal blocked but inflame's sampling signal (glibc leaves its own
 * two deliverable), from the exchange to the end of the real call: a handler runs right after
 * it instead.
 *
 * Other calls can take away the right to create the dump file too: a lower limit of open files
 * or of file sizes (setrlimit, prlimit: OpenSSH's sandboxed child sets both to 0), another root
 * directory (chroot). An image or fork child that has no dump file yet (init.c: its set-up
 * waits for its first need; writer.h: a fork child's first file) makes it before them, as before
 * a set*id call; elsewhere they are the program's calls, unchanged.
 */
#include "creds.h"

#include "interpose.h"
#include "log.h"
#include "profiler.h"
#include "wall.h"
#include "writer.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* How long a set*id call waits for inflame's threads to follow, in ns: a ticker sleeps one
 * period, a writer 250 ms at most before it looks. */
#define FOLLOW_WAIT_NS 1000000000ll

struct state {
	struct __user_cap_data_struct caps[2];
	int securebits;
};

/* The state to follow, written under the lock by the calling thread before it moves gen. */
static struct state want;
/* 1 while every follower is known to be in state want: it followed it, and the set*id calls
 * since, which did the same to every thread, left the caller in want. A set*id call from a
 * thread in that state need not ask the followers again. A new follower clears it, moving
 * epoch: it has its creator's state. */
static int same;
static unsigned same_epoch; /* the epoch same holds for */
static _Atomic unsigned epoch;

_Atomic unsigned inflame__creds_gen;
static _Atomic unsigned seen[INFLAME_CREDS_FOLLOWERS];
static _Atomic int active[INFLAME_CREDS_FOLLOWERS];
static _Atomic unsigned answers; /* futex word: moves when a follower has followed */
static _Atomic int failed;	 /* a follower could not take the state (logged once) */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void inflame_creds_register(enum inflame_creds_follower f, int on)
{
	atomic_fetch_add(&epoch, 1);
	atomic_store(&seen[f], atomic_load(&inflame__creds_gen));
	atomic_store(&active[f], on);
}

INFLAME_FORK_TEXT void inflame_creds_after_fork_child(void)
{
	/* (each store only where the parent left something: issue 11) */
	for (int f = 0; f < INFLAME_CREDS_FOLLOWERS; f++)
		if (atomic_load_explicit(&active[f], memory_order_relaxed))
			atomic_store(&active[f], 0);
	inflame__mutex_after_fork(&lock); /* a thread of the parent's may have held it */
}

/* The calling thread's capabilities and securebits. Returns 0 or -1. */
static int read_state(struct state *s)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};

	memset(s, 0, sizeof(*s));
	if (syscall(SYS_capget, &hdr, s->caps) != 0)
		return -1;
	s->securebits = (int)syscall(SYS_prctl, PR_GET_SECUREBITS, 0, 0, 0, 0);
	return s->securebits < 0 ? -1 : 0;
}

/* Sets the calling thread's securebits to bits; keep-caps alone needs no privilege. */
static int set_securebits(int bits)
{
	int now = (int)syscall(SYS_prctl, PR_GET_SECUREBITS, 0, 0, 0, 0);

	if (now == bits)
		return 0;
	if (now >= 0 && (now ^ bits) == (1 << 4)) /* SECBIT_KEEP_CAPS only */
		return (int)syscall(SYS_prctl, PR_SET_KEEPCAPS, (bits >> 4) & 1, 0, 0, 0);
	return (int)syscall(SYS_prctl, PR_SET_SECUREBITS, bits, 0, 0, 0);
}

void inflame_creds_follow(enum inflame_creds_follower f)
{
	unsigned gen = atomic_load_explicit(&inflame__creds_gen, memory_order_acquire);
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	int saved_errno = errno, rc;

	if (atomic_load_explicit(&seen[f], memory_order_relaxed) == gen)
		return;
	/* The securebits first, while this thread still has the capabilities the change may
	 * need; again after the capabilities, if they were what it lacked. */
	rc = set_securebits(want.securebits);
	if (syscall(SYS_capset, &hdr, want.caps) != 0)
		rc = -1;
	if (rc != 0)
		rc = set_securebits(want.securebits);
	if (rc != 0)
		atomic_store(&failed, 1);
	atomic_store_explicit(&seen[f], gen, memory_order_release);
	atomic_fetch_add(&answers, 1);
	syscall(SYS_futex, &answers, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	errno = saved_errno;
}

static int all_followed(unsigned gen)
{
	for (int f = 0; f < INFLAME_CREDS_FOLLOWERS; f++)
		if (atomic_load(&active[f]) && atomic_load(&seen[f]) != gen)
			return 0;
	return 1;
}

/* Before a set*id call: inflame's threads take the calling thread's capabilities and
 * securebits, so that the call has the same result in them as in the program's threads.
 * Returns the epoch to give after_call() when they are all in the caller's state, else -1. */
static long long sync_followers(void)
{
	static int once_failed, once_late;
	struct timespec start, now;
	struct state cur;
	int saved_errno = errno;
	long long ok = -1;
	unsigned gen, ep = atomic_load(&epoch);

	/* A vfork child's threads are its parent's: they must keep the parent's state. */
	if (inflame__in_vfork_child() || (!atomic_load(&active[INFLAME_CREDS_TICKER]) &&
					  !atomic_load(&active[INFLAME_CREDS_WRITER])))
		return -1;
	pthread_mutex_lock(&lock);
	if (read_state(&cur) != 0)
		goto out;
	if (same && same_epoch == ep && memcmp(&cur, &want, sizeof(cur)) == 0) {
		ok = ep; /* nothing to follow */
		goto out;
	}
	same = 0;
	want = cur;
	atomic_store(&failed, 0);
	gen = atomic_fetch_add_explicit(&inflame__creds_gen, 1, memory_order_release) + 1;
	syscall(SYS_futex, &inflame__creds_gen, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
	inflame_wall_poke();
	inflame_writer_request(INFLAME_WRITER_WAKE);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		unsigned a = atomic_load(&answers);
		long long left;
		struct timespec t;

		if (all_followed(gen))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = FOLLOW_WAIT_NS -
		       ((now.tv_sec - start.tv_sec) * 1000000000ll + (now.tv_nsec - start.tv_nsec));
		if (left <= 0) {
			inflame_log_once(&once_late, INFLAME_LOG_INFO,
					 "a set*id call went on before inflame's threads took the "
					 "program's capabilities: glibc may abort the process");
			break;
		}
		t.tv_sec = left / 1000000000ll;
		t.tv_nsec = left % 1000000000ll;
		syscall(SYS_futex, &answers, FUTEX_WAIT_PRIVATE, a, &t, NULL, 0);
	}
	if (atomic_load(&failed))
		inflame_log_once(&once_failed, INFLAME_LOG_INFO,
				 "inflame's threads could not take the program's capabilities "
				 "before a set*id call: glibc may abort the process");
	else if (all_followed(gen))
		ok = ep;
out:
	pthread_mutex_unlock(&lock);
	errno = saved_errno;
	return ok;
}

/* After the set*id call, when every follower was in the caller's state before it (ep from
 * sync_followers): the call did the same to every thread, so they are all in the caller's
 * state now, unless a follower came since. */
static void after_call(long long ep)
{
	int saved_errno = errno;

	if (ep < 0)
		return;
	pthread_mutex_lock(&lock);
	same = read_state(&want) == 0 && atomic_load(&epoch) == (unsigned)ep;
	same_epoch = (unsigned)ep;
	pthread_mutex_unlock(&lock);
	errno = saved_errno;
}

static int (*real_setuid)(uid_t);
static int (*real_setgid)(gid_t);
static int (*real_seteuid)(uid_t);
static int (*real_setegid)(gid_t);
static int (*real_setreuid)(uid_t, uid_t);
static int (*real_setregid)(gid_t, gid_t);
static int (*real_setresuid)(uid_t, uid_t, uid_t);
static int (*real_setresgid)(gid_t, gid_t, gid_t);
static int (*real_setgroups)(size_t, const gid_t *);
static int (*real_initgroups)(const char *, gid_t);

/* Blocks every signal in the calling thread but inflame's sampling signal (whose handler makes
 * no such call, and whose wall samples the ticker waits for) while inflame runs, into *old;
 * returns whether it did (give it to unmask). */
static int mask_all(sigset_t *old)
{
	sigset_t all;

	if (!inflame__prof.active || inflame__in_vfork_child())
		return 0;
	sigfillset(&all);
	if (inflame__prof.sample_sig > 0)
		sigdelset(&all, inflame__prof.sample_sig);
	return inflame__real_pthread_sigmask(SIG_BLOCK, &all, old) == 0;
}

static void unmask(int masked, const sigset_t *old)
{
	int saved_errno = errno;

	if (masked)
		inflame__real_pthread_sigmask(SIG_SETMASK, old, NULL);
	errno = saved_errno;
}

/* Each wrapper: a fork child without a dump file yet makes it while it still may (the call can
 * take away the right to create it), inflame's threads follow, then the real call, no handler
 * in between. */
#define SETXID(name, params, args)                                                                 \
	INFLAME_EXPORT int name params                                                             \
	{                                                                                          \
		sigset_t old;                                                                      \
		INFLAME_RESOLVE(name);                                                             \
		if (!real_##name) {                                                                \
			errno = ENOSYS;                                                            \
			return -1;                                                                 \
		}                                                                                  \
		int masked = mask_all(&old);                                                       \
		if (masked) {                                                                      \
			inflame__fork_settle();                                                    \
			inflame_writer_open_deferred();                                            \
		}                                                                                  \
		long long ep = sync_followers();                                                   \
		int rc = real_##name args;                                                         \
		after_call(ep);                                                                    \
		unmask(masked, &old);                                                              \
		return rc;                                                                         \
	}

SETXID(setuid, (uid_t u), (u))
SETXID(setgid, (gid_t g), (g))
SETXID(seteuid, (uid_t u), (u))
SETXID(setegid, (gid_t g), (g))
SETXID(setreuid, (uid_t r, uid_t e), (r, e))
SETXID(setregid, (gid_t r, gid_t e), (r, e))
SETXID(setresuid, (uid_t r, uid_t e, uid_t s), (r, e, s))
SETXID(setresgid, (gid_t r, gid_t e, gid_t s), (r, e, s))
SETXID(setgroups, (size_t n, const gid_t *list), (n, list))
SETXID(initgroups, (const char *user, gid_t g), (user, g))

/* Before a call that may take away the right to create the dump file (above). */
static void before_confinement(void)
{
	sigset_t old;
	int saved_errno = errno, masked = mask_all(&old);

	if (masked) {
		inflame__fork_settle();
		inflame_writer_open_deferred();
	}
	unmask(masked, &old);
	errno = saved_errno;
}

/* Whether a change of limit resource to new (NULL: none) may leave no room for the dump file. */
static int confines(int resource, const void *new)
{
	return new && (resource == RLIMIT_NOFILE || resource == RLIMIT_FSIZE);
}

#define CONFINING(type, name, params, test, args)                                                  \
	static type(*real_##name) params;                                                          \
	INFLAME_EXPORT type name params                                                            \
	{                                                                                          \
		INFLAME_RESOLVE(name);                                                             \
		if (!real_##name) {                                                                \
			errno = ENOSYS;                                                            \
			return -1;                                                                 \
		}                                                                                  \
		if (test)                                                                          \
			before_confinement();                                                      \
		return real_##name args;                                                           \
	}

CONFINING(int, setrlimit, (__rlimit_resource_t r, const struct rlimit *l), confines((int)r, l),
	  (r, l))
CONFINING(int, setrlimit64, (__rlimit_resource_t r, const struct rlimit64 *l), confines((int)r, l),
	  (r, l))
CONFINING(int, prlimit, (pid_t p, __rlimit_resource_t r, const struct rlimit *l, struct rlimit *o),
	  (!p || p == inflame__prof.pid) && confines((int)r, l), (p, r, l, o))
CONFINING(int, prlimit64,
	  (pid_t p, __rlimit_resource_t r, const struct rlimit64 *l, struct rlimit64 *o),
	  (!p || p == inflame__prof.pid) && confines((int)r, l), (p, r, l, o))
CONFINING(int, chroot, (const char *path), 1, (path))
