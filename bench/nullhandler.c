/*
 * bench/libnullhandler.so: the floor of the overhead benchmark (bench/cpu.sh). Loaded with
 * LD_PRELOAD, it arms the same kind of clock as inflame's default CPU timer (preload/timer.c):
 * one perf_event_open() per thread on the software task clock at INFLAME_NULL_HZ (default 999),
 * user time only (exclude_kernel, as inflame), its overflow delivered as SIGPROF to that very
 * thread (O_ASYNC, F_SETSIG, F_SETOWN_EX/F_OWNER_TID). pthread_create is interposed so that each
 * new thread arms its own timer before running its start routine.
 * The handler only counts: whatever a profiled run costs beyond this is the profiler's own work
 * (unwinding, recording, writing), the rest is the price of the signals themselves.
 *
 * With INFLAME_NULL_SIGTRAP=1 the same clock is opened with attr.sigtrap (Linux 5.13 and later)
 * instead of O_ASYNC: the kernel then raises SIGTRAP on the way back to user space of the
 * interrupted thread (task work) rather than from an irq_work self-interrupt, which is what
 * F_SETSIG delivery costs on top of the timer interrupt. The benchmark measures both floors.
 *
 * At exit, when INFLAME_NULL_OUT names a file, one line "SIGNALS CPU_SECONDS" is appended to it
 * so the benchmark can print the rate the clock achieved.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static _Atomic unsigned long signals;
static unsigned long hz = 999;
static int sigtrap_mode;
static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	atomic_fetch_add_explicit(&signals, 1, memory_order_relaxed);
}

/* Opens and enables the task clock of thread tid; returns the descriptor or -errno. */
static int arm(pid_t tid)
{
	struct perf_event_attr a;
	struct f_owner_ex owner = {F_OWNER_TID, tid};
	int fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.sample_period = 1000000000ull / hz;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.wakeup_events = 1;
#ifdef PERF_ATTR_SIZE_VER7
	if (sigtrap_mode) {
		a.sigtrap = 1;
		a.remove_on_exec = 1; /* the kernel requires it with sigtrap */
	}
#endif
	fd = (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (sigtrap_mode) {
		/* nothing to route: the kernel signals the thread the event counts */
	} else if (fcntl(fd, F_SETFL, O_ASYNC) < 0 || fcntl(fd, F_SETSIG, SIGPROF) < 0 ||
		   fcntl(fd, F_SETOWN_EX, &owner) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	ioctl(fd, PERF_EVENT_IOC_RESET, 0);
	ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	return fd;
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

struct start {
	void *(*fn)(void *);
	void *arg;
};

static void *start(void *p)
{
	struct start s = *(struct start *)p;
	int fd;
	void *ret;

	free(p);
	fd = arm(gettid_());
	ret = s.fn(s.arg);
	if (fd >= 0)
		close(fd);
	return ret;
}

EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	struct start *s = malloc(sizeof(*s));
	int rc;

	if (!real_pthread_create)
		*(void **)&real_pthread_create = dlsym(RTLD_NEXT, "pthread_create");
	if (!s)
		return real_pthread_create(t, attr, fn, arg);
	s->fn = fn;
	s->arg = arg;
	rc = real_pthread_create(t, attr, start, s);
	if (rc)
		free(s);
	return rc;
}

__attribute__((constructor)) static void init(void)
{
	struct sigaction act;
	const char *v = getenv("INFLAME_NULL_HZ");
	int fd;

	*(void **)&real_pthread_create = dlsym(RTLD_NEXT, "pthread_create");
	if (v && strtoul(v, NULL, 10) > 0)
		hz = strtoul(v, NULL, 10);
	v = getenv("INFLAME_NULL_SIGTRAP");
	sigtrap_mode = v && *v == '1';
#ifndef PERF_ATTR_SIZE_VER7
	if (sigtrap_mode) {
		fprintf(stderr, "nullhandler: built without perf sigtrap support\n");
		return;
	}
#endif
	memset(&act, 0, sizeof(act));
	act.sa_sigaction = on_signal;
	act.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&act.sa_mask);
	sigaction(sigtrap_mode ? SIGTRAP : SIGPROF, &act, NULL);
	fd = arm(gettid_());
	if (fd < 0)
		fprintf(stderr, "nullhandler: perf_event_open: %s\n", strerror(-fd));
}

__attribute__((destructor)) static void fini(void)
{
	const char *path = getenv("INFLAME_NULL_OUT");
	struct rusage ru;
	FILE *f;

	if (!path || !*path || getrusage(RUSAGE_SELF, &ru) < 0)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	fprintf(f, "%lu %.6f\n", atomic_load(&signals),
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	fclose(f);
}
