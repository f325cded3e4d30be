/* Unit tests for the start-up's own symbol lookup (preload/symlookup.c): linked into this
 * program, it must answer as dlsym(RTLD_NEXT) and dlvsym(RTLD_NEXT) called from here do, for
 * every name the interposition families resolve at start-up, for names of several versions,
 * for every symbol the objects it reads define, and leave IFUNC symbols and unknown names to
 * dlsym; the span it keeps for the wrappers' first calls answers the same, on another thread and
 * in a signal handler. */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "interpose.h"
#include "symlookup.h"

static struct inflame_symlookup scope;

static int setup(void **state)
{
	(void)state;
	return inflame_symlookup_open(&scope);
}

/* Checks one name: when the lookup answers, it answers as dlsym; with glibc 2.34 and later
 * (one library for all of these), it answers whenever dlsym finds the name. */
static void check_name(const char *name, const char *version)
{
	void *want = version ? dlvsym(RTLD_NEXT, name, version) : dlsym(RTLD_NEXT, name);
	void *got = NULL;
	int found = inflame_symlookup_find(&scope, name, version, &got);

	if (found && got != want)
		fail_msg("%s@%s: own %p, dlsym %p", name, version ? version : "", got, want);
#if __GLIBC_PREREQ(2, 34)
	if (!found && want)
		fail_msg("%s@%s: left to dlsym, which finds %p", name, version ? version : "",
			 want);
#endif
}

static void check_plain(const char *name)
{
	check_name(name, NULL);
}

static void check_cond(const char *name)
{
#ifdef INFLAME_COND_VERSION
	check_name(name, INFLAME_COND_VERSION);
#endif
	check_name(name, NULL);
}

#define PLAIN(name) check_plain(#name);
#define COND(name)  check_cond(#name);

static void test_families(void **state)
{
	(void)state;
	assert_true(scope.n > 0);
	INFLAME_ALLOC_NAMES(PLAIN)
	INFLAME_THREADS_NAMES(PLAIN)
	INFLAME_SIGNALS_NAMES(PLAIN)
	INFLAME_BLOCKING_NAMES(PLAIN)
	INFLAME_BLOCKING_COND_NAMES(COND)
	INFLAME_LOCKS_NAMES(PLAIN)
	INFLAME_LOADER_NAMES(PLAIN)
	INFLAME_PROCESS_NAMES(PLAIN)
}

/* Names of two or more versions: dlsym's is the default one, dlvsym's the one asked for, a
 * hidden (old) one included. */
static void test_versions(void **state)
{
	static const char *const names[][2] = {
	    {"pthread_cond_wait", "GLIBC_2.3.2"},
	    {"pthread_cond_wait", "GLIBC_2.2.5"},
	    {"pthread_cond_timedwait", "GLIBC_2.2.5"},
	    {"pthread_cond_broadcast", "GLIBC_2.3.2"},
	    {"realpath", "GLIBC_2.3"},
	    {"realpath", "GLIBC_2.2.5"},
	    {"regexec", "GLIBC_2.3.4"},
	    {"regexec", "GLIBC_2.2.5"},
	    {"sched_setaffinity", "GLIBC_2.3.4"},
	    {"sched_setaffinity", "GLIBC_2.3.3"},
	    {"timer_create", "GLIBC_2.34"},
	    {"timer_create", "GLIBC_2.3.3"},
	    {"posix_spawn", "GLIBC_2.15"},
	    {"posix_spawn", "GLIBC_2.2.5"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		void *got = NULL;
		void *want = dlvsym(RTLD_NEXT, names[i][0], names[i][1]);

		if (inflame_symlookup_find(&scope, names[i][0], names[i][1], &got))
			assert_ptr_equal(got, want);
		check_name(names[i][0], NULL);
	}
}

/* IFUNC symbols are the loader's to resolve; names nobody defines, and versions nobody has,
 * too. */
static void test_left_to_dlsym(void **state)
{
	static const char *const ifuncs[] = {"memcpy", "strlen", "gettimeofday", "time", "memchr"};
	void *got = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ifuncs) / sizeof(ifuncs[0]); i++) {
		assert_non_null(dlsym(RTLD_NEXT, ifuncs[i]));
		assert_int_equal(inflame_symlookup_find(&scope, ifuncs[i], NULL, &got), 0);
	}
	assert_null(dlsym(RTLD_NEXT, "inflame_no_such_function"));
	assert_int_equal(inflame_symlookup_find(&scope, "inflame_no_such_function", NULL, &got), 0);
	assert_null(dlvsym(RTLD_NEXT, "malloc", "GLIBC_9.9"));
	assert_int_equal(inflame_symlookup_find(&scope, "malloc", "GLIBC_9.9", &got), 0);
}

/* The number of symbols of an object's dynamic symbol table, from its GNU hash table. */
static uint32_t symbol_count(const struct inflame_symlookup_obj *o)
{
	const uint32_t *gh = o->gnu_hash;
	const uint32_t *buckets = (const void *)((const ElfW(Addr) *)(gh + 4) + gh[2]);
	const uint32_t *chain = buckets + gh[0];
	uint32_t i, last = 0;

	for (i = 0; i < gh[0]; i++)
		if (buckets[i] > last)
			last = buckets[i];
	if (last == 0)
		return gh[1];
	while (!(chain[last - gh[1]] & 1))
		last++;
	return last + 1;
}

/* Every name every object read defines (the C library's few thousand among them): the lookup
 * answers as dlsym, or leaves the name to it (the names of IFUNC and TLS symbols, about 2% in
 * glibc 2.36, and the names dlsym does not find, of hidden versions only). */
static void test_every_symbol(void **state)
{
	unsigned k, answered = 0, left = 0, total = 0;

	(void)state;
	for (k = 0; k < scope.n; k++) {
		const struct inflame_symlookup_obj *o = &scope.obj[k];
		uint32_t i, n = symbol_count(o);

		for (i = o->gnu_hash[1]; i < n; i++) {
			const char *name = o->strtab + o->symtab[i].st_name;
			void *got = NULL;
			void *want = dlsym(RTLD_NEXT, name);

			total++;
			if (!inflame_symlookup_find(&scope, name, NULL, &got)) {
				left += want != NULL;
				continue;
			}
			answered++;
			if (got != want)
				fail_msg("%s: own %p, dlsym %p", name, got, want);
		}
	}
	print_message("%u of %u names answered, %u that dlsym finds left to it\n", answered, total,
		      left);
	assert_true(total > 1000);
	assert_true(left * 20 < total);
}

/* The span's answer for one name against dlsym's, given by the caller: 0 when they agree. */
static int span_differs(const char *name, const char *version, void *want)
{
	void *got = NULL;
	int found = inflame_symlookup_span_find(&scope.span, name, version, &got);

	return (found && got != want) || (!found && want);
}

/* Every family name: what dlsym finds, looked up in the span; counts the disagreements. With
 * want NULL, dlsym is asked here first (not in a signal handler). */
/* (one family a line: clang-format 14 does not settle on a layout of this list) */
/* clang-format off */
#define SPAN_NAMES(X)                                                                              \
	INFLAME_ALLOC_NAMES(X)                                                                     \
	INFLAME_THREADS_NAMES(X)                                                                   \
	INFLAME_SIGNALS_NAMES(X)                                                                   \
	INFLAME_BLOCKING_NAMES(X)                                                                  \
	INFLAME_BLOCKING_COND_NAMES(X)                                                             \
	INFLAME_LOCKS_NAMES(X)                                                                     \
	INFLAME_LOADER_NAMES(X)                                                                    \
	INFLAME_PROCESS_NAMES(X)
/* clang-format on */
#define SPAN_WANT(name) dlsym(RTLD_NEXT, #name),
#define SPAN_NAME(name) #name,
static const char *const span_names[] = {SPAN_NAMES(SPAN_NAME)};
#define SPAN_N (sizeof(span_names) / sizeof(span_names[0]))
static void *span_want[SPAN_N];
static volatile sig_atomic_t span_bad = -1;

static int span_count(void)
{
	int bad = 0;

	for (size_t i = 0; i < SPAN_N; i++)
		bad += span_differs(span_names[i], NULL, span_want[i]);
#ifdef INFLAME_COND_VERSION
	bad += span_differs("pthread_cond_wait", INFLAME_COND_VERSION,
			    dlvsym(RTLD_NEXT, "pthread_cond_wait", INFLAME_COND_VERSION));
#endif
	return bad;
}

static void span_handler(int sig)
{
	int bad = 0;

	(void)sig;
	/* (no dlsym here: the answers were taken before) */
	for (size_t i = 0; i < SPAN_N; i++)
		bad += span_differs(span_names[i], NULL, span_want[i]);
	span_bad = bad;
}

static void *span_thread(void *arg)
{
	*(int *)arg = span_count();
	return NULL;
}

/* The span kept for lookups after start-up answers every family name as dlsym does: here, on
 * another thread, and in a signal handler (where the lookup must take no lock). */
static void test_span(void **state)
{
	void *const want[] = {SPAN_NAMES(SPAN_WANT)};
	struct sigaction sa;
	pthread_t t;
	void *got = NULL;
	int in_thread = -1;

	(void)state;
	assert_non_null(scope.span.first);
	assert_non_null(scope.span.last);
	memcpy(span_want, want, sizeof(span_want));
	assert_int_equal(span_count(), 0);
	assert_int_equal(pthread_create(&t, NULL, span_thread, &in_thread), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(in_thread, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = span_handler;
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	raise(SIGUSR1);
	assert_int_equal(span_bad, 0);
	/* The lookup of a name nobody defines is left to dlsym. */
	assert_int_equal(span_differs("inflame_no_such_function", NULL, NULL), 0);
	assert_int_equal(inflame_symlookup_span_find(&scope.span, "memcpy", NULL, &got), 0);
}

/* Where the loader may answer otherwise (here: weak definitions that later global ones
 * override), the lookup steps aside and every name goes to dlsym. */
static void test_steps_aside(void **state)
{
	struct inflame_symlookup l;
	void *got = NULL;

	(void)state;
	setenv("LD_DYNAMIC_WEAK", "1", 1);
	assert_int_equal(inflame_symlookup_open(&l), -ENOTSUP);
	unsetenv("LD_DYNAMIC_WEAK");
	assert_int_equal(l.n, 0);
	assert_null(l.span.last);
	assert_int_equal(inflame_symlookup_find(&l, "malloc", NULL, &got), 0);
	assert_int_equal(inflame_symlookup_span_find(&l.span, "malloc", NULL, &got), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_families),	  cmocka_unit_test(test_versions),
	    cmocka_unit_test(test_left_to_dlsym), cmocka_unit_test(test_every_symbol),
	    cmocka_unit_test(test_span),	  cmocka_unit_test(test_steps_aside),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
