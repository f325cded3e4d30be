/*
 * The loaded-object map: which ELF objects are mapped where, with their build-ids. The writer
 * rebuilds it with dl_iterate_phdr whenever the loader's add/remove counters move and writes it
 * to the dump. From it, a small table of executable address ranges is published for the
 * signal handler (which must not call into the loader) in two copies under a sequence counter:
 * a reader uses the copy the writer is not rewriting, and reads again in the rare case the
 * writer came to it meanwhile. While a dlclose is in flight, and until the next refresh after
 * it, the table is not trusted: lookups answer -1.
 */
#ifndef INFLAME_MODULES_H
#define INFLAME_MODULES_H

#include "config.h"
#include "ehframe.h"
#include "varint.h"

#include <stdint.h>

/* Re-reads the map if it changed since the last call (or with INFLAME_MODULES_FORCE), and
 * builds the unwind tables walks asked for unless INFLAME_MODULES_NO_BUILD (sampling is over:
 * no walk can use them). INFLAME_MODULES_NO_SCAN lists objects that have an unwind search
 * table without deciding whether they keep frame pointers (fpscan.h): they are walked as code
 * without them, by their unwind entries, until a refresh without NO_SCAN or NO_BUILD decides
 * (the writer's first cycle). A process that ends before that never pays for the scans (about
 * 0.3 ms and 7 page faults of every short process, issue 11). Returns 1 when the map changed.
 * Writer thread only; not async-signal-safe. */
#define INFLAME_MODULES_FORCE	 1
#define INFLAME_MODULES_NO_BUILD 2
#define INFLAME_MODULES_NO_SCAN	 4
int inflame_modules_refresh(int how);
/* Records [lo, hi), an executable mapping of the file at path (len bytes) at file offset off
 * that no loaded object covers: a program mapping an object's code a second time (V8 maps its
 * embedded builtins from the node binary next to its generated code). It is listed in the
 * MODULES payloads after the loaded objects, with the load bias that names its addresses as
 * the file's own. Returns 1 when it is new, 0 when known or not an ELF file's loadable part.
 * Writer thread only. */
int inflame_modules_add_alias(uintptr_t lo, uintptr_t hi, uint64_t off, const char *path,
			      size_t len);
/* Forgets the aliases before a look at /proc/self/maps lists the mappings there again, and
 * after it (done = 1) says whether the list differs from the one before: a mapping gone (the
 * program unmapped it, something else may be loaded there) is no longer listed. Writer thread
 * only. */
int inflame_modules_aliases_scan(int done);
/* Appends a MODULES payload for the current map to b. Writer thread only. */
void inflame_modules_encode(struct inflame_buf *b);
/* The main program's path as the last listing read it (/proc/self/exe), not NUL-terminated:
 * its length in *len, or NULL when it is not known. Writer thread only. */
const char *inflame_modules_main_path(size_t *len);
/* Is addr inside an executable segment of a loaded object? Async-signal-safe; answers 0 when
 * unsure (an object is being closed). */
int inflame_modules_is_code(uintptr_t addr);
/* 1 when addr is inside an executable segment of a loaded object, 0 when it is in none, -1
 * when the map cannot say now (a dlclose in flight, or not refreshed since one).
 * Async-signal-safe. */
int inflame_modules_code_known(uintptr_t addr);

/* What is known about the object whose code holds an address. */
#define INFLAME_MOD_FP	   1u /* built with frame pointers, or unknown (fpscan.h) */
#define INFLAME_MOD_LOADER 2u /* the dynamic loader: no libunwind from here */
#define INFLAME_MOD_WANT   4u /* an unwind table is wanted but not built yet */
/* No table, but the search index, for interrupted instructions only (an object with frame
 * pointers under auto: its frame interrupted by a signal may have none set up yet). */
#define INFLAME_MOD_INDEX_EXACT 8u
/* Its search index's .eh_frame is not located yet: eh and eh_len are the loaded segment that
 * holds .eh_frame_hdr, where a walk finds it (inflame_modules_index). */
#define INFLAME_MOD_EH_SEG 16u
/* INFLAME_MOD_* flags of the object whose executable segment holds addr, or -1 when addr is
 * not known code or an object is being closed. Async-signal-safe. */
int inflame_modules_code_flags(uintptr_t addr);
/* The same, and when the answer is not -1, the executable range [*lo, *hi) that holds addr
 * (every address in it has the same flags), so a caller looking up many addresses can skip
 * those in a range it already knows. Async-signal-safe. */
int inflame_modules_code_range(uintptr_t addr, uintptr_t *lo, uintptr_t *hi);
/* The code map's answer for an address: everything a walk needs to take one frame. */
struct inflame_code {
	uintptr_t lo, hi; /* the executable range holding the address (same answer throughout) */
	uintptr_t base;	  /* the object's load bias: link-time address = address - base */
	const struct inflame_eh_table *tab; /* its unwind table (ehframe.h), or NULL */
	/* Its mapped .eh_frame_hdr and .eh_frame (hdr NULL: none), for a walk that needs a
	 * rule of an object whose table is not built yet (inflame_modules_index). */
	const uint8_t *hdr, *eh;
	uint32_t hdr_len;
	size_t eh_len;
	int flags;    /* INFLAME_MOD_* */
	unsigned mod; /* which object (for inflame_modules_ask_table) */
};
/* The one lookup per frame: INFLAME_MOD_* flags of the object whose executable segment holds
 * addr and *out filled in, or -1 when addr is not known code or an object is being closed (a
 * publish of the map in progress is no reason: see above).
 * A table, once published, stays mapped until the process ends (also after its object is
 * unloaded), so a walk holding one can never read freed memory. Async-signal-safe. */
int inflame_modules_lookup(uintptr_t addr, struct inflame_code *out);
/* The search index of c's object (c from inflame_modules_lookup, c->hdr not NULL), for
 * inflame_ehframe_lookup(). Where the map did not locate its .eh_frame (INFLAME_MOD_EH_SEG: a
 * map made before sampling began), it is read here from the header, as the lookup reads it
 * anyway, and must lie in the segment that holds the header; else the index is left empty
 * (hdr_len 0), which the lookup refuses. Writes nothing but *ix. Async-signal-safe. */
static inline void inflame_modules_index(const struct inflame_code *c, struct inflame_eh_index *ix)
{
	const uint8_t *eh = c->eh;
	size_t eh_len = c->eh_len;

	ix->hdr = c->hdr;
	ix->hdr_len = c->hdr_len;
	ix->hdr_vaddr = (uint64_t)((uintptr_t)c->hdr - c->base);
	if (c->flags & INFLAME_MOD_EH_SEG) {
		uint64_t ev;
		uintptr_t at;

		if (inflame_ehframe_hdr(c->hdr, c->hdr_len, ix->hdr_vaddr, &ev) == 0 &&
		    (at = (uintptr_t)ev + c->base) >= (uintptr_t)c->eh &&
		    at - (uintptr_t)c->eh < c->eh_len) {
			eh_len -= at - (uintptr_t)c->eh;
			eh = (const uint8_t *)at;
		} else {
			ix->hdr_len = 0;
			eh_len = 0;
		}
	}
	ix->eh.data = eh;
	ix->eh.len = eh_len;
	ix->eh.vaddr = (uint64_t)((uintptr_t)eh - c->base);
	ix->eh.debug_frame = 0;
	ix->eh.arch = INFLAME_EH_NATIVE;
}
/* A per-thread memory of the last few ranges looked up, valid while the table is unchanged:
 * the frames of one stack, and of the next, mostly lie in the same few objects. */
#define INFLAME_CODE_CACHE 4
struct inflame_code_cache {
	unsigned seq; /* the table's sequence number the entries came from */
	unsigned n, next;
	struct inflame_code e[INFLAME_CODE_CACHE];
};
/* Lookups through a cache, which only one producer at a time may use (the outermost one on its
 * thread): inflame_modules_cache_begin() returns 0 when the table can be used now (forgetting
 * the entries of an older table) or -1; then inflame_modules_cache_flags() answers as
 * inflame_modules_code_flags() would. Async-signal-safe. */
int inflame_modules_cache_begin(struct inflame_code_cache *c);
int inflame__modules_cache_fill(struct inflame_code_cache *c, uintptr_t addr,
				struct inflame_code *out);
/* inflame_modules_lookup() through the cache. */
static inline int inflame_modules_cache_lookup(struct inflame_code_cache *c, uintptr_t addr,
					       struct inflame_code *out)
{
	for (unsigned i = 0; i < c->n; i++)
		if (addr - c->e[i].lo < c->e[i].hi - c->e[i].lo) {
			*out = c->e[i];
			return c->e[i].flags;
		}
	return inflame__modules_cache_fill(c, addr, out);
}
/* Whether addr is code of an entry the cache holds already (no lookup when it is not). */
static inline int inflame_modules_cache_has(const struct inflame_code_cache *c, uintptr_t addr)
{
	for (unsigned i = 0; i < c->n; i++)
		if (addr - c->e[i].lo < c->e[i].hi - c->e[i].lo)
			return 1;
	return 0;
}
static inline int inflame_modules_cache_flags(struct inflame_code_cache *c, uintptr_t addr)
{
	struct inflame_code code;

	return inflame_modules_cache_lookup(c, addr, &code);
}
/* The executable range [*lo, *hi) of the dynamic loader. Returns 0, or -1 while it is not
 * known yet. Async-signal-safe. */
int inflame_modules_loader(uintptr_t *lo, uintptr_t *hi);
/* The executable range [*lo, *hi) of the object holding inflame itself, from its own program
 * headers. Returns 0, or -ENOENT (then *lo = *hi = 0). Async-signal-safe. */
int inflame_modules_self(uintptr_t *lo, uintptr_t *hi);
/* Unwind tables (ehframe.h): which objects get one (INFLAME_UNWIND=dwarf: every object;
 * auto: those built without frame pointers; fp: none), read from .eh_frame, or .debug_frame of
 * the file when there is no .eh_frame, by the writer thread (never in a signal handler), kept
 * per build-id so an object loaded again reuses its table. eager: built when the map is
 * rebuilt; else only for the objects a walk asked for (INFLAME_MOD_WANT until then), so a
 * short process pays for none it does not walk through. Call before the first refresh. Not
 * async-signal-safe. */
void inflame_modules_want_tables(enum inflame_unwind mode, int eager);
/* A walk met code c whose table is wanted (INFLAME_MOD_WANT): the writer builds it at its next
 * cycle (not woken for it). Async-signal-safe. */
void inflame_modules_ask_table(const struct inflame_code *c);
/* Totals over the tables built so far: objects with a table, objects without one (no or
 * unreadable unwind information, or over the memory bound), refused rows, bytes. */
struct inflame_tables_stats {
	unsigned with, without;
	uint64_t refused, bytes;
};
void inflame_modules_tables_stats(struct inflame_tables_stats *st);
/* A walk's proof that the map answered every lookup it made: a mark taken before the walk,
 * and after it whether the table was trusted all along (no dlclose in flight or unrefreshed
 * at the mark, none begun since). A walk cut short by an untrusted map is not one to remember
 * and repeat (thread.h, last_frames). Both async-signal-safe. */
unsigned inflame_modules_trust_mark(void);
int inflame_modules_trust_kept(unsigned mark);
/* Called around dlclose: while a close is in flight the table is not trusted. */
void inflame_modules_close_begin(void);
void inflame_modules_close_end(void);

#endif
