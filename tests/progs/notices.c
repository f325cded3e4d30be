/* e2e workload for what inflame has to say and to whom (tests/e2e_quiet_test.c). Every mode
 * writes one fixed line to stdout and one to stderr, so that a run under the profiler can be
 * compared byte for byte with a plain one. Modes:
 *   burn        burns 0.3 s of CPU
 *   sigprof     installs a SIGPROF handler (inflame's sampling signal), burns
 *   deepbind    dlopen()s libm with RTLD_DEEPBIND, allocates, burns
 *   title T     rewrites its command line to T (as setproctitle does, over argv) and names its
 *               main thread T with prctl(PR_SET_NAME), then burns
 *   forktitle T forks; the child rewrites its command line to T and burns, the parent burns
 *   forknotice  forks; the child installs a SIGPROF handler and _exits at once
 *   forksleep   forks; the child sleeps 0.3 s (blocked, no CPU) and _exits
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile unsigned long sink;

static unsigned long long cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

__attribute__((noinline)) static void burn_cpu(double secs)
{
	unsigned long long end = cpu_ns() + (unsigned long long)(secs * 1e9);
	unsigned long s = sink;

	while (cpu_ns() < end)
		for (int i = 0; i < 10000; i++)
			s = s * 31 + (unsigned long)i;
	sink = s;
}

static void handler(int sig)
{
	(void)sig;
}

static void install_sigprof(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigaction(SIGPROF, &sa, NULL);
}

/* Writes title over the program's argument strings (contiguous in memory), as servers do. */
static void set_title(int argc, char **argv, const char *title)
{
	char *start = argv[0], *end = argv[argc - 1] + strlen(argv[argc - 1]), copy[256];
	size_t room = (size_t)(end - start), n = strlen(title);

	if (n >= sizeof(copy))
		n = sizeof(copy) - 1;
	memcpy(copy, title, n); /* title is one of the strings about to be overwritten */
	copy[n] = 0;
	if (n > room)
		n = room;
	memset(start, 0, room);
	memcpy(start, copy, n);
	prctl(PR_SET_NAME, copy, 0, 0, 0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "burn";

	if (!strcmp(mode, "burn")) {
		burn_cpu(0.3);
	} else if (!strcmp(mode, "sigprof")) {
		install_sigprof();
		burn_cpu(0.3);
	} else if (!strcmp(mode, "deepbind")) {
		void *h = dlopen("libm.so.6", RTLD_NOW | RTLD_DEEPBIND);

		if (!h) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			return 1;
		}
		for (int i = 0; i < 10000; i++)
			free(malloc(1000 + (size_t)i));
		burn_cpu(0.3);
	} else if (!strcmp(mode, "title") && argc > 2) {
		/* burn a little first: the dump's first PROCESS chunk is written with the old name
		 */
		burn_cpu(0.1);
		set_title(argc, argv, argv[2]);
		burn_cpu(0.3);
	} else if (!strcmp(mode, "forktitle") && argc > 2) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			set_title(argc, argv, argv[2]);
			burn_cpu(0.3);
			_exit(0);
		}
		burn_cpu(0.3);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return 1;
	} else if (!strcmp(mode, "forknotice")) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			install_sigprof();
			_exit(0);
		}
		burn_cpu(0.3);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return 1;
	} else if (!strcmp(mode, "forksleep")) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			struct timespec ts = {0, 300000000};

			nanosleep(&ts, NULL);
			_exit(0);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return 1;
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	printf("%s: out\n", mode);
	fprintf(stderr, "%s: err\n", mode);
	return 0;
}
