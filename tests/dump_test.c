/* Unit tests for lib/dump_write.c and lib/dump_read.c: a round trip of every chunk type, and
 * for each chunk type a corrupt or cut copy that the reader must reject cleanly; the ALLOCS
 * encoder against the reader over many events, and its malformed records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crc32.h"
#include "dump_read.h"
#include "dump_write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct file {
	uint8_t data[1 << 16];
	size_t len;
	size_t chunk_off[16]; /* start of each chunk */
	int nchunks;
};

static void add_chunk(struct file *f, uint32_t type, struct inflame_buf *b)
{
	f->chunk_off[f->nchunks++] = f->len;
	inflame_dump_encode_chunk_header(f->data + f->len, type, b->data, b->len);
	f->len += INFLAME_DUMP_CHUNK_HDR_SIZE;
	memcpy(f->data + f->len, b->data, b->len);
	f->len += b->len;
	inflame_buf_free(b);
}

static void build(struct file *f)
{
	struct inflame_dump_header_info h;
	struct inflame_buf b = {0};
	uint64_t frames[3] = {0x401234, 0x401000, 0x7f0000001000};

	memset(f, 0, sizeof(*f));
	inflame_dump_header_defaults(&h);
	h.pid = 4242;
	h.sequence = 3;
	h.start_monotonic = 1000;
	h.file_monotonic = 5000;
	h.features = INFLAME_FEAT_CPU;
	inflame_dump_encode_header(f->data, &h);
	f->len = INFLAME_DUMP_HEADER_SIZE;

	/* PROCESS */
	inflame_buf_put_varint(&b, 4242);
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_str(&b, "/bin/prog", 9);
	inflame_buf_put_varint(&b, 2);
	inflame_buf_put_str(&b, "prog", 4);
	inflame_buf_put_str(&b, "-x", 2);
	inflame_buf_put_str(&b, "cpu", 3);
	inflame_buf_put_varint(&b, 999);
	inflame_buf_put_str(&b, "perf", 4);
	inflame_buf_put_str(&b, "fp", 2);
	inflame_buf_put_varint(&b, 128);
	inflame_buf_put_varint(&b, 512);
	inflame_buf_put_varint(&b, 524288);
	add_chunk(f, INFLAME_CHUNK_PROCESS, &b);
	/* MODULES */
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_varint(&b, 0x400000);
	inflame_buf_put_varint(&b, 0x401000);
	inflame_buf_put_varint(&b, 0x402000);
	inflame_buf_put_str(&b, "/bin/prog", 9);
	inflame_buf_put_str(&b, "\x01\x02\x03", 3);
	add_chunk(f, INFLAME_CHUNK_MODULES, &b);
	/* STACKS */
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_varint(&b, 3);
	for (uint64_t i = 0, prev = 0; i < 3; prev = frames[i], i++)
		inflame_buf_put_varint(&b, inflame_zigzag((int64_t)(frames[i] - prev)));
	add_chunk(f, INFLAME_CHUNK_STACKS, &b);
	/* SAMPLES: one cpu, one alloc */
	inflame_buf_put_varint(&b, 2);
	inflame_buf_put_varint(&b, inflame_zigzag(5));
	inflame_buf_put_varint(&b, 4243);
	inflame_buf_put_varint(&b, INFLAME_EV_CPU);
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_varint(&b, 2);
	inflame_buf_put_varint(&b, inflame_zigzag(7));
	inflame_buf_put_varint(&b, 4243);
	inflame_buf_put_varint(&b, INFLAME_EV_ALLOC);
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_varint(&b, 1000);
	inflame_buf_put_varint(&b, 64);
	inflame_buf_put_varint(&b, 0xdead0);
	add_chunk(f, INFLAME_CHUNK_SAMPLES, &b);
	/* ALLOCS: an alloc and its free, through the encoder */
	{
		struct inflame_allocs_state st = {.time = 1000};
		struct inflame_alloc_event a = {.event = INFLAME_EV_ALLOC,
						.time = 1020,
						.tid = 4243,
						.stack = 1,
						.weight = 96,
						.size = 32,
						.addr = 0xbeef0};
		struct inflame_alloc_event fr = {
		    .event = INFLAME_EV_FREE, .tid = 4244, .addr = 0xbeef0};

		inflame_buf_put_varint(&b, 2);
		inflame_buf_reserve(&b, 2 * INFLAME_ALLOCS_EVENT_MAX);
		b.len += inflame_dump_encode_alloc_event(b.data + b.len, &st, &a);
		b.len += inflame_dump_encode_alloc_event(b.data + b.len, &st, &fr);
	}
	add_chunk(f, INFLAME_CHUNK_ALLOCS, &b);
	/* THREADS */
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_varint(&b, 4243);
	inflame_buf_put_str(&b, "worker", 6);
	inflame_buf_put_varint(&b, 1);
	add_chunk(f, INFLAME_CHUNK_THREADS, &b);
	/* STATS */
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_varint(&b, INFLAME_STAT_DROPPED_RING);
	inflame_buf_put_varint(&b, 17);
	add_chunk(f, INFLAME_CHUNK_STATS, &b);
	/* an unknown chunk type, which readers must skip */
	inflame_buf_put_varint(&b, 12345);
	add_chunk(f, 99, &b);
	/* END */
	inflame_buf_put_varint(&b, 2000);
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_varint(&b, 0);
	inflame_buf_put_varint(&b, 1);
	add_chunk(f, INFLAME_CHUNK_END, &b);
}

static void stat_cb(void *arg, uint64_t k, uint64_t v)
{
	uint64_t *out = arg;

	if (k == INFLAME_STAT_DROPPED_RING)
		*out = v;
}

/* Walks every chunk and checks each decoded field. Returns the number of chunks decoded. */
static int read_all(const struct file *f, struct inflame_dump_reader *r)
{
	struct inflame_chunk c;
	int n = 0;

	assert_int_equal(inflame_dump_reader_init(r, f->data, f->len), 0);
	while (inflame_dump_reader_next(r, &c) == 1) {
		n++;
		switch (c.type) {
		case INFLAME_CHUNK_PROCESS: {
			struct inflame_process_rec p;
			const char *s;
			size_t len;

			assert_int_equal(inflame_dump_decode_process(&c, &p), 0);
			assert_int_equal(p.pid, 4242);
			assert_int_equal(p.argc, 2);
			inflame_cursor_str(&p.args, &s, &len);
			inflame_cursor_str(&p.args, &s, &len);
			assert_memory_equal(s, "-x", 2);
			assert_int_equal(p.frequency, 999);
			assert_int_equal(p.alloc_rate, 524288);
			break;
		}
		case INFLAME_CHUNK_MODULES: {
			struct inflame_module_iter it;
			struct inflame_module_rec m;

			assert_int_equal(inflame_dump_modules_begin(&c, &it), 0);
			assert_int_equal(inflame_dump_modules_next(&it, &m), 1);
			assert_int_equal(m.lo, 0x401000);
			assert_int_equal(m.build_id.n, 3);
			assert_int_equal(inflame_dump_modules_next(&it, &m), 0);
			break;
		}
		case INFLAME_CHUNK_STACKS: {
			struct inflame_stack_iter it;
			static struct inflame_stack_rec s;

			assert_int_equal(inflame_dump_stacks_begin(&c, &it), 0);
			assert_int_equal(inflame_dump_stacks_next(&it, &s), 1);
			assert_int_equal(s.nframes, 3);
			assert_int_equal(s.frames[0], 0x401234);
			assert_int_equal(s.frames[2], 0x7f0000001000);
			break;
		}
		case INFLAME_CHUNK_SAMPLES: {
			struct inflame_sample_iter it;
			struct inflame_sample_rec s;

			assert_int_equal(inflame_dump_samples_begin(&c, 1000, &it), 0);
			assert_int_equal(inflame_dump_samples_next(&it, &s), 1);
			assert_int_equal(s.time, 1005);
			assert_int_equal(s.event, INFLAME_EV_CPU);
			assert_int_equal(s.weight, 2);
			assert_int_equal(inflame_dump_samples_next(&it, &s), 1);
			assert_int_equal(s.time, 1012);
			assert_int_equal(s.size, 64);
			assert_int_equal(s.addr, 0xdead0);
			assert_int_equal(inflame_dump_samples_next(&it, &s), 0);
			break;
		}
		case INFLAME_CHUNK_ALLOCS: {
			struct inflame_sample_iter it;
			struct inflame_sample_rec s;

			assert_int_equal(inflame_dump_samples_begin(&c, 1000, &it), 0);
			assert_int_equal(inflame_dump_samples_next(&it, &s), 1);
			assert_int_equal(s.event, INFLAME_EV_ALLOC);
			assert_int_equal(s.time, 1020);
			assert_int_equal(s.tid, 4243);
			assert_int_equal(s.stack, 1);
			assert_int_equal(s.weight, 96);
			assert_int_equal(s.size, 32);
			assert_int_equal(s.addr, 0xbeef0);
			assert_int_equal(inflame_dump_samples_next(&it, &s), 1);
			assert_int_equal(s.event, INFLAME_EV_FREE);
			assert_int_equal(s.time, 1020);
			assert_int_equal(s.tid, 4244);
			assert_int_equal(s.stack, 0);
			assert_int_equal(s.addr, 0xbeef0);
			assert_int_equal(inflame_dump_samples_next(&it, &s), 0);
			break;
		}
		case INFLAME_CHUNK_THREADS: {
			struct inflame_thread_iter it;
			struct inflame_thread_rec t;

			assert_int_equal(inflame_dump_threads_begin(&c, &it), 0);
			assert_int_equal(inflame_dump_threads_next(&it, &t), 1);
			assert_memory_equal(t.name.s, "worker", 6);
			break;
		}
		case INFLAME_CHUNK_STATS: {
			uint64_t v = 0;

			assert_int_equal(inflame_dump_decode_stats(&c, stat_cb, &v), 0);
			assert_int_equal(v, 17);
			break;
		}
		case INFLAME_CHUNK_END: {
			struct inflame_end_rec e;

			assert_int_equal(inflame_dump_decode_end(&c, &e), 0);
			assert_int_equal(e.end_monotonic, 2000);
			assert_int_equal(e.totals[INFLAME_EV_ALLOC], 1);
			break;
		}
		default:
			break;
		}
	}
	return n;
}

/* Every chunk type survives a round trip and an unknown type is skipped. */
static void test_roundtrip(void **state)
{
	static struct file f;
	struct inflame_dump_reader r;

	(void)state;
	build(&f);
	assert_int_equal(read_all(&f, &r), 9);
	assert_true(r.complete);
	assert_false(r.torn);
	assert_int_equal(r.hdr.pid, 4242);
	assert_int_equal(r.hdr.sequence, 3);
	assert_int_equal(r.hdr.file_monotonic, 5000);
}

/* THREAD_CPU: the head and each entry decode as written; a payload cut inside an entry, or a
 * count larger than the payload can hold, is malformed. */
static void test_thread_cpu(void **state)
{
	static const uint64_t head[4] = {1001000, INFLAME_TCPU_CLOCK_SYSTEM, 3000000, 2};
	static const uint64_t e[2][8] = {{7, 0, 900, 800, 100, 5, 1, 2},
					 {8, INFLAME_TCPU_T_EXITED, 300, 300, 0, 0, 0, 0}};
	struct inflame_buf b = {0};
	struct inflame_thread_cpu_iter it;
	struct inflame_thread_cpu_rec t;
	struct inflame_chunk c;
	uint64_t tid, ns;

	(void)state;
	for (int i = 0; i < 4; i++)
		inflame_buf_put_varint(&b, head[i]);
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 8; k++)
			inflame_buf_put_varint(&b, e[i][k]);
	c = (struct inflame_chunk){INFLAME_CHUNK_THREAD_CPU, b.data, b.len};
	assert_int_equal(inflame_dump_thread_cpu_begin(&c, &it), 0);
	assert_int_equal(it.period_ns, 1001000);
	assert_int_equal(it.flags, INFLAME_TCPU_CLOCK_SYSTEM);
	assert_int_equal(it.writer_ns, 3000000);
	assert_int_equal(inflame_dump_thread_cpu_next(&it, &t), 1);
	assert_int_equal(t.tid, 7);
	assert_int_equal(t.cpu_ns, 900);
	assert_int_equal(t.user_ns, 800);
	assert_int_equal(t.sys_ns, 100);
	assert_int_equal(t.weight, 5);
	assert_int_equal(t.self_cpu, 1);
	assert_int_equal(t.self_wall, 2);
	assert_int_equal(inflame_dump_thread_cpu_next(&it, &t), 1);
	assert_int_equal(t.tid, 8);
	assert_int_equal(t.flags, INFLAME_TCPU_T_EXITED);
	assert_int_equal(inflame_dump_thread_cpu_next(&it, &t), 0);
	/* an older writer's chunk: no list of unsampled CPU after the entries */
	assert_int_equal(inflame_dump_thread_cpu_unsampled(&it, &tid, &ns), 0);
	assert_int_equal(inflame_dump_thread_cpu_unsampled(&it, &tid, &ns), 0);
	/* the list, read after the entries only */
	inflame_buf_put_varint(&b, 2);
	inflame_buf_put_varint(&b, 8);
	inflame_buf_put_varint(&b, 4242);
	inflame_buf_put_varint(&b, 7);
	inflame_buf_put_varint(&b, 1000000);
	c = (struct inflame_chunk){INFLAME_CHUNK_THREAD_CPU, b.data, b.len};
	assert_int_equal(inflame_dump_thread_cpu_begin(&c, &it), 0);
	assert_int_equal(inflame_dump_thread_cpu_next(&it, &t), 1);
	assert_int_equal(inflame_dump_thread_cpu_unsampled(&it, &tid, &ns), -EINVAL);
	assert_int_equal(inflame_dump_thread_cpu_next(&it, &t), 1);
	assert_int_equal(inflame_dump_thread_cpu_next(&it, &t), 0);
	assert_int_equal(inflame_dump_thread_cpu_unsampled(&it, &tid, &ns), 1);
	assert_int_equal(tid, 8);
	assert_int_equal(ns, 4242);
	assert_int_equal(inflame_dump_thread_cpu_unsampled(&it, &tid, &ns), 1);
	assert_int_equal(tid, 7);
	assert_int_equal(ns, 1000000);
	assert_int_equal(inflame_dump_thread_cpu_unsampled(&it, &tid, &ns), 0);
	/* a list cut short, or counting more than the payload holds */
	c.len -= 2;
	assert_int_equal(inflame_dump_thread_cpu_begin(&c, &it), 0);
	while (inflame_dump_thread_cpu_next(&it, &t) == 1)
		;
	assert_int_equal(inflame_dump_thread_cpu_unsampled(&it, &tid, &ns), 1);
	assert_int_equal(inflame_dump_thread_cpu_unsampled(&it, &tid, &ns), -EBADMSG);
	c.len += 2;
	b.data[b.len - 8] = 100; /* the list's count (its 8 bytes: 1, 1, 2, 1, 3) */
	assert_int_equal(inflame_dump_thread_cpu_begin(&c, &it), 0);
	while (inflame_dump_thread_cpu_next(&it, &t) == 1)
		;
	assert_int_equal(inflame_dump_thread_cpu_unsampled(&it, &tid, &ns), -EBADMSG);
	b.data[b.len - 8] = 2;
	b.len -= 8; /* back to the entries alone */
	c.len = b.len;
	/* cut inside the second entry */
	c.len -= 3;
	assert_int_equal(inflame_dump_thread_cpu_begin(&c, &it), 0);
	assert_int_equal(inflame_dump_thread_cpu_next(&it, &t), 1);
	assert_int_equal(inflame_dump_thread_cpu_next(&it, &t), -EBADMSG);
	/* a count the payload cannot hold (the count is the byte after the 3-byte period, the
	 * flags byte and the 4-byte writer_ns) */
	assert_int_equal(b.data[8], 2);
	b.data[8] = 100;
	c.len = b.len;
	assert_int_equal(inflame_dump_thread_cpu_begin(&c, &it), -EBADMSG);
	inflame_buf_free(&b);
}

/* THREAD_CPU's second list (CPU missed at switches, before the clock, in periods no sample
 * took) follows the list of unsampled CPU, read after it only; without it (an older writer's
 * chunk) there is none; cut short or counting more than the payload holds, it is malformed. */
static void test_thread_cpu_losses(void **state)
{
	static const uint64_t v[] = {
	    1001000, 0,	   0,	  1,	  7, 0, 900,
	    800,     100,  5,	  1,	  2, 0, /* an empty list of unsampled CPU */
	    1,					/* one entry of losses */
	    7,	     3000, 40000, 1001000};
	struct inflame_buf b = {0};
	struct inflame_thread_cpu_iter it;
	struct inflame_thread_cpu_rec t;
	struct inflame_thread_cpu_losses l;
	struct inflame_chunk c;
	uint64_t tid, ns;
	size_t all;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		inflame_buf_put_varint(&b, v[i]);
	all = b.len;
	c = (struct inflame_chunk){INFLAME_CHUNK_THREAD_CPU, b.data, b.len};
	assert_int_equal(inflame_dump_thread_cpu_begin(&c, &it), 0);
	assert_int_equal(inflame_dump_thread_cpu_losses(&it, &l), -EINVAL);
	assert_int_equal(inflame_dump_thread_cpu_next(&it, &t), 1);
	assert_int_equal(inflame_dump_thread_cpu_next(&it, &t), 0);
	assert_int_equal(inflame_dump_thread_cpu_losses(&it, &l), -EINVAL);
	assert_int_equal(inflame_dump_thread_cpu_unsampled(&it, &tid, &ns), 0);
	assert_int_equal(inflame_dump_thread_cpu_losses(&it, &l), 1);
	assert_int_equal(l.tid, 7);
	assert_int_equal(l.missed, 3000);
	assert_int_equal(l.before, 40000);
	assert_int_equal(l.dropped, 1001000);
	assert_true(it.has_losses);
	assert_int_equal(inflame_dump_thread_cpu_losses(&it, &l), 0);
	/* cut inside the entry */
	c.len = all - 2;
	assert_int_equal(inflame_dump_thread_cpu_begin(&c, &it), 0);
	while (inflame_dump_thread_cpu_next(&it, &t) == 1)
		;
	assert_int_equal(inflame_dump_thread_cpu_unsampled(&it, &tid, &ns), 0);
	assert_int_equal(inflame_dump_thread_cpu_losses(&it, &l), -EBADMSG);
	/* a count the payload cannot hold */
	c.len = all;
	/* (the entry, 7, 3000, 40000, 1001000, is 1 + 2 + 3 + 3 bytes; its list's count is the
	 * byte before it, the unsampled list's the byte before that) */
	assert_int_equal(b.data[all - 10], 1);
	assert_int_equal(b.data[all - 11], 0);
	b.data[all - 10] = 9;
	assert_int_equal(inflame_dump_thread_cpu_begin(&c, &it), 0);
	while (inflame_dump_thread_cpu_next(&it, &t) == 1)
		;
	assert_int_equal(inflame_dump_thread_cpu_unsampled(&it, &tid, &ns), 0);
	assert_int_equal(inflame_dump_thread_cpu_losses(&it, &l), -EBADMSG);
	/* an older writer's chunk: the entries alone, no list of either kind */
	c.len = all - 11;
	assert_int_equal(inflame_dump_thread_cpu_begin(&c, &it), 0);
	while (inflame_dump_thread_cpu_next(&it, &t) == 1)
		;
	assert_int_equal(inflame_dump_thread_cpu_unsampled(&it, &tid, &ns), 0);
	assert_int_equal(inflame_dump_thread_cpu_losses(&it, &l), 0);
	assert_false(it.has_losses);
	inflame_buf_free(&b);
}

/* Flipping a payload byte of chunk k stops the walk at k with 'torn'; earlier chunks stay. */
static void test_corrupt_each_chunk(void **state)
{
	static struct file f, g;
	struct inflame_dump_reader r;

	(void)state;
	build(&f);
	for (int k = 0; k < f.nchunks; k++) {
		g = f;
		g.data[g.chunk_off[k] + INFLAME_DUMP_CHUNK_HDR_SIZE] ^= 0x40;
		assert_int_equal(read_all(&g, &r), k);
		assert_true(r.torn);
		assert_false(r.complete);
		/* cut in the middle of chunk k */
		g = f;
		g.len = g.chunk_off[k] + 5;
		assert_int_equal(read_all(&g, &r), k);
		assert_true(r.torn);
		/* a lying length in chunk k */
		g = f;
		g.data[g.chunk_off[k] + 7] = 0x7f;
		assert_int_equal(read_all(&g, &r), k);
		assert_true(r.torn);
	}
}

/* A payload that passes its checksum but lies about counts is rejected by the decoder. */
static void test_lying_payload(void **state)
{
	struct inflame_buf b = {0};
	struct inflame_chunk c;
	struct inflame_sample_iter si;
	struct inflame_stack_iter st;
	struct inflame_module_iter mi;

	(void)state;
	inflame_buf_put_varint(&b, 1000000000);
	inflame_buf_put_varint(&b, 1);
	c.type = INFLAME_CHUNK_SAMPLES;
	c.payload = b.data;
	c.len = b.len;
	assert_int_equal(inflame_dump_samples_begin(&c, 0, &si), -EBADMSG);
	assert_int_equal(inflame_dump_stacks_begin(&c, &st), -EBADMSG);
	assert_int_equal(inflame_dump_modules_begin(&c, &mi), -EBADMSG);
	inflame_buf_free(&b);
	/* a stack claiming more frames than any writer writes */
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_varint(&b, 100000);
	c.payload = b.data;
	c.len = b.len;
	{
		static struct inflame_stack_rec s;

		assert_int_equal(inflame_dump_stacks_begin(&c, &st), 0);
		assert_int_equal(inflame_dump_stacks_next(&st, &s), -EBADMSG);
	}
	inflame_buf_free(&b);
}

/* Decodes an ALLOCS payload of n events into out; returns the last next() result. */
static int decode_allocs(const struct inflame_buf *b, uint64_t base, struct inflame_sample_rec *out,
			 size_t n)
{
	struct inflame_chunk c = {.type = INFLAME_CHUNK_ALLOCS, .payload = b->data, .len = b->len};
	struct inflame_sample_iter it;
	int rc = 0;

	if (inflame_dump_samples_begin(&c, base, &it) < 0)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++)
		if ((rc = inflame_dump_samples_next(&it, &out[i])) != 1)
			return rc;
	return inflame_dump_samples_next(&it, &out[0]) == 0 ? 1 : -1;
}

/* Many events with every field changing or not (tids, stacks, weights, addresses going down as
 * well as up, times stepping back): what the encoder leaves out, the reader restores. */
static void test_allocs_roundtrip(void **state)
{
	enum { N = 5000 };
	static struct inflame_alloc_event ev[N];
	static struct inflame_sample_rec got[N];
	struct inflame_allocs_state st = {.time = 777};
	struct inflame_buf b = {0};
	uint64_t x = 12345, time = 777;

	(void)state;
	inflame_buf_put_varint(&b, N);
	for (int i = 0; i < N; i++) {
		struct inflame_alloc_event *e = &ev[i];

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		e->event = (x >> 60) & 1 ? INFLAME_EV_FREE : INFLAME_EV_ALLOC;
		e->restore = e->event == INFLAME_EV_ALLOC && (x >> 61) % 5 == 0;
		e->tid = 100 + ((x >> 50) & 3);
		e->addr = (x >> 52) & 1 ? 0x7f0000000000ull - (x >> 40) : (x >> 20);
		if (e->event == INFLAME_EV_ALLOC) {
			if ((x >> 40) & 1)
				time += (x >> 30) & 0xfff;
			else if ((x >> 41) & 1)
				time -= (x >> 30) & 0xff;
			e->time = time;
		}
		if (e->event == INFLAME_EV_ALLOC && !e->restore) {
			e->stack = 1 + ((x >> 44) & 7);
			e->size = 1 + ((x >> 10) & 0xffff);
			e->weight = (x >> 45) & 1 ? e->size : e->size * 3 + 1;
		}
		inflame_buf_reserve(&b, INFLAME_ALLOCS_EVENT_MAX);
		b.len += inflame_dump_encode_alloc_event(b.data + b.len, &st, e);
	}
	assert_int_equal(decode_allocs(&b, 777, got, N), 1);
	time = 777;
	for (int i = 0; i < N; i++) {
		assert_int_equal(got[i].event, ev[i].event);
		assert_int_equal(got[i].tid, ev[i].tid);
		assert_int_equal(got[i].addr, ev[i].addr);
		assert_int_equal(got[i].flags, ev[i].restore ? INFLAME_SAMPLE_RESTORE : 0);
		if (ev[i].event == INFLAME_EV_ALLOC) {
			time = ev[i].time;
			assert_int_equal(got[i].stack, ev[i].stack); /* 0 for a restore */
			assert_int_equal(got[i].size, ev[i].size);
			assert_int_equal(got[i].weight, ev[i].weight);
		} else {
			assert_int_equal(got[i].stack, 0);
			assert_int_equal(got[i].weight, 0);
		}
		assert_int_equal(got[i].time, time); /* a FREE has the time before it */
	}
	/* Every cut of the payload fails cleanly, never reading past it. */
	for (size_t cut = 1; cut < 200; cut++) {
		struct inflame_buf t = {0};

		inflame_buf_put(&t, b.data, b.len - cut);
		assert_true(decode_allocs(&t, 777, got, N) < 0);
		inflame_buf_free(&t);
	}
	inflame_buf_free(&b);
}

/* Records the encoder never writes are malformed: unknown flags, a FREE with ALLOC fields, a
 * RESTORE with a stack. */
static void test_allocs_malformed(void **state)
{
	static const uint8_t bad[][4] = {
	    {1, 0x40, 0x00},					      /* unknown flag */
	    {1, INFLAME_ALLOCS_FREE | INFLAME_ALLOCS_TIME, 2, 0},     /* a FREE with a time */
	    {1, INFLAME_ALLOCS_FREE | INFLAME_ALLOCS_WEIGHT, 0},      /* a FREE with a weight */
	    {1, INFLAME_ALLOCS_FREE | INFLAME_ALLOCS_RESTORE, 0},     /* a FREE that restores */
	    {1, INFLAME_ALLOCS_RESTORE | INFLAME_ALLOCS_STACK, 1, 0}, /* a RESTORE with a stack */
	    {1, 0x80, 0x80, 0x80},				      /* a varint that never ends */
	};
	struct inflame_sample_rec s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct inflame_buf b = {0};

		inflame_buf_put(&b, bad[i], sizeof(bad[i]));
		assert_int_equal(decode_allocs(&b, 0, &s, 1), -EBADMSG);
		inflame_buf_free(&b);
	}
}

/* PERFMAP and LABELS: a good chunk reads back; a wrapping entry, too many pairs, a cut string
 * or a lying count is -EBADMSG. */
static void test_perfmap_labels(void **state)
{
	struct inflame_buf b = {0};
	struct inflame_chunk c;
	struct inflame_perfmap_iter pit;
	struct inflame_perfmap_rec m;
	struct inflame_labels_iter lit;
	struct inflame_labels_rec l;
	const char *k, *v;
	size_t kn, vn;

	(void)state;
	inflame_buf_put_varint(&b, 2);
	inflame_buf_put_varint(&b, 5);
	inflame_buf_put_varint(&b, 0x7f0000001000);
	inflame_buf_put_varint(&b, 0x40);
	inflame_buf_put_str(&b, "JS:*hot", 7);
	inflame_buf_put_varint(&b, 6);
	inflame_buf_put_varint(&b, 0x7f0000000000);
	inflame_buf_put_varint(&b, 0x10000);
	inflame_buf_put_str(&b, "", 0);
	c = (struct inflame_chunk){INFLAME_CHUNK_PERFMAP, b.data, b.len};
	assert_int_equal(inflame_dump_perfmap_begin(&c, &pit), 0);
	assert_int_equal(inflame_dump_perfmap_next(&pit, &m), 1);
	assert_int_equal(m.start, 0x7f0000001000);
	assert_int_equal(m.size, 0x40);
	assert_int_equal(m.name.n, 7);
	assert_memory_equal(m.name.s, "JS:*hot", 7);
	assert_int_equal(inflame_dump_perfmap_next(&pit, &m), 1);
	assert_int_equal(m.name.n, 0);
	assert_int_equal(inflame_dump_perfmap_next(&pit, &m), 0);
	/* cut before the second entry's name */
	c.len = b.len - 1;
	assert_int_equal(inflame_dump_perfmap_begin(&c, &pit), 0);
	assert_int_equal(inflame_dump_perfmap_next(&pit, &m), 1);
	assert_int_equal(inflame_dump_perfmap_next(&pit, &m), -EBADMSG);
	inflame_buf_free(&b);
	/* an entry that wraps the address space */
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_varint(&b, 0);
	inflame_buf_put_varint(&b, UINT64_MAX - 8);
	inflame_buf_put_varint(&b, 0x10);
	inflame_buf_put_str(&b, "x", 1);
	c = (struct inflame_chunk){INFLAME_CHUNK_PERFMAP, b.data, b.len};
	assert_int_equal(inflame_dump_perfmap_begin(&c, &pit), 0);
	assert_int_equal(inflame_dump_perfmap_next(&pit, &m), -EBADMSG);
	inflame_buf_free(&b);
	/* a count the bytes cannot hold */
	inflame_buf_put_varint(&b, 1000);
	inflame_buf_put_varint(&b, 1);
	c = (struct inflame_chunk){INFLAME_CHUNK_PERFMAP, b.data, b.len};
	assert_int_equal(inflame_dump_perfmap_begin(&c, &pit), -EBADMSG);
	c.type = INFLAME_CHUNK_LABELS;
	assert_int_equal(inflame_dump_labels_begin(&c, &lit), -EBADMSG);
	inflame_buf_free(&b);

	/* LABELS: one set of two pairs, then an empty set */
	inflame_buf_put_varint(&b, 2);
	inflame_buf_put_varint(&b, 4242);
	inflame_buf_put_varint(&b, 1000);
	inflame_buf_put_varint(&b, 2);
	inflame_buf_put_str(&b, "phase", 5);
	inflame_buf_put_str(&b, "parse", 5);
	inflame_buf_put_str(&b, "request", 7);
	inflame_buf_put_str(&b, "42", 2);
	inflame_buf_put_varint(&b, 4242);
	inflame_buf_put_varint(&b, 2000);
	inflame_buf_put_varint(&b, 0);
	c = (struct inflame_chunk){INFLAME_CHUNK_LABELS, b.data, b.len};
	assert_int_equal(inflame_dump_labels_begin(&c, &lit), 0);
	assert_int_equal(inflame_dump_labels_next(&lit, &l), 1);
	assert_int_equal(l.tid, 4242);
	assert_int_equal(l.time, 1000);
	assert_int_equal(l.npairs, 2);
	inflame_cursor_str(&l.pairs, &k, &kn);
	inflame_cursor_str(&l.pairs, &v, &vn);
	assert_memory_equal(k, "phase", 5);
	assert_memory_equal(v, "parse", 5);
	assert_int_equal(inflame_dump_labels_next(&lit, &l), 1);
	assert_int_equal(l.npairs, 0);
	assert_int_equal(inflame_dump_labels_next(&lit, &l), 0);
	inflame_buf_free(&b);
	/* more pairs than a reader accepts */
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_varint(&b, 1);
	inflame_buf_put_varint(&b, 0);
	inflame_buf_put_varint(&b, INFLAME_MAX_LABELS + 1);
	for (int i = 0; i <= INFLAME_MAX_LABELS; i++) {
		inflame_buf_put_str(&b, "k", 1);
		inflame_buf_put_str(&b, "v", 1);
	}
	c = (struct inflame_chunk){INFLAME_CHUNK_LABELS, b.data, b.len};
	assert_int_equal(inflame_dump_labels_begin(&c, &lit), 0);
	assert_int_equal(inflame_dump_labels_next(&lit, &l), -EBADMSG);
	inflame_buf_free(&b);
}

/* Foreign files: wrong magic, newer format, other architecture, short header. */
static void test_foreign(void **state)
{
	static struct file f;
	struct inflame_dump_reader r;
	uint8_t save;

	(void)state;
	build(&f);
	f.data[0] = 'X';
	assert_int_equal(inflame_dump_reader_init(&r, f.data, f.len), -EINVAL);
	assert_non_null(strstr(r.err, "not an inflame dump"));
	build(&f);
	f.data[10] = 9; /* min reader 9 */
	assert_int_equal(inflame_dump_reader_init(&r, f.data, f.len), -EPROTONOSUPPORT);
	assert_non_null(strstr(r.err, "version"));
	build(&f);
	save = f.data[16];
	f.data[16] = 40; /* EM_ARM */
	f.data[14] = 4;
	assert_int_equal(inflame_dump_reader_init(&r, f.data, f.len), -EPROTONOSUPPORT);
	assert_non_null(strstr(r.err, "arm"));
	f.data[16] = save;
	assert_int_equal(inflame_dump_reader_init(&r, f.data, 20), -EINVAL);
}

/* Writing through an fd gives the same bytes the encoder does, and open() reads them. */
static void test_fd_roundtrip(void **state)
{
	char path[] = "/tmp/inflame-dump-test-XXXXXX";
	int fd = mkstemp(path);
	struct inflame_dump_header_info h;
	struct inflame_dump_reader r;
	struct inflame_chunk c;
	uint8_t payload[3] = {1, 2, 3};

	(void)state;
	assert_true(fd >= 0);
	inflame_dump_header_defaults(&h);
	assert_int_equal(inflame_dump_write_header(fd, &h), 0);
	assert_int_equal(inflame_dump_write_chunk(fd, INFLAME_CHUNK_STATS, payload, 0), 0);
	assert_int_equal(inflame_dump_write_chunk(fd, 77, payload, 3), 0);
	close(fd);
	assert_int_equal(inflame_dump_reader_open(&r, path), 0);
	assert_int_equal(inflame_dump_reader_next(&r, &c), 1);
	assert_int_equal(c.len, 0);
	assert_int_equal(inflame_dump_reader_next(&r, &c), 1);
	assert_int_equal(c.type, 77);
	assert_memory_equal(c.payload, payload, 3);
	assert_int_equal(inflame_dump_reader_next(&r, &c), 0);
	assert_false(r.torn);
	assert_false(r.complete);
	inflame_dump_reader_close(&r);
	unlink(path);
	assert_true(inflame_dump_reader_open(&r, path) < 0);
	assert_non_null(strstr(r.err, "cannot open"));
}

/* A chunk built in place (begin, payload appended, end) is byte for byte the one put from a
 * payload of its own, behind what the buffer held; a payload that could not grow is refused. */
static void test_chunk_in_place(void **state)
{
	struct inflame_buf a = {0}, b = {0}, p = {0};
	uint8_t small[24];
	size_t at;

	(void)state;
	inflame_buf_put_varint(&a, 7);
	inflame_buf_put_varint(&b, 7);
	for (uint64_t v = 0; v < 3000; v += 7)
		inflame_buf_put_varint(&p, v * 977);
	assert_int_equal(inflame_dump_put_chunk(&a, INFLAME_CHUNK_STATS, p.data, p.len), 0);
	at = inflame_dump_begin_chunk(&b);
	assert_int_equal(at, 1);
	for (uint64_t v = 0; v < 3000; v += 7)
		inflame_buf_put_varint(&b, v * 977);
	assert_int_equal(inflame_dump_end_chunk(&b, at, INFLAME_CHUNK_STATS), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	inflame_buf_free(&b);
	/* (lent storage that outgrows itself moves to a mapping: still whole) */
	inflame_buf_lend(&b, small, sizeof(small));
	inflame_buf_put_varint(&b, 7);
	at = inflame_dump_begin_chunk(&b);
	for (uint64_t v = 0; v < 3000; v += 7)
		inflame_buf_put_varint(&b, v * 977);
	assert_int_equal(inflame_dump_end_chunk(&b, at, INFLAME_CHUNK_STATS), 0);
	assert_memory_equal(a.data, b.data, a.len);
	b.failed = 1;
	assert_int_equal(inflame_dump_end_chunk(&b, at, INFLAME_CHUNK_STATS), -ENOMEM);
	inflame_buf_free(&a);
	inflame_buf_free(&b);
	inflame_buf_free(&p);
}

/* The chunks' CRC-32 is zlib's (the check value of the standard CRC-32 catalogue), and a
 * checksum can be continued over a second part. */
static void test_crc32(void **state)
{
	static const char check[] = "123456789";

	(void)state;
	assert_int_equal(inflame_crc32(0, check, 9), 0xcbf43926u);
	assert_int_equal(inflame_crc32(inflame_crc32(0, check, 4), check + 4, 5), 0xcbf43926u);
	assert_int_equal(inflame_crc32(0, "", 0), 0);
}

/* The CRC-32 bit by bit, as its definition reads. */
static uint32_t crc32_bits(uint32_t crc, const uint8_t *p, size_t len)
{
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
	}
	return ~crc;
}

/* Eight bytes at a time (or folded, 64 at a time, where the processor can) and a byte at a
 * time agree, from every alignment, at every length around a multiple of eight and from one to
 * four folds of 64 bytes with every tail, and continued over a split at any point. */
static void test_crc32_long(void **state)
{
	static uint8_t buf[4096 + 16];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	for (size_t off = 0; off < 16; off++)
		for (size_t len = 0; len < 40; len++)
			assert_int_equal(inflame_crc32(0, buf + off, len),
					 crc32_bits(0, buf + off, len));
	for (size_t off = 0; off < 16; off++)
		for (size_t len = 60; len < 300; len++)
			assert_int_equal(inflame_crc32(0x12345678u, buf + off, len),
					 crc32_bits(0x12345678u, buf + off, len));
	for (size_t off = 0; off < 9; off++)
		assert_int_equal(inflame_crc32(0, buf + off, 4096), crc32_bits(0, buf + off, 4096));
	for (size_t cut = 0; cut < 64; cut += 3)
		assert_int_equal(
		    inflame_crc32(inflame_crc32(0, buf + 1, cut), buf + 1 + cut, 3000 - cut),
		    crc32_bits(0, buf + 1, 3000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),	      cmocka_unit_test(test_corrupt_each_chunk),
	    cmocka_unit_test(test_lying_payload),     cmocka_unit_test(test_foreign),
	    cmocka_unit_test(test_fd_roundtrip),      cmocka_unit_test(test_allocs_roundtrip),
	    cmocka_unit_test(test_allocs_malformed),  cmocka_unit_test(test_thread_cpu),
	    cmocka_unit_test(test_thread_cpu_losses), cmocka_unit_test(test_crc32),
	    cmocka_unit_test(test_crc32_long),	      cmocka_unit_test(test_chunk_in_place),
	    cmocka_unit_test(test_perfmap_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
