/* Tests of the preload's logger (preload/log_sigsafe.c): quiet by default, every notice kept in
 * the table, the ones beyond it counted, written out only at the level asked, to stderr or
 * appended to a file, failures that leave the program unprofiled always written, a notice from
 * a signal handler kept like any other, and a fork child's view of its parent's notices. The
 * table is process-wide, so the steps run in order in one test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs fn with stderr sent to a temporary file; returns what was written there. */
static char *capture_stderr(void (*fn)(void))
{
	char path[] = "/tmp/inflame-log-XXXXXX";
	static char buf[8192];
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, 2);
	fn();
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(path);
	return buf;
}

static int text_is(const struct inflame_note *n, const char *s)
{
	return n && n->len == strlen(s) && !memcmp(n->text, s, n->len);
}

static void quiet_notice(void)
{
	inflame_log(INFLAME_LOG_INFO, "notice %d", 1);
	inflame_log(INFLAME_LOG_DEBUG, "debug detail");
}

static void unprofiled(void)
{
	inflame_log_unprofiled("bad %s", "setting");
}

static void loud_notice(void)
{
	inflame_log(INFLAME_LOG_INFO, "loud %s", "notice");
	inflame_log(INFLAME_LOG_DEBUG, "still not debug");
}

static void on_usr1(int sig)
{
	(void)sig;
	inflame_log(INFLAME_LOG_INFO, "from a handler");
}

static void test_notes(void **state)
{
	char path[] = "/tmp/inflame-logfile-XXXXXX", want[64], buf[4096];
	int fd, once = 0;
	ssize_t n;

	(void)state;
	/* Quiet by default: nothing on stderr, the notice kept, debug lines not kept. */
	assert_string_equal(capture_stderr(quiet_notice), "");
	assert_int_equal(inflame_log_notes_claimed(), 1);
	assert_true(text_is(inflame_log_note(0), "notice 1"));
	assert_int_equal(inflame_log_note(0)->level, INFLAME_LOG_INFO);
	assert_true(inflame_log_note(0)->time > 0);
	assert_null(inflame_log_note(1));

	/* The exception: always written, and kept. */
	assert_string_equal(capture_stderr(unprofiled), "inflame: bad setting\n");
	assert_true(text_is(inflame_log_note(1), "bad setting"));
	assert_int_equal(inflame_log_note(1)->level, INFLAME_LOG_QUIET);

	/* At info: notices to stderr, debug still not. */
	inflame_log_configure(INFLAME_LOG_INFO, "");
	assert_string_equal(capture_stderr(loud_notice), "inflame: loud notice\n");
	inflame_log_configure(INFLAME_LOG_QUIET, NULL);

	/* To a file: appended, with the pid; stderr untouched. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "before\n", 7), 7);
	inflame_log_configure(INFLAME_LOG_INFO, path);
	assert_string_equal(capture_stderr(loud_notice), "");
	assert_string_equal(capture_stderr(unprofiled), "");
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "before\ninflame[%d]: loud notice\ninflame[%d]: bad setting\n",
		 (int)getpid(), (int)getpid());
	assert_string_equal(buf, want);
	close(fd);
	unlink(path);
	inflame_log_configure(INFLAME_LOG_QUIET, NULL);

	/* From a signal handler, and once only. */
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	assert_true(text_is(inflame_log_note(inflame_log_notes_claimed() - 1), "from a handler"));
	inflame_log_once(&once, INFLAME_LOG_INFO, "once");
	inflame_log_once(&once, INFLAME_LOG_INFO, "once");
	assert_true(text_is(inflame_log_note(inflame_log_notes_claimed() - 1), "once"));
	assert_false(text_is(inflame_log_note(inflame_log_notes_claimed() - 2), "once"));

	/* A fork child: the notices so far are its parent's. */
	assert_true(inflame_log_notes_own() > 0);
	inflame_log_after_fork_child();
	assert_int_equal(inflame_log_notes_own(), 0);
	inflame_log(INFLAME_LOG_INFO, "the child's own");
	assert_int_equal(inflame_log_notes_own(), 1);

	/* Past the table: counted, not kept; long ones cut. */
	assert_int_equal(inflame_log_notes_lost(), 0);
	while (inflame_log_notes_claimed() < INFLAME_NOTES_MAX - 1)
		inflame_log(INFLAME_LOG_INFO, "filler");
	memset(buf, 'x', 1000);
	buf[1000] = 0;
	inflame_log(INFLAME_LOG_INFO, "%s", buf);
	assert_int_equal(inflame_log_note(INFLAME_NOTES_MAX - 1)->len, INFLAME_NOTE_LEN);
	for (int i = 0; i < 5; i++)
		inflame_log(INFLAME_LOG_INFO, "lost %d", i);
	assert_int_equal(inflame_log_notes_lost(), 5);
	assert_null(inflame_log_note(INFLAME_NOTES_MAX));
	assert_int_equal(inflame_log_notes_claimed(), INFLAME_NOTES_MAX + 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_notes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
