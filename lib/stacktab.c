/*
 * Stack interning by open addressing with linear probing. Each slot holds the stack's hash,
 * id, length and offset in one growing array of frames; a lookup compares hashes first and
 * frames only on a hash match. The slot array doubles at 50% load, the frame array whenever
 * it is full; both with mmap/mremap so no malloc is involved.
 */
#include "stacktab.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

struct inflame_stacktab_entry {
	uint64_t hash;
	uint64_t id; /* 0 = empty slot */
	uint64_t off;
	uint32_t n;
	uint32_t pad;
};

uint64_t inflame_stacktab_hash(const uint64_t *frames, uint32_t n)
{
	/* Two independent chains, the even frames and the odd ones: half the latency of one
	 * chain of multiplications on the writer's path. */
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, g = 0xc2b2ae3d27d4eb4full;
	uint32_t i;

	for (i = 0; i + 1 < n; i += 2) {
		h ^= frames[i];
		g ^= frames[i + 1];
		h *= 0xff51afd7ed558ccdull;
		g *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		g ^= g >> 32;
	}
	if (i < n) {
		h ^= frames[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	h ^= g * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 32;
	return h;
}

static void *map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int inflame_stacktab_init(struct inflame_stacktab *t, uint64_t max_stacks)
{
	memset(t, 0, sizeof(*t));
	t->max_stacks = max_stacks;
	t->nslots = 4096;
	t->slots = map(t->nslots * sizeof(*t->slots));
	t->frames_cap = 65536;
	t->frames = map(t->frames_cap * sizeof(uint64_t));
	if (!t->slots || !t->frames) {
		inflame_stacktab_destroy(t);
		return -ENOMEM;
	}
	return 0;
}

void inflame_stacktab_destroy(struct inflame_stacktab *t)
{
	if (t->slots)
		munmap(t->slots, t->nslots * sizeof(*t->slots));
	if (t->frames)
		munmap(t->frames, t->frames_cap * sizeof(uint64_t));
	memset(t, 0, sizeof(*t));
}

void inflame_stacktab_clear(struct inflame_stacktab *t)
{
	/* An empty table is all zero already. A used one gets fresh zero pages rather than a
	 * memset: a fork child (whose table is the parent's, shared until written) and a short
	 * process (whose table was never touched) should not write pages they never use. */
	if (t->count) {
		struct inflame_stacktab_entry *s = map(t->nslots * sizeof(*s));

		if (s) {
			munmap(t->slots, t->nslots * sizeof(*t->slots));
			t->slots = s;
		} else {
			memset(t->slots, 0, t->nslots * sizeof(*t->slots));
		}
	}
	t->frames_len = 0;
	t->count = 0;
}

static int grow_slots(struct inflame_stacktab *t)
{
	size_t n = t->nslots * 2;
	struct inflame_stacktab_entry *s = map(n * sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < t->nslots; i++) {
		size_t j;

		if (!t->slots[i].id)
			continue;
		for (j = t->slots[i].hash & (n - 1); s[j].id; j = (j + 1) & (n - 1))
			;
		s[j] = t->slots[i];
	}
	munmap(t->slots, t->nslots * sizeof(*t->slots));
	t->slots = s;
	t->nslots = n;
	return 0;
}

uint64_t inflame_stacktab_intern(struct inflame_stacktab *t, const uint64_t *frames, uint32_t n,
				 int *is_new)
{
	uint64_t h = inflame_stacktab_hash(frames, n);
	size_t i;

	*is_new = 0;
	for (i = h & (t->nslots - 1); t->slots[i].id; i = (i + 1) & (t->nslots - 1)) {
		struct inflame_stacktab_entry *e = &t->slots[i];

		if (e->hash == h && e->n == n &&
		    !memcmp(t->frames + e->off, frames, n * sizeof(uint64_t)))
			return e->id;
	}
	if (t->count >= t->max_stacks)
		return 0;
	if (t->frames_len + n > t->frames_cap) {
		size_t cap = t->frames_cap;
		void *p;

		while (cap < t->frames_len + n)
			cap *= 2;
		p = mremap(t->frames, t->frames_cap * sizeof(uint64_t), cap * sizeof(uint64_t),
			   MREMAP_MAYMOVE);
		if (p == MAP_FAILED)
			return 0;
		t->frames = p;
		t->frames_cap = cap;
	}
	if ((t->count + 1) * 2 > t->nslots) {
		if (grow_slots(t) < 0)
			return 0;
		for (i = h & (t->nslots - 1); t->slots[i].id; i = (i + 1) & (t->nslots - 1))
			;
	}
	memcpy(t->frames + t->frames_len, frames, n * sizeof(uint64_t));
	t->slots[i].hash = h;
	t->slots[i].id = ++t->count;
	t->slots[i].off = t->frames_len;
	t->slots[i].n = n;
	t->frames_len += n;
	*is_new = 1;
	return t->slots[i].id;
}
