/* Unit tests for lib/config.c: every parser's accepted and rejected values, and the output
 * pattern expansion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

static char err[256];

/* Events: comma lists of known names; anything else is refused with the bad word named. */
static void test_events(void **state)
{
	unsigned m = 0;

	(void)state;
	assert_int_equal(inflame_config_parse_events("cpu", &m, err, sizeof(err)), 0);
	assert_int_equal(m, INFLAME_EVMASK_CPU);
	assert_int_equal(inflame_config_parse_events("wall,cpu,alloc", &m, err, sizeof(err)), 0);
	assert_int_equal(m, INFLAME_EVMASK_CPU | INFLAME_EVMASK_WALL | INFLAME_EVMASK_ALLOC);
	m = 77;
	assert_int_equal(inflame_config_parse_events("cpu,bogus", &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(m, 77);
	assert_non_null(strstr(err, "bogus"));
	assert_int_equal(inflame_config_parse_events("", &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(inflame_config_parse_events("cpux", &m, err, sizeof(err)), -EINVAL);
}

/* The events' display string: names in a fixed order, commas between, cut to the buffer and
 * always terminated. */
static void test_events_string(void **state)
{
	char s[32];

	(void)state;
	inflame_config_events_string(INFLAME_EVMASK_CPU, s, sizeof(s));
	assert_string_equal(s, "cpu");
	inflame_config_events_string(INFLAME_EVMASK_ALLOC | INFLAME_EVMASK_CPU, s, sizeof(s));
	assert_string_equal(s, "cpu,alloc");
	inflame_config_events_string(
	    INFLAME_EVMASK_CPU | INFLAME_EVMASK_WALL | INFLAME_EVMASK_ALLOC, s, sizeof(s));
	assert_string_equal(s, "cpu,wall,alloc");
	strcpy(s, "junk");
	inflame_config_events_string(0, s, sizeof(s));
	assert_string_equal(s, "");
	inflame_config_events_string(INFLAME_EVMASK_CPU | INFLAME_EVMASK_WALL, s, 6);
	assert_string_equal(s, "cpu,w");
	inflame_config_events_string(INFLAME_EVMASK_CPU | INFLAME_EVMASK_WALL, s, 4);
	assert_string_equal(s, "cpu");
	s[0] = 'x';
	inflame_config_events_string(INFLAME_EVMASK_CPU, s, 0);
	assert_int_equal(s[0], 'x');
}

/* The defaults over a struct full of garbage: every field set, the strings terminated; and
 * the same, byte for byte, over a zeroed struct writing only the fields that are not zero. */
static void test_defaults(void **state)
{
	struct inflame_config c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	inflame_config_defaults(&c);
	assert_int_equal(c.events, INFLAME_EVMASK_CPU);
	assert_int_equal(c.cpu_timer, INFLAME_TIMER_AUTO);
	assert_string_equal(c.perf_event, "task-clock");
	assert_int_equal(c.cpu_kernel, 0);
	assert_int_equal(c.frequency, 999);
	assert_string_equal(c.output, "inflame.%p.ifl");
	assert_int_equal(c.dump_signal, SIGUSR2);
	assert_int_equal(c.interval, 0);
	assert_int_equal(c.max_depth, 128);
	assert_int_equal(c.buffer_kb, 512);
	assert_int_equal(c.unwind, INFLAME_UNWIND_AUTO);
	assert_int_equal(c.log, INFLAME_LOG_QUIET);
	assert_string_equal(c.log_path, "");
	assert_int_equal(c.follow_children, 1);
	assert_int_equal(c.alloc_rate, 524288);
	{
		static struct inflame_config z; /* all zero, as the preload's in .bss */

		inflame_config_defaults_zeroed(&z);
		assert_memory_equal(&z, &c, sizeof(c));
	}
}

/* Numbers: digits only, within bounds, no overflow. */
static void test_uint(void **state)
{
	uint64_t v = 5;

	(void)state;
	assert_int_equal(inflame_config_parse_uint("F", "999", 1, 10000, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 999);
	assert_int_equal(inflame_config_parse_uint("F", "0", 1, 10000, &v, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(inflame_config_parse_uint("F", "10001", 1, 10000, &v, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(inflame_config_parse_uint("F", "-5", 1, 10000, &v, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(inflame_config_parse_uint("F", "12abc", 1, 10000, &v, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(inflame_config_parse_uint("F", "99999999999999999999999", 1, 10000, &v,
						   err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(v, 999);
}

/* Timers, unwinders, log levels and perf events by name. */
static void test_names(void **state)
{
	enum inflame_cpu_timer t;
	enum inflame_unwind u;
	enum inflame_log_level l;
	char ev[32];

	(void)state;
	assert_int_equal(inflame_config_parse_timer("thread", &t, err, sizeof(err)), 0);
	assert_int_equal(t, INFLAME_TIMER_THREAD);
	/* auto (the default) and perf are two values: only auto moves costly threads. */
	assert_int_equal(inflame_config_parse_timer("auto", &t, err, sizeof(err)), 0);
	assert_int_equal(t, INFLAME_TIMER_AUTO);
	assert_string_equal(inflame_config_timer_name(t), "auto");
	assert_int_equal(inflame_config_parse_timer("perf", &t, err, sizeof(err)), 0);
	assert_int_equal(t, INFLAME_TIMER_PERF);
	assert_string_equal(inflame_config_timer_name(t), "perf");
	assert_int_equal(inflame_config_parse_timer("hrtimer", &t, err, sizeof(err)), -EINVAL);
	assert_int_equal(inflame_config_parse_unwind("dwarf", &u, err, sizeof(err)), 0);
	assert_int_equal(u, INFLAME_UNWIND_DWARF);
	assert_int_equal(inflame_config_parse_unwind("lbr", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(inflame_config_parse_unwind("auto", &u, err, sizeof(err)), 0);
	assert_int_equal(u, INFLAME_UNWIND_AUTO);
	assert_string_equal(inflame_config_unwind_name(u), "auto");
	assert_int_equal(inflame_config_parse_unwind("fp", &u, err, sizeof(err)), 0);
	assert_int_equal(u, INFLAME_UNWIND_FP);
	assert_string_equal(inflame_config_unwind_name(INFLAME_UNWIND_DWARF), "dwarf");
	{
		struct inflame_config c;

		inflame_config_defaults(&c);
		assert_int_equal(c.unwind, INFLAME_UNWIND_AUTO);
	}
	{
		char path[INFLAME_OUTPUT_MAX] = "x";

		assert_int_equal(
		    inflame_config_parse_log("debug", &l, path, sizeof(path), err, sizeof(err)), 0);
		assert_int_equal(l, INFLAME_LOG_DEBUG);
		assert_string_equal(path, "");
		assert_int_equal(
		    inflame_config_parse_log("loud", &l, path, sizeof(path), err, sizeof(err)),
		    -EINVAL);
	}
	assert_int_equal(
	    inflame_config_parse_perf_event("cycles", ev, sizeof(ev), err, sizeof(err)), 0);
	assert_string_equal(ev, "cycles");
	assert_int_equal(inflame_config_parse_perf_event("x", ev, sizeof(ev), err, sizeof(err)),
			 -EINVAL);
}

/* INFLAME_LOG: quiet by default; levels to stderr; a file by file:PATH, LEVEL:PATH or an
 * absolute path; nonsense refused with the value named. */
static void test_log(void **state)
{
	struct inflame_config c;
	enum inflame_log_level l = INFLAME_LOG_DEBUG;
	char path[INFLAME_OUTPUT_MAX];
	char longname[INFLAME_OUTPUT_MAX + 8];

	(void)state;
	inflame_config_defaults(&c);
	assert_int_equal(c.log, INFLAME_LOG_QUIET);
	assert_string_equal(c.log_path, "");
	assert_int_equal(
	    inflame_config_parse_log("quiet", &l, path, sizeof(path), err, sizeof(err)), 0);
	assert_int_equal(l, INFLAME_LOG_QUIET);
	assert_string_equal(path, "");
	assert_int_equal(inflame_config_parse_log("info", &l, path, sizeof(path), err, sizeof(err)),
			 0);
	assert_int_equal(l, INFLAME_LOG_INFO);
	assert_string_equal(path, "");
	assert_int_equal(
	    inflame_config_parse_log("file:/tmp/x.log", &l, path, sizeof(path), err, sizeof(err)),
	    0);
	assert_int_equal(l, INFLAME_LOG_INFO);
	assert_string_equal(path, "/tmp/x.log");
	assert_int_equal(
	    inflame_config_parse_log("file:rel/x.log", &l, path, sizeof(path), err, sizeof(err)),
	    0);
	assert_string_equal(path, "rel/x.log");
	assert_int_equal(
	    inflame_config_parse_log("debug:/tmp/d.log", &l, path, sizeof(path), err, sizeof(err)),
	    0);
	assert_int_equal(l, INFLAME_LOG_DEBUG);
	assert_string_equal(path, "/tmp/d.log");
	assert_int_equal(
	    inflame_config_parse_log("info:/tmp/i.log", &l, path, sizeof(path), err, sizeof(err)),
	    0);
	assert_int_equal(l, INFLAME_LOG_INFO);
	assert_string_equal(path, "/tmp/i.log");
	/* a path with a colon in it stays whole */
	assert_int_equal(
	    inflame_config_parse_log("/var/log/a:b", &l, path, sizeof(path), err, sizeof(err)), 0);
	assert_int_equal(l, INFLAME_LOG_INFO);
	assert_string_equal(path, "/var/log/a:b");
	/* refused: the value named, nothing written */
	strcpy(path, "keep");
	l = INFLAME_LOG_DEBUG;
	assert_int_equal(
	    inflame_config_parse_log("verbose", &l, path, sizeof(path), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'verbose'"));
	assert_int_equal(
	    inflame_config_parse_log("quiet:/tmp/x", &l, path, sizeof(path), err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(
	    inflame_config_parse_log("file:", &l, path, sizeof(path), err, sizeof(err)), -EINVAL);
	assert_int_equal(inflame_config_parse_log("", &l, path, sizeof(path), err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(inflame_config_parse_log("Info", &l, path, sizeof(path), err, sizeof(err)),
			 -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = 0;
	assert_int_equal(
	    inflame_config_parse_log(longname, &l, path, sizeof(path), err, sizeof(err)), -EINVAL);
	assert_string_equal(path, "keep");
	assert_int_equal(l, INFLAME_LOG_DEBUG);
}

/* Signals by name, with or without SIG, by number, and none; fatal ones refused. */
static void test_signal(void **state)
{
	int s = -1;

	(void)state;
	assert_int_equal(inflame_config_parse_signal("USR2", &s, err, sizeof(err)), 0);
	assert_int_equal(s, SIGUSR2);
	assert_int_equal(inflame_config_parse_signal("sigusr1", &s, err, sizeof(err)), 0);
	assert_int_equal(s, SIGUSR1);
	assert_int_equal(inflame_config_parse_signal("none", &s, err, sizeof(err)), 0);
	assert_int_equal(s, 0);
	assert_int_equal(inflame_config_parse_signal("10", &s, err, sizeof(err)), 0);
	assert_int_equal(s, 10);
	assert_int_equal(inflame_config_parse_signal("KILL", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(inflame_config_parse_signal("9", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(inflame_config_parse_signal("999", &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(inflame_config_signal_name(SIGPROF), "PROF");
}

/* Output patterns: conversions, the .N suffix without %n, overflow, bad conversions. */
static void test_output(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(inflame_config_check_output("inflame.%p.ifl", err, sizeof(err)), 0);
	assert_int_equal(inflame_config_check_output("x.%q", err, sizeof(err)), -EINVAL);
	assert_int_equal(inflame_config_check_output("x.%", err, sizeof(err)), -EINVAL);
	assert_int_equal(inflame_config_check_output("", err, sizeof(err)), -EINVAL);
	assert_int_equal(inflame_config_expand_output("a.%p.%t.%%", 42, 7, 0, out, sizeof(out)),
			 (int)strlen("a.42.7.%"));
	assert_string_equal(out, "a.42.7.%");
	inflame_config_expand_output("a.%p", 42, 7, 0, out, sizeof(out));
	assert_string_equal(out, "a.42");
	inflame_config_expand_output("a.%p", 42, 7, 3, out, sizeof(out));
	assert_string_equal(out, "a.42.3");
	inflame_config_expand_output("a-%n.ifl", 42, 7, 3, out, sizeof(out));
	assert_string_equal(out, "a-3.ifl");
	assert_int_equal(inflame_config_expand_output("%p%p%p%p%p", 1234567890, 0, 0, out, 20),
			 -ENAMETOOLONG);
}

/* A relative pattern joined to a directory whose "%" stay literal; an absolute one as it is. */
static void test_anchor_output(void **state)
{
	char out[64], name[64];

	(void)state;
	assert_int_equal(inflame_config_anchor_output("p.%p.ifl", "/tmp/100%", out, sizeof(out)),
			 0);
	assert_string_equal(out, "/tmp/100%%/p.%p.ifl");
	inflame_config_expand_output(out, 42, 0, 0, name, sizeof(name));
	assert_string_equal(name, "/tmp/100%/p.42.ifl");
	assert_int_equal(inflame_config_anchor_output("/abs/p.ifl", "/tmp", out, sizeof(out)), 0);
	assert_string_equal(out, "/abs/p.ifl");
	assert_int_equal(inflame_config_anchor_output("p.ifl", "/a/long/directory", out, 20),
			 -ENAMETOOLONG);
	assert_int_equal(inflame_config_anchor_output("p.ifl", "/%%%%%%%%", out, 20),
			 -ENAMETOOLONG);
}

/* The one-pass reading of the environment answers as getenv: the first of two entries of one
 * name, no answer for a name that is only the prefix of another or an entry without '=', and
 * getenv itself when there are more INFLAME_ variables than it keeps. */
static void test_env(void **state)
{
	char *env[] = {
	    "PATH=/bin",    "INFLAME_EVENTS=cpu,wall", "INFLAME_LOG_PATH=/tmp/x", "INFLAMEX=1",
	    "INFLAME_FREQ", "INFLAME_EVENTS=alloc",    "INFLAME_OUTPUT=",	  NULL};
	char *many[INFLAME_CONFIG_ENV_MAX + 2];
	char names[INFLAME_CONFIG_ENV_MAX + 1][32];
	struct inflame_config_env e;
	unsigned i;

	(void)state;
	inflame_config_env_scan(&e, env);
	assert_int_equal(e.overflow, 0);
	assert_string_equal(inflame_config_env_get(&e, "INFLAME_EVENTS"), "cpu,wall");
	assert_string_equal(inflame_config_env_get(&e, "INFLAME_LOG_PATH"), "/tmp/x");
	assert_null(inflame_config_env_get(&e, "INFLAME_LOG"));
	assert_null(inflame_config_env_get(&e, "INFLAME_FREQ"));
	assert_null(inflame_config_env_get(&e, "INFLAME_FREQUENCY"));
	assert_string_equal(inflame_config_env_get(&e, "INFLAME_OUTPUT"), "");
	assert_null(inflame_config_env_get(&e, "PATH"));

	for (i = 0; i <= INFLAME_CONFIG_ENV_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "INFLAME_V%u=%u", i, i);
		many[i] = names[i];
	}
	many[i] = NULL;
	inflame_config_env_scan(&e, many);
	assert_int_equal(e.overflow, 1);
	setenv("INFLAME_CONFIG_TEST_ENV", "from getenv", 1);
	assert_string_equal(inflame_config_env_get(&e, "INFLAME_CONFIG_TEST_ENV"), "from getenv");
	unsetenv("INFLAME_CONFIG_TEST_ENV");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_events),	  cmocka_unit_test(test_events_string),
	    cmocka_unit_test(test_defaults),	  cmocka_unit_test(test_uint),
	    cmocka_unit_test(test_names),	  cmocka_unit_test(test_log),
	    cmocka_unit_test(test_signal),	  cmocka_unit_test(test_output),
	    cmocka_unit_test(test_anchor_output), cmocka_unit_test(test_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
