/*
 * The sampling handler's run time (selfcost.h): its measured runs, and the periods of the
 * thread's CPU clock they add up to, which the thread's samples leave to the profiler. It
 * owns only the arithmetic; the handler keeps the figures in the thread's slot and in the
 * profiler's totals.
 */
#include "selfcost.h"

void inflame_selfcost_add(uint64_t *owed, struct inflame_selfcost_totals *tot, uint64_t start,
			  uint64_t end)
{
	uint64_t d;

	if (end < start)
		return; /* (the clock failed: nothing measured) */
	d = end - start;
	if (d > INFLAME_HANDLER_MAX_NS) {
		__atomic_add_fetch(&tot->long_runs, 1, __ATOMIC_RELAXED);
		return;
	}
	*owed += d;
	__atomic_add_fetch(&tot->ns, d, __ATOMIC_RELAXED);
	__atomic_add_fetch(&tot->runs, 1, __ATOMIC_RELAXED);
}

uint64_t inflame_selfcost_take(uint64_t *owed, uint64_t *weight, uint64_t period)
{
	uint64_t n;

	if (!period || *owed < period)
		return 0;
	n = *owed / period;
	if (n > *weight)
		n = *weight;
	*owed -= n * period;
	*weight -= n;
	return n;
}
