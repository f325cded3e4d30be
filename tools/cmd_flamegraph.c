/*
 * `inflame flamegraph`: reads profiles (dumps, folded stacks, perf script text; several
 * inputs are merged, none or "-" is standard input) and writes an interactive SVG flame
 * graph. Options carry flamegraph.pl's names and meanings, so the command replaces both
 * `stackcollapse-perf.pl` and `flamegraph.pl` in a pipeline: differential folded input
 * ("stack base count") gives a differential graph, and --flamechart reads the inputs into an
 * ordered stack set so that only adjacent identical stacks merge.
 */
#include "commands.h"
#include "input/images.h"
#include "output/flamegraph.h"
#include "output/outfile.h"
#include "input/inputopts.h"
#include "input/source.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "inflame flamegraph: "

static void usage(FILE *f)
{
	fputs("usage: inflame flamegraph [options] [INPUT...] > graph.svg\n"
	      "\n"
	      "INPUT is an inflame dump, folded stacks or perf script text (detected); \"-\" or\n"
	      "no input reads standard input. Several inputs are merged.\n"
	      "\n"
	      "input:\n" INFLAME_INPUT_USAGE "output (flamegraph.pl's options):\n"
	      "  -o, --output FILE write here instead of standard output\n"
	      "  --title TEXT      --subtitle TEXT   --notes TEXT\n"
	      "  --width PX (1200) --height PX (16, per frame)  --fontsize PT (12)\n"
	      "  --fonttype FONT (Verdana)  --fontwidth W (0.59)\n"
	      "  --minwidth PX|N%  prune frames narrower than this (0.1)\n"
	      "  --countname NAME  (samples; bytes for memory events)   --nametype TEXT\n"
	      "  --factor F        scale the counts shown\n"
	      "  --colors PALETTE  hot mem io wakeup chain java js perl red green blue aqua\n"
	      "                    yellow purple orange (hot; mem for memory events)\n"
	      "  --bgcolors COLOR  yellow blue green grey #rrggbb\n"
	      "  --hash            colours from function names (the default)\n"
	      "  --random          random colours\n"
	      "  --cp              consistent colours across graphs via palette.map\n"
	      "  --palfile FILE    the palette file for --cp\n"
	      "  --inverted        icicle graph (root at the top)\n"
	      "  --reverse         reverse the stacks (leaf becomes root)\n"
	      "  --flamechart      flame chart: input (time) order, only adjacent identical\n"
	      "                    stacks merged\n"
	      "  --negate          differential input (\"stack base count\"): swap the hues\n"
	      "                    (red = reduction) and the sign of the deltas shown\n",
	      f);
}

enum {
	OPT_FIRST_ = 256,
	OPT_TITLE,
	OPT_SUBTITLE,
	OPT_NOTES,
	OPT_WIDTH,
	OPT_HEIGHT,
	OPT_FONTSIZE,
	OPT_FONTTYPE,
	OPT_FONTWIDTH,
	OPT_MINWIDTH,
	OPT_COUNTNAME,
	OPT_NAMETYPE,
	OPT_FACTOR,
	OPT_COLORS,
	OPT_BGCOLORS,
	OPT_HASH,
	OPT_RANDOM,
	OPT_CP,
	OPT_PALFILE,
	OPT_INVERTED,
	OPT_REVERSE,
	OPT_FLAMECHART,
	OPT_NEGATE,
	OPT_HELP,
};

static const struct option longopts[] = {
    INFLAME_INPUT_LONGOPTS,
    {"output", required_argument, NULL, 'o'},
    {"title", required_argument, NULL, OPT_TITLE},
    {"subtitle", required_argument, NULL, OPT_SUBTITLE},
    {"notes", required_argument, NULL, OPT_NOTES},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"height", required_argument, NULL, OPT_HEIGHT},
    {"fontsize", required_argument, NULL, OPT_FONTSIZE},
    {"fonttype", required_argument, NULL, OPT_FONTTYPE},
    {"fontwidth", required_argument, NULL, OPT_FONTWIDTH},
    {"minwidth", required_argument, NULL, OPT_MINWIDTH},
    {"countname", required_argument, NULL, OPT_COUNTNAME},
    {"nametype", required_argument, NULL, OPT_NAMETYPE},
    {"factor", required_argument, NULL, OPT_FACTOR},
    {"colors", required_argument, NULL, OPT_COLORS},
    {"color", required_argument, NULL, OPT_COLORS},
    {"bgcolors", required_argument, NULL, OPT_BGCOLORS},
    {"hash", no_argument, NULL, OPT_HASH},
    {"random", no_argument, NULL, OPT_RANDOM},
    {"cp", no_argument, NULL, OPT_CP},
    {"palfile", required_argument, NULL, OPT_PALFILE},
    {"inverted", no_argument, NULL, OPT_INVERTED},
    {"reverse", no_argument, NULL, OPT_REVERSE},
    {"flamechart", no_argument, NULL, OPT_FLAMECHART},
    {"negate", no_argument, NULL, OPT_NEGATE},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Parses a positive number into *out; returns 0 or -EINVAL. */
static int parse_number(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 1e9)
		return -EINVAL;
	*out = v;
	return 0;
}

int inflame_cmd_flamegraph(int argc, char **argv)
{
	struct inflame_load_opts lo = {.view = INFLAME_VIEW_DEFAULT_};
	struct inflame_load_stats st = {0};
	struct inflame_fg_opts fo;
	struct inflame_stackset *ss = NULL;
	struct inflame_outfile of = {0};
	const char *output = NULL, *stdin_only[] = {"-"};
	const char *const *inputs;
	int ninputs, c, colors_set = 0, rc = 1, cp = 0;
	char err[512], oname[64];
	enum inflame_view view_used = INFLAME_VIEW_DEFAULT_;
	double num;

	inflame_flamegraph_defaults(&fo);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case OPT_TITLE:
			fo.title = optarg;
			break;
		case OPT_SUBTITLE:
			fo.subtitle = optarg;
			break;
		case OPT_NOTES:
			fo.notes = optarg;
			break;
		case OPT_WIDTH:
		case OPT_HEIGHT:
		case OPT_FONTSIZE:
		case OPT_FONTWIDTH:
		case OPT_FACTOR:
			if (parse_number(optarg, &num) < 0 || num == 0) {
				inflame_cli_bad_value(
				    CMD, inflame_cli_opt_name(argv, oname, sizeof(oname)), optarg,
				    "a positive number");
				return 2;
			}
			if (c == OPT_WIDTH)
				fo.width = num;
			else if (c == OPT_HEIGHT)
				fo.frameheight = num;
			else if (c == OPT_FONTSIZE)
				fo.fontsize = num;
			else if (c == OPT_FONTWIDTH)
				fo.fontwidth = num;
			else
				fo.factor = num;
			break;
		case OPT_MINWIDTH: {
			char buf[64];
			size_t n = strlen(optarg);

			fo.minwidth_percent = n > 0 && optarg[n - 1] == '%';
			snprintf(buf, sizeof(buf), "%.*s", (int)(n - fo.minwidth_percent), optarg);
			if (n >= sizeof(buf) || parse_number(buf, &fo.minwidth) < 0 ||
			    (fo.minwidth_percent && fo.minwidth > 100)) {
				inflame_cli_bad_value(
				    CMD, "--minwidth", optarg,
				    "a number of pixels, or a percentage such as 0.5%");
				return 2;
			}
			break;
		}
		case OPT_FONTTYPE:
			fo.fonttype = optarg;
			break;
		case OPT_COUNTNAME:
			fo.countname = optarg;
			break;
		case OPT_NAMETYPE:
			fo.nametype = optarg;
			break;
		case OPT_COLORS:
			if (inflame_flamegraph_palette_parse(optarg, &fo.colors) < 0) {
				fprintf(stderr,
					CMD
					"unknown palette '%s' (hot, mem, io, wakeup, chain, java, "
					"js, perl, red, green, blue, aqua, yellow, purple, "
					"orange)\n",
					optarg);
				return 2;
			}
			colors_set = 1;
			break;
		case OPT_BGCOLORS:
			fo.bgcolors = optarg;
			break;
		case OPT_HASH:
			fo.random = 0;
			break;
		case OPT_RANDOM:
			fo.random = 1;
			break;
		case OPT_CP:
			cp = 1;
			break;
		case OPT_PALFILE:
			fo.palette_file = optarg;
			break;
		case OPT_INVERTED:
			fo.inverted = 1;
			break;
		case OPT_REVERSE:
			fo.reverse = 1;
			break;
		case OPT_FLAMECHART:
			fo.flamechart = 1;
			break;
		case OPT_NEGATE:
			fo.negate = 1;
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
	if (cp && !fo.palette_file)
		fo.palette_file = "palette.map";
	if (!cp)
		fo.palette_file = NULL;
	if (fo.bgcolors && !strcmp(fo.bgcolors, "")) {
		fprintf(stderr, CMD "empty --bgcolors\n");
		return 2;
	}
	if (inflame_inputs_expand_argv(&argc, &argv, optind, CMD) < 0)
		return 1;
	inputs = optind < argc ? (const char *const *)argv + optind : stdin_only;
	ninputs = optind < argc ? argc - optind : 1;

	ss = fo.flamechart ? inflame_stackset_new_ordered() : inflame_stackset_new();
	if (!ss) {
		fprintf(stderr, CMD "out of memory\n");
		return 1;
	}
	if (inflame_inputopts_chain(inputs, ninputs, &lo, CMD) < 0)
		goto out;
	for (int i = 0; i < ninputs; i++) {
		struct inflame_load_stats one;

		if (inflame_inputopts_load(inputs[i], &lo, ss, &one, CMD) < 0)
			goto out;
		st.samples += one.samples;
		st.is_memory |= one.is_memory;
		view_used = one.view_used;
	}
	if (inflame_inputopts_nonempty(ss, &lo, view_used, inputs, ninputs, CMD) < 0)
		goto out;
	if (st.is_memory) {
		if (!colors_set)
			fo.colors = INFLAME_FG_MEM;
		if (!fo.countname)
			fo.countname = "bytes";
	}
	if (inflame_outfile_open(&of, output, err, sizeof(err)) < 0) {
		fprintf(stderr, CMD "%s\n", err);
		goto out;
	}
	{
		int wrc = inflame_flamegraph_write(ss, &fo, of.f, err, sizeof(err));

		if (wrc < 0) {
			/* Not even flamegraph.pl's "no stack counts" SVG: a failed run writes
			 * nothing, on standard output as in a named file. */
			if (wrc == -ENODATA)
				fprintf(stderr, CMD "no stack counts found in the input\n");
			else if (ferror(of.f))
				fprintf(stderr, CMD "cannot write %s: %s\n",
					output && strcmp(output, "-") ? output : "standard output",
					strerror(errno));
			else
				fprintf(stderr, CMD "%s\n", err);
			inflame_outfile_abort(&of);
			goto out;
		}
		if (inflame_outfile_commit(&of, err, sizeof(err)) < 0) {
			fprintf(stderr, CMD "%s\n", err);
			goto out;
		}
		rc = 0;
	}
out:
	inflame_outfile_abort(&of);
	inflame_live_chain_free(lo.chain);
	inflame_stackset_free(ss);
	return rc;
}
