/*
 * A server's worker as nginx and postgres start one (tests/dropchild_test.sh): the parent, root,
 * forks a child that drops to nobody at once (setgroups, setgid, setuid), then works for
 * 300 ms of CPU and exits; the parent waits for it. Prints the child's result and exits 0
 * when it succeeded.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <grp.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOBODY 65534

static volatile unsigned long sink;

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int child(void)
{
	double end;

	if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
		return 2;
	end = cpu_now() + 0.3;
	do {
		for (int i = 0; i < 100000; i++)
			sink += (unsigned long)i * 7;
	} while (cpu_now() < end);
	return getuid() == NOBODY ? 0 : 3;
}

int main(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(child());
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	printf("child status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
