/*
 * Whether a debugger traces the image. A debugged program would show inflame's threads in the
 * debugger, and each signal inflame sends would stop it there: a traced image is not profiled
 * unless INFLAME_TRACED=1 asks. Only TracerPid in /proc/self/status tells, and reading it cost
 * a short process about 17 us (the first /proc/self lookup and the file's making, issue 11).
 * So the check is made at the first moment inflame could show itself to a debugger: the
 * constructor when set-up starts a thread or samples with a signal debuggers stop at, else the
 * image's first CPU sample, a writer or ticker thread's start, or the program's first thread.
 * A forked child is checked again at its own first such moment. An image that ends before any
 * of them never asks: nothing of inflame's reached a debugger but the dump file.
 */
#ifndef INFLAME_TRACER_H
#define INFLAME_TRACER_H

#include "profiler.h"

#include <stdatomic.h>
#include <stdint.h>

/* The answers of the check, in the low bits of inflame__prof.tracer. */
enum inflame_tracer_state {
	INFLAME_TRACER_CHECKING = 1, /* a thread of the image reads it now */
	INFLAME_TRACER_UNTRACED = 2,
	INFLAME_TRACER_TRACED = 3 /* profiling stopped for good */
};

/* The process that traces the calling one (TracerPid in /proc/self/status), 0 for none or
 * when the file cannot be read. Async-signal-safe. */
long inflame_tracer_pid(void);

/* Records that this image is not to be checked again: it was checked untraced, or
 * INFLAME_TRACED=1 profiles it anyway. */
void inflame_tracer_untraced(void);

/*
 * The check before inflame first shows itself (at names the moment, for the dump's note: "its
 * first sample"). The first call of an image reads TracerPid. Traced, and INFLAME_TRACED unset:
 * sampling stops for good (the CPU timers are disarmed; the handler stays and ignores what is
 * still pending), and a note in the dump says why. Returns 0 to go on, 1 when the image is
 * traced and stopped, 2 while another thread of the image checks. Async-signal-safe.
 */
int inflame_tracer_check(const char *at);

/* Whether this image was checked untraced (or INFLAME_TRACED=1 profiles it). */
static inline int inflame_tracer_clear(void)
{
	uint64_t mine = (uint64_t)(uint32_t)inflame__prof.pid << 2 | INFLAME_TRACER_UNTRACED;

	return atomic_load_explicit(&inflame__prof.tracer, memory_order_acquire) == mine;
}

/* The check for normal context, before inflame starts a thread of its own or registers one of
 * the program's: when another thread of the image is checking (a handler never waits for
 * it), waits for its answer, so that the caller never goes on as if untraced, nor skips its
 * work on a guess. Returns 0 to go on, 1 when the image is traced and stopped. Not
 * async-signal-safe (it may wait). */
int inflame_tracer_wait(const char *at);

/* inflame_tracer_wait with its fast path: 0 at once when this image was checked untraced. */
static inline int inflame_tracer_gate(const char *at)
{
	return inflame_tracer_clear() ? 0 : inflame_tracer_wait(at);
}

/* Whether this image was found traced and stopped sampling for good. */
static inline int inflame_tracer_stopped(void)
{
	uint64_t mine = (uint64_t)(uint32_t)inflame__prof.pid << 2 | INFLAME_TRACER_TRACED;

	return atomic_load_explicit(&inflame__prof.tracer, memory_order_acquire) == mine;
}

#endif
