/*
 * `inflame collapse`: reads profiles (dumps, folded stacks, perf script text; several inputs
 * are merged) and writes folded stacks, the portable subset every flame graph tool reads:
 * frames root first separated by ';', one space, an integer count, '\n'. Stacks are sorted
 * by name as stackcollapse-perf.pl sorts them (--keep-order keeps first-seen order). ';' in a
 * frame name becomes ':', line breaks become spaces and other control characters '?', so every
 * line parses back and a hostile name cannot drive a terminal. When the input had differential
 * lines ("stack base count", as difffolded.pl writes), every line is written with both counts,
 * so that the difference survives the trip.
 */
#include "commands.h"
#include "outfile.h"
#include "inputopts.h"
#include "source.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "inflame collapse: "

static void usage(FILE *f)
{
	fputs("usage: inflame collapse [options] [INPUT...] > out.folded\n"
	      "\n"
	      "INPUT is an inflame dump, folded stacks or perf script text (detected); \"-\" or\n"
	      "no input reads standard input. Several inputs are merged.\n"
	      "\n" INFLAME_INPUT_USAGE
	      "  --keep-order      first-seen order instead of sorting by name\n"
	      "  -o, --output FILE write here instead of standard output\n",
	      f);
}

enum {
	OPT_FIRST_ = 256,
	OPT_KEEP,
	OPT_HELP,
};

static const struct option longopts[] = {
    INFLAME_INPUT_LONGOPTS,
    {"keep-order", no_argument, NULL, OPT_KEEP},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* A small buffered writer: much faster than stdio for millions of short names. */
struct wbuf {
	FILE *f;
	char buf[1 << 16];
	size_t len;
	int failed;
};

static void wflush(struct wbuf *w)
{
	if (w->len && fwrite(w->buf, 1, w->len, w->f) != w->len)
		w->failed = 1;
	w->len = 0;
}

static void wput(struct wbuf *w, const char *s, size_t n)
{
	while (n > 0) {
		size_t k = sizeof(w->buf) - w->len;

		if (k == 0) {
			wflush(w);
			continue;
		}
		if (k > n)
			k = n;
		memcpy(w->buf + w->len, s, k);
		w->len += k;
		s += k;
		n -= k;
	}
}

/* Does a frame name hold a character wname() replaces? */
static int needs_clean(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == ';' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* Writes a frame name with the characters that would break the format replaced. */
static void wname(struct wbuf *w, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		char r;

		if (s[i] == ';')
			r = ':';
		else if (s[i] == '\n' || s[i] == '\r')
			r = ' ';
		else if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			r = '?';
		else
			continue;
		wput(w, s + start, i - start);
		wput(w, &r, 1);
		start = i + 1;
	}
	wput(w, s + start, n - start);
}

int inflame_cmd_collapse(int argc, char **argv)
{
	struct inflame_load_opts lo = {.view = INFLAME_VIEW_DEFAULT_};
	struct inflame_stackset *ss = NULL;
	struct inflame_outfile of = {0};
	struct wbuf *w = NULL;
	unsigned char *clean = NULL; /* by frame id: 0 unknown, 1 clean, 2 needs replacing */
	const char *output = NULL, *stdin_only[] = {"-"};
	const char *const *inputs;
	int ninputs, c, rc = 1, keep = 0, diff;
	enum inflame_view view_used = INFLAME_VIEW_DEFAULT_;
	char err[512];

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_KEEP:
			keep = 1;
			break;
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
	inputs = optind < argc ? (const char *const *)argv + optind : stdin_only;
	ninputs = optind < argc ? argc - optind : 1;

	ss = inflame_stackset_new();
	w = malloc(sizeof(*w));
	if (!ss || !w) {
		fprintf(stderr, CMD "out of memory\n");
		goto out;
	}
	if (inflame_inputopts_chain(inputs, ninputs, &lo, CMD) < 0)
		goto out;
	for (int i = 0; i < ninputs; i++) {
		struct inflame_load_stats one;

		if (inflame_inputopts_load(inputs[i], &lo, ss, &one, CMD) < 0)
			goto out;
		view_used = one.view_used;
	}
	if (inflame_inputopts_nonempty(ss, &lo, view_used, inputs, ninputs, CMD) < 0)
		goto out;
	if (!keep)
		inflame_stackset_sort(ss);
	if (inflame_outfile_open(&of, output, err, sizeof(err)) < 0) {
		fprintf(stderr, CMD "%s\n", err);
		goto out;
	}
	clean = calloc(inflame_stackset_nframes_total(ss) + 1, 1);
	if (!clean) {
		fprintf(stderr, CMD "out of memory\n");
		goto out;
	}
	w->f = of.f;
	w->len = 0;
	w->failed = 0;
	diff = inflame_stackset_is_diff(ss);
	for (size_t i = 0; i < inflame_stackset_count(ss); i++) {
		const uint32_t *f;
		size_t n, len;
		uint64_t count, base;
		char num[48];

		inflame_stackset_get(ss, i, &f, &n, &count);
		base = diff ? inflame_stackset_base(ss, i) : 0;
		if (n == 0 || (count == 0 && base == 0))
			continue;
		for (size_t k = 0; k < n; k++) {
			const char *nm = inflame_stackset_name(ss, f[k], &len);

			if (k)
				wput(w, ";", 1);
			/* Names are checked for characters to replace once, on first use. */
			if (!clean[f[k]])
				clean[f[k]] = needs_clean(nm, len) ? 2 : 1;
			if (clean[f[k]] == 1)
				wput(w, nm, len);
			else
				wname(w, nm, len);
		}
		/* The count (after the baseline count, for differential sets), formatted
		 * backwards into the end of num. */
		len = 0;
		num[sizeof(num) - 1] = '\n';
		do {
			num[sizeof(num) - 2 - len++] = (char)('0' + count % 10);
			count /= 10;
		} while (count);
		num[sizeof(num) - 2 - len++] = ' ';
		if (diff) {
			do {
				num[sizeof(num) - 2 - len++] = (char)('0' + base % 10);
				base /= 10;
			} while (base);
			num[sizeof(num) - 2 - len++] = ' ';
		}
		wput(w, num + sizeof(num) - 1 - len, len + 1);
	}
	wflush(w);
	if (w->failed) {
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
	inflame_live_chain_free(lo.chain);
	inflame_stackset_free(ss);
	free(w);
	free(clean);
	return rc;
}
