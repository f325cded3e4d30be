/*
 * The spans of dump_images.h. A span starts at an image's magic (or at bytes that are none) and
 * ends at its END chunk, at the next image's magic where a chunk would start (a placeholder,
 * an image killed before its end), or, after a chunk that is cut short or fails its checksum
 * (a short write, garbage), at the next magic anywhere: what a damaged image says about its
 * length is not trusted. Each chunk is checked as the reader checks it, so that no span runs
 * on into the next image.
 */
#include "dump_images.h"

#include "dump_format.h"
#include "dump_read.h"
#include "varint.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int magic_at(const uint8_t *data, size_t size, size_t off)
{
	return size - off >= INFLAME_DUMP_MAGIC_LEN &&
	       memcmp(data + off, INFLAME_DUMP_MAGIC, INFLAME_DUMP_MAGIC_LEN) == 0;
}

/* The offset of the first magic at or after from, or size. */
static size_t next_magic(const uint8_t *data, size_t size, size_t from)
{
	const uint8_t *p;

	if (from >= size)
		return size;
	p = memmem(data + from, size - from, INFLAME_DUMP_MAGIC, INFLAME_DUMP_MAGIC_LEN);
	return p ? (size_t)(p - data) : size;
}

/* Walks the chunks of the image at s->off; returns the offset where the image ends. */
static size_t walk(const uint8_t *data, size_t size, struct inflame_dump_span *s, size_t pos)
{
	int first = 1;

	while (pos < size && !magic_at(data, size, pos)) {
		struct inflame_chunk c;

		if (inflame_dump_chunk_at(data, size, pos, &c) < 0)
			break;
		pos += INFLAME_DUMP_CHUNK_HDR_SIZE + c.len;
		if (first && c.type == INFLAME_CHUNK_MOVED)
			s->moved = 1;
		first = 0;
		if (c.type == INFLAME_CHUNK_END) {
			s->complete = 1;
			return pos;
		}
	}
	if (pos >= size || magic_at(data, size, pos))
		return pos;
	s->torn = 1;
	return next_magic(data, size, pos + 1);
}

int inflame_dump_span_at(const uint8_t *data, size_t size, size_t off, struct inflame_dump_span *s)
{
	size_t end, hsize;

	if (off >= size)
		return 0;
	memset(s, 0, sizeof(*s));
	s->off = off;
	if (!magic_at(data, size, off)) {
		s->len = next_magic(data, size, off + 1) - off;
		return 1;
	}
	s->image = 1;
	if (size - off < INFLAME_DUMP_HEADER_SIZE) {
		s->torn = 1;
		end = next_magic(data, size, off + 1);
	} else {
		hsize = inflame_le16(data + off + 12);
		s->pid = inflame_le32(data + off + 24);
		s->sequence = inflame_le32(data + off + 28);
		s->start_monotonic = inflame_le64(data + off + 40);
		if (hsize < INFLAME_DUMP_HEADER_SIZE || hsize > size - off) {
			s->torn = 1;
			end = next_magic(data, size, off + 1);
		} else {
			end = walk(data, size, s, off + hsize);
		}
	}
	s->len = end - off;
	return 1;
}

static int by_identity(const void *a, const void *b)
{
	const struct inflame_dump_span *x = *(const struct inflame_dump_span *const *)a;
	const struct inflame_dump_span *y = *(const struct inflame_dump_span *const *)b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->start_monotonic != y->start_monotonic)
		return x->start_monotonic < y->start_monotonic ? -1 : 1;
	if (x->sequence != y->sequence)
		return x->sequence < y->sequence ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int same_image(const struct inflame_dump_span *x, const struct inflame_dump_span *y)
{
	return x->pid == y->pid && x->start_monotonic == y->start_monotonic &&
	       x->sequence == y->sequence;
}

/* Marks what stands for nothing: in each group of images of one identity, in file order,
 * everything before the last one, and the last one too when it is a MOVED stand-in. */
static int mark_dropped(struct inflame_dump_span *v, size_t n)
{
	struct inflame_dump_span **idx = malloc((n ? n : 1) * sizeof(*idx));
	size_t k = 0;

	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (v[i].image && v[i].len >= INFLAME_DUMP_HEADER_SIZE)
			idx[k++] = &v[i];
	qsort(idx, k, sizeof(*idx), by_identity);
	for (size_t i = 0; i < k; i++) {
		if (i + 1 < k && same_image(idx[i], idx[i + 1]))
			idx[i]->dropped = 1;
		else if (idx[i]->moved)
			idx[i]->dropped = 1;
	}
	free(idx);
	return 0;
}

long inflame_dump_spans(const uint8_t *data, size_t size, struct inflame_dump_span **out)
{
	struct inflame_dump_span *v = NULL, s;
	size_t n = 0, cap = 0, off = 0;

	while (inflame_dump_span_at(data, size, off, &s) == 1) {
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			struct inflame_dump_span *nv = realloc(v, ncap * sizeof(*v));

			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		v[n++] = s;
		off += s.len;
	}
	if (mark_dropped(v, n) < 0) {
		free(v);
		return -ENOMEM;
	}
	*out = v;
	return (long)n;
}

int inflame_dump_image_name_split(const char *name, size_t *base_len, size_t *off)
{
	const char *at = strrchr(name, '@');
	size_t v = 0;

	if (!at || at == name || !at[1])
		return 0;
	for (const char *p = at + 1; *p; p++) {
		if (*p < '0' || *p > '9' || v > (SIZE_MAX - 9) / 10)
			return 0;
		v = v * 10 + (size_t)(*p - '0');
	}
	*base_len = (size_t)(at - name);
	*off = v;
	return 1;
}

int inflame_dump_image_named(const char *name)
{
	struct stat st;
	size_t n, off;

	return inflame_dump_image_name_split(name, &n, &off) && stat(name, &st) < 0 &&
	       errno == ENOENT;
}
