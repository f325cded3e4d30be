/*
 * Parsing of the input options shared by the commands that read profiles. Each command keeps
 * its own options; these are the ones about what to read and how to group it, parsed the same
 * way everywhere so a flag means the same thing in collapse, report and flamegraph.
 */
#include "input/inputopts.h"
#include "dump_format.h"
#include "input/dumpmeta.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_id(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* The threads of --tid=N,N,...: kept for the life of the command. */
#define MAX_TIDS 256
static long tid_list[MAX_TIDS];

static int parse_tids(const char *s, struct inflame_load_opts *lo)
{
	size_t n = 0;
	char buf[32];

	while (*s) {
		size_t len = strcspn(s, ",");
		long v;

		if (len == 0 || len >= sizeof(buf) || n == MAX_TIDS)
			return -EINVAL;
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (parse_id(buf, &v) < 0)
			return -EINVAL;
		tid_list[n++] = v;
		s += len;
		if (*s == ',' && !*++s)
			return -EINVAL;
	}
	if (n == 0)
		return -EINVAL;
	lo->only_tid = n == 1 ? tid_list[0] : 0;
	lo->tids = n == 1 ? NULL : tid_list;
	lo->ntids = n == 1 ? 0 : n;
	return 0;
}

static int parse_format(const char *s, enum inflame_input_kind *k)
{
	if (!strcmp(s, "auto"))
		*k = INFLAME_INPUT_AUTO;
	else if (!strcmp(s, "dump"))
		*k = INFLAME_INPUT_DUMP;
	else if (!strcmp(s, "folded"))
		*k = INFLAME_INPUT_FOLDED;
	else if (!strcmp(s, "perf") || !strcmp(s, "perf-script"))
		*k = INFLAME_INPUT_PERF_SCRIPT;
	else
		return -EINVAL;
	return 0;
}

int inflame_inputopts_handle(int c, const char *arg, struct inflame_load_opts *lo, const char *cmd)
{
	switch (c) {
	case INFLAME_INOPT_EVENT:
		if (inflame_view_parse(arg, &lo->view) < 0) {
			fprintf(stderr,
				"%sunknown event '%s' (cpu, wall, alloc, alloc-count, live, "
				"live-count, peak)\n",
				cmd, arg);
			return -EINVAL;
		}
		return 0;
	case INFLAME_INOPT_FORMAT:
		if (parse_format(arg, &lo->kind) < 0) {
			fprintf(stderr, "%sunknown format '%s' (auto, dump, folded, perf)\n", cmd,
				arg);
			return -EINVAL;
		}
		return 0;
	case INFLAME_INOPT_THREADS:
		lo->threads = 1;
		return 0;
	case INFLAME_INOPT_TID:
	case INFLAME_INOPT_PID:
		if (!arg) {
			if (c == INFLAME_INOPT_TID)
				lo->threads = 1;
			else
				lo->pid = 1;
			return 0;
		}
		if (c == INFLAME_INOPT_TID ? parse_tids(arg, lo) < 0
					   : parse_id(arg, &lo->only_pid) < 0) {
			fprintf(stderr, "%s%s=%s: expects %s\n", cmd,
				c == INFLAME_INOPT_TID ? "--tid" : "--pid", arg,
				c == INFLAME_INOPT_TID
				    ? "positive numbers separated by commas (thread ids)"
				    : "a positive number (a process id)");
			return -EINVAL;
		}
		return 0;
	case INFLAME_INOPT_FROM:
	case INFLAME_INOPT_TO:
		if (inflame_time_point_parse(arg, c == INFLAME_INOPT_FROM ? &lo->from : &lo->to) <
		    0) {
			fprintf(stderr,
				"%s%s %s: expects seconds from the start (1.5), a date and time "
				"(2026-12-04T10:00:00) or a time of day (10:00:00)\n",
				cmd, c == INFLAME_INOPT_FROM ? "--from" : "--to", arg);
			return -EINVAL;
		}
		return 0;
	case INFLAME_INOPT_ADDRS:
		lo->keep_addrs = 1;
		return 0;
	case INFLAME_INOPT_NOCOMM:
		lo->no_comm = 1;
		return 0;
	case INFLAME_INOPT_NOINLINE:
		lo->no_inline = 1;
		return 0;
	case INFLAME_INOPT_DEBUGDIR:
		if (!arg[0] || (arg[0] != '/' && arg[0] != ':')) {
			fprintf(stderr, "%s--debug-dir expects absolute directories, got '%s'\n",
				cmd, arg);
			return -EINVAL;
		}
		lo->debug_dirs = arg;
		return 0;
	case INFLAME_INOPT_SHOW_PROFILER:
		lo->show_profiler = 1;
		return 0;
	case INFLAME_INOPT_LABEL: {
		const char *eq = strchr(arg, '=');

		if (!eq || eq == arg) {
			fprintf(stderr, "%s--label %s: expects KEY=VALUE\n", cmd, arg);
			return -EINVAL;
		}
		if (lo->nlabels == INFLAME_LOAD_LABELS_MAX) {
			fprintf(stderr, "%s--label: at most %d labels\n", cmd,
				INFLAME_LOAD_LABELS_MAX);
			return -EINVAL;
		}
		lo->labels[lo->nlabels++] = arg;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

int inflame_inputopts_other(int c, const char *arg, struct inflame_load_opts *lo, const char *cmd,
			    char **argv)
{
	if (inflame_inputopts_owns(c))
		return inflame_inputopts_handle(c, arg, lo, cmd);
	inflame_cli_bad_option(c, cmd, argv);
	return -EINVAL;
}

/* The length of cmd without its ": " ending, for "(try inflame report --help)". */
static int cmd_len(const char *cmd)
{
	size_t n = strlen(cmd);

	while (n > 0 && (cmd[n - 1] == ' ' || cmd[n - 1] == ':'))
		n--;
	return (int)n;
}

void inflame_cli_bad_option(int c, const char *cmd, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";
	int is_long = arg && arg[0] == '-' && arg[1] == '-';
	char name[64];

	if (!is_long && optopt > 0 && optopt < 127 && optopt > ' ')
		snprintf(name, sizeof(name), "-%c", optopt);
	else
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="), arg);
	if (c == ':')
		fprintf(stderr, "%soption '%s' needs a value (try %.*s --help)\n", cmd, name,
			cmd_len(cmd), cmd);
	else if (is_long && optopt != 0 && strchr(arg, '='))
		fprintf(stderr, "%soption '%s' takes no value (try %.*s --help)\n", cmd, name,
			cmd_len(cmd), cmd);
	else
		fprintf(stderr, "%sunknown option '%s' (try %.*s --help)\n", cmd, name,
			cmd_len(cmd), cmd);
}

const char *inflame_cli_opt_name(char **argv, char *buf, size_t len)
{
	const char *a = optind > 0 ? argv[optind - 1] : "?";

	/* "--width -5": the value is its own word, the option the word before. */
	if (optarg && a == optarg && optind > 1)
		a = argv[optind - 2];
	if (a[0] == '-' && a[1] == '-')
		snprintf(buf, len, "%.*s", (int)strcspn(a, "="), a);
	else if (a[0] == '-' && a[1])
		snprintf(buf, len, "-%c",
			 optarg && optarg > a && optarg <= a + strlen(a) ? optarg[-1] : a[1]);
	else
		snprintf(buf, len, "%s", a);
	return buf;
}

void inflame_cli_bad_value(const char *cmd, const char *opt, const char *arg, const char *expects)
{
	fprintf(stderr, "%s%s %s: expects %s\n", cmd, opt, arg && *arg ? arg : "''", expects);
}

int inflame_inputopts_nonempty(const struct inflame_stackset *ss,
			       const struct inflame_load_opts *lo, enum inflame_view view_used,
			       const char *const *inputs, int n, const char *cmd)
{
	char where[300], what[64] = "";

	for (size_t i = 0; i < inflame_stackset_count(ss); i++) {
		const uint32_t *f;
		size_t nf;
		uint64_t count;

		inflame_stackset_get(ss, i, &f, &nf, &count);
		if (nf > 0 && (count > 0 ||
			       (inflame_stackset_is_diff(ss) && inflame_stackset_base(ss, i) > 0)))
			return 0;
	}
	if (n == 1)
		snprintf(where, sizeof(where), "%s",
			 strcmp(inputs[0], "-") ? inputs[0] : "standard input");
	else
		snprintf(where, sizeof(where), "the %d inputs", n);
	if (view_used != INFLAME_VIEW_DEFAULT_)
		snprintf(what, sizeof(what), "%s ", inflame_view_name(view_used));
	if (inflame_load_has_range(lo))
		fprintf(stderr, "%sno %ssamples in the time range asked for in %s\n", cmd, what,
			where);
	else if (lo->nlabels)
		fprintf(stderr, "%sno %ssamples labelled %s%s in %s\n", cmd, what, lo->labels[0],
			lo->nlabels > 1 ? " (and the other labels)" : "", where);
	else if (lo->ntids)
		fprintf(stderr, "%sno %ssamples of threads %ld,... in %s\n", cmd, what, lo->tids[0],
			where);
	else if (lo->only_tid)
		fprintf(stderr, "%sno %ssamples of thread %ld in %s\n", cmd, what, lo->only_tid,
			where);
	else if (lo->only_pid)
		fprintf(stderr, "%sno %ssamples of process %ld in %s\n", cmd, what, lo->only_pid,
			where);
	else
		fprintf(stderr, "%sno %ssamples in %s\n", cmd, what, where);
	return -ENODATA;
}

/* The modules already warned about as changed since the run ("path\0build-id\0" each): one
 * warning per module over all the inputs of a command. */
static char *stale_seen;
static size_t stale_len;

void inflame_inputopts_warn_stale(void *arg, const char *path, const char *build_id)
{
	const char *cmd = arg;
	size_t pl = strlen(path) + 1, bl = strlen(build_id) + 1;
	char *n;

	for (size_t i = 0; i < stale_len;) {
		size_t a = strlen(stale_seen + i) + 1, b = strlen(stale_seen + i + a) + 1;

		if (!strcmp(stale_seen + i, path) && !strcmp(stale_seen + i + a, build_id))
			return;
		i += a + b;
	}
	fprintf(stderr,
		"%s%s changed since it was profiled (build-id %s); its frames are shown as "
		"offsets\n",
		cmd, path, build_id);
	n = realloc(stale_seen, stale_len + pl + bl);
	if (!n)
		return;
	stale_seen = n;
	memcpy(stale_seen + stale_len, path, pl);
	memcpy(stale_seen + stale_len + pl, build_id, bl);
	stale_len += pl + bl;
}

void inflame_inputopts_warn_sys(const char *cmd, const char *input, double share, int shown)
{
	fprintf(stderr,
		"%swarning: %s: %.0f%% of the CPU time was spent in the kernel, and the clock "
		"fires in user code only: that time is %s the calls that spent it "
		"(INFLAME_CPU_KERNEL=1 samples it where it is spent, with privilege)\n",
		cmd, input, 100 * share,
		shown ? "shown as \"" INFLAME_KERNEL_FRAME_NAME "\" under each thread, not at"
		      : "charged to the code that ran next, not to");
}

int inflame_inputopts_load(const char *input, const struct inflame_load_opts *lo,
			   struct inflame_stackset *ss, struct inflame_load_stats *one,
			   const char *cmd)
{
	struct inflame_load_opts o = *lo;
	char err[512];
	int rc;

	memset(one, 0, sizeof(*one));
	if (!o.on_stale) {
		o.on_stale = inflame_inputopts_warn_stale;
		o.on_stale_arg = (void *)cmd;
	}
	rc = inflame_source_load(input, &o, ss, one, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s%s\n", cmd, err);
		return rc;
	}
	if (one->bad_lines)
		fprintf(stderr, "%swarning: %llu line%s of %s did not parse and %s skipped\n", cmd,
			(unsigned long long)one->bad_lines, one->bad_lines == 1 ? "" : "s", input,
			one->bad_lines == 1 ? "was" : "were");
	if (one->skipped)
		fprintf(stderr,
			"%snote: %llu sample%s of %s skipped (another event, or filtered out)\n",
			cmd, (unsigned long long)one->skipped, one->skipped == 1 ? "" : "s", input);
	if (one->torn_files)
		fprintf(stderr, "%swarning: %s is torn (%s); using what comes before\n", cmd, input,
			one->torn_why);
	if (one->low_coverage)
		fprintf(stderr,
			"%swarning: %s: threads sampled for less than 80%% of their CPU time: %s\n",
			cmd, input, one->low_coverage_names);
	if (one->misplaced_sys > 0)
		inflame_inputopts_warn_sys(cmd, input, one->misplaced_sys, one->kernel_shown);
	return 0;
}

/* The view every dump among inputs[0..n) is loaded in when none is asked for: the first of
 * cpu, wall and alloc with samples in any of them. INFLAME_VIEW_DEFAULT_ when no dump has any
 * (each then picks its own, which adds nothing). Standard input is not read here: it can be
 * read only once. */
static enum inflame_view common_view(const char *const *inputs, int n,
				     const struct inflame_load_opts *lo)
{
	unsigned events = 0;
	char err[256];

	for (int i = 0; i < n; i++) {
		struct inflame_dumpmeta m;

		if (!strcmp(inputs[i], "-") ||
		    inflame_dumpmeta_read(inputs[i], &m, err, sizeof(err)) != 1)
			continue;
		if (!lo->only_pid || m.pid == (uint64_t)lo->only_pid)
			events |= m.events;
	}
	if (events & 1u << INFLAME_EV_CPU)
		return INFLAME_VIEW_CPU;
	if (events & 1u << INFLAME_EV_WALL)
		return INFLAME_VIEW_WALL;
	if (events & 1u << INFLAME_EV_ALLOC)
		return INFLAME_VIEW_ALLOC;
	return INFLAME_VIEW_DEFAULT_;
}

int inflame_inputopts_chain(const char *const *inputs, int n, struct inflame_load_opts *lo,
			    const char *cmd)
{
	char err[512];
	int rc;

	lo->chain = NULL;
	if (n >= 2 && lo->view == INFLAME_VIEW_DEFAULT_)
		lo->view = common_view(inputs, n, lo);
	if (n < 2 || (lo->view != INFLAME_VIEW_LIVE && lo->view != INFLAME_VIEW_LIVE_COUNT &&
		      lo->view != INFLAME_VIEW_PEAK))
		return 0;
	rc = inflame_live_chain_new(inputs, (size_t)n, lo, &lo->chain, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "%s%s\n", cmd, err);
	return rc;
}
