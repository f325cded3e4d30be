/*
 * Safe points: a function of inflame's run in the normal context of a thread that a sampling
 * signal interrupted in the program's own code, so that work no signal handler may do (start a
 * thread) is done without waiting for the program to call one of inflame's hooks. A fork child
 * arms one to start its writer thread only if it lives on (writer.c).
 */
#ifndef INFLAME_SAFEPOINT_H
#define INFLAME_SAFEPOINT_H

#include <stddef.h>
#include <stdint.h>

/* Arms the safe point of the main thread (a fork child's only one) to run fn once, from due_ns
 * (CLOCK_MONOTONIC) on, at the first CPU sample whose stack is safe (safepoint.c says when).
 * Returns 0, or -ENOTSUP where the safe point cannot be had (the caller then does the work now).
 * Not async-signal-safe. */
int inflame_safepoint_arm(void (*fn)(void), uint64_t due_ns);
/* Whether inflame_safepoint_arm() would arm from the calling thread now, asked with no store
 * and nothing learned: a fork child's question at its fork. Async-signal-safe. */
int inflame_safepoint_ready(void);
/* inflame_safepoint_arm() where inflame_safepoint_ready() said yes, on that thread (its
 * settling may run on a signal stack of inflame's, where the check would fail).
 * Async-signal-safe. */
void inflame_safepoint_arm_ready(void (*fn)(void), uint64_t due_ns);
/* The work is done another way (a hook ran it): no safe point is taken after this. Not
 * async-signal-safe. Returns 1 when it was still armed. */
int inflame_safepoint_disarm(void);
/* A CPU sample of the calling thread t walked frames[0..n) from signal context uc: when the
 * safe point is due (or now, when urgent: a dump was asked for) and the stack is safe, the
 * return from the signal runs fn first. Async-signal-safe. */
struct inflame_thread;
void inflame__safepoint_offer(struct inflame_thread *t, void *uc, const uint64_t *frames, size_t n,
			      int truncated, int urgent);
/* The walk frames[0..n) of an allocation hook of the calling thread, made in normal context
 * from inflame's frames: whether the safe point is still armed and the program called the hook
 * at a safe stack (from its own code, under nothing of the C library's or the loader's but its
 * root), so that the hook may do there what a safe point does (writer.h). overdue: the hook's
 * ring fills without such a stack (a program that allocates only through C library functions,
 * strdup, getline, ...): then any stack the walk knows whole with no frame of the loader's or
 * inflame's but the hook's own will do, as the writer's cycle takes no lock of the C library's
 * and the image has one thread. Async-signal-safe. */
int inflame_safepoint_hook_safe(const uint64_t *frames, size_t n, int truncated, int overdue);
extern _Atomic int inflame__safepoint_armed;
static inline int inflame_safepoint_armed(void)
{
	return __atomic_load_n(&inflame__safepoint_armed, __ATOMIC_RELAXED);
}
static inline void inflame_safepoint_offer(struct inflame_thread *t, void *uc,
					   const uint64_t *frames, size_t n, int truncated)
{
	if (inflame_safepoint_armed())
		inflame__safepoint_offer(t, uc, frames, n, truncated, 0);
}

#endif
