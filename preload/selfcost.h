/*
 * The sampling handler's own run time in the program's threads. The handler runs on the
 * thread's CPU clock, and every clock inflame samples with counts it: the perf clock its user
 * time, a POSIX timer its user and system time. The clock's signal stays blocked while the
 * handler runs, so a period that ends in the handler is delivered just after it returns, and
 * its sample lands on the program's code. Without a correction the handler's time is charged
 * to the program, and the profiler's own CPU in the dump leaves it out. The handler measures
 * each of its runs from entry to exit (the monotonic clock, read from the vDSO); the whole
 * periods that time adds up to are taken off the thread's next CPU samples and counted as the
 * profiler's own (self_cpu). All of it is async-signal-safe.
 */
#ifndef INFLAME_SELFCOST_H
#define INFLAME_SELFCOST_H

#include "dump_format.h"

#include <stdint.h>

/* The process's totals: the handler's measured run time (ns), its runs and the runs left out
 * as longer than INFLAME_HANDLER_MAX_NS (dump_format.h: the thread was off the CPU). */
struct inflame_selfcost_totals {
	_Atomic uint64_t ns, runs, long_runs;
};

/* Adds one run of the handler, from start to end (ns of the same clock), to *owed (the
 * thread's time not charged as a period yet) and to the totals. */
void inflame_selfcost_add(uint64_t *owed, struct inflame_selfcost_totals *tot, uint64_t start,
			  uint64_t end);

/* Takes the whole periods (of period ns) that *owed holds off a sample of *weight periods, at
 * most all of them, and returns how many it took: they are the profiler's own. *weight may
 * become 0 (the sample stands for nothing of the program's). */
uint64_t inflame_selfcost_take(uint64_t *owed, uint64_t *weight, uint64_t period);

#endif
