/*
 * The dump writer: encodes the fixed little-endian file header and frames payloads into
 * chunks with a CRC-32 (crc32.h) so a reader can detect a torn or damaged tail.
 * Writes go straight to the fd with writev(2); partial writes and EINTR are retried, any other
 * failure is returned to the caller, which decides whether to give up on the file. A write
 * that would pass the process's file size limit is not made (-EFBIG): the kernel would end
 * the program with SIGXFSZ for it. A caller
 * that writes many small chunks gathers them in a buffer first and writes them together.
 */
#include "dump_write.h"

#include "dump_format.h"
#include "crc32.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

void inflame_dump_header_defaults(struct inflame_dump_header_info *h)
{
	memset(h, 0, sizeof(*h));
	h->version = INFLAME_DUMP_VERSION;
	h->min_reader = INFLAME_DUMP_MIN_READER;
	h->header_size = INFLAME_DUMP_HEADER_SIZE;
	h->pointer_size = (uint8_t)sizeof(void *);
#if defined(__x86_64__)
	h->machine = EM_X86_64;
#elif defined(__aarch64__)
	h->machine = EM_AARCH64;
#endif
}

void inflame_dump_encode_header(uint8_t *out, const struct inflame_dump_header_info *h)
{
	memset(out, 0, INFLAME_DUMP_HEADER_SIZE);
	memcpy(out, INFLAME_DUMP_MAGIC, INFLAME_DUMP_MAGIC_LEN);
	put16(out + 8, h->version);
	put16(out + 10, h->min_reader);
	put16(out + 12, h->header_size);
	out[14] = h->pointer_size;
	out[15] = 1;
	put32(out + 16, h->machine);
	put32(out + 20, h->features);
	put32(out + 24, h->pid);
	put32(out + 28, h->sequence);
	put64(out + 32, h->start_realtime);
	put64(out + 40, h->start_monotonic);
	put64(out + 48, h->file_realtime);
	put64(out + 56, h->file_monotonic);
}

int inflame_dump_write_fits(int fd, size_t len)
{
	struct rlimit rl;
	struct stat st;
	off_t pos;
	int fl;

	if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 1;
	fl = fcntl(fd, F_GETFL);
	pos = fl >= 0 && (fl & O_APPEND) ? st.st_size : lseek(fd, 0, SEEK_CUR);
	if (pos < 0)
		return 1;
	return (uint64_t)pos + len <= (uint64_t)rl.rlim_cur;
}

static int write_all(int fd, struct iovec *iov, int iovcnt)
{
	size_t total = 0;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (!inflame_dump_write_fits(fd, total))
		return -EFBIG;
	while (iovcnt > 0) {
		ssize_t n = writev(fd, iov, iovcnt);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int inflame_dump_write_header(int fd, const struct inflame_dump_header_info *h)
{
	uint8_t hdr[INFLAME_DUMP_HEADER_SIZE];
	struct iovec iov = {hdr, sizeof(hdr)};

	inflame_dump_encode_header(hdr, h);
	return write_all(fd, &iov, 1);
}

void inflame_dump_encode_chunk_header(uint8_t *out, uint32_t type, const uint8_t *payload,
				      size_t len)
{
	uint32_t crc = inflame_crc32(0, payload, len);

	put32(out, type);
	put32(out + 4, (uint32_t)len);
	put32(out + 8, crc);
	put32(out + 12, 0);
}

int inflame_dump_write_chunk(int fd, uint32_t type, const uint8_t *payload, size_t len)
{
	static const uint8_t none[1];

	return inflame_dump_write_gathered(fd, NULL, 0, type, payload ? payload : none, len);
}

int inflame_dump_put_header(struct inflame_buf *b, const struct inflame_dump_header_info *h)
{
	if (inflame_buf_reserve(b, INFLAME_DUMP_HEADER_SIZE) < 0)
		return -ENOMEM;
	inflame_dump_encode_header(b->data + b->len, h);
	b->len += INFLAME_DUMP_HEADER_SIZE;
	return 0;
}

int inflame_dump_put_chunk(struct inflame_buf *b, uint32_t type, const uint8_t *payload, size_t len)
{
	if (len > INFLAME_DUMP_MAX_CHUNK)
		return -EMSGSIZE;
	if (inflame_buf_reserve(b, INFLAME_DUMP_CHUNK_HDR_SIZE + len) < 0)
		return -ENOMEM;
	inflame_dump_encode_chunk_header(b->data + b->len, type, payload, len);
	if (len)
		memcpy(b->data + b->len + INFLAME_DUMP_CHUNK_HDR_SIZE, payload, len);
	b->len += INFLAME_DUMP_CHUNK_HDR_SIZE + len;
	return 0;
}

size_t inflame_dump_begin_chunk(struct inflame_buf *b)
{
	size_t at = b->len;

	if (inflame_buf_reserve(b, INFLAME_DUMP_CHUNK_HDR_SIZE) == 0)
		b->len += INFLAME_DUMP_CHUNK_HDR_SIZE;
	return at;
}

int inflame_dump_end_chunk(struct inflame_buf *b, size_t at, uint32_t type)
{
	size_t len = b->len - at - INFLAME_DUMP_CHUNK_HDR_SIZE;

	if (b->failed)
		return -ENOMEM;
	if (len > INFLAME_DUMP_MAX_CHUNK)
		return -EMSGSIZE;
	inflame_dump_encode_chunk_header(b->data + at, type,
					 b->data + at + INFLAME_DUMP_CHUNK_HDR_SIZE, len);
	return 0;
}

int inflame_dump_write_gathered(int fd, const uint8_t *data, size_t n, uint32_t type,
				const uint8_t *payload, size_t len)
{
	uint8_t hdr[INFLAME_DUMP_CHUNK_HDR_SIZE];
	struct iovec iov[3];
	int k = 0;

	if (n) {
		iov[k].iov_base = (void *)data;
		iov[k++].iov_len = n;
	}
	if (payload) {
		if (len > INFLAME_DUMP_MAX_CHUNK)
			return -EMSGSIZE;
		inflame_dump_encode_chunk_header(hdr, type, payload, len);
		iov[k].iov_base = hdr;
		iov[k++].iov_len = sizeof(hdr);
		if (len) {
			iov[k].iov_base = (void *)payload;
			iov[k++].iov_len = len;
		}
	}
	return k ? write_all(fd, iov, k) : 0;
}
