/*
 * Helpers for end-to-end tests: run programs (under `inflame record` or plainly) with extra
 * environment variables and a time limit, capture their output, list the dump files they
 * wrote, and read folded stacks back through `inflame collapse`.
 */
#ifndef INFLAME_E2E_H
#define INFLAME_E2E_H

#include <stddef.h>
#include <stdint.h>

struct e2e_result {
	int status; /* as from waitpid */
	char *out;  /* captured stdout (NUL-terminated) */
	char *err;  /* captured stderr */
};

/* Runs argv with env (NULL-terminated "K=V" entries added to ours) in dir, killing it after
 * timeout_s. Returns 0 or -1 when it could not be started. */
int e2e_run(char *const argv[], char *const env[], const char *dir, int timeout_s,
	    struct e2e_result *r);
void e2e_result_free(struct e2e_result *r);

/* e2e_run with the preload in LD_PRELOAD (as a user would set it) and INFLAME_OUTPUT set to
 * DIR/prof.%p.ifl, plus extra_env; runs in dir. Returns what e2e_run returns. */
int e2e_run_preloaded(const char *dir, char *const prog[], char *const extra_env[], int timeout_s,
		      struct e2e_result *r);
/* `inflame info FILE`: its standard output (the caller frees it), or NULL when it failed (the
 * reason is printed). */
char *e2e_info(const char *file);

/* A fresh temporary directory (removed by e2e_rmdir). */
char *e2e_tmpdir(void);
void e2e_rmdir(char *dir);
/* Path of a built file: $INFLAME_BUILDDIR/rel (static buffer per call slot). */
const char *e2e_build(const char *rel);
/* The whole text of the file at path (the caller frees it), or NULL. */
char *e2e_read_file(const char *path);
/* Files in dir whose name starts with prefix, sorted; returns the count. */
size_t e2e_list(const char *dir, const char *prefix, char ***out);
void e2e_list_free(char **names, size_t n);

/* The name readers give the kernel pseudo-frame (INFLAME_KERNEL_FRAME_NAME, dump_format.h). */
#define E2E_KERNEL_FRAME "[kernel, caller unknown]"

struct e2e_folded {
	char **stacks;
	uint64_t *counts;
	size_t n;
	uint64_t total;
};

/* Runs `inflame collapse ARGS... FILES...`; returns 0 when it exited 0 and parsed. */
int e2e_collapse(const char *const extra[], char **files, size_t nfiles, struct e2e_folded *f);
void e2e_folded_free(struct e2e_folded *f);
/* Sum of counts of stacks whose leaf (last frame) is leaf (exact match). */
uint64_t e2e_leaf_sum(const struct e2e_folded *f, const char *leaf);
/* Sum of counts of stacks that contain the ';'-joined sequence seq (e.g. "caller_a;leaf_a"). */
uint64_t e2e_contains_sum(const struct e2e_folded *f, const char *seq);
/* Sum of counts of stacks whose root frame starts with prefix. */
uint64_t e2e_root_sum(const struct e2e_folded *f, const char *prefix);
/* Sum of counts of the stacks that are the kernel pseudo-frame alone ("[kernel, caller
 * unknown]", collapse without --threads or --pid): the system time a clock firing in user code
 * only found behind its samples. Such a stack is whole: it has no caller to miss. */
uint64_t e2e_kernel_sum(const struct e2e_folded *f);
/* Reads "truth NAME VALUE" lines from text. Returns the value or 0. */
uint64_t e2e_truth(const char *text, const char *name);

#endif
