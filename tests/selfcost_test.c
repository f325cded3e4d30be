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

/* Takes from a sample of weight periods of period ns with owed ns owed, and checks what was
 * taken, the weight left and what is still owed. */
static void take_is(uint64_t owed, uint64_t weight, uint64_t period, uint64_t taken,
		    uint64_t weight_left, uint64_t owed_left)
{
	assert_int_equal(inflame_selfcost_take(&owed, &weight, period), taken);
	assert_int_equal(weight, weight_left);
	assert_int_equal(owed, owed_left);
}

static void test_take(void **state)
{
	(void)state;
	/* Less than a period owed: the sample keeps its weight. */
	take_is(999999, 1, 1000000, 0, 1, 999999);
	/* Two and a half periods: the sample of weight 1 gives its period, no more. */
	take_is(2500000, 1, 1000000, 1, 0, 1500000);
	/* The next sample, of weight 3, gives the whole period left; the half stays owed. */
	take_is(1500000, 3, 1000000, 1, 2, 500000);
	/* No period known: nothing taken. */
	take_is(5000000, 2, 0, 0, 2, 5000000);
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
