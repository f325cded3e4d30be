/*
 * Flame graphs: the layout of a stack set into frames (flamegraph.pl's algorithm: stacks
 * sorted by name and merged prefix by prefix, widths proportional to counts) and the
 * interactive SVG written from it (click to zoom, search with the matched share, hover
 * details), with flamegraph.pl's options and defaults.
 *
 * The layout is separate from the writer so that tests can check frame geometry directly.
 * Frames narrower than the minimum width are pruned while laying out, so the memory and the
 * SVG's size follow what is visible, not the number of stacks.
 */
#ifndef INFLAME_FLAMEGRAPH_H
#define INFLAME_FLAMEGRAPH_H

#include "view/stackset.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum inflame_fg_palette {
	INFLAME_FG_HOT = 0,
	INFLAME_FG_MEM,
	INFLAME_FG_IO,
	INFLAME_FG_WAKEUP,
	INFLAME_FG_CHAIN,
	INFLAME_FG_JAVA,
	INFLAME_FG_JS,
	INFLAME_FG_PERL,
	INFLAME_FG_RED,
	INFLAME_FG_GREEN,
	INFLAME_FG_BLUE,
	INFLAME_FG_AQUA,
	INFLAME_FG_YELLOW,
	INFLAME_FG_PURPLE,
	INFLAME_FG_ORANGE,
};

struct inflame_fg_opts {
	const char *title;	  /* NULL: "Flame Graph", "Icicle Graph" or "Flame Chart" */
	const char *subtitle;	  /* NULL: none */
	const char *countname;	  /* NULL: "samples" */
	const char *nametype;	  /* NULL: "Function:" */
	const char *fonttype;	  /* NULL: "Verdana" */
	const char *notes;	  /* NULL: none; stored in the SVG's <desc> */
	const char *bgcolors;	  /* NULL: from the palette; yellow, blue, green, grey or #rrggbb */
	const char *palette_file; /* --cp: colours read from and saved to this file */
	double width;		  /* image width in pixels (1200) */
	double frameheight;	  /* pixels per frame (16) */
	double fontsize;	  /* 12 */
	double fontwidth;	  /* average glyph width as a share of fontsize (0.59) */
	double minwidth;	  /* prune frames narrower than this many pixels (0.1) */
	int minwidth_percent;	  /* minwidth is a percentage of the total instead */
	double factor;		  /* multiply counts shown in details (1) */
	enum inflame_fg_palette colors;
	int inverted;	/* icicle graph: root at the top */
	int reverse;	/* reverse every stack before merging (leaf becomes root) */
	int flamechart; /* keep the input order instead of sorting by name; the set should be
			 * ordered (inflame_stackset_new_ordered) so that only adjacent identical
			 * stacks merge */
	int negate;	/* differential graphs: red for a reduction, blue for growth, and the
			 * deltas shown with the opposite sign (widths are unchanged) */
	int random;	/* random colours instead of colours derived from names */
};

/* One laid-out frame. name is a frame id of layout.names, UINT32_MAX for the root ("all");
 * [start, end) is in count units (the stacks' counts; in a differential graph the second,
 * "after" counts); depth 0 is the root. In a differential graph, delta is the frame's self
 * delta: the sum of count - baseline over the stacks that end at this frame, as flamegraph.pl
 * attributes a differential line's delta to its leaf. It is 0 otherwise. */
struct inflame_fg_frame {
	uint64_t start, end;
	uint32_t name;
	uint32_t depth;
	int64_t delta;
};

struct inflame_fg_layout {
	struct inflame_fg_frame *frames; /* by depth, then start */
	size_t n;
	uint64_t total;
	uint32_t maxdepth;
	int diff;	   /* the set was differential: colour by delta */
	uint64_t maxdelta; /* the largest |delta| of any frame, pruned ones included; >= 1 */
	const struct inflame_stackset *names; /* the set frame ids refer to */
	struct inflame_stackset *owned;	      /* a reversed copy, when reverse was asked */
};

/* Fills o with flamegraph.pl's defaults. */
void inflame_flamegraph_defaults(struct inflame_fg_opts *o);
/* Parses a --colors name; returns 0 or -EINVAL. */
int inflame_flamegraph_palette_parse(const char *s, enum inflame_fg_palette *out);

/* Lays ss out (sorting it unless o->flamechart). Returns 0 or -ENOMEM. */
int inflame_flamegraph_layout(struct inflame_stackset *ss, const struct inflame_fg_opts *o,
			      struct inflame_fg_layout *lay);
void inflame_flamegraph_layout_free(struct inflame_fg_layout *lay);

/* Lays out ss and writes the SVG to out. An empty set gives a small SVG that says so and
 * -ENODATA. Returns 0 or a negative errno with err set. */
int inflame_flamegraph_write(struct inflame_stackset *ss, const struct inflame_fg_opts *o,
			     FILE *out, char *err, size_t errlen);

#endif
