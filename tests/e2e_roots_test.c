/* End-to-end test of one root per thread with the default unwinder (auto): a program built with
 * frame pointers that spends its time in libc and the vDSO (whose samples libunwind walks) as
 * well as in its own code (frame pointers), a program with threads, and C++ allocations made
 * through libstdc++ (no frame pointers): every stack must end at _start (the main thread) or
 * clone3 (the others), not at __libc_start_call_main, start_thread or operator new. Samples
 * taken inside the dynamic loader, whose walks stop there by design, may be at most 1%. */
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

static void roots(const char *prog, const char *arg1, const char *arg2, const char *events,
		  const char *event)
{
	char *argv[] = {(char *)e2e_build(prog), (char *)arg1, (char *)arg2, NULL};
	char ev[64];
	char *env[] = {ev, "INFLAME_UNWIND=auto", "INFLAME_ALLOC_RATE=1", "INFLAME_LOG=quiet",
		       NULL};
	const char *extra[] = {"--event", event, NULL};
	struct e2e_result r;
	struct e2e_folded f;
	char *dir = e2e_tmpdir(), **names;
	size_t n;
	uint64_t good;

	snprintf(ev, sizeof(ev), "INFLAME_EVENTS=%s", events);
	assert_int_equal(e2e_run_preloaded(dir, argv, env, 120, &r), 0);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	n = e2e_list(dir, "prof.", &names);
	assert_true(n >= 1);
	assert_int_equal(e2e_collapse(extra, names, n, &f), 0);
	good = e2e_root_sum(&f, "_start;") + e2e_root_sum(&f, "clone3;");
	printf("# %s %s: %llu of %llu %s samples end at _start or clone3\n", prog, arg1 ? arg1 : "",
	       (unsigned long long)good, (unsigned long long)f.total, event);
	if (good * 100 < f.total * 99) {
		for (size_t i = 0; i < f.n; i++)
			if (strncmp(f.stacks[i], "_start;", 7) &&
			    strncmp(f.stacks[i], "clone3;", 7))
				printf("# other root: %s %llu\n", f.stacks[i],
				       (unsigned long long)f.counts[i]);
		fail();
	}
	e2e_folded_free(&f);
	e2e_list_free(names, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* Frame-pointer code calling into libc and the vDSO: leaves in both kinds of code. */
static void test_main_thread(void **state)
{
	(void)state;
	roots("tests/progs/rebuilt_a", "1", "clock", "cpu", "cpu");
}

static void test_threads(void **state)
{
	(void)state;
	roots("tests/progs/threads", "2", NULL, "cpu", "cpu");
}

/* Allocation hooks reached through libstdc++'s operator new. */
static void test_cxx_allocations(void **state)
{
	(void)state;
	roots("tests/progs/allocs_cxx", NULL, NULL, "alloc", "alloc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_main_thread),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_cxx_allocations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
