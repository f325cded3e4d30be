/*
 * Writing dump files: the file header and checksummed chunks, to a file descriptor.
 *
 * The writer owns no state beyond what the caller passes; it never calls malloc or stdio, so
 * the preload's writer thread can use it inside any program. It is not async-signal-safe
 * (crc32.h builds its table on its first call, and callers must not share an fd between a
 * signal handler and a thread). Each function returns 0 or a negative errno.
 */
#ifndef INFLAME_DUMP_WRITE_H
#define INFLAME_DUMP_WRITE_H

#include "dump_format.h"
#include "varint.h"

#include <stddef.h>
#include <stdint.h>

struct inflame_dump_header_info {
	uint16_t version;
	uint16_t min_reader;
	uint16_t header_size;
	uint8_t pointer_size;
	uint32_t machine;
	uint32_t features;
	uint32_t pid;
	uint32_t sequence;
	uint64_t start_realtime;
	uint64_t start_monotonic;
	uint64_t file_realtime;
	uint64_t file_monotonic; /* 0: unknown (older writers) */
};

/* One allocation event for an ALLOCS payload, and the encoder's memory of the events before it
 * in the same chunk (zeroed, time = the header's start_monotonic, at each new chunk). */
struct inflame_alloc_event {
	uint32_t event;	  /* INFLAME_EV_ALLOC or INFLAME_EV_FREE */
	uint32_t restore; /* an ALLOC that restores the block freed last here: addr, tid, time */
	uint64_t time;	  /* ALLOC only: a FREE gets the previous event's */
	uint64_t tid, stack, weight, size, addr;
};
struct inflame_allocs_state {
	uint64_t time, tid, stack, addr;
};
#define INFLAME_ALLOCS_EVENT_MAX (1 + 6 * 10)
/* Encodes e after the events st remembers into out (room for INFLAME_ALLOCS_EVENT_MAX bytes),
 * updating st; returns the bytes written. A FREE's time, stack, weight and size are not
 * written. Inline: full tracing encodes two events per allocation. */
static inline size_t inflame_dump_encode_alloc_event(uint8_t *out, struct inflame_allocs_state *st,
						     const struct inflame_alloc_event *e)
{
	uint8_t *o = out + 1;
	unsigned flags = 0;

	if (e->tid != st->tid) {
		flags |= INFLAME_ALLOCS_TID;
		o += inflame_varint_put(o, e->tid);
		st->tid = e->tid;
	}
	if (e->event == INFLAME_EV_FREE) {
		flags |= INFLAME_ALLOCS_FREE;
	} else if (e->restore) {
		flags |= INFLAME_ALLOCS_RESTORE;
		if (e->time != st->time) {
			flags |= INFLAME_ALLOCS_TIME;
			o += inflame_varint_put(o, inflame_zigzag((int64_t)(e->time - st->time)));
			st->time = e->time;
		}
	} else {
		if (e->time != st->time) {
			flags |= INFLAME_ALLOCS_TIME;
			o += inflame_varint_put(o, inflame_zigzag((int64_t)(e->time - st->time)));
			st->time = e->time;
		}
		if (e->stack != st->stack) {
			flags |= INFLAME_ALLOCS_STACK;
			o += inflame_varint_put(o, e->stack);
			st->stack = e->stack;
		}
		o += inflame_varint_put(o, e->size);
		if (e->weight != e->size) {
			flags |= INFLAME_ALLOCS_WEIGHT;
			o += inflame_varint_put(o, e->weight);
		}
	}
	o += inflame_varint_put(o, inflame_zigzag((int64_t)(e->addr - st->addr)));
	st->addr = e->addr;
	out[0] = (uint8_t)flags; /* below 0x80: a one-byte varint */
	return (size_t)(o - out);
}

/* Fills the fields this build always writes (version, sizes, machine). */
void inflame_dump_header_defaults(struct inflame_dump_header_info *h);

/* Encodes a header into exactly INFLAME_DUMP_HEADER_SIZE bytes. */
void inflame_dump_encode_header(uint8_t *out, const struct inflame_dump_header_info *h);

/* Whether len more bytes written at fd's position stay within the process's file size limit
 * (RLIMIT_FSIZE, which a program may lower for itself, as OpenSSH's sandboxed child does): a
 * write past it raises SIGXFSZ, whose default action ends the program. Always true for what
 * is not a regular file, and without a limit (one getrlimit). Async-signal-safe. The writes
 * below return -EFBIG, without the signal, when they would not fit. */
int inflame_dump_write_fits(int fd, size_t len);

/* Writes the file header at the current position of fd. */
int inflame_dump_write_header(int fd, const struct inflame_dump_header_info *h);

/* Writes one chunk: its 16-byte header and the payload, retrying short writes and EINTR. */
int inflame_dump_write_chunk(int fd, uint32_t type, const uint8_t *payload, size_t len);

/* Encodes a chunk header for payload into out (INFLAME_DUMP_CHUNK_HDR_SIZE bytes). */
void inflame_dump_encode_chunk_header(uint8_t *out, uint32_t type, const uint8_t *payload,
				      size_t len);

/*
 * Gathering: chunks (and the file header) put into a buffer in memory, written later with
 * one system call for all of them rather than one per chunk.
 */
/* Appends the file header to b. Returns 0 or -ENOMEM (b->failed). */
int inflame_dump_put_header(struct inflame_buf *b, const struct inflame_dump_header_info *h);
/* Appends one chunk, its header and a copy of the payload, to b. Returns 0, -EMSGSIZE or
 * -ENOMEM (b->failed). */
int inflame_dump_put_chunk(struct inflame_buf *b, uint32_t type, const uint8_t *payload,
			   size_t len);
/* A chunk built in place: its payload is appended to b after inflame_dump_begin_chunk(), which
 * returns where its header lies, and inflame_dump_end_chunk() fills that header in (length and
 * checksum of everything appended since). No copy of the payload, no second buffer. The end
 * returns 0, -EMSGSIZE or -ENOMEM (b->failed: the chunk is not whole). */
size_t inflame_dump_begin_chunk(struct inflame_buf *b);
int inflame_dump_end_chunk(struct inflame_buf *b, size_t at, uint32_t type);
/* Writes the n gathered bytes at data and then, when payload is not NULL, one chunk of type
 * with its len bytes taken where they lie, all in one writev (retrying as
 * inflame_dump_write_chunk). */
int inflame_dump_write_gathered(int fd, const uint8_t *data, size_t n, uint32_t type,
				const uint8_t *payload, size_t len);

#endif
