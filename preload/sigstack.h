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
 * lies within t's known stack bounds), or outside the alternate stack. On inflame's own
 * alternate stack the room is the interrupted code's: SIZE_MAX unless it ran on t's own stack
 * with less than INFLAME_SIGSTACK_OWN_SCARCE left (then the room on ours). uc is the handler's
 * signal context, whose uc_stack holds the thread's alternate stack; without one (NULL) it costs a
 * system call when here is outside t's known stack. */
size_t inflame_sigstack_room(const struct inflame_thread *t, const void *uc, uintptr_t here);

/* The size of inflame's own alternate signal stack, a guard page below it: the main thread's
 * stack limit (RLIMIT_STACK), from INFLAME_SIGSTACK_OWN_MIN to INFLAME_SIGSTACK_OWN_MAX (the
 * latter when it is unlimited). The program's handlers installed with SA_ONSTACK run there too,
 * and would run on the thread's own stack without it: they may go as deep there (a handler 2 MiB
 * deep died at 256 KiB, tests/onstack_deep_test.sh). It is address space, not memory: only the
 * pages a handler touches cost any. */
#define INFLAME_SIGSTACK_OWN_MIN (256 * 1024)
#define INFLAME_SIGSTACK_OWN_MAX (64 * 1024 * 1024)

/*
 * Gives the calling thread, the main thread at start-up, an alternate signal stack of inflame's
 * when it has none, so that inflame's handler (SA_ONSTACK) never needs room on the thread's own
 * stack. A program that runs at the end of its main thread's stack (Ruby reserves its stack so
 * as it starts) left the kernel too little room below the interrupted instruction for the signal
 * frame (about 3 KiB with AVX-512 state) or the handler: the kernel or the handler hit the stack
 * limit and the program died (SIGSEGV in 1 to 3 runs of 100 of tests/stackedge_test.sh under
 * load). The program never sees that stack: sigaltstack() tells it none is set (interpose_
 * signals.c) and its own replaces ours. Threads made with clone do not inherit it (the kernel
 * clears it); a fork child of the thread does, with its memory. Returns 0 or a negative errno
 * (-EEXIST: the thread has one already). Not async-signal-safe.
 */
int inflame_sigstack_own_install(void);

/* The alternate stack of an image that waits (init.c): a static array of this size, set with
 * one system call where the full stack takes five (issue 11). It has no guard page below. Only
 * inflame's handlers run there while the image waits and until its first safe point: the
 * deepest, the first sample's, which settles the image in signal context, used at most 9.2 KiB
 * of it (dlburn, python3 and sh under each unwinder, measured with a pattern). The full stack
 * replaces it before a handler of the program's or a second thread may run there
 * (inflame_sigstack_own_grow). */
#define INFLAME_SIGSTACK_OWN_SMALL (64 * 1024)

/* inflame_sigstack_own_install() for an image that waits: the small stack above, taken from
 * memory the library has. Returns 0 or a negative errno (-EEXIST: the thread has one already).
 * Not async-signal-safe. */
int inflame_sigstack_own_install_small(void);

/*
 * Replaces the small stack with the full one on the calling thread, the main thread, when the
 * small one is set there: before a handler of the program's may run on it (the program installs
 * one with SA_ONSTACK, as tests/onstack_deep_test.sh's, which goes 2 MiB deep), before the
 * process has a second thread (one of them could install such a handler), and when the program
 * disables a stack of its own (ours comes back). Nothing when the thread runs on it now (in a
 * handler), or the program's own stack is set (-EBUSY). When the full one cannot be had, the
 * thread is left with no alternate stack, as unprofiled. Returns 0 or a negative errno. It
 * makes system calls only: a handler may call it.
 */
int inflame_sigstack_own_grow(void);

/* Whether inflame's own stack is the small one. Async-signal-safe. */
int inflame_sigstack_own_is_small(void);

/* Sets inflame's alternate stack again on the calling thread, after the program disabled its
 * own (or ours), when inflame made one at start-up. Async-signal-safe. */
void inflame_sigstack_own_restore(void);

/* Whether the alternate stack ss (as sigaltstack() or a signal context gives it) is inflame's.
 * Async-signal-safe. */
int inflame_sigstack_is_own(const void *ss);

#endif
