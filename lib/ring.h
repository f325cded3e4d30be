/*
 * A per-thread ring buffer of variable-size records: one thread produces (from normal code
 * and from signal handlers that may interrupt it), one writer thread consumes.
 *
 * Producing is wait-free in practice and lock-free in the strict sense: space is claimed with a
 * compare-and-swap on the head that can only fail when a signal handler on the same thread
 * claimed space in between, and the nested claim completes before the interrupted one resumes.
 * A claimed record is invisible to the consumer until its producer commits it, so records
 * committed out of order (an inner one before the outer one) are consumed in claim order once
 * both are committed. When there is no room the record is refused and counted as dropped;
 * the producer never waits.
 *
 * The memory comes from mmap; records are 8-byte aligned and never straddle the end of the
 * ring (a padding record fills the gap). A producer whose next record would enter a page of the
 * ring's second half never written looks whether the consumer took the whole first half of
 * this lap, and then pads to the end and starts over at the beginning: a thread whose consumer
 * keeps up uses, and takes page faults for, little more than half the ring.
 */
#ifndef INFLAME_RING_H
#define INFLAME_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct inflame_ring {
	_Atomic uint64_t head; /* bytes claimed by producers, ever */
	_Atomic uint64_t dropped;
	uint8_t *data;
	uint64_t size; /* power of two */
	/* The producers' last view of tail (never ahead of it): they read the consumer's line
	 * only when this says the ring is full. */
	_Atomic uint64_t tail_seen;
	/* The end of the part of the ring ever written (an offset, only grows): the rest is still
	 * zero and, in a fresh mapping, not even backed by pages. Raised by the producers before
	 * they write; the consumer clears nothing beyond it. */
	_Atomic uint64_t hw;
	/* The mapping is MADV_WIPEONFORK: a fork's child finds it zero, and a fork leaves the
	 * parent's pages writable (no copy-on-write fault at the next record after each fork). */
	int wiped_on_fork;
	/* Written by the consumer: on a cache line of its own, so that releasing space does not
	 * take the producer's line away at every record. */
	_Alignas(64) _Atomic uint64_t tail; /* bytes released by the consumer, ever */
	char pad_[56];
};

/* Record header: the first 8 bytes of each record. 'word' holds the record size in its low 32
 * bits and INFLAME_RING_COMMITTED once the payload is complete; 'kind' is the caller's. */
#define INFLAME_RING_COMMITTED (1ull << 63)
#define INFLAME_RING_PAD_KIND  0xffff
struct inflame_ring_hdr {
	_Atomic uint64_t word; /* size | kind << 32 | COMMITTED */
};

/* Allocates a ring of at least bytes (rounded up to a power of two, at least 4 KiB) with mmap.
 * Returns 0 or -ENOMEM. Not async-signal-safe (mmap is, but callers must not publish a ring
 * from a handler). */
int inflame_ring_init(struct inflame_ring *r, size_t bytes);
/* Unmaps the ring. Only when no producer or consumer can touch it any more. */
void inflame_ring_destroy(struct inflame_ring *r);
/* Discards everything (the child after fork). No producer may be active. */
void inflame_ring_reset(struct inflame_ring *r);
/* The same in a fork child, for the ring its parent had: where the mapping was wiped on fork
 * (wiped_on_fork) its pages are zero already, and none is touched; else inflame_ring_reset. */
void inflame_ring_reset_forked(struct inflame_ring *r);

/* Claims a record with a payload of len bytes; returns the payload pointer or NULL (counted in
 * dropped) when full. Must be followed by inflame_ring_commit(). Async-signal-safe. */
void *inflame_ring_reserve(struct inflame_ring *r, size_t len, uint16_t kind);
/* The same, but a refusal is not counted (the caller may wait and try again). */
void *inflame_ring_try_reserve(struct inflame_ring *r, size_t len, uint16_t kind);
/* Makes a reserved record visible to the consumer. Async-signal-safe. Inline: it runs once per
 * record. */
static inline void inflame_ring_commit(void *payload)
{
	struct inflame_ring_hdr *h = (struct inflame_ring_hdr *)((uint8_t *)payload - sizeof(*h));
	uint64_t w = atomic_load_explicit(&h->word, memory_order_relaxed);

	atomic_store_explicit(&h->word, w | INFLAME_RING_COMMITTED, memory_order_release);
}
/* Bytes claimed and not yet released as the producer sees it (an upper bound); with fresh = 1
 * the consumer's current tail is read first (and remembered). Producer side only.
 * Async-signal-safe. Inline: producers ask before and after each record. */
static inline uint64_t inflame_ring_used(struct inflame_ring *r, int fresh)
{
	uint64_t tail;

	if (fresh) {
		/* A nested producer may store a newer view in between: either is a lower bound. */
		tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		atomic_store_explicit(&r->tail_seen, tail, memory_order_relaxed);
	} else {
		tail = atomic_load_explicit(&r->tail_seen, memory_order_relaxed);
	}
	return atomic_load_explicit(&r->head, memory_order_relaxed) - tail;
}

/* Consumer side: whether any record was claimed and not yet consumed (committed or not). */
static inline int inflame_ring_has_data(struct inflame_ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) !=
	       atomic_load_explicit(&r->tail, memory_order_relaxed);
}
/* Consumer side: calls fn for each committed record in claim order, stopping at the first
 * record not yet committed, then releases the consumed space. Returns the number consumed.
 * Only one consumer at a time. Not async-signal-safe. */
size_t inflame_ring_drain(struct inflame_ring *r,
			  void (*fn)(void *arg, uint16_t kind, const void *payload, size_t len),
			  void *arg);
/* The same, but fn may also refuse a record (return nonzero): the drain stops there, and that
 * record and those after it stay in the ring for a later drain. */
size_t inflame_ring_drain_until(struct inflame_ring *r,
				int (*fn)(void *arg, uint16_t kind, const void *payload,
					  size_t len),
				void *arg);

#endif
