/*
 * Varint encoding and decoding, little-endian fixed-width helpers, and the mmap-backed byte
 * buffer that dump chunks are built in. The buffer grows by doubling with mremap so it never
 * calls malloc: the preload's writer thread runs inside programs whose malloc we interpose.
 */
#include "varint.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

void inflame_buf_free(struct inflame_buf *b)
{
	if (b->data && !b->lent)
		munmap(b->data, b->cap);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
	b->lent = 0;
}

/* (in the section of the preload's code a fork child runs: INFLAME_FORK_TEXT, profiler.h) */
__attribute__((section(".text.hot.inflame_fork"))) void inflame_buf_lend(struct inflame_buf *b,
									 void *storage, size_t n)
{
	if (b->data)
		return;
	b->data = storage;
	b->cap = n;
	b->len = 0;
	b->lent = 1;
}

/* (in the fork child's section too: inflame_buf_lend) */
__attribute__((section(".text.hot.inflame_fork"))) int inflame_buf_reserve(struct inflame_buf *b,
									   size_t n)
{
	size_t want, cap;
	void *p;

	if (b->failed)
		return -ENOMEM;
	if (b->len + n <= b->cap)
		return 0;
	want = b->len + n;
	cap = b->cap && !b->lent ? b->cap : 65536;
	while (cap < want)
		cap *= 2;
	if (b->data && !b->lent)
		p = mremap(b->data, b->cap, cap, MREMAP_MAYMOVE);
	else
		p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		b->failed = 1;
		return -ENOMEM;
	}
	if (b->lent && b->len)
		memcpy(p, b->data, b->len);
	b->data = p;
	b->cap = cap;
	b->lent = 0;
	return 0;
}

void inflame_buf_put(struct inflame_buf *b, const void *p, size_t n)
{
	if (inflame_buf_reserve(b, n) < 0)
		return;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

void inflame_buf_put_varint(struct inflame_buf *b, uint64_t v)
{
	if (inflame_buf_reserve(b, INFLAME_VARINT_MAX) < 0)
		return;
	b->len += inflame_varint_put(b->data + b->len, v);
}

void inflame_buf_put_str(struct inflame_buf *b, const char *s, size_t n)
{
	inflame_buf_put_varint(b, n);
	inflame_buf_put(b, s, n);
}

void inflame_buf_put_u16le(struct inflame_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	inflame_buf_put(b, x, sizeof(x));
}

void inflame_buf_put_u32le(struct inflame_buf *b, uint32_t v)
{
	uint8_t x[4];

	for (int i = 0; i < 4; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	inflame_buf_put(b, x, sizeof(x));
}

void inflame_buf_put_u64le(struct inflame_buf *b, uint64_t v)
{
	uint8_t x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	inflame_buf_put(b, x, sizeof(x));
}

uint64_t inflame_cursor_varint(struct inflame_cursor *c)
{
	uint64_t v = 0;

	if (c->err)
		return 0;
	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t byte;

		if (c->p >= c->end)
			break;
		byte = *c->p++;
		if (shift == 63 && byte > 1)
			break; /* more than 64 bits */
		v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return v;
	}
	c->err = -EBADMSG;
	return 0;
}

void inflame_cursor_str(struct inflame_cursor *c, const char **s, size_t *n)
{
	uint64_t len = inflame_cursor_varint(c);

	*s = "";
	*n = 0;
	if (c->err)
		return;
	if (len > (uint64_t)(c->end - c->p)) {
		c->err = -EBADMSG;
		return;
	}
	*s = (const char *)c->p;
	*n = (size_t)len;
	c->p += len;
}

uint16_t inflame_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t inflame_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

uint64_t inflame_le64(const uint8_t *p)
{
	return (uint64_t)inflame_le32(p) | ((uint64_t)inflame_le32(p + 4) << 32);
}
