/*
 * The sampling signal handler and the sample producer. Everything in this file runs in signal
 * context or in allocation hooks and is async-signal-safe: it touches only the thread's own
 * slot, its ring (wait-free claim) and its scratch frames (one level per nesting depth, so a
 * signal that interrupts an allocation hook does not overwrite the hook's frames), saves and
 * restores errno, takes no locks and allocates nothing.
 */
#include "clock.h"
#include "sample.h"
#include "safepoint.h"

#include "alloc.h"
#include "dump_format.h"
#include "interpose.h"
#include "log.h"
#include "profiler.h"
#include "shield.h"
#include "sigstack.h"
#include "timer.h"
#include "tracer.h"
#include "unwind.h"
#include "wall.h"
#include "writer.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/*
 * The periods of the perf clock one overflow signal stands for. Signals of one descriptor do
 * not queue: when the thread's clock moves by several periods before the signal is handled
 * (a virtual CPU that the host stopped, whose stolen time is then charged to the running
 * thread at once; periods that ended in the kernel, whose overflow the event drops as it
 * counts user time only), the kernel sends one. The event's count tells how many periods
 * passed; the remainder is kept for the next sample. 1 when the count cannot be read. The
 * periods the thread's system time grew by since they were last counted go to *kern: they
 * ended in the kernel, and the sample a period later runs other code (a program reading
 * /dev/zero between computations had its read() time charged to the computation: read() 6%,
 * the computation 93%, where perf gave 47% and 52%). They become a sample of their own, at the
 * same time, whose stack is the single pseudo-frame INFLAME_FRAME_KERNEL (the kernel's time,
 * its caller unknown; inflame_sample_put_kernel). Without them a thread in the kernel most of
 * its time (a server answering requests) would be sampled for a fifth of its CPU. Of the rest
 * the sample stands for at most 4: a longer run of periods is stolen time charged at once,
 * which would put that whole stretch on the one function that happened to be running (it made
 * the hottest function of a 1-second xz run differ from perf's under a busy host). *own
 * receives the same up to SELF_MAX
 * periods: a sample that lands in inflame's own code is charged to no function of the
 * program, and the periods a thread woken by wall samples spent in the kernel since its last
 * sample (the clock fires in user mode only, and the signal deliveries are inflame's doing)
 * are mostly more than 4.
 */
#define SELF_MAX 32

/* How far the periods charged to the kernel may run ahead of the thread's system time. The
 * kernel splits a thread's CPU time into user and system time on clock ticks (4 ms at 250 Hz,
 * 10 at 100 Hz): right after a system call the split has often not seen it yet, and a ceiling
 * at the system time alone gave the kernel's periods to the code after the call (a program
 * alternating 1.2 ms of computation and 0.5 ms of reads: the computation +3 pp on a loaded
 * machine). Stolen time charged at once, with no system time behind it, can take this much
 * at most until the system time catches up. */
#define SYS_SLACK_NS 10000000ull

/* Splits n periods (more than 1) that passed since the last sample: those the thread's system
 * time (plus SYS_SLACK_NS) has grown by and not yet paid for, all but the sample's own, go to
 * *kern; the sample stands for the rest, at most 4. */
static uint64_t split_periods(struct inflame_thread *t, uint64_t n, uint64_t period, uint64_t *kern)
{
	uint64_t sys = inflame__thread_sys_ns() + SYS_SLACK_NS, room;

	room = sys > t->perf_sys_charged ? (sys - t->perf_sys_charged) / period : 0;
	if (room > n - 1)
		room = n - 1;
	t->perf_sys_charged += room * period;
	*kern = room;
	return n - room > 4 ? 4 : n - room;
}

/* The count's drift against the monotonic raw clock that the skip below allows for: both tick
 * from the same clock on Linux, bar rounding; a wide margin (1/1024 of the time since the
 * read, plus 20 us) costs only a read() now and then. Were a skipped sample ever to stand for
 * two periods, the next read would still find the period (seen lags it): the books stay
 * exact, only that period lands on the next sample read. */
#define DRIFT_NS(dt) ((dt) / 1024 + 20000)

/*
 * The perf clock's own cost. A software perf clock re-arms its timer each time the thread is
 * switched in and cancels it each time the thread is switched out, and that time is in the
 * thread's CPU time but not in the event's count. On a virtual machine each re-arm is a trip to
 * the host (lapic-deadline here): tests/progs/pingpong's threads, blocked in read() between
 * round trips of a few microseconds, used 0.97 s of CPU with the clock against 0.30 s without
 * it (5 interleaved rounds), and the count saw 65% of it, so their samples stood for 65% of
 * their CPU whatever the books did (memcached's threads: 67-80%). A POSIX timer on the thread's
 * CPU clock costs nothing at a switch: it is checked at the kernel tick, and its overruns count
 * every period (0.31 s of CPU, 97% covered). So the handler compares the count with the thread's
 * CPU clock after each COST_SPAN_NS of count, and a thread whose CPU clock ran more than
 * 1/COST_SHARE ahead of the count over that span moves to a POSIX timer for good (a notice says
 * which, for the first few; INFLAME_CPU_TIMER=perf, not the default auto, keeps every thread on
 * the perf clock and says so once): fewer samples per second (the tick's rate), each standing for
 * what it should, and its system time at the calls that spent it rather than under the kernel
 * pseudo-frame. A thread that computes, or blocks seldom, loses well under 1% and keeps the
 * perf clock. The count misses more than the re-arms: a counting task clock (no timer at all)
 * misses 7-19 us of the thread's CPU clock at each block and wake-up on this machine (the
 * scheduler's clock starts the thread's time before perf's does), a program's own kernel time.
 * So what the count missed over each span, below the line or not, is charged to the kernel
 * pseudo-frame (cost_kern): a CPython thread sleeping 10 ms a thousand times lost 5-14 ms in the
 * span that moved it (20 ms of count, 1.4-4.3 s of its life), and 15% of its CPU before the
 * move existed.
 */
#define COST_SPAN_NS 20000000ull
#define COST_SHARE   8
#define COST_NOTES   4
/* Why the count falls behind, in the notices (each fits in a note, INFLAME_NOTE_LEN). */
#define COST_WHY "the count misses CPU at every switch"
/*
 * The count does not always miss what the re-arms cost: on this machine (kernel 6.18) it counts
 * most of it. redis-server answering redis-benchmark (19 thousand switches of its main thread)
 * used twice its CPU time with the clock (35 ticks against 17.5, 4 interleaved rounds; with a
 * POSIX timer 17.5) and the count missed 0.1% of it; tests/progs/pingpong's threads used 8
 * times theirs and the count missed 2-30%, over the line in some runs only. That is 9-10 us a
 * switch. So a span in which the thread switched (blocked, or was preempted) once per
 * SWITCH_CPU_NS of its CPU time or more moves it as well: at 10 us a switch the clock costs
 * such a thread a seventh of its CPU or more (redis-server's main thread moved after 1000-1500
 * switches in 23-29 ms of CPU: 19.5 ticks). A thread that computes between its blocks for
 * longer keeps the perf clock; one that moves loses only the rate of its samples.
 */
#define SWITCH_CPU_NS 64000ull
#define SWITCH_WHY    "its timer is re-armed at each one"

/* Whether thread t's perf books still start at the arming of its clock (timer.c, arm_books):
 * its event is the one that arming made, not yet checked, and sampling has not paused since
 * (a pause stops the count, not the thread's clocks). */
static int arm_books_hold(const struct inflame_thread *t, unsigned epoch)
{
	return t->cost_first && t->arm_gen == t->perf_seen_gen && t->arm_epoch == epoch &&
	       t->arm_cpu;
}

/* The notice of a thread the perf clock costs too much: its figures over the span, why, and
 * what now happens to it (then, and more after it). */
static void cost_note(const struct inflame_thread *t, uint64_t dcount, uint64_t dcpu, uint64_t dsw,
		      int by_switches, const char *then, const char *more)
{
	inflame_log(
	    INFLAME_LOG_INFO,
	    "thread %d: the perf clock counted %llu of its %llu us of CPU, %llu switches in "
	    "it (%s); %s%s",
	    (int)t->tid, (unsigned long long)(dcount / 1000), (unsigned long long)(dcpu / 1000),
	    (unsigned long long)dsw, by_switches ? SWITCH_WHY : COST_WHY, then, more);
}

/* Returns 1 when it moved t to a POSIX timer. */
static int clock_cost(struct inflame_thread *t, uint64_t count)
{
	static _Atomic unsigned moved;
	static _Atomic int kept;
	unsigned epoch = inflame_timer_epoch(), n;
	uint64_t cpu, dcpu, dcount, whole, sw, dsw;
	int first, by_switches;

	if (!t->cost_cpu || t->cost_epoch != epoch || count < t->cost_count) {
		t->cost_epoch = epoch;
		t->cost_lost = 0;
		/* The first check of the event its arming made (timer.c) spans from the arming:
		 * what the count missed since, a short thread's switches, is missed like the
		 * rest, and a thread seldom in user code (whose first signal may come a few
		 * hundred ms of CPU late) moves at its first signal, not at its second. Its
		 * switches are counted from its start, which its arming follows closely. */
		first = arm_books_hold(t, epoch);
		t->cost_first = 0;
		t->cost_count = first ? 0 : count;
		t->cost_cpu = first ? t->arm_cpu : inflame__thread_cpu_ns();
		t->cost_sw = first ? 0 : inflame__thread_switches();
		if (!first)
			return 0;
	}
	if (count - t->cost_count < COST_SPAN_NS)
		return 0;
	cpu = inflame__thread_cpu_ns();
	sw = inflame__thread_switches();
	dcpu = cpu > t->cost_cpu ? cpu - t->cost_cpu : 0;
	dcount = count - t->cost_count;
	dsw = sw > t->cost_sw ? sw - t->cost_sw : 0;
	t->cost_count = count;
	t->cost_cpu = cpu;
	t->cost_sw = sw;
	if (!dcpu || !atomic_load_explicit(&inflame__prof.sampling, memory_order_relaxed))
		return 0;
	by_switches = dsw * SWITCH_CPU_NS >= dcpu;
	if (dcpu > dcount) {
		/* The CPU the count missed was spent in the kernel around the thread's
		 * switches: its whole periods wait in cost_kern for the next sample, which puts
		 * them under the kernel pseudo-frame as it does the periods that ended in the
		 * kernel (and pays for them out of the thread's system time); the remainder is
		 * kept for the next check. */
		t->cost_lost += dcpu - dcount;
		whole = t->cost_lost / inflame__prof.perf_period;
		t->cost_lost -= whole * inflame__prof.perf_period;
		t->cost_kern += whole;
		t->perf_sys_charged += whole * inflame__prof.perf_period;
	} else if (!by_switches) {
		return 0;
	}
	if (!by_switches && (dcpu - dcount) * COST_SHARE < dcpu)
		return 0;
	if (!inflame__prof.move_costly) {
		/* INFLAME_CPU_TIMER=perf: the thread keeps the clock; one notice says so. */
		if (!atomic_exchange_explicit(&kept, 1, memory_order_relaxed))
			cost_note(
			    t, dcount, dcpu, dsw, by_switches,
			    "INFLAME_CPU_TIMER=perf keeps every thread on it (auto moves such "
			    "threads to POSIX timers)",
			    "");
		return 0;
	}
	if (inflame_timer_to_thread_clock(t) < 0)
		return 0;
	n = atomic_fetch_add_explicit(&moved, 1, memory_order_relaxed) + 1;
	if (n <= COST_NOTES)
		cost_note(t, dcount, dcpu, dsw, by_switches,
			  "a POSIX timer on its CPU clock samples it now, at the tick",
			  n == COST_NOTES ? " (no notice for further ones)" : "");
	return 1;
}

/*
 * The count is read() from the event: a system call, 4 us on a virtual machine, most of a
 * sample's cost. It is read only when it could change the answer. The task clock counts the
 * thread's CPU time, which grows no faster than the monotonic clock: since the last read (count
 * c at a time no earlier than anchor_ns), the count is at most c + (now - anchor_ns), now being
 * the handler's entry (its clock read serves the handler's own measure too, selfcost.h). A read
 * would give n = (count - seen) / period, 1 when that is below 2 (or when the count is below
 * seen); so while c + (now - anchor_ns) stays below seen + 2 periods, the answer is 1, read or
 * not, and the books (seen) move on exactly as a read would move them. A thread that ran
 * without a break from one sample to the next passes that test for about a second after each
 * read; one that blocked, was preempted or lost periods in the kernel fails it and reads.
 */
static uint64_t perf_periods(struct inflame_thread *t, uint64_t now, uint64_t *own, uint64_t *kern,
			     uint64_t *all)
{
	uint64_t period = inflame__prof.perf_period;
	unsigned gen = atomic_load_explicit(&t->perf_gen, memory_order_acquire);
	uint64_t count, n;
	int moved;

	*own = 1;
	*all = 1;
	if (!period)
		return 1;
	if (gen != t->perf_seen_gen) {
		/* A new event (arm, re-created after it was lost, a fork child's): from 0. */
		t->perf_seen_gen = gen;
		t->perf_seen = 0;
		t->perf_anchor_ns = 0;
		t->cost_cpu = 0;
		t->cost_first = 1;
		/* The count starts at the arming, and so does the system time its periods in
		 * the kernel may be charged to: a thread seldom in user code has its first
		 * signal late (pingpong's threads: after 50-400 ms of CPU), and its system time
		 * until then was lost to its first sample, all its periods but 4 and the slack
		 * dropped (pingpong, --cpu-timer perf: 45-84% of its CPU). */
		t->perf_sys_charged = arm_books_hold(t, inflame_timer_epoch()) &&
					      t->arm_sys != INFLAME_ARM_SYS_UNKNOWN
					  ? t->arm_sys
					  : inflame__thread_sys_ns();
	} else if (t->perf_anchor_ns && now >= t->perf_anchor_ns &&
		   t->perf_anchor_count + (now - t->perf_anchor_ns) +
			   DRIFT_NS(now - t->perf_anchor_ns) <
		       t->perf_seen + 2 * period) {
		t->perf_seen += period;
		return 1;
	}
	if (read(t->perf_fd, &count, sizeof(count)) != (ssize_t)sizeof(count)) {
		t->perf_anchor_ns = 0;
		return 1;
	}
	t->perf_anchor_count = count;
	t->perf_anchor_ns = now;
	moved = clock_cost(t, count);
	/* Below seen: the clock fired just before the count reached the period's end (a
	 * sample charged as one before counts the same way): one period, no reset. */
	n = count >= t->perf_seen ? (count - t->perf_seen) / period : 0;
	if (n == 0)
		n = 1; /* not a whole period since the last one: charge it all the same */
	t->perf_seen += n * period;
	*all = n;
	if (moved) {
		/* The perf clock's last stretch, which its POSIX timer does not count: the part
		 * of a period past this sample, and what it missed that is not a whole one. */
		atomic_fetch_add_explicit(&t->unsampled,
					  count > t->perf_seen ? count - t->perf_seen : 0,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&t->missed, t->cost_lost, memory_order_relaxed);
		t->cost_lost = 0;
	}
	*own = n > SELF_MAX ? SELF_MAX : n;
	if (n == 1)
		return n;
	/* After a wall signal interrupted a blocking call, the system time is partly its
	 * delivery and the call's restart: inflame's doing, not the program's (cpu_cost). */
	if (atomic_load_explicit(&t->wall_cost, memory_order_relaxed))
		return n > 4 ? 4 : n;
	return split_periods(t, n, period, kern);
}

/* Classifies a signal: returns the event for signals we sent, -1 for foreign ones. *own is the
 * weight for a sample that lands in inflame's own code, *kern the periods spent in the kernel
 * before it (see perf_periods), *all the periods of CPU clock the signal brought. now is the
 * monotonic raw clock at the handler's entry. */
static int classify(int sig, const siginfo_t *si, struct inflame_thread *t, uint64_t now,
		    uint64_t *weight, uint64_t *own, uint64_t *kern, uint64_t *all)
{
	*weight = 1;
	*own = 0;
	*kern = 0;
	*all = 0;
	if (sig != inflame__prof.sample_sig)
		return -1;
	switch (si->si_code) {
	case POLL_IN: /* perf overflow via F_SETSIG */
		if (inflame__prof.timer_used == INFLAME_TIMER_PERF && t &&
		    si->si_fd == t->perf_fd) {
			*weight = perf_periods(t, now, own, kern, all);
			return INFLAME_EV_CPU;
		}
		/* The last overflow of the event the thread left for a POSIX timer. */
		if (t && si->si_fd == t->perf_retired && t->perf_retired >= 0)
			return -2;
		return -1;
	case SI_TIMER:
		if (si->si_overrun > 0)
			*weight += (uint64_t)si->si_overrun;
		if ((uintptr_t)si->si_value.sival_ptr == INFLAME_COOKIE_THREAD_TIMER) {
			*all = *weight;
			if (t)
				atomic_fetch_add_explicit(&t->timer_periods, *weight,
							  memory_order_relaxed);
			return INFLAME_EV_CPU;
		}
		return -1;
	case SI_QUEUE: /* the wall ticker (wall.c); the weight is in the thread's slot */
		if (si->si_pid == inflame__prof.pid &&
		    (uintptr_t)si->si_value.sival_ptr == INFLAME_COOKIE_WALL)
			return INFLAME_EV_WALL;
		return -1;
	case SI_KERNEL:
		if (inflame__prof.timer_used == INFLAME_TIMER_ITIMER && sig == SIGPROF) {
			*all = 1;
			return INFLAME_EV_CPU;
		}
		return -1;
	default:
		return -1;
	}
}

/* Whether the signal context uc interrupted a system call (one the kernel will restart, or one
 * that returns EINTR): the thread was blocked there, or about to be. 0 when it was running
 * code of its own, or when the architecture is not known here. Reads the code around the
 * interrupted instruction, never across the edge of its page. */
static int interrupted_syscall(const void *ucv)
{
	const ucontext_t *uc = ucv;
	uintptr_t off;
#if defined(__x86_64__)
	uintptr_t ip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	long ax = (long)uc->uc_mcontext.gregs[REG_RAX];
	const uint16_t op = 0x050f; /* syscall */

	off = ip & 4095;
	if (ax == -EINTR && off >= 2) /* returns EINTR: ip is past the instruction */
		return *(const uint16_t *)(ip - 2) == op;
	if (ax >= 0 && ax < 1024 && off <= 4094) /* restarted: ip is at it, ax its number */
		return *(const uint16_t *)ip == op;
	return 0;
#elif defined(__aarch64__)
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.pc;
	long x0 = (long)uc->uc_mcontext.regs[0];
	const uint32_t op = 0xd4000001; /* svc #0 */

	off = pc & 4095;
	if (x0 == -EINTR && off >= 4)
		return *(const uint32_t *)(pc - 4) == op;
	if (off <= 4092)
		return *(const uint32_t *)pc == op;
	return 0;
#else
	(void)uc;
	(void)off;
	return 0;
#endif
}

static int in_profiler(const struct inflame_thread *t, int nested, const void *uc);

/* A wall sample of weight periods at the given stack (not the interrupted one). */
static void put_wall(struct inflame_thread *t, const uint64_t *frames, uint32_t n, uint32_t flags,
		     uint64_t weight)
{
	int level = atomic_load_explicit(&t->producing, memory_order_relaxed);
	struct inflame_rec *rec;
	uint64_t before;

	atomic_store_explicit(&t->producing, level + 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	before = inflame_ring_used(&t->ring, 0);
	rec = inflame_ring_reserve(&t->ring, sizeof(*rec) + n * sizeof(uint64_t), INFLAME_EV_WALL);
	if (rec) {
		rec->time = inflame__now_monotonic();
		rec->weight = weight;
		rec->size = rec->addr = rec->seq = 0;
		rec->nframes = n;
		rec->flags = (flags & INFLAME_WALL_TRUNCATED) ? INFLAME_REC_TRUNCATED : 0;
		memcpy(rec->frames, frames, n * sizeof(uint64_t));
		inflame_ring_commit(rec);
		inflame_sample_maybe_wake(&t->ring, before);
	}
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&t->producing, level, memory_order_relaxed);
}

/* Of due periods that end at wall_due_end, for a signal that found thread t blocked: the ones
 * before it entered the marked call it is in (shield.h), when it is in one; otherwise run, the
 * ticker's count by the CPU clock. The ticker's count was made when it looked, which on a busy
 * machine can be long before its signal comes: the thread it found running (or about to block)
 * has blocked since, and its periods until then are not the call's. With the ticker starved
 * (wallhalf beside it, moved beside two spinners at nice 19), such signals gave them to the call:
 * asleep share minus truth, cond +4.1 to +13.9 pp in 3 runs of 5, sleep up to +5.3; now cond,
 * sleep and mutex -1.3 to +0.6 in 21 interleaved runs from a shell (main: -1.5 to +5.3); in
 * make check, one to three runs in five still missed by 2.5 to 10.6 pp, cause not found. */
static uint64_t wall_run_before_call(const struct inflame_thread *t, uint64_t due, uint64_t run)
{
	uint64_t in = atomic_load_explicit(&t->wall_block_in, memory_order_acquire);
	uint64_t out = atomic_load_explicit(&t->wall_block_out, memory_order_acquire);
	uint64_t end = atomic_load_explicit(&t->wall_due_end, memory_order_acquire);
	uint64_t period = 1000000000ull / inflame__prof.cfg.frequency, in_call;

	if (in <= out || !end)
		return run;
	in_call = end > in ? (end - in + period / 2) / period : 0;
	return in_call < due ? due - in_call : 0;
}

/* A signal of the wall ticker: one sample for the periods the ticker counted (wall_due), whose
 * stack the ticker will repeat while the thread stays blocked, then the thread's CPU clock as
 * the handler ends, so that the ticker can tell whether the thread ran since (thread.h). When
 * the signal finds the thread blocked, the periods it ran unseen before (wall_due_run) go to
 * the stack where it was last found running instead. A signal that finds the thread in
 * inflame's own code (nested in our handler, in a producer, in any code of the preload) charges
 * all of them to the profiler's own wall time (self_wall) and keeps no stack, so the ticker
 * signals the thread again at its next look. A signal with nothing due is a duplicate (wall.c
 * resends a standard signal that may have been merged with the program's) and leaves
 * everything alone. */
static void wall_signal(struct inflame_thread *t, void *uc, int nested)
{
	uint64_t due = atomic_exchange_explicit(&t->wall_due, 0, memory_order_acq_rel);
	uint64_t run = atomic_exchange_explicit(&t->wall_due_run, 0, memory_order_acq_rel);
	int blocked;

	if (!due)
		return;
	blocked = uc && interrupted_syscall(uc);
	t->wall_flags = 0;
	if (atomic_load_explicit(&inflame__prof.sampling, memory_order_relaxed)) {
		if (in_profiler(t, nested, uc)) {
			atomic_fetch_add_explicit(&t->self_wall, due, memory_order_relaxed);
			goto out;
		}
		atomic_fetch_add_explicit(&inflame__prof.signals, 1, memory_order_relaxed);
		if (blocked)
			run = wall_run_before_call(t, due, run);
		if (blocked && run && (t->wall_run_flags & INFLAME_WALL_HAVE)) {
			/* All of them when it blocked only as the periods ended: the walk below
			 * then records nothing, it only keeps the stack it blocked at. */
			run = run < due ? run : due;
			put_wall(t, t->wall_run_frames, t->wall_run_n, t->wall_run_flags, run);
			due -= run;
		}
		inflame_sample_take(t, INFLAME_EV_WALL, due, 0, 0, uc, 0);
		if ((t->wall_flags & INFLAME_WALL_HAVE) && blocked) {
			t->wall_flags |= INFLAME_WALL_SYSCALL;
		} else if (t->wall_flags & INFLAME_WALL_HAVE) {
			memcpy(t->wall_run_frames, t->wall_frames, t->wall_n * sizeof(uint64_t));
			t->wall_run_n = t->wall_n;
			t->wall_run_flags = t->wall_flags;
		}
		inflame_shield_keep(t); /* blocked in a marked call: its site (shield.h) */
	}
out:
	/* The signal's delivery, this handler and the return into the call cost the thread CPU
	 * time, kernel time mostly, which the CPU clock charges to the next sample in user mode:
	 * at the call, until the thread is back in the program (shield.h, cpu_cost). */
	atomic_store_explicit(&t->wall_cost, blocked, memory_order_relaxed);
	t->wall_cpu = inflame__thread_cpu_ns();
	atomic_store_explicit(&t->wall_pending, 0, memory_order_release);
}

static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *a = &inflame__prof.app_sample_action;
	struct inflame_shield_pause pause;
	sigset_t old, filtered, block;

	if (!atomic_load_explicit(&inflame__prof.app_has_sample_action, memory_order_acquire))
		return; /* nobody else wants it: ignore rather than die */
	if (!(a->sa_flags & SA_SIGINFO) && (a->sa_handler == SIG_IGN || a->sa_handler == SIG_DFL))
		return;
	atomic_fetch_add_explicit(&inflame__prof.foreign, 1, memory_order_relaxed);
	__atomic_add_fetch(&inflame__sig_tls.app_runs, 1, __ATOMIC_RELAXED);
	block = *inflame_sig_filter(&a->sa_mask, &filtered);
	/* What the kernel would have blocked for the program's handler: the mask the signal
	 * interrupted, the handler's sa_mask and the signal unless the handler asked for
	 * SA_NODEFER (ours blocks every signal while it runs, init.c). On an alternate stack the
	 * signal stays blocked even then: there a sample nested below the program's handler could
	 * overflow a small stack (sigstack.h), and the program's own handler of a signal that is
	 * inflame's too cannot tell its own sends from ours. */
	if (!(a->sa_flags & SA_NODEFER) ||
	    inflame_sigstack_room(inflame_thread_self(), uc, (uintptr_t)&block) != SIZE_MAX)
		sigaddset(&block, sig);
	if (uc) {
		const sigset_t *m = &((const ucontext_t *)uc)->uc_sigmask;

		for (int s = 1; s < 65 && s < _NSIG; s++)
			if (sigismember(m, s) == 1)
				sigaddset(&block, s);
		inflame__real_pthread_sigmask(SIG_SETMASK, &block, &old);
	} else {
		inflame__real_pthread_sigmask(SIG_BLOCK, &block, &old);
	}
	inflame_shield_pause(&pause);
	if (a->sa_flags & SA_SIGINFO)
		a->sa_sigaction(sig, si, uc);
	else
		a->sa_handler(sig);
	inflame_shield_resume(&pause);
	inflame__real_pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (a->sa_flags & SA_RESETHAND)
		atomic_store(&inflame__prof.app_has_sample_action, 0);
}

/*
 * Whether a sample interrupted inflame rather than the program: this handler itself (nested is
 * 1: the program's own handler of the sampling signal, which chain() calls, was interrupted),
 * a producer (an allocation hook recording, the unwinder), or any other code of inflame's. Such a
 * sample's weight is the profiler's own (self_cpu, self_wall): its stack would have no frame of the
 * program's.
 */
static int in_profiler(const struct inflame_thread *t, int nested, const void *uc)
{
	if (nested)
		return 1;
	return atomic_load_explicit(&t->producing, memory_order_relaxed) > 0 ||
	       (uc && inflame_unwind_in_inflame(uc));
}

/* Whether a CPU sample that is not in inflame's code stands for the cost of the last wall signal
 * (wall_cost): it interrupts a system call before the thread came back to the program (the
 * call that signal interrupted, as the handler returns or once restarted). One that comes as
 * the call returns of itself is the call's own cost, the program's. The thread's next CPU
 * sample outside inflame's code ends that. */
static int cpu_cost(struct inflame_thread *t, const void *uc)
{
	int cost = atomic_load_explicit(&t->wall_cost, memory_order_relaxed) && uc &&
		   interrupted_syscall(uc);

	atomic_store_explicit(&t->wall_cost, 0, memory_order_relaxed);
	return cost;
}

/*
 * On an alternate signal stack (sigstack.h), which may be as small as 8 KiB with a guard page
 * below, a second signal frame below ours would leave too little for the walk, or none at all:
 * every signal is blocked while the handler runs there. The kernel blocked them as it entered
 * the handler (its sa_mask is full, init.c), and the return from the handler restores the mask
 * it saved in the signal context, the program's: a signal that came meanwhile comes after it, at
 * the top of the stack. Without a signal context (uc NULL) the handler blocks them itself (*old
 * receives the mask to restore). Returns 1 on the alternate stack, with the thread's
 * sigstack_lo set, whose previous value *lo receives.
 */
static int sigstack_enter(struct inflame_thread *t, const void *uc, sigset_t *old, uintptr_t *lo)
{
	sigset_t all;
	size_t room = inflame_sigstack_room(t, uc, (uintptr_t)&all);

	*lo = t->sigstack_lo;
	if (room == SIZE_MAX)
		return 0;
	if (!uc) {
		sigfillset(&all);
		if (inflame__real_pthread_sigmask(SIG_BLOCK, &all, old) != 0)
			return 0;
	}
	t->sigstack_lo = (uintptr_t)&all - room;
	return 1;
}

static void sigstack_leave(struct inflame_thread *t, const void *uc, const sigset_t *old,
			   uintptr_t lo)
{
	t->sigstack_lo = lo;
	if (!uc)
		inflame__real_pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* After an instance of the sampling signal that was not the wall ticker's (a CPU clock overflow,
 * the program's own): while the ticker waits for a wall sample of thread t, its signal may have
 * come while this one was pending, and a standard signal is not queued twice: the kernel dropped
 * it (wall.c). The thread sends it again to itself. It stays blocked until this handler
 * returns, and is then delivered where the ticker's would have been; when the ticker's is still
 * pending (it came after this one was taken), the kernel drops this one instead. A real-time
 * signal is always queued: nothing to do. */
static void wall_requeue(const struct inflame_thread *t, int sig)
{
	if (t && sig < SIGRTMIN && atomic_load_explicit(&t->wall_pending, memory_order_acquire))
		inflame_wall_queue(t->tid);
}

/* Of the all periods a clock's signal brought to thread t, those past the taken ones that its
 * sample stands for: a sample stands for at most a few (perf_periods), and none once sampling
 * stopped. They are in t's CPU time and in no sample: counted (writer.c, THREAD_CPU). */
static void drop_periods(struct inflame_thread *t, uint64_t all, uint64_t taken)
{
	if (all > taken)
		atomic_fetch_add_explicit(&t->dropped, all - taken, memory_order_relaxed);
}

/* A CPU sample of thread t that landed in inflame's code or stands for the cost of a wall
 * signal: its n periods are the profiler's own. They include the handler's time they overlap,
 * which is then no longer owed (selfcost.h): it is not charged twice. */
static void self_sample(struct inflame_thread *t, uint64_t n)
{
	uint64_t p = inflame__cpu_period_ns() * n;

	atomic_fetch_add_explicit(&t->self_cpu, n, memory_order_relaxed);
	t->handler_owed = t->handler_owed > p ? t->handler_owed - p : 0;
}

/* Stack the debugger check takes in the handler (tracer.h): the status file's head, a note. */
#define TRACER_STACK 4096

/* The debugger check at a CPU sample of thread t (tracer.h), unless set-up or an earlier point
 * made it: 0 to take the sample. Traced, sampling stops and the sample is dropped; so is one
 * that comes while another thread asks. On an alternate stack (masked) with too little room
 * for the check (a program's may be 8 KiB, sigstack.h) the sample is dropped unasked: the next
 * one, or the writer thread's start, asks. */
static int tracer_first_sample(const struct inflame_thread *t, int masked)
{
	char here;

	if (inflame_tracer_clear())
		return 0;
	if (masked && (uintptr_t)&here - t->sigstack_lo < TRACER_STACK)
		return 1;
	return inflame_tracer_check("its first sample");
}

void inflame_sample_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	uint64_t entered = inflame__now_raw();
	struct inflame_thread *t = inflame_thread_self();
	uint64_t weight, own, kern, all, mine;
	int ev, nested = 0, masked = 0;
	sigset_t old;
	uintptr_t lo = 0;

	__atomic_add_fetch(&inflame__sig_tls.own_runs, 1, __ATOMIC_RELAXED);
	/* A fork child's first sample (or any signal of its) settles it first, and so does an
	 * image's whose set-up waited for it (init.c): then it has its thread's slot. */
	if (__builtin_expect(inflame__prof.fork_pending, 0) && inflame__settle_in_handler())
		t = inflame_thread_self();

	if (!t && atomic_load_explicit(&inflame__prof.sampling, memory_order_relaxed)) {
		/* a thread registered from outside (it existed before us): bind it now */
		t = inflame_thread_find(inflame__gettid());
		if (t)
			inflame_thread_bind(t);
	}
	if (t) {
		/* Only this thread and its handlers touch the depth, each restoring it. */
		nested = t->in_handler;
		t->in_handler = nested + 1;
		atomic_signal_fence(memory_order_seq_cst);
	}
	ev = classify(sig, si, t, entered, &weight, &own, &kern, &all);
	/* (an image that could not settle yet: its periods are counted as dropped there) */
	if (!t && ev == INFLAME_EV_CPU && inflame__prof.unset)
		inflame__prof.fork_clock.dropped += weight;
	if (ev == -1) {
		if (t) {
			atomic_signal_fence(memory_order_seq_cst);
			t->in_handler = nested; /* the program's handler is the program's time */
		}
		chain(sig, si, uc);
		if (sig == inflame__prof.sample_sig)
			wall_requeue(t, sig);
		errno = saved;
		return;
	}
	if (t)
		masked = sigstack_enter(t, uc, &old, &lo);
	if (ev == INFLAME_EV_WALL) {
		/* The ticker's signal (wall.c), which keeps its own books. */
		if (t)
			wall_signal(t, uc, nested);
		/* (a thread running in bursts that its POSIX timer's tick missed: timer.c) */
		if (t && inflame_timer_late(t, t->wall_cpu) &&
		    atomic_load_explicit(&inflame__prof.sampling, memory_order_relaxed))
			inflame_timer_to_perf_clock(t);
	} else if (ev >= 0 && t &&
		   atomic_load_explicit(&inflame__prof.sampling, memory_order_relaxed)) {
		if (tracer_first_sample(t, masked)) {
			drop_periods(t, all, 0);
			goto done;
		}
		if (in_profiler(t, nested, uc) || cpu_cost(t, uc)) {
			self_sample(t, own ? own : weight);
			drop_periods(t, all, own ? own : weight);
		} else {
			/* The periods the handler's own runs made (selfcost.h). */
			mine = inflame_selfcost_take(&t->handler_owed, &weight,
						     inflame__cpu_period_ns());
			if (mine)
				atomic_fetch_add_explicit(&t->self_cpu, mine, memory_order_relaxed);
			drop_periods(t, all, weight + kern + mine);
			/* Periods of the kernel's switches that the count missed (clock_cost). */
			kern += t->cost_kern;
			t->cost_kern = 0;
			if (kern)
				inflame_sample_put_kernel(t, kern);
			t->cpu_kern = kern != 0;
			if (weight) {
				atomic_fetch_add_explicit(&inflame__prof.signals, 1,
							  memory_order_relaxed);
				inflame_sample_take(t, ev, weight, 0, 0, uc, 0);
			}
		}
		/* The first sample of a thread on the POSIX timer of its start (timer.c). */
		if (atomic_load_explicit(&t->lazy, memory_order_relaxed) == 1)
			inflame_timer_to_perf_clock(t);
	} else if (ev >= 0 && t &&
		   t->tid == atomic_load_explicit(&inflame__prof.setup_tid, memory_order_relaxed)) {
		/* A period of inflame's set-up, before sampling starts (init.c). */
		self_sample(t, own ? own : weight);
		drop_periods(t, all, own ? own : weight);
	} else if (ev >= 0 && t) {
		drop_periods(t, all, 0); /* (sampling stopped meanwhile) */
	}
done:
	if (masked)
		sigstack_leave(t, uc, &old, lo);
	if (ev != INFLAME_EV_WALL)
		wall_requeue(t, sig);
	if (t) {
		atomic_signal_fence(memory_order_seq_cst);
		t->in_handler = nested;
		/* (a nested run is inside the outer one's) */
		if (!nested)
			inflame_selfcost_add(&t->handler_owed, &inflame__prof.handler, entered,
					     inflame__now_raw());
	}
	errno = saved;
}

/* A writer thread that waits for a safe point (writer.h) is wanted now: one is taken if the
 * dump signal interrupted the program at one. Else the dump waits for the writer (a later
 * sample at a safe point, a hook, or the image's end). */
static void dump_safepoint(void *uc)
{
	struct inflame_thread *t = inflame_thread_self();
	size_t n;
	int truncated = 0;

	if (!uc || !t || !t->scratch || atomic_load_explicit(&t->producing, memory_order_relaxed))
		return;
	atomic_store_explicit(&t->producing, 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	/* (no libunwind: the handler may run on a small alternate stack) */
	n = inflame_unwind_pick(
	    (enum inflame_unwind)((int)inflame__prof.cfg.unwind | INFLAME_UNWIND_NO_LIBUNWIND), t,
	    uc, 0, t->scratch, inflame__prof.cfg.max_depth, &truncated);
	inflame__safepoint_offer(t, uc, t->scratch, n, truncated, 1);
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&t->producing, 0, memory_order_relaxed);
}

void inflame_sample_dump_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)sig;
	(void)si;
	__atomic_add_fetch(&inflame__sig_tls.own_runs, 1, __ATOMIC_RELAXED);
	/* (a fork child or an image that had not: init.c; an image that cannot yet settles
	 * later, and its writer finds the request then) */
	inflame__settle_in_handler();
	inflame_writer_request(INFLAME_WRITER_DUMP);
	if (inflame_safepoint_armed())
		dump_safepoint(uc);
	errno = saved;
}

/* The outermost producer (level 0) of an allocation event whose ring refused it may wait for
 * room (full tracing, alloc.h). It waits as no producer: it holds no claim then, so a handler
 * that interrupts the wait may produce, and wait, too; but that handler may reuse the level 0
 * scratch frames. Returns 1 when there is room now. */
static int wait_as_idle(struct inflame_thread *t, int level, uint64_t bytes)
{
	int ok;

	if (level)
		return 0;
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&t->producing, level, memory_order_relaxed);
	ok = inflame_alloc_wait_room(t, bytes);
	atomic_store_explicit(&t->producing, level + 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	return ok;
}

/* The unwinder a walk from signal context may use with the room left on the alternate signal
 * stack the handler runs on (sigstack.h), from here down: the configured one when it fits,
 * else one that needs less, else -1 (no walk). Counts the samples it narrows. */
static int fit_walk(const struct inflame_thread *t, uintptr_t here)
{
	int mode = (int)inflame__prof.cfg.unwind;
	size_t room = here > t->sigstack_lo ? here - t->sigstack_lo : 0;

	if (room >= (mode == INFLAME_UNWIND_FP ? INFLAME_SIGSTACK_NEED_FP
					       : INFLAME_SIGSTACK_NEED_LIBUNWIND))
		return mode;
	if (room < INFLAME_SIGSTACK_NEED_FP) {
		atomic_fetch_add_explicit(&inflame__prof.sigstack_nostack, 1, memory_order_relaxed);
		return -1;
	}
	atomic_fetch_add_explicit(&inflame__prof.sigstack_narrow, 1, memory_order_relaxed);
	return room >= INFLAME_SIGSTACK_NEED_TABLE ? mode | INFLAME_UNWIND_NO_LIBUNWIND
						   : INFLAME_UNWIND_FP;
}

/* Marks slot s of the thread's remembered stacks as used now. The outermost producer only. */
static inline void use_slot(struct inflame_thread *t, unsigned s)
{
	t->last_used[s] = ++t->last_clock;
}

/* The slot of the stack frames[0..n) among the thread's remembered ones (thread.h): of the set
 * its hash names, the one that holds it (*same set), else the one used least recently (which
 * the record then fills). The outermost producer only. */
static unsigned pick_slot(struct inflame_thread *t, const uint64_t *frames, size_t n, int truncated,
			  int *same)
{
	unsigned s = inflame_thread_same_slot(frames, n), way = 0;

	*same = 0;
	for (unsigned i = 0; i < INFLAME_SAME_WAYS; i++) {
		if (!truncated && inflame_thread_same_in(t, s + i, frames, n)) {
			way = i;
			*same = 1;
			break;
		}
		/* (a wrap of the clock only makes a poorer choice, once) */
		if (t->last_used[s + i] < t->last_used[s + way])
			way = i;
	}
	use_slot(t, s + way);
	return s + way;
}

/* Keeps the stack of a CPU sample that found thread t running its own code, for the wall
 * ticker (thread.h, cpu_frames): odd cpu_seq while it writes, even again after. Not one that
 * came after time in the kernel (its periods split, *kern) nor one in a system call: a wall
 * sample of such a thread, which may be in its system calls for much of its wall time, is
 * taken by a signal, which finds it there. */
static void keep_cpu_stack(struct inflame_thread *t, const uint64_t *frames, size_t n,
			   int truncated)
{
	uint32_t seq = atomic_load_explicit(&t->cpu_seq, memory_order_relaxed);

	atomic_store_explicit(&t->cpu_seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(t->cpu_frames, frames, n * sizeof(uint64_t));
	t->cpu_n = (uint32_t)n;
	t->cpu_flags = truncated ? INFLAME_WALL_TRUNCATED : 0;
	t->cpu_time = inflame__now_monotonic();
	atomic_store_explicit(&t->cpu_seq, seq + 2, memory_order_release);
}

/* Counts a hook that took its stack from the call-site cache, or one that walked (thread.h:
 * the thread's own counters, which the writer reads). */
static inline void site_count(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

#define SITE_UNFIT 64
#define SITE_PAUSE 1024

/* Whether an allocation hook looks in the call-site cache (see inflame_sample_take). */
static inline int site_look(struct inflame_site_cache *sc)
{
	if (__builtin_expect(sc->pause == 0, 1))
		return 1;
	if (--sc->pause == 0)
		sc->unfit = 0;
	return 0;
}

int inflame_sample_take(struct inflame_thread *t, int event, uint64_t weight, uint64_t size,
			uint64_t addr, void *uc, uintptr_t fp)
{
	unsigned max = inflame__prof.cfg.max_depth;
	/* Only this thread and its signal handlers touch the nesting depth, and a handler leaves
	 * it as it found it: a plain load and store suffice (no locked instruction). */
	int level = atomic_load_explicit(&t->producing, memory_order_relaxed);
	uint64_t *frames;
	const uint64_t *stack; /* the frames of the sample: frames, or a remembered stack */
	struct inflame_rec *rec;
	size_t n = 0, kept;
	uint64_t before, seq, tag = 0;
	int truncated = 0, rc = -ENOSPC;
	/* An allocation hook's outermost record may refer to the stack of the thread's previous
	 * one instead of repeating it: a handler that interrupts it is never outermost. */
	int outer = event == INFLAME_EV_ALLOC && !uc && level == 0, same, hit = 0, site = -1;
	unsigned slot, trust = 1u, site_seq = 1;
	struct inflame_hook_frame hf;

	atomic_store_explicit(&t->producing, level + 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	if (level >= INFLAME_SCRATCH_LEVELS || !t->scratch) {
		atomic_fetch_add_explicit(&t->ring.dropped, 1, memory_order_relaxed);
		goto out;
	}
	frames = t->scratch + (size_t)level * max;
	stack = frames;
	/* A hook called from where the thread allocated before, under the same calls: the stack
	 * remembered then, without a walk (the call-site cache, thread.h), when the remembered
	 * slot still holds it. A thread whose last SITE_UNFIT hooks were all called from code the
	 * cache cannot vouch for (a program with frame pointers, walked cheaply without it) does
	 * not look for the next SITE_PAUSE. */
	if (outer && inflame__prof.cfg.unwind != INFLAME_UNWIND_FP && site_look(t->sites) &&
	    inflame_unwind_hook_frame(t, fp, &hf) == 0) {
		site = inflame_unwind_site_find(t, inflame__prof.cfg.unwind, &hf, &site_seq, &tag);
		if (site < 0 && ++t->sites->unfit == SITE_UNFIT)
			t->sites->pause = SITE_PAUSE;
		else if (site >= 0)
			t->sites->unfit = 0;
		if (site > 0) {
			slot = (unsigned)tag & (INFLAME_SAME_SLOTS - 1);
			if (t->last_n[slot] && t->last_gen[slot] == (uint32_t)(tag >> 32)) {
				hit = 1;
				stack = t->last_frames + (size_t)slot * INFLAME_SAME_MAX;
				n = t->last_n[slot];
				use_slot(t, slot);
			} else {
				site = 0; /* (its slot holds another stack now) */
			}
		}
		if (site >= 0)
			site_count(hit ? &t->sites->hits : &t->sites->misses);
	}
	/* (taken before the walk: a map changed meanwhile keeps nothing of it) */
	if (outer && !hit)
		trust = inflame_modules_trust_mark();
	if (hit) {
		/* (an allocation hook: nothing below is for it) */
	} else if (uc && t->sigstack_lo) {
		int mode = fit_walk(t, (uintptr_t)__builtin_frame_address(0));

		if (mode >= 0)
			n = inflame_unwind_pick((enum inflame_unwind)mode, t, uc, fp, frames, max,
						&truncated);
	} else {
		n = inflame_unwind_pick(inflame__prof.cfg.unwind, t, uc, fp, frames, max,
					&truncated);
	}
	/* An image waiting to start its writer thread may do it on the way back (writer.c). On
	 * an alternate signal stack (sigstack.h) only a walk that reached its end is offered:
	 * the safe point's test of a walk cut at the depth limit walks the whole stack again,
	 * which may not fit there, and another sample will offer one. (Not offering any there
	 * left the writer unstarted for good in a program whose every thread has an alternate
	 * stack, as LLVM's tools set one: clang -e cpu kept 20-28% of its samples, dropping the
	 * rest from its full ring.) */
	if (uc && level == 0 && event == INFLAME_EV_CPU && (!t->sigstack_lo || !truncated))
		inflame_safepoint_offer(t, uc, frames, n, truncated);
	if (event == INFLAME_EV_CPU && uc && level == 0 && t->cpu_frames && !t->cpu_kern &&
	    (inflame__prof.cfg.events & INFLAME_EVMASK_WALL) && !interrupted_syscall(uc))
		keep_cpu_stack(t, frames, n, truncated);
	if (event == INFLAME_EV_WALL && t->wall_frames) {
		/* The stack the ticker repeats while the thread stays blocked (wall_signal). */
		memcpy(t->wall_frames, frames, n * sizeof(uint64_t));
		t->wall_n = (uint32_t)n;
		t->wall_flags = INFLAME_WALL_HAVE | (truncated ? INFLAME_WALL_TRUNCATED : 0);
		if (!weight)
			goto out; /* only the stack was asked for (wall_signal) */
	}
	if (hit)
		same = 1;
	else
		slot = outer ? pick_slot(t, frames, n, truncated, &same) : 0;
	same = outer && same;
	kept = same ? 0 : n;
	/* The order first: a locked instruction is cheapest before the record's stores. */
	seq = event == INFLAME_EV_ALLOC ? inflame_alloc_next_seq() : 0;
	before = inflame_ring_used(&t->ring, 0);
	rec = inflame_ring_try_reserve(&t->ring, sizeof(*rec) + kept * sizeof(uint64_t),
				       (uint16_t)event);
	if (!rec && event == INFLAME_EV_ALLOC && !uc &&
	    wait_as_idle(t, level, sizeof(*rec) + kept * sizeof(uint64_t))) {
		/* The same walk again: a handler may have overwritten the frames meanwhile, and
		 * recorded (as the outermost producer then) a stack of its own. */
		n = inflame_unwind_pick(inflame__prof.cfg.unwind, t, uc, fp, frames, max,
					&truncated);
		stack = frames;
		hit = 0;
		site = -1; /* (the walk cache may be the handler's now) */
		slot = outer ? pick_slot(t, frames, n, truncated, &same) : 0;
		same = outer && same;
		kept = same ? 0 : n;
		rec = inflame_ring_try_reserve(&t->ring, sizeof(*rec) + kept * sizeof(uint64_t),
					       (uint16_t)event);
	}
	/* An image whose allocation hooks do the writer's work (writer.h), at a safe stack. */
	if (outer && inflame_safepoint_armed()) {
		int due = inflame_writer_hook_due(&t->ring);

		if (due && inflame_safepoint_hook_safe(stack, n, truncated, due > 1))
			t->hook_cycle = 1;
	}
	if (!rec) {
		atomic_fetch_add_explicit(&t->ring.dropped, 1, memory_order_relaxed);
		if (outer) {
			t->last_n[slot] = 0; /* the writer will not see this one */
			t->last_gen[slot]++;
		}
		goto out;
	}
	rec->seq = seq;
	rec->time = seq ? inflame_alloc_now() : inflame__now_monotonic();
	rec->weight = weight;
	rec->size = size;
	rec->addr = addr;
	rec->nframes = (uint32_t)kept;
	rec->flags = (truncated ? INFLAME_REC_TRUNCATED : 0) | (outer ? INFLAME_REC_OUTER : 0) |
		     (same ? INFLAME_REC_SAME_STACK : 0) | INFLAME_REC_SLOT(slot);
	if (kept)
		memcpy(rec->frames, frames, kept * sizeof(uint64_t));
	if (outer && !same) {
		/* What the writer will remember too (thread.h). */
		/* (not a walk that went on by frame pointers while libunwind was on its way, nor
		 * one that a dlclose may have cut short) */
		if (!truncated && n <= INFLAME_SAME_MAX && !inflame_unwind_dwarf_coming() &&
		    inflame_modules_trust_kept(trust)) {
			memcpy(t->last_frames + (size_t)slot * INFLAME_SAME_MAX, frames,
			       n * sizeof(uint64_t));
			t->last_n[slot] = (uint32_t)n;
		} else {
			t->last_n[slot] = 0;
		}
		t->last_gen[slot]++;
	}
	/* A walk the call-site cache may vouch for, now in its slot: a later hook from the same
	 * first frame refers to that slot while it holds these frames (last_gen). */
	if (site == 0 && t->last_n[slot] == n && inflame_modules_trust_kept(trust))
		inflame_unwind_site_keep(t, &hf, site_seq, frames, n,
					 slot | (uint64_t)t->last_gen[slot] << 32);
	inflame_ring_commit(rec);
	inflame_sample_maybe_wake(&t->ring, before);
	rc = 0;
out:
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&t->producing, level, memory_order_relaxed);
	return rc;
}

/* Claims a record of len bytes for event as a producer (t->producing raised, as in
 * inflame_sample_take, so that a handler interrupting us before the commit does not wait for
 * room that only our commit can make); *level receives the depth to restore in put_done().
 * Only allocation events may wait for room: a cpu record comes from the signal handler.
 * put_begin and put_done are inline in their three producers: as calls they were 36 of the
 * instructions each free costs in full tracing (callgrind, bench-alloc's python3). */
static inline __attribute__((always_inline)) void *
put_begin(struct inflame_thread *t, int event, size_t len, int *level, uint64_t *before)
{
	void *rec;

	*level = atomic_load_explicit(&t->producing, memory_order_relaxed);
	atomic_store_explicit(&t->producing, *level + 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	*before = inflame_ring_used(&t->ring, 0);
	rec = inflame_ring_try_reserve(&t->ring, len, (uint16_t)event);
	if (!rec && event != INFLAME_EV_CPU && wait_as_idle(t, *level, len))
		rec = inflame_ring_try_reserve(&t->ring, len, (uint16_t)event);
	if (!rec)
		atomic_fetch_add_explicit(&t->ring.dropped, 1, memory_order_relaxed);
	return rec;
}

static inline __attribute__((always_inline)) int put_done(struct inflame_thread *t, void *rec,
							  int level, uint64_t before)
{
	if (rec) {
		inflame_ring_commit(rec);
		inflame_sample_maybe_wake(&t->ring, before);
	}
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&t->producing, level, memory_order_relaxed);
	return rec ? 0 : -ENOSPC;
}

int inflame_sample_put_restore(struct inflame_thread *t, uint64_t addr)
{
	/* An ALLOC, numbered after the FREE it undoes. */
	uint64_t seq = inflame_alloc_next_seq(), before;
	int level;
	struct inflame_rec *rec = put_begin(t, INFLAME_EV_ALLOC, sizeof(*rec), &level, &before);

	if (rec)
		*rec = (struct inflame_rec){.seq = seq,
					    .time = inflame_alloc_now(),
					    .addr = addr,
					    .flags = INFLAME_REC_RESTORE};
	return put_done(t, rec, level, before);
}

int inflame_sample_put_kernel(struct inflame_thread *t, uint64_t weight)
{
	uint64_t before;
	int level;
	struct inflame_rec *rec =
	    put_begin(t, INFLAME_EV_CPU, sizeof(*rec) + sizeof(uint64_t), &level, &before);

	if (rec) {
		*rec = (struct inflame_rec){
		    .time = inflame__now_monotonic(), .weight = weight, .nframes = 1};
		rec->frames[0] = INFLAME_FRAME_KERNEL;
	}
	return put_done(t, rec, level, before);
}

int inflame_sample_put_free(struct inflame_thread *t, uint64_t addr)
{
	/* Numbered before the block is given back. */
	uint64_t seq = inflame_alloc_peek_seq(), before;
	int level;
	struct inflame_free_rec *rec = put_begin(t, INFLAME_EV_FREE, sizeof(*rec), &level, &before);

	if (rec) {
		rec->seq = seq;
		rec->addr = addr;
	}
	return put_done(t, rec, level, before);
}
