/*
 * The C library's plain system call wrappers that libinflame.so calls, made here with the
 * system call instruction (inflame__syscall_raw), so that the loader has no symbol of the C
 * library to look up for them as the library loads (issue 11). Only calls that the C library
 * makes as one system call of the same name and arguments are here: the program, a seccomp
 * filter or strace see the same system calls as before. Each sets errno and returns -1 (or
 * MAP_FAILED) on failure, as the C library's does; none is a cancellation point.
 */
#include "sysraw.h"

#include "clock.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The C library's convention for a system call's result: -errno becomes -1 and errno. */
static long libc_result(long rc)
{
	if (rc < 0 && rc > -4096) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

static long call(long nr, long a, long b, long c, long d, long e)
{
	return libc_result(inflame__syscall_raw(nr, a, b, c, d, e));
}

pid_t __wrap_getpid(void)
{
	return (pid_t)inflame__syscall_raw(SYS_getpid, 0, 0, 0, 0, 0);
}

uid_t __wrap_getuid(void)
{
	return (uid_t)inflame__syscall_raw(SYS_getuid, 0, 0, 0, 0, 0);
}

uid_t __wrap_geteuid(void)
{
	return (uid_t)inflame__syscall_raw(SYS_geteuid, 0, 0, 0, 0, 0);
}

int __wrap_sched_yield(void)
{
	return (int)call(SYS_sched_yield, 0, 0, 0, 0, 0);
}

int __wrap_close(int fd)
{
	return (int)call(SYS_close, fd, 0, 0, 0, 0);
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
	return call(SYS_read, fd, (long)buf, (long)n, 0, 0);
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	return call(SYS_write, fd, (long)buf, (long)n, 0, 0);
}

ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
	return call(SYS_pread64, fd, (long)buf, (long)n, (long)off, 0);
}

ssize_t __wrap_writev(int fd, const struct iovec *iov, int iovcnt)
{
	return call(SYS_writev, fd, (long)iov, iovcnt, 0, 0);
}

off_t __wrap_lseek(int fd, off_t off, int whence)
{
	return (off_t)call(SYS_lseek, fd, (long)off, whence, 0, 0);
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	return (int)call(SYS_ioctl, fd, (long)request, (long)arg, 0, 0);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	/* (six arguments: the offset goes through the C library's own entry where the raw
	 * call takes five) */
	long rc;

#if defined(__x86_64__)
	register long r10 __asm__("r10") = flags;
	register long r8 __asm__("r8") = fd;
	register long r9 __asm__("r9") = (long)off;

	__asm__ volatile("syscall"
			 : "=a"(rc)
			 : "a"((long)SYS_mmap), "D"((long)addr), "S"((long)len), "d"((long)prot),
			   "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
#else
	rc = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
	if (rc == -1)
		rc = -errno;
#endif
	return (void *)libc_result(rc);
}

int __wrap_munmap(void *addr, size_t len)
{
	return (int)call(SYS_munmap, (long)addr, (long)len, 0, 0, 0);
}

int __wrap_mprotect(void *addr, size_t len, int prot)
{
	return (int)call(SYS_mprotect, (long)addr, (long)len, prot, 0, 0);
}

void *__wrap_mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *want = NULL;
	va_list ap;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		want = va_arg(ap, void *);
		va_end(ap);
	}
	return (void *)call(SYS_mremap, (long)old, (long)old_len, (long)new_len, flags, (long)want);
}

int __wrap_madvise(void *addr, size_t len, int advice)
{
	return (int)call(SYS_madvise, (long)addr, (long)len, advice, 0, 0);
}

int __wrap_getrusage(int who, struct rusage *ru)
{
	return (int)call(SYS_getrusage, who, (long)ru, 0, 0, 0);
}

int __wrap_setitimer(int which, const struct itimerval *value, struct itimerval *old)
{
	return (int)call(SYS_setitimer, which, (long)value, (long)old, 0, 0);
}

int __wrap_unlinkat(int dirfd, const char *path, int flags)
{
	return (int)call(SYS_unlinkat, dirfd, (long)path, flags, 0, 0);
}

int __wrap_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	return (int)call(SYS_linkat, olddirfd, (long)oldpath, newdirfd, (long)newpath, flags);
}

int __wrap_getsockopt(int fd, int level, int name, void *value, socklen_t *len)
{
	return (int)call(SYS_getsockopt, fd, level, name, (long)value, (long)len);
}
