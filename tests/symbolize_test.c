/* Unit tests for tools/symbolize.c, on the test programs in tests/progs: each is run once to
 * learn its load bias, executable range, build-id and function addresses, then those
 * addresses are symbolized offline against the file (or a stripped copy of it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "symbolize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct prog {
	char path[4096];
	uint64_t bias, lo, hi, alpha, beta, outer, inlined_ret, scaled;
	uint8_t bid[64];
	size_t bidlen;
};

static const char *builddir(void)
{
	const char *d = getenv("INFLAME_BUILDDIR");

	return d ? d : ".";
}

/* Runs a test program and parses its "key value" lines. */
static void run_prog(const char *name, struct prog *p)
{
	char cmd[4200], line[256], key[64], val[160];
	FILE *f;

	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s/tests/progs/%s", builddir(), name);
	snprintf(cmd, sizeof(cmd), "'%s'", p->path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		uint64_t v;

		if (sscanf(line, "%63s %159s", key, val) != 2)
			continue;
		if (!strcmp(key, "buildid")) {
			for (size_t i = 0; val[2 * i] && val[2 * i + 1] && i < sizeof(p->bid);
			     i++) {
				unsigned x;

				sscanf(val + 2 * i, "%2x", &x);
				p->bid[p->bidlen++] = (uint8_t)x;
			}
			continue;
		}
		v = strtoull(val, NULL, 16);
		if (!strcmp(key, "bias"))
			p->bias = v;
		else if (!strcmp(key, "lo"))
			p->lo = v;
		else if (!strcmp(key, "hi"))
			p->hi = v;
		else if (!strcmp(key, "alpha"))
			p->alpha = v;
		else if (!strcmp(key, "beta"))
			p->beta = v;
		else if (!strcmp(key, "outer"))
			p->outer = v;
		else if (!strcmp(key, "inlined_ret"))
			p->inlined_ret = v;
		else if (!strcmp(key, "scaled"))
			p->scaled = v;
	}
	assert_int_equal(pclose(f), 0);
}

static const char *sym1(struct inflame_symbolizer *s, uint64_t addr, int is_return)
{
	const char *names[INFLAME_SYMBOLIZE_MAX_NAMES];
	int n = inflame_symbolize_addr(s, addr, is_return, names);

	assert_true(n >= 1);
	return names[n - 1];
}

/* Known functions resolve by name, leaf PCs as they are and return addresses at addr - 1. */
static void test_known_functions(void **state)
{
	struct prog p;
	struct inflame_symbolizer *s = inflame_symbolize_new(0, NULL);

	(void)state;
	run_prog("symtest", &p);
	assert_true(p.alpha >= p.lo && p.alpha < p.hi);
	assert_true(p.bidlen > 0);
	assert_int_equal(inflame_symbolize_add_module(s, p.bias, p.lo, p.hi, p.path, strlen(p.path),
						      p.bid, p.bidlen),
			 0);
	assert_string_equal(sym1(s, p.alpha, 0), "symtest_alpha");
	assert_string_equal(sym1(s, p.alpha + 3, 0), "symtest_alpha");
	assert_string_equal(sym1(s, p.beta, 0), "symtest_beta");
	/* A return address just past the start of beta is a call site in beta; the same
	 * address as a leaf is also in beta; but a return address equal to the start of beta
	 * is a call at the end of whatever precedes it. */
	assert_string_equal(sym1(s, p.beta + 1, 1), "symtest_beta");
	assert_string_not_equal(sym1(s, p.beta, 1), "symtest_beta");
	/* The cache gives the same answer again. */
	assert_string_equal(sym1(s, p.alpha, 0), "symtest_alpha");
	assert_int_equal(inflame_symbolize_mismatches(s), 0);
	inflame_symbolize_free(s);
}

/* Inlined-frame expansion: the return address recorded inside the always-inline function
 * expands to it (innermost) and then to the function it was inlined into. */
static void test_inlines(void **state)
{
	const char *names[INFLAME_SYMBOLIZE_MAX_NAMES];
	struct prog p;
	struct inflame_symbolizer *s = inflame_symbolize_new(1, NULL);
	int n;

	(void)state;
	run_prog("symtest", &p);
	inflame_symbolize_add_module(s, p.bias, p.lo, p.hi, p.path, strlen(p.path), p.bid,
				     p.bidlen);
	n = inflame_symbolize_addr(s, p.inlined_ret, 1, names);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "symtest_inlined");
	assert_string_equal(names[1], "symtest_outer");
	/* Without expansion, only the containing function. */
	inflame_symbolize_free(s);
	s = inflame_symbolize_new(0, NULL);
	inflame_symbolize_add_module(s, p.bias, p.lo, p.hi, p.path, strlen(p.path), p.bid,
				     p.bidlen);
	n = inflame_symbolize_addr(s, p.inlined_ret, 1, names);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "symtest_outer");
	inflame_symbolize_free(s);
}

/* A stripped copy knows no local symbols: [module+0xoffset], offset from the load bias. */
static void test_stripped(void **state)
{
	struct prog p;
	struct inflame_symbolizer *s = inflame_symbolize_new(1, NULL);
	char path[4200], want[128];

	(void)state;
	run_prog("symtest", &p);
	snprintf(path, sizeof(path), "%s-stripped", p.path);
	inflame_symbolize_add_module(s, p.bias, p.lo, p.hi, path, strlen(path), p.bid, p.bidlen);
	snprintf(want, sizeof(want), "[symtest-stripped+0x%llx]",
		 (unsigned long long)(p.beta - p.bias));
	assert_string_equal(sym1(s, p.beta, 0), want);
	assert_int_equal(inflame_symbolize_mismatches(s), 0);
	inflame_symbolize_free(s);
}

/* A build-id other than the file's is detected: the file is another build, so its symbols
 * would name the wrong functions; the frames are offsets, and the module is reported once. */
static void test_buildid_mismatch(void **state)
{
	struct prog p;
	struct inflame_symbolizer *s = inflame_symbolize_new(1, "/nonexistent");
	uint8_t other[20];
	char want[128];

	(void)state;
	run_prog("symtest", &p);
	memset(other, 0xab, sizeof(other));
	inflame_symbolize_add_module(s, p.bias, p.lo, p.hi, p.path, strlen(p.path), other,
				     sizeof(other));
	snprintf(want, sizeof(want), "[symtest+0x%llx]", (unsigned long long)(p.alpha - p.bias));
	assert_string_equal(sym1(s, p.alpha, 0), want);
	assert_int_equal(inflame_symbolize_mismatches(s), 1);
	assert_string_equal(inflame_symbolize_mismatch_path(s, 0), p.path);
	assert_string_equal(inflame_symbolize_mismatch_build_id(s, 0),
			    "abababababababababababababababababababab");
	inflame_symbolize_free(s);
}

/* C++ names come out demangled. */
static void test_demangle(void **state)
{
	struct prog p;
	struct inflame_symbolizer *s = inflame_symbolize_new(1, NULL);

	(void)state;
	run_prog("symtest_cxx", &p);
	/* The executable range is not printed by this program: the whole space will do. */
	inflame_symbolize_add_module(s, p.bias, p.bias, p.bias + (1u << 30), p.path, strlen(p.path),
				     NULL, 0);
	assert_string_equal(sym1(s, p.scaled, 0), "symtest::scaled(int, double)");
	inflame_symbolize_free(s);
}

/* Missing files, vdso, addresses in no module, overlapping generations. */
static void test_unknowns(void **state)
{
	struct inflame_symbolizer *s = inflame_symbolize_new(1, NULL);

	(void)state;
	assert_int_equal(inflame_symbolize_add_module(s, 0x10000, 0x11000, 0x20000,
						      "/nonexistent/libgone.so", 23, NULL, 0),
			 0);
	assert_int_equal(
	    inflame_symbolize_add_module(s, 0x7000, 0x7000, 0x8000, "[vdso]", 6, NULL, 0), 0);
	assert_string_equal(sym1(s, 0x11234, 0), "[libgone.so+0x1234]");
	assert_string_equal(sym1(s, 0x11234, 1), "[libgone.so+0x1233]");
	assert_string_equal(sym1(s, 0x7123, 0), "[vdso]");
	assert_string_equal(sym1(s, 0x99999, 0), "0x99999");
	/* A later generation loaded over the same range wins. */
	inflame_symbolize_add_module(s, 0x10000, 0x11000, 0x20000, "/nonexistent/libnew.so", 22,
				     NULL, 0);
	assert_string_equal(sym1(s, 0x15000, 0), "[libnew.so+0x5000]");
	/* The same module again is a no-op. */
	inflame_symbolize_add_module(s, 0x10000, 0x11000, 0x20000, "/nonexistent/libnew.so", 22,
				     NULL, 0);
	inflame_symbolize_free(s);
}

/* Many distinct addresses: the cache grows and keeps answers. */
static void test_cache_growth(void **state)
{
	struct inflame_symbolizer *s = inflame_symbolize_new(1, NULL);
	char want[64];

	(void)state;
	inflame_symbolize_add_module(s, 0, 0, 1u << 20, "/nonexistent/big", 16, NULL, 0);
	for (uint64_t a = 0; a < 5000; a++)
		sym1(s, a * 16, 0);
	for (uint64_t a = 0; a < 5000; a += 97) {
		snprintf(want, sizeof(want), "[big+0x%llx]", (unsigned long long)(a * 16));
		assert_string_equal(sym1(s, a * 16, 0), want);
	}
	inflame_symbolize_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_functions), cmocka_unit_test(test_inlines),
	    cmocka_unit_test(test_stripped),	    cmocka_unit_test(test_buildid_mismatch),
	    cmocka_unit_test(test_demangle),	    cmocka_unit_test(test_unknowns),
	    cmocka_unit_test(test_cache_growth),
	};

	unsetenv("DEBUGINFOD_URLS");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
