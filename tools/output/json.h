/*
 * A buffered JSON writer for the outputs that embed or write JSON (the viewer's page,
 * speedscope files): integers without printf, and strings escaped so that they are valid
 * UTF-8 JSON that can also sit inside an HTML script element.
 *
 * Strings: '"' and '\' are escaped as JSON requires; '<', '>' and '&' become \u003c, \u003e,
 * \u0026 (no name can close the script element or start markup); control characters and DEL
 * become \u00XX; U+2028 and U+2029 become \u2028 and \u2029 (line ends to older JavaScript);
 * bytes that are not valid UTF-8 become U+FFFD, so the output is always valid UTF-8.
 *
 * Errors stick: after the first failed write every call does nothing and
 * inflame_json_finish() reports it.
 */
#ifndef INFLAME_JSON_H
#define INFLAME_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct inflame_json {
	FILE *f;
	int err; /* 0, or -EIO after a failed write */
	size_t len;
	char buf[1 << 16];
};

void inflame_json_init(struct inflame_json *j, FILE *f);
/* Raw bytes, as they are. */
void inflame_json_raw(struct inflame_json *j, const char *s, size_t n);
void inflame_json_lit(struct inflame_json *j, const char *s); /* NUL-terminated raw text */
void inflame_json_u64(struct inflame_json *j, uint64_t v);
void inflame_json_i64(struct inflame_json *j, int64_t v);
/* A number with up to 9 decimals (no exponent), for values like seconds per sample. */
void inflame_json_double(struct inflame_json *j, double v);
/* A quoted, escaped string of n bytes. */
void inflame_json_str(struct inflame_json *j, const char *s, size_t n);
/* Flushes; returns 0 or -EIO (errno tells why). */
int inflame_json_finish(struct inflame_json *j);

#endif
