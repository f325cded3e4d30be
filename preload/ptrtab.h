/*
 * The table of sampled pointers: which live allocations were recorded as ALLOC samples, so
 * that their frees (and only theirs) become FREE samples. A counting filter in front of it
 * answers "certainly not sampled" for almost every free with one load.
 *
 * Both are mapped once at start-up (MAP_NORESERVE: only pages touched cost memory, and the
 * keys of one heap share few pages of the table) and never grow. When the
 * table is full an insertion fails; the caller then does not record the allocation at all (a
 * recorded allocation whose free cannot be recognised would be a phantom leak) and counts it.
 *
 * All functions but inflame_ptrtab_init() are async-signal-safe and lock-free: keys are
 * claimed with a CAS, removed ones become tombstones, and filter counters are atomic.
 */
#ifndef INFLAME_PTRTAB_H
#define INFLAME_PTRTAB_H

#include <stddef.h>
#include <stdint.h>

/* Maps a table of at least slots entries (rounded up to a power of two), and the filter when
 * filter is set (without it every pointer goes to the table). Keys whose addresses share their
 * bits above grain_shift start their probes at neighbouring slots (ptrtab_sigsafe.c: home), so
 * grain_shift should leave few keys to a grain. Returns 0 or -ENOMEM. Not async-signal-safe. */
int inflame_ptrtab_init(size_t slots, unsigned grain_shift, int filter);
/* Whether the table exists. Async-signal-safe. */
int inflame_ptrtab_ready(void);
/* Adds p, allocated with size bytes. Returns 0, or -ENOSPC when no slot was free within the
 * probe limit. Async-signal-safe. */
int inflame_ptrtab_insert(const void *p, uint64_t size);
/* Removes p if present. Returns 1 (with *size set) when it was there, 0 when not.
 * Async-signal-safe. */
int inflame_ptrtab_remove(const void *p, uint64_t *size);
/* Whether p may be in the table or be a block of the bootstrap arena (no false negatives;
 * always 1 without a filter). One load while the table is empty and no arena block exists,
 * else three. Async-signal-safe. */
static inline int inflame_ptrtab_maybe(const void *p);
/* Forgets everything (the child after fork, single-threaded). */
void inflame_ptrtab_clear(void);

/* The filter: one byte counter per hash bucket of addresses, half as many buckets as the
 * table has slots, at least 2^12 and at most 2^20. It is read on every free, so it has to stay
 * in cache: 64 KiB at the default rate. A static array (zero until a pointer is sampled, so a
 * free before start-up needs no test of its own); full tracing, which has no filter, sets every
 * counter in use to its sticky maximum. Exposed for the inline test.
 *
 * It also answers for the bootstrap arena (arena.h), whose blocks must never reach the real
 * free: each arena block's bucket is pinned at its sticky maximum, so a free that the filter
 * lets through is neither sampled nor the arena's, and the free fast path tests nothing else. */
#define INFLAME_PTRTAB_FILTER_MAX_BITS 20
extern _Atomic(unsigned char) inflame__ptrtab_filter[1u << INFLAME_PTRTAB_FILTER_MAX_BITS]
    __attribute__((visibility("hidden")));
/* What every free reads, on a cache line of its own (a variable of the writer thread linked
 * beside it made each free wait for that line).
 *
 * live: the keys in the table (the low bits), with INFLAME_PTRTAB_LIVE_ARENA set for good once
 * the bootstrap arena handed out a block and INFLAME_PTRTAB_LIVE_ALL while there is no filter
 * (full tracing). While it is 0 no pointer can be in the table and no block is the arena's, so
 * the free fast path asks nothing else: in a program whose sampled blocks do not live long (a
 * loop of malloc and free) that is one load and a branch instead of a shift and two loads. It
 * counts up before a key goes in (so before the allocator's block reaches the program) and
 * down after it came out. It is never read as 0 by the free of a sampled block p: whoever
 * frees p got p from the thread that allocated it, through the program's own synchronisation
 * (or is that thread), so p's count up happened before the free's load and the load sees it or
 * a later value. Every count down that precedes the load in the counter's order is of a key
 * that was counted up before it (for the same reason), so the value read is at least the
 * number of keys in the table then, p among them. Only the bits change with a reset (fork
 * child, a new table), by atomic and/or, so a concurrent pin is never lost.
 *
 * filter_mask: the mask that makes a bucket of a hash (buckets - 1). A mask rather than a
 * shift: one load-and instead of a load and a shift by %cl. */
#define INFLAME_PTRTAB_LIVE_ARENA (1ull << 62)
#define INFLAME_PTRTAB_LIVE_ALL	  (1ull << 61)
struct inflame_ptrtab_hot {
	_Alignas(64) uint64_t live;
	size_t filter_mask;
};
extern struct inflame_ptrtab_hot inflame__ptrtab_hot __attribute__((visibility("hidden")));

/* The filter's hash is the page of the address: one bucket per 4 KiB page, the buckets of
 * consecutive pages side by side (the filter wraps every 256 MiB at the default rate). That
 * keeps the heap's locality: the frees of neighbouring blocks, which a program makes close in
 * time, read the same filter line (a hash that scattered them made python3's frees miss the
 * cache on the filter, 7% of its run time at the default rate), and it costs a free one shift
 * and a mask. Blocks in one page (or in pages a multiple of the wrap apart) share a bucket,
 * which only costs a table lookup for the neighbours of a live sampled block: in python3 at
 * the default rate (bench/alloc.sh) one free in 400 went to the table, against one in 3,000
 * with the 256-byte buckets spread by a multiplicative hash of each 16 MiB region used
 * before, which cost every free five instructions more (callgrind). */
static inline size_t inflame__ptrtab_hash(const void *p)
{
	return (size_t)((uintptr_t)p >> 12);
}

static inline size_t inflame__ptrtab_bucket(const void *p)
{
	return inflame__ptrtab_hash(p) &
	       __atomic_load_n(&inflame__ptrtab_hot.filter_mask, __ATOMIC_RELAXED);
}

static inline int inflame_ptrtab_maybe(const void *p)
{
	if (__builtin_expect(!__atomic_load_n(&inflame__ptrtab_hot.live, __ATOMIC_RELAXED), 1))
		return 0;
	return __atomic_load_n((unsigned char *)&inflame__ptrtab_filter[inflame__ptrtab_bucket(p)],
			       __ATOMIC_RELAXED) != 0;
}

/* Pins the bucket of p, a block of the bootstrap arena, so that the filter always sends its
 * free to the slow path (which recognises the arena's blocks). Resets of the filter (start-up,
 * fork child) keep every arena block pinned. Async-signal-safe. */
void inflame_ptrtab_pin(const void *p);

#endif
