/*
 * A stand-in for tools/source.c (owned by another branch) while it has not landed: the
 * autodetecting loader only knows dumps here, and the view names are the documented ones.
 * Linked into the test-only tools driver and nothing else; delete once source.c is merged.
 */
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const view_names[] = {
    [INFLAME_VIEW_CPU] = "cpu",	    [INFLAME_VIEW_WALL] = "wall",
    [INFLAME_VIEW_ALLOC] = "alloc", [INFLAME_VIEW_ALLOC_COUNT] = "alloc-count",
    [INFLAME_VIEW_LIVE] = "live",   [INFLAME_VIEW_LIVE_COUNT] = "live-count",
    [INFLAME_VIEW_PEAK] = "peak",
};

int inflame_view_parse(const char *s, enum inflame_view *out)
{
	for (int i = 0; i < INFLAME_VIEW_DEFAULT_; i++) {
		if (!strcmp(s, view_names[i])) {
			*out = (enum inflame_view)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *inflame_view_name(enum inflame_view v)
{
	return (unsigned)v < INFLAME_VIEW_DEFAULT_ ? view_names[v] : "default";
}

int inflame_source_load(const char *path, const struct inflame_load_opts *o,
			struct inflame_stackset *ss, struct inflame_load_stats *st, char *err,
			size_t errlen)
{
	return inflame_dumpfile_load(path, o, ss, st, err, errlen);
}
