/*
 * Calls functions of the interposition layer that it looks up at their first call
 * (preload/interpose.c) for the first time where that lookup must work: waitpid in a SIGCHLD
 * handler, select in a fork child before its execve, poll, nanosleep, a mutex, send and recv
 * on a new thread. Prints what each returned: the same with and without inflame. The child's
 * exit status (7, from the shell it execs) is the program's.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t reaped = -1, reaped_status = -1;
static pid_t child;

static void on_child(int sig)
{
	int status = 0;
	pid_t p = waitpid(-1, &status, WNOHANG);

	(void)sig;
	if (p > 0) {
		reaped = p == child;
		reaped_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
}

static void *thread_main(void *arg)
{
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct timespec ms = {0, 1000000};
	int *out = arg, sv[2];
	char buf[8] = {0};

	out[0] = poll(NULL, 0, 2);
	out[1] = nanosleep(&ms, NULL);
	out[2] = pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return NULL;
	out[3] = (int)send(sv[0], "hello", 5, 0);
	out[4] = (int)recv(sv[1], buf, sizeof(buf), 0);
	out[5] = strcmp(buf, "hello") == 0;
	close(sv[0]);
	close(sv[1]);
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	sigset_t block, empty;
	pthread_t t;
	int out[6] = {-9, -9, -9, -9, -9, -9};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, NULL);
	child = fork();
	if (child == 0) {
		struct timeval tv = {0, 1000};
		char *argv[] = {"sh", "-c", "exit 7", NULL};

		if (select(0, NULL, NULL, NULL, &tv) != 0)
			_exit(3);
		execve("/bin/sh", argv, environ);
		_exit(4);
	}
	if (pthread_create(&t, NULL, thread_main, out) != 0 || pthread_join(t, NULL) != 0)
		return 1;
	printf("thread: poll %d nanosleep %d lock %d send %d recv %d same %d\n", out[0], out[1],
	       out[2], out[3], out[4], out[5]);
	sigemptyset(&empty);
	while (reaped < 0)
		sigsuspend(&empty);
	printf("handler: reaped %d status %d\n", (int)reaped, (int)reaped_status);
	return 0;
}
