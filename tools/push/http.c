/*
 * The HTTP client of http.h. The host is resolved with getaddrinfo and each address tried in
 * turn with a non-blocking connect bounded by the timeout; the request is written with
 * "Connection: close" and a Content-Length, and the response read until the server closes
 * (or 64 KiB, which is plenty for a status line and an error message).
 */
#include "push/http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int inflame_url_parse(const char *s, struct inflame_url *u, char *err, size_t errlen)
{
	const char *h, *end, *colon, *slash;
	size_t hl;

	memset(u, 0, sizeof(*u));
	if (!strncmp(s, "https://", 8)) {
		snprintf(err, errlen,
			 "%s: https is not supported: use a local TLS proxy (stunnel) or curl", s);
		return -EINVAL;
	}
	if (strncmp(s, "http://", 7)) {
		snprintf(err, errlen, "%s: expects an http:// URL", s);
		return -EINVAL;
	}
	h = s + 7;
	slash = strchr(h, '/');
	end = slash ? slash : h + strlen(h);
	colon = memchr(h, ':', (size_t)(end - h));
	hl = (size_t)((colon ? colon : end) - h);
	if (hl == 0 || hl >= sizeof(u->host) || memchr(h, '@', (size_t)(end - h)) || h[0] == '[') {
		snprintf(err, errlen, "%s: expects http://host[:port][/path]", s);
		return -EINVAL;
	}
	memcpy(u->host, h, hl);
	if (colon) {
		size_t pl = (size_t)(end - colon - 1);

		if (pl == 0 || pl >= sizeof(u->port) || strspn(colon + 1, "0123456789") < pl) {
			snprintf(err, errlen, "%s: bad port", s);
			return -EINVAL;
		}
		memcpy(u->port, colon + 1, pl);
	} else {
		strcpy(u->port, "80");
	}
	if (slash) {
		size_t pl = strlen(slash);

		while (pl > 1 && slash[pl - 1] == '/')
			pl--;
		if (pl >= sizeof(u->path) || strpbrk(slash, "?# \r\n")) {
			snprintf(err, errlen, "%s: the path must be plain (no query)", s);
			return -EINVAL;
		}
		memcpy(u->path, slash, pl);
		if (pl == 1)
			u->path[0] = '\0';
	}
	return 0;
}

int inflame_url_escape(char *buf, size_t len, size_t *used, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';

		if (*used + (plain ? 1 : 3) >= len)
			return -ENOSPC;
		if (plain) {
			buf[(*used)++] = (char)c;
		} else {
			buf[(*used)++] = '%';
			buf[(*used)++] = hex[c >> 4];
			buf[(*used)++] = hex[c & 15];
		}
	}
	buf[*used] = '\0';
	return 0;
}

/* Waits until fd is ready for events; returns 0, -ETIMEDOUT or a negative errno. */
static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

static int dial(const struct inflame_url *u, int timeout_ms, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *a;
	int fd = -1, rc, e = ECONNREFUSED;

	rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "%s: %s", u->host, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (a = res; a; a = a->ai_next) {
		socklen_t sl = sizeof(e);

		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    a->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			rc = wait_fd(fd, POLLOUT, timeout_ms);
			if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e == 0)
				break;
			if (rc < 0)
				e = -rc;
		} else {
			e = errno;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to %s:%s: %s", u->host, u->port, strerror(e));
		return -e;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t n, int timeout_ms)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			int rc = wait_fd(fd, POLLOUT, timeout_ms);

			if (rc < 0)
				return rc;
			continue;
		}
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int inflame_http_post(const struct inflame_url *u, const char *target, const char *extra_headers,
		      const char *content_type, const void *body, size_t len, int timeout_ms,
		      char *err, size_t errlen)
{
	char head[4096], *resp = NULL;
	size_t got = 0, cap = 65536;
	int fd, rc, n, status = 0;

	n = snprintf(head, sizeof(head),
		     "POST %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: inflame/" PACKAGE_VERSION
		     "\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
		     target, u->host, u->port, content_type, len,
		     extra_headers ? extra_headers : "");
	if (n < 0 || (size_t)n >= sizeof(head)) {
		snprintf(err, errlen, "request line too long");
		return -ENOSPC;
	}
	fd = dial(u, timeout_ms, err, errlen);
	if (fd < 0)
		return fd;
	rc = send_all(fd, head, (size_t)n, timeout_ms);
	if (!rc)
		rc = send_all(fd, body, len, timeout_ms);
	if (rc < 0) {
		snprintf(err, errlen, "sending to %s:%s: %s", u->host, u->port, strerror(-rc));
		goto out;
	}
	resp = malloc(cap + 1);
	if (!resp) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t r;

		rc = wait_fd(fd, POLLIN, timeout_ms);
		if (rc < 0) {
			snprintf(err, errlen, "no answer from %s:%s: %s", u->host, u->port,
				 strerror(-rc));
			goto out;
		}
		r = recv(fd, resp + got, cap - got, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r < 0) {
			rc = -errno;
			snprintf(err, errlen, "reading from %s:%s: %s", u->host, u->port,
				 strerror(errno));
			goto out;
		}
		if (r == 0 || (got += (size_t)r) == cap)
			break;
	}
	resp[got] = '\0';
	if (sscanf(resp, "HTTP/1.%*[01] %d", &status) != 1 || status < 100 || status > 999) {
		rc = -EPROTO;
		snprintf(err, errlen, "%s:%s: not an HTTP response", u->host, u->port);
		goto out;
	}
	rc = status;
	if (status < 200 || status > 299) {
		char *b = strstr(resp, "\r\n\r\n"), *line = resp;
		size_t l;

		if (b && b[4])
			line = b + 4;
		l = strcspn(line, "\r\n");
		snprintf(err, errlen, "%.*s", (int)(l > 200 ? 200 : l), line);
		for (char *p = err; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	}
out:
	free(resp);
	close(fd);
	return rc;
}
