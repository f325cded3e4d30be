/* Unit tests for tools/stackset.c: interning names, merging stacks, order and sorting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stackset.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
