/*
 * The stack set. Frame names live in one growing character pool, found through an
 * open-addressing table keyed by a hash of the name. Stacks live in one growing array of
 * frame ids; each stack record holds its offset, length and count, and a second
 * open-addressing table finds a stack by the hash of its ids. Sorting permutes the record
 * array only. Everything grows by doubling, so adding is amortised O(length of the stack).
 *
 * In an ordered set a record is a run: the stack table finds the first record of a distinct
 * stack, whose frames the later runs of the same stack share (same offset), and only the last
 * record can absorb a new sample. The table then holds one entry per distinct stack, which is
 * why rebuilding it skips records whose frames an entry already points at.
 *
 * Baseline counts of differential sets live in a separate array indexed by the order in which
 * records were made (kept in each record, so that sorting needs not move them), allocated on
 * the first differential add. Frame metadata (module, address, source line) lives in another
 * array by frame id, also made on first use, its strings each malloc'ed.
 */
#include "view/stackset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct name_slot {
	uint64_t hash;
	uint32_t id; /* id + 1; 0 = empty */
};

struct name_info {
	uint64_t off; /* in pool */
	uint64_t len;
};

struct stack_rec {
	uint64_t off;
	uint32_t n;
	uint32_t idx; /* creation order: the index of the baseline count */
	uint64_t hash;
	uint64_t count;
};

struct inflame_stackset {
	char *pool;
	size_t pool_len, pool_cap;
	struct name_info *names; /* by frame id */
	size_t nnames, names_cap;
	struct name_slot *ntab;
	size_t ntab_size;

	uint32_t *ids;
	size_t ids_len, ids_cap;
	struct stack_rec *recs;
	size_t nrecs, recs_cap;
	uint32_t *stab; /* rec index + 1; 0 = empty */
	size_t stab_size;
	size_t nuniq; /* entries in stab: distinct stacks */
	uint64_t total;
	int ordered;

	uint64_t *bases; /* by rec idx; NULL until the first differential add */
	size_t bases_cap;
	uint64_t base_total;

	struct inflame_frame_meta *meta; /* by frame id; NULL until the first set_meta */
	unsigned char *has_meta;
	size_t meta_cap;
};

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull;

	/* FNV-1a over 8-byte words where possible, then a final mix. */
	while (n >= 8) {
		uint64_t w;

		memcpy(&w, s, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	while (n--)
		h = (h ^ *s++) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

struct inflame_stackset *inflame_stackset_new(void)
{
	struct inflame_stackset *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->ntab_size = 1024;
	ss->ntab = calloc(ss->ntab_size, sizeof(*ss->ntab));
	ss->stab_size = 1024;
	ss->stab = calloc(ss->stab_size, sizeof(*ss->stab));
	if (!ss->ntab || !ss->stab) {
		inflame_stackset_free(ss);
		return NULL;
	}
	return ss;
}

struct inflame_stackset *inflame_stackset_new_ordered(void)
{
	struct inflame_stackset *ss = inflame_stackset_new();

	if (ss)
		ss->ordered = 1;
	return ss;
}

int inflame_stackset_is_ordered(const struct inflame_stackset *ss)
{
	return ss->ordered;
}

int inflame_stackset_is_diff(const struct inflame_stackset *ss)
{
	return ss->bases != NULL;
}

void inflame_stackset_free(struct inflame_stackset *ss)
{
	if (!ss)
		return;
	for (size_t i = 0; i < ss->meta_cap; i++) {
		if (!ss->has_meta[i])
			continue;
		free((char *)ss->meta[i].module);
		free((char *)ss->meta[i].build_id);
		free((char *)ss->meta[i].file);
		free((char *)ss->meta[i].system_name);
	}
	free(ss->meta);
	free(ss->has_meta);
	free(ss->pool);
	free(ss->names);
	free(ss->ntab);
	free(ss->ids);
	free(ss->recs);
	free(ss->stab);
	free(ss->bases);
	free(ss);
}

static int rehash_names(struct inflame_stackset *ss)
{
	size_t n = ss->ntab_size * 2;
	struct name_slot *t = calloc(n, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < ss->ntab_size; i++) {
		size_t j;

		if (!ss->ntab[i].id)
			continue;
		for (j = ss->ntab[i].hash & (n - 1); t[j].id; j = (j + 1) & (n - 1))
			;
		t[j] = ss->ntab[i];
	}
	free(ss->ntab);
	ss->ntab = t;
	ss->ntab_size = n;
	return 0;
}

uint32_t inflame_stackset_intern(struct inflame_stackset *ss, const char *name, size_t len)
{
	uint64_t h = hash_bytes(name, len);
	size_t i, mask;
	uint32_t id;

	if (len > UINT32_MAX - 1)
		return UINT32_MAX;
	mask = ss->ntab_size - 1;
	for (i = h & mask; ss->ntab[i].id; i = (i + 1) & mask) {
		uint32_t k = ss->ntab[i].id - 1;

		if (ss->ntab[i].hash == h && ss->names[k].len == len &&
		    !memcmp(ss->pool + ss->names[k].off, name, len))
			return k;
	}
	if (ss->nnames >= UINT32_MAX - 2)
		return UINT32_MAX;
	if ((ss->nnames + 1) * 2 > ss->ntab_size) {
		if (rehash_names(ss) < 0)
			return UINT32_MAX;
		mask = ss->ntab_size - 1;
		for (i = h & mask; ss->ntab[i].id; i = (i + 1) & mask)
			;
	}
	if (grow((void **)&ss->pool, &ss->pool_cap, ss->pool_len + len + 1, 1) < 0)
		return UINT32_MAX;
	if (grow((void **)&ss->names, &ss->names_cap, ss->nnames + 1, sizeof(*ss->names)) < 0)
		return UINT32_MAX;
	id = (uint32_t)ss->nnames++;
	memcpy(ss->pool + ss->pool_len, name, len);
	ss->pool[ss->pool_len + len] = 0;
	ss->names[id].off = ss->pool_len;
	ss->names[id].len = len;
	ss->pool_len += len + 1;
	ss->ntab[i].hash = h;
	ss->ntab[i].id = id + 1;
	return id;
}

const char *inflame_stackset_name(const struct inflame_stackset *ss, uint32_t id, size_t *len)
{
	if (id >= ss->nnames) {
		if (len)
			*len = 0;
		return "";
	}
	if (len)
		*len = ss->names[id].len;
	return ss->pool + ss->names[id].off;
}

size_t inflame_stackset_nframes_total(const struct inflame_stackset *ss)
{
	return ss->nnames;
}

/*
 * Puts record r into the stack table t of size entries. In an ordered set, a record whose
 * frames an entry already points at (a later run of the same stack) is left out.
 */
static void stab_put(const struct inflame_stackset *ss, uint32_t *t, size_t size, size_t r)
{
	const struct stack_rec *rec = &ss->recs[r];
	size_t j, mask = size - 1;

	for (j = rec->hash & mask; t[j]; j = (j + 1) & mask) {
		const struct stack_rec *o = &ss->recs[t[j] - 1];

		if (ss->ordered && o->hash == rec->hash && o->n == rec->n && o->off == rec->off)
			return;
	}
	t[j] = (uint32_t)(r + 1);
}

static int rehash_stacks(struct inflame_stackset *ss)
{
	size_t n = ss->stab_size * 2;
	uint32_t *t = calloc(n, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t r = 0; r < ss->nrecs; r++)
		stab_put(ss, t, n, r);
	free(ss->stab);
	ss->stab = t;
	ss->stab_size = n;
	return 0;
}

/* Makes the set differential: every record so far gets its count as its baseline. */
static int make_diff(struct inflame_stackset *ss)
{
	size_t cap = ss->recs_cap ? ss->recs_cap : 64;

	ss->bases = malloc(cap * sizeof(*ss->bases));
	if (!ss->bases)
		return -ENOMEM;
	ss->bases_cap = cap;
	for (size_t r = 0; r < ss->nrecs; r++)
		ss->bases[ss->recs[r].idx] = ss->recs[r].count;
	ss->base_total = ss->total;
	return 0;
}

static int same_frames(const struct inflame_stackset *ss, const struct stack_rec *r, uint64_t h,
		       const uint32_t *frames, size_t n)
{
	return r->hash == h && r->n == n && !memcmp(ss->ids + r->off, frames, n * sizeof(uint32_t));
}

static void add_to(struct inflame_stackset *ss, struct stack_rec *r, uint64_t count, uint64_t base)
{
	r->count += count;
	ss->total += count;
	if (ss->bases) {
		ss->bases[r->idx] += base;
		ss->base_total += base;
	}
}

static inline __attribute__((always_inline)) int add(struct inflame_stackset *ss,
						     const uint32_t *frames, size_t n,
						     uint64_t count, uint64_t base, size_t *at)
{
	uint64_t h = hash_bytes(frames, n * sizeof(uint32_t));
	size_t i, mask = ss->stab_size - 1;
	struct stack_rec *r;
	uint64_t shared = 0; /* the offset of frames stored before, when found */
	int found = 0;

	/* A flame chart's input repeats the last stack most of the time: check it first. */
	if (ss->ordered && ss->nrecs && same_frames(ss, &ss->recs[ss->nrecs - 1], h, frames, n)) {
		add_to(ss, &ss->recs[ss->nrecs - 1], count, base);
		if (at)
			*at = ss->nrecs - 1;
		return 0;
	}
	for (i = h & mask; ss->stab[i]; i = (i + 1) & mask) {
		r = &ss->recs[ss->stab[i] - 1];
		if (same_frames(ss, r, h, frames, n)) {
			if (!ss->ordered) {
				add_to(ss, r, count, base);
				if (at)
					*at = ss->stab[i] - 1;
				return 0;
			}
			/* A new run of a stack seen before: share its frames. */
			shared = r->off;
			found = 1;
			break;
		}
	}
	if (ss->nrecs >= UINT32_MAX - 2 || n > UINT32_MAX)
		return -ENOMEM;
	if (!found && (ss->nuniq + 1) * 2 > ss->stab_size) {
		if (rehash_stacks(ss) < 0)
			return -ENOMEM;
		mask = ss->stab_size - 1;
		for (i = h & mask; ss->stab[i]; i = (i + 1) & mask)
			;
	}
	if ((!found &&
	     grow((void **)&ss->ids, &ss->ids_cap, ss->ids_len + n, sizeof(uint32_t)) < 0) ||
	    grow((void **)&ss->recs, &ss->recs_cap, ss->nrecs + 1, sizeof(struct stack_rec)) < 0 ||
	    (ss->bases &&
	     grow((void **)&ss->bases, &ss->bases_cap, ss->nrecs + 1, sizeof(*ss->bases)) < 0))
		return -ENOMEM;
	r = &ss->recs[ss->nrecs];
	if (found) {
		r->off = shared;
	} else {
		if (n)
			memcpy(ss->ids + ss->ids_len, frames, n * sizeof(uint32_t));
		r->off = ss->ids_len;
		ss->ids_len += n;
		ss->stab[i] = (uint32_t)(ss->nrecs + 1);
		ss->nuniq++;
	}
	r->n = (uint32_t)n;
	r->idx = (uint32_t)ss->nrecs;
	r->hash = h;
	r->count = 0;
	if (ss->bases)
		ss->bases[r->idx] = 0;
	ss->nrecs++;
	add_to(ss, r, count, base);
	if (at)
		*at = ss->nrecs - 1;
	return 0;
}

int inflame_stackset_add(struct inflame_stackset *ss, const uint32_t *frames, size_t n,
			 uint64_t count)
{
	return add(ss, frames, n, count, count, NULL);
}

int inflame_stackset_add_at(struct inflame_stackset *ss, const uint32_t *frames, size_t n,
			    uint64_t count, size_t *index)
{
	return add(ss, frames, n, count, count, index);
}

int inflame_stackset_add_diff(struct inflame_stackset *ss, const uint32_t *frames, size_t n,
			      uint64_t base, uint64_t count)
{
	if (!ss->bases && make_diff(ss) < 0)
		return -ENOMEM;
	return add(ss, frames, n, count, base, NULL);
}

size_t inflame_stackset_count(const struct inflame_stackset *ss)
{
	return ss->nrecs;
}

void inflame_stackset_get(const struct inflame_stackset *ss, size_t i, const uint32_t **frames,
			  size_t *n, uint64_t *count)
{
	const struct stack_rec *r = &ss->recs[i];

	*frames = r->n ? ss->ids + r->off : ss->ids; /* no arithmetic on a NULL table */
	*n = r->n;
	*count = r->count;
}

uint64_t inflame_stackset_base(const struct inflame_stackset *ss, size_t i)
{
	return ss->bases ? ss->bases[ss->recs[i].idx] : ss->recs[i].count;
}

uint64_t inflame_stackset_total(const struct inflame_stackset *ss)
{
	return ss->total;
}

uint64_t inflame_stackset_base_total(const struct inflame_stackset *ss)
{
	return ss->bases ? ss->base_total : ss->total;
}

/*
 * Sorting compares stacks frame by frame. Comparing names with strcmp for every frame of every
 * comparison is slow on large sets, so the names are sorted once and each frame id is given
 * its rank; stacks then compare as arrays of ranks, which orders them exactly as comparing the
 * names byte-wise would. qsort has no context argument in C11, so the ranks and ids being
 * sorted are kept in file-level variables; the tools sort from one thread at a time.
 */
static const struct inflame_stackset *sorting;
static const uint32_t *sort_rank;

static int cmp_names(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	const struct name_info *nx = &sorting->names[x], *ny = &sorting->names[y];
	size_t n = nx->len < ny->len ? nx->len : ny->len;
	int c = memcmp(sorting->pool + nx->off, sorting->pool + ny->off, n);

	if (c)
		return c;
	return (nx->len > ny->len) - (nx->len < ny->len);
}

static int cmp_recs_names(const void *a, const void *b)
{
	const struct stack_rec *x = a, *y = b;
	const uint32_t *fx = sorting->ids + x->off, *fy = sorting->ids + y->off;
	size_t n = x->n < y->n ? x->n : y->n;

	for (size_t i = 0; i < n; i++) {
		uint32_t ix = fx[i], iy = fy[i];

		if (ix == iy)
			continue;
		return cmp_names(&ix, &iy);
	}
	return (x->n > y->n) - (x->n < y->n);
}

static int cmp_recs(const void *a, const void *b)
{
	const struct stack_rec *x = a, *y = b;
	const uint32_t *fx = sorting->ids + x->off, *fy = sorting->ids + y->off;
	size_t n = x->n < y->n ? x->n : y->n;

	for (size_t i = 0; i < n; i++) {
		uint32_t rx, ry;

		if (fx[i] == fy[i])
			continue;
		rx = sort_rank[fx[i]];
		ry = sort_rank[fy[i]];
		return (rx > ry) - (rx < ry);
	}
	return (x->n > y->n) - (x->n < y->n);
}

void inflame_stackset_sort(struct inflame_stackset *ss)
{
	uint32_t *order = NULL, *rank = NULL;

	if (ss->nrecs < 2)
		return;
	order = malloc((ss->nnames ? ss->nnames : 1) * sizeof(*order));
	rank = malloc((ss->nnames ? ss->nnames : 1) * sizeof(*rank));
	sorting = ss;
	if (order && rank) {
		for (size_t i = 0; i < ss->nnames; i++)
			order[i] = (uint32_t)i;
		qsort(order, ss->nnames, sizeof(*order), cmp_names);
		for (size_t i = 0; i < ss->nnames; i++)
			rank[order[i]] = (uint32_t)i;
		free(order);
		order = NULL;
		sort_rank = rank;
		qsort(ss->recs, ss->nrecs, sizeof(*ss->recs), cmp_recs);
	} else {
		/* Out of memory for the ranks: the slower comparison needs no extra memory. */
		qsort(ss->recs, ss->nrecs, sizeof(*ss->recs), cmp_recs_names);
	}
	sorting = NULL;
	sort_rank = NULL;
	free(order);
	free(rank);
	/* The stack table points at record indices: rebuild it. */
	memset(ss->stab, 0, ss->stab_size * sizeof(*ss->stab));
	for (size_t r = 0; r < ss->nrecs; r++)
		stab_put(ss, ss->stab, ss->stab_size, r);
}

int inflame_stackset_set_meta(struct inflame_stackset *ss, uint32_t id,
			      const struct inflame_frame_meta *m)
{
	struct inflame_frame_meta *d;

	if (id >= ss->nnames)
		return -EINVAL;
	if (id >= ss->meta_cap) {
		size_t cap = ss->meta_cap ? ss->meta_cap : 256;
		struct inflame_frame_meta *nm;
		unsigned char *nh;

		while (cap <= id)
			cap *= 2;
		nm = realloc(ss->meta, cap * sizeof(*nm));
		if (!nm)
			return -ENOMEM;
		ss->meta = nm;
		nh = realloc(ss->has_meta, cap);
		if (!nh)
			return -ENOMEM;
		memset(nh + ss->meta_cap, 0, cap - ss->meta_cap);
		ss->has_meta = nh;
		ss->meta_cap = cap;
	}
	if (ss->has_meta[id])
		return 0;
	d = &ss->meta[id];
	*d = *m;
	d->module = strdup(m->module ? m->module : "");
	d->build_id = strdup(m->build_id ? m->build_id : "");
	d->file = strdup(m->file ? m->file : "");
	d->system_name = strdup(m->system_name ? m->system_name : "");
	if (!d->module || !d->build_id || !d->file || !d->system_name) {
		free((char *)d->module);
		free((char *)d->build_id);
		free((char *)d->file);
		free((char *)d->system_name);
		return -ENOMEM;
	}
	ss->has_meta[id] = 1;
	return 0;
}

const struct inflame_frame_meta *inflame_stackset_meta(const struct inflame_stackset *ss,
						       uint32_t id)
{
	return id < ss->meta_cap && ss->has_meta[id] ? &ss->meta[id] : NULL;
}
