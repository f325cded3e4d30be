/*
 * Copying the program's perf map into the dump, for the writer thread.
 *
 * A JIT compiler appends "START SIZE name" lines to /tmp/perf-PID.map as it makes code. The
 * writer calls inflame_perfmap_read() every cycle and once more before a file ends: it opens
 * the map, reads from where it stopped (at most one buffer per call), parses the complete
 * lines and closes it again, so no descriptor of ours stays open for the program to trip on.
 * A map that was replaced (another inode) or truncated is read again from its start. Only a
 * regular file owned by our user is read: anyone may create /tmp/perf-PID.map first.
 *
 * Memory is one static buffer of PERFMAP_BUF bytes; a line longer than that is skipped. The
 * entries go to the caller's chunk builder, one buffer at a time, so a chunk stays small.
 *
 * Generated code without a map line still deserves a name better than a bare address: when a
 * new stack's leaf is in no known object, /proc/self/maps is read (at most once a second) for
 * its anonymous executable mappings (a small table, PERFMAP_REGIONS), and the new ones are written
 * as entries with an empty name, which readers show as [anon:jit]. An executable mapping of a
 * file that no loaded object covers (V8 maps the node binary's embedded builtins again, next
 * to its generated code) is added to the module map instead (inflame_modules_add_alias), so
 * readers name it from the file: it was a bare address before, for 25% of a Node.js profile.
 */
#include "perfmap.h"

#include "fdhigh.h"
#include "layout.h"
#include "modules.h"
#include "profiler.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PERFMAP_BUF	(64u << 10)
#define PERFMAP_REGIONS 256

/* Read by every process's first and last file: among the variables every process writes
 * (layout.h), not alone on a page that a read maps, a page fault all the same. */
static struct {
	uint64_t off; /* bytes of the map consumed */
	dev_t dev;    /* the map we were reading */
	ino_t ino;
	int skipping;		  /* inside a line longer than the buffer */
	int want;		  /* look at /proc/self/maps on the next regions call */
	int scanned;		  /* it was looked at, at last_scan */
	int new_aliases;	  /* a scan found aliases (inflame_perfmap_new_aliases) */
	uint64_t last_scan;	  /* (ns from the profiler's start) */
	size_t nregions, written; /* regions known; of those, written to this file */
} pm INFLAME_HOT;
/* The regions known: only a process with a perf map has any (layout.h) */
static struct {
	uint64_t lo, hi;
} pm_regions[PERFMAP_REGIONS] INFLAME_COLD;
/* The map's text being read: only a process with a perf map reads one (layout.h) */
static char pm_buf[PERFMAP_BUF] INFLAME_COLD;

void inflame_perfmap_restart(void)
{
	if (!pm.off && !pm.skipping && !pm.written)
		return; /* (a process without a perf map never touches its page) */
	pm.off = 0;
	pm.skipping = 0;
	pm.written = 0;
}

INFLAME_FORK_TEXT void inflame_perfmap_after_fork(void)
{
	/* A process that never read a perf map nor asked for the regions has nothing to reset,
	 * and its page of this state stays the parent's (not copied for the child). */
	if (!pm.off && !pm.dev && !pm.ino && !pm.skipping && !pm.nregions && !pm.written &&
	    !pm.want && !pm.scanned)
		return;
	pm.off = 0;
	pm.dev = 0;
	pm.ino = 0;
	pm.skipping = 0;
	pm.nregions = pm.written = 0;
	pm.want = 0;
	pm.scanned = 0;
}

void inflame_perfmap_want_regions(void)
{
	pm.want = 1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads a hexadecimal number (an optional 0x) at *p, up to end; 0 on success. */
static int parse_hex(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; s < end && hexval(*s) >= 0; s++, digits++) {
		if (v >> 60)
			return -1;
		v = v << 4 | (uint64_t)hexval(*s);
	}
	if (!digits)
		return -1;
	*p = s;
	*out = v;
	return 0;
}

/* One map line (without its newline): "START SIZE name". 1 when an entry was appended. */
static int put_line(struct inflame_buf *b, const char *s, const char *end, uint64_t now)
{
	uint64_t start, size;

	if (parse_hex(&s, end, &start) < 0 || s == end || *s != ' ')
		return 0;
	while (s < end && *s == ' ')
		s++;
	if (parse_hex(&s, end, &size) < 0 || s == end || *s != ' ' || start + size < start)
		return 0;
	while (s < end && *s == ' ')
		s++;
	while (end > s && (end[-1] == '\r' || end[-1] == ' '))
		end--;
	if (s == end || !size)
		return 0;
	inflame_buf_put_varint(b, now);
	inflame_buf_put_varint(b, start);
	inflame_buf_put_varint(b, size);
	inflame_buf_put_str(b, s, (size_t)(end - s));
	return 1;
}

/* "/tmp/perf-PID.map" for our pid, without stdio. */
static void map_path(char *out)
{
	char digits[24];
	unsigned long pid = (unsigned long)inflame__prof.pid;
	size_t nd = 0;

	do {
		digits[nd++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid);
	memcpy(out, "/tmp/perf-", 10);
	out += 10;
	while (nd)
		*out++ = digits[--nd];
	memcpy(out, ".map", 5);
}

int inflame_perfmap_read(struct inflame_buf *b, uint64_t now, uint64_t *count)
{
	char path[48];
	struct stat st;
	ssize_t n;
	int fd, more = 0;

	*count = 0;
	map_path(path);
	fd = inflame_fdhigh_open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
		goto out;
	if (st.st_dev != pm.dev || st.st_ino != pm.ino || (uint64_t)st.st_size < pm.off) {
		pm.dev = st.st_dev;
		pm.ino = st.st_ino;
		pm.off = 0;
		pm.skipping = 0;
	}
	if ((uint64_t)st.st_size == pm.off)
		goto out;
	n = pread(fd, pm_buf, sizeof(pm_buf), (off_t)pm.off);
	if (n <= 0)
		goto out;
	{
		const char *p = pm_buf, *end = pm_buf + n, *nl;

		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			if (!pm.skipping)
				*count += (uint64_t)put_line(b, p, nl, now);
			pm.skipping = 0;
			p = nl + 1;
		}
		if (p == pm_buf && n == (ssize_t)sizeof(pm_buf)) {
			pm.skipping = 1; /* a line longer than the buffer: drop it */
			p = end;
		}
		pm.off += (uint64_t)(p - pm_buf);
		more = p > pm_buf;
	}
out:
	close(fd);
	return more;
}

/* Whether region [lo, hi) is known already. */
static int known_region(uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < pm.nregions; i++)
		if (pm_regions[i].lo == lo && pm_regions[i].hi == hi)
			return 1;
	return 0;
}

/* One /proc/self/maps line: an anonymous executable mapping is remembered; a file's that no
 * loaded object covers is an alias of the file (inflame_modules_add_alias). */
static void maps_line(const char *s, const char *end)
{
	uint64_t lo, hi, ino = 0, off = 0;
	const char *f, *o;
	int field = 0;

	if (parse_hex(&s, end, &lo) < 0 || s == end || *s != '-')
		return;
	s++;
	if (parse_hex(&s, end, &hi) < 0 || s == end || *s != ' ')
		return;
	s++;
	if (end - s < 4 || s[2] != 'x')
		return;
	/* perms, offset, device, inode, then the path (if any) */
	for (f = s; f < end && field < 4; field++) {
		while (f < end && *f != ' ')
			f++;
		while (f < end && *f == ' ')
			f++;
		if (field == 0) {
			o = f;
			if (parse_hex(&o, end, &off) < 0)
				return;
		}
		if (field == 2)
			for (const char *d = f; d < end && *d >= '0' && *d <= '9'; d++)
				ino = ino * 10 + (uint64_t)(*d - '0');
	}
	if (ino != 0) {
		static const char deleted[] = " (deleted)";
		size_t len = (size_t)(end - f), dl = sizeof(deleted) - 1;

		/* (not while an object is being closed: the map cannot say then) */
		if (f < end && *f == '/' && !(len > dl && !memcmp(end - dl, deleted, dl)) &&
		    inflame_modules_code_known((uintptr_t)lo) == 0)
			inflame_modules_add_alias((uintptr_t)lo, (uintptr_t)hi, off, f, len);
		return;
	}
	if (f < end && strncmp(f, "[anon", 5) != 0)
		return;
	if (hi <= lo || known_region(lo, hi) || pm.nregions == PERFMAP_REGIONS)
		return;
	pm_regions[pm.nregions].lo = lo;
	pm_regions[pm.nregions].hi = hi;
	pm.nregions++;
}

int inflame_perfmap_new_aliases(void)
{
	int n = pm.new_aliases;

	if (n)
		pm.new_aliases = 0; /* (asked at every file's end: the page stays untouched) */
	return n;
}

uint64_t inflame_perfmap_regions(struct inflame_buf *b, uint64_t now, int final)
{
	uint64_t count = 0;

	/* at most once a second: new JIT leaves keep coming while a runtime warms up */
	if (pm.want && (final || !pm.scanned || now - pm.last_scan >= 1000000000ull)) {
		int fd = inflame_fdhigh_open("/proc/self/maps", O_RDONLY, 0);
		size_t have = 0;

		pm.want = 0;
		pm.scanned = 1;
		pm.last_scan = now;
		if (fd >= 0)
			inflame_modules_aliases_scan(0);
		while (fd >= 0) {
			ssize_t n = read(fd, pm_buf + have, sizeof(pm_buf) - have);
			const char *p = pm_buf, *nl;

			if (n <= 0)
				break;
			have += (size_t)n;
			while ((nl = memchr(p, '\n', have - (size_t)(p - pm_buf))) != NULL) {
				maps_line(p, nl);
				p = nl + 1;
			}
			have -= (size_t)(p - pm_buf);
			memmove(pm_buf, p, have);
			if (have == sizeof(pm_buf))
				have = 0; /* a line longer than the buffer: not ours */
		}
		if (fd >= 0) {
			close(fd);
			if (inflame_modules_aliases_scan(1))
				pm.new_aliases = 1;
		}
	}
	for (; pm.written < pm.nregions; pm.written++) {
		inflame_buf_put_varint(b, now);
		inflame_buf_put_varint(b, pm_regions[pm.written].lo);
		inflame_buf_put_varint(b, pm_regions[pm.written].hi - pm_regions[pm.written].lo);
		inflame_buf_put_str(b, "", 0);
		count++;
	}
	return count;
}
