/*
 * Whether a signal handler runs on the thread's alternate signal stack, and how much of it is
 * left (sigstack.h). The thread's own stack bounds answer the common case without a system
 * call; outside them, sigaltstack(NULL, &ss) tells whether the kernel put the handler on the
 * alternate stack, and where that stack begins.
 */
#include "sigstack.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

size_t inflame_sigstack_room(const struct inflame_thread *t, uintptr_t here)
{
	stack_t ss;
	uintptr_t lo;

	if (t && t->stack_hi && here >= t->stack_lo && here < t->stack_hi)
		return SIZE_MAX;
	if (syscall(SYS_sigaltstack, NULL, &ss) < 0 || !(ss.ss_flags & SS_ONSTACK))
		return SIZE_MAX;
	lo = (uintptr_t)ss.ss_sp;
	if (here < lo || here - lo > ss.ss_size)
		return 0; /* on it by the kernel's word, but not where it says: walk nothing */
	return here - lo;
}
