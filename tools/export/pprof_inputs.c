/*
 * The input side of pprof export (pprof_inputs.h). A first pass reads every input's dump
 * metadata, so that all sample types are declared before the first sample and the period and
 * time span are known. Then each input is loaded once per group, each view into a stack set
 * of its own that fills its columns; warnings about an input are printed on its first load
 * only. The live views replay the dumps of one run together (inflame_inputopts_chain).
 */
#include "export/pprof_inputs.h"
#include "export/pprof.h"
#include "input/dumpmeta.h"
#include "input/inputopts.h"
#include "dump_format.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct col {
	enum inflame_view view;
	const char *type, *unit;
	int nanos; /* counts are periods: also a column of nanoseconds */
	const char *ns_type;
};

struct group {
	unsigned bit;
	const char *name;
	struct col cols[2];
	size_t ncols;
};

static const struct group groups_tab[] = {
    {INFLAME_PPROF_G_CPU, "cpu", {{INFLAME_VIEW_CPU, "samples", "count", 1, "cpu"}}, 1},
    {INFLAME_PPROF_G_WALL, "wall", {{INFLAME_VIEW_WALL, NULL, NULL, 1, "wall"}}, 1},
    {INFLAME_PPROF_G_ALLOC,
     "alloc",
     {{INFLAME_VIEW_ALLOC_COUNT, "alloc_objects", "count", 0, NULL},
      {INFLAME_VIEW_ALLOC, "alloc_space", "bytes", 0, NULL}},
     2},
    {INFLAME_PPROF_G_LIVE,
     "inuse",
     {{INFLAME_VIEW_LIVE_COUNT, "inuse_objects", "count", 0, NULL},
      {INFLAME_VIEW_LIVE, "inuse_space", "bytes", 0, NULL}},
     2},
    {INFLAME_PPROF_G_PEAK, "peak", {{INFLAME_VIEW_PEAK, "inuse_space", "bytes", 0, NULL}}, 1},
    {INFLAME_PPROF_G_TEXT, "samples", {{INFLAME_VIEW_DEFAULT_, "samples", "count", 0, NULL}}, 1},
};
#define NGROUPS (sizeof(groups_tab) / sizeof(groups_tab[0]))

unsigned inflame_pprof_group_of(enum inflame_view v)
{
	switch (v) {
	case INFLAME_VIEW_CPU:
		return INFLAME_PPROF_G_CPU;
	case INFLAME_VIEW_WALL:
		return INFLAME_PPROF_G_WALL;
	case INFLAME_VIEW_ALLOC:
	case INFLAME_VIEW_ALLOC_COUNT:
		return INFLAME_PPROF_G_ALLOC;
	case INFLAME_VIEW_LIVE:
	case INFLAME_VIEW_LIVE_COUNT:
		return INFLAME_PPROF_G_LIVE;
	case INFLAME_VIEW_PEAK:
		return INFLAME_PPROF_G_PEAK;
	default:
		return 0;
	}
}

const char *inflame_pprof_group_name(unsigned group)
{
	for (size_t g = 0; g < NGROUPS; g++)
		if (groups_tab[g].bit == group)
			return groups_tab[g].name;
	return "samples";
}

/* The groups a dump's events give. */
static unsigned dump_groups(const struct inflame_dumpmeta *m)
{
	unsigned g = 0;

	if (m->events & (1u << INFLAME_EV_CPU))
		g |= INFLAME_PPROF_G_CPU;
	if (m->events & (1u << INFLAME_EV_WALL))
		g |= INFLAME_PPROF_G_WALL;
	if (m->events & (1u << INFLAME_EV_ALLOC))
		g |= INFLAME_PPROF_G_ALLOC | INFLAME_PPROF_G_LIVE;
	return g;
}

int inflame_pprof_input_groups(const char *const *inputs, int n, unsigned *groups, const char *cmd)
{
	*groups = 0;
	for (int i = 0; i < n; i++) {
		struct inflame_dumpmeta m;
		char err[512];
		int rc = strcmp(inputs[i], "-")
			     ? inflame_dumpmeta_read(inputs[i], &m, err, sizeof(err))
			     : 0;

		if (rc < 0) {
			fprintf(stderr, "%s%s\n", cmd, err);
			return rc;
		}
		*groups |= rc ? dump_groups(&m) : INFLAME_PPROF_G_TEXT;
	}
	return 0;
}

/* Declares the sample types of the groups wanted; cols[g][c] receives each one's column. */
static int declare(struct inflame_pprof *p, unsigned want, int cols[NGROUPS][2][2])
{
	for (size_t g = 0; g < NGROUPS; g++) {
		if (!(want & groups_tab[g].bit))
			continue;
		for (size_t c = 0; c < groups_tab[g].ncols; c++) {
			const struct col *cl = &groups_tab[g].cols[c];
			int a = -1, b = -1;

			if (cl->type && (a = inflame_pprof_sample_type(p, cl->type, cl->unit)) < 0)
				return a;
			if (cl->nanos &&
			    (b = inflame_pprof_sample_type(p, cl->ns_type, "nanoseconds")) < 0)
				return b;
			cols[g][c][0] = a;
			cols[g][c][1] = b;
		}
	}
	return 0;
}

int inflame_pprof_build(const char *const *inputs, int n, const struct inflame_load_opts *lo,
			unsigned groups, const char *cmd, struct inflame_pprof_result *res)
{
	struct inflame_pprof *p = inflame_pprof_new();
	struct inflame_dumpmeta *meta = calloc((size_t)n + 1, sizeof(*meta));
	int *is_dump = calloc((size_t)n + 1, sizeof(*is_dump));
	int *warned = calloc((size_t)n + 1, sizeof(*warned));
	int cols[NGROUPS][2][2];
	unsigned present = 0, want;
	struct inflame_load_opts chain_lo = *lo;
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	int rc = -ENOMEM;
	char err[512];

	memset(res, 0, sizeof(*res));
	chain_lo.chain = NULL;
	if (!p || !meta || !is_dump || !warned) {
		fprintf(stderr, "%sout of memory\n", cmd);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		rc = strcmp(inputs[i], "-")
			 ? inflame_dumpmeta_read(inputs[i], &meta[i], err, sizeof(err))
			 : 0;
		if (rc < 0) {
			fprintf(stderr, "%s%s\n", cmd, err);
			goto out;
		}
		is_dump[i] = rc;
		present |= rc ? dump_groups(&meta[i]) : INFLAME_PPROF_G_TEXT;
		if (rc) {
			if (!res->start_ns || meta[i].start_ns < res->start_ns)
				res->start_ns = meta[i].start_ns;
			if (meta[i].end_ns > res->end_ns)
				res->end_ns = meta[i].end_ns;
			if (!res->frequency)
				res->frequency = meta[i].frequency;
		}
	}
	/* Text inputs always give samples; an event asked for keeps its group even when no dump
	 * has it, so that the "no such samples" message below names it. */
	want = groups ? groups | (present & INFLAME_PPROF_G_TEXT) : present;
	rc = declare(p, want, cols);
	if (rc < 0) {
		fprintf(stderr, "%sout of memory\n", cmd);
		goto out;
	}
	if (want & INFLAME_PPROF_G_CPU && res->frequency)
		inflame_pprof_period(p, "cpu", "nanoseconds",
				     (int64_t)(1000000000ull / res->frequency));
	else if (want & INFLAME_PPROF_G_WALL && res->frequency)
		inflame_pprof_period(p, "wall", "nanoseconds",
				     (int64_t)(1000000000ull / res->frequency));
	if (want & INFLAME_PPROF_G_CPU)
		inflame_pprof_default_type(p, "cpu");
	else if (want & INFLAME_PPROF_G_WALL)
		inflame_pprof_default_type(p, "wall");
	else if (want & (INFLAME_PPROF_G_ALLOC))
		inflame_pprof_default_type(p, "alloc_space");
	else if (want & (INFLAME_PPROF_G_LIVE | INFLAME_PPROF_G_PEAK))
		inflame_pprof_default_type(p, "inuse_space");
	inflame_pprof_time(p, (int64_t)res->start_ns, (int64_t)(res->end_ns - res->start_ns));

	for (size_t g = 0; g < NGROUPS; g++) {
		const struct group *gr = &groups_tab[g];

		size_t before = inflame_pprof_nsamples(p);

		if (!(want & gr->bit))
			continue;
		for (size_t c = 0; c < gr->ncols; c++) {
			const struct col *cl = &gr->cols[c];
			struct inflame_load_opts o = *lo;

			o.view = cl->view;
			o.frame_meta = 1;
			o.chain = NULL;
			if (cl->view == INFLAME_VIEW_LIVE || cl->view == INFLAME_VIEW_LIVE_COUNT) {
				if (!chain_lo.chain) {
					chain_lo.view = cl->view;
					rc = inflame_inputopts_chain(inputs, n, &chain_lo, cmd);
					if (rc < 0)
						goto out;
				}
				o.chain = chain_lo.chain;
			}
			for (int i = 0; i < n; i++) {
				struct inflame_stackset *ss;
				struct inflame_load_stats one;
				struct inflame_pprof_fill fill = {0};
				uint64_t period =
				    meta[i].frequency ? 1000000000ull / meta[i].frequency : 0;

				if (is_dump[i] == (gr->bit == INFLAME_PPROF_G_TEXT))
					continue;
				if (is_dump[i]) {
					o.pid = o.threads = o.label_root = 1;
					fill.pid_root = fill.thread_root = fill.labels_root = 1;
				} else {
					o.label_root = 0;
					o.pid = lo->pid;
					o.threads = lo->threads;
				}
				if (cl->type) {
					fill.col[fill.ncols] = cols[g][c][0];
					fill.mul[fill.ncols++] = 1;
				}
				if (cl->nanos && period) {
					fill.col[fill.ncols] = cols[g][c][1];
					fill.mul[fill.ncols++] = (int64_t)period;
				}
				ss = inflame_stackset_new();
				if (!ss) {
					fprintf(stderr, "%sout of memory\n", cmd);
					rc = -ENOMEM;
					goto out;
				}
				if (!warned[i]) {
					rc = inflame_inputopts_load(inputs[i], &o, ss, &one, cmd);
					warned[i] = 1;
				} else {
					memset(&one, 0, sizeof(one));
					rc = inflame_source_load(inputs[i], &o, ss, &one, err,
								 sizeof(err));
					if (rc < 0)
						fprintf(stderr, "%s%s\n", cmd, err);
				}
				if (!rc)
					rc = inflame_pprof_add(p, ss, &fill);
				inflame_stackset_free(ss);
				if (rc == -ENOMEM)
					fprintf(stderr, "%sout of memory\n", cmd);
				if (rc < 0)
					goto out;
			}
		}
		if (inflame_pprof_nsamples(p) > before)
			res->groups |= gr->bit;
	}
	if (!inflame_pprof_nsamples(p)) {
		struct inflame_stackset *empty = inflame_stackset_new();

		/* Says which event, thread or process had nothing, as the other commands do. */
		if (empty)
			inflame_inputopts_nonempty(empty, lo, lo->view, inputs, n, cmd);
		else
			fprintf(stderr, "%sout of memory\n", cmd);
		inflame_stackset_free(empty);
		rc = -ENODATA;
		goto out;
	}
	res->nsamples = inflame_pprof_nsamples(p);
	rc = inflame_pprof_encode(p, &raw, &rawlen);
	if (!rc)
		rc = inflame_pprof_gzip(raw, rawlen, &res->gz, &res->gzlen);
	if (rc < 0)
		fprintf(stderr, "%sout of memory\n", cmd);
out:
	inflame_live_chain_free(chain_lo.chain);
	free(raw);
	free(meta);
	free(is_dump);
	free(warned);
	inflame_pprof_free(p);
	return rc;
}
