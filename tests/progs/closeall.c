/*
 * A program that closes every descriptor above standard error as it starts, as a daemon does
 * (a close loop up to 1024), and then runs on its CPU for 0.3 s of CPU time. With the argument
 * "child" a fork child does that while the parent waits for it. Before closing it writes the
 * pid of the process that burns to the file named by its last argument (for
 * tests/closeall_test.sh); on standard output it prints the same lines every run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int close_and_burn(const char *pidfile)
{
	FILE *f = fopen(pidfile, "w");
	double start;

	if (!f)
		return 2;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	start = cpu_seconds();
	while (cpu_seconds() - start < 0.3)
		for (unsigned long i = 0; i < 100000; i++)
			sink += i;
	return 0;
}

int main(int argc, char **argv)
{
	int status;
	pid_t pid;

	if (argc == 3 && strcmp(argv[1], "main") == 0) {
		if (close_and_burn(argv[2]) != 0)
			return 2;
		printf("burned\n");
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "child") != 0)
		return 2;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(close_and_burn(argv[2]) == 0 ? 7 : 2);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 3;
	printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
