/*
 * The folded-stacks reader: one stack per line, frames root first separated by ';', then
 * whitespace and a sample count ("main;parse;lex 42"), as written by the stackcollapse-*
 * scripts, inferno, async-profiler, py-spy and `inflame collapse`.
 *
 * The reader is line-oriented and keeps no state between lines, so callers may feed a large
 * input in pieces that end at line boundaries. It accepts what flamegraph.pl accepts: CRLF line
 * ends, any run of blanks before the count, a fractional count (rounded to the nearest
 * integer), and the differential form "stack base count" written by difffolded.pl (both counts
 * are kept: the stack set's count is the second one, from which flamegraph.pl draws widths,
 * and the first is its baseline). Empty lines are ignored; any other line without a
 * trailing count is counted in bad_lines and skipped. Frame names are taken byte for byte,
 * empty ones included, so that a folded file survives a round trip through `inflame collapse`.
 *
 * Whether a text is folded stacks at all is decided on its first lines, with a stricter form
 * (inflame__folded_line_strict): prose, code and configuration files have lines that happen to
 * end in a number, but few that also start with a frame and hold no tab or control character.
 */
#include "input/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Parses the number that ends s[0..*len): digits with an optional fraction, preceded by at
 * least one blank. On success stores the rounded value, shortens *len to the text before the
 * blanks and returns 1; returns 0 when the text does not end that way or the value overflows.
 */
static int take_count(const char *s, size_t *len, uint64_t *out)
{
	size_t e = *len, b = e, dot = SIZE_MAX;
	uint64_t v = 0;

	while (b > 0 && (is_digit(s[b - 1]) || (s[b - 1] == '.' && dot == SIZE_MAX))) {
		if (s[b - 1] == '.')
			dot = b - 1;
		b--;
	}
	if (b == e || b == 0 || !is_blank(s[b - 1]) || !is_digit(s[b]))
		return 0;
	for (size_t i = b; i < e && i != dot; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	if (dot != SIZE_MAX && dot + 1 < e && s[dot + 1] >= '5') {
		if (v == UINT64_MAX)
			return 0;
		v++;
	}
	while (b > 0 && is_blank(s[b - 1]))
		b--;
	*len = b;
	*out = v;
	return 1;
}

int inflame__folded_line_strict(const char *line, size_t n)
{
	uint64_t v;
	size_t k;

	while (n > 0 && is_blank(line[n - 1]))
		n--;
	if (n == 0 || is_blank(line[0]) || !take_count(line, &n, &v))
		return 0;
	(void)take_count(line, &n, &v); /* difffolded.pl's "stack base count" */
	if (n == 0)
		return 0;
	for (k = 0; k < n; k++)
		if ((unsigned char)line[k] < 0x20 || line[k] == 0x7f)
			return 0;
	return 1;
}

int inflame_folded_load(const char *data, size_t len, const struct inflame_load_opts *o,
			struct inflame_stackset *ss, struct inflame_load_stats *st, char *err,
			size_t errlen)
{
	uint32_t *frames = NULL;
	size_t cap = 0;
	const char *p = data, *end = data + len;
	int rc = 0;

	(void)o;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line = p;
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p), nf = 0;
		uint64_t count, base;
		int diff;
		const char *f;

		p = nl ? nl + 1 : end;
		while (n > 0 && is_blank(line[n - 1]))
			n--;
		if (n == 0)
			continue;
		if (!take_count(line, &n, &count) || n == 0) {
			st->bad_lines++;
			continue;
		}
		/* A second number makes it a differential line: "stack base count". */
		diff = take_count(line, &n, &base);
		if (n == 0) {
			st->bad_lines++;
			continue;
		}
		f = line;
		for (;;) {
			const char *semi = memchr(f, ';', (size_t)(line + n - f));
			size_t flen = semi ? (size_t)(semi - f) : (size_t)(line + n - f);
			uint32_t id;

			if (nf == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				uint32_t *q = realloc(frames, ncap * sizeof(*q));

				if (!q) {
					rc = -ENOMEM;
					goto out;
				}
				frames = q;
				cap = ncap;
			}
			id = inflame_stackset_intern(ss, f, flen);
			if (id == UINT32_MAX) {
				rc = -ENOMEM;
				goto out;
			}
			frames[nf++] = id;
			if (!semi)
				break;
			f = semi + 1;
		}
		if (diff)
			rc = inflame_stackset_add_diff(ss, frames, nf, base, count);
		else
			rc = inflame_stackset_add(ss, frames, nf, count);
		if (rc < 0)
			goto out;
		st->samples++;
	}
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(frames);
	return rc;
}
