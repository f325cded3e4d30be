/*
 * `inflame speedscope`: writes the inputs' views in speedscope's JSON file format, one
 * profile per view and thread in time order for dumps (input/allviews.h loads them,
 * export/speedscope.h writes them).
 */
#include "commands.h"
#include "input/images.h"
#include "export/speedscope.h"
#include "input/allviews.h"
#include "input/inputopts.h"
#include "output/outfile.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define CMD "inflame speedscope: "

static void usage(FILE *f)
{
	fputs("usage: inflame speedscope [options] [-o FILE] INPUT...\n"
	      "\n"
	      "Writes speedscope's JSON file format (https://www.speedscope.app): one profile per\n"
	      "view and thread, samples in time order. INPUT is an inflame dump, folded stacks\n"
	      "or perf script text; \"-\" or no input reads standard input.\n"
	      "\n" INFLAME_INPUT_USAGE
	      "  -o, --output FILE write here instead of standard output\n",
	      f);
}

enum {
	OPT_FIRST_ = 256,
	OPT_HELP,
};

static const struct option longopts[] = {
    INFLAME_INPUT_LONGOPTS,
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

int inflame_cmd_speedscope(int argc, char **argv)
{
	struct inflame_load_opts lo = {.view = INFLAME_VIEW_DEFAULT_, .frame_meta = 1};
	struct inflame_loaded views = {0};
	struct inflame_speedscope_view sv[INFLAME_VIEW_DEFAULT_ + 1];
	struct inflame_outfile of = {0};
	const char *output = NULL, *stdin_only[] = {"-"};
	const char *const *inputs;
	char err[512];
	int ninputs, c, rc = 1;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
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
	if (inflame_allviews_load(inputs, ninputs, &lo, 1, &views, CMD) < 0)
		goto out;
	for (size_t i = 0; i < views.n; i++) {
		struct inflame_loaded_view *v = &views.v[i];
		const char *unit = inflame_view_unit(v->view);
		int timed = !strcmp(unit, "samples") && v->sample_ns;

		if (v->tl.nsamples)
			inflame_timeline_finish(&v->tl);
		sv[i] = (struct inflame_speedscope_view){
		    .name =
			v->view == INFLAME_VIEW_DEFAULT_ ? "samples" : inflame_view_name(v->view),
		    .unit = timed		     ? "nanoseconds"
			    : !strcmp(unit, "bytes") ? "bytes"
						     : "none",
		    .scale = timed ? v->sample_ns : 1,
		    .ss = v->ss,
		    .tl = v->tl.nsamples ? &v->tl : NULL,
		};
	}
	if (inflame_outfile_open(&of, output, err, sizeof(err)) < 0) {
		fprintf(stderr, CMD "%s\n", err);
		goto out;
	}
	c = inflame_speedscope_write(of.f, ninputs == 1 ? inputs[0] : "inflame", sv, views.n);
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
	return rc;
}
