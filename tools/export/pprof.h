/*
 * Building a pprof profile (profile.proto, as `go tool pprof`, Grafana Pyroscope and Parca
 * read it) from stack sets, and writing it gzip-compressed.
 *
 * The sample types are declared first; then stack sets are added, each filling some of the
 * value columns of its samples (a cpu view fills "samples" with its counts and "cpu" with its
 * counts times the period). Root frames that the loader added for the process ("comm-pid")
 * and the thread ("name-tid") become the labels pid, thread_id and thread_name instead of
 * frames, and the program's own labels (a "[labels]" root frame) become string labels.
 *
 * Every distinct function name is one function. Without frame metadata in the set, it is also
 * one location (location id equals function id); with it (inflame_stackset_meta()), a
 * location is a frame and the frames inlined into it (several lines, leaf first), with an
 * address, a mapping (module, range, build-id) and line numbers. Since the stack set keys
 * frames by name, a frame's address and line are those of the first address its name was
 * seen at, not of each sample. Functions carry their source file, start line (where the
 * declaration starts) and system name (the mangled symbol of a demangled name; the name
 * itself otherwise). The process's executable is mapping 1, as pprof expects of the main
 * binary. Ids run 1..N in order of first use (mappings: executables first), and the string table
 * starts with "". Names are made valid UTF-8 without control characters (an invalid byte or a
 * control character becomes '?'), since Pyroscope's and Parca's decoders reject invalid UTF-8.
 */
#ifndef INFLAME_PPROF_H
#define INFLAME_PPROF_H

#include "view/stackset.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct inflame_pprof;

/* The most value columns a profile has. */
#define INFLAME_PPROF_MAX_TYPES 8

struct inflame_pprof *inflame_pprof_new(void);
void inflame_pprof_free(struct inflame_pprof *p);

/* Declares a sample type (before any sample is added); returns its column, or -ENOSPC, -EBUSY
 * (samples were added already), -ENOMEM. Declaring the same type and unit again returns the
 * existing column. */
int inflame_pprof_sample_type(struct inflame_pprof *p, const char *type, const char *unit);
/* The column of a declared type, or -ENOENT. */
int inflame_pprof_find_type(const struct inflame_pprof *p, const char *type);
/* period_type and period; the default sample type (pprof's default_sample_type). */
void inflame_pprof_period(struct inflame_pprof *p, const char *type, const char *unit,
			  int64_t period);
void inflame_pprof_default_type(struct inflame_pprof *p, const char *type);
/* The profile's start (ns since the epoch) and length; 0 leaves them out. */
void inflame_pprof_time(struct inflame_pprof *p, int64_t time_nanos, int64_t duration_nanos);

/* How a stack set's stacks become samples. */
struct inflame_pprof_fill {
	int pid_root;	 /* the first frame of every stack is "comm-pid" */
	int thread_root; /* the next one is "name-tid" */
	int labels_root; /* the next one is "[labels]" then "\nKEY=VALUE" per label (label_root) */
	size_t ncols;
	int col[INFLAME_PPROF_MAX_TYPES];     /* the columns it fills */
	int64_t mul[INFLAME_PPROF_MAX_TYPES]; /* each with count * mul */
};

/* Adds every stack of ss as a sample. Returns 0, -ENOMEM, or -EINVAL for a bad fill. */
int inflame_pprof_add(struct inflame_pprof *p, const struct inflame_stackset *ss,
		      const struct inflame_pprof_fill *fill);
/* Number of samples added. */
size_t inflame_pprof_nsamples(const struct inflame_pprof *p);

/* Encodes the profile (uncompressed) into *out / *len (malloc'ed). Returns 0 or -ENOMEM. */
int inflame_pprof_encode(const struct inflame_pprof *p, uint8_t **out, size_t *len);
/* Compresses data with gzip into *out / *outlen (malloc'ed). Returns 0 or -ENOMEM. */
int inflame_pprof_gzip(const uint8_t *data, size_t len, uint8_t **out, size_t *outlen);

#endif
