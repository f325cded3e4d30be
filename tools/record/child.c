/*
 * Starting the command and waiting for it, forwarding signals (child.h).
 *
 * The signals to forward are blocked before the fork, so that one arriving before the
 * handlers are in place stays pending until they are, rather than killing the launcher alone.
 * The child restores the mask before exec (dispositions set to a handler are reset by exec; none
 * is set in the child anyway). An exec failure is reported through a close-on-exec pipe: the
 * parent reads the child's errno, or end of file once the exec succeeded.
 *
 * The handler sends a signal on only when a process sent it (si_code other than SI_KERNEL): the
 * terminal's signals come from the kernel and reach the command already. The launcher waits
 * with WNOWAIT and reaps only after the handlers stop forwarding, so a forwarded signal can
 * never reach another process that took the command's pid.
 */
#include "record/child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

/* The command's pid while it may receive signals, 0 otherwise. */
static volatile sig_atomic_t child_pid;

/* Async-signal-safe: kill() only; errno saved. */
static void forward(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	pid_t pid = (pid_t)child_pid;

	(void)uc;
	if (pid > 0 && si->si_code != SI_KERNEL)
		kill(pid, sig);
	errno = saved;
}

int inflame_record_run(const char *path, char *const argv[], int *status, int *exec_failed)
{
	struct sigaction sa, old[NFORWARDED];
	sigset_t set, oldmask;
	siginfo_t info;
	int pfd[2], child_errno = 0, rc = 0;
	ssize_t n;
	pid_t pid;

	*exec_failed = 0;
	sigemptyset(&set);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaddset(&set, forwarded[i]);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	sigprocmask(SIG_BLOCK, &set, &oldmask);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		close(pfd[0]);
		close(pfd[1]);
		return rc;
	}
	if (pid == 0) {
		int e;

		close(pfd[0]);
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		execv(path, argv);
		e = errno;
		if (write(pfd[1], &e, sizeof(e)) < 0)
			e = 0;
		_exit(127);
	}
	close(pfd[1]);
	child_pid = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &sa, &old[i]);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);

	while ((n = read(pfd[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
		;
	close(pfd[0]);
	if (n == (ssize_t)sizeof(child_errno)) {
		*exec_failed = 1;
		rc = -child_errno;
	}
	/* Waits without reaping: the pid stays the command's until forwarding has stopped. */
	memset(&info, 0, sizeof(info));
	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	sigprocmask(SIG_BLOCK, &set, NULL);
	child_pid = 0;
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR) {
			rc = rc ? rc : -errno;
			break;
		}
	}
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &old[i], NULL);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return rc;
}
