/*
 * The profile viewer's page: one self-contained HTML file holding the viewer's script
 * (tools/output/viewer.js, compiled in) and the profile as a JSON data block with its arrays
 * in blobs, in the form doc/viewer-data.md and the comment of html.c describe (a string table,
 * a frame table, the call tree of every stack, the threads, and per view its stacks and, for
 * dumps, every sample's node, weight, time, thread and free time).
 *
 * Every name is escaped so that nothing in it can end the script element or start markup.
 */
#ifndef INFLAME_HTML_H
#define INFLAME_HTML_H

#include "view/stackset.h"
#include "view/timeline.h"

#include <stddef.h>
#include <stdio.h>

struct inflame_html_view {
	const char *name; /* "cpu", "alloc", ... */
	const char *unit; /* "samples", "bytes", "count" */
	double seconds_per_sample;
	const struct inflame_stackset *ss;
	const struct inflame_timeline *tl; /* NULL, or empty: no per-sample arrays */
	int has_freed;			   /* write the samples' free times (alloc views) */
};

struct inflame_html_page {
	const char *title;
	const struct inflame_html_view *views;
	size_t nviews;
	/* A differential page: the stacks before (their baseline counts when the set is
	 * differential), compared with view diff_view; NULL for none. */
	const struct inflame_stackset *base;
	size_t diff_view;
	const char *base_name, *after_name;
};

/* Writes the page to f. Returns 0, -ENOMEM, or -EIO when f failed (errno tells why). */
int inflame_html_write(FILE *f, const struct inflame_html_page *p);

/* Writes the JSON data block alone (the object the page's data element holds). Same
 * returns. */
int inflame_html_write_data(FILE *f, const struct inflame_html_page *p);

#endif
