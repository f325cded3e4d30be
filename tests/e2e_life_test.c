/* End-to-end tests of the preload in process and thread life cycles: fork, fork+exec, thread
 * churn, dumps on a signal and on a timer, a program with its own SIGPROF timer, a SIGKILLed
 * program, bad settings, a hostile symlink, and an unprivileged user. Each checks that the
 * program behaves exactly as without inflame and that every process left a readable dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "e2e/e2e.h"

#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LIFE(mode) (char *)e2e_build("tests/progs/lifecycle"), mode

/* Runs prog under the preload (plain LD_PRELOAD, as a user would) in dir. */
static void run_preloaded(const char *dir, char *const prog[], char *const extra_env[],
			  struct e2e_result *r)
{
	assert_int_equal(e2e_run_preloaded(dir, prog, extra_env, 120, r), 0);
}

static void run_plain(char *const prog[], struct e2e_result *r)
{
	assert_int_equal(e2e_run(prog, NULL, "/tmp", 120, r), 0);
}

/* Every dump in dir is readable and complete; returns how many there are. */
static size_t check_dumps_complete(const char *dir)
{
	char **files;
	size_t n = e2e_list(dir, "prof.", &files);

	for (size_t i = 0; i < n; i++) {
		char *text = e2e_info(files[i]);

		assert_non_null(text);
		if (!strstr(text, "status:      complete"))
			fprintf(stderr, "%s: %s\n", files[i], text);
		assert_non_null(strstr(text, "status:      complete"));
		free(text);
	}
	e2e_list_free(files, n);
	return n;
}

/* Output and status are the same with and without the preload. */
static void same_behaviour(const struct e2e_result *a, const struct e2e_result *b)
{
	assert_int_equal(a->status, b->status);
	assert_string_equal(a->out, b->out);
}

/* fork: parent and child each get their own dump; the child's has the child's work only. */
static void test_fork(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {LIFE("fork"), NULL};
	struct e2e_result r, plain;
	struct e2e_folded f;
	char **files;
	size_t n;
	int child_only = 0, parent_only = 0;

	(void)state;
	run_preloaded(dir, prog, NULL, &r);
	run_plain(prog, &plain);
	same_behaviour(&r, &plain);
	assert_int_equal(check_dumps_complete(dir), 2);
	n = e2e_list(dir, "prof.", &files);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(e2e_collapse(NULL, &files[i], 1, &f), 0);
		if (e2e_contains_sum(&f, "child_work") && !e2e_contains_sum(&f, "parent_work"))
			child_only++;
		if (e2e_contains_sum(&f, "parent_work") && !e2e_contains_sum(&f, "child_work"))
			parent_only++;
		e2e_folded_free(&f);
	}
	assert_int_equal(child_only, 1);
	assert_int_equal(parent_only, 1);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_result_free(&plain);
	e2e_rmdir(dir);
}

/* fork + exec: the exec'd program is profiled into its own file, nobody dies of a pending
 * sampling signal. */
static void test_fork_exec(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {LIFE("forkexec"), NULL};
	struct e2e_result r, plain;
	struct e2e_folded f;
	char **files;
	size_t n;

	(void)state;
	run_preloaded(dir, prog, NULL, &r);
	run_plain(prog, &plain);
	same_behaviour(&r, &plain);
	/* the parent and the exec'd image (same pid as the child). The forked child writes no
	 * dump of its own unless it took a sample before its exec: its CPU there is mostly its
	 * first touches of the parent's pages, which on a loaded machine can reach a period
	 * (seen in a loaded make check). Such a dump has nothing of the exec'd image's. */
	n = check_dumps_complete(dir);
	assert_true(n == 2 || n == 3);
	n = e2e_list(dir, "prof.", &files);
	{
		size_t burning = 0;

		for (size_t i = 0; i < n; i++) {
			uint64_t burn;

			assert_int_equal(e2e_collapse(NULL, &files[i], 1, &f), 0);
			burn = e2e_contains_sum(&f, "burn_cpu");
			assert_true(burn > 100 || burn == 0);
			burning += burn > 100;
			e2e_folded_free(&f);
		}
		assert_int_equal(burning, 2);
	}
	assert_int_equal(e2e_collapse(NULL, files, n, &f), 0);
	assert_true(e2e_contains_sum(&f, "burn_cpu") > 300);
	e2e_folded_free(&f);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_result_free(&plain);
	e2e_rmdir(dir);
}

/* Short children, forked or forked and exec'd, each living 30 ms of CPU: every one leaves a
 * complete dump whose stacks are whole (from _start through main to the burning function:
 * a fork child's ring, reset without clearing the parts never used, and its stack table, remapped
 * rather than cleared, must not lose or invent a frame), and whose module map names the
 * program (the frames resolve). */
static void test_short_children(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {LIFE("shortkids"), "6", NULL};
	struct e2e_result r, plain;
	struct e2e_folded f;
	char **files;
	size_t n;
	size_t forked = 0, others = 0, pre_exec = 0;

	(void)state;
	run_preloaded(dir, prog, NULL, &r);
	run_plain(prog, &plain);
	same_behaviour(&r, &plain);
	/* the parent, three forked children, three exec'd images; and, on a loaded machine, the
	 * dump of a child forked to exec that took a sample before its exec (test_fork_exec),
	 * with no burn_cpu of its own */
	n = check_dumps_complete(dir);
	assert_true(n >= 7 && n <= 10);
	n = e2e_list(dir, "prof.", &files);
	for (size_t i = 0; i < n; i++) {
		uint64_t burn, whole = 0;
		char *text = e2e_info(files[i]);

		assert_non_null(text);
		assert_null(strstr(text, "modules:     0"));
		free(text);
		assert_int_equal(e2e_collapse(NULL, &files[i], 1, &f), 0);
		burn = e2e_contains_sum(&f, "burn_cpu");
		for (size_t k = 0; k < f.n; k++)
			if (strstr(f.stacks[k], "burn_cpu") &&
			    !strncmp(f.stacks[k], "_start;", 7) &&
			    (strstr(f.stacks[k], ";main;short_child_work;burn_cpu") ||
			     strstr(f.stacks[k], ";main;burn_cpu")))
				whole += f.counts[k];
		if (burn != whole)
			fprintf(stderr, "%s: %llu of %llu burn_cpu samples in whole stacks\n",
				files[i], (unsigned long long)whole, (unsigned long long)burn);
		assert_int_equal(burn, whole);
		if (e2e_contains_sum(&f, "short_child_work") > 5)
			forked++;
		else if (burn > 5)
			others++; /* the parent or an exec'd image: main;burn_cpu */
		else if (!burn && !e2e_contains_sum(&f, "short_child_work"))
			pre_exec++;
		e2e_folded_free(&f);
	}
	assert_int_equal(forked, 3);
	assert_int_equal(others, 4);
	assert_int_equal(pre_exec, n - 7);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_result_free(&plain);
	e2e_rmdir(dir);
}

/* Thread churn: a thousand short threads; the program is unchanged, no thread is lost. */
static void test_thread_churn(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {LIFE("churn"), "1000", NULL};
	struct e2e_result r, plain;
	char **files;
	size_t n;
	char *text;

	(void)state;
	run_preloaded(dir, prog, NULL, &r);
	run_plain(prog, &plain);
	same_behaviour(&r, &plain);
	assert_int_equal(check_dumps_complete(dir), 1);
	n = e2e_list(dir, "prof.", &files);
	text = e2e_info(files[0]);
	assert_non_null(text);
	assert_non_null(strstr(text, "drops:       ring 0, stack table 0, threads 0"));
	free(text);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_result_free(&plain);
	e2e_rmdir(dir);
}

/* SIGUSR2 closes the current dump and opens the next; both are complete. */
static void test_dump_on_signal(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {LIFE("dumpsig"), NULL};
	struct e2e_result r;
	char **files;
	size_t n;

	(void)state;
	run_preloaded(dir, prog, NULL, &r);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	assert_int_equal(check_dumps_complete(dir), 2);
	n = e2e_list(dir, "prof.", &files);
	assert_non_null(strstr(files[1], ".ifl.1"));
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* INFLAME_INTERVAL=1 on a 2.5 s program: at least three complete files with samples. */
static void test_periodic_dumps(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {LIFE("burn"), "2.5", NULL};
	char *env[] = {"INFLAME_INTERVAL=1", NULL};
	struct e2e_result r;

	(void)state;
	run_preloaded(dir, prog, env, &r);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	assert_true(check_dumps_complete(dir) >= 3);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* A program with its own SIGPROF handler and ITIMER_PROF: its handler still runs (the
 * program checks it), and it is profiled. */
static void test_program_sigprof(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {LIFE("sigprof"), NULL};
	struct e2e_result r, plain;

	(void)state;
	run_preloaded(dir, prog, NULL, &r);
	run_plain(prog, &plain);
	same_behaviour(&r, &plain);
	assert_int_equal(check_dumps_complete(dir), 1);
	e2e_result_free(&r);
	e2e_result_free(&plain);
	e2e_rmdir(dir);
}

/* fork in a loop while sampling: every fork completes and every child exits normally. A
 * child writes a dump only if it took a sample before its _exit (rarely: it runs for a few
 * microseconds), so the parent's is there and every other one has samples. */
static void test_fork_loop(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {LIFE("forkloop"), "100", NULL};
	struct e2e_result r;
	char **files;
	size_t n;

	(void)state;
	run_preloaded(dir, prog, NULL, &r);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	n = check_dumps_complete(dir);
	assert_true(n >= 1 && n <= 101);
	n = e2e_list(dir, "prof.", &files);
	for (size_t i = 0; i < n; i++) {
		char *text = e2e_info(files[i]);

		assert_non_null(text);
		assert_null(strstr(text, "samples:     cpu 0,"));
		free(text);
	}
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* User plus system CPU seconds used so far by process pid (from /proc). */
static double cpu_seconds(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* SIGKILL: what was written before the kill is readable (marked incomplete). */
static void test_sigkill(void **state)
{
	char *dir = e2e_tmpdir();
	char preload[4200], output[4200];
	char **files;
	size_t n;
	pid_t pid;
	char *text;

	(void)state;
	snprintf(preload, sizeof(preload), "%s", e2e_build("preload/.libs/libinflame.so"));
	snprintf(output, sizeof(output), "%s/prof.%%p.ifl", dir);
	pid = fork();
	if (pid == 0) {
		setenv("LD_PRELOAD", preload, 1);
		setenv("INFLAME_OUTPUT", output, 1);
		execl(e2e_build("tests/progs/lifecycle"), "lifecycle", "burn", "30", (char *)NULL);
		_exit(127);
	}
	/* Let it burn 0.8 s of CPU (however busy the machine is), then kill it. */
	for (int i = 0; i < 2000 && cpu_seconds(pid) < 0.8; i++)
		usleep(10000);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 1);
	text = e2e_info(files[0]);
	assert_non_null(text);
	assert_null(strstr(text, "status:      complete"));
	{
		const char *p = strstr(text, "samples:     cpu ");

		assert_non_null(p);
		assert_true(atoi(p + strlen("samples:     cpu ")) > 300);
	}
	free(text);
	e2e_list_free(files, n);
	e2e_rmdir(dir);
}

/* A fork child that computes 2 s without calling any of inflame's hooks and is then killed: a
 * child starts its writer thread only once it lives on, from a safe point of a sample (writer.c),
 * so its samples were written as it ran and the file is readable up to the kill. Without a
 * writer nothing would be left. */
static void fork_child_killed(const char *mode, const char *work)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {LIFE((char *)mode), NULL};
	char *env[] = {"INFLAME_EVENTS=cpu", NULL};
	struct e2e_result r;
	struct e2e_folded f;
	char **files;
	size_t n;
	int child = 0;

	run_preloaded(dir, prog, env, &r);
	assert_int_equal(r.status, 0);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		char *text = e2e_info(files[i]);
		uint64_t kid;

		assert_non_null(text);
		if (strstr(text, "samples:     cpu 0,")) {
			free(text); /* the parent, which only waited */
			continue;
		}
		assert_int_equal(e2e_collapse(NULL, &files[i], 1, &f), 0);
		kid = e2e_contains_sum(&f, work);
		if (kid) {
			child++;
			assert_null(strstr(text, "status:      complete"));
			/* 2 s at 999 Hz, about 1800 samples: all but the last cycle's are written
			 */
			if (kid < 1200)
				fprintf(stderr, "%s: %llu samples of %s\n%s\n", files[i],
					(unsigned long long)kid, work, text);
			assert_true(kid >= 1200);
		}
		e2e_folded_free(&f);
		free(text);
	}
	assert_int_equal(child, 1);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

static void test_fork_child_killed(void **state)
{
	(void)state;
	fork_child_killed("forkkill", "long_child_work");
}

/* The same 300 calls deep: a sample's walk stops at 128 frames, short of the root that tells
 * a safe point; a deeper walk finds it. */
static void test_fork_child_killed_deep(void **state)
{
	(void)state;
	fork_child_killed("deepkill", "deep_work;deep_work;deep_work;burn_cpu");
}

/* Bad settings: one line on stderr (the one thing inflame says there by default), no dump,
 * the program unchanged. */
static void test_bad_environment(void **state)
{
	const char *bad[] = {"INFLAME_FREQUENCY=fast", "INFLAME_EVENTS=cpu,gpu",
			     "INFLAME_OUTPUT=x.%q",    "INFLAME_MAX_DEPTH=0",
			     "INFLAME_CPU_TIMER=tsc",  "INFLAME_SIGNAL=KILL",
			     "INFLAME_LOG=loud"};
	char *prog[] = {LIFE("burn"), "0.05", NULL};
	struct e2e_result plain;

	(void)state;
	run_plain(prog, &plain);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *dir = e2e_tmpdir();
		char *env[] = {(char *)bad[i], NULL};
		struct e2e_result r;
		char **files;
		size_t n;

		run_preloaded(dir, prog, env, &r);
		same_behaviour(&r, &plain);
		assert_non_null(strstr(r.err, "inflame: "));
		assert_non_null(strstr(r.err, "runs unprofiled"));
		n = e2e_list(dir, "prof.", &files);
		assert_int_equal(n, 0);
		e2e_list_free(files, n);
		e2e_result_free(&r);
		e2e_rmdir(dir);
	}
	e2e_result_free(&plain);
}

/* A symlink planted where the dump would go is neither followed nor replaced. */
static void test_hostile_symlink(void **state)
{
	char *dir = e2e_tmpdir();
	char target[4200], link[4200], output[4200];
	char *prog[] = {LIFE("burn"), "0.2", NULL};
	char *env[2];
	struct e2e_result r;
	struct stat st;
	char **files;
	size_t n;

	(void)state;
	snprintf(target, sizeof(target), "%s/victim", dir);
	snprintf(link, sizeof(link), "%s/prof.fixed.ifl", dir);
	assert_int_equal(symlink(target, link), 0);
	snprintf(output, sizeof(output), "INFLAME_OUTPUT=%s/prof.fixed.ifl", dir);
	env[0] = output;
	env[1] = NULL;
	run_preloaded(dir, prog, env, &r);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	assert_int_not_equal(stat(target, &st), 0); /* nothing was written through the link */
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	n = e2e_list(dir, "prof.fixed.ifl.", &files);
	assert_int_equal(n, 1); /* the next name was used instead */
	assert_int_equal(stat(files[0], &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* Copies file src to dir/name with mode; returns 0 or -1. */
static int copy_file(const char *src, const char *dir, const char *name, mode_t mode)
{
	char dst[4200], buf[65536];
	FILE *in = fopen(src, "rb"), *out;
	size_t n;
	int rc = 0;

	if (!in)
		return -1;
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	out = fopen(dst, "wb");
	if (!out) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (ferror(in) || fclose(out) != 0)
		rc = -1;
	fclose(in);
	return rc == 0 ? chmod(dst, mode) : -1;
}

/* An unprivileged user (perf_event_paranoid as it is) gets a full-rate CPU profile. The build
 * tree may be where that user cannot go (a clone in /root or a 0700 home directory), so the
 * library and the program run from copies in a directory of their own that anyone can read. */
static void test_unprivileged(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	char *dir = e2e_tmpdir(), *stage = e2e_tmpdir();
	char lib[4200], prog[4200];
	char **files;
	size_t n;
	pid_t pid;
	int status;
	char *text;
	const char *p;

	(void)state;
	if (getuid() != 0 || !pw) {
		e2e_rmdir(dir);
		e2e_rmdir(stage);
		skip();
	}
	chmod(dir, 0777);
	assert_int_equal(chmod(stage, 0755), 0);
	assert_int_equal(
	    copy_file(e2e_build("preload/.libs/libinflame.so"), stage, "libinflame.so", 0755), 0);
	assert_int_equal(copy_file(e2e_build("tests/progs/lifecycle"), stage, "lifecycle", 0755),
			 0);
	snprintf(lib, sizeof(lib), "%s/libinflame.so", stage);
	snprintf(prog, sizeof(prog), "%s/lifecycle", stage);
	pid = fork();
	if (pid == 0) {
		char out[4200];

		snprintf(out, sizeof(out), "%s/prof.%%p.ifl", dir);
		if (setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
			_exit(126);
		setenv("LD_PRELOAD", lib, 1);
		setenv("INFLAME_OUTPUT", out, 1);
		execl(prog, "lifecycle", "burn", "1", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "unprivileged: the program as nobody: status 0x%x\n", status);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 1);
	text = e2e_info(files[0]);
	assert_non_null(text);
	p = strstr(text, "Hz asked, ");
	assert_non_null(p);
	fprintf(stderr, "unprivileged: %.60s\n", p);
	/* The perf clock, beyond the 250 Hz tick of the POSIX CPU timers. Not much higher: on a
	 * host whose other guests steal much of the CPU, the achieved rate fell below 900/s. */
	assert_true(atof(p + strlen("Hz asked, ")) > 500);
	free(text);
	e2e_list_free(files, n);
	e2e_rmdir(dir);
	e2e_rmdir(stage);
}

/* A plugin found only through the program's DT_RUNPATH still loads under the preload, whose
 * dlopen wrapper is what the loader sees as the caller. */
static void test_dlopen_runpath(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {(char *)e2e_build("tests/progs/dlopen_runpath"), NULL};
	struct e2e_result r, plain;

	(void)state;
	run_plain(prog, &plain);
	assert_string_equal(plain.out, "plugin says 42\n");
	run_preloaded(dir, prog, NULL, &r);
	same_behaviour(&r, &plain);
	e2e_result_free(&r);
	e2e_result_free(&plain);
	e2e_rmdir(dir);
}

/* Where perf events are refused (seccomp, perf_event_paranoid=3) the CPU clock falls back to
 * per-thread POSIX timers, with one line saying so, and the program is still profiled. */
static void test_perf_refused(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {(char *)e2e_build("tests/progs/noperf"), LIFE("burn"), "1", NULL};
	struct e2e_result r;
	char **files;
	size_t n;
	char *text;

	(void)state;
	run_preloaded(dir, prog, NULL, &r);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	assert_null(strstr(r.err, "inflame")); /* said in the dump, not on stderr */
	/* noperf itself is profiled too (with perf: it forbids perf only for what it runs);
	 * the program it execs has the same pid and writes the second file */
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 2);
	text = e2e_info(files[1]);
	assert_non_null(text);
	/* (the default, auto, fell back from perf) */
	assert_non_null(strstr(text, "cpu timer:   auto: thread\n"));
	assert_non_null(strstr(text, "perf events are not available"));
	assert_non_null(strstr(text, "status:      complete"));
	free(text);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* INFLAME_FOLLOW_CHILDREN=0: a program exec'd by the profiled one is not profiled. */
static void test_no_follow(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {LIFE("forkexec"), NULL};
	char *env[] = {"INFLAME_FOLLOW_CHILDREN=0", NULL};
	struct e2e_result r;
	struct e2e_folded f;
	char **files;
	size_t n;

	(void)state;
	run_preloaded(dir, prog, env, &r);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	/* the parent; nothing of the exec'd image. The forked child writes no dump unless it took
	 * a sample before its exec: its CPU between fork and exec is mostly its first touches of
	 * the parent's pages, which under a loaded make check came to a sample once. */
	{
		int k = check_dumps_complete(dir);

		assert_true(k == 1 || k == 2);
	}
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(e2e_collapse(NULL, files, n, &f), 0);
	/* The exec'd image would burn outside parent_work; nothing may. */
	for (size_t i = 0; i < f.n; i++)
		assert_true(!strstr(f.stacks[i], "burn_cpu") || strstr(f.stacks[i], "parent_work"));
	assert_true(e2e_contains_sum(&f, "parent_work") > 300);
	e2e_folded_free(&f);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* CPU sampling with the default clock never makes a system call fail with EINTR: the perf
 * clock counts user time only, so its signals arrive while the thread runs user code. (The
 * tick-based POSIX clocks can fire while a thread is in the kernel entering poll(); see
 * inflame-preload(7).) */
static void test_no_eintr(void **state)
{
	const char *timers[] = {"INFLAME_CPU_TIMER=perf"};
	char *prog[] = {LIFE("eintr"), NULL};

	(void)state;
	for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++) {
		char *dir = e2e_tmpdir();
		char *env[] = {(char *)timers[i], NULL};
		struct e2e_result r;

		run_preloaded(dir, prog, env, &r);
		if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
			fprintf(stderr, "%s: %s\n", timers[i], r.err);
		assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
		assert_int_equal(check_dumps_complete(dir), 1);
		e2e_result_free(&r);
		e2e_rmdir(dir);
	}
}

/* `inflame record` refuses a statically linked program with a clear message. */
static void test_record_static(void **state)
{
	char *argv[] = {(char *)e2e_build("inflame"), "record", "--",
			(char *)e2e_build("tests/progs/static_prog"), NULL};
	struct e2e_result r;

	(void)state;
	assert_int_equal(e2e_run(argv, NULL, "/tmp", 60, &r), 0);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1);
	assert_non_null(strstr(r.err, "statically linked"));
	assert_string_equal(r.out, "");
	e2e_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fork),
	    cmocka_unit_test(test_fork_exec),
	    cmocka_unit_test(test_short_children),
	    cmocka_unit_test(test_thread_churn),
	    cmocka_unit_test(test_dump_on_signal),
	    cmocka_unit_test(test_periodic_dumps),
	    cmocka_unit_test(test_program_sigprof),
	    cmocka_unit_test(test_fork_loop),
	    cmocka_unit_test(test_sigkill),
	    cmocka_unit_test(test_fork_child_killed),
	    cmocka_unit_test(test_fork_child_killed_deep),
	    cmocka_unit_test(test_bad_environment),
	    cmocka_unit_test(test_hostile_symlink),
	    cmocka_unit_test(test_unprivileged),
	    cmocka_unit_test(test_dlopen_runpath),
	    cmocka_unit_test(test_perf_refused),
	    cmocka_unit_test(test_no_follow),
	    cmocka_unit_test(test_no_eintr),
	    cmocka_unit_test(test_record_static),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
