/*
 * Whether a signal handler runs on the thread's alternate signal stack, and how much of it is
 * left (sigstack.h). The thread's own stack bounds answer the common case; outside them, the
 * alternate stack the kernel saved in the signal context (uc_stack) tells where it lies, and
 * only without a context does sigaltstack(NULL, &ss) ask the kernel.
 */
#include "sigstack.h"

#include <signal.h>
#include <ucontext.h>
#include <sys/syscall.h>
#include <unistd.h>

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
		return here - (uintptr_t)ss.ss_sp;
	}
	if (syscall(SYS_sigaltstack, NULL, &ss) < 0 || !(ss.ss_flags & SS_ONSTACK))
		return SIZE_MAX;
	lo = (uintptr_t)ss.ss_sp;
	if (here < lo || here - lo > ss.ss_size)
		return 0; /* on it by the kernel's word, but not where it says: walk nothing */
	return here - lo;
}
