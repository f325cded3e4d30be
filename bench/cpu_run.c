/*
 * bench/cpu-run: runs a command and reports what it cost, for the overhead benchmark.
 *
 * usage: cpu-run OUTFILE COMMAND [ARGS...]
 * Forks, executes COMMAND, waits for it with wait4() and writes one line to OUTFILE:
 * "USER SYS WALL MAXRSS STATUS MINFLT": user and system CPU seconds of the command and of
 * the descendants it waited for (microsecond resolution, unlike GNU time's centiseconds), wall
 * seconds from fork to exit (CLOCK_MONOTONIC), the largest resident set of any of those
 * processes in KiB, the exit status (128 + N for a signal N) and their minor page faults. The
 * command's own output is left alone. Exits with the command's status.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double secs(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status, code;
	pid_t pid;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: cpu-run OUTFILE COMMAND [ARGS...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		perror("cpu-run: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "cpu-run: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("cpu-run: wait4");
			return 2;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	out = fopen(argv[1], "w");
	if (!out) {
		fprintf(stderr, "cpu-run: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	fprintf(out, "%.6f %.6f %.6f %ld %d %ld\n", secs(ru.ru_utime), secs(ru.ru_stime),
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		ru.ru_maxrss, code, ru.ru_minflt);
	fclose(out);
	return code;
}
