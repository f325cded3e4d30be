/*
 * A handler installed with SA_ONSTACK in a program that set no alternate signal stack: it runs
 * on the thread's own stack, and this one goes 2 MiB deep there (a recursion of 2048 frames of
 * 1 KiB), then prints a sum and returns; main prints what sigaltstack() tells it. Unprofiled it
 * prints the same every time. Under inflame the main thread has inflame's alternate stack, on
 * which such a handler runs: it must be as deep as the thread's own stack
 * (tests/onstack_deep_test.sh). With the argument "thread" a second thread installs the
 * handler, and the main thread takes the signal after it ended: an image that waited had the
 * small stack of sigstack.h, which only the main thread can replace. With "own" the program
 * sets an alternate stack of its own, installs the handler, and disables its stack before the
 * signal: inflame's comes back, and must be the full one.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile unsigned long sum;

static unsigned long deep(int n)
{
	volatile char buf[1024];

	memset((char *)buf, n & 0xff, sizeof(buf));
	if (n == 0)
		return buf[0];
	return deep(n - 1) + buf[n % sizeof(buf)];
}

static void on_usr1(int sig)
{
	(void)sig;
	sum = deep(2048);
}

static struct sigaction sa;

static void *install(void *arg)
{
	(void)arg;
	return (void *)(long)sigaction(SIGUSR1, &sa, NULL);
}

int main(int argc, char **argv)
{
	stack_t ss;
	pthread_t t;
	void *rc = NULL;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (argc > 1 && !strcmp(argv[1], "thread")) {
		if (pthread_create(&t, NULL, install, NULL) != 0 || pthread_join(t, &rc) != 0) {
			perror("pthread_create");
			return 1;
		}
	} else if (argc > 1 && !strcmp(argv[1], "own")) {
		static char own[65536];

		ss.ss_sp = own;
		ss.ss_size = sizeof(own);
		ss.ss_flags = 0;
		rc = (void *)(long)(sigaltstack(&ss, NULL) || sigaction(SIGUSR1, &sa, NULL));
		ss.ss_flags = SS_DISABLE;
		if (!rc)
			rc = (void *)(long)sigaltstack(&ss, NULL);
	} else {
		rc = (void *)(long)sigaction(SIGUSR1, &sa, NULL);
	}
	if (rc) {
		perror("sigaction");
		return 1;
	}
	raise(SIGUSR1);
	if (sigaltstack(NULL, &ss) != 0) {
		perror("sigaltstack");
		return 1;
	}
	printf("sum %lu, alternate stack %s\n", sum, (ss.ss_flags & SS_DISABLE) ? "none" : "set");
	return 0;
}
