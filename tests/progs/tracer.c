/* e2e helper: runs a program traced from its start, as a debugger runs the program it debugs
 * (the child asks PTRACE_TRACEME, then executes it). The tracer passes every signal on, so the
 * program runs as untraced; it exits with the program's status.
 *   tracer PROGRAM [ARGS...] */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int st;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: tracer PROGRAM [ARGS...]\n");
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
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		if (WIFSIGNALED(st))
			return 128 + WTERMSIG(st);
		if (WIFSTOPPED(st)) {
			/* The stop at exec is the tracer's own: the program gets no signal from it.
			 */
			int sig = WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st);

			ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
		}
	}
	return 2;
}
