/*
 * A set*id call from a signal handler that interrupted another set*id call of the same thread
 * (tests/setxid_signal_test.sh). POSIX makes setresuid async-signal-safe, and a single-threaded
 * glibc program makes it a plain system call. Here the main thread changes its keep-caps bit
 * and calls setresuid(-1, -1, -1) argv[1] times (default 2000), each time after arming a timer
 * whose handler calls setresuid(-1, -1, -1) too, 10 us to 1 ms later (one handler at most per
 * call: a handler's call never waits for the next). Prints "done" and exits 0 when every call
 * succeeded; it never ends if a call deadlocks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t handler_fails;

static void on_alarm(int sig)
{
	int saved = errno;

	(void)sig;
	if (setresuid((uid_t)-1, (uid_t)-1, (uid_t)-1) != 0)
		handler_fails++;
	errno = saved;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000, fails = 0;
	struct sigaction sa;
	struct itimerval it;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0) {
		perror("setxid_sig: sigaction");
		return 2;
	}
	for (int i = 0; i < n; i++) {
		memset(&it, 0, sizeof(it));
		it.it_value.tv_usec = 10 + (i * 37) % 1000; /* (spread over the call) */
		if (setitimer(ITIMER_REAL, &it, NULL) != 0) {
			perror("setxid_sig: setitimer");
			return 2;
		}
		/* A state the last call did not leave: inflame's threads must follow it. */
		prctl(PR_SET_KEEPCAPS, i & 1, 0, 0, 0);
		if (setresuid((uid_t)-1, (uid_t)-1, (uid_t)-1) != 0)
			fails++;
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	if (fails || handler_fails) {
		printf("failed: %d calls, %d in the handler\n", fails, (int)handler_fails);
		return 1;
	}
	printf("done\n");
	return 0;
}
