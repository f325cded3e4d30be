/*
 * The room a signal handler has on an alternate signal stack. inflame's handler is installed
 * with SA_ONSTACK (Go runs signal handlers on its own stacks only), so in a thread that set a
 * small alternate stack (Rust gives every thread 8 KiB with a guard page below) the handler
 * and its stack walk run there, where the deeper walks would run into the guard page. The
 * sample producer asks how much room is left and walks only as deep as fits.
 *
 * All functions here are async-signal-safe.
 */
#ifndef INFLAME_SIGSTACK_H
#define INFLAME_SIGSTACK_H

#include "config.h"
#include "thread.h"

#include <stddef.h>
#include <stdint.h>

/* The bytes of stack each unwinder needs below the frame of the sample producer that calls
 * inflame_unwind_pick, the rest of the producer's work included: the frame-pointer walk,
 * inflame's table walk (without libunwind), and a walk that may call libunwind (dwarf, auto).
 * The most measured on x86_64 (tests/progs/altstack with ALTSTACK_MEASURE, a 64 KiB alternate
 * stack, every unwinder and event) was 984, 2616 and 3336 bytes; these leave a margin of
 * about half as much again. On an 8 KiB alternate stack the handler reaches the producer with
 * about 4.6 KiB left (the kernel's signal frame takes about 3.4 KiB with AVX state): frame
 * pointers and the tables fit, libunwind does not. */
#define INFLAME_SIGSTACK_NEED_FP	1536
#define INFLAME_SIGSTACK_NEED_TABLE	3840
#define INFLAME_SIGSTACK_NEED_LIBUNWIND 5632

/* Below this much room a thread's own stack counts as scarce as a small alternate stack: the
 * main thread of a program that grows its stack to the limit (Ruby touches it all as it
 * starts) takes a signal there with a few KiB left, and a full walk ran past the limit. */
#define INFLAME_SIGSTACK_OWN_SCARCE 16384

/* The bytes of stack left below address here (a local of the caller) when the thread runs on
 * its alternate signal stack, or on its own stack with less than INFLAME_SIGSTACK_OWN_SCARCE
 * left above its known lowest address; SIZE_MAX when it runs on its own stack with more (here
 * lies within t's known stack bounds), or outside the alternate stack. uc is the handler's signal
 * context, whose uc_stack holds the thread's alternate stack; without one (NULL) it costs a system
 * call when here is outside t's known stack. */
size_t inflame_sigstack_room(const struct inflame_thread *t, const void *uc, uintptr_t here);

#endif
