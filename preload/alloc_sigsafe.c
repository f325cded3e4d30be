/*
 * Allocation sampling (see alloc.h for the model). This file owns the per-thread sampling
 * state (countdown, generator, recursion guard: initial-exec TLS, so reading it never calls
 * into the loader), the decision and the weight of each sample, and the bookkeeping of
 * sampled pointers in the table of ptrtab.h. Samples go to the calling thread's ring through
 * sample.h, like CPU samples, with the stack unwound from here (inflame's own frames are
 * hidden by the tools).
 *
 * Everything but inflame_alloc_setup() is async-signal-safe: a program may allocate from a
 * signal handler, including one that interrupted this code. Such a nested call is sampled
 * like any other, except while the DWARF unwinder runs (it may allocate, so the recursion
 * guard is raised around it and nested allocations pass through unsampled). Nothing here
 * allocates, locks or calls into the loader; errno is preserved.
 *
 * In full tracing (INFLAME_ALLOC_RATE=1, asked for exact results) a producer whose ring lacks
 * room for one more record wakes the writer and waits for it, a bounded time (then the record
 * is dropped and counted): inflame_alloc_wait_room(), called by the producers of sample.h
 * when their ring refuses a record. It never waits inside the loader or in a nested producer. In
 * sampling mode nothing ever waits: a record that finds the ring full is dropped and counted
 * (a lost FREE is counted as untracked, and its block then stays in the live view).
 */
#include "clock.h"
#include "alloc.h"

#include "log.h"
#include "profiler.h"
#include "ptrtab.h"
#include "sample.h"
#include "thread.h"
#include "writer.h"

#include "dump_format.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <stdatomic.h>
#include <time.h>

#define WAIT_STEP_NS 10000000LL	   /* a futex wait for the writer's next pass: 10 ms at most */
#define WAIT_IDLE_NS 1000000000ULL /* give up after 1 s without a pass */

__thread struct inflame_alloc_tls inflame__alloc_tls __attribute__((tls_model("initial-exec")));
int inflame__alloc_on;
int inflame__alloc_decided;
int inflame__alloc_threads;

static double rate; /* mean bytes between sample points */
static int full;    /* rate 1: every allocation, exactly */
static _Atomic uint64_t untracked;
_Atomic uint64_t inflame__alloc_seq;
static _Atomic uint64_t seed_counter;

int inflame_alloc_setup(void)
{
	uint64_t r = inflame__prof.cfg.alloc_rate ? inflame__prof.cfg.alloc_rate : 1;
	/* Live sampled pointers are roughly live bytes / rate: size for 64 GiB live, at least
	 * 128 Ki slots (2 MiB) and at most 4 Mi (64 MiB, at rates of 16 KiB and below; pages
	 * are touched as slots are used, and over time that is all of them). */
	uint64_t slots = (64ull << 30) / r;
	/* The table's grain (ptrtab.h): an eighth of the rate, at most a page. */
	unsigned grain = 0;
	int rc;

	while (grain < 12 && (16ull << grain) <= r)
		grain++;

	if (slots < (1u << 17))
		slots = 1u << 17;
	if (slots > (1u << 22))
		slots = 1u << 22;
	/* Full tracing keeps no table (alloc.h): the smallest one, with every filter counter
	 * sticky, sends each free to the slow path, which records it. */
	rc = inflame_ptrtab_init(r == 1 ? 0 : (size_t)slots, grain, r != 1);
	if (rc < 0)
		return rc;
	rate = (double)r;
	full = r == 1;
	__atomic_store_n(&inflame__alloc_on, 1, __ATOMIC_RELEASE);
	return 0;
}

void inflame_alloc_decided(void)
{
	__atomic_store_n(&inflame__alloc_decided, 1, __ATOMIC_RELEASE);
}

void inflame_alloc_threads_many(void)
{
	__atomic_store_n(&inflame__alloc_threads, 1, __ATOMIC_SEQ_CST);
}

INFLAME_FORK_TEXT void inflame_alloc_after_fork_child(void)
{
	/* One thread again. Each store only where the parent left something, and the pointer
	 * table only when allocations are profiled: a fork child that only execs then copies
	 * none of these pages and looks at none of the table's (issue 11). */
	if (__atomic_load_n(&inflame__alloc_threads, __ATOMIC_RELAXED))
		__atomic_store_n(&inflame__alloc_threads, 0, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&inflame__alloc_on, __ATOMIC_ACQUIRE))
		return;
	inflame_ptrtab_clear();
	if (atomic_load_explicit(&untracked, memory_order_relaxed))
		atomic_store(&untracked, 0);
}

uint64_t inflame_alloc_untracked(void)
{
	return atomic_load_explicit(&untracked, memory_order_relaxed);
}

static uint64_t next_random(struct inflame_alloc_tls *s)
{
	uint64_t x = s->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

/*
 * The two functions of libm the sampling needs, computed here so that libm is not loaded into
 * every profiled process (a library costs page faults at every start). Both are accurate to
 * about 1e-13, far finer than the sampling's own randomness.
 */
#define LN2 0.69314718055994530942

/* ln(u) for a normal u > 0: u = m * 2^e with m in [sqrt(1/2), sqrt(2)), and
 * ln(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...) with s = (m - 1) / (m + 1), |s| < 0.172. */
static double ln(double u)
{
	uint64_t bits;
	double m, s, s2, sum = 0;
	int e;

	memcpy(&bits, &u, sizeof(bits));
	e = (int)((bits >> 52) & 0x7ff) - 1023;
	bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
	memcpy(&m, &bits, sizeof(m));
	if (m > 1.41421356237309504880) {
		m /= 2;
		e++;
	}
	s = (m - 1) / (m + 1);
	s2 = s * s;
	for (int k = 17; k >= 1; k -= 2)
		sum = sum * s2 + 1.0 / k;
	return (double)e * LN2 + 2 * s * sum;
}

/* 1 - e^(-x) for x >= 0 (-expm1(-x)): a series where it is small, else through e^(-x) =
 * 2^k e^r with |r| <= ln(2)/2 and e^r from its Taylor series. */
static double one_minus_exp_neg(double x)
{
	double r, term = 1, er = 1;
	int k;
	uint64_t bits;

	if (x < 1e-3)
		return x * (1 - x / 2 * (1 - x / 3 * (1 - x / 4 * (1 - x / 5))));
	if (x > 700)
		return 1;
	k = (int)(-x / LN2 - 0.5); /* rounded (-x < 0) */
	r = -x - k * LN2;
	for (int i = 1; i <= 14; i++) {
		term *= r / i;
		er += term;
	}
	bits = (uint64_t)(1023 + k) << 52; /* 2^k, k >= -1010 here */
	memcpy(&term, &bits, sizeof(term));
	return 1 - er * term;
}

/* Bytes to the next sample point: exponential with mean rate. */
static int64_t draw(struct inflame_alloc_tls *s)
{
	/* 53 random bits give u in (0, 1]. */
	double u = (double)((next_random(s) >> 11) + 1) * (1.0 / 9007199254740992.0);
	double d = -ln(u) * rate;

	if (d < 1)
		return 1;
	if (d > 9e18)
		return INT64_MAX;
	return (int64_t)d;
}

int inflame__alloc_crossed(size_t size)
{
	struct inflame_alloc_tls *s = &inflame__alloc_tls;

	if (!__atomic_load_n(&inflame__alloc_on, __ATOMIC_ACQUIRE)) {
		/* Off: for good once the constructor settled it (no sample point ever again),
		 * else ask again at the next call. */
		s->countdown =
		    __atomic_load_n(&inflame__alloc_decided, __ATOMIC_ACQUIRE) ? INT64_MAX : 0;
		return 0;
	}
	if (s->guard || s->resolving)
		return 0; /* our own work: the countdown stays due, the next call decides */
	if (full) {
		s->countdown = 0;
		return 1;
	}
	if (!s->rng) {
		/* The thread's first slow path: seed, then place its first sample point. */
		uint64_t x = (uint64_t)(uintptr_t)s ^ inflame__now_monotonic() ^
			     (atomic_fetch_add(&seed_counter, 1) * 0x9e3779b97f4a7c15ull);

		s->rng = x ? x : 1;
		s->countdown = draw(s) - (int64_t)size;
		if (s->countdown > 0)
			return 0;
	}
	s->countdown = draw(s);
	return 1;
}

static uint64_t weight_of(size_t size)
{
	double p;

	if (full)
		return size;
	p = one_minus_exp_neg((double)size / rate);
	if (p <= 0)
		return size;
	return (uint64_t)((double)size / p + 0.5);
}

/* The calling thread's slot, binding one registered from outside on first use. */
static struct inflame_thread *self_slot(void)
{
	struct inflame_thread *t = inflame_thread_self();

	if (!t && atomic_load_explicit(&inflame__prof.sampling, memory_order_relaxed)) {
		t = inflame_thread_find(inflame__gettid());
		if (t)
			inflame_thread_bind(t);
	}
	return t;
}

/*
 * A producer whose ring refused a record of bytes bytes may wait for the writer to make room,
 * asleep on the writer's pass counter (no spinning: hundreds of waiting threads must leave the
 * CPU to the writer), for as long as the writer completes passes and at most 1 s without one:
 * in full tracing only, where the user asked for exact results; only the outermost producer
 * (level 0: a nested one may have interrupted the record the writer is stuck on), not inside
 * the loader (the writer may need the loader's lock), not once sampling stopped. Returns 1
 * when there is room now; the caller counts a drop otherwise.
 */
int inflame_alloc_wait_room(struct inflame_thread *t, uint64_t bytes)
{
	struct inflame_ring *r = &t->ring;
	unsigned gen;
	uint64_t idle_since;

	if (!full || atomic_load_explicit(&t->in_dl, memory_order_relaxed))
		return 0;
	/* A record that does not fit before the end of the ring is preceded by padding shorter
	 * than itself: room for twice the record is always enough. */
	bytes = 2 * (bytes + 16);
	gen = inflame_writer_drains();
	idle_since = inflame__now_monotonic();
	for (;;) {
		unsigned g;

		if (inflame_ring_used(r, 1) + bytes <= r->size)
			return 1;
		if (!atomic_load_explicit(&inflame__prof.sampling, memory_order_relaxed))
			return 0;
		inflame_writer_request(INFLAME_WRITER_WAKE);
		inflame_writer_wait_drain(gen, WAIT_STEP_NS);
		g = inflame_writer_drains();
		if (g != gen) {
			gen = g;
			idle_since = inflame__now_monotonic();
		} else if (inflame__now_monotonic() - idle_since > WAIT_IDLE_NS) {
			return 0;
		}
	}
}

void inflame_alloc_record(void *p, size_t size)
{
	struct inflame_alloc_tls *s = &inflame__alloc_tls;
	struct inflame_thread *t;
	int saved = errno;
	/* Only the DWARF unwinder may allocate on our behalf; with frame pointers nothing here
	 * does, so a signal handler that interrupts us and allocates is sampled too. */
	int guard = inflame__prof.cfg.unwind == INFLAME_UNWIND_DWARF;

	if (guard)
		s->guard = 1;
	atomic_signal_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&inflame__prof.sampling, memory_order_relaxed))
		goto out;
	t = self_slot();
	if (!t || (!full && inflame_ptrtab_insert(p, size) < 0)) {
		atomic_fetch_add_explicit(&untracked, 1, memory_order_relaxed);
		goto out;
	}
	/* The walk starts from this frame: the functions below need not be walked through. */
	if (inflame_sample_take(t, INFLAME_EV_ALLOC, weight_of(size), size, (uint64_t)(uintptr_t)p,
				NULL, (uintptr_t)__builtin_frame_address(0)) < 0 &&
	    !full) {
		uint64_t ignored;

		inflame_ptrtab_remove(p, &ignored); /* not recorded: its free must not be either */
	}
	if (t->hook_cycle) {
		/* In normal context at a safe stack: the writer's work (writer.h). */
		t->hook_cycle = 0;
		guard = 1;
		s->guard = 1;
		inflame_writer_hook_cycle();
	}
out:
	atomic_signal_fence(memory_order_seq_cst);
	if (guard)
		s->guard = 0;
	errno = saved;
}

static void record_free(void *p)
{
	struct inflame_thread *t;

	/* Not after the final dump (exit, exec): nobody drains the rings any more. */
	if (!atomic_load_explicit(&inflame__prof.sampling, memory_order_relaxed))
		return;
	t = self_slot();
	if (!t) {
		atomic_fetch_add_explicit(&untracked, 1, memory_order_relaxed);
		return;
	}
	if (inflame_sample_put_free(t, (uint64_t)(uintptr_t)p) < 0)
		atomic_fetch_add_explicit(&untracked, 1, memory_order_relaxed);
}

/* Frees need no recursion guard: inflame never frees a pointer it sampled, so its own frees
 * are never found in the table, and everything here may be re-entered from a handler. */
void inflame__alloc_free_slow(void *p)
{
	int saved = errno;
	uint64_t size;

	if (full || inflame_ptrtab_remove(p, &size))
		record_free(p);
	errno = saved;
}

size_t inflame_alloc_take_out(void *old)
{
	int saved = errno;
	uint64_t size;
	size_t was = 0;

	if (!inflame__alloc_on || !old || !inflame_ptrtab_maybe(old))
		return 0;
	if (full) {
		record_free(old);
		was = INFLAME_ALLOC_UNSIZED;
	} else if (inflame_ptrtab_remove(old, &size)) {
		record_free(old);
		was = (size_t)size + 1;
	}
	errno = saved;
	return was;
}

void inflame_alloc_put_back(void *old, size_t taken)
{
	struct inflame_thread *t;
	int saved = errno;

	if (taken != INFLAME_ALLOC_UNSIZED) {
		inflame_alloc_record(old, taken - 1);
		return;
	}
	if (!atomic_load_explicit(&inflame__prof.sampling, memory_order_relaxed))
		return;
	t = self_slot();
	if (t) {
		if (inflame_sample_put_restore(t, (uint64_t)(uintptr_t)old) < 0)
			atomic_fetch_add_explicit(&untracked, 1, memory_order_relaxed);
	}
	errno = saved;
}

uint64_t inflame_alloc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
