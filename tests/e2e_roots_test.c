/* End-to-end test of one root per thread with the default unwinder (auto): a program built with
 * frame pointers that spends its time in libc and the vDSO (whose samples libunwind walks) as
 * well as in its own code (frame pointers), a program with threads, and C++ allocations made
 * through libstdc++ (no frame pointers), std::string and std::vector growth among them: every
 * stack must end at _start (the main thread) or
 * clone3 (the others), not at __libc_start_call_main, start_thread or operator new. Samples
 * taken inside the dynamic loader, whose walks stop there by design, may be at most 1%. The
 * kernel pseudo-frame alone is a whole stack too: system time found behind a cpu sample. A
 * program whose work runs inside a signal handler, above code without frame pointers, gets
 * whole stacks too: the interrupted code's frames below the handler's, as the tables find
 * them. */
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

/* Returns the folded stacks too (the caller frees them) when f is not NULL. */
static void roots_of(const char *prog, const char *arg1, const char *arg2, const char *events,
		     const char *event, struct e2e_folded *keep)
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
	good = e2e_root_sum(&f, "_start;") + e2e_root_sum(&f, "clone3;") + e2e_kernel_sum(&f);
	printf("# %s %s: %llu of %llu %s samples end at _start or clone3 (%llu in the kernel "
	       "frame)\n",
	       prog, arg1 ? arg1 : "", (unsigned long long)good, (unsigned long long)f.total, event,
	       (unsigned long long)e2e_kernel_sum(&f));
	if (good * 100 < f.total * 99) {
		for (size_t i = 0; i < f.n; i++)
			if (strncmp(f.stacks[i], "_start;", 7) &&
			    strncmp(f.stacks[i], "clone3;", 7) &&
			    strcmp(f.stacks[i], E2E_KERNEL_FRAME))
				printf("# other root: %s %llu\n", f.stacks[i],
				       (unsigned long long)f.counts[i]);
		fail();
	}
	if (keep)
		*keep = f;
	else
		e2e_folded_free(&f);
	e2e_list_free(names, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

static void roots(const char *prog, const char *arg1, const char *arg2, const char *events,
		  const char *event)
{
	roots_of(prog, arg1, arg2, events, event, NULL);
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

/* std::string and std::vector growth: the allocations libstdc++ makes reach the functions
 * that asked for them, each all of its bytes. */
static void test_cxx_std(void **state)
{
	struct e2e_folded f;
	uint64_t strings, vectors;

	(void)state;
	roots_of("tests/progs/cxxstd", NULL, NULL, "alloc", "alloc", &f);
	strings = e2e_contains_sum(&f, "main;build_strings");
	vectors = e2e_contains_sum(&f, "main;build_vectors");
	printf("# std::string %llu B, std::vector %llu B of %llu B\n", (unsigned long long)strings,
	       (unsigned long long)vectors, (unsigned long long)f.total);
	assert_true(strings > 1000000 && vectors > 1000000);
	assert_true((strings + vectors) * 100 >= f.total * 99);
	e2e_folded_free(&f);
}

/* The part of stack s below its frame on_alarm (NULL when it has none), in buf. */
static const char *below_handler(const char *s, char *buf, size_t len)
{
	const char *h = strstr(s, ";on_alarm;");

	if (!h || (size_t)(h - s) >= len)
		return NULL;
	memcpy(buf, s, (size_t)(h - s));
	buf[h - s] = 0;
	return buf;
}

/* sigframe's cpu samples under unwinder mode (INFLAME_UNWIND's value); where: its second
 * argument (NULL: none). */
static void sigframe_samples(const char *mode, const char *where, struct e2e_folded *f)
{
	char *argv[] = {(char *)e2e_build("tests/progs/sigframe"), "0.5", (char *)where, NULL};
	char unwind[64];
	char *env[] = {"INFLAME_EVENTS=cpu", unwind, "INFLAME_LOG=quiet", NULL};
	const char *extra[] = {"--event", "cpu", NULL};
	struct e2e_result r;
	char *dir = e2e_tmpdir(), **names;
	size_t n;

	snprintf(unwind, sizeof(unwind), "INFLAME_UNWIND=%s", mode);
	assert_int_equal(e2e_run_preloaded(dir, argv, env, 120, &r), 0);
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
		printf("# sigframe: status %#x: %s\n", r.status, r.err ? r.err : "");
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	n = e2e_list(dir, "prof.", &names);
	assert_int_equal(n, 1);
	assert_int_equal(e2e_collapse(extra, names, n, f), 0);
	e2e_list_free(names, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* All the work in a signal handler whose frame-pointer walk ends at the signal trampoline,
 * above code that keeps no frame pointer: auto's samples reach _start through the signal
 * frame, and the frames below the handler are the ones the tables alone (dwarf) find there, in
 * order. where, interrupted: sigframe's second argument and the frames dwarf must find below
 * the handler. all: every sample must reach _start, not only the handler's (a sample in
 * own_spin, outside the handler, is walked by frame pointers, which it does not keep). */
static void signal_frame(const char *where, const char *interrupted, int all)
{
	struct e2e_folded d, a;
	char ref[4096], buf[4096];
	uint64_t best = 0, in_handler = 0, same = 0, good;

	sigframe_samples("dwarf", where, &d);
	for (size_t i = 0; i < d.n; i++) {
		uint64_t sum = 0;

		if (!below_handler(d.stacks[i], buf, sizeof(buf)))
			continue;
		for (size_t j = 0; j < d.n; j++) {
			char other[4096];
			const char *o = below_handler(d.stacks[j], other, sizeof(other));

			if (o && !strcmp(o, buf))
				sum += d.counts[j];
		}
		if (sum > best) {
			best = sum;
			strcpy(ref, buf);
		}
	}
	printf("# dwarf: below the handler: %s (%llu of %llu samples)\n", best ? ref : "-",
	       (unsigned long long)best, (unsigned long long)d.total);
	assert_true(best > 0);
	assert_true(!strncmp(ref, "_start;", 7) && strstr(ref, interrupted));
	e2e_folded_free(&d);

	sigframe_samples("auto", where, &a);
	for (size_t i = 0; i < a.n; i++) {
		const char *b = below_handler(a.stacks[i], buf, sizeof(buf));

		if (!b)
			continue;
		in_handler += a.counts[i];
		if (!strcmp(b, ref))
			same += a.counts[i];
	}
	good = e2e_root_sum(&a, "_start;") + e2e_kernel_sum(&a);
	printf("# auto: %llu of %llu samples end at _start; %llu of %llu in the handler have the "
	       "frames dwarf found below it\n",
	       (unsigned long long)good, (unsigned long long)a.total, (unsigned long long)same,
	       (unsigned long long)in_handler);
	if ((all && good * 100 < a.total * 95) || same * 100 < in_handler * 95 ||
	    in_handler * 2 < a.total) {
		for (size_t i = 0; i < a.n; i++) {
			const char *b = below_handler(a.stacks[i], buf, sizeof(buf));

			if ((b && strcmp(b, ref)) || (strncmp(a.stacks[i], "_start;", 7) &&
						      strcmp(a.stacks[i], E2E_KERNEL_FRAME)))
				printf("# other: %s %llu\n", a.stacks[i],
				       (unsigned long long)a.counts[i]);
		}
		fail();
	}
	e2e_folded_free(&a);
}

/* The interrupted code: a library's, built without frame pointers. */
static void test_signal_frame(void **state)
{
	(void)state;
	signal_frame(NULL, ";main;sigwait_spin;spin_inner;", 1);
}

/* The interrupted code: the program's own, with frame pointers, except there. */
static void test_signal_frame_own(void **state)
{
	(void)state;
	signal_frame("own", ";main;own_spin;", 0);
}

/* The interrupted code: the program's own, with frame pointers (an ordinary program). */
static void test_signal_frame_fp(void **state)
{
	(void)state;
	signal_frame("fp", ";main;fp_caller;fp_spin;", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_main_thread),	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_cxx_allocations), cmocka_unit_test(test_cxx_std),
	    cmocka_unit_test(test_signal_frame),    cmocka_unit_test(test_signal_frame_own),
	    cmocka_unit_test(test_signal_frame_fp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
