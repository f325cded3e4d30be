/*
 * `inflame report [--event E] [--top N] [--threads] INPUT...`: a text table of functions by
 * self and total share.
 *
 * All inputs are loaded into one stack set through inflame_source_load(), so dumps, folded
 * stacks and perf script text mix freely. Then one pass over the distinct stacks fills two
 * counters per frame name: self (the stacks whose leaf it is) and total (the stacks it appears
 * in, counted once per stack even when it recurses; a per-name "last stack seen" mark makes
 * this O(frames)). Names are then sorted by self, total, and name, and the first N printed.
 * Nothing is printed before every input has loaded, so a bad input leaves no partial table.
 */
#include "commands.h"
#include "input/images.h"
#include "input/inputopts.h"
#include "input/source.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct row {
	uint32_t id;
	uint64_t self, total;
};

static const struct inflame_stackset *sort_ss;

static int row_cmp(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;

	if (a->self != b->self)
		return a->self < b->self ? 1 : -1;
	if (a->total != b->total)
		return a->total < b->total ? 1 : -1;
	return strcmp(inflame_stackset_name(sort_ss, a->id, NULL),
		      inflame_stackset_name(sort_ss, b->id, NULL));
}

static void usage(FILE *f)
{
	fputs("usage: inflame report [options] INPUT...\n"
	      "\n"
	      "INPUT is an inflame dump, folded stacks or perf script text (detected); several\n"
	      "inputs are added up. Without --event: the first of cpu, wall, alloc in any input.\n"
	      "\n" INFLAME_INPUT_USAGE
	      "  -n, --top N       print the N first functions (default 40, 0 = all)\n",
	      f);
}

/* Formats a count, as bytes with binary units for memory views. */
static void fmt_amount(char *buf, size_t len, uint64_t v, int bytes)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double d = (double)v;
	int u = 0;

	if (!bytes) {
		snprintf(buf, len, "%" PRIu64, v);
		return;
	}
	while (d >= 1024 && u < 6) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", v);
	else
		snprintf(buf, len, "%.1f %s", d, units[u]);
}

/* Prints a frame name with control characters escaped. */
static void put_name(const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	putchar('\n');
}

static int print_table(const struct inflame_stackset *ss, const struct inflame_load_stats *st,
		       unsigned long top)
{
	size_t nnames = inflame_stackset_nframes_total(ss), nrows = 0;
	size_t nstacks = inflame_stackset_count(ss);
	uint64_t grand = inflame_stackset_total(ss);
	struct row *rows = calloc(nnames ? nnames : 1, sizeof(*rows));
	size_t *mark = calloc(nnames ? nnames : 1, sizeof(*mark));
	char a[32], b[32];

	if (!rows || !mark) {
		free(rows);
		free(mark);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nnames; i++)
		rows[i].id = (uint32_t)i;
	for (size_t i = 0; i < nstacks; i++) {
		const uint32_t *f;
		size_t n;
		uint64_t count;

		inflame_stackset_get(ss, i, &f, &n, &count);
		if (!n)
			continue;
		rows[f[n - 1]].self += count;
		for (size_t k = 0; k < n; k++) {
			if (mark[f[k]] == i + 1)
				continue;
			mark[f[k]] = i + 1;
			rows[f[k]].total += count;
		}
	}
	for (size_t i = 0; i < nnames; i++)
		if (rows[i].total)
			rows[nrows++] = rows[i];
	sort_ss = ss;
	qsort(rows, nrows, sizeof(*rows), row_cmp);
	fmt_amount(a, sizeof(a), grand, st->is_memory);
	printf("# %s: %s in %zu stacks, %zu functions\n", inflame_view_name(st->view_used), a,
	       nstacks, nrows);
	printf("%7s %12s %7s %12s  %s\n", "self%", "self", "total%", "total", "function");
	for (size_t i = 0; i < nrows && (!top || i < top); i++) {
		double ds = grand ? 100.0 * (double)rows[i].self / (double)grand : 0;
		double dt = grand ? 100.0 * (double)rows[i].total / (double)grand : 0;

		fmt_amount(a, sizeof(a), rows[i].self, st->is_memory);
		fmt_amount(b, sizeof(b), rows[i].total, st->is_memory);
		printf("%6.2f%% %12s %6.2f%% %12s  ", ds, a, dt, b);
		put_name(inflame_stackset_name(ss, rows[i].id, NULL));
	}
	free(rows);
	free(mark);
	return 0;
}

int inflame_cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
	    INFLAME_INPUT_LONGOPTS,
	    {"top", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct inflame_load_opts o;
	struct inflame_load_stats st;
	struct inflame_stackset *ss = NULL;
	unsigned long top = 40;
	char err[256], *end;
	int ch, status = 0;

	memset(&o, 0, sizeof(o));
	o.on_stale = inflame_inputopts_warn_stale;
	o.on_stale_arg = (void *)"inflame report: ";
	memset(&st, 0, sizeof(st));
	o.view = INFLAME_VIEW_DEFAULT_;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":e:n:th", opts, NULL)) != -1) {
		switch (ch) {
		case 'e':
		case 't':
			ch = ch == 'e' ? INFLAME_INOPT_EVENT : INFLAME_INOPT_THREADS;
			if (inflame_inputopts_handle(ch, optarg, &o, "inflame report: ") < 0)
				return 2;
			break;
		case 'n':
			errno = 0;
			top = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-') {
				char oname[16];

				inflame_cli_bad_value(
				    "inflame report: ",
				    inflame_cli_opt_name(argv, oname, sizeof(oname)), optarg,
				    "a number of functions (0 for all)");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (inflame_inputopts_other(ch, optarg, &o, "inflame report: ", argv) < 0)
				return 2;
			break;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "inflame report: no input given (usage: inflame report [options] "
				"INPUT...)\n");
		return 2;
	}
	if (inflame_inputs_expand_argv(&argc, &argv, optind, "inflame report: ") < 0)
		return 1;
	ss = inflame_stackset_new();
	if (!ss) {
		fprintf(stderr, "inflame report: out of memory\n");
		return 1;
	}
	if (inflame_inputopts_chain((const char *const *)argv + optind, argc - optind, &o,
				    "inflame report: ") < 0) {
		status = 1;
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		struct inflame_load_stats one;

		memset(&one, 0, sizeof(one));
		err[0] = '\0';
		if (inflame_source_load(argv[i], &o, ss, &one, err, sizeof(err)) < 0) {
			fprintf(stderr, "inflame report: %s\n", err);
			status = 1;
			goto out;
		}
		if (one.torn_files)
			fprintf(
			    stderr,
			    "inflame report: warning: %s is torn (%s); using what comes before\n",
			    argv[i], one.torn_why);
		if (one.missing_stacks)
			fprintf(stderr,
				"inflame report: warning: %s: %" PRIu64
				" samples refer to stacks the dump does not hold\n",
				argv[i], one.missing_stacks);
		if (one.bad_lines)
			fprintf(stderr, "inflame report: warning: %s: %" PRIu64 " lines ignored\n",
				argv[i], one.bad_lines);
		if (one.damaged_chunks)
			fprintf(stderr,
				"inflame report: warning: %s: %" PRIu64 " damaged chunks ignored\n",
				argv[i], one.damaged_chunks);
		if (one.dropped)
			fprintf(stderr,
				"inflame report: warning: %s: the profiler lost %" PRIu64
				" samples\n",
				argv[i], one.dropped);
		if (one.low_coverage)
			fprintf(
			    stderr,
			    "inflame report: warning: %s: threads sampled for less than 80%% of "
			    "their CPU time: %s\n",
			    argv[i], one.low_coverage_names);
		if (one.misplaced_sys > 0)
			inflame_inputopts_warn_sys("inflame report: ", argv[i], one.misplaced_sys,
						   one.kernel_shown);
		if (i > optind && one.is_memory != st.is_memory) {
			fprintf(stderr,
				"inflame report: %s: its event (%s) cannot be added to the "
				"first input's (%s); pass --event\n",
				argv[i], inflame_view_name(one.view_used),
				inflame_view_name(st.view_used));
			status = 1;
			goto out;
		}
		st.view_used = one.view_used;
		st.is_memory = one.is_memory;
		st.samples += one.samples;
	}
	if (inflame_inputopts_nonempty(ss, &o, st.view_used, (const char *const *)argv + optind,
				       argc - optind, "inflame report: ") < 0) {
		status = 1;
		goto out;
	}
	if (!inflame_stackset_total(ss)) {
		fprintf(stderr, "inflame report: the second counts of the differential input are "
				"all 0\n");
		status = 1;
		goto out;
	}
	if (print_table(ss, &st, top) < 0) {
		fprintf(stderr, "inflame report: out of memory\n");
		status = 1;
		goto out;
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "inflame report: cannot write output\n");
		status = 1;
	}
out:
	inflame_live_chain_free(o.chain);
	inflame_stackset_free(ss);
	return status;
}
