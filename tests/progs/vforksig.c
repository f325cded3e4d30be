/*
 * A handler that a vfork child resets must stay the parent's: the parent installs a SIGUSR1
 * handler, a vfork child sets SIGUSR1 back to SIG_DFL before it executes /bin/true (as gdb
 * does when it starts the program it debugs, for SIGCHLD), and the parent then raises SIGUSR1.
 * The child shares the parent's memory until it executes, not its signal actions. Prints
 * whether the handler ran; exits 0 when it did.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	(void)sig;
	got = 1;
}

int main(void)
{
	pid_t p;

	signal(SIGUSR1, on_usr1);
	p = vfork();
	if (p == 0) {
		signal(SIGUSR1, SIG_DFL);
		execl("/bin/true", "true", (char *)0);
		_exit(127);
	}
	if (p < 0 || waitpid(p, NULL, 0) != p)
		return 2;
	raise(SIGUSR1);
	printf("handler ran: %s\n", got ? "yes" : "no");
	return got ? 0 : 1;
}
