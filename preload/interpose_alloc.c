/*
 * Interposition of the allocator: the malloc family, the C23 sized frees and, when built
 * with jemalloc, jemalloc's non-standard API. C++ operators new and delete reach these
 * through libstdc++.
 *
 * Each wrapper forwards to the next definition (real_<fn>, interpose.h) and adds only
 * the sampling of alloc.h: allocations test the per-thread countdown after the real call
 * returned, frees take a sampled pointer out of the table (and record its FREE) before the real
 * call, so that an address the allocator hands to another thread at once is never confused.
 * realloc does the same with the old pointer and puts it back when the call fails.
 *
 * Start-up: the real functions are looked up on the first call (or by the constructor,
 * whichever comes first); the sized frees and jemalloc's API only on their own first call. While a
 * thread looks them up, dlsym may itself allocate: those allocations are served from the static
 * arena of arena.h, and frees and reallocs of arena memory are recognised by address and never
 * reach the real allocator. With allocation profiling off (the default, or an inactive profiler)
 * every wrapper only forwards.
 *
 * The wrappers are async-signal-safe to the extent the real allocator is: what they add takes
 * no lock, allocates nothing and preserves errno. The one exception is the very first call of
 * a process, which resolves the real functions with dlsym.
 */
#include "alloc.h"
#include "arena.h"
#include "interpose.h"
#include "profiler.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);
static size_t (*real_malloc_usable_size)(void *);
static void (*real_free_sized)(void *, size_t);
static void (*real_free_aligned_sized)(void *, size_t, size_t);
#ifdef HAVE_JEMALLOC
static void *(*real_mallocx)(size_t, int);
static void *(*real_rallocx)(void *, size_t, int);
static size_t (*real_xallocx)(void *, size_t, size_t, int);
static void (*real_sdallocx)(void *, size_t, int);
static void (*real_dallocx)(void *, int);
#endif

/* What the two hottest wrappers call when they add nothing: the real function once known,
 * until then a stub that resolves it (or serves the call from the arena). Never NULL, so that
 * their fast paths test nothing but the countdown or the filter. Read by every call: a cache
 * line of their own, which no variable written elsewhere shares (the writer thread's state,
 * linked beside them, made each free about 40% dearer). */
static void *boot_malloc(size_t size);
static void *boot_calloc(size_t n, size_t m);
static void boot_free(void *p);
static struct {
	_Alignas(64) void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void (*free)(void *);
} fast = {boot_malloc, boot_calloc, boot_free};

/* Looks every real function up. Allocations the lookup itself makes on this thread are served
 * from the arena. Another thread racing us does the same lookups (the stores are idempotent). */
static void resolve(void)
{
	int saved = errno;

	inflame__alloc_tls.resolving++;
	INFLAME_ALLOC_NAMES(INFLAME_RESOLVE_ONE)
	inflame__alloc_tls.resolving--;
	if (real_malloc)
		__atomic_store_n(&fast.malloc, real_malloc, __ATOMIC_RELAXED);
	if (real_calloc)
		__atomic_store_n(&fast.calloc, real_calloc, __ATOMIC_RELAXED);
	if (real_free)
		__atomic_store_n(&fast.free, real_free, __ATOMIC_RELAXED);
	errno = saved;
}

void *inflame__alloc_real_malloc(void)
{
	return (void *)real_malloc;
}

void inflame__interpose_alloc_resolve(void)
{
	resolve();
}

/* The functions few programs call (the C23 sized frees, jemalloc's API) are looked up on
 * their wrapper's first call, not by resolve(): most of them do not exist in most processes,
 * and a failed dlsym allocates its error message, which started the real allocator (page
 * faults, brk) in every profiled process. A slot holds the function, NULL before the lookup,
 * or ABSENT after a lookup that found nothing. The lookup has the contract of the first call
 * of any wrapper (the header comment): on a thread that is looking functions up already (a
 * dlsym that called back into us) it is not attempted and the function counts as absent for
 * this call. */
#define ABSENT ((void *)1)

static void *look_late(void **slot, const char *name, void *if_absent)
{
	void *f = __atomic_load_n(slot, __ATOMIC_RELAXED);
	int saved;

	if (__builtin_expect(f != NULL, 1))
		return f == ABSENT ? NULL : f;
	if (inflame__alloc_tls.resolving)
		return NULL;
	saved = errno;
	inflame__alloc_tls.resolving++;
	f = dlsym(RTLD_NEXT, name);
	inflame__alloc_tls.resolving--;
	errno = saved;
	__atomic_store_n(slot, f ? f : if_absent, __ATOMIC_RELAXED);
	return f;
}

/* real_<fn> of a late function, or NULL when there is none: the sized frees look once (as the
 * constructor did before), jemalloc's functions on every call until found (jemalloc may be
 * loaded by dlopen after the first call). */
#define LATE(fn) ((__typeof__(real_##fn))look_late((void **)&real_##fn, #fn, ABSENT))
#define JE(fn)	 ((__typeof__(real_##fn))look_late((void **)&real_##fn, #fn, NULL))

/* Makes sure real_<fn> is known; evaluates to 0 when the arena must serve this call. */
#define READY(fn) (__builtin_expect(real_##fn != NULL, 1) || ready_slow((void **)&real_##fn))

static int ready_slow(void **fn)
{
	if (inflame__alloc_tls.resolving)
		return 0;
	resolve();
	return *fn != NULL;
}

/* A block of the arena, its filter bucket pinned so that the free fast path sends it to
 * free_slow (ptrtab.h); NULL when the arena is exhausted. */
static void *from_arena(size_t size, size_t align)
{
	void *p = inflame_arena_alloc(size, align);

	if (p)
		inflame_ptrtab_pin(p);
	return p;
}

static void *arena_or_enomem(size_t size, size_t align)
{
	void *p = from_arena(size, align);

	if (!p)
		errno = ENOMEM;
	return p;
}

/* Records p (size bytes) when the countdown says so. */
static inline void *sampled(void *p, size_t size)
{
	if (inflame_alloc_pick(size) && p)
		inflame_alloc_record(p, size);
	return p;
}

/* Records p, which the countdown already chose. A tail call from the wrapper, so the stack
 * unwound from here goes straight from inflame's frames to the program's. */
static __attribute__((noinline)) void *chosen(void *p, size_t size)
{
	if (p)
		inflame_alloc_record(p, size);
	return p;
}

/* The countdown said this allocation is to be sampled (or allocation profiling is not set up
 * yet: then inflame_alloc_pick says no again). */
static __attribute__((noinline)) void *malloc_slow(size_t size)
{
	if (!READY(malloc))
		return arena_or_enomem(size, 16);
	if (!inflame__alloc_crossed(size))
		return real_malloc(size);
	return chosen(real_malloc(size), size);
}

static void *boot_malloc(size_t size)
{
	if (!READY(malloc))
		return arena_or_enomem(size, 16);
	return real_malloc(size);
}

/* The hottest wrappers decide before calling the allocator, so that the common case is a
 * tail call with nothing of ours left on the stack: malloc (and calloc) test the countdown, free
 * the filter (which also covers the arena's blocks). They set up no frame of their own (FAST), and
 * everything else is in a slow path reached by a tail call too, so the unwinder still goes from
 * inflame's frames straight to the program's. */
#define FAST __attribute__((optimize("omit-frame-pointer")))

INFLAME_EXPORT FAST void *malloc(size_t size)
{
	if (!inflame_alloc_countdown(size))
		return fast.malloc(size);
	return malloc_slow(size);
}

static void *boot_calloc(size_t n, size_t m)
{
	if (!READY(calloc))
		return arena_or_enomem(n * m, 16); /* arena memory is never reused: zeroed */
	return real_calloc(n, m);
}

/* The product overflowed, or the countdown reached a sample point. */
static __attribute__((noinline)) void *calloc_slow(size_t n, size_t m)
{
	size_t size;

	if (__builtin_mul_overflow(n, m, &size)) {
		errno = ENOMEM;
		return NULL;
	}
	if (!READY(calloc))
		return arena_or_enomem(size, 16);
	if (!inflame__alloc_crossed(size))
		return real_calloc(n, m);
	return chosen(real_calloc(n, m), size);
}

/* Like malloc: a product that does not overflow and a countdown short of a sample point go
 * straight to the real calloc (boot_calloc never sees an overflowing product). */
INFLAME_EXPORT FAST void *calloc(size_t n, size_t m)
{
	size_t size;

	if (__builtin_expect(!__builtin_mul_overflow(n, m, &size), 1) &&
	    !inflame_alloc_countdown(size))
		return fast.calloc(n, m);
	return calloc_slow(n, m);
}

static __attribute__((noinline)) void free_slow(void *p)
{
	if (inflame_arena_owns(p))
		return;
	if (!READY(free))
		return; /* cannot happen for memory the real allocator gave out */
	inflame_alloc_note_free(p);
	real_free(p);
}

static void boot_free(void *p)
{
	free_slow(p);
}

/* The filter answers for the arena's blocks too (their buckets are pinned, ptrtab.h). */
INFLAME_EXPORT FAST void free(void *p)
{
	if (__builtin_expect(!inflame_ptrtab_maybe(p), 1))
		return fast.free(p);
	free_slow(p);
}

/* realloc of an arena block: a new block of the real allocator (or the arena), copied. */
static void *realloc_arena(void *old, size_t size)
{
	size_t have = inflame_arena_size(old);
	void *p = malloc(size ? size : 1);

	if (p)
		memcpy(p, old, have < size ? have : size);
	return p;
}

static void *do_realloc(void *old, size_t size)
{
	size_t taken;
	void *p;

	if (old && inflame_arena_owns(old))
		return realloc_arena(old, size);
	if (!READY(realloc))
		return old ? NULL : arena_or_enomem(size, 16);
	taken = inflame_alloc_take_out(old);
	p = real_realloc(old, size);
	/* NULL with size 0 means old was freed (glibc); NULL otherwise means it was kept. */
	if (taken && !p && size)
		inflame_alloc_put_back(old, taken);
	return sampled(p, size);
}

INFLAME_EXPORT void *realloc(void *old, size_t size)
{
	return do_realloc(old, size);
}

INFLAME_EXPORT void *reallocarray(void *old, size_t n, size_t m)
{
	size_t size;

	if (__builtin_mul_overflow(n, m, &size)) {
		errno = ENOMEM;
		return NULL;
	}
	return do_realloc(old, size);
}

INFLAME_EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	int rc;

	if (!READY(posix_memalign)) {
		*out = from_arena(size, align);
		return *out ? 0 : ENOMEM;
	}
	rc = real_posix_memalign(out, align, size);
	if (rc == 0)
		sampled(*out, size);
	return rc;
}

INFLAME_EXPORT void *aligned_alloc(size_t align, size_t size)
{
	if (!READY(aligned_alloc))
		return arena_or_enomem(size, align);
	return sampled(real_aligned_alloc(align, size), size);
}

INFLAME_EXPORT void *memalign(size_t align, size_t size)
{
	if (!READY(memalign))
		return arena_or_enomem(size, align);
	return sampled(real_memalign(align, size), size);
}

INFLAME_EXPORT void *valloc(size_t size)
{
	if (!READY(valloc))
		return arena_or_enomem(size, 4096);
	return sampled(real_valloc(size), size);
}

INFLAME_EXPORT void *pvalloc(size_t size)
{
	if (!READY(pvalloc))
		return arena_or_enomem(size, 4096);
	return sampled(real_pvalloc(size), size);
}

INFLAME_EXPORT size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	if (inflame_arena_owns(p))
		return inflame_arena_size(p);
	if (!READY(malloc_usable_size))
		return 0;
	return real_malloc_usable_size(p);
}

INFLAME_EXPORT void free_sized(void *p, size_t size)
{
	void (*f)(void *, size_t);

	if (!p || inflame_arena_owns(p))
		return;
	if (!READY(free))
		return;
	f = LATE(free_sized);
	inflame_alloc_note_free(p);
	if (f)
		f(p, size);
	else
		real_free(p);
}

INFLAME_EXPORT void free_aligned_sized(void *p, size_t align, size_t size)
{
	void (*f)(void *, size_t, size_t);

	if (!p || inflame_arena_owns(p))
		return;
	if (!READY(free))
		return;
	f = LATE(free_aligned_sized);
	inflame_alloc_note_free(p);
	if (f)
		f(p, align, size);
	else
		real_free(p);
}

#ifdef HAVE_JEMALLOC
/* jemalloc's API. These are only called by programs that have jemalloc loaded; a function
 * not found (yet: jemalloc may be loaded later) fails the call as jemalloc would on exhaustion,
 * and is looked for again on the next call. */

INFLAME_EXPORT void *mallocx(size_t size, int flags)
{
	void *(*f)(size_t, int) = JE(mallocx);

	if (!f)
		return NULL;
	return sampled(f(size, flags), size);
}

INFLAME_EXPORT void *rallocx(void *old, size_t size, int flags)
{
	void *(*f)(void *, size_t, int) = JE(rallocx);
	size_t taken;
	void *p;

	if (!f)
		return NULL;
	taken = inflame_alloc_take_out(old);
	p = f(old, size, flags);
	if (taken && !p)
		inflame_alloc_put_back(old, taken);
	return sampled(p, size);
}

INFLAME_EXPORT size_t xallocx(void *p, size_t size, size_t extra, int flags)
{
	size_t (*f)(void *, size_t, size_t, int) = JE(xallocx);
	size_t got;

	if (!f)
		return 0;
	/* Resized in place: accounted as the old block freed and a block of the new usable
	 * size allocated at the same address. */
	inflame_alloc_take_out(p);
	got = f(p, size, extra, flags);
	sampled(p, got);
	return got;
}

INFLAME_EXPORT void sdallocx(void *p, size_t size, int flags)
{
	void (*f)(void *, size_t, int) = JE(sdallocx);

	if (!f)
		return;
	inflame_alloc_note_free(p);
	f(p, size, flags);
}

INFLAME_EXPORT void dallocx(void *p, int flags)
{
	void (*f)(void *, int) = JE(dallocx);

	if (!f)
		return;
	inflame_alloc_note_free(p);
	f(p, flags);
}
#endif
