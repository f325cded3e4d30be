/*
 * Interposition of the calls that end a process image: the exec family finishes the dump and
 * quiesces sampling before the image goes (and undoes that when exec fails), and gives the new
 * image the signal mask the program believes it has (so does posix_spawn); _exit and _Exit finish
 * the dump, since no destructors run. A seccomp filter the program installs (the seccomp system
 * call through syscall(); prctl in interpose_threads.c) ends the profile too: the filter may deny
 * the system calls inflame makes in the program's threads and kill the process for them.
 */
#include "interpose.h"

#include "log.h"
#include "profiler.h"
#include "timer.h"
#include "writer.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <sys/prctl.h> /* PR_SET_SECCOMP */
#include <sys/syscall.h>
#include <unistd.h>

static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_fexecve)(int, char *const[], char *const[]);
static int (*real_posix_spawn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			       const posix_spawnattr_t *, char *const[], char *const[]);
static int (*real_posix_spawnp)(pid_t *, const char *, const posix_spawn_file_actions_t *,
				const posix_spawnattr_t *, char *const[], char *const[]);
static void (*real__exit)(int) __attribute__((noreturn));
static void (*real__Exit)(int) __attribute__((noreturn));
static long (*real_syscall)(long, long, long, long, long, long, long);

void inflame__interpose_process_resolve(void){INFLAME_PROCESS_NAMES(INFLAME_RESOLVE_ONE)}

/* The exec of a fork child that has not settled and has nothing to write (init.c): its clock
 * stopped and the sampling signal taken as before_exec() does it, with system calls of
 * inflame's own and no store but to the fork's page. The program does not block the signal
 * (really blocked, it stays pending: the loop takes it). Then the mask is left alone: an
 * expiry before the pause is delivered as the pause returns, and none comes after it. That is
 * two system calls fewer than a mask pair around the pause (issue 11). Returns 3, or 2 when
 * the mask is blocked in *saved, or 0 when a sample settled the child meanwhile: the caller
 * then goes the usual way, with the mask as it was. */
INFLAME_FORK_TEXT static int exec_unsettled(sigset_t *saved, const sigset_t *s)
{
	struct inflame_fork_clock *f = &inflame__prof.fork_clock;
	struct timespec zero = {0, 0};
	int blocks = inflame__sig_tls.app_blocks;

	/* (the program believes the signal blocked: the new image gets it blocked) */
	if (blocks)
		inflame__syscall_raw(SYS_rt_sigprocmask, SIG_BLOCK, (long)s, (long)saved, _NSIG / 8,
				     0);
	/* (its CPU since f->cpu0 is read only if the exec fails: most do not) */
	inflame_timer_pause_forked(f->id);
	if (inflame__prof.fork_pending != INFLAME_PENDING_FORK) {
		if (blocks)
			inflame__syscall_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)saved, 0,
					     _NSIG / 8, 0);
		return 0;
	}
	while (inflame__syscall_raw(SYS_rt_sigtimedwait, (long)s, 0, (long)&zero, _NSIG / 8, 0) > 0)
		;
	return blocks ? 2 : 3;
}

/* Before an exec: write out what we have, stop the clocks, block the sampling signal and take
 * any instance already pending, so nothing can reach the new image before its own inflame (or
 * nothing) is ready. Then nothing sends it any more, and the new image gets the mask the
 * program believes it has. Returns 1 when the caller must call after_failed_exec(). */
INFLAME_FORK_TEXT static int before_exec(sigset_t *saved)
{
	sigset_t s;
	struct timespec zero = {0, 0};
	int sig = inflame__prof.sample_sig;

	if (!inflame__prof.active || sig <= 0)
		return 0;
	sigemptyset(&s);
	sigaddset(&s, sig);
	if (inflame__in_vfork_child()) {
		/* A vfork child sharing our memory: touch nothing of the profiler's, but its mask
		 * is its own. */
		if (inflame__sig_tls.app_blocks)
			inflame__real_pthread_sigmask(SIG_BLOCK, &s, NULL);
		return 0;
	}
	if (inflame__prof.fork_pending == INFLAME_PENDING_FORK && inflame_log_notes_own() == 0) {
		int done = exec_unsettled(saved, &s);

		if (done)
			return done;
	}
	inflame__image_settle_end(0); /* (an image that waited and was never sampled: init.c) */
	inflame__fork_settle();	      /* (a notice of its own: the usual way) */
	inflame__real_pthread_sigmask(SIG_BLOCK, &s, saved);
	inflame__pause();
	inflame_writer_finish_sync("exec");
	while (inflame__real_sigtimedwait(&s, NULL, &zero) > 0)
		;
	if (!inflame__sig_tls.app_blocks)
		inflame__real_pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	return 1;
}

INFLAME_FORK_TEXT static void after_failed_exec(int armed, const sigset_t *saved)
{
	struct inflame_fork_clock *f = &inflame__prof.fork_clock;
	int saved_errno = errno;

	if (armed >= 2) {
		/* (a PATH search fails often: still nothing stored but on the fork's page) */
		uint64_t cpu = inflame_timer_resume_forked(inflame__prof.pid, f->id);

		f->unsampled += cpu > f->cpu0 ? cpu - f->cpu0 : 0;
		f->cpu0 = cpu;
		f->resumed++;
		if (armed == 2)
			inflame__syscall_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)saved, 0,
					     _NSIG / 8, 0);
		return;
	}
	inflame__resume();
	inflame_writer_request(INFLAME_WRITER_WAKE);
	inflame__real_pthread_sigmask(SIG_SETMASK, saved, NULL);
	errno = saved_errno;
}

INFLAME_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	sigset_t saved;
	int armed, rc;

	INFLAME_RESOLVE(execve);
	armed = before_exec(&saved);
	rc = real_execve(path, argv, envp);
	if (armed)
		after_failed_exec(armed, &saved);
	return rc;
}

INFLAME_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	sigset_t saved;
	int armed, rc;

	INFLAME_RESOLVE(execvpe);
	armed = before_exec(&saved);
	rc = real_execvpe(file, argv, envp);
	if (armed)
		after_failed_exec(armed, &saved);
	return rc;
}

INFLAME_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	sigset_t saved;
	int armed, rc;

	INFLAME_RESOLVE(fexecve);
	armed = before_exec(&saved);
	rc = real_fexecve(fd, argv, envp);
	if (armed)
		after_failed_exec(armed, &saved);
	return rc;
}

INFLAME_EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

INFLAME_EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

#define MAX_EXECL_ARGS 4096

/* The execl family: collects the variadic arguments (up to the NULL) into argv. Returns 0, or
 * -1 with errno E2BIG when there are more than argv can hold. */
static int collect_args(const char *first, va_list *ap, char **argv)
{
	argv[0] = (char *)first;
	for (int n = 1; argv[n - 1]; n++) {
		if (n == MAX_EXECL_ARGS) {
			errno = E2BIG;
			return -1;
		}
		argv[n] = va_arg(*ap, char *);
	}
	return 0;
}

INFLAME_EXPORT int execl(const char *path, const char *arg, ...)
{
	char *argv[MAX_EXECL_ARGS];
	va_list ap;
	int rc;

	va_start(ap, arg);
	rc = collect_args(arg, &ap, argv);
	va_end(ap);
	return rc < 0 ? -1 : execve(path, argv, environ);
}

INFLAME_EXPORT int execlp(const char *file, const char *arg, ...)
{
	char *argv[MAX_EXECL_ARGS];
	va_list ap;
	int rc;

	va_start(ap, arg);
	rc = collect_args(arg, &ap, argv);
	va_end(ap);
	return rc < 0 ? -1 : execvpe(file, argv, environ);
}

INFLAME_EXPORT int execle(const char *path, const char *arg, ...)
{
	char *argv[MAX_EXECL_ARGS];
	char *const *envp = NULL;
	va_list ap;
	int rc;

	va_start(ap, arg);
	rc = collect_args(arg, &ap, argv);
	if (rc == 0)
		envp = va_arg(ap, char *const *);
	va_end(ap);
	return rc < 0 ? -1 : execve(path, argv, envp);
}

/* posix_spawn gives the new image the parent's real mask unless the attributes name one: when
 * the program believes it blocked the sampling signal, a copy of its attributes names the mask
 * it believes it has. Returns the attributes to use. */
static const posix_spawnattr_t *spawn_attr(const posix_spawnattr_t *attr, posix_spawnattr_t *copy)
{
	short flags = 0;
	sigset_t mask;

	if (!inflame__prof.active || inflame__prof.sample_sig <= 0 || !inflame__sig_tls.app_blocks)
		return attr;
	if (attr &&
	    (posix_spawnattr_getflags(attr, &flags) != 0 || (flags & POSIX_SPAWN_SETSIGMASK)))
		return attr;
	if (attr)
		*copy = *attr;
	else if (posix_spawnattr_init(copy) != 0)
		return attr;
	inflame_sig_program_mask(&mask);
	posix_spawnattr_setsigmask(copy, &mask);
	posix_spawnattr_setflags(copy, (short)(flags | POSIX_SPAWN_SETSIGMASK));
	return copy;
}

INFLAME_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			       const posix_spawnattr_t *attr, char *const argv[],
			       char *const envp[])
{
	posix_spawnattr_t copy;

	INFLAME_RESOLVE(posix_spawn);
	return real_posix_spawn(pid, path, fa, spawn_attr(attr, &copy), argv, envp);
}

INFLAME_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
				const posix_spawnattr_t *attr, char *const argv[],
				char *const envp[])
{
	posix_spawnattr_t copy;

	INFLAME_RESOLVE(posix_spawnp);
	return real_posix_spawnp(pid, file, fa, spawn_attr(attr, &copy), argv, envp);
}

/* _exit: no destructors run, so finish the dump here (waiting for the writer's cycle as long
 * as it makes progress; a program that calls _exit from a signal handler that interrupted
 * inflame's own write gives up the last cycle at once, and the file says so). */
INFLAME_FORK_TEXT static void finish_before_exit(void)
{
	if (!inflame__end_pause(1))
		return;
	inflame_writer_finish_sync("_exit");
	inflame__prof.active = 0;
}

INFLAME_EXPORT void _exit(int status)
{
	INFLAME_RESOLVE(_exit);
	finish_before_exit();
	real__exit(status);
}

INFLAME_EXPORT void _Exit(int status)
{
	INFLAME_RESOLVE(_Exit);
	finish_before_exit();
	real__Exit(status);
}

/* Before a seccomp filter takes effect: the profile ends here, written out whole, and inflame
 * makes no system call in the program's threads any more (the clocks stopped, the writer's
 * last file closed, a sampling signal already pending taken), so that a filter that denies
 * getrusage, openat or the like does not kill the program for inflame's calls. */
void inflame__stop_before_filter(void)
{
	sigset_t s, saved;
	struct timespec zero = {0, 0};
	int sig = inflame__prof.sample_sig;

	if (!inflame__prof.active || sig <= 0 || inflame__in_vfork_child())
		return;
	inflame__fork_settle();
	inflame_log(INFLAME_LOG_INFO, "the program installs a seccomp filter, which could deny "
				      "inflame's system calls: profiling stops here");
	sigemptyset(&s);
	sigaddset(&s, sig);
	inflame__real_pthread_sigmask(SIG_BLOCK, &s, &saved);
	if (inflame__pause())
		inflame_writer_stop("a seccomp filter");
	inflame__prof.active = 0;
	while (inflame__real_sigtimedwait(&s, NULL, &zero) > 0)
		;
	inflame__real_pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

/* (inflame's own calls come here too: they are never the seccomp system call) */
INFLAME_EXPORT long syscall(long nr, ...)
{
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	INFLAME_RESOLVE(syscall);
	if ((nr == SYS_seccomp &&
	     (a[0] == SECCOMP_SET_MODE_STRICT || a[0] == SECCOMP_SET_MODE_FILTER)) ||
	    (nr == SYS_prctl && a[0] == PR_SET_SECCOMP))
		inflame__stop_before_filter();
	return real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
