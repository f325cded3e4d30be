/*
 * A cache of built unwind tables (ehframe.h) on disk, by build-id, so that an object's table
 * is built once per machine and user rather than once per process: python3's takes about
 * 40 ms to build, clang's most of a second, and a program run many times pays it each time.
 *
 * One file per object, named by its build-id in hex, in the directory given by
 * INFLAME_TABLE_CACHE, else $XDG_CACHE_HOME/inflame, else $HOME/.cache/inflame
 * (INFLAME_TABLE_CACHE=off: no cache). The file is the table as built, then a trailer that
 * names what it was built from: the build-id, the bytes of the object's .eh_frame_hdr (by a
 * hash), where .eh_frame lies and its length, the layout of rows; and a hash of the table.
 * A file that does not match in every respect, is not the user's own, or is writable by
 * others is ignored (and replaced by the next store). Files are written under a temporary
 * name and renamed, so a reader sees a whole file or none.
 *
 * The directory is kept within a budget (256 MiB by default): after each store, the files used
 * least recently (a load marks its file used) are removed until it holds three quarters of
 * the budget, the file just stored kept.
 *
 * A loaded table is a private mapping of the file: its pages are the page cache's until
 * written (only the first, where the index pointer is set).
 *
 * Nothing here is async-signal-safe: the writer thread (and tests) call it.
 */
#ifndef INFLAME_TABCACHE_H
#define INFLAME_TABCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "ehframe.h"

/* What a table is built from. */
struct inflame_tabcache_key {
	const uint8_t *build_id; /* the object's GNU build-id; no caching without one */
	size_t build_id_len;
	const uint8_t *hdr; /* its .eh_frame_hdr as mapped */
	size_t hdr_len;
	uint64_t eh_vaddr; /* link-time address and length of the .eh_frame read */
	uint64_t eh_len;
};

/* Sets the directory from the environment (see above). Call once from the constructor, where
 * reading the environment is safe. */
void inflame_tabcache_setup_env(void);
/* Sets the directory (NULL: no cache). The directory is created, mode 0700, on the first
 * store. */
void inflame_tabcache_setup(const char *dir);

/* What the cache did in this process. */
struct inflame_tabcache_stats {
	unsigned hits, misses, stores, rejected; /* rejected: a file found but not valid */
	unsigned pruned; /* files removed to keep the directory within its budget */
	int store_error; /* the last store's -errno, 0 when none failed */
	int noted;	 /* a failed store was logged (once, at debug level: not in the dump) */
};
void inflame_tabcache_stats(struct inflame_tabcache_stats *st);
/* Sets the directory's budget in bytes (tests); 0 restores the default. */
void inflame_tabcache_set_budget(uint64_t bytes);

/* The table of key from the cache: 0 and *out (a table inflame_ehframe_free() releases), or
 * -ENOENT when the cache has none valid (or is off, or key has no build-id). */
int inflame_tabcache_load(const struct inflame_tabcache_key *key, struct inflame_eh_table **out);
/* Writes t, built from key, to the cache. Returns 0 or -errno (-ENOENT when the cache is off
 * or key has no build-id). */
int inflame_tabcache_store(const struct inflame_tabcache_key *key,
			   const struct inflame_eh_table *t);
/* The table of key from the cache, else built from src (and then stored). Returns what
 * inflame_ehframe_build() returns. */
int inflame_tabcache_build(const struct inflame_tabcache_key *key, const struct inflame_eh_src *src,
			   struct inflame_eh_table **out);

#endif
