/* e2e helper: runs a program traced from its start, as a debugger runs the program it debugs
 * (the child asks PTRACE_TRACEME, then executes it). The tracer passes every signal on, so the
 * program runs as untraced; it exits with the program's status. With -s FILE it writes each
 * signal the program stopped at into FILE, one number a line (the stops at an exec are left out),
 * as a debugger would see them. tracer [-s FILE] PROGRAM [ARGS...] */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	FILE *seen = NULL;
	int st;
	pid_t pid;

	if (argc > 2 && strcmp(argv[1], "-s") == 0) {
		seen = fopen(argv[2], "w");
		if (!seen)
			return 2;
		argv += 2;
		argc -= 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: tracer [-s FILE] PROGRAM [ARGS...]\n");
		return 2;
	}
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(126);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == pid) {
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (seen)
				fclose(seen);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		if (WIFSTOPPED(st)) {
			/* The stop at an exec is the tracer's own: the program gets no signal
			 * from it. */
			int sig = WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st);

			if (sig && seen) {
				fprintf(seen, "%d\n", sig);
				fflush(seen);
			}
			ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
		}
	}
	return 2;
}
