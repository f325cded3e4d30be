/*
 * A test driver for `inflame collapse` and `inflame flamegraph` that does not need the rest of
 * the `inflame` program: "fgcli collapse ARGS" and "fgcli flamegraph ARGS" call the
 * subcommands directly. It links the text readers only, so dumps are refused with a clear
 * error; the CLI tests and the browser test use it, and the full program is tested the same
 * way once it links.
 */
#include "commands.h"
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* This driver reads text inputs only. */
int inflame_dumpfile_load(const char *path, const struct inflame_load_opts *o,
			  struct inflame_stackset *ss, struct inflame_load_stats *st, char *err,
			  size_t errlen)
{
	(void)o;
	(void)ss;
	(void)st;
	snprintf(err, errlen, "%s: dumps are not supported by this test driver", path);
	return -ENOTSUP;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "collapse"))
		return inflame_cmd_collapse(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "flamegraph"))
		return inflame_cmd_flamegraph(argc - 1, argv + 1);
	fprintf(stderr, "usage: fgcli collapse|flamegraph ARGS...\n");
	return 2;
}
