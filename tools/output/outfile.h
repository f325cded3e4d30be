/*
 * Output files that appear only when complete: data is written to a temporary file in the
 * target's directory and renamed over the target on success, so a failed or interrupted run
 * never leaves a partial file that looks finished. "-" (or no path) is standard output. A target
 * that is not a regular file (/dev/null, a FIFO) is written in place; a symbolic link is
 * followed, and stays a link.
 */
#ifndef INFLAME_OUTFILE_H
#define INFLAME_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

struct inflame_outfile {
	FILE *f;    /* write here */
	char *path; /* the target, NULL for standard output */
	char *tmp;  /* the temporary file, NULL when written in place */
};

/* Opens path ("-" or NULL for stdout). Returns 0 or a negative errno with err set. */
int inflame_outfile_open(struct inflame_outfile *of, const char *path, char *err, size_t errlen);
/* Flushes, syncs the name into place and closes. Returns 0 or a negative errno with err set;
 * on failure the temporary file is removed. */
int inflame_outfile_commit(struct inflame_outfile *of, char *err, size_t errlen);
/* Closes and removes the temporary file (for error paths). Safe after commit. */
void inflame_outfile_abort(struct inflame_outfile *of);

#endif
