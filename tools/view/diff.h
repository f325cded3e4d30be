/*
 * Differential profiles: two stack sets (before and after) merged into one differential set
 * (stackset.h: the baseline count is "before", the count "after", as difffolded.pl writes
 * them), optionally with the before counts scaled to the after total, and the per-function
 * changes of share between the two: self share (stacks that end in the function) and total
 * share (stacks it appears in, once per stack), in percentage points.
 */
#ifndef INFLAME_DIFF_H
#define INFLAME_DIFF_H

#include "view/stackset.h"

#include <stddef.h>
#include <stdint.h>

/* Adds every stack of side to d (interning its names in d): as baseline counts when before is
 * set, as counts otherwise. Returns 0 or -ENOMEM. */
int inflame_diff_add(struct inflame_stackset *d, const struct inflame_stackset *side, int before);

/* A copy of the differential set d whose baseline counts are scaled so that their total is
 * d's total (rounded to the nearest count), for a graph of shares rather than of amounts.
 * Returns NULL when out of memory. */
struct inflame_stackset *inflame_diff_normalized(const struct inflame_stackset *d);

struct inflame_diff_row {
	uint32_t id; /* frame name id in d */
	uint64_t self_b, total_b, self_a, total_a;
	double dself, dtotal; /* after's share minus before's, in percentage points */
};

/* The rows of every function of d, sorted by the largest absolute change of self or total
 * share (then by name). Returns 0 or -ENOMEM; *rows is malloc'ed. */
int inflame_diff_rows(const struct inflame_stackset *d, struct inflame_diff_row **rows, size_t *n);

#endif
