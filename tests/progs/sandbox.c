/*
 * A program that sandboxes itself as OpenSSH, Chromium or a libseccomp user does: after some
 * work it installs a seccomp filter that allows a short list of system calls and kills the
 * process on any other, then works on (computes, allocates, sleeps) and prints. With the
 * argument "tsync" the filter is installed with the seccomp system call through syscall(),
 * on every thread of the process (SECCOMP_FILTER_FLAG_TSYNC); else with prctl, on this
 * thread. Prints the same line every run (tests/sandbox_test.sh compares it with the
 * unprofiled run); a denied call ends it with SIGSYS.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

#define ALLOW(nr)                                                                                  \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),                                           \
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static void work(int rounds)
{
	for (int r = 0; r < rounds; r++) {
		char *p = malloc(100000 + (size_t)r);

		for (unsigned long i = 0; i < 3000000; i++)
			sink += i;
		if (!p)
			abort();
		memset(p, r, 100);
		sink += (unsigned char)p[50];
		free(p);
		if (r % 10 == 0)
			nanosleep(&(struct timespec){0, 20000000}, NULL);
	}
}

int main(int argc, char **argv)
{
	int tsync = argc > 1 && strcmp(argv[1], "tsync") == 0;
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    ALLOW(SYS_read),
	    ALLOW(SYS_write),
	    ALLOW(SYS_exit),
	    ALLOW(SYS_exit_group),
	    ALLOW(SYS_rt_sigreturn),
	    ALLOW(SYS_brk),
	    ALLOW(SYS_mmap),
	    ALLOW(SYS_munmap),
	    ALLOW(SYS_mprotect),
	    ALLOW(SYS_madvise),
	    ALLOW(SYS_futex),
	    ALLOW(SYS_clock_gettime),
	    ALLOW(SYS_clock_nanosleep),
	    ALLOW(SYS_nanosleep),
	    ALLOW(SYS_restart_syscall),
	    ALLOW(SYS_getrandom),
	    ALLOW(SYS_newfstatat),
	    ALLOW(SYS_fstat),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	work(30); /* profiled */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return 2;
	if (tsync ? syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog)
		  : prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return 3;
	work(30);
	printf("sandbox: done %d\n", sink != 0);
	return 0;
}
