/* End-to-end stress test of full allocation tracing (INFLAME_ALLOC_RATE=1), which promises exact
 * results: 500 threads started together allocate at once and the process exits as soon as they
 * are joined (tests/progs/allocstorm.c). Every allocation must be in the dump, or counted as
 * dropped there and shown by `inflame info`; the dump must be complete. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_storm_fp),
	    cmocka_unit_test(test_storm_auto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
