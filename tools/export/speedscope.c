/*
 * Writing speedscope's file format (speedscope.h). Frame names of all views are interned in
 * one stack set used as a name table, so each name is one shared frame. A view with a
 * timeline becomes one profile per thread that has samples in it, named "view: thread (tid
 * N)", its samples in time order; its startValue and endValue are the first sample's time and
 * the last's plus its weight when the unit is time, 0 and the sum of the weights otherwise.
 * Names go through the JSON writer's escaping (output/json.h). A frame whose stack set has
 * metadata (a dump loaded with frame_meta) gets its source file and, as speedscope's line, the
 * line its function starts at (the line executing where that is unknown).
 */
#include "export/speedscope.h"

#include "output/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The shared frame index of every name id of ss (*out). */
static int map_names(struct inflame_stackset *names, const struct inflame_stackset *ss,
		     uint32_t **out)
{
	size_t n = inflame_stackset_nframes_total(ss);
	uint32_t *m = malloc((n ? n : 1) * sizeof(*m));

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const char *s = inflame_stackset_name(ss, (uint32_t)i, &len);

		const struct inflame_frame_meta *fm = inflame_stackset_meta(ss, (uint32_t)i);

		m[i] = inflame_stackset_intern(names, s, len);
		if (m[i] == UINT32_MAX || (fm && inflame_stackset_set_meta(names, m[i], fm) < 0)) {
			free(m);
			return -ENOMEM;
		}
	}
	*out = m;
	return 0;
}

static void stack(struct inflame_json *j, const struct inflame_stackset *ss, size_t i,
		  const uint32_t *map)
{
	const uint32_t *f;
	size_t n;
	uint64_t c;

	inflame_stackset_get(ss, i, &f, &n, &c);
	inflame_json_raw(j, "[", 1);
	for (size_t k = 0; k < n; k++) {
		if (k)
			inflame_json_raw(j, ",", 1);
		inflame_json_u64(j, map[f[k]]);
	}
	inflame_json_raw(j, "]", 1);
}

static void profile_head(struct inflame_json *j, int *first, const char *name, const char *unit,
			 uint64_t start, uint64_t end)
{
	inflame_json_lit(j, *first ? "{\"type\":\"sampled\",\"name\":"
				   : ",{\"type\":\"sampled\",\"name\":");
	*first = 0;
	inflame_json_str(j, name, strlen(name));
	inflame_json_lit(j, ",\"unit\":");
	inflame_json_str(j, unit, strlen(unit));
	inflame_json_lit(j, ",\"startValue\":");
	inflame_json_u64(j, start);
	inflame_json_lit(j, ",\"endValue\":");
	inflame_json_u64(j, end);
}

/* One profile of the distinct stacks of a view without times. */
static void stacks_profile(struct inflame_json *j, int *first,
			   const struct inflame_speedscope_view *v, const uint32_t *map)
{
	size_t n = inflame_stackset_count(v->ss);
	uint64_t total = 0;
	int any = 0;

	for (size_t i = 0; i < n; i++) {
		const uint32_t *f;
		size_t nf;
		uint64_t c;

		inflame_stackset_get(v->ss, i, &f, &nf, &c);
		total += c * v->scale;
	}
	profile_head(j, first, v->name, v->unit, 0, total);
	inflame_json_lit(j, ",\"samples\":[");
	for (size_t i = 0; i < n; i++) {
		const uint32_t *f;
		size_t nf;
		uint64_t c;

		inflame_stackset_get(v->ss, i, &f, &nf, &c);
		if (!c)
			continue;
		if (any)
			inflame_json_raw(j, ",", 1);
		any = 1;
		stack(j, v->ss, i, map);
	}
	inflame_json_lit(j, "],\"weights\":[");
	any = 0;
	for (size_t i = 0; i < n; i++) {
		const uint32_t *f;
		size_t nf;
		uint64_t c;

		inflame_stackset_get(v->ss, i, &f, &nf, &c);
		if (!c)
			continue;
		if (any)
			inflame_json_raw(j, ",", 1);
		any = 1;
		inflame_json_u64(j, c * v->scale);
	}
	inflame_json_lit(j, "]}");
}

/* One profile per thread of a view with a timeline. */
static int thread_profiles(struct inflame_json *j, int *first,
			   const struct inflame_speedscope_view *v, const uint32_t *map)
{
	const struct inflame_timeline *tl = v->tl;
	int is_time = !strcmp(v->unit, "nanoseconds");

	for (size_t t = 0; t < tl->nthreads; t++) {
		const struct inflame_timeline_thread *th = &tl->threads[t];
		uint64_t start = UINT64_MAX, end = 0, total = 0;
		char *name;
		size_t len;
		int any = 0;

		for (size_t i = 0; i < tl->nsamples; i++) {
			const struct inflame_timeline_sample *s = &tl->samples[i];

			if (s->thread != t)
				continue;
			if (start == UINT64_MAX)
				start = s->time;
			if (s->time + s->weight * v->scale > end)
				end = s->time + s->weight * v->scale;
			total += s->weight * v->scale;
		}
		if (start == UINT64_MAX)
			continue;
		len = strlen(v->name) + strlen(th->name) + 64;
		name = malloc(len);
		if (!name)
			return -ENOMEM;
		snprintf(name, len, "%s: %s (tid %llu)", v->name, th->name[0] ? th->name : "thread",
			 (unsigned long long)th->tid);
		profile_head(j, first, name, v->unit, is_time ? start : 0,
			     is_time ? (end > start + total ? end : start + total) : total);
		free(name);
		inflame_json_lit(j, ",\"samples\":[");
		for (size_t i = 0; i < tl->nsamples; i++) {
			if (tl->samples[i].thread != t)
				continue;
			if (any)
				inflame_json_raw(j, ",", 1);
			any = 1;
			stack(j, v->ss, tl->samples[i].stack, map);
		}
		inflame_json_lit(j, "],\"weights\":[");
		any = 0;
		for (size_t i = 0; i < tl->nsamples; i++) {
			if (tl->samples[i].thread != t)
				continue;
			if (any)
				inflame_json_raw(j, ",", 1);
			any = 1;
			inflame_json_u64(j, tl->samples[i].weight * v->scale);
		}
		inflame_json_lit(j, "]}");
	}
	return 0;
}

int inflame_speedscope_write(FILE *f, const char *name, const struct inflame_speedscope_view *v,
			     size_t n)
{
	struct inflame_stackset *names = inflame_stackset_new();
	struct inflame_json *j = malloc(sizeof(*j));
	uint32_t **maps = calloc(n + 1, sizeof(*maps));
	int rc = -ENOMEM, first = 1;

	if (!names || !j || !maps)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (map_names(names, v[i].ss, &maps[i]) < 0)
			goto out;
	inflame_json_init(j, f);
	inflame_json_lit(j, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
			    "\"name\":");
	inflame_json_str(j, name, strlen(name));
	inflame_json_lit(j, ",\"exporter\":\"inflame\",\"activeProfileIndex\":0,"
			    "\"shared\":{\"frames\":[");
	for (size_t i = 0; i < inflame_stackset_nframes_total(names); i++) {
		size_t len;
		const char *s = inflame_stackset_name(names, (uint32_t)i, &len);
		const struct inflame_frame_meta *fm = inflame_stackset_meta(names, (uint32_t)i);

		inflame_json_lit(j, i ? ",{\"name\":" : "{\"name\":");
		inflame_json_str(j, s, len);
		if (fm && fm->file[0]) {
			uint64_t line = fm->start_line ? fm->start_line : fm->line;

			inflame_json_lit(j, ",\"file\":");
			inflame_json_str(j, fm->file, strlen(fm->file));
			if (line) {
				inflame_json_lit(j, ",\"line\":");
				inflame_json_u64(j, line);
			}
		}
		inflame_json_raw(j, "}", 1);
	}
	inflame_json_lit(j, "]},\"profiles\":[");
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (v[i].tl && v[i].tl->nsamples)
			rc = thread_profiles(j, &first, &v[i], maps[i]);
		else
			stacks_profile(j, &first, &v[i], maps[i]);
	}
	inflame_json_lit(j, "]}\n");
	if (rc == 0)
		rc = inflame_json_finish(j);
out:
	for (size_t i = 0; maps && i < n; i++)
		free(maps[i]);
	free(maps);
	free(j);
	inflame_stackset_free(names);
	return rc;
}
