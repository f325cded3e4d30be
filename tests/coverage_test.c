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

/* n threads of user_us of user CPU each, with weight periods of samples among them in all,
 * under a 1 ms period: the warning's entries, and its text in buf. */
static size_t short_threads(size_t n, uint64_t user_us, uint64_t weight, char *buf, size_t len)
{
	struct inflame_coverage c = {.present = 1, .period_ns = MS};
	struct inflame_coverage_thread t[600] = {{0}};
	size_t entries;

	for (size_t i = 0; i < n; i++) {
		t[i].tid = 100 + i;
		t[i].user_ns = user_us * 1000;
		t[i].weight = weight / n + (i < weight % n);
	}
	c.t = t;
	c.n = c.cap = n;
	entries = inflame_coverage_warning(&c, NULL, NULL, buf, len);
	return entries;
}

/* Threads too short to be judged one by one are judged together: 600 threads of 0.8 ms of CPU,
 * 55 samples among them (what a Python program of 600 such threads got), are worth a warning;
 * 450 samples are not, nor are 10 such threads, too little CPU to judge. */
static void test_short_threads(void **state)
{
	char buf[200];

	(void)state;
	assert_int_equal(short_threads(600, 800, 55, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "600 threads of less than 0.1 s of CPU each 11%");
	assert_int_equal(short_threads(600, 800, 450, buf, sizeof(buf)), 0);
	assert_int_equal(short_threads(10, 800, 0, buf, sizeof(buf)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_program_threads),
	    cmocka_unit_test(test_inflame_own),
	    cmocka_unit_test(test_short_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
