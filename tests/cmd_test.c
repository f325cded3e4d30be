/* Tests of `inflame info` and `inflame report`, run as separate processes on synthetic dumps:
 * their output lines, one-line errors and exit statuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dumpgen.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct result {
	int status;
	char out[16384];
	char err[4096];
};

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
	unlink(path);
}

/* Runs the driver with args (NULL-terminated), capturing stdout and stderr. */
static void run(struct result *r, const char *const *args)
{
	const char *bd = getenv("INFLAME_BUILDDIR");
	char prog[4096], outp[] = "/tmp/inflame-out-XXXXXX", errp[] = "/tmp/inflame-err-XXXXXX";
	char *argv[32];
	posix_spawn_file_actions_t fa;
	int ofd = mkstemp(outp), efd = mkstemp(errp), n = 1;
	pid_t pid;

	assert_true(ofd >= 0 && efd >= 0);
	snprintf(prog, sizeof(prog), "%s/inflame", bd ? bd : ".");
	argv[0] = prog;
	for (; args[n - 1] && n < 31; n++)
		argv[n] = (char *)args[n - 1];
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, ofd, 1);
	posix_spawn_file_actions_adddup2(&fa, efd, 2);
	assert_int_equal(posix_spawn(&pid, prog, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &r->status, 0), pid);
	close(ofd);
	close(efd);
	slurp(outp, r->out, sizeof(r->out));
	slurp(errp, r->err, sizeof(r->err));
	assert_true(WIFEXITED(r->status)); /* never a crash */
	r->status = WEXITSTATUS(r->status);
}

/* A dump of two threads whose clock has the THREAD_CPU flags given, main with user and sys ns
 * of CPU time (the worker: 0.4 s of user time); when kern is not 0, main has a cpu sample of
 * weight kern at 150 ms whose stack is the kernel pseudo-frame (INFLAME_FRAME_KERNEL). */
static void build_kern(char *path, int complete, uint64_t flags, uint64_t user, uint64_t sys,
		       uint64_t kern)
{
	static const char *const argv[] = {"./prog", "-n", "3"};
	static const uint64_t s1[] = {0x1100, 0x1201}, s2[] = {0x1300, 0x1201};
	static const uint64_t s3[] = {INFLAME_FRAME_KERNEL};
	struct dumpgen g;

	dg_begin(&g, 4242, INFLAME_FEAT_CPU | INFLAME_FEAT_ALLOC);
	dg_process(&g, 4242, "/usr/bin/prog", 3, argv, "cpu,alloc", 100);
	dg_module(&g, 1, 0x1000, 0x1000, 0x2000, "/nonexistent/libfoo.so", NULL, 0);
	dg_count(&g, kern ? 3 : 2);
	dg_stack(&g, 1, 2, s1);
	dg_stack(&g, 2, 2, s2);
	if (kern)
		dg_stack(&g, 3, 1, s3);
	dg_chunk(&g, INFLAME_CHUNK_STACKS);
	dg_count(&g, 2);
	dg_thread(&g, 10, "main", 0);
	dg_thread(&g, 11, "worker", 1);
	dg_chunk(&g, INFLAME_CHUNK_THREADS);
	dg_count(&g, kern ? 7 : 6);
	dg_sample(&g, 100, 10, INFLAME_EV_CPU, 1, 3, 0, 0);
	if (kern)
		dg_sample(&g, 150, 10, INFLAME_EV_CPU, 3, kern, 0, 0);
	dg_sample(&g, 200, 11, INFLAME_EV_CPU, 1, 3, 0, 0);
	dg_sample(&g, 300, 11, INFLAME_EV_CPU, 2, 2, 0, 0);
	dg_sample(&g, 400, 10, INFLAME_EV_CPU, 2, 2, 0, 0);
	dg_sample(&g, 500, 10, INFLAME_EV_ALLOC, 1, 3 << 20, 64, 0xa000);
	dg_sample(&g, 600, 10, INFLAME_EV_ALLOC, 2, 1 << 20, 64, 0xb000);
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	/* THREAD_CPU: 10 ms a unit of weight; main's 5 units stand for its 50 ms of user time,
	 * the worker's 5 for 50 ms of its 400 (12%); 2 units of main's landed in inflame. */
	inflame_buf_put_varint(&g.b, 10000000);
	inflame_buf_put_varint(&g.b, flags);
	inflame_buf_put_varint(&g.b, 10000000); /* the writer's 10 ms */
	inflame_buf_put_varint(&g.b, 2);
	{
		const uint64_t e[2][8] = {
		    {10, 0, user + sys, user, sys, 5, 2, 0},
		    {11, INFLAME_TCPU_T_EXITED, 400000000, 400000000, 0, 5, 0, 0},
		};

		for (int i = 0; i < 2; i++)
			for (int k = 0; k < 8; k++)
				inflame_buf_put_varint(&g.b, e[i][k]);
	}
	dg_chunk(&g, INFLAME_CHUNK_THREAD_CPU);
	inflame_buf_put_varint(&g.b, 3);
	inflame_buf_put_varint(&g.b, INFLAME_STAT_CPU_NS);
	inflame_buf_put_varint(&g.b, 100000000); /* 0.1 s of CPU for 4 samples: 40/s */
	inflame_buf_put_varint(&g.b, INFLAME_STAT_DROPPED_RING);
	inflame_buf_put_varint(&g.b, 4);
	inflame_buf_put_varint(&g.b, INFLAME_STAT_TRUNCATED);
	inflame_buf_put_varint(&g.b, 2);
	dg_chunk(&g, INFLAME_CHUNK_STATS);
	if (complete) {
		dg_end(&g, 1500);
	} else {
		dg_end(&g, 1500);
		g.file.len -= 3;
	}
	assert_int_equal(dg_write(&g, path), 0);
}

static void build_with(char *path, int complete, uint64_t flags, uint64_t user, uint64_t sys)
{
	build_kern(path, complete, flags, user, sys, 0);
}

static void build(char *path, int complete)
{
	build_with(path, complete, INFLAME_TCPU_CLOCK_SYSTEM | INFLAME_TCPU_IN_KERNEL, 65000000,
		   5000000);
}

static void test_info(void **state)
{
	struct result r;
	char path[64];

	(void)state;
	build(path, 1);
	run(&r, (const char *[]){"info", "-v", path, NULL});
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "pid:         4242 (parent 1)\n"));
	assert_non_null(strstr(r.out, "command:     ./prog -n 3\n"));
	assert_non_null(strstr(r.out, "started:     2023-11-14T22:13:20.123Z\n"));
	assert_non_null(strstr(r.out, "duration:    1.500 s\n"));
	assert_non_null(strstr(r.out, "sequence:    2\n"));
	assert_non_null(strstr(r.out, "events:      cpu,alloc\n"));
	/* Samples, not their weights (10): a timer held back by the kernel tick weights each
	 * sample by the periods it missed. */
	assert_non_null(strstr(r.out, "frequency:   100 Hz asked, 40.0 samples per CPU-second "
				      "achieved (4 samples in 0.100 s of CPU)\n"));
	assert_non_null(strstr(r.out, "cpu clock:   counts user and system time, 10.000 ms a "
				      "sample\n"));
	assert_non_null(strstr(r.out, "coverage:    samples stand for 0.120 s of 0.470 s of user "
				      "and system CPU (25.5%)\n"));
	assert_non_null(strstr(r.out, "  worker           tid 11       user 0.400 s, sys 0.000 s, "
				      "samples 0.050 s, 12.5% (exited)\n"));
	assert_non_null(strstr(r.out, "warning:     sampled for less than 80% of their CPU time: "
				      "worker (tid 11) 12%\n"));
	assert_non_null(strstr(r.out, "profiler:    profiler's own CPU: 0.030 s, 30.0% (in the "
				      "program's threads 0.020 s, inflame's threads 0.010 s)\n"));
	assert_non_null(strstr(r.out, "samples:     cpu 4, wall 0, alloc 2, free 0\n"));
	assert_non_null(strstr(r.out, "threads:     2\n"));
	assert_non_null(strstr(r.out, "worker"));
	assert_non_null(strstr(r.out, "(exited)"));
	assert_non_null(strstr(r.out, "drops:       ring 4, stack table 0, threads 0\n"));
	assert_non_null(strstr(r.out, "truncated:   2 stacks\n"));
	assert_non_null(strstr(r.out, "modules:     1 (1 maps)\n"));
	assert_non_null(strstr(r.out, "status:      complete\n"));
	unlink(path);

	build(path, 0);
	run(&r, (const char *[]){"info", path, NULL});
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "status:      torn at offset"));
	assert_non_null(strstr(r.out, "duration:    0.600 s (up to the last sample)\n"));
	unlink(path);
}

/* Notices: every NOTES chunk's notices in order with their times, the lost count, control
 * characters escaped, a malformed chunk counted as damaged; a later PROCESS chunk (the program
 * renamed itself) replaces the first; a dump without NOTES prints no notices line. */
static void test_info_notes(void **state)
{
	static const char *const argv[] = {"./server", "-d"};
	static const char *const renamed[] = {"server: worker process"};
	struct result r;
	struct dumpgen g;
	char path[64];
	const char *a, *b;

	(void)state;
	dg_begin(&g, 77, INFLAME_FEAT_CPU);
	dg_process(&g, 77, "/usr/sbin/server", 2, argv, "cpu", 999);
	dg_count(&g, 1);
	dg_count(&g, 0);
	dg_note(&g, 0, INFLAME_NOTE_NOTICE, "perf events are not available; using thread timers");
	dg_chunk(&g, INFLAME_CHUNK_NOTES);
	dg_process(&g, 77, "/usr/sbin/server", 1, renamed, "cpu", 999);
	dg_count(&g, 2);
	dg_count(&g, 3);
	dg_note(&g, 1250, INFLAME_NOTE_NOTICE, "the program handles SIGUSR2\x1b[31m itself");
	dg_note(&g, 1500, INFLAME_NOTE_UNPROFILED, "cannot write x.ifl; profiling data is lost");
	dg_chunk(&g, INFLAME_CHUNK_NOTES);
	dg_count(&g, 5); /* says 5 notices, holds none: damaged */
	dg_count(&g, 0);
	dg_chunk(&g, INFLAME_CHUNK_NOTES);
	dg_end(&g, 2000);
	assert_int_equal(dg_write(&g, path), 0);
	run(&r, (const char *[]){"info", path, NULL});
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "command:     server: worker process\n"));
	assert_non_null(strstr(r.out, "notices:     3 (and 3 more that did not fit)\n"));
	a = strstr(r.out, "     0.000 s  perf events are not available; using thread timers\n");
	b = strstr(r.out, "     1.250 s  the program handles SIGUSR2\\x1b[31m itself\n");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	assert_non_null(
	    strstr(r.out, "     1.500 s  error: cannot write x.ifl; profiling data is lost\n"));
	assert_non_null(strstr(r.out, "damaged:     1 chunks ignored\n"));
	assert_non_null(strstr(r.out, "status:      complete\n"));
	unlink(path);

	build(path, 1);
	run(&r, (const char *[]){"info", path, NULL});
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "notices:"));
	unlink(path);
}

static void test_info_errors(void **state)
{
	struct result r;
	char path[64], bad[] = "/tmp/inflame-bad-XXXXXX";
	int fd = mkstemp(bad);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello, this is not a dump\n", 26), 26);
	close(fd);
	build(path, 1);
	run(&r, (const char *[]){"info", bad, path, "/nonexistent/x", NULL});
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "inflame info: "));
	assert_non_null(strstr(r.err, ": not an inflame dump"));
	assert_non_null(strstr(r.err, "inflame info: /nonexistent/x: cannot open"));
	assert_non_null(strstr(r.out, "status:      complete\n")); /* the good one still shown */
	run(&r, (const char *[]){"info", NULL});
	assert_int_equal(r.status, 2);
	run(&r, (const char *[]){"info", "--bogus", path, NULL});
	assert_int_equal(r.status, 2);
	unlink(bad);
	unlink(path);
}

static void test_report(void **state)
{
	struct result r;
	char path[64];

	(void)state;
	build(path, 1);
	run(&r, (const char *[]){"report", path, NULL});
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "# cpu: 10 in 2 stacks, 3 functions\n"));
	/* Leaf 0x100 is self 6 of 10; 0x200 is in every stack; 0x300 self 4. */
	assert_non_null(
	    strstr(r.out, " 60.00%            6  60.00%            6  [libfoo.so+0x100]\n"));
	assert_non_null(
	    strstr(r.out, " 40.00%            4  40.00%            4  [libfoo.so+0x300]\n"));
	assert_non_null(
	    strstr(r.out, "  0.00%            0 100.00%           10  [libfoo.so+0x200]\n"));
	assert_true(strstr(r.out, "0x100]") < strstr(r.out, "0x300]"));
	assert_non_null(strstr(r.err, "lost 4 samples"));
	assert_non_null(strstr(r.err, "threads sampled for less than 80% of their CPU time: "
				      "worker (tid 11) 12%\n"));
	assert_null(strstr(r.err, "main (tid"));

	run(&r, (const char *[]){"report", "--event", "alloc", "--top", "1", path, NULL});
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "# alloc: 4.0 MiB in 2 stacks"));
	assert_non_null(strstr(r.out, "3.0 MiB"));
	assert_null(strstr(r.out, "0x300]"));

	run(&r, (const char *[]){"report", "--threads", path, NULL});
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "main-10\n"));
	assert_non_null(strstr(r.out, "worker-11\n"));

	run(&r, (const char *[]){"report", "--event", "wall", path, NULL});
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "inflame report: no wall samples"));
	run(&r, (const char *[]){"report", "--event", "nope", path, NULL});
	assert_int_equal(r.status, 2);
	run(&r, (const char *[]){"report", "--top", "x", path, NULL});
	assert_int_equal(r.status, 2);
	run(&r, (const char *[]){"report", path, "/nonexistent/y", NULL});
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, ""); /* no partial table */
	/* The error names the file once (after the first input's warnings). */
	{
		const char *e = strstr(r.err, "inflame report: cannot open /nonexistent/y: ");

		assert_non_null(e);
		e = strstr(e, "/nonexistent/y") + 1;
		assert_true(strstr(e, "/nonexistent/y") == NULL ||
			    strstr(e, "/nonexistent/y") > strchr(e, '\n'));
	}
	unlink(path);
}

/* System time that a clock firing in user code only charged to the code after it is named by
 * info, report and collapse when it is 5% of the CPU time or more (and 0.1 s); a clock that
 * fires in the kernel, or less system time, gives no warning. */
static void test_system_time(void **state)
{
	static const char *const warn =
	    "30% of the CPU time was spent in the kernel, and the clock fires in user code only: "
	    "that time is charged to the code that ran next, not to the calls that spent it";
	struct result r;
	char path[64];

	(void)state;
	build_with(path, 1, INFLAME_TCPU_CLOCK_SYSTEM, 65000000, 200000000);
	run(&r, (const char *[]){"collapse", path, NULL});
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "inflame collapse: warning: "));
	assert_non_null(strstr(r.err, warn));
	run(&r, (const char *[]){"report", path, NULL});
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "inflame report: warning: "));
	assert_non_null(strstr(r.err, warn));
	run(&r, (const char *[]){"info", path, NULL});
	assert_non_null(strstr(r.out,
			       "warning:     30% of the CPU time was spent in the kernel and "
			       "is charged to the code that ran next"));
	run(&r, (const char *[]){"collapse", "--event", "alloc", path, NULL});
	assert_null(strstr(r.err, "in the kernel"));
	unlink(path);

	build_with(path, 1, INFLAME_TCPU_CLOCK_SYSTEM | INFLAME_TCPU_IN_KERNEL, 65000000,
		   200000000);
	run(&r, (const char *[]){"collapse", path, NULL});
	assert_null(strstr(r.err, "in the kernel"));
	run(&r, (const char *[]){"info", path, NULL});
	assert_null(strstr(r.out, "in the kernel"));
	unlink(path);

	/* 0.15 s of 2.55 s (5.9%) warns; 0.1 s of 2.6 s (3.8%) does not. */
	build_with(path, 1, INFLAME_TCPU_CLOCK_SYSTEM, 2000000000, 150000000);
	run(&r, (const char *[]){"collapse", path, NULL});
	assert_non_null(strstr(r.err, ": 6% of the CPU time was spent in the kernel"));
	unlink(path);
	build_with(path, 1, INFLAME_TCPU_CLOCK_SYSTEM, 2100000000, 100000000);
	run(&r, (const char *[]){"report", path, NULL});
	assert_null(strstr(r.err, "in the kernel"));
	unlink(path);
}

/* A dump whose writer shows the system time its samples found behind them as samples of the
 * kernel pseudo-frame: every reader names the frame, as a root or under its thread, within the
 * time range that holds its sample and not outside it, and the warning says where that time
 * is. */
static void test_kernel_frame(void **state)
{
	static const char *const warn =
	    "30% of the CPU time was spent in the kernel, and the clock fires in user code only: "
	    "that time is shown as \"[kernel, caller unknown]\" under each thread, not at the "
	    "calls that spent it";
	struct result r;
	char path[64];

	(void)state;
	build_kern(path, 1, INFLAME_TCPU_CLOCK_SYSTEM | INFLAME_TCPU_KERNEL_FRAME, 65000000,
		   200000000, 7);
	run(&r, (const char *[]){"collapse", path, NULL});
	assert_int_equal(r.status, 0);
	/* (the first line: collapse lists the heaviest stacks first) */
	assert_true(!strncmp(r.out, "[kernel, caller unknown] 7\n", 27));
	assert_non_null(strstr(r.err, warn));
	run(&r, (const char *[]){"collapse", "--threads", path, NULL});
	assert_true(!strncmp(r.out, "main-10;[kernel, caller unknown] 7\n", 35));
	run(&r, (const char *[]){"collapse", "--from", "0.12", "--to", "0.2", path, NULL});
	assert_string_equal(r.out, "[kernel, caller unknown] 7\n");
	run(&r, (const char *[]){"collapse", "--from", "0.2", path, NULL});
	assert_null(strstr(r.out, "kernel"));
	run(&r, (const char *[]){"report", path, NULL});
	assert_non_null(strstr(r.out, "[kernel, caller unknown]"));
	assert_non_null(strstr(r.err, warn));
	run(&r, (const char *[]){"info", path, NULL});
	assert_non_null(strstr(r.out, "fires in user code only (system time is shown as "
				      "\"[kernel, caller unknown]\")"));
	assert_non_null(strstr(r.out, "system time 0.200 s, sampled as \"[kernel, "
				      "caller unknown]\": 0.070 s\n"));
	assert_non_null(strstr(r.out, "(0.070 s of it in the kernel, caller unknown)"));
	assert_non_null(strstr(r.out,
			       "warning:     30% of the CPU time was spent in the kernel and "
			       "is shown as \"[kernel, caller unknown]\" under each thread"));
	unlink(path);
}

/* Is every byte of s printable, a tab or a line break (no escape sequence, no NUL, no CR)? */
static int clean_text(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') || *s == 0x7f)
			return 0;
	return 1;
}

/* Names with markup and control characters (thread names and a module path from a hostile
 * dump) break no output format: folded lines still parse, text has no control characters,
 * and the SVG has no markup of the name's own. */
static void test_hostile_names(void **state)
{
	static const uint64_t s1[] = {0x1100, 0x1201};
	struct result r;
	struct dumpgen g;
	char path[64];
	const char *line;

	(void)state;
	dg_begin(&g, 7, INFLAME_FEAT_CPU);
	dg_module(&g, 1, 0x1000, 0x1000, 0x2000, "/x/<script>lib\x1b[2J;\n.so", NULL, 0);
	dg_count(&g, 1);
	dg_stack(&g, 1, 2, s1);
	dg_chunk(&g, INFLAME_CHUNK_STACKS);
	dg_count(&g, 2);
	dg_thread(&g, 10, "a\x1b]0;t\x07<b>&", 0);
	dg_thread(&g, 11, "x;y\nz 9\r", 0);
	dg_chunk(&g, INFLAME_CHUNK_THREADS);
	dg_count(&g, 2);
	dg_sample(&g, 100, 10, INFLAME_EV_CPU, 1, 3, 0, 0);
	dg_sample(&g, 200, 11, INFLAME_EV_CPU, 1, 2, 0, 0);
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	dg_end(&g, 300);
	assert_int_equal(dg_write(&g, path), 0);

	run(&r, (const char *[]){"collapse", "--threads", path, NULL});
	assert_int_equal(r.status, 0);
	assert_true(clean_text(r.out));
	for (line = r.out; *line; line = strchr(line, '\n') + 1) {
		const char *end = strchr(line, '\n'), *sp;

		assert_non_null(end);
		sp = end;
		while (sp > line && sp[-1] >= '0' && sp[-1] <= '9')
			sp--;
		assert_true(sp < end && sp > line && sp[-1] == ' '); /* "... count" */
	}
	assert_non_null(strstr(r.out, "x:y z 9 -11;")); /* ';' and line breaks replaced */
	run(&r, (const char *[]){"report", "--threads", path, NULL});
	assert_int_equal(r.status, 0);
	assert_true(clean_text(r.out));
	run(&r, (const char *[]){"info", path, NULL});
	assert_int_equal(r.status, 0);
	assert_true(clean_text(r.out));
	run(&r, (const char *[]){"flamegraph", "--threads", path, NULL});
	assert_int_equal(r.status, 0);
	assert_true(clean_text(r.out));
	assert_null(strstr(r.out, "<b>"));
	assert_null(strstr(r.out, "<script>"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_info),	  cmocka_unit_test(test_info_notes),
	    cmocka_unit_test(test_info_errors),	  cmocka_unit_test(test_report),
	    cmocka_unit_test(test_system_time),	  cmocka_unit_test(test_kernel_frame),
	    cmocka_unit_test(test_hostile_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
