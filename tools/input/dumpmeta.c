/*
 * The dump metadata of dumpmeta.h. The file's slice starts at its file_monotonic (or, from
 * older writers, at the profiler's start) and ends at the END chunk's time, or else at the
 * last sample's: both are converted to wall-clock time with the header's pair of clocks.
 */
#include "input/dumpmeta.h"
#include "dump_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int inflame_dumpmeta_read(const char *path, struct inflame_dumpmeta *m, char *err, size_t errlen)
{
	struct inflame_dump_reader r;
	struct inflame_chunk c;
	unsigned char magic[16];
	uint64_t first = 0, last = 0, end = 0;
	ssize_t got;
	int fd;

	fd = inflame_dump_path_open(path);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-fd));
		return fd;
	}
	got = read(fd, magic, sizeof(magic));
	close(fd);
	if (got <= 0 || !inflame_dump_is_dump(magic, (size_t)got))
		return 0;
	if (inflame_dump_reader_open(&r, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, r.err);
		return -EINVAL;
	}
	memset(m, 0, sizeof(*m));
	m->pid = r.hdr.pid;
	while (inflame_dump_reader_next(&r, &c) == 1) {
		if (c.type == INFLAME_CHUNK_PROCESS) {
			struct inflame_process_rec p;

			if (inflame_dump_decode_process(&c, &p) == 0) {
				const char *s = p.exe.s, *slash = memrchr(s, '/', p.exe.n);
				size_t n = p.exe.n;

				if (slash) {
					n -= (size_t)(slash + 1 - s);
					s = slash + 1;
				}
				if (n >= sizeof(m->comm))
					n = sizeof(m->comm) - 1;
				memcpy(m->comm, s, n);
				m->comm[n] = '\0';
				m->frequency = p.frequency;
			}
		} else if (c.type == INFLAME_CHUNK_END) {
			struct inflame_end_rec e;

			if (inflame_dump_decode_end(&c, &e) == 0)
				end = e.end_monotonic;
		} else if (inflame_dump_has_samples(c.type)) {
			struct inflame_sample_iter it;
			struct inflame_sample_rec s;

			if (inflame_dump_samples_begin(&c, r.hdr.start_monotonic, &it) < 0)
				continue;
			while (inflame_dump_samples_next(&it, &s) == 1) {
				if (s.event < 8 && s.event != INFLAME_EV_FREE)
					m->events |= 1u << s.event;
				if (!first || s.time < first)
					first = s.time;
				if (s.time > last)
					last = s.time;
			}
		}
	}
	m->complete = r.complete;
	{
		const struct inflame_dump_header_info *h = &r.hdr;
		uint64_t from = h->file_monotonic ? h->file_monotonic : h->start_monotonic;
		uint64_t until = end ? end : last;

		if (first && first < from)
			from = first;
		if (until < from)
			until = from;
		m->start_ns = h->start_realtime + (from - h->start_monotonic);
		m->end_ns = h->start_realtime + (until - h->start_monotonic);
	}
	inflame_dump_reader_close(&r);
	return 1;
}
