/*
 * The EINTR shield's bookkeeping (interpose_blocking.c, interpose_signals.c).
 *
 * The kernel never restarts some blocking calls after a signal handler ran, whatever its flags:
 * they fail with EINTR. A program expects that only when one of its own handlers ran. So a
 * wrapper notes, before the call, how many of inflame's and of the program's handlers have run
 * on this thread (struct inflame_sig_tls, interpose.h); when the call fails with EINTR it
 * restarts it only if inflame's count moved and the program's did not. A handler the program
 * installed behind inflame's back (a raw rt_sigaction system call) is not counted: an EINTR
 * that comes with none of inflame's handlers is returned as it is, so such a handler is still
 * seen; only a run of both at the same instant would be taken for inflame's alone.
 *
 * Everything here is async-signal-safe.
 */
#ifndef INFLAME_SHIELD_H
#define INFLAME_SHIELD_H

#include "clock.h"
#include "interpose.h"
#include "profiler.h"
#include "thread.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

struct inflame_shield {
	unsigned own, app;
	int saved_errno;
};

static inline void inflame_shield_begin(struct inflame_shield *s)
{
	s->own = __atomic_load_n(&inflame__sig_tls.own_runs, __ATOMIC_RELAXED);
	s->app = __atomic_load_n(&inflame__sig_tls.app_runs, __ATOMIC_RELAXED);
	s->saved_errno = errno;
	atomic_signal_fence(memory_order_seq_cst);
}

/* The wall ticker's marks (thread.h, wall.c): when the calling thread enters a blocking call
 * and when it comes back from it to the program (not at a restart). Only with wall sampling on:
 * a clock read each. */
static inline void inflame_shield_mark(struct inflame_thread *t, int out)
{
	if (t && (inflame__prof.cfg.events & INFLAME_EVMASK_WALL))
		atomic_store_explicit(out ? &t->wall_block_out : &t->wall_block_in,
				      inflame__now_monotonic(), memory_order_release);
}

/* inflame_shield_begin for a call the wall ticker's marks cover; inflame_shield_end after it. */
static inline void inflame_shield_begin_marked(struct inflame_shield *s)
{
	inflame_shield_begin(s);
	inflame_shield_mark(inflame_thread_self(), 0);
	s->saved_errno = errno;
}

static inline void inflame_shield_end(void)
{
	struct inflame_thread *t = inflame_thread_self();
	int e = errno;

	inflame_shield_mark(t, 1);
	if (t)
		atomic_store_explicit(&t->wall_cost, 0, memory_order_relaxed);
	errno = e;
}

/* After a call failed with EINTR (as errno or as its result): whether only inflame's handlers
 * ran since the last check, so the call must be restarted. The errno the program had before
 * the call is put back then, so a call that succeeds on its restart leaves errno untouched. */
static inline int inflame_shield_retry(struct inflame_shield *s)
{
	unsigned own, app;

	atomic_signal_fence(memory_order_seq_cst);
	own = __atomic_load_n(&inflame__sig_tls.own_runs, __ATOMIC_RELAXED);
	app = __atomic_load_n(&inflame__sig_tls.app_runs, __ATOMIC_RELAXED);
	if (app != s->app || own == s->own)
		return 0;
	s->own = own;
	errno = s->saved_errno;
	return 1;
}

/* Deadlines for the calls whose timeout is relative, on inflame__now_monotonic(). */
static inline uint64_t inflame_shield_ns(const struct timespec *t)
{
	if (t->tv_sec < 0 || t->tv_nsec < 0)
		return 0;
	if (t->tv_sec > 1000000000) /* decades: saturate rather than overflow a deadline */
		return 1ull << 62;
	return (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
}

/* What is left of a timeout that ends at deadline (0 when it has passed). */
static inline struct timespec inflame_shield_left(uint64_t deadline)
{
	uint64_t now = inflame__now_monotonic(), left = deadline > now ? deadline - now : 0;
	struct timespec ts = {(time_t)(left / 1000000000ull), (long)(left % 1000000000ull)};

	return ts;
}

/* When a relative timeout t (NULL: none) that starts now ends. */
static inline uint64_t inflame_shield_deadline(const struct timespec *t)
{
	return t ? inflame__now_monotonic() + inflame_shield_ns(t) : 0;
}

/* Returns expr, a call that fails with -1 and errno, made again while only inflame's handlers
 * interrupted it. */
#define INFLAME_SHIELDED(type, expr)                                                               \
	do {                                                                                       \
		struct inflame_shield s_;                                                          \
		type rc_;                                                                          \
		inflame_shield_begin_marked(&s_);                                                  \
		do                                                                                 \
			rc_ = (expr);                                                              \
		while (rc_ < 0 && errno == EINTR && inflame_shield_retry(&s_));                    \
		inflame_shield_end();                                                              \
		return rc_;                                                                        \
	} while (0)

/* The same for a call with a relative timeout t (NULL: none): expr reads it as tp, which is
 * what is left of t when the call is made again. */
#define INFLAME_SHIELDED_TIMESPEC(t, tp, expr)                                                     \
	do {                                                                                       \
		struct inflame_shield s_;                                                          \
		uint64_t deadline_ = inflame_shield_deadline(t);                                   \
		struct timespec left_;                                                             \
		const struct timespec *tp = (t);                                                   \
		int rc_;                                                                           \
		inflame_shield_begin_marked(&s_);                                                  \
		while ((rc_ = (expr)) < 0 && errno == EINTR && inflame_shield_retry(&s_))          \
			if (t) {                                                                   \
				left_ = inflame_shield_left(deadline_);                            \
				tp = &left_;                                                       \
			}                                                                          \
		inflame_shield_end();                                                              \
		return rc_;                                                                        \
	} while (0)

#endif
