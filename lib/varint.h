/*
 * Unsigned LEB128 varints and zig-zag signed integers, the building blocks of dump payloads.
 *
 * Encoding appends into a byte buffer (struct inflame_buf, which grows with mremap and never
 * calls malloc, so the preload's writer thread may use it); decoding reads from a bounded
 * cursor that records the first error instead of failing each call, so decoders can read a
 * whole record and check once. None of these functions is async-signal-safe except
 * inflame_varint_put(), which only writes to the memory it is given.
 */
#ifndef INFLAME_VARINT_H
#define INFLAME_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define INFLAME_VARINT_MAX 10

/* Writes v as LEB128 into out (at least INFLAME_VARINT_MAX bytes); returns bytes written.
 * Inline: encoders write millions of mostly small values. Async-signal-safe. */
static inline size_t inflame_varint_put(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	if (v < 0x80) {
		out[0] = (uint8_t)v;
		return 1;
	}
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

static inline uint64_t inflame_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t inflame_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* A growable byte buffer backed by mmap. A failed growth sets 'failed' and later appends are
 * ignored, so a builder checks once at the end. */
struct inflame_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int failed;
	int lent; /* data is the caller's storage (inflame_buf_lend), never unmapped */
};

/* Releases the buffer's memory; the buffer may be reused after. Accepts an empty buffer. */
void inflame_buf_free(struct inflame_buf *b);
/* Makes an empty buffer without memory start in the caller's storage (n bytes), which must
 * outlive it: the buffer moves to a mapping of its own when it outgrows that. Several small
 * buffers lent parts of one page cost a short process one page fault rather than one each. A
 * buffer that has memory already is left as it is. */
void inflame_buf_lend(struct inflame_buf *b, void *storage, size_t n);
/* Makes room for n more bytes; returns 0 or -ENOMEM (and sets failed). */
int inflame_buf_reserve(struct inflame_buf *b, size_t n);
void inflame_buf_put(struct inflame_buf *b, const void *p, size_t n);
void inflame_buf_put_varint(struct inflame_buf *b, uint64_t v);
void inflame_buf_put_str(struct inflame_buf *b, const char *s, size_t n);
void inflame_buf_put_u16le(struct inflame_buf *b, uint16_t v);
void inflame_buf_put_u32le(struct inflame_buf *b, uint32_t v);
void inflame_buf_put_u64le(struct inflame_buf *b, uint64_t v);

/* A bounded read cursor. After any error, err is set and every read returns 0. */
struct inflame_cursor {
	const uint8_t *p;
	const uint8_t *end;
	int err;
};

uint64_t inflame_cursor_varint(struct inflame_cursor *c);
/* Reads a length-prefixed string; *s points into the cursor's memory (not NUL-terminated). */
void inflame_cursor_str(struct inflame_cursor *c, const char **s, size_t *n);
static inline int inflame_cursor_done(const struct inflame_cursor *c)
{
	return c->err || c->p >= c->end;
}

uint16_t inflame_le16(const uint8_t *p);
uint32_t inflame_le32(const uint8_t *p);
uint64_t inflame_le64(const uint8_t *p);

#endif
