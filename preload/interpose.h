/*
 * The interposition layer: wrappers of libc functions exported by libinflame.so, one file per
 * family, and access to the real functions for the rest of the preload.
 *
 *   interpose_alloc.c    the malloc family, new/delete, jemalloc's API
 *   interpose_threads.c  pthread_create, thread names
 *   interpose_signals.c  handlers, masks and waits: inflame's signal stays out of the
 *                        program's signal world
 *   interpose_blocking.c the EINTR shield: calls the kernel does not restart after a handler
 *   interpose_locks.c    marks on the lock calls that wait, for the wall ticker
 *   interpose_loader.c   dlopen, dlclose, dl_iterate_phdr
 *   interpose_process.c  the exec family, _exit, seccomp filters (syscall)
 *
 * Each wrapper calls the next definition (real_<fn>), found by the own lookup of symlookup.h
 * (interpose.c): the allocation family when the constructor runs, the others at their
 * wrapper's first call, on any thread and in any context (in a signal handler too: that
 * lookup is async-signal-safe). A name the own lookup leaves to the loader, or any name called
 * before the constructor, is looked up with dlsym(RTLD_NEXT). Code of the preload that needs a
 * function the program may also call goes through the real one: our own calls must not be
 * filtered like the program's.
 */
#ifndef INFLAME_INTERPOSE_H
#define INFLAME_INTERPOSE_H

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

/* Looks up real_<fn> once. The store is idempotent, so racing threads do no harm. */
#define INFLAME_RESOLVE(name)                                                                      \
	do {                                                                                       \
		if (!real_##name)                                                                  \
			*(void **)&real_##name = inflame__interpose_next(#name, NULL);             \
	} while (0)

/* The next definition of name (of that version, or the default one when version is NULL),
 * what dlsym(RTLD_NEXT) or dlvsym(RTLD_NEXT) return: NULL when there is none. It comes from the
 * own lookup of symlookup.h when that answers (async-signal-safe), and from dlsym otherwise. */
void *inflame__interpose_next(const char *name, const char *version);

/*
 * The functions each family resolves, one list per family (X(name) for each),
 * expanded by the family's resolve function and by tests/symlookup_test.c. The blocking
 * family's condition variables are looked up by version first (INFLAME_COND_VERSION).
 */
/* clang-format off */
#define INFLAME_ALLOC_NAMES(X)                                                                     \
	X(malloc) X(calloc) X(realloc) X(free) X(posix_memalign) X(aligned_alloc) X(memalign)      \
	X(valloc) X(pvalloc) X(malloc_usable_size)
#define INFLAME_THREADS_NAMES(X)                                                                   \
	X(pthread_create) X(pthread_setname_np) X(prctl)
#define INFLAME_SIGNALS_NAMES(X)                                                                   \
	X(sigaction) X(sigprocmask) X(pthread_sigmask) X(sigsuspend) X(sigwait) X(sigwaitinfo)     \
	X(sigtimedwait) X(signalfd)
#define INFLAME_BLOCKING_NAMES(X)                                                                  \
	X(nanosleep) X(clock_nanosleep) X(thrd_sleep) X(pause) X(poll) X(ppoll) X(select)          \
	X(pselect) X(epoll_wait) X(epoll_pwait) X(epoll_pwait2) X(sem_wait) X(sem_timedwait)       \
	X(sem_clockwait) X(msgrcv) X(msgsnd) X(semop) X(semtimedop) X(recv) X(recvfrom)            \
	X(recvmsg) X(send) X(sendto) X(sendmsg) X(recvmmsg) X(sendmmsg) X(accept) X(accept4)       \
	X(pthread_cond_clockwait) X(pthread_join) X(pthread_timedjoin_np)                          \
	X(pthread_clockjoin_np) X(wait) X(waitpid) X(waitid) X(wait3) X(wait4)
#define INFLAME_BLOCKING_COND_NAMES(X)                                                             \
	X(pthread_cond_wait) X(pthread_cond_timedwait)
#define INFLAME_LOCKS_NAMES(X)                                                                     \
	X(pthread_mutex_lock) X(pthread_mutex_trylock) X(pthread_rwlock_rdlock)                    \
	X(pthread_rwlock_tryrdlock) X(pthread_rwlock_timedrdlock) X(pthread_rwlock_clockrdlock)    \
	X(pthread_rwlock_wrlock) X(pthread_rwlock_trywrlock) X(pthread_rwlock_timedwrlock)         \
	X(pthread_rwlock_clockwrlock)
#define INFLAME_LOADER_NAMES(X)                                                                    \
	X(dlopen) X(dlclose) X(dl_iterate_phdr)
#define INFLAME_PROCESS_NAMES(X)                                                                   \
	X(execve) X(execvpe) X(fexecve) X(posix_spawn) X(posix_spawnp) X(_exit) X(_Exit) X(syscall)
/* clang-format on */

/* The condition variables of glibc 2.3.2 and later: dlsym would find the older ones, whose
 * pthread_cond_t is another. */
#if defined(__x86_64__)
#define INFLAME_COND_VERSION "GLIBC_2.3.2"
#elif defined(__aarch64__)
#define INFLAME_COND_VERSION "GLIBC_2.17"
#endif

/* Expands a name list to INFLAME_RESOLVE statements. */
#define INFLAME_RESOLVE_ONE(name) INFLAME_RESOLVE(name);

/* Resolves the real functions the constructor needs (every family's when the own lookup cannot
 * serve the later ones). Called first thing at start-up. */
void inflame__interpose_resolve(void);
void inflame__interpose_alloc_resolve(void);
/* The malloc inflame's forwards to (resolved at start-up), for safepoint.c to check whose it
 * is. */
void *inflame__alloc_real_malloc(void);
void inflame__interpose_threads_resolve(void);
void inflame__interpose_signals_resolve(void);
void inflame__interpose_blocking_resolve(void);
void inflame__interpose_locks_resolve(void);
void inflame__interpose_loader_resolve(void);
void inflame__interpose_process_resolve(void);
/* Resolves what a fork child calls first (the exec family, the exits), in the parent before it
 * forks, from the own lookup only. Async-signal-safe. */
void inflame__interpose_prefork(void);
/* The program is about to install a seccomp filter (prctl, syscall): the profile ends here,
 * written out, and inflame makes no more system calls in the program's threads. */
void inflame__stop_before_filter(void);

/* The real functions, for the preload's own use. Async-signal-safe as the real ones are. */
int inflame__real_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
int inflame__real_pthread_sigmask(int how, const sigset_t *set, sigset_t *old);
int inflame__real_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *t);
int inflame__real_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *arg);
int inflame__real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
				 void *arg);

/*
 * What each thread knows of the signals that reached it, for the EINTR shield, and the
 * program's view of its own mask. Initial-exec TLS: the signal handlers read it with one load.
 *   own_runs   inflame's handlers that ran on this thread (any of inflame's signals)
 *   app_runs   the program's handlers inflame saw run on this thread (through the trampoline
 *              of interpose_signals.c, or chained from the sampling signal)
 *   app_blocks whether the program believes it blocked the sampling signal on this thread
 *              (it never really is: see interpose_signals.c)
 * A blocking call that failed with EINTR is restarted only when own_runs moved during it and
 * app_runs did not.
 */
struct inflame_sig_tls {
	unsigned own_runs;
	unsigned app_runs;
	int app_blocks;
};
extern __thread struct inflame_sig_tls inflame__sig_tls
    __attribute__((tls_model("initial-exec"), visibility("hidden")));

/* Removes inflame's sampling signal from a set the program passes (a copy in out). Returns out,
 * or set itself when it is NULL or inflame is not active. Async-signal-safe. */
const sigset_t *inflame_sig_filter(const sigset_t *set, sigset_t *out);
/* Adopts the program's view of the calling thread's mask: whether the sampling signal is
 * blocked now (a new image that inherited the mask, a thread started with a mask of its own),
 * and unblocks it for real. Not async-signal-safe. */
void inflame_sig_adopt_mask(void);
/* The mask the program believes the calling thread has: the real one, with the sampling signal
 * as the program left it. Async-signal-safe. */
void inflame_sig_program_mask(sigset_t *out);

#endif
