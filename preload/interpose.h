/*
 * The interposition layer (interpose.c): wrappers of libc functions exported by
 * libinflame.so, and access to the real functions for the rest of the preload.
 */
#ifndef INFLAME_INTERPOSE_H
#define INFLAME_INTERPOSE_H

#include <link.h>
#include <pthread.h>
#include <signal.h>

/* Resolves every real_<fn> with dlsym(RTLD_NEXT). Called first thing at start-up. */
void inflame__interpose_resolve(void);
/* Resolves the allocator's real functions (interpose_alloc.c). */
void inflame__interpose_alloc_resolve(void);
int inflame__real_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
int inflame__real_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *arg);

#endif
