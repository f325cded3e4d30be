/* Unit tests for tools/input/perfscript.c: collapsing `perf script` text like stackcollapse-perf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "input/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct inflame_stackset *load_opts(const char *text, const struct inflame_load_opts *o,
					  struct inflame_load_stats *st)
{
	struct inflame_stackset *ss = inflame_stackset_new();
	char err[128];

	assert_non_null(ss);
	memset(st, 0, sizeof(*st));
	assert_int_equal(inflame_perfscript_load(text, strlen(text), o, ss, st, err, sizeof(err)),
			 0);
	return ss;
}

static struct inflame_stackset *load(const char *text, struct inflame_load_stats *st)
{
	struct inflame_load_opts o = {0};

	return load_opts(text, &o, st);
}

/* All stacks, sorted, as "a;b N" lines joined by '|'. */
static char *dump(struct inflame_stackset *ss)
{
	size_t cap = 1 << 16, o = 0;
	char *buf = malloc(cap);

	assert_non_null(buf);
	buf[0] = 0;
	inflame_stackset_sort(ss);
	for (size_t i = 0; i < inflame_stackset_count(ss); i++) {
		const uint32_t *f;
		size_t n;
		uint64_t c;

		inflame_stackset_get(ss, i, &f, &n, &c);
		if (i)
			o += (size_t)snprintf(buf + o, cap - o, "|");
		for (size_t k = 0; k < n; k++)
			o += (size_t)snprintf(buf + o, cap - o, "%s%s", k ? ";" : "",
					      inflame_stackset_name(ss, f[k], NULL));
		o += (size_t)snprintf(buf + o, cap - o, " %llu", (unsigned long long)c);
	}
	return buf;
}

static const char *sample_text =
    "# ========\n"
    "# captured on: Mon Jan  1 00:00:00 2024\n"
    "# ========\n"
    "#\n"
    "java 25607 4794564.109216:          1 cycles:\n"
    "\t    7f722d142778 Ljava/io/PrintStream;::print (/tmp/perf-19982.map)\n"
    "\t    7f722d142000 Interpreter (/tmp/perf-19982.map)\n"
    "\n"
    "V8 WorkerThread 24636/25607 [000] 94564.109216:     100 cycles:\n"
    "\tffffffff8103ce3b native_safe_halt+0x1b ([kernel.kallsyms])\n"
    "\t          4005d6 std::vector<int, std::allocator<int> >::push_back(int const&)+0x10 "
    "(/tmp/a.out)\n"
    "\t          4004f0 (anonymous namespace)::helper(int)+0x5 (/tmp/a.out)\n"
    "\t    7f0000001000 [unknown] (/usr/lib/libfoo.so.1)\n"
    "\t    7f0000002000 [unknown] ([unknown])\n"
    "\t          400400 main (/tmp/a.out)\n"
    "\n";

static void test_collapse(void **state)
{
	struct inflame_load_stats st;
	struct inflame_stackset *ss = load(sample_text, &st);
	char *s = dump(ss);

	(void)state;
	assert_string_equal(s, "V8_WorkerThread;main;[unknown];[libfoo.so.1];(anonymous "
			       "namespace)::helper;std::vector<int, std::allocator<int> "
			       ">::push_back;native_safe_halt 100|"
			       "java;Interpreter;java/io/PrintStream:::print 1");
	assert_int_equal(st.samples, 2);
	assert_int_equal(st.bad_lines, 0);
	free(s);
	inflame_stackset_free(ss);
}

static void test_pid_tid(void **state)
{
	struct inflame_load_opts o = {0};
	struct inflame_load_stats st;
	struct inflame_stackset *ss;
	char *s;

	(void)state;
	o.pid = 1;
	ss = load_opts(sample_text, &o, &st);
	s = dump(ss);
	assert_non_null(strstr(s, "V8_WorkerThread-24636;main"));
	assert_non_null(strstr(s, "java-?;Interpreter"));
	free(s);
	inflame_stackset_free(ss);

	memset(&o, 0, sizeof(o));
	o.threads = 1;
	ss = load_opts(sample_text, &o, &st);
	s = dump(ss);
	assert_non_null(strstr(s, "V8_WorkerThread-24636/25607;main"));
	free(s);
	inflame_stackset_free(ss);

	memset(&o, 0, sizeof(o));
	o.only_pid = 24636;
	ss = load_opts(sample_text, &o, &st);
	assert_int_equal(inflame_stackset_count(ss), 1);
	assert_int_equal(inflame_stackset_total(ss), 100);
	assert_int_equal(st.skipped, 1);
	inflame_stackset_free(ss);

	memset(&o, 0, sizeof(o));
	o.only_tid = 25607;
	ss = load_opts(sample_text, &o, &st);
	assert_int_equal(inflame_stackset_count(ss), 2);
	inflame_stackset_free(ss);

	memset(&o, 0, sizeof(o));
	o.no_comm = 1;
	o.keep_addrs = 1;
	ss = load_opts(sample_text, &o, &st);
	s = dump(ss);
	assert_non_null(strstr(s, "Interpreter;java/io/PrintStream:::print 1"));
	assert_non_null(strstr(s, "main;[unknown <7f0000002000>];[libfoo.so.1 <7f0000001000>]"));
	assert_non_null(strstr(s, "native_safe_halt+0x1b 100"));
	free(s);
	inflame_stackset_free(ss);
}

/* Minimal -F forms, CRLF, a second event (skipped), no trailing blank line, and junk. */
static void test_forms(void **state)
{
	const char *t = "swapper     0 [001]  1.000: 250000 cpu-clock:pppH: \r\n"
			"\tffffffff81 do_idle+0x5 ([kernel.kallsyms])\r\n"
			"\tffffffff82 cpu_startup_entry ([kernel.kallsyms])\r\n"
			"\r\n"
			"swapper     0 [001]  2.000: 10 page-faults: \n"
			"\tffffffff81 do_idle ([kernel.kallsyms])\n"
			"\n"
			"\tstray frame line (x)\n"
			"bash 77\n"
			"\t  55aa func_a\n"
			"\t  55ab func_b+0x3\n"
			"\tnot a frame\n"
			"perl 88 1.5: cpu-clock:pppH:\n"
			"\t      1 Perl_runops (/usr/bin/perl)\n";
	struct inflame_load_stats st;
	struct inflame_stackset *ss = load(t, &st);
	char *s = dump(ss);

	(void)state;
	assert_string_equal(s, "bash;func_b;func_a 1|perl;Perl_runops 1|"
			       "swapper;cpu_startup_entry;do_idle 250000");
	assert_int_equal(st.skipped, 1);
	assert_int_equal(st.bad_lines, 2);
	free(s);
	inflame_stackset_free(ss);
}

/* Feeding the text in pieces gives the same result as all at once. */
static void test_pieces(void **state)
{
	struct inflame__perfscript_state ps;
	struct inflame_load_opts o = {0};
	struct inflame_load_stats st = {0};
	struct inflame_stackset *ss = inflame_stackset_new();
	const char *p = sample_text;
	char err[64], *a, *b;

	(void)state;
	inflame__perfscript_init(&ps);
	while (*p) {
		const char *nl = strchr(p, '\n');

		assert_int_equal(inflame__perfscript_feed(&ps, p, (size_t)(nl - p + 1), &o, ss, &st,
							  err, sizeof(err)),
				 0);
		p = nl + 1;
	}
	assert_int_equal(inflame__perfscript_finish(&ps, ss, &st, err, sizeof(err)), 0);
	inflame__perfscript_free(&ps);
	a = dump(ss);
	inflame_stackset_free(ss);
	ss = load(sample_text, &st);
	b = dump(ss);
	assert_string_equal(a, b);
	free(a);
	free(b);
	inflame_stackset_free(ss);
}

static void test_detect(void **state)
{
	(void)state;
	assert_true(inflame__text_is_perfscript(sample_text, strlen(sample_text)));
	assert_true(inflame__text_is_perfscript(sample_text + 60, strlen(sample_text) - 60));
	assert_false(inflame__text_is_perfscript("a;b 1\nc 2\n", 10));
	assert_false(inflame__text_is_perfscript("", 0));
}

/* An empty input and a header without frames. */
static void test_empty(void **state)
{
	struct inflame_load_stats st;
	struct inflame_stackset *ss = load("", &st);
	char *s;

	(void)state;
	assert_int_equal(inflame_stackset_count(ss), 0);
	inflame_stackset_free(ss);
	ss = load("idle 1 1.0: 5 cycles:\n\n", &st);
	s = dump(ss);
	assert_string_equal(s, "idle 5");
	free(s);
	inflame_stackset_free(ss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_collapse), cmocka_unit_test(test_pid_tid),
	    cmocka_unit_test(test_forms),    cmocka_unit_test(test_pieces),
	    cmocka_unit_test(test_detect),   cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
