/*
 * The buffered JSON writer (json.h). Strings are escaped byte by byte with a small UTF-8
 * decoder: valid sequences are copied (but for U+2028 and U+2029), anything else becomes
 * U+FFFD, so hostile names produce valid, inert JSON.
 */
#include "output/json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void inflame_json_init(struct inflame_json *j, FILE *f)
{
	j->f = f;
	j->err = 0;
	j->len = 0;
}

static void flush(struct inflame_json *j)
{
	if (!j->err && j->len && fwrite(j->buf, 1, j->len, j->f) != j->len)
		j->err = -EIO;
	j->len = 0;
}

void inflame_json_raw(struct inflame_json *j, const char *s, size_t n)
{
	while (n > 0 && !j->err) {
		size_t room = sizeof(j->buf) - j->len, k = n < room ? n : room;

		memcpy(j->buf + j->len, s, k);
		j->len += k;
		s += k;
		n -= k;
		if (j->len == sizeof(j->buf))
			flush(j);
	}
}

void inflame_json_lit(struct inflame_json *j, const char *s)
{
	inflame_json_raw(j, s, strlen(s));
}

void inflame_json_u64(struct inflame_json *j, uint64_t v)
{
	char tmp[24];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (sizeof(j->buf) - j->len < 24)
		flush(j);
	if (j->err)
		return;
	memcpy(j->buf + j->len, tmp + n, sizeof(tmp) - n);
	j->len += sizeof(tmp) - n;
}

void inflame_json_i64(struct inflame_json *j, int64_t v)
{
	if (v < 0) {
		inflame_json_raw(j, "-", 1);
		inflame_json_u64(j, (uint64_t)0 - (uint64_t)v);
	} else {
		inflame_json_u64(j, (uint64_t)v);
	}
}

void inflame_json_double(struct inflame_json *j, double v)
{
	char tmp[64];
	int n;

	if (!(v == v) || v > 1e15 || v < -1e15)
		v = 0; /* JSON has no NaN or infinity */
	n = snprintf(tmp, sizeof(tmp), "%.9f", v);
	/* Trailing zeros (and a bare '.') add nothing. */
	while (n > 1 && tmp[n - 1] == '0')
		n--;
	if (n > 1 && tmp[n - 1] == '.')
		n--;
	inflame_json_raw(j, tmp, (size_t)n);
}

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0; /* overlong, surrogate, out of range */
	return len;
}

void inflame_json_str(struct inflame_json *j, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	inflame_json_raw(j, "\"", 1);
	while (i < n) {
		unsigned c = s[i];
		char esc[8];
		size_t elen = 0, len;

		if (c >= 0x80) {
			len = utf8_len(s + i, n - i);
			if (len == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
			    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
				memcpy(esc, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
				elen = 6;
			} else if (len == 0) {
				memcpy(esc, "\\ufffd", 6);
				elen = 6;
				len = 1;
			}
		} else {
			len = 1;
			if (c == '"' || c == '\\') {
				esc[0] = '\\';
				esc[1] = (char)c;
				elen = 2;
			} else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&') {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				elen = 6;
			}
		}
		if (elen) {
			inflame_json_raw(j, (const char *)s + i - run, run);
			run = 0;
			inflame_json_raw(j, esc, elen);
		} else {
			run += len;
		}
		i += len;
	}
	inflame_json_raw(j, (const char *)s + i - run, run);
	inflame_json_raw(j, "\"", 1);
}

int inflame_json_finish(struct inflame_json *j)
{
	flush(j);
	if (!j->err && fflush(j->f) != 0)
		j->err = -EIO;
	return j->err;
}
