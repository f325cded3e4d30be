/*
 * Time in a profile: the samples of dumps one by one (a timeline), and the time points of
 * --from and --to.
 *
 * A timeline is filled by the dump loader when a caller puts one in struct inflame_load_opts:
 * for each sample it keeps the stack it added to the stack set (an index for
 * inflame_stackset_get), its thread, its time, its weight and, for allocations, when the block
 * was freed. Times are nanoseconds from the start of the earliest run loaded into it, so the
 * dumps of several processes (or several files of one) share one time axis. Samples are kept
 * in the order the loader reports them; inflame_timeline_finish() orders them by time.
 * Memory grows with the samples kept (32 bytes each) and the threads.
 *
 * A time point is what the user typed: seconds from the start ("1.5"), a date and time
 * ("2026-12-04T10:00:00", local time unless it ends in "Z") or a time of day ("10:00:00.25",
 * on the day the run started, local time). It is resolved against each dump's start, since
 * the same wall-clock time is a different offset in each run.
 *
 * Nothing here prints or exits; functions return 0 or a negative errno.
 */
#ifndef INFLAME_TIMELINE_H
#define INFLAME_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

struct inflame_timeline_sample {
	uint64_t time;	 /* ns from the timeline's start */
	uint64_t weight; /* as added to the stack set */
	int64_t freed;	 /* allocations: ns from the start when freed; -1 never, or unknown */
	uint32_t stack;	 /* index in the stack set (valid until the set is sorted) */
	uint32_t thread; /* index in the timeline's threads */
};

struct inflame_timeline_thread {
	uint64_t pid, tid;
	char *name; /* "" when the dump has none */
	int exited;
};

struct inflame_timeline {
	struct inflame_timeline_sample *samples;
	size_t nsamples, samples_cap;
	struct inflame_timeline_thread *threads;
	size_t nthreads, threads_cap;
	int has_start;		 /* a dump was loaded */
	uint64_t start_realtime; /* CLOCK_REALTIME ns of the timeline's start */
	uint64_t end;		 /* ns from the start: the last run's end or last sample */
	/* Internal: a hash from (pid, tid) to thread index + 1. */
	uint32_t *thread_hash;
	size_t thread_hash_size;
};

/* Frees what the timeline holds and zeroes it; accepts a zeroed timeline. */
void inflame_timeline_free(struct inflame_timeline *tl);

/* Moves the start to start_realtime when that is earlier, shifting the samples kept so far;
 * returns the offset, in ns, of a run that started at start_realtime. */
uint64_t inflame_timeline_begin_run(struct inflame_timeline *tl, uint64_t start_realtime);

/* The index of thread (pid, tid), added if new. name (n bytes) replaces an empty name; exited
 * is ORed in. Returns 0 with *index, or -ENOMEM. */
int inflame_timeline_thread(struct inflame_timeline *tl, uint64_t pid, uint64_t tid,
			    const char *name, size_t n, int exited, uint32_t *index);

/* Appends a sample. Returns 0 or -ENOMEM. */
int inflame_timeline_add(struct inflame_timeline *tl, const struct inflame_timeline_sample *s);

/* Orders the samples by time (ties keep their order). */
void inflame_timeline_finish(struct inflame_timeline *tl);

enum inflame_time_kind {
	INFLAME_TIME_NONE = 0,	 /* not given */
	INFLAME_TIME_OFFSET,	 /* ns from the run's start */
	INFLAME_TIME_REALTIME,	 /* ns since the epoch */
	INFLAME_TIME_TIME_OF_DAY /* ns since local midnight */
};

struct inflame_time_point {
	enum inflame_time_kind kind;
	uint64_t ns;
};

/* Parses a --from/--to value. Returns 0, or -EINVAL for anything else. */
int inflame_time_point_parse(const char *s, struct inflame_time_point *p);

/* The point as ns from the start of a run that started at start_realtime: 0 when before it,
 * dflt when the point is not given. */
uint64_t inflame_time_point_resolve(const struct inflame_time_point *p, uint64_t start_realtime,
				    uint64_t dflt);

#endif
