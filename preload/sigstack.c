/*
 * Whether a signal handler runs on the thread's alternate signal stack, and how much of it is
 * left (sigstack.h). The thread's own stack bounds answer the common case; outside them, the
 * alternate stack the kernel saved in the signal context (uc_stack) tells where it lies, and
 * only without a context does sigaltstack(NULL, &ss) ask the kernel. This file also owns the
 * alternate stack inflame gives the main thread when the program set none.
 */
#include "sigstack.h"

#include "layout.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <ucontext.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The lowest address of inflame's own alternate stack (above its guard page), 0 without one,
 * and its size. */
static _Atomic uintptr_t own_sp;
static size_t own_size;

/* The small stack of an image that waits (sigstack.h): .bss, which takes no system call and no
 * page until a handler runs on it. */
static char small_stack[INFLAME_SIGSTACK_OWN_SMALL] INFLAME_COLD __attribute__((aligned(4096)));

/* The size of inflame's own stack (sigstack.h), in whole pages. */
static size_t own_stack_size(size_t page)
{
	struct rlimit rl;
	size_t n = INFLAME_SIGSTACK_OWN_MAX;

	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < INFLAME_SIGSTACK_OWN_MAX)
		n = rl.rlim_cur < INFLAME_SIGSTACK_OWN_MIN ? INFLAME_SIGSTACK_OWN_MIN
							   : (size_t)rl.rlim_cur;
	return (n + page - 1) & ~(page - 1);
}

int inflame_sigstack_is_own(const void *ss)
{
	uintptr_t sp = atomic_load_explicit(&own_sp, memory_order_relaxed);
	const stack_t *s = ss;

	return sp && (uintptr_t)s->ss_sp == sp && s->ss_size == own_size;
}

/* The full stack, a guard page below it, into *ss (not set yet). Returns 0 or a negative
 * errno. */
static int map_full(stack_t *ss)
{
	/* (from the auxiliary vector: sysconf() was the only user of its page of libc in a short
	 * process, one page fault, issue 11) */
	long page = (long)getauxval(AT_PAGESZ);
	size_t len, size;
	char *map;
	int rc;

	if (page <= 0)
		page = 4096;
	size = own_stack_size((size_t)page);
	len = size + (size_t)page;
	/* A guard page below: a handler that runs past the stack faults there instead of
	 * writing over whatever lies below. */
	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (map == MAP_FAILED)
		return -errno;
	if (mprotect(map, (size_t)page, PROT_NONE) < 0) {
		rc = -errno;
		munmap(map, len);
		return rc;
	}
	ss->ss_sp = map + page;
	ss->ss_size = size;
	ss->ss_flags = 0;
	return 0;
}

/* Undoes map_full(ss). */
static void unmap_full(const stack_t *ss)
{
	size_t page = (size_t)getauxval(AT_PAGESZ);

	if (!page)
		page = 4096;
	munmap((char *)ss->ss_sp - page, ss->ss_size + page);
}

/* Makes ss inflame's own stack for the signal handlers that look (inflame_sigstack_is_own).
 * With every signal blocked: a handler of this thread sees the old pair or the new one. */
static void own_set(const stack_t *ss)
{
	sigset_t all, old;

	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, _NSIG / 8);
	atomic_store(&own_sp, 0);
	own_size = ss->ss_size;
	atomic_store(&own_sp, (uintptr_t)ss->ss_sp);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
}

int inflame_sigstack_own_install(void)
{
	stack_t ss, old;
	int rc;

	if (syscall(SYS_sigaltstack, NULL, &old) < 0)
		return -errno;
	if (!(old.ss_flags & SS_DISABLE))
		return -EEXIST;
	if ((rc = map_full(&ss)) < 0)
		return rc;
	own_size = ss.ss_size;
	atomic_store(&own_sp, (uintptr_t)ss.ss_sp);
	if (syscall(SYS_sigaltstack, &ss, NULL) == 0)
		return 0;
	rc = -errno;
	atomic_store(&own_sp, 0);
	unmap_full(&ss);
	return rc;
}

int inflame_sigstack_own_install_small(void)
{
	stack_t ss, old;

	ss.ss_sp = small_stack;
	ss.ss_size = sizeof(small_stack);
	ss.ss_flags = 0;
	own_size = ss.ss_size;
	atomic_store(&own_sp, (uintptr_t)ss.ss_sp);
	/* (one system call where the full stack takes five: the old stack comes back with it) */
	if (syscall(SYS_sigaltstack, &ss, &old) < 0) {
		atomic_store(&own_sp, 0);
		return -errno;
	}
	if (old.ss_flags & SS_DISABLE)
		return 0;
	syscall(SYS_sigaltstack, &old, NULL);
	atomic_store(&own_sp, 0);
	return -EEXIST;
}

int inflame_sigstack_own_is_small(void)
{
	return atomic_load_explicit(&own_sp, memory_order_relaxed) == (uintptr_t)small_stack;
}

int inflame_sigstack_own_grow(void)
{
	stack_t ss, cur;
	int rc;

	if (!inflame_sigstack_own_is_small())
		return 0;
	if (syscall(SYS_sigaltstack, NULL, &cur) < 0)
		return -errno;
	/* (the program's own stack replaced ours, or the thread runs on ours: not now; none is
	 * set when the program just disabled its own, and ours comes back, the full one) */
	if (!(cur.ss_flags & SS_DISABLE) &&
	    ((cur.ss_flags & SS_ONSTACK) || !inflame_sigstack_is_own(&cur)))
		return -EBUSY;
	rc = map_full(&ss);
	if (rc == 0 && syscall(SYS_sigaltstack, &ss, NULL) < 0) {
		rc = -errno;
		unmap_full(&ss);
	}
	if (rc == 0) {
		own_set(&ss);
		return 0;
	}
	/* Without the full stack the program's handlers run on the thread's own, as they would
	 * unprofiled, and so do inflame's. */
	ss.ss_sp = NULL;
	ss.ss_size = 0;
	ss.ss_flags = SS_DISABLE;
	if (syscall(SYS_sigaltstack, &ss, NULL) == 0)
		atomic_store(&own_sp, 0);
	return rc;
}

void inflame_sigstack_own_restore(void)
{
	int saved = errno;
	stack_t ss;

	ss.ss_sp = (void *)atomic_load(&own_sp);
	ss.ss_size = own_size;
	ss.ss_flags = 0;
	if (ss.ss_sp)
		syscall(SYS_sigaltstack, &ss, NULL);
	errno = saved;
}

/* The stack pointer of the code a signal interrupted. */
static uintptr_t interrupted_sp(const ucontext_t *u)
{
#if defined(__x86_64__)
	return (uintptr_t)u->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
	return (uintptr_t)u->uc_mcontext.sp;
#else
	(void)u;
	return 0;
#endif
}

size_t inflame_sigstack_room(const struct inflame_thread *t, const void *uc, uintptr_t here)
{
	const ucontext_t *u = uc;
	stack_t ss;
	uintptr_t lo;

	if (t && t->stack_hi && here >= t->stack_lo && here < t->stack_hi)
		return here - t->stack_lo < INFLAME_SIGSTACK_OWN_SCARCE ? here - t->stack_lo
									: SIZE_MAX;
	if (u) {
		/* The kernel saved the thread's alternate stack in the signal frame. */
		ss = u->uc_stack;
		if ((ss.ss_flags & SS_DISABLE) || !ss.ss_size)
			return SIZE_MAX;
		if (here < (uintptr_t)ss.ss_sp || here - (uintptr_t)ss.ss_sp >= ss.ss_size)
			return SIZE_MAX; /* not on it: on another stack (Go's, a coroutine's) */
		if (inflame_sigstack_is_own(&ss)) {
			/* Ours is roomy: what counts is the room the interrupted code left on the
			 * thread's own stack, where a safe point would run (safepoint.h). */
			uintptr_t sp = interrupted_sp(u);

			if (!t || !t->stack_hi || sp < t->stack_lo || sp >= t->stack_hi ||
			    sp - t->stack_lo >= INFLAME_SIGSTACK_OWN_SCARCE)
				return SIZE_MAX;
		}
		return here - (uintptr_t)ss.ss_sp;
	}
	if (syscall(SYS_sigaltstack, NULL, &ss) < 0 || !(ss.ss_flags & SS_ONSTACK))
		return SIZE_MAX;
	lo = (uintptr_t)ss.ss_sp;
	if (here < lo || here - lo > ss.ss_size)
		return 0; /* on it by the kernel's word, but not where it says: walk nothing */
	return here - lo;
}
