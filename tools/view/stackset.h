/*
 * A set of weighted call stacks: the in-memory form every reader produces (dumps, folded
 * text, perf script text) and every writer consumes (collapse, report, flamegraph).
 *
 * Frame names are interned once and referred to by a 32-bit id; a stack is a sequence of frame
 * ids, root first, with a 64-bit count. Adding a stack that is already present adds to its
 * count. Stacks are kept in the order they were first added until inflame_stackset_sort()
 * orders them by frame names, as flamegraph.pl does. Memory grows with the number of unique
 * stacks and frame names, never with the number of samples.
 *
 * An ordered set (inflame_stackset_new_ordered) is for flame charts, where the x axis is time:
 * there a stack merges only with the record added just before it when the two are identical,
 * so the records are the runs of identical consecutive stacks, in input order. Each distinct
 * stack's frames are still stored once and shared by all its runs, so memory grows with the
 * number of runs (a few dozen bytes each) plus the unique stacks, not with the samples of a run.
 *
 * A differential set also carries, per record, a baseline count: the first count of a
 * differential folded line ("stack base count", as difffolded.pl writes them), the count
 * being the second. The baseline counts are kept in an array made on the first
 * inflame_stackset_add_diff(), so a set that never sees one uses no memory for them. Once a
 * set is differential, a stack added with inflame_stackset_add() counts as unchanged: its
 * count is added to its baseline too.
 */
#ifndef INFLAME_STACKSET_H
#define INFLAME_STACKSET_H

#include <stddef.h>
#include <stdint.h>

struct inflame_stackset;

/* Returns a new empty set, or NULL when out of memory. */
struct inflame_stackset *inflame_stackset_new(void);
/* Returns a new empty ordered set (runs of identical stacks, see above), or NULL. */
struct inflame_stackset *inflame_stackset_new_ordered(void);
/* Whether the set was made by inflame_stackset_new_ordered(). */
int inflame_stackset_is_ordered(const struct inflame_stackset *ss);
/* Frees the set; accepts NULL. */
void inflame_stackset_free(struct inflame_stackset *ss);

/* Interns a frame name (len bytes, need not be NUL-terminated); returns its id, or
 * UINT32_MAX when out of memory. The same name always gets the same id. */
uint32_t inflame_stackset_intern(struct inflame_stackset *ss, const char *name, size_t len);
/* The NUL-terminated name of a frame id; *len receives its length when len is not NULL. */
const char *inflame_stackset_name(const struct inflame_stackset *ss, uint32_t id, size_t *len);
size_t inflame_stackset_nframes_total(const struct inflame_stackset *ss); /* distinct names */

/*
 * Optional metadata of a frame id, where a loader knows it (dumps, when asked with
 * inflame_load_opts.frame_meta): the module, the address the name was first seen at, the
 * source line, and the function's declaration line and mangled name. Kept in a side array made on
 * the first inflame_stackset_set_meta(), so a set that never gets any uses no memory for it.
 * Strings are copied.
 */
struct inflame_frame_meta {
	const char *module;		  /* path of the module, "" when unknown */
	const char *build_id;		  /* hex, "" when unknown */
	uint64_t map_lo, map_hi, map_off; /* the module's executable range, file offset of lo */
	uint64_t addr;	  /* run-time address (call site for callers), 0 when unknown */
	const char *file; /* source file, "" when unknown */
	uint64_t line;	  /* 0 when unknown */
	int inlined;	  /* inlined into the frame after it (its caller) at the same address */
	const char *system_name; /* the mangled symbol where the name is demangled, else "" */
	uint64_t start_line;	 /* where the function's declaration starts, 0 when unknown */
	int main_exe;		 /* the module is the process's executable */
};
/* Sets the metadata of frame id (first set wins). Returns 0, -ENOMEM or -EINVAL. */
int inflame_stackset_set_meta(struct inflame_stackset *ss, uint32_t id,
			      const struct inflame_frame_meta *m);
/* The metadata of frame id, or NULL when none was set. */
const struct inflame_frame_meta *inflame_stackset_meta(const struct inflame_stackset *ss,
						       uint32_t id);

/* Adds count to the stack frames[0..n) (root first). Returns 0 or -ENOMEM. n may be 0. */
int inflame_stackset_add(struct inflame_stackset *ss, const uint32_t *frames, size_t n,
			 uint64_t count);
/* The same, also giving the index of the stack's record (*index; for an unordered set, valid
 * until the set is sorted). */
int inflame_stackset_add_at(struct inflame_stackset *ss, const uint32_t *frames, size_t n,
			    uint64_t count, size_t *index);
/* Adds count and a baseline count to the stack frames[0..n), making the set differential.
 * Returns 0 or -ENOMEM. */
int inflame_stackset_add_diff(struct inflame_stackset *ss, const uint32_t *frames, size_t n,
			      uint64_t base, uint64_t count);
/* Whether a baseline count was ever added. */
int inflame_stackset_is_diff(const struct inflame_stackset *ss);

/* Number of distinct stacks, and the i-th (0 <= i < count) in the current order. */
size_t inflame_stackset_count(const struct inflame_stackset *ss);
void inflame_stackset_get(const struct inflame_stackset *ss, size_t i, const uint32_t **frames,
			  size_t *n, uint64_t *count);
/* The baseline count of the i-th stack (its count when the set is not differential). */
uint64_t inflame_stackset_base(const struct inflame_stackset *ss, size_t i);
/* Sum of all counts, and of all baseline counts (the same when not differential). */
uint64_t inflame_stackset_total(const struct inflame_stackset *ss);
uint64_t inflame_stackset_base_total(const struct inflame_stackset *ss);

/* Orders stacks by their frame names, frame by frame (a prefix sorts first), byte-wise. In an
 * ordered set the runs of one stack become adjacent but stay separate records. */
void inflame_stackset_sort(struct inflame_stackset *ss);

#endif
