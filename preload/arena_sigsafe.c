/*
 * The bootstrap arena. Data model: one static, 64-byte aligned array and an atomic offset of
 * the bytes handed out so far. Each block is preceded by a 16-byte header holding its size, so
 * that realloc and malloc_usable_size of an arena block know how much to copy or report. The
 * offset only grows; exhaustion returns NULL (callers then fail the allocation as ENOMEM).
 */
#include "arena.h"
#include "layout.h"

#include <stdatomic.h>
#include <stdint.h>

#define HDR 16u

_Alignas(64) unsigned char inflame__arena[INFLAME_ARENA_BYTES] INFLAME_COLD;
static _Atomic size_t used;

void *inflame_arena_alloc(size_t size, size_t align)
{
	size_t off = atomic_load_explicit(&used, memory_order_relaxed), start, end;

	if (align < HDR)
		align = HDR;
	if (size > INFLAME_ARENA_BYTES || align > INFLAME_ARENA_BYTES / 4)
		return NULL;
	do {
		/* Align the address, not the offset: the array itself is only 64-aligned. */
		start = (((uintptr_t)inflame__arena + off + HDR + align - 1) &
			 ~(uintptr_t)(align - 1)) -
			(uintptr_t)inflame__arena;
		end = start + ((size + HDR - 1) & ~(size_t)(HDR - 1));
		if (end > INFLAME_ARENA_BYTES)
			return NULL;
	} while (!atomic_compare_exchange_weak_explicit(&used, &off, end, memory_order_relaxed,
							memory_order_relaxed));
	*(size_t *)(inflame__arena + start - HDR) = size;
	return inflame__arena + start;
}

size_t inflame_arena_used(void)
{
	return atomic_load_explicit(&used, memory_order_seq_cst);
}

size_t inflame_arena_size(const void *p)
{
	return *(const size_t *)((const unsigned char *)p - HDR);
}
