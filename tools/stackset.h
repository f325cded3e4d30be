/*
 * A set of weighted call stacks: the in-memory form every reader produces (dumps, folded
 * text, perf script text) and every writer consumes (collapse, report, flamegraph).
 *
 * Frame names are interned once and referred to by a 32-bit id; a stack is a sequence of frame
 * ids, root first, with a 64-bit count. Adding a stack that is already present adds to its
 * count. Stacks are kept in the order they were first added (what --flamechart needs) until
 * inflame_stackset_sort() orders them by frame names, as flamegraph.pl does. Memory grows with
 * the number of unique stacks and frame names, never with the number of samples.
 */
#ifndef INFLAME_STACKSET_H
#define INFLAME_STACKSET_H

#include <stddef.h>
#include <stdint.h>

struct inflame_stackset;

/* Returns a new empty set, or NULL when out of memory. */
struct inflame_stackset *inflame_stackset_new(void);
/* Frees the set; accepts NULL. */
void inflame_stackset_free(struct inflame_stackset *ss);

/* Interns a frame name (len bytes, need not be NUL-terminated); returns its id, or
 * UINT32_MAX when out of memory. The same name always gets the same id. */
uint32_t inflame_stackset_intern(struct inflame_stackset *ss, const char *name, size_t len);
/* The NUL-terminated name of a frame id; *len receives its length when len is not NULL. */
const char *inflame_stackset_name(const struct inflame_stackset *ss, uint32_t id, size_t *len);
size_t inflame_stackset_nframes_total(const struct inflame_stackset *ss); /* distinct names */

/* Adds count to the stack frames[0..n) (root first). Returns 0 or -ENOMEM. n may be 0. */
int inflame_stackset_add(struct inflame_stackset *ss, const uint32_t *frames, size_t n,
			 uint64_t count);

/* Number of distinct stacks, and the i-th (0 <= i < count) in the current order. */
size_t inflame_stackset_count(const struct inflame_stackset *ss);
void inflame_stackset_get(const struct inflame_stackset *ss, size_t i, const uint32_t **frames,
			  size_t *n, uint64_t *count);
/* Sum of all counts. */
uint64_t inflame_stackset_total(const struct inflame_stackset *ss);

/* Orders stacks by their frame names, frame by frame (a prefix sorts first), byte-wise. */
void inflame_stackset_sort(struct inflame_stackset *ss);

#endif
