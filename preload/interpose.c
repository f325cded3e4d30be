/*
 * The interposition layer's real functions: which families the constructor resolves (see
 * interpose.h for which file owns which functions), and the lookup behind every resolve. The
 * own lookup of symlookup.h answers while the constructor resolves, and afterwards from the span
 * of objects it keeps; dlsym answers every name the own lookup leaves to the loader.
 *
 * Most families resolve at their wrapper's first call, not in the constructor: a short program
 * calls a few of the 81 functions, and each lookup reads cold pages of the C library's symbol
 * tables (14.6 us and 2.9 page faults per image for all of them, issue 11). That first call may
 * come on any thread and in a signal handler: the span's lookup is async-signal-safe and takes
 * no lock. It answers every family name of glibc 2.34 and later (tests/symlookup_test); a name
 * it leaves to dlsym is one the C library lacks or defines in a way only the loader resolves.
 * When there is no span (LD_AUDIT, LD_DYNAMIC_WEAK, an object the lookup cannot read, the C
 * library before this module) the constructor resolves every family, with dlsym, as before.
 *
 * The exec family and the exits are what a fork child calls first, and often all it calls: the
 * parent resolves them at its first fork, so that no child writes the pointers (each a copied
 * page per child: 22 page faults for a child that exits at once, 16 unprofiled).
 */
#include "interpose.h"
#include "latebind.h"
#include "layout.h"
#include "symlookup.h"

#include <dlfcn.h>
#include <stddef.h>

/* The own lookup while this thread runs inflame__interpose_resolve, else NULL. Per thread: a
 * wrapper's first call on another thread meanwhile uses the span or dlsym, never this thread's
 * stack. */
static __thread const struct inflame_symlookup *startup __attribute__((tls_model("initial-exec")));

/* Set while this thread resolves before a fork: what the span does not answer is left to the
 * wrapper's first call, not to dlsym (a fork may come from a signal handler). */
static __thread int span_only __attribute__((tls_model("initial-exec")));

/* The objects the own lookup reads after start-up (last NULL: none). Written once by the
 * constructor, before it returns to the loader. (Every process writes it: on the hot page,
 * layout.h.) */
static struct inflame_symlookup_span span INFLAME_HOT;

void *inflame__interpose_next(const char *name, const char *version)
{
	struct inflame_symlookup_span s;
	void *f;

	if (startup && inflame_symlookup_find(startup, name, version, &f))
		return f;
	s.first = __atomic_load_n(&span.first, __ATOMIC_RELAXED);
	s.last = __atomic_load_n(&span.last, __ATOMIC_ACQUIRE);
	if (!startup && inflame_symlookup_span_find(&s, name, version, &f))
		return f;
	if (span_only)
		return NULL;
	if (version)
		return dlvsym(RTLD_NEXT, name, version);
	return dlsym(RTLD_NEXT, name);
}

void inflame__interpose_resolve(void)
{
	struct inflame_symlookup l;

	/* On failure l is empty and every name goes to dlsym. */
	inflame_symlookup_open(&l);
	if (l.span.last) {
		__atomic_store_n(&span.first, l.span.first, __ATOMIC_RELAXED);
		__atomic_store_n(&span.last, l.span.last, __ATOMIC_RELEASE);
	}
	startup = &l;
	/* The allocation hooks are resolved first thing whatever happens (almost every program
	 * allocates, and safepoint.c asks whose malloc they forward to). Without a span, so is
	 * every family, with dlsym: in the constructor, never later in a handler. inflame's own
	 * signal calls (the set-up's, then the handlers') look theirs up at set-up. The C library
	 * functions bound late (latebind.h) go the same way. */
	inflame__interpose_alloc_resolve();
	if (!l.span.last) {
		inflame__interpose_signals_resolve();
		inflame__interpose_threads_resolve();
		inflame__interpose_blocking_resolve();
		inflame__interpose_locks_resolve();
		inflame__interpose_loader_resolve();
		inflame__interpose_process_resolve();
		inflame_latebind_resolve();
	}
	startup = NULL;
}

void inflame__interpose_prefork(void)
{
	/* (once: a write at every fork would be a page the parent copies per child; read at
	 * every fork, on the hot page, layout.h) */
	static int done INFLAME_HOT;

	if (__atomic_load_n(&done, __ATOMIC_RELAXED))
		return;
	span_only = 1;
	inflame__interpose_process_resolve();
	span_only = 0;
	__atomic_store_n(&done, 1, __ATOMIC_RELAXED);
}
