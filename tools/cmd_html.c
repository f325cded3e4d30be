/*
 * `inflame html`: one self-contained HTML page showing every view the inputs hold (cpu, wall,
 * alloc, ...; for dumps with every sample's time and thread), or with --diff the view of AFTER
 * compared with BEFORE. Loading is input/allviews.h's, the page output/html.h's.
 */
#include "commands.h"
#include "input/images.h"
#include "input/allviews.h"
#include "input/inputopts.h"
#include "output/html.h"
#include "output/outfile.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "inflame html: "

static void usage(FILE *f)
{
	fputs("usage: inflame html [options] [-o FILE] INPUT...\n"
	      "       inflame html [options] [-o FILE] --diff BEFORE AFTER\n"
	      "\n"
	      "Writes one self-contained HTML page (the profile viewer) with every view the\n"
	      "inputs hold. INPUT is an inflame dump, folded stacks or perf script text;\n"
	      "\"-\" or no input reads standard input.\n"
	      "\n" INFLAME_INPUT_USAGE
	      "  --diff            two inputs, BEFORE and AFTER: colour by what changed\n"
	      "  --title TEXT      the page's title (default: \"inflame: \" and the first inputs)\n"
	      "  -o, --output FILE write here instead of standard output\n",
	      f);
}

enum {
	OPT_FIRST_ = 256,
	OPT_DIFF,
	OPT_TITLE,
	OPT_HELP,
};

static const struct option longopts[] = {
    INFLAME_INPUT_LONGOPTS,
    {"diff", no_argument, NULL, OPT_DIFF},
    {"title", required_argument, NULL, OPT_TITLE},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* The most inputs the default title names; a run that followed its children has a dump per
 * process, and a title naming every one of them filled the page's first screen. */
#define TITLE_INPUTS 3

/* "inflame: a b c", the inputs named; "inflame: a b c and N more" past TITLE_INPUTS. */
static char *default_title(const char *const *inputs, int n)
{
	int named = n > TITLE_INPUTS ? TITLE_INPUTS : n;
	size_t len = 48;
	char *t;

	for (int i = 0; i < named; i++)
		len += strlen(inputs[i]) + 1;
	t = malloc(len);
	if (!t)
		return NULL;
	strcpy(t, "inflame:");
	for (int i = 0; i < named; i++) {
		strcat(t, " ");
		strcat(t, inputs[i]);
	}
	if (n > named)
		snprintf(t + strlen(t), len - strlen(t), " and %d more", n - named);
	return t;
}

int inflame_cmd_html(int argc, char **argv)
{
	struct inflame_load_opts lo = {.view = INFLAME_VIEW_DEFAULT_, .frame_meta = 1};
	struct inflame_loaded views = {0}, before = {0};
	struct inflame_html_view hv[INFLAME_VIEW_DEFAULT_ + 1];
	struct inflame_html_page page = {0};
	struct inflame_outfile of = {0};
	const char *output = NULL, *title = NULL, *stdin_only[] = {"-"};
	const char *const *inputs;
	char *own_title = NULL, err[512];
	int ninputs, c, rc = 1, diff = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DIFF:
			diff = 1;
			break;
		case OPT_TITLE:
			title = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (inflame_inputopts_other(c, optarg, &lo, CMD, argv) < 0)
				return 2;
			break;
		}
	}
	if (inflame_inputs_expand_argv(&argc, &argv, optind, CMD) < 0)
		return 1;
	inputs = optind < argc ? (const char *const *)argv + optind : stdin_only;
	ninputs = optind < argc ? argc - optind : 1;
	if (diff && ninputs != 2) {
		fprintf(stderr, CMD "--diff needs two inputs, BEFORE and AFTER (got %d)\n",
			optind < argc ? ninputs : 0);
		return 2;
	}
	if (!title)
		title = own_title = default_title(inputs, ninputs);
	if (!title) {
		fprintf(stderr, CMD "out of memory\n");
		return 1;
	}
	if (diff) {
		/* AFTER's views; BEFORE in the view compared (AFTER's first). */
		struct inflame_load_opts blo = lo;

		if (inflame_allviews_load(inputs + 1, 1, &lo, 1, &views, CMD) < 0)
			goto out;
		blo.view = views.v[views.first].view;
		if (inflame_allviews_load(inputs, 1, &blo, 0, &before, CMD) < 0)
			goto out;
		page.base = before.v[0].ss;
		page.diff_view = views.first;
		page.base_name = inputs[0];
		page.after_name = inputs[1];
	} else if (inflame_allviews_load(inputs, ninputs, &lo, 1, &views, CMD) < 0) {
		goto out;
	}
	for (size_t i = 0; i < views.n; i++) {
		const struct inflame_loaded_view *v = &views.v[i];

		hv[i] = (struct inflame_html_view){
		    .name =
			v->view == INFLAME_VIEW_DEFAULT_ ? "samples" : inflame_view_name(v->view),
		    .unit = inflame_view_unit(v->view),
		    .seconds_per_sample = (double)v->sample_ns / 1e9,
		    .ss = v->ss,
		    .tl = v->tl.nsamples ? &v->tl : NULL,
		    .has_freed =
			v->view == INFLAME_VIEW_ALLOC || v->view == INFLAME_VIEW_ALLOC_COUNT,
		};
		if (v->tl.nsamples)
			inflame_timeline_finish(&views.v[i].tl);
	}
	/* A differential folded input is its own baseline. */
	if (!page.base && views.n == 1 && inflame_stackset_is_diff(views.v[0].ss)) {
		page.base = views.v[0].ss;
		page.diff_view = 0;
	}
	page.title = title;
	page.views = hv;
	page.nviews = views.n;
	if (inflame_outfile_open(&of, output, err, sizeof(err)) < 0) {
		fprintf(stderr, CMD "%s\n", err);
		goto out;
	}
	c = inflame_html_write(of.f, &page);
	if (c == -ENOMEM) {
		fprintf(stderr, CMD "out of memory\n");
		goto out;
	}
	if (c < 0) {
		fprintf(stderr, CMD "cannot write %s: %s\n",
			output && strcmp(output, "-") ? output : "standard output",
			strerror(errno));
		goto out;
	}
	if (inflame_outfile_commit(&of, err, sizeof(err)) < 0) {
		fprintf(stderr, CMD "%s\n", err);
		goto out;
	}
	rc = 0;
out:
	inflame_outfile_abort(&of);
	inflame_allviews_free(&views);
	inflame_allviews_free(&before);
	free(own_title);
	return rc;
}
