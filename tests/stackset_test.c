/* Unit tests for tools/view/stackset.c: interning names, merging stacks, order and sorting, ordered
 * (flame chart) sets and differential baseline counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "view/stackset.h"

#include <stdio.h>
#include <string.h>

/* Names intern to stable ids; stacks merge by content and keep first-seen order. */
static void test_merge(void **state)
{
	struct inflame_stackset *ss = inflame_stackset_new();
	uint32_t a, b, c, s1[3], s2[2];
	const uint32_t *f;
	size_t n;
	uint64_t count;

	(void)state;
	assert_non_null(ss);
	a = inflame_stackset_intern(ss, "main", 4);
	b = inflame_stackset_intern(ss, "foo", 3);
	c = inflame_stackset_intern(ss, "bar;x", 3);
	assert_int_equal(inflame_stackset_intern(ss, "main", 4), a);
	assert_int_not_equal(a, b);
	assert_string_equal(inflame_stackset_name(ss, c, &n), "bar");
	s1[0] = a, s1[1] = b, s1[2] = c;
	s2[0] = a, s2[1] = c;
	assert_int_equal(inflame_stackset_add(ss, s1, 3, 5), 0);
	assert_int_equal(inflame_stackset_add(ss, s2, 2, 2), 0);
	assert_int_equal(inflame_stackset_add(ss, s1, 3, 1), 0);
	assert_int_equal(inflame_stackset_add(ss, s1, 2, 1), 0);
	assert_int_equal(inflame_stackset_count(ss), 3);
	assert_int_equal(inflame_stackset_total(ss), 9);
	inflame_stackset_get(ss, 0, &f, &n, &count);
	assert_int_equal(n, 3);
	assert_int_equal(count, 6);
	inflame_stackset_sort(ss);
	/* main;bar < main;foo < main;foo;bar */
	inflame_stackset_get(ss, 0, &f, &n, &count);
	assert_int_equal(n, 2);
	assert_int_equal(f[1], c);
	inflame_stackset_get(ss, 1, &f, &n, &count);
	assert_int_equal(n, 2);
	assert_int_equal(f[1], b);
	inflame_stackset_get(ss, 2, &f, &n, &count);
	assert_int_equal(n, 3);
	/* Merging still works after sorting. */
	assert_int_equal(inflame_stackset_add(ss, s2, 2, 10), 0);
	assert_int_equal(inflame_stackset_count(ss), 3);
	inflame_stackset_get(ss, 0, &f, &n, &count);
	assert_int_equal(count, 12);
	inflame_stackset_free(ss);
}

/* Many names and stacks grow the tables without losing anything. */
static void test_many(void **state)
{
	struct inflame_stackset *ss = inflame_stackset_new();
	char name[32];
	uint32_t ids[20];

	(void)state;
	for (int i = 0; i < 200000; i++) {
		for (int k = 0; k < 20; k++) {
			int len = snprintf(name, sizeof(name), "fn_%d", (i * 31 + k) % 5000);

			ids[k] = inflame_stackset_intern(ss, name, (size_t)len);
		}
		assert_int_equal(inflame_stackset_add(ss, ids, 20, 1), 0);
	}
	assert_int_equal(inflame_stackset_nframes_total(ss), 5000);
	assert_int_equal(inflame_stackset_total(ss), 200000);
	assert_int_equal(inflame_stackset_count(ss), 5000);
	inflame_stackset_free(ss);
}

/* An ordered set merges a stack only into the record just before it; runs of one stack share
 * their frames; sorting makes runs adjacent without merging them. */
static void test_ordered(void **state)
{
	struct inflame_stackset *ss = inflame_stackset_new_ordered();
	uint32_t a, b, c, ab[2], ac[2];
	const uint32_t *f, *f0;
	size_t n;
	uint64_t count;

	(void)state;
	assert_non_null(ss);
	assert_true(inflame_stackset_is_ordered(ss));
	a = inflame_stackset_intern(ss, "a", 1);
	b = inflame_stackset_intern(ss, "b", 1);
	c = inflame_stackset_intern(ss, "c", 1);
	ab[0] = a, ab[1] = b;
	ac[0] = a, ac[1] = c;
	assert_int_equal(inflame_stackset_add(ss, ab, 2, 1), 0);
	assert_int_equal(inflame_stackset_add(ss, ab, 2, 2), 0); /* same run */
	assert_int_equal(inflame_stackset_add(ss, ac, 2, 1), 0);
	assert_int_equal(inflame_stackset_add(ss, ab, 2, 4), 0); /* a new run */
	assert_int_equal(inflame_stackset_add(ss, ab, 0, 1), 0); /* the empty stack */
	assert_int_equal(inflame_stackset_add(ss, ab, 0, 1), 0);
	assert_int_equal(inflame_stackset_count(ss), 4);
	assert_int_equal(inflame_stackset_total(ss), 10);
	inflame_stackset_get(ss, 0, &f0, &n, &count);
	assert_int_equal(count, 3);
	inflame_stackset_get(ss, 1, &f, &n, &count);
	assert_int_equal(f[1], c);
	assert_int_equal(count, 1);
	inflame_stackset_get(ss, 2, &f, &n, &count);
	assert_ptr_equal(f, f0); /* the frames are stored once */
	assert_int_equal(count, 4);
	inflame_stackset_get(ss, 3, &f, &n, &count);
	assert_int_equal(n, 0);
	assert_int_equal(count, 2);
	/* Sorting: "" < a;b (3) , a;b (4) < a;c, still four records. */
	inflame_stackset_sort(ss);
	assert_int_equal(inflame_stackset_count(ss), 4);
	inflame_stackset_get(ss, 1, &f, &n, &count);
	assert_int_equal(count, 3);
	inflame_stackset_get(ss, 2, &f, &n, &count);
	assert_int_equal(count, 4);
	inflame_stackset_get(ss, 3, &f, &n, &count);
	assert_int_equal(f[1], c);
	inflame_stackset_free(ss);
	ss = inflame_stackset_new();
	assert_false(inflame_stackset_is_ordered(ss));
	inflame_stackset_free(ss);
}

/* Many runs over few distinct stacks: the table stays small and runs are exact. */
static void test_ordered_many(void **state)
{
	struct inflame_stackset *ss = inflame_stackset_new_ordered();
	uint32_t ids[8];
	char name[16];

	(void)state;
	for (int k = 0; k < 8; k++) {
		int len = snprintf(name, sizeof(name), "f%d", k);

		ids[k] = inflame_stackset_intern(ss, name, (size_t)len);
	}
	/* 50000 runs of 1 to 3 samples (99999 in all) over the 8 prefixes of ids. */
	for (int run = 0; run < 50000; run++)
		for (int r = 0; r < 1 + run % 3; r++)
			assert_int_equal(inflame_stackset_add(ss, ids, 1 + (size_t)(run % 8), 1),
					 0);
	assert_int_equal(inflame_stackset_total(ss), 99999);
	assert_int_equal(inflame_stackset_count(ss), 50000);
	for (size_t i = 0; i < inflame_stackset_count(ss); i++) {
		const uint32_t *f;
		size_t n;
		uint64_t count;

		inflame_stackset_get(ss, i, &f, &n, &count);
		assert_int_equal(n, 1 + i % 8);
		assert_int_equal(count, 1 + i % 3);
	}
	inflame_stackset_free(ss);
}

/* Baseline counts: none until the first differential add; then kept per stack, plain adds
 * count as unchanged, and sorting keeps each baseline with its stack. */
static void test_diff(void **state)
{
	struct inflame_stackset *ss = inflame_stackset_new();
	uint32_t a, b, s1[2], s2[1];
	const uint32_t *f;
	size_t n;
	uint64_t count;

	(void)state;
	b = inflame_stackset_intern(ss, "b", 1);
	a = inflame_stackset_intern(ss, "a", 1);
	s1[0] = b, s1[1] = a;
	s2[0] = a;
	assert_int_equal(inflame_stackset_add(ss, s1, 2, 5), 0);
	assert_false(inflame_stackset_is_diff(ss));
	assert_int_equal(inflame_stackset_base(ss, 0), 5);
	assert_int_equal(inflame_stackset_base_total(ss), 5);
	assert_int_equal(inflame_stackset_add_diff(ss, s2, 1, 7, 2), 0);
	assert_true(inflame_stackset_is_diff(ss));
	assert_int_equal(inflame_stackset_add_diff(ss, s1, 2, 1, 0), 0);
	assert_int_equal(inflame_stackset_add(ss, s2, 1, 3), 0);
	assert_int_equal(inflame_stackset_count(ss), 2);
	assert_int_equal(inflame_stackset_total(ss), 10);
	assert_int_equal(inflame_stackset_base_total(ss), 16);
	assert_int_equal(inflame_stackset_base(ss, 0), 6);
	assert_int_equal(inflame_stackset_base(ss, 1), 10);
	inflame_stackset_sort(ss);
	inflame_stackset_get(ss, 0, &f, &n, &count);
	assert_int_equal(f[0], a);
	assert_int_equal(count, 5);
	assert_int_equal(inflame_stackset_base(ss, 0), 10);
	assert_int_equal(inflame_stackset_base(ss, 1), 6);
	inflame_stackset_free(ss);

	/* In an ordered set, each run has its own baseline. */
	ss = inflame_stackset_new_ordered();
	a = inflame_stackset_intern(ss, "a", 1);
	assert_int_equal(inflame_stackset_add_diff(ss, &a, 1, 1, 2), 0);
	assert_int_equal(inflame_stackset_add_diff(ss, &a, 1, 1, 2), 0);
	assert_int_equal(inflame_stackset_add_diff(ss, &a, 0, 9, 0), 0);
	assert_int_equal(inflame_stackset_add_diff(ss, &a, 1, 5, 1), 0);
	assert_int_equal(inflame_stackset_count(ss), 3);
	assert_int_equal(inflame_stackset_base(ss, 0), 2);
	assert_int_equal(inflame_stackset_base(ss, 1), 9);
	assert_int_equal(inflame_stackset_base(ss, 2), 5);
	inflame_stackset_free(ss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge),   cmocka_unit_test(test_many),
	    cmocka_unit_test(test_ordered), cmocka_unit_test(test_ordered_many),
	    cmocka_unit_test(test_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
