/*
 * Every libc function inflame interposes, in one place. Each wrapper calls the next
 * definition (real_<fn>, found with dlsym(RTLD_NEXT) by inflame__interpose_resolve() during
 * start-up, or lazily if the program calls it before our constructor ran) and adds only what
 * the profiler needs:
 *   - pthread_create: the new thread registers itself (ring, timer, name) before running the
 *     program's start routine, and unregisters when it returns, exits or is cancelled.
 *   - pthread_setname_np, prctl(PR_SET_NAME): the registry learns the new name.
 *   - sigaction, signal, sysv_signal, bsd_signal: the program cannot take the sampling signal
 *     away from us; its handler is kept and called for signals inflame did not send. For the
 *     dump signal the program wins.
 *   - execve and the exec family: finish the dump and quiesce sampling before the image goes.
 *   - _exit, _Exit: finish the dump (destructors do not run), waiting a bounded time.
 *   - dlopen, dlclose, dl_iterate_phdr: mark the thread as inside the loader (the DWARF
 *     unwinder must not run then) and keep the module map honest.
 * The allocator's wrappers are in interpose_alloc.c.
 */
#include "interpose.h"

#include "alloc.h"
#include "log.h"
#include "modules.h"
#include "profiler.h"
#include "thread.h"
#include "timer.h"
#include "writer.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

typedef void (*sighandler_fn)(int);

static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static int (*real_pthread_setname_np)(pthread_t, const char *);
static int (*real_prctl)(int, unsigned long, unsigned long, unsigned long, unsigned long);
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_fexecve)(int, char *const[], char *const[]);
static void *(*real_dlopen)(const char *, int);
static int (*real_dlclose)(void *);
static int (*real_dl_iterate_phdr)(int (*)(struct dl_phdr_info *, size_t, void *), void *);
static void (*real__exit)(int) __attribute__((noreturn));
static void (*real__Exit)(int) __attribute__((noreturn));

#define RESOLVE(name)                                                                              \
	do {                                                                                       \
		if (!real_##name)                                                                  \
			*(void **)&real_##name = dlsym(RTLD_NEXT, #name);                          \
	} while (0)

void inflame__interpose_resolve(void)
{
	inflame__interpose_alloc_resolve();
	RESOLVE(pthread_create);
	RESOLVE(pthread_setname_np);
	RESOLVE(prctl);
	RESOLVE(sigaction);
	RESOLVE(execve);
	RESOLVE(execvpe);
	RESOLVE(fexecve);
	RESOLVE(dlopen);
	RESOLVE(dlclose);
	RESOLVE(dl_iterate_phdr);
	RESOLVE(_exit);
	RESOLVE(_Exit);
}

int inflame__real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
				 void *arg)
{
	RESOLVE(pthread_create);
	return real_pthread_create(t, attr, fn, arg);
}

int inflame__real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	RESOLVE(sigaction);
	return real_sigaction(sig, act, old);
}

int inflame__real_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *arg)
{
	RESOLVE(dl_iterate_phdr);
	return real_dl_iterate_phdr(cb, arg);
}

/* Threads. */

struct start {
	void *(*fn)(void *);
	void *arg;
};

static void thread_cleanup(void *unused)
{
	(void)unused;
	inflame_thread_unregister_current();
}

static void *thread_start(void *p)
{
	struct start s = *(struct start *)p;
	void *ret;

	free(p);
	inflame_thread_register_current();
	pthread_cleanup_push(thread_cleanup, NULL);
	ret = s.fn(s.arg);
	pthread_cleanup_pop(1);
	return ret;
}

INFLAME_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
				  void *arg)
{
	struct start *s;
	int rc;

	RESOLVE(pthread_create);
	inflame_alloc_threads_many(); /* before the thread exists: alloc.h */
	if (!inflame__prof.active)
		return real_pthread_create(t, attr, fn, arg);
	inflame__alloc_tls.guard++; /* our own record: not the program's allocation */
	s = malloc(sizeof(*s));
	inflame__alloc_tls.guard--;
	if (!s)
		return real_pthread_create(t, attr, fn, arg);
	s->fn = fn;
	s->arg = arg;
	rc = real_pthread_create(t, attr, thread_start, s);
	if (rc != 0)
		free(s);
	return rc;
}

INFLAME_EXPORT int pthread_setname_np(pthread_t t, const char *name)
{
	int rc;

	RESOLVE(pthread_setname_np);
	rc = real_pthread_setname_np(t, name);
	if (rc == 0 && inflame__prof.active)
		inflame_thread_note_rename(t, pthread_equal(t, pthread_self()));
	return rc;
}

INFLAME_EXPORT int prctl(int option, ...)
{
	unsigned long a[4];
	va_list ap;
	int rc;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	RESOLVE(prctl);
	rc = real_prctl(option, a[0], a[1], a[2], a[3]);
	if (rc == 0 && option == PR_SET_NAME && inflame__prof.active)
		inflame_thread_note_rename(pthread_self(), 1);
	return rc;
}

/* Signals. */

static int once_sample_override, once_dump_override;

INFLAME_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	RESOLVE(sigaction);
	if (inflame__prof.active && sig == inflame__prof.sample_sig && sig > 0) {
		/* Keep our handler; remember the program's and report it as installed. */
		if (old) {
			if (atomic_load(&inflame__prof.app_has_sample_action)) {
				*old = inflame__prof.app_sample_action;
			} else {
				memset(old, 0, sizeof(*old));
				old->sa_handler = SIG_DFL;
			}
		}
		if (act) {
			atomic_store(&inflame__prof.app_has_sample_action, 0);
			inflame__prof.app_sample_action = *act;
			atomic_store(&inflame__prof.app_has_sample_action, 1);
			if (act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN)
				inflame_log_once(&once_sample_override, INFLAME_LOG_INFO,
						 "the program installed a handler for SIG%s, "
						 "inflame's sampling signal; inflame passes it the "
						 "signals it did not send",
						 inflame_config_signal_name(sig)
						     ? inflame_config_signal_name(sig)
						     : "?");
		}
		return 0;
	}
	if (inflame__prof.active && inflame__prof.dump_sig_owned &&
	    sig == inflame__prof.cfg.dump_signal && act && act->sa_handler != SIG_DFL &&
	    act->sa_handler != SIG_IGN) {
		struct sigaction prev;
		int rc = real_sigaction(sig, act, &prev);

		if (rc == 0) {
			inflame__prof.dump_sig_owned = 0;
			if (old) {
				memset(old, 0, sizeof(*old));
				old->sa_handler = SIG_DFL;
			}
			inflame_log_once(&once_dump_override, INFLAME_LOG_INFO,
					 "the program installed its own handler for SIG%s; "
					 "dumps on that signal are off",
					 inflame_config_signal_name(sig)
					     ? inflame_config_signal_name(sig)
					     : "?");
		}
		return rc;
	}
	if (inflame__prof.active && inflame__prof.dump_sig_owned &&
	    sig == inflame__prof.cfg.dump_signal && old) {
		/* The program asks what is installed: as far as it knows, nothing. */
		int rc = real_sigaction(sig, act, NULL);

		memset(old, 0, sizeof(*old));
		old->sa_handler = SIG_DFL;
		return rc;
	}
	return real_sigaction(sig, act, old);
}

static sighandler_fn set_handler(int sig, sighandler_fn h, int flags)
{
	struct sigaction act, old;

	memset(&act, 0, sizeof(act));
	act.sa_handler = h;
	act.sa_flags = flags;
	sigemptyset(&act.sa_mask);
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

INFLAME_EXPORT sighandler_fn signal(int sig, sighandler_fn h)
{
	return set_handler(sig, h, SA_RESTART);
}

INFLAME_EXPORT sighandler_fn bsd_signal(int sig, sighandler_fn h)
{
	return set_handler(sig, h, SA_RESTART);
}

INFLAME_EXPORT sighandler_fn sysv_signal(int sig, sighandler_fn h)
{
	return set_handler(sig, h, SA_RESETHAND | SA_NODEFER);
}

/* exec. */

/* Before an exec: write out what we have, stop the clocks, block the sampling signal and
 * take any instance already pending, so nothing can reach the new image before its own
 * inflame (or nothing) is ready. Returns 1 when the caller must call after_failed_exec(). */
static int before_exec(sigset_t *saved)
{
	sigset_t s;
	struct timespec zero = {0, 0};

	if (!inflame__prof.active || getpid() != inflame__prof.pid)
		return 0; /* not set up, or a vfork child sharing our memory: touch nothing */
	sigemptyset(&s);
	sigaddset(&s, inflame__prof.sample_sig);
	pthread_sigmask(SIG_BLOCK, &s, saved);
	inflame__pause();
	inflame_writer_finish_sync(2000);
	while (sigtimedwait(&s, NULL, &zero) > 0)
		;
	return 1;
}

static void after_failed_exec(const sigset_t *saved)
{
	int saved_errno = errno;

	inflame__resume();
	inflame_writer_request(INFLAME_WRITER_WAKE);
	pthread_sigmask(SIG_SETMASK, saved, NULL);
	errno = saved_errno;
}

INFLAME_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	sigset_t saved;
	int armed, rc;

	RESOLVE(execve);
	armed = before_exec(&saved);
	rc = real_execve(path, argv, envp);
	if (armed)
		after_failed_exec(&saved);
	return rc;
}

INFLAME_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	sigset_t saved;
	int armed, rc;

	RESOLVE(execvpe);
	armed = before_exec(&saved);
	rc = real_execvpe(file, argv, envp);
	if (armed)
		after_failed_exec(&saved);
	return rc;
}

INFLAME_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	sigset_t saved;
	int armed, rc;

	RESOLVE(fexecve);
	armed = before_exec(&saved);
	rc = real_fexecve(fd, argv, envp);
	if (armed)
		after_failed_exec(&saved);
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

/* The loader. */

static void enter_dl(struct inflame_thread *t)
{
	if (t)
		atomic_fetch_add(&t->in_dl, 1);
}

static void leave_dl(struct inflame_thread *t)
{
	if (t)
		atomic_fetch_sub(&t->in_dl, 1);
}

static int once_deepbind;

/* dlopen searches the calling object's DT_RUNPATH (or DT_RPATH) for a bare name, and the
 * caller it sees is now this wrapper. When the real dlopen fails for a name without a slash,
 * search the true caller's paths (with $ORIGIN expanded) the way the loader would have. */
static void *dlopen_caller_paths(const char *file, int mode, const void *caller)
{
	struct link_map *lm = NULL;
	const ElfW(Dyn) * d;
	const char *strtab = NULL, *paths = NULL, *rpath = NULL;
	char origin[PATH_MAX], path[2 * PATH_MAX + 16];
	Dl_info info;

	if (!dladdr1(caller, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm || !lm->l_ld)
		return NULL;
	for (d = lm->l_ld; d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_STRTAB)
			strtab = (const char *)d->d_un.d_ptr;
	if (!strtab)
		return NULL;
	for (d = lm->l_ld; d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_RUNPATH)
			paths = strtab + d->d_un.d_val;
		else if (d->d_tag == DT_RPATH)
			rpath = strtab + d->d_un.d_val;
	}
	if (!paths)
		paths = rpath;
	if (!paths)
		return NULL;
	if (lm->l_name && lm->l_name[0]) {
		snprintf(origin, sizeof(origin), "%s", lm->l_name);
	} else {
		ssize_t n = readlink("/proc/self/exe", origin, sizeof(origin) - 1);

		origin[n > 0 ? n : 0] = 0;
	}
	if (strrchr(origin, '/'))
		*strrchr(origin, '/') = 0;
	while (*paths) {
		size_t len = strcspn(paths, ":");
		void *h;

		if (len >= 7 && !strncmp(paths, "$ORIGIN", 7))
			snprintf(path, sizeof(path), "%s%.*s/%s", origin, (int)(len - 7), paths + 7,
				 file);
		else if (len >= 9 && !strncmp(paths, "${ORIGIN}", 9))
			snprintf(path, sizeof(path), "%s%.*s/%s", origin, (int)(len - 9), paths + 9,
				 file);
		else
			snprintf(path, sizeof(path), "%.*s/%s", (int)len, paths, file);
		h = real_dlopen(path, mode);
		if (h)
			return h;
		paths += len;
		if (*paths == ':')
			paths++;
	}
	return NULL;
}

INFLAME_EXPORT void *dlopen(const char *file, int mode)
{
	struct inflame_thread *t = inflame_thread_self();
	const void *caller = __builtin_return_address(0);
	void *h;

	RESOLVE(dlopen);
	if (inflame__prof.active && (mode & RTLD_DEEPBIND) &&
	    (inflame__prof.cfg.events & INFLAME_EVMASK_ALLOC)) {
		inflame_log_once(&once_deepbind, INFLAME_LOG_INFO,
				 "dlopen(%s, RTLD_DEEPBIND) would bypass allocation profiling; "
				 "RTLD_DEEPBIND removed",
				 file ? file : "NULL");
		mode &= ~RTLD_DEEPBIND;
	}
	enter_dl(t);
	h = real_dlopen(file, mode);
	if (!h && file && !strchr(file, '/')) {
		h = dlopen_caller_paths(file, mode, caller);
		if (!h)
			real_dlopen(file, mode); /* leave the loader's own error for dlerror() */
	}
	leave_dl(t);
	if (inflame__prof.active)
		inflame_writer_request(INFLAME_WRITER_WAKE);
	return h;
}

INFLAME_EXPORT int dlclose(void *h)
{
	struct inflame_thread *t = inflame_thread_self();
	int rc;

	RESOLVE(dlclose);
	enter_dl(t);
	inflame_modules_close_begin();
	rc = real_dlclose(h);
	inflame_modules_close_end();
	leave_dl(t);
	return rc;
}

INFLAME_EXPORT int dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *arg)
{
	struct inflame_thread *t = inflame_thread_self();
	int rc;

	RESOLVE(dl_iterate_phdr);
	enter_dl(t);
	rc = real_dl_iterate_phdr(cb, arg);
	leave_dl(t);
	return rc;
}

/* _exit: no destructors run, so finish the dump here (bounded: a program that calls _exit
 * from a signal handler that interrupted inflame's own waiting gives up the last chunk rather
 * than hang). */
static void finish_before_exit(void)
{
	if (!inflame__pause())
		return;
	inflame_writer_finish_sync(1000);
	inflame__prof.active = 0;
}

INFLAME_EXPORT void _exit(int status)
{
	RESOLVE(_exit);
	finish_before_exit();
	real__exit(status);
}

INFLAME_EXPORT void _Exit(int status)
{
	RESOLVE(_Exit);
	finish_before_exit();
	real__Exit(status);
}
