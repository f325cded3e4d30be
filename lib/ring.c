/*
 * The ring buffer. head and tail are byte counters that only grow; the position of a record is
 * the counter modulo the size. A producer claims [head, head + need) with a CAS; the consumer
 * reads record headers from tail up to head and stops at one whose COMMITTED bit is clear.
 * Space between tail and head that no producer has written yet must never look committed, so
 * the consumer zeroes what it consumed before moving tail, and the ring starts zeroed. What lies
 * beyond the high-water mark hw (padding over pages never written) is zero already and left
 * alone, so that neither the consumer nor a reset touches pages the producers never used.
 */
#include "ring.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define HDR   sizeof(struct inflame_ring_hdr)
#define ALIGN 8u
#define PAGE  4096u
/* How far ahead of the record it reads the consumer asks for the ring's memory (eight cache
 * lines): the producer wrote those lines on another CPU, and the load of each record's header
 * and first fields waited for them (44% of the writer's time in the function that takes each
 * record of bench-alloc's python3 went to that load). The producer asking ahead the same way
 * cost it more than it saved. */
#define AHEAD 512u

int inflame_ring_init(struct inflame_ring *r, size_t bytes)
{
	uint64_t size = 4096;
	void *p;

	while (size < bytes)
		size <<= 1;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->tail_seen, 0);
	atomic_init(&r->hw, 0);
	atomic_init(&r->dropped, 0);
	r->data = p;
	r->size = size;
	/* A fork's child empties the ring anyway: without the parent's pages it copies none of
	 * them, and the parent keeps writing its own without a fault after each fork (issue 11).
	 * (Linux 4.14 and later; elsewhere the child clears what the parent left.) */
	r->wiped_on_fork = 0;
#ifdef MADV_WIPEONFORK
	r->wiped_on_fork = madvise(p, size, MADV_WIPEONFORK) == 0;
#endif
	return 0;
}

void inflame_ring_destroy(struct inflame_ring *r)
{
	if (r->data)
		munmap(r->data, r->size);
	r->data = NULL;
	r->size = 0;
}

/* Zeroes [pos, pos + len) of the ring, but nothing at or beyond the high-water mark hw. */
static void clear(struct inflame_ring *r, uint64_t pos, uint64_t len, uint64_t hw)
{
	if (pos >= hw)
		return;
	memset(r->data + pos, 0, len < hw - pos ? len : hw - pos);
}

/* The ring holds nothing, and nothing was dropped. */
static void empty_indices(struct inflame_ring *r)
{
	atomic_store(&r->head, 0);
	atomic_store(&r->tail, 0);
	atomic_store(&r->tail_seen, 0);
	atomic_store(&r->dropped, 0);
}

void inflame_ring_reset(struct inflame_ring *r)
{
	uint64_t tail = atomic_load(&r->tail), head = atomic_load(&r->head);
	uint64_t hw = atomic_load(&r->hw);

	/* Only [tail, head) can hold anything but zeros (the consumer zeroes what it consumed):
	 * the rest stays untouched, so a fork child does not copy, nor fault in, pages of the
	 * parent's ring it never uses. */
	if (head - tail >= r->size) {
		clear(r, 0, r->size, hw);
	} else {
		for (uint64_t t = tail; t < head;) {
			uint64_t pos = t & (r->size - 1), chunk = r->size - pos;

			if (chunk > head - t)
				chunk = head - t;
			clear(r, pos, chunk, hw);
			t += chunk;
		}
	}
	empty_indices(r);
}

/* (in the section of the preload's code a fork child runs: INFLAME_FORK_TEXT, profiler.h) */
__attribute__((section(".text.hot.inflame_fork"))) void
inflame_ring_reset_forked(struct inflame_ring *r)
{
	if (!r->wiped_on_fork) {
		inflame_ring_reset(r);
		return;
	}
	empty_indices(r);
	atomic_store(&r->hw, 0); /* (nothing of this copy was ever written) */
}

/* Reads the consumer's tail (acquire: what it released is no longer read) into tail_seen.
 * A nested producer may store a newer value in between; either is a valid lower bound. */
static uint64_t refresh_tail(struct inflame_ring *r)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);

	atomic_store_explicit(&r->tail_seen, t, memory_order_relaxed);
	return t;
}

static inline uint64_t round_up(uint64_t v)
{
	return (v + ALIGN - 1) & ~(uint64_t)(ALIGN - 1);
}

/*
 * Compare-and-swap of the head against the ring's own producers only: the thread and signal
 * handlers that interrupt it, never another CPU. On x86 one cmpxchg without the lock prefix
 * is atomic with respect to signals (they arrive between instructions), and it does not
 * drain the store buffer as a locked instruction does, which made the locked form the most
 * expensive step of a record. Elsewhere the ordinary atomic CAS.
 */
static inline int cas_local(_Atomic uint64_t *p, uint64_t *expected, uint64_t desired)
{
#if defined(__x86_64__)
	uint64_t prev = *expected;
	unsigned char ok;

	__asm__ __volatile__("cmpxchgq %3, %1\n\tsete %0"
			     : "=q"(ok), "+m"(*(uint64_t *)p), "+a"(prev)
			     : "r"(desired)
			     : "memory", "cc");
	*expected = prev;
	return ok;
#else
	return atomic_compare_exchange_weak_explicit(p, expected, desired, memory_order_relaxed,
						     memory_order_relaxed);
#endif
}

/* Raises the high-water mark to end. A nested producer may raise it meanwhile: the local CAS
 * keeps the larger. */
static void raise_hw(struct inflame_ring *r, uint64_t end)
{
	uint64_t h = atomic_load_explicit(&r->hw, memory_order_relaxed);

	while (h < end && !cas_local(&r->hw, &h, end))
		;
}

/* The bytes to claim for a record of need bytes at pos, in a lap that starts at head - pos,
 * which would reach above the high-water mark: the record, or the padding to the end and the
 * record at the beginning when it does not fit before the end. When it would enter a page of
 * the ring's second half never written, and the consumer has taken the whole first half of
 * this lap, it starts over at the beginning instead: the room left until the consumer takes
 * more is then at least half the ring, as before. So a thread whose consumer keeps up never
 * writes, nor takes page faults for, the pages above; once every page was written (a consumer
 * that fell behind), nothing changes. Raises the mark to the end of what the claim will
 * write, before the claim: a claim that fails leaves it at most a record too high (the
 * consumer then clears a few bytes more). Apart from the hot path: it runs about once per
 * page. */
static __attribute__((noinline)) uint64_t fresh_ground(struct inflame_ring *r, uint64_t head,
						       uint64_t pos, uint64_t need)
{
	uint64_t room_to_end = r->size - pos,
		 total = need <= room_to_end ? need : room_to_end + need;
	uint64_t hw = atomic_load_explicit(&r->hw, memory_order_relaxed);

	if (total == need && pos >= r->size / 2 &&
	    pos + need > ((hw + PAGE - 1) & ~(uint64_t)(PAGE - 1)) &&
	    refresh_tail(r) >= head - pos + r->size / 2)
		total = room_to_end + need;
	raise_hw(r, total != need ? (need > pos + HDR ? need : pos + HDR) : pos + need);
	return total;
}

void *inflame_ring_reserve(struct inflame_ring *r, size_t len, uint16_t kind)
{
	void *p = inflame_ring_try_reserve(r, len, kind);

	if (!p)
		atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
	return p;
}

/* Claims need bytes for a record of kind (need <= size / 2). fresh: the claim may reach above
 * the high-water mark (fresh_ground decides it), else hw is the mark as the caller read it
 * and a claim that would reach above it returns ABOVE. Inline in the two callers below, so
 * that the hot one calls nothing (a call there made every record save six registers). */
#define ABOVE ((void *)1)
static inline __attribute__((always_inline)) void *reserve(struct inflame_ring *r, uint64_t need,
							   uint16_t kind, int fresh, uint64_t hw)
{
	uint64_t head, tail, pos, room_to_end, total;
	struct inflame_ring_hdr *h;

	head = atomic_load_explicit(&r->head, memory_order_relaxed);
	for (;;) {
		tail = atomic_load_explicit(&r->tail_seen, memory_order_relaxed);
		pos = head & (r->size - 1);
		room_to_end = r->size - pos;
		/* A record never wraps: if it does not fit before the end, pad to the end. */
		total = need <= room_to_end ? need : room_to_end + need;
		if (fresh)
			total = fresh_ground(r, head, pos, need);
		else if (__builtin_expect(pos + need > hw, 0))
			return ABOVE;
		/* The consumer's line is read only when the last view of it says full. */
		if (head + total - tail > r->size && head + total - refresh_tail(r) > r->size)
			return NULL;
		if (cas_local(&r->head, &head, head + total))
			break;
	}
	if (total != need) {
		/* Publish the padding at once: it carries no data. */
		h = (struct inflame_ring_hdr *)(r->data + pos);
		atomic_store_explicit(&h->word,
				      room_to_end | ((uint64_t)INFLAME_RING_PAD_KIND << 32) |
					  INFLAME_RING_COMMITTED,
				      memory_order_release);
		pos = 0;
	}
	h = (struct inflame_ring_hdr *)(r->data + pos);
	atomic_store_explicit(&h->word, need | ((uint64_t)kind << 32), memory_order_relaxed);
	return (uint8_t *)h + HDR;
}

static __attribute__((noinline)) void *reserve_fresh(struct inflame_ring *r, uint64_t need,
						     uint16_t kind)
{
	return reserve(r, need, kind, 1, 0);
}

void *inflame_ring_try_reserve(struct inflame_ring *r, size_t len, uint16_t kind)
{
	uint64_t need = round_up(HDR + len);
	void *p;

	if (need > r->size / 2)
		return NULL;
	/* (a nested producer may raise the mark meanwhile: this is a lower bound, which costs at
	 * most a needless look in reserve_fresh) */
	p = reserve(r, need, kind, 0, atomic_load_explicit(&r->hw, memory_order_relaxed));
	if (__builtin_expect(p == ABOVE, 0))
		return reserve_fresh(r, need, kind);
	return p;
}

size_t inflame_ring_drain_until(struct inflame_ring *r,
				int (*fn)(void *arg, uint16_t kind, const void *payload,
					  size_t len),
				void *arg)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	/* The producer's line holds these two beside the head it moves at every record: read
	 * once, not per record, so that the consumer does not take that line from the producer
	 * (a miss at the producer's next record) while it drains. */
	uint8_t *data = r->data;
	uint64_t ring_size = r->size;
	uint64_t start = tail, hw;
	size_t n = 0;

	while (tail < head) {
		uint64_t pos = tail & (ring_size - 1);
		struct inflame_ring_hdr *h = (struct inflame_ring_hdr *)(data + pos);
		uint64_t w = atomic_load_explicit(&h->word, memory_order_acquire);
		uint64_t size = w & 0xffffffffu;
		uint16_t kind = (uint16_t)(w >> 32);

		if (!(w & INFLAME_RING_COMMITTED))
			break;
		if (size < HDR || size > ring_size - pos)
			break; /* cannot happen unless memory was corrupted; stop safely */
		/* Only below head: a line the producer still writes would be taken from it. */
		if (tail + AHEAD < head)
			__builtin_prefetch(data + ((tail + AHEAD) & (ring_size - 1)), 0);
		if (kind != INFLAME_RING_PAD_KIND) {
			if (fn(arg, kind, (uint8_t *)h + HDR, size - HDR))
				break;
			n++;
		}
		tail += size;
	}
	/* Zero what was consumed so that unwritten space never looks committed (what the
	 * records read had written is below hw: raised before they were committed). */
	hw = atomic_load_explicit(&r->hw, memory_order_relaxed);
	for (uint64_t t = start; t < tail;) {
		uint64_t pos = t & (r->size - 1);
		uint64_t chunk = r->size - pos;

		if (chunk > tail - t)
			chunk = tail - t;
		clear(r, pos, chunk, hw);
		t += chunk;
	}
	atomic_store_explicit(&r->tail, tail, memory_order_release);
	return n;
}

struct drain_all_ctx {
	void (*fn)(void *arg, uint16_t kind, const void *payload, size_t len);
	void *arg;
};

static int take_all(void *arg, uint16_t kind, const void *payload, size_t len)
{
	struct drain_all_ctx *c = arg;

	c->fn(c->arg, kind, payload, len);
	return 0;
}

size_t inflame_ring_drain(struct inflame_ring *r,
			  void (*fn)(void *arg, uint16_t kind, const void *payload, size_t len),
			  void *arg)
{
	struct drain_all_ctx c = {fn, arg};

	return inflame_ring_drain_until(r, take_all, &c);
}
