/*
 * The validating dump reader. It trusts nothing in the file: the header's sizes and versions
 * are checked before use, each chunk's length is checked against the bytes left and its CRC
 * against the payload, and the payload decoders read through bounded cursors and check every
 * count against the bytes that remain (each record needs at least one byte per field), so a
 * lying count cannot make a decoder loop or allocate beyond the file's own size.
 */
#include "dump_read.h"

#include "crc32.h"
#include "dump_images.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int inflame_dump_is_dump(const void *data, size_t size)
{
	return size >= INFLAME_DUMP_MAGIC_LEN &&
	       memcmp(data, INFLAME_DUMP_MAGIC, INFLAME_DUMP_MAGIC_LEN) == 0;
}

static const char *machine_name(uint32_t m)
{
	switch (m) {
	case EM_X86_64:
		return "x86_64";
	case EM_AARCH64:
		return "aarch64";
	case EM_386:
		return "i386";
	case EM_ARM:
		return "arm";
	default:
		return "an unknown architecture";
	}
}

int inflame_dump_reader_init(struct inflame_dump_reader *r, const void *data, size_t size)
{
	const uint8_t *p = data;
	struct inflame_dump_header_info *h = &r->hdr;
	struct inflame_dump_header_info self;

	memset(r, 0, sizeof(*r));
	r->data = data;
	r->size = size;
	if (!inflame_dump_is_dump(data, size)) {
		snprintf(r->err, sizeof(r->err), "not an inflame dump (bad magic)");
		return -EINVAL;
	}
	if (size < 16) {
		snprintf(r->err, sizeof(r->err), "truncated file header");
		return -EINVAL;
	}
	h->version = inflame_le16(p + 8);
	h->min_reader = inflame_le16(p + 10);
	h->header_size = inflame_le16(p + 12);
	h->pointer_size = p[14];
	if (h->min_reader > INFLAME_DUMP_VERSION) {
		snprintf(
		    r->err, sizeof(r->err),
		    "dump format version %u needs a reader of version %u or newer (this is %u)",
		    h->version, h->min_reader, INFLAME_DUMP_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (h->header_size < INFLAME_DUMP_HEADER_SIZE || h->header_size > size) {
		snprintf(r->err, sizeof(r->err), "bad or truncated file header (size %u)",
			 h->header_size);
		return -EINVAL;
	}
	if (p[15] != 1) {
		snprintf(r->err, sizeof(r->err), "unsupported byte order marker %u", p[15]);
		return -EINVAL;
	}
	h->machine = inflame_le32(p + 16);
	h->features = inflame_le32(p + 20);
	h->pid = inflame_le32(p + 24);
	h->sequence = inflame_le32(p + 28);
	h->start_realtime = inflame_le64(p + 32);
	h->start_monotonic = inflame_le64(p + 40);
	h->file_realtime = inflame_le64(p + 48);
	h->file_monotonic = inflame_le64(p + 56);
	inflame_dump_header_defaults(&self);
	if (h->pointer_size != self.pointer_size || h->machine != self.machine) {
		snprintf(r->err, sizeof(r->err),
			 "dump was recorded on %s (%u-bit); this reader is for %s (%u-bit)",
			 machine_name(h->machine), h->pointer_size * 8u, machine_name(self.machine),
			 self.pointer_size * 8u);
		return -EPROTONOSUPPORT;
	}
	r->off = h->header_size;
	return 0;
}

/* Opens path, or for a name "PATH@OFF" that is no file, PATH with *off set to OFF. Returns
 * the descriptor or -errno. */
static int open_image(const char *path, size_t *off)
{
	char base[4096];
	size_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = errno;

	*off = 0;
	if (fd >= 0 || err != ENOENT || !inflame_dump_image_name_split(path, &n, off) ||
	    n >= sizeof(base)) {
		*off = 0;
		return fd >= 0 ? fd : -err;
	}
	memcpy(base, path, n);
	base[n] = 0;
	fd = open(base, O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

int inflame_dump_path_open(const char *path)
{
	size_t off;
	int fd = open_image(path, &off);

	if (fd >= 0 && off && lseek(fd, (off_t)off, SEEK_SET) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int inflame_dump_reader_open(struct inflame_dump_reader *r, const char *path)
{
	struct stat st;
	void *map;
	size_t off;
	int fd, err;

	memset(r, 0, sizeof(*r));
	fd = open_image(path, &off);
	if (fd < 0) {
		snprintf(r->err, sizeof(r->err), "cannot open: %s", strerror(-fd));
		return fd;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(r->err, sizeof(r->err), "not a regular file");
		return -EINVAL;
	}
	if ((uint64_t)st.st_size < (uint64_t)off + INFLAME_DUMP_HEADER_SIZE) {
		uint8_t small[INFLAME_DUMP_HEADER_SIZE];
		ssize_t n = pread(fd, small, sizeof(small), (off_t)off);

		close(fd);
		if (n > 0 && inflame_dump_is_dump(small, (size_t)n))
			snprintf(r->err, sizeof(r->err), "truncated file header");
		else
			snprintf(r->err, sizeof(r->err), "not an inflame dump (%s)",
				 n <= 0 ? "empty file" : "bad magic");
		return -EINVAL;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		err = -errno;
		snprintf(r->err, sizeof(r->err), "cannot map: %s", strerror(errno));
		return err;
	}
	err = inflame_dump_reader_init(r, (const uint8_t *)map + off, (size_t)st.st_size - off);
	r->mapped = 1;
	r->map = map;
	r->map_size = (size_t)st.st_size;
	if (err < 0) {
		char msg[sizeof(r->err)];

		memcpy(msg, r->err, sizeof(msg));
		inflame_dump_reader_close(r);
		memcpy(r->err, msg, sizeof(msg));
	}
	return err;
}

void inflame_dump_reader_close(struct inflame_dump_reader *r)
{
	if (r->mapped && r->map)
		munmap((void *)r->map, r->map_size);
	memset(r, 0, sizeof(*r));
}

int inflame_dump_chunk_at(const uint8_t *data, size_t size, size_t off, struct inflame_chunk *c)
{
	const uint8_t *p = data + off;
	uint32_t len;

	if (size - off < INFLAME_DUMP_CHUNK_HDR_SIZE)
		return -ENODATA;
	len = inflame_le32(p + 4);
	if (len > INFLAME_DUMP_MAX_CHUNK || len > size - off - INFLAME_DUMP_CHUNK_HDR_SIZE)
		return -EMSGSIZE;
	if (inflame_crc32(0, p + INFLAME_DUMP_CHUNK_HDR_SIZE, len) != inflame_le32(p + 8))
		return -EBADMSG;
	c->type = inflame_le32(p);
	c->payload = p + INFLAME_DUMP_CHUNK_HDR_SIZE;
	c->len = len;
	return 0;
}

int inflame_dump_reader_next(struct inflame_dump_reader *r, struct inflame_chunk *c)
{
	int rc;

	if (r->torn || r->complete || r->off >= r->size)
		return 0;
	if (inflame_dump_is_dump(r->data + r->off, r->size - r->off)) {
		r->size = r->off; /* (the next image's: this one ends here) */
		return 0;
	}
	rc = inflame_dump_chunk_at(r->data, r->size, r->off, c);
	if (rc < 0) {
		r->torn = 1;
		if (rc == -ENODATA)
			snprintf(r->err, sizeof(r->err), "cut chunk header at offset %zu", r->off);
		else if (rc == -EMSGSIZE)
			snprintf(r->err, sizeof(r->err),
				 "chunk at offset %zu is cut short (%u bytes)", r->off,
				 inflame_le32(r->data + r->off + 4));
		else
			snprintf(r->err, sizeof(r->err), "chunk at offset %zu fails its checksum",
				 r->off);
		return 0;
	}
	r->off += INFLAME_DUMP_CHUNK_HDR_SIZE + c->len;
	r->chunks++;
	if (c->type == INFLAME_CHUNK_END)
		r->complete = 1;
	return 1;
}

static void cursor_init(struct inflame_cursor *cur, const struct inflame_chunk *c)
{
	cur->p = c->payload;
	cur->end = c->payload + c->len;
	cur->err = 0;
}

/* A count is plausible when each of its records could still take min_bytes. */
static int count_ok(const struct inflame_cursor *cur, uint64_t count, size_t min_bytes)
{
	return !cur->err && count <= (uint64_t)(cur->end - cur->p) / min_bytes;
}

int inflame_dump_decode_process(const struct inflame_chunk *c, struct inflame_process_rec *p)
{
	struct inflame_cursor cur;
	const char *s;
	size_t n;

	memset(p, 0, sizeof(*p));
	cursor_init(&cur, c);
	p->pid = inflame_cursor_varint(&cur);
	p->ppid = inflame_cursor_varint(&cur);
	inflame_cursor_str(&cur, &p->exe.s, &p->exe.n);
	p->argc = inflame_cursor_varint(&cur);
	if (!count_ok(&cur, p->argc, 1) || p->argc > INFLAME_MAX_ARGS)
		return -EBADMSG;
	p->args = cur;
	for (uint64_t i = 0; i < p->argc; i++)
		inflame_cursor_str(&cur, &s, &n);
	inflame_cursor_str(&cur, &p->events.s, &p->events.n);
	p->frequency = inflame_cursor_varint(&cur);
	inflame_cursor_str(&cur, &p->cpu_timer.s, &p->cpu_timer.n);
	inflame_cursor_str(&cur, &p->unwind.s, &p->unwind.n);
	p->max_depth = inflame_cursor_varint(&cur);
	p->ring_kb = inflame_cursor_varint(&cur);
	p->alloc_rate = inflame_cursor_varint(&cur);
	if (!cur.err && cur.p < cur.end) /* (newer writers) */
		inflame_cursor_str(&cur, &p->cpu_timer_asked.s, &p->cpu_timer_asked.n);
	return cur.err ? -EBADMSG : 0;
}

int inflame_dump_modules_begin(const struct inflame_chunk *c, struct inflame_module_iter *it)
{
	cursor_init(&it->cur, c);
	it->generation = inflame_cursor_varint(&it->cur);
	it->left = inflame_cursor_varint(&it->cur);
	return count_ok(&it->cur, it->left, 5) ? 0 : -EBADMSG;
}

int inflame_dump_modules_next(struct inflame_module_iter *it, struct inflame_module_rec *m)
{
	if (!it->left)
		return 0;
	it->left--;
	m->base = inflame_cursor_varint(&it->cur);
	m->lo = inflame_cursor_varint(&it->cur);
	m->hi = inflame_cursor_varint(&it->cur);
	inflame_cursor_str(&it->cur, &m->path.s, &m->path.n);
	inflame_cursor_str(&it->cur, &m->build_id.s, &m->build_id.n);
	if (it->cur.err || m->hi < m->lo)
		return -EBADMSG;
	return 1;
}

int inflame_dump_stacks_begin(const struct inflame_chunk *c, struct inflame_stack_iter *it)
{
	cursor_init(&it->cur, c);
	it->left = inflame_cursor_varint(&it->cur);
	return count_ok(&it->cur, it->left, 2) ? 0 : -EBADMSG;
}

int inflame_dump_stacks_next(struct inflame_stack_iter *it, struct inflame_stack_rec *s)
{
	uint64_t n, prev = 0;

	if (!it->left)
		return 0;
	it->left--;
	s->id = inflame_cursor_varint(&it->cur);
	n = inflame_cursor_varint(&it->cur);
	if (it->cur.err || s->id == 0 || n > INFLAME_MAX_FRAMES || !count_ok(&it->cur, n, 1))
		return -EBADMSG;
	for (uint64_t i = 0; i < n; i++) {
		prev += (uint64_t)inflame_unzigzag(inflame_cursor_varint(&it->cur));
		s->frames[i] = prev;
	}
	s->nframes = (uint32_t)n;
	return it->cur.err ? -EBADMSG : 1;
}

int inflame_dump_samples_begin(const struct inflame_chunk *c, uint64_t base_time,
			       struct inflame_sample_iter *it)
{
	cursor_init(&it->cur, c);
	it->time = base_time;
	it->allocs = c->type == INFLAME_CHUNK_ALLOCS;
	it->tid = it->stack = it->addr = 0;
	it->left = inflame_cursor_varint(&it->cur);
	if (!inflame_dump_has_samples(c->type))
		return -EBADMSG;
	/* The shortest record: 5 one-byte fields, or an ALLOCS FREE's flags and address. */
	return count_ok(&it->cur, it->left, it->allocs ? 2 : 5) ? 0 : -EBADMSG;
}

/* One event of an ALLOCS chunk (dump_format.h). */
static int next_alloc_event(struct inflame_sample_iter *it, struct inflame_sample_rec *s)
{
	uint64_t flags = inflame_cursor_varint(&it->cur);

	if (flags & ~(uint64_t)INFLAME_ALLOCS_KNOWN_)
		return -EBADMSG;
	if (flags & INFLAME_ALLOCS_TID)
		it->tid = inflame_cursor_varint(&it->cur);
	s->tid = it->tid;
	s->flags = 0;
	if (flags & INFLAME_ALLOCS_FREE) {
		if (flags & (INFLAME_ALLOCS_TIME | INFLAME_ALLOCS_STACK | INFLAME_ALLOCS_WEIGHT |
			     INFLAME_ALLOCS_RESTORE))
			return -EBADMSG;
		s->event = INFLAME_EV_FREE;
		s->stack = s->weight = s->size = 0;
	} else if (flags & INFLAME_ALLOCS_RESTORE) {
		if (flags & (INFLAME_ALLOCS_STACK | INFLAME_ALLOCS_WEIGHT))
			return -EBADMSG;
		s->event = INFLAME_EV_ALLOC;
		s->flags = INFLAME_SAMPLE_RESTORE;
		if (flags & INFLAME_ALLOCS_TIME)
			it->time += (uint64_t)inflame_unzigzag(inflame_cursor_varint(&it->cur));
		s->stack = s->weight = s->size = 0;
	} else {
		s->event = INFLAME_EV_ALLOC;
		if (flags & INFLAME_ALLOCS_TIME)
			it->time += (uint64_t)inflame_unzigzag(inflame_cursor_varint(&it->cur));
		if (flags & INFLAME_ALLOCS_STACK)
			it->stack = inflame_cursor_varint(&it->cur);
		s->stack = it->stack;
		s->size = inflame_cursor_varint(&it->cur);
		s->weight =
		    flags & INFLAME_ALLOCS_WEIGHT ? inflame_cursor_varint(&it->cur) : s->size;
	}
	s->time = it->time;
	it->addr += (uint64_t)inflame_unzigzag(inflame_cursor_varint(&it->cur));
	s->addr = it->addr;
	return it->cur.err ? -EBADMSG : 1;
}

int inflame_dump_samples_next(struct inflame_sample_iter *it, struct inflame_sample_rec *s)
{
	if (!it->left)
		return 0;
	it->left--;
	if (it->allocs)
		return next_alloc_event(it, s);
	it->time += (uint64_t)inflame_unzigzag(inflame_cursor_varint(&it->cur));
	s->time = it->time;
	s->tid = inflame_cursor_varint(&it->cur);
	s->event = (uint32_t)inflame_cursor_varint(&it->cur);
	s->flags = 0;
	s->stack = inflame_cursor_varint(&it->cur);
	s->weight = inflame_cursor_varint(&it->cur);
	s->size = s->addr = 0;
	if (s->event == INFLAME_EV_ALLOC || s->event == INFLAME_EV_FREE) {
		s->size = inflame_cursor_varint(&it->cur);
		s->addr = inflame_cursor_varint(&it->cur);
	}
	return it->cur.err ? -EBADMSG : 1;
}

int inflame_dump_threads_begin(const struct inflame_chunk *c, struct inflame_thread_iter *it)
{
	cursor_init(&it->cur, c);
	it->left = inflame_cursor_varint(&it->cur);
	return count_ok(&it->cur, it->left, 3) ? 0 : -EBADMSG;
}

int inflame_dump_threads_next(struct inflame_thread_iter *it, struct inflame_thread_rec *t)
{
	if (!it->left)
		return 0;
	it->left--;
	t->tid = inflame_cursor_varint(&it->cur);
	inflame_cursor_str(&it->cur, &t->name.s, &t->name.n);
	t->flags = inflame_cursor_varint(&it->cur);
	return it->cur.err ? -EBADMSG : 1;
}

int inflame_dump_thread_cpu_begin(const struct inflame_chunk *c, struct inflame_thread_cpu_iter *it)
{
	cursor_init(&it->cur, c);
	it->period_ns = inflame_cursor_varint(&it->cur);
	it->flags = inflame_cursor_varint(&it->cur);
	it->writer_ns = inflame_cursor_varint(&it->cur);
	it->left = inflame_cursor_varint(&it->cur);
	it->in_unsampled = 0;
	it->unsampled_left = 0;
	it->in_losses = 0;
	it->has_losses = 0;
	it->losses_left = 0;
	return count_ok(&it->cur, it->left, 8) ? 0 : -EBADMSG;
}

/* Starts one of the lists after THREAD_CPU's entries, once (*opened), whose entries take at
 * least min_bytes each: *left receives its count. Returns 1, 0 when the chunk ends before it
 * (an older writer's chunk), or -EBADMSG. */
static int tail_list(struct inflame_cursor *cur, int *opened, uint64_t *left, size_t min_bytes)
{
	*opened = 1;
	if (cur->err)
		return -EBADMSG;
	if (cur->p == cur->end)
		return 0;
	*left = inflame_cursor_varint(cur);
	return count_ok(cur, *left, min_bytes) ? 1 : -EBADMSG;
}

int inflame_dump_thread_cpu_unsampled(struct inflame_thread_cpu_iter *it, uint64_t *tid,
				      uint64_t *ns)
{
	int rc;

	if (it->left)
		return -EINVAL;
	if (!it->in_unsampled &&
	    (rc = tail_list(&it->cur, &it->in_unsampled, &it->unsampled_left, 2)) <= 0)
		return rc;
	if (!it->unsampled_left)
		return 0;
	it->unsampled_left--;
	*tid = inflame_cursor_varint(&it->cur);
	*ns = inflame_cursor_varint(&it->cur);
	return it->cur.err ? -EBADMSG : 1;
}

int inflame_dump_thread_cpu_losses(struct inflame_thread_cpu_iter *it,
				   struct inflame_thread_cpu_losses *l)
{
	int rc;

	if (it->left || !it->in_unsampled || it->unsampled_left)
		return -EINVAL;
	if (!it->in_losses) {
		if ((rc = tail_list(&it->cur, &it->in_losses, &it->losses_left, 4)) <= 0)
			return rc;
		it->has_losses = 1;
	}
	if (!it->losses_left)
		return 0;
	it->losses_left--;
	l->tid = inflame_cursor_varint(&it->cur);
	l->missed = inflame_cursor_varint(&it->cur);
	l->before = inflame_cursor_varint(&it->cur);
	l->dropped = inflame_cursor_varint(&it->cur);
	return it->cur.err ? -EBADMSG : 1;
}

int inflame_dump_thread_cpu_next(struct inflame_thread_cpu_iter *it,
				 struct inflame_thread_cpu_rec *t)
{
	if (!it->left)
		return 0;
	it->left--;
	t->tid = inflame_cursor_varint(&it->cur);
	t->flags = inflame_cursor_varint(&it->cur);
	t->cpu_ns = inflame_cursor_varint(&it->cur);
	t->user_ns = inflame_cursor_varint(&it->cur);
	t->sys_ns = inflame_cursor_varint(&it->cur);
	t->weight = inflame_cursor_varint(&it->cur);
	t->self_cpu = inflame_cursor_varint(&it->cur);
	t->self_wall = inflame_cursor_varint(&it->cur);
	return it->cur.err ? -EBADMSG : 1;
}

int inflame_dump_notes_begin(const struct inflame_chunk *c, struct inflame_note_iter *it)
{
	cursor_init(&it->cur, c);
	it->left = inflame_cursor_varint(&it->cur);
	it->lost = inflame_cursor_varint(&it->cur);
	return count_ok(&it->cur, it->left, 3) ? 0 : -EBADMSG;
}

int inflame_dump_notes_next(struct inflame_note_iter *it, struct inflame_note_rec *n)
{
	if (!it->left)
		return 0;
	it->left--;
	n->time = inflame_cursor_varint(&it->cur);
	n->level = inflame_cursor_varint(&it->cur);
	inflame_cursor_str(&it->cur, &n->text.s, &n->text.n);
	return it->cur.err ? -EBADMSG : 1;
}

int inflame_dump_perfmap_begin(const struct inflame_chunk *c, struct inflame_perfmap_iter *it)
{
	cursor_init(&it->cur, c);
	it->left = inflame_cursor_varint(&it->cur);
	return count_ok(&it->cur, it->left, 4) ? 0 : -EBADMSG;
}

int inflame_dump_perfmap_next(struct inflame_perfmap_iter *it, struct inflame_perfmap_rec *m)
{
	if (!it->left)
		return 0;
	it->left--;
	m->time = inflame_cursor_varint(&it->cur);
	m->start = inflame_cursor_varint(&it->cur);
	m->size = inflame_cursor_varint(&it->cur);
	inflame_cursor_str(&it->cur, &m->name.s, &m->name.n);
	if (it->cur.err || m->start + m->size < m->start)
		return -EBADMSG;
	return 1;
}

int inflame_dump_labels_begin(const struct inflame_chunk *c, struct inflame_labels_iter *it)
{
	cursor_init(&it->cur, c);
	it->left = inflame_cursor_varint(&it->cur);
	return count_ok(&it->cur, it->left, 3) ? 0 : -EBADMSG;
}

int inflame_dump_labels_next(struct inflame_labels_iter *it, struct inflame_labels_rec *l)
{
	const char *s;
	size_t n;

	if (!it->left)
		return 0;
	it->left--;
	l->tid = inflame_cursor_varint(&it->cur);
	l->time = inflame_cursor_varint(&it->cur);
	l->npairs = inflame_cursor_varint(&it->cur);
	if (it->cur.err || l->npairs > INFLAME_MAX_LABELS)
		return -EBADMSG;
	l->pairs = it->cur;
	for (uint64_t i = 0; i < 2 * l->npairs; i++)
		inflame_cursor_str(&it->cur, &s, &n);
	return it->cur.err ? -EBADMSG : 1;
}

int inflame_dump_decode_stats(const struct inflame_chunk *c,
			      void (*fn)(void *arg, uint64_t key, uint64_t value), void *arg)
{
	struct inflame_cursor cur;
	uint64_t n;

	cursor_init(&cur, c);
	n = inflame_cursor_varint(&cur);
	if (!count_ok(&cur, n, 2))
		return -EBADMSG;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t k = inflame_cursor_varint(&cur);
		uint64_t v = inflame_cursor_varint(&cur);

		if (cur.err)
			return -EBADMSG;
		fn(arg, k, v);
	}
	return 0;
}

int inflame_dump_decode_end(const struct inflame_chunk *c, struct inflame_end_rec *e)
{
	struct inflame_cursor cur;

	memset(e, 0, sizeof(*e));
	cursor_init(&cur, c);
	e->end_monotonic = inflame_cursor_varint(&cur);
	for (int i = 0; i < INFLAME_EV_COUNT_ && !inflame_cursor_done(&cur); i++)
		e->totals[i] = inflame_cursor_varint(&cur);
	return cur.err ? -EBADMSG : 0;
}
