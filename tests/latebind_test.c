/*
 * The C library functions libinflame.so binds at their first call (preload/latebind.c): every
 * name the table holds is one the C library defines, each wrapper reaches the C library's
 * function and gives its result (the variadic ones through the C library's v-forms), and a
 * wrapper whose function cannot be found fails with ENOSYS instead of crashing. The lookup
 * here is dlsym(RTLD_NEXT) standing in for the interposition layer's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "latebind.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void __wrap_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
int __wrap_snprintf(char *buf, size_t n, const char *fmt, ...);
int __wrap___isoc99_sscanf(const char *s, const char *fmt, ...);
long __wrap_strtol(const char *s, char **end, int base);
char *__wrap_secure_getenv(const char *name);

/* The names looked up, and whether the stand-in lookup answers. */
static int lookups, missing, answer = 1;

void *inflame__interpose_next(const char *name, const char *version);
void *inflame__interpose_next(const char *name, const char *version)
{
	void *f;

	(void)version;
	if (!answer)
		return NULL;
	lookups++;
	f = dlsym(RTLD_NEXT, name);
	if (!f) {
		fprintf(stderr, "the C library has no %s\n", name);
		missing++;
	}
	return f;
}

static void test_names(void **state)
{
	(void)state;
	inflame_latebind_resolve();
	assert_true(lookups >= 30);
	assert_int_equal(missing, 0);
}

static int by_value(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void test_calls(void **state)
{
	char buf[64];
	int v[] = {3, 1, 2}, a = 0, b = 0;
	char *end;

	(void)state;
	assert_int_equal(__wrap_snprintf(buf, sizeof(buf), "%s-%d", "x", 42), 4);
	assert_string_equal(buf, "x-42");
	assert_int_equal(__wrap_snprintf(buf, 3, "%d", 12345), 5);
	assert_string_equal(buf, "12");
	assert_int_equal(__wrap___isoc99_sscanf("7 9", "%d %d", &a, &b), 2);
	assert_int_equal(a * 10 + b, 79);
	__wrap_qsort(v, 3, sizeof(v[0]), by_value);
	assert_true(v[0] == 1 && v[1] == 2 && v[2] == 3);
	assert_int_equal(__wrap_strtol("0x1f", &end, 16), 31);
	assert_int_equal(*end, 0);
	setenv("LATEBIND_TEST", "yes", 1);
	assert_string_equal(__wrap_secure_getenv("LATEBIND_TEST"), "yes");
}

static void test_not_found(void **state)
{
	int n = 0;

	(void)state;
	/* Functions not called yet, with a lookup that finds nothing. */
	answer = 0;
	errno = 0;
	assert_null(__wrap_secure_getenv("PATH"));
	assert_int_equal(errno, ENOSYS);
	errno = 0;
	assert_int_equal(__wrap_snprintf(NULL, 0, "x"), -1);
	assert_int_equal(errno, ENOSYS);
	errno = 0;
	assert_int_equal(__wrap___isoc99_sscanf("1", "%d", &n), EOF);
	assert_int_equal(errno, ENOSYS);
	answer = 1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_not_found),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_calls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
