/*
 * The protocol buffers writer of protobuf.h. Varints are seven bits a byte, low bits first,
 * with the high bit set on every byte but the last. A field starts with its key, the field
 * number shifted left by three bits or'ed with the wire type: 0 for varints, 2 for
 * length-delimited data.
 */
#include "export/protobuf.h"

#include <stdlib.h>
#include <string.h>

static int grow(struct inflame_pb *b, size_t more)
{
	size_t cap;
	uint8_t *d;

	if (b->oom)
		return -1;
	if (b->cap - b->n >= more)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap - b->n < more) {
		if (cap > SIZE_MAX / 2) {
			b->oom = 1;
			return -1;
		}
		cap *= 2;
	}
	d = realloc(b->d, cap);
	if (!d) {
		b->oom = 1;
		return -1;
	}
	b->d = d;
	b->cap = cap;
	return 0;
}

void inflame_pb_reset(struct inflame_pb *b)
{
	b->n = 0;
}

void inflame_pb_free(struct inflame_pb *b)
{
	free(b->d);
	memset(b, 0, sizeof(*b));
}

void inflame_pb_varint(struct inflame_pb *b, uint64_t v)
{
	if (grow(b, 10) < 0)
		return;
	while (v >= 0x80) {
		b->d[b->n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->d[b->n++] = (uint8_t)v;
}

void inflame_pb_uint(struct inflame_pb *b, uint32_t field, uint64_t v)
{
	inflame_pb_varint(b, (uint64_t)field << 3);
	inflame_pb_varint(b, v);
}

void inflame_pb_int(struct inflame_pb *b, uint32_t field, int64_t v)
{
	inflame_pb_uint(b, field, (uint64_t)v);
}

void inflame_pb_raw(struct inflame_pb *b, const void *p, size_t n)
{
	if (!n || grow(b, n) < 0)
		return;
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

void inflame_pb_bytes(struct inflame_pb *b, uint32_t field, const void *p, size_t n)
{
	inflame_pb_varint(b, (uint64_t)field << 3 | 2);
	inflame_pb_varint(b, n);
	inflame_pb_raw(b, p, n);
}

void inflame_pb_msg(struct inflame_pb *b, uint32_t field, const struct inflame_pb *sub)
{
	if (sub->oom) {
		b->oom = 1;
		return;
	}
	inflame_pb_bytes(b, field, sub->d, sub->n);
}

void inflame_pb_packed(struct inflame_pb *b, uint32_t field, const uint64_t *v, size_t n)
{
	size_t len = 0;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		uint64_t x = v[i];

		do {
			len++;
			x >>= 7;
		} while (x);
	}
	inflame_pb_varint(b, (uint64_t)field << 3 | 2);
	inflame_pb_varint(b, len);
	for (size_t i = 0; i < n; i++)
		inflame_pb_varint(b, v[i]);
}
