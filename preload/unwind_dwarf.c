/*
 * The DWARF unwinder: libunwind's local unwinding, started from a signal's ucontext or from
 * the current frame. libunwind finds unwind tables through dl_iterate_phdr, which takes the
 * loader's lock; the caller must therefore not use this while the interrupted thread is inside
 * the loader (thread.h's in_dl flag, or ld.so on the stack: unwind_sigsafe.c), and falls back to
 * frame pointers then. libunwind's caches block signals while they hold their locks, and it
 * allocates from its own mmap pools, which makes local unwinding from a signal handler safe in
 * the sense used here.
 *
 * libunwind is loaded with dlopen(RTLD_LOCAL) by inflame_unwind_dwarf_init() rather than
 * linked: libunwind.so also defines the _Unwind_* functions of the C++ exception ABI, and as a
 * dependency of a preloaded library it would come before libgcc_s in the global scope, so
 * every exception the program throws would be unwound by libunwind instead of libgcc - a
 * different program, with libunwind's locks taken in the program's own threads. Loaded locally,
 * its symbols are visible to us only.
 *
 * A profiled process loads it lazily: inflame_unwind_dwarf_lazy() at start-up only allows it,
 * a walk that meets code its tables cannot pass asks for it (inflame_unwind_dwarf_want, from
 * the signal handler), and the writer thread loads it on its next cycle. A short process whose
 * walks the tables carry, or that takes no sample at all, never pays for the dlopen.
 */
#define UNW_LOCAL_ONLY
#include "unwind.h"

#include "log.h"
#include "writer.h"

#include <dlfcn.h>
#include <string.h>
#include <libunwind.h>
#include <stdatomic.h>

#define STR2(x) #x
#define STR(x)	STR2(x)

static int (*p_init_local2)(unw_cursor_t *, unw_context_t *, int);
static int (*p_init_local)(unw_cursor_t *, unw_context_t *);
static int (*p_step)(unw_cursor_t *);
static int (*p_get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
static int (*p_getcontext)(unw_context_t *);
static _Atomic int ready;

/* The lazy load: whether it may happen, was asked for, or will not happen any more. */
enum lazy {
	LAZY_NO = 0,  /* not allowed (no profiled process: tests, benchmarks) */
	LAZY_ALLOWED, /* a walk may ask */
	LAZY_ASKED,   /* the writer loads it next cycle */
	LAZY_DONE,    /* loaded, failed, or off */
};
static _Atomic int lazy;

int inflame_unwind_dwarf_init(void)
{
	static const char *const names[] = {"libunwind.so.8", "libunwind.so"};
	int (*set_policy)(unw_addr_space_t, unw_caching_policy_t);
	unw_addr_space_t *as;
	void *h = NULL;

	if (atomic_load(&ready))
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !h; i++)
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return -ENOENT;
	*(void **)&p_init_local2 = dlsym(h, STR(unw_init_local2));
	*(void **)&p_init_local = dlsym(h, STR(unw_init_local));
	*(void **)&p_step = dlsym(h, STR(unw_step));
	*(void **)&p_get_reg = dlsym(h, STR(unw_get_reg));
	*(void **)&p_getcontext = dlsym(h, STR(unw_tdep_getcontext));
	*(void **)&set_policy = dlsym(h, STR(unw_set_caching_policy));
	as = dlsym(h, STR(unw_local_addr_space));
	if (!p_init_local2 || !p_init_local || !p_step || !p_get_reg || !p_getcontext)
		return -ENOENT;
	/* The global cache: its lock is taken with all signals blocked, so a handler can never
	 * interrupt its holder on the same thread. (The per-thread cache lives in libunwind's
	 * dynamic TLS, whose first touch in a thread may call malloc.) */
	if (set_policy && as)
		set_policy(*as, UNW_CACHE_GLOBAL);
	atomic_store(&ready, 1);
	return 0;
}

int inflame_unwind_dwarf_ready(void)
{
	return atomic_load_explicit(&ready, memory_order_acquire);
}

void inflame_unwind_dwarf_off(void)
{
	atomic_store(&lazy, LAZY_DONE);
	atomic_store(&ready, 0);
}

void inflame_unwind_dwarf_lazy(void)
{
	int no = LAZY_NO;

	atomic_compare_exchange_strong(&lazy, &no, LAZY_ALLOWED);
}

void inflame_unwind_dwarf_want(void)
{
	int allowed = LAZY_ALLOWED;

	if (atomic_load_explicit(&lazy, memory_order_relaxed) == LAZY_ALLOWED &&
	    atomic_compare_exchange_strong(&lazy, &allowed, LAZY_ASKED))
		inflame_writer_request(INFLAME_WRITER_WAKE);
}

int inflame_unwind_dwarf_coming(void)
{
	return atomic_load_explicit(&lazy, memory_order_relaxed) == LAZY_ASKED;
}

void inflame_unwind_dwarf_load_asked(void)
{
	int rc;

	if (atomic_load(&lazy) != LAZY_ASKED)
		return;
	rc = inflame_unwind_dwarf_init();
	atomic_store(&lazy, LAZY_DONE); /* (after ready: walks are not repeated until then) */
	if (rc < 0)
		inflame_log(INFLAME_LOG_INFO,
			    "cannot load libunwind; where inflame's unwind tables "
			    "have no rule, stacks go on by frame pointers");
}

/* slots (or NULL): for each frame, the stack address its return address was read from (the
 * frame's stack pointer - 8 on x86_64; meaningless for a frame that is not a return address,
 * which only a walk from a signal context starts with). */
static size_t steps(unw_cursor_t *c, uint64_t *out, uint64_t *slots, size_t max, int *truncated)
{
	size_t n = 0;

	*truncated = 0;
	for (;;) {
		unw_word_t ip;

		if (p_get_reg(c, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		if (n == max) {
			*truncated = 1;
			break;
		}
		if (slots) {
			unw_word_t sp = 0;

			slots[n] = p_get_reg(c, UNW_REG_SP, &sp) == 0 ? sp - 8 : 0;
		}
		out[n++] = ip;
		if (p_step(c) <= 0)
			break;
	}
	return n;
}

size_t inflame_unwind_dwarf_context(ucontext_t *uc, uint64_t *out, size_t max, int *truncated)
{
	unw_cursor_t c;

	*truncated = 0;
	if (!atomic_load_explicit(&ready, memory_order_acquire))
		return 0;
	if (p_init_local2(&c, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) < 0)
		return 0;
	return steps(&c, out, NULL, max, truncated);
}

size_t inflame_unwind_dwarf_here(uint64_t *out, size_t max, int *truncated)
{
	unw_context_t ctx;
	unw_cursor_t c;

	*truncated = 0;
	if (!atomic_load_explicit(&ready, memory_order_acquire))
		return 0;
	if (p_getcontext(&ctx) < 0 || p_init_local(&c, &ctx) < 0)
		return 0;
	if (p_step(&c) <= 0) /* skip this function */
		return 0;
	return steps(&c, out, NULL, max, truncated);
}

size_t inflame_unwind_dwarf_from(uintptr_t ret, uintptr_t sp, uintptr_t fp, uint64_t *out,
				 uint64_t *slots, size_t max, int *truncated)
{
	ucontext_t uc;
	unw_cursor_t c;

	*truncated = 0;
	if (!atomic_load_explicit(&ready, memory_order_acquire))
		return 0;
	/* libunwind's local context is a ucontext: only the registers the frames above need to
	 * find their CFA (the stack pointer, and the frame pointer for code that keeps one) are
	 * known. x86_64 only: there the caller's stack pointer is the frame's address + 16. */
	memset(&uc, 0, sizeof(uc));
#if defined(__x86_64__)
	uc.uc_mcontext.gregs[REG_RIP] = (greg_t)ret;
	uc.uc_mcontext.gregs[REG_RSP] = (greg_t)sp;
	uc.uc_mcontext.gregs[REG_RBP] = (greg_t)fp;
#else
	/* (aarch64's frame records say nothing of the caller's stack pointer.) */
	(void)ret;
	(void)sp;
	(void)fp;
	return 0;
#endif
	/* Not a signal frame: ret is a return address, looked up one byte before. */
	if (p_init_local2(&c, (unw_context_t *)&uc, 0) < 0 || p_step(&c) <= 0)
		return 0;
	return steps(&c, out, slots, max, truncated);
}
