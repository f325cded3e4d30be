/*
 * Sending a dump to Grafana Pyroscope's HTTP ingest API: POST /ingest with the application
 * name (and its labels, "app{k=v,...}"), from and until (Unix seconds of the dump's span),
 * format=pprof, sampleRate and spyName=inflame in the query, and a multipart/form-data body
 * with the gzip-compressed pprof in a "profile" part and a "sample_type_config" JSON part that
 * tells Pyroscope the units and aggregation of each sample type. One request per event group
 * (cpu, wall, alloc, inuse), as Pyroscope keeps one profile type per sample type.
 */
#ifndef INFLAME_INGEST_H
#define INFLAME_INGEST_H

#include "input/source.h"
#include "push/http.h"

struct inflame_ingest {
	struct inflame_url url;
	const char *app;    /* name{labels} */
	const char *tenant; /* X-Scope-OrgID, or NULL */
	unsigned groups;    /* INFLAME_PPROF_G_* to send; 0 = all */
	int timeout_ms;
	const char *cmd; /* prefix of messages */
	struct inflame_load_opts lo;
};

/* Whether app is "name" or "name{key=value,...}" as Pyroscope reads it. */
int inflame_ingest_app_ok(const char *app);

/* Sends every event group of the dump at path; prints one line per request sent or failed
 * (prefixed with cmd). Returns 0 when all were accepted, -ENODATA for a dump without samples
 * (nothing to send), another negative errno otherwise. */
int inflame_ingest_dump(const struct inflame_ingest *in, const char *path);

#endif
