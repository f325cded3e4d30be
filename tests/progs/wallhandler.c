/* e2e workload for wall-clock sampling of a program's signal handler that runs while its thread
 * waits in a blocking call: an interval timer sends SIGALRM every 5 ms, and its handler spins
 * for 3 ms (spin_in_handler) while the main thread waits 1 s for a child in waitpid ("wait"),
 * sleeps 1 s in clock_nanosleep ("sleep") or waits for a signal in sigsuspend ("suspend").
 * It prints "pid PID", then "truth handler NS total NS": the wall time spent in the handler
 * and in the whole wait, which the wall samples of spin_in_handler should match.
 * Usage: wallhandler wait|sleep|suspend */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;
static volatile unsigned long long in_handler;
static volatile sig_atomic_t child_done;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

__attribute__((noinline)) void spin_in_handler(unsigned long long ns)
{
	unsigned long long start = now_ns(), t;
	unsigned long s = sink;

	while ((t = now_ns()) < start + ns)
		for (int i = 0; i < 1000; i++)
			s = s * 31 + (unsigned long)i;
	sink = s;
	in_handler += t - start;
}

static void on_alarm(int sig)
{
	int e = errno;

	(void)sig;
	spin_in_handler(3000000ull);
	errno = e;
}

static void on_usr1(int sig)
{
	(void)sig;
	child_done = 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "wait";
	struct sigaction sa;
	struct itimerval it = {{0, 5000}, {0, 5000}}, off = {{0, 0}, {0, 0}};
	struct timespec left = {1, 0};
	unsigned long long start;
	sigset_t usr1, old;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	start = now_ns();
	setitimer(ITIMER_REAL, &it, NULL);
	if (!strcmp(mode, "sleep")) {
		unsigned long long end = start + 1000000000ull;
		struct timespec at = {(time_t)(end / 1000000000ull), (long)(end % 1000000000ull)};

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
			;
	} else {
		pid_t parent = getpid(), child = fork();
		int status;

		if (child < 0)
			return 1;
		if (child == 0) {
			setitimer(ITIMER_REAL, &off, NULL);
			while (nanosleep(&left, &left) < 0 && errno == EINTR)
				;
			kill(parent, SIGUSR1);
			_exit(7);
		}
		if (!strcmp(mode, "suspend")) {
			while (!child_done)
				sigsuspend(&old);
		}
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 7)
			return 1;
	}
	setitimer(ITIMER_REAL, &off, NULL);
	printf("truth handler %llu total %llu\n", in_handler, now_ns() - start);
	return 0;
}
