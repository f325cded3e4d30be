/*
 * The least any LD_PRELOAD allocation profiler can cost: a library whose malloc, calloc,
 * realloc and free do nothing but call the next definition (found with dlsym(RTLD_NEXT) at
 * the first call). bench/alloc.sh runs it beside inflame's pass-through floor, so that the
 * ratio of an interposer that adds nothing is printed next to inflame's.
 *
 * dlsym may allocate (calloc) before the real functions are known: those few calls are served
 * from a static buffer, and its blocks are never passed on to the real free.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);

static _Alignas(16) unsigned char boot[4096];
static size_t boot_used;
static int resolving;

static int from_boot(const void *p)
{
	return (const unsigned char *)p >= boot && (const unsigned char *)p < boot + sizeof(boot);
}

static void *boot_alloc(size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (n > sizeof(boot) - boot_used)
		return NULL;
	p = boot + boot_used;
	boot_used += n;
	return p; /* static memory: already zero */
}

static void resolve(void)
{
	resolving = 1;
	*(void **)&next_malloc = dlsym(RTLD_NEXT, "malloc");
	*(void **)&next_calloc = dlsym(RTLD_NEXT, "calloc");
	*(void **)&next_realloc = dlsym(RTLD_NEXT, "realloc");
	*(void **)&next_free = dlsym(RTLD_NEXT, "free");
	resolving = 0;
}

EXPORT void *malloc(size_t n)
{
	if (__builtin_expect(!next_malloc, 0)) {
		if (resolving)
			return boot_alloc(n);
		resolve();
	}
	return next_malloc(n);
}

EXPORT void *calloc(size_t n, size_t m)
{
	if (__builtin_expect(!next_calloc, 0)) {
		if (resolving)
			return n && m > SIZE_MAX / n ? NULL : boot_alloc(n * m);
		resolve();
	}
	return next_calloc(n, m);
}

EXPORT void *realloc(void *p, size_t n)
{
	if (__builtin_expect(!next_realloc || from_boot(p), 0)) {
		void *q;

		if (!next_realloc)
			resolve();
		if (!from_boot(p))
			return next_realloc(p, n);
		q = next_malloc(n);
		if (q)
			memcpy(q, p, n < 64 ? n : 64); /* boot blocks are tiny */
		return q;
	}
	return next_realloc(p, n);
}

EXPORT void free(void *p)
{
	if (__builtin_expect(from_boot(p), 0))
		return;
	if (__builtin_expect(!next_free, 0))
		resolve();
	next_free(p);
}
