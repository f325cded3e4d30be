/*
 * Start-up and shutdown of the profiler in a process image. The constructor reads the
 * configuration from the environment (secure_getenv, and nothing at all in a setuid or
 * otherwise AT_SECURE process), picks and installs the sampling signal, registers the threads
 * that already exist, starts the writer and the clocks, and sets up fork handling. Any failure
 * leaves the profiler inert with one line on stderr (the one thing inflame writes there unless
 * INFLAME_LOG asks for more: log.h); the program runs on unchanged. The
 * destructor stops the clocks and has the writer write everything that is left. An image that
 * samples only its CPU with one thread does the rest of its set-up (thread table, writer) only
 * at its first need, a sample in most cases (lazy image, below), and a fork child likewise
 * (fork, below).
 */
#include "clock.h"
#include "alloc.h"
#include "creds.h"
#include "interpose.h"
#include "layout.h"
#include "log.h"
#include "modules.h"
#include "profiler.h"
#include "safepoint.h"
#include "sample.h"
#include "sigstack.h"
#include "thread.h"
#include "unwind.h"
#include "timer.h"
#include "tracer.h"
#include "wall.h"
#include "writer.h"

#include <dirent.h>
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define SINGLE_THREADED() __libc_single_threaded
#else
#define SINGLE_THREADED() 0
#endif
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct inflame_profiler inflame__prof;

/* inflame__pause() once the caller found it is no vfork child. */
INFLAME_FORK_TEXT static int pause_here(void)
{
	if (!inflame__prof.active)
		return 0;
	/* The ticker first: its final look gives every thread its periods up to now, and the
	 * handler of a wall signal sent before records its sample while sampling is on (when
	 * sampling stopped first, both dropped them: the last periods of a process were no
	 * one's). */
	inflame_wall_stop();
	atomic_store(&inflame__prof.sampling, 0);
	inflame_timer_pause_all();
	return 1;
}

INFLAME_FORK_TEXT int inflame__pause(void)
{
	if (!inflame__prof.active || inflame__in_vfork_child())
		return 0;
	return pause_here();
}

void inflame__resume(void)
{
	if (inflame_tracer_stopped())
		return; /* (stopped for good: a debugger traces the image) */
	inflame_timer_resume_all();
	inflame_wall_start();
	atomic_store(&inflame__prof.sampling, 1);
}

/* Reads one variable; on a bad value logs the reason and returns -EINVAL. */
static int read_env(struct inflame_config *c)
{
	struct inflame_config_env e;
	char err[256];
	const char *v;
	uint64_t n;
	int rc = 0;

	/* (one pass over the environment; the caller made sure it is no secure process's) */
	inflame_config_env_scan(&e, environ);
#define ENV(var) inflame_config_env_get(&e, var)
#define NUM(var, min, max, field)                                                                  \
	if ((v = ENV(var)) != NULL) {                                                              \
		if (inflame_config_parse_uint(var, v, min, max, &n, err, sizeof(err)) < 0) {       \
			inflame_log_unprofiled("%s", err);                                         \
			rc = -EINVAL;                                                              \
		} else {                                                                           \
			c->field = n;                                                              \
		}                                                                                  \
	}
	/* (without INFLAME_LOG the logger's defaults stand, and its pages stay untouched) */
	if ((v = ENV("INFLAME_LOG")) != NULL) {
		if (inflame_config_parse_log(v, &c->log, c->log_path, sizeof(c->log_path), err,
					     sizeof(err)) < 0) {
			inflame_log_unprofiled("%s", err);
			rc = -EINVAL;
		}
		inflame_log_configure(c->log, c->log_path);
	}
	if ((v = ENV("INFLAME_EVENTS")) != NULL &&
	    inflame_config_parse_events(v, &c->events, err, sizeof(err)) < 0) {
		inflame_log_unprofiled("%s", err);
		rc = -EINVAL;
	}
	if ((v = ENV("INFLAME_CPU_TIMER")) != NULL &&
	    inflame_config_parse_timer(v, &c->cpu_timer, err, sizeof(err)) < 0) {
		inflame_log_unprofiled("%s", err);
		rc = -EINVAL;
	}
	if ((v = ENV("INFLAME_PERF_EVENT")) != NULL &&
	    inflame_config_parse_perf_event(v, c->perf_event, sizeof(c->perf_event), err,
					    sizeof(err)) < 0) {
		inflame_log_unprofiled("%s", err);
		rc = -EINVAL;
	}
	NUM("INFLAME_FREQUENCY", INFLAME_FREQ_MIN, INFLAME_FREQ_MAX, frequency);
	if ((v = ENV("INFLAME_OUTPUT")) != NULL) {
		if (inflame_config_check_output(v, err, sizeof(err)) < 0) {
			inflame_log_unprofiled("%s", err);
			rc = -EINVAL;
		} else {
			strcpy(c->output, v);
		}
	}
	if ((v = ENV("INFLAME_SIGNAL")) != NULL &&
	    inflame_config_parse_signal(v, &c->dump_signal, err, sizeof(err)) < 0) {
		inflame_log_unprofiled("%s", err);
		rc = -EINVAL;
	}
	NUM("INFLAME_INTERVAL", 0, INFLAME_INTERVAL_MAX, interval);
	NUM("INFLAME_MAX_DEPTH", INFLAME_DEPTH_MIN, INFLAME_DEPTH_MAX, max_depth);
	NUM("INFLAME_BUFFER_KB", INFLAME_BUFFER_KB_MIN, INFLAME_BUFFER_KB_MAX, buffer_kb);
	if ((v = ENV("INFLAME_UNWIND")) != NULL &&
	    inflame_config_parse_unwind(v, &c->unwind, err, sizeof(err)) < 0) {
		inflame_log_unprofiled("%s", err);
		rc = -EINVAL;
	}
	NUM("INFLAME_FOLLOW_CHILDREN", 0, 1, follow_children);
	NUM("INFLAME_TRACED", 0, 1, traced);
	NUM("INFLAME_SHARED_FILE", 0, 1, shared_file);
	NUM("INFLAME_CPU_KERNEL", 0, 1, cpu_kernel);
	NUM("INFLAME_ALLOC_RATE", 1, INFLAME_ALLOC_RATE_MAX, alloc_rate);
#undef NUM
#undef ENV
	return rc;
}

static int handler_is_free(int sig)
{
	struct sigaction old;

	if (inflame__real_sigaction(sig, NULL, &old) < 0)
		return 0;
	return !(old.sa_flags & SA_SIGINFO) &&
	       (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN);
}

/* SIGPROF unless the program already uses it; then the first free of a few others. Standard
 * signals first: real-time ones queue, and a backlog of samples is worse than a lost one. */
static int choose_sample_signal(void)
{
	/* (the real-time ones are SIGRTMIN + 4 and + 5, asked for only when the others are taken:
	 * the C library's answer lies on a page of its code that a short process does not touch
	 * otherwise, 0.7 page faults per /bin/true, issue 11) */
	static const int candidates[] = {SIGPROF, SIGVTALRM, SIGSTKFLT, SIGPWR, 4, 5};
	const size_t realtime = 4;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		int s = i < realtime ? candidates[i] : SIGRTMIN + candidates[i];

		if (s == inflame__prof.cfg.dump_signal || !handler_is_free(s))
			continue;
		if (i > 0)
			inflame_log(INFLAME_LOG_INFO,
				    "the program already handles SIGPROF; sampling with signal %d",
				    s);
		return s;
	}
	return -1;
}

/* Does pc lie in a loaded object, whose code may be read? _dl_find_object (glibc 2.35) answers
 * from the loader's sorted table; dladdr also looks for the nearest symbol, a scan of the
 * object's whole symbol table: for the C library 10-13 us and a few page faults in every
 * process (issue 11). */
static int in_loaded_object(uintptr_t pc)
{
#ifdef DLFO_STRUCT_HAS_EH_DBASE
	struct dl_find_object found;

	return _dl_find_object((void *)pc, &found) == 0;
#else
	Dl_info info;

	return dladdr((void *)pc, &info) != 0;
#endif
}

/* The C library's signal trampoline (unwind.h): the restorer its sigaction() gave our handler
 * of sig, read back from the kernel. */
static void learn_sigreturn(int sig)
{
#if defined(__x86_64__)
	struct sigaction back;

	if (inflame__real_sigaction(sig, NULL, &back) == 0 && back.sa_restorer &&
	    in_loaded_object((uintptr_t)back.sa_restorer))
		inflame_unwind_sigreturn_at((uintptr_t)back.sa_restorer);
#else
	(void)sig;
#endif
}

static int install_handlers(void)
{
	struct sigaction act;

	memset(&act, 0, sizeof(act));
	act.sa_sigaction = inflame_sample_signal;
	/* No signal interrupts inflame's handlers: on a small alternate signal stack (sigstack.h)
	 * two signal frames do not fit, and the second one's push killed the program (a CPU
	 * clock overflow as a wall signal's handler began, 2 runs in 10 on a 6 KiB stack). The
	 * kernel blocks them all as it enters the handler, before any of it runs, and restores
	 * the program's mask as it returns; a signal that came meanwhile is delivered then (the
	 * handler takes a few microseconds). A CPU clock overflow after a wall signal that
	 * interrupted a system call lands there as it returns, and is inflame's own time
	 * (wall_cost, sample_sigsafe.c). */
	act.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigfillset(&act.sa_mask);
	if (inflame__real_sigaction(inflame__prof.sample_sig, &act, NULL) < 0)
		return -errno;
	learn_sigreturn(inflame__prof.sample_sig);
	/* The mask this image started with is the program's (an exec keeps it): remember
	 * whether the program blocked the signal, and unblock it for real. */
	inflame_sig_adopt_mask();

	if (inflame__prof.cfg.dump_signal) {
		if (!handler_is_free(inflame__prof.cfg.dump_signal)) {
			inflame_log(INFLAME_LOG_INFO,
				    "the program handles SIG%s itself; dumps on that signal are "
				    "off",
				    inflame_config_signal_name(inflame__prof.cfg.dump_signal)
					? inflame_config_signal_name(inflame__prof.cfg.dump_signal)
					: "?");
		} else {
			act.sa_sigaction = inflame_sample_dump_signal;
			if (inflame__real_sigaction(inflame__prof.cfg.dump_signal, &act, NULL) == 0)
				inflame__prof.dump_sig_owned = 1;
		}
	}
	return 0;
}

/* Registers the threads that exist already (started by another library's constructor). A
 * process where libc never started a thread (__libc_single_threaded; most of them) looks no
 * further: a stat of /proc/self/task cost a short process 0.1-0.2 ms under load (issue 11).
 * (A thread made with a raw clone system call before our constructor is not seen then; libc
 * would not know it either.) Else the directory's link count is 2 and one per thread, and it
 * is read with getdents64 into a buffer on the stack: opendir() would be the process's first
 * malloc, and a page fault or two. */
static void register_existing_threads(void)
{
	char buf[4096];
	struct stat st;
	int fd;
	pid_t me;
	long n;

	if (SINGLE_THREADED())
		return;
	if (stat("/proc/self/task", &st) == 0 && st.st_nlink == 3)
		return;
	fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	me = inflame__gettid();
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			const struct dirent64 *e = (const struct dirent64 *)(buf + off);
			pid_t tid = (pid_t)atoi(e->d_name);

			if (tid > 0 && tid != me) {
				inflame_thread_register_tid(tid);
				inflame_alloc_threads_many();
			}
			off += e->d_reclen;
		}
	}
	close(fd);
}

/* fork
 *
 * Every page of the library's state that either side of a fork writes afterwards is copied (a
 * page fault, about 20-35 us on this guest under load), and every page of code or of the vDSO a
 * child runs first is a page fault too: the parent and the child here store only what changed
 * (issue 11). */

static sigset_t fork_saved_mask;

INFLAME_FORK_TEXT static int all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

INFLAME_FORK_TEXT void inflame__mutex_after_fork(pthread_mutex_t *m)
{
	if (!all_zero(m, sizeof(*m)))
		pthread_mutex_init(m, NULL);
}

INFLAME_FORK_TEXT void inflame__cond_after_fork(pthread_cond_t *c)
{
	if (!all_zero(c, sizeof(*c)))
		pthread_cond_init(c, NULL);
}

static void atfork_prepare(void)
{
	sigset_t s, old;

	inflame__interpose_prefork();
	if (!inflame__prof.active)
		return;
	/* (a fork child that forks: its own state first; an image that waits goes on waiting,
	 * and its child waits as it does) */
	if (inflame__prof.fork_pending != INFLAME_PENDING_IMAGE)
		inflame__fork_settle();
	/* A profiling signal that interrupts fork makes the kernel restart it; at high rates
	 * and with a large address space that can repeat forever. (The mask is stored only when
	 * it changed since the last fork: the page is shared with that fork's child.) */
	sigemptyset(&s);
	sigaddset(&s, inflame__prof.sample_sig);
	/* (the kernel fills only its part of a sigset_t, and glibc's sigemptyset() clears only
	 * that part too: the rest was the stack's, different at each fork, and the mask was
	 * stored at every fork, a copied page in a shell's parent per child, issue 11) */
	memset(&old, 0, sizeof(old));
	inflame__real_pthread_sigmask(SIG_BLOCK, &s, &old);
	if (memcmp(&old, &fork_saved_mask, sizeof(old)) != 0)
		fork_saved_mask = old;
	/* With one thread no cycle of the writer can be under way elsewhere: its lock is taken
	 * only where another thread could hold it (its unlock in the parent was a copied page per
	 * fork; the child makes the lock new either way). */
	if (!SINGLE_THREADED())
		inflame_writer_prefork();
}

static void atfork_parent(void)
{
	if (!inflame__prof.active)
		return;
	if (!SINGLE_THREADED())
		inflame_writer_postfork_parent();
	inflame__real_pthread_sigmask(SIG_SETMASK, &fork_saved_mask, NULL);
}

/* The signal mask the program had as it forked, given back to the child: with the system call
 * itself (the C library's page of pthread_sigmask was a fork child's page fault, issue 11). The
 * mask came from the kernel: nothing of the C library's own signals is in it. */
INFLAME_FORK_TEXT static void mask_restore(const sigset_t *set)
{
	inflame__syscall_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)set, 0, _NSIG / 8, 0);
}

/* What a fork child does at the fork, eager (every reset now) or not. */
INFLAME_FORK_TEXT static void settle(struct inflame_thread *t, int later)
{
	/* Another thread may have been inside libunwind, holding its lock, when the process
	 * forked: in the child that lock is never released, and a DWARF walk would wait for it
	 * forever. The child of a process with threads walks without libunwind. (The
	 * flag is read before inflame_alloc_after_fork_child() resets it.) */
	if (__atomic_load_n(&inflame__alloc_threads, __ATOMIC_RELAXED))
		inflame_unwind_dwarf_off(); /* the tables, which take no lock, still walk */
	inflame_creds_after_fork_child();
	inflame_wall_after_fork_child();
	inflame_thread_after_fork_child();
	inflame_alloc_after_fork_child();
	inflame_writer_postfork_child(later);
	if (later) {
		if (t)
			inflame_timer_adopt_forked(t, &inflame__prof.fork_clock);
		return;
	}
	if (inflame__prof.timer_used == INFLAME_TIMER_ITIMER)
		inflame_timer_resume_all(); /* itimers are not inherited */
	if (t)
		inflame_timer_arm_fork_child(t);
	inflame_wall_start(); /* threads are not inherited either */
}

/* Whether a fork child may settle later: it samples only its CPU, on the POSIX timer of its
 * start (timer.c), with a writer that starts from a safe point (writer.c). Then the fork starts
 * its clock (inflame_timer_arm_forked) and writes this page only. A child that execs or exits
 * before its first sample, as most do, never settles: it copies none of the pages of the
 * thread table, the writer, the logger and the others that the resets wrote (issue 11). */
INFLAME_FORK_TEXT static int fork_later(void)
{
	const struct inflame_config *c = &inflame__prof.cfg;
	struct inflame_fork_clock *f = &inflame__prof.fork_clock;

	if ((c->events & (INFLAME_EVMASK_WALL | INFLAME_EVMASK_ALLOC)) || c->interval ||
	    (!inflame__prof.unset && !inflame_thread_self()) || !inflame_writer_fork_can_wait() ||
	    inflame_timer_arm_forked(inflame__prof.pid, 0, &f->id, &f->cpu0) < 0)
		return 0;
	f->arm_cpu = f->cpu0;
	f->resumed = 0;
	f->unsampled = 0;
	f->dropped = 0;
	return 1;
}

/* lazy image
 *
 * An image started by exec that samples only its CPU, on the POSIX timer of its start, with one
 * thread, does at its start only what its first sample needs from the kernel: the handler and
 * the thread's clock (image_later). The rest of its set-up (the thread table, its thread's
 * registration and ring, the shared file, the module map, the placeholder) waits for the first
 * moment it is needed: the first sample (in the handler), a thread, a fork child's own first
 * need, the API, the image's end. Most images of a shell pipeline end before their first sample
 * (a short one runs less than a period of CPU): those write their dump once at their end. A fork
 * of such an image makes a child that waits the same way (a fork child that settles later),
 * whose own set-up is then that of an image too. */

/* The command line as exec laid it out (exec_args), for the first file. (Written by every
 * such image: layout.h) */
static const char *image_args INFLAME_HOT;
static size_t image_args_len INFLAME_HOT;

/* Settles an image or fork child whose own set-up waited (inflame__prof.unset). ending: it
 * ends now, unsampled (no placeholder, no writer): 1 for an exec (which may fail: the image
 * then goes on, sampled), 2 for good (exit: the table has the thread's slot only,
 * inflame_thread_register_last). Called with every signal blocked. */
INFLAME_FORK_TEXT static void settle_unset(int ending)
{
	struct inflame_fork_clock *f = &inflame__prof.fork_clock;
	int forked = inflame__prof.fork_pending == INFLAME_PENDING_FORK;
	/* (a fork child's figures start at its fork, its clock's 0: thread.c) */
	struct inflame_cpu_times reg = {forked ? 0 : f->cpu0, forked ? 0 : f->sys0};
	struct inflame_thread *t = NULL;
	int sampling = atomic_load_explicit(&inflame__prof.sampling, memory_order_relaxed);

	inflame__prof.unset = 0;
	/* (the module map of the first file without the scan for frame pointers, as at set-up:
	 * the writer's first cycle makes it) */
	atomic_store_explicit(&inflame__prof.sampling, 0, memory_order_relaxed);
	if (ending == 2)
		t = inflame_thread_register_last(&reg);
	else if (inflame_thread_table_init() == 0)
		t = inflame_thread_register_settled(&reg);
	if (t) {
		inflame_timer_adopt_forked(t, f);
		if (f->dropped)
			atomic_fetch_add(&t->dropped, f->dropped);
	} else {
		inflame_timer_pause_forked(f->id);
		inflame_log(INFLAME_LOG_INFO, "cannot register the main thread");
	}
	if (forked) {
		/* (the map its samples' walks read: its parent, which had not set up, made none) */
		inflame_modules_refresh(INFLAME_MODULES_FORCE | INFLAME_MODULES_NO_SCAN);
		inflame_writer_postfork_child(1);
	} else if (inflame_writer_start_image(image_args, image_args_len, ending) < 0) {
		inflame_timer_pause_all();
		inflame__prof.active = 0;
		return; /* the writer said why */
	}
	if (sampling && !ending)
		atomic_store_explicit(&inflame__prof.sampling, 1, memory_order_relaxed);
}

/* A fork child of an image that waits, which cannot wait itself: its thread and writer now,
 * its clock armed as any fork child's. */
static void settle_unset_now(void)
{
	struct inflame_thread *t;

	inflame__prof.fork_pending = 0;
	inflame__prof.unset = 0;
	if (inflame_thread_table_init() < 0 || !(t = inflame_thread_register_current())) {
		inflame_log_unprofiled("cannot start profiling in child %d",
				       (int)inflame__prof.pid);
		atomic_store(&inflame__prof.sampling, 0);
		inflame__prof.active = 0;
		return;
	}
	t->reg = (struct inflame_cpu_times){0, 0};
	inflame_modules_refresh(INFLAME_MODULES_FORCE | INFLAME_MODULES_NO_SCAN);
	inflame_writer_postfork_child(0);
}

/* A fork child's start on the realtime clock, from its start on the monotonic one: read when
 * it settles, not at the fork (one system call fewer in every child that execs or exits
 * first, as most do: issue 11). The dump's times are its monotonic ones shifted by this
 * difference (tools/input/dumpmeta.c): a step of the realtime clock between the fork and
 * now moves its start with the rest. */
INFLAME_FORK_TEXT static void fork_realtime(void)
{
	uint64_t rt = inflame__now_raw_syscall(CLOCK_REALTIME);
	uint64_t mono = inflame__now_raw_syscall(CLOCK_MONOTONIC);

	inflame__prof.start_realtime = rt - (mono - inflame__prof.start_monotonic);
}

INFLAME_FORK_TEXT static void atfork_child(void)
{
	if (!inflame__prof.active)
		return;
	inflame__prof.pid = inflame__getpid_raw();
	inflame__prof.start_monotonic = inflame__now_raw_syscall(CLOCK_MONOTONIC);
	if (atomic_load_explicit(&inflame__prof.signals, memory_order_relaxed))
		atomic_store(&inflame__prof.signals, 0);
	if (atomic_load_explicit(&inflame__prof.foreign, memory_order_relaxed))
		atomic_store(&inflame__prof.foreign, 0);
	if (atomic_load_explicit(&inflame__prof.threads_dropped, memory_order_relaxed))
		atomic_store(&inflame__prof.threads_dropped, 0);
	/* (now: a notice the child logs before it settles is its own) */
	inflame_log_after_fork_child();
	if (fork_later()) {
		inflame__prof.fork_pending = INFLAME_PENDING_FORK;
	} else {
		fork_realtime();
		if (inflame__prof.unset)
			settle_unset_now();
		else
			settle(inflame_thread_self(), 0);
	}
	mask_restore(&fork_saved_mask);
}

void inflame__fork_settle(void)
{
	sigset_t all, old;

	if (!inflame__prof.fork_pending || inflame__in_vfork_child())
		return;
	/* One thread, and no handler meanwhile: nothing else settles or sees it half done. */
	sigfillset(&all);
	inflame__syscall_raw(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)&old, _NSIG / 8, 0);
	if (inflame__prof.fork_pending) {
		if (inflame__prof.fork_pending == INFLAME_PENDING_FORK)
			fork_realtime();
		if (inflame__prof.unset)
			settle_unset(0);
		else
			settle(inflame_thread_self(), 1);
		inflame__prof.fork_pending = 0;
	}
	mask_restore(&old);
}

INFLAME_FORK_TEXT int inflame__settle_in_handler(void)
{
	/* (the loader's list is being changed by the code this signal interrupted, or its lock
	 * may be held by it: the thread is the image's only one) */
	if (inflame__prof.unset &&
	    (_r_debug.r_state != RT_CONSISTENT ||
	     atomic_load_explicit(&inflame__prof.in_dl_unset, memory_order_relaxed)))
		return 0;
	inflame__fork_settle();
	return 1;
}

/* How an image ends (settle_end_here): by exec, by exit, by _exit (its exit_group follows at
 * once: no code of the program's runs after the end). */
#define END_EXEC 0
#define END_EXIT 1
#define END_LAST 2

/* The end of an image that waited and was never sampled, for good (exit, _exit: how), on its
 * own (writer.c, bare end): its clock paused, its one thread's figures as the general end would
 * have them (settle_unset, then the pause: inflame_timer_adopt_forked and the pause's look at
 * its clock), its dump appended. No thread table, no writer. Returns 1 when done (the profiler
 * is off then), 0 when the general end must do it. Called with every signal blocked. */
static int end_bare(int how)
{
	const struct inflame_fork_clock *f = &inflame__prof.fork_clock;
	struct inflame_writer_bare t = {.tid = inflame__prof.pid,
					.cpu0 = f->cpu0,
					.sys0 = f->sys0,
					.cpu = inflame__thread_cpu_ns(),
					.before = f->arm_cpu > f->cpu0 ? f->arm_cpu - f->cpu0 : 0,
					.dropped = f->dropped,
					.last = how == END_LAST};

	/* (before exit_group, left running: the mask stays blocked to the end, settle_end_here) */
	if (how != END_LAST)
		inflame_timer_pause_forked(f->id);
	t.unsampled = inflame_timer_forked_unsampled(f, t.cpu);
	if (inflame_writer_end_bare(image_args, image_args_len, &t) < 0)
		return 0; /* (its clock paused: the general end's pause does it again) */
	atomic_store_explicit(&inflame__prof.sampling, 0, memory_order_relaxed);
	inflame_safepoint_disarm();
	inflame__prof.unset = 0;
	inflame__prof.active = 0;
	return 1;
}

/* inflame__image_settle_end() once the caller found it is no vfork child (how: END_*). Returns
 * 1 when the image ended there for good (end_bare). The mask stays blocked when a bare end was
 * the last thing before exit_group (END_LAST): a signal that came during the end is then
 * discarded by the exit, as it would have been had it come just after the program's _exit
 * without inflame, and no code of the program's runs in between to see the mask. */
static int settle_end_here(int how)
{
	sigset_t all, old;
	int ended = 0;

	sigfillset(&all);
	inflame__syscall_raw(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)&old, _NSIG / 8, 0);
	if (inflame__prof.fork_pending == INFLAME_PENDING_IMAGE) {
		ended = how != END_EXEC && end_bare(how);
		if (!ended)
			settle_unset(how != END_EXEC ? 2 : 1);
		inflame__prof.fork_pending = 0;
	}
	if (!ended || how != END_LAST)
		mask_restore(&old);
	return ended;
}

void inflame__image_settle_end(int for_good)
{
	if (inflame__prof.fork_pending != INFLAME_PENDING_IMAGE || inflame__in_vfork_child())
		return;
	settle_end_here(for_good ? END_EXIT : END_EXEC);
}

/* One look for a vfork child (a getpid system call) where the end took three, one in each of
 * the fork child's end, the image's settling and the pause (issue 11). */
INFLAME_FORK_TEXT int inflame__end_pause(int last)
{
	/* (nothing to do, no system call: after a seccomp filter, the profiler is off) */
	if ((!inflame__prof.fork_pending && !inflame__prof.active) || inflame__in_vfork_child())
		return 0;
	if (inflame__prof.fork_pending == INFLAME_PENDING_IMAGE) {
		if (settle_end_here(last ? END_LAST : END_EXIT))
			return 0; /* (its dump is written: nothing more to do) */
	} else if (inflame__prof.fork_pending) {
		if (inflame_log_notes_own() > 0) {
			inflame__fork_settle();
		} else {
			/* (its destructors may run on: no sample any more) */
			inflame_timer_pause_forked(inflame__prof.fork_clock.id);
			atomic_store(&inflame__prof.sampling, 0);
			inflame__prof.active = 0;
			return 0;
		}
	}
	return pause_here();
}

/* Whether this image's set-up may wait for its first need (lazy image, above), as far as its
 * configuration and threads tell: the image samples only its CPU, with SIGPROF or SIGVTALRM
 * (the debugger check waits too: tracer_check_later), no intervals, one thread (the calling
 * one, the main thread). */
static int image_may_wait(void)
{
	const struct inflame_config *c = &inflame__prof.cfg;
	int sig = inflame__prof.sample_sig;

	return c->events == INFLAME_EVMASK_CPU && !c->interval &&
	       (sig == SIGPROF || sig == SIGVTALRM) && SINGLE_THREADED();
}

/* Whether an image that may wait (image_may_wait) does, and if so its clock, armed last: on
 * the POSIX timer of its start (the default timer), with a writer that may start from a safe
 * point (which this arms). args: the command line for its first file. */
static int image_later(const char *args, size_t args_len)
{
	struct inflame_fork_clock *f = &inflame__prof.fork_clock;

	if (!inflame_writer_image_can_wait())
		return 0;
	image_args = args;
	image_args_len = args_len;
	f->sys0 = inflame__thread_sys_ns();
	f->resumed = 0;
	f->unsampled = 0;
	f->dropped = 0;
	/* (pending before the clock runs: its first signal settles the image) */
	inflame__prof.unset = 1;
	inflame__prof.fork_pending = INFLAME_PENDING_IMAGE;
	inflame__prof.active = 1;
	if (inflame_timer_arm_forked(inflame__prof.pid, 1, &f->id, &f->cpu0) < 0) {
		inflame__prof.active = 0;
		inflame__prof.fork_pending = 0;
		inflame__prof.unset = 0;
		return 0;
	}
	f->arm_cpu = f->cpu0;
	if (f->sys0 > f->cpu0)
		f->sys0 = f->cpu0;
	return 1;
}

/* Whether set-up may leave the debugger check (tracer.h) to the first moment inflame could show
 * itself to a debugger. Not when it starts a thread of inflame's (the wall ticker, the writer
 * at once): a debugger lists it as the program's. Not when it samples with a signal that a
 * debugger stops the program at: only SIGPROF and SIGVTALRM pass silently by default (gdb's
 * "nostop noprint pass"; lldb does not stop at them either), and the first sample comes before
 * the check. */
static int tracer_check_later(void)
{
	int sig = inflame__prof.sample_sig;

	return (sig == SIGPROF || sig == SIGVTALRM) && inflame_writer_starts_late();
}

static void strip_preload_from_env(void)
{
	const char *v = getenv("LD_PRELOAD");
	char *copy, *out, *tok, *save = NULL;

	if (!v)
		return;
	copy = strdup(v);
	out = calloc(1, strlen(v) + 1);
	if (!copy || !out) {
		free(copy);
		free(out);
		return;
	}
	for (tok = strtok_r(copy, ": ", &save); tok; tok = strtok_r(NULL, ": ", &save)) {
		const char *base = strrchr(tok, '/');

		base = base ? base + 1 : tok;
		if (!strncmp(base, "libinflame", 10))
			continue;
		if (*out)
			strcat(out, ":");
		strcat(out, tok);
	}
	if (*out)
		setenv("LD_PRELOAD", out, 1);
	else
		unsetenv("LD_PRELOAD");
	free(copy);
	free(out);
}

/* A relative dump file pattern names files in the directory the process started in, whatever
 * directory it works in later: its own later files (the dump signal, INFLAME_INTERVAL) and its
 * fork children's take the absolute pattern, and so do the programs it executes, through the
 * environment (as `inflame record` sets it). Left relative, each named its files in its
 * working directory of the moment, where the program found them (`cd dir && ls` listed its
 * own). So does a relative log file of INFLAME_LOG (opened for each line). Both stay relative
 * when the directory cannot be named. */
static __attribute__((noinline)) void anchor_relative(struct inflame_config *c, const char *v)
{
	char cwd[INFLAME_OUTPUT_MAX], abs[INFLAME_OUTPUT_MAX], env[INFLAME_OUTPUT_MAX + 16];
	const char *colon = v ? strchr(v, ':') : NULL;
	size_t dir, path, key;

	if (!getcwd(cwd, sizeof(cwd)))
		return;
	if (c->output[0] != '/' &&
	    inflame_config_anchor_output(c->output, cwd, abs, sizeof(abs)) == 0) {
		strcpy(c->output, abs);
		if (c->follow_children)
			setenv("INFLAME_OUTPUT", abs, 1);
	}
	/* (a relative log file comes after a "file:" or level's "debug:" in INFLAME_LOG) */
	if (!c->log_path[0] || c->log_path[0] == '/' || !colon)
		return;
	dir = strlen(cwd);
	path = strlen(c->log_path);
	key = (size_t)(colon - v) + 1;
	if (dir + 1 + path >= sizeof(abs) || key + dir + 1 + path >= sizeof(env))
		return;
	memcpy(abs, cwd, dir);
	abs[dir] = '/';
	memcpy(abs + dir + 1, c->log_path, path + 1);
	strcpy(c->log_path, abs);
	inflame_log_configure(c->log, c->log_path);
	memcpy(env, v, key);
	strcpy(env + key, abs);
	if (c->follow_children)
		setenv("INFLAME_LOG", env, 1);
}

/* The usual case, an absolute pattern and no log file, is told apart before anything else:
 * anchor_relative's 12 KiB of buffers were a page of stack that no other part of a short
 * process reaches, and the log path a page of .bss it reads only when INFLAME_LOG is set (two
 * page faults, issue 11). */
static void anchor_paths(struct inflame_config *c)
{
	/* (the caller made sure it is no secure process's) */
	const char *v = inflame_config_getenv("INFLAME_LOG");

	if (c->output[0] == '/' && (!v || !c->log_path[0] || c->log_path[0] == '/'))
		return;
	anchor_relative(c, v);
}

/* The command line as exec laid it out: argv's strings back to back from argv[0], each ended
 * by its NUL, which is what /proc/self/cmdline reads before the program changes it. Sets
 * *len and returns its start, or NULL when the strings do not lie that way. */
static const char *exec_args(int argc, char **argv, size_t *len)
{
	const char *end;

	if (argc <= 0 || !argv || !argv[0])
		return NULL;
	end = argv[0];
	for (int i = 0; i < argc; i++) {
		if (argv[i] != end)
			return NULL;
		end += strlen(argv[i]) + 1;
	}
	*len = (size_t)(end - argv[0]);
	return argv[0];
}

static void setup(int argc, char **argv)
{
	struct inflame_config *c = &inflame__prof.cfg;
	struct inflame_thread *t;
	long tracer;
	pid_t tid;
	int rc, waits;
	const char *args;
	size_t args_len = 0;

	inflame__interpose_resolve();
	if (getauxval(AT_SECURE))
		return; /* setuid and friends: stay inert */
	{
		uintptr_t lo, hi;

		if (inflame_modules_self(&lo, &hi) == 0)
			inflame_unwind_hide(lo, hi);
	}
	inflame_config_defaults_zeroed(c); /* .bss, untouched until now */
	if (read_env(c) < 0) {
		inflame_log_unprofiled("bad configuration; this program runs unprofiled");
		return;
	}
	if (!c->follow_children)
		strip_preload_from_env();
	anchor_paths(c);
	/* Full tracing produces a record per allocation: give the rings room to absorb bursts
	 * between two writer cycles unless the user sized them. */
	if ((c->events & INFLAME_EVMASK_ALLOC) && c->alloc_rate <= 64 &&
	    !secure_getenv("INFLAME_BUFFER_KB"))
		c->buffer_kb = 4096;
	/* (the system call itself: getpid() was the only user of its page of libc in a short
	 * process, one page fault, issue 11) */
	inflame__prof.pid = inflame__getpid_raw();
	inflame__prof.start_realtime = inflame__now_realtime();
	inflame__prof.start_monotonic = inflame__now_monotonic();
	inflame__prof.sample_sig = choose_sample_signal();
	if (inflame__prof.sample_sig < 0) {
		inflame_log_unprofiled(
		    "no free signal to sample with; this program runs unprofiled");
		return;
	}
	/* A debugged program would show inflame's threads in the debugger, and every signal
	 * inflame sends would stop it there: stay out unless asked (tracer.h). The check cost a
	 * short process about 17 us (the first use of /proc/self and the status file's making,
	 * issue 11): it waits for inflame's first sample or thread when it can. Made here, it
	 * comes before the dump file: a traced image leaves none. */
	if (c->traced) {
		inflame_tracer_untraced();
	} else if (!tracer_check_later()) {
		if ((tracer = inflame_tracer_pid()) > 0) {
			inflame_log(INFLAME_LOG_INFO,
				    "traced by process %ld (a debugger): not profiled "
				    "(INFLAME_TRACED=1 profiles it)",
				    tracer);
			return;
		}
		inflame_tracer_untraced();
	}
	if (inflame_timer_setup() < 0) {
		inflame_log_unprofiled("cannot set up sampling; this program runs unprofiled");
		return;
	}
	/* libunwind is loaded by the writer when a walk first needs it (unwind_dwarf.c) */
	if (c->unwind != INFLAME_UNWIND_FP)
		inflame_unwind_dwarf_lazy();
	inflame_modules_want_tables(c->unwind, 0);
	if (install_handlers() < 0) {
		inflame_log_unprofiled("cannot install the sampling signal handler; this program "
				       "runs unprofiled");
		return;
	}
	/* The main thread's handler runs on a stack of ours: the program may run at the very
	 * end of its own (sigstack.h). An image that may wait takes the small one, which the
	 * full one replaces before the program's handlers or a second thread may run there. */
	tid = inflame__gettid();
	waits = tid == inflame__prof.pid && image_may_wait();
	if (tid == inflame__prof.pid &&
	    (rc = waits ? inflame_sigstack_own_install_small() : inflame_sigstack_own_install()) <
		0 &&
	    rc != -EEXIST)
		inflame_log(INFLAME_LOG_INFO, "no alternate signal stack of inflame's: %s",
			    strerror(-rc));
	args = exec_args(argc, argv, &args_len);
	if (waits && image_later(args, args_len)) {
		atomic_store(&inflame__prof.sampling, 1);
		pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
		return;
	}
	inflame_sigstack_own_grow(); /* (it sets up at once) */
	if (inflame_thread_table_init() < 0) {
		inflame_timer_pause_all();
		inflame_log_unprofiled("cannot set up sampling; this program runs unprofiled");
		return;
	}
	/* Threads first, so that our own writer and ticker threads are not among them. From the
	 * arming of the calling thread's clock to the start of sampling, its periods are spent
	 * here: the handler charges them to the profiler's own CPU (a short dig's main thread
	 * spent 0.3-2 ms here, whose periods were no one's: coverage 60-70%). */
	atomic_store(&inflame__prof.setup_tid, tid);
	if (tid == inflame__prof.pid && SINGLE_THREADED())
		inflame_timer_alone(tid);
	t = inflame_thread_register_current();
	if (!t)
		inflame_log(INFLAME_LOG_INFO, "cannot register the main thread");
	register_existing_threads();
	if (inflame_writer_start(args, args_len) < 0) {
		inflame_timer_pause_all();
		atomic_store(&inflame__prof.setup_tid, 0);
		return; /* the writer said why */
	}
	inflame_timer_setup_end(t);
	inflame__prof.active = 1;
	atomic_store(&inflame__prof.sampling, 1);
	atomic_store(&inflame__prof.setup_tid, 0);
	inflame_wall_start(); /* (it says why when it cannot) */
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	if ((c->events & INFLAME_EVMASK_ALLOC) && inflame_alloc_setup() < 0)
		inflame_log(INFLAME_LOG_INFO, "cannot set up allocation profiling (out of memory); "
					      "allocations are not profiled");
}

/* (glibc passes a constructor the program's argc, argv and environment) */
__attribute__((constructor)) static void inflame_init(int argc, char **argv, char **envp)
{
	(void)envp;
	setup(argc, argv);
	/* From here on a thread whose allocations are not profiled stops looking. */
	inflame_alloc_decided();
}

__attribute__((destructor)) static void inflame_fini(void)
{
	if (!inflame__end_pause(0))
		return;
	inflame_writer_stop("exit");
	inflame__prof.active = 0;
}
