/* Unit tests for lib/stacktab.c: interning, growth, the bound, clearing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "stacktab.h"

/* Equal stacks get equal ids, different ones (even prefixes) different ids, across growth. */
static void test_intern(void **state)
{
	struct inflame_stacktab t;
	uint64_t frames[64];
	int is_new;

	(void)state;
	assert_int_equal(inflame_stacktab_init(&t, 1000000), 0);
	for (uint64_t i = 0; i < 50000; i++) {
		uint32_t n = (uint32_t)(1 + i % 60);

		for (uint32_t k = 0; k < n; k++)
			frames[k] = 0x400000 + i * 16 + k;
		assert_int_equal(inflame_stacktab_intern(&t, frames, n, &is_new), i + 1);
		assert_true(is_new);
	}
	for (uint64_t i = 0; i < 50000; i += 7) {
		uint32_t n = (uint32_t)(1 + i % 60);

		for (uint32_t k = 0; k < n; k++)
			frames[k] = 0x400000 + i * 16 + k;
		assert_int_equal(inflame_stacktab_intern(&t, frames, n, &is_new), i + 1);
		assert_false(is_new);
		if (n > 1) {
			uint64_t id = inflame_stacktab_intern(&t, frames, n - 1, &is_new);

			assert_true(id != i + 1);
		}
	}
	inflame_stacktab_clear(&t);
	assert_int_equal(inflame_stacktab_intern(&t, frames, 3, &is_new), 1);
	assert_true(is_new);
	inflame_stacktab_destroy(&t);
}

/* Past max_stacks, new stacks are refused (id 0) and known ones still resolve. */
static void test_bound(void **state)
{
	struct inflame_stacktab t;
	uint64_t f[2] = {1, 2};
	int is_new;

	(void)state;
	assert_int_equal(inflame_stacktab_init(&t, 10), 0);
	for (uint64_t i = 0; i < 10; i++) {
		f[0] = i;
		assert_int_not_equal(inflame_stacktab_intern(&t, f, 2, &is_new), 0);
	}
	f[0] = 99;
	assert_int_equal(inflame_stacktab_intern(&t, f, 2, &is_new), 0);
	f[0] = 3;
	assert_int_equal(inflame_stacktab_intern(&t, f, 2, &is_new), 4);
	/* The empty stack is a valid stack. */
	inflame_stacktab_clear(&t);
	assert_int_equal(inflame_stacktab_intern(&t, f, 0, &is_new), 1);
	inflame_stacktab_destroy(&t);
}

/* Eight frames from the xorshift state *x: most anywhere in the 64-bit space, some small. */
static void random_frames(uint64_t *f, uint64_t *x)
{
	for (int k = 0; k < 8; k++) {
		*x ^= *x << 13;
		*x ^= *x >> 7;
		*x ^= *x << 17;
		f[k] = k % 3 ? *x : *x >> (k * 8);
	}
}

/* Frames anywhere in the 64-bit space (differences of any size and sign), stacks that are
 * prefixes of others and stacks that equal two others laid end to end: each keeps its own id
 * (the table compares encodings, which must not match across neighbours). */
/* The table's encoding of the stack it just returned is the encoder's (the writer copies it
 * into a STACKS chunk). */
static void assert_last_encoding(const struct inflame_stacktab *t, const uint64_t *f, uint32_t n)
{
	uint8_t want[INFLAME_STACKTAB_ENCODED_MAX(8)];
	size_t len, want_len = inflame_stacktab_encode(want, f, n);
	const uint8_t *got = inflame_stacktab_encoding(t, &len);

	assert_int_equal(len, want_len);
	assert_memory_equal(got, want, len);
}

static void test_encoding(void **state)
{
	struct inflame_stacktab t;
	uint64_t f[8], x = 0x9e3779b97f4a7c15ull;
	uint64_t ids[300];
	int is_new;

	(void)state;
	assert_int_equal(inflame_stacktab_init(&t, 1000), 0);
	for (int i = 0; i < 100; i++) {
		random_frames(f, &x);
		for (int n = 0; n < 3; n++) {
			uint64_t id =
			    inflame_stacktab_intern(&t, f, (uint32_t)(2 + 3 * n), &is_new);

			assert_true(is_new);
			assert_last_encoding(&t, f, (uint32_t)(2 + 3 * n));
			ids[i * 3 + n] = id;
		}
	}
	x = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 100; i++) {
		random_frames(f, &x);
		for (int n = 0; n < 3; n++) {
			assert_int_equal(
			    inflame_stacktab_intern(&t, f, (uint32_t)(2 + 3 * n), &is_new),
			    ids[i * 3 + n]);
			assert_false(is_new);
			assert_last_encoding(&t, f, (uint32_t)(2 + 3 * n));
		}
	}
	/* {1} and {2} stored one after the other; {1, 1} (the same differences) is new. */
	inflame_stacktab_clear(&t);
	f[0] = 1;
	assert_int_equal(inflame_stacktab_intern(&t, f, 1, &is_new), 1);
	f[0] = 2;
	assert_int_equal(inflame_stacktab_intern(&t, f, 1, &is_new), 2);
	f[0] = 1;
	f[1] = 2;
	assert_int_equal(inflame_stacktab_intern(&t, f, 2, &is_new), 3);
	assert_true(is_new);
	inflame_stacktab_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intern),
	    cmocka_unit_test(test_bound),
	    cmocka_unit_test(test_encoding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
