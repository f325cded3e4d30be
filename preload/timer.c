/*
 * CPU sampling clocks.
 *
 * perf: one perf_event_open() per thread on the software task clock (or the event named by
 * INFLAME_PERF_EVENT), user space only, whose overflow is delivered as the sampling signal to
 * that very thread (O_ASYNC + F_SETSIG + F_SETOWN_EX/F_OWNER_TID). It counts only while the
 * thread runs, fires at the asked frequency regardless of the kernel tick, and works for an
 * unprivileged user at perf_event_paranoid=2.
 * thread: timer_create() on the thread's CPU clock with SIGEV_THREAD_ID; limited to the kernel
 * tick. itimer: setitimer(ITIMER_PROF), one per process, kept for compatibility.
 * A thread whose perf clock costs it more than it counts (clock_cost in sample_sigsafe.c) moves
 * to a POSIX timer on its CPU clock (inflame_timer_to_thread_clock).
 * Under the default, auto, the only thread of a process (its main thread at set-up, a fork
 * child's) starts on a POSIX timer on its CPU clock and moves to its perf clock at its first
 * sample (inflame_timer_to_perf_clock). Most short processes (a fork child that execs, a
 * shell's pipeline) end before one period of CPU: they make a few cheap system calls for their
 * clock instead of nine and leave nothing to undo at exit. The first move, or the first thread
 * armed on perf, decides whether perf works; no set-up probe is needed.
 * A POSIX timer takes a timer id, and Linux hands the ids out in sequence per process: the
 * program's own timer_create() would return other ids. So that first timer asks for its id
 * (prctl PR_TIMER_CREATE_RESTORE_IDS, Linux 6.15+), the one just before the kernel's next:
 * the top id, INT_MAX, in a fresh process, whose next id is then 0 again (first_timer_id).
 * The mode is the process's, so it is set only while the process has one thread. Elsewhere,
 * and on older kernels, a thread starts on its perf clock. POSIX timers are made by raw
 * system calls, so that a signal handler may make one and the id is the kernel's.
 * Wall-clock sampling has no timer per thread: see wall.c.
 */
#include "clock.h"
#include "timer.h"

#include "fdhigh.h"
#include "layout.h"
#include "log.h"
#include "profiler.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef PR_TIMER_CREATE_RESTORE_IDS
#define PR_TIMER_CREATE_RESTORE_IDS	77
#define PR_TIMER_CREATE_RESTORE_IDS_OFF 0
#define PR_TIMER_CREATE_RESTORE_IDS_ON	1
#define PR_TIMER_CREATE_RESTORE_IDS_GET 2
#endif

static _Atomic int lost_fds;   /* perf events re-created by check_thread */
static _Atomic unsigned epoch; /* resumes so far (inflame_timer_epoch) */
/* The event inflame_timer_setup() opened to see whether perf works, kept for the thread that
 * opened it (the first to be armed, normally): one perf_event_open() and its fcntl()s fewer at
 * every process's start. -1 once used or given up. */
static int probe_fd = -1;
static pid_t probe_tid;
/* The next arming is that of thread alone_tid, the process's only thread (inflame_timer_alone):
 * the main thread at set-up, the kernel's next timer id not known. */
static pid_t alone_tid;
/* The kernel cannot be asked for a timer id (before Linux 6.15, or the mode is in use). */
static int ids_refused;
/* The kernel gave this process (or the one it was forked from) the timer id it asked for: it
 * has the mode, and a fork child, a new process whose mode the kernel starts off, need not ask
 * (one prctl fewer in every fork child that arms a timer). Written once, on a page every
 * process writes (layout.h). */
static int ids_granted INFLAME_HOT;

/* The probe's event for thread tid, or -1; anything else closes it. */
INFLAME_FORK_TEXT static int take_probe(pid_t tid)
{
	int fd = probe_fd;

	probe_fd = -1;
	if (fd >= 0 && tid != probe_tid) {
		close(fd);
		fd = -1;
	}
	return fd;
}

INFLAME_FORK_TEXT static int cpu_on(void)
{
	return (inflame__prof.cfg.events & INFLAME_EVMASK_CPU) != 0;
}

static void perf_attr(struct perf_event_attr *a)
{
	const char *ev = inflame__prof.cfg.perf_event;

	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->disabled = 1;
	/* User time only, unless INFLAME_CPU_KERNEL=1 asks for kernel time too (and the system
	 * allows it: it needs privileges at perf_event_paranoid >= 2). Counting kernel time lets
	 * an overflow that happens while the thread enters a blocking call leave a signal pending,
	 * which interrupts that call (the EINTR shield, shield.h, restarts the calls it covers). */
	a->exclude_kernel = !inflame__prof.perf_kernel;
	a->exclude_hv = 1;
	a->wakeup_events = 1;
	if (!strcmp(ev, "task-clock") || !strcmp(ev, "cpu-clock")) {
		a->type = PERF_TYPE_SOFTWARE;
		a->config =
		    !strcmp(ev, "task-clock") ? PERF_COUNT_SW_TASK_CLOCK : PERF_COUNT_SW_CPU_CLOCK;
		a->sample_period = 1000000000ull / inflame__prof.cfg.frequency;
		inflame__prof.perf_period = a->sample_period;
	} else {
		a->type = PERF_TYPE_HARDWARE;
		a->config = !strcmp(ev, "cycles")	  ? PERF_COUNT_HW_CPU_CYCLES
			    : !strcmp(ev, "instructions") ? PERF_COUNT_HW_INSTRUCTIONS
							  : PERF_COUNT_HW_REF_CPU_CYCLES;
		a->freq = 1;
		a->sample_freq = inflame__prof.cfg.frequency;
	}
}

/* Whether the event INFLAME_PERF_EVENT names is a hardware counter. */
static int is_hardware_event(void)
{
	const char *ev = inflame__prof.cfg.perf_event;

	return strcmp(ev, "task-clock") && strcmp(ev, "cpu-clock");
}

/* The thread's perf clock; user_only: without kernel time whatever INFLAME_CPU_KERNEL says. */
INFLAME_FORK_TEXT static int perf_open_as(pid_t tid, int user_only)
{
	struct perf_event_attr a;
	struct f_owner_ex owner = {F_OWNER_TID, tid};
	int fd;

	perf_attr(&a);
	if (user_only)
		a.exclude_kernel = 1;
	fd = (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Keep our descriptors away from the low numbers programs dup2() onto (and from their
	 * stray closes: fdhigh.c). */
	fd = inflame_fdhigh_move(fd);
	if (fd < 0)
		return fd;
	if (fcntl(fd, F_SETFL, O_ASYNC) < 0 || fcntl(fd, F_SETSIG, inflame__prof.sample_sig) < 0 ||
	    fcntl(fd, F_SETOWN_EX, &owner) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

INFLAME_FORK_TEXT static int perf_open(pid_t tid)
{
	return perf_open_as(tid, 0);
}

/* A clock for a thread the program starts after dropping the privileges that counting kernel
 * time needs (a server started as root that runs as nobody): one of user time, which beats
 * none at all, and a notice (once). err: why the clock with kernel time was refused. */
static int perf_open_dropped(pid_t tid, int err)
{
	static _Atomic int told;
	int fd = perf_open_as(tid, 1);

	if (fd >= 0 && !atomic_exchange(&told, 1))
		inflame_log(
		    INFLAME_LOG_INFO,
		    "INFLAME_CPU_KERNEL=1: threads started after the program dropped its "
		    "privileges sample user code only (%s); their system time is not sampled",
		    strerror(-err));
	return fd;
}

INFLAME_FORK_TEXT static void timespec_of(long ns, struct itimerspec *its)
{
	its->it_interval.tv_sec = ns / 1000000000L;
	its->it_interval.tv_nsec = ns % 1000000000L;
	its->it_value = its->it_interval;
}

/* The timer calls are made with the system call instruction (inflame__syscall_raw): a fork
 * child's first arming touches neither the C library's pages nor errno's (issue 11). */
INFLAME_FORK_TEXT static int ktimer_settime(int id, const struct itimerspec *its)
{
	long rc = inflame__syscall_raw(SYS_timer_settime, id, 0, (long)its, 0, 0);

	return rc < 0 ? (int)rc : 0;
}

INFLAME_FORK_TEXT static void ktimer_delete(int id)
{
	inflame__syscall_raw(SYS_timer_delete, id, 0, 0, 0, 0);
}

INFLAME_FORK_TEXT static long ids_prctl(long op)
{
	return inflame__syscall_raw(SYS_prctl, PR_TIMER_CREATE_RESTORE_IDS, op, 0, 0, 0);
}

/* Whether this process may ask for a timer id: the mode is there (Linux 6.15+) and off. */
INFLAME_FORK_TEXT static int ids_mode_off(void)
{
	return ids_prctl(PR_TIMER_CREATE_RESTORE_IDS_GET) == PR_TIMER_CREATE_RESTORE_IDS_OFF;
}

/* timer_create() of the timer id want (>= 0), or of the kernel's next id (-1), into *out. The
 * mode that lets a process ask for an id is the process's: the caller is its only thread and
 * found the mode off (ids_mode_off), as it leaves it. A program's signal handler does not make
 * a timer meanwhile: timer_create() is not async-signal-safe. */
INFLAME_FORK_TEXT static int ktimer_create(clockid_t clk, struct sigevent *sev, int want, int *out)
{
	long rc;

	if (want < 0) {
		rc = inflame__syscall_raw(SYS_timer_create, clk, (long)sev, (long)out, 0, 0);
		return rc < 0 ? (int)rc : 0;
	}
	rc = ids_prctl(PR_TIMER_CREATE_RESTORE_IDS_ON);
	if (rc < 0)
		return (int)rc;
	*out = want;
	rc = inflame__syscall_raw(SYS_timer_create, clk, (long)sev, (long)out, 0, 0);
	ids_prctl(PR_TIMER_CREATE_RESTORE_IDS_OFF);
	return rc < 0 ? (int)rc : 0;
}

/* A POSIX timer on clock clk that signals thread tid with cookie every ns, with the timer id
 * want (-1: the kernel's next); *out receives the id. Async-signal-safe. */
INFLAME_FORK_TEXT static int posix_timer_create(pid_t tid, clockid_t clk, uint32_t cookie, long ns,
						int want, int *out)
{
	struct sigevent sev;
	struct itimerspec its;
	int rc;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = inflame__prof.sample_sig;
	sev.sigev_value.sival_ptr = (void *)(uintptr_t)cookie;
	sev._sigev_un._tid = tid;
	rc = ktimer_create(clk, &sev, want, out);
	if (rc < 0)
		return rc;
	timespec_of(ns, &its);
	rc = ktimer_settime(*out, &its);
	if (rc < 0)
		ktimer_delete(*out);
	return rc;
}

INFLAME_FORK_TEXT static long period_ns(void)
{
	return 1000000000L / (long)inflame__prof.cfg.frequency;
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
	inflame__prof.move_costly = inflame__prof.cfg.cpu_timer == INFLAME_TIMER_AUTO;
	inflame__prof.timer_used =
	    inflame__prof.move_costly ? INFLAME_TIMER_PERF : inflame__prof.cfg.cpu_timer;
	inflame__prof.perf_kernel = 0;
	inflame__prof.lazy_perf = 0;
	atomic_store(&inflame__prof.perf_decided, 0);
	if (inflame__prof.move_costly && !inflame__prof.cfg.cpu_kernel && !is_hardware_event()) {
		inflame__prof.perf_period = (uint64_t)period_ns(); /* (as perf_attr sets it) */
		inflame__prof.lazy_perf = 1;
		return 0;
	}
	if (inflame__prof.timer_used == INFLAME_TIMER_PERF && inflame__prof.cfg.cpu_kernel) {
		inflame__prof.perf_kernel = 1;
		fd = perf_open(inflame__gettid());
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		inflame__prof.perf_kernel = 0;
		inflame_log(
		    INFLAME_LOG_INFO,
		    "INFLAME_CPU_KERNEL=1: the perf clock cannot sample in the kernel here (%s); "
		    "it samples user code only",
		    strerror(-fd));
	} else if (inflame__prof.cfg.cpu_kernel) {
		inflame_log(INFLAME_LOG_INFO,
			    "INFLAME_CPU_KERNEL=1 applies to the perf clock only; "
			    "this clock counts user and system time anyway");
	}
	if (inflame__prof.timer_used == INFLAME_TIMER_PERF) {
		probe_tid = inflame__gettid();
		fd = perf_open(probe_tid);
		if (fd >= 0) {
			probe_fd = fd;
			return 0;
		}
		if (is_hardware_event() && (fd == -ENOENT || fd == -ENODEV || fd == -EOPNOTSUPP)) {
			/* The kernel has perf events, but no counter for this one (a virtual
			 * machine without a PMU): the task clock still works. */
			char asked[sizeof(inflame__prof.cfg.perf_event)];
			int err = -fd;

			memcpy(asked, inflame__prof.cfg.perf_event, sizeof(asked));
			strcpy(inflame__prof.cfg.perf_event, "task-clock");
			fd = perf_open(probe_tid);
			if (fd >= 0) {
				probe_fd = fd;
				inflame_log(INFLAME_LOG_INFO,
					    "INFLAME_PERF_EVENT=%s: this machine has no hardware "
					    "counter for it (%s); the perf clock counts task-clock "
					    "instead",
					    asked, strerror(err));
				return 0;
			}
			memcpy(inflame__prof.cfg.perf_event, asked, sizeof(asked));
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

/* The CPU clock of thread tid (what pthread_getcpuclockid() gives). */
INFLAME_FORK_TEXT static clockid_t clock_of(pid_t tid)
{
	return (clockid_t)((~(unsigned)tid << 3) | 6);
}

INFLAME_FORK_TEXT static clockid_t thread_clock(const struct inflame_thread *t)
{
	return clock_of(t->tid);
}

/* The CPU past the end of the last of periods periods from cpu0, the clock at cpu. */
INFLAME_FORK_TEXT static uint64_t past_periods(uint64_t cpu0, uint64_t periods, uint64_t cpu)
{
	uint64_t at = cpu0 + periods * (uint64_t)period_ns();

	return cpu > at ? cpu - at : 0;
}

/* The CPU time thread t's POSIX timer ran past the last expiry a signal brought, at t's CPU
 * clock cpu (the time left to the next expiry would not do: one that passed before the tick
 * that fires it reads as 1 ns). */
INFLAME_FORK_TEXT static uint64_t timer_unsampled(const struct inflame_thread *t, uint64_t cpu)
{
	return past_periods(t->timer_cpu0, atomic_load(&t->timer_periods), cpu);
}

/* Thread t's CPU clock (ns), read from any thread; 0 when it cannot be read. */
INFLAME_FORK_TEXT static uint64_t thread_cpu_of(const struct inflame_thread *t)
{
	return inflame__clock_ns(thread_clock(t));
}

/* Starts the books of t's POSIX timer (timer_unsampled) just before it is armed. */
INFLAME_FORK_TEXT static void timer_books(struct inflame_thread *t)
{
	t->timer_cpu0 = thread_cpu_of(t);
	atomic_store(&t->timer_periods, 0);
}

/* The CPU t ran from the start of its figures (t->reg) to the arming of its clock at cpu (its
 * CPU clock then; 0: not read): in its measured CPU, in no sample, in no count. Its system
 * time then is the one read at that start (no system call more at each thread's start). */
INFLAME_FORK_TEXT static void arm_books(struct inflame_thread *t, uint64_t cpu)
{
	t->arm_cpu = cpu;
	t->arm_sys = t->reg.sys;
	t->arm_epoch = inflame_timer_epoch();
	atomic_store(&t->before, cpu > t->reg.cpu ? cpu - t->reg.cpu : 0);
}

/* Starts thread t's POSIX timer on its CPU clock, with its books, with the timer id want (-1:
 * the kernel's next). */
INFLAME_FORK_TEXT static int arm_posix(struct inflame_thread *t, int want)
{
	int rc;

	timer_books(t);
	arm_books(t, t->timer_cpu0);
	rc = posix_timer_create(t->tid, thread_clock(t), INFLAME_COOKIE_THREAD_TIMER, period_ns(),
				want, &t->timer);
	if (rc == 0)
		atomic_store(&t->has_timer, 1);
	return rc;
}

/* The first POSIX timer of thread tid (first_timer_id), with the id just before next, the
 * kernel's next id (0: a fork child's, whose timer asks for INT_MAX or the ids below it), into
 * *out. */
INFLAME_FORK_TEXT static int create_first(pid_t tid, int next, int *out)
{
	int rc = -EBUSY;

	for (int i = 0; i < 4 && rc == -EBUSY; i++) {
		rc = posix_timer_create(tid, clock_of(tid), INFLAME_COOKIE_THREAD_TIMER,
					period_ns(), next > 0 ? next - 1 : INT_MAX - i, out);
		if (rc == -EBUSY && next > 0)
			return -EEXIST; /* (the program's timer next - 1 is there) */
	}
	return rc;
}

/* The kernel's next timer id into *next when probe asks (else 0: a fork child's). */
INFLAME_FORK_TEXT static int next_timer_id(int probe, int *next)
{
	struct sigevent none;
	long rc;

	*next = 0;
	if (!probe)
		return 0;
	memset(&none, 0, sizeof(none));
	none.sigev_notify = SIGEV_NONE;
	rc = inflame__syscall_raw(SYS_timer_create, CLOCK_MONOTONIC, (long)&none, (long)next, 0, 0);
	if (rc < 0)
		return (int)rc;
	ktimer_delete(*next);
	return 0;
}

/*
 * Starts the first POSIX timer of thread t, the process's only thread, with the id just
 * before the kernel's next, so that the program's timers get the ids they get without
 * inflame. Asking for id N makes N + 1 the kernel's next, which skips the ids in use and
 * wraps from INT_MAX to 0. A fork child's next id is 0: its timer asks for INT_MAX (or
 * INT_MAX - 1, ... when a handler of the program's made that one). After an exec the next id
 * is that of the image before, which may have made timers: probe, and the kernel's next id
 * is found by making a timer and deleting it. Returns 0, or a negative errno when no id will
 * do (the kernel's next id is then one more than without the probe: -EEXIST).
 */
INFLAME_FORK_TEXT static int first_timer_id(struct inflame_thread *t, int probe)
{
	int next;
	long rc;

	if (!(ids_granted && !probe) && !ids_mode_off())
		return -EINVAL;
	if ((rc = next_timer_id(probe, &next)) < 0)
		return (int)rc;
	timer_books(t);
	arm_books(t, t->timer_cpu0);
	rc = create_first(t->tid, next, &t->timer);
	if (rc == 0)
		atomic_store(&t->has_timer, 1);
	return (int)rc;
}

/* Starts thread t, the process's only thread, on the POSIX timer of its start (lazy_perf). */
INFLAME_FORK_TEXT static int arm_lazy(struct inflame_thread *t, int probe)
{
	int rc;

	/* (errno untouched: each call is the system call instruction's) */
	atomic_store(&t->lazy, 1);
	rc = first_timer_id(t, probe);
	if (rc == 0 && !ids_granted)
		ids_granted = 1;
	if (rc < 0) {
		atomic_store(&t->lazy, 0);
		if (rc == -EINVAL || rc == -EPERM)
			ids_refused = 1;
	}
	return rc;
}

/* Whether perf works is decided by the first thread that tries to move, or that is armed on
 * its perf clock at its start (decided: what was known before it tried). Without perf every
 * thread stays on its POSIX timer, as with INFLAME_CPU_TIMER=thread. */
static void decide_perf(int decided, int err)
{
	if (decided != 0)
		return;
	if (err == 0) {
		atomic_compare_exchange_strong(&inflame__prof.perf_decided, &decided, 1);
		return;
	}
	if (!atomic_compare_exchange_strong(&inflame__prof.perf_decided, &decided, -1))
		return;
	__atomic_store_n(&inflame__prof.timer_used, INFLAME_TIMER_THREAD, __ATOMIC_RELEASE);
	/* (strerror may translate, which allocates: not in a signal handler) */
	inflame_log(INFLAME_LOG_INFO,
		    "perf events are not available (%s, errno %d); using per-thread CPU "
		    "timers, limited to the kernel tick",
		    err == -EACCES || err == -EPERM			 ? "not permitted"
		    : err == -ENOSYS || err == -ENOENT || err == -ENODEV ? "not supported here"
									 : "refused",
		    -err);
}

void inflame_timer_alone(pid_t tid)
{
	alone_tid = tid;
}

/* Arms thread t; alone: it is the process's only thread, probe: the kernel's next timer id is
 * not known (first_timer_id). */
INFLAME_FORK_TEXT static int arm_thread(struct inflame_thread *t, int alone, int probe)
{
	int fd, rc = 0;

	if (!cpu_on())
		return 0;
	switch (inflame__prof.timer_used) {
	case INFLAME_TIMER_PERF:
		/* Its perf clock comes with its first sample. */
		if (inflame__prof.lazy_perf && alone && !ids_refused &&
		    (rc = arm_lazy(t, probe)) == 0)
			break;
		if (rc == -EEXIST)
			inflame_log(
			    INFLAME_LOG_INFO,
			    "a POSIX timer made before inflame's set-up: the program's next "
			    "timer id is one more than without inflame");
		rc = 0; /* (no timer of its start: its perf clock from now, as elsewhere) */
		fd = take_probe(t->tid);
		if (fd < 0)
			fd = perf_open(t->tid);
		if ((fd == -EACCES || fd == -EPERM) && inflame__prof.perf_kernel)
			fd = perf_open_dropped(t->tid, fd);
		if (inflame__prof.lazy_perf)
			decide_perf(atomic_load(&inflame__prof.perf_decided), fd < 0 ? fd : 0);
		if (fd < 0 && inflame__prof.lazy_perf &&
		    atomic_load(&inflame__prof.perf_decided) < 0)
			return arm_posix(t, -1); /* (no perf: the process's clock) */
		if (fd < 0)
			return fd;
		t->perf_fd = fd;
		t->arm_gen =
		    atomic_fetch_add_explicit(&t->perf_gen, 1, memory_order_release) + 1; /* new */
		ioctl(fd, PERF_EVENT_IOC_RESET, 0);
		ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
		arm_books(t, thread_cpu_of(t));
		break;
	case INFLAME_TIMER_THREAD:
		rc = arm_posix(t, -1);
		break;
	case INFLAME_TIMER_ITIMER:
	case INFLAME_TIMER_AUTO: /* (never in use: setup made it PERF) */
		break;
	}
	return rc;
}

int inflame_timer_arm_thread(struct inflame_thread *t)
{
	int alone = alone_tid && alone_tid == t->tid;

	if (alone)
		alone_tid = 0;
	return arm_thread(t, alone, 1);
}

/* (No store to the library's state but the thread's own: a page each would copy.) */
INFLAME_FORK_TEXT int inflame_timer_arm_fork_child(struct inflame_thread *t)
{
	return arm_thread(t, 1, 0);
}

/* Is fd still the perf event we opened for thread tid? The program may have closed it
 * (closefrom) or put one of its own files at its number (dup2). */
INFLAME_FORK_TEXT static int perf_fd_is_ours(int fd, pid_t tid)
{
	struct f_owner_ex owner;

	return fd >= 0 && fcntl(fd, F_GETSIG) == inflame__prof.sample_sig &&
	       fcntl(fd, F_GETOWN_EX, &owner) == 0 && owner.type == F_OWNER_TID && owner.pid == tid;
}

void inflame_timer_disarm_thread(struct inflame_thread *t)
{
	int fd;

	/* The timer first: a sample that moves t to its perf clock meanwhile (its handler
	 * interrupts this) then finds no timer and opens no event, or installs its event before
	 * it is taken here. */
	if (atomic_exchange(&t->has_timer, 0))
		ktimer_delete(t->timer);
	fd = __atomic_exchange_n(&t->perf_fd, -1, __ATOMIC_ACQ_REL);
	if (perf_fd_is_ours(fd, t->tid)) {
		ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
		close(fd);
	}
}

INFLAME_FORK_TEXT static void for_each_active(void (*fn)(struct inflame_thread *t, int on), int on)
{
	int n = inflame_thread_high_water();

	for (int i = 0; i < n; i++) {
		struct inflame_thread *t = inflame_thread_at(i);

		if (atomic_load(&t->state) == INFLAME_SLOT_ACTIVE)
			fn(t, on);
	}
}

/* What no sample stands for yet of thread t's perf clock (ns), in two parts. tail: the count
 * past the periods its samples charged, all of it when no sample was taken of the event
 * (tail_credit: the same, which the count still carries after a pause). missed: what the count
 * missed of t's CPU clock at its switches and no sample charged: the periods of it waiting for
 * the next sample (sample_sigsafe.c, clock_cost; missed_credit, also carried), what is not a
 * whole period yet, which the next check forgets after a pause, and with cpu (t's CPU clock
 * now, 0: not read) what it missed since the last check, or since the arming when the event
 * was never checked. */
struct perf_left {
	uint64_t tail, tail_credit, missed, missed_credit;
};

/* The count can also run ahead of t's CPU clock: a 3 ms thread's third sample came at a count
 * 2% above the CPU it had run since the arming on a quiet machine (28, 51 and 65 us at its
 * three samples), and a tail read at its end, in the count's ns, then made its samples and
 * losses 100.2-101.8% of its CPU, 104-109% at load 30-90. What the books give the count
 * beyond the CPU t ran since the arming (no resume since: the count and the clock start
 * together) is none of its CPU, and comes off the tail. charged: what t's samples charged of
 * the count. */
static void perf_cap(const struct inflame_thread *t, uint64_t cpu, uint64_t charged,
		     struct perf_left *l)
{
	uint64_t ran, over;

	if (!cpu || !t->arm_cpu || t->arm_epoch != inflame_timer_epoch() || cpu <= t->arm_cpu)
		return;
	ran = cpu - t->arm_cpu;
	if (charged + l->tail + l->missed <= ran)
		return;
	over = charged + l->tail + l->missed - ran;
	l->tail -= over < l->tail ? over : l->tail;
	l->tail_credit = l->tail;
}

static void perf_unsampled(const struct inflame_thread *t, uint64_t count, uint64_t cpu,
			   struct perf_left *l)
{
	uint64_t period = inflame__prof.perf_period;
	unsigned gen = atomic_load_explicit(&t->perf_gen, memory_order_acquire);

	memset(l, 0, sizeof(*l));
	if (!period)
		return;
	if (t->perf_seen_gen != gen) {
		l->tail = l->tail_credit = count;
		if (cpu && t->arm_gen == gen && t->arm_cpu &&
		    t->arm_epoch == inflame_timer_epoch() && cpu > t->arm_cpu &&
		    cpu - t->arm_cpu > count)
			l->missed = cpu - t->arm_cpu - count;
		if (t->arm_gen == gen)
			perf_cap(t, cpu, 0, l);
		return;
	}
	l->tail = l->tail_credit = count > t->perf_seen ? count - t->perf_seen : 0;
	l->missed = l->missed_credit = t->cost_kern * period;
	l->missed += t->cost_lost;
	if (cpu && t->cost_cpu && t->cost_epoch == inflame_timer_epoch() &&
	    count >= t->cost_count && cpu > t->cost_cpu &&
	    cpu - t->cost_cpu > count - t->cost_count)
		l->missed += (cpu - t->cost_cpu) - (count - t->cost_count);
	if (t->arm_gen == gen)
		perf_cap(t, cpu, t->perf_seen, l);
}

uint64_t inflame_timer_unsampled_ns(const struct inflame_thread *t, uint64_t cpu, uint64_t *missed)
{
	struct perf_left l;
	uint64_t count;
	int fd;

	*missed = 0;
	if (!cpu_on())
		return 0;
	if (atomic_load(&t->has_timer))
		return cpu ? timer_unsampled(t, cpu) : 0;
	fd = __atomic_load_n(&t->perf_fd, __ATOMIC_ACQUIRE);
	if (inflame__prof.timer_used != INFLAME_TIMER_PERF || fd < 0 ||
	    read(fd, &count, sizeof(count)) != (ssize_t)sizeof(count))
		return 0;
	perf_unsampled(t, count, cpu, &l);
	*missed = l.missed;
	return l.tail;
}

INFLAME_FORK_TEXT static void switch_timer(int timer, long ns, int on)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (on)
		timespec_of(ns, &its);
	ktimer_settime(timer, &its);
}

/*
 * Pausing a thread's clock leaves the part of a period it ran in unsampled: a POSIX timer
 * starts a whole period again at the resume, and at an exit or exec there is none. That time
 * goes to the thread's unsampled CPU (thread.h). A perf event's count goes on from where it
 * stopped: what it carries is sampled after a resume, so the resume takes it back (perf_credit).
 */
INFLAME_FORK_TEXT static void switch_thread(struct inflame_thread *t, int on)
{
	int fd = __atomic_load_n(&t->perf_fd, __ATOMIC_ACQUIRE);
	struct perf_left l;
	uint64_t count;

	if (perf_fd_is_ours(fd, t->tid)) {
		ioctl(fd, on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE, 0);
		if (on) {
			atomic_fetch_sub(&t->unsampled, t->perf_credit);
			atomic_fetch_sub(&t->missed, t->missed_credit);
			t->perf_credit = t->missed_credit = 0;
		} else if (cpu_on() && inflame__prof.timer_used == INFLAME_TIMER_PERF &&
			   read(fd, &count, sizeof(count)) == (ssize_t)sizeof(count)) {
			perf_unsampled(t, count, thread_cpu_of(t), &l);
			atomic_fetch_add(&t->unsampled, l.tail);
			atomic_fetch_add(&t->missed, l.missed);
			t->perf_credit = l.tail_credit;
			t->missed_credit = l.missed_credit;
		}
	}
	if (t->has_timer) {
		uint64_t cpu = on ? 0 : thread_cpu_of(t);

		if (on)
			timer_books(t); /* (a whole period again) */
		switch_timer(t->timer, period_ns(), on);
		if (cpu)
			atomic_fetch_add(&t->unsampled, timer_unsampled(t, cpu));
	}
}

/* The clock of a fork child that settles later (timer.h): what arm_thread() starts for the
 * only thread of a fork child under lazy_perf, with no store to this file's state or to the
 * thread's slot. */
INFLAME_FORK_TEXT int inflame_timer_arm_forked(pid_t tid, int probe, int *id, uint64_t *cpu0)
{
	int next, rc;

	if (!cpu_on() || inflame__prof.timer_used != INFLAME_TIMER_PERF ||
	    !inflame__prof.lazy_perf || ids_refused || (!ids_granted && !ids_mode_off()))
		return -ENOTSUP;
	if ((rc = next_timer_id(probe, &next)) < 0)
		return rc;
	*cpu0 = inflame__now_raw_syscall(clock_of(tid));
	rc = create_first(tid, next, id);
	/* (an image's own timer, as arm_lazy's: its fork children need not ask) */
	if (rc == 0 && probe && !ids_granted)
		ids_granted = 1;
	return rc;
}

INFLAME_FORK_TEXT void inflame_timer_pause_forked(int id)
{
	switch_timer(id, 0, 0);
}

INFLAME_FORK_TEXT uint64_t inflame_timer_resume_forked(pid_t tid, int id)
{
	uint64_t cpu = inflame__now_raw_syscall(clock_of(tid));

	switch_timer(id, period_ns(), 1);
	return cpu;
}

uint64_t inflame_timer_forked_unsampled(const struct inflame_fork_clock *f, uint64_t cpu)
{
	/* (timer_unsampled of the books adopt_forked makes: its periods are the dropped ones) */
	return f->unsampled + past_periods(f->cpu0, f->dropped, cpu);
}

void inflame_timer_adopt_forked(struct inflame_thread *t, const struct inflame_fork_clock *f)
{
	t->timer_cpu0 = f->cpu0;
	/* (the periods of the samples an image that waits dropped before it could settle, init.c:
	 * the clock ran them, and they are counted as dropped, not as CPU after its last sample) */
	atomic_store(&t->timer_periods, f->dropped);
	arm_books(t, f->arm_cpu);
	if (f->resumed)
		atomic_fetch_add_explicit(&epoch, 1, memory_order_release); /* (as resume_all) */
	if (f->unsampled)
		atomic_fetch_add(&t->unsampled, f->unsampled);
	t->timer = f->id;
	atomic_store(&t->lazy, 1);
	atomic_store(&t->has_timer, 1);
}

INFLAME_FORK_TEXT void inflame_timer_drop_perf(struct inflame_thread *t)
{
	int fd = __atomic_exchange_n(&t->perf_fd, -1, __ATOMIC_ACQ_REL);

	if (perf_fd_is_ours(fd, t->tid))
		close(fd);
}

static void drop_inherited(struct inflame_thread *t)
{
	int fd = t->perf_inherited;

	if (fd < 0)
		return;
	t->perf_inherited = -1;
	if (perf_fd_is_ours(fd, t->perf_inherited_tid))
		close(fd);
}

INFLAME_FORK_TEXT void inflame_timer_keep_inherited(struct inflame_thread *t)
{
	drop_inherited(t); /* (a copy of a grandparent's the parent never closed) */
	t->perf_inherited = __atomic_exchange_n(&t->perf_fd, -1, __ATOMIC_ACQ_REL);
	t->perf_inherited_tid = t->tid;
}

void inflame_timer_drop_inherited(void)
{
	int n = inflame_thread_high_water();

	for (int i = 0; i < n; i++) {
		struct inflame_thread *t = inflame_thread_at(i);

		if (atomic_load(&t->state) == INFLAME_SLOT_ACTIVE && t->perf_inherited >= 0)
			drop_inherited(t);
	}
}

int inflame_timer_to_thread_clock(struct inflame_thread *t)
{
	int id, rc;

	if (atomic_load(&t->has_timer))
		return -EEXIST;
	timer_books(t);
	rc = posix_timer_create(t->tid, thread_clock(t), INFLAME_COOKIE_THREAD_TIMER, period_ns(),
				-1, &id);
	if (rc < 0)
		return rc;
	t->timer = id;
	atomic_store(&t->has_timer, 1);
	t->perf_retired = t->perf_fd;
	inflame_timer_drop_perf(t);
	atomic_store(&t->posix_moved, 1);
	/* Sampling paused meanwhile (inflame_stop, an exec): the timer waits for the resume. */
	if (!atomic_load(&inflame__prof.sampling))
		switch_timer(id, 0, 0);
	return 0;
}

/* In perf_fd while the writer opens a thread's event (move_late). */
#define PERF_FD_MOVING (-2)

/* Moves thread t, whose POSIX timer the caller took (has_timer 0), to its perf clock, at its
 * CPU clock cpu and system time sys (INFLAME_ARM_SYS_UNKNOWN from another thread: its first
 * sample reads it then, sample_sigsafe.c). held: what perf_fd holds meanwhile (-1, or
 * PERF_FD_MOVING). Perf refused: t keeps its timer for good, the process's clock when perf does not
 * work at all. */
static int lazy_move(struct inflame_thread *t, uint64_t cpu, uint64_t sys, int held)
{
	int decided = atomic_load(&inflame__prof.perf_decided), fd = perf_open(t->tid);
	int expect = held;

	decide_perf(decided, fd < 0 ? fd : 0);
	if (fd < 0) {
		atomic_store(&t->lazy, atomic_load(&inflame__prof.perf_decided) < 0 ? 0 : 2);
		if (__atomic_compare_exchange_n(&t->perf_fd, &expect, -1, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			atomic_store(&t->has_timer, 1);
		else
			ktimer_delete(t->timer); /* (its exit took the placeholder) */
		return fd;
	}
	/* The CPU its timer ran past its last expiry is in no sample; the event counts from now. */
	atomic_fetch_add(&t->unsampled, timer_unsampled(t, cpu));
	ktimer_delete(t->timer);
	t->arm_gen = atomic_fetch_add_explicit(&t->perf_gen, 1, memory_order_release) + 1;
	t->arm_cpu = cpu;
	t->arm_sys = sys;
	t->arm_epoch = inflame_timer_epoch();
	atomic_store(&t->lazy, 0);
	if (!__atomic_compare_exchange_n(&t->perf_fd, &expect, fd, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		close(fd); /* (the thread is gone) */
		return -ESRCH;
	}
	ioctl(fd, PERF_EVENT_IOC_RESET, 0);
	ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	return 0;
}

int inflame_timer_to_perf_clock(struct inflame_thread *t)
{
	if (atomic_load(&t->lazy) != 1)
		return 0;
	if (atomic_load(&inflame__prof.perf_decided) < 0) {
		atomic_store(&t->lazy, 0); /* (its timer is the process's clock) */
		return -ENODEV;
	}
	/* Take the timer: the thread's exit may be disarming it (this handler interrupted it). */
	if (!atomic_exchange(&t->has_timer, 0))
		return -ESRCH;
	return lazy_move(t, inflame__thread_cpu_ns(), inflame__thread_sys_ns(), -1);
}

/*
 * A POSIX CPU timer is checked at the kernel tick, on the thread it finds running: a thread
 * that runs in short bursts may pass its timer's expiry and never meet a tick (a program
 * napping 1 ms at a time took no sample in 2 s), and stay off its perf clock. A thread whose
 * CPU clock ran two periods past its timer's last signal is late: its wall sample's handler
 * moves it, or the writer (move_late). Its exit's disarm may run meanwhile: PERF_FD_MOVING in
 * perf_fd says that an event is on its way, and the event goes to the thread only if the
 * disarm did not take the placeholder.
 */
int inflame_timer_late(const struct inflame_thread *t, uint64_t cpu)
{
	return atomic_load(&t->lazy) == 1 &&
	       cpu >= t->timer_cpu0 + (atomic_load(&t->timer_periods) + 2) * (uint64_t)period_ns();
}

static void move_late(struct inflame_thread *t)
{
	uint64_t cpu = thread_cpu_of(t);
	int expect = -1;

	if (!inflame_timer_late(t, cpu) || atomic_load(&inflame__prof.perf_decided) < 0 ||
	    !atomic_exchange(&t->has_timer, 0))
		return;
	if (!__atomic_compare_exchange_n(&t->perf_fd, &expect, PERF_FD_MOVING, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		atomic_store(&t->has_timer, 1);
		return;
	}
	lazy_move(t, cpu, INFLAME_ARM_SYS_UNKNOWN, PERF_FD_MOVING);
}

void inflame_timer_setup_end(struct inflame_thread *t)
{
	uint64_t cpu, n, past, p = (uint64_t)period_ns();
	struct itimerspec its;

	if (!t || atomic_load(&t->lazy) != 1 || !atomic_load(&t->has_timer))
		return;
	cpu = inflame__thread_cpu_ns();
	n = cpu > t->timer_cpu0 ? (cpu - t->timer_cpu0) / p : 0;
	past = atomic_load(&t->timer_periods);
	if (n <= past)
		return;
	atomic_fetch_add(&t->self_cpu, n - past);
	atomic_fetch_add(&t->timer_periods, n - past);
	/* The next expiry where it was: at the end of the period under way. */
	timespec_of((long)p, &its);
	p -= (cpu - t->timer_cpu0) % p;
	its.it_value.tv_sec = (time_t)(p / 1000000000ull);
	its.it_value.tv_nsec = (long)(p % 1000000000ull);
	ktimer_settime(t->timer, &its);
}

static void check_thread(struct inflame_thread *t, int on)
{
	int fd = __atomic_load_n(&t->perf_fd, __ATOMIC_ACQUIRE), nfd;

	if (on && atomic_load(&t->lazy) == 1)
		move_late(t);
	if (fd < 0 || perf_fd_is_ours(fd, t->tid))
		return;
	/* Lost: forget the number without closing it (it may be the program's now) and open a
	 * new event. The thread may be exiting meanwhile: the exchange decides who owns it. */
	nfd = perf_open(t->tid);
	if (!__atomic_compare_exchange_n(&t->perf_fd, &fd, nfd >= 0 ? nfd : -1, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		if (nfd >= 0)
			close(nfd);
		return;
	}
	if (nfd >= 0)
		atomic_fetch_add_explicit(&t->perf_gen, 1, memory_order_release); /* a new count */
	if (nfd >= 0 && on) {
		ioctl(nfd, PERF_EVENT_IOC_RESET, 0);
		ioctl(nfd, PERF_EVENT_IOC_ENABLE, 0);
	}
	atomic_fetch_add(&lost_fds, 1);
}

int inflame_timer_check_all(void)
{
	if (inflame__prof.timer_used != INFLAME_TIMER_PERF || !cpu_on())
		return 0;
	for_each_active(check_thread, atomic_load(&inflame__prof.sampling));
	return atomic_exchange(&lost_fds, 0);
}

static void count_lost(struct inflame_thread *t, int on)
{
	int fd = __atomic_load_n(&t->perf_fd, __ATOMIC_ACQUIRE);

	(void)on;
	if (fd >= 0 && !perf_fd_is_ours(fd, t->tid))
		atomic_fetch_add(&lost_fds, 1);
}

int inflame_timer_count_lost(void)
{
	if (inflame__prof.timer_used != INFLAME_TIMER_PERF || !cpu_on())
		return 0;
	for_each_active(count_lost, 0);
	return atomic_exchange(&lost_fds, 0);
}

INFLAME_FORK_TEXT void inflame_timer_pause_all(void)
{
	if (inflame__prof.timer_used == INFLAME_TIMER_ITIMER)
		set_itimer(0);
	for_each_active(switch_thread, 0);
}

INFLAME_FORK_TEXT unsigned inflame_timer_epoch(void)
{
	return atomic_load_explicit(&epoch, memory_order_acquire);
}

void inflame_timer_resume_all(void)
{
	atomic_fetch_add_explicit(&epoch, 1, memory_order_release);
	if (inflame__prof.timer_used == INFLAME_TIMER_ITIMER)
		set_itimer(1);
	for_each_active(switch_thread, 1);
}
