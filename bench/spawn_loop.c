/*
 * Starts a program N times, one after the other, with posix_spawn, and prints the mean CPU time
 * (user + system, from wait4) and minor page faults of one run of it: "MICROSECONDS FAULTS".
 * Without a shell or make around it, what the program costs is all that is measured. Used by
 * bench/dumpfile.sh to see what the dump file costs a short process under LD_PRELOAD.
 *
 * Usage: spawn-loop N PROGRAM [ARG]... (the environment is passed on).
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
	double cpu_us = 0, faults = 0;
	long n;

	if (argc < 3 || (n = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: spawn-loop N PROGRAM [ARG]...\n");
		return 2;
	}
	for (long i = 0; i < n; i++) {
		struct rusage ru;
		pid_t pid;
		int status, rc;

		rc = posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ);
		if (rc != 0) {
			fprintf(stderr, "spawn-loop: cannot start %s\n", argv[2]);
			return 1;
		}
		if (wait4(pid, &status, 0, &ru) < 0) {
			perror("spawn-loop: wait4");
			return 1;
		}
		cpu_us += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
			  (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
		faults += (double)ru.ru_minflt;
	}
	printf("%.1f %.1f\n", cpu_us / (double)n, faults / (double)n);
	return 0;
}
