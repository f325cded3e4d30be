/*
 * The plain system calls of the C library that libinflame.so calls, made by libinflame itself.
 * The library is linked with -z now: the loader looks up every C library function it calls
 * as it loads, in every profiled process, about 0.12 us each (issue 11). Where the linker
 * wraps symbols (configure.ac), a call of the library's to one of these names reaches the
 * function here, __wrap_NAME (the name ld --wrap gives it), and the loader has nothing to
 * look up for it. Each behaves as the C library's does: the same system call, -1 and errno on
 * failure. They are no cancellation points. All are async-signal-safe. (getppid stays the C
 * library's: its address tells where the C library lies, preload/safepoint.c.)
 */
#ifndef INFLAME_SYSRAW_H
#define INFLAME_SYSRAW_H

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>

pid_t __wrap_getpid(void);
uid_t __wrap_getuid(void);
uid_t __wrap_geteuid(void);
int __wrap_sched_yield(void);
int __wrap_close(int fd);
ssize_t __wrap_read(int fd, void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_writev(int fd, const struct iovec *iov, int iovcnt);
off_t __wrap_lseek(int fd, off_t off, int whence);
int __wrap_ioctl(int fd, unsigned long request, ...);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __wrap_munmap(void *addr, size_t len);
int __wrap_mprotect(void *addr, size_t len, int prot);
void *__wrap_mremap(void *old, size_t old_len, size_t new_len, int flags, ...);
int __wrap_madvise(void *addr, size_t len, int advice);
int __wrap_getrusage(int who, struct rusage *ru);
int __wrap_setitimer(int which, const struct itimerval *value, struct itimerval *old);
int __wrap_unlinkat(int dirfd, const char *path, int flags);
int __wrap_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags);
int __wrap_getsockopt(int fd, int level, int name, void *value, socklen_t *len);

#endif
