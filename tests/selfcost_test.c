/* Unit tests for the sampling handler's own run time (preload/selfcost_sigsafe.c): runs add up
 * in the thread's owed time and the process's totals, a run longer than the handler runs on
 * the CPU is counted apart and left out, and the whole periods owed are taken off the next
 * samples, never more than a sample's weight, the rest kept for later. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "selfcost.h"

static void test_add(void **state)
{
	struct inflame_selfcost_totals tot = {0, 0, 0};
	uint64_t owed = 0;

	(void)state;
	inflame_selfcost_add(&owed, &tot, 1000, 8000);
	inflame_selfcost_add(&owed, &tot, 20000, 25000);
	assert_int_equal(owed, 12000);
	assert_int_equal(tot.ns, 12000);
	assert_int_equal(tot.runs, 2);
	assert_int_equal(tot.long_runs, 0);
	/* The thread was off the CPU in this one: counted, its time left out. */
	inflame_selfcost_add(&owed, &tot, 0, INFLAME_HANDLER_MAX_NS + 1);
	assert_int_equal(owed, 12000);
	assert_int_equal(tot.ns, 12000);
	assert_int_equal(tot.runs, 2);
	assert_int_equal(tot.long_runs, 1);
	/* The longest run still taken as the handler's. */
	inflame_selfcost_add(&owed, &tot, 0, INFLAME_HANDLER_MAX_NS);
	assert_int_equal(owed, 12000 + INFLAME_HANDLER_MAX_NS);
	assert_int_equal(tot.runs, 3);
	/* A clock that failed (0 at the end) measures nothing. */
	inflame_selfcost_add(&owed, &tot, 5000, 0);
	assert_int_equal(tot.runs, 3);
	assert_int_equal(tot.long_runs, 1);
}

static void test_take(void **state)
{
	uint64_t owed = 999999, weight = 1;

	(void)state;
	/* Less than a period owed: the sample keeps its weight. */
	assert_int_equal(inflame_selfcost_take(&owed, &weight, 1000000), 0);
	assert_int_equal(weight, 1);
	assert_int_equal(owed, 999999);
	/* Two and a half periods: the sample of weight 1 gives its period, no more. */
	owed = 2500000;
	assert_int_equal(inflame_selfcost_take(&owed, &weight, 1000000), 1);
	assert_int_equal(weight, 0);
	assert_int_equal(owed, 1500000);
	/* The next sample, of weight 3, gives the whole period left; the half stays owed. */
	weight = 3;
	assert_int_equal(inflame_selfcost_take(&owed, &weight, 1000000), 1);
	assert_int_equal(weight, 2);
	assert_int_equal(owed, 500000);
	/* No period known: nothing taken. */
	owed = 5000000;
	assert_int_equal(inflame_selfcost_take(&owed, &weight, 0), 0);
	assert_int_equal(weight, 2);
	assert_int_equal(owed, 5000000);
}

/* Over many samples the periods taken are the handler's time over the period, to within one,
 * and each sample's weight and what was taken from it add up to what it had. */
static void test_take_many(void **state)
{
	struct inflame_selfcost_totals tot = {0, 0, 0};
	uint64_t owed = 0, taken = 0, kept = 0;

	(void)state;
	for (int i = 0; i < 10000; i++) {
		uint64_t weight = 1 + (uint64_t)(i % 3 == 0);

		inflame_selfcost_add(&owed, &tot, 0, 7000 + (uint64_t)(i % 11) * 100);
		taken += inflame_selfcost_take(&owed, &weight, 1000000);
		kept += weight;
	}
	assert_int_equal(taken, tot.ns / 1000000);
	assert_true(owed < 1000000);
	assert_int_equal(taken + kept, 10000 + 3334);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add),
	    cmocka_unit_test(test_take),
	    cmocka_unit_test(test_take_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
