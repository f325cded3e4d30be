/*
 * The loaded-object map: which ELF objects are mapped where, with their build-ids. The writer
 * rebuilds it with dl_iterate_phdr whenever the loader's add/remove counters move and writes it
 * to the dump. From it, a small table of executable address ranges is published for the
 * signal handler (which must not call into the loader) under a sequence counter: a reader that
 * sees the counter change, or odd, ignores the table.
 */
#ifndef INFLAME_MODULES_H
#define INFLAME_MODULES_H

#include "varint.h"

#include <stdint.h>

/* Re-reads the map if it changed since the last call (or force). Returns 1 when it changed.
 * Writer thread only; not async-signal-safe. */
int inflame_modules_refresh(int force);
/* Appends a MODULES payload for the current map to b. Writer thread only. */
void inflame_modules_encode(struct inflame_buf *b);
/* Is addr inside an executable segment of a loaded object? Async-signal-safe; answers 0 when
 * unsure (the map is being changed). */
int inflame_modules_is_code(uintptr_t addr);

/* What is known about the object whose code holds an address. */
#define INFLAME_MOD_FP	   1u /* built with frame pointers, or unknown (fpscan.h) */
#define INFLAME_MOD_LOADER 2u /* the dynamic loader: no DWARF unwinding from here */
/* INFLAME_MOD_* flags of the object whose executable segment holds addr, or -1 when addr is
 * not known code or the table is being changed. Async-signal-safe. */
int inflame_modules_code_flags(uintptr_t addr);
/* The same, and when the answer is not -1, the executable range [*lo, *hi) that holds addr
 * (every address in it has the same flags), so a caller looking up many addresses can skip
 * those in a range it already knows. Async-signal-safe. */
int inflame_modules_code_range(uintptr_t addr, uintptr_t *lo, uintptr_t *hi);
/* A per-thread memory of the last few ranges looked up, valid while the table is unchanged:
 * the frames of one stack, and of the next, mostly lie in the same few objects. */
#define INFLAME_CODE_CACHE 4
struct inflame_code_cache {
	unsigned seq; /* the table's sequence number the entries came from */
	unsigned n, next;
	struct {
		uintptr_t lo, hi;
		int flags;
	} e[INFLAME_CODE_CACHE];
};
/* Lookups through a cache, which only one producer at a time may use (the outermost one on its
 * thread): inflame_modules_cache_begin() returns 0 when the table can be used now (forgetting
 * the entries of an older table) or -1; then inflame_modules_cache_flags() answers as
 * inflame_modules_code_flags() would. Async-signal-safe. */
int inflame_modules_cache_begin(struct inflame_code_cache *c);
int inflame__modules_cache_fill(struct inflame_code_cache *c, uintptr_t addr);
static inline int inflame_modules_cache_flags(struct inflame_code_cache *c, uintptr_t addr)
{
	for (unsigned i = 0; i < c->n; i++)
		if (addr - c->e[i].lo < c->e[i].hi - c->e[i].lo)
			return c->e[i].flags;
	return inflame__modules_cache_fill(c, addr);
}
/* The executable range [*lo, *hi) of the dynamic loader. Returns 0, or -1 while it is not
 * known yet. Async-signal-safe. */
int inflame_modules_loader(uintptr_t *lo, uintptr_t *hi);
/* The executable range [*lo, *hi) of the object holding inflame itself. Returns 0, or -ENOENT
 * (then *lo = *hi = 0). Calls into the loader: start-up only, not async-signal-safe. */
int inflame_modules_self(uintptr_t *lo, uintptr_t *hi);
/* Called around dlclose: while a close is in flight the table is not trusted. */
void inflame_modules_close_begin(void);
void inflame_modules_close_end(void);

#endif
