/*
 * `inflame pprof [input options] [--event E] [-o FILE] INPUT...`: writes the profile as
 * gzip-compressed profile.proto for `go tool pprof`, Pyroscope and Parca. The work is done in
 * export/ (pprof_inputs.h says which events become which sample types); this file parses the
 * command line and writes the result through an output file that appears only when complete.
 */
#include "commands.h"
#include "input/images.h"
#include "export/pprof_inputs.h"
#include "input/inputopts.h"
#include "output/outfile.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "inflame pprof: "

static void usage(FILE *f)
{
	fputs("usage: inflame pprof [options] INPUT... > profile.pb.gz\n"
	      "\n"
	      "INPUT is an inflame dump, folded stacks or perf script text (detected); several\n"
	      "inputs go into one profile. Without --event, every event of the dumps becomes\n"
	      "sample types (cpu: samples, cpu; wall: wall; alloc: alloc_objects, alloc_space,\n"
	      "inuse_objects, inuse_space); threads and processes become labels.\n"
	      "\n" INFLAME_INPUT_USAGE
	      "  -o, --output FILE write here instead of standard output\n",
	      f);
}

enum {
	OPT_HELP = 256,
};

static const struct option longopts[] = {
    INFLAME_INPUT_LONGOPTS,
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

int inflame_cmd_pprof(int argc, char **argv)
{
	struct inflame_load_opts lo = {.view = INFLAME_VIEW_DEFAULT_};
	struct inflame_pprof_result res = {0};
	struct inflame_outfile of = {0};
	const char *output = NULL, *stdin_only[] = {"-"};
	const char *const *inputs;
	int ninputs, c, rc = 1;
	char err[512];

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
	if (inflame_pprof_build(inputs, ninputs, &lo, inflame_pprof_group_of(lo.view), CMD, &res) <
	    0)
		goto out;
	if (inflame_outfile_open(&of, output, err, sizeof(err)) < 0) {
		fprintf(stderr, CMD "%s\n", err);
		goto out;
	}
	if (fwrite(res.gz, 1, res.gzlen, of.f) != res.gzlen) {
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
	free(res.gz);
	return rc;
}
