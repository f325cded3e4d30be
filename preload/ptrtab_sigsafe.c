/*
 * The sampled-pointer table and its filter.
 *
 * Data model: an open-addressing array of slots, each a pointer-sized key (0 = empty,
 * 1 = tombstone, any other value = a sampled pointer) and the size that was allocated there, probed
 * linearly from a hash of the address for at most MAX_PROBE slots. Insertion claims the first empty
 * or tombstone slot in that window with a CAS; removal finds the key and turns it into a tombstone
 * with a CAS. A pointer is inserted only by the thread that got it from the allocator and removed
 * only by the thread freeing it, so the same key is never inserted twice concurrently; reusing
 * tombstones keeps every key within MAX_PROBE slots of its home, so lookups stop there (or at an
 * empty slot).
 *
 * In front of it, a filter of byte counters (half as many as slots) indexed by a hash of
 * the address: incremented before a key goes in, decremented after it came out. A zero counter
 * proves the pointer is not in the table. A counter that reaches 255 sticks there (its bucket
 * then always goes to the table), so it can never wrap to a false zero. Full tracing, where
 * every pointer is in the table, sets every counter sticky. The buckets of the bootstrap
 * arena's blocks are pinned sticky too (ptrtab.h): resets clear every counter but the sticky
 * ones (so they never open a window in which an arena block's free would look unsampled), and
 * a new filter size pins the arena's blocks again before it is published.
 *
 * Before the filter, a count of the keys (ptrtab.h: live, which also says whether the arena
 * handed out a block or there is no filter) lets a free skip the filter while the table is
 * empty.
 */
#include "ptrtab.h"

#include "arena.h"
#include "layout.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#define EMPTY	  0u
#define TOMB	  1u
#define MAX_PROBE 64u
#define STICKY	  255u

_Alignas(64) _Atomic(unsigned char)
    inflame__ptrtab_filter[1u << INFLAME_PTRTAB_FILTER_MAX_BITS] INFLAME_COLD;
struct inflame_ptrtab_hot inflame__ptrtab_hot = {.filter_mask = (1u << 12) - 1};
static int all_sticky; /* no filter: every counter in use is STICKY */
struct slot {
	_Atomic uintptr_t key;
	uint64_t size; /* written by the inserting thread after it claimed the key */
};

_Static_assert(sizeof(struct slot) << 8 == 4096, "PAGE_BITS: a page of slots is 4 KiB");

static struct slot *keys;
static size_t mask;
static unsigned grain; /* log2 of the bytes of address a grain of home() covers */

/* Pins the bucket of p under mask m. */
static void pin_in(const void *p, size_t m)
{
	atomic_store_explicit(&inflame__ptrtab_filter[inflame__ptrtab_hash(p) & m], STICKY,
			      memory_order_relaxed);
}

/* Pins every block the arena handed out so far under mask m: every 16-byte aligned address
 * in its used part (blocks are at least 16-aligned; the used part is a few hundred bytes). */
static void pin_arena(size_t m)
{
	size_t used = inflame_arena_used();

	for (size_t off = 0; off < used; off += 16)
		pin_in(inflame__arena + off, m);
}

void inflame_ptrtab_pin(const void *p)
{
	/* After the arena's claim of p (a relaxed CAS), before the mask: ordered against
	 * inflame_ptrtab_init()'s publication of a new mask and its reading of the arena. */
	atomic_thread_fence(memory_order_seq_cst);
	pin_in(p, __atomic_load_n(&inflame__ptrtab_hot.filter_mask, __ATOMIC_SEQ_CST));
	/* From now on every free asks the filter (the arena's blocks are not counted one by
	 * one: they are few, and most are never freed). */
	__atomic_fetch_or(&inflame__ptrtab_hot.live, INFLAME_PTRTAB_LIVE_ARENA, __ATOMIC_SEQ_CST);
}

/* Sets the counters of buckets [0, n) to 0, but the sticky ones (which stay sticky: pinned, or
 * overflowed before). Only bytes that change are written, so a fork child copies no page of
 * the filter the parent left clear. */
static void filter_clear(size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char v =
		    atomic_load_explicit(&inflame__ptrtab_filter[i], memory_order_relaxed);

		if (v != 0 && v != STICKY)
			atomic_store_explicit(&inflame__ptrtab_filter[i], 0, memory_order_relaxed);
	}
}

/* An anonymous mapping of bytes, in small pages (a huge page's first touch cleared 2 MiB:
 * 0.2 to 0.9 ms on a virtual machine, a tenth of a short python3's run, issue 11), touched only
 * where home() puts keys; NULL when mmap fails. */
static void *map_table(size_t bytes)
{
	void *k = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (k == MAP_FAILED)
		return NULL;
	/* Only advice: where transparent huge pages are the default. */
	madvise(k, bytes, MADV_NOHUGEPAGE);
	return k;
}

int inflame_ptrtab_init(size_t slots, unsigned grain_shift, int filter)
{
	size_t n = 1024, m;
	unsigned bits = 12;
	int was_sticky = all_sticky, had_table = keys != NULL;
	void *k;

	while (n < slots)
		n <<= 1;
	k = map_table(n * sizeof(struct slot));
	if (!k)
		return -ENOMEM;
	keys = k;
	mask = n - 1;
	grain = grain_shift;
	while (bits < INFLAME_PTRTAB_FILTER_MAX_BITS && ((size_t)2 << bits) < n)
		bits++;
	if (!filter)
		bits = 12; /* every counter sticky: the fewer the better */
	all_sticky = !filter;
	m = ((size_t)1 << bits) - 1;
	/* The new table is empty: live keeps only the arena's bit, and the one of no filter. */
	if (all_sticky)
		__atomic_fetch_or(&inflame__ptrtab_hot.live, INFLAME_PTRTAB_LIVE_ALL,
				  __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(&inflame__ptrtab_hot.live, INFLAME_PTRTAB_LIVE_ARENA,
				   __ATOMIC_SEQ_CST);
	if (all_sticky)
		memset((void *)inflame__ptrtab_filter, STICKY, m + 1);
	else if (was_sticky) /* after a table without filter (tests): pins are redone below */
		memset((void *)inflame__ptrtab_filter, 0, sizeof(inflame__ptrtab_filter));
	else if (had_table)
		filter_clear(m + 1);
	/* (else the first table: only the arena's pins were ever written, and they stay; reading
	 * the 64 KiB of the default filter cost every process about 0.46 M instructions) */
	/* Published last: a free racing with this (a thread started by an earlier constructor)
	 * reads a bucket of either size, and every counter is still 0 or already sticky. The
	 * arena's blocks are pinned under the new mask before, and again after (seq_cst: a block
	 * handed out after that reads the new mask as it pins itself). */
	pin_arena(m);
	__atomic_store_n(&inflame__ptrtab_hot.filter_mask, m, __ATOMIC_SEQ_CST);
	pin_arena(m);
	return 0;
}

int inflame_ptrtab_ready(void)
{
	return keys != NULL;
}

/* Where the probe for p starts. The address space is cut into runs of PAGE_SLOTS grains, and
 * each run has a page of the table (chosen by a hash of the run), in which its grains' keys
 * start at a hash of the grain. So the keys of a heap land on as many pages of the table as the
 * heap spans runs (1 MiB at the default rate): python3's sampled blocks in bench/alloc.sh touch
 * about 60 pages (64 page faults more than one huge page, and 2 MiB less memory), where a hash of
 * the whole address spread them over up to all 512 of the default table. The grain is at most an
 * eighth of the rate (inflame_ptrtab_init), so that a run whose blocks all live fills at most an
 * eighth of its page on average. */
#define PAGE_BITS  8 /* slots of 16 bytes in a page of 4 KiB */
#define PAGE_SLOTS (1u << PAGE_BITS)
static size_t home(uintptr_t p)
{
	uint64_t g = (uint64_t)(p >> grain);
	uint64_t run = (g >> PAGE_BITS) * 0xff51afd7ed558ccdull;
	uint64_t in_page = (g * 0x9e3779b97f4a7c15ull) >> (64 - PAGE_BITS);

	return (size_t)((((run ^ (run >> 29)) << PAGE_BITS) | in_page) & mask);
}

static void filter_inc(const void *p)
{
	_Atomic(unsigned char) *c;
	unsigned char v;

	c = &inflame__ptrtab_filter[inflame__ptrtab_bucket(p)];
	v = atomic_load_explicit(c, memory_order_relaxed);
	while (v != STICKY &&
	       !atomic_compare_exchange_weak_explicit(c, &v, (unsigned char)(v + 1),
						      memory_order_relaxed, memory_order_relaxed))
		;
}

static void filter_dec(const void *p)
{
	_Atomic(unsigned char) *c;
	unsigned char v;

	c = &inflame__ptrtab_filter[inflame__ptrtab_bucket(p)];
	v = atomic_load_explicit(c, memory_order_relaxed);

	while (v != STICKY && v != 0 &&
	       !atomic_compare_exchange_weak_explicit(c, &v, (unsigned char)(v - 1),
						      memory_order_relaxed, memory_order_relaxed))
		;
}

int inflame_ptrtab_insert(const void *p, uint64_t size)
{
	uintptr_t key = (uintptr_t)p;
	size_t h;

	if (!keys || key <= TOMB)
		return -ENOSPC;
	/* Counted before the filter and the key (ptrtab.h: live), uncounted when it fails. */
	__atomic_fetch_add(&inflame__ptrtab_hot.live, 1, __ATOMIC_RELAXED);
	filter_inc(p);
	h = home(key);
	for (size_t i = 0; i < MAX_PROBE; i++) {
		struct slot *e = &keys[(h + i) & mask];
		uintptr_t v = atomic_load_explicit(&e->key, memory_order_relaxed);

		while (v == EMPTY || v == TOMB) {
			if (atomic_compare_exchange_weak_explicit(
				&e->key, &v, key, memory_order_release, memory_order_relaxed)) {
				/* Nobody looks p up before the allocator returned it. */
				e->size = size;
				return 0;
			}
		}
	}
	filter_dec(p);
	__atomic_fetch_sub(&inflame__ptrtab_hot.live, 1, __ATOMIC_RELAXED);
	return -ENOSPC;
}

int inflame_ptrtab_remove(const void *p, uint64_t *size)
{
	uintptr_t key = (uintptr_t)p;
	size_t h;

	if (!keys || key <= TOMB)
		return 0;
	h = home(key);
	for (size_t i = 0; i < MAX_PROBE; i++) {
		struct slot *e = &keys[(h + i) & mask];
		uintptr_t v = atomic_load_explicit(&e->key, memory_order_acquire);

		if (v == EMPTY)
			return 0;
		if (v == key) {
			*size = e->size;
			/* Only the thread freeing p removes p, and no other thread writes a slot
			 * that holds a live key: a plain store is enough. */
			atomic_store_explicit(&e->key, TOMB, memory_order_release);
			filter_dec(p);
			__atomic_fetch_sub(&inflame__ptrtab_hot.live, 1, __ATOMIC_RELAXED);
			return 1;
		}
	}
	return 0;
}

void inflame_ptrtab_clear(void)
{
	if (!keys)
		return;
	/* Private anonymous pages read back as zeros after this. */
	madvise((void *)keys, (mask + 1) * sizeof(struct slot), MADV_DONTNEED);
	/* (only when it counts keys: a fork child that only execs copies no page for this) */
	if (__atomic_load_n(&inflame__ptrtab_hot.live, __ATOMIC_RELAXED) &
	    ~(INFLAME_PTRTAB_LIVE_ARENA | INFLAME_PTRTAB_LIVE_ALL))
		__atomic_fetch_and(&inflame__ptrtab_hot.live,
				   INFLAME_PTRTAB_LIVE_ARENA | INFLAME_PTRTAB_LIVE_ALL,
				   __ATOMIC_SEQ_CST);
	if (!all_sticky)
		filter_clear(inflame__ptrtab_hot.filter_mask + 1);
}
