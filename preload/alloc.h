/*
 * Allocation sampling: which allocations become ALLOC samples, what each one stands for, and
 * which frees become FREE samples.
 *
 * Sampling is Poisson by bytes: every byte allocated is a sample point with probability
 * 1/rate, so each thread keeps a countdown of the bytes to its next sample point (drawn from
 * an exponential distribution of mean rate with a per-thread xorshift generator). An
 * allocation of s bytes that contains at least one point is sampled; that happens with
 * probability 1 - exp(-s/rate), so its weight is s / (1 - exp(-s/rate)) bytes, which makes the
 * sum of weights an unbiased estimate of the bytes allocated. rate 1 records every
 * allocation with weight = size (full tracing).
 *
 * The unsampled path is inline: a subtraction and a branch.
 *
 * Sampled pointers are kept in the table of ptrtab.h (with their sizes) so that their frees,
 * and only theirs, become FREE samples. Full tracing keeps no table: every free becomes a FREE
 * (one of a block allocated before profiling started names an address the dump never
 * allocated, and readers ignore it), which saves a locked instruction and a cache miss on every
 * allocation and free. The one thing the table's sizes were needed for there, a realloc that
 * fails after its old block was recorded as freed, is then recorded as a RESTORE of that
 * block, which the reader undoes.
 * The per-thread state lives in initial-exec TLS and also holds the recursion guard that keeps
 * inflame's own allocations (and those made while resolving the real allocator) out of the
 * profile.
 *
 * Everything here is async-signal-safe except inflame_alloc_setup().
 */
#ifndef INFLAME_ALLOC_H
#define INFLAME_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "ptrtab.h"

struct inflame_alloc_tls {
	int64_t countdown; /* bytes to the next sample point; <= 0: take the slow path */
	uint64_t rng;	   /* xorshift state; 0 until the thread's first slow path */
	int guard;	   /* inside inflame's own work on this thread */
	int resolving;	   /* looking up the real allocator (serve from the arena) */
};
_Static_assert(offsetof(struct inflame_alloc_tls, countdown) == 0,
	       "inflame_alloc_countdown() finds the countdown at the start of the TLS block");

extern __thread struct inflame_alloc_tls inflame__alloc_tls
    __attribute__((tls_model("initial-exec")));
/* Allocation profiling is on: set once by the constructor, cleared for good on failure. */
extern int inflame__alloc_on __attribute__((visibility("hidden")));
/* Whether allocation profiling is on is settled (the constructor ran): from then on, a thread
 * that finds it off sets its countdown so far away that it never takes the slow path again. */
extern int inflame__alloc_decided __attribute__((visibility("hidden")));

/* Called once at the end of the constructor, whatever it did. */
void inflame_alloc_decided(void);
/* Sets up the sampled-pointer table for the configured rate. Returns 0 or -ENOMEM (the caller
 * then leaves allocation profiling off). Not async-signal-safe. */
int inflame_alloc_setup(void);
/* In a fork child (single-threaded): forget the parent's sampled pointers. */
void inflame_alloc_after_fork_child(void);
/* Allocations seen but not recorded (table full, no thread slot) since start. */
uint64_t inflame_alloc_untracked(void);

/* The slow path of inflame_alloc_pick(). Async-signal-safe. */
int inflame__alloc_crossed(size_t size);

/* Counts an allocation of size bytes down: 1 when it reached a sample point, and then
 * inflame__alloc_crossed() decides. With allocation profiling off the countdown starts at 0
 * and is set out of reach by the first slow path after the constructor (so nothing else needs
 * testing here). Async-signal-safe. */
static inline int inflame_alloc_countdown(size_t size)
{
#if defined(__x86_64__)
	/* One subtraction from the thread's countdown in place and a branch on its flags (the
	 * compiler loads, subtracts, stores and tests: three more instructions on every malloc).
	 * The branch is taken when the countdown was at most size (a signed comparison, exact
	 * for every size below 2^63). The countdown is the first member of the TLS block. */
	__asm__ goto("movq inflame__alloc_tls@gottpoff(%%rip), %%rax\n\t"
		     "subq %0, %%fs:(%%rax)\n\t"
		     "jle %l[due]"
		     :
		     : "r"(size)
		     : "rax", "cc", "memory"
		     : due);
	return 0;
due:
	return 1;
#else
	struct inflame_alloc_tls *s = &inflame__alloc_tls;
	int64_t c = (int64_t)((uint64_t)s->countdown - (uint64_t)size);

	s->countdown = c;
	return __builtin_expect(c <= 0, 0);
#endif
}

/* Whether an allocation of size bytes is to be sampled: a subtraction and a branch.
 * Async-signal-safe. */
static inline int inflame_alloc_pick(size_t size)
{
	return inflame_alloc_countdown(size) && inflame__alloc_crossed(size);
}

/* Records a sampled allocation p of size bytes (p != NULL) with the caller's stack. Saves and
 * restores errno. Async-signal-safe. */
void inflame_alloc_record(void *p, size_t size) __attribute__((noinline));

/* Before p is given back to the allocator: if p was sampled, removes it from the table and
 * records its FREE. Async-signal-safe. */
void inflame__alloc_free_slow(void *p);
static inline void inflame_alloc_note_free(void *p)
{
	if (__builtin_expect(!inflame__alloc_on, 1) || !p)
		return;
	if (inflame_ptrtab_maybe(p))
		inflame__alloc_free_slow(p);
}

/* realloc: before the real call, inflame_alloc_take_out() takes old out of the table and
 * records its FREE, as for free; it returns 0 when old was not sampled, else its size + 1
 * (INFLAME_ALLOC_UNSIZED in full tracing, which keeps no sizes). When the call then fails and
 * old stays allocated, inflame_alloc_put_back(old, that value) records it again (same size
 * and weight, the caller's stack; in full tracing a RESTORE of the block as it was) so that it
 * stays live in the profile. Async-signal-safe. */
#define INFLAME_ALLOC_UNSIZED SIZE_MAX
size_t inflame_alloc_take_out(void *old);
void inflame_alloc_put_back(void *old, size_t taken) __attribute__((noinline));

/* For the producers of sample.h: whether the outermost producer of its thread (holding no
 * claimed record), whose ring refused an allocation event of bytes bytes, has waited for room
 * and may try again (full tracing only). Async-signal-safe (it sleeps in nanosleep). */
struct inflame_thread;
int inflame_alloc_wait_room(struct inflame_thread *t, uint64_t bytes);

/*
 * The order of allocation events: a process-wide counter. Every ALLOC record increments it
 * after the allocator returned the block and takes the new value; every FREE record reads it
 * (no locked instruction) before the block goes back to the allocator. So for the events on
 * one address, which alternate ALLOC, FREE, ALLOC... across threads, each FREE's number is at
 * least its ALLOC's, and each later ALLOC's is above the FREE's: sorting by (number, ALLOC
 * before FREE) gives the order they happened in (the writer emits them so). The counter's
 * operations are sequentially consistent, which x86 gives for free on loads.
 * Async-signal-safe.
 */
extern _Atomic uint64_t inflame__alloc_seq __attribute__((visibility("hidden")));
/* While the process has one thread that may record (no pthread_create yet, none found at
 * start-up), the counter needs no locked instruction: a plain increment, which a signal
 * handler interrupting it may make a duplicate of its own, harmlessly (two events of one
 * thread, on two addresses). Set before the second thread exists, so that it and the first
 * both see it before either records again. */
extern int inflame__alloc_threads __attribute__((visibility("hidden")));
void inflame_alloc_threads_many(void);
static inline uint64_t inflame_alloc_next_seq(void)
{
	if (__builtin_expect(!__atomic_load_n(&inflame__alloc_threads, __ATOMIC_RELAXED), 0)) {
		uint64_t v = __atomic_load_n((uint64_t *)&inflame__alloc_seq, __ATOMIC_RELAXED) + 1;

		__atomic_store_n((uint64_t *)&inflame__alloc_seq, v, __ATOMIC_RELAXED);
		return v;
	}
	return __atomic_add_fetch((uint64_t *)&inflame__alloc_seq, 1, __ATOMIC_SEQ_CST);
}
static inline uint64_t inflame_alloc_peek_seq(void)
{
	return __atomic_load_n((uint64_t *)&inflame__alloc_seq, __ATOMIC_SEQ_CST);
}
/* The time of allocation events: CLOCK_MONOTONIC_COARSE in ns (a few ns to read, instead of
 * tens for the precise clock; resolution one kernel tick). Async-signal-safe. */
uint64_t inflame_alloc_now(void);

#endif
