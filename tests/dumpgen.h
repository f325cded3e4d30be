/*
 * Building synthetic dump files for tests, with lib/dump_write: a generator accumulates the
 * file in memory, one helper per chunk type, then writes it to a temporary file. Header-only
 * (static functions) because only tests use it.
 */
#ifndef INFLAME_TEST_DUMPGEN_H
#define INFLAME_TEST_DUMPGEN_H

#include "dump_format.h"
#include "dump_write.h"
#include "varint.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct dumpgen {
	struct inflame_buf file;
	struct inflame_buf b; /* the chunk being built */
	uint64_t last_time;   /* for sample time deltas */
	uint64_t start;
};

/* Starts a dump of process pid, the sequence-th file of its run. */
static inline void dg_begin_seq(struct dumpgen *g, uint32_t pid, uint32_t features,
				uint32_t sequence)
{
	struct inflame_dump_header_info h;
	uint8_t hdr[INFLAME_DUMP_HEADER_SIZE];

	memset(g, 0, sizeof(*g));
	inflame_dump_header_defaults(&h);
	h.pid = pid;
	h.sequence = sequence;
	h.features = features;
	h.start_realtime = 1700000000123456789ull;
	h.start_monotonic = g->start = 5000000000ull;
	h.file_realtime = h.start_realtime;
	inflame_dump_encode_header(hdr, &h);
	inflame_buf_put(&g->file, hdr, sizeof(hdr));
}

static inline void dg_begin(struct dumpgen *g, uint32_t pid, uint32_t features)
{
	dg_begin_seq(g, pid, features, 2);
}

static inline void dg_chunk(struct dumpgen *g, uint32_t type)
{
	uint8_t ch[INFLAME_DUMP_CHUNK_HDR_SIZE];

	inflame_dump_encode_chunk_header(ch, type, g->b.data, g->b.len);
	inflame_buf_put(&g->file, ch, sizeof(ch));
	inflame_buf_put(&g->file, g->b.data, g->b.len);
	inflame_buf_free(&g->b);
	g->last_time = g->start; /* sample deltas restart in each chunk */
}

static inline void dg_str(struct dumpgen *g, const char *s)
{
	inflame_buf_put_str(&g->b, s, strlen(s));
}

static inline void dg_process(struct dumpgen *g, uint64_t pid, const char *exe, int argc,
			      const char *const *argv, const char *events, uint64_t freq)
{
	inflame_buf_put_varint(&g->b, pid);
	inflame_buf_put_varint(&g->b, 1);
	dg_str(g, exe);
	inflame_buf_put_varint(&g->b, (uint64_t)argc);
	for (int i = 0; i < argc; i++)
		dg_str(g, argv[i]);
	dg_str(g, events);
	inflame_buf_put_varint(&g->b, freq);
	dg_str(g, "perf");
	dg_str(g, "fp");
	inflame_buf_put_varint(&g->b, 128);
	inflame_buf_put_varint(&g->b, 512);
	inflame_buf_put_varint(&g->b, 524288);
	dg_chunk(g, INFLAME_CHUNK_PROCESS);
}

/* One MODULES chunk with a single module. */
static inline void dg_module(struct dumpgen *g, uint64_t gen, uint64_t base, uint64_t lo,
			     uint64_t hi, const char *path, const uint8_t *bid, size_t bidlen)
{
	inflame_buf_put_varint(&g->b, gen);
	inflame_buf_put_varint(&g->b, 1);
	inflame_buf_put_varint(&g->b, base);
	inflame_buf_put_varint(&g->b, lo);
	inflame_buf_put_varint(&g->b, hi);
	dg_str(g, path);
	inflame_buf_put_str(&g->b, (const char *)bid, bidlen);
	dg_chunk(g, INFLAME_CHUNK_MODULES);
}

/* Starts a STACKS or SAMPLES or THREADS chunk of count records. */
static inline void dg_count(struct dumpgen *g, uint64_t count)
{
	inflame_buf_put_varint(&g->b, count);
}

/* Adds a stack record (frames leaf first). */
static inline void dg_stack(struct dumpgen *g, uint64_t id, size_t n, const uint64_t *frames)
{
	uint64_t prev = 0;

	inflame_buf_put_varint(&g->b, id);
	inflame_buf_put_varint(&g->b, n);
	for (size_t i = 0; i < n; i++) {
		inflame_buf_put_varint(&g->b, inflame_zigzag((int64_t)(frames[i] - prev)));
		prev = frames[i];
	}
}

static inline void dg_sample(struct dumpgen *g, uint64_t time_ms, uint64_t tid, uint32_t event,
			     uint64_t stack, uint64_t weight, uint64_t size, uint64_t addr)
{
	uint64_t t = g->start + time_ms * 1000000ull;

	inflame_buf_put_varint(&g->b, inflame_zigzag((int64_t)(t - g->last_time)));
	g->last_time = t;
	inflame_buf_put_varint(&g->b, tid);
	inflame_buf_put_varint(&g->b, event);
	inflame_buf_put_varint(&g->b, stack);
	inflame_buf_put_varint(&g->b, weight);
	if (event == INFLAME_EV_ALLOC || event == INFLAME_EV_FREE) {
		inflame_buf_put_varint(&g->b, size);
		inflame_buf_put_varint(&g->b, addr);
	}
}

/* Adds an event to an ALLOCS payload, with the encoder's state st (zeroed, time = g->start,
 * at each chunk); time_ms as for dg_sample. */
static inline void dg_alloc_event(struct dumpgen *g, struct inflame_allocs_state *st,
				  uint64_t time_ms, struct inflame_alloc_event e)
{
	e.time = g->start + time_ms * 1000000ull;
	inflame_buf_reserve(&g->b, INFLAME_ALLOCS_EVENT_MAX);
	g->b.len += inflame_dump_encode_alloc_event(g->b.data + g->b.len, st, &e);
}

static inline void dg_thread(struct dumpgen *g, uint64_t tid, const char *name, uint64_t flags)
{
	inflame_buf_put_varint(&g->b, tid);
	dg_str(g, name);
	inflame_buf_put_varint(&g->b, flags);
}

/* Adds a notice to a NOTES payload (started with dg_count(count) and the lost count). */
static inline void dg_note(struct dumpgen *g, uint64_t time_ms, uint64_t level, const char *text)
{
	inflame_buf_put_varint(&g->b, time_ms * 1000000ull);
	inflame_buf_put_varint(&g->b, level);
	dg_str(g, text);
}

static inline void dg_end(struct dumpgen *g, uint64_t end_ms)
{
	inflame_buf_put_varint(&g->b, g->start + end_ms * 1000000ull);
	for (int i = 0; i < INFLAME_EV_COUNT_; i++)
		inflame_buf_put_varint(&g->b, 0);
	dg_chunk(g, INFLAME_CHUNK_END);
}

/* Writes the file to a new temporary path (into path, at least 64 bytes); returns 0 or -1. */
static inline int dg_write(struct dumpgen *g, char *path)
{
	size_t len = g->file.len;
	int failed = g->file.failed;
	ssize_t n;
	int fd;

	strcpy(path, "/tmp/inflame-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	n = write(fd, g->file.data, len);
	close(fd);
	inflame_buf_free(&g->file);
	inflame_buf_free(&g->b);
	return n == (ssize_t)len && !failed ? 0 : -1;
}

#endif
