/*
 * The preload's logger and its table of notices. A message is formatted into a stack buffer.
 * A notice claims the next slot of a static table with one atomic increment, fills it and
 * marks it ready; the writer copies ready slots into the dump, and a claim past the end only
 * counts a lost notice. A line that is written out goes with a single write(2) (to stderr, or
 * to the log file opened in append mode for that one line, so the program closing or reusing
 * descriptors never matters), so lines from different threads or processes do not interleave.
 * Everything in this file but inflame_log_configure() is async-signal-safe: no locks, no
 * allocation, errno preserved.
 */
#include "log.h"

#include "dump_write.h"
#include "fdhigh.h"
#include "layout.h"
#include "profiler.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* (read as every process opens and closes its file: with the variables every process writes,
 * not alone on a page that the read maps, a page fault all the same, layout.h) */
enum inflame_log_level inflame__log_level INFLAME_HOT = INFLAME_LOG_QUIET;

static char log_path[INFLAME_OUTPUT_MAX] INFLAME_COLD; /* "" = stderr */

/* The counters apart from the table: every writer cycle reads claimed, and they lie with the
 * small variables every process writes (a page of .bss of their own was a page fault at each
 * short process's first cycle), the table among the arrays no short process touches
 * (layout.h). */
static struct {
	_Atomic unsigned claimed;
	_Atomic uint64_t lost;
	unsigned own_base; /* claimed when this image began (a fork child: its parent's) */
} notes INFLAME_HOT;
/* The notices themselves, written only when something is noticed (layout.h) */
static struct inflame_note note_tab[INFLAME_NOTES_MAX] INFLAME_COLD;

struct out {
	char *buf;
	size_t len, n;
};

static void put(struct out *o, char c)
{
	if (o->n + 1 < o->len)
		o->buf[o->n++] = c;
}

static void put_str(struct out *o, const char *s)
{
	if (!s)
		s = "(null)";
	while (*s)
		put(o, *s++);
}

static void put_unsigned(struct out *o, unsigned long long v, unsigned base)
{
	char tmp[24];
	int k = 0;

	do {
		tmp[k++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (k--)
		put(o, tmp[k]);
}

static void put_signed(struct out *o, long long v)
{
	if (v < 0) {
		put(o, '-');
		put_unsigned(o, 0ull - (unsigned long long)v, 10);
	} else {
		put_unsigned(o, (unsigned long long)v, 10);
	}
}

size_t inflame_log_vformat(char *buf, size_t len, const char *fmt, va_list ap)
{
	struct out o = {buf, len, 0};

	if (!len)
		return 0;
	for (const char *p = fmt; *p; p++) {
		int longs = 0, size_t_arg = 0;

		if (*p != '%') {
			put(&o, *p);
			continue;
		}
		p++;
		while (*p == 'l') {
			longs++;
			p++;
		}
		if (*p == 'z') {
			size_t_arg = 1;
			p++;
		}
		switch (*p) {
		case 's':
			put_str(&o, va_arg(ap, const char *));
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 'd':
			if (longs >= 2)
				put_signed(&o, va_arg(ap, long long));
			else if (longs == 1)
				put_signed(&o, va_arg(ap, long));
			else
				put_signed(&o, va_arg(ap, int));
			break;
		case 'u':
		case 'x':
			if (size_t_arg)
				put_unsigned(&o, va_arg(ap, size_t), *p == 'x' ? 16 : 10);
			else if (longs >= 2)
				put_unsigned(&o, va_arg(ap, unsigned long long),
					     *p == 'x' ? 16 : 10);
			else if (longs == 1)
				put_unsigned(&o, va_arg(ap, unsigned long), *p == 'x' ? 16 : 10);
			else
				put_unsigned(&o, va_arg(ap, unsigned), *p == 'x' ? 16 : 10);
			break;
		case 'p':
			put_str(&o, "0x");
			put_unsigned(&o, (uintptr_t)va_arg(ap, void *), 16);
			break;
		case '%':
			put(&o, '%');
			break;
		case 0:
			p--;
			break;
		default:
			put(&o, '%');
			put(&o, *p);
			break;
		}
	}
	buf[o.n] = 0;
	return o.n;
}

size_t inflame_log_format(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = inflame_log_vformat(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

void inflame_log_configure(enum inflame_log_level level, const char *path)
{
	inflame__log_level = level;
	log_path[0] = 0;
	if (path && strlen(path) < sizeof(log_path))
		strcpy(log_path, path);
}

static void keep_note(enum inflame_log_level level, const char *text, size_t len)
{
	unsigned i = atomic_fetch_add_explicit(&notes.claimed, 1, memory_order_relaxed);
	struct inflame_note *n;
	struct timespec ts;

	if (i >= INFLAME_NOTES_MAX) {
		atomic_fetch_add_explicit(&notes.lost, 1, memory_order_relaxed);
		return;
	}
	n = &note_tab[i];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n->time = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	n->level = (int)level;
	if (len > sizeof(n->text))
		len = sizeof(n->text);
	memcpy(n->text, text, len);
	n->len = (uint32_t)len;
	atomic_store_explicit(&n->ready, 1, memory_order_release);
}

/* Writes "inflame: text\n" (or "inflame[pid]: " to the log file) with one write(2). */
static void write_out(const char *text, size_t len)
{
	char buf[600];
	size_t n;
	int fd = STDERR_FILENO;

	if (log_path[0]) {
		n = inflame_log_format(buf, sizeof(buf) - 2, "inflame[%d]: ", (int)getpid());
		fd = inflame_fdhigh_open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY, 0600);
		if (fd < 0)
			return;
	} else {
		n = inflame_log_format(buf, sizeof(buf) - 2, "inflame: ");
	}
	if (len > sizeof(buf) - 1 - n)
		len = sizeof(buf) - 1 - n;
	memcpy(buf + n, text, len);
	n += len;
	buf[n++] = '\n';
	/* (not past the program's file size limit: SIGXFSZ would end it) */
	while (inflame_dump_write_fits(fd, n) && write(fd, buf, n) < 0 && errno == EINTR)
		;
	if (fd != STDERR_FILENO)
		close(fd);
}

static void vlog(enum inflame_log_level level, int always, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;
	int saved = errno;
	int out =
	    always || (inflame__log_level != INFLAME_LOG_QUIET && level <= inflame__log_level);

	/* (a message that is neither kept nor written out is not even formatted) */
	if (level > INFLAME_LOG_INFO && !out)
		return;
	n = inflame_log_vformat(buf, sizeof(buf), fmt, ap);
	if (level <= INFLAME_LOG_INFO)
		keep_note(level, buf, n);
	if (out)
		write_out(buf, n);
	errno = saved;
}

void inflame_log(enum inflame_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, 0, fmt, ap);
	va_end(ap);
}

void inflame_log_once(int *once, enum inflame_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(once, 1, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vlog(level, 0, fmt, ap);
	va_end(ap);
}

void inflame_log_unprofiled(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(INFLAME_LOG_QUIET, 1, fmt, ap);
	va_end(ap);
}

INFLAME_FORK_TEXT unsigned inflame_log_notes_claimed(void)
{
	return atomic_load_explicit(&notes.claimed, memory_order_acquire);
}

const struct inflame_note *inflame_log_note(unsigned i)
{
	if (i >= INFLAME_NOTES_MAX ||
	    !atomic_load_explicit(&note_tab[i].ready, memory_order_acquire))
		return NULL;
	return &note_tab[i];
}

uint64_t inflame_log_notes_lost(void)
{
	return atomic_load_explicit(&notes.lost, memory_order_relaxed);
}

INFLAME_FORK_TEXT unsigned inflame_log_notes_own(void)
{
	return inflame_log_notes_claimed() - notes.own_base;
}

INFLAME_FORK_TEXT void inflame_log_after_fork_child(void)
{
	unsigned n = inflame_log_notes_claimed();

	/* A slot another thread of the parent was filling as it forked is never finished here:
	 * say so rather than let the writer wait for it. */
	for (unsigned i = 0; i < n && i < INFLAME_NOTES_MAX; i++) {
		struct inflame_note *note = &note_tab[i];

		if (!atomic_load_explicit(&note->ready, memory_order_acquire)) {
			note->level = INFLAME_LOG_INFO;
			note->time = 0;
			note->len = (uint32_t)inflame_log_format(note->text, sizeof(note->text),
								 "(a notice cut short by fork)");
			atomic_store_explicit(&note->ready, 1, memory_order_release);
		}
	}
	if (notes.own_base != n)
		notes.own_base = n; /* (no store, no copied page, when the parent logged nothing) */
}
