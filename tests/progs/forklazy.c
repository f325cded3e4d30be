/*
 * Fork children for tests/forklazy_test.sh.
 *
 * forklazy faults N: forks N children one after the other, each of which exits at once
 * (_exit), and prints the mean of their minor page faults (wait4) and of the parent's per fork,
 * as "faults F parent P". Each fork is made over stack bytes that differ from the last's.
 * forklazy burn HOW: forks one child, which burns about 0.2 s of CPU in child_burn() and exits;
 * HOW says what the child does first: "plain" nothing, "execfail" an exec that fails (a
 * PATH search's), "thread" the burn runs in a thread it starts, "execok" an exec of
 * /bin/true after the burn, "dumpsig" a sleep of 0.3 s first, in which the parent sends it
 * SIGUSR2 (inflame's dump signal) after 0.1 s. The parent prints "child status S".
 * forklazy exec BLOCK: forks one child, which executes grep at once to print its own blocked
 * signals (the SigBlk line of /proc/self/status), without inflame; with BLOCK 1 the program blocked
 * SIGPROF before the fork.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile unsigned long sink;

static __attribute__((noinline)) void child_burn(void)
{
	double end = cpu_now() + 0.2;

	while (cpu_now() < end)
		for (int i = 0; i < 100000; i++)
			sink += (unsigned long)i * 7;
}

static void *burn_thread(void *arg)
{
	(void)arg;
	child_burn();
	return NULL;
}

/* Leaves bytes of value v on the stack below the caller's frame. */
static __attribute__((noinline)) void scribble(int v)
{
	volatile unsigned char buf[4096];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)v;
}

static int faults(long n)
{
	struct rusage self0, self1;
	double sum = 0;

	getrusage(RUSAGE_SELF, &self0);
	for (long i = 0; i < n; i++) {
		struct rusage ru;
		int st;
		pid_t p;

		scribble((int)i);
		p = fork();

		if (p < 0)
			return 1;
		if (p == 0)
			_exit(0);
		if (wait4(p, &st, 0, &ru) < 0)
			return 1;
		sum += (double)ru.ru_minflt;
	}
	getrusage(RUSAGE_SELF, &self1);
	printf("faults %.2f parent %.2f\n", sum / (double)n,
	       (double)(self1.ru_minflt - self0.ru_minflt) / (double)n);
	return 0;
}

static void child(const char *how)
{
	pthread_t t;

	if (!strcmp(how, "execfail")) {
		char *argv[] = {"inflame-no-such-program", NULL};

		execvp(argv[0], argv);
	}
	if (!strcmp(how, "dumpsig")) {
		struct timespec ts = {0, 300000000};

		while (nanosleep(&ts, &ts) != 0)
			;
	}
	if (!strcmp(how, "thread")) {
		if (pthread_create(&t, NULL, burn_thread, NULL) != 0 || pthread_join(t, NULL) != 0)
			exit(3);
	} else {
		child_burn();
	}
	if (!strcmp(how, "execok"))
		execl("/bin/true", "true", (char *)NULL);
	exit(0);
}

static int exec_child(int block)
{
	sigset_t s;
	int st;
	pid_t p;

	sigemptyset(&s);
	sigaddset(&s, SIGPROF);
	if (block && sigprocmask(SIG_BLOCK, &s, NULL) != 0)
		return 1;
	fflush(stdout);
	p = fork();
	if (p < 0)
		return 1;
	if (p == 0) {
		char *env[] = {NULL};

		/* (no LD_PRELOAD: the mask grep reads is the one exec gave it) */
		execle("/bin/grep", "grep", "^SigBlk", "/proc/self/status", (char *)NULL, env);
		_exit(127);
	}
	if (waitpid(p, &st, 0) < 0)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

int main(int argc, char **argv)
{
	int st;
	pid_t p;

	if (argc == 3 && !strcmp(argv[1], "faults"))
		return faults(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "exec"))
		return exec_child(atoi(argv[2]));
	if (argc != 3 || strcmp(argv[1], "burn"))
		return 2;
	p = fork();
	if (p < 0)
		return 1;
	if (p == 0)
		child(argv[2]);
	if (!strcmp(argv[2], "dumpsig")) {
		struct timespec ts = {0, 100000000};

		nanosleep(&ts, NULL);
		kill(p, SIGUSR2);
	}
	if (waitpid(p, &st, 0) < 0)
		return 1;
	printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
