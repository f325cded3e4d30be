/* End-to-end tests of inflame's invisibility in the program's signal world
 * (tests/progs/sigworld.c): a shutdown thread waiting for any signal with sigwait, sigwaitinfo,
 * sigtimedwait or a signalfd gets the program's SIGTERM, not inflame's signal; a worker created
 * with every signal blocked is sampled; every sleep and timed wait lasts as long as asked while
 * the program's own handlers still interrupt them; sigsuspend and pause wait for the program's
 * handler; masks and handlers read back as the program set them. Each runs unprofiled and under
 * the preload with each event set and unwinder, and its output and exit status must be the
 * same, byte for byte; so must the masks of the children it starts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "e2e/e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char prog_path[4096];

static const char *prog(void)
{
	if (!prog_path[0])
		snprintf(prog_path, sizeof(prog_path), "%s", e2e_build("tests/progs/sigworld"));
	return prog_path;
}

/* The settings each case runs under: every event set with the default unwinder, and all events
 * with each unwinder. */
static const char *const configs[][2] = {
    {"INFLAME_EVENTS=cpu", "INFLAME_UNWIND=auto"},
    {"INFLAME_EVENTS=wall", "INFLAME_UNWIND=auto"},
    {"INFLAME_EVENTS=alloc", "INFLAME_UNWIND=auto"},
    {"INFLAME_EVENTS=cpu,wall,alloc", "INFLAME_UNWIND=auto"},
    {"INFLAME_EVENTS=cpu,wall,alloc", "INFLAME_UNWIND=fp"},
    {"INFLAME_EVENTS=cpu,wall,alloc", "INFLAME_UNWIND=dwarf"},
};
#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))

/* Runs sigworld with args plainly, then under each of the first nconf configurations, and
 * checks stdout, stderr and the exit status are the same. */
static void same_as_unprofiled_env(const char *a1, const char *a2, size_t nconf, const char *extra)
{
	char *argv[] = {(char *)prog(), (char *)a1, (char *)a2, NULL};
	struct e2e_result plain, prof;
	char *dir = e2e_tmpdir();

	assert_int_equal(e2e_run(argv, NULL, dir, 120, &plain), 0);
	assert_true(WIFEXITED(plain.status));
	for (size_t i = 0; i < nconf; i++) {
		/* (INFLAME_LOG unset: inflame is quiet by default, stderr included.) */
		char *env[] = {(char *)configs[i][0], (char *)configs[i][1], (char *)extra, NULL};

		assert_int_equal(e2e_run_preloaded(dir, argv, env, 120, &prof), 0);
		if (strcmp(plain.out, prof.out) || strcmp(plain.err, prof.err) ||
		    plain.status != prof.status) {
			fprintf(stderr,
				"sigworld %s %s under %s %s differs from the unprofiled run:\n"
				"--- unprofiled (status %d)\n%s%s--- profiled (status %d)\n%s%s",
				a1, a2 ? a2 : "", configs[i][0], configs[i][1], plain.status,
				plain.out, plain.err, prof.status, prof.out, prof.err);
			fail();
		}
		e2e_result_free(&prof);
	}
	e2e_result_free(&plain);
	e2e_rmdir(dir);
}

static void same_as_unprofiled(const char *a1, const char *a2, size_t nconf)
{
	same_as_unprofiled_env(a1, a2, nconf, NULL);
}

/* A thread that blocks every signal and waits for any: it must get the program's SIGTERM. */
static void test_sigwait(void **state)
{
	(void)state;
	same_as_unprofiled("wait", "sigwait", NCONFIGS);
}

static void test_sigwaitinfo(void **state)
{
	(void)state;
	same_as_unprofiled("wait", "sigwaitinfo", 4);
}

static void test_sigtimedwait(void **state)
{
	(void)state;
	same_as_unprofiled("wait", "sigtimedwait", 4);
}

static void test_signalfd(void **state)
{
	(void)state;
	same_as_unprofiled("wait", "signalfd", 4);
}

/* Every shielded call lasts as long as asked; the program's SIGALRM still interrupts them. */
static void test_sleeps(void **state)
{
	(void)state;
	same_as_unprofiled("sleeps", NULL, NCONFIGS);
}

static void test_suspend(void **state)
{
	(void)state;
	same_as_unprofiled("suspend", NULL, NCONFIGS);
}

static void test_masks(void **state)
{
	(void)state;
	same_as_unprofiled("masks", NULL, 4);
}

/* Children started while the program blocks SIGPROF start with it blocked, profiled or not. */
static void test_children(void **state)
{
	(void)state;
	same_as_unprofiled("children", NULL, 4);
	same_as_unprofiled_env("children", NULL, 4, "INFLAME_FOLLOW_CHILDREN=0");
}

/* A worker created while every signal was blocked burns 1 s of CPU: its samples must be there
 * (about 999; before, it had none), and the program sees the mask it set. */
static void test_blocked_worker_sampled(void **state)
{
	char *argv[] = {(char *)prog(), "blocked", NULL};
	char *env[] = {"INFLAME_EVENTS=cpu", NULL};
	struct e2e_result r;
	struct e2e_folded f;
	char *dir = e2e_tmpdir(), **names;
	size_t n;
	uint64_t worker;

	(void)state;
	assert_int_equal(e2e_run_preloaded(dir, argv, env, 120, &r), 0);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	assert_string_equal(r.out, "main thread SIGPROF blocked after restore: no\n");
	n = e2e_list(dir, "prof.", &names);
	assert_int_equal(n, 1);
	assert_int_equal(e2e_collapse(NULL, names, n, &f), 0);
	worker = e2e_contains_sum(&f, "worker_all_blocked");
	printf("# blocked worker: %llu of %llu samples\n", (unsigned long long)worker,
	       (unsigned long long)f.total);
	assert_true(worker >= 300);
	e2e_folded_free(&f);
	e2e_list_free(names, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sigwait),
	    cmocka_unit_test(test_sigwaitinfo),
	    cmocka_unit_test(test_sigtimedwait),
	    cmocka_unit_test(test_signalfd),
	    cmocka_unit_test(test_sleeps),
	    cmocka_unit_test(test_suspend),
	    cmocka_unit_test(test_masks),
	    cmocka_unit_test(test_children),
	    cmocka_unit_test(test_blocked_worker_sampled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
