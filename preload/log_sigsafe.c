/*
 * The preload's logger. A message is formatted into a stack buffer and written with a single
 * write(2) so that lines from different threads do not interleave. Everything in this file is
 * async-signal-safe: no locks, no allocation, errno preserved.
 */
#include "log.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

enum inflame_log_level inflame__log_level = INFLAME_LOG_INFO;

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

static void vlog(enum inflame_log_level level, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;
	int saved = errno;

	if (level > inflame__log_level)
		return;
	memcpy(buf, "inflame: ", 9);
	n = 9 + inflame_log_vformat(buf + 9, sizeof(buf) - 10, fmt, ap);
	buf[n++] = '\n';
	while (write(STDERR_FILENO, buf, n) < 0 && errno == EINTR)
		;
	errno = saved;
}

void inflame_log(enum inflame_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void inflame_log_once(int *once, enum inflame_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(once, 1, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}
