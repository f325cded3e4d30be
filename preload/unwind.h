/*
 * Stack unwinding inside the target, from a signal's ucontext or from the current frame.
 *
 * The frame-pointer walker reads only memory inside the thread's known stack, each frame
 * pointer aligned and strictly above the last, so a corrupt or frameless stack ends the walk
 * instead of faulting. It also recovers the caller of a leaf function that set up no frame
 * (its return address is still at the stack pointer) after checking that the word there
 * really follows a call instruction in mapped code. The table walker uses inflame's own
 * unwind tables (ehframe.h) through the code map (modules.h), one lookup per frame, with the
 * same bounds on every read. libunwind is only the fallback where the tables have no rule,
 * and only when the interrupted thread is not inside the dynamic loader.
 *
 * All functions here are async-signal-safe.
 */
#ifndef INFLAME_UNWIND_H
#define INFLAME_UNWIND_H

#include "config.h"
#include "thread.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

/* Fills out[0..max) leaf first from the interrupted context; returns the number of frames and
 * sets *truncated when max was reached with frames left. */
size_t inflame_unwind_fp_context(const ucontext_t *uc, const struct inflame_thread *t,
				 uint64_t *out, size_t max, int *truncated);
/* The same starting from the caller of the function that calls it, leaving out inflame's own
 * frames before the first frame of the program but the last, which stays as the leaf (see
 * inflame_unwind_hide). */
size_t inflame_unwind_fp_here(const struct inflame_thread *t, uint64_t *out, size_t max,
			      int *truncated) __attribute__((noinline));
/* The same from fp, the frame of one of inflame's functions still running (an allocation hook
 * passes its own, which spares walking the frames of the functions it called). */
size_t inflame_unwind_fp_from(const struct inflame_thread *t, uintptr_t fp, uint64_t *out,
			      size_t max, int *truncated);
/* Walks from a signal context with inflame's own unwind tables (modules.h, ehframe.h) only:
 * a frame-pointer step where they have no rule. For tests and benchmarks. */
size_t inflame_unwind_table_context(const ucontext_t *uc, const struct inflame_thread *t,
				    uint64_t *out, size_t max, int *truncated);
/* The same through the thread's walk cache (thread.h), which the caller must own: only the
 * thread's outermost producer may use it. The frames are those of the walk without it. */
size_t inflame_unwind_table_context_cached(const ucontext_t *uc, struct inflame_thread *t,
					   uint64_t *out, size_t max, int *truncated);
/* The same from registers pc, sp, fp (exact: pc is an interrupted instruction rather than a
 * return address); out[0] is pc. */
size_t inflame_unwind_table_from(const struct inflame_thread *t, uintptr_t pc, uintptr_t sp,
				 uintptr_t fp, int exact, uint64_t *out, size_t max,
				 int *truncated);
/* Walks the stack of a sample (from the signal context uc; when uc is NULL, from the frame fp
 * of one of inflame's functions, or from the caller when fp is 0) with the unwinder mode asks for:
 * INFLAME_UNWIND_AUTO chooses per sample by the objects the stack runs through (unwind_sigsafe.c
 * says how). */
/* Or'ed into the mode of inflame_unwind_pick: the walk may not call libunwind (too little stack
 * is left for it, sigstack.h); inflame's tables take frame-pointer steps where they would fall
 * back. */
#define INFLAME_UNWIND_NO_LIBUNWIND 0x100
size_t inflame_unwind_pick(enum inflame_unwind mode, struct inflame_thread *t, void *uc,
			   uintptr_t fp, uint64_t *frames, size_t max, int *truncated);
/* The program's first frame under an allocation hook: the registers a walk from the hook's
 * frame fp has there (pc its return address), and leaf, the last return address into
 * inflame's code above it (the walk's leaf). inflame_unwind_hook_frame() passes inflame's
 * frames by their frame pointers; returns 0, or -1 when the chain ends before that frame. */
struct inflame_hook_frame {
	uint64_t leaf, pc, sp, fp;
};
int inflame_unwind_hook_frame(const struct inflame_thread *t, uintptr_t fp,
			      struct inflame_hook_frame *h);
/* The call-site cache (thread.h, struct inflame_site_cache), for the thread's outermost
 * producer only. inflame_unwind_site_find(), before the hook's walk (inflame_unwind_pick with
 * mode): 1 when the walk from the first frame h would give the frames of an earlier one, whose
 * tag it puts in *tag; 0 when it has none (*seq then receives the code map's state for
 * inflame_unwind_site_keep()); -1 when the cache cannot vouch for walks from h (under auto,
 * a first frame in an object with frame pointers). inflame_unwind_site_keep(), after the walk
 * of a hook that found none (frames[0..n), leaf first, not truncated), remembers the frames by
 * tag when the walk is one the cache can vouch for: the tables' from h, every step by a table
 * row, under the code map of *seq. */
int inflame_unwind_site_find(struct inflame_thread *t, enum inflame_unwind mode,
			     const struct inflame_hook_frame *h, unsigned *seq, uint64_t *tag);
void inflame_unwind_site_keep(struct inflame_thread *t, const struct inflame_hook_frame *h,
			      unsigned seq, const uint64_t *frames, size_t n, uint64_t tag);
/* The code range of inflame itself, whose frames a walk from an allocation hook (uc NULL) leaves
 * out, all but the innermost, until it reaches the program's: they would only take room in
 * the ring and the dump, and the tools hide them anyway. Call once at start-up, before any
 * hook records. */
void inflame_unwind_hide(uintptr_t lo, uintptr_t hi);

/* Tells the unwinder where the C library's signal trampoline is (the restorer its sigaction()
 * gives every handler; pc must lie in a loaded object's code, whose bytes it checks): a
 * frame-pointer walk under auto ends there and the unwind tables go on through the signal
 * frame. Async-signal-safe. */
void inflame_unwind_sigreturn_at(uintptr_t pc);
/* Whether the program counter of signal context uc lies in inflame's own code. */
int inflame_unwind_in_inflame(const void *uc);
/* How many frames so far were stepped by one function's entry of .eh_frame, read in place
 * because their object's unwind table was not built yet (the first moments of an object).
 * Async-signal-safe. */
unsigned long inflame_unwind_gap_steps(void);
/* Loads libunwind (dlopen, RTLD_LOCAL) and finds its entry points. Returns 0 or -ENOENT, after
 * which the DWARF functions below return 0 frames. Not async-signal-safe: call at start-up. */
int inflame_unwind_dwarf_init(void);
/* Whether libunwind is loaded and may run (not after inflame_unwind_dwarf_off()). */
int inflame_unwind_dwarf_ready(void);
/* libunwind may not run any more (a fork child of a threaded parent, where its lock may be
 * held forever): the table walks take frame-pointer steps where they would have fallen back. */
void inflame_unwind_dwarf_off(void);
/* Allows the lazy load (a profiled process, at start-up): until it is asked for, libunwind is
 * not loaded and the walks take frame-pointer steps where they would fall back to it. Not
 * async-signal-safe. */
void inflame_unwind_dwarf_lazy(void);
/* A walk met code only libunwind could pass: asks the writer to load it (once; nothing unless
 * inflame_unwind_dwarf_lazy() allowed it and it is not loaded or off). Async-signal-safe. */
void inflame_unwind_dwarf_want(void);
/* Whether libunwind was asked for and is not loaded yet: walks meanwhile take frame-pointer
 * steps where they would have fallen back to it, and are not repeated as a thread's last
 * stack. Async-signal-safe. */
int inflame_unwind_dwarf_coming(void);
/* The writer's part: loads libunwind if a walk asked for it (and logs when it cannot). Not
 * async-signal-safe: the writer thread only, outside any signal handler. */
void inflame_unwind_dwarf_load_asked(void);
/* libunwind from a signal context; returns 0 when it could not start (caller falls back). */
size_t inflame_unwind_dwarf_context(ucontext_t *uc, uint64_t *out, size_t max, int *truncated);
/* libunwind from the current frame (allocation hooks). */
size_t inflame_unwind_dwarf_here(uint64_t *out, size_t max, int *truncated);
/* libunwind from the frame of a function that ret returns into, whose stack pointer was sp
 * and frame pointer register fp (as a frame-pointer walk recovers them): the frames of its
 * callers, not ret itself. slots (NULL: not asked) receives, for each frame, the stack address
 * its return address was read from. 0 when it could not start. */
size_t inflame_unwind_dwarf_from(uintptr_t ret, uintptr_t sp, uintptr_t fp, uint64_t *out,
				 uint64_t *slots, size_t max, int *truncated);

#endif
