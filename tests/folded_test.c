/* Unit tests for tools/input/folded.c: the folded-stacks reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "input/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Loads text and returns the set; *st receives the statistics. */
static struct inflame_stackset *load(const char *text, size_t len, struct inflame_load_stats *st)
{
	struct inflame_load_opts o = {0};
	struct inflame_stackset *ss = inflame_stackset_new();
	char err[128];

	assert_non_null(ss);
	memset(st, 0, sizeof(*st));
	assert_int_equal(inflame_folded_load(text, len, &o, ss, st, err, sizeof(err)), 0);
	return ss;
}

/* Writes stack i as "a;b;c count", or "a;b;c base count" for a differential set, into buf. */
static const char *stack_str(struct inflame_stackset *ss, size_t i, char *buf, size_t cap)
{
	const uint32_t *f;
	size_t n, o = 0;
	uint64_t c;

	inflame_stackset_get(ss, i, &f, &n, &c);
	buf[0] = 0;
	for (size_t k = 0; k < n; k++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%s", k ? ";" : "",
				      inflame_stackset_name(ss, f[k], NULL));
	if (inflame_stackset_is_diff(ss))
		o += (size_t)snprintf(buf + o, cap - o, " %llu",
				      (unsigned long long)inflame_stackset_base(ss, i));
	snprintf(buf + o, cap - o, " %llu", (unsigned long long)c);
	return buf;
}

static void test_basic(void **state)
{
	const char *t = "main;foo;bar 10\nmain;foo 5\nmain;foo;bar 2\n";
	struct inflame_load_stats st;
	struct inflame_stackset *ss = load(t, strlen(t), &st);
	char buf[256];

	(void)state;
	assert_int_equal(inflame_stackset_count(ss), 2);
	assert_int_equal(inflame_stackset_total(ss), 17);
	assert_string_equal(stack_str(ss, 0, buf, sizeof(buf)), "main;foo;bar 12");
	assert_string_equal(stack_str(ss, 1, buf, sizeof(buf)), "main;foo 5");
	assert_int_equal(st.samples, 3);
	assert_int_equal(st.bad_lines, 0);
	inflame_stackset_free(ss);
}

/* CRLF, tabs, several blanks, no final newline, empty lines, fractional and differential. */
static void test_forms(void **state)
{
	const char *t = "a;b 1\r\n\r\n\na;b\t2\na;c    3\r\na;d 1.5\na;e 4 7\na;f 9";
	struct inflame_load_stats st;
	struct inflame_stackset *ss = load(t, strlen(t), &st);
	char buf[256];

	(void)state;
	assert_int_equal(st.bad_lines, 0);
	assert_int_equal(inflame_stackset_count(ss), 5);
	assert_string_equal(stack_str(ss, 0, buf, sizeof(buf)), "a;b 3 3");
	assert_string_equal(stack_str(ss, 1, buf, sizeof(buf)), "a;c 3 3");
	assert_string_equal(stack_str(ss, 2, buf, sizeof(buf)), "a;d 2 2");
	assert_string_equal(stack_str(ss, 3, buf, sizeof(buf)), "a;e 4 7");
	assert_string_equal(stack_str(ss, 4, buf, sizeof(buf)), "a;f 9 9");
	inflame_stackset_free(ss);
}

/* Lines that do not parse are counted and skipped; the rest still loads. */
static void test_malformed(void **state)
{
	const char *t = "no count here\n"
			"a;b x12\n"
			"42\n"
			"   \n"
			"a;b 99999999999999999999999\n" /* overflows */
			"a;b -3\n"
			"ok;line 1\n"
			"a;b 12abc\n";
	struct inflame_load_stats st;
	struct inflame_stackset *ss = load(t, strlen(t), &st);

	(void)state;
	assert_int_equal(st.bad_lines, 6);
	assert_int_equal(st.samples, 1);
	assert_int_equal(inflame_stackset_total(ss), 1);
	inflame_stackset_free(ss);
}

/* Empty input, and frame names with odd bytes, spaces and empty frames, kept as they are. */
static void test_empty_and_names(void **state)
{
	const char *t = "x <y>;&amp \"q\";;C++::f(int, char) 3\n";
	struct inflame_load_stats st;
	struct inflame_stackset *ss = load("", 0, &st);
	char buf[256];

	(void)state;
	assert_int_equal(inflame_stackset_count(ss), 0);
	assert_int_equal(st.bad_lines, 0);
	inflame_stackset_free(ss);
	ss = load(t, strlen(t), &st);
	assert_string_equal(stack_str(ss, 0, buf, sizeof(buf)),
			    "x <y>;&amp \"q\";;C++::f(int, char) 3");
	inflame_stackset_free(ss);
}

/* A line with 100k frames and a 1 MiB frame name. */
static void test_huge_lines(void **state)
{
	size_t cap = 8 << 20, o = 0;
	char *t = malloc(cap);
	struct inflame_load_stats st;
	struct inflame_stackset *ss;
	const uint32_t *f;
	size_t n, len;
	uint64_t c;

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < 100000; i++)
		o += (size_t)snprintf(t + o, cap - o, "%sf%d", i ? ";" : "", i % 1000);
	o += (size_t)snprintf(t + o, cap - o, " 7\n");
	memset(t + o, 'x', 1 << 20);
	o += 1 << 20;
	o += (size_t)snprintf(t + o, cap - o, " 1\n");
	ss = load(t, o, &st);
	assert_int_equal(inflame_stackset_count(ss), 2);
	inflame_stackset_get(ss, 0, &f, &n, &c);
	assert_int_equal(n, 100000);
	assert_int_equal(c, 7);
	inflame_stackset_get(ss, 1, &f, &n, &c);
	assert_int_equal(n, 1);
	inflame_stackset_name(ss, f[0], &len);
	assert_int_equal(len, 1 << 20);
	inflame_stackset_free(ss);
	free(t);
}

/* Differential lines ("stack base count"): both counts are kept, the second as the count;
 * blanks, fractions and a zero on either side; single-count lines in the same input count as
 * unchanged; an input without them stays non-differential. */
static void test_two_counts(void **state)
{
	const char *t = "a;b 4 7\na;c\t10   2\r\na;d 0 5\na;e 6 0\na;f 1.5 2.4\na;b 1 1\na;g 3\n";
	struct inflame_load_stats st;
	struct inflame_stackset *ss = load(t, strlen(t), &st);
	char buf[256];

	(void)state;
	assert_int_equal(st.bad_lines, 0);
	assert_int_equal(st.samples, 7);
	assert_true(inflame_stackset_is_diff(ss));
	assert_int_equal(inflame_stackset_count(ss), 6);
	assert_string_equal(stack_str(ss, 0, buf, sizeof(buf)), "a;b 5 8");
	assert_string_equal(stack_str(ss, 1, buf, sizeof(buf)), "a;c 10 2");
	assert_string_equal(stack_str(ss, 2, buf, sizeof(buf)), "a;d 0 5");
	assert_string_equal(stack_str(ss, 3, buf, sizeof(buf)), "a;e 6 0");
	assert_string_equal(stack_str(ss, 4, buf, sizeof(buf)), "a;f 2 2");
	assert_string_equal(stack_str(ss, 5, buf, sizeof(buf)), "a;g 3 3");
	assert_int_equal(inflame_stackset_total(ss), 20);
	assert_int_equal(inflame_stackset_base_total(ss), 26);
	inflame_stackset_free(ss);

	/* The first number needs a blank before it: "a;b7 9" is the stack "a;b7", and "5 6" the
	 * stack "5". */
	t = "a;b7 9\n5 6\n";
	ss = load(t, strlen(t), &st);
	assert_false(inflame_stackset_is_diff(ss));
	assert_string_equal(stack_str(ss, 0, buf, sizeof(buf)), "a;b7 9");
	assert_string_equal(stack_str(ss, 1, buf, sizeof(buf)), "5 6"); /* as flamegraph.pl */
	assert_int_equal(st.bad_lines, 0);
	inflame_stackset_free(ss);
}

/* An ordered set gets the lines in order, consecutive identical stacks merged. */
static void test_ordered(void **state)
{
	const char *t = "a;b 1\na;c 1\na;b 1\na;b 2\n";
	struct inflame_load_opts o = {0};
	struct inflame_load_stats st = {0};
	struct inflame_stackset *ss = inflame_stackset_new_ordered();
	char buf[256], err[128];

	(void)state;
	assert_int_equal(inflame_folded_load(t, strlen(t), &o, ss, &st, err, sizeof(err)), 0);
	assert_int_equal(inflame_stackset_count(ss), 3);
	assert_string_equal(stack_str(ss, 0, buf, sizeof(buf)), "a;b 1");
	assert_string_equal(stack_str(ss, 1, buf, sizeof(buf)), "a;c 1");
	assert_string_equal(stack_str(ss, 2, buf, sizeof(buf)), "a;b 3");
	inflame_stackset_free(ss);
}

/* What detection takes for folded stacks and for perf script, line by line and over a text. */
static void test_detection(void **state)
{
	static const char *const good[] = {
	    "main;run 3",
	    "main;operator new(unsigned long) 7",
	    "<module> (app.py:1);main (app.py:12) 4",
	    "java/lang/Thread.run_[j];Foo$1.call_[j] 2",
	    "a;b 1.5",
	    "a;b 1 4",
	    "a;b\t\t5\r",
	    "single 5",
	};
	static const char *const bad[] = {
	    "\treturn 0;", "int x = 5;x", "ftp\t\t21/tcp 3", " main;a 3", "main;a",
	    "main;a x3",   "5",
	};
	struct inflame__text_sniff sn;
	const char *t;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(inflame__folded_line_strict(good[i], strlen(good[i])));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(inflame__folded_line_strict(bad[i], strlen(bad[i])));

	t = "# comment\nmain;a 1\n\nmain;b 2\nbad line\n";
	inflame__text_sniff(t, strlen(t), &sn);
	assert_int_equal(sn.lines, 3);
	assert_int_equal(sn.folded, 2);
	assert_int_equal(sn.deep, 2);
	assert_int_equal(sn.first_bad, 5);
	assert_int_equal(sn.samples, 0);

	t = "Debian GNU/Linux 12\n";
	inflame__text_sniff(t, strlen(t), &sn);
	assert_int_equal(sn.folded, 1);
	assert_int_equal(sn.deep, 0);
	assert_int_equal(sn.first_spaced, 1);

	t = "prog 1/2 [000] 1.5: 100 cycles:\n\t  401136 work+0x6 (/tmp/p)\n\n"
	    "int main(void)\n{\n\treturn 0;\n}\n";
	inflame__text_sniff(t, strlen(t), &sn);
	assert_int_equal(sn.blocks, 2);
	assert_int_equal(sn.samples, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),      cmocka_unit_test(test_forms),
	    cmocka_unit_test(test_malformed),  cmocka_unit_test(test_empty_and_names),
	    cmocka_unit_test(test_huge_lines), cmocka_unit_test(test_two_counts),
	    cmocka_unit_test(test_ordered),    cmocka_unit_test(test_detection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
