/* Runs a command and reports the CPU time (user + system, in seconds, microsecond resolution)
 * and the peak resident memory (KiB) of it and every descendant it waited for, as
 * "seconds maxrss_kib" on the file named by the first argument. The command's exit status is
 * passed on. Used by bench/alloc.sh: GNU time rounds to 10 ms. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	pid_t pid;
	int status = 0;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: cputime OUTFILE COMMAND [ARG]...\n");
		return 2;
	}
	pid = fork();
	if (pid < 0)
		return 127;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	getrusage(RUSAGE_CHILDREN, &ru);
	f = fopen(argv[1], "w");
	if (!f)
		return 127;
	fprintf(f, "%.6f %ld\n",
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
		ru.ru_maxrss);
	fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
