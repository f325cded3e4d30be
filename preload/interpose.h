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
 * Each wrapper calls the next definition (real_<fn>, found with dlsym(RTLD_NEXT) when the
 * constructor runs, or on the wrapper's first call if the program calls it earlier). Code of
 * the preload that needs a function the program may also call goes through the real one: our
 * own calls must not be filtered like the program's.
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
			*(void **)&real_##name = dlsym(RTLD_NEXT, #name);                          \
	} while (0)

/* Resolves every family's real functions. Called first thing at start-up. */
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
