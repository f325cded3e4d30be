/*
 * Turning profiles (dumps, folded stacks, perf script text) into one pprof profile: which
 * events of which dumps become which sample types, with which period and time span. Shared by
 * `inflame pprof` and `inflame push`. Errors and warnings about inputs are printed as one line
 * each, prefixed with the command's name, as inputopts.h does.
 *
 * Events map to sample types by groups: cpu gives samples/count and cpu/nanoseconds (the
 * counts times the period, 1e9 / frequency), wall gives wall/nanoseconds, alloc gives
 * alloc_objects/count and alloc_space/bytes, live gives inuse_objects/count and
 * inuse_space/bytes, peak gives inuse_space/bytes of the peak's live set. Inputs that are not
 * dumps give samples/count.
 */
#ifndef INFLAME_PPROF_INPUTS_H
#define INFLAME_PPROF_INPUTS_H

#include "input/source.h"

#include <stddef.h>
#include <stdint.h>

enum {
	INFLAME_PPROF_G_CPU = 1,
	INFLAME_PPROF_G_WALL = 2,
	INFLAME_PPROF_G_ALLOC = 4,
	INFLAME_PPROF_G_LIVE = 8,
	INFLAME_PPROF_G_PEAK = 16,
	INFLAME_PPROF_G_TEXT = 32, /* inputs that are not dumps */
};

/* The group an --event view selects. */
unsigned inflame_pprof_group_of(enum inflame_view v);
/* The name Pyroscope's ingest API knows the group's main sample type by ("cpu", ...). */
const char *inflame_pprof_group_name(unsigned group);

struct inflame_pprof_result {
	uint8_t *gz; /* gzip-compressed profile.proto (malloc'ed) */
	size_t gzlen;
	unsigned groups;	   /* the groups with samples */
	uint64_t start_ns, end_ns; /* the span the dumps cover, 0 when unknown */
	uint64_t frequency;	   /* of the first dump, 0 when unknown */
	size_t nsamples;
};

/* The groups with samples among inputs (text inputs give INFLAME_PPROF_G_TEXT). Returns 0 or
 * a negative errno after printing why. */
int inflame_pprof_input_groups(const char *const *inputs, int n, unsigned *groups, const char *cmd);

/*
 * Builds the profile of inputs[0..n) with the sample types of groups (0: every group with
 * samples), loading with lo's options (its view is ignored; dumps are loaded with per-process
 * and per-thread roots, which become labels). Returns 0 with *res filled (free res->gz),
 * -ENODATA when nothing was sampled (said so), or another negative errno after printing why.
 */
int inflame_pprof_build(const char *const *inputs, int n, const struct inflame_load_opts *lo,
			unsigned groups, const char *cmd, struct inflame_pprof_result *res);

#endif
