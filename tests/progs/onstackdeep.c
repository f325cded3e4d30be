/*
 * A handler installed with SA_ONSTACK in a program that set no alternate signal stack: it runs
 * on the thread's own stack, and this one goes 2 MiB deep there (a recursion of 2048 frames of
 * 1 KiB), then prints a sum and returns; main prints what sigaltstack() tells it. Unprofiled it
 * prints the same every time. Under inflame the main thread has inflame's alternate stack, on
 * which such a handler runs: it must be as deep as the thread's own stack
 * (tests/onstack_deep_test.sh).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
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

int main(void)
{
	struct sigaction sa;
	stack_t ss;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0) {
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
