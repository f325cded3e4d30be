/*
 * The Pyroscope ingest requests of ingest.h. Each event group of a dump is built into its own
 * pprof (export/pprof_inputs.h), wrapped in a multipart body whose boundary is checked not to
 * occur in the data, and posted; a 2xx status is success, anything else is reported with the
 * first line of the server's answer.
 */
#include "push/ingest.h"
#include "export/pprof_inputs.h"
#include "input/dumpmeta.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int inflame_ingest_app_ok(const char *app)
{
	size_t n =
	    strspn(app, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/");
	const char *p;

	if (n == 0)
		return 0;
	if (!app[n])
		return 1;
	if (app[n] != '{' || app[strlen(app) - 1] != '}')
		return 0;
	p = app + n + 1;
	if (*p == '}')
		return !p[1];
	for (;;) {
		size_t k =
		    strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.");
		size_t v;

		if (k == 0 || p[k] != '=')
			return 0;
		p += k + 1;
		v = strcspn(p, "{}=,\"\r\n");
		if (v == 0)
			return 0;
		p += v;
		if (*p == '}')
			return !p[1];
		if (*p != ',')
			return 0;
		p++;
	}
}

struct type_cfg {
	unsigned group;
	const char *json;
	const char *units, *aggregation;
};

/* Pyroscope's sample_type_config for each group: units, display name, aggregation. */
static const struct type_cfg cfgs[] = {
    {INFLAME_PPROF_G_CPU,
     "{\"cpu\":{\"units\":\"nanoseconds\",\"display-name\":\"cpu\",\"aggregation\":\"sum\","
     "\"sampled\":true},\"samples\":{\"units\":\"samples\",\"display-name\":\"cpu_samples\","
     "\"aggregation\":\"sum\",\"sampled\":true}}",
     "samples", "sum"},
    {INFLAME_PPROF_G_WALL,
     "{\"wall\":{\"units\":\"nanoseconds\",\"display-name\":\"wall\",\"aggregation\":\"sum\","
     "\"sampled\":true}}",
     "samples", "sum"},
    {INFLAME_PPROF_G_ALLOC,
     "{\"alloc_objects\":{\"units\":\"objects\",\"display-name\":\"alloc_objects\","
     "\"aggregation\":\"sum\",\"sampled\":true},\"alloc_space\":{\"units\":\"bytes\","
     "\"display-name\":\"alloc_space\",\"aggregation\":\"sum\",\"sampled\":true}}",
     "bytes", "sum"},
    {INFLAME_PPROF_G_LIVE,
     "{\"inuse_objects\":{\"units\":\"objects\",\"display-name\":\"inuse_objects\","
     "\"aggregation\":\"average\",\"sampled\":true},\"inuse_space\":{\"units\":\"bytes\","
     "\"display-name\":\"inuse_space\",\"aggregation\":\"average\",\"sampled\":true}}",
     "bytes", "average"},
    {INFLAME_PPROF_G_PEAK,
     "{\"inuse_space\":{\"units\":\"bytes\",\"display-name\":\"peak_space\","
     "\"aggregation\":\"average\",\"sampled\":true}}",
     "bytes", "average"},
};

static const struct type_cfg *cfg_of(unsigned group)
{
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++)
		if (cfgs[i].group == group)
			return &cfgs[i];
	return NULL;
}

/* Appends n bytes to a growing buffer; returns 0 or -ENOMEM. */
static int put(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (*len + n > *cap) {
		size_t c = (*len + n) * 2;
		char *nb = realloc(*buf, c);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return 0;
}

static int puts_(char **buf, size_t *len, size_t *cap, const char *s)
{
	return put(buf, len, cap, s, strlen(s));
}

/* Builds the multipart body; boundary receives the boundary used. */
static int multipart(const struct inflame_pprof_result *r, const char *json, char *boundary,
		     size_t blen, char **body, size_t *len)
{
	size_t cap = r->gzlen + strlen(json) + 1024;
	int rc = 0;

	*body = NULL;
	*len = 0;
	/* A boundary that does not occur in the data (it is random, so this rarely loops). */
	for (;;) {
		snprintf(boundary, blen, "inflame-%08lx%08lx", (unsigned long)random(),
			 (unsigned long)random());
		if (!memmem(r->gz, r->gzlen, boundary, strlen(boundary)))
			break;
	}
	*body = malloc(cap);
	if (!*body)
		return -ENOMEM;
	rc |= puts_(body, len, &cap, "--");
	rc |= puts_(body, len, &cap, boundary);
	rc |=
	    puts_(body, len, &cap,
		  "\r\nContent-Disposition: form-data; name=\"profile\"; filename=\"profile.pprof\""
		  "\r\nContent-Type: application/octet-stream\r\n\r\n");
	rc |= put(body, len, &cap, r->gz, r->gzlen);
	rc |= puts_(body, len, &cap, "\r\n--");
	rc |= puts_(body, len, &cap, boundary);
	rc |=
	    puts_(body, len, &cap,
		  "\r\nContent-Disposition: form-data; name=\"sample_type_config\"; "
		  "filename=\"sample_type_config.json\"\r\nContent-Type: application/json\r\n\r\n");
	rc |= puts_(body, len, &cap, json);
	rc |= puts_(body, len, &cap, "\r\n--");
	rc |= puts_(body, len, &cap, boundary);
	rc |= puts_(body, len, &cap, "--\r\n");
	if (rc) {
		free(*body);
		*body = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int send_group(const struct inflame_ingest *in, const char *path, unsigned group)
{
	const char *one[] = {path};
	const struct type_cfg *cfg = cfg_of(group);
	struct inflame_pprof_result r;
	char target[4096], boundary[64], ctype[128], headers[300] = "", err[300];
	size_t used;
	char *body = NULL;
	size_t blen;
	int rc;

	if (!cfg)
		return 0;
	rc = inflame_pprof_build(one, 1, &in->lo, group, in->cmd, &r);
	if (rc < 0)
		return rc;
	rc = multipart(&r, cfg->json, boundary, sizeof(boundary), &body, &blen);
	if (rc < 0) {
		fprintf(stderr, "%sout of memory\n", in->cmd);
		goto out;
	}
	used = (size_t)snprintf(target, sizeof(target), "%s/ingest?name=", in->url.path);
	rc = inflame_url_escape(target, sizeof(target), &used, in->app);
	if (!rc) {
		uint64_t from = r.start_ns / 1000000000u,
			 until = (r.end_ns + 999999999u) / 1000000000u;
		int n =
		    snprintf(target + used, sizeof(target) - used,
			     "&from=%" PRIu64 "&until=%" PRIu64 "&format=pprof&sampleRate=%" PRIu64
			     "&spyName=inflame&units=%s&aggregationType=%s",
			     from, until > from ? until : from + 1, r.frequency ? r.frequency : 100,
			     cfg->units, cfg->aggregation);

		if (n < 0 || (size_t)n >= sizeof(target) - used)
			rc = -ENOSPC;
	}
	if (rc < 0) {
		fprintf(stderr, "%s--app: the name is too long\n", in->cmd);
		goto out;
	}
	snprintf(ctype, sizeof(ctype), "multipart/form-data; boundary=%s", boundary);
	if (in->tenant)
		snprintf(headers, sizeof(headers), "X-Scope-OrgID: %s\r\n", in->tenant);
	rc = inflame_http_post(&in->url, target, headers, ctype, body, blen, in->timeout_ms, err,
			       sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s%s: %s\n", in->cmd, path, err);
	} else if (rc < 200 || rc > 299) {
		fprintf(stderr, "%s%s: %s: the server answered %d: %s\n", in->cmd, path,
			inflame_pprof_group_name(group), rc, err);
		rc = -EPROTO;
	} else {
		fprintf(stderr, "%ssent %s: %s, %zu samples (%zu bytes)\n", in->cmd, path,
			inflame_pprof_group_name(group), r.nsamples, r.gzlen);
		rc = 0;
	}
out:
	free(body);
	free(r.gz);
	return rc;
}

int inflame_ingest_dump(const struct inflame_ingest *in, const char *path)
{
	struct inflame_dumpmeta m;
	unsigned groups;
	char err[512];
	int rc = inflame_dumpmeta_read(path, &m, err, sizeof(err)), sent = 0, failed = 0;

	if (rc < 0) {
		fprintf(stderr, "%s%s\n", in->cmd, err);
		return rc;
	}
	if (rc == 0) {
		fprintf(stderr, "%s%s is not an inflame dump\n", in->cmd, path);
		return -EINVAL;
	}
	rc = inflame_pprof_input_groups(&path, 1, &groups, in->cmd);
	if (rc < 0)
		return rc;
	if (in->groups & INFLAME_PPROF_G_PEAK)
		groups = groups & INFLAME_PPROF_G_ALLOC ? INFLAME_PPROF_G_PEAK : 0;
	else if (in->groups)
		groups &= in->groups;
	for (unsigned g = 1; g <= INFLAME_PPROF_G_PEAK; g <<= 1) {
		if (!(groups & g))
			continue;
		rc = send_group(in, path, g);
		if (rc == -ENODATA)
			continue; /* said so; an empty group is nothing to send */
		if (rc < 0)
			failed++;
		else
			sent++;
	}
	if (failed)
		return -EIO;
	if (!sent) {
		fprintf(stderr, "%s%s: no samples to send\n", in->cmd, path);
		return -ENODATA;
	}
	return 0;
}
