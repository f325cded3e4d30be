/*
 * Coverage: how much of each thread's measured CPU time its samples stand for, from a dump's
 * THREAD_CPU chunks (dump_format.h). A thread whose samples cover much less than its CPU time
 * was not sampled while it ran (it blocked the sampling signal, say): its share of the profile
 * is understated, and the readers say so.
 */
#ifndef INFLAME_COVERAGE_H
#define INFLAME_COVERAGE_H

#include "dump_read.h"

#include <stddef.h>
#include <stdint.h>

/* Below this share of its CPU time a thread's coverage is worth a warning, and only for a
 * thread with at least INFLAME_COVERAGE_MIN_NS of CPU (below that, the kernel's split of
 * user and system time, in clock ticks, is too coarse) whose samples are mostly the
 * program's (not inflame's own: coverage.c). */
#define INFLAME_COVERAGE_WARN	0.80
#define INFLAME_COVERAGE_MIN_NS 100000000ull
/* From this share of the CPU time spent in the kernel, a clock that fires in user code only
 * is worth a warning (inflame_coverage_misplaced_sys()). */
#define INFLAME_COVERAGE_SYS_WARN 0.05

struct inflame_coverage_thread {
	uint64_t tid;
	uint64_t flags; /* INFLAME_TCPU_T_* of its last entry */
	uint64_t cpu_ns, user_ns, sys_ns;
	uint64_t weight, self_cpu, self_wall;
	/* CPU time its clock counted that no sample stands for: the part of a period it ran in
	 * when it exited or sampling paused (0 in dumps of older writers; in those without the
	 * losses list, it also holds what the perf count missed). */
	uint64_t unsampled_ns;
	/* What the perf count missed of its CPU clock at its switches, the CPU it ran before its
	 * clock was armed, and the periods its clock's signals brought that no sample took: in no
	 * sample (0 in dumps of older writers). */
	uint64_t missed_ns, before_ns, dropped_ns;
};

struct inflame_coverage {
	int present;	    /* the dump has THREAD_CPU chunks */
	uint64_t period_ns; /* of the last chunk */
	uint64_t flags;	    /* INFLAME_TCPU_* of the last chunk */
	uint64_t writer_ns;
	/* Some chunk had the list of missed and before-the-clock CPU: unsampled_ns is only what
	 * the threads ran after their last samples. */
	int has_losses;
	struct inflame_coverage_thread *t;
	size_t n, cap;
};

/* Takes in one THREAD_CPU chunk. Returns 0, -EBADMSG (the chunk is malformed: nothing of it
 * is kept) or -ENOMEM. */
int inflame_coverage_add(struct inflame_coverage *c, const struct inflame_chunk *ch);
void inflame_coverage_free(struct inflame_coverage *c);

/* The CPU time the clock samples for thread t (user time, plus system time when the clock
 * counts it), and the CPU its samples stand for (those in inflame's own code included: they
 * were taken, just not charged to the program), in ns. */
uint64_t inflame_coverage_measured(const struct inflame_coverage *c,
				   const struct inflame_coverage_thread *t);
uint64_t inflame_coverage_sampled(const struct inflame_coverage *c,
				  const struct inflame_coverage_thread *t);
/* Whether thread t deserves the low-coverage warning. */
int inflame_coverage_low(const struct inflame_coverage *c, const struct inflame_coverage_thread *t);
/* The threads too short to be judged alone, taken together: each may end before its clock's
 * first period and leave no sample (600 Python threads of 0.8 ms of CPU each had samples for
 * 11% of their 0.5 s, and no thread was warned about). Returns how many there are when they
 * have at least the CPU a thread needs to be judged and their samples stand for less than
 * INFLAME_COVERAGE_WARN of it, with that share in *share; 0 otherwise. */
uint64_t inflame_coverage_short_low(const struct inflame_coverage *c, double *share);
/* The CPU of inflame itself: samples that landed in its code, and its threads (ns). */
uint64_t inflame_coverage_self_ns(const struct inflame_coverage *c);

/* The share of the sampled CPU time (0 to 1) that was spent in the kernel out of the clock's
 * reach (charged to the user code that ran after it, or shown without its caller), when it
 * deserves a warning: the clock counts system time but
 * fires in user code only, and the threads' system time is at least INFLAME_COVERAGE_MIN_NS
 * and INFLAME_COVERAGE_SYS_WARN of their CPU time. 0 otherwise. */
double inflame_coverage_misplaced_sys(const struct inflame_coverage *c);
/* Whether the dump shows that time as samples of INFLAME_KERNEL_FRAME_NAME (a writer that
 * flags INFLAME_TCPU_KERNEL_FRAME), rather than charging it to the code that ran next. */
int inflame_coverage_kernel_shown(const struct inflame_coverage *c);

/* Writes into buf (size len) the low-coverage threads, "name (tid N) 12%, ...", naming each
 * with name(arg, tid) (NULL or "" when unknown), then the short threads taken together when
 * they deserve it ("600 threads of less than 0.1 s of CPU each 11%"); returns how many
 * entries there are. */
size_t inflame_coverage_warning(const struct inflame_coverage *c,
				const char *(*name)(void *arg, uint64_t tid), void *arg, char *buf,
				size_t len);

#endif
