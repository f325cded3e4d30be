/*
 * The folded-stacks writer (folded_write.h). It is built for millions of short names: output
 * goes through a buffer of its own rather than stdio's per-call locking, and each distinct name
 * is checked once for characters that need replacing.
 */
#include "output/folded_write.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct wbuf {
	FILE *f;
	size_t len;
	int failed;
	char buf[1 << 16];
};

static void wflush(struct wbuf *w)
{
	if (w->len && fwrite(w->buf, 1, w->len, w->f) != w->len)
		w->failed = 1;
	w->len = 0;
}

static void wput(struct wbuf *w, const char *s, size_t n)
{
	while (n > 0) {
		size_t k = sizeof(w->buf) - w->len;

		if (k == 0) {
			wflush(w);
			continue;
		}
		if (k > n)
			k = n;
		memcpy(w->buf + w->len, s, k);
		w->len += k;
		s += k;
		n -= k;
	}
}

/* Does a frame name hold a character wname() replaces? */
static int needs_clean(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == ';' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* Writes a frame name with the characters that would break the format replaced. */
static void wname(struct wbuf *w, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		char r;

		if (s[i] == ';')
			r = ':';
		else if (s[i] == '\n' || s[i] == '\r')
			r = ' ';
		else if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			r = '?';
		else
			continue;
		wput(w, s + start, i - start);
		wput(w, &r, 1);
		start = i + 1;
	}
	wput(w, s + start, n - start);
}

/* Appends " [base ]count\n", formatted backwards into the end of a small buffer. */
static void wcounts(struct wbuf *w, int diff, uint64_t base, uint64_t count)
{
	char num[48];
	size_t len = 0;

	num[sizeof(num) - 1] = '\n';
	do {
		num[sizeof(num) - 2 - len++] = (char)('0' + count % 10);
		count /= 10;
	} while (count);
	num[sizeof(num) - 2 - len++] = ' ';
	if (diff) {
		do {
			num[sizeof(num) - 2 - len++] = (char)('0' + base % 10);
			base /= 10;
		} while (base);
		num[sizeof(num) - 2 - len++] = ' ';
	}
	wput(w, num + sizeof(num) - 1 - len, len + 1);
}

int inflame_folded_write(FILE *f, const struct inflame_stackset *ss)
{
	unsigned char *clean; /* by frame id: 0 unknown, 1 clean, 2 needs replacing */
	struct wbuf *w;
	int diff = inflame_stackset_is_diff(ss), rc = 0;

	clean = calloc(inflame_stackset_nframes_total(ss) + 1, 1);
	w = malloc(sizeof(*w));
	if (!clean || !w) {
		rc = -ENOMEM;
		goto out;
	}
	w->f = f;
	w->len = 0;
	w->failed = 0;
	for (size_t i = 0; i < inflame_stackset_count(ss); i++) {
		const uint32_t *fr;
		size_t n, len;
		uint64_t count, base;

		inflame_stackset_get(ss, i, &fr, &n, &count);
		base = diff ? inflame_stackset_base(ss, i) : 0;
		if (n == 0 || (count == 0 && base == 0))
			continue;
		for (size_t k = 0; k < n; k++) {
			const char *nm = inflame_stackset_name(ss, fr[k], &len);

			if (k)
				wput(w, ";", 1);
			if (!clean[fr[k]])
				clean[fr[k]] = needs_clean(nm, len) ? 2 : 1;
			if (clean[fr[k]] == 1)
				wput(w, nm, len);
			else
				wname(w, nm, len);
		}
		wcounts(w, diff, base, count);
	}
	wflush(w);
	if (w->failed)
		rc = -EIO;
out:
	free(clean);
	free(w);
	return rc;
}
