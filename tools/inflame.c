/*
 * The `inflame` command: dispatches to one subcommand per tools/cmd_<name>.c. Each subcommand
 * parses its own options, prints its own one-line errors prefixed with "inflame <cmd>: ", and
 * returns the process exit status.
 */
#include "commands.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
    {"record", inflame_cmd_record, "run a command under the profiler"},
    {"info", inflame_cmd_info, "describe dump files"},
    {"collapse", inflame_cmd_collapse, "write folded stacks (dumps, folded, perf script)"},
    {"report", inflame_cmd_report, "print functions by self and total share"},
    {"flamegraph", inflame_cmd_flamegraph, "write an interactive SVG flame graph"},
    {"diff", inflame_cmd_diff, "compare two profiles; a CI gate on share growth"},
    {"pprof", inflame_cmd_pprof, "write a pprof profile (gzip profile.proto)"},
    {"push", inflame_cmd_push, "send dumps to Pyroscope's ingest API (--watch DIR)"},
    {"html", inflame_cmd_html, "write the profile viewer: one HTML page with every view"},
    {"speedscope", inflame_cmd_speedscope, "write speedscope's JSON file format"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: inflame <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nSee inflame(1) and `inflame <command> --help`.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("inflame %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "inflame: unknown command '%s' (try inflame --help)\n", argv[1]);
	return 2;
}
