/*
 * `inflame diff [options] BEFORE... -- AFTER...` (or --before/--after, repeated): compares two
 * profiles. Writes difffolded.pl's two-count folded stacks (the default), a red/blue SVG flame
 * graph (--svg), or a table of the functions whose share changed most (--table); before counts
 * are scaled to the after total unless --absolute. --fail-above PCT is the CI gate: the
 * functions (matching --function REGEX) whose self (or --total) share grew by more than PCT
 * percentage points are printed on standard error, one line each, and the exit status is 1.
 *
 * The first "--" separates the sides, so it is found before getopt_long runs (which would
 * otherwise drop it while permuting); options may come anywhere before it.
 */
#include "commands.h"
#include "input/images.h"
#include "input/inputopts.h"
#include "input/source.h"
#include "output/flamegraph.h"
#include "output/folded_write.h"
#include "output/outfile.h"
#include "view/diff.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "inflame diff: "

static void usage(FILE *f)
{
	fputs("usage: inflame diff [options] BEFORE... -- AFTER...\n"
	      "       inflame diff [options] BEFORE AFTER\n"
	      "       inflame diff [options] --before IN... --after IN...\n"
	      "\n"
	      "Each side is one or more inflame dumps, folded stacks or perf script texts,\n"
	      "added up. Writes folded stacks with two counts (before, after) as difffolded.pl\n"
	      "does, the before counts scaled to the after total unless --absolute.\n"
	      "\n" INFLAME_INPUT_USAGE
	      "  --before IN, --after IN  an input of that side (repeatable)\n"
	      "  --svg             a red (growth) / blue (reduction) SVG flame graph instead\n"
	      "  --table           a table of the functions whose share changed most instead\n"
	      "  -n, --top N       rows of the table (default 20, 0 = all)\n"
	      "  --absolute        compare amounts, not shares (no scaling of the before side)\n"
	      "  -o, --output FILE write here instead of standard output\n"
	      "  --fail-above PCT  exit 1 when a function's share grew by more than PCT\n"
	      "                    percentage points (the regressions go to standard error)\n"
	      "  --function REGEX  only functions matching REGEX (POSIX extended) count\n"
	      "  --self, --total   the share --fail-above watches (default --self)\n",
	      f);
}

enum {
	OPT_FIRST_ = 256,
	OPT_BEFORE,
	OPT_AFTER,
	OPT_SVG,
	OPT_TABLE,
	OPT_ABSOLUTE,
	OPT_FAIL,
	OPT_FUNCTION,
	OPT_SELF,
	OPT_TOTAL,
	OPT_HELP,
};

static const struct option longopts[] = {
    INFLAME_INPUT_LONGOPTS,
    {"before", required_argument, NULL, OPT_BEFORE},
    {"after", required_argument, NULL, OPT_AFTER},
    {"svg", no_argument, NULL, OPT_SVG},
    {"table", no_argument, NULL, OPT_TABLE},
    {"top", required_argument, NULL, 'n'},
    {"absolute", no_argument, NULL, OPT_ABSOLUTE},
    {"output", required_argument, NULL, 'o'},
    {"fail-above", required_argument, NULL, OPT_FAIL},
    {"function", required_argument, NULL, OPT_FUNCTION},
    {"self", no_argument, NULL, OPT_SELF},
    {"total", no_argument, NULL, OPT_TOTAL},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

struct side {
	const char **in;
	int n;
	struct inflame_stackset *ss;
	enum inflame_view view;
};

/* Adds an input to a side: each image of a shared file (input/images.h). */
static int side_push(struct side *s, const char *path)
{
	char **v;
	int n;
	const char **ni;

	if (inflame_inputs_expand(&path, 1, CMD, &v, &n) < 0)
		return -ENOMEM;
	ni = realloc(s->in, ((size_t)s->n + (size_t)n) * sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	s->in = ni;
	for (int i = 0; i < n; i++)
		s->in[s->n++] = v[i];
	return 0;
}

static int side_load(struct side *s, struct inflame_load_opts *lo, const char *what)
{
	struct inflame_load_opts o = *lo;
	int rc = -ENOMEM;

	s->ss = inflame_stackset_new();
	if (!s->ss) {
		fprintf(stderr, CMD "out of memory\n");
		return -ENOMEM;
	}
	o.chain = NULL;
	if (inflame_inputopts_chain(s->in, s->n, &o, CMD) < 0)
		return -EINVAL;
	for (int i = 0; i < s->n; i++) {
		struct inflame_load_stats one;

		rc = inflame_inputopts_load(s->in[i], &o, s->ss, &one, CMD);
		if (rc < 0)
			goto out;
		if (i && one.view_used != s->view) {
			fprintf(stderr,
				CMD "%s: its event (%s) differs from the %s side's (%s); pass "
				    "--event\n",
				s->in[i], inflame_view_name(one.view_used), what,
				inflame_view_name(s->view));
			rc = -EINVAL;
			goto out;
		}
		s->view = one.view_used;
	}
	rc = inflame_inputopts_nonempty(s->ss, &o, s->view, s->in, s->n, CMD);
out:
	inflame_live_chain_free(o.chain);
	return rc;
}

/* Prints a name with control characters escaped. */
static void put_name(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
}

static double share(uint64_t v, uint64_t total)
{
	return total ? 100.0 * (double)v / (double)total : 0;
}

static void print_table(FILE *f, const struct inflame_stackset *d,
			const struct inflame_diff_row *rows, size_t n, unsigned long top,
			enum inflame_view view)
{
	uint64_t tb = inflame_stackset_base_total(d), ta = inflame_stackset_total(d);

	fprintf(f, "# %s: before %llu, after %llu (%+.2f%%); changes in percentage points\n",
		view == INFLAME_VIEW_DEFAULT_ ? "samples" : inflame_view_name(view),
		(unsigned long long)tb, (unsigned long long)ta,
		tb ? 100.0 * ((double)ta - (double)tb) / (double)tb : 0);
	fprintf(f, "%8s %8s %8s  %8s %8s %8s  %s\n", "self pp", "before", "after", "total pp",
		"before", "after", "function");
	for (size_t i = 0; i < n && (!top || i < top); i++) {
		const struct inflame_diff_row *r = &rows[i];

		fprintf(f, "%+8.2f %7.2f%% %7.2f%%  %+8.2f %7.2f%% %7.2f%%  ", r->dself,
			share(r->self_b, tb), share(r->self_a, ta), r->dtotal,
			share(r->total_b, tb), share(r->total_a, ta));
		put_name(f, inflame_stackset_name(d, r->id, NULL));
		fputc('\n', f);
	}
}

int inflame_cmd_diff(int argc, char **argv)
{
	struct inflame_load_opts lo = {.view = INFLAME_VIEW_DEFAULT_};
	struct side sb = {0}, sa = {0};
	struct inflame_stackset *d = NULL, *norm = NULL;
	struct inflame_diff_row *rows = NULL;
	struct inflame_outfile of = {0};
	struct inflame_fg_opts fo;
	const char *output = NULL, *fn_re = NULL;
	int c, rc = 1, svg = 0, table = 0, absolute = 0, use_total = 0, sep = -1, optc, has_re = 0;
	double fail_above = -1;
	unsigned long top = 20;
	size_t nrows = 0;
	regex_t re;
	char err[512], oname[64], *end;

	/* The sides' separator: the first "--". */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			sep = i;
			break;
		}
	optc = sep >= 0 ? sep : argc;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(optc, argv, ":o:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_BEFORE:
		case OPT_AFTER:
			if (side_push(c == OPT_BEFORE ? &sb : &sa, optarg) < 0) {
				fprintf(stderr, CMD "out of memory\n");
				goto out;
			}
			break;
		case OPT_SVG:
			svg = 1;
			break;
		case OPT_TABLE:
			table = 1;
			break;
		case OPT_ABSOLUTE:
			absolute = 1;
			break;
		case 'o':
			output = optarg;
			break;
		case 'n':
			errno = 0;
			top = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-') {
				inflame_cli_bad_value(
				    CMD, inflame_cli_opt_name(argv, oname, sizeof(oname)), optarg,
				    "a number of rows (0 for all)");
				rc = 2;
				goto out;
			}
			break;
		case OPT_FAIL:
			errno = 0;
			fail_above = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(fail_above >= 0) ||
			    fail_above > 100) {
				inflame_cli_bad_value(CMD, "--fail-above", optarg,
						      "percentage points between 0 and 100");
				rc = 2;
				goto out;
			}
			break;
		case OPT_FUNCTION:
			fn_re = optarg;
			break;
		case OPT_SELF:
			use_total = 0;
			break;
		case OPT_TOTAL:
			use_total = 1;
			break;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			if (inflame_inputopts_other(c, optarg, &lo, CMD, argv) < 0) {
				rc = 2;
				goto out;
			}
			break;
		}
	}
	if (svg && table) {
		fprintf(stderr, CMD "--svg and --table: choose one\n");
		rc = 2;
		goto out;
	}
	if (fn_re) {
		int e = regcomp(&re, fn_re, REG_EXTENDED | REG_NOSUB);

		if (e) {
			regerror(e, &re, err, sizeof(err));
			fprintf(stderr, CMD "--function '%s': %s\n", fn_re, err);
			rc = 2;
			goto out;
		}
		has_re = 1;
	}
	/* The inputs: before the separator, the before side (plus --before); after it, the after
	 * side (plus --after). Without a separator nor --before/--after: exactly two. */
	if (sep < 0 && !sa.n && !sb.n && optc - optind > 2) {
		fprintf(stderr, CMD "more than two inputs: separate the sides with --\n");
		rc = 2;
		goto out;
	}
	for (int i = optind; i < optc; i++) {
		struct side *s = &sb;

		if (sep < 0 && !sa.n && (sb.n || (optc - optind == 2 && i == optc - 1)))
			s = &sa; /* BEFORE AFTER, or --before given: the rest is after */
		if (side_push(s, argv[i]) < 0)
			goto oom;
	}
	if (sep >= 0)
		for (int i = sep + 1; i < argc; i++)
			if (side_push(&sa, argv[i]) < 0)
				goto oom;
	if (!sb.n || !sa.n) {
		fprintf(stderr, CMD "needs a before and an after profile (usage: inflame diff "
				    "[options] BEFORE... -- AFTER...)\n");
		rc = 2;
		goto out;
	}
	sb.view = sa.view = INFLAME_VIEW_DEFAULT_;
	if (side_load(&sb, &lo, "before") < 0 || side_load(&sa, &lo, "after") < 0)
		goto out;
	if (sb.view != sa.view && lo.view == INFLAME_VIEW_DEFAULT_) {
		fprintf(stderr,
			CMD "the before side's event (%s) is not the after side's (%s); pass "
			    "--event\n",
			inflame_view_name(sb.view), inflame_view_name(sa.view));
		goto out;
	}
	d = inflame_stackset_new();
	if (!d || inflame_diff_add(d, sb.ss, 1) < 0 || inflame_diff_add(d, sa.ss, 0) < 0 ||
	    inflame_diff_rows(d, &rows, &nrows) < 0)
		goto oom;

	if (inflame_outfile_open(&of, output, err, sizeof(err)) < 0) {
		fprintf(stderr, CMD "%s\n", err);
		goto out;
	}
	if (table) {
		print_table(of.f, d, rows, nrows, top, sa.view);
	} else {
		struct inflame_stackset *w = d;

		if (!absolute) {
			norm = inflame_diff_normalized(d);
			if (!norm)
				goto oom;
			w = norm;
		}
		inflame_stackset_sort(w);
		if (svg) {
			inflame_flamegraph_defaults(&fo);
			fo.title = "Differential Flame Graph";
			fo.subtitle = absolute ? "red: grew, blue: shrank (amounts)"
					       : "red: grew, blue: shrank (before scaled to the "
						 "after total)";
			c = inflame_flamegraph_write(w, &fo, of.f, err, sizeof(err));
		} else {
			c = inflame_folded_write(of.f, w);
			snprintf(err, sizeof(err), "%s", c == -ENOMEM ? "out of memory" : "");
		}
		if (c < 0) {
			if (ferror(of.f))
				fprintf(stderr, CMD "cannot write %s: %s\n",
					output && strcmp(output, "-") ? output : "standard output",
					strerror(errno));
			else
				fprintf(stderr, CMD "%s\n", err);
			goto out;
		}
	}
	if (inflame_outfile_commit(&of, err, sizeof(err)) < 0) {
		fprintf(stderr, CMD "%s\n", err);
		goto out;
	}
	rc = 0;
	if (fail_above >= 0) {
		uint64_t tb = inflame_stackset_base_total(d), ta = inflame_stackset_total(d);
		int bad = 0;

		for (size_t i = 0; i < nrows; i++) {
			const struct inflame_diff_row *r = &rows[i];
			const char *name = inflame_stackset_name(d, r->id, NULL);
			double delta = use_total ? r->dtotal : r->dself;

			if (!(delta > fail_above) || (has_re && regexec(&re, name, 0, NULL, 0)))
				continue;
			fprintf(stderr, "inflame diff: REGRESSION: ");
			put_name(stderr, name);
			fprintf(stderr, ": %s share %.2f%% -> %.2f%% (%+.2f pp, limit %.2f pp)\n",
				use_total ? "total" : "self",
				share(use_total ? r->total_b : r->self_b, tb),
				share(use_total ? r->total_a : r->self_a, ta), delta, fail_above);
			bad++;
		}
		if (bad) {
			fprintf(stderr,
				"inflame diff: %d function%s grew by more than %.2f percentage "
				"points of %s share\n",
				bad, bad == 1 ? "" : "s", fail_above, use_total ? "total" : "self");
			rc = 1;
		} else {
			fprintf(stderr,
				"inflame diff: ok: no %sfunction's %s share grew by more than %.2f "
				"percentage points\n",
				has_re ? "matching " : "", use_total ? "total" : "self",
				fail_above);
		}
	}
	goto out;
oom:
	fprintf(stderr, CMD "out of memory\n");
	rc = 1;
out:
	inflame_outfile_abort(&of);
	if (has_re)
		regfree(&re);
	free(rows);
	inflame_stackset_free(norm);
	inflame_stackset_free(d);
	inflame_stackset_free(sb.ss);
	inflame_stackset_free(sa.ss);
	free(sb.in);
	free(sa.in);
	return rc;
}
