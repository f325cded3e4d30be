/*
 * Loading every view the inputs hold, for the outputs that show them side by side (the HTML
 * viewer, speedscope): cpu, wall, alloc, alloc-count, live, live-count and peak of dumps, each
 * in a stack set of its own with its timeline (every sample's time and thread), or the one
 * view of folded stacks and perf script text (without times).
 *
 * Inputs are read once per view. The first view loaded (the one asked for with --event, else
 * each input's default) prints the inputs' errors and warnings as the other commands do; the
 * other views are loaded quietly and kept only when they hold something.
 */
#ifndef INFLAME_ALLVIEWS_H
#define INFLAME_ALLVIEWS_H

#include "input/source.h"
#include "view/stackset.h"
#include "view/timeline.h"

struct inflame_loaded_view {
	enum inflame_view view; /* INFLAME_VIEW_DEFAULT_ for text inputs */
	struct inflame_stackset *ss;
	struct inflame_timeline tl; /* empty for text inputs */
	uint64_t sample_ns;	    /* cpu, wall: ns one unit of weight stands for, 0 unknown */
};

struct inflame_loaded {
	struct inflame_loaded_view v[INFLAME_VIEW_DEFAULT_ + 1];
	size_t n;
	size_t first; /* the index of the view asked for (or the inputs' default) */
};

/* Loads the views of inputs[0..n) with the options lo (lo->view: only that view unless it is
 * INFLAME_VIEW_DEFAULT_). timelines: keep every sample's time. Errors and warnings are printed
 * prefixed with cmd. Returns 0, or a negative errno after printing why (-ENODATA: nothing in
 * the view asked for). */
int inflame_allviews_load(const char *const *inputs, int n, const struct inflame_load_opts *lo,
			  int timelines, struct inflame_loaded *out, const char *cmd);
void inflame_allviews_free(struct inflame_loaded *l);

/* The unit of a view's weights: "samples", "bytes" or "count". */
const char *inflame_view_unit(enum inflame_view v);

#endif
