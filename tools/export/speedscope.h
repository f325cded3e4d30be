/*
 * speedscope's JSON file format (https://www.speedscope.app/file-format-schema.json): a shared
 * frame table and one "sampled" profile per view and thread, each sample a list of frame
 * indexes from the root, with its weight, in time order. Views without times (folded stacks,
 * perf script text) give one profile per view with one sample per distinct stack.
 */
#ifndef INFLAME_SPEEDSCOPE_H
#define INFLAME_SPEEDSCOPE_H

#include "view/stackset.h"
#include "view/timeline.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct inflame_speedscope_view {
	const char *name; /* "cpu", "alloc", ... */
	const char *unit; /* speedscope's: "nanoseconds", "bytes", "none" */
	uint64_t scale;	  /* each weight is multiplied by it (cpu, wall: ns per sample) */
	const struct inflame_stackset *ss;
	const struct inflame_timeline *tl; /* NULL or empty: one profile of the stacks */
};

/* Writes the file to f. name: the file's name in speedscope. Returns 0, -ENOMEM, or -EIO
 * (errno tells why). */
int inflame_speedscope_write(FILE *f, const char *name, const struct inflame_speedscope_view *v,
			     size_t n);

#endif
