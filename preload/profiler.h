/*
 * The preload's global state and the records its producers put in the per-thread rings.
 *
 * There is one profiler per process image. It is set up by the constructor in init.c and is
 * either active (sampling, a writer thread running) or inert (setuid, bad configuration, or a
 * failure at start-up). Fields written after start-up are atomics; the rest are written once
 * before any signal can arrive, or only in the child after fork while single-threaded.
 */
#ifndef INFLAME_PROFILER_H
#define INFLAME_PROFILER_H

#include "clock.h"
#include "config.h"
#include "selfcost.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#define INFLAME_EXPORT __attribute__((visibility("default")))

/* One sample as it travels through a ring (kind = event). Frames are leaf first. */
struct inflame_rec {
	uint64_t time;	 /* CLOCK_MONOTONIC, ns */
	uint64_t weight; /* sampling periods (cpu, wall) or estimated bytes (alloc) */
	uint64_t size;	 /* alloc: real size */
	uint64_t addr;	 /* alloc/free: pointer; a wall record with INFLAME_REC_TID: the tid */
	uint64_t seq;	 /* alloc/free: position in the process-wide order of these events */
	uint32_t nframes;
	uint32_t flags; /* INFLAME_REC_* */
	uint64_t frames[];
};
/* A FREE as it travels through a ring (kind = INFLAME_EV_FREE): what the order and the address
 * need, nothing more, since full tracing writes one for every free. */
struct inflame_free_rec {
	uint64_t seq; /* read before the block went back to the allocator */
	uint64_t addr;
};
#define INFLAME_REC_TRUNCATED 1u
/* An ALLOC that restores the block this thread freed last at addr (a realloc that failed in
 * full tracing, which keeps no sizes): no stack, size or weight of its own. */
#define INFLAME_REC_RESTORE 2u
/* An ALLOC recorded by the outermost producer of its thread (not by a signal handler that
 * interrupted another record): the writer remembers its stack for the next SAME_STACK. */
#define INFLAME_REC_OUTER 4u
/* An ALLOC without frames: its stack is that of the thread's last OUTER record of the same
 * slot (INFLAME_REC_SLOT). */
#define INFLAME_REC_SAME_STACK 8u
/* The slot (thread.h, INFLAME_SAME_SLOTS) of an OUTER record's stack: the one it refers to
 * (SAME_STACK) or the one the writer keeps it in. */
#define INFLAME_REC_SLOT_SHIFT 8
#define INFLAME_REC_SLOT(s)    ((uint32_t)(s) << INFLAME_REC_SLOT_SHIFT)
/* A record of the wall ticker's ring (wall.c) for the thread whose tid is in addr. */
#define INFLAME_REC_TID 16u

/* si_value cookies that mark signals we sent ourselves (the thread CPU timer's, and the wall
 * ticker's, sent with rt_tgsigqueueinfo as SI_QUEUE). */
#define INFLAME_COOKIE_THREAD_TIMER 0x1f1a3e01
#define INFLAME_COOKIE_WALL	    0x1f1a3e02

/* A fork child's clock until the child settles (init.c, inflame__fork_settle; timer.h): the
 * POSIX timer's id, its CPU clock at the fork (arm_cpu) and at its last start (cpu0), its
 * resumes after a failed exec, and the CPU it ran in no sample. */
struct inflame_fork_clock {
	int id;
	unsigned resumed;
	uint64_t arm_cpu, cpu0, unsampled;
	/* An image started by exec (INFLAME_PENDING_IMAGE): its system time as its clock was
	 * armed, and the samples its handler could not take before it settled. */
	uint64_t sys0, dropped;
};

/* What inflame__prof.fork_pending holds: a fork child that settles later, or an image started
 * by exec whose set-up waits for its first need (init.c). */
#define INFLAME_PENDING_FORK  1
#define INFLAME_PENDING_IMAGE 2

struct inflame_profiler {
	int active;	      /* profiler set up; interposers do their extra work */
	_Atomic int sampling; /* signals are turned into samples */
	/* The thread running inflame's set-up while its clock is armed but sampling is not on
	 * yet (init.c), 0 otherwise: its periods are the profiler's own CPU, not lost. */
	_Atomic pid_t setup_tid;
	pid_t pid;			   /* getpid() of this image (updated in a fork child) */
	int sample_sig;			   /* the sampling signal */
	int perf_ok;			   /* cpu timer actually in use is perf */
	enum inflame_cpu_timer timer_used; /* never INFLAME_TIMER_AUTO */
	/* INFLAME_CPU_TIMER=auto: a thread the perf clock costs too much moves to a POSIX timer
	 * (sample_sigsafe.c, clock_cost). */
	int move_costly;
	/* INFLAME_CPU_TIMER=auto: each thread starts on a POSIX timer on its CPU clock and moves
	 * to its perf clock at its first sample (timer.c, inflame_timer_to_perf_clock). A thread
	 * that ends first never opens a perf event. perf_decided: 0 until a thread first moved
	 * (or tried), then 1 when perf works, -1 when it does not (timer_used is THREAD then). */
	int lazy_perf;
	_Atomic int perf_decided;
	uint64_t perf_period; /* the perf clock's fixed period in ns; 0 with a sampling frequency */
	int perf_kernel;      /* the perf clock counts kernel time too (INFLAME_CPU_KERNEL=1) */
	uint64_t start_realtime;  /* ns */
	uint64_t start_monotonic; /* ns */
	/* A fork child that did at the fork only what could not wait (init.c): 1 until it
	 * settles, at the first moment it needs its profile. Its clock, on this page, which the
	 * fork writes anyway. */
	int fork_pending;
	/* The image's own set-up is still to do (the thread table, the writer): an image started
	 * by exec that waits (INFLAME_PENDING_IMAGE), or a fork child of one, until it settles. */
	int unset;
	/* Calls into the loader (dlopen, dlclose, dl_iterate_phdr) under way on threads without a
	 * slot of the thread table: in an image that waits (unset), its one thread. Its handler
	 * does not settle then: the module map's dl_iterate_phdr would take the loader's lock,
	 * which the interrupted call may hold (interpose_loader.c). */
	_Atomic int in_dl_unset;
	struct inflame_fork_clock fork_clock;
	_Atomic int app_has_sample_action;
	int dump_sig_owned; /* we installed our handler for cfg.dump_signal */
	/* Whether a debugger traces this image, once asked (tracer.h): its pid << 2 and the
	 * answer in the low bits, 0 before any check. */
	_Atomic uint64_t tracer;
	_Atomic uint64_t signals; /* sampling signals turned into samples */
	_Atomic uint64_t foreign; /* signals for the program's handler */
	/* The sampling handler's run time in the program's threads (selfcost.h). */
	struct inflame_selfcost_totals handler;
	_Atomic uint64_t threads_dropped;
	/* Samples on an alternate signal stack too small for the configured walk (sigstack.h):
	 * walked narrower (without libunwind, or frame pointers only), or kept without a stack. */
	_Atomic uint64_t sigstack_narrow, sigstack_nostack;
	/* Next to last: its paths are 4 KiB each, and a short process writes only their first
	 * bytes (the fields above and those share a page then, issue 11). */
	struct inflame_config cfg;
	/* After the paths, on a page of their own: only a program that handles these signals
	 * itself writes them (their 304 bytes above cfg put the first bytes of an output path
	 * longer than about 120 bytes on the next page). */
	struct sigaction app_sample_action; /* the program's handler for sample_sig, if any */
	struct sigaction app_dump_action;
};

extern struct inflame_profiler inflame__prof;

/* Stops sampling in this process image before it goes away (exit, _exit, exec): no more
 * samples are taken and every clock is paused. Returns 1 when the profiler is active here,
 * 0 when it is not set up or the caller is a vfork child sharing our memory (then nothing
 * is touched). Not async-signal-safe. inflame__resume() undoes it (a failed exec). */
int inflame__pause(void);
void inflame__resume(void);

/* A fork child that has not settled yet (inflame__prof.fork_pending) does now what its fork
 * left: the resets of the parent's state, the writer's start, its clock's books. Called at
 * each moment a child first needs its profile: the handlers of the sampling and the dump
 * signal, a thread or a fork it makes, the API, a set*id call, the end of an image that has
 * something to write. Nothing to do (one load) elsewhere. Async-signal-safe. */
void inflame__fork_settle(void);
/* The same from the handler of a sampling signal, which may interrupt the dynamic loader: an
 * image started by exec does not settle while the loader changes its list of objects (a dlopen
 * or dlclose under way, whose list its module map would read half made), nor while the thread
 * is inside dlopen, dlclose or dl_iterate_phdr (whose lock the map's own dl_iterate_phdr would
 * wait for: a recursive lock taken but not yet marked as this thread's). Returns 0 then, with
 * the signal counted as a dropped sample of the image's, else 1. Async-signal-safe. */
int inflame__settle_in_handler(void);
/* For the end of the image (exit, _exit): stops sampling as inflame__pause() does and returns
 * 1 when the caller is to write the last file. A fork child that has not settled and has
 * nothing to write (no sample came, no notice of its own) goes as it came, its clock stopped:
 * 0. An image started by exec that never settled settles now for its end
 * (inflame__image_settle_end). 0 in a vfork child, which touches nothing. last: the caller's
 * exit_group follows at once (_exit), with no code of the program's in between. */
int inflame__end_pause(int last);
/* An image started by exec that has not settled, as it ends (exit, exec) without a sample:
 * its dump is its first file, held whole for one append to the shared file, with no
 * placeholder before it. Sampling is off from here (inflame__resume() after a failed exec
 * turns it on again); for_good: the image ends (exit), it never samples again. Nothing to do
 * elsewhere. Not async-signal-safe. */
void inflame__image_settle_end(int for_good);

/* On the functions a fork child runs from the fork to its exec or exit: the linker puts them
 * together (with any .text.hot), so that a child runs a page or two of the library's code rather
 * than one in each of a dozen places, each first run of a page being a page fault in a fork
 * child (issue 11). */
#define INFLAME_FORK_TEXT __attribute__((section(".text.hot.inflame_fork")))

/* In a fork child: makes *m an unlocked mutex again (a thread of the parent's may have held it
 * as the process forked), with no store when it is one already (an unlocked default mutex is
 * all zero bytes, as PTHREAD_MUTEX_INITIALIZER). A page the child does not write stays shared
 * with the parent: neither pays a page fault for it (issue 11). */
void inflame__mutex_after_fork(pthread_mutex_t *m);
/* The same for a condition variable (all zero bytes when no thread ever waited on it). */
void inflame__cond_after_fork(pthread_cond_t *c);

/* 1 in a vfork child (or a child of clone with CLONE_VM): a process of its own that shares
 * this image's memory, the profiler's state included, until it executes or exits. It must
 * change nothing of that state: the parent goes on with it. getpid() is a system call (made
 * here without the C library's page: clock.h); callers ask only when they are about to change
 * shared state. Async-signal-safe. */
static inline int inflame__in_vfork_child(void)
{
	return inflame__getpid_raw() != inflame__prof.pid;
}

/* The ns of CPU one unit of a cpu sample's weight stands for: the perf clock's period, else
 * the sampling frequency's; 0 without either. Async-signal-safe. */
static inline uint64_t inflame__cpu_period_ns(void)
{
	if (inflame__prof.timer_used == INFLAME_TIMER_PERF && inflame__prof.perf_period)
		return inflame__prof.perf_period;
	return inflame__prof.cfg.frequency ? 1000000000ull / inflame__prof.cfg.frequency : 0;
}

#endif
