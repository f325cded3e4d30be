/* End-to-end tests of allocation profiling: programs whose allocations are known exactly run
 * under the preload with INFLAME_EVENTS=alloc, and the views read back from their dumps must
 * match. Full tracing (INFLAME_ALLOC_RATE=1) must be exact; sampling must estimate bytes within
 * stated tolerances. Also: the whole malloc family, C++ new/delete, jemalloc's API, threads
 * that free what others allocated, allocation from signal handlers and around dlopen, fork
 * in a loop and thread churn must neither deadlock nor change the program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "e2e/e2e.h"

#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define ALLOCS(mode) (char *)e2e_build("tests/progs/allocs"), mode

/* Runs prog under the preload in dir with INFLAME_EVENTS=alloc and rate (NULL: the default)
 * plus extra settings; asserts it exited 0. */
static void run_alloc(const char *dir, char *const prog[], const char *rate,
		      char *const extra_env[], struct e2e_result *r)
{
	char rate_env[64];
	char *env[16];
	int n = 0;

	env[n++] = "INFLAME_EVENTS=alloc";
	if (rate) {
		snprintf(rate_env, sizeof(rate_env), "INFLAME_ALLOC_RATE=%s", rate);
		env[n++] = rate_env;
	}
	for (int i = 0; extra_env && extra_env[i] && n < 15; i++)
		env[n++] = extra_env[i];
	env[n] = NULL;
	assert_int_equal(e2e_run_preloaded(dir, prog, env, 120, r), 0);
	if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0)
		fprintf(stderr, "%s exited with %d: %s\n", prog[0], r->status, r->err);
	assert_true(WIFEXITED(r->status));
	assert_int_equal(WEXITSTATUS(r->status), 0);
}

/* The one dump in dir, read with --event view. */
static void collapse_view(const char *dir, const char *view, struct e2e_folded *f)
{
	const char *extra[] = {"--event", view, NULL};
	char **files;
	size_t n = e2e_list(dir, "prof.", &files);

	assert_int_equal(n, 1);
	assert_int_equal(e2e_collapse(extra, files, n, f), 0);
	e2e_list_free(files, n);
}

static uint64_t view_sum(const char *dir, const char *view, const char *frame)
{
	struct e2e_folded f;
	uint64_t v;

	collapse_view(dir, view, &f);
	v = e2e_contains_sum(&f, frame);
	e2e_folded_free(&f);
	return v;
}

/* `inflame info` of the one dump in dir (caller frees). */
static char *info_of(const char *dir)
{
	char **files;
	size_t n = e2e_list(dir, "prof.", &files);
	char *out;

	assert_int_equal(n, 1);
	out = e2e_info(files[0]);
	assert_non_null(out);
	e2e_list_free(files, n);
	return out;
}

static void assert_within(uint64_t got, uint64_t want, double tolerance, const char *what)
{
	double ratio = want ? (double)got / (double)want : 0;

	if (ratio < 1 - tolerance || ratio > 1 + tolerance)
		fprintf(stderr, "%s: got %llu, want %llu +- %.0f%%\n", what,
			(unsigned long long)got, (unsigned long long)want, tolerance * 100);
	assert_true(ratio >= 1 - tolerance && ratio <= 1 + tolerance);
}

/* Full tracing: bytes, counts and leaks per site are exact, with nothing dropped. */
static void test_sites_full(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("sites"), "100", NULL};
	struct e2e_result r;
	char *text;

	(void)state;
	run_alloc(dir, prog, "1", NULL, &r);
	assert_int_equal(view_sum(dir, "alloc", "site_a"), e2e_truth(r.out, "bytes_a"));
	assert_int_equal(view_sum(dir, "alloc", "site_b"), e2e_truth(r.out, "bytes_b"));
	assert_int_equal(view_sum(dir, "alloc", "site_c"), e2e_truth(r.out, "bytes_c"));
	assert_int_equal(view_sum(dir, "alloc-count", "site_a"), e2e_truth(r.out, "count_a"));
	assert_int_equal(view_sum(dir, "alloc-count", "site_b"), e2e_truth(r.out, "count_b"));
	assert_int_equal(view_sum(dir, "alloc-count", "site_c"), e2e_truth(r.out, "count_c"));
	assert_int_equal(view_sum(dir, "live", "site_a"), e2e_truth(r.out, "leak_a"));
	assert_int_equal(view_sum(dir, "live-count", "site_a"), e2e_truth(r.out, "count_a") / 8);
	assert_int_equal(view_sum(dir, "live", "site_b"), 0);
	assert_int_equal(view_sum(dir, "live", "site_c"), 0);
	text = info_of(dir);
	assert_non_null(strstr(text, "drops:       ring 0, stack table 0"));
	free(text);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* Sampling (mean 64 KiB): freed blocks are not live; bytes per site within 12%, shares within
 * 3 points of 1:2:4, the leak within 15% (over six runs the errors seen were below 4%). */
static void test_sites_sampled(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("sites"), "200", NULL};
	struct e2e_result r;
	uint64_t a, b, c;

	char *env[] = {"INFLAME_BUFFER_KB=8192", NULL};
	char *text;

	(void)state;
	run_alloc(dir, prog, "65536", env, &r);
	/* Freed blocks are never live, whatever happened. */
	assert_int_equal(view_sum(dir, "live", "site_b"), 0);
	assert_int_equal(view_sum(dir, "live", "site_c"), 0);
	text = info_of(dir);
	if (!strstr(text, "drops:       ring 0,")) {
		/* A starved writer (an overloaded machine) made the sampler drop samples, and
		 * inflame info says so: the estimates are not checked then. */
		fprintf(stderr, "samples dropped, estimates not checked:\n%s", text);
		free(text);
		e2e_result_free(&r);
		e2e_rmdir(dir);
		return;
	}
	free(text);
	a = view_sum(dir, "alloc", "site_a");
	b = view_sum(dir, "alloc", "site_b");
	c = view_sum(dir, "alloc", "site_c");
	assert_within(a, e2e_truth(r.out, "bytes_a"), 0.12, "site_a bytes");
	assert_within(b, e2e_truth(r.out, "bytes_b"), 0.12, "site_b bytes");
	assert_within(c, e2e_truth(r.out, "bytes_c"), 0.12, "site_c bytes");
	assert_true((double)a / (double)(a + b + c) > 1.0 / 7 - 0.03);
	assert_true((double)a / (double)(a + b + c) < 1.0 / 7 + 0.03);
	assert_true((double)c / (double)(a + b + c) > 4.0 / 7 - 0.03);
	assert_true((double)c / (double)(a + b + c) < 4.0 / 7 + 0.03);
	/* About 215 sample points fall in the leaked 14 MB: one standard deviation of the
	 * estimate is about 7%, and 15% failed about one run in twenty (seen once here). */
	assert_within(view_sum(dir, "live", "site_a"), e2e_truth(r.out, "leak_a"), 0.25,
		      "site_a leak");
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* Sampling in a program with one thread: inflame starts no writer thread (a second thread
 * makes the C library's malloc take locks); the allocation hooks write the dump as the
 * program runs, and nothing is lost. */
static void test_single_thread(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("steady"), "600", NULL};
	struct e2e_result r;
	unsigned long long allocs = 0, frees = 0;
	const char *p;
	char *text;

	(void)state;
	run_alloc(dir, prog, NULL, NULL, &r);
	assert_int_equal(e2e_truth(r.out, "threads"), 1);
	assert_int_equal(e2e_truth(r.out, "grew"), 1);
	text = info_of(dir);
	p = strstr(text, "samples:");
	if (!p ||
	    sscanf(p, "samples: cpu %*u, wall %*u, alloc %llu, free %llu", &allocs, &frees) != 2 ||
	    !strstr(text, "drops:       ring 0,"))
		fprintf(stderr, "%s", text);
	assert_non_null(strstr(text, "drops:       ring 0,"));
	free(text);
	/* The program frees every block but stdout's buffer (sampled about one run in a
	 * hundred): each sampled allocation's free was recorded. */
	assert_true(allocs > 100);
	assert_true(frees <= allocs && frees + 1 >= allocs);
	assert_true(view_sum(dir, "alloc", "site_c") > 0);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* The same with its CPU sampled too: the safe points of its CPU samples do the writer's work
 * as the hooks do (writer.c, late_point), and start no writer thread either (before: the first
 * safe point after 50 ms started it). Nothing is lost, and the CPU samples are there. */
static void test_single_thread_cpu(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("steady"), "600", NULL};
	char *env[] = {"INFLAME_EVENTS=cpu,alloc", NULL};
	struct e2e_result r;
	unsigned long long cpu = 0, allocs = 0, frees = 0;
	const char *p;
	char *text;

	(void)state;
	assert_int_equal(e2e_run_preloaded(dir, prog, env, 120, &r), 0);
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 0);
	text = info_of(dir);
	if (e2e_truth(r.out, "threads") != 1)
		fprintf(stderr, "%s", text);
	assert_int_equal(e2e_truth(r.out, "threads"), 1);
	p = strstr(text, "samples:");
	if (!p ||
	    sscanf(p, "samples: cpu %llu, wall %*u, alloc %llu, free %llu", &cpu, &allocs,
		   &frees) != 3 ||
	    !strstr(text, "drops:       ring 0,"))
		fprintf(stderr, "%s", text);
	assert_non_null(strstr(text, "drops:       ring 0,"));
	assert_non_null(strstr(text, "status:      complete"));
	/* Up to 600 ms of CPU at 999 Hz (less on a loaded machine). */
	assert_true(cpu > 50);
	assert_true(allocs > 100);
	assert_true(frees <= allocs && frees + 1 >= allocs);
	free(text);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* A program with one thread whose allocations all come through the C library (strdup): no
 * sampled stack is a safe one for the hooks to do the writer's work at, yet its ring is
 * drained in time, with no writer thread (before: 31533 of 38086 samples dropped on a 1.3 s
 * run). */
static void test_libc_only(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("libcdup"), "2000", NULL};
	struct e2e_result r;
	unsigned long long allocs = 0;
	const char *p;
	char *text;

	(void)state;
	run_alloc(dir, prog, NULL, NULL, &r);
	assert_int_equal(e2e_truth(r.out, "threads"), 1);
	text = info_of(dir);
	p = strstr(text, "samples:");
	if (!p || sscanf(p, "samples: cpu %*u, wall %*u, alloc %llu", &allocs) != 1 ||
	    !strstr(text, "drops:       ring 0,") || allocs < 12000)
		fprintf(stderr, "%s", text);
	assert_non_null(strstr(text, "drops:       ring 0,"));
	/* 8 GB in 2 million allocations: about 49000 samples at the default rate, far more than
	 * the ring holds at once (about 6500 of these records) */
	assert_true(allocs >= 12000);
	free(text);
	assert_true(view_sum(dir, "alloc", "mode_libcdup") > 0);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* Full tracing of a program that frees more blocks in a row than the writer keeps waiting
 * (PENDING_MAX, a million; 1.5 million hung on main) without allocating: every FREE reads the
 * number of the last ALLOC, and they were all held back for an ALLOC that never came, until the
 * producer waited for room for ever. It must finish, with every block freed. */
static void test_free_only(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("freeall"), "2000", NULL};
	char *env[] = {"INFLAME_EVENTS=alloc", "INFLAME_ALLOC_RATE=1", NULL};
	struct e2e_result r;
	unsigned long long frees = 0;
	const char *p;
	char *text;

	(void)state;
	assert_int_equal(e2e_run_preloaded(dir, prog, env, 60, &r), 0);
	if (!WIFEXITED(r.status))
		fprintf(stderr, "freeall did not finish (status %d)\n", r.status);
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 0);
	assert_int_equal(e2e_truth(r.out, "blocks"), 2000000);
	text = info_of(dir);
	p = strstr(text, "samples:");
	if (!p || sscanf(p, "samples: cpu %*u, wall %*u, alloc %*u, free %llu", &frees) != 1)
		fprintf(stderr, "%s", text);
	assert_true(frees >= 2000000);
	free(text);
	assert_int_equal(view_sum(dir, "alloc", "freeall_site"), 2000000ull * 32);
	assert_int_equal(view_sum(dir, "live", "freeall_site"), 0);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* The whole family, full tracing: what stays live at exit per site, exactly. realloc(p, 0)
 * leaves nothing; a failed realloc leaves the old block. */
static void test_family(void **state)
{
	static const char *const sites[] = {"chain",   "fail",	"array",  "memalign",
					    "aligned", "posix", "valloc", "pvalloc"};
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("family"), NULL};
	struct e2e_result r;
	struct e2e_folded f;

	(void)state;
	run_alloc(dir, prog, "1", NULL, &r);
	assert_non_null(strstr(r.out, "usable 1"));
	collapse_view(dir, "live", &f);
	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		char frame[64];

		snprintf(frame, sizeof(frame), "%s_site", sites[i]);
		if (e2e_contains_sum(&f, frame) != e2e_truth(r.out, sites[i]))
			fprintf(stderr, "%s: %llu\n", frame,
				(unsigned long long)e2e_contains_sum(&f, frame));
		assert_int_equal(e2e_contains_sum(&f, frame), e2e_truth(r.out, sites[i]));
	}
	assert_int_equal(e2e_contains_sum(&f, "zero_site"), 0);
	e2e_folded_free(&f);
	/* The chain allocated 100 + 1000 + 10000 + 50 bytes on the way. */
	assert_int_equal(view_sum(dir, "alloc", "chain_site"), 11150);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* Producers allocate, a consumer frees: all bytes seen, none live (the FREE events of the
 * consumer are ordered after the producers' ALLOC events of the same addresses). */
static void test_threads(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("threads"), "100000", NULL};
	struct e2e_result r;

	(void)state;
	run_alloc(dir, prog, "1", NULL, &r);
	assert_int_equal(view_sum(dir, "alloc", "producer"), e2e_truth(r.out, "producer_bytes"));
	assert_int_equal(view_sum(dir, "live", "producer"), 0);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* The counts of `inflame info` of the dump file: ALLOC and FREE samples, asserting that at
 * most kept blocks were not freed; whether it dropped nothing (the counts are only checked
 * then). */
static int info_counts(const char *file, unsigned long long *allocs, unsigned long long *frees,
		       unsigned kept)
{
	char *text = e2e_info(file);
	const char *p = text ? strstr(text, "samples:") : NULL;
	int clean;

	assert_non_null(p);
	assert_int_equal(
	    sscanf(p, "samples: cpu %*u, wall %*u, alloc %llu, free %llu", allocs, frees), 2);
	clean = strstr(text, "drops:       ring 0,") != NULL;
	if (!clean || *frees > *allocs || *frees + kept < *allocs)
		fprintf(stderr, "%s", text);
	free(text);
	if (clean) {
		assert_true(*frees <= *allocs);
		assert_true(*frees + kept >= *allocs);
	}
	return clean;
}

/* Sampling, with blocks passed between threads: producers allocate, a consumer frees. The
 * table of sampled blocks is empty most of the time, when frees ask nothing but its count
 * (ptrtab.h): yet the free of every sampled block is recorded, in the thread that frees it. */
static void test_threads_sampled(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("threads"), "100000", NULL};
	char *env[] = {"INFLAME_BUFFER_KB=8192", NULL};
	struct e2e_result r;
	unsigned long long allocs, frees;
	char **files;

	(void)state;
	run_alloc(dir, prog, "4096", env, &r);
	assert_int_equal(e2e_list(dir, "prof.", &files), 1);
	/* At most five blocks kept: the stdout buffer and the thread vector (allocate_dtv) of
	 * each of the four threads, which the C library keeps with the thread's cached stack. With
	 * two allowed, 4 of 150 runs of main failed and 5 of 150 with the start-up cuts (issue
	 * 11), every extra block a thread vector. */
	if (info_counts(files[0], &allocs, &frees, 5)) {
		const char *extra[] = {"--event", "live", NULL};
		struct e2e_folded f;

		assert_true(allocs > 10000);
		/* What the C library keeps (the stdout buffer, the thread vectors) may be live,
		 * when it was sampled; never a producer's block. */
		if (allocs > frees) {
			assert_int_equal(e2e_collapse(extra, files, 1, &f), 0);
			assert_int_equal(e2e_contains_sum(&f, "producer"), 0);
			e2e_folded_free(&f);
		}
	}
	e2e_list_free(files, 1);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* fork in a loop, sampling every few bytes: each child, whose table was emptied at fork, still
 * records the free of every block it sampled. */
static void test_fork_sampled(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("fork"), "10", NULL};
	char *env[] = {"INFLAME_BUFFER_KB=8192", NULL};
	struct e2e_result r;
	unsigned long long allocs, frees;
	char **files;
	size_t n;

	(void)state;
	run_alloc(dir, prog, "64", env, &r);
	assert_string_equal(r.out, "done\n");
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 11);
	for (size_t i = 0; i < n; i++) {
		/* (the parent's stdout buffer stays) */
		if (info_counts(files[i], &allocs, &frees, 1))
			assert_true(allocs >= 1);
	}
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* The peak view shows the live set at its highest: phase one's blocks, not phase two's. */
static void test_peak(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("peak"), NULL};
	struct e2e_result r;

	(void)state;
	run_alloc(dir, prog, "1", NULL, &r);
	assert_int_equal(view_sum(dir, "peak", "peak_one"), e2e_truth(r.out, "peak"));
	assert_int_equal(view_sum(dir, "peak", "peak_two"), 0);
	assert_int_equal(view_sum(dir, "live", "peak_one"), 0);
	assert_int_equal(view_sum(dir, "live", "peak_two") + view_sum(dir, "live", "peak_three"),
			 e2e_truth(r.out, "end"));
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* The same run written to three dump files (the dump signal at the peak and after the frees):
 * given all of them, the live and peak views are the run's, not the sums of each file's. */
static void test_peak_rotated(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("peak"), "rotate", NULL};
	struct e2e_result r;
	struct e2e_folded f;
	char **files;
	size_t n;
	const char *peak[] = {"--event", "peak", NULL}, *live[] = {"--event", "live", NULL};

	(void)state;
	run_alloc(dir, prog, "1", NULL, &r);
	n = e2e_list(dir, "prof.", &files);
	assert_true(n >= 2);
	assert_int_equal(e2e_collapse(peak, files, n, &f), 0);
	assert_int_equal(e2e_contains_sum(&f, "peak_one"), e2e_truth(r.out, "peak"));
	assert_int_equal(e2e_contains_sum(&f, "peak_two"), 0);
	e2e_folded_free(&f);
	assert_int_equal(e2e_collapse(live, files, n, &f), 0);
	assert_int_equal(e2e_contains_sum(&f, "peak_one"), 0);
	assert_int_equal(e2e_contains_sum(&f, "peak_two") + e2e_contains_sum(&f, "peak_three"),
			 e2e_truth(r.out, "end"));
	e2e_folded_free(&f);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* C++: new, new[], aligned new, nothrow new and their deletes reach the wrappers. libstdc++
 * has no frame pointers, so the DWARF unwinder finds the calling functions. */
static void test_cxx(void **state)
{
	static const char *const sites[][2] = {{"cxx_plain(int)", "cxx_plain"},
					       {"cxx_array(int)", "cxx_array"},
					       {"cxx_aligned(int)", "cxx_aligned"},
					       {"cxx_nothrow(int)", "cxx_nothrow"},
					       {"cxx_keep()", "cxx_keep"}};
	char *dir = e2e_tmpdir();
	char *prog[] = {(char *)e2e_build("tests/progs/allocs_cxx"), "1000", NULL};
	char *env[] = {"INFLAME_UNWIND=dwarf", NULL};
	struct e2e_result r;
	struct e2e_folded f;

	(void)state;
	run_alloc(dir, prog, "1", env, &r);
	collapse_view(dir, "alloc", &f);
	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++)
		assert_int_equal(e2e_contains_sum(&f, sites[i][0]), e2e_truth(r.out, sites[i][1]));
	e2e_folded_free(&f);
	collapse_view(dir, "live", &f);
	assert_int_equal(e2e_contains_sum(&f, "cxx_keep()"), 480);
	assert_int_equal(e2e_contains_sum(&f, "cxx_plain(int)"), 0);
	assert_int_equal(e2e_contains_sum(&f, "cxx_aligned(int)"), 0);
	e2e_folded_free(&f);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

#ifdef HAVE_JEMALLOC
/* A program linked against jemalloc: its allocator's API and malloc/free are profiled. */
static void test_jemalloc(void **state)
{
	static const char *const sites[] = {"je_mallocx", "je_rallocx", "je_malloc"};
	char *dir = e2e_tmpdir();
	char *prog[] = {(char *)e2e_build("tests/progs/allocs_je"), "1000", NULL};
	struct e2e_result r;

	(void)state;
	run_alloc(dir, prog, "1", NULL, &r);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(view_sum(dir, "alloc", sites[i]), e2e_truth(r.out, sites[i]));
	assert_int_equal(view_sum(dir, "live", "je_keep"), 7777);
	assert_int_equal(view_sum(dir, "live", "je_mallocx"), 0);
	assert_int_equal(view_sum(dir, "live", "je_rallocx"), 0);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}
#endif

/* Allocations from a signal handler that interrupts allocations (and inflame's wrappers):
 * no deadlock, the same output, and in full tracing every one of the handler's allocations.
 * libsigalloc.so is an allocator that may be re-entered from a handler (glibc's may not). */
static void test_signal(void **state)
{
	const char *rates[] = {"1", "4096"};

	(void)state;
	for (int i = 0; i < 2; i++) {
		char *dir = e2e_tmpdir();
		char *prog[] = {(char *)e2e_build("tests/progs/allocs_sig"), "300000", NULL};
		char preload[8400];
		char *env[] = {preload, NULL};
		struct e2e_result r;
		const char *h;

		snprintf(preload, sizeof(preload), "LD_PRELOAD=%s:%s",
			 e2e_build("preload/.libs/libinflame.so"),
			 e2e_build("tests/progs/.libs/libsigalloc.so"));
		run_alloc(dir, prog, rates[i], env, &r);
		assert_string_equal(r.out, "done\n");
		h = strstr(r.err, "handled ");
		assert_non_null(h);
		assert_true(atoi(h + 8) > 0);
		if (i == 0) {
			uint64_t want = 2 * (uint64_t)atoi(h + 8);
			uint64_t got = view_sum(dir, "alloc-count", "handler_site");

			if (got != want) {
				/* A handler's allocation that interrupted a producer whose ring
				 * was full cannot wait for room (an overloaded machine): it is
				 * dropped, and must be counted as such. */
				char *text = info_of(dir);
				const char *d = strstr(text, "drops:       ring ");

				fprintf(stderr, "handler allocations %llu of %llu:\n%s",
					(unsigned long long)got, (unsigned long long)want, text);
				assert_non_null(d);
				assert_true(got < want);
				assert_true(got + strtoull(d + 18, NULL, 10) >= want);
				free(text);
			}
		}
		e2e_result_free(&r);
		e2e_rmdir(dir);
	}
}

/* dlopen with RTLD_DEEPBIND is noted (once, in the dump, not on the program's stderr) and
 * works; a thread allocating while the loader runs does not deadlock. */
static void test_dlopen(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("dlopen"), "200", NULL};
	struct e2e_result r;
	char **files;
	size_t n;
	char *text;

	(void)state;
	run_alloc(dir, prog, "1024", NULL, &r);
	assert_string_equal(r.out, "done\n");
	assert_null(strstr(r.err, "inflame"));
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 1);
	text = e2e_info(files[0]);
	assert_non_null(text);
	assert_non_null(strstr(text, "RTLD_DEEPBIND removed"));
	assert_null(strstr(strstr(text, "RTLD_DEEPBIND removed") + 1, "RTLD_DEEPBIND removed"));
	free(text);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* fork in a loop: every child writes its own complete dump of its own allocations. */
static void test_fork_loop(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("fork"), "30", NULL};
	struct e2e_result r;
	char **files;
	size_t n;

	(void)state;
	run_alloc(dir, prog, "1", NULL, &r);
	assert_string_equal(r.out, "done\n");
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 31);
	for (size_t i = 0; i < n; i++) {
		const char *extra[] = {"--event", "alloc-count", NULL};
		struct e2e_folded f;

		assert_int_equal(e2e_collapse(extra, &files[i], 1, &f), 0);
		/* a child: exactly its 1000 allocations in mode_fork; the parent: 30, and 31
		 * when the unwinder sees through libc (INFLAME_UNWIND=auto, the default): then
		 * the stdio buffer that printf allocates in mode_fork counts too */
		assert_true(e2e_contains_sum(&f, "mode_fork") == 1000 ||
			    e2e_contains_sum(&f, "mode_fork") == 30 ||
			    e2e_contains_sum(&f, "mode_fork") == 31);
		e2e_folded_free(&f);
	}
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* Thread churn: 200 short threads, every allocation seen, none live. */
static void test_churn(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("churn"), "50", NULL};
	struct e2e_result r;

	(void)state;
	run_alloc(dir, prog, "1", NULL, &r);
	assert_string_equal(r.out, "done\n");
	assert_int_equal(view_sum(dir, "alloc-count", "churn_thread"), 50 * 4 * 200);
	assert_int_equal(view_sum(dir, "live", "churn_thread"), 0);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* Without alloc in INFLAME_EVENTS the wrappers only forward: no allocation samples. */
static void test_inert(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {ALLOCS("sites"), "20", NULL};
	char *env[] = {"INFLAME_EVENTS=cpu", NULL};
	struct e2e_result r;
	char *text;

	(void)state;
	run_alloc(dir, prog, "1", env, &r);
	text = info_of(dir);
	assert_non_null(strstr(text, "alloc 0, free 0"));
	free(text);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* Full tracing of two call paths that share their leaf frames (tests/progs/sharedleaf.c), by
 * the unwind tables (the program keeps no frame pointers; auto and dwarf): the call-site cache
 * of the hooks sees one first frame for two stacks and must give each allocation its own,
 * exactly, while it serves most of them (the writer's debug line counts them). wide: four
 * paths above one first frame, all of which the cache must keep. */
static void shared_leaf(const char *unwind, int wide)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {(char *)e2e_build("tests/progs/sharedleaf"), "60", wide ? "wide" : NULL,
			NULL};
	char unwind_env[64], log_env[512], log_path[400], *text;
	char *env[] = {unwind_env, log_env, "INFLAME_BUFFER_KB=8192", NULL};
	static const char *const names[2][4] = {{"path_a", "path_b", "outer_a", "outer_b"},
						{"path_a", "path_b", "path_c", "path_d"}};
	static const char *const seqs[2][4] = {{"path_a;mid;leaf_alloc", "path_b;mid;leaf_alloc",
						"outer_a;common;mid;leaf_alloc",
						"outer_b;common;mid;leaf_alloc"},
					       {"path_a;mid;leaf_alloc", "path_b;mid;leaf_alloc",
						"path_c;mid;leaf_alloc", "path_d;mid;leaf_alloc"}};
	struct e2e_result r;
	unsigned long long hits = 0, walked = 0;
	const char *p;

	snprintf(unwind_env, sizeof(unwind_env), "INFLAME_UNWIND=%s", unwind);
	snprintf(log_path, sizeof(log_path), "%s/log", dir);
	snprintf(log_env, sizeof(log_env), "INFLAME_LOG=debug:%s", log_path);
	run_alloc(dir, prog, "1", env, &r);
	/* (the two paths of each pair meet mid at the same place: one first frame for both) */
	assert_int_equal(e2e_truth(r.out, "same_sp"), 1);
	for (int i = 0; i < 4; i++) {
		char truth[64];
		uint64_t want, got, whole;

		snprintf(truth, sizeof(truth), "count_%s", names[wide][i]);
		want = e2e_truth(r.out, truth);
		got = view_sum(dir, "alloc-count", names[wide][i]);
		whole = view_sum(dir, "alloc-count", seqs[wide][i]);
		if (got != want || whole != want)
			fprintf(stderr, "%s (%s): %llu allocations, %llu under %s, want %llu\n",
				names[wide][i], unwind, (unsigned long long)got,
				(unsigned long long)whole, seqs[wide][i], (unsigned long long)want);
		assert_int_equal(got, want);
		assert_int_equal(whole, want);
		snprintf(truth, sizeof(truth), "bytes_%s", names[wide][i]);
		assert_int_equal(view_sum(dir, "alloc", names[wide][i]), e2e_truth(r.out, truth));
	}
	text = e2e_read_file(log_path);
	assert_non_null(text);
	/* (the counts so far at each file written: the last line's) */
	p = NULL;
	for (const char *q = strstr(text, "allocation stacks from the call-site cache"); q;
	     q = strstr(q + 1, "allocation stacks from the call-site cache"))
		p = q;
	if (!p ||
	    sscanf(p, "allocation stacks from the call-site cache %llu, walked %llu", &hits,
		   &walked) != 2 ||
	    hits < 45000)
		fprintf(stderr, "%s\n", text);
	/* 60000 allocations from two first frames, two stacks each, or from one with four: nearly
	 * all from the cache (29939 when each first frame kept one stack; wide, 30074 when it kept
	 * two) */
	assert_true(hits >= 45000);
	free(text);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

static void test_shared_leaf_auto(void **state)
{
	(void)state;
	shared_leaf("auto", 0);
}

static void test_shared_leaf_dwarf(void **state)
{
	(void)state;
	shared_leaf("dwarf", 0);
}

static void test_shared_leaf_wide(void **state)
{
	(void)state;
	shared_leaf("auto", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sites_full),
	    cmocka_unit_test(test_sites_sampled),
	    cmocka_unit_test(test_single_thread),
	    cmocka_unit_test(test_single_thread_cpu),
	    cmocka_unit_test(test_libc_only),
	    cmocka_unit_test(test_free_only),
	    cmocka_unit_test(test_family),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_threads_sampled),
	    cmocka_unit_test(test_fork_sampled),
	    cmocka_unit_test(test_peak),
	    cmocka_unit_test(test_peak_rotated),
	    cmocka_unit_test(test_cxx),
#ifdef HAVE_JEMALLOC
	    cmocka_unit_test(test_jemalloc),
#endif
	    cmocka_unit_test(test_signal),
	    cmocka_unit_test(test_dlopen),
	    cmocka_unit_test(test_fork_loop),
	    cmocka_unit_test(test_churn),
	    cmocka_unit_test(test_inert),
	    cmocka_unit_test(test_shared_leaf_auto),
	    cmocka_unit_test(test_shared_leaf_dwarf),
	    cmocka_unit_test(test_shared_leaf_wide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
