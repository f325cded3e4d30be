/*
 * The DWARF unwinder: libunwind's local unwinding, started from a signal's ucontext or from
 * the current frame. libunwind finds unwind tables through dl_iterate_phdr, which takes the
 * loader's lock; the caller must therefore not use this while the interrupted thread is inside
 * the loader (thread.h's in_dl flag), and falls back to frame pointers then. libunwind's own
 * caches block signals while they hold their locks, and it allocates from its own mmap pools,
 * which makes local unwinding from a signal handler safe in the sense used here.
 */
#define UNW_LOCAL_ONLY
#include "unwind.h"

#include <libunwind.h>

static size_t steps(unw_cursor_t *c, uint64_t *out, size_t max, int *truncated)
{
	size_t n = 0;

	*truncated = 0;
	for (;;) {
		unw_word_t ip;

		if (unw_get_reg(c, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		if (n == max) {
			*truncated = 1;
			break;
		}
		out[n++] = ip;
		if (unw_step(c) <= 0)
			break;
	}
	return n;
}

size_t inflame_unwind_dwarf_context(ucontext_t *uc, uint64_t *out, size_t max, int *truncated)
{
	unw_cursor_t c;

	*truncated = 0;
	if (unw_init_local2(&c, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) < 0)
		return 0;
	return steps(&c, out, max, truncated);
}

size_t inflame_unwind_dwarf_here(uint64_t *out, size_t max, int *truncated)
{
	unw_context_t ctx;
	unw_cursor_t c;

	*truncated = 0;
	if (unw_getcontext(&ctx) < 0 || unw_init_local(&c, &ctx) < 0)
		return 0;
	if (unw_step(&c) <= 0) /* skip this function */
		return 0;
	return steps(&c, out, max, truncated);
}
