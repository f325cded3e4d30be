/*
 * The map of generated code behind inflame_jitmap_lookup().
 *
 * Named entries are kept in the order they were added (their sequence number says which one
 * wins an overlap) and sorted by start address on the first lookup after an add. A lookup
 * finds the last entry starting at or below the address by bisection and walks back over the
 * entries that could still reach it: those starting within the largest entry's size below
 * it. JIT code comes in small pieces, so that walk is short. Anonymous regions are few (the
 * writer keeps at most a few hundred) and are searched one by one.
 */
#include "symbols/jitmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct jit_entry {
	uint64_t start, end;
	uint64_t seq;
	size_t off, len; /* the name in the pool */
};

struct region {
	uint64_t start, end;
};

struct inflame_jitmap {
	struct jit_entry *e;
	size_t n, cap;
	int sorted;
	uint64_t max_size;
	char *pool;
	size_t pool_len, pool_cap;
	struct region *r;
	size_t nr, rcap;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 64;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

struct inflame_jitmap *inflame_jitmap_new(void)
{
	return calloc(1, sizeof(struct inflame_jitmap));
}

void inflame_jitmap_free(struct inflame_jitmap *j)
{
	if (!j)
		return;
	free(j->e);
	free(j->pool);
	free(j->r);
	free(j);
}

int inflame_jitmap_add(struct inflame_jitmap *j, uint64_t start, uint64_t size, const char *name,
		       size_t n)
{
	if (!size || start + size < start)
		return 0;
	if (!n) {
		for (size_t i = 0; i < j->nr; i++)
			if (j->r[i].start == start && j->r[i].end == start + size)
				return 0;
		if (grow((void **)&j->r, &j->rcap, j->nr + 1, sizeof(*j->r)) < 0)
			return -ENOMEM;
		j->r[j->nr++] = (struct region){start, start + size};
		return 0;
	}
	if (grow((void **)&j->e, &j->cap, j->n + 1, sizeof(*j->e)) < 0 ||
	    grow((void **)&j->pool, &j->pool_cap, j->pool_len + n + 1, 1) < 0)
		return -ENOMEM;
	/* (a NUL inside a name would cut it short: it is shown as '?') */
	for (size_t i = 0; i < n; i++)
		j->pool[j->pool_len + i] = name[i] ? name[i] : '?';
	j->pool[j->pool_len + n] = '\0';
	j->e[j->n] = (struct jit_entry){start, start + size, j->n, j->pool_len, n};
	j->pool_len += n + 1;
	j->n++;
	j->sorted = 0;
	if (size > j->max_size)
		j->max_size = size;
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct jit_entry *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

const char *inflame_jitmap_lookup(struct inflame_jitmap *j, uint64_t addr, size_t *len)
{
	const struct jit_entry *best = NULL;
	size_t lo = 0, hi;

	if (!j->sorted) {
		if (j->n > 1) /* (a map of regions only has no entries, and e may be NULL) */
			qsort(j->e, j->n, sizeof(*j->e), by_start);
		j->sorted = 1;
	}
	/* lo: the number of entries starting at or below addr */
	for (hi = j->n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (j->e[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0;) {
		const struct jit_entry *e = &j->e[i];

		if (addr - e->start >= j->max_size)
			break;
		if (addr < e->end && (!best || e->seq > best->seq))
			best = e;
	}
	if (best) {
		*len = best->len;
		return j->pool + best->off;
	}
	for (size_t i = 0; i < j->nr; i++)
		if (addr >= j->r[i].start && addr < j->r[i].end) {
			*len = 10;
			return "[anon:jit]";
		}
	return NULL;
}
