/* e2e workload for process and thread life cycles. Modes:
 *   fork       parent and child both burn CPU in different functions
 *   forkexec   the child execs this program again in mode "burn"
 *   churn N    creates and joins N short threads, a few at a time
 *   starvechurn N  the same, after putting inflame's wall ticker thread (if any) under
 *              SCHED_IDLE, so that beside the short threads on one CPU it seldom runs and
 *              most of them end before it looks at them
 *   dumpsig    burns, sends itself SIGUSR2 half way, burns again
 *   burn S     burns S seconds of CPU in burn_cpu()
 *   sigprof    installs its own SIGPROF handler and ITIMER_PROF timer, burns, prints how
 *              often its handler ran
 *   forkloop N forks N children in a loop (each exits at once) while burning
 *   forkkill   the child burns 2 s of CPU in long_child_work(), calling none of inflame's
 *              hooks, then kills itself with SIGKILL (no exit path runs)
 *   deepkill   the same, 300 calls of deep_work() deep (deeper than a sample's walk)
 *   eintr      alternates CPU work with poll() and nanosleep(), which are never restarted
 *              after a signal handler, and fails if any of them returned EINTR
 *   shortkids N  runs N short children one after the other, each burning 30 ms of CPU: the
 *              even ones forked only (in short_child_work()), the odd ones exec'd again in
 *              mode "burn 0.03"; then burns 30 ms itself
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile unsigned long sink;

static unsigned long long cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

__attribute__((noinline)) void burn_cpu(double secs)
{
	unsigned long long end = cpu_ns() + (unsigned long long)(secs * 1e9);
	unsigned long s = sink;

	while (cpu_ns() < end)
		for (int i = 0; i < 10000; i++)
			s = s * 31 + (unsigned long)i;
	sink = s;
}

__attribute__((noinline)) void parent_work(void)
{
	burn_cpu(0.6);
	__asm__ volatile("" ::: "memory"); /* not a tail call: keep this frame */
}

__attribute__((noinline)) void child_work(void)
{
	burn_cpu(0.6);
	__asm__ volatile("" ::: "memory"); /* not a tail call: keep this frame */
}

__attribute__((noinline)) void short_child_work(void)
{
	burn_cpu(0.03);
	__asm__ volatile("" ::: "memory"); /* not a tail call: keep this frame */
}

__attribute__((noinline)) void long_child_work(void)
{
	burn_cpu(2.0);
	__asm__ volatile("" ::: "memory"); /* not a tail call: keep this frame */
}

__attribute__((noinline)) void deep_work(int depth)
{
	if (depth > 0)
		deep_work(depth - 1);
	else
		burn_cpu(2.0);
	__asm__ volatile("" ::: "memory"); /* not a tail call: keep this frame */
}

static void *short_thread(void *p)
{
	(void)p;
	burn_cpu(0.002);
	return NULL;
}

/* Puts the thread named inflame-wall under SCHED_IDLE (any thread may lower its own
 * process's threads' policy). Waits up to 1 s for it to exist; returns 0 when done. */
static int starve_ticker(void)
{
	for (int tries = 0; tries < 100; tries++) {
		DIR *d = opendir("/proc/self/task");
		struct dirent *e;
		int done = -1;

		if (!d)
			return -1;
		while ((e = readdir(d))) {
			char path[64], comm[32] = "";
			FILE *f;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "inflame-wall", 12)) {
				struct sched_param sp = {0};

				done = sched_setscheduler(atoi(e->d_name), SCHED_IDLE, &sp);
			}
			fclose(f);
		}
		closedir(d);
		if (done == 0)
			return 0;
		usleep(10000);
	}
	return -1;
}

static volatile sig_atomic_t app_ticks;

static void app_handler(int sig)
{
	(void)sig;
	app_ticks++;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "burn";

	if (!strcmp(mode, "burn")) {
		burn_cpu(argc > 2 ? atof(argv[2]) : 0.5);
	} else if (!strcmp(mode, "fork") || !strcmp(mode, "forkexec")) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			if (!strcmp(mode, "forkexec")) {
				execl(argv[0], argv[0], "burn", "0.6", (char *)NULL);
				_exit(127);
			}
			child_work();
			_exit(0);
		}
		parent_work();
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return 1;
	} else if (!strcmp(mode, "churn") || !strcmp(mode, "starvechurn")) {
		int n = argc > 2 ? atoi(argv[2]) : 1000;

		if (!strcmp(mode, "starvechurn") && starve_ticker() != 0)
			fprintf(stderr, "lifecycle: no inflame-wall thread to starve\n");

		for (int i = 0; i < n; i += 4) {
			pthread_t t[4];

			for (int k = 0; k < 4; k++)
				pthread_create(&t[k], NULL, short_thread, NULL);
			for (int k = 0; k < 4; k++)
				pthread_join(t[k], NULL);
		}
	} else if (!strcmp(mode, "dumpsig")) {
		burn_cpu(0.5);
		kill(getpid(), SIGUSR2);
		burn_cpu(0.5);
	} else if (!strcmp(mode, "sigprof")) {
		struct itimerval it = {{0, 10000}, {0, 10000}};

		signal(SIGPROF, app_handler);
		setitimer(ITIMER_PROF, &it, NULL);
		burn_cpu(1.0);
		memset(&it, 0, sizeof(it));
		setitimer(ITIMER_PROF, &it, NULL);
		fprintf(stderr, "app handler ran %d times\n", (int)app_ticks);
		if (app_ticks < 20)
			return 1;
	} else if (!strcmp(mode, "forkloop")) {
		int n = argc > 2 ? atoi(argv[2]) : 200;

		for (int i = 0; i < n; i++) {
			pid_t pid = fork();
			int st;

			if (pid == 0)
				_exit(7);
			burn_cpu(0.002);
			waitpid(pid, &st, 0);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 7)
				return 1;
		}
	} else if (!strcmp(mode, "forkkill") || !strcmp(mode, "deepkill")) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			if (!strcmp(mode, "deepkill"))
				deep_work(300);
			else
				long_child_work();
			kill(getpid(), SIGKILL);
			_exit(1);
		}
		waitpid(pid, &st, 0);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
			return 1;
	} else if (!strcmp(mode, "shortkids")) {
		int n = argc > 2 ? atoi(argv[2]) : 6;

		for (int i = 0; i < n; i++) {
			pid_t pid = fork();
			int st;

			if (pid == 0) {
				if (i % 2) {
					execl(argv[0], argv[0], "burn", "0.03", (char *)NULL);
					_exit(127);
				}
				short_child_work();
				_exit(0);
			}
			waitpid(pid, &st, 0);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				return 1;
		}
		burn_cpu(0.03);
	} else if (!strcmp(mode, "eintr")) {
		int interrupted = 0;

		for (int i = 0; i < 1500; i++) {
			struct timespec ts = {0, 200000};

			burn_cpu(0.0005);
			if (poll(NULL, 0, 1) < 0 && errno == EINTR)
				interrupted++;
			if (nanosleep(&ts, NULL) < 0 && errno == EINTR)
				interrupted++;
		}
		if (interrupted) {
			fprintf(stderr, "%d calls failed with EINTR\n", interrupted);
			return 1;
		}
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	printf("%s done\n", mode);
	return 0;
}
