/*
 * A minimal HTTP/1.1 client for pushing profiles: one POST per connection over a plain TCP
 * socket, http:// URLs only (for https, put a local TLS proxy such as stunnel or an
 * authenticating reverse proxy in front of the server, or upload the pprof files with curl).
 * Nothing here prints; errors come back as a negative errno with a one-line reason.
 */
#ifndef INFLAME_HTTP_H
#define INFLAME_HTTP_H

#include <stddef.h>

struct inflame_url {
	char host[256];
	char port[8];
	char path[1024]; /* starts with '/', no trailing '/' unless it is the root */
};

/* Parses "http://host[:port][/path]". Returns 0 or -EINVAL with err set. */
int inflame_url_parse(const char *s, struct inflame_url *u, char *err, size_t errlen);

/* Appends s to buf (of size len, NUL-terminated, currently holding *used bytes) with
 * application/x-www-form-urlencoded escaping. Returns 0 or -ENOSPC. */
int inflame_url_escape(char *buf, size_t len, size_t *used, const char *s);

/*
 * POSTs body (content_type) to u's host at target (path and query) and reads the response.
 * timeout_ms bounds connecting and each read or write. Returns the HTTP status (200...) with
 * the start of the response body in err when it is not 2xx, or a negative errno with err set.
 */
int inflame_http_post(const struct inflame_url *u, const char *target, const char *extra_headers,
		      const char *content_type, const void *body, size_t len, int timeout_ms,
		      char *err, size_t errlen);

#endif
