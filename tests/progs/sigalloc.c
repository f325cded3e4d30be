/* An async-signal-safe allocator for the end-to-end allocation tests, loaded with LD_PRELOAD
 * after libinflame.so so that inflame's wrappers forward to it: a lock-free bump allocator
 * over one mapping (free does nothing; realloc copies). With it a program may allocate from a
 * signal handler that interrupted an allocation, which glibc's malloc does not allow, so the
 * test exercises inflame's own reentrancy only. */

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HEAP (1ul << 32)
#define HDR  16u

static char *heap;
static _Atomic size_t heap_used;

static void *bump(size_t size, size_t align)
{
	size_t off = atomic_load(&heap_used), start, end;

	if (!heap) {
		char *h = mmap(NULL, HEAP, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (h == MAP_FAILED)
			abort();
		heap = h; /* a racing first call in a handler leaks one mapping: harmless */
	}
	if (align < HDR)
		align = HDR;
	do {
		start = (off + HDR + align - 1) & ~(align - 1);
		end = start + size;
		if (end > HEAP) {
			errno = ENOMEM;
			return NULL;
		}
	} while (!atomic_compare_exchange_weak(&heap_used, &off, end));
	*(size_t *)(heap + start - HDR) = size;
	return heap + start;
}

void *malloc(size_t n)
{
	return bump(n, 16);
}

void free(void *p)
{
	(void)p;
}

void *calloc(size_t n, size_t m)
{
	return bump(n * m, 16); /* fresh pages: zero */
}

void *realloc(void *p, size_t n)
{
	void *q;
	size_t old;

	if (!p)
		return bump(n, 16);
	if (!n)
		return NULL;
	q = bump(n, 16);
	old = *(size_t *)((char *)p - HDR);
	if (q)
		memcpy(q, p, old < n ? old : n);
	return q;
}

int posix_memalign(void **out, size_t align, size_t n)
{
	*out = bump(n, align);
	return *out ? 0 : ENOMEM;
}

void *aligned_alloc(size_t align, size_t n)
{
	return bump(n, align);
}

void *memalign(size_t align, size_t n)
{
	return bump(n, align);
}

void *valloc(size_t n)
{
	return bump(n, 4096);
}

size_t malloc_usable_size(void *p)
{
	return p ? *(size_t *)((char *)p - HDR) : 0;
}
