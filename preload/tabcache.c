/*
 * The unwind table cache on disk (tabcache.h). This file owns the cache directory's name, the
 * file format and its checks.
 *
 * A file is the table's bytes as inflame_ehframe_build() laid them out (the header with its
 * index pointer and mapping length zeroed, the rows, the index), then a trailer. The table
 * comes first so that the mapping of the file starts with it, as a built table's does.
 * Loading checks the trailer against the key, the table's own fields against the file's
 * length, every index entry against the row count, and the hash of the table's bytes.
 */
#include "tabcache.h"

#include "config.h"
#include "dump_write.h"
#include "fdhigh.h"
#include "layout.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAGIC	       "inflTAB"
#define FORMAT_VERSION 3u
/* The largest table stored (the modules' budget for all of them is 256 MiB). */
#define MAX_BODY ((uint64_t)128 << 20)

struct trailer {
	char magic[8];
	uint32_t version, arch, row_size, head_size;
	uint64_t body_len; /* bytes of the table before the trailer */
	uint64_t eh_vaddr, eh_len, hdr_len;
	uint64_t hdr_hash;  /* of the object's .eh_frame_hdr */
	uint64_t body_hash; /* of the table's bytes */
	uint32_t build_id_len, pad;
	uint8_t build_id[64];
};

/* The directory's budget; after a store, files are removed down to three quarters of it. */
#define DEFAULT_BUDGET ((uint64_t)256 << 20)
/* At most this many files removed per store: the rest go at the next. */
#define PRUNE_MAX 64

/* The directory, joined from the environment's variable and a suffix on first use (a table
 * built or loaded): the set-up only notes where its parts are. A process that builds no table,
 * which is every short one, never writes the 4 KiB buffer's page (one page fault, issue 11).
 * The parts are strings of the environment the constructor read: its first block, or strings
 * setenv() gave it, which the C library never frees. */
static char dir[PATH_MAX] INFLAME_COLD;
static struct {
	const char *base, *suffix; /* base NULL: dir is as it stands */
} parts INFLAME_HOT;
static struct inflame_tabcache_stats stats;
static uint64_t budget = DEFAULT_BUDGET;

void inflame_tabcache_set_budget(uint64_t bytes)
{
	budget = bytes ? bytes : DEFAULT_BUDGET;
}

void inflame_tabcache_setup(const char *d)
{
	parts.base = NULL;
	dir[0] = 0;
	if (d && d[0] == '/' && strlen(d) < sizeof(dir) - 160)
		strcpy(dir, d);
}

/* The directory is base + suffix (none unless base is absolute), joined when it is first
 * used. */
static void setup_under(const char *base, const char *suffix)
{
	parts.base = base;
	parts.suffix = suffix;
}

/* The directory, "" for none: the parts joined, or none when the whole does not fit. Joined by
 * hand: snprintf was the only user of three pages of libc in a short process, and a buffer on
 * the stack one more page of it, four page faults at every start (issue 11). */
static const char *cache_dir(void)
{
	if (parts.base) {
		size_t n = strlen(parts.base), m = strlen(parts.suffix);

		dir[0] = 0;
		if (parts.base[0] == '/' && n + m < sizeof(dir) - 160) {
			memcpy(dir, parts.base, n);
			memcpy(dir + n, parts.suffix, m + 1);
		}
		parts.base = NULL;
	}
	return dir;
}

void inflame_tabcache_setup_env(void)
{
	const char *v = inflame_config_getenv("INFLAME_TABLE_CACHE"), *base;

	if (v && *v) {
		setup_under(strcmp(v, "off") == 0 ? "" : v, "");
		return;
	}
	base = inflame_config_getenv("XDG_CACHE_HOME");
	if (base && base[0] == '/') {
		setup_under(base, "/inflame");
		return;
	}
	base = inflame_config_getenv("HOME");
	if (base && base[0] == '/')
		setup_under(base, "/.cache/inflame");
	else
		setup_under("", "");
}

void inflame_tabcache_stats(struct inflame_tabcache_stats *st)
{
	*st = stats;
}

/* A 64-bit checksum of n bytes: for each 8-byte word w, a += w and then s += a, in four lanes
 * (a Fletcher sum: every word counts, and so does where it is), mixed at the end. The loop has
 * no multiplication and works on vectors of four words: a mixing hash of every word
 * (a multiplication each) cost a process that loaded the tables of python3 and libc 1.6 M
 * instructions, most of the start-up that allocation profiling added to python3 (issue 11). Not
 * cryptographic: it tells a damaged file, the owner checks keep out other users' files. */
typedef uint64_t hash_pair __attribute__((vector_size(16)));

static uint64_t hash(const void *p, size_t n)
{
	const uint8_t *b = p;
	hash_pair a0 = {0, 0}, a1 = {0, 0}, s0 = {0, 0}, s1 = {0, 0};
	uint64_t a[4], s[4], out = n;

	for (; n >= 32; b += 32, n -= 32) {
		hash_pair w0, w1;

		memcpy(&w0, b, sizeof(w0));
		memcpy(&w1, b + 16, sizeof(w1));
		a0 += w0;
		a1 += w1;
		s0 += a0;
		s1 += a1;
	}
	memcpy(a, &a0, sizeof(a0));
	memcpy(a + 2, &a1, sizeof(a1));
	memcpy(s, &s0, sizeof(s0));
	memcpy(s + 2, &s1, sizeof(s1));
	for (; n > 0; b++, n--) {
		a[n & 3] += (uint64_t)*b + 1;
		s[n & 3] += a[n & 3];
	}
	for (int i = 0; i < 4; i++) {
		out = (out ^ a[i]) * 0xff51afd7ed558ccdull;
		out = (out ^ (out >> 33) ^ s[i]) * 0xc4ceb9fe1a85ec53ull;
		out ^= out >> 29;
	}
	return out;
}

/* The hash of a table's bytes: its header (index pointer and mapping length zeroed) and the
 * rows and index that follow it. */
static uint64_t body_hash(const struct inflame_eh_table *head, const void *rest, size_t len)
{
	return hash(head, sizeof(*head)) * 0x9e3779b97f4a7c15ull + hash(rest, len);
}

static int path_of(const struct inflame_tabcache_key *key, char *p, size_t size)
{
	const char *d = cache_dir();
	size_t n;

	if (!d[0] || !key->build_id_len ||
	    key->build_id_len > sizeof(((struct trailer *)0)->build_id))
		return -ENOENT;
	n = (size_t)snprintf(p, size, "%s/", d);
	for (size_t i = 0; i < key->build_id_len && n + 3 < size; i++)
		n += (size_t)snprintf(p + n, size - n, "%02x", key->build_id[i]);
	if (n + 5 >= size)
		return -ENAMETOOLONG;
	memcpy(p + n, ".tab", 5);
	return 0;
}

/* The trailer key and t (when not NULL) must have. */
static void trailer_of(const struct inflame_tabcache_key *key, struct trailer *tr)
{
	memset(tr, 0, sizeof(*tr));
	memcpy(tr->magic, MAGIC, sizeof(MAGIC));
	tr->version = FORMAT_VERSION;
	tr->arch = INFLAME_EH_NATIVE;
	tr->row_size = sizeof(struct inflame_eh_row);
	tr->head_size = sizeof(struct inflame_eh_table);
	tr->eh_vaddr = key->eh_vaddr;
	tr->eh_len = key->eh_len;
	tr->hdr_len = key->hdr_len;
	tr->hdr_hash = hash(key->hdr, key->hdr_len);
	tr->build_id_len = (uint32_t)key->build_id_len;
	memcpy(tr->build_id, key->build_id, key->build_id_len);
}

/* Whether the table t of body_len bytes is whole: its counts match its length, its index
 * names rows it has. */
static int table_ok(const struct inflame_eh_table *t, uint64_t body_len)
{
	uint64_t nindex;
	const uint32_t *index;

	if (t->n == 0 || t->n > MAX_BODY || t->hi < t->lo || t->hi - t->lo > UINT32_MAX ||
	    t->shift >= 32 || t->nindex > MAX_BODY)
		return 0;
	nindex = ((t->hi - t->lo) >> t->shift) + 1;
	if (t->nindex != nindex ||
	    body_len != sizeof(*t) + t->n * sizeof(t->rows[0]) + nindex * sizeof(uint32_t))
		return 0;
	index = (const uint32_t *)(const void *)&t->rows[t->n];
	for (size_t b = 0; b < nindex; b++)
		if (index[b] >= t->n)
			return 0;
	return 1;
}

int inflame_tabcache_load(const struct inflame_tabcache_key *key, struct inflame_eh_table **out)
{
	char p[PATH_MAX];
	struct trailer want, tr;
	struct stat st;
	uint8_t *f = MAP_FAILED;
	struct inflame_eh_table *t;
	int fd, ret = path_of(key, p, sizeof(p));

	*out = NULL;
	if (ret < 0)
		return ret;
	fd = inflame_fdhigh_open(p, O_RDONLY | O_NOFOLLOW, 0);
	if (fd < 0) {
		stats.misses++;
		return -ENOENT;
	}
	ret = -ENOENT;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) || st.st_size < (off_t)(sizeof(tr) + sizeof(*t)) ||
	    (uint64_t)st.st_size > MAX_BODY + sizeof(tr))
		goto done;
	f = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (f == MAP_FAILED)
		goto done;
	memcpy(&tr, f + st.st_size - sizeof(tr), sizeof(tr));
	trailer_of(key, &want);
	want.body_len = (uint64_t)st.st_size - sizeof(tr);
	want.body_hash = tr.body_hash;
	t = (struct inflame_eh_table *)(void *)f;
	if (memcmp(&tr, &want, sizeof(tr)) || !table_ok(t, want.body_len) ||
	    body_hash(t, f + sizeof(*t), want.body_len - sizeof(*t)) != tr.body_hash)
		goto done;
	t->index = (const uint32_t *)(const void *)&t->rows[t->n];
	t->map_len = (size_t)st.st_size;
	futimens(fd, NULL); /* used now: the last to be pruned */
	*out = t;
	f = MAP_FAILED;
	ret = 0;
done:
	if (ret < 0)
		stats.rejected++;
	else
		stats.hits++;
	if (f != MAP_FAILED)
		munmap(f, (size_t)st.st_size);
	close(fd);
	return ret;
}

/* mkdir -p of dir, mode 0700 for what it creates. */
static int make_dir(void)
{
	char d[PATH_MAX];

	strcpy(d, cache_dir());
	for (char *s = d + 1;; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;

			*s = 0;
			if (mkdir(d, 0700) < 0 && errno != EEXIST)
				return -errno;
			*s = c;
			if (!c)
				return 0;
		}
	}
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	if (!inflame_dump_write_fits(fd, n))
		return -EFBIG; /* (SIGXFSZ would end the program) */
	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * The cache's files, one directory read (getdents64, no allocation): their total size, and
 * the one used least recently (modified least recently: a load marks its file), keep aside.
 * Temporary files of stores that died are counted and removable too. Returns the number of
 * files seen, or -errno.
 */
struct scan {
	uint64_t total;
	struct timespec oldest_time;
	char oldest[NAME_MAX + 1];
};

static int scan_dir(int dfd, const char *keep, struct scan *sc)
{
	char buf[8192];
	long n;
	int files = 0;

	sc->total = 0;
	sc->oldest[0] = 0;
	lseek(dfd, 0, SEEK_SET);
	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			/* struct linux_dirent64: ino, off, reclen, type, name */
			unsigned short reclen;
			const char *name = buf + off + 19;
			size_t len = strlen(name);
			struct stat st;

			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			off += reclen;
			if (len < 5 ||
			    (strcmp(name + len - 4, ".tab") && strcmp(name + len - 4, ".tmp")))
				continue;
			if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			files++;
			sc->total += (uint64_t)st.st_size;
			if (!strcmp(name, keep) || len > NAME_MAX)
				continue;
			if (!sc->oldest[0] || st.st_mtim.tv_sec < sc->oldest_time.tv_sec ||
			    (st.st_mtim.tv_sec == sc->oldest_time.tv_sec &&
			     st.st_mtim.tv_nsec < sc->oldest_time.tv_nsec)) {
				sc->oldest_time = st.st_mtim;
				memcpy(sc->oldest, name, len + 1);
			}
		}
	}
	return n < 0 ? -errno : files;
}

/* Removes the least recently used files until the directory holds three quarters of the
 * budget, never keep (the name of the file just stored). */
static void prune(const char *keep)
{
	struct scan sc;
	int dfd = inflame_fdhigh_open(cache_dir(), O_RDONLY | O_DIRECTORY, 0);

	if (dfd < 0)
		return;
	for (int i = 0; i < PRUNE_MAX; i++) {
		if (scan_dir(dfd, keep, &sc) < 0 || !sc.oldest[0])
			break;
		if (sc.total <= (i ? budget / 4 * 3 : budget))
			break;
		if (unlinkat(dfd, sc.oldest, 0) == 0)
			stats.pruned++;
	}
	close(dfd);
}

int inflame_tabcache_store(const struct inflame_tabcache_key *key, const struct inflame_eh_table *t)
{
	char p[PATH_MAX], tmp[PATH_MAX + 32];
	struct inflame_eh_table head = *t;
	struct trailer tr;
	size_t rest = t->n * sizeof(t->rows[0]) + t->nindex * sizeof(uint32_t);
	int fd, ret = path_of(key, p, sizeof(p));

	if (ret < 0)
		return ret;
	if (sizeof(head) + rest > MAX_BODY ||
	    (const uint8_t *)t->index != (const uint8_t *)&t->rows[t->n])
		return -EFBIG;
	head.index = NULL;
	head.map_len = 0;
	trailer_of(key, &tr);
	tr.body_len = sizeof(head) + rest;
	/* the hash of the bytes as written: the zeroed header, then the rest as they are */
	tr.body_hash = body_hash(&head, t->rows, rest);
	ret = make_dir();
	if (ret < 0)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", p, (long)getpid());
	fd = inflame_fdhigh_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	ret = write_all(fd, &head, sizeof(head));
	if (!ret)
		ret = write_all(fd, t->rows, rest);
	if (!ret)
		ret = write_all(fd, &tr, sizeof(tr));
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, p) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	else
		prune(strrchr(p, '/') + 1);
out:
	if (ret)
		stats.store_error = ret;
	else
		stats.stores++;
	return ret;
}

int inflame_tabcache_build(const struct inflame_tabcache_key *key, const struct inflame_eh_src *src,
			   struct inflame_eh_table **out)
{
	int ret;

	if (inflame_tabcache_load(key, out) == 0)
		return 0;
	ret = inflame_ehframe_build(src, out);
	if (ret == 0) {
		int err = inflame_tabcache_store(key, *out);

		if (err < 0 && err != -ENOENT && !stats.noted) {
			stats.noted = 1;
			inflame_log(INFLAME_LOG_DEBUG,
				    "unwind table cache %s: cannot store a table (%s); tables are "
				    "built in each process",
				    cache_dir(), strerror(-err));
		}
	}
	return ret;
}
