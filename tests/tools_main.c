/*
 * A test-only `inflame` with just the subcommands this branch owns (info, report), so that
 * their tests can run them as a separate process before the full command links.
 */
#include "commands.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "info"))
		return inflame_cmd_info(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "report"))
		return inflame_cmd_report(argc - 1, argv + 1);
	fprintf(stderr, "inflame-tools: info or report\n");
	return 2;
}
