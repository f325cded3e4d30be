/* End-to-end tests of the names a dump's frames get: a program rebuilt after it was profiled
 * (frames as offsets and one warning, unless the debug directories hold the build that ran),
 * the vDSO named from its own symbols, and --no-inline. The program is tests/progs/rebuilt.c,
 * built twice (rebuilt_a, rebuilt_b) to play the old and the new build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "e2e/e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out;
	size_t n;

	assert_non_null(in);
	unlink(to); /* as a linker does: a new file, not the old one rewritten */
	out = fopen(to, "wb");
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(to, 0755), 0);
}

/* Records dir/prog (a copy of rebuilt_a) with args; returns the dump's path (caller frees). */
static char *record_copy(const char *dir, const char *arg1, const char *arg2)
{
	char prog[4200], out[4200];
	char *argv[] = {(char *)e2e_build("inflame"),
			"record",
			"-q",
			"-o",
			out,
			"--",
			prog,
			(char *)arg1,
			(char *)arg2,
			NULL};
	struct e2e_result r;
	char **files, *path;
	size_t n;

	snprintf(prog, sizeof(prog), "%s/prog", dir);
	snprintf(out, sizeof(out), "%s/prof.%%p.ifl", dir);
	copy_file(e2e_build("tests/progs/rebuilt_a"), prog);
	assert_int_equal(e2e_run(argv, NULL, dir, 60, &r), 0);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	e2e_result_free(&r);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 1);
	path = strdup(files[0]);
	e2e_list_free(files, n);
	return path;
}

/* Runs `inflame collapse OPT DUMP` (OPT may be NULL) with env; the caller frees r. */
static void collapse(const char *opt, const char *dump, char *const env[], struct e2e_result *r)
{
	char *argv[] = {(char *)e2e_build("inflame"), "collapse", (char *)(opt ? opt : dump),
			opt ? (char *)dump : NULL, NULL};

	assert_int_equal(e2e_run(argv, env, NULL, 60, r), 0);
	assert_true(WIFEXITED(r->status));
	if (WEXITSTATUS(r->status) != 0)
		fprintf(stderr, "collapse failed: %s\n", r->err);
	assert_int_equal(WEXITSTATUS(r->status), 0);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* A program rebuilt since the run: its frames are offsets, never the new build's functions,
 * with one warning naming it and the build-id that ran (and no other module). With the build that
 * ran in a debug directory (--debug-dir or INFLAME_DEBUG_DIRS, as DIR/.build-id/xx/rest.debug), the
 * frames are its functions again and there is no warning. */
static void test_rebuilt_binary(void **state)
{
	char *dir = e2e_tmpdir(), *dump;
	char prog[4200], want[4400], dbg[4200], opt[4300], envdbg[4300], bid[129];
	char *env[] = {envdbg, NULL};
	const char *p, *q;
	struct e2e_result r;

	(void)state;
	dump = record_copy(dir, "1", NULL);
	snprintf(prog, sizeof(prog), "%s/prog", dir);
	copy_file(e2e_build("tests/progs/rebuilt_b"), prog);
	/* An empty debug directory, so that the machine's own cannot help. */
	snprintf(dbg, sizeof(dbg), "%s/debug", dir);
	assert_int_equal(mkdir(dbg, 0755), 0);
	snprintf(envdbg, sizeof(envdbg), "INFLAME_DEBUG_DIRS=%s", dbg);

	collapse(NULL, dump, env, &r);
	fprintf(stderr, "stale:\n%s%s", r.out, r.err);
	assert_null(strstr(r.out, "other_"));
	assert_null(strstr(r.out, "rebuilt_"));
	assert_non_null(strstr(r.out, "[prog+0x"));
	snprintf(want, sizeof(want),
		 "inflame collapse: %s changed since it was profiled (build-id ", prog);
	assert_int_equal(count(r.err, "changed since"), 1);
	assert_ptr_equal(strstr(r.err, want), r.err);
	p = r.err + strlen(want);
	q = strstr(p, "); its frames are shown as offsets\n");
	assert_non_null(q);
	assert_true(q - p >= 16 && q - p < (long)sizeof(bid));
	memcpy(bid, p, (size_t)(q - p));
	bid[q - p] = '\0';
	assert_int_equal(strspn(bid, "0123456789abcdef"), strlen(bid));
	e2e_result_free(&r);

	/* The build that ran, in the debug directory under its build-id. */
	snprintf(want, sizeof(want), "%s/.build-id", dbg);
	assert_int_equal(mkdir(want, 0755), 0);
	snprintf(want, sizeof(want), "%s/.build-id/%.2s", dbg, bid);
	assert_int_equal(mkdir(want, 0755), 0);
	snprintf(want, sizeof(want), "%s/.build-id/%.2s/%s.debug", dbg, bid, bid + 2);
	copy_file(e2e_build("tests/progs/rebuilt_a"), want);
	snprintf(opt, sizeof(opt), "--debug-dir=%s", dbg);
	collapse(opt, dump, NULL, &r);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "main;rebuilt_caller;rebuilt_spin"));
	assert_null(strstr(r.out, "other_"));
	assert_null(strstr(r.out, "[prog+0x"));
	e2e_result_free(&r);
	collapse(NULL, dump, env, &r);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "main;rebuilt_caller;rebuilt_spin"));
	e2e_result_free(&r);

	free(dump);
	e2e_rmdir(dir);
}

/* --no-inline: the inlined loop is a frame of its own by default, and not with the option. */
static void test_no_inline(void **state)
{
	char *dir = e2e_tmpdir(), *dump;
	struct e2e_result r;

	(void)state;
	dump = record_copy(dir, "0.5", NULL);
	collapse(NULL, dump, NULL, &r);
	assert_non_null(strstr(r.out, "rebuilt_caller;rebuilt_spin;rebuilt_mix "));
	e2e_result_free(&r);
	collapse("--no-inline", dump, NULL, &r);
	assert_null(strstr(r.out, "rebuilt_mix"));
	assert_non_null(strstr(r.out, "rebuilt_caller;rebuilt_spin "));
	e2e_result_free(&r);
	free(dump);
	e2e_rmdir(dir);
}

/* The vDSO's functions are named from its own symbols (the reader's vDSO, which is the one
 * that ran: same machine), not "[vdso]". Only its helpers without a symbol of their own (the
 * clock reads of some virtual machines) stay "[vdso]", under the function that called them. */
static void test_vdso(void **state)
{
	char *dir = e2e_tmpdir(), *dump;
	struct e2e_folded f;
	uint64_t named = 0, unnamed = 0;

	(void)state;
	dump = record_copy(dir, "0.5", "clock");
	assert_int_equal(e2e_collapse(NULL, &dump, 1, &f), 0);
	for (size_t i = 0; i < f.n; i++) {
		if (strstr(f.stacks[i], "__vdso_clock_gettime"))
			named += f.counts[i];
		else if (strstr(f.stacks[i], "[vdso]"))
			unnamed += f.counts[i];
	}
	fprintf(
	    stderr, "vdso: %llu samples in __vdso_clock_gettime, %llu in [vdso] alone, of %llu\n",
	    (unsigned long long)named, (unsigned long long)unnamed, (unsigned long long)f.total);
	assert_int_equal(unnamed, 0);
	assert_true(named * 2 > f.total);
	e2e_folded_free(&f);
	free(dump);
	e2e_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rebuilt_binary),
	    cmocka_unit_test(test_no_inline),
	    cmocka_unit_test(test_vdso),
	};

	unsetenv("DEBUGINFOD_URLS");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
