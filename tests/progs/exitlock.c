/*
 * e2e workload for the exit path's wait for the writer's cycle (tests/exit_wait_test.sh). A fork
 * child (its dump deferred until it has something to write, as tests/progs/forkwall's) ends
 * while inflame's writer is in a cycle that cannot go on: the cycle reads the loaded-object map
 * (dl_iterate_phdr), and the program holds the dynamic loader's lock, from inside a
 * dl_iterate_phdr callback, which the writer waits for with its cycle lock held.
 *   slow:  a second thread holds the loader's lock for 3 s; the main thread ends the child 0.5 s
 *          after it took it, so the writer's cycle goes on 2.5 s after the end began (a writer
 *          that gets no CPU for that long on a loaded machine is the same to the exit path).
 *   stuck: the main thread ends the child from inside its own callback, 0.5 s after it took
 *          the lock: the writer's cycle never ends.
 *   starved: the child computes 0.3 s on a real-time thread, on the one CPU the parent gave
 *          itself (inflame's threads in the child, made at the fork, have it too): its wall
 *          ticker gets no CPU before the end. Exits 77 when the child cannot have SCHED_FIFO.
 * how: exit, _exit or exec (of this program, with "done": it returns 0 at once).
 * The parent prints "child PID" and returns the child's exit status.
 * Usage: exitlock slow|stuck|starved exit|_exit|exec
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *how, *self;
static volatile int holding;

static volatile double sink;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void nap(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void end_child(void)
{
	if (!strcmp(how, "_exit"))
		_exit(0);
	if (!strcmp(how, "exec")) {
		char *argv[] = {(char *)self, "done", NULL};

		execv(self, argv);
		_exit(3);
	}
	exit(0);
}

static int hold_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)info;
	(void)size;
	holding = 1;
	nap(arg ? 0.5 : 3.0);
	if (arg)
		end_child(); /* (stuck: the main thread ends the child here) */
	return 1;
}

static void *holder(void *arg)
{
	(void)arg;
	dl_iterate_phdr(hold_cb, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	pid_t pid;
	int status;

	if (argc > 1 && !strcmp(argv[1], "done"))
		return 0;
	if (argc < 3 ||
	    (strcmp(argv[1], "slow") && strcmp(argv[1], "stuck") && strcmp(argv[1], "starved")))
		return 2;
	self = argv[0];
	how = argv[2];
	if (!strcmp(argv[1], "starved")) {
		cpu_set_t one;

		/* (the child's threads inherit it: inflame's, made at the fork, share its CPU) */
		CPU_ZERO(&one);
		CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
		if (sched_setaffinity(0, sizeof(one), &one) != 0)
			return 7;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid > 0) {
		printf("child %d\n", (int)pid);
		fflush(stdout);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
			return 1;
		return WEXITSTATUS(status);
	}
	if (!strcmp(argv[1], "starved")) {
		struct sched_param sp = {1};
		double end;

		/* A real-time thread is never preempted by inflame's threads on its CPU. */
		if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
			_exit(77);
		end = now() + 0.3;
		while (now() < end)
			for (int i = 0; i < 1000; i++)
				sink += i;
		end_child();
	}
	if (!strcmp(argv[1], "stuck")) {
		dl_iterate_phdr(hold_cb, &pid);
		_exit(4);
	}
	if (pthread_create(&t, NULL, holder, NULL) != 0)
		_exit(5);
	while (!holding)
		nap(0.001);
	nap(0.5);
	end_child();
	return 6;
}
