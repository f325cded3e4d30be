/*
 * A preloaded library whose clock_gettime() notes each call, with its clock id, as a line of the
 * file CLOCKSPY_OUT names, then reads the clock with the system call. Loaded after
 * libinflame.so, it is the clock_gettime that inflame's calls into the C library reach (not the
 * readings it makes with the system call instruction itself): tests/startlazy_test.sh counts
 * them in a process that ends at once and in one that lives on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int clock_gettime(clockid_t id, struct timespec *ts)
{
	const char *path = getenv("CLOCKSPY_OUT");
	int saved = errno;
	long rc;

	if (path) {
		char line[32];
		int n = snprintf(line, sizeof(line), "clock %d\n", (int)id);
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

		if (fd >= 0) {
			if (write(fd, line, (size_t)n) < 0)
				n = 0;
			close(fd);
		}
	}
	errno = saved;
	rc = syscall(SYS_clock_gettime, id, ts);
	return rc == 0 ? 0 : -1;
}
