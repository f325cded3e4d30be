/*
 * The bootstrap arena: a small static bump allocator that serves the allocations made before
 * the real allocator is known (while dlsym(RTLD_NEXT) itself allocates, or from code that runs
 * before our constructor) and those made while the calling thread is resolving it. Memory is
 * never reused: freeing an arena block does nothing, and realloc of one copies it out. The
 * interposers recognise arena pointers by address so they are never handed to the real free.
 *
 * All functions here are async-signal-safe: a CAS on the bump offset, no locks, no syscalls.
 */
#ifndef INFLAME_ARENA_H
#define INFLAME_ARENA_H

#include <stddef.h>
#include <stdint.h>

#define INFLAME_ARENA_BYTES (64u * 1024)

/* Returns a block of size bytes aligned to align (a power of two, at least 16), or NULL when
 * the arena is exhausted. Async-signal-safe. */
void *inflame_arena_alloc(size_t size, size_t align);
/* Whether p points into the arena. Inline: every free asks. Async-signal-safe. */
extern unsigned char inflame__arena[INFLAME_ARENA_BYTES] __attribute__((visibility("hidden")));
static inline int inflame_arena_owns(const void *p)
{
	return (uintptr_t)p - (uintptr_t)inflame__arena < INFLAME_ARENA_BYTES;
}
/* The bytes of the arena handed out so far: every block lies in [inflame__arena, + this).
 * Async-signal-safe. */
size_t inflame_arena_used(void);
/* The usable size of an arena block (what was asked for). Async-signal-safe. */
size_t inflame_arena_size(const void *p);

#endif
