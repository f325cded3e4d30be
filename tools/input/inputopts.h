/*
 * The input options shared by every command that reads profiles (collapse, report,
 * flamegraph, html, speedscope, pprof, diff): --event, --format, --threads, --tid[=N,...],
 * --pid[=N], --addrs, --no-comm, --no-inline, --debug-dir, --show-profiler, --label, --from,
 * --to. A
 * command lists INFLAME_INPUT_LONGOPTS in its getopt_long table and passes the codes it does
 * not know itself to inflame_inputopts_handle().
 */
#ifndef INFLAME_INPUTOPTS_H
#define INFLAME_INPUTOPTS_H

#include "input/source.h"

#include <getopt.h>

enum {
	INFLAME_INOPT_EVENT = 0x1000,
	INFLAME_INOPT_FORMAT,
	INFLAME_INOPT_THREADS,
	INFLAME_INOPT_TID,
	INFLAME_INOPT_PID,
	INFLAME_INOPT_ADDRS,
	INFLAME_INOPT_NOCOMM,
	INFLAME_INOPT_NOINLINE,
	INFLAME_INOPT_DEBUGDIR,
	INFLAME_INOPT_SHOW_PROFILER,
	INFLAME_INOPT_LABEL,
	INFLAME_INOPT_FROM,
	INFLAME_INOPT_TO,
	INFLAME_INOPT_END_
};

#define INFLAME_INPUT_LONGOPTS                                                                     \
	{"event", required_argument, NULL, INFLAME_INOPT_EVENT},                                   \
	    {"format", required_argument, NULL, INFLAME_INOPT_FORMAT},                             \
	    {"threads", no_argument, NULL, INFLAME_INOPT_THREADS},                                 \
	    {"tid", optional_argument, NULL, INFLAME_INOPT_TID},                                   \
	    {"pid", optional_argument, NULL, INFLAME_INOPT_PID},                                   \
	    {"addrs", no_argument, NULL, INFLAME_INOPT_ADDRS},                                     \
	    {"no-comm", no_argument, NULL, INFLAME_INOPT_NOCOMM},                                  \
	    {"no-inline", no_argument, NULL, INFLAME_INOPT_NOINLINE},                              \
	    {"show-profiler", no_argument, NULL, INFLAME_INOPT_SHOW_PROFILER},                     \
	    {"label", required_argument, NULL, INFLAME_INOPT_LABEL},                               \
	    {"from", required_argument, NULL, INFLAME_INOPT_FROM},                                 \
	    {"to", required_argument, NULL, INFLAME_INOPT_TO},                                     \
	{                                                                                          \
		"debug-dir", required_argument, NULL, INFLAME_INOPT_DEBUGDIR                       \
	}

/* The usage lines describing them. */
#define INFLAME_INPUT_USAGE                                                                        \
	"  --event E         cpu, wall, alloc, alloc-count, live, live-count, peak\n"              \
	"  --format F        auto (default), dump, folded, perf\n"                                 \
	"  --threads, --tid  a root frame per thread\n"                                            \
	"  --pid             a root frame per process (\"comm-pid\")\n"                            \
	"  --pid=N           keep only this process\n"                                             \
	"  --tid=N[,N...]    keep only these threads\n"                                            \
	"  --from T, --to T  dumps: keep only samples from T up to T (seconds from the start,\n"   \
	"                    e.g. 1.5, or wall-clock 2026-12-04T10:00:00 or 10:00:00)\n"           \
	"  --addrs           perf script: keep +0x offsets and addresses of unknown frames\n"      \
	"  --no-comm         perf script: no process name root frame\n"                            \
	"  --no-inline       dumps: no frames for inlined functions\n"                             \
	"  --debug-dir DIRS  dumps: debug directories, colon-separated (default\n"                 \
	"                    $INFLAME_DEBUG_DIRS, else /usr/lib/debug)\n"                          \
	"  --show-profiler   dumps: inflame's own CPU as an [inflame] frame\n"                     \
	"  --label K=V       dumps: only samples of threads labelled K=V (inflame_label(3))\n"

/* Is c one of the shared codes? */
static inline int inflame_inputopts_owns(int c)
{
	return c >= INFLAME_INOPT_EVENT && c < INFLAME_INOPT_END_;
}

/* Applies option c (with its argument, or NULL) to *lo. On a bad value prints one line
 * prefixed with cmd ("inflame report: ") and returns -EINVAL. */
int inflame_inputopts_handle(int c, const char *arg, struct inflame_load_opts *lo, const char *cmd);

/* For a command's `default:` case: applies a shared option, or says (one line prefixed with
 * cmd) that the option getopt_long returned is unknown or lacks its value. Returns 0 when the
 * option was applied, -EINVAL when the command must exit with status 2. */
int inflame_inputopts_other(int c, const char *arg, struct inflame_load_opts *lo, const char *cmd,
			    char **argv);

/*
 * The command line contract every command follows. Options may come before or after the
 * inputs (getopt_long's permutation; "--" ends the options), so option strings start with ':'
 * (no '+') and getopt_long runs with opterr = 0. When it returns '?' or ':',
 * inflame_cli_bad_option() prints one line prefixed with cmd: the unknown option, or the one
 * that lacks its value. The caller then exits with status 2.
 */
void inflame_cli_bad_option(int c, const char *cmd, char **argv);
/* For an option whose value is not what it expects: "--width -5: expects a positive number".
 * opt is the option as typed (argv[optind - 1] up to any '='). */
void inflame_cli_bad_value(const char *cmd, const char *opt, const char *arg, const char *expects);
/* The option that getopt_long just returned, as the user typed it ("--width", "-o"), in buf. */
const char *inflame_cli_opt_name(char **argv, char *buf, size_t len);

/* After every input has loaded: when the stack set holds nothing to draw, says why in one line
 * prefixed with cmd (no samples of the event, of the thread or process asked for) and returns
 * -ENODATA; otherwise returns 0. */
int inflame_inputopts_nonempty(const struct inflame_stackset *ss,
			       const struct inflame_load_opts *lo, enum inflame_view view_used,
			       const char *const *inputs, int n, const char *cmd);

/* The on_stale callback of struct inflame_load_opts that inflame_inputopts_load() uses: prints
 * that path changed since it was profiled, once per module and build-id over the whole
 * command, prefixed with arg (the command's prefix, a string). */
void inflame_inputopts_warn_stale(void *arg, const char *path, const char *build_id);

/* Prepares lo for loading inputs[0..n) into one stack set; lo->chain is NULL or set. Without
 * --event, the view is decided once for all the dumps: the first of cpu, wall and alloc with
 * samples in any of them (of the process --pid keeps), so that a dump without cpu samples (a
 * process that ran only in the kernel) adds nothing to a cpu profile instead of its wall
 * samples. For the live views: replays the dumps of each run among the inputs together
 * (inflame_live_chain_new, source.h) and sets lo->chain, which the caller frees with
 * inflame_live_chain_free() after loading. Returns 0, or a negative errno after printing the
 * reason (one line prefixed with cmd). */
int inflame_inputopts_chain(const char *const *inputs, int n, struct inflame_load_opts *lo,
			    const char *cmd);

/* Prints (prefixed with cmd) the warning that share (0 to 1) of input's CPU time was spent in
 * the kernel out of the clock's reach (load stats' misplaced_sys): shown as samples of
 * INFLAME_KERNEL_FRAME_NAME when shown (load stats' kernel_shown), else charged to the code
 * that ran after it. */
void inflame_inputopts_warn_sys(const char *cmd, const char *input, double share, int shown);

/* Loads one input into ss with inflame_source_load(), printing (prefixed with cmd) the error
 * or the warnings about it: lines that did not parse, samples skipped, a file cut short, a
 * binary changed since the run (once per module and build-id over the whole command),
 * threads sampled for much less than their CPU time, system time charged to other code.
 * Returns 0 or the loader's negative errno; *one receives the input's statistics. */
int inflame_inputopts_load(const char *input, const struct inflame_load_opts *lo,
			   struct inflame_stackset *ss, struct inflame_load_stats *one,
			   const char *cmd);

#endif
