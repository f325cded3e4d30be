/*
 * The thread registry. The slot table is one mmap'd array; a slot is claimed with a CAS from
 * FREE to INIT, so registering threads never take a lock, and the signal handler can scan the
 * table (up to the high-water mark) without one. Rings and scratch frame buffers are mapped
 * per thread when it registers, outside signal context, and unmapped by the writer after the
 * thread exited and its last records were drained.
 */
#include "clock.h"
#include "thread.h"

#include "fdhigh.h"
#include "layout.h"
#include "log.h"
#include "profiler.h"
#include "timer.h"
#include "wall.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

static struct inflame_thread *table;
static int table_slots INFLAME_HOT; /* INFLAME_MAX_THREADS, or 1: inflame_thread_register_last */
static _Atomic int high_water;
/* The one slot of an image that ends before it needed the table (register_last). */
static struct inflame_thread last_slot INFLAME_COLD __attribute__((aligned(4096)));
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
__thread struct inflame_thread *inflame__self __attribute__((tls_model("initial-exec")));
#define self inflame__self

void inflame_thread_bind(struct inflame_thread *t)
{
	self = t;
}

INFLAME_FORK_TEXT int inflame_thread_high_water(void)
{
	return atomic_load_explicit(&high_water, memory_order_acquire);
}

INFLAME_FORK_TEXT struct inflame_thread *inflame_thread_at(int i)
{
	return &table[i];
}

struct inflame_thread *inflame_thread_find(pid_t tid)
{
	int n = inflame_thread_high_water();

	if (!table)
		return NULL;
	for (int i = 0; i < n; i++)
		if (table[i].tid == tid &&
		    atomic_load_explicit(&table[i].state, memory_order_acquire) ==
			INFLAME_SLOT_ACTIVE)
			return &table[i];
	return NULL;
}

int inflame_thread_table_init(void)
{
	void *p = mmap(NULL, sizeof(struct inflame_thread) * INFLAME_MAX_THREADS,
		       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -ENOMEM;
	/* A process touches the first slots only. Where transparent huge pages are "always", the
	 * kernel would back the table's first (2 MiB-aligned) part with a huge page at the first
	 * touch: 2 MiB zeroed and resident in every profiled process rather than a page or two.
	 * (Advice only: a kernel without it loses nothing.) */
	(void)madvise(p, sizeof(struct inflame_thread) * INFLAME_MAX_THREADS, MADV_NOHUGEPAGE);
	table = p;
	table_slots = INFLAME_MAX_THREADS;
	return 0;
}

static struct inflame_thread *claim(void)
{
	for (int i = 0; i < table_slots; i++) {
		int expect = INFLAME_SLOT_FREE;

		if (atomic_compare_exchange_strong(&table[i].state, &expect, INFLAME_SLOT_INIT)) {
			int hw = atomic_load(&high_water);

			while (hw < i + 1 && !atomic_compare_exchange_weak(&high_water, &hw, i + 1))
				;
			return &table[i];
		}
	}
	atomic_fetch_add(&inflame__prof.threads_dropped, 1);
	return NULL;
}

/* The frames of each nesting level, then last_frames and w_last_frames, then wall_frames,
 * wall_run_frames, the kept sites' frames and cpu_frames, then tail_frames and tail_slots, then
 * the walk cache and the call-site cache. */
static size_t scratch_bytes(void)
{
	return ((size_t)(INFLAME_SCRATCH_LEVELS + 3 + INFLAME_WALL_SITES) *
		    inflame__prof.cfg.max_depth +
		2 * INFLAME_SAME_SLOTS * INFLAME_SAME_MAX + 2 * INFLAME_TAIL_MAX) *
		   sizeof(uint64_t) +
	       sizeof(struct inflame_walk_cache) + sizeof(struct inflame_site_cache);
}

/* The figures of a slot whose thread starts now (or starts over in a fork child): its
 * samples' weights, the CPU in no sample and its parts, the perf clock's carried periods, the
 * base of its figures (reg: from 0) and the profiler's writes on it. */
INFLAME_FORK_TEXT static void books_reset(struct inflame_thread *t)
{
	t->in_handler = 0;
	t->handler_owed = 0;
	atomic_store(&t->self_cpu, 0);
	atomic_store(&t->self_wall, 0);
	atomic_store(&t->unsampled, 0);
	t->perf_credit = 0;
	atomic_store(&t->missed, 0);
	atomic_store(&t->before, 0);
	atomic_store(&t->dropped, 0);
	t->missed_credit = 0;
	t->cost_lost = 0;
	t->cost_kern = 0;
	t->arm_cpu = t->arm_sys = 0;
	t->cost_first = 0;
	t->reg = (struct inflame_cpu_times){0, 0};
	t->w_base_file = 0;
	t->w_direct = 0;
}

/* The wall fields of a slot whose thread starts now (or starts over in a fork child). */
/* (now: the monotonic time its wall time is accounted from) */
INFLAME_FORK_TEXT static void wall_reset(struct inflame_thread *t, uint64_t now)
{
	atomic_store(&t->wall_pending, 0);
	atomic_store(&t->wall_due, 0);
	atomic_store(&t->wall_due_run, 0);
	atomic_store(&t->wall_due_end, 0);
	atomic_store(&t->wall_cost, 0);
	t->wall_cpu = 0;
	atomic_store(&t->wall_block_in, 0);
	atomic_store(&t->wall_block_out, 0);
	atomic_store(&t->wall_block_sum, 0);
	t->site.ra = t->site.sp = 0;
	t->site.next = 0;
	atomic_store(&t->site.same, 0);
	atomic_store(&t->site.gap, 0);
	atomic_store(&t->site.other, 0);
	for (int i = 0; i < INFLAME_WALL_SITES; i++) {
		struct inflame_wall_kept *w = &t->site.kept[i];

		w->ra = w->sp = 0;
		w->n = w->nframes = w->flags = 0;
		atomic_store(&w->sum, 0);
		atomic_store(&w->gen, 0);
	}
	t->wall_n = 0;
	t->wall_flags = 0;
	t->wall_run_n = 0;
	t->wall_run_flags = 0;
	atomic_store(&t->cpu_seq, 0);
	t->cpu_n = t->cpu_flags = 0;
	t->cpu_kern = 0;
	t->cpu_time = 0;
	memset(&t->tk, 0, sizeof(t->tk));
	t->tk.acct = now;
}

/* (last: the slot of an image that ends now, which takes no more records: no ring, no scratch
 * memory, register_last) */
static int setup_slot(struct inflame_thread *t, pid_t tid, int last)
{
	void *s;

	t->tid = tid;
	t->perf_fd = -1;
	t->perf_retired = -1;
	t->perf_inherited = -1;
	t->cost_cpu = 0;
	t->has_timer = 0;
	t->posix_moved = 0;
	t->lazy = 0;
	t->has_pthread = 0;
	t->stack_lo = t->stack_hi = 0;
	t->name[0] = 0;
	atomic_store(&t->producing, 0);
	atomic_store(&t->in_dl, 0);
	atomic_store(&t->truncated, 0);
	wall_reset(t, inflame__now_monotonic());
	books_reset(t);
	t->fin_ok = 0;
	if (last)
		return 0; /* (a ring of size 0 refuses every record: inflame_ring_try_reserve) */
	if (inflame_ring_init(&t->ring, (size_t)inflame__prof.cfg.buffer_kb * 1024) < 0)
		return -ENOMEM;
	s = mmap(NULL, scratch_bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED) {
		inflame_ring_destroy(&t->ring);
		return -ENOMEM;
	}
	t->scratch = s;
	t->last_frames = t->scratch + (size_t)INFLAME_SCRATCH_LEVELS * inflame__prof.cfg.max_depth;
	t->w_last_frames = t->last_frames + INFLAME_SAME_SLOTS * INFLAME_SAME_MAX;
	t->wall_frames = t->w_last_frames + INFLAME_SAME_SLOTS * INFLAME_SAME_MAX;
	t->wall_run_frames = t->wall_frames + inflame__prof.cfg.max_depth;
	for (int i = 0; i < INFLAME_WALL_SITES; i++)
		t->site.kept[i].frames =
		    t->wall_run_frames + (size_t)(1 + i) * inflame__prof.cfg.max_depth;
	t->cpu_frames =
	    t->wall_run_frames + (size_t)(1 + INFLAME_WALL_SITES) * inflame__prof.cfg.max_depth;
	t->tail_frames = t->cpu_frames + inflame__prof.cfg.max_depth;
	t->tail_slots = t->tail_frames + INFLAME_TAIL_MAX;
	t->walk_cache = (struct inflame_walk_cache *)(t->tail_slots + INFLAME_TAIL_MAX);
	t->sites = (struct inflame_site_cache *)(t->walk_cache + 1);
	memset(t->last_n, 0, sizeof(t->last_n));
	memset(t->w_last_n, 0, sizeof(t->w_last_n));
	t->tail_n = 0;
	return 0;
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

/* The calling thread's CPU time: two system calls, no file. */
static void own_cpu_times(struct inflame_cpu_times *out)
{
	out->cpu = inflame__thread_cpu_ns();
	out->sys = inflame__thread_sys_ns();
	if (out->sys > out->cpu)
		out->sys = out->cpu;
}

/* The system time in a /proc/.../stat line, in clock ticks: "pid (comm) state ppid ..." where
 * comm may hold anything, so fields are counted from the last ')': stime (field 15) is the
 * 13th word after it. Returns 0, or -1 when the line is cut short. */
static int stat_stime(const char *buf, uint64_t *ticks)
{
	const char *p = strrchr(buf, ')');
	int word = 0;

	if (!p)
		return -1;
	for (p++; *p && word < 13; p++)
		if (*p == ' ')
			word++;
	if (word < 13 || *p < '0' || *p > '9')
		return -1;
	for (*ticks = 0; *p >= '0' && *p <= '9'; p++)
		*ticks = *ticks * 10 + (uint64_t)(*p - '0');
	return 0;
}

int inflame_thread_cpu_times(const struct inflame_thread *t, const struct inflame_cpu_times *last,
			     struct inflame_cpu_times *out)
{
	/* The CPU clock of any thread of the process, by tid (what pthread_getcpuclockid()
	 * returns, without needing the pthread_t). */
	clockid_t clk = (clockid_t)((~(unsigned)t->tid << 3) | 6);
	static long hz;
	struct timespec ts;
	char path[64], buf[1024];
	uint64_t stime;
	int fd;
	ssize_t n;

	if (t == self) {
		own_cpu_times(out); /* (no file to read) */
		return 0;
	}
	if (clock_gettime(clk, &ts) < 0)
		return -errno;
	out->cpu = ts_ns(&ts);
	out->sys = 0;
	if (last && last->cpu == out->cpu && last->cpu) {
		/* It has not run since: its system time is the same too, without the file (an
		 * open at a low number beside the program's threads, fdhigh.c, 64 a cycle beside
		 * 64 idle workers). */
		out->sys = last->sys;
		return 0;
	}
	if (!hz)
		hz = getauxval(AT_CLKTCK) > 0 ? (long)getauxval(AT_CLKTCK) : 100;
	inflame_log_format(path, sizeof(path), "/proc/self/task/%d/stat", (int)t->tid);
	fd = inflame_fdhigh_open(path, O_RDONLY, 0); /* (fdhigh.c) */
	if (fd < 0)
		return 0; /* the clock alone: all user time */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if (stat_stime(buf, &stime) < 0)
		return 0;
	out->sys = stime * (1000000000ull / (uint64_t)hz);
	if (out->sys > out->cpu)
		out->sys = out->cpu;
	return 0;
}

static void read_comm(pid_t tid, char name[16])
{
	char path[64];
	int fd;
	ssize_t n;

	inflame_log_format(path, sizeof(path), "/proc/self/task/%d/comm", (int)tid);
	fd = inflame_fdhigh_open(path, O_RDONLY, 0); /* (fdhigh.c) */
	if (fd < 0)
		return;
	n = read(fd, name, 15);
	close(fd);
	if (n <= 0)
		return;
	if (name[n - 1] == '\n')
		n--;
	name[n] = 0;
}

extern void *__libc_stack_end; /* the loader's: the main thread's stack at its start */

/* The main thread's stack as pthread_getattr_np() gives it, without the read of
 * /proc/self/maps it makes for the main thread (a few hundred microseconds at a process's
 * start, when its stdio and malloc are still cold): the stack ends with the page holding
 * __libc_stack_end (what lies above, the arguments and environment, is not the stack) and may
 * grow down to the limit of RLIMIT_STACK. Returns 0, or -1 when the calling thread (tid) does
 * not run on the main thread's stack. (The main thread's id is the image's pid, which
 * inflame__prof holds from set-up on and a fork child updates: no getpid() here.) sure: the
 * caller knows the thread runs on it (an image's only thread as it settles, init.c), which it
 * may not be on now: a signal handler runs on an alternate stack. */
static int main_stack_bounds(pid_t tid, uintptr_t *lo, uintptr_t *hi, int sure)
{
	long page = (long)getauxval(AT_PAGESZ);
	uintptr_t end, start;
	struct rlimit rl;

	if (tid != inflame__prof.pid || !__libc_stack_end || page <= 0)
		return -1;
	/* The stack ends above the arguments, the environment and the program's file name, which
	 * the kernel puts at its very top: a page or more above __libc_stack_end (a large
	 * environment, many), by which the limit below would otherwise be too low. */
	end = (uintptr_t)__libc_stack_end;
	if (getauxval(AT_EXECFN) > end)
		end = (uintptr_t)getauxval(AT_EXECFN);
	end = (end + (uintptr_t)page) & -(uintptr_t)page;
	if (getrlimit(RLIMIT_STACK, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > end - (uintptr_t)page)
		start = (uintptr_t)page; /* unbounded: a walk reads from the stack pointer up */
	else
		start = end - (uintptr_t)rl.rlim_cur;
	/* (a fork child of another thread has the main thread's id, but not its stack) */
	if (!sure && (uintptr_t)__builtin_frame_address(0) - start >= end - start)
		return -1;
	*lo = start;
	*hi = end;
	return 0;
}

/* inflame_thread_register_current(), or with reg (not NULL) the base of its figures and no
 * arming of its clock: inflame_thread_register_settled(), and with last the slot of
 * inflame_thread_register_last(). */
static struct inflame_thread *register_self(const struct inflame_cpu_times *reg, int last)
{
	struct inflame_thread *t;
	pthread_attr_t attr;
	pid_t tid;

	if (!table)
		return NULL;
	t = claim();
	if (!t)
		return NULL;
	tid = last ? inflame__prof.pid : inflame__gettid();
	if (setup_slot(t, tid, last) < 0) {
		atomic_store(&t->state, INFLAME_SLOT_FREE);
		atomic_fetch_add(&inflame__prof.threads_dropped, 1);
		return NULL;
	}
	t->pthread = pthread_self();
	t->has_pthread = 1;
	/* A thread other than the process's first was started under inflame (thread_start in
	 * interpose_threads.c): its figures start at its birth, its CPU clock's 0, and what it
	 * ran until its clock was armed (glibc's start, its slot's set-up) is counted as before
	 * its clock. The first thread's clock holds what the images the process ran before this
	 * one spent (an exec keeps it): its figures start here. */
	if (reg)
		t->reg = *reg;
	else if (tid != inflame__prof.pid)
		t->reg = (struct inflame_cpu_times){0, 0};
	else
		own_cpu_times(&t->reg);
	if (last) {
		/* (no walk any more: no stack bounds) */
	} else if (main_stack_bounds(tid, &t->stack_lo, &t->stack_hi, reg != NULL) == 0 || reg) {
		/* (the main thread's, without pthread_getattr_np's read of /proc/self/maps, which
		 * allocates: a settling image may be in a signal handler that interrupted malloc,
		 * on the alternate stack, and then never reads it) */
	} else if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		void *addr;
		size_t size;

		if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
			t->stack_lo = (uintptr_t)addr;
			t->stack_hi = (uintptr_t)addr + size;
		}
		pthread_attr_destroy(&attr);
	}
	prctl(PR_GET_NAME, t->name, 0, 0, 0);
	t->name[15] = 0;
	atomic_store(&t->name_dirty, 1);
	self = t;
	atomic_store_explicit(&t->state, INFLAME_SLOT_ACTIVE, memory_order_release);
	if (reg)
		return t;
	inflame_timer_arm_thread(t);
	inflame_wall_poke(); /* a sleeping ticker looks at it now */
	return t;
}

struct inflame_thread *inflame_thread_register_current(void)
{
	return register_self(NULL, 0);
}

struct inflame_thread *inflame_thread_register_settled(const struct inflame_cpu_times *reg)
{
	return register_self(reg, 0);
}

struct inflame_thread *inflame_thread_register_last(const struct inflame_cpu_times *reg)
{
	if (table)
		return NULL;
	table = &last_slot;
	table_slots = 1;
	return register_self(reg, 1);
}

/* Finds the stack of a thread we did not start from the stack pointer the kernel reports while
 * it sits in a system call, and the mapping that holds it. Leaves the bounds at 0 (leaf-only
 * stacks) when either is unknown. */
static void foreign_stack_bounds(struct inflame_thread *t)
{
	char path[64], buf[512];
	unsigned long long sp = 0;
	int fd;
	ssize_t n;
	FILE *f;

	inflame_log_format(path, sizeof(path), "/proc/self/task/%d/syscall", (int)t->tid);
	fd = inflame_fdhigh_open(path, O_RDONLY, 0); /* (fdhigh.c) */
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	{
		/* "nr a1 a2 a3 a4 a5 a6 sp pc" */
		char *p = buf;
		int field = 0;

		while (*p && field < 7) {
			if (*p == ' ')
				field++;
			p++;
		}
		if (field != 7 || sscanf(p, "%llx", &sp) != 1)
			return;
	}
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f)) {
		unsigned long long lo, hi;

		if (sscanf(buf, "%llx-%llx", &lo, &hi) == 2 && sp >= lo && sp < hi) {
			t->stack_lo = (uintptr_t)lo;
			t->stack_hi = (uintptr_t)hi;
			break;
		}
	}
	fclose(f);
}

struct inflame_thread *inflame_thread_register_tid(pid_t tid)
{
	struct inflame_thread *t;

	if (!table)
		return NULL;
	t = claim();
	if (!t)
		return NULL;
	if (setup_slot(t, tid, 0) < 0) {
		atomic_store(&t->state, INFLAME_SLOT_FREE);
		atomic_fetch_add(&inflame__prof.threads_dropped, 1);
		return NULL;
	}
	read_comm(tid, t->name);
	foreign_stack_bounds(t);
	inflame_thread_cpu_times(t, NULL, &t->reg);
	atomic_store(&t->name_dirty, 1);
	atomic_store_explicit(&t->state, INFLAME_SLOT_ACTIVE, memory_order_release);
	inflame_timer_arm_thread(t);
	inflame_wall_poke(); /* a sleeping ticker looks at it now */
	return t;
}

void inflame_thread_unregister_current(void)
{
	struct inflame_thread *t = self;
	uint64_t cpu = 0, left = 0, missed = 0, ran;

	if (!t)
		return;
	/* The CPU it ran since its clock's last period ended is in no sample: the part of the
	 * clock's period read now, then what the disarm and the reading took; and what its
	 * count missed at switches since it was last checked. */
	if (atomic_load_explicit(&inflame__prof.sampling, memory_order_relaxed) &&
	    (inflame__prof.cfg.events & INFLAME_EVMASK_CPU)) {
		cpu = inflame__thread_cpu_ns();
		left = inflame_timer_unsampled_ns(t, cpu, &missed);
	}
	inflame_timer_disarm_thread(t);
	own_cpu_times(&t->fin);
	if (cpu) {
		left += t->fin.cpu > cpu ? t->fin.cpu - cpu : 0;
		/* (never more than it ran) */
		ran = t->fin.cpu > t->reg.cpu ? t->fin.cpu - t->reg.cpu : 0;
		ran -= ran > atomic_load(&t->before) ? atomic_load(&t->before) : ran;
		if (left > ran)
			left = ran;
		if (missed > ran - left)
			missed = ran - left;
		atomic_fetch_add(&t->unsampled, left);
		atomic_fetch_add(&t->missed, missed);
	}
	t->fin_at = inflame__now_monotonic();
	t->fin_ok = 1;
	prctl(PR_GET_NAME, t->name, 0, 0, 0);
	t->name[15] = 0;
	/* Unbind first: a signal arriving from here on finds no slot and does nothing, so the
	 * writer may unmap the ring as soon as it sees EXITED. */
	self = NULL;
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store(&t->name_dirty, 1);
	atomic_store_explicit(&t->state, INFLAME_SLOT_EXITED, memory_order_release);
	inflame_wall_poke(); /* its last periods end now */
}

void inflame_thread_hold(void)
{
	pthread_mutex_lock(&hold_lock);
}

void inflame_thread_unhold(void)
{
	pthread_mutex_unlock(&hold_lock);
}

/* The call-site cache counts of the slots released so far (under hold_lock). */
static uint64_t sites_hits_gone, sites_misses_gone;

void inflame_thread_site_counts(uint64_t *hits, uint64_t *misses)
{
	int n = inflame_thread_high_water();

	pthread_mutex_lock(&hold_lock);
	*hits = sites_hits_gone;
	*misses = sites_misses_gone;
	for (int i = 0; i < n; i++) {
		struct inflame_thread *t = inflame_thread_at(i);

		if (t && t->scratch) {
			*hits += atomic_load_explicit(&t->sites->hits, memory_order_relaxed);
			*misses += atomic_load_explicit(&t->sites->misses, memory_order_relaxed);
		}
	}
	pthread_mutex_unlock(&hold_lock);
}

void inflame_thread_release(struct inflame_thread *t)
{
	pthread_mutex_lock(&hold_lock);
	inflame_ring_destroy(&t->ring);
	if (t->scratch) {
		sites_hits_gone += atomic_load_explicit(&t->sites->hits, memory_order_relaxed);
		sites_misses_gone += atomic_load_explicit(&t->sites->misses, memory_order_relaxed);
	}
	if (t->scratch)
		munmap(t->scratch, scratch_bytes());
	t->scratch = NULL;
	t->wall_frames = t->wall_run_frames = t->cpu_frames = NULL;
	for (int i = 0; i < INFLAME_WALL_SITES; i++)
		t->site.kept[i].frames = NULL;
	t->tid = 0;
	atomic_store_explicit(&t->state, INFLAME_SLOT_FREE, memory_order_release);
	pthread_mutex_unlock(&hold_lock);
}

INFLAME_FORK_TEXT void inflame_thread_after_fork_child(void)
{
	int n = inflame_thread_high_water();

	/* The parent's ticker may have held it as the process forked: it is not here. */
	inflame__mutex_after_fork(&hold_lock);
	for (int i = 0; i < n; i++) {
		struct inflame_thread *t = &table[i];

		if (atomic_load(&t->state) == INFLAME_SLOT_FREE)
			continue;
		if (t == self) {
			inflame_ring_reset_forked(&t->ring);
			inflame_timer_keep_inherited(t); /* the parent's event */
			/* (t->pthread stays: fork keeps the thread's descriptor where it was) */
			t->tid = inflame__prof.pid; /* the forking thread is the child's only one */
			t->has_timer = 0;	    /* POSIX timers are not inherited */
			t->perf_retired = -1;
			t->posix_moved = 0; /* its perf clock again (a new event) */
			t->lazy = 0;
			/* nor pending signals; its wall time counts from the fork */
			wall_reset(t, inflame__prof.start_monotonic);
			atomic_store(&t->producing, 0);
			books_reset(t); /* the parent's figures; a new process counts from 0 */
			atomic_store(&t->name_dirty, 1);
			/* the ring was emptied */
			memset(t->last_n, 0, sizeof(t->last_n));
			memset(t->w_last_n, 0, sizeof(t->w_last_n));
			continue;
		}
		inflame_timer_drop_perf(t);
		t->has_timer = 0;
		inflame_thread_release(t);
	}
}

void inflame_thread_note_rename(pthread_t p, int is_self)
{
	int n = inflame_thread_high_water();

	if (!table)
		return;
	for (int i = 0; i < n; i++) {
		struct inflame_thread *t = &table[i];

		if (atomic_load(&t->state) != INFLAME_SLOT_ACTIVE)
			continue;
		if (is_self ? t == self : (t->has_pthread && pthread_equal(t->pthread, p))) {
			if (is_self)
				prctl(PR_GET_NAME, t->name, 0, 0, 0);
			else
				read_comm(t->tid, t->name);
			t->name[15] = 0;
			atomic_store(&t->name_dirty, 1);
			return;
		}
	}
}
