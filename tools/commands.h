/*
 * Entry points of the subcommands. Each takes the arguments after "inflame" (argv[0] is the
 * subcommand's name) and returns the exit status: 0 success, 1 failure, 2 bad usage.
 */
#ifndef INFLAME_COMMANDS_H
#define INFLAME_COMMANDS_H

#include "config.h"

int inflame_cmd_record(int argc, char **argv);
int inflame_cmd_info(int argc, char **argv);
int inflame_cmd_collapse(int argc, char **argv);
int inflame_cmd_report(int argc, char **argv);
int inflame_cmd_flamegraph(int argc, char **argv);
int inflame_cmd_pprof(int argc, char **argv);
int inflame_cmd_diff(int argc, char **argv);
int inflame_cmd_push(int argc, char **argv);
int inflame_cmd_html(int argc, char **argv);
int inflame_cmd_speedscope(int argc, char **argv);

#endif
