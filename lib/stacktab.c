/*
 * Stack interning by open addressing with linear probing. Each slot holds the stack's hash, id
 * and offset in one growing array of encoded stacks; a lookup compares hashes first and the
 * encodings only on a hash match. A stack is kept as the varint of its length and the zigzag
 * varints of the differences between successive frames (from 0), the encoding the STACKS chunk
 * uses: two or three bytes for most frames rather than eight. Every page of the table is a page
 * fault the first time it is written, and the table only grows (a profile of many distinct
 * stacks wrote 780 KiB of raw frames, 190 of the writer's 300 page faults, on a virtual machine
 * where a page fault costs 12 us of CPU). The encoding is self-delimiting, so equal bytes mean
 * an equal stack. The slot array doubles at 50% load, the byte array whenever it is full; both
 * with mmap/mremap so no malloc is involved.
 */
#include "stacktab.h"

#include "varint.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

struct inflame_stacktab_entry {
	uint64_t hash;
	uint32_t id;  /* 0 = empty slot */
	uint32_t off; /* of the encoding in bytes */
};

/* The encodings' offsets are 32 bits. */
#define BYTES_MAX ((size_t)UINT32_MAX)

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
	/* (ids are 32 bits) */
	t->max_stacks = max_stacks < UINT32_MAX ? max_stacks : UINT32_MAX;
	t->nslots = 4096;
	t->slots = map(t->nslots * sizeof(*t->slots));
	t->bytes_cap = 65536;
	t->bytes = map(t->bytes_cap);
	if (!t->slots || !t->bytes) {
		inflame_stacktab_destroy(t);
		return -ENOMEM;
	}
	return 0;
}

void inflame_stacktab_destroy(struct inflame_stacktab *t)
{
	if (t->slots)
		munmap(t->slots, t->nslots * sizeof(*t->slots));
	if (t->bytes)
		munmap(t->bytes, t->bytes_cap);
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
	t->bytes_len = 0;
	t->last_off = t->last_len = 0;
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

/* Makes room for INFLAME_STACKTAB_ENCODED_MAX(n) more bytes. Returns 0 or -ENOMEM. */
static int bytes_room(struct inflame_stacktab *t, uint32_t n)
{
	size_t want = t->bytes_len + INFLAME_STACKTAB_ENCODED_MAX(n), cap = t->bytes_cap;
	void *p;

	if (want <= cap)
		return 0;
	if (want > BYTES_MAX)
		return -ENOMEM;
	while (cap < want)
		cap *= 2;
	p = mremap(t->bytes, t->bytes_cap, cap, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return -ENOMEM;
	t->bytes = p;
	t->bytes_cap = cap;
	return 0;
}

size_t inflame_stacktab_encode(uint8_t *out, const uint64_t *frames, uint32_t n)
{
	size_t len = inflame_varint_put(out, n);
	uint64_t prev = 0;

	for (uint32_t i = 0; i < n; i++) {
		len += inflame_varint_put(out + len, inflame_zigzag((int64_t)(frames[i] - prev)));
		prev = frames[i];
	}
	return len;
}

uint64_t inflame_stacktab_intern(struct inflame_stacktab *t, const uint64_t *frames, uint32_t n,
				 int *is_new)
{
	uint64_t h = inflame_stacktab_hash(frames, n);
	uint8_t *enc;
	size_t i, len = 0;

	*is_new = 0;
	/* Encoded where a new stack will stay (a known one leaves bytes_len as it was), and only
	 * once a slot's hash matches or the stack is new: the writer copies a new stack's
	 * encoding from here into its STACKS chunk (inflame_stacktab_encoding) instead of
	 * encoding it twice. */
	if (bytes_room(t, n) < 0)
		return 0;
	enc = t->bytes + t->bytes_len;
	for (i = h & (t->nslots - 1); t->slots[i].id; i = (i + 1) & (t->nslots - 1)) {
		struct inflame_stacktab_entry *e = &t->slots[i];

		if (e->hash != h)
			continue;
		if (!len)
			len = inflame_stacktab_encode(enc, frames, n);
		if (e->off + len <= t->bytes_len && !memcmp(t->bytes + e->off, enc, len)) {
			t->last_off = e->off;
			t->last_len = (uint32_t)len;
			return e->id;
		}
	}
	if (t->count >= t->max_stacks)
		return 0;
	if (!len)
		len = inflame_stacktab_encode(enc, frames, n);
	if ((t->count + 1) * 2 > t->nslots) {
		if (grow_slots(t) < 0)
			return 0;
		for (i = h & (t->nslots - 1); t->slots[i].id; i = (i + 1) & (t->nslots - 1))
			;
	}
	t->slots[i].hash = h;
	t->slots[i].id = (uint32_t)++t->count;
	t->slots[i].off = (uint32_t)t->bytes_len;
	t->last_off = (uint32_t)t->bytes_len;
	t->last_len = (uint32_t)len;
	t->bytes_len += len;
	*is_new = 1;
	return t->slots[i].id;
}

const uint8_t *inflame_stacktab_encoding(const struct inflame_stacktab *t, size_t *len)
{
	*len = t->last_len;
	return t->bytes + t->last_off;
}
