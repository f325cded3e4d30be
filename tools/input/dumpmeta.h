/*
 * What an exporter needs to know about a dump besides its stacks: the process, the sampling
 * frequency, the wall-clock span the file covers, whether the writer finished it, and which
 * events have samples. One walk over the chunks; nothing is symbolized.
 */
#ifndef INFLAME_DUMPMETA_H
#define INFLAME_DUMPMETA_H

#include <stddef.h>
#include <stdint.h>

struct inflame_dumpmeta {
	uint64_t pid;
	uint64_t frequency;	   /* samples per second of CPU (and of wall time); 0 unknown */
	uint64_t start_ns, end_ns; /* the file's slice of the run, ns since the epoch */
	int complete;		   /* its END chunk is present */
	unsigned events;	   /* bit 1 << INFLAME_EV_x for each event with samples */
	char comm[64];		   /* the executable's base name */
};

/* Reads path's metadata. Returns 1 for a dump, 0 for a file that is not one (m untouched),
 * or a negative errno with a one-line reason in err (unreadable, damaged header). */
int inflame_dumpmeta_read(const char *path, struct inflame_dumpmeta *m, char *err, size_t errlen);

#endif
