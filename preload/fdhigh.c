/*
 * Moving inflame's descriptors to high numbers. A descriptor opened by a thread of inflame's,
 * or by a signal handler, takes the lowest free number while the program's other threads run.
 * A program may close a number twice: shells do, and the second close is harmless when the
 * program alone opens descriptors. Such a stray close can close inflame's descriptor while it
 * is low. The program's next open then takes that number, and a close of the low number by
 * inflame would close the program's file ("bash: cannot duplicate fd 5 to fd 1"). So the
 * descriptor is copied to a high number at once, and the low one is closed only while the
 * kernel says it is still the same open file as the copy (kcmp, or where kcmp is not allowed,
 * the same device and inode). Left: a stray close and an open of the program's that both come
 * between two calls of inflame's (after its open, or between its check and its close).
 */
#include "fdhigh.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Whether descriptors a and b are the same open file: 1 yes, 0 no. */
static int same_file(int a, int b)
{
	struct stat sa, sb;
	long rc = -1;

#ifdef SYS_kcmp
	pid_t pid = (pid_t)syscall(SYS_getpid);

	rc = syscall(SYS_kcmp, pid, pid, KCMP_FILE, a, b);
	if (rc >= 0)
		return rc == 0;
#endif
	(void)rc;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

int inflame_fdhigh_move(int fd)
{
	int saved = errno, hi = fcntl(fd, F_DUPFD_CLOEXEC, INFLAME_FDHIGH_MIN);

	if (hi < 0) {
		int err = errno;

		errno = saved;
		return err == EBADF ? -EBADF : fd;
	}
	if (same_file(fd, hi))
		close(fd);
	errno = saved;
	return hi;
}

int inflame_fdhigh_open(const char *path, int flags, mode_t mode)
{
	int fd = open(path, flags | O_CLOEXEC, mode);

	return fd < 0 ? -errno : inflame_fdhigh_move(fd);
}
