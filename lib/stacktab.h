/*
 * The writer's stack table: interns stacks (arrays of addresses) to small ids so each unique
 * stack is written to a dump file once, and samples refer to it by id.
 *
 * Used by one thread only (the preload's writer thread, or a test), so it takes no locks.
 * Memory comes from mmap and grows by doubling up to a bound fixed at init; past the bound,
 * interning fails and the caller counts the sample as dropped. Not async-signal-safe.
 */
#ifndef INFLAME_STACKTAB_H
#define INFLAME_STACKTAB_H

#include "varint.h"

#include <stddef.h>
#include <stdint.h>

struct inflame_stacktab_entry;

struct inflame_stacktab {
	struct inflame_stacktab_entry *slots;
	size_t nslots;	/* power of two */
	uint8_t *bytes; /* the stacks, encoded (stacktab.c) */
	size_t bytes_len, bytes_cap;
	uint32_t last_off, last_len; /* the stack the last intern returned, encoded */
	uint64_t count;
	uint64_t max_stacks;
};

/* The most bytes inflame_stacktab_encode() writes for n frames. */
#define INFLAME_STACKTAB_ENCODED_MAX(n) (((size_t)(n) + 1) * INFLAME_VARINT_MAX)
/* Encodes frames[0..n) at out (at least INFLAME_STACKTAB_ENCODED_MAX(n) bytes): n, then each
 * frame as the zig-zag varint of its difference to the one before (the first to 0), as the
 * table keeps stacks and as a dump's STACKS entries hold them after the id. Returns the
 * length. */
size_t inflame_stacktab_encode(uint8_t *out, const uint64_t *frames, uint32_t n);

/* Returns 0 or -ENOMEM. max_stacks bounds the unique stacks it will hold. */
int inflame_stacktab_init(struct inflame_stacktab *t, uint64_t max_stacks);
void inflame_stacktab_destroy(struct inflame_stacktab *t);
/* Forgets every stack (a new dump file starts its ids at 1 again). Keeps the memory. */
void inflame_stacktab_clear(struct inflame_stacktab *t);
/* Returns the id (>= 1) of frames[0..n), setting *is_new when it was not known, or 0 when the
 * table is full or memory ran out. */
uint64_t inflame_stacktab_intern(struct inflame_stacktab *t, const uint64_t *frames, uint32_t n,
				 int *is_new);
/* The encoding (inflame_stacktab_encode) of the stack the last intern that returned an id
 * returned, and its length in *len: valid until the next intern or clear. */
const uint8_t *inflame_stacktab_encoding(const struct inflame_stacktab *t, size_t *len);
/* The hash used for stacks (exposed for tests). */
uint64_t inflame_stacktab_hash(const uint64_t *frames, uint32_t n);

#endif
