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
#include "wall.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
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

/* Which of t's kept call sites (thread.h) a marked call from (ra, sp) is at: the same caller
 * at the same depth, the same return addresses in the slots above it. 1 + its index, 0: none. */
static inline int inflame_shield_at_site(const struct inflame_thread *t, uintptr_t ra, uintptr_t sp)
{
	if (!ra)
		return 0;
	for (int j = 0; j < INFLAME_WALL_SITES; j++) {
		const struct inflame_wall_kept *w = &t->site.kept[j];
		uint32_t i = 0;

		if (w->ra != ra || w->sp != sp)
			continue;
		while (i < w->n && *(const uint64_t *)w->slot[i] == w->val[i])
			i++;
		if (i == w->n)
			return j + 1;
	}
	return 0;
}

/* The wall ticker's marks (thread.h, wall.c): when the calling thread enters a blocking call,
 * called from ra with stack pointer sp, and when it comes back from it to the program (not at
 * a restart). Only with wall sampling on: a clock read each. */
static inline void inflame_shield_enter(struct inflame_thread *t, uintptr_t ra, uintptr_t sp)
{
	uint64_t now, out;
	int same;

	if (!t || !(inflame__prof.cfg.events & INFLAME_EVMASK_WALL))
		return;
	now = inflame__now_monotonic();
	same = inflame_shield_at_site(t, ra, sp);
	t->site.ra = ra;
	t->site.sp = sp;
	if (same) {
		out = atomic_load_explicit(&t->wall_block_out, memory_order_relaxed);
		if (out && now > out)
			atomic_fetch_add_explicit(&t->site.gap, now - out, memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(&t->site.other, 1, memory_order_relaxed);
	}
	atomic_store_explicit(&t->site.same, same, memory_order_relaxed);
	/* Release: a ticker that sees this mark sees the site's fields of this call. */
	atomic_store_explicit(&t->wall_block_in, now, memory_order_release);
}

static inline void inflame_shield_leave(struct inflame_thread *t)
{
	uint64_t now, in, out;

	if (!t || !(inflame__prof.cfg.events & INFLAME_EVMASK_WALL))
		return;
	now = inflame__now_monotonic();
	in = atomic_load_explicit(&t->wall_block_in, memory_order_relaxed);
	out = atomic_load_explicit(&t->wall_block_out, memory_order_relaxed);
	/* Only the thread writes the sums; a call nested in a handler of the program's during
	 * another one closed it already. */
	if (in > out && now > in) {
		int same = atomic_load_explicit(&t->site.same, memory_order_relaxed);

		atomic_store_explicit(
		    &t->wall_block_sum,
		    atomic_load_explicit(&t->wall_block_sum, memory_order_relaxed) + (now - in),
		    memory_order_relaxed);
		if (same > 0 && same <= INFLAME_WALL_SITES) {
			_Atomic uint64_t *sum = &t->site.kept[same - 1].sum;

			atomic_store_explicit(
			    sum, atomic_load_explicit(sum, memory_order_relaxed) + (now - in),
			    memory_order_relaxed);
		}
	}
	atomic_store_explicit(&t->wall_block_out, now, memory_order_release);
	/* A ticker that slept past its period because of this call looks at once. */
	inflame_wall_poke();
}

/* Around a handler of the program's that inflame calls on the calling thread: a handler that
 * interrupted a marked call runs the program's code, so the call's mark is closed while it runs
 * (the wall ticker, which may sleep past its period while the thread is in the call, is woken)
 * and opened again at the same site as it returns into the call. Without that, every period of
 * the handler went to the call (a SIGALRM handler that spins 60% of a 1 s waitpid, sleep or
 * sigsuspend: 0 to 1.5% of the wall samples in it). A handler that never returns (siglongjmp)
 * leaves the mark closed, as the thread is back in the program. */
struct inflame_shield_pause {
	struct inflame_thread *t;
	uintptr_t ra, sp;
};

static inline void inflame_shield_pause(struct inflame_shield_pause *p)
{
	struct inflame_thread *t = inflame_thread_self();

	p->t = NULL;
	p->ra = p->sp = 0;
	if (!t || !(inflame__prof.cfg.events & INFLAME_EVMASK_WALL) ||
	    atomic_load_explicit(&t->wall_block_in, memory_order_relaxed) <=
		atomic_load_explicit(&t->wall_block_out, memory_order_relaxed))
		return;
	p->t = t;
	p->ra = t->site.ra;
	p->sp = t->site.sp;
	inflame_shield_leave(t);
}

static inline void inflame_shield_resume(const struct inflame_shield_pause *p)
{
	if (p->t)
		inflame_shield_enter(p->t, p->ra, p->sp);
}

/* The bytes above a marked call's stack pointer the handler searches for the return addresses
 * of the frames above it (inflame_shield_keep). */
#define INFLAME_SHIELD_SCAN 16384

/* In the wall handler, after a sample that found the thread blocked in a system call with its
 * stack in wall_frames: when that is a marked call whose caller the walk went through, keeps
 * its site (thread.h), with a copy of the stack and the stack slots that hold the return
 * addresses of the next frames (the first word above the last one found that holds each): in
 * the entry of that site when it has one, else in the next entry in turn, whose sum starts
 * over. The other kept sites stay as they were. Async-signal-safe: reads only the thread's
 * own stack, within its known bounds. */
static inline void inflame_shield_keep(struct inflame_thread *t)
{
	struct inflame_wall_site *s = &t->site;
	struct inflame_wall_kept *w;
	uint64_t in = atomic_load_explicit(&t->wall_block_in, memory_order_relaxed);
	uint64_t out = atomic_load_explicit(&t->wall_block_out, memory_order_relaxed);
	uintptr_t p = s->sp, end, slot[INFLAME_WALL_SITE_SLOTS];
	uint32_t k = 0, n = 0;
	int j = atomic_load_explicit(&s->same, memory_order_relaxed) - 1;

	if ((t->wall_flags & (INFLAME_WALL_HAVE | INFLAME_WALL_SYSCALL)) !=
		(INFLAME_WALL_HAVE | INFLAME_WALL_SYSCALL) ||
	    in <= out || !s->ra || !s->kept[0].frames || !t->stack_hi || p < t->stack_lo ||
	    p >= t->stack_hi || (p & 7))
		return;
	while (k < t->wall_n && t->wall_frames[k] != s->ra)
		k++;
	if (k == t->wall_n)
		return;
	end = t->stack_hi - p > INFLAME_SHIELD_SCAN ? p + INFLAME_SHIELD_SCAN : t->stack_hi;
	for (uint32_t i = k + 1; i < t->wall_n && n < INFLAME_WALL_SITE_SLOTS; i++) {
		while (p + 8 <= end && *(const uint64_t *)p != t->wall_frames[i])
			p += 8;
		if (p + 8 > end)
			return; /* not found: its stack cannot be checked */
		slot[n++] = p;
		p += 8;
	}
	if (j < 0 || j >= INFLAME_WALL_SITES) {
		/* A new site (a kept one's caller with other callers above it is one too: a
		 * thread that reaches one call from two places in turn keeps both). */
		j = (int)(s->next++ % INFLAME_WALL_SITES);
		atomic_store_explicit(&s->kept[j].sum, 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->kept[j].gen, 1, memory_order_relaxed);
	}
	w = &s->kept[j];
	w->ra = 0; /* the thread checks nothing half written (a nested signal) */
	for (uint32_t i = 0; i < n; i++) {
		w->slot[i] = slot[i];
		w->val[i] = *(const uint64_t *)slot[i];
	}
	w->n = n;
	memcpy(w->frames, t->wall_frames, t->wall_n * sizeof(uint64_t));
	w->nframes = t->wall_n;
	w->flags = t->wall_flags & INFLAME_WALL_TRUNCATED;
	w->sp = s->sp;
	w->ra = s->ra;
	atomic_store_explicit(&s->same, j + 1, memory_order_relaxed);
}

/* inflame_shield_begin for a call the wall ticker's marks cover, made by the program from ra
 * with stack pointer sp; inflame_shield_end after it. */
static inline void inflame_shield_begin_marked(struct inflame_shield *s, uintptr_t ra, uintptr_t sp)
{
	inflame_shield_begin(s);
	inflame_shield_enter(inflame_thread_self(), ra, sp);
	s->saved_errno = errno;
}

static inline void inflame_shield_end(void)
{
	struct inflame_thread *t = inflame_thread_self();
	int e = errno;

	inflame_shield_leave(t);
	/* Each store only when it changes something: after a fork, the first store to a page
	 * copies it (a page fault in a shell's waitpid after each of its children, issue 11). */
	if (t && atomic_load_explicit(&t->wall_cost, memory_order_relaxed))
		atomic_store_explicit(&t->wall_cost, 0, memory_order_relaxed);
	if (errno != e)
		errno = e;
}

/* The caller of the exported function this expands in, and its stack pointer there. */
#define INFLAME_SHIELD_SITE                                                                        \
	(uintptr_t) __builtin_return_address(0), (uintptr_t)__builtin_frame_address(0)

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
		inflame_shield_begin_marked(&s_, INFLAME_SHIELD_SITE);                             \
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
		inflame_shield_begin_marked(&s_, INFLAME_SHIELD_SITE);                             \
		while ((rc_ = (expr)) < 0 && errno == EINTR && inflame_shield_retry(&s_))          \
			if (t) {                                                                   \
				left_ = inflame_shield_left(deadline_);                            \
				tp = &left_;                                                       \
			}                                                                          \
		inflame_shield_end();                                                              \
		return rc_;                                                                        \
	} while (0)

#endif
