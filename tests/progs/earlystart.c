/*
 * Programs that change their process as they start, before inflame's writer thread of an image
 * sampling only its CPU is started (from a sample, 50 ms in), and then run on their CPU for a
 * while. Modes:
 *   main PIDFILE     closes every descriptor above standard error, as a daemon does (a close
 *                    loop up to 1024), and runs 0.3 s of CPU time; first writes its pid to
 *                    PIDFILE
 *   child PIDFILE    the same in a fork child, the parent waiting for it
 *   altstack LIST    sets an alternate signal stack of 64 KiB on the main thread, as LLVM's
 *                    tools (clang) do, runs 0.4 s of CPU time in a few nested calls, then writes
 *                    the names of the process's threads to LIST, one a line
 * Prints the same lines every run (tests/earlystart_test.sh compares them with unprofiled runs).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __attribute__((noinline)) void spin(void)
{
	for (unsigned long i = 0; i < 100000; i++)
		sink += i;
}

static __attribute__((noinline)) void work(double seconds)
{
	double until = cpu_seconds() + seconds;

	while (cpu_seconds() < until)
		spin();
}

static int close_and_burn(const char *pidfile)
{
	FILE *f = fopen(pidfile, "w");

	if (!f)
		return 2;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	work(0.3);
	return 0;
}

static int list_threads(const char *path)
{
	DIR *d = opendir("/proc/self/task");
	FILE *out = fopen(path, "w");
	struct dirent *e;

	if (!d || !out)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char p[300], name[64] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(p, "r");
		if (f && fgets(name, sizeof(name), f))
			fputs(name, out);
		if (f)
			fclose(f);
	}
	closedir(d);
	return fclose(out);
}

static int altstack(const char *list)
{
	stack_t ss = {0};

	ss.ss_size = 64 * 1024;
	ss.ss_sp = malloc(ss.ss_size);
	if (!ss.ss_sp || sigaltstack(&ss, NULL) != 0)
		return 3;
	work(0.4);
	return list_threads(list) == 0 ? 0 : 4;
}

int main(int argc, char **argv)
{
	int status;
	pid_t pid;

	if (argc != 3)
		return 2;
	if (strcmp(argv[1], "altstack") == 0) {
		status = altstack(argv[2]);
		if (status == 0)
			printf("worked\n");
		return status;
	}
	if (strcmp(argv[1], "main") == 0) {
		if (close_and_burn(argv[2]) != 0)
			return 2;
		printf("burned\n");
		return 0;
	}
	if (strcmp(argv[1], "child") != 0)
		return 2;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(close_and_burn(argv[2]) == 0 ? 7 : 2);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 3;
	printf("child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
