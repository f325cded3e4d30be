/* Unit tests for tools/view/coverage.c: which threads the coverage warning names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "view/coverage.h"

#define MS 1000000ull

/* A thread with user_ms of user CPU, weight periods of the program's samples and self
 * periods of inflame's own, under a 1 ms period of a user-time clock. */
static int low(uint64_t user_ms, uint64_t weight, uint64_t self)
{
	struct inflame_coverage c = {.present = 1, .period_ns = MS};
	struct inflame_coverage_thread t = {
	    .tid = 1, .user_ns = user_ms * MS, .weight = weight, .self_cpu = self};

	return inflame_coverage_low(&c, &t);
}

static void test_program_threads(void **state)
{
	(void)state;
	assert_int_equal(low(300, 290, 0), 0); /* 96.7% */
	assert_int_equal(low(300, 200, 0), 1); /* 66.7% */
	assert_int_equal(low(300, 0, 0), 1);   /* no sample at all */
	assert_int_equal(low(50, 0, 0), 0);    /* under the 0.1 s a warning needs */
}

/* A thread that only wall samples wake: its CPU is mostly inflame's handler, and what its
 * samples miss is the kernel's switching, no warning. A thread whose one sample happened to
 * be inflame's and whose other 299 ms are in no sample is warned about. */
static void test_inflame_own(void **state)
{
	(void)state;
	assert_int_equal(low(300, 10, 200), 0); /* 70%, two thirds of it inflame's */
	assert_int_equal(low(300, 0, 1), 1);
	assert_int_equal(low(300, 2, 3), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_program_threads),
	    cmocka_unit_test(test_inflame_own),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
