/*
 * Loading every view of the inputs (allviews.h). The view asked for (or the inputs' default)
 * goes through inflame_inputopts_load(), which prints what is wrong with an input; when every
 * input is a dump and no view was asked for, the other views follow, loaded without messages
 * (the first pass said everything there is to say about the inputs) and dropped when empty.
 * Live views of several dumps of one run are replayed together (inflame_inputopts_chain).
 */
#include "input/allviews.h"

#include "dump_read.h"
#include "input/inputopts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *inflame_view_unit(enum inflame_view v)
{
	switch (v) {
	case INFLAME_VIEW_ALLOC:
	case INFLAME_VIEW_LIVE:
	case INFLAME_VIEW_PEAK:
		return "bytes";
	case INFLAME_VIEW_ALLOC_COUNT:
	case INFLAME_VIEW_LIVE_COUNT:
		return "count";
	default:
		return "samples";
	}
}

/* Whether path names a dump (standard input is read once, so it counts as not one). */
static int is_dump(const char *path)
{
	unsigned char head[64];
	ssize_t r;
	int fd;

	if (!strcmp(path, "-"))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	r = read(fd, head, sizeof(head));
	close(fd);
	return r > 0 && inflame_dump_is_dump(head, (size_t)r);
}

/* Loads one view of every input into v; quiet: no messages (and a failure drops the view). */
static int load_view(const char *const *inputs, int n, const struct inflame_load_opts *lo,
		     enum inflame_view view, int timelines, int quiet,
		     struct inflame_loaded_view *v, const char *cmd)
{
	struct inflame_load_opts o = *lo;
	int rc = 0;

	memset(v, 0, sizeof(*v));
	v->view = view;
	v->ss = inflame_stackset_new();
	if (!v->ss) {
		fprintf(stderr, "%sout of memory\n", cmd);
		return -ENOMEM;
	}
	o.view = view;
	o.timeline = timelines ? &v->tl : NULL;
	if (quiet) {
		char err[512];

		o.chain = NULL;
		if (n >= 2 &&
		    (view == INFLAME_VIEW_LIVE || view == INFLAME_VIEW_LIVE_COUNT ||
		     view == INFLAME_VIEW_PEAK) &&
		    inflame_live_chain_new(inputs, (size_t)n, &o, &o.chain, err, sizeof(err)) < 0)
			return -EINVAL;
		for (int i = 0; i < n && rc == 0; i++) {
			struct inflame_load_stats st = {0};

			rc = inflame_source_load(inputs[i], &o, v->ss, &st, err, sizeof(err));
			if (st.sample_ns)
				v->sample_ns = st.sample_ns;
		}
		inflame_live_chain_free(o.chain);
		return rc;
	}
	if (inflame_inputopts_chain(inputs, n, &o, cmd) < 0)
		return -EINVAL;
	for (int i = 0; i < n && rc == 0; i++) {
		struct inflame_load_stats st;

		rc = inflame_inputopts_load(inputs[i], &o, v->ss, &st, cmd);
		if (rc == 0) {
			v->view = st.view_used;
			if (st.sample_ns)
				v->sample_ns = st.sample_ns;
		}
	}
	inflame_live_chain_free(o.chain);
	if (rc == 0)
		rc = inflame_inputopts_nonempty(v->ss, lo, v->view, inputs, n, cmd);
	return rc;
}

static void free_view(struct inflame_loaded_view *v)
{
	inflame_stackset_free(v->ss);
	inflame_timeline_free(&v->tl);
	memset(v, 0, sizeof(*v));
}

int inflame_allviews_load(const char *const *inputs, int n, const struct inflame_load_opts *lo,
			  int timelines, struct inflame_loaded *out, const char *cmd)
{
	struct inflame_loaded_view first;
	int all_dumps = 1, rc;

	memset(out, 0, sizeof(*out));
	rc = load_view(inputs, n, lo, lo->view, timelines, 0, &first, cmd);
	if (rc < 0) {
		free_view(&first);
		return rc;
	}
	for (int i = 0; i < n && all_dumps; i++)
		all_dumps = is_dump(inputs[i]);
	if (lo->view != INFLAME_VIEW_DEFAULT_ || !all_dumps) {
		if (!all_dumps)
			inflame_timeline_free(&first.tl); /* text inputs have no times */
		out->v[0] = first;
		out->n = 1;
		return 0;
	}
	/* Every view of the dumps, in the order of enum inflame_view. */
	for (int view = 0; view < INFLAME_VIEW_DEFAULT_; view++) {
		struct inflame_loaded_view v;

		if ((enum inflame_view)view == first.view) {
			out->first = out->n;
			out->v[out->n++] = first;
			continue;
		}
		rc = load_view(inputs, n, lo, (enum inflame_view)view, timelines, 1, &v, cmd);
		if (rc == -ENOMEM) {
			fprintf(stderr, "%sout of memory\n", cmd);
			free_view(&v);
			free_view(&first);
			inflame_allviews_free(out);
			return rc;
		}
		if (rc < 0 || inflame_stackset_total(v.ss) == 0) {
			free_view(&v);
			continue;
		}
		out->v[out->n++] = v;
	}
	return 0;
}

void inflame_allviews_free(struct inflame_loaded *l)
{
	for (size_t i = 0; i < l->n; i++)
		free_view(&l->v[i]);
	l->n = 0;
}
