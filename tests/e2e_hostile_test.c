/* End-to-end tests of the preload in programs that fight back (tests/progs/hostile.c): one
 * that closes or dup2()s over every descriptor it did not open, blocks every signal in some
 * threads, installs its own SIGPROF/SIGUSR2 handlers, forks from a multithreaded state,
 * vforks and posix_spawns, execs itself, runs 1000 threads, recurses 10000 frames deep, or
 * dies of abort, SIGSEGV or a stack overflow, or runs with a corrupt stack; and stress tests of the
 * DWARF unwinder (C++ exceptions, malloc, dlopen/dlclose, glibc's own module loading and thread
 * churn in a loop at 999 Hz). Each checks that the program behaves exactly as without inflame and
 * that every dump it left is readable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "e2e/e2e.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A path that stays valid (e2e_build's buffers are reused after 8 calls). */
static char *build_path(const char *rel)
{
	static char paths[4][4096];
	static const char *rels[4];

	for (int i = 0; i < 4; i++) {
		if (!rels[i]) {
			rels[i] = rel;
			snprintf(paths[i], sizeof(paths[i]), "%s", e2e_build(rel));
		}
		if (!strcmp(rels[i], rel))
			return paths[i];
	}
	return (char *)e2e_build(rel);
}

#define HOSTILE(mode) build_path("tests/progs/hostile"), mode

/* Runs prog under the preload (plain LD_PRELOAD, as a user would) in dir. */
static void run_preloaded(const char *dir, char *const prog[], char *const extra_env[],
			  struct e2e_result *r)
{
	assert_int_equal(e2e_run_preloaded(dir, prog, extra_env, 120, r), 0);
}

static void run_plain(char *const prog[], struct e2e_result *r)
{
	char *dir = e2e_tmpdir();

	assert_int_equal(e2e_run(prog, NULL, dir, 120, r), 0);
	e2e_rmdir(dir);
}

/* Every dump in dir is readable; returns how many there are, and how many are complete in
 * *complete. Sums their cpu samples into *samples and checks nothing was dropped. */
/* How many of the last check_dumps() files info says go on in a next file (their descriptor
 * was closed or replaced by the program), and how many were incomplete. */
static size_t continued_files, incomplete_files;

static size_t check_dumps(const char *dir, size_t *complete, long *samples)
{
	char **files;
	size_t n = e2e_list(dir, "prof.", &files);

	*complete = 0;
	*samples = 0;
	continued_files = incomplete_files = 0;
	for (size_t i = 0; i < n; i++) {
		char *text = e2e_info(files[i]);
		const char *p;

		assert_non_null(text);
		if (strstr(text, "status:      complete"))
			(*complete)++;
		else
			incomplete_files++;
		if (strstr(text,
			   "status:      incomplete here: the program closed or replaced this "
			   "file's descriptor, and the profile goes on in "))
			continued_files++;
		p = strstr(text, "samples:     cpu ");
		assert_non_null(p);
		*samples += atol(p + strlen("samples:     cpu "));
		if (!strstr(text, "drops:       ring 0, stack table 0, threads 0"))
			fprintf(stderr, "%s: %s\n", files[i], text);
		assert_non_null(strstr(text, "drops:       ring 0, stack table 0, threads 0"));
		free(text);
	}
	e2e_list_free(files, n);
	return n;
}

/* Runs prog plainly and preloaded; output and status must be the same. Returns the number of
 * dumps; every one must be complete when all_complete. */
static size_t same_run(char *const prog[], char *const env[], int all_complete, long *samples)
{
	char *dir = e2e_tmpdir();
	struct e2e_result r, plain;
	size_t n, complete;
	long s;

	run_preloaded(dir, prog, env, &r);
	run_plain(prog, &plain);
	if (r.status != plain.status || strcmp(r.out, plain.out))
		fprintf(stderr, "%s %s: profiled status %d out '%s' err '%s'; plain %d '%s'\n",
			prog[0], prog[1], r.status, r.out, r.err, plain.status, plain.out);
	assert_int_equal(r.status, plain.status);
	assert_string_equal(r.out, plain.out);
	n = check_dumps(dir, &complete, &s);
	if (n == 0)
		fprintf(stderr, "%s %s: no dump; stderr: %s\n", prog[0], prog[1], r.err);
	assert_true(n >= 1);
	if (all_complete)
		assert_int_equal(complete, n);
	if (samples)
		*samples = s;
	e2e_result_free(&r);
	e2e_result_free(&plain);
	e2e_rmdir(dir);
	return n;
}

/* closefrom(3) and descriptors taken at inflame's numbers: the program's files hold only the
 * program's bytes, and profiling goes on in a new file. */
static void test_closefrom(void **state)
{
	char *prog[] = {HOSTILE("closefrom"), NULL};
	long samples;

	(void)state;
	assert_true(same_run(prog, NULL, 0, &samples) >= 2);
	assert_true(samples > 400);
	/* info names the file each incomplete one goes on in */
	assert_true(incomplete_files >= 1);
	assert_int_equal(continued_files, incomplete_files);
}

/* The same under a naming pattern with the sequence number inside the name (%n): info finds
 * the next file there too (before, only the default ".N" after the name). */
static void test_closefrom_numbered(void **state)
{
	char *prog[] = {HOSTILE("closefrom"), NULL};
	char *dir = e2e_tmpdir(), preload[4200], output[4200];
	char *env[] = {preload, output, NULL};
	struct e2e_result r;
	size_t n, complete;
	long samples;

	(void)state;
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s",
		 e2e_build("preload/.libs/libinflame.so"));
	snprintf(output, sizeof(output), "INFLAME_OUTPUT=%s/prof.%%p.%%n.ifl", dir);
	assert_int_equal(e2e_run(prog, env, dir, 120, &r), 0);
	assert_true(WIFEXITED(r.status));
	n = check_dumps(dir, &complete, &samples);
	assert_true(n >= 2);
	assert_true(incomplete_files >= 1);
	assert_int_equal(continued_files, incomplete_files);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

static void test_dup2_over_ours(void **state)
{
	char *prog[] = {HOSTILE("dup2"), NULL};
	long samples;

	(void)state;
	assert_true(same_run(prog, NULL, 0, &samples) >= 2);
	assert_true(samples > 400);
	assert_true(incomplete_files >= 1);
	assert_int_equal(continued_files, incomplete_files);
}

/* Threads that block every signal are simply not sampled; the rest is. */
static void test_signals_blocked(void **state)
{
	char *prog[] = {HOSTILE("sigblock"), NULL};
	long samples;

	(void)state;
	assert_int_equal(same_run(prog, NULL, 1, &samples), 1);
	assert_true(samples > 200);
}

/* Handlers for SIGPROF and SIGUSR2 installed early (a constructor) and late (main) run
 * exactly as often as without inflame. */
static void test_own_handlers(void **state)
{
	char *prog[] = {HOSTILE("handlers"), NULL};

	(void)state;
	same_run(prog, NULL, 1, NULL);
}

/* A handler of the sampling signal installed with SA_NODEFER is entered again by its own
 * signal, as without inflame: the program's handler runs from inflame's, which must not keep
 * the signal blocked on the thread's own stack. */
static void test_own_handler_nodefer(void **state)
{
	char *prog[] = {HOSTILE("nodefer"), NULL};

	(void)state;
	same_run(prog, NULL, 1, NULL);
}

/* The C++ exception ABI the process sees is the same as without inflame: libunwind (which
 * inflame uses) also defines _Unwind_RaiseException and must not enter the global scope. */
static void test_exception_abi(void **state)
{
	char *prog[] = {HOSTILE("unwindabi"), NULL};
	char *env[] = {"INFLAME_UNWIND=dwarf", NULL};

	(void)state;
	same_run(prog, env, 1, NULL);
}

static void test_fork_multithreaded(void **state)
{
	char *prog[] = {HOSTILE("forkmt"), NULL};

	(void)state;
	assert_int_equal(same_run(prog, NULL, 1, NULL), 2);
}

/* The fork child of a threaded parent may not use libunwind (another thread may have held its
 * lock at the fork): its stacks come from inflame's own tables, whole, in this program built
 * without frame pointers (a frame-pointer walk would lose them after the first frame or two). */
static void test_fork_child_whole_stacks(void **state)
{
	char *prog[] = {HOSTILE("forkmt"), NULL};
	const char *opts[] = {"--event", "cpu", NULL};
	char *dir = e2e_tmpdir();
	struct e2e_result r;
	char **files;
	size_t n;
	long pids[2] = {0, 0}, parents[2] = {0, 0};
	int child = -1;

	(void)state;
	run_preloaded(dir, prog, NULL, &r);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		char *text = e2e_info(files[i]);
		const char *p;

		assert_non_null(text);
		p = strstr(text, "pid:");
		assert_non_null(p);
		assert_int_equal(sscanf(p, "pid: %ld (parent %ld)", &pids[i], &parents[i]), 2);
		free(text);
	}
	child = parents[0] == pids[1] ? 0 : parents[1] == pids[0] ? 1 : -1;
	assert_true(child >= 0);
	{
		struct e2e_folded f;
		uint64_t whole, burn, kernel;

		assert_int_equal(e2e_collapse(opts, &files[child], 1, &f), 0);
		/* (the kernel pseudo-frame alone is a whole stack: system time, which grows with
		 * the machine's load, as the kernel splits user and system time on ticks: the user
		 * stacks are what this test is about) */
		kernel = e2e_kernel_sum(&f);
		whole = e2e_root_sum(&f, "_start;") + kernel;
		burn = e2e_contains_sum(&f, "main;mode_forkmt;hostile_burn");
		fprintf(stderr,
			"fork child: %llu of %llu cpu samples reach _start, %llu through "
			"main;mode_forkmt;hostile_burn, %llu in the kernel\n",
			(unsigned long long)whole, (unsigned long long)f.total,
			(unsigned long long)burn, (unsigned long long)kernel);
		assert_true(f.total - kernel >= 100);
		assert_true(whole * 100 >= f.total * 95);
		assert_true(burn * 100 >= (f.total - kernel) * 90);
		e2e_folded_free(&f);
	}
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

static void test_vfork_spawn(void **state)
{
	char *prog[] = {HOSTILE("spawn"), NULL};

	(void)state;
	assert_int_equal(same_run(prog, NULL, 1, NULL), 3);
}

/* An image that execs itself 5 times: six images, six complete files (same pid). */
static void test_exec_self(void **state)
{
	char *prog[] = {HOSTILE("execself"), "5", NULL};

	(void)state;
	assert_int_equal(same_run(prog, NULL, 1, NULL), 6);
}

static void test_1000_threads(void **state)
{
	char *prog[] = {HOSTILE("threads"), "1000", NULL};

	(void)state;
	assert_int_equal(same_run(prog, NULL, 1, NULL), 1);
}

/* 10000 frames in a program built without frame pointers: dwarf and auto cut the stacks at the
 * maximum depth and mark them truncated; every unwinder leaves a readable dump. */
static void test_deep_recursion(void **state)
{
	static const char *const unwinders[] = {"INFLAME_UNWIND=fp", "INFLAME_UNWIND=dwarf",
						"INFLAME_UNWIND=auto"};

	(void)state;
	for (size_t u = 0; u < 3; u++) {
		char *prog[] = {HOSTILE("deep"), "10000", NULL};
		char *env[] = {(char *)unwinders[u], NULL};
		char *dir = e2e_tmpdir();
		struct e2e_result r;
		char **files;
		size_t n;
		char *text;

		run_preloaded(dir, prog, env, &r);
		assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
		n = e2e_list(dir, "prof.", &files);
		assert_int_equal(n, 1);
		text = e2e_info(files[0]);
		assert_non_null(text);
		if (u > 0)
			assert_null(strstr(text, "truncated:   0 stacks"));
		free(text);
		e2e_list_free(files, n);
		e2e_result_free(&r);
		e2e_rmdir(dir);
	}
}

/* abort, SIGSEGV, stack overflow: the program dies of the same signal, the dump is readable. */
static void test_crashes(void **state)
{
	static const char *const modes[] = {"abort", "segv", "overflow"};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		char *prog[] = {HOSTILE((char *)modes[i]), NULL};

		assert_int_equal(same_run(prog, NULL, 0, NULL), 1);
	}
}

/* A function running with its return address and saved frame pointer overwritten: no
 * unwinder crashes or loops, with every unwinder. */
static void test_corrupt_stack(void **state)
{
	static const char *const unwinders[] = {"INFLAME_UNWIND=fp", "INFLAME_UNWIND=dwarf",
						"INFLAME_UNWIND=auto"};

	(void)state;
	for (size_t u = 0; u < 3; u++) {
		char *prog[] = {HOSTILE("corrupt"), NULL};
		char *env[] = {(char *)unwinders[u], NULL};
		long samples;

		assert_int_equal(same_run(prog, env, 1, &samples), 1);
		assert_true(samples > 200);
	}
}

/* The DWARF unwinder at 999 Hz while the program throws C++ exceptions in 4 threads,
 * dlopens and dlcloses in a loop, and creates and joins threads: no deadlock, no crash, no
 * drop, the same output. */
static void test_dwarf_stress(void **state)
{
	char *env[] = {"INFLAME_UNWIND=dwarf", "INFLAME_FREQUENCY=999", NULL};
	char *env_auto[] = {"INFLAME_UNWIND=auto", "INFLAME_FREQUENCY=999", NULL};
	char *throws[] = {build_path("tests/progs/throwloop"), "50000", NULL};
	char *dl[] = {HOSTILE("dlloop"), "300", NULL};
	char *libcdl[] = {HOSTILE("libcdl"), "2000", NULL};
	char *mallocs[] = {HOSTILE("mallocloop"), "2000000", NULL};
	char *churn[] = {build_path("tests/progs/lifecycle"), "churn", "1000", NULL};
	long samples;

	(void)state;
	assert_int_equal(same_run(throws, env, 1, &samples), 1);
	assert_true(samples > 100);
	assert_int_equal(same_run(throws, env_auto, 1, NULL), 1);
	assert_int_equal(same_run(dl, env, 1, NULL), 1);
	assert_int_equal(same_run(libcdl, env, 1, NULL), 1);
	assert_int_equal(same_run(mallocs, env, 1, NULL), 1);
	assert_int_equal(same_run(churn, env, 1, NULL), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_closefrom),
	    cmocka_unit_test(test_closefrom_numbered),
	    cmocka_unit_test(test_dup2_over_ours),
	    cmocka_unit_test(test_signals_blocked),
	    cmocka_unit_test(test_own_handlers),
	    cmocka_unit_test(test_own_handler_nodefer),
	    cmocka_unit_test(test_exception_abi),
	    cmocka_unit_test(test_fork_multithreaded),
	    cmocka_unit_test(test_fork_child_whole_stacks),
	    cmocka_unit_test(test_vfork_spawn),
	    cmocka_unit_test(test_exec_self),
	    cmocka_unit_test(test_1000_threads),
	    cmocka_unit_test(test_deep_recursion),
	    cmocka_unit_test(test_crashes),
	    cmocka_unit_test(test_corrupt_stack),
	    cmocka_unit_test(test_dwarf_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
