/*
 * A tiny protocol buffers writer: just what pprof's profile.proto needs. A message is built in
 * a growable byte buffer; a submessage is built in a buffer of its own and appended as a
 * length-delimited field. Out of memory is sticky: the first failed growth sets oom, later
 * writes do nothing, and the caller checks once at the end.
 */
#ifndef INFLAME_PROTOBUF_H
#define INFLAME_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

struct inflame_pb {
	uint8_t *d;
	size_t n, cap;
	int oom;
};

/* Empties b (keeping its memory). */
void inflame_pb_reset(struct inflame_pb *b);
void inflame_pb_free(struct inflame_pb *b);

/* Appends a base-128 varint. */
void inflame_pb_varint(struct inflame_pb *b, uint64_t v);
/* Field of wire type 0: an unsigned or (two's complement) signed integer. Zero is written too,
 * so a caller that wants proto3's "absent when 0" tests first. */
void inflame_pb_uint(struct inflame_pb *b, uint32_t field, uint64_t v);
void inflame_pb_int(struct inflame_pb *b, uint32_t field, int64_t v);
/* Field of wire type 2: bytes, a string, or a submessage's encoding. */
void inflame_pb_bytes(struct inflame_pb *b, uint32_t field, const void *p, size_t n);
void inflame_pb_msg(struct inflame_pb *b, uint32_t field, const struct inflame_pb *sub);
/* Appends bytes as they are (fields encoded elsewhere). */
void inflame_pb_raw(struct inflame_pb *b, const void *p, size_t n);
/* A packed repeated field of varints (written only when n > 0). */
void inflame_pb_packed(struct inflame_pb *b, uint32_t field, const uint64_t *v, size_t n);

#endif
