/* End-to-end tests of dumps that must stay true when a process is hard on inflame. Full
 * allocation tracing (INFLAME_ALLOC_RATE=1), which promises exact
 * results: 500 threads started together allocate at once and the process exits as soon as they
 * are joined (tests/progs/allocstorm.c). Every allocation must be in the dump, or counted as
 * dropped there and shown by `inflame info`; the dump must be complete. A process that ends
 * through the raw exit_group system call (tests/progs/rawexit.c) leaves a dump whose totals are
 * close to the truth, and info says it ended without inflame's exit path. */
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

/* The number after "key" in text (0 when missing). */
static uint64_t field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static void storm(const char *unwind, const char *threads, const char *per, int exact)
{
	char *argv[] = {(char *)e2e_build("tests/progs/allocstorm"), (char *)threads, (char *)per,
			NULL};
	char *env[] = {"INFLAME_EVENTS=alloc", "INFLAME_ALLOC_RATE=1", (char *)unwind,
		       "INFLAME_LOG=quiet", NULL};
	const char *extra[] = {"--event", "alloc-count", NULL};
	struct e2e_result r;
	struct e2e_folded f;
	char *dir = e2e_tmpdir(), **names, *info;
	size_t n;
	uint64_t truth, seen, dropped;

	assert_int_equal(e2e_run_preloaded(dir, argv, env, 600, &r), 0);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	truth = e2e_truth(r.out, "allocs");
	assert_true(truth > 0);
	n = e2e_list(dir, "prof.", &names);
	assert_int_equal(n, 1);
	info = e2e_info(names[0]);
	assert_non_null(info);
	assert_non_null(strstr(info, "status:      complete"));
	dropped = field(info, "drops:       ring ");
	assert_int_equal(e2e_collapse(extra, names, n, &f), 0);
	seen = e2e_contains_sum(&f, "storm_worker");
	printf("# %s: %llu of %llu allocations recorded, %llu dropped\n", unwind,
	       (unsigned long long)seen, (unsigned long long)truth, (unsigned long long)dropped);
	assert_true(seen <= truth);
	assert_true(seen + dropped >= truth); /* nothing lost without a count */
	if (exact)
		assert_true(seen == truth && dropped == 0);
	e2e_folded_free(&f);
	free(info);
	e2e_list_free(names, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* 500 threads x 2000 pairs with frame-pointer walks: every allocation recorded. */
static void test_storm_fp(void **state)
{
	(void)state;
	storm("INFLAME_UNWIND=fp", "500", "2000", 1);
}

/* The default unwinder walks libc with libunwind, far slower: fewer allocations, same promise. */
static void test_storm_auto(void **state)
{
	(void)state;
	storm("INFLAME_UNWIND=auto", "200", "500", 0);
}

/* The number after "key" in text, as a double (0 when missing). */
static double dfield(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtod(p + strlen(key), NULL) : 0;
}

static void test_raw_exit_group(void **state)
{
	char *argv[] = {(char *)e2e_build("tests/progs/rawexit"), NULL};
	char *env[] = {"INFLAME_EVENTS=cpu", "INFLAME_LOG=quiet", NULL};
	struct e2e_result r;
	char *dir = e2e_tmpdir(), **names, *info, *rate;
	size_t n;
	double per_cpu_s;

	(void)state;
	assert_int_equal(e2e_run_preloaded(dir, argv, env, 120, &r), 0);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	n = e2e_list(dir, "prof.", &names);
	assert_int_equal(n, 1);
	info = e2e_info(names[0]);
	assert_non_null(info);
	assert_non_null(strstr(info, "without inflame's exit path"));
	rate = strstr(info, "Hz asked, ");
	assert_non_null(rate);
	per_cpu_s = dfield(rate, "Hz asked, ");
	printf("# raw exit_group after %llu ms of CPU: %.1f samples per CPU-second\n",
	       (unsigned long long)e2e_truth(r.out, "cpu_ms"), per_cpu_s);
	/* Before, the last totals were a second old: 9517 samples per CPU-second of a 1 s run. */
	assert_true(per_cpu_s > 300 && per_cpu_s < 1300);
	free(info);
	e2e_list_free(names, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_storm_fp),
	    cmocka_unit_test(test_storm_auto),
	    cmocka_unit_test(test_raw_exit_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
