/* e2e workload for a fork child's wall time: the parent forks CHILDREN children one after the
 * other (no exec), each living about 0.3 s and then ending. Child i does kind i % 5 (0: sleeps,
 * 1: computes, 2: waits in poll on a pipe, 3: computes then sleeps, 4: sleeps then computes)
 * and ends in way i % 4 (0: exit, 1: _exit, 2 and 3: from a signal handler that did the
 * work, by _exit). The parent computes while each child runs and waits for it. Each child
 * prints "child PID kind K end E" on stdout before it ends. Usage: forkwall [children] */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile double sink;
static int kind, way;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void compute(double s)
{
	double end = now() + s;

	while (now() < end)
		for (int i = 0; i < 1000; i++)
			sink += i;
}

static void nap(double s)
{
	usleep((useconds_t)(s * 1e6));
}

static void work(void)
{
	int p[2];

	switch (kind) {
	case 0:
		nap(0.3);
		break;
	case 1:
		compute(0.3);
		break;
	case 2:
		if (pipe(p) == 0) {
			struct pollfd f = {p[0], POLLIN, 0};

			poll(&f, 1, 300);
		}
		break;
	case 3:
		compute(0.15);
		nap(0.15);
		break;
	default:
		nap(0.15);
		compute(0.15);
		break;
	}
	printf("child %d kind %d end %d\n", (int)getpid(), kind, way);
	fflush(stdout);
}

static void on_usr1(int sig)
{
	(void)sig;
	work();
	_exit(0);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;

	signal(SIGUSR1, on_usr1);
	for (int i = 0; i < n; i++) {
		pid_t pid;

		kind = i % 5;
		way = i % 4;
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			if (way >= 2)
				raise(SIGUSR1);
			work();
			if (way == 1)
				_exit(0);
			exit(0);
		}
		compute(0.05);
		if (waitpid(pid, NULL, 0) != pid)
			return 1;
	}
	return 0;
}
