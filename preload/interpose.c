/*
 * The interposition layer's start-up: resolves the real functions of every family (see
 * interpose.h for which file owns which functions), with the own lookup of symlookup.h while
 * the constructor's thread resolves them, and with dlsym for every other lookup and every name
 * the own lookup leaves to the loader.
 */
#include "interpose.h"
#include "symlookup.h"

#include <dlfcn.h>
#include <stddef.h>

/* The own lookup while this thread runs inflame__interpose_resolve, else NULL. Per thread: a
 * wrapper's first call on another thread meanwhile uses dlsym, never this thread's stack. */
static __thread const struct inflame_symlookup *startup __attribute__((tls_model("initial-exec")));

void *inflame__interpose_next(const char *name, const char *version)
{
	void *f;

	if (startup && inflame_symlookup_find(startup, name, version, &f))
		return f;
	if (version)
		return dlvsym(RTLD_NEXT, name, version);
	return dlsym(RTLD_NEXT, name);
}

void inflame__interpose_resolve(void)
{
	struct inflame_symlookup l;

	/* On failure l is empty and every name goes to dlsym. */
	inflame_symlookup_open(&l);
	startup = &l;
	inflame__interpose_alloc_resolve();
	inflame__interpose_threads_resolve();
	inflame__interpose_signals_resolve();
	inflame__interpose_blocking_resolve();
	inflame__interpose_locks_resolve();
	inflame__interpose_loader_resolve();
	inflame__interpose_process_resolve();
	startup = NULL;
}
