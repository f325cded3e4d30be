/* End-to-end tests of what the dump tells about its own coverage: each thread's measured CPU
 * time next to what its samples stand for (a thread that blocks the sampling signal must be
 * named in a warning by info, collapse, report and flamegraph), the profiler's own CPU kept
 * apart from the program's, info's achieved rate and each file's own duration, and the perf
 * clock counting kernel time with INFLAME_CPU_KERNEL=1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "e2e/e2e.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs `inflame record [opts...] -o DIR/prof.%p.ifl -- prog...` in dir; asserts exit 0. */
static void record(const char *dir, const char *const opts[], char *const prog[], char *const env[],
		   struct e2e_result *r)
{
	char *argv[40];
	char out[4200];
	int a = 0;

	snprintf(out, sizeof(out), "%s/prof.%%p.ifl", dir);
	argv[a++] = (char *)e2e_build("inflame");
	argv[a++] = "record";
	argv[a++] = "-q";
	for (int i = 0; opts && opts[i] && a < 20; i++)
		argv[a++] = (char *)opts[i];
	argv[a++] = "-o";
	argv[a++] = out;
	argv[a++] = "--";
	for (int i = 0; prog[i] && a < 39; i++)
		argv[a++] = prog[i];
	argv[a] = NULL;
	assert_int_equal(e2e_run(argv, env, dir, 120, r), 0);
	if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0)
		fprintf(stderr, "record failed: %s\n", r->err);
	assert_true(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0);
}

/* Runs `inflame CMD FILE` (with -o for flamegraph) and returns its stderr (caller frees). */
static char *tool_stderr(const char *cmd, const char *file, const char *dir)
{
	char out[4200];
	char *argv[8];
	struct e2e_result r;
	char *err;
	int a = 0;

	argv[a++] = (char *)e2e_build("inflame");
	argv[a++] = (char *)cmd;
	if (!strcmp(cmd, "flamegraph")) {
		snprintf(out, sizeof(out), "%s/out.svg", dir);
		argv[a++] = "-o";
		argv[a++] = out;
	}
	argv[a++] = (char *)file;
	argv[a] = NULL;
	assert_int_equal(e2e_run(argv, NULL, dir, 120, &r), 0);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	err = strdup(r.err);
	e2e_result_free(&r);
	return err;
}

/* The value after "label" in text (as a double), asserting it is there. */
static double number_after(const char *text, const char *label)
{
	const char *p = strstr(text, label);

	if (!p)
		fprintf(stderr, "no '%s' in:\n%s\n", label, text);
	assert_non_null(p);
	return atof(p + strlen(label));
}

/* The line of info that starts with prefix, asserting it is there. */
static const char *line_of(const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix);

	if (!p)
		fprintf(stderr, "no '%s' in:\n%s\n", prefix, text);
	assert_non_null(p);
	return p;
}

/* text from its first prefix on, or "" (for printing). */
static const char *from(const char *text, const char *prefix)
{
	const char *p = text ? strstr(text, prefix) : NULL;

	return p ? p : "";
}

/* Sum of the counts of stacks with a frame whose name contains name (symbol versions such as
 * "@GLIBC_2.2.5" may follow it). */
static uint64_t frames_sum(const struct e2e_folded *f, const char *name)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < f->n; i++)
		if (strstr(f->stacks[i], name))
			sum += f->counts[i];
	return sum;
}

/* The coverage percentage of the coverage: line: "... (97.6%)". */
static double total_coverage(const char *info)
{
	const char *p = strstr(info, "coverage:    ");
	const char *q = p ? strchr(p, '(') : NULL;

	if (!q)
		fprintf(stderr, "no coverage in:\n%s\n", info);
	assert_non_null(q);
	return atof(q + 1);
}

/* A worker that blocks every signal with the raw system call (which no interposer can undo)
 * and burns a second of CPU gets no samples: info, collapse, report and flamegraph name it in
 * a warning, and only it: the main thread, burning as much, is covered. */
static void test_blocked_thread_warned(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {(char *)e2e_build("tests/progs/covprog"), "blocked", "1", NULL};
	const char *cmds[] = {"collapse", "report", "flamegraph"};
	struct e2e_result r;
	char **files, *info, *w;
	size_t n;

	(void)state;
	record(dir, NULL, prog, NULL, &r);
	assert_true(e2e_truth(r.err, "blocked") > 900000000ull);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 1);
	info = e2e_info(files[0]);
	assert_non_null(info);
	fprintf(stderr, "%s", from(info, "cpu clock:"));
	w = strstr(info, "warning:     sampled for less than 80% of their CPU time: ");
	assert_non_null(w);
	assert_non_null(strstr(w, "blocked (tid "));
	assert_null(strstr(w, "covprog (tid "));
	/* The main thread's samples stand for its CPU time, within a few percent. */
	assert_true(number_after(line_of(info, "  covprog "), "samples ") > 0.85);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *err = tool_stderr(cmds[i], files[0], dir);
		char *line = strstr(err, "threads sampled for less than 80% of their CPU time: ");

		fprintf(stderr, "%s: %s", cmds[i], err);
		assert_non_null(line);
		assert_non_null(strstr(line, "blocked (tid "));
		assert_null(strstr(line, "covprog (tid "));
		free(err);
	}
	free(info);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* What each thread's samples stand for (periods x the clock's period) against its measured CPU
 * time: a main thread burning CPU in user code, and a worker mixing user code, bursts of system
 * calls (whose periods end in the kernel, where the clock drops its overflow: the next sample
 * stands for them, by the event's count) and short naps (the clock stops). The samples' weights
 * must neither lose those periods (about a third of the worker's time: a weight of 1 per
 * signal loses them) nor charge more periods than the thread ran. */
static void test_weights_match_cpu(void **state)
{
	const char *names[] = {"  covprog ", "  mixer "};
	char *dir = e2e_tmpdir();
	char *prog[] = {(char *)e2e_build("tests/progs/covprog"), "mixed", "1", NULL};
	struct e2e_result r;
	char **files, *info;
	size_t n;

	(void)state;
	record(dir, NULL, prog, NULL, &r);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 1);
	info = e2e_info(files[0]);
	assert_non_null(info);
	fprintf(stderr, "%s", from(info, "coverage:"));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *line = line_of(info, names[i]);
		double cpu = number_after(line, "user ") + number_after(line, ", sys ");
		double samples = number_after(line, "samples ");

		fprintf(stderr, "%s: samples %.3f s of %.3f s of CPU\n", names[i] + 2, samples,
			cpu);
		assert_true(cpu > 0.9);
		assert_true(samples >= 0.90 * cpu);
		assert_true(samples <= 1.03 * cpu + 0.005);
	}
	free(info);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* A program asleep in clock_nanosleep under cpu,wall, in naps of 1 ms so that the wall ticker
 * signals it every time it wakes: the CPU that the wall signals cost it (their delivery, inflame's
 * handler, the restart of the call they interrupt) is inflame's, not the program's blocking call
 * (it was 3% of the wall samples, all in clock_nanosleep); --show-profiler shows it as
 * [inflame]. The naps cost the program CPU of their own, in the kernel mostly, which the CPU
 * clock charges to clock_nanosleep: on a loaded machine up to 30 samples in 2 s of naps. So the
 * same program is profiled for its CPU alone first, and the wall signals may not add more than a
 * quarter of that, and 8 samples, to its clock_nanosleep. The thread goes back to the same call
 * at each nap, so the wall ticker repeats the stack its first signal found there rather than
 * signalling it again (wall.c, kept call sites): the profile's wall records (the handler's
 * samples and the ticker's records, one per thread every 0.1 s at most) are a few dozen, where
 * a signal at each wake made about 1250. With the handler's cheaper samples inflame's own CPU
 * is 0 to 20 samples in 2 s: the test checks that every one of them is shown apart, not that
 * there are some. */
static void test_sleep_cpu_is_profiler(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {(char *)e2e_build("tests/progs/covprog"), "naps", "2", NULL};
	const char *opts[] = {"-e", "cpu,wall", NULL};
	const char *alone[] = {"-e", "cpu", NULL};
	const char *cpu[] = {"--event", "cpu", NULL};
	const char *shown[] = {"--event", "cpu", "--show-profiler", NULL};
	struct e2e_result r;
	struct e2e_folded f, g;
	char **files, *info;
	size_t n;
	uint64_t in_sleep, own_sleep;

	(void)state;
	record(dir, alone, prog, NULL, &r);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 1);
	/* The program's own cpu samples may be none at all: collapse then says so and fails. */
	memset(&f, 0, sizeof(f));
	own_sleep = e2e_collapse(cpu, files, n, &f) == 0 ? frames_sum(&f, "nanosleep") : 0;
	e2e_folded_free(&f);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
	dir = e2e_tmpdir();
	record(dir, opts, prog, NULL, &r);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 1);
	memset(&f, 0, sizeof(f));
	in_sleep = e2e_collapse(cpu, files, n, &f) == 0 ? frames_sum(&f, "nanosleep") : 0;
	fprintf(
	    stderr,
	    "cpu alone: in clock_nanosleep %llu; cpu,wall: cpu samples %llu, in clock_nanosleep "
	    "%llu\n",
	    (unsigned long long)own_sleep, (unsigned long long)f.total,
	    (unsigned long long)in_sleep);
	/* Under load 9 to 12 samples land in the naps with wall against 0 to 5 alone (a quarter
	 * plus 8 failed): a margin that still fails when each wall signal's kernel cost is
	 * charged to the nap (hundreds of samples). */
	assert_true(in_sleep <= own_sleep + own_sleep / 2 + 20);
	assert_int_equal(e2e_leaf_sum(&f, "[inflame]"), 0);
	/* The naps take little CPU: a run on a fast machine may take no cpu sample at all, of the
	 * program's or of inflame's, and then both collapses say so alike. */
	memset(&g, 0, sizeof(g));
	if (e2e_collapse(shown, files, n, &g) != 0) {
		assert_int_equal(f.total, 0);
	} else {
		fprintf(stderr, "with --show-profiler: [inflame] %llu\n",
			(unsigned long long)e2e_leaf_sum(&g, "[inflame]"));
		assert_int_equal(g.total, f.total + e2e_leaf_sum(&g, "[inflame]"));
	}
	info = e2e_info(files[0]);
	assert_non_null(info);
	fprintf(stderr, "%s", from(info, "profiler:"));
	assert_true(number_after(info, "profiler's own CPU: ") > 0.0);
	fprintf(stderr, "wall records: %.0f\n", number_after(line_of(info, "samples:"), ", wall "));
	assert_true(number_after(line_of(info, "samples:"), ", wall ") <= 100);
	free(info);
	e2e_folded_free(&f);
	e2e_folded_free(&g);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* Wall samples that find a thread in inflame's own code (here the allocation hook of full
 * tracing, which two threads call millions of times) are the profiler's wall time, not the
 * program's: without --show-profiler no wall stack is "[inflame]" (one with no frame of the
 * program's), with it they make an "[inflame]" frame, and the totals add up. They were charged
 * to the program (to malloc's caller, or to an "[inflame]" stack when the walk found no frame of
 * the program's), and --show-profiler showed none. */
static void test_wall_in_profiler(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {(char *)e2e_build("tests/progs/allocstorm"), "2", "1000000", NULL};
	const char *opts[] = {"-e", "wall,alloc", "--alloc-rate", "1", NULL};
	const char *wall[] = {"--event", "wall", NULL};
	const char *shown[] = {"--event", "wall", "--show-profiler", NULL};
	struct e2e_result r;
	struct e2e_folded f, g;
	char **files;
	size_t n;
	uint64_t own;

	(void)state;
	record(dir, opts, prog, NULL, &r);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 1);
	assert_int_equal(e2e_collapse(wall, files, n, &f), 0);
	assert_int_equal(e2e_collapse(shown, files, n, &g), 0);
	own = e2e_leaf_sum(&g, "[inflame]");
	fprintf(stderr,
		"wall %llu, in [inflame] stacks %llu; with --show-profiler [inflame] %llu\n",
		(unsigned long long)f.total, (unsigned long long)e2e_leaf_sum(&f, "[inflame]"),
		(unsigned long long)own);
	assert_int_equal(e2e_leaf_sum(&f, "[inflame]"), 0);
	assert_true(own * 20 > g.total);
	assert_int_equal(g.total, f.total + own);
	e2e_folded_free(&f);
	e2e_folded_free(&g);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* The POSIX thread timer at 999 Hz is held to the 250 Hz kernel tick, its samples weighted by
 * the periods they missed: info's achieved rate counts samples (about 250 per CPU-second),
 * not weights (which made it 989). */
static void test_info_rate_counts_samples(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {(char *)e2e_build("tests/progs/covprog"), "blocked", "0.5", NULL};
	const char *opts[] = {"--cpu-timer", "thread", NULL};
	struct e2e_result r;
	char **files, *info;
	size_t n;
	double rate;

	(void)state;
	record(dir, opts, prog, NULL, &r);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 1);
	info = e2e_info(files[0]);
	assert_non_null(info);
	rate = number_after(info, "Hz asked, ");
	fprintf(stderr, "thread timer: %.1f samples per CPU-second\n", rate);
	/* Half the CPU (the blocked worker's) takes no samples: about 125 per CPU-second. */
	assert_true(rate > 50 && rate < 300);
	free(info);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* A run rotated every second: each later file's duration is its own slice, not the time
 * since the profiler started. */
static void test_info_slice_duration(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {(char *)e2e_build("tests/progs/covprog"), "sleep", "3.2", NULL};
	const char *opts[] = {"--interval", "1", NULL};
	struct e2e_result r;
	char **files;
	size_t n;

	(void)state;
	record(dir, opts, prog, NULL, &r);
	n = e2e_list(dir, "prof.", &files);
	assert_true(n >= 3);
	for (size_t i = 1; i < n; i++) {
		char *info = e2e_info(files[i]);
		double d;

		assert_non_null(info);
		d = number_after(info, "duration:    ");
		fprintf(stderr, "%s: %.3f s\n", files[i], d);
		assert_true(d < 1.6);
		free(info);
	}
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* INFLAME_CPU_KERNEL=1 as root: the perf clock fires in the kernel too, and the samples of a
 * program that spends most of its time in system calls cover its user and system time. */
static void test_kernel_clock(void **state)
{
	char *dir = e2e_tmpdir();
	char *prog[] = {(char *)e2e_build("tests/progs/covprog"), "syscalls", "1", NULL};
	char *env[] = {"INFLAME_CPU_KERNEL=1", NULL};
	struct e2e_result r;
	char **files, *info;
	size_t n;
	double cov;

	(void)state;
	if (getuid() != 0) {
		e2e_rmdir(dir);
		skip();
	}
	record(dir, NULL, prog, env, &r);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 1);
	info = e2e_info(files[0]);
	assert_non_null(info);
	fprintf(stderr, "%s", from(info, "cpu clock:"));
	assert_non_null(strstr(info, "cpu clock:   counts user and system time, "));
	/* Most of its CPU time is system time. */
	assert_true(number_after(line_of(info, "  covprog "), ", sys ") > 0.3);
	cov = total_coverage(info);
	assert_true(cov > 90.0 && cov < 110.0);
	free(info);
	e2e_list_free(files, n);
	e2e_result_free(&r);
	e2e_rmdir(dir);
}

/* The same asked by an unprivileged user at perf_event_paranoid 2: the clock falls back to
 * user time, and info says that the request was refused. */
static void test_kernel_clock_refused(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	char *dir = e2e_tmpdir();
	char **files, *info;
	size_t n;
	pid_t pid;
	int status;
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
	int paranoid = 0;

	(void)state;
	if (f) {
		if (fscanf(f, "%d", &paranoid) != 1)
			paranoid = 0;
		fclose(f);
	}
	if (getuid() != 0 || !pw || paranoid < 2 ||
	    access(e2e_build("tests/progs/covprog"), R_OK) < 0) {
		e2e_rmdir(dir);
		skip();
	}
	chmod(dir, 0777);
	pid = fork();
	if (pid == 0) {
		char out[4200];

		snprintf(out, sizeof(out), "%s/prof.%%p.ifl", dir);
		if (setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
			_exit(126);
		if (access(e2e_build("preload/.libs/libinflame.so"), R_OK) < 0)
			_exit(125); /* the build tree is out of its reach */
		setenv("LD_PRELOAD", e2e_build("preload/.libs/libinflame.so"), 1);
		setenv("INFLAME_OUTPUT", out, 1);
		setenv("INFLAME_CPU_KERNEL", "1", 1);
		execl(e2e_build("tests/progs/covprog"), "covprog", "syscalls", "0.3", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 125) {
		e2e_rmdir(dir);
		skip();
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	n = e2e_list(dir, "prof.", &files);
	assert_int_equal(n, 1);
	info = e2e_info(files[0]);
	assert_non_null(info);
	fprintf(stderr, "%s", from(info, "cpu clock:"));
	assert_non_null(strstr(info, "(INFLAME_CPU_KERNEL=1 was refused by the system)"));
	free(info);
	e2e_list_free(files, n);
	e2e_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_blocked_thread_warned),
	    cmocka_unit_test(test_weights_match_cpu),
	    cmocka_unit_test(test_sleep_cpu_is_profiler),
	    cmocka_unit_test(test_wall_in_profiler),
	    cmocka_unit_test(test_info_rate_counts_samples),
	    cmocka_unit_test(test_info_slice_duration),
	    cmocka_unit_test(test_kernel_clock),
	    cmocka_unit_test(test_kernel_clock_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
