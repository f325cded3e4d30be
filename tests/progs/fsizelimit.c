/*
 * A program that lowers its own file size limit (RLIMIT_FSIZE) as OpenSSH's sandboxed child
 * does, then works for a while and writes to its standard error, which the test makes a
 * regular file holding more than the limit: a write of anyone's past the limit there, or in
 * a file the program creates, raises SIGXFSZ, whose default action ends the program. With
 * the argument "nofile" it also lowers its limit of open files to the descriptors it has, so
 * that no dump file can be created (and inflame wants to say so). Prints the same line every
 * run (tests/fsize_test.sh compares it with the unprofiled run).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static volatile unsigned long sink;

int main(int argc, char **argv)
{
	struct rlimit fsize = {4096, 4096}, nofile = {3, 3};

	if (setrlimit(RLIMIT_FSIZE, &fsize) != 0)
		return 2;
	if (argc > 1 && strcmp(argv[1], "nofile") == 0 && setrlimit(RLIMIT_NOFILE, &nofile) != 0)
		return 3;
	for (int r = 0; r < 100; r++) {
		for (unsigned long i = 0; i < 4000000; i++)
			sink += i;
		usleep(10000);
	}
	printf("fsizelimit: done %d\n", sink != 0);
	return 0;
}
