/*
 * Wall-clock sampling: one ticker thread of inflame's own that signals only the threads that ran
 * and counts the periods of the blocked ones without waking them (wall.c). None of these
 * functions but inflame_wall_queue is async-signal-safe.
 */
#ifndef INFLAME_WALL_H
#define INFLAME_WALL_H

#include "ring.h"
#include "thread.h"

#include <stdatomic.h>

/* Starts the ticker when wall events are on and it is not running. Returns 0 or a negative
 * errno (wall sampling is then off). */
int inflame_wall_start(void);
/* Stops the ticker: a last look at every thread, every blocked thread's periods written to the
 * ticker's ring; no wall signal is sent after it returns. */
void inflame_wall_stop(void);
/* After the ticker stopped: the periods of the calling thread from the ticker's final look to
 * end (CLOCK_MONOTONIC ns), which it spent writing the last file of its process image (exit,
 * exec), go to the profiler's own wall time (self_wall). */
void inflame_wall_finish_self(uint64_t end);
/* The ticker's ring (for the writer to drain), or NULL when there is none. */
struct inflame_ring *inflame_wall_ring(void);
/* The CPU time (ns) the wall-clock ticker threads of this process image have used so far:
 * profiler time, which the writer counts with its own. */
uint64_t inflame_wall_ticker_cpu_ns(void);
/* The wall periods that went to no sample since the image started (threads that ended, or
 * were still there as sampling ended, before any sample found them), and how many threads
 * they were of. */
void inflame_wall_unseen(uint64_t *periods, uint64_t *threads);
/* Whether the ticker is done with the EXITED slot t (it wrote the thread's last blocked
 * periods), so that the writer may release it. */
int inflame_wall_done_with(struct inflame_thread *t);
/* Sends the ticker's sampling signal (SI_QUEUE, INFLAME_COOKIE_WALL) to thread tid of this
 * process. Returns 0 or a negative errno. Async-signal-safe: the one function here that is. */
int inflame_wall_queue(pid_t tid);
/* 1 while the ticker sleeps past its period because no thread needs a look before: every one
 * is in a marked blocking call (shield.h) or has not run. The futex word of that sleep. */
extern _Atomic int inflame__wall_asleep;

/* Ends the ticker's long sleep, if it is in one (a thread came back from a marked call, started
 * or ended). One load when it is not. Async-signal-safe; keeps errno. */
void inflame__wall_wake(void);
static inline void inflame_wall_poke(void)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&inflame__wall_asleep, memory_order_relaxed))
		inflame__wall_wake();
}

/* In a fork child: the parent's ticker is not here; forget it and empty its ring. */
void inflame_wall_after_fork_child(void);

#endif
