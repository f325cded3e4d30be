/* Runs a command with perf_event_open forbidden (a seccomp filter that fails it with EACCES),
 * as under perf_event_paranoid=3 or a container's seccomp profile. Usage: noperf CMD [ARGS].
 * With --vm first, process_vm_readv is the call forbidden instead (EPERM), as by a profile
 * that keeps a process out of its own memory by that way. With --ids first, prctl() fails with
 * EINVAL for PR_TIMER_CREATE_RESTORE_IDS (77), as on a kernel before Linux 6.15. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int vm = argc > 1 && !strcmp(argv[1], "--vm"), ids = argc > 1 && !strcmp(argv[1], "--ids");
	struct sock_filter filter[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, vm ? SYS_process_vm_readv : SYS_perf_event_open, 0,
		     1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (vm ? EPERM : EACCES)),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	/* (prctl's first argument: the low half of args[0] on a little-endian machine) */
	struct sock_filter ids_filter[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 3),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 77, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(filter) / sizeof(filter[0]), filter};

	if (ids) {
		prog.len = sizeof(ids_filter) / sizeof(ids_filter[0]);
		prog.filter = ids_filter;
	}
	argc -= vm + ids;
	argv += vm + ids;
	if (argc < 2)
		return 2;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("noperf: seccomp");
		return 2;
	}
	execvp(argv[1], argv + 1);
	perror("noperf: exec");
	return 127;
}
