/*
 * Sampling clocks.
 *
 * perf: one perf_event_open() per thread on the software task clock (or the event named by
 * INFLAME_PERF_EVENT), user space only, whose overflow is delivered as the sampling signal to
 * that very thread (O_ASYNC + F_SETSIG + F_SETOWN_EX/F_OWNER_TID). It counts only while the
 * thread runs, fires at the asked frequency regardless of the kernel tick, and works for an
 * unprivileged user at perf_event_paranoid=2.
 * thread: timer_create() on the thread's CPU clock with SIGEV_THREAD_ID; limited to the kernel
 * tick. itimer: setitimer(ITIMER_PROF), one per process, kept for compatibility.
 * wall: a ticker thread that queues the sampling signal to every registered thread (in batches
 * when there are many), so blocked threads are sampled where they block.
 */
#include "timer.h"

#include "log.h"
#include "profiler.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define WALL_BATCH 64

static int cpu_on(void)
{
	return (inflame__prof.cfg.events & INFLAME_EVMASK_CPU) != 0;
}

static void perf_attr(struct perf_event_attr *a)
{
	const char *ev = inflame__prof.cfg.perf_event;

	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->disabled = 1;
	a->exclude_kernel = 1;
	a->exclude_hv = 1;
	a->wakeup_events = 1;
	if (!strcmp(ev, "task-clock") || !strcmp(ev, "cpu-clock")) {
		a->type = PERF_TYPE_SOFTWARE;
		a->config =
		    !strcmp(ev, "task-clock") ? PERF_COUNT_SW_TASK_CLOCK : PERF_COUNT_SW_CPU_CLOCK;
		a->sample_period = 1000000000ull / inflame__prof.cfg.frequency;
	} else {
		a->type = PERF_TYPE_HARDWARE;
		a->config = !strcmp(ev, "cycles")	  ? PERF_COUNT_HW_CPU_CYCLES
			    : !strcmp(ev, "instructions") ? PERF_COUNT_HW_INSTRUCTIONS
							  : PERF_COUNT_HW_REF_CPU_CYCLES;
		a->freq = 1;
		a->sample_freq = inflame__prof.cfg.frequency;
	}
}

static int perf_open(pid_t tid)
{
	struct perf_event_attr a;
	struct f_owner_ex owner = {F_OWNER_TID, tid};
	int fd, hi;

	perf_attr(&a);
	fd = (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Keep our descriptors away from the low numbers programs dup2() onto. */
	hi = fcntl(fd, F_DUPFD_CLOEXEC, 512);
	if (hi >= 0) {
		close(fd);
		fd = hi;
	}
	if (fcntl(fd, F_SETFL, O_ASYNC) < 0 || fcntl(fd, F_SETSIG, inflame__prof.sample_sig) < 0 ||
	    fcntl(fd, F_SETOWN_EX, &owner) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int posix_timer_create(struct inflame_thread *t)
{
	struct sigevent sev;
	struct itimerspec its;
	clockid_t clk = (clockid_t)((~(unsigned)t->tid << 3) | 6); /* the thread's CPU clock */
	long ns = 1000000000L / (long)inflame__prof.cfg.frequency;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = inflame__prof.sample_sig;
	sev.sigev_value.sival_int = INFLAME_COOKIE_THREAD_TIMER;
	sev._sigev_un._tid = t->tid;
	if (timer_create(clk, &sev, &t->timer) < 0)
		return -errno;
	its.it_interval.tv_sec = ns / 1000000000L;
	its.it_interval.tv_nsec = ns % 1000000000L;
	its.it_value = its.it_interval;
	if (timer_settime(t->timer, 0, &its, NULL) < 0) {
		int err = -errno;

		timer_delete(t->timer);
		return err;
	}
	t->has_timer = 1;
	return 0;
}

static int set_itimer(int on)
{
	struct itimerval it;
	long us = 1000000L / (long)inflame__prof.cfg.frequency;

	memset(&it, 0, sizeof(it));
	if (on) {
		it.it_interval.tv_sec = us / 1000000L;
		it.it_interval.tv_usec = us % 1000000L ? us % 1000000L : 1;
		it.it_value = it.it_interval;
	}
	return setitimer(ITIMER_PROF, &it, NULL) < 0 ? -errno : 0;
}

int inflame_timer_setup(void)
{
	int fd;

	if (!cpu_on())
		return 0;
	inflame__prof.timer_used = inflame__prof.cfg.cpu_timer;
	if (inflame__prof.timer_used == INFLAME_TIMER_PERF) {
		fd = perf_open(inflame__gettid());
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		inflame_log(INFLAME_LOG_INFO,
			    "perf events are not available (%s); using per-thread CPU timers, "
			    "limited to the kernel tick",
			    strerror(-fd));
		inflame__prof.timer_used = INFLAME_TIMER_THREAD;
	}
	if (inflame__prof.timer_used == INFLAME_TIMER_ITIMER)
		return set_itimer(1);
	return 0;
}

int inflame_timer_arm_thread(struct inflame_thread *t)
{
	int fd, rc;

	if (!cpu_on())
		return 0;
	switch (inflame__prof.timer_used) {
	case INFLAME_TIMER_PERF:
		fd = perf_open(t->tid);
		if (fd < 0)
			return fd;
		t->perf_fd = fd;
		ioctl(fd, PERF_EVENT_IOC_RESET, 0);
		ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
		return 0;
	case INFLAME_TIMER_THREAD:
		rc = posix_timer_create(t);
		return rc;
	case INFLAME_TIMER_ITIMER:
		return 0;
	}
	return 0;
}

void inflame_timer_disarm_thread(struct inflame_thread *t)
{
	if (t->perf_fd >= 0) {
		ioctl(t->perf_fd, PERF_EVENT_IOC_DISABLE, 0);
		close(t->perf_fd);
		t->perf_fd = -1;
	}
	if (t->has_timer) {
		timer_delete(t->timer);
		t->has_timer = 0;
	}
}

static void for_each_active(void (*fn)(struct inflame_thread *t, int on), int on)
{
	int n = inflame_thread_high_water();

	for (int i = 0; i < n; i++) {
		struct inflame_thread *t = inflame_thread_at(i);

		if (atomic_load(&t->state) == INFLAME_SLOT_ACTIVE)
			fn(t, on);
	}
}

static void switch_thread(struct inflame_thread *t, int on)
{
	if (t->perf_fd >= 0)
		ioctl(t->perf_fd, on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE, 0);
	if (t->has_timer) {
		struct itimerspec its;
		long ns = 1000000000L / (long)inflame__prof.cfg.frequency;

		memset(&its, 0, sizeof(its));
		if (on) {
			its.it_interval.tv_sec = ns / 1000000000L;
			its.it_interval.tv_nsec = ns % 1000000000L;
			its.it_value = its.it_interval;
		}
		timer_settime(t->timer, 0, &its, NULL);
	}
}

void inflame_timer_pause_all(void)
{
	if (!cpu_on())
		return;
	if (inflame__prof.timer_used == INFLAME_TIMER_ITIMER)
		set_itimer(0);
	for_each_active(switch_thread, 0);
}

void inflame_timer_resume_all(void)
{
	if (!cpu_on())
		return;
	if (inflame__prof.timer_used == INFLAME_TIMER_ITIMER)
		set_itimer(1);
	for_each_active(switch_thread, 1);
}

/* The wall ticker. */
static struct {
	pthread_t thread;
	int running;
	_Atomic int stop;
	int cursor;
} wall;

static void wall_signal(struct inflame_thread *t)
{
	siginfo_t si;
	uint64_t weight = t->wall_ticks ? t->wall_ticks : 1;

	memset(&si, 0, sizeof(si));
	si.si_signo = inflame__prof.sample_sig;
	si.si_code = SI_QUEUE;
	si.si_pid = inflame__prof.pid;
	si.si_uid = getuid();
	si.si_value.sival_ptr = (void *)(uintptr_t)((weight << 32) | INFLAME_COOKIE_WALL);
	t->wall_ticks = 0;
	syscall(SYS_rt_tgsigqueueinfo, inflame__prof.pid, t->tid, inflame__prof.sample_sig, &si);
}

static void *wall_main(void *arg)
{
	struct timespec next;
	long period = 1000000000L / (long)inflame__prof.cfg.frequency;

	(void)arg;
	prctl(PR_SET_NAME, "inflame-wall", 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load(&wall.stop)) {
		int n = inflame_thread_high_water(), active = 0, sent = 0;

		next.tv_nsec += period;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		if (!atomic_load(&inflame__prof.sampling))
			continue;
		for (int i = 0; i < n; i++) {
			struct inflame_thread *t = inflame_thread_at(i);

			if (atomic_load(&t->state) == INFLAME_SLOT_ACTIVE) {
				t->wall_ticks++;
				active++;
			}
		}
		/* Round robin: at most WALL_BATCH threads a tick, each weighted by the ticks
		 * it waited. */
		for (int k = 0; k < n && sent < WALL_BATCH && active; k++) {
			struct inflame_thread *t = inflame_thread_at((wall.cursor + k) % n);

			if (atomic_load(&t->state) != INFLAME_SLOT_ACTIVE)
				continue;
			wall_signal(t);
			sent++;
			if (sent == WALL_BATCH)
				wall.cursor = (wall.cursor + k + 1) % n;
		}
	}
	return NULL;
}

int inflame_wall_start(void)
{
	sigset_t all, old;
	int rc;

	if (!(inflame__prof.cfg.events & INFLAME_EVMASK_WALL))
		return 0;
	atomic_store(&wall.stop, 0);
	wall.cursor = 0;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = inflame__real_pthread_create(&wall.thread, NULL, wall_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -rc;
	wall.running = 1;
	return 0;
}

void inflame_wall_stop(void)
{
	if (!wall.running)
		return;
	atomic_store(&wall.stop, 1);
	pthread_join(wall.thread, NULL);
	wall.running = 0;
}

void inflame_wall_after_fork_child(void)
{
	wall.running = 0;
	inflame_wall_start();
}
