/* End-to-end tests of what inflame says and where. Programs run under the preload in
 * situations that produce notices (a SIGPROF handler of their own, dlopen with RTLD_DEEPBIND
 * while allocations are profiled, a perf event the machine cannot count, perf refused): their
 * stdout, stderr and exit status are byte for byte those of the plain run, and the notice is in
 * the dump for `inflame info` to show. INFLAME_LOG puts the notices on stderr or in a file when
 * asked; `inflame record` prints them after the program exits. A fork child that execs or exits
 * without a sample leaves no dump, one with a notice does; the command line a dump reports is
 * the one the program set last. */
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
#include <unistd.h>

#define NOTICES(mode) (char *)e2e_build("tests/progs/notices"), mode

/* Every dump in dir through `inflame info -v`, concatenated; *count gets how many there are. */
static char *info_all(const char *dir, size_t *count)
{
	char **files;
	size_t n = e2e_list(dir, "prof.", &files), len = 0;
	char *all = calloc(1, 1);

	for (size_t i = 0; i < n; i++) {
		char *argv[] = {(char *)e2e_build("inflame"), "info", "-v", files[i], NULL};
		struct e2e_result r;

		assert_int_equal(e2e_run(argv, NULL, NULL, 60, &r), 0);
		assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
		all = realloc(all, len + strlen(r.out) + 1);
		strcpy(all + len, r.out);
		len += strlen(r.out);
		e2e_result_free(&r);
	}
	e2e_list_free(files, n);
	if (count)
		*count = n;
	return all;
}

static void same_output(const struct e2e_result *r, const struct e2e_result *plain)
{
	assert_int_equal(r->status, plain->status);
	assert_string_equal(r->out, plain->out);
	assert_string_equal(r->err, plain->err);
}

/* Each situation that makes inflame say something: the program's output is unchanged and the
 * notice is in the dump. */
static void test_notices_in_dump_only(void **state)
{
	static const struct {
		const char *mode, *env, *wrapper, *notice;
	} cases[] = {
	    {"sigprof", NULL, NULL, "installed a handler for SIGPROF"},
	    {"deepbind", "INFLAME_EVENTS=cpu,alloc", NULL, "RTLD_DEEPBIND removed"},
	    /* (a machine without a PMU: the perf clock goes on with the task clock) */
	    {"burn", "INFLAME_PERF_EVENT=cycles", NULL,
	     "INFLAME_PERF_EVENT=cycles: this machine has no hardware counter for it"},
	    {"burn", NULL, "tests/progs/noperf", "perf events are not available"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *dir = e2e_tmpdir();
		char *prog[4], *env[] = {(char *)cases[i].env, NULL};
		struct e2e_result r, plain;
		char *text;
		size_t n = 0, k = 0;

		if (cases[i].wrapper)
			prog[k++] = (char *)e2e_build(cases[i].wrapper);
		prog[k++] = (char *)e2e_build("tests/progs/notices");
		prog[k++] = (char *)cases[i].mode;
		prog[k] = NULL;
		assert_int_equal(e2e_run(prog, NULL, "/tmp", 60, &plain), 0);
		assert_true(WIFEXITED(plain.status) && WEXITSTATUS(plain.status) == 0);
		assert_int_equal(e2e_run_preloaded(dir, prog, env, 60, &r), 0);
		same_output(&r, &plain);
		text = info_all(dir, &n);
		assert_true(n >= 1);
		if (!strstr(text, cases[i].notice))
			fprintf(stderr, "%s: no notice '%s' in\n%s", cases[i].mode, cases[i].notice,
				text);
		assert_non_null(strstr(text, cases[i].notice));
		assert_non_null(strstr(text, "notices:"));
		free(text);
		e2e_result_free(&r);
		e2e_result_free(&plain);
		e2e_rmdir(dir);
	}
}

/* INFLAME_LOG=info: the notice on stderr, after the program's own line is unchanged. */
static void test_log_stderr(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {NOTICES("sigprof"), NULL};
	char *env[] = {"INFLAME_LOG=info", NULL};
	struct e2e_result r;

	(void)state;
	assert_int_equal(e2e_run_preloaded(dir, prog, env, 60, &r), 0);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	assert_non_null(strstr(r.err, "inflame: the program installed a handler for SIGPROF"));
	assert_non_null(strstr(r.err, "sigprof: err\n"));
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* INFLAME_LOG=file:PATH: the notice appended to PATH (with the pid), stderr untouched. */
static void test_log_file(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {NOTICES("sigprof"), NULL};
	char env_log[4300], path[4200], want[64];
	char *env[] = {env_log, NULL};
	struct e2e_result r, plain;
	char *cat[] = {"cat", path, NULL};
	struct e2e_result log;
	char **files;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/inflame.log", dir);
	snprintf(env_log, sizeof(env_log), "INFLAME_LOG=file:%s", path);
	assert_int_equal(e2e_run(prog, NULL, "/tmp", 60, &plain), 0);
	assert_int_equal(e2e_run_preloaded(dir, prog, env, 60, &r), 0);
	same_output(&r, &plain);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 1);
	{
		int pid = 0;

		assert_int_equal(sscanf(strrchr(files[0], '/'), "/prof.%d.ifl", &pid), 1);
		snprintf(want, sizeof(want), "inflame[%d]: the program installed", pid);
	}
	assert_int_equal(e2e_run(cat, NULL, NULL, 60, &log), 0);
	assert_non_null(strstr(log.out, "the program installed a handler for SIGPROF"));
	assert_non_null(strstr(log.out, want));
	e2e_list_free(files, n);
	e2e_result_free(&log);
	e2e_result_free(&r);
	e2e_result_free(&plain);
	e2e_rmdir(dir);
}

/* `inflame record` prints the notices after the program's exit; -q prints nothing. */
static void test_record_prints_notices(void **state)
{
	char *dir = e2e_tmpdir();
	char pattern[4200];
	char *rec[] = {(char *)e2e_build("inflame"), "record", "-o", pattern,
		       NOTICES("sigprof"),	     NULL};
	char *quiet[] = {(char *)e2e_build("inflame"), "record", "-q", "-o", pattern,
			 NOTICES("sigprof"),	       NULL};
	char *prog[] = {NOTICES("sigprof"), NULL};
	struct e2e_result r, plain;
	const char *own, *note;

	(void)state;
	snprintf(pattern, sizeof(pattern), "%s/prof.%%p.ifl", dir);
	assert_int_equal(e2e_run(prog, NULL, "/tmp", 60, &plain), 0);
	assert_int_equal(e2e_run(rec, NULL, dir, 60, &r), 0);
	assert_int_equal(r.status, plain.status);
	assert_string_equal(r.out, plain.out);
	own = strstr(r.err, "sigprof: err\n");
	note = strstr(r.err, "inflame record: pid ");
	assert_non_null(own);
	assert_non_null(note);
	assert_true(note > own); /* after the program, not in the middle of its output */
	assert_non_null(strstr(note, "the program installed a handler for SIGPROF"));
	/* once, even though it is in the dump once */
	assert_null(strstr(strstr(r.err, "installed a handler") + 1, "installed a handler"));
	e2e_result_free(&r);
	assert_int_equal(e2e_run(quiet, NULL, dir, 60, &r), 0);
	same_output(&r, &plain);
	e2e_result_free(&r);
	e2e_result_free(&plain);
	e2e_rmdir(dir);
}

/* Three processes with the same notice (a shell running the program three times): record prints
 * it once, then one line that counts the repeats it left out. */
static void test_record_notices_once(void **state)
{
	char *dir = e2e_tmpdir();
	char pattern[4200], script[4400];
	char *rec[] = {
	    (char *)e2e_build("inflame"), "record", "-o", pattern, "/bin/sh", "-c", script, NULL};
	struct e2e_result r;
	const char *first, *more;

	(void)state;
	snprintf(pattern, sizeof(pattern), "%s/prof.%%p.ifl", dir);
	snprintf(script, sizeof(script), "p=%s; $p sigprof; $p sigprof; $p sigprof",
		 e2e_build("tests/progs/notices"));
	assert_int_equal(e2e_run(rec, NULL, dir, 60, &r), 0);
	fprintf(stderr, "%s", r.err);
	first = strstr(r.err, "installed a handler for SIGPROF");
	assert_non_null(first);
	assert_null(strstr(first + 1, "installed a handler for SIGPROF"));
	more = strstr(r.err, " more notices of other processes, the same as above");
	assert_non_null(more);
	while (more > r.err && more[-1] != '\n')
		more--;
	assert_true(!strncmp(more, "inflame record: ", 16));
	/* the handler's twice, and other notices every image may have (its unwind tables) */
	assert_true(strtoul(more + 16, NULL, 10) >= 2);
	assert_true(more > first);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* fork: a child that only logs a notice (and takes no sample) still gets its dump. */
static void test_fork_child_notice(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {NOTICES("forknotice"), NULL};
	struct e2e_result r, plain;
	size_t n;
	char *text;

	(void)state;
	assert_int_equal(e2e_run(prog, NULL, "/tmp", 60, &plain), 0);
	assert_int_equal(e2e_run_preloaded(dir, prog, NULL, 60, &r), 0);
	same_output(&r, &plain);
	text = info_all(dir, &n);
	assert_int_equal(n, 2);
	assert_non_null(strstr(text, "installed a handler for SIGPROF"));
	free(text);
	e2e_result_free(&r);
	e2e_result_free(&plain);
	e2e_rmdir(dir);
}

/* fork under wall sampling: a child that only sleeps took wall samples (kept by the ticker,
 * not by the thread) and gets its dump with them. */
static void test_fork_child_wall(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {NOTICES("forksleep"), NULL};
	char *env[] = {"INFLAME_EVENTS=wall", NULL};
	struct e2e_result r;
	char **files;
	size_t n;
	int with_wall = 0;

	(void)state;
	assert_int_equal(e2e_run_preloaded(dir, prog, env, 60, &r), 0);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		char *text = e2e_info(files[i]);

		assert_non_null(text);
		with_wall += strstr(text, "wall 0,") == NULL;
		free(text);
	}
	assert_int_equal(with_wall, 2);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* The command line and main thread name a dump reports are those the program set last: in a
 * process that renames itself while its dump is open, and in a fork child (a server's worker). */
static void test_renamed(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {NOTICES("title"), "renamed-proc", NULL};
	char *fprog[] = {NOTICES("forktitle"), "worker-proc", NULL};
	struct e2e_result r;
	size_t n;
	char *text;

	(void)state;
	assert_int_equal(e2e_run_preloaded(dir, prog, NULL, 60, &r), 0);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	text = info_all(dir, &n);
	assert_int_equal(n, 1);
	if (!strstr(text, "command:     renamed-proc\n"))
		fprintf(stderr, "%s", text);
	assert_non_null(strstr(text, "command:     renamed-proc\n"));
	assert_non_null(strstr(text, "  renamed-proc "));
	free(text);
	e2e_result_free(&r);
	e2e_rmdir(dir);

	dir = e2e_tmpdir();
	assert_int_equal(e2e_run_preloaded(dir, fprog, NULL, 60, &r), 0);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	text = info_all(dir, &n);
	assert_int_equal(n, 2);
	/* the parent keeps its command line, the child shows its own */
	assert_non_null(strstr(text, "command:     worker-proc\n"));
	assert_non_null(strstr(text, "notices forktitle worker-proc\n"));
	free(text);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_notices_in_dump_only),
	    cmocka_unit_test(test_log_stderr),
	    cmocka_unit_test(test_log_file),
	    cmocka_unit_test(test_record_prints_notices),
	    cmocka_unit_test(test_record_notices_once),
	    cmocka_unit_test(test_fork_child_notice),
	    cmocka_unit_test(test_fork_child_wall),
	    cmocka_unit_test(test_renamed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
