/*
 * `inflame collapse`: reads profiles (dumps, folded stacks, perf script text; several inputs
 * are merged) and writes folded stacks (output/folded_write.h says how names are made safe).
 * Stacks are sorted by name as stackcollapse-perf.pl sorts them (--keep-order keeps first-seen
 * order). Differential input keeps both counts on every line, so the difference survives.
 */
#include "commands.h"
#include "input/images.h"
#include "output/folded_write.h"
#include "output/outfile.h"
#include "input/inputopts.h"
#include "input/source.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "inflame collapse: "

static void usage(FILE *f)
{
	fputs("usage: inflame collapse [options] [INPUT...] > out.folded\n"
	      "\n"
	      "INPUT is an inflame dump, folded stacks or perf script text (detected); \"-\" or\n"
	      "no input reads standard input. Several inputs are merged.\n"
	      "\n" INFLAME_INPUT_USAGE
	      "  --keep-order      first-seen order instead of sorting by name\n"
	      "  -o, --output FILE write here instead of standard output\n",
	      f);
}

enum {
	OPT_FIRST_ = 256,
	OPT_KEEP,
	OPT_HELP,
};

static const struct option longopts[] = {
    INFLAME_INPUT_LONGOPTS,
    {"keep-order", no_argument, NULL, OPT_KEEP},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

int inflame_cmd_collapse(int argc, char **argv)
{
	struct inflame_load_opts lo = {.view = INFLAME_VIEW_DEFAULT_};
	struct inflame_stackset *ss = NULL;
	struct inflame_outfile of = {0};
	const char *output = NULL, *stdin_only[] = {"-"};
	const char *const *inputs;
	int ninputs, c, rc = 1, keep = 0;
	enum inflame_view view_used = INFLAME_VIEW_DEFAULT_;
	char err[512];

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_KEEP:
			keep = 1;
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

	ss = inflame_stackset_new();
	if (!ss) {
		fprintf(stderr, CMD "out of memory\n");
		goto out;
	}
	if (inflame_inputopts_chain(inputs, ninputs, &lo, CMD) < 0)
		goto out;
	for (int i = 0; i < ninputs; i++) {
		struct inflame_load_stats one;

		if (inflame_inputopts_load(inputs[i], &lo, ss, &one, CMD) < 0)
			goto out;
		view_used = one.view_used;
	}
	if (inflame_inputopts_nonempty(ss, &lo, view_used, inputs, ninputs, CMD) < 0)
		goto out;
	if (!keep)
		inflame_stackset_sort(ss);
	if (inflame_outfile_open(&of, output, err, sizeof(err)) < 0) {
		fprintf(stderr, CMD "%s\n", err);
		goto out;
	}
	c = inflame_folded_write(of.f, ss);
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
	inflame_live_chain_free(lo.chain);
	inflame_stackset_free(ss);
	return rc;
}
