/*
 * Interposition of signal handling: inflame's sampling signal stays out of the program's signal
 * world.
 *
 * Handlers. The program cannot take the sampling signal away from inflame: its handler for that
 * signal is kept and called for the signals inflame did not send (sample_sigsafe.c), and it
 * reads back what it installed. For the dump signal the program wins. Every other handler the
 * program installs runs behind a trampoline that counts its runs on the thread, so the EINTR
 * shield (shield.h) knows a program handler ran; sigaction() reports the program's own handler,
 * flags and mask, never the trampoline. A handler installed with SA_ONSTACK runs with the
 * sampling signal blocked while it runs on the alternate signal stack, where two signal frames
 * may not fit (see trampoline).
 *
 * Masks. The sampling signal is never blocked for real by the program: it is removed from every
 * set the program passes to sigprocmask, pthread_sigmask, sigsuspend and the handlers' sa_mask,
 * and each thread remembers whether the program believes it blocked it (inflame__sig_tls), so
 * every mask the program reads back is the one it set. Threads started with the signal blocked
 * unblock it first thing (interpose_threads.c).
 *
 * Waits. sigwait, sigwaitinfo, sigtimedwait and signalfd never consume the sampling signal: it
 * is removed from the sets they are given. sigsuspend and the sigwait family are restarted when
 * only inflame's handler interrupted them.
 *
 * Calls made by inflame's own producers (libunwind masks signals around its locks) are not
 * filtered.
 *
 * The dump signal (SIGUSR2 by default) is left alone in masks and waits: a program that blocks
 * it or waits for it keeps it, as it would unprofiled.
 */
#include "clock.h"
#include "interpose.h"

#include "log.h"
#include "profiler.h"
#include "sample.h"
#include "shield.h"
#include "sigstack.h"
#include "thread.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef void (*sighandler_fn)(int);
typedef void (*sigaction_fn)(int, siginfo_t *, void *);

__thread struct inflame_sig_tls inflame__sig_tls __attribute__((tls_model("initial-exec")));

static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static int (*real_sigprocmask)(int, const sigset_t *, sigset_t *);
static int (*real_pthread_sigmask)(int, const sigset_t *, sigset_t *);
static int (*real_sigsuspend)(const sigset_t *);
static int (*real_sigwait)(const sigset_t *, int *);
static int (*real_sigwaitinfo)(const sigset_t *, siginfo_t *);
static int (*real_sigtimedwait)(const sigset_t *, siginfo_t *, const struct timespec *);
static int (*real_signalfd)(int, const sigset_t *, int);

void inflame__interpose_signals_resolve(void)
{
	INFLAME_SIGNALS_NAMES(INFLAME_RESOLVE_ONE)
}

int inflame__real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	INFLAME_RESOLVE(sigaction);
	return real_sigaction(sig, act, old);
}

int inflame__real_pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	INFLAME_RESOLVE(pthread_sigmask);
	return real_pthread_sigmask(how, set, old);
}

int inflame__real_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *t)
{
	INFLAME_RESOLVE(sigtimedwait);
	return real_sigtimedwait(set, info, t);
}

/* The sampling signal, when inflame owns one. */
static int owned_sig(void)
{
	return inflame__prof.active ? inflame__prof.sample_sig : 0;
}

const sigset_t *inflame_sig_filter(const sigset_t *set, sigset_t *out)
{
	int sig = owned_sig();

	if (!set || sig <= 0 || sigismember(set, sig) != 1)
		return set;
	*out = *set;
	sigdelset(out, sig);
	return out;
}

void inflame_sig_program_mask(sigset_t *out)
{
	int sig = inflame__prof.sample_sig;

	inflame__real_pthread_sigmask(SIG_BLOCK, NULL, out);
	if (sig <= 0)
		return;
	if (inflame__sig_tls.app_blocks)
		sigaddset(out, sig);
	else
		sigdelset(out, sig);
}

void inflame_sig_adopt_mask(void)
{
	sigset_t now, s;
	int sig = inflame__prof.sample_sig;

	if (sig <= 0 || inflame__real_pthread_sigmask(SIG_BLOCK, NULL, &now) != 0)
		return;
	inflame__sig_tls.app_blocks = sigismember(&now, sig) == 1;
	if (!inflame__sig_tls.app_blocks)
		return; /* (one system call fewer for most processes, issue 11) */
	sigemptyset(&s);
	sigaddset(&s, sig);
	inflame__real_pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* Handlers. */

/* The program's handler of each signal while the trampoline stands in for it (NULL when the
 * kernel holds the program's disposition itself), whether it asked for SA_SIGINFO, and whether
 * its sa_mask held the sampling signal. */
static _Atomic(void *) app_handler[_NSIG];
static _Atomic int app_siginfo[_NSIG];
static _Atomic int app_mask_sample[_NSIG];
/* Whether the program's handler was installed with SA_ONSTACK (see trampoline). */
static _Atomic int app_onstack[_NSIG];

/* Changes of one signal's action by two threads at once must not interleave their table and
 * kernel updates. A handler that interrupts its own thread's change goes ahead without the
 * lock (owner is that thread): sigaction is async-signal-safe, and must not deadlock. */
static _Atomic pid_t action_owner;

static int action_lock(void)
{
	pid_t me = inflame__gettid(), none = 0;

	if (atomic_load(&action_owner) == me)
		return 0;
	while (!atomic_compare_exchange_weak(&action_owner, &none, me)) {
		none = 0;
		sched_yield();
	}
	return 1;
}

static void action_unlock(int locked)
{
	if (locked)
		atomic_store(&action_owner, 0);
}

/* A program's handler installed with SA_ONSTACK runs with inflame's sampling signal blocked
 * (program_action): on a small alternate signal stack, a sampling signal's frame below the
 * program's handler's would not fit. When it does not run on the alternate stack after all (the
 * thread has none), the signal is unblocked for it, so that its time is sampled where it is
 * spent. The kernel restores the mask as it returns. */
static void trampoline(int sig, siginfo_t *si, void *uc)
{
	void *h = atomic_load_explicit(&app_handler[sig], memory_order_acquire);
	int s = inflame__prof.sample_sig;

	__atomic_add_fetch(&inflame__sig_tls.app_runs, 1, __ATOMIC_RELAXED);
	if (atomic_load_explicit(&app_onstack[sig], memory_order_relaxed) && s > 0 &&
	    inflame_sigstack_room(inflame_thread_self(), uc, (uintptr_t)&s) == SIZE_MAX) {
		sigset_t one;

		sigemptyset(&one);
		sigaddset(&one, s);
		inflame__real_pthread_sigmask(SIG_UNBLOCK, &one, NULL);
	}
	if (h) { /* called with all three arguments: a one-argument handler ignores the others */
		struct inflame_shield_pause p;
		int e = errno;

		inflame_shield_pause(&p);
		errno = e;
		((sigaction_fn)h)(sig, si, uc);
		e = errno;
		inflame_shield_resume(&p);
		errno = e;
	}
}

static int is_function(const struct sigaction *a)
{
	return (a->sa_flags & SA_SIGINFO) || (a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN);
}

/* The action the program believes a signal has, from the kernel's (kold) and the table's
 * entries (prev, prev_info, prev_mask) of that signal. */
static void program_view(const struct sigaction *kold, void *prev, int prev_info, int prev_mask,
			 struct sigaction *old)
{
	*old = *kold;
	if (kold->sa_sigaction == trampoline) {
		old->sa_sigaction = (sigaction_fn)prev;
		if (!prev_info)
			old->sa_flags &= ~SA_SIGINFO;
		sigdelset(&old->sa_mask, inflame__prof.sample_sig); /* ours (SA_ONSTACK) */
	}
	if (prev_mask)
		sigaddset(&old->sa_mask, inflame__prof.sample_sig);
}

/* Any signal but the sampling and the dump signal: the program's action, behind the
 * trampoline when it is a function. */
static int program_action(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction k, kold;
	void *prev;
	int prev_info, prev_mask, locked, rc;

	if (sig == SIGKILL || sig == SIGSTOP)
		return real_sigaction(sig, act, old);
	locked = action_lock();
	prev = atomic_load(&app_handler[sig]);
	prev_info = atomic_load(&app_siginfo[sig]);
	prev_mask = atomic_load(&app_mask_sample[sig]);
	if (act) {
		k = *act;
		sigdelset(&k.sa_mask, inflame__prof.sample_sig);
		if (is_function(act)) {
			atomic_store_explicit(&app_handler[sig], (void *)act->sa_sigaction,
					      memory_order_release);
			atomic_store(&app_onstack[sig], (act->sa_flags & SA_ONSTACK) != 0);
			k.sa_sigaction = trampoline;
			k.sa_flags |= SA_SIGINFO;
			if (act->sa_flags & SA_ONSTACK)
				sigaddset(&k.sa_mask, inflame__prof.sample_sig);
		}
	}
	rc = real_sigaction(sig, act ? &k : NULL, &kold);
	if (rc == 0 && act) {
		if (!is_function(act))
			atomic_store(&app_handler[sig], NULL);
		atomic_store(&app_siginfo[sig], (act->sa_flags & SA_SIGINFO) != 0);
		atomic_store(&app_mask_sample[sig],
			     sigismember(&act->sa_mask, inflame__prof.sample_sig) == 1);
	} else if (rc < 0 && act) {
		atomic_store(&app_handler[sig], prev); /* nothing changed */
	}
	action_unlock(locked);
	if (rc < 0 || !old)
		return rc;
	program_view(&kold, prev, prev_info, prev_mask, old);
	return 0;
}

static int once_sample_override, once_dump_override;

/*
 * A vfork child's change of a signal's action (gdb sets SIGCHLD back to SIG_DFL in the child
 * it starts). The child has its own actions in the kernel but shares our memory, the tables
 * above included, until it executes: the action goes to the kernel as the program gives it,
 * and nothing of ours is written, or the parent's handler would be lost. The old action is
 * still told as the program set it.
 */
static int child_action(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction kold;

	if (real_sigaction(sig, act, &kold) < 0)
		return -1;
	if (!old)
		return 0;
	if (sig == inflame__prof.sample_sig && kold.sa_sigaction == inflame_sample_signal) {
		if (atomic_load(&inflame__prof.app_has_sample_action)) {
			*old = inflame__prof.app_sample_action;
		} else {
			memset(old, 0, sizeof(*old));
			old->sa_handler = SIG_DFL;
		}
	} else if (inflame__prof.dump_sig_owned && sig == inflame__prof.cfg.dump_signal &&
		   kold.sa_sigaction == inflame_sample_dump_signal) {
		memset(old, 0, sizeof(*old));
		old->sa_handler = SIG_DFL;
	} else {
		program_view(&kold, atomic_load(&app_handler[sig]), atomic_load(&app_siginfo[sig]),
			     atomic_load(&app_mask_sample[sig]), old);
	}
	return 0;
}

static const char *sig_name(int sig)
{
	return inflame_config_signal_name(sig) ? inflame_config_signal_name(sig) : "?";
}

INFLAME_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	INFLAME_RESOLVE(sigaction);
	/* (a handler of the program's that runs on the alternate stack: the full one, before
	 * anything else, profiled or not; a vfork child's would be its parent's: sigstack.h) */
	if (act && (act->sa_flags & SA_ONSTACK) && is_function(act) &&
	    inflame_sigstack_own_is_small() && !inflame__in_vfork_child())
		inflame_sigstack_own_grow();
	if (!inflame__prof.active || sig <= 0 || sig >= _NSIG)
		return real_sigaction(sig, act, old);
	if (act && inflame__in_vfork_child())
		return child_action(sig, act, old);
	if (sig == inflame__prof.sample_sig) {
		/* Keep our handler; remember the program's and report it as installed. */
		if (old) {
			if (atomic_load(&inflame__prof.app_has_sample_action)) {
				*old = inflame__prof.app_sample_action;
			} else {
				memset(old, 0, sizeof(*old));
				old->sa_handler = SIG_DFL;
			}
		}
		if (act) {
			atomic_store(&inflame__prof.app_has_sample_action, 0);
			inflame__prof.app_sample_action = *act;
			atomic_store(&inflame__prof.app_has_sample_action, 1);
			if (act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN)
				inflame_log_once(&once_sample_override, INFLAME_LOG_INFO,
						 "the program installed a handler for SIG%s, "
						 "inflame's sampling signal; inflame passes it the "
						 "signals it did not send",
						 sig_name(sig));
		}
		return 0;
	}
	if (inflame__prof.dump_sig_owned && sig == inflame__prof.cfg.dump_signal) {
		if (act && is_function(act)) {
			struct sigaction prev;
			int rc = program_action(sig, act, &prev);

			if (rc == 0) {
				inflame__prof.dump_sig_owned = 0;
				if (old) {
					memset(old, 0, sizeof(*old));
					old->sa_handler = SIG_DFL;
				}
				inflame_log_once(&once_dump_override, INFLAME_LOG_INFO,
						 "the program installed its own handler for "
						 "SIG%s; dumps on that signal are off",
						 sig_name(sig));
			}
			return rc;
		}
		if (old) {
			/* The program asks what is installed: as far as it knows, nothing. */
			int rc = act ? real_sigaction(sig, act, NULL) : 0;

			if (act && rc == 0)
				inflame__prof.dump_sig_owned = 0;
			memset(old, 0, sizeof(*old));
			old->sa_handler = SIG_DFL;
			return rc;
		}
		if (act && real_sigaction(sig, act, NULL) == 0) {
			inflame__prof.dump_sig_owned = 0; /* SIG_DFL or SIG_IGN: the program's */
			return 0;
		}
		return act ? -1 : 0;
	}
	return program_action(sig, act, old);
}

/* signal() and bsd_signal(): BSD semantics, as glibc gives them (the signal itself blocked
 * while its handler runs, system calls restarted). sysv_signal(): one-shot, not blocked. */
static sighandler_fn set_handler(int sig, sighandler_fn h, int flags, int block_self)
{
	struct sigaction act, old;

	memset(&act, 0, sizeof(act));
	act.sa_handler = h;
	act.sa_flags = flags;
	sigemptyset(&act.sa_mask);
	if (block_self && sig > 0 && sig < _NSIG)
		sigaddset(&act.sa_mask, sig);
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

INFLAME_EXPORT sighandler_fn signal(int sig, sighandler_fn h)
{
	return set_handler(sig, h, SA_RESTART, 1);
}

INFLAME_EXPORT sighandler_fn bsd_signal(int sig, sighandler_fn h)
{
	return set_handler(sig, h, SA_RESTART, 1);
}

INFLAME_EXPORT sighandler_fn sysv_signal(int sig, sighandler_fn h)
{
	return set_handler(sig, h, SA_RESETHAND | SA_NODEFER, 0);
}

/* Masks. */

/* Changes the mask as the program asks, with the sampling signal taken out, and keeps the
 * program's view of it. real follows pthread_sigmask's convention or sigprocmask's: either way
 * 0 is success. */
static int change_mask(int (*real)(int, const sigset_t *, sigset_t *), int how, const sigset_t *set,
		       sigset_t *old)
{
	int sig = owned_sig(), was = inflame__sig_tls.app_blocks, named, now, rc;
	struct inflame_thread *t = inflame_thread_self();
	sigset_t f;

	/* inflame's own producers (libunwind blocks every signal around its locks) get the real
	 * thing: a handler that unblocked its own signal could re-enter the unwinder. */
	if (sig <= 0 || (t && atomic_load_explicit(&t->producing, memory_order_relaxed) > 0))
		return real(how, set, old);
	named = set && sigismember(set, sig) == 1; /* before old, which may be set, is written */
	now = was;
	if (set && how == SIG_SETMASK)
		now = named;
	else if (set && named)
		now = how == SIG_BLOCK;
	if (now != was && inflame__in_vfork_child()) {
		/* The thread's record of the program's view is the parent's (a vfork child runs
		 * on the parent's memory, thread storage included): the child's mask goes to the
		 * kernel as asked, and it executes or exits soon. */
		rc = real(how, set, old);
		if (rc == 0 && old && was)
			sigaddset(old, sig);
		return rc;
	}
	rc = real(how, inflame_sig_filter(set, &f), old);
	if (rc != 0)
		return rc;
	if (old) {
		if (was)
			sigaddset(old, sig);
		else
			sigdelset(old, sig);
	}
	inflame__sig_tls.app_blocks = now;
	return 0;
}

INFLAME_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	INFLAME_RESOLVE(pthread_sigmask);
	return change_mask(real_pthread_sigmask, how, set, old);
}

INFLAME_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	INFLAME_RESOLVE(sigprocmask);
	return change_mask(real_sigprocmask, how, set, old);
}

/*
 * Alternate signal stacks. The main thread runs on inflame's own when the program set none
 * (sigstack.h): the program is told none is set, and one it sets replaces ours. When it
 * disables its own, or ours it does not know of, ours comes back (the kernel forgets it once the
 * program set its own). Told as it is while a handler of the program's runs on ours.
 */
INFLAME_EXPORT int sigaltstack(const stack_t *ss, stack_t *old)
{
	stack_t kold;

	if (syscall(SYS_sigaltstack, ss, &kold) < 0)
		return -1;
	/* (the small stack of an image that waits comes back as the full one: the program may
	 * have installed its SA_ONSTACK handlers meanwhile, sigstack.h) */
	if (ss && (ss->ss_flags & SS_DISABLE) && inflame__prof.active &&
	    !inflame__in_vfork_child() && inflame__gettid() == inflame__prof.pid &&
	    (!inflame_sigstack_own_is_small() || inflame_sigstack_own_grow() < 0))
		inflame_sigstack_own_restore();
	if (old) {
		*old = kold;
		if (inflame_sigstack_is_own(&kold) && !(kold.ss_flags & SS_ONSTACK)) {
			old->ss_sp = NULL;
			old->ss_size = 0;
			old->ss_flags = SS_DISABLE;
		}
	}
	return 0;
}

/* Waits. */

INFLAME_EXPORT int sigsuspend(const sigset_t *mask)
{
	sigset_t f;
	const sigset_t *m = inflame_sig_filter(mask, &f);

	INFLAME_RESOLVE(sigsuspend);
	INFLAME_SHIELDED(int, real_sigsuspend(m));
}

INFLAME_EXPORT int sigwait(const sigset_t *set, int *sig)
{
	sigset_t f;

	INFLAME_RESOLVE(sigwait);
	return real_sigwait(inflame_sig_filter(set, &f), sig);
}

INFLAME_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	sigset_t f;
	const sigset_t *w = inflame_sig_filter(set, &f);

	INFLAME_RESOLVE(sigwaitinfo);
	INFLAME_SHIELDED(int, real_sigwaitinfo(w, info));
}

INFLAME_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *t)
{
	sigset_t f;
	const sigset_t *w = inflame_sig_filter(set, &f);

	INFLAME_RESOLVE(sigtimedwait);
	INFLAME_SHIELDED_TIMESPEC(t, tp, real_sigtimedwait(w, info, tp));
}

INFLAME_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	sigset_t f;

	INFLAME_RESOLVE(signalfd);
	return real_signalfd(fd, inflame_sig_filter(mask, &f), flags);
}
