/*
 * Unit tests for tools/output/flamegraph.c: the layout (widths, merging, pruning, inverted, reverse,
 * flame charts, differential deltas) and golden tests of the SVG, one per option family. The
 * golden files in tests/data/golden/ list the frame rectangles ("name x y width height fill")
 * of the SVG made from tests/data/golden/input.folded (diff.folded for differential graphs)
 * with that family's options; INFLAME_GOLDEN_UPDATE=1 rewrites them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "output/flamegraph.h"
#include "input/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Loads folded text into a new set, ordered for flame charts as `inflame flamegraph` does. */
static struct inflame_stackset *folded(const char *text, int ordered)
{
	struct inflame_load_opts o = {0};
	struct inflame_load_stats st = {0};
	struct inflame_stackset *ss =
	    ordered ? inflame_stackset_new_ordered() : inflame_stackset_new();
	char err[128];

	assert_non_null(ss);
	assert_int_equal(inflame_folded_load(text, strlen(text), &o, ss, &st, err, sizeof(err)), 0);
	assert_int_equal(st.bad_lines, 0);
	return ss;
}

/* The layout as "depth:name:start-end" items joined by spaces, with ":delta" after each
 * frame of a differential layout. */
static char *layout_str(const char *text, const struct inflame_fg_opts *o)
{
	struct inflame_stackset *ss = folded(text, o->flamechart);
	struct inflame_fg_layout lay;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);

	assert_non_null(buf);
	buf[0] = 0;
	assert_int_equal(inflame_flamegraph_layout(ss, o, &lay), 0);
	for (size_t i = 0; i < lay.n; i++) {
		const struct inflame_fg_frame *f = &lay.frames[i];

		n += (size_t)snprintf(
		    buf + n, cap - n, "%s%u:%s:%llu-%llu", i ? " " : "", f->depth,
		    f->name == UINT32_MAX ? "all" : inflame_stackset_name(lay.names, f->name, NULL),
		    (unsigned long long)f->start, (unsigned long long)f->end);
		if (lay.diff)
			n += (size_t)snprintf(buf + n, cap - n, ":%+lld", (long long)f->delta);
	}
	inflame_flamegraph_layout_free(&lay);
	inflame_stackset_free(ss);
	return buf;
}

static const char *input = "main;b;x 2\n"
			   "main;a 3\n"
			   "main;b 1\n"
			   "main;a;y 4\n"
			   "other 1\n";

static void test_merge_sort(void **state)
{
	struct inflame_fg_opts o;
	char *s;

	(void)state;
	inflame_flamegraph_defaults(&o);
	s = layout_str(input, &o);
	/* Sorted: main;a (3), main;a;y (4), main;b (1), main;b;x (2), other (1). */
	assert_string_equal(s, "0:all:0-11 1:main:0-10 1:other:10-11 2:a:0-7 2:b:7-10 "
			       "3:y:3-7 3:x:8-10");
	free(s);
}

static void test_flamechart(void **state)
{
	struct inflame_fg_opts o;
	char *s;

	(void)state;
	inflame_flamegraph_defaults(&o);
	o.flamechart = 1;
	/* Input order; only adjacent identical stacks merge, and adjacent equal prefixes. */
	s = layout_str("m;b 1\nm;a 1\nm;a;z 1\nm;b;y 1\nm;a 1\n", &o);
	assert_string_equal(s, "0:all:0-5 1:m:0-5 2:b:0-1 2:a:1-3 2:b:3-4 2:a:4-5 3:z:2-3 3:y:3-4");
	free(s);
	/* A stack seen again later is a new box; a repeated one merges with the one before. */
	s = layout_str("a;b 1\na;c 1\na;b 1\n", &o);
	assert_string_equal(s, "0:all:0-3 1:a:0-3 2:b:0-1 2:c:1-2 2:b:2-3");
	free(s);
	s = layout_str("a;b 1\na;b 1\na;c 1\n", &o);
	assert_string_equal(s, "0:all:0-3 1:a:0-3 2:b:0-2 2:c:2-3");
	free(s);
	/* Without --flamechart, the same input merges by name. */
	o.flamechart = 0;
	s = layout_str("a;b 1\na;c 1\na;b 1\n", &o);
	assert_string_equal(s, "0:all:0-3 1:a:0-3 2:b:0-2 2:c:2-3");
	free(s);
}

/* Differential layouts: widths from the second counts, each frame's delta the sum of the
 * deltas of the stacks ending there, vanished stacks (second count 0) still give theirs, and
 * the largest |delta| is kept even when its frame is pruned. */
static void test_diff_layout(void **state)
{
	struct inflame_fg_opts o;
	struct inflame_stackset *ss;
	struct inflame_fg_layout lay;
	char *s;

	(void)state;
	inflame_flamegraph_defaults(&o);
	s = layout_str("m;a 2 5\nm;a;x 4 1\nm;b 3 3\nm;a;gone 6 0\nm 1 2\n", &o);
	/* Sorted: m (+1), m;a (+3), m;a;gone (-6, no width), m;a;x (-3), m;b (0). */
	assert_string_equal(s, "0:all:0-11:+0 1:m:0-11:+1 2:a:2-8:+3 2:b:8-11:+0 3:x:7-8:-3");
	free(s);
	ss = folded("m;a 2 5\nm;a;x 4 1\nm;a;gone 6 0\n", 0);
	assert_int_equal(inflame_flamegraph_layout(ss, &o, &lay), 0);
	assert_int_equal(lay.diff, 1);
	assert_int_equal(lay.maxdelta, 6);
	assert_int_equal(lay.total, 6);
	inflame_flamegraph_layout_free(&lay);
	inflame_stackset_free(ss);
	/* A stack that ends at a frame a longer stack opened still counts (flame charts). */
	o.flamechart = 1;
	s = layout_str("m;a;x 1 2\nm;a 1 4\nm;b 2 2\n", &o);
	assert_string_equal(s, "0:all:0-8:+0 1:m:0-8:+0 2:a:0-6:+3 2:b:6-8:+0 3:x:0-2:+1");
	free(s);
	/* --reverse keeps the baselines: the delta goes to the new leaf (the old root). */
	o.flamechart = 0;
	o.reverse = 1;
	s = layout_str("m;a 1 3\nm;b 2 1\n", &o);
	assert_string_equal(s, "0:all:0-4:+0 1:a:0-3:+0 1:b:3-4:+0 2:m:0-3:+2 2:m:3-4:-1");
	free(s);
	/* Single-count input has no deltas. */
	o.reverse = 0;
	ss = folded("m;a 1\n", 0);
	assert_int_equal(inflame_flamegraph_layout(ss, &o, &lay), 0);
	assert_int_equal(lay.diff, 0);
	assert_int_equal(lay.frames[1].delta, 0);
	inflame_flamegraph_layout_free(&lay);
	inflame_stackset_free(ss);
}

static void test_reverse(void **state)
{
	struct inflame_fg_opts o;
	char *s;

	(void)state;
	inflame_flamegraph_defaults(&o);
	o.reverse = 1;
	s = layout_str("m;a;leaf 2\nm;b;leaf 3\nm;c 1\n", &o);
	assert_string_equal(s, "0:all:0-6 1:c:0-1 1:leaf:1-6 2:m:0-1 2:a:1-3 2:b:3-6 "
			       "3:m:1-3 3:m:3-6");
	free(s);
}

static void test_prune(void **state)
{
	struct inflame_fg_opts o;
	char *s;
	char text[64 * 1024];
	size_t n = 0;

	(void)state;
	inflame_flamegraph_defaults(&o);
	/* 1180 usable pixels; 10000 samples: 1 sample = 0.118 px; minwidth 0.2 px prunes frames
	 * of one sample but keeps frames of two. */
	n += (size_t)snprintf(text + n, sizeof(text) - n, "m;big 9997\nm;one 1\nm;two 2\n");
	o.minwidth = 0.2;
	s = layout_str(text, &o);
	assert_string_equal(s, "0:all:0-10000 1:m:0-10000 2:big:0-9997 2:two:9998-10000");
	free(s);
	/* As a percentage: 0.015% of 10000 = 1.5 samples. */
	o.minwidth = 0.015;
	o.minwidth_percent = 1;
	s = layout_str(text, &o);
	assert_string_equal(s, "0:all:0-10000 1:m:0-10000 2:big:0-9997 2:two:9998-10000");
	free(s);
	o.minwidth = 0;
	o.minwidth_percent = 0;
	s = layout_str(text, &o);
	assert_string_equal(s, "0:all:0-10000 1:m:0-10000 2:big:0-9997 2:one:9997-9998 "
			       "2:two:9998-10000");
	free(s);
}

/* Zero counts and empty stacks give no frames; an empty set has no layout. */
static void test_degenerate(void **state)
{
	struct inflame_fg_opts o;
	char *s;

	(void)state;
	inflame_flamegraph_defaults(&o);
	s = layout_str("a 0\n", &o);
	assert_string_equal(s, "");
	free(s);
	s = layout_str("", &o);
	assert_string_equal(s, "");
	free(s);
}

/* ---- SVG golden tests ---- */

static char *render(const char *text, const struct inflame_fg_opts *o, int expect_rc)
{
	struct inflame_stackset *ss = folded(text, o->flamechart);
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(inflame_flamegraph_write(ss, o, f, err, sizeof(err)), expect_rc);
	fclose(f);
	inflame_stackset_free(ss);
	return buf;
}

/* Extracts "name x y width height fill" for each frame of an SVG. */
static char *rects(const char *svg)
{
	size_t cap = 1 << 20, n = 0;
	char *out = malloc(cap);
	const char *p = svg;

	assert_non_null(out);
	out[0] = 0;
	while ((p = strstr(p, "<g fg:x="))) {
		const char *t = strstr(p, "<title>") + 7, *te = strstr(t, "</title>");
		const char *r = strstr(p, "<rect ");
		const char *name_end = te;
		char x[32], y[32], w[32], h[32], fill[32];

		while (name_end > t && name_end[0] != '(')
			name_end--;
		assert_int_equal(sscanf(r,
					"<rect x=\"%31[^\"]\" y=\"%31[^\"]\" width=\"%31[^\"]\" "
					"height=\"%31[^\"]\" fill=\"%31[^\"]\"",
					x, y, w, h, fill),
				 5);
		n += (size_t)snprintf(out + n, cap - n, "%.*s %s %s %s %s %s\n",
				      (int)(name_end - t - 1), t, x, y, w, h, fill);
		p = te;
	}
	return out;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static char *golden_input(const char *file)
{
	const char *src = getenv("INFLAME_SRCDIR");
	char path[4096];
	char *text;

	snprintf(path, sizeof(path), "%s/tests/data/golden/%s", src ? src : ".", file);
	text = read_file(path);
	assert_non_null(text);
	return text;
}

/* Renders the golden input (tests/data/golden/INPUT) with o and compares the rectangles with
 * tests/data/golden/NAME.rects. */
static char *check_golden_input(const char *infile, const char *name,
				const struct inflame_fg_opts *o)
{
	const char *src = getenv("INFLAME_SRCDIR");
	char path[4096];
	char *text = golden_input(infile), *svg = render(text, o, 0), *got = rects(svg), *want;

	snprintf(path, sizeof(path), "%s/tests/data/golden/%s.rects", src ? src : ".", name);
	if (getenv("INFLAME_GOLDEN_UPDATE")) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	want = read_file(path);
	assert_non_null(want);
	assert_string_equal(got, want);
	free(text);
	free(got);
	free(want);
	return svg;
}

static char *check_golden(const char *name, const struct inflame_fg_opts *o)
{
	return check_golden_input("input.folded", name, o);
}

static void test_golden_default(void **state)
{
	struct inflame_fg_opts o;
	char *svg;

	(void)state;
	inflame_flamegraph_defaults(&o);
	svg = check_golden("default", &o);
	assert_non_null(strstr(svg, "<text id=\"title\" x=\"600\" y=\"24\">Flame Graph</text>"));
	assert_non_null(strstr(svg, "samples, 100.00%)</title>"));
	assert_non_null(strstr(svg, "stop-color=\"#eeeeb0\""));
	assert_non_null(strstr(svg, "font-family:Verdana"));
	free(svg);
}

static void test_golden_inverted(void **state)
{
	struct inflame_fg_opts o;
	char *svg;

	(void)state;
	inflame_flamegraph_defaults(&o);
	o.inverted = 1;
	svg = check_golden("inverted", &o);
	assert_non_null(strstr(svg, ">Icicle Graph</text>"));
	free(svg);
}

static void test_golden_reverse(void **state)
{
	struct inflame_fg_opts o;

	(void)state;
	inflame_flamegraph_defaults(&o);
	o.reverse = 1;
	free(check_golden("reverse", &o));
}

static void test_golden_flamechart(void **state)
{
	struct inflame_fg_opts o;
	char *svg;

	(void)state;
	inflame_flamegraph_defaults(&o);
	o.flamechart = 1;
	svg = check_golden("flamechart", &o);
	assert_non_null(strstr(svg, ">Flame Chart</text>"));
	free(svg);
}

/* Differential graphs: white for no change, red for growth, blue for reduction, by |delta|
 * over the largest |delta|; the delta's share in the title; --negate swaps both. */
static void test_golden_diff(void **state)
{
	struct inflame_fg_opts o;
	char *svg;

	(void)state;
	inflame_flamegraph_defaults(&o);
	svg = check_golden_input("diff.folded", "diff", &o);
	/* main;run;parse: 40 -> 90 samples of 500, +10.00% (the frame spans 250 samples with
	 * its callees); main;run;eval: 200 -> 120, -16.00%. */
	assert_non_null(strstr(svg, "<title>parse (250 samples, 50.00%; +10.00%)</title>"));
	assert_non_null(strstr(svg, "<title>eval (165 samples, 33.00%; -16.00%)</title>"));
	assert_non_null(strstr(svg, "<title>main (445 samples, 89.00%; 0.00%)</title>"));
	assert_non_null(strstr(svg, "<title>all (500 samples, 100.00%)</title>"));
	free(svg);
	o.negate = 1;
	svg = check_golden_input("diff.folded", "diff_negate", &o);
	assert_non_null(strstr(svg, "<title>parse (250 samples, 50.00%; -10.00%)</title>"));
	assert_non_null(strstr(svg, "<title>eval (165 samples, 33.00%; +16.00%)</title>"));
	free(svg);
}

static void test_golden_size(void **state)
{
	struct inflame_fg_opts o;
	char *svg;

	(void)state;
	inflame_flamegraph_defaults(&o);
	o.width = 800;
	o.frameheight = 24;
	o.fontsize = 16;
	o.minwidth = 20;
	svg = check_golden("size", &o);
	assert_non_null(strstr(svg, "width=\"800\""));
	free(svg);
	o.minwidth = 5;
	o.minwidth_percent = 1;
	free(check_golden("minwidth_percent", &o));
}

static void test_golden_colors(void **state)
{
	static const char *const palettes[] = {"hot", "mem", "io", "java", "red", "aqua"};
	struct inflame_fg_opts o;
	char name[64];

	(void)state;
	for (size_t i = 0; i < sizeof(palettes) / sizeof(palettes[0]); i++) {
		inflame_flamegraph_defaults(&o);
		assert_int_equal(inflame_flamegraph_palette_parse(palettes[i], &o.colors), 0);
		snprintf(name, sizeof(name), "colors_%s", palettes[i]);
		free(check_golden(name, &o));
	}
	assert_int_equal(inflame_flamegraph_palette_parse("pink", &o.colors), -22);
}

/* Texts: title, subtitle, count name, name type, font, notes, background, factor. */
static void test_texts(void **state)
{
	struct inflame_fg_opts o;
	char *svg;

	(void)state;
	inflame_flamegraph_defaults(&o);
	o.title = "T<1>";
	o.subtitle = "sub & title";
	o.countname = "bytes";
	o.nametype = "Frame]]>:";
	o.fonttype = "Courier";
	o.notes = "made by <test>";
	o.bgcolors = "#123456";
	svg = render("a;b 1000\n", &o, 0);
	assert_non_null(strstr(svg, ">T&lt;1&gt;</text>"));
	assert_non_null(strstr(svg, "id=\"subtitle\""));
	assert_non_null(strstr(svg, ">sub &amp; title</text>"));
	assert_non_null(strstr(svg, "(1,000 bytes, 100.00%)"));
	assert_non_null(strstr(svg, "nametype: \"Frame\\u005d\\u005d\\u003e:\""));
	assert_non_null(strstr(svg, "font-family:Courier"));
	assert_non_null(strstr(svg, "<desc id=\"notes\">made by &lt;test&gt;</desc>"));
	assert_non_null(strstr(svg, "stop-color=\"#123456\""));
	/* The subtitle moves the frames down by two lines. */
	free(svg);
	o.bgcolors = "nope";
	svg = render("a 1\n", &o, -22);
	free(svg);
}

/* Names with XML specials, control bytes and invalid UTF-8 cannot break the document. */
static void test_escaping(void **state)
{
	struct inflame_fg_opts o;
	char *svg, *frames;

	(void)state;
	inflame_flamegraph_defaults(&o);
	svg = render("main;operator<<(std::ostream&, \"x\", 'y');ev\x01il\xff\xc3\x28;caf\xc3\xa9 "
		     "10\nmain;]]></script><script>alert(1)</script> 5\n",
		     &o, 0);
	frames = strstr(svg, "<g id=\"frames\">");
	assert_non_null(frames);
	assert_null(strstr(frames, "<script"));
	assert_null(strstr(frames, "operator<<"));
	assert_non_null(strstr(frames, "operator&lt;&lt;(std::ostream&amp;, &quot;x&quot;, "
				       "&apos;y&apos;)"));
	assert_non_null(strstr(frames, "ev\xef\xbf\xbdil\xef\xbf\xbd\xef\xbf\xbd("));
	assert_non_null(strstr(frames, "caf\xc3\xa9"));
	free(svg);
}

/* Labels are truncated with ".." to what fits, and left out under three characters. */
static void test_labels(void **state)
{
	struct inflame_fg_opts o;
	char *svg;

	(void)state;
	inflame_flamegraph_defaults(&o);
	/* 1180 px for 1000 samples; a frame of 50 samples is 59 px: 8 characters of 7.08 px. */
	svg = render("main;a_very_long_function_name 50\nmain;short 50\nmain;zz 900\n"
		     "main;tiny 1\n",
		     &o, 0);
	assert_non_null(strstr(svg, ">a_very..</text>"));
	assert_non_null(strstr(svg, ">short</text>"));
	assert_non_null(strstr(svg, "<title>tiny (1 samples, 0.10%)</title>"));
	assert_null(strstr(svg, ">tiny</text>"));
	free(svg);
}

/* No samples: a small SVG that says so, and -ENODATA. */
static void test_empty(void **state)
{
	struct inflame_fg_opts o;
	char *svg;

	(void)state;
	inflame_flamegraph_defaults(&o);
	svg = render("", &o, -61);
	assert_non_null(strstr(svg, "ERROR: no stack counts found"));
	assert_non_null(strstr(svg, "</svg>"));
	free(svg);
}

/* The same function gets the same colour in two different graphs. */
static void test_stable_colors(void **state)
{
	struct inflame_fg_opts o;
	char *a, *b, *ra, *rb, *pa, *pb;

	(void)state;
	inflame_flamegraph_defaults(&o);
	a = render("main;parse;lex 10\n", &o, 0);
	b = render("other;x;y;z 5\nother;lex 1\nother;parse 99\n", &o, 0);
	ra = rects(a);
	rb = rects(b);
	pa = strstr(ra, "lex ");
	pb = strstr(rb, "lex ");
	assert_non_null(pa);
	assert_non_null(pb);
	assert_string_equal(strrchr(strtok(pa, "\n"), ' '), strrchr(strtok(pb, "\n"), ' '));
	free(a);
	free(b);
	free(ra);
	free(rb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge_sort),	   cmocka_unit_test(test_flamechart),
	    cmocka_unit_test(test_diff_layout),	   cmocka_unit_test(test_reverse),
	    cmocka_unit_test(test_prune),	   cmocka_unit_test(test_degenerate),
	    cmocka_unit_test(test_golden_default), cmocka_unit_test(test_golden_inverted),
	    cmocka_unit_test(test_golden_reverse), cmocka_unit_test(test_golden_flamechart),
	    cmocka_unit_test(test_golden_diff),	   cmocka_unit_test(test_golden_size),
	    cmocka_unit_test(test_golden_colors),  cmocka_unit_test(test_texts),
	    cmocka_unit_test(test_escaping),	   cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_empty),	   cmocka_unit_test(test_stable_colors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
