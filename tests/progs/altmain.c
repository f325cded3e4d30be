/*
 * A program whose main thread runs its signal handlers on an alternate stack of 64 KiB, as
 * LLVM's tools (clang) set one as they start, and then works on its CPU for 0.4 s of CPU time
 * in a few nested calls. It then writes the names of the process's threads, one a line, to
 * the file named by its argument (tests/altstack_writer_test.sh looks there for inflame's
 * writer thread) and prints the same line every run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __attribute__((noinline)) void spin(void)
{
	for (unsigned long i = 0; i < 200000; i++)
		sink += i;
}

static __attribute__((noinline)) void work(double until)
{
	while (cpu_seconds() < until)
		spin();
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

int main(int argc, char **argv)
{
	stack_t ss = {0};

	if (argc != 2)
		return 2;
	ss.ss_size = 64 * 1024;
	ss.ss_sp = malloc(ss.ss_size);
	if (!ss.ss_sp || sigaltstack(&ss, NULL) != 0)
		return 3;
	work(cpu_seconds() + 0.4);
	if (list_threads(argv[1]) != 0)
		return 4;
	printf("worked\n");
	return 0;
}
