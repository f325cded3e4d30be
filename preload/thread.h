/*
 * The thread registry: one slot per live (or recently exited) thread of the process, in a
 * table mapped once at start-up. A slot owns the thread's ring, its CPU timer, its stack bounds
 * (for bounds-checked unwinding) and its name.
 *
 * Life of a slot: FREE -> (claimed by the registering thread) INIT -> ACTIVE -> EXITED (the
 * thread is gone; the writer drains what is left, records the name, unmaps the ring) -> FREE.
 * The thread's own pointer to its slot lives in initial-exec TLS, so the signal handler and
 * allocation hooks find it with one load.
 */
#ifndef INFLAME_THREAD_H
#define INFLAME_THREAD_H

#include "modules.h"
#include "ring.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define INFLAME_MAX_THREADS    8192
#define INFLAME_SCRATCH_LEVELS 4
/* The deepest stack an allocation record may refer to instead of repeating it (see last_n),
 * and how many such stacks each thread remembers (a power of two, in sets of INFLAME_SAME_WAYS:
 * 8 KiB of frames on each side; python3's loop of bench-alloc finds 99.8% of its stacks there,
 * 61% with 8 slots one by one). */
#define INFLAME_SAME_MAX   32
#define INFLAME_SAME_SLOTS 32
#define INFLAME_SAME_WAYS  8
/* The most frames the tail cache (tail_frames) keeps. */
#define INFLAME_TAIL_MAX 32
/* The most frames the walk cache (struct inflame_walk_cache) keeps. */
#define INFLAME_WALK_CACHE_MAX 128
/* wall_flags: the handler kept a stack (wall_frames); it was cut at max_depth; the handler
 * interrupted a system call (the thread was blocked there). */
#define INFLAME_WALL_HAVE      1u
#define INFLAME_WALL_TRUNCATED 2u
#define INFLAME_WALL_SYSCALL   4u
/* The return addresses above a kept call site that the thread checks at each marked call. */
#define INFLAME_WALL_SITE_SLOTS 8

/* The call sites a thread keeps at once (struct inflame_wall_site). */
#define INFLAME_WALL_SITES 4

/* One kept call site (the thread's wall handler writes it, the thread reads it at each marked
 * call, the ticker reads it while wall_pending is 0): ra 0 = none. Its stack (as the handler
 * walked it) is frames[0..nframes), INFLAME_WALL_TRUNCATED in flags when cut; in the scratch
 * mapping. sum adds up the time the thread spent in its calls at the site, up to its last
 * return from one (written by the thread); gen moves when the entry is given to another site
 * (its sum starts over). */
struct inflame_wall_kept {
	uintptr_t ra, sp;
	uint32_t n;
	uintptr_t slot[INFLAME_WALL_SITE_SLOTS];
	uint64_t val[INFLAME_WALL_SITE_SLOTS];
	uint32_t nframes, flags;
	uint64_t *frames;
	_Atomic uint64_t sum;
	_Atomic uint32_t gen;
};

/*
 * The call sites of the EINTR shield's marked calls (shield.h), for the wall ticker (wall.c).
 * At each marked call the thread notes where it was called from (ra, sp: its caller's return
 * address and stack pointer) and which kept site that is, if any: a site a wall sample found it
 * blocked at, with the same return address and stack pointer, and the same return addresses in
 * the stack slots above them (slot, val) as then. A thread that goes back to its kept sites
 * again and again (a loop of naps, an idle worker's timed wait, a thread that blocks at two
 * places in turn) is at the same stacks each time, so the ticker repeats them without
 * signalling it, each with the time the thread spent there (its sum). gap adds up the wall time
 * between the thread's calls at kept sites (the time it ran between them); other counts the
 * marked calls elsewhere and the program's handlers that ran. The handler keeps up to
 * INFLAME_WALL_SITES sites, in turn (next).
 */
struct inflame_wall_site {
	uintptr_t ra, sp; /* the current (or last) marked call's (written by the thread) */
	_Atomic int same; /* that call is at kept[same - 1]; 0: at none */
	_Atomic uint64_t gap, other;
	uint32_t next; /* the entry the handler gives to the next new site */
	struct inflame_wall_kept kept[INFLAME_WALL_SITES];
};

enum inflame_slot_state {
	INFLAME_SLOT_FREE = 0,
	INFLAME_SLOT_INIT,
	INFLAME_SLOT_ACTIVE,
	INFLAME_SLOT_EXITED,
};

/* A thread's CPU time: its CPU clock (user + system) and the system part of it, ns. */
struct inflame_cpu_times {
	uint64_t cpu, sys;
};

/*
 * The table walk of the thread's last allocation (unwind_sigsafe.c), from its outermost frame
 * (e[0], the step that ended it) to its leaf: for each frame the registers the walk had there
 * (pc, sp, fp), the stack slots the step to it read the return address and the frame pointer
 * from (0: none), and whether the rest of the walk from there needs the frame pointer
 * register's value (a frame pointer based rule before the register is restored from a slot).
 * A later walk that reaches a frame with the same registers, while every slot above it still
 * holds what the walk read there, would walk the same frames above it: it takes them from
 * here. Outermost producer only; n 0 = none.
 */
struct inflame_walk_entry {
	uint64_t pc, sp, fp, slot_ra, slot_fp;
	uint32_t need_fp, used_fp;
};

/* The rows the table walk found lately for return addresses (by the table and the address in
 * it), copied: a walk steps through the same few call sites again and again, and a row found
 * here costs a comparison instead of a search of the table and a cache miss on its row.
 * Tables are never unmapped, so an entry stays true. Outermost producer only, with the walk
 * cache; tab NULL = none. */
#define INFLAME_ROW_MEMO 64
struct inflame_row_memo {
	const void *tab; /* struct inflame_eh_table */
	uint64_t rel;	 /* the address looked up, link-time */
	uint64_t lo, hi; /* link-time addresses the row covers */
	struct inflame_eh_row row;
};

struct inflame_walk_cache {
	uint32_t n;
	/* The walk under way stored the cache whole: e[n - 1] is the frame it started from. The
	 * call-site cache (struct inflame_site_cache) takes its checks from there. */
	uint32_t whole;
	uint64_t hits; /* walks that took their outer frames from here */
	struct inflame_walk_entry e[INFLAME_WALK_CACHE_MAX];
	struct inflame_walk_entry leaf[INFLAME_WALK_CACHE_MAX]; /* the walk under way, leaf first */
	struct inflame_row_memo rows[INFLAME_ROW_MEMO];
};

/*
 * The call-site cache of an allocation hook's walks (unwind_sigsafe.c): for the program's
 * first frame under the hook (its return address pc, stack pointer sp, frame pointer register
 * fp, and leaf, the last return address into inflame's code) the stack slots a whole table
 * walk from there read (slot) with the words it found (val), and a tag of the caller's for
 * the frames it gave. The table walk depends on nothing else while the code map stays the same
 * (seq): a later hook with the same first frame, whose slots all hold the same words, would
 * walk the same frames, and takes the tag instead. INFLAME_SITE_WAYS ways per hash of the
 * first frame, the one used least recently replaced. With two ways per hash (and two slots per
 * hash of the stacks remembered, last_n below), the hot stacks of a loop that fell in one pair
 * took turns to evict each other, by the luck of the addresses: six runs in ten of
 * bench-alloc's python3 walked 0.26 to 4 million of their 5.8 million allocations instead of
 * 17 thousand, at up to twice the CPU. Outermost producer only, in the scratch mapping.
 */
#define INFLAME_SITES	    64 /* entries, in sets of INFLAME_SITE_WAYS */
#define INFLAME_SITE_WAYS   4
#define INFLAME_SITE_CHECKS 64 /* the most slots an entry checks */
struct inflame_site {
	uint64_t leaf, pc, sp, fp;
	uint32_t need_fp, nchecks; /* nchecks 0: empty */
	unsigned seq;
	uint32_t used; /* the cache's clock when it was last found or filled */
	uint64_t tag;
	struct inflame_site_check {
		uint64_t slot, val;
	} chk[INFLAME_SITE_CHECKS];
};
struct inflame_site_cache {
	/* Hooks that found their stack here, and those that walked (written by the thread only,
	 * in inflame_sample_take, where a hook whose entry names a slot that holds another stack
	 * now walks after all; the writer reads them, inflame_thread_site_counts). */
	_Atomic uint64_t hits, misses;
	/* Hooks in a row whose first frame the cache could not vouch for (an object with frame
	 * pointers), and hooks left that do not look (inflame_sample_take). */
	uint32_t unfit, pause;
	uint32_t clock; /* moves at each use of an entry (used) */
	struct inflame_site e[INFLAME_SITES];
};

struct inflame_thread {
	_Atomic int state;
	pid_t tid;
	pthread_t pthread;
	int has_pthread;
	uintptr_t stack_lo, stack_hi; /* [lo, hi): 0, 0 when unknown */
	struct inflame_ring ring;
	uint64_t *scratch;     /* INFLAME_SCRATCH_LEVELS x max_depth frames */
	_Atomic int producing; /* nesting depth of producers on this thread */
	_Atomic int in_dl;     /* inside dlopen/dlclose/dl_iterate_phdr */
	/* The outermost allocation sample just taken was at a safe stack with a cycle of the
	 * writer due (writer.h: inflame_writer_hook_due): its hook does the cycle. */
	int hook_cycle;
	int perf_fd; /* -1 when none */
	/* Bumped by whoever installs a new perf event in perf_fd, before enabling it: the
	 * handler then counts from 0 (a reset only when the event is really new). */
	_Atomic unsigned perf_gen;
	/* The perf clock's books, kept by the signal handler only (sample_sigsafe.c): the count
	 * the samples so far stand for; the event (perf_gen) they belong to; the count read at
	 * the last read() and the monotonic raw clock just before that read (perf_anchor_ns 0:
	 * no read yet). */
	uint64_t perf_seen;
	unsigned perf_seen_gen;
	uint64_t perf_anchor_count, perf_anchor_ns;
	/* The thread's system time that samples may still charge beyond the usual cap: its
	 * system time at the event's start plus the periods charged so far on that account. */
	uint64_t perf_sys_charged;
	/* The perf clock's own cost (sample_sigsafe.c, clock_cost), kept by the signal handler
	 * only: the event's count and the thread's CPU clock at the last check (cost_cpu 0: none
	 * yet), and the timer epoch (timer.h) they were read in. The descriptor of the perf event
	 * the thread left for a POSIX timer (-1: none), whose last signal may still come.
	 * cost_lost: the CPU the count missed that is not yet a whole period; cost_kern: the
	 * whole periods of it the next sample puts under the kernel pseudo-frame. cost_sw: the
	 * thread's context switches at the last check. */
	uint64_t cost_count, cost_cpu, cost_lost, cost_kern, cost_sw;
	unsigned cost_epoch;
	int perf_retired;
	/* In a fork child: its copy of the parent's perf event (-1: none) and the parent thread's
	 * id it was opened for (inflame_timer_keep_inherited). */
	int perf_inherited;
	pid_t perf_inherited_tid;
	/* The POSIX timer on the thread's CPU clock (the kernel's timer id), when has_timer;
	 * posix_moved: the thread left its perf clock for it (inflame_timer_to_thread_clock). */
	int timer;
	_Atomic int has_timer;
	/* The thread's CPU clock when that timer was last armed, and the periods its signals
	 * stood for since (the handler adds each signal's 1 + overruns): its expiries are at
	 * fixed points of the clock, so the CPU past the last one a signal brought is in no
	 * sample (timer.c, inflame_timer_unsampled_ns). */
	uint64_t timer_cpu0;
	_Atomic uint64_t timer_periods;
	_Atomic int posix_moved;
	/* The thread is on the POSIX timer of its start, waiting for its first sample to move to
	 * its perf clock (INFLAME_CPU_TIMER=auto: inflame_timer_to_perf_clock). Still set at its
	 * end: it never had a perf event. */
	_Atomic int lazy;
	char name[16];
	_Atomic int name_dirty; /* the writer should record the name again */
	_Atomic uint64_t truncated;
	/* Wall sampling (wall.c). The ticker sets wall_pending, then wall_due, then signals the
	 * thread (which signals itself again after another instance of the signal while
	 * wall_pending is set: the kernel may have dropped the ticker's); the thread's handler
	 * takes wall_due as its sample's weight, keeps the stack in wall_frames (wall_n frames,
	 * wall_flags), reads the thread's CPU clock into wall_cpu and clears wall_pending last
	 * (release). The ticker reads wall_frames and wall_cpu only while wall_pending is 0, when
	 * no handler writes them. */
	_Atomic int wall_pending;
	_Atomic uint64_t wall_due; /* periods the next wall sample stands for */
	/* Of those, the periods the thread spent running since its last sample (by its CPU
	 * clock): the sample's if it finds the thread running, else its last running stack's. */
	_Atomic uint64_t wall_due_run;
	/* When the periods of wall_due end (monotonic ns; the ticker sets it before it adds to
	 * wall_due). A signal that finds the thread blocked in a marked call (shield.h) it entered
	 * at wall_block_in gives the periods from then on to that call, the ones before to where
	 * it last ran: the ticker, itself waiting for a CPU, may send its signal long after it
	 * looked, when the thread it found running has blocked again. */
	_Atomic uint64_t wall_due_end;
	uint64_t wall_cpu; /* the thread's CPU clock (ns) as its last wall handler ended */
	/* When the thread last entered a blocking call of the EINTR shield (shield.h) and when it
	 * last came back from one to the program (monotonic ns, 0: never; written by the thread,
	 * only with wall sampling on): the wall ticker splits the periods of a look at them. */
	_Atomic uint64_t wall_block_in, wall_block_out;
	/* The time it spent in those calls, up to wall_block_out (ns; written by the thread
	 * before wall_block_out): over a look that came late, the ticker tells by it how much of
	 * the look's periods the thread spent blocked in them, however often it blocked. */
	_Atomic uint64_t wall_block_sum;
	struct inflame_wall_site site;
	uint32_t wall_n;
	uint32_t wall_flags;   /* INFLAME_WALL_* */
	uint64_t *wall_frames; /* max_depth frames, in the scratch mapping */
	/* The last wall sample that found the thread running (not in a system call): where the
	 * time it ran goes when a sample finds it blocked after it ran unseen. */
	uint32_t wall_run_n;
	uint32_t wall_run_flags; /* INFLAME_WALL_HAVE, INFLAME_WALL_TRUNCATED */
	uint64_t *wall_run_frames;
	/* The stack of the thread's last CPU sample of its own code outside system calls
	 * (cpu_frames, cpu_n frames, cpu_flags INFLAME_WALL_TRUNCATED), taken at cpu_time
	 * (monotonic ns). The thread's handler writes them between two steps of cpu_seq, odd
	 * while it writes; the wall ticker copies them and keeps the copy only if cpu_seq read the
	 * same, even, before and after: a thread that ran through a look's periods takes its wall
	 * sample from the CPU sample it had in them, without a signal (wall.c, borrow). */
	_Atomic uint32_t cpu_seq;
	uint32_t cpu_n, cpu_flags;
	int cpu_kern; /* the CPU sample being taken came after kernel time: not kept */
	uint64_t cpu_time;
	uint64_t *cpu_frames;
	/* The last wall signal interrupted a system call, and the thread has not come back to the
	 * program since (the thread and its handlers only): a CPU sample at a system call until
	 * then stands for the signal's cost, not the program's (sample_sigsafe.c). */
	_Atomic int wall_cost;
	/* The ticker's own view of the thread (only the ticker reads or writes these; reset when
	 * the slot is set up, before it turns ACTIVE). */
	struct {
		uint64_t acct;	  /* wall time up to here (ns) is accounted for */
		uint64_t base;	  /* the CPU clock at the last check */
		uint64_t base_at; /* when that was (ns) */
		uint64_t idle; /* periods spent blocked at the last wall stack, not yet written */
		uint64_t idle_time;    /* the end of those periods (ns) */
		uint64_t written;      /* when the last idle record or signal was (ns) */
		uint64_t sent_at;      /* when wall_pending was set (ns) */
		uint64_t stretch;      /* periods blocked in a row */
		uint64_t site_stretch; /* periods at its kept sites in a row */
		uint64_t next_tick;    /* the ticker's tick at which to look again */
		/* The thread's switch counter (wall.c): a counting perf event's user page, which
		 * the kernel updates each time the thread is switched in, NULL when none. */
		const void *page;
		uint32_t seq;	     /* the page's counter at the last clock read */
		int page_failed;     /* no page could be mapped: clock reads only */
		int page_still;	     /* the last clock read, with a page, found it had not run */
		uint64_t check_tick; /* with a page, the tick at which to read the clock again */
		uint64_t held;	     /* the stretch before the thread last ran */
		uint64_t stack_sum;  /* a hash of the stack it was last found blocked at */
		int sent;	     /* a signal was sent since the last check */
		/* The last look found the thread blocked at a kept call site (site.same), with
		 * site.gap as it was then. */
		int kept;
		uint64_t gap;
		/* Looks at the kept site read no clock: base is older than the last run. */
		int stale;
		/* The thread's time in marked calls (wall_block_sum) and its site's other at the
		 * last look. */
		uint64_t slept, calls;
		/* Per kept site: periods at its stack, not yet written, and their end (ns); its
		 * sum at the last look, with the part of a call it was in then, and gen then. */
		uint64_t site_idle[INFLAME_WALL_SITES];
		uint64_t site_idle_time[INFLAME_WALL_SITES];
		uint64_t site_sum[INFLAME_WALL_SITES];
		uint32_t site_gen[INFLAME_WALL_SITES];
		int gone; /* EXITED and dealt with */
		/* What the last look found (wall.c, enum quiet): whether the ticker may sleep
		 * past the next period for this thread; with QUIET_CALL, wall_block_out as it
		 * was before that look decided. */
		int quiet;
		uint64_t out_seen;
		uint64_t borrowed; /* the time of the last CPU sample a look borrowed (cpu_time) */
		int lent;   /* the last look borrowed one (as a signal that found it running) */
		int unseen; /* its periods went to no sample: no sample had found it (wall.c) */
	} tk;
	/* Ranges of code the outermost producer looked up last (unwind auto). */
	struct inflame_code_cache code_cache;
	/* The frames libunwind found above the last frame-pointer frame of the thread's last
	 * walk that needed them (unwind_sigsafe.c's finish_walk), with the stack slots that held
	 * their return addresses: a later walk that reaches the same frame, with the same words
	 * still in those slots, takes them from here. In the scratch mapping; outermost producer
	 * only. tail_n 0 = none. */
	uintptr_t tail_ret, tail_sp;
	uint32_t tail_n;
	uint64_t *tail_frames, *tail_slots;
	struct inflame_walk_cache *walk_cache; /* in the scratch mapping */
	struct inflame_site_cache *sites;      /* in the scratch mapping */
	/* The stacks of the thread's last allocations recorded by an outermost producer, one per
	 * slot: each stack in one of the set of INFLAME_SAME_WAYS slots a hash of its allocation
	 * site and first callers names (inflame_thread_same_slot()), the one used least recently
	 * (last_used, by the clock last_clock: the producer's choice, which the writer follows),
	 * so that a loop allocating at a few sites keeps each one's stack. The next allocation with
	 * the same stack is recorded with INFLAME_REC_SAME_STACK and its slot instead of its
	 * frames. The producer's copies (only an outermost producer reads or writes them; 0 frames
	 * = none) and the writer's (with the id each got in the stack table of generation
	 * w_last_gen). The frames of slot s are at s * INFLAME_SAME_MAX, in the scratch mapping. */
	uint32_t last_n[INFLAME_SAME_SLOTS];
	uint32_t last_gen[INFLAME_SAME_SLOTS];	/* moves each time last_n[s] is written */
	uint32_t last_used[INFLAME_SAME_SLOTS]; /* last_clock when each was last used */
	uint32_t last_clock;
	uint64_t *last_frames;
	uint32_t w_last_n[INFLAME_SAME_SLOTS];
	uint64_t w_last_id[INFLAME_SAME_SLOTS], w_last_gen[INFLAME_SAME_SLOTS];
	uint64_t *w_last_frames;
	/* Coverage (writer.c). The sampling handler's nesting depth on this thread (only the
	 * thread and its handlers touch it, each leaving it as it found it), and the weights of
	 * the samples that landed in inflame's own code instead of the program's. */
	int in_handler;
	/* The sampling handler's run time not yet taken off its CPU samples (selfcost.h). */
	uint64_t handler_owed;
	/* The low end of the alternate signal stack the sampling handler runs on, 0 when it runs
	 * on the thread's own stack (sigstack.h; signal handler only). */
	uintptr_t sigstack_lo;
	_Atomic uint64_t self_cpu, self_wall;
	/* CPU time (ns) its clock counted that no sample will ever stand for: the part of a
	 * period it ran in when it unregistered, or when sampling paused (inflame_timer.h,
	 * inflame_timer_unsampled_ns). */
	_Atomic uint64_t unsampled;
	/* Of it, what its perf event still counts after a pause: a resume takes it back. */
	uint64_t perf_credit;
	/* The rest of its CPU time in no sample and in no count but these (writer.c, THREAD_CPU):
	 * missed, what the perf count missed of its CPU clock at its switches and did not charge
	 * to the kernel pseudo-frame (timer.c, perf_unsampled), with missed_credit, what of it a
	 * resume takes back; before, the CPU it ran from the start of its figures (reg: its
	 * registration; a thread started under inflame, its start; a fork child's, the fork) to
	 * the arming of its clock. arm_cpu is its CPU
	 * clock then, arm_sys its system time at the start of its figures (reg.sys, just
	 * before the arming); arm_gen and arm_epoch the perf event that arming made and the
	 * timer epoch it was made in; the first check of that event adds what the count missed
	 * since, and its first sample may charge the system time spent since to the kernel
	 * (sample_sigsafe.c, clock_cost and perf_periods; cost_first: not checked yet, the
	 * handler's). */
	_Atomic uint64_t missed, before;
	/* The periods its clock's signals brought that no sample took: past what one sample
	 * stands for, or after sampling stopped (sample_sigsafe.c, drop_periods). */
	_Atomic uint64_t dropped;
	uint64_t missed_credit, arm_cpu, arm_sys;
#define INFLAME_ARM_SYS_UNKNOWN UINT64_MAX /* (arm_sys of a move made by another thread) */
	unsigned arm_gen, arm_epoch;
	int cost_first;
	/* The thread's CPU time when it registered, and when it unregistered (fin_ok). */
	struct inflame_cpu_times reg, fin;
	int fin_ok;
	uint64_t fin_at; /* when it unregistered (monotonic ns, with fin_ok) */
	/* The writer's: the figures when the current file was opened (or the thread registered,
	 * w_base_file is then not the writer's file count), the last measured ones, and the
	 * weights of the cpu samples written to the current file. */
	struct inflame_cpu_times w_base, w_last;
	uint64_t w_base_self_cpu, w_base_self_wall, w_weight, w_base_unsampled;
	uint64_t w_base_missed, w_base_before, w_base_dropped;
	uint64_t w_base_file;
	/* The CPU time of inflame's own writes made on this thread (writer.c: the final write at
	 * exit, the cycles of a single-threaded image), since it registered, and at w_base: the
	 * profiler's CPU, which its figures leave out. */
	uint64_t w_direct, w_base_direct;
};

/* The first of the set of slots the stack frames[0..n) may be remembered in: a hash of its
 * depth and its first four frames (the leaf is inflame's own, the same for every allocation).
 * Async-signal-safe. */
static inline unsigned inflame_thread_same_slot(const uint64_t *frames, size_t n)
{
	uint64_t h = n;

	for (size_t i = 0; i < n && i < 4; i++)
		h = (h ^ frames[i]) * 0x9e3779b97f4a7c15ull;
	return (unsigned)(h >> 40) & (INFLAME_SAME_SLOTS - INFLAME_SAME_WAYS);
}

/* Whether frames[0..n) are the stack remembered in slot s of t (last_frames), which only an
 * outermost producer may ask. Async-signal-safe. */
static inline int inflame_thread_same_in(const struct inflame_thread *t, unsigned s,
					 const uint64_t *frames, size_t n)
{
	const uint64_t *last = t->last_frames + (size_t)s * INFLAME_SAME_MAX;

	if (n == 0 || n != t->last_n[s])
		return 0;
	for (size_t i = 0; i < n; i++)
		if (frames[i] != last[i])
			return 0;
	return 1;
}

/* Whether frames[0..n) are one of t's remembered allocation stacks (see last_n).
 * Async-signal-safe. */
static inline int inflame_thread_same_stack(const struct inflame_thread *t, const uint64_t *frames,
					    size_t n)
{
	unsigned s = inflame_thread_same_slot(frames, n);

	return inflame_thread_same_in(t, s, frames, n) ||
	       inflame_thread_same_in(t, s + 1, frames, n);
}

/* The calling thread's slot, or NULL. Async-signal-safe. Inline: every record asks. */
extern __thread struct inflame_thread *inflame__self
    __attribute__((tls_model("initial-exec"), visibility("hidden")));
static inline struct inflame_thread *inflame_thread_self(void)
{
	return inflame__self;
}
/* Finds an ACTIVE slot by tid (threads registered from outside). Async-signal-safe. */
struct inflame_thread *inflame_thread_find(pid_t tid);
/* Binds the calling thread to slot t (TLS). Async-signal-safe. */
void inflame_thread_bind(struct inflame_thread *t);

/* Allocates the table. Returns 0 or -ENOMEM. Not async-signal-safe. */
int inflame_thread_table_init(void);
/* Registers the calling thread: ring, bounds, name, timer. Returns the slot or NULL (counted
 * as a dropped thread). Not async-signal-safe. */
struct inflame_thread *inflame_thread_register_current(void);
/* Registers the calling thread, the image's only one, as a set-up that waited for its first
 * need does (init.c): its clock is armed already (the caller adopts it), and its figures start
 * at reg, measured then. The table is inflame_thread_table_init()'s. Async-signal-safe on the
 * main thread's stack: mmap and system calls only. */
struct inflame_thread *inflame_thread_register_settled(const struct inflame_cpu_times *reg);
/* The same for an image that ends now (exit) before it ever needed the table, instead of
 * inflame_thread_table_init(): a table of one slot in the library's memory, with no ring (every
 * record refused) and no scratch memory (no walk: sampling is over), whose figures its dump
 * gives. NULL when the table is made already. Not async-signal-safe. */
struct inflame_thread *inflame_thread_register_last(const struct inflame_cpu_times *reg);
/* Registers another existing thread of the process by tid (found in /proc/self/task at
 * start-up). Its TLS is bound lazily by the signal handler. Not async-signal-safe. */
struct inflame_thread *inflame_thread_register_tid(pid_t tid);
/* Marks the calling thread as gone: disarms its timer, records its final name, unbinds TLS.
 * Not async-signal-safe. */
void inflame_thread_unregister_current(void);
/* Releases an EXITED slot after its ring was drained (writer only). */
void inflame_thread_release(struct inflame_thread *t);
/* Highest slot index ever used + 1 (iteration bound). */
int inflame_thread_high_water(void);
/* The call-site cache's hits and misses (struct inflame_site_cache) over every thread so far.
 * Not async-signal-safe. */
void inflame_thread_site_counts(uint64_t *hits, uint64_t *misses);
struct inflame_thread *inflame_thread_at(int i);
/* In a fork child: drop every slot but the calling thread's, resetting its ring. */
void inflame_thread_after_fork_child(void);
/* Keeps EXITED slots from being released (their memory unmapped) until inflame_thread_unhold:
 * the wall ticker holds it while it looks at other threads' slots. inflame_thread_release
 * takes it. Not async-signal-safe. */
void inflame_thread_hold(void);
void inflame_thread_unhold(void);
/* Reads the CPU time of thread t (its CPU clock and /proc/self/task/TID/stat). last, if not
 * NULL: an earlier reading of t, whose system time stands when the clock has not moved since
 * (no file read). Returns 0 or -errno (the thread is gone). Not async-signal-safe; cheap enough
 * for once a second. */
int inflame_thread_cpu_times(const struct inflame_thread *t, const struct inflame_cpu_times *last,
			     struct inflame_cpu_times *out);
/* Updates the name of the slot of pthread p (pthread_setname_np), or of the calling thread. */
void inflame_thread_note_rename(pthread_t p, int self);

#endif
