/*
 * Wall-clock sampling by one ticker thread.
 *
 * The ticker is a thread of inflame's own: never registered, never sampled, every signal
 * blocked. Once per sampling period it looks at the threads of the table and reads each one's
 * CPU clock, which any thread of the process may read without disturbing the owner.
 *
 * A thread whose CPU clock has not moved since its last wall sample has not run: it is still
 * blocked where that sample found it. The ticker counts the periods it spends there without
 * signalling it, and writes them to a ring of its own as one record (the thread's tid, its last
 * wall stack, the periods, and the time they end) when the thread runs again, at least every
 * IDLE_FLUSH_NS, and when it exits. A thread that ran since its last wall sample, or has none
 * yet, is sent the sampling signal (rt_tgsigqueueinfo, SI_QUEUE, INFLAME_COOKIE_WALL); its
 * handler (sample_sigsafe.c) records a sample weighted by the periods the ticker counted for
 * it, keeps that stack in the thread's slot, and reads the thread's CPU clock as it ends. The
 * protocol between the two is in thread.h (wall_pending, wall_due). So a blocked thread is
 * woken once per blocking call rather than once per period, and only the ticker's clock reads
 * cost anything while it waits.
 *
 * Weights are sampling periods (1 / INFLAME_FREQUENCY s). Each thread's wall time is
 * accounted for in whole periods from the moment it registered (tk.acct), so the weights of a
 * thread's samples add up to its wall time whatever the ticker's own delays on a busy machine;
 * a sample stands for the periods that end at its time.
 *
 * A thread that ran unseen between two looks (the ticker itself waits for a CPU on a busy
 * machine) and is then found blocked did not spend those periods where it blocked: the ones
 * its CPU clock says it ran go to the stack where it was last found running (wall_due_run),
 * rather than all to the blocked one, which made wall shares wander by several points when
 * the ticker ran late more often while the program computed than while it waited.
 *
 * Where a look's periods change hands, the CPU clock says how long the thread ran, not when:
 * a thread woken from a sleep that the ticker (itself waiting for a CPU) looks at late ran only
 * the last of those periods, and a thread waiting for a CPU runs less than its wall time. For
 * the blocking calls of the EINTR shield the thread marks when it enters the call and when it
 * comes back to the program (shield.h): a look splits its periods at those marks, the ones
 * before the return from the call the last sample found it blocked in to that call's stack,
 * the ones before it entered a call since to the stack where it last ran (split_marks); and a
 * thread still in the call its last sample found it in, that ran for less than half of the
 * periods since (the handler's end and the call's restart, or its return to the program
 * delayed by the wait for a CPU), has not moved (still_in_call). Without those marks (a futex,
 * a read) the CPU clock decides alone: the periods of a look go to the stack the thread is found
 * at, those its CPU clock says it ran to where it last ran. Splitting by the CPU clock instead
 * of the marks charged the program's waits for a CPU to its sleeps, 6 to 20 points too many on
 * a loaded machine.
 *
 * A thread that goes back to the same blocking call again and again (a loop of short naps, an
 * idle worker's timed wait, a condition wait) ran since its last look, so the CPU clock alone
 * would have it signalled at each look after each wake: the signal's delivery and the restart
 * cost it more CPU in the kernel than its naps (a program napping 1 ms at a time got 1400
 * signals a second and twice its own system time). The marked calls (shield.h) note their call
 * site, and the handler keeps the sites of the marked calls samples found the thread blocked in
 * (up to INFLAME_WALL_SITES, in turn), with their stacks (struct inflame_wall_site): a thread in
 * a call at such a site, which it checks at entry by its caller's return address, stack pointer
 * and the return addresses above, is at that stack. Each kept site adds up the time the thread
 * spent in its calls. A look reads no clock and sends no signal while the thread is at a kept
 * site (look_at_site): each site gets the periods the thread spent at it since the last look,
 * and the wall time between its calls at kept sites (it ran then) goes to where it last ran.
 * A look that finds it elsewhere gives each site its time first, and goes on as before with the
 * rest. With one kept site only, a thread that blocks at two sites in turn had the other site's
 * sleeps given to where it last ran when the ticker looked late: wallhalf's "sites" beside a
 * starved ticker was off by -14.4 to +4.4 points, now -0.4 to +0.5 (5 interleaved runs each).
 *
 * In its final look the ticker sends no signal: the periods a signal would have stood for go to
 * where the thread last ran and was (keep_final), rather than being dropped.
 *
 * The wall signal is the CPU clock's too (inflame__prof.sample_sig), and a standard signal is
 * not queued twice: one sent while the thread has another instance pending (a CPU clock
 * overflow that came as the thread lost its CPU, which waits with it for a CPU: under load
 * most of the time) is dropped by the kernel, though the send succeeds. Left to the ticker's
 * resend (RESEND_NS), the sample then came up to 100 ms late and took all the periods since
 * wherever the thread was then: wallhalf's asleep share under cpu,wall on a loaded CPU was off
 * by -5.7 to +3.3 points. So the handler of every other instance of the signal sends the
 * ticker's signal again to its own thread while wall_pending is set (sample_sigsafe.c): it is
 * delivered as that handler returns, where the ticker's would have been, and the kernel drops
 * it when the ticker's is still pending. The resend stays for a signal of the program's
 * whose handler inflame does not see.
 *
 * With CPU sampling on too, a thread that runs has a CPU sample of its own about each period,
 * taken in the thread itself. A look that reads the clock of a thread that ran for all but half
 * a period at most of the time since the clock's last read (or the last signal), outside marked
 * calls, and was not found blocked the look before, writes its wall sample itself at the stack of
 * the CPU sample it had in the look's periods (borrow; the handler keeps that stack, thread.h's
 * cpu_frames), instead of signalling it: the busy thread gets one signal per period, not two.
 * The stack becomes where it last ran (wall_run_frames), and the ticker repeats none for it: the
 * next look that finds it has not run signals it, as after a signal that found it running. A
 * CPU sample after time in the kernel, or in a system call, is not kept: such a thread's wall
 * sample comes by a signal, which finds it where it is. The ride that came before (a63d68c,
 * reverted) took the stack of the CPU sample after the look, and with it the periods counted
 * until that sample came: a thread that blocked first had its sleep given to where it ran next
 * (-5.6 to -21.1 points). A borrowed stack was seen in the periods it stands for, and only
 * for a thread that ran through them.
 *
 * Only a sample whose signal interrupted a system call is repeated: a thread the handler found
 * running may have been about to block elsewhere (a pending signal is handled when a thread
 * that waited for a CPU runs again, often just before it blocks), so it is signalled again at
 * the next look. The handler's end and the return into the blocking call move the thread's
 * CPU clock a little after the handler read it: the first look after a signal allows
 * MOVE_SLACK_NS.
 *
 * Cost bounds. A clock read is a system call that looks the thread up by its id, about a
 * microsecond on a virtual machine: with 64 threads that wake once a second, re-checking each
 * of them as closely as below cost the ticker more than the program's own sampling signals.
 * So a thread blocked for 64 periods in a row gets a switch page: the user page of a counting
 * perf event on its task clock, mapped read-only, whose counter the kernel moves each time the
 * thread is switched in (and out). A thread that a clock read found blocked cannot run again
 * without a switch-in: while the counter stands still it has not run since, and the ticker
 * looks at it with one load and nothing else of its slot (the fast path of look: reading the
 * rest made half of the ticker's CPU beside 64 such threads); when it moves, the clock is read
 * at once. (Measured on this machine's kernel, 6.18: a thread woken from a read had a moved
 * counter 0.2 ms into its run, 14 times in 14.) A clock read is made anyway every PAGE_GRID_IN
 * ticks, all such threads on the same tick so that the ticker's long sleeps are not cut short
 * (spread over the periods, the reads of 64 threads made it wake about every period). A read
 * that finds a thread ran while its counter stood still (a kernel that moves it at switch-out
 * only: a woken thread that runs without a pause is seen by a clock read only) makes those
 * reads come every PAGE_GRID ticks from then on, with a notice (its periods go where it runs:
 * its CPU clock says it ran them, but a burst shorter than that between two long waits goes to
 * the last stack a sample found it running at). The ticker's own page proves at start that
 * the kernel moves the counter at all; without a page (no perf
 * events, or the locked memory limit), a thread blocked for k periods in a row is looked at
 * every 1 + min(k / 64, 15) periods: when it runs again its next sample comes at most 1/64 of
 * the time it was blocked (and at most 16 periods) late. Either way, during its first 64
 * periods blocked a thread's clock is read each period, unless a thread with a page went back
 * to the very stack it had been blocked at for longer than that (an idle worker whose timed
 * wait timed out): its stretch goes on. At most VISITS_MAX system calls are made per period, in
 * turn over the table; with more threads due than that, each is looked at less often, its weights
 * growing to match. Signals go only to threads that ran, at most one per look. A thread found at
 * its kept call site (look_at_site) k periods in a row is looked at every 1 + min(k / 64, 15)
 * periods too: its marks split whatever a later look covers, only the sample of a wake that
 * runs on comes up to that late (bench-wall, 64 idle threads: the ticker's CPU 31-34 ms/s
 * against 37-42 on main, two interleaved runs on a loaded machine).
 *
 * Long sleeps. Each wakeup of the ticker costs 20 to 40 us on a virtual machine, whatever it
 * then does (a bare loop of 1 ms absolute sleeps costs the same): 1000 a second were 3.7% of a
 * CPU in a process that only waits. So a tick notes, for each thread, the tick at which it next
 * needs a look (due_tick): none for a thread in a marked call (tk.quiet, QUIET_CALL), whose
 * marks give each period its place whenever the ticker looks; its check_tick, at most
 * PAGE_SKIP + 1 periods on, for one blocked elsewhere whose switch-out page has not moved
 * (QUIET_PAGE: its wake is seen at a look only, which may find it running the code after the
 * wait; with 63 periods allowed, those it was blocked since the last look went there, -1.5 to
 * -7.4 points on a 300 ms read); its next_tick for the others. A thread blocked that long
 * outside marked calls is looked at less often either way (its page, or a backoff), so a look
 * after its wake gives the periods its CPU clock says it did not run to where it blocked, and
 * only the others to the sample: 100 ms reads of a pipe each followed by 2 ms of spinning, the
 * spin's share (2%) was +1.4 to +4.8 points too large in 14 runs, -0.4 to +0.4 now. After QUIET_MIN
 * ticks in a row that no thread needs, the ticker sleeps on a futex (inflame__wall_asleep) until
 * the first tick needed, at most SLEEP_MAX periods; a thread that comes back from a marked call,
 * starts or ends loads the word and wakes it (inflame_wall_poke), and the ticker goes back to its
 * grid of periods. Seen in the other order, each side's store comes before its load (a full fence
 * each side): either the thread sees the word set, or the ticker sees its return (still_quiet) and
 * does not sleep. The ticks slept through count as looks. A sleep that a thread ends early doubles
 * the quiet ticks the next one waits for (up to QUIET_MAX), so a thread napping at high rate costs
 * one futex wake every QUIET_MAX periods at most. sleep 5 under wall: inflame's CPU 0.017 to 0.021
 * s, 0.197 to 0.250 s on main (5 interleaved runs, load 9). A thread found running (signalled,
 * or its CPU sample lent) is looked at again at the next multiple of RUN_LOOK ticks, all such
 * threads on the same ticks, its next sample weighted by the periods since: a signal not handled
 * yet does not make it due sooner, and a sleep shorter than RUN_LOOK periods needs no quiet ticks
 * before it (a poke ends it one wake early at most). Beside threads that only compute, the
 * ticker woke each period (990 a second, 25-28 ms/s of its CPU); now about 500 (13-14 ms/s), and
 * bench-wall's CPU ratio went from 1.067 to 1.047 (wall) and 1.131 to 1.103 (cpu,wall), 7
 * interleaved rounds at load 7-10, weights per thread-second unchanged. A thread found EXITED is
 * given its periods up to its end (keep_exited) rather than losing those since the last look.
 *
 * A process image's first ticker accounts for each thread from its registration (in a fork
 * child, the fork), not from its own start, and its final look (exit, exec, a pause) keeps
 * every thread's periods up to then, those of a signal not handled yet too (keep_pending); the
 * thread that then writes the image's last file has the periods until its end as the
 * profiler's own (inflame_wall_finish_self). So a fork child's wall samples add up to its life:
 * children that lived 0.4 s had 96.7% to 99.6% of it, a PostgreSQL parallel worker 74% on a
 * loaded machine.
 *
 * Descriptors. A switch page is mapped from a perf event whose descriptor is closed at once.
 * The ticker runs beside the program's threads, and a descriptor it opens in the process's table
 * takes the lowest free number for a moment: a program that closes a number twice (shells do,
 * after a fork) then closed the ticker's, and the ticker's close closed the program's file that
 * had taken the number meanwhile ("bash: cannot duplicate fd 5 to fd 1" in a pipeline under
 * cpu,wall,alloc; tests/progs/strayclose). So the ticker works in a table of its own: it starts
 * with close_range(CLOSE_RANGE_UNSHARE) over every number, a new empty table that holds none of
 * the program's files (a copy would keep the program's pipes open after it closed them). Where
 * the kernel refuses that (before Linux 5.9, or a seccomp filter), the ticker maps no page, and
 * reads the clocks instead. Its notices are kept in the dump; a line INFLAME_LOG would write to
 * stderr from the ticker is not written (its table has no stderr).
 */
#include "clock.h"
#include "wall.h"

#include "alloc.h"
#include "creds.h"
#include "dump_format.h"
#include "interpose.h"
#include "log.h"
#include "profiler.h"
#include "sample.h"
#include "timer.h"
#include "tracer.h"

#include <errno.h>
#include <linux/close_range.h>
#include <linux/futex.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define IDLE_FLUSH_NS 100000000ull
#define MOVE_SLACK_NS 50000ull
#define RESEND_NS     100000000ull
#define VISITS_MAX    128
#define BACKOFF_SHIFT 6
#define BACKOFF_MAX   15
#define PAGE_GRID     64   /* ticks between clock reads of threads long blocked, with a page */
#define PAGE_GRID_IN  1024 /* ... while pages are seen to move at each switch-in */
#define PAGE_TEST     100  /* ticks for the ticker's own page to prove that it works */
#define QUIET_MIN     1	   /* ticks with every thread quiet before a long sleep */
#define QUIET_MAX     64   /* ... after long sleeps that threads kept ending early */
#define SLEEP_MAX     100  /* periods: the longest sleep (IDLE_FLUSH_NS at 1 kHz) */
#define PAGE_SKIP     7	   /* periods a long sleep may skip of a thread blocked unmarked */
#define RUN_LOOK      4	   /* periods between looks at a thread found running */

/* What a look found, for the ticker's long sleeps (tk.quiet): nothing that lets it sleep
 * (QUIET_NO: look again at next_tick, as due); the thread in a marked call that a look gave
 * its periods to, which pokes the ticker when it comes back (QUIET_CALL: no look needed until
 * then); blocked elsewhere, its switch-out page unmoved (QUIET_PAGE: due at check_tick). */
enum { QUIET_NO, QUIET_CALL, QUIET_PAGE };

_Atomic int inflame__wall_asleep;

static struct {
	pthread_t thread;
	_Atomic int running;
	_Atomic int stop;
	_Atomic int ended;	   /* the ticker has returned: its CPU time is in ended_ns */
	_Atomic uint64_t ended_ns; /* the CPU time of the tickers that ended in this image */
	struct inflame_ring ring;
	int have_ring;
	uint64_t period; /* ns */
	uint64_t tick;	 /* looks so far */
	uid_t uid;
	int cursor;	       /* the slot to start at when a tick could not look at every thread */
	int pages;	       /* switch-out pages: 1 they work, 0 not known yet, -1 not used */
	int pages_in;	       /* no page was seen to miss a switch-in (reset by the first miss) */
	int final;	       /* the final tick of a sampling ticker: no signals, periods kept */
	int resumed;	       /* a ticker stopped in this image: the next one resumes a pause */
	const void *self_page; /* the ticker's own, while pages is 0 */
	uint32_t self_seq;
	/* Long sleeps: the ticks no thread needs after the last one (0: sleep one period), the
	 * ticks in a row with some to skip, and how many it takes to sleep long. */
	uint64_t skip;
	unsigned quiet_ticks, quiet_need;
	/* The periods that went to no sample (keep_final: threads no sample found before their
	 * end), and how many threads they were of; the writer reads them. */
	_Atomic uint64_t unseen, unseen_threads;
} k;

void inflame__wall_wake(void)
{
	int e = errno;

	if (atomic_exchange(&inflame__wall_asleep, 0))
		syscall(SYS_futex, &inflame__wall_asleep, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	errno = e;
}

INFLAME_FORK_TEXT static int wall_on(void)
{
	return (inflame__prof.cfg.events & INFLAME_EVMASK_WALL) != 0;
}

static int thread_cpu_ns(pid_t tid, uint64_t *out)
{
	clockid_t clk = (clockid_t)((~(unsigned)tid << 3) | 6); /* the thread's CPU clock */
	struct timespec ts;

	if (clock_gettime(clk, &ts) < 0)
		return -errno;
	*out = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return 0;
}

int inflame_wall_queue(pid_t tid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = inflame__prof.sample_sig;
	si.si_code = SI_QUEUE;
	si.si_pid = inflame__prof.pid;
	si.si_uid = k.uid;
	si.si_value.sival_ptr = (void *)(uintptr_t)INFLAME_COOKIE_WALL;
	return syscall(SYS_rt_tgsigqueueinfo, inflame__prof.pid, tid, si.si_signo, &si) < 0 ? -errno
											    : 0;
}

/* A read-only mapping of the user page of a counting perf event (the task clock) on thread tid,
 * or NULL. The kernel updates the page each time the thread leaves its CPU, so its counter
 * tells whether the thread ran since it was last read, with no system call. The mapping keeps
 * the event alive: the descriptor is closed at once. */
static const void *page_open(pid_t tid)
{
	struct perf_event_attr a;
	void *p;
	int fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	fd = (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static void page_close(const void **p)
{
	if (*p)
		munmap((void *)*p, (size_t)sysconf(_SC_PAGESIZE));
	*p = NULL;
}

/* The page's update counter (it moves by 2 at each update). */
static uint32_t page_seq(const void *p)
{
	return __atomic_load_n(&((const struct perf_event_mmap_page *)p)->lock, __ATOMIC_ACQUIRE);
}

/* The tick of the next clock read of threads long blocked whose page has not moved: on a grid
 * all of them share, so that their reads do not keep the ticker from its long sleeps. */
static uint64_t page_check_tick(void)
{
	uint64_t grid = k.pages_in ? PAGE_GRID_IN : PAGE_GRID;

	return (k.tick / grid + 1) * grid;
}

/* A hash of t's last wall stack (only while wall_pending is 0). */
static uint64_t stack_sum(const struct inflame_thread *t)
{
	uint64_t h = 14695981039346656037ull ^ t->wall_n;

	for (uint32_t i = 0; i < t->wall_n; i++)
		h = (h ^ t->wall_frames[i]) * 1099511628211ull;
	return h;
}

/* A record of t's in the ticker's ring: weight periods ending at time, at frames[0..n). */
static void put(const struct inflame_thread *t, const uint64_t *frames, uint32_t n, uint32_t flags,
		uint64_t weight, uint64_t time)
{
	uint64_t before = inflame_ring_used(&k.ring, 0);
	struct inflame_rec *rec;

	rec = inflame_ring_reserve(&k.ring, sizeof(*rec) + n * sizeof(uint64_t), INFLAME_EV_WALL);
	if (!rec)
		return;
	rec->time = time;
	rec->weight = weight;
	rec->size = 0;
	rec->addr = (uint64_t)t->tid;
	rec->seq = 0;
	rec->nframes = n;
	rec->flags =
	    INFLAME_REC_TID | ((flags & INFLAME_WALL_TRUNCATED) ? INFLAME_REC_TRUNCATED : 0);
	if (n)
		memcpy(rec->frames, frames, n * sizeof(uint64_t));
	inflame_ring_commit(rec);
	inflame_sample_maybe_wake(&k.ring, before);
}

/* Writes the periods t spent blocked at its kept call sites' stacks (thread.h), if any. Only
 * while wall_pending is 0 (its handler does not write the sites then). */
static void write_site_idle(struct inflame_thread *t)
{
	for (int i = 0; i < INFLAME_WALL_SITES; i++) {
		const struct inflame_wall_kept *w = &t->site.kept[i];

		if (t->tk.site_idle[i])
			put(t, w->frames, w->nframes, w->flags, t->tk.site_idle[i],
			    t->tk.site_idle_time[i]);
		t->tk.site_idle[i] = 0;
	}
}

/* The time t spent at each of its kept call sites since the last look (ns, in d), counting
 * the call it is in up to now: the sites' sums as of now become the next look's base. An entry
 * given to another site since counts from its new start. */
static void site_slept(struct inflame_thread *t, uint64_t now, uint64_t d[INFLAME_WALL_SITES])
{
	uint64_t sum[INFLAME_WALL_SITES], out, in;
	uint32_t gen[INFLAME_WALL_SITES];
	int same;

	for (int r = 0;; r++) {
		out = atomic_load_explicit(&t->wall_block_out, memory_order_acquire);
		in = atomic_load_explicit(&t->wall_block_in, memory_order_acquire);
		same = atomic_load_explicit(&t->site.same, memory_order_relaxed);
		for (int i = 0; i < INFLAME_WALL_SITES; i++) {
			sum[i] = atomic_load_explicit(&t->site.kept[i].sum, memory_order_relaxed);
			gen[i] = atomic_load_explicit(&t->site.kept[i].gen, memory_order_relaxed);
		}
		/* The sums are the ones of that return unless it came back from another call. */
		if (atomic_load_explicit(&t->wall_block_out, memory_order_acquire) == out || r == 3)
			break;
	}
	if (in > out && now > in && same > 0 && same <= INFLAME_WALL_SITES)
		sum[same - 1] += now - in;
	for (int i = 0; i < INFLAME_WALL_SITES; i++) {
		if (gen[i] != t->tk.site_gen[i])
			t->tk.site_sum[i] = 0;
		d[i] = sum[i] > t->tk.site_sum[i] ? sum[i] - t->tk.site_sum[i] : 0;
		t->tk.site_sum[i] = sum[i];
		t->tk.site_gen[i] = gen[i];
	}
}

/* Gives up to max periods, ending at time (0: once all of them are given, the caller's to
 * set), to t's kept call sites by the time it spent at each (d, ns, less what each is given).
 * Returns the periods given. */
static uint64_t give_sites(struct inflame_thread *t, uint64_t d[INFLAME_WALL_SITES], uint64_t max,
			   uint64_t time)
{
	uint64_t given = 0;

	for (int i = 0; i < INFLAME_WALL_SITES && given < max; i++) {
		uint64_t n = (d[i] + k.period / 2) / k.period;

		if (!n || !t->site.kept[i].ra)
			continue;
		n = n < max - given ? n : max - given;
		d[i] = d[i] > n * k.period ? d[i] - n * k.period : 0;
		t->tk.site_idle[i] += n;
		given += n;
	}
	for (int i = 0; i < INFLAME_WALL_SITES; i++)
		if (t->tk.site_idle[i])
			t->tk.site_idle_time[i] = time ? time : t->tk.site_idle_time[i];
	return given;
}

/* Writes the periods t spent blocked at its last wall stack, if any. Only while wall_pending
 * is 0 (its handler does not write the stack then). */
static void write_idle(struct inflame_thread *t, uint64_t now)
{
	uint32_t n = (t->wall_flags & INFLAME_WALL_HAVE) ? t->wall_n : 0;

	write_site_idle(t);
	t->tk.written = now;
	if (t->tk.idle)
		put(t, t->wall_frames, n, t->wall_flags, t->tk.idle, t->tk.idle_time);
	t->tk.idle = 0;
}

static void add_idle(struct inflame_thread *t, uint64_t periods, uint64_t now)
{
	if (!periods)
		return;
	t->tk.idle += periods;
	t->tk.idle_time = now;
}

/* Asks thread t for a wall sample standing for periods, run of which it spent running since its
 * last sample (thread.h has the order). */
static void send_sample(struct inflame_thread *t, uint64_t periods, uint64_t run, uint64_t now)
{
	write_site_idle(t); /* the handler may keep another site */
	atomic_store(&t->wall_pending, 1);
	atomic_store(&t->wall_due_end, t->tk.acct);
	atomic_fetch_add(&t->wall_due_run, run);
	atomic_fetch_add(&t->wall_due, periods);
	t->tk.sent = 1;
	t->tk.sent_at = t->tk.written = now;
	if (inflame_wall_queue(t->tid) < 0) {
		/* Gone, or the queue of real-time signals is full: no handler will run. */
		atomic_store(&t->wall_due, 0);
		atomic_store(&t->wall_due_run, 0);
		atomic_store(&t->wall_pending, 0);
		t->tk.sent = 0;
	}
}

/* The time thread t has spent in the EINTR shield's marked calls (shield.h) until now (ns): its
 * sum of the calls it came back from, and the part of the one it is in. */
static uint64_t blocked_ns(const struct inflame_thread *t, uint64_t now)
{
	uint64_t out, sum, in;

	for (int i = 0;; i++) {
		out = atomic_load_explicit(&t->wall_block_out, memory_order_acquire);
		sum = atomic_load_explicit(&t->wall_block_sum, memory_order_acquire);
		in = atomic_load_explicit(&t->wall_block_in, memory_order_acquire);
		/* The sum is the one of that return unless it came back from another call since. */
		if (atomic_load_explicit(&t->wall_block_out, memory_order_acquire) == out || i == 3)
			break;
	}
	return sum + (in > out && now > in ? now - in : 0);
}

/* The periods [start, start + periods * period) of a look at thread t, which ran since the last
 * one, split by the marks of the EINTR shield's blocking calls (shield.h). Of the time slept
 * (ns) it spent in such calls over the look, the part before the call it is in now (all of it
 * when it is in none) is the periods returned: those go to the stack it last blocked at in such
 * a call, however often it came back and blocked again over a look that came late (the ticker
 * itself waited for a CPU). When t is in such a call again, the periods before it entered it
 * that it did not sleep are *run (the ones it spent running, which its CPU clock undercounts
 * when it waited for a CPU). Periods are split at the nearest boundary; ran is how long its CPU
 * clock says it ran in them (ns). */
static uint64_t split_marks(struct inflame_thread *t, uint64_t start, uint64_t periods,
			    uint64_t ran, uint64_t slept, uint64_t *run)
{
	uint64_t out = atomic_load_explicit(&t->wall_block_out, memory_order_acquire);
	uint64_t in = atomic_load_explicit(&t->wall_block_in, memory_order_acquire);
	uint64_t end = start + periods * k.period, cur = 0, asleep, c;

	if (in > out)
		cur = in <= start ? end - start : in < end ? end - in : 0;
	asleep = slept > cur ? (slept - cur + k.period / 2) / k.period : 0;
	/* No more than its CPU clock leaves. */
	if (asleep > periods - ran / k.period)
		asleep = periods - ran / k.period;
	if (in > out) {
		c = (cur + k.period / 2) / k.period;
		c = c < periods - asleep ? c : periods - asleep;
		*run = periods - asleep - c;
	}
	return asleep;
}

/* Whether t, whose last wall sample found it blocked in a system call, is still in the EINTR
 * shield's call it had entered before the look's periods began (shield.h's marks), having run
 * for less than half of them: the handler's end and the call's restart, or the wait for a CPU
 * between the wake and the return to the program (which the program spends in the call too),
 * rather than code of its own. */
static int still_in_call(const struct inflame_thread *t, uint64_t start, uint64_t periods,
			 uint64_t ran)
{
	uint64_t out = atomic_load_explicit(&t->wall_block_out, memory_order_acquire);
	uint64_t in = atomic_load_explicit(&t->wall_block_in, memory_order_acquire);

	return (t->wall_flags & INFLAME_WALL_SYSCALL) && in > out && in <= start &&
	       ran * 2 < periods * k.period;
}

/* Whether t is in a marked call at one of its kept call sites now (thread.h): 1 + its index,
 * 0: none. Only while wall_pending is 0. */
static int at_site(struct inflame_thread *t)
{
	uint64_t in = atomic_load_explicit(&t->wall_block_in, memory_order_acquire);
	uint64_t out = atomic_load_explicit(&t->wall_block_out, memory_order_acquire);
	int same = atomic_load_explicit(&t->site.same, memory_order_relaxed);

	if (in <= out || same <= 0 || same > INFLAME_WALL_SITES || !t->site.kept[same - 1].ra)
		return 0;
	t->tk.out_seen = out;
	return same;
}

/* A look at t, which is in a marked call at its kept site cur (at_site): no clock read, no
 * signal. Each kept site gets the periods the thread spent at it (d), the one it is at the
 * rest up to the time it ran; that time (gap, the wall time between its calls at kept sites,
 * when it made no marked call elsewhere since; otherwise the periods not spent at them) goes to
 * the last stack a sample found it running at. */
static void look_at_site(struct inflame_thread *t, int cur, uint64_t start, uint64_t periods,
			 uint64_t left, uint64_t now, uint64_t d[INFLAME_WALL_SITES], int elsewhere)
{
	uint64_t run, skip, gap = atomic_load_explicit(&t->site.gap, memory_order_relaxed), asleep;

	asleep = give_sites(t, d, periods, now);
	run = periods - asleep;
	if (t->tk.kept && !elsewhere) {
		uint64_t g = (gap - t->tk.gap + k.period / 2) / k.period;

		if (g < run) {
			/* Rounding: the rest is the current site's. */
			t->tk.site_idle[cur - 1] += run - g;
			t->tk.site_idle_time[cur - 1] = now;
			run = g;
		}
	}
	if (left) {
		if (t->wall_flags & INFLAME_WALL_HAVE)
			add_idle(t, left, now);
		else
			run += left;
	}
	if (run) {
		write_idle(t, now);
		if (t->wall_run_flags & INFLAME_WALL_HAVE) {
			put(t, t->wall_run_frames, t->wall_run_n, t->wall_run_flags, run,
			    start + run * k.period);
		} else {
			/* No stack where it ran: the site's. */
			t->tk.site_idle[cur - 1] += run;
			t->tk.site_idle_time[cur - 1] = now;
		}
	}
	t->tk.kept = 1;
	t->tk.gap = gap;
	t->tk.stale = 1;
	t->tk.sent = 0;
	/* Its marks split whatever the next look covers: a thread long at its sites (an idle
	 * worker's timed wait) is looked at less often, as a blocked thread without a page. */
	if (run)
		t->tk.site_stretch = 0;
	t->tk.site_stretch += periods - (run < periods ? run : periods);
	skip = t->tk.site_stretch >> BACKOFF_SHIFT;
	t->tk.next_tick = k.tick + 1 + (skip > BACKOFF_MAX ? BACKOFF_MAX : skip);
	if (now - t->tk.written >= IDLE_FLUSH_NS)
		write_idle(t, now);
}

/* In the final look (no signal is sent any more), the periods t would have been signalled for,
 * run of which it ran: those go to the last stack a sample found it running at, the rest to
 * its last wall stack (the stack it is found at was all a signal could add). A thread with
 * neither, which no sample found yet, keeps none: in a fork child that ends before its first
 * sample (most fork children that only exit), those periods alone made a dump that main
 * never wrote (forkb, 300 children that _exit at once under wall: 2.3 s of CPU against 1.7).
 * They are counted instead (unseen), and a dump written for other reasons says how much wall
 * time is in no sample; the count alone makes no dump. */
static void keep_final(struct inflame_thread *t, uint64_t periods, uint64_t run, uint64_t now)
{
	if (!(t->wall_run_flags & INFLAME_WALL_HAVE) && !(t->wall_flags & INFLAME_WALL_HAVE)) {
		atomic_fetch_add_explicit(&k.unseen, periods, memory_order_relaxed);
		if (periods && !t->tk.unseen++)
			atomic_fetch_add_explicit(&k.unseen_threads, 1, memory_order_relaxed);
		return;
	}
	if (run && (t->wall_run_flags & INFLAME_WALL_HAVE)) {
		put(t, t->wall_run_frames, t->wall_run_n, t->wall_run_flags, run, now);
		periods -= run;
	}
	if (!periods)
		return;
	if (t->wall_flags & INFLAME_WALL_HAVE)
		add_idle(t, periods, now);
	else if (t->wall_run_flags & INFLAME_WALL_HAVE)
		put(t, t->wall_run_frames, t->wall_run_n, t->wall_run_flags, periods, now);
}

/* In the final look, the periods of a signal t has not handled yet, which no sample may take
 * once the process goes on to exit or exec, and of a thread that exited before its handler
 * ran: kept as keep_final does. When the handler took them first, it clears wall_pending as it
 * ends. */
static void keep_pending(struct inflame_thread *t, uint64_t now)
{
	uint64_t due = atomic_exchange(&t->wall_due, 0), run = atomic_exchange(&t->wall_due_run, 0);

	if (!due)
		return;
	atomic_store_explicit(&t->wall_pending, 0, memory_order_release);
	keep_final(t, due, run < due ? run : due, now);
}

/* Whether a look's wall sample of t may be the CPU sample it had in the look's periods: CPU
 * sampling is on, and the thread ran (ran ns, by its CPU clock) for all but half a period at
 * most of the span since the clock's last read or the last signal (span ns), which covers the
 * look's periods but half of one. A signal that found it blocked would have given all of
 * them to where it ran too (its run, rounded); one that found it running, all of them to
 * where it is. */
static int can_borrow(const struct inflame_thread *t, uint64_t periods, uint64_t ran, uint64_t span)
{
	return (inflame__prof.cfg.events & INFLAME_EVMASK_CPU) && t->cpu_frames &&
	       ran * 2 + k.period >= span * 2 && span * 2 + k.period >= 2 * periods * k.period;
}

/* Writes the wall sample of a look at t that found it running through the periods from start
 * (can_borrow) at the stack of its last CPU sample, taken in those periods, if there is one
 * that no look took before: no signal. That stack is where it
 * last ran (wall_run_frames); the ticker repeats none (wall_flags 0), so the next look that
 * finds it has not run signals it to see where it blocked. Returns 0 when there is none, or
 * the thread's handler was writing it (the look signals then). */
static int borrow(struct inflame_thread *t, uint64_t start, uint64_t periods, uint64_t now)
{
	uint32_t seq = atomic_load_explicit(&t->cpu_seq, memory_order_acquire), n = t->cpu_n;
	uint64_t when = t->cpu_time;

	if ((seq & 1) || n > inflame__prof.cfg.max_depth || when <= start || when > now ||
	    when <= t->tk.borrowed)
		return 0;
	write_idle(t, now); /* (at the stack it repeated until now) */
	memcpy(t->wall_run_frames, t->cpu_frames, n * sizeof(uint64_t));
	t->wall_run_n = n;
	t->wall_run_flags = INFLAME_WALL_HAVE | t->cpu_flags;
	t->wall_flags = 0;
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&t->cpu_seq, memory_order_relaxed) != seq) {
		t->wall_run_flags = 0; /* torn: the signal finds where it runs */
		return 0;
	}
	t->tk.borrowed = when;
	put(t, t->wall_run_frames, n, t->wall_run_flags, periods, now);
	return 1;
}

/* One look at thread t at time now. Returns 1 when it made a system call (read t's CPU clock
 * or signalled it), 0 when it was not due or its page said enough. */
static int look(struct inflame_thread *t, uint64_t now, int sampling)
{
	uint64_t periods, left, cpu = 0, since, ran = 0, start = t->tk.acct, asleep, run;
	uint64_t slept, napped, b, calls, in, span = 0, bran = 0, d[INFLAME_WALL_SITES];
	int moved, cheap = 0, was_sent = t->tk.sent, elsewhere, cur, unmarked, again;
	/* The last look or sample found it blocked: the next one after it ran is signalled. */
	int blocked = t->tk.stretch || (t->wall_flags & INFLAME_WALL_SYSCALL);
	uint32_t seq = 0;

	if (k.tick < t->tk.next_tick || now <= t->tk.acct)
		return 0;
	periods = (now - t->tk.acct) / k.period;
	if (!periods)
		return 0;
	t->tk.acct += periods * k.period;
	if (t->tk.quiet == QUIET_PAGE && t->tk.page && !t->tk.sent && k.tick < t->tk.check_tick &&
	    page_seq(t->tk.page) == t->tk.seq) {
		/* Not switched in since a clock read found it blocked outside marked calls: it
		 * made no call and took no signal since, only the time moved. As below, without
		 * reading the rest of its slot (half of the ticker's CPU beside 64 such threads).
		 */
		add_idle(t, periods, now);
		t->tk.stretch += periods;
		t->tk.next_tick = k.tick + 1;
		if (now - t->tk.written >= IDLE_FLUSH_NS)
			write_idle(t, now);
		return 0;
	}
	t->tk.quiet = QUIET_NO;
	/* The time it spent in marked calls since the last look (shield.h). */
	b = blocked_ns(t, now);
	slept = b > t->tk.slept ? b - t->tk.slept : 0;
	t->tk.slept = b;
	unmarked = !slept;
	napped = (slept + k.period / 2) / k.period; /* (in periods, at most the look's) */
	napped = napped < periods ? napped : periods;
	site_slept(t, now, d);
	/* Whether it made marked calls away from its kept sites since (or a handler of the
	 * program's ran). */
	calls = atomic_load_explicit(&t->site.other, memory_order_relaxed);
	elsewhere = calls != t->tk.calls;
	t->tk.calls = calls;
	if (atomic_load_explicit(&t->wall_pending, memory_order_acquire)) {
		/* Not handled yet (the thread waits for a CPU, or blocks the signal): the sample
		 * to come stands for these periods too. A standard signal may have been merged
		 * with one of the program's: send it again now and then (a duplicate finds
		 * nothing due and does nothing). */
		atomic_store(&t->wall_due_end, t->tk.acct);
		atomic_fetch_add(&t->wall_due, periods);
		if (k.final)
			keep_pending(t, now);
		if (sampling && inflame__prof.sample_sig < SIGRTMIN &&
		    now - t->tk.sent_at >= RESEND_NS) {
			t->tk.sent_at = now;
			inflame_wall_queue(t->tid);
		}
		return 0;
	}
	/* Periods counted while the last handler was ending, after it took what was due. */
	left = atomic_exchange(&t->wall_due, 0);
	atomic_store(&t->wall_due_run, 0);
	cur = at_site(t);
	if (cur) {
		look_at_site(t, cur, start, periods, left, now, d, elsewhere);
		t->tk.quiet = QUIET_CALL;
		return 0;
	}
	t->tk.site_stretch = 0;
	t->tk.kept = 0;
	/* The periods it spent at its kept sites since the last look are theirs, however often
	 * it came back and went there again. */
	asleep = give_sites(t, d, periods, 0);
	if (asleep) {
		for (int i = 0; i < INFLAME_WALL_SITES; i++)
			if (t->tk.site_idle[i])
				t->tk.site_idle_time[i] = start + asleep * k.period;
		start += asleep * k.period;
		periods -= asleep;
		slept = slept > asleep * k.period ? slept - asleep * k.period : 0;
	}
	write_site_idle(t);
	if (!periods) {
		t->tk.next_tick = t->tk.check_tick = k.tick + 1;
		return 0;
	}
	/* Whether it is in a marked call, read before its page and its clock: a return from the
	 * call after them moves wall_block_out from out_seen. */
	in = atomic_load_explicit(&t->wall_block_in, memory_order_acquire);
	t->tk.out_seen = atomic_load_explicit(&t->wall_block_out, memory_order_acquire);
	again =
	    (t->tk.sent || t->tk.lent) && !(t->wall_flags & INFLAME_WALL_SYSCALL) && periods == 1;
	t->tk.lent = 0;
	if (again && !(inflame__prof.cfg.events & INFLAME_EVMASK_CPU)) {
		/* The last sample found the thread running (or about to block, or waiting for a
		 * CPU): it is not known to be blocked anywhere, look again. */
		moved = 1;
	} else if (!t->tk.sent && t->tk.page && k.tick < t->tk.check_tick &&
		   page_seq(t->tk.page) == t->tk.seq) {
		/* Not switched out since the last clock read: it still has not run. */
		moved = 0;
		cheap = 1;
	} else {
		if (t->tk.page)
			seq = page_seq(t->tk.page); /* before the clock: a later switch shows */
		if (thread_cpu_ns(t->tid, &cpu) < 0) {
			/* Gone without unregistering (a thread that existed before us). */
			t->tk.next_tick = k.tick + 1 + BACKOFF_MAX;
			return 1;
		}
		/* Just after a signal that found the thread in a system call, it counts as
		 * blocked there if it ran no more than the end of the handler and the return
		 * into the call since. */
		since = t->tk.sent ? t->wall_cpu : t->tk.base;
		ran = cpu > since ? cpu - since : 0;
		if (t->tk.stale) {
			/* Its clock was last read before it went back to its kept site: it ran
			 * since it came back from its last call, at most. */
			uint64_t out =
			    atomic_load_explicit(&t->wall_block_out, memory_order_acquire);

			if (out && now > out && ran > now - out)
				ran = now - out;
			t->tk.stale = 0;
		}
		moved = t->tk.sent ? !(t->wall_flags & INFLAME_WALL_SYSCALL) || ran > MOVE_SLACK_NS
				   : cpu != t->tk.base;
		if (t->tk.page_still && !t->tk.sent && cpu != t->tk.base && seq == t->tk.seq &&
		    k.pages_in) {
			/* It ran since a read that found it had not, without a switch-in on its
			 * page: this kernel updates pages at switch-out only. Reads come more
			 * often from now on. */
			k.pages_in = 0;
			inflame_log(INFLAME_LOG_INFO,
				    "wall: switch pages move at switch-out only; "
				    "long-blocked threads' clocks are read more often");
		}
		/* (no signal, no run between the last read and this one: it was not on a CPU
		 * as the page was read) */
		t->tk.page_still = t->tk.page && !t->tk.sent && cpu == t->tk.base;
		span = now - (t->tk.sent ? t->tk.sent_at : t->tk.base_at);
		t->tk.base = cpu;
		t->tk.base_at = now;
		t->tk.seq = seq;
		if (moved && still_in_call(t, start, periods, ran))
			moved = 0;
		/* (read for a borrow only: a signal that finds it blocked gives the period to
		 * where it blocked, as without CPU sampling) */
		bran = ran;
		if (again)
			ran = 0;
	}
	t->tk.sent = 0;
	if (t->wall_flags & INFLAME_WALL_HAVE) {
		add_idle(t, left, now);
		if (!moved) {
			uint64_t skip;

			add_idle(t, periods, now);
			t->tk.quiet = in > t->tk.out_seen ? QUIET_CALL
				      : t->tk.page	  ? QUIET_PAGE
							  : QUIET_NO;
			if (was_sent && t->tk.page) {
				/* Back where it blocked for long before it woke: the same stretch
				 * goes on (an idle worker's timed wait). */
				uint64_t sum = stack_sum(t);

				if (sum == t->tk.stack_sum && t->tk.held >> BACKOFF_SHIFT)
					t->tk.stretch = t->tk.held;
				t->tk.stack_sum = sum;
			}
			t->tk.stretch += periods;
			skip = t->tk.stretch >> BACKOFF_SHIFT;
			if (t->tk.page) {
				/* A look each period, a clock read now and then. */
				t->tk.next_tick = k.tick + 1;
				if (!cheap)
					t->tk.check_tick = skip ? page_check_tick() : k.tick + 1;
			} else {
				t->tk.next_tick =
				    k.tick + 1 + (skip > BACKOFF_MAX ? BACKOFF_MAX : skip);
			}
			if (skip && k.pages == 1 && !t->tk.page && !t->tk.page_failed) {
				/* Blocked long: worth a page. The next look reads the clock, and
				 * the page's counter before it. */
				t->tk.page = page_open(t->tid);
				t->tk.page_failed = !t->tk.page;
				if (t->tk.page)
					t->tk.next_tick = t->tk.check_tick = k.tick + 1;
			}
			if (now - t->tk.written >= IDLE_FLUSH_NS)
				write_idle(t, now);
			return !cheap;
		}
		/* How many of these periods it ran (its CPU clock says how long, not where). */
		run = (ran + k.period / 2) / k.period;
		asleep = split_marks(t, start, periods, ran, slept, &run);
		if (t->wall_flags & INFLAME_WALL_SYSCALL) {
			add_idle(t, asleep, start + asleep * k.period);
		} else {
			/* Last found running: its sleeps since are its kept sites' when they
			 * were there (the rest goes to its sample). */
			asleep = give_sites(t, d, asleep, start + asleep * k.period);
		}
		if (unmarked && in <= t->tk.out_seen && t->tk.stretch >> BACKOFF_SHIFT &&
		    periods > (run ? run : 1)) {
			/* Blocked for long outside marked calls (a read, a futex of its own) at its
			 * last wall stack, so looked at less often: the periods its CPU clock says
			 * it did not run since the last look are that stack's, not the one its
			 * sample finds it at (the code after the wait). One at least is left for
			 * the sample, which must find where it is now. Not after short waits:
			 * looked at each period, the periods a late ticker adds are as often the
			 * wait for a CPU of the code after the wait as its wake. */
			asleep = periods - (run ? run : 1);
			add_idle(t, asleep, start + asleep * k.period);
		}
		write_idle(t, now);
		periods -= asleep;
		if (!periods) {
			/* It came back from its call only as the look's periods ended: the next
			 * look asks for a sample. */
			t->wall_flags = 0;
			t->tk.held = t->tk.stretch;
			t->tk.stretch = 0;
			t->tk.next_tick = t->tk.check_tick = k.tick + 1;
			return 1;
		}
	} else {
		run = (ran + k.period / 2) / k.period;
		periods += left;
	}
	t->tk.held = t->tk.stretch;
	t->tk.stretch = 0;
	t->tk.next_tick = t->tk.check_tick = (k.tick / RUN_LOOK + 1) * RUN_LOOK;
	if (sampling && unmarked && in <= t->tk.out_seen && !left && !blocked &&
	    can_borrow(t, periods, bran, span) && borrow(t, start, periods, now))
		t->tk.lent = 1;
	else if (sampling)
		send_sample(t, periods, run < periods ? run : periods, now);
	else if (k.final)
		keep_final(t, periods, run < periods ? run : periods, now);
	return 1;
}

/* The tick at which thread t needs its next look, as the last one left it (0: the next one;
 * UINT64_MAX: none before it pokes the ticker). */
static uint64_t due_tick(const struct inflame_thread *t)
{
	if (atomic_load_explicit(&t->wall_pending, memory_order_acquire))
		return t->tk.next_tick;
	switch (t->tk.quiet) {
	case QUIET_CALL:
		return UINT64_MAX;
	case QUIET_PAGE:
		/* Its wake is seen at a look only, which may find it running: the periods its
		 * CPU clock says it did not run since the last look go to where it blocked. */
		return t->tk.check_tick < t->tk.next_tick + PAGE_SKIP ? t->tk.check_tick
								      : t->tk.next_tick + PAGE_SKIP;
	default:
		return t->tk.next_tick;
	}
}

/* The last periods of t, from its last look to its end (fin_at), which a ticker that looks
 * late (it slept long, or waited for a CPU) finds EXITED: its marks, when the last look found
 * it in a marked call (it came back, ran and ended), or its CPU clock as it ended (fin) say
 * how long it ran. Those periods go to where it last ran, the rest to where it was last found
 * (keep_final). Not when a signal is pending: what it was due for is not known. */
static void keep_exited(struct inflame_thread *t)
{
	uint64_t periods, run, b, slept, end = t->fin_at;

	if (atomic_load_explicit(&t->wall_pending, memory_order_acquire))
		keep_pending(t, atomic_load(&t->wall_due_end));
	if (!t->fin_ok || end <= t->tk.acct || (t->tk.stale && t->tk.quiet != QUIET_CALL) ||
	    atomic_load_explicit(&t->wall_pending, memory_order_acquire))
		return;
	periods = (end - t->tk.acct) / k.period;
	if (!periods)
		return;
	t->tk.acct += periods * k.period;
	if (t->tk.quiet != QUIET_CALL) {
		uint64_t since = t->tk.sent ? t->wall_cpu : t->tk.base;

		run = t->fin.cpu > since ? t->fin.cpu - since : 0;
		run = (run + k.period / 2) / k.period;
	} else {
		b = blocked_ns(t, end);
		slept = b > t->tk.slept ? b - t->tk.slept : 0;
		t->tk.slept = b;
		slept = (slept + k.period / 2) / k.period;
		run = slept < periods ? periods - slept : 0;
	}
	keep_final(t, periods, run < periods ? run : periods, end);
}

/* One tick: a look at every thread that is due (up to VISITS_MAX of them). With last set,
 * the final one: nothing is signalled and every blocked thread's periods are written. Sets
 * k.skip: the ticks after this one that no thread needs. */
static void tick(uint64_t now, int last)
{
	int n = inflame_thread_high_water(), visits = 0, sampling = !last;
	uint64_t due = UINT64_MAX;

	if (sampling)
		sampling = atomic_load(&inflame__prof.sampling);
	inflame_thread_hold();
	for (int j = 0; j < n; j++) {
		int i = (k.cursor + j) % n;
		struct inflame_thread *t = inflame_thread_at(i);
		int st = atomic_load_explicit(&t->state, memory_order_acquire);

		if (st == INFLAME_SLOT_EXITED && !t->tk.gone) {
			/* It ran (to exit): the periods since its last look are not known, unless
			 * the ticker skipped looks while it was quiet. */
			keep_exited(t);
			if (!atomic_load_explicit(&t->wall_pending, memory_order_acquire))
				write_idle(t, now);
			page_close(&t->tk.page);
			t->tk.gone = 1;
			continue;
		}
		if (st != INFLAME_SLOT_ACTIVE)
			continue;
		if (visits == VISITS_MAX) {
			if (!last) {
				k.cursor = i;
				break;
			}
		} else {
			visits += look(t, now, sampling);
		}
		if (due_tick(t) < due)
			due = due_tick(t);
		if (last && !atomic_load_explicit(&t->wall_pending, memory_order_acquire))
			write_idle(t, now);
		if (last)
			page_close(&t->tk.page);
	}
	if (visits < VISITS_MAX)
		k.cursor = 0;
	inflame_thread_unhold();
	k.tick++;
	k.skip = 0;
	if (!last && visits < VISITS_MAX && due > k.tick)
		k.skip = due - k.tick < SLEEP_MAX ? due - k.tick : SLEEP_MAX - 1;
}

/* Every thread's look starts now. Its account starts at its registration (in a fork child:
 * the fork) when this is the image's first ticker, whose thread starts some time after them
 * (a fork child's ticker started 3 to 14 ms after the fork on a loaded machine, 50 ms in a
 * PostgreSQL worker, and those periods were no one's). After a pause it starts now. */
static void start_accounts(uint64_t now)
{
	int n = inflame_thread_high_water();
	uint64_t d[INFLAME_WALL_SITES];

	inflame_thread_hold();
	for (int i = 0; i < n; i++) {
		struct inflame_thread *t = inflame_thread_at(i);

		if (atomic_load_explicit(&t->state, memory_order_acquire) != INFLAME_SLOT_ACTIVE)
			continue;
		if (k.resumed && t->tk.acct < now)
			t->tk.acct = now;
		t->tk.slept = blocked_ns(t, now);
		t->tk.calls = atomic_load_explicit(&t->site.other, memory_order_relaxed);
		t->tk.idle = 0;
		memset(t->tk.site_idle, 0, sizeof(t->tk.site_idle));
		site_slept(t, now, d); /* the sums so far are not this account's */
		t->tk.kept = 0;
		t->tk.next_tick = 0;
		t->tk.stretch = 0;
		t->tk.site_stretch = 0;
	}
	inflame_thread_unhold();
}

/* Whether every thread is still as the last tick left it, now that the ticker has said it
 * sleeps (inflame__wall_asleep): none came back from the marked call it was found in, none
 * started or ended. A thread that does so after this sees the word set and pokes. */
static int still_quiet(void)
{
	int n = inflame_thread_high_water(), ok = 1;

	atomic_thread_fence(memory_order_seq_cst);
	inflame_thread_hold();
	for (int i = 0; i < n && ok; i++) {
		struct inflame_thread *t = inflame_thread_at(i);
		int st = atomic_load_explicit(&t->state, memory_order_acquire);

		if (st == INFLAME_SLOT_EXITED && !t->tk.gone)
			ok = 0;
		else if (st == INFLAME_SLOT_ACTIVE && due_tick(t) < k.tick + k.skip)
			ok = 0;
		else if (st == INFLAME_SLOT_ACTIVE && t->tk.quiet == QUIET_CALL &&
			 atomic_load_explicit(&t->wall_block_out, memory_order_acquire) !=
			     t->tk.out_seen)
			ok = 0;
	}
	inflame_thread_unhold();
	return ok;
}

/* Sleeps until time until (ns), or until a thread pokes the ticker (inflame_wall_poke).
 * Returns 1 when a thread ended the sleep early or it could not begin. */
/* A time on CLOCK_MONOTONIC, in ns, as a timespec. */
static struct timespec timespec_of(uint64_t ns)
{
	return (struct timespec){(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
}

/* Sleeps until time ns on CLOCK_MONOTONIC. */
static void sleep_until(uint64_t ns)
{
	struct timespec ts = timespec_of(ns);

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static int long_sleep(uint64_t until)
{
	struct timespec ts = timespec_of(until);

	atomic_store(&inflame__wall_asleep, 1);
	if (atomic_load(&k.stop) || !still_quiet()) {
		atomic_store(&inflame__wall_asleep, 0);
		return 1;
	}
	while (atomic_load(&inflame__wall_asleep) && !atomic_load(&k.stop)) {
		/* (FUTEX_WAIT_BITSET: an absolute time on CLOCK_MONOTONIC) */
		if (syscall(SYS_futex, &inflame__wall_asleep, FUTEX_WAIT_BITSET_PRIVATE, 1, &ts,
			    NULL, FUTEX_BITSET_MATCH_ANY) < 0 &&
		    errno == ETIMEDOUT)
			break;
	}
	return atomic_exchange(&inflame__wall_asleep, 0) == 0;
}

/* Gives the calling thread (the ticker) a table of descriptors of its own, empty: what it opens
 * then never takes a number of the program's table. Returns 0 or -errno. */
static int own_table(void)
{
#if defined(SYS_close_range) && defined(CLOSE_RANGE_UNSHARE)
	if (syscall(SYS_close_range, 0u, ~0u, CLOSE_RANGE_UNSHARE) < 0)
		return -errno;
	return 0;
#else
	return -ENOSYS;
#endif
}

static void *ticker_main(void *arg)
{
	uint64_t next = inflame__now_monotonic();

	(void)arg;
	inflame__alloc_tls.guard = 1; /* nothing here is the program's */
	/* A set*id call since its creation. */
	inflame_creds_follow(INFLAME_CREDS_TICKER);
	prctl(PR_SET_NAME, "inflame-wall", 0, 0, 0);
	k.quiet_need = QUIET_MIN;
	k.quiet_ticks = 0;
	k.skip = 0;
	/* Whether the kernel updates a page at each switch-out: the ticker's own must move as
	 * it sleeps. Until it does, every look reads the clock. Pages only in a table of
	 * descriptors of the ticker's own (Descriptors, above). */
	k.self_page = own_table() == 0 ? page_open(inflame__gettid()) : NULL;
	k.pages = k.self_page ? 0 : -1;
	if (k.self_page)
		k.self_seq = page_seq(k.self_page);
	start_accounts(next);
	while (!atomic_load(&k.stop)) {
		uint64_t now = inflame__now_monotonic();

		next += k.period;
		if (next < now)
			next = now; /* late (a busy machine): no burst of ticks to catch up */
		k.quiet_ticks = k.skip ? k.quiet_ticks + 1 : 0;
		if (k.skip && (k.quiet_ticks >= k.quiet_need || k.skip < RUN_LOOK)) {
			/* No thread needs a look for k.skip ticks: sleep that long, or until one
			 * comes back from its call. The ticks slept count as looks. */
			int early = long_sleep(next + k.skip * k.period);
			uint64_t woke = inflame__now_monotonic(), slept;

			slept = woke > next ? (woke - next) / k.period : 0;
			k.tick += slept < k.skip ? slept : k.skip;
			k.quiet_need =
			    early ? (k.quiet_need * 2 < QUIET_MAX ? k.quiet_need * 2 : QUIET_MAX)
				  : QUIET_MIN;
			k.quiet_ticks = 0;
			if (!early && woke >= next + k.skip * k.period) {
				/* Its end: the tick is now (a sleep to the next period on the grid
				 * cost a second wakeup for each long sleep). */
				next += k.skip * k.period;
			} else {
				/* Back on the grid of periods: a tick just as a thread comes back
				 * from its call would look at it between its calls more often than
				 * by chance. */
				if (woke > next)
					next += (woke - next + k.period - 1) / k.period * k.period;
				if (next > woke)
					sleep_until(next);
			}
		} else {
			sleep_until(next);
		}
		inflame_creds_follow(INFLAME_CREDS_TICKER);
		if (atomic_load(&k.stop))
			break;
		if (k.pages == 0 && (page_seq(k.self_page) != k.self_seq || k.tick >= PAGE_TEST)) {
			k.pages = page_seq(k.self_page) != k.self_seq ? 1 : -1;
			k.pages_in = k.pages == 1;
			page_close(&k.self_page);
		}
		tick(inflame__now_monotonic(), 0);
	}
	k.final = atomic_load(&inflame__prof.sampling) != 0; /* (stopped before sampling) */
	tick(inflame__now_monotonic(), 1);
	k.final = 0;
	page_close(&k.self_page);
	atomic_fetch_add(&k.ended_ns, inflame__thread_cpu_ns());
	atomic_store_explicit(&k.ended, 1, memory_order_release);
	return NULL;
}

INFLAME_FORK_TEXT int inflame_wall_start(void)
{
	sigset_t all, old;
	int rc;

	if (!wall_on() || k.running)
		return 0;
	/* A debugger would list the ticker as the program's thread (tracer.h). */
	if (inflame_tracer_gate("its wall-clock ticker's start"))
		return 0;
	if (!k.have_ring) {
		if (inflame_ring_init(&k.ring, (size_t)inflame__prof.cfg.buffer_kb * 1024) < 0)
			return -ENOMEM;
		k.have_ring = 1;
	}
	k.period = 1000000000ull / inflame__prof.cfg.frequency;
	k.uid = getuid();
	atomic_store(&k.stop, 0);
	atomic_store(&k.ended, 0);
	sigfillset(&all);
	/* A follower from before it runs: a set*id call as it starts waits for it. */
	inflame_creds_register(INFLAME_CREDS_TICKER, 1);
	inflame__real_pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = inflame__real_pthread_create(&k.thread, NULL, ticker_main, NULL);
	inflame__real_pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		inflame_creds_register(INFLAME_CREDS_TICKER, 0);
		inflame_log(INFLAME_LOG_INFO,
			    "cannot start the wall-clock ticker: %s; wall-clock "
			    "sampling is off",
			    strerror(rc));
		return -rc;
	}
	k.running = 1;
	return 0;
}

INFLAME_FORK_TEXT void inflame_wall_stop(void)
{
	if (!k.running)
		return;
	atomic_store(&k.stop, 1);
	inflame_wall_poke();
	pthread_join(k.thread, NULL);
	inflame_creds_register(INFLAME_CREDS_TICKER, 0);
	k.running = 0;
	k.resumed = 1;
}

uint64_t inflame_wall_ticker_cpu_ns(void)
{
	clockid_t clk;
	struct timespec ts;
	uint64_t before = atomic_load(&k.ended_ns);

	/* A ticker that ended has added its time to ended_ns before it said so; one still
	 * there (until it is joined, its clock reads) has not. */
	if (!atomic_load(&k.running) || atomic_load_explicit(&k.ended, memory_order_acquire) ||
	    pthread_getcpuclockid(k.thread, &clk) != 0 || clock_gettime(clk, &ts) != 0)
		return atomic_load(&k.ended_ns);
	return before + (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void inflame_wall_unseen(uint64_t *periods, uint64_t *threads)
{
	*periods = atomic_load_explicit(&k.unseen, memory_order_relaxed);
	*threads = atomic_load_explicit(&k.unseen_threads, memory_order_relaxed);
}

void inflame_wall_finish_self(uint64_t end)
{
	struct inflame_thread *t = inflame_thread_self();
	uint64_t periods;

	if (!wall_on() || k.running || !k.period || !t || end <= t->tk.acct)
		return;
	periods = (end - t->tk.acct) / k.period;
	t->tk.acct += periods * k.period;
	atomic_fetch_add_explicit(&t->self_wall, periods, memory_order_relaxed);
}

INFLAME_FORK_TEXT struct inflame_ring *inflame_wall_ring(void)
{
	return k.have_ring ? &k.ring : NULL;
}

int inflame_wall_done_with(struct inflame_thread *t)
{
	int done;

	if (!k.running)
		return 1;
	inflame_thread_hold();
	done = t->tk.gone;
	inflame_thread_unhold();
	return done;
}

INFLAME_FORK_TEXT void inflame_wall_after_fork_child(void)
{
	int n;

	/* Without wall sampling nothing of the ticker's ever ran: its state and the threads'
	 * pages are as the constructor left them, and a look at them would fault in pages of the
	 * thread table and of this file's state that a fork child that only execs never needs
	 * (issue 11). */
	if (!wall_on())
		return;
	n = inflame_thread_high_water();
	/* The pages are the parent's threads'. */
	for (int i = 0; i < n; i++) {
		struct inflame_thread *t = inflame_thread_at(i);

		if (atomic_load(&t->state) != INFLAME_SLOT_FREE)
			page_close(&t->tk.page);
	}
	page_close(&k.self_page);
	k.running = 0;
	k.resumed = 0; /* the child's threads are accounted for from the fork */
	atomic_store(&inflame__wall_asleep, 0);
	atomic_store(&k.ended_ns, 0); /* the parent's ticker time is the parent's */
	atomic_store(&k.unseen, 0);
	atomic_store(&k.unseen_threads, 0);
	atomic_store(&k.stop, 0);
	k.cursor = 0;
	if (k.have_ring)
		inflame_ring_reset_forked(&k.ring);
}
