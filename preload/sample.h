/*
 * Turning signals and allocation events into samples in the calling thread's ring.
 *
 * inflame_sample_signal() is the handler for the sampling signal: it recognises the signals
 * inflame itself sent (perf overflow, thread CPU timer, itimer, wall ticker), samples, and hands
 * every other signal to the program's own handler for that signal, if it has one.
 * inflame_sample_dump_signal() is the handler for INFLAME_SIGNAL and only wakes the writer.
 * All functions here are async-signal-safe.
 */
#ifndef INFLAME_SAMPLE_H
#define INFLAME_SAMPLE_H

#include "thread.h"
#include "writer.h"

#include <signal.h>
#include <stdint.h>

void inflame_sample_signal(int sig, siginfo_t *si, void *uc);
void inflame_sample_dump_signal(int sig, siginfo_t *si, void *uc);

/* Records one sample of event for thread t, unwinding from uc (a signal context) or, when uc
 * is NULL, from fp, the frame of the inflame function that calls this (0: from the caller of
 * this function). ALLOC samples get their place in the process-wide order of allocation events
 * (alloc.h) and a coarse time; others the precise time. Returns 0, or -ENOSPC when the sample
 * was dropped (ring full or too deeply nested). Async-signal-safe. */
int inflame_sample_take(struct inflame_thread *t, int event, uint64_t weight, uint64_t size,
			uint64_t addr, void *uc, uintptr_t fp);
/* Records the FREE of addr (struct inflame_free_rec), with its place in the order of allocation
 * events and no time of its own (the writer uses the time of the event written before it).
 * Returns 0 or -ENOSPC. Async-signal-safe. */
int inflame_sample_put_free(struct inflame_thread *t, uint64_t addr);
/* Records a cpu sample of weight periods that thread t spent in the kernel, found behind a
 * sample of a clock that fires in user code only: its stack is the single frame
 * INFLAME_FRAME_KERNEL (dump_format.h), its time now. Returns 0 or -ENOSPC.
 * Async-signal-safe. */
int inflame_sample_put_kernel(struct inflame_thread *t, uint64_t weight);
/* Records a RESTORE of the block at addr (INFLAME_REC_RESTORE), numbered as an ALLOC. Returns 0
 * or -ENOSPC. Async-signal-safe. */
int inflame_sample_put_restore(struct inflame_thread *t, uint64_t addr);
/* Wakes the writer when a ring has just passed half full (used > size/2, before = used bytes
 * before the record was claimed). Async-signal-safe. */
static inline void inflame_sample_maybe_wake(struct inflame_ring *r, uint64_t before)
{
	if (before <= r->size / 2 && inflame_ring_used(r, 0) > r->size / 2)
		inflame_writer_request(INFLAME_WRITER_WAKE);
}

#endif
