/* libFuzzer target for the dump reader (lib/dump_read.c) and every view of the dump loader
 * (tools/input/dumpload.c): any input must load or fail with a one-line error, without crashing,
 * hanging or leaking, and a loaded set must stay consistent. Chunk checksums are recomputed
 * on a copy of the input first, so the fuzzer reaches the payload decoders instead of stopping
 * at the CRC; the untouched input is loaded too. The input is also split into its images
 * (lib/dump_images.c, a file short processes share): the spans must cover it exactly, in
 * order, and each image left after placeholders are dropped is loaded as a dump of its own. */
#include "dump_format.h"
#include "dump_images.h"
#include "input/source.h"
#include "view/stackset.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void fix_crcs(uint8_t *d, size_t size, size_t off)
{

	while (off <= size && size - off >= INFLAME_DUMP_CHUNK_HDR_SIZE) {
		uint32_t len = get_le32(d + off + 4);

		if (len > size - off - INFLAME_DUMP_CHUNK_HDR_SIZE)
			return;
		put_le32(d + off + 8, (uint32_t)crc32(crc32(0L, Z_NULL, 0),
						      d + off + INFLAME_DUMP_CHUNK_HDR_SIZE, len));
		off += INFLAME_DUMP_CHUNK_HDR_SIZE + len;
	}
}

static void load_view(const uint8_t *data, size_t size, enum inflame_view view, int threads)
{
	struct inflame_load_opts o = {0};
	struct inflame_load_stats st = {0};
	struct inflame_stackset *ss = inflame_stackset_new();
	char err[256];

	if (!ss)
		return;
	o.view = view;
	o.threads = threads;
	o.pid = threads;
	err[0] = 0;
	if (inflame_dumpmem_load(data, size, &o, ss, &st, err, sizeof(err)) == 0) {
		uint64_t sum = 0;

		for (size_t i = 0; i < inflame_stackset_count(ss); i++) {
			const uint32_t *f;
			size_t n;
			uint64_t c;

			inflame_stackset_get(ss, i, &f, &n, &c);
			for (size_t k = 0; k < n; k++)
				assert(f[k] < inflame_stackset_nframes_total(ss));
			sum += c;
		}
		assert(sum == inflame_stackset_total(ss));
	} else {
		assert(err[0] && !memchr(err, '\n', strlen(err))); /* a one-line reason */
	}
	inflame_stackset_free(ss);
}

/* Splits data into its spans (copy: scratch of the same size), checks that they tile it, and
 * loads each image that stands, as it is and with its checksums made right. */
static void load_images(const uint8_t *data, size_t size, uint8_t *copy)
{
	struct inflame_dump_span *v;
	long n = inflame_dump_spans(data, size, &v);
	size_t at = 0;

	if (n < 0)
		return;
	for (long i = 0; i < n; i++) {
		assert(v[i].off == at && v[i].len > 0 && v[i].len <= size - at);
		at += v[i].len;
		if (!v[i].image || v[i].dropped)
			continue;
		load_view(data + v[i].off, v[i].len, INFLAME_VIEW_DEFAULT_, 0);
		if (v[i].len > INFLAME_DUMP_HEADER_SIZE) {
			fix_crcs(copy + v[i].off, v[i].len, INFLAME_DUMP_HEADER_SIZE);
			load_view(copy + v[i].off, v[i].len, INFLAME_VIEW_CPU, 1);
		}
	}
	assert(at == size);
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum inflame_view views[] = {
	    INFLAME_VIEW_DEFAULT_,   INFLAME_VIEW_CPU,	       INFLAME_VIEW_WALL,
	    INFLAME_VIEW_ALLOC,	     INFLAME_VIEW_ALLOC_COUNT, INFLAME_VIEW_LIVE,
	    INFLAME_VIEW_LIVE_COUNT, INFLAME_VIEW_PEAK,
	};
	uint8_t *copy;

	load_view(data, size, INFLAME_VIEW_DEFAULT_, 0);
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fix_crcs(copy, size, INFLAME_DUMP_HEADER_SIZE);
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		load_view(copy, size, views[i], (int)(i & 1));
	memcpy(copy, data, size);
	load_images(data, size, copy);
	free(copy);
	return 0;
}
