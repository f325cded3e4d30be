/*
 * The writer thread and the dump files it writes.
 *
 * Data model: for the current file the writer keeps a stack table (stack -> id, cleared for
 * each new file so every file stands alone), two chunk builders (new stacks, and samples that
 * refer to them) and per-file counters. One cycle drains every ring, appending each record's
 * stack (if new) and the sample, then writes STACKS before SAMPLES so a reader always knows a
 * stack before a sample uses it, then THREADS for renamed or exited threads, NOTES for the
 * notices logged since (log.h), and every second a STATS chunk and, when the program rewrote
 * its command line (a server labelling its workers), a new PROCESS chunk.
 * Coverage: THREAD_CPU chunks give each thread's measured CPU time next to the weights of its
 * cpu samples, for the threads that exited in the cycle and, with each STATS chunk, for every
 * live one (see the section below).
 * The cycle runs under cycle_lock, which fork's prepare handler takes so that a child never
 * inherits a half-done cycle.
 *
 * Allocation events (ALLOC, FREE) are written in the order of their sequence numbers (alloc.h)
 * rather than ring by ring, so that a reader replaying them sees the events on each address in
 * the order they happened, across threads. A cycle keeps them aside (pending), sorts them, and
 * writes those numbered below the counter's value read before the cycle drained anything: any
 * event that must come before one of those was committed before that read, so it was drained
 * in this cycle or an earlier one. The rest wait for the next cycle; closing a file writes all.
 * When at most one ring holds anything as the cycle starts (the counter read first: any event
 * another thread must still commit before one below the limit was committed before that read,
 * so its ring is not empty), that ring's events below the limit are written as they are
 * drained, after the waiting ones that come before them, without being kept aside: the events
 * of one thread are in order, but for a signal handler's event, which may come before one of
 * the code it interrupted with a lower number, always for another address.
 *
 * A process image made by fork writes no file until it has something to write: a sample, an
 * allocation event, a drop or a notice of its own. A fork child that execs or exits before any
 * of that (the usual fork+exec, a helper that only waits) leaves no dump behind; its exec'd
 * image writes its own. Once a file is open, the child's dumps (the dump signal, intervals)
 * are written as any process's. Every image started by exec writes its dump, samples or not.
 * Once an image has written its last file (exit, exec), a wake-up of the writer before the
 * image is gone opens no new one unless there is something to write.
 *
 * An image that samples only its CPU (start_late() says when exactly) does not start its writer
 * thread at its start or fork either: the thread (clone, its set-up, the IPIs its CPU adds to
 * every copy-on-write fault of a shell that forks, and an exec or exit that must kill it) was
 * most of what a short process cost, about 0.5 ms for an exec'd image and 0.4 ms for a fork
 * child (issue 11). Exit and exec write the last file on their own thread anyway. An image that
 * lives on starts the writer after LATE_WRITER_DELAY_NS, from the first sample that interrupts
 * it at a safe point (safepoint.h: it may compute without calling anything of inflame's), or from
 * a hook that needs it first (inflame_writer_ensure: a new thread, a dump asked for). Its rings
 * (512 KiB by default, seconds of samples) hold what it samples until then.
 * An image that samples its allocations with one thread does the writer's cycles in its
 * allocation hooks instead, at safe stacks, and starts the thread only when a hook needs it
 * (start_late says why); when it samples its CPU too, the safe points of its CPU samples do
 * cycles as well (late_point) instead of starting the thread.
 *
 * Generated code (perfmap.h): each cycle copies the new lines of the program's perf map into a
 * PERFMAP chunk, a bounded number of buffers at a time, and all of them before a file ends;
 * a new file gets the whole map again. A new stack whose leaf is in no known object makes
 * the next cycle record the anonymous executable mappings.
 *
 * Thread labels (labels.h) come as records in the threads' rings: the writer keeps each
 * thread's set and writes a LABELS chunk of the changes after each pass, and every current set
 * again at the start of a file.
 *
 * Short images share a file (INFLAME_SHARED_FILE, inflame-preload(7)): creating a file of its
 * own (an inode allocated, a name linked) was the largest single cost left of a process that
 * lives a few milliseconds, 70-150 us of its 250 on ext4 (issue 11). An image started by exec
 * holds its dump in memory (out, behind its header) instead: at its start it appends a
 * placeholder to the shared file of its output pattern (what its own file would start with:
 * the header, PROCESS, MODULES...: a process killed early still leaves an incomplete dump
 * there) and at its end its whole dump, each with one write() on an O_APPEND descriptor, so
 * that the images of processes ending together never interleave; readers drop a placeholder
 * whose image follows. A fork child's first file, when it is opened at the child's end, is
 * held likewise, without a placeholder. The image leaves for a file of its own as soon as it
 * writes anything before its end (a writer cycle, a dump asked for, an interval), when its
 * dump outgrows SHARED_MAX, or when the shared file fails; a placeholder already written then
 * gets a stand-in (MOVED) naming the file.
 * An image whose set-up waits for its first need (init.c, lazy image) opens its first file then:
 * at its first sample (in the signal handler: system calls and this file's static buffers
 * only, the module map read while the loader's list is consistent), with the placeholder as
 * above, or at its end if none came. Such an end is a bare dump (w.bare): the header, PROCESS
 * (the program named by the path exec was given: put_exe_given), THREADS and THREAD_CPU of its
 * one thread (its CPU for coverage), STATS and END, no module map (no sample has an address to
 * name), made and appended with one write by its own thread, the shared file opened only for
 * it. At exit or _exit such a dump is made without the rest of this file's state (bare end,
 * below); an exec, which may fail and go on, and the cases the bare end leaves, come here. A
 * lazy image killed before its first sample leaves nothing (no sample, no placeholder);
 * killed after it, its placeholder, as an image that set up at once. The shared file is used
 * only where it is a regular
 * file of the process's effective user on a local file system (not NFS, FUSE, CIFS...:
 * appends from several machines or a server may interleave); its descriptor is kept >= 512
 * and checked before each write as the own file's is.
 *
 * Files are created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600: an existing name (a file of an
 * earlier image of this pid, or a planted symlink) is never opened; the next sequence number is
 * tried instead. Where the file system allows it a file is first made unnamed (O_TMPFILE), its
 * header written, and only then linked under its name (which fails on any existing name, a
 * symlink too): a file never shows up empty, even for a process killed as it starts one.
 *
 * The program may close every descriptor it did not open (closefrom, a daemon's close loop) or
 * dup2() one of its own over ours. The writer's one descriptor, the dump file's, is moved to a
 * number >= 512 and remembered by device and inode. The chunks of a cycle
 * (of a new file's start, of its end) are gathered in memory and written together, small ones
 * copied, with one system call; before each write the dump descriptor is checked with fstat,
 * and one that is gone or now names another file is forgotten, never written to or closed (it
 * may be the program's), the chunks gathered for it are dropped, and the next cycle
 * continues in a new file of the next sequence number. The writer is woken through a futex
 * on its request word (a signal handler may wake it: FUTEX_WAKE is async-signal-safe), which
 * no program can close, and which costs a process nothing to set up.
 */
#include "clock.h"
#include "writer.h"

#include "alloc.h"
#include "creds.h"
#include "dump_format.h"
#include "dump_write.h"
#include "fdhigh.h"
#include "interpose.h"
#include "labels.h"
#include "layout.h"
#include "log.h"
#include "modules.h"
#include "perfmap.h"
#include "profiler.h"
#include "safepoint.h"
#include "sigstack.h"
#include "stacktab.h"
#include "thread.h"
#include "timer.h"
#include "tracer.h"
#include "unwind.h"
#include "varint.h"
#include "wall.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define LIST_HEAD	  INFLAME_VARINT_MAX
#define CHUNK_FLUSH_BYTES (1u << 20)
#define MAX_STACKS	  (4u << 20)
/* How long an image runs before its writer thread may start (at its first safe point) */
#define LATE_WRITER_DELAY_NS 50000000ull
/* An image whose allocation hooks do the writer's work (start_late) does a cycle this often, or
 * when a ring is a quarter full, at the first sample at a safe stack after that. */
#define HOOK_CYCLE_NS 100000000ull
/*
 * How long the writer thread waits for a request between cycles. Each cycle costs it a fixed
 * 50-90 us of CPU on a virtual machine whatever it drains (its wake-up, the file's write, the
 * perf map's open, the checks), 0.5-0.9 ms per second at 100 ms, which is per second of wall
 * time: on a busy machine, where a CPU-bound program gets a third of a CPU, a third of its
 * excess over the bare signals at 999 Hz (issue 11). So a cycle that found little to do (a
 * quiet cycle) waits QUIET_PERIOD_NS for the next: every ring it drained held less than a
 * quarter of its size (a producer wakes the writer at half full anyway), no exited thread's
 * slot was given back (a program that starts threads needs them), nothing waits to be put in
 * order, and the image has lived QUIET_AFTER_NS (a short process, a fork child's first file
 * and the unwind tables the first walks ask for keep the short period). A process killed
 * without inflame's exit path loses at most that much more of its last data.
 */
#define PERIOD_NS	100000000ull
#define QUIET_PERIOD_NS 250000000ull
#define QUIET_AFTER_NS	1000000000ull
/* The cycle lock as a new image has it, from the start (cycle_lock_init). */
#ifdef PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP
#define CYCLE_LOCK_INIT	  PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP
#define CYCLE_LOCK_STATIC 1
#else
#define CYCLE_LOCK_INIT	  PTHREAD_MUTEX_INITIALIZER
#define CYCLE_LOCK_STATIC 0 /* (made an error-checking one by cycle_lock_init) */
#endif
/* The largest dump an image appends to the shared file; a bigger one gets a file of its own. */
#define SHARED_MAX (64u << 10)
/* The first storage of the buffers, in w (init_state): out, misc_buf and the THREAD_CPU lists,
 * which every image writes (a short process's dump is 500-700 bytes), and those of samples and
 * stacks. A buffer that outgrows it moves to a mapping of its own. */
#define OUT_FIRST	1024
#define MISC_FIRST	768
#define TCPU_FIRST	152
#define LOSS_FIRST	40
#define UNSAMPLED_FIRST 64
#define SMALL_FIRST	(OUT_FIRST + MISC_FIRST + TCPU_FIRST + LOSS_FIRST + UNSAMPLED_FIRST)
#define STACK_FIRST	1024
#define SAMPLE_FIRST	768
#define ALLOC_FIRST	248
#define SAMPLING_FIRST	(STACK_FIRST + SAMPLE_FIRST + ALLOC_FIRST)

static struct {
	pthread_t thread;
	int running;
	_Atomic int requests;
	pthread_mutex_t cycle_lock;
	pthread_mutex_t done_lock;
	pthread_cond_t done_cond;
	unsigned finished; /* FINISH requests served */
	int stopped;	   /* the last file is written (exit): the thread does nothing more */

	int fd;	      /* current file, -1 when none */
	dev_t fd_dev; /* what fd was opened as (fd_is_ours) */
	ino_t fd_ino;
	/* The shared file (see the top of the file). held: the image's dump is gathered in out,
	 * behind its header, for the shared file at the image's end; placed: its placeholder is
	 * there; ending: the image's last cycle and the end of its file are being done (exit,
	 * exec); held_len: out.len as the placeholder was written; bfd: the shared file's
	 * descriptor, -1 when none, remembered as fd is. bare: the file is the whole dump of an
	 * image that ends unsampled, made at its end (inflame_writer_start_image): no module map
	 * (no sample has an address to name), and the shared file opened only for its append. */
	int held, placed, ending, bare;
	size_t held_len;
	int bfd;
	dev_t bfd_dev;
	ino_t bfd_ino;
	/* In a fork child, the parent's file descriptor (close-on-exec), closed as the child
	 * opens its first file; -1 when none. */
	int inherited_fd;
	dev_t inherited_dev;
	ino_t inherited_ino;
	int fd_lost_logged;
	int perf_lost_logged;
	/* The program took the current file's descriptor: the next file goes on from the
	 * figures last written to it, not from its own opening (rebase). */
	int continues_lost;
	uint64_t last_fd_check;
	int failed;   /* could not open or write: stay quiet, keep draining */
	unsigned seq; /* sequence number of the current (or next) file */
	struct inflame_stacktab stacks;
	struct inflame_buf stack_buf, sample_buf, alloc_buf, misc_buf;
	struct inflame_buf out; /* chunks gathered for the next write (emit) */
	uint64_t nstacks, nsamples, nallocs;
	uint64_t last_time;		      /* of the SAMPLES chunk being built */
	uint64_t stack_gen;		      /* bumped whenever the stack table is cleared */
	struct inflame_allocs_state alloc_st; /* of the ALLOCS chunk being built */
	uint64_t totals[INFLAME_EV_COUNT_];
	uint64_t dropped_released, dropped_base;
	uint64_t dropped_stacks, truncated;
	uint64_t cpu_base;
	uint64_t cpu_written; /* the process's CPU time at the last counters written */
	/* the wall periods in no sample, and their threads, before this file (wall.h) */
	uint64_t unseen_base, unseen_threads_base;
	uint64_t file_no; /* files opened by this image, from 1 (thread.h's w_base_file) */
	/* The handler's totals (selfcost.h) at the first counters of file handler_file. */
	uint64_t handler_file, handler_base[3];
	uint64_t writer_base;	     /* the writer thread's CPU time when the file was opened */
	struct inflame_buf tcpu_buf; /* THREAD_CPU entries being gathered, tcpu_n of them */
	uint64_t tcpu_n;
	/* and their lists of CPU in no sample: after the last sample (tid, ns), unsampled_n
	 * entries; missed by the count, before the clock, dropped periods (tid, ns, ns, ns),
	 * loss_n entries */
	struct inflame_buf unsampled_buf, loss_buf;
	uint64_t unsampled_n, loss_n;
	uint64_t last_stats;
	uint64_t next_rotation;
	int busy; /* this cycle found a ring at least a quarter full (drain_pass) */
	/* The last cycle was a quiet one: the next waits QUIET_PERIOD_NS. (Set by whichever
	 * thread does the cycle, read by the writer thread as it goes to wait.) */
	_Atomic int quiet;
	int write_err_logged;
	int open_err_logged;
	int deferred;	     /* a fork child that has not opened a file yet (see above) */
	unsigned notes_done; /* notices written to the current file */
	uint64_t notes_lost; /* the lost count the current file has */
	size_t cmdline_len;
	int want_last; /* a caller waits for the name of the file closed next (under done_lock) */
	/* The command line inflame_writer_start was given, for the first PROCESS chunk only. */
	const char *start_args;
	size_t start_args_len;
	/* Where exec laid the command line out, for the whole image (process_renamed); NULL
	 * when it did not lie there as argv says. */
	const char *exec_args;
	size_t exec_args_len;
	const char *timer_name; /* the cpu timer the current file's PROCESS names */
	uint64_t cmdline_hash;	/* of the command line the current file's PROCESS has */
} w = {.fd = -1,
       .inherited_fd = -1,
       .bfd = -1,
       .cycle_lock = CYCLE_LOCK_INIT,
       .done_lock = PTHREAD_MUTEX_INITIALIZER,
       .done_cond = PTHREAD_COND_INITIALIZER};

/* The storage of w that a short image never writes, out of .data: the first storage of the
 * buffers every writing image fills (out, misc_buf, the THREAD_CPU lists), then the file's
 * name, of which most processes use the first bytes only, then the first storage of the
 * buffers of samples and stacks, and the command line, which few processes write
 * (write_process). Zero-initialized, it lies in .lbss (layout.h), where a page costs only the
 * process that writes it. In w it made .data 17 KiB: the page the relocation of __dso_handle
 * writes and the one where the loader clears the start of .bss were two pages, and the start
 * path's variables of .bss a third (issue 11). */
static struct {
	uint8_t small[SMALL_FIRST];
	char path[INFLAME_OUTPUT_MAX];
	uint8_t sampling[SAMPLING_FIRST];
	/* /proc/self/cmdline as the current file's PROCESS has it, when it was read there (not
	 * what exec laid out: write_process) */
	char cmdline[8192];
} wb INFLAME_COLD;

/* The file closed last (under w.done_lock), for a caller that waits for its name. */
static char last_path[INFLAME_OUTPUT_MAX] INFLAME_COLD;

/* An allocation event waiting for its turn. */
struct pending {
	uint64_t seq;
	struct inflame_alloc_event e;
};

static struct {
	struct pending *e;
	size_t n, cap;	     /* entries, capacity (entries; the mapping is cap * sizeof) */
	struct pending *tmp; /* for sorting: as many entries as e */
	size_t tmp_cap;
	size_t done; /* entries [0, done) were written directly (see drain_all) */
	int direct;  /* this cycle writes events numbered below limit at once */
	uint64_t limit;
	/* The highest number of an ALLOC taken so far (+ 1; 0: none): once the writer has the
	 * ALLOC numbered c, the FREEs that read c (which come after it) may be written too. */
	uint64_t alloc_end;
	uint64_t watermark;
	uint64_t lost;
} pend INFLAME_HOT; /* (written by every process's final cycle, as are the next ones: layout.h) */

/* Passes over the rings, for producers that wait for room (a futex word), and a heartbeat of
 * the writer's work, for the exit path that waits for it. */
static _Atomic unsigned drains INFLAME_HOT;
static _Atomic int drain_waiters INFLAME_HOT;
static _Atomic uint64_t heartbeat INFLAME_HOT;
/* The CPU time of final writes made by the exiting thread itself (finish_here): the
 * profiler's, counted with the writer thread's. direct_start is that thread's CPU clock when
 * its write began, 0 outside of one. */
static uint64_t direct_ns INFLAME_HOT, direct_start INFLAME_HOT;
/* The registered thread making that write (NULL when it is not registered). */
static struct inflame_thread *direct_thread INFLAME_HOT;

static uint64_t process_cpu_ns(void)
{
	return inflame__clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

INFLAME_FORK_TEXT static void list_begin(struct inflame_buf *b)
{
	b->len = 0;
	inflame_buf_reserve(b, LIST_HEAD);
	if (!b->failed)
		b->len = LIST_HEAD;
}

static void remember(int fd, dev_t *dev, ino_t *ino)
{
	struct stat st;

	*dev = 0;
	*ino = 0;
	if (fstat(fd, &st) == 0) {
		*dev = st.st_dev;
		*ino = st.st_ino;
	}
}

static int is_same(int fd, dev_t dev, ino_t ino)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

/* Is the dump descriptor still the file we opened? If not, forget it (without closing: the
 * number may belong to the program now); the next cycle opens a new file. */
static int fd_is_ours(void)
{
	if (w.fd < 0)
		return 0;
	if (is_same(w.fd, w.fd_dev, w.fd_ino))
		return 1;
	if (!w.fd_lost_logged) {
		w.fd_lost_logged = 1;
		inflame_log(INFLAME_LOG_INFO,
			    "the program closed or replaced the descriptor of %s; continuing in a "
			    "new file",
			    wb.path);
	}
	w.fd = -1;
	w.seq++;
	w.out.len = 0; /* (the gathered chunks were the lost file's) */
	w.continues_lost = 1;
	return 0;
}

/* Is there a dump the chunks go to: a file, or the image's held for the shared file? */
static int open_any(void)
{
	return w.fd >= 0 || w.held;
}

/* Writes the gathered chunks and then, unless payload is NULL, one more chunk of type from
 * where it lies, in one system call; checks first that the descriptor is still ours. */
static int hold(uint32_t type, const uint8_t *payload, size_t len);

/* The text of error err: untranslated where the C library can say so without its locale (no
 * allocation: the first file of an image that waited opens in a signal handler, init.c). */
static const char *err_text(int err)
{
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 32)
	const char *s = strerrordesc_np(err);

	return s ? s : "unknown error";
#else
	return strerror(err);
#endif
}

static void write_out(uint32_t type, const uint8_t *payload, size_t len)
{
	int rc;

	if (w.held && hold(type, payload, len) == 0)
		return;
	if (w.fd >= 0 && (w.out.len || payload) && fd_is_ours()) {
		rc = inflame_dump_write_gathered(w.fd, w.out.data, w.out.len, type, payload, len);
		if (rc < 0 && !w.write_err_logged) {
			w.write_err_logged = 1;
			inflame_log_unprofiled("cannot write %s: %s; profiling data is lost",
					       wb.path, err_text(-rc));
		}
		if (rc == -EFBIG) {
			/* The program's file size limit: the file ends here, its last chunk
			 * whole and no END, rather than go on after a gap with a smaller chunk
			 * that fits. */
			close(w.fd);
			w.fd = -1;
			w.failed = 1;
		}
	}
	w.out.len = 0;
	w.out.failed = 0;
}

/* Writes the chunks gathered so far (the end of a cycle, of a file). */
static void flush_out(void)
{
	write_out(0, NULL, 0);
}

/* One chunk for the current file. A small payload is copied and gathered with the chunks
 * before it: a cycle writes its chunks with one system call (and one check of the
 * descriptor) rather than two per chunk. */
#define GATHER_COPY_MAX (16u << 10)
#define GATHER_FLUSH	(64u << 10)

static void emit(uint32_t type, const uint8_t *payload, size_t len)
{
	if (!open_any())
		return;
	if (len <= GATHER_COPY_MAX && inflame_dump_put_chunk(&w.out, type, payload, len) == 0) {
		if (w.out.len >= GATHER_FLUSH)
			flush_out();
		return;
	}
	write_out(type, payload, len); /* (also when there is no memory to gather it) */
}

/* Puts the count in front of the list and writes it as one chunk. */
static void list_write(uint32_t type, struct inflame_buf *b, uint64_t count)
{
	uint8_t head[INFLAME_VARINT_MAX];
	size_t k;

	if (b->failed && open_any())
		/* No memory to gather the list (mmap failed): what it held is gone, and said so. */
		inflame_log(INFLAME_LOG_INFO,
			    "out of memory in the writer: %llu entries of a chunk of type %u "
			    "were not written",
			    (unsigned long long)count, (unsigned)type);
	if (!open_any() || b->failed)
		goto out;
	k = inflame_varint_put(head, count);
	memcpy(b->data + LIST_HEAD - k, head, k);
	emit(type, b->data + LIST_HEAD - k, b->len - LIST_HEAD + k);
out:
	b->failed = 0;
	list_begin(b);
}

static void write_payload(uint32_t type, struct inflame_buf *b)
{
	if (!b->failed)
		emit(type, b->data, b->len);
	b->len = 0;
	b->failed = 0;
}

static void put_cstr(struct inflame_buf *b, const char *s)
{
	inflame_buf_put_str(b, s, strlen(s));
}

/* Reads /proc/self/cmdline (as the program may have rewritten it) into buf, NUL-terminated;
 * returns its length. */
static ssize_t read_cmdline(char *buf, size_t size)
{
	ssize_t n = 0;
	int fd = inflame_fdhigh_open("/proc/self/cmdline", O_RDONLY, 0);

	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
		if (n < 0)
			n = 0;
	}
	buf[n] = 0;
	return n;
}

/* PROCESS: who we are and how we were configured. */
static __attribute__((noinline)) void put_exe_read(struct inflame_buf *b)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	inflame_buf_put_str(b, exe, n > 0 ? (size_t)n : 0);
}

/* The program's path in a bare dump (w.bare), without /proc/self/exe, whose read was the largest
 * part of such an image's end (the procfs lookup of "self" and of the link, about 40% of it):
 * the path its exec was given (AT_EXECFN), when absolute, with the symbolic links of its last
 * component followed as the kernel followed them, so that readers, which name a process by its
 * path's last component, name it as they would by /proc/self/exe's (a shell run as /bin/sh is
 * dash, python3 is python3.11). Its directories are as given (/bin/true for /usr/bin/true where
 * /bin links to usr/bin). -1 when the path is relative (the directory the program was started
 * in may be another now), too long, or a link does not read. */
static int put_exe_given(struct inflame_buf *b)
{
	const char *fn = (const char *)getauxval(AT_EXECFN);
	char path[1024], link[256];
	size_t len = fn ? strnlen(fn, sizeof(path)) : sizeof(path);

	if (!fn || fn[0] != '/' || len >= sizeof(path))
		return -1;
	memcpy(path, fn, len + 1);
	for (int hops = 0; hops < 8; hops++) {
		/* (by system call: errno untouched, and the C library's readlink is a page of code
		 * a short program never runs, issue 11) */
		long n = inflame__syscall_raw(SYS_readlinkat, AT_FDCWD, (long)path, (long)link,
					      sizeof(link), 0);
		size_t dir = 0;

		if (n == -EINVAL) {
			inflame_buf_put_str(b, path, len); /* (not a link) */
			return 0;
		}
		if (n <= 0 || (size_t)n >= sizeof(link))
			return -1;
		if (link[0] != '/')
			dir = (size_t)(strrchr(path, '/') - path) + 1;
		if (dir + (size_t)n >= sizeof(path))
			return -1;
		memcpy(path + dir, link, (size_t)n);
		len = dir + (size_t)n;
		path[len] = 0;
	}
	return -1;
}

/* The program's path: as the map of loaded objects has it (read when it was listed), else
 * read now. */
static void put_exe(struct inflame_buf *b, int bare)
{
	size_t len;
	const char *exe = inflame_modules_main_path(&len);

	if (exe)
		inflame_buf_put_str(b, exe, len);
	else if (!bare || put_exe_given(b) < 0)
		put_exe_read(b);
}

/* The cpu timer in use, as PROCESS names it. Under auto, until a thread first moved to its
 * perf clock (timer.c), every thread is on a POSIX timer: "posix only". */
static const char *timer_name(void)
{
	if (!(inflame__prof.cfg.events & INFLAME_EVMASK_CPU))
		return "none";
	if (inflame__prof.lazy_perf && atomic_load(&inflame__prof.perf_decided) == 0)
		return "posix only";
	return inflame_config_timer_name(
	    __atomic_load_n(&inflame__prof.timer_used, __ATOMIC_ACQUIRE));
}

/* A 64-bit FNV-1a hash of the n bytes at s: the command line the current file has is kept as
 * its length and this hash. */
static uint64_t args_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void put_process(struct inflame_buf *b, const char *args, ssize_t n, const char *timer,
			int bare);

static void write_process(void)
{
	struct inflame_buf *b = &w.misc_buf;
	const char *args = wb.cmdline;
	ssize_t n;

	if (w.start_args) {
		/* What /proc/self/cmdline reads at this point, without the file system: a
		 * procfs read cost a short process about 0.1 ms (issue 11). Read where exec laid
		 * it out, not copied: the copy's page was a page fault of every short process. */
		args = w.start_args;
		n = (ssize_t)(w.start_args_len < sizeof(wb.cmdline) - 1 ? w.start_args_len
									: sizeof(wb.cmdline) - 1);
		w.start_args = NULL;
	} else {
		n = read_cmdline(wb.cmdline, sizeof(wb.cmdline));
	}
	w.cmdline_len = (size_t)n;
	w.cmdline_hash = args_hash(args, (size_t)n);
	w.timer_name = timer_name();
	b->len = 0;
	put_process(b, args, n, w.timer_name, w.bare);
	write_payload(INFLAME_CHUNK_PROCESS, b);
}

/* The PROCESS payload, appended to b: the command line is the n bytes at args (cut at the
 * length of wb.cmdline), timer the cpu timer's name, bare: a bare dump's (put_exe). */
static void put_process(struct inflame_buf *b, const char *args, ssize_t n, const char *timer,
			int bare)
{
	char events[32];
	int argc = 0;
	const struct inflame_config *c = &inflame__prof.cfg;

	if (n > (ssize_t)sizeof(wb.cmdline) - 1)
		n = (ssize_t)sizeof(wb.cmdline) - 1;
	/* A program that rewrote its command line (setproctitle) pads it with NULs: those are not
	 * arguments (an empty last argument of a program not renamed goes with them). */
	while (n > 1 && args[n - 1] == 0 && args[n - 2] == 0)
		n--;
	for (ssize_t i = 0; i < n; i++)
		argc += args[i] == 0;
	if (n > 0 && args[n - 1] != 0)
		argc++;
	inflame_buf_put_varint(b, (uint64_t)inflame__prof.pid);
	inflame_buf_put_varint(b, (uint64_t)inflame__syscall_raw(SYS_getppid, 0, 0, 0, 0, 0));
	put_exe(b, bare);
	inflame_buf_put_varint(b, (uint64_t)argc);
	for (ssize_t i = 0; i < n;) {
		size_t len = 0;

		/* (bounded by n: a command line cut at sizeof(wb.cmdline) has no NUL there) */
		while (i + (ssize_t)len < n && args[i + (ssize_t)len])
			len++;
		inflame_buf_put_str(b, args + i, len);
		i += (ssize_t)len + 1;
	}
	inflame_config_events_string(c->events, events, sizeof(events));
	put_cstr(b, events);
	inflame_buf_put_varint(b, c->frequency);
	put_cstr(b, timer);
	put_cstr(b, inflame_config_unwind_name(c->unwind));
	inflame_buf_put_varint(b, c->max_depth);
	inflame_buf_put_varint(b, c->buffer_kb);
	inflame_buf_put_varint(b, c->alloc_rate);
	put_cstr(b, (c->events & (INFLAME_EVMASK_CPU)) ? inflame_config_timer_name(c->cpu_timer)
						       : "none");
}

/* Is the command line as the file has it still what exec laid out, byte for byte? Then
 * /proc/self/cmdline reads just that (the kernel reads the same memory, which ends with its NUL),
 * and it need not be read: a procfs read at each file's end cost a short process about 30 us
 * (issue 11). A program that renames itself writes over that memory. The file's command line
 * is known by its length and hash (write_process): two that differ pass for the same one time
 * in 2^64. */
static int args_unchanged(void)
{
	return w.exec_args && w.cmdline_len == w.exec_args_len && w.cmdline_len > 0 &&
	       w.exec_args[w.cmdline_len - 1] == 0 &&
	       args_hash(w.exec_args, w.cmdline_len) == w.cmdline_hash;
}

/* A new PROCESS chunk when the command line is not what the file says any more (setproctitle:
 * the program wrote over its argv), or when the cpu timer was decided since (timer_name). */
static void process_renamed(void)
{
	char now[sizeof(wb.cmdline)];
	ssize_t n;

	if (timer_name() != w.timer_name) {
		write_process(); /* (the first move decided the clock) */
		return;
	}
	if (args_unchanged())
		return;
	n = read_cmdline(now, sizeof(now));

	if ((size_t)n != w.cmdline_len || args_hash(now, (size_t)n) != w.cmdline_hash)
		write_process();
}

/* NOTES: the notices logged since the file's last NOTES chunk (all of them in a new file),
 * up to the first one still being filled in. */
static void write_notes(void)
{
	struct inflame_buf *b = &w.misc_buf;
	unsigned end = w.notes_done, claimed = inflame_log_notes_claimed();
	uint64_t lost = inflame_log_notes_lost();

	if (!open_any())
		return;
	if (claimed > INFLAME_NOTES_MAX)
		claimed = INFLAME_NOTES_MAX;
	while (end < claimed && inflame_log_note(end))
		end++;
	if (end == w.notes_done && lost == w.notes_lost)
		return;
	b->len = 0;
	inflame_buf_put_varint(b, end - w.notes_done);
	inflame_buf_put_varint(b, lost);
	for (unsigned i = w.notes_done; i < end; i++) {
		const struct inflame_note *n = inflame_log_note(i);
		uint64_t t = n->time > inflame__prof.start_monotonic
				 ? n->time - inflame__prof.start_monotonic
				 : 0;

		inflame_buf_put_varint(b, t);
		inflame_buf_put_varint(b, n->level == INFLAME_LOG_QUIET ? INFLAME_NOTE_UNPROFILED
									: INFLAME_NOTE_NOTICE);
		inflame_buf_put_str(b, n->text, n->len);
	}
	write_payload(INFLAME_CHUNK_NOTES, b);
	w.notes_done = end;
	w.notes_lost = lost;
}

/* PERFMAP: anonymous code regions and new perf map lines; final: the whole rest of the map
 * (bounded all the same: a program that keeps writing cannot hold the writer). */
#define PERFMAP_READS_PER_CYCLE 16
#define PERFMAP_READS_FINAL	1024

static void write_modules(void);

static void write_perfmap(int final)
{
	struct inflame_buf *b = &w.misc_buf;
	uint64_t now = inflame__now_monotonic() - inflame__prof.start_monotonic, n;
	int reads = final ? PERFMAP_READS_FINAL : PERFMAP_READS_PER_CYCLE;

	if (!open_any())
		return;
	list_begin(b);
	n = inflame_perfmap_regions(b, now, final);
	if (n)
		list_write(INFLAME_CHUNK_PERFMAP, b, n);
	/* A file that ends without a single stack has no address for the perf map to name: its
	 * last cycle does not look for the map (an open that fails in /tmp for most processes,
	 * a path lookup at every short process's exit, issue 11). */
	if (final && w.stacks.count == 0)
		reads = 0;
	for (int i = 0; i < reads; i++) {
		int more = inflame_perfmap_read(b, now, &n);

		if (n)
			list_write(INFLAME_CHUNK_PERFMAP, b, n);
		if (!more)
			break;
	}
	b->len = 0;
	if (inflame_perfmap_new_aliases())
		write_modules();
}

/* LABELS: the label changes drained (labels.h); taken even without a file, which has no
 * use for them. */
static void write_labels(void)
{
	struct inflame_buf *b = &w.misc_buf;
	uint64_t n;

	list_begin(b);
	n = inflame_labels_take(b);
	if (n && open_any())
		list_write(INFLAME_CHUNK_LABELS, b, n);
	b->len = 0;
	b->failed = 0;
}

static void write_modules(void)
{
	w.misc_buf.len = 0;
	inflame_modules_encode(&w.misc_buf);
	write_payload(INFLAME_CHUNK_MODULES, &w.misc_buf);
}

/* One THREADS entry (dump_format.h): the thread's id, its name, whether it has exited. */
static void put_thread_entry(struct inflame_buf *b, pid_t tid, const char *name, int exited)
{
	inflame_buf_put_varint(b, (uint64_t)tid);
	put_cstr(b, name);
	inflame_buf_put_varint(b, exited ? 1 : 0);
}

/* THREADS: every thread whose name is new to this file (all = 1: every live thread). */
static void write_threads(int all)
{
	struct inflame_buf *b = &w.misc_buf;
	int n = inflame_thread_high_water();
	uint64_t count = 0;

	list_begin(b);
	for (int i = 0; i < n; i++) {
		struct inflame_thread *t = inflame_thread_at(i);
		int st = atomic_load(&t->state);

		if (st != INFLAME_SLOT_ACTIVE && st != INFLAME_SLOT_EXITED)
			continue;
		if (!atomic_exchange(&t->name_dirty, 0) && !all)
			continue;
		put_thread_entry(b, t->tid, t->name, st == INFLAME_SLOT_EXITED);
		count++;
	}
	if (count)
		list_write(INFLAME_CHUNK_THREADS, b, count);
}

/* Samples refused by full rings since start, over live and released threads. */
static uint64_t total_dropped(void)
{
	uint64_t sum = w.dropped_released;
	int n = inflame_thread_high_water();
	struct inflame_ring *wall = inflame_wall_ring();

	if (wall)
		sum += atomic_load(&wall->dropped);
	for (int i = 0; i < n; i++) {
		struct inflame_thread *t = inflame_thread_at(i);
		int st = atomic_load(&t->state);

		if (st == INFLAME_SLOT_ACTIVE || st == INFLAME_SLOT_EXITED)
			sum += atomic_load(&t->ring.dropped);
	}
	return sum;
}

/*
 * Coverage: THREAD_CPU (dump_format.h). The writer measures every thread's CPU time when a
 * file is opened and at each STATS write (once a second, and at the end of the file), and an
 * exiting thread its own final figures; each entry holds the differences since the file was
 * opened, or since the thread registered if that was later.
 */

/* A write of the profiler's made by the calling thread begins, or ends. */
static void direct_begin(void)
{
	direct_thread = inflame_thread_self();
	direct_start = inflame__thread_cpu_ns();
}

static void direct_end(void)
{
	uint64_t ns = inflame__thread_cpu_ns() - direct_start;

	direct_ns += ns;
	if (direct_thread)
		direct_thread->w_direct += ns;
	direct_start = 0;
	direct_thread = NULL;
}

/* The same for a write made from the program's call (exit, exec, a set*id call), whose
 * allocations are the writer's, not the program's: returns the allocation guard to give back
 * to direct_end_guarded. */
static int direct_begin_guarded(void)
{
	int guard = inflame__alloc_tls.guard;

	inflame__alloc_tls.guard = 1;
	direct_begin();
	return guard;
}

static void direct_end_guarded(int guard)
{
	direct_end();
	inflame__alloc_tls.guard = guard;
}

/* The calling thread's CPU clock as put_thread_cpu just read it in the write under way, for
 * the writer_cpu_ns that follows it (write_thread_cpu_list) rather than a read of the clock
 * again (a system call; two of them at every short process's exit, issue 11); 0 when none, or
 * once used or followed by another thread's entry. */
static uint64_t direct_seen INFLAME_HOT;

/* The CPU time of the profiler's writes made on thread t so far, the one under way included;
 * now: the calling thread's CPU clock if it was just read, else 0. */
static uint64_t direct_of(const struct inflame_thread *t, uint64_t now)
{
	if (!direct_start || t != direct_thread)
		return t->w_direct;
	return t->w_direct + (now ? now : inflame__thread_cpu_ns()) - direct_start;
}

/* Makes the current file the base of t's figures if it is not yet: t registered after the
 * file was opened, so its base is what it measured when it registered. */
static void adopt(struct inflame_thread *t)
{
	if (t->w_base_file == w.file_no)
		return;
	t->w_base = t->reg;
	t->w_last = t->reg;
	t->w_base_self_cpu = 0;
	t->w_base_self_wall = 0;
	t->w_base_unsampled = 0;
	t->w_base_missed = 0;
	t->w_base_before = 0;
	t->w_base_dropped = 0;
	t->w_base_direct = 0;
	t->w_weight = 0;
	t->w_base_file = w.file_no;
}

/* Makes every thread's registration the base of its figures in the current file: a fork
 * child's first file holds all its samples since the fork, so its CPU figures must start
 * there too, not at the file's opening a writer cycle later (coverage 126-136% for a subshell
 * that burned 0.2 s, 1400% for a PostgreSQL worker that lived 0.1 s). The forking thread's
 * registration is zero in the child (thread.c), a later thread's is its start. */
static void base_on_registration(void)
{
	for (int i = 0, n = inflame_thread_high_water(); i < n; i++) {
		struct inflame_thread *t = inflame_thread_at(i);
		int st = atomic_load_explicit(&t->state, memory_order_acquire);

		if (st != INFLAME_SLOT_ACTIVE && st != INFLAME_SLOT_EXITED)
			continue;
		t->w_base_file = 0; /* (not this file's: adopt() takes the registration) */
		adopt(t);
	}
}

/* Makes now the base of t's figures for a new file; after_lost: the figures last written to
 * the file the program took from us (closed, or replaced with dup2), since what t ran after them
 * is in neither file's figures otherwise (a program that closed every descriptor as it started
 * and then ran for seconds showed 0.000 s of CPU in the file that went on). A thread the lost
 * file never measured keeps its registration. */
static void rebase(struct inflame_thread *t, int after_lost)
{
	struct inflame_cpu_times m;
	int st = atomic_load_explicit(&t->state, memory_order_acquire);

	if (after_lost && !t->w_base_file) {
		adopt(t);
		return;
	}
	if (after_lost)
		m = t->w_last;
	else if (st == INFLAME_SLOT_EXITED && t->fin_ok)
		m = t->fin;
	else if (inflame_thread_cpu_times(t, &t->w_last, &m) < 0)
		m = t->w_base_file ? t->w_last : t->reg;
	t->w_base = m;
	t->w_last = m;
	t->w_base_self_cpu = atomic_load(&t->self_cpu);
	t->w_base_self_wall = atomic_load(&t->self_wall);
	t->w_base_unsampled = atomic_load(&t->unsampled);
	t->w_base_missed = atomic_load(&t->missed);
	t->w_base_before = atomic_load(&t->before);
	t->w_base_dropped = atomic_load(&t->dropped);
	t->w_base_direct = direct_of(t, 0);
	t->w_weight = 0;
	t->w_base_file = w.file_no;
}

/* The CPU time of inflame's own threads: the writer (and the final writes the exiting thread
 * made itself) and the wall-clock ticker. */
static uint64_t writer_cpu_ns(void)
{
	clockid_t clk;
	struct timespec ts;
	uint64_t seen = direct_seen, ns = direct_ns;

	direct_seen = 0;
	if (direct_start)
		ns += (seen ? seen : inflame__thread_cpu_ns()) - direct_start;
	ns += inflame_wall_ticker_cpu_ns(); /* the other thread of inflame's own */
	if (!w.running || pthread_getcpuclockid(w.thread, &clk) != 0 ||
	    clock_gettime(clk, &ts) != 0)
		return ns;
	return ns + (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t minus(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static void write_thread_cpu_list(void);
static uint64_t sample_period_ns(void);
static uint64_t clock_flags(void);

/* The parts of a THREAD_CPU chunk (dump_format.h), for the general end (put_thread_cpu,
 * write_thread_cpu_list) and the bare one (put_bare_thread) alike. The head: the ns of a
 * sample's weight, the clock's flags, the profiler's own CPU, the count of entries. */
static void put_tcpu_head(struct inflame_buf *b, uint64_t period, uint64_t own, uint64_t n)
{
	inflame_buf_put_varint(b, period);
	inflame_buf_put_varint(b, clock_flags());
	inflame_buf_put_varint(b, own);
	inflame_buf_put_varint(b, n);
}

/* A thread's entry: its CPU (user + system), its samples' weight, the handler's CPU and wall
 * time on it. */
static void put_tcpu_entry(struct inflame_buf *b, pid_t tid, uint64_t flags, uint64_t cpu,
			   uint64_t sys, uint64_t weight, uint64_t self_cpu, uint64_t self_wall)
{
	inflame_buf_put_varint(b, (uint64_t)tid);
	inflame_buf_put_varint(b, flags);
	inflame_buf_put_varint(b, cpu);
	inflame_buf_put_varint(b, cpu - sys);
	inflame_buf_put_varint(b, sys);
	inflame_buf_put_varint(b, weight);
	inflame_buf_put_varint(b, self_cpu);
	inflame_buf_put_varint(b, self_wall);
}

/* An entry of the list of CPU after the threads' last samples. */
static void put_unsampled_entry(struct inflame_buf *b, pid_t tid, uint64_t left)
{
	inflame_buf_put_varint(b, (uint64_t)tid);
	inflame_buf_put_varint(b, left);
}

/* An entry of the list of losses: missed at switches, before the clock, dropped samples. */
static void put_loss_entry(struct inflame_buf *b, pid_t tid, uint64_t missed, uint64_t before,
			   uint64_t dropped)
{
	inflame_buf_put_varint(b, (uint64_t)tid);
	inflame_buf_put_varint(b, missed);
	inflame_buf_put_varint(b, before);
	inflame_buf_put_varint(b, dropped);
}

/* Appends t's entry to w.tcpu_buf: now (the final figures of an exited thread), or measured
 * now. */
static void put_thread_cpu(struct inflame_thread *t, int exited)
{
	struct inflame_buf *b = &w.tcpu_buf;
	struct inflame_cpu_times m;
	uint64_t flags = exited ? INFLAME_TCPU_T_EXITED : 0, cpu, sys, left, missed, before, own;
	uint64_t dropped, now = 0;

	/* The lists after the entries never fail alone: when one cannot grow (no memory), the
	 * entries so far go out with the lists that fit, and the lists start again in the
	 * storage they keep (at least an entry's worth, writer_init). */
	if (w.tcpu_n && (inflame_buf_reserve(&w.unsampled_buf, 2 * INFLAME_VARINT_MAX) < 0 ||
			 inflame_buf_reserve(&w.loss_buf, 4 * INFLAME_VARINT_MAX) < 0)) {
		w.unsampled_buf.failed = 0;
		w.loss_buf.failed = 0;
		write_thread_cpu_list();
	}
	if (atomic_load(&t->posix_moved))
		flags |= INFLAME_TCPU_T_POSIX_TIMER;
	if (atomic_load(&t->lazy))
		flags |= INFLAME_TCPU_T_POSIX_TIMER | INFLAME_TCPU_T_NO_PERF;

	adopt(t);
	direct_seen = 0;
	if (exited && t->fin_ok)
		m = t->fin;
	else if (inflame_thread_cpu_times(t, &t->w_last, &m) < 0) {
		m = t->w_last; /* gone without unregistering (a raw exit): the last reading */
		flags |= INFLAME_TCPU_T_UNMEASURED;
	} else if (direct_start && t == direct_thread) {
		now = m.cpu; /* (the calling thread's own clock: inflame_thread_cpu_times) */
	}
	if (m.cpu < t->w_last.cpu)
		m = t->w_last; /* never backwards */
	t->w_last = m;
	/* The profiler's writes on the thread are in its CPU clock, not in its samples: they are
	 * the profiler's CPU (writer_cpu_ns), not the program's (a short dig's main thread spent
	 * 0.3-0.9 ms of its 6-8 ms writing its file at exit). */
	own = exited && t->fin_ok ? t->w_direct : direct_of(t, now); /* (fin: at its exit) */
	direct_seen = now;
	cpu = minus(minus(m.cpu, t->w_base.cpu), minus(own, t->w_base_direct));
	sys = minus(m.sys, t->w_base.sys);
	if (sys > cpu)
		sys = cpu;
	put_tcpu_entry(b, t->tid, flags, cpu, sys, t->w_weight,
		       minus(atomic_load(&t->self_cpu), t->w_base_self_cpu),
		       minus(atomic_load(&t->self_wall), t->w_base_self_wall));
	w.tcpu_n++;
	left = minus(atomic_load(&t->unsampled), t->w_base_unsampled);
	if (left) {
		put_unsampled_entry(&w.unsampled_buf, t->tid, left);
		w.unsampled_n++;
	}
	missed = minus(atomic_load(&t->missed), t->w_base_missed);
	before = minus(atomic_load(&t->before), t->w_base_before);
	dropped = minus(atomic_load(&t->dropped), t->w_base_dropped) * sample_period_ns();
	if (missed || before || dropped) {
		put_loss_entry(&w.loss_buf, t->tid, missed, before, dropped);
		w.loss_n++;
	}
}

/* The ns of CPU one unit of cpu sample weight stands for; 0 without a cpu clock. */
static uint64_t sample_period_ns(void)
{
	return (inflame__prof.cfg.events & INFLAME_EVMASK_CPU) ? inflame__cpu_period_ns() : 0;
}

static uint64_t clock_flags(void)
{
	uint64_t f = 0;

	/* Thread timers and the itimer run on clocks of user and system time. The perf clock
	 * fires in user code only unless it counts kernel time, but a software clock's count
	 * moves in the kernel too: the periods of system time a sample finds behind it are
	 * written as samples of the kernel pseudo-frame (sample_sigsafe.c). */
	if (inflame__prof.timer_used != INFLAME_TIMER_PERF || inflame__prof.perf_kernel ||
	    (inflame__prof.lazy_perf && atomic_load(&inflame__prof.perf_decided) == 0))
		f |= INFLAME_TCPU_CLOCK_SYSTEM | INFLAME_TCPU_IN_KERNEL;
	else if (inflame__prof.perf_period)
		f |= INFLAME_TCPU_CLOCK_SYSTEM | INFLAME_TCPU_KERNEL_FRAME;
	if (inflame__prof.cfg.cpu_kernel)
		f |= INFLAME_TCPU_KERNEL_ASKED;
	return f;
}

/* Writes one THREAD_CPU chunk: the head, then the w.tcpu_n entries of w.tcpu_buf
 * (list_begin'd), then their lists. */
static void write_thread_cpu_list(void)
{
	struct inflame_buf *b = &w.misc_buf, *list = &w.tcpu_buf;

	b->len = 0;
	b->failed = 0;
	put_tcpu_head(b, sample_period_ns(), minus(writer_cpu_ns(), w.writer_base), w.tcpu_n);
	if (list->failed)
		b->failed = 1;
	else
		inflame_buf_put(b, list->data + LIST_HEAD, list->len - LIST_HEAD);
	/* Both lists whenever there is a cpu clock, empty or not: the second one tells readers
	 * that the first holds only what the threads ran after their last samples.
	 * (put_thread_cpu keeps them from failing.) */
	if (sample_period_ns() || w.unsampled_n || w.loss_n) {
		inflame_buf_put_varint(b, w.unsampled_n);
		inflame_buf_put(b, w.unsampled_buf.data, w.unsampled_buf.len);
		inflame_buf_put_varint(b, w.loss_n);
		inflame_buf_put(b, w.loss_buf.data, w.loss_buf.len);
	}
	write_payload(INFLAME_CHUNK_THREAD_CPU, b);
	list->failed = 0;
	list_begin(list);
	w.tcpu_n = 0;
	w.unsampled_buf.len = 0;
	w.unsampled_n = 0;
	w.loss_buf.len = 0;
	w.loss_n = 0;
}

/* THREAD_CPU for every live thread. */
static void write_thread_cpu(void)
{
	int n = inflame_thread_high_water();

	list_begin(&w.tcpu_buf);
	w.tcpu_n = 0;
	for (int i = 0; i < n; i++) {
		struct inflame_thread *t = inflame_thread_at(i);

		if (atomic_load_explicit(&t->state, memory_order_acquire) != INFLAME_SLOT_ACTIVE)
			continue;
		put_thread_cpu(t, 0);
	}
	write_thread_cpu_list();
}

/* Puts one key and its value into a STATS list, counting the pair. */
static void put_stat(struct inflame_buf *b, uint64_t *pairs, uint64_t key, uint64_t value)
{
	inflame_buf_put_varint(b, key);
	inflame_buf_put_varint(b, value);
	(*pairs)++;
}

/* The sampling handler's totals since the file's first counters (selfcost.h), into since. */
static void handler_since(uint64_t since[3])
{
	struct inflame_selfcost_totals *h = &inflame__prof.handler;
	uint64_t now[3] = {atomic_load(&h->ns), atomic_load(&h->runs), atomic_load(&h->long_runs)};

	if (w.handler_file != w.file_no) {
		w.handler_file = w.file_no;
		memcpy(w.handler_base, now, sizeof(now));
	}
	for (int i = 0; i < 3; i++)
		since[i] = minus(now[i], w.handler_base[i]);
}

/* The STATS pairs but the wall clock's, appended to b: the file's own figures (drops of the
 * rings and of the stack table, truncated stacks, the process's CPU, the handler's totals
 * since its first counters) among the process's counters. */
static void put_counters(struct inflame_buf *b, uint64_t *pairs, uint64_t ring, uint64_t stacks,
			 uint64_t truncated, uint64_t cpu, const uint64_t handler[3])
{
	put_stat(b, pairs, INFLAME_STAT_DROPPED_RING, ring);
	put_stat(b, pairs, INFLAME_STAT_DROPPED_STACKS, stacks);
	put_stat(b, pairs, INFLAME_STAT_DROPPED_THREADS,
		 atomic_load(&inflame__prof.threads_dropped));
	put_stat(b, pairs, INFLAME_STAT_TRUNCATED, truncated);
	put_stat(b, pairs, INFLAME_STAT_SIGNALS, atomic_load(&inflame__prof.signals));
	put_stat(b, pairs, INFLAME_STAT_FOREIGN, atomic_load(&inflame__prof.foreign));
	put_stat(b, pairs, INFLAME_STAT_CPU_NS, cpu);
	put_stat(b, pairs, INFLAME_STAT_ALLOC_UNTRACKED, inflame_alloc_untracked());
	put_stat(b, pairs, INFLAME_STAT_SIGSTACK_NARROW,
		 atomic_load(&inflame__prof.sigstack_narrow));
	put_stat(b, pairs, INFLAME_STAT_SIGSTACK_NOSTACK,
		 atomic_load(&inflame__prof.sigstack_nostack));
	put_stat(b, pairs, INFLAME_STAT_HANDLER_NS, handler[0]);
	put_stat(b, pairs, INFLAME_STAT_HANDLER_RUNS, handler[1]);
	put_stat(b, pairs, INFLAME_STAT_HANDLER_LONG, handler[2]);
}

/* The counters, written every cycle: a process that ends without inflame's exit path (a raw
 * exit_group system call, as Go's runtime makes; SIGKILL) leaves totals at most a cycle old. */
static void write_counters(void)
{
	struct inflame_buf *b = &w.misc_buf;
	uint64_t now_cpu = process_cpu_ns(), unseen, unseen_threads, pairs = 0, handler[3];

	list_begin(b);
	handler_since(handler);
	put_counters(b, &pairs, total_dropped() - w.dropped_base, w.dropped_stacks + pend.lost,
		     w.truncated, now_cpu - w.cpu_base, handler);
	w.cpu_written = now_cpu;
	inflame_wall_unseen(&unseen, &unseen_threads);
	if (unseen_threads > w.unseen_threads_base) {
		put_stat(b, &pairs, INFLAME_STAT_WALL_UNSEEN, minus(unseen, w.unseen_base));
		put_stat(b, &pairs, INFLAME_STAT_WALL_UNSEEN_THREADS,
			 unseen_threads - w.unseen_threads_base);
	}
	list_write(INFLAME_CHUNK_STATS, b, pairs);
}

/* The counters and each thread's CPU time (which costs a /proc read per thread: once a
 * second). */
static void write_stats(void)
{
	write_thread_cpu();
	write_counters();
	w.last_stats = inflame__now_monotonic();
}

static int pending_push(const struct pending *p)
{
	if (pend.n == pend.cap) {
		size_t ncap = pend.cap ? pend.cap * 2 : 65536;
		void *m = pend.e ? mremap(pend.e, pend.cap * sizeof(*pend.e),
					  ncap * sizeof(*pend.e), MREMAP_MAYMOVE)
				 : mmap(NULL, ncap * sizeof(*pend.e), PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED) {
			pend.lost++;
			return -ENOMEM;
		}
		pend.e = m;
		pend.cap = ncap;
	}
	pend.e[pend.n++] = *p;
	return 0;
}

static void chunk_starts(void)
{
	w.last_time = inflame__prof.start_monotonic;
	w.alloc_st = (struct inflame_allocs_state){.time = inflame__prof.start_monotonic};
}

static void flush_samples(void)
{
	if (w.nstacks)
		list_write(INFLAME_CHUNK_STACKS, &w.stack_buf, w.nstacks);
	if (w.nsamples)
		list_write(INFLAME_CHUNK_SAMPLES, &w.sample_buf, w.nsamples);
	if (w.nallocs)
		list_write(INFLAME_CHUNK_ALLOCS, &w.alloc_buf, w.nallocs);
	w.nstacks = w.nsamples = w.nallocs = 0;
	chunk_starts();
}

static int chunks_full(void)
{
	return w.sample_buf.len + w.stack_buf.len + w.alloc_buf.len > CHUNK_FLUSH_BYTES;
}

/* A CPU or wall sample. */
static void put_sample(uint64_t time, uint64_t tid, uint32_t kind, uint64_t id, uint64_t weight)
{
	struct inflame_buf *b = &w.sample_buf;
	uint8_t *o;

	if (inflame_buf_reserve(b, 5 * INFLAME_VARINT_MAX) < 0) {
		w.nsamples++; /* counted, so that list_write() says it was lost */
		return;
	}
	o = b->data + b->len;
	o += inflame_varint_put(o, inflame_zigzag((int64_t)(time - w.last_time)));
	w.last_time = time;
	o += inflame_varint_put(o, tid);
	o += inflame_varint_put(o, kind);
	o += inflame_varint_put(o, id);
	o += inflame_varint_put(o, weight);
	b->len = (size_t)(o - b->data);
	w.nsamples++;
	w.totals[kind]++;
	if (chunks_full())
		flush_samples();
}

/* An allocation event, in its turn: runs once per allocation and once per free in full
 * tracing, so the encoding (dump_write.h) mostly writes a few bytes. */
static void put_alloc(const struct inflame_alloc_event *e)
{
	struct inflame_buf *b = &w.alloc_buf;

	if (b->cap - b->len < INFLAME_ALLOCS_EVENT_MAX &&
	    inflame_buf_reserve(b, INFLAME_ALLOCS_EVENT_MAX) < 0) {
		w.nallocs++; /* counted, so that list_write() says it was lost */
		return;
	}
	b->len += inflame_dump_encode_alloc_event(b->data + b->len, &w.alloc_st, e);
	w.nallocs++;
	w.totals[e->event]++;
	if (chunks_full())
		flush_samples();
}

/* The last stack interned and its id: allocation hot spots repeat the same stack many times
 * in a row. Valid only for the stack table of generation gen (w.stack_gen): a new file need not
 * touch it to forget it, and a process that never samples never touches its page (a page fault
 * of every short process's start, issue 11). */
#define LAST_MAX 64
static struct {
	uint32_t n;
	uint64_t gen;
	uint64_t id;
	uint64_t frames[LAST_MAX];
} last;

/* memcmp for a few frames, without the call. */
static inline int same_frames(const uint64_t *a, const uint64_t *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* The ring being drained: a thread's (t), or the wall ticker's (t NULL, each record names its
 * thread). */
struct drain_ctx {
	struct inflame_thread *t;
};

static void push_event(const struct pending *p);

/* The id of a stack in the current file's table, writing it to the STACKS chunk being built
 * when it is new; 0 when the table is full. */
static uint64_t stack_id(const uint64_t *frames, uint32_t n)
{
	uint64_t id;
	int is_new = 0;

	if (n && n == last.n && last.gen == w.stack_gen && same_frames(last.frames, frames, n))
		return last.id; /* the previous stack again: no hashing */
	/* The table is made by the first stack (its mappings were two system calls at the start
	 * of every process, and two areas to unmap at its end, issue 11): a table that cannot be
	 * had is a full one, whose stacks are counted as dropped. */
	if (!w.stacks.slots && inflame_stacktab_init(&w.stacks, MAX_STACKS) < 0)
		return 0;
	id = inflame_stacktab_intern(&w.stacks, frames, n, &is_new);
	if (!id)
		return 0;
	if (n <= LAST_MAX) {
		last.n = n;
		last.gen = w.stack_gen;
		last.id = id;
		memcpy(last.frames, frames, n * sizeof(uint64_t));
	}
	if (is_new) {
		if (n && frames[0] != INFLAME_FRAME_KERNEL &&
		    !inflame_modules_is_code((uintptr_t)frames[0]))
			inflame_perfmap_want_regions(); /* generated code? */
		/* Room for the whole entry at once, then the encoding the table made of it: a
		 * process's start makes thousands of new stacks of tens of frames (python3: 6150
		 * in its first 23k allocations), and a deep CPU-bound program almost one per
		 * sample. A failed growth marks the buffer (list_write() says so). */
		struct inflame_buf *b = &w.stack_buf;
		size_t len;
		const uint8_t *enc = inflame_stacktab_encoding(&w.stacks, &len);

		if (inflame_buf_reserve(b, INFLAME_VARINT_MAX + len) == 0) {
			b->len += inflame_varint_put(b->data + b->len, id);
			memcpy(b->data + b->len, enc, len);
			b->len += len;
		}
		w.nstacks++;
	}
	return id;
}

/* Whether an allocation event numbered seq must wait in its ring: once PENDING_MAX events wait
 * for their turn, those numbered from the cycle's limit on (which this cycle cannot write) are
 * left in the rings for a later cycle, so the writer holds and sorts a bounded number however
 * far the producers run ahead of it. Below that they are taken, so that a ring never waits
 * behind the newest allocation of a program that has stopped allocating. */
#define PENDING_MAX (1u << 20)

static int must_wait(uint64_t seq)
{
	return seq >= pend.limit && pend.n - pend.done >= PENDING_MAX;
}

/* Takes one record, or refuses it (must_wait): 1 leaves it and the rest of the ring. */
static int on_record(void *arg, uint16_t kind, const void *payload, size_t len)
{
	struct drain_ctx *d = arg;
	const struct inflame_rec *r = payload;
	uint64_t id = 0, tid;

	if (!d->t) {
		/* The wall ticker's: wall samples of blocked threads, with their stacks. */
		if (kind != INFLAME_EV_WALL || len < sizeof(*r) ||
		    len < sizeof(*r) + r->nframes * sizeof(uint64_t) ||
		    !(r->flags & INFLAME_REC_TID))
			return 0;
		if (r->flags & INFLAME_REC_TRUNCATED)
			w.truncated++;
		id = stack_id(r->frames, r->nframes);
		if (!id) {
			w.dropped_stacks++;
			return 0;
		}
		put_sample(r->time, r->addr, kind, id, r->weight);
		return 0;
	}
	tid = (uint64_t)d->t->tid;
	if (kind == INFLAME_REC_KIND_LABEL) {
		inflame_labels_apply(tid, payload, len);
		return 0;
	}
	if (kind == INFLAME_EV_FREE) {
		const struct inflame_free_rec *f = payload;
		struct pending p = {0, {.event = INFLAME_EV_FREE, .tid = tid}};

		if (len < sizeof(*f))
			return 0;
		if (must_wait(f->seq))
			return 1;
		p.seq = f->seq;
		p.e.addr = f->addr;
		push_event(&p);
		return 0;
	}
	if (len < sizeof(*r) || kind >= INFLAME_EV_COUNT_ ||
	    len < sizeof(*r) + r->nframes * sizeof(uint64_t))
		return 0;
	if (kind == INFLAME_EV_ALLOC && must_wait(r->seq))
		return 1;
	if (r->flags & INFLAME_REC_TRUNCATED)
		w.truncated++;
	if (r->flags & INFLAME_REC_SAME_STACK) {
		struct inflame_thread *t = d->t;
		unsigned s = (r->flags >> INFLAME_REC_SLOT_SHIFT) & (INFLAME_SAME_SLOTS - 1);

		/* The stack of the thread's last OUTER record of that slot (thread.h). */
		if (!t->w_last_n[s]) {
			w.dropped_stacks++; /* cannot happen: the producer saw that record */
			return 0;
		}
		if (t->w_last_gen[s] != w.stack_gen) {
			t->w_last_id[s] = stack_id(t->w_last_frames + (size_t)s * INFLAME_SAME_MAX,
						   t->w_last_n[s]);
			t->w_last_gen[s] = w.stack_gen;
		}
		id = t->w_last_id[s];
	} else if (r->nframes || !(r->flags & INFLAME_REC_RESTORE)) {
		id = stack_id(r->frames, r->nframes);
		if (r->flags & INFLAME_REC_OUTER) {
			struct inflame_thread *t = d->t;
			unsigned s =
			    (r->flags >> INFLAME_REC_SLOT_SHIFT) & (INFLAME_SAME_SLOTS - 1);

			t->w_last_n[s] = id && r->nframes <= INFLAME_SAME_MAX ? r->nframes : 0;
			memcpy(t->w_last_frames + (size_t)s * INFLAME_SAME_MAX, r->frames,
			       t->w_last_n[s] * sizeof(uint64_t));
			t->w_last_id[s] = id;
			t->w_last_gen[s] = w.stack_gen;
		}
	}
	if (!id && !(r->flags & INFLAME_REC_RESTORE)) {
		w.dropped_stacks++;
		return 0;
	}
	if (kind == INFLAME_EV_ALLOC) {
		struct pending p = {r->seq,
				    {.event = kind,
				     .restore = (r->flags & INFLAME_REC_RESTORE) != 0,
				     .time = r->time,
				     .tid = tid,
				     .stack = id,
				     .weight = r->weight,
				     .size = r->size,
				     .addr = r->addr}};

		if (r->seq >= pend.alloc_end)
			pend.alloc_end = r->seq + 1;
		/* While one thread records, its ring holds the events in the order they happened:
		 * the events numbered as this ALLOC follow it in this very ring (no other has any),
		 * so the pass may write them at once instead of keeping them for the next. */
		if (r->seq == pend.limit && pend.direct &&
		    !__atomic_load_n(&inflame__alloc_threads, __ATOMIC_ACQUIRE))
			pend.limit++;
		push_event(&p);
		return 0;
	}
	put_sample(r->time, tid, kind, id, r->weight);
	if (kind == INFLAME_EV_CPU) {
		adopt(d->t);
		d->t->w_weight += r->weight;
	}
	return 0;
}

/* The order of allocation events (alloc.h): by number, an ALLOC before a FREE of the same
 * number (the FREE read the number the ALLOC made). */
static inline int before(const struct pending *x, const struct pending *y)
{
	return x->seq < y->seq || (x->seq == y->seq && x->e.event < y->e.event);
}

static int by_seq(const void *a, const void *b)
{
	return before(a, b) ? -1 : before(b, a);
}

/* The end of the sorted run of e[0..n) that starts at i. */
static size_t run_end(const struct pending *e, size_t i, size_t n)
{
	while (++i < n && !before(&e[i], &e[i - 1]))
		;
	return i;
}

/* Sorts e[0..n) by by_seq. A cycle's events are a few sorted runs (one per ring, in the order
 * the rings were drained, where a signal handler's events can break one): merging the runs two
 * at a time, through a buffer as big as e, takes one or two passes where qsort took a
 * comparison call per step of n log n. qsort when the buffer cannot be had. */
static void sort_events(struct pending *e, size_t n)
{
	struct pending *src = e, *dst;
	size_t runs;

	if (pend.tmp_cap < n) {
		void *m = pend.tmp
			      ? mremap(pend.tmp, pend.tmp_cap * sizeof(*pend.tmp),
				       pend.cap * sizeof(*pend.tmp), MREMAP_MAYMOVE)
			      : mmap(NULL, pend.cap * sizeof(*pend.tmp), PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED) {
			qsort(e, n, sizeof(*e), by_seq);
			return;
		}
		pend.tmp = m;
		pend.tmp_cap = pend.cap;
	}
	dst = pend.tmp;
	do {
		size_t i = 0, o = 0;

		runs = 0;
		while (i < n) {
			size_t mid = run_end(src, i, n), end = mid < n ? run_end(src, mid, n) : n;
			size_t a = i, b = mid;

			while (a < mid && b < end)
				dst[o++] = before(&src[b], &src[a]) ? src[b++] : src[a++];
			while (a < mid)
				dst[o++] = src[a++];
			while (b < end)
				dst[o++] = src[b++];
			i = end;
			runs++;
		}
		atomic_fetch_add_explicit(&heartbeat, 1, memory_order_relaxed);
		/* The output of this pass is the input of the next. */
		{
			struct pending *t = src;

			src = dst;
			dst = t;
		}
	} while (runs > 1);
	if (src != e)
		memcpy(e, src, n * sizeof(*e));
}

/* Puts the waiting events in order: a direct cycle (put_direct) takes them from the front, and
 * release_exited() appends an exited thread's last events unsorted after those of the cycle. */
static void sort_pending(void)
{
	struct pending *e = pend.e + pend.done;
	size_t n = pend.n - pend.done, i;
	int sorted = 1;

	for (i = 1; i < n && sorted; i++)
		sorted = !before(&e[i], &e[i - 1]);
	if (!sorted)
		sort_events(e, n);
}

/* Writes the pending allocation events numbered below limit, in order; keeps the rest. */
static void write_pending(uint64_t limit)
{
	struct pending *e = pend.e + pend.done;
	size_t n = pend.n - pend.done, i, k = 0;

	sort_pending();
	for (i = 0; i < n && e[i].seq < limit; i++)
		put_alloc(&e[i].e);
	for (; i < n; i++)
		pend.e[k++] = e[i];
	pend.n = k;
	pend.done = 0;
}

/* An event of the one busy ring of a direct cycle, numbered below the limit: written now, after
 * the waiting events (sorted, from earlier cycles) that come before it. */
static void put_direct(const struct pending *p)
{
	while (pend.done < pend.n && pend.e[pend.done].seq < pend.limit &&
	       before(&pend.e[pend.done], p))
		put_alloc(&pend.e[pend.done++].e);
	put_alloc(&p->e);
}

static void push_event(const struct pending *p)
{
	if (pend.direct && p->seq < pend.limit)
		put_direct(p);
	else
		pending_push(p);
}

unsigned inflame_writer_drains(void)
{
	return atomic_load_explicit(&drains, memory_order_acquire);
}

void inflame_writer_wait_drain(unsigned gen, long timeout_ns)
{
	struct timespec ts = {timeout_ns / 1000000000L, timeout_ns % 1000000000L};
	int saved = errno;

	atomic_fetch_add(&drain_waiters, 1);
	if (atomic_load(&drains) == gen)
		syscall(SYS_futex, &drains, FUTEX_WAIT_PRIVATE, gen, &ts, NULL, 0);
	atomic_fetch_sub(&drain_waiters, 1);
	errno = saved;
}

static void drained(void)
{
	atomic_fetch_add_explicit(&drains, 1, memory_order_release);
	if (atomic_load(&drain_waiters))
		syscall(SYS_futex, &drains, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Marks the cycle busy when ring r holds a quarter of its size or more (see PERIOD_NS). */
static void note_fill(struct inflame_ring *r)
{
	uint64_t used = atomic_load_explicit(&r->head, memory_order_acquire) -
			atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (used >= r->size / 4)
		w.busy = 1;
}

/* One pass over every ring, taking everything when final. Returns how many records it took. */
static size_t drain_pass(int final)
{
	int n = inflame_thread_high_water();
	/* Strictly below the value read now: a FREE may still read this value after the read
	 * (and must come after the ALLOC that made it, which may not be drained yet). Once that
	 * ALLOC was taken, the value itself too: every event numbered so comes after it. Else a
	 * program that frees without allocating (its teardown) would keep every FREE waiting,
	 * and once PENDING_MAX of them wait, its producers would wait for room for ever. */
	uint64_t limit = final ? UINT64_MAX : atomic_load(&inflame__alloc_seq);
	int busy = 0;
	size_t taken = 0;

	if (!final && pend.alloc_end > limit)
		limit++;
	for (int i = 0; i < n && busy < 2; i++) {
		struct inflame_thread *t = inflame_thread_at(i);
		int st = atomic_load_explicit(&t->state, memory_order_acquire);

		if ((st == INFLAME_SLOT_ACTIVE || st == INFLAME_SLOT_EXITED) &&
		    inflame_ring_has_data(&t->ring))
			busy++;
	}
	pend.direct = busy <= 1;
	pend.limit = limit;
	if (pend.direct)
		sort_pending(); /* (an exited thread's events may have been added unsorted) */
	for (int i = 0; i < n; i++) {
		struct inflame_thread *t = inflame_thread_at(i);
		int st = atomic_load_explicit(&t->state, memory_order_acquire);
		struct drain_ctx d = {t};

		if (st == INFLAME_SLOT_ACTIVE || st == INFLAME_SLOT_EXITED) {
			note_fill(&t->ring);
			taken += inflame_ring_drain_until(&t->ring, on_record, &d);
		}
		atomic_fetch_add_explicit(&heartbeat, 1, memory_order_relaxed);
	}
	{
		struct inflame_ring *wall = inflame_wall_ring();
		struct drain_ctx d = {NULL};

		if (wall) {
			note_fill(wall);
			taken += inflame_ring_drain_until(wall, on_record, &d);
		}
	}
	pend.direct = 0;
	write_pending(pend.limit);
	flush_samples();
	write_labels();
	drained();
	return taken;
}

/* Drains every ring. The last drain before a file is closed for good (final) takes everything:
 * first pass after pass in bounded steps while they take something (the threads have stopped
 * producing, so this ends), then whatever is left. */
static void drain_all(int final)
{
	if (drain_pass(0) && final)
		while (drain_pass(0))
			;
	if (final)
		drain_pass(1);
}

/* Gives back the slots of the threads that exited and whose records are all drained;
 * returns how many. */
static uint64_t release_exited(void)
{
	int n = inflame_thread_high_water();
	uint64_t exits = 0;

	for (int i = 0; i < n; i++) {
		struct inflame_thread *t = inflame_thread_at(i);

		/* (The wall ticker may still have to write the thread's last blocked periods.) */
		if (atomic_load_explicit(&t->state, memory_order_acquire) == INFLAME_SLOT_EXITED &&
		    inflame_wall_done_with(t)) {
			struct drain_ctx d = {t};

			/* The thread may have written more between drain_all() and its exit; what
			 * must wait stays for the next cycle. */
			inflame_ring_drain_until(&t->ring, on_record, &d);
			if (inflame_ring_has_data(&t->ring))
				continue;
			w.dropped_released += atomic_load(&t->ring.dropped);
			inflame_labels_forget((uint64_t)t->tid);
			if (!exits++) {
				list_begin(&w.tcpu_buf);
				w.tcpu_n = 0;
			}
			put_thread_cpu(t, 1);
			inflame_thread_release(t);
		}
	}
	if (exits) {
		/* Their samples are in the chunks written before this one. */
		flush_samples();
		write_thread_cpu_list();
	}
	return exits;
}

/* The header of a new file of sequence number seq. */
static void header_of(struct inflame_dump_header_info *h, uint64_t seq)
{
	inflame_dump_header_defaults(h);
	h->features = ((inflame__prof.cfg.events & INFLAME_EVMASK_CPU) ? INFLAME_FEAT_CPU : 0) |
		      ((inflame__prof.cfg.events & INFLAME_EVMASK_WALL) ? INFLAME_FEAT_WALL : 0) |
		      ((inflame__prof.cfg.events & INFLAME_EVMASK_ALLOC) ? INFLAME_FEAT_ALLOC : 0);
	if (h->features & INFLAME_FEAT_ALLOC)
		h->min_reader = INFLAME_DUMP_MIN_READER_ALLOCS;
	h->pid = (uint32_t)inflame__prof.pid;
	h->sequence = seq;
	h->start_realtime = inflame__prof.start_realtime;
	h->start_monotonic = inflame__prof.start_monotonic;
	/* The first file holds everything since the start (a fork child's is opened at its first
	 * drain with samples, up to a writer cycle or a long sleep of the ticker later: 0.42 s
	 * for a subshell that lived 0.52 s); a later one, what comes after it was opened. */
	h->file_realtime = seq ? inflame__now_realtime() : inflame__prof.start_realtime;
	h->file_monotonic = seq ? inflame__now_monotonic() : inflame__prof.start_monotonic;
}

/* "/proc/self/fd/N" for descriptor fd, in link (at least 32 bytes). */
static void fd_link(char *link, int fd)
{
	static const char pre[] = "/proc/self/fd/";
	char digits[12];
	int n = 0;

	do
		digits[n++] = (char)('0' + fd % 10);
	while ((fd /= 10) > 0);
	memcpy(link, pre, sizeof(pre) - 1);
	link += sizeof(pre) - 1;
	while (n > 0)
		*link++ = digits[--n];
	*link = 0;
}

/* Gives the unnamed file fd the name path: by the descriptor itself where the kernel allows it
 * (6.10 and later for the user who opened it, or with CAP_DAC_READ_SEARCH), else through
 * /proc/self/fd, a walk of procfs that cost a short process about 20 us more (issue 11).
 * Returns 0 or -1 with errno set. */
static int link_unnamed(int fd, const char *path)
{
	char link[64];

	if (linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno == EEXIST)
		return -1;
	fd_link(link, fd);
	return linkat(AT_FDCWD, link, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

/* Opens an unnamed file (O_TMPFILE) with flags in path's directory, mode 0600. Returns the
 * descriptor, or -1 where the file system (or the libc) has none. */
static int open_unnamed(char *path, int flags)
{
#ifdef O_TMPFILE
	/* The directory's name is path cut at its last slash, for the time of the open: a copy
	 * of it would be one more page of stack, a page fault in a short process (issue 11). */
	char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		return open(".", O_TMPFILE | flags, 0600);
	if (slash == path)
		return open("/", O_TMPFILE | flags, 0600);
	*slash = 0;
	fd = open(path, O_TMPFILE | flags, 0600);
	*slash = '/';
	return fd;
#else
	(void)path;
	(void)flags;
	return -1;
#endif
}

/* Creates the file path with its header h already in it: an unnamed file in path's directory
 * (O_TMPFILE), given its name once the header is written, so that no reader ever finds the
 * file empty, not even when the process is killed while it starts the file (a pool's worker
 * told to terminate). Where the file system does not allow that, or neither the kernel nor a
 * /proc lets the file be named (link_unnamed), the file is created by name and the header
 * written right after. Returns the descriptor or -errno
 * (-EEXIST: the name is taken). */
static int create_with_header(char *path, const struct inflame_dump_header_info *h)
{
	int fd = open_unnamed(path, O_WRONLY | O_CLOEXEC), err;

	/* (high at once, before the header: fdhigh.c; a bare dump's stays low, shared_adopt) */
	if (fd >= 0 && !w.bare)
		fd = inflame_fdhigh_move(fd);
	if (fd >= 0) {
		if (inflame_dump_write_header(fd, h) == 0 && link_unnamed(fd, path) == 0)
			return fd;
		err = errno;
		close(fd);
		if (err == EEXIST)
			return -EEXIST;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (!w.bare && (fd = inflame_fdhigh_move(fd)) < 0)
		return fd;
	inflame_dump_write_header(fd, h);
	return fd;
}

/* Expands the output pattern for sequence number seq into path, INFLAME_OUTPUT_MAX bytes.
 * Returns 0 or -ENAMETOOLONG. */
static int output_name(unsigned seq, char *path)
{
	if (inflame_config_expand_output(inflame__prof.cfg.output, inflame__prof.pid,
					 inflame__prof.start_realtime / 1000000000ull, seq, path,
					 INFLAME_OUTPUT_MAX) < 0)
		return -ENAMETOOLONG;
	return 0;
}

/* Whether the name of sequence number seq is in use: by a file, a directory or a link, even a
 * dangling one (the exclusive creation fails on each). path is scratch space. */
static int name_taken(unsigned seq, char *path)
{
	struct stat st;

	return output_name(seq, path) == 0 &&
	       fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The name of sequence number taken is in use: returns a larger number whose name is free and
 * whose predecessor's is not, found by lookups (no file created) whose count grows with the
 * logarithm of the names in use. A pattern without %p shared by the processes of a build puts
 * every earlier process's file before a new one: trying each name in turn cost one file
 * created and deleted per name (15-35 ms per process past a few hundred processes) and gave
 * up after 1000, so later processes went unprofiled. The steps double until a free name, then
 * the gap is halved. A name taken after the lookup makes the creation fail, and the search
 * starts again from there. */
static unsigned next_free_seq(unsigned taken, char *path)
{
	unsigned lo = taken, hi, step = 1;

	for (;;) {
		if (step > UINT_MAX - lo)
			return lo + 1; /* (four billion names: never; open_next's tries are few) */
		hi = lo + step;
		if (!name_taken(hi, path))
			break;
		lo = hi;
		if (step < UINT_MAX / 2)
			step *= 2;
	}
	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo) / 2;

		if (name_taken(mid, path))
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/* Creates the image's own file of the next free sequence number, its header in it, as w.fd.
 * Returns 0, or -errno with the failure logged and w.failed set. */
static int open_own(void)
{
	struct inflame_dump_header_info h;
	char path[INFLAME_OUTPUT_MAX];
	int fd = -1, err = 0;

	for (int tries = 0; tries < 64; tries++) {
		if (output_name(w.seq, path) < 0) {
			err = ENAMETOOLONG;
			break;
		}
		header_of(&h, w.seq);
		fd = create_with_header(path, &h);
		if (fd >= 0)
			break;
		err = -fd;
		if (err != EEXIST)
			break;
		w.seq = next_free_seq(w.seq, path);
	}
	if (fd < 0) {
		if (!w.open_err_logged) {
			w.open_err_logged = 1;
			inflame_log_unprofiled("cannot create dump file %s: %s", path,
					       err_text(err));
		}
		w.failed = 1;
		return -err;
	}
	memcpy(wb.path, path, strlen(path) + 1); /* (not the whole buffer: its pages) */
	remember(fd, &w.fd_dev, &w.fd_ino);
	w.fd = fd;
	w.failed = 0;
	return 0;
}

/* Is a file system of type t one where the appends of two machines (or a server in user
 * space) may interleave? A shared file there is not used. */
static int remote_fs(unsigned long t)
{
	static const unsigned long types[] = {
	    0x6969,	/* NFS */
	    0x65735546, /* FUSE */
	    0xff534d42, /* CIFS */
	    0xfe534d42, /* SMB2 */
	    0x517b,	/* SMB */
	    0x00c36400, /* Ceph */
	    0x01021997, /* 9P */
	    0x6b414653, /* AFS */
	    0x73757245, /* Coda */
	    0x01161970, /* GFS2 */
	    0x7461636f, /* OCFS2 */
	    0x0bd00bd0, /* Lustre */
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if ((t & 0xffffffffu) == types[i])
			return 1;
	return 0;
}

/* Whether fd may be the shared file: a regular file of the process's effective user (euid) on a
 * local file system, where an append of one write() lands whole. st: its status. Returns 0 or
 * -EPERM. */
static int shared_usable(int fd, struct stat *st, uid_t euid)
{
	struct statfs sfs;

	/* (each by system call: the C library's wrappers are pages of code a short program never
	 * runs, and its fstat is an fstatat of "", whose page of its data the kernel then reads:
	 * page faults of most short processes, issue 11) */
	if (inflame__syscall_raw(SYS_fstat, fd, (long)st, 0, 0, 0) != 0 || !S_ISREG(st->st_mode) ||
	    st->st_uid != euid || inflame__syscall_raw(SYS_fstatfs, fd, (long)&sfs, 0, 0, 0) != 0 ||
	    remote_fs((unsigned long)sfs.f_type))
		return -EPERM;
	return 0;
}

/* Takes fd, just opened or created under wb.path, as the shared file's descriptor (w.bfd, moved
 * high): only a regular file of the process's effective user on a local file system, where an
 * append of one write() lands whole. Returns 0, or -EPERM with fd closed. */
static int shared_adopt(int fd)
{
	struct stat st;

	/* (a bare image's end opens it, appends and closes it: no code of the program's runs
	 * meanwhile that could take its number, and a low one leaves the descriptor table as
	 * small as the program's; any other, high at once: fdhigh.c) */
	if (!w.bare && (fd = inflame_fdhigh_move(fd)) < 0)
		return -EPERM;
	if (shared_usable(fd, &st, (uid_t)inflame__syscall_raw(SYS_geteuid, 0, 0, 0, 0, 0)) < 0) {
		close(fd);
		return -EPERM;
	}
	w.bfd = fd;
	w.bfd_dev = st.st_dev;
	w.bfd_ino = st.st_ino;
	return 0;
}

#define SHARED_FLAGS (O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

/* Names the shared file of the output pattern into path (size bytes) and opens it to append to,
 * by system call (errno untouched; the C library's open is a page of code a short program
 * never runs, issue 11). Returns the descriptor (not moved up, not checked) or a negative
 * errno (-ENOENT: it does not exist yet; -EINVAL: a pattern without %p has none). */
static int shared_open_at(char *path, size_t size)
{
	int rc = inflame_config_shared_output(
	    inflame__prof.cfg.output, inflame__prof.start_realtime / 1000000000ull, path, size);

	if (rc < 0)
		return rc;
	return (int)inflame__syscall_raw(SYS_openat, AT_FDCWD, (long)path, SHARED_FLAGS, 0, 0);
}

/* Opens the shared file of the output pattern, its name in wb.path, to append to (never
 * truncated, never waited on as a FIFO would be). Returns 0, -ENOENT when it does not exist
 * yet (shared_append creates it), or another -errno when it cannot be used (-EINVAL: a
 * pattern without %p has none). */
static int shared_open(void)
{
	int fd = shared_open_at(wb.path, sizeof(wb.path));

	return fd < 0 ? fd : shared_adopt(fd);
}

/* Creates the shared file with its first len bytes at data in it: an unnamed file written,
 * then linked under the name, so that no reader ever finds it empty (as for any dump file,
 * create_with_header). When another process linked one first, the bytes are appended to that
 * one. room: bytes that must fit after them under RLIMIT_FSIZE. Returns what the write
 * returned, or -1. */
static ssize_t shared_create(const void *data, size_t len, size_t room)
{
	ssize_t n = -1;
	int fd = open_unnamed(wb.path, SHARED_FLAGS & ~O_NOFOLLOW);

	if (fd < 0) {
		/* (no unnamed files here: the file is empty for a moment) */
		fd = open(wb.path, SHARED_FLAGS | O_CREAT, 0600);
		if (fd < 0 || shared_adopt(fd) < 0)
			return -1;
		return inflame_dump_write_fits(w.bfd, len + room) ? write(w.bfd, data, len) : -1;
	}
	if (shared_adopt(fd) < 0)
		return -1;
	if (inflame_dump_write_fits(w.bfd, len + room))
		n = write(w.bfd, data, len);
	if (n == (ssize_t)len && link_unnamed(w.bfd, wb.path) == 0)
		return n;
	close(w.bfd);
	w.bfd = -1;
	if (n != (ssize_t)len || errno != EEXIST || shared_open() < 0)
		return -1;
	return inflame_dump_write_fits(w.bfd, len + room) ? write(w.bfd, data, len) : -1;
}

/* Appends len bytes at data to the shared file with one write(), opening or creating it when
 * the image has no descriptor of it. room: bytes that must fit after them under
 * RLIMIT_FSIZE. Returns what the write returned, or -1. */
static ssize_t shared_append(const void *data, size_t len, size_t room)
{
	if (w.bfd < 0) {
		int rc = shared_open();

		if (rc == -ENOENT)
			return shared_create(data, len, room);
		if (rc < 0)
			return -1;
	}
	return inflame_dump_write_fits(w.bfd, len + room) ? write(w.bfd, data, len) : -1;
}

/* Closes the shared file's descriptor, if it is still ours. */
static void shared_close(void)
{
	if (is_same(w.bfd, w.bfd_dev, w.bfd_ino))
		close(w.bfd);
	w.bfd = -1;
}

static void leave_held(void);

/* Writes the placeholder: what the image's own file would start with (its header and first
 * chunks), which stands for the image until its end, or for good if it is killed. A failed
 * or short write sends the image to a file of its own (leave_held), and so does a file size
 * limit (RLIMIT_FSIZE) that leaves no room for the whole dump and a MOVED stand-in after the
 * placeholder: a placeholder is never left without either. */
static void shared_place(void)
{
	ssize_t n = shared_append(w.out.data, w.out.len, SHARED_MAX + sizeof(wb.path) + 64);

	w.placed = n >= INFLAME_DUMP_HEADER_SIZE;
	w.held_len = w.out.len;
	if (n != (ssize_t)w.out.len) {
		leave_held();
		flush_out();
	}
}

/* Appends to the shared file a stand-in for the placeholder of header head: the image goes on
 * in its own file, wb.path (a MOVED chunk, dump_format.h). */
static void shared_mark_moved(const uint8_t *head)
{
	uint8_t payload[INFLAME_VARINT_MAX + INFLAME_OUTPUT_MAX];
	size_t len = strlen(wb.path);
	size_t k = inflame_varint_put(payload, len);

	memcpy(payload + k, wb.path, len);
	if (is_same(w.bfd, w.bfd_dev, w.bfd_ino))
		inflame_dump_write_gathered(w.bfd, head, INFLAME_DUMP_HEADER_SIZE,
					    INFLAME_CHUNK_MOVED, payload, k + len);
}

/* The image needs a file of its own after all: it writes before its end, its dump is too big
 * for the shared file, or the shared file failed. The new file gets the chunks held so far:
 * out keeps them, less the header (the file has its own), for the caller to write. */
static void leave_held(void)
{
	uint8_t head[INFLAME_DUMP_HEADER_SIZE];
	int placed = w.placed;

	memcpy(head, w.out.data, sizeof(head));
	w.held = w.placed = 0;
	if (open_own() == 0) {
		w.out.len -= INFLAME_DUMP_HEADER_SIZE;
		memmove(w.out.data, w.out.data + INFLAME_DUMP_HEADER_SIZE, w.out.len);
		if (placed)
			shared_mark_moved(head);
	} else {
		w.out.len = 0;
	}
	shared_close();
}

/* Keeps the chunks of write_out() in out while the image may still go to the shared file: its
 * end is being written, and its dump fits in SHARED_MAX. Returns 0 when kept (or when nothing
 * was added since the placeholder), else -1 once the image has a file of its own (leave_held),
 * which write_out then writes to. */
static int hold(uint32_t type, const uint8_t *payload, size_t len)
{
	if (!payload && w.out.len == w.held_len)
		return 0;
	if (w.ending &&
	    w.out.len + (payload ? INFLAME_DUMP_CHUNK_HDR_SIZE + len : 0) <= SHARED_MAX &&
	    (!payload || inflame_dump_put_chunk(&w.out, type, payload, len) == 0))
		return 0;
	leave_held();
	return -1;
}

/* The end of a held image: its whole dump appended to the shared file with one write(), so
 * that the appends of processes that end together never interleave. A short write leaves the
 * image torn there (readers find the next image by its header); a failed one, or a shared
 * file that cannot be opened again, sends the dump to a file of its own. */
static void shared_finish(void)
{
	ssize_t n = -1;

	if (w.bfd >= 0 && !is_same(w.bfd, w.bfd_dev, w.bfd_ino))
		w.bfd = -1; /* (not closed: the number may be the program's now) */
	if (w.out.len <= SHARED_MAX)
		n = shared_append(w.out.data, w.out.len, 0);
	if (n < 0)
		goto own;
	close(w.bfd);
	w.bfd = -1;
	w.held = w.placed = 0;
	w.out.len = 0;
	return;
own:
	leave_held();
	flush_out();
}

/* Starts the image's next file. shared_ok: the image has written no file yet and this one may
 * be its last (the image's start, or a fork child's first file at its end): it is held for the
 * shared file when the configuration and the shared file allow. first: the image's or the fork
 * child's first file, whose figures start at its threads' registrations (as does any file
 * numbered 1). */
static int open_next(int shared_ok, int first)
{
	struct inflame_dump_header_info h;
	int rc;

	if (w.inherited_fd >= 0) {
		if (is_same(w.inherited_fd, w.inherited_dev, w.inherited_ino))
			close(w.inherited_fd);
		w.inherited_fd = -1;
	}
	inflame_timer_drop_inherited(); /* (the parent's perf events, likewise) */
	w.out.len = 0;
	w.held = w.placed = 0;
	w.held_len = 0;
	if (shared_ok && inflame__prof.cfg.shared_file &&
	    (w.bare || (rc = shared_open()) == 0 || rc == -ENOENT)) {
		header_of(&h, w.seq);
		if (inflame_dump_put_header(&w.out, &h) == 0) {
			w.held = 1;
			w.failed = 0;
		} else {
			shared_close();
		}
	}
	if (!w.held && (rc = open_own()) < 0)
		return rc;
	inflame_stacktab_clear(&w.stacks);
	w.stack_gen++; /* (which also forgets the last stack: stack_id) */
	memset(w.totals, 0, sizeof(w.totals));
	w.dropped_stacks = w.truncated = 0;
	w.dropped_base = total_dropped();
	/* (a bare dump's from the arming of its one thread's clock, as the bare end's, below: the
	 * image's only thread, its CPU is the process's) */
	w.cpu_base = w.continues_lost ? w.cpu_written
		     : w.bare	      ? inflame__prof.fork_clock.cpu0
				      : process_cpu_ns();
	inflame_wall_unseen(&w.unseen_base, &w.unseen_threads_base);
	w.file_no++;
	w.writer_base = writer_cpu_ns();
	/* An image's first file: its threads' figures start at their registration, as their
	 * samples do. The thread that set inflame up spent its periods from then to the opening
	 * of the file in inflame's code (init.c), counted as the profiler's. Their CPU times are
	 * not measured now for a base that is not used (two system calls per thread at every
	 * short process's start, issue 11). */
	if (first || w.file_no == 1) {
		base_on_registration();
	} else {
		for (int i = 0, n = inflame_thread_high_water(); i < n; i++) {
			struct inflame_thread *t = inflame_thread_at(i);
			int st = atomic_load_explicit(&t->state, memory_order_acquire);

			if (st == INFLAME_SLOT_ACTIVE || st == INFLAME_SLOT_EXITED)
				rebase(t, w.continues_lost);
		}
	}
	w.continues_lost = 0;
	w.cpu_written = w.cpu_base;
	chunk_starts();
	/* (which names the program: PROCESS) Frame pointers are decided by the writer's first
	 * cycle, not by the constructor or an image's last file: a process that ends sooner
	 * never needs them. */
	if (!w.bare)
		inflame_modules_refresh(
		    INFLAME_MODULES_FORCE |
		    (atomic_load(&inflame__prof.sampling) ? 0 : INFLAME_MODULES_NO_SCAN));
	write_process();
	if (!w.bare)
		write_modules();
	write_threads(1);
	w.notes_done = 0;
	w.notes_lost = 0;
	write_notes();
	inflame_perfmap_restart();
	/* At set-up (sampling not on yet) the program has not run: it has no perf map to read
	 * yet (an open of /tmp that fails, issue 11). The next cycle, or the file's end, reads
	 * it from its start. */
	if (atomic_load(&inflame__prof.sampling))
		write_perfmap(0);
	inflame_labels_restart();
	write_labels();
	if (w.held && !w.ending)
		shared_place();
	else
		flush_out();
	inflame_log(INFLAME_LOG_DEBUG, "writing %s", wb.path);
	return 0;
}

/* The END payload: the file's end on the monotonic clock, then its records' totals by event. */
static void put_end(struct inflame_buf *b, uint64_t end, const uint64_t *totals)
{
	inflame_buf_put_varint(b, end);
	for (int i = 0; i < INFLAME_EV_COUNT_; i++)
		inflame_buf_put_varint(b, totals[i]);
}

/* Ends the current file. drained: a final cycle just read the rings and the perf map to their
 * end (exit, exec), which need not be read again. */
static void close_current(int drained)
{
	struct inflame_buf *b = &w.misc_buf;
	uint64_t end, site_hits, site_misses;

	if (!open_any())
		return;
	write_pending(UINT64_MAX);
	flush_samples();
	if (!drained)
		write_perfmap(1);
	write_notes();
	process_renamed();
	end = inflame__now_monotonic();
	if (drained)
		inflame_wall_finish_self(end); /* (the end of the image: its last file) */
	write_stats();
	b->len = 0;
	put_end(b, end, w.totals);
	write_payload(INFLAME_CHUNK_END, b);
	flush_out();
	if (w.held)
		shared_finish();
	if (w.fd >= 0 && fd_is_ours())
		close(w.fd);
	w.fd = -1;
	w.seq++;
	w.bare = 0;
	pthread_mutex_lock(&w.done_lock);
	if (w.want_last)
		memcpy(last_path, wb.path, strnlen(wb.path, sizeof(wb.path) - 1) + 1);
	pthread_mutex_unlock(&w.done_lock);
	/* (only for the debug log: reading the counts reads a page of every thread's scratch
	 * memory, which a thread that made no allocation stack never touched, issue 11) */
	if (inflame__log_level < INFLAME_LOG_DEBUG)
		return;
	inflame_thread_site_counts(&site_hits, &site_misses);
	inflame_log(INFLAME_LOG_DEBUG,
		    "wrote %s (so far %lu frames stepped by one .eh_frame entry before their "
		    "object's table was built; libunwind %s; allocation stacks from the call-site "
		    "cache %llu, walked %llu)",
		    wb.path, inflame_unwind_gap_steps(),
		    inflame_unwind_dwarf_ready() ? "loaded" : "not loaded",
		    (unsigned long long)site_hits, (unsigned long long)site_misses);
}

/* Has the image (or the fork child) lived past the late writer's delay at monotonic time now?
 * Only such an image is asked whether the program took its perf events (cycle). */
INFLAME_FORK_TEXT static int past_late_delay(uint64_t now)
{
	return now - inflame__prof.start_monotonic > LATE_WRITER_DELAY_NS;
}

/* A fork child's first file (see the top of the file), with the cycle lock held. */
static void open_deferred(void)
{
	w.deferred = 0;
	if (open_next(w.ending, 1) == 0) {
		/* Everything since the fork is this file's: the child's CPU clock and its rings'
		 * drop counters started from zero there (its threads' figures too: open_next). */
		w.cpu_base = w.cpu_written = 0;
		w.dropped_base = 0;
		w.unseen_base = w.unseen_threads_base = 0;
	}
}

/* Is there anything to write to a new file? In a fork child that has none yet (see the top of
 * the file), a notice of its own counts; after a file, a notice it does not have yet. */
INFLAME_FORK_TEXT static int worth_a_file(void)
{
	int n = inflame_thread_high_water();
	unsigned notes = inflame_log_notes_claimed();

	if (w.deferred ? inflame_log_notes_own() > 0
		       : (notes < INFLAME_NOTES_MAX ? notes : INFLAME_NOTES_MAX) > w.notes_done)
		return 1;
	struct inflame_ring *wall = inflame_wall_ring();

	if (pend.n)
		return 1;
	/* the wall ticker's samples of blocked threads are in a ring of its own */
	if (wall && (inflame_ring_has_data(wall) || atomic_load(&wall->dropped)))
		return 1;
	for (int i = 0; i < n; i++) {
		struct inflame_thread *t = inflame_thread_at(i);
		int st = atomic_load_explicit(&t->state, memory_order_acquire);

		if ((st == INFLAME_SLOT_ACTIVE || st == INFLAME_SLOT_EXITED) &&
		    (inflame_ring_has_data(&t->ring) || atomic_load(&t->ring.dropped)))
			return 1;
	}
	return 0;
}

/* A fork child that has no file yet, as its image ends: does the wall time no sample found
 * (wall.h: the ticker's final look gives a thread no sample found none of its periods) make
 * a file? When it comes to LATE_WRITER_DELAY_NS or more: a child that exits at once still
 * writes none, but one that lived on while its ticker never looked at it (on a loaded
 * machine: 7 of 20 forkwall children, living 0.3 s and more, with their threads on SCHED_IDLE
 * beside 4 busy loops on one CPU) left no dump at all and vanished without a word. */
static int unseen_worth_a_file(void)
{
	uint64_t periods, threads;

	inflame_wall_unseen(&periods, &threads);
	return periods &&
	       periods * (1000000000ull / inflame__prof.cfg.frequency) >= LATE_WRITER_DELAY_NS;
}

/* One cycle: modules, rings, names, notices, stats; final before a file is closed for good
 * (exit, exec). Called with cycle_lock held. */
static void cycle(int final)
{
	int quiet;

	/* An image whose perf events were closed before any cycle could open them again (the
	 * writer of a process sampling only its CPU starts from a sample, and none comes then)
	 * says so in its last file, and a fork child that has none yet writes one for it: its
	 * threads' CPU, in no sample, is not lost without a word. (Not asked of an image whose
	 * writer ran, which checks every quarter of a second, nor of one that lived less than
	 * the writer's delay: the exit of a short process makes no system call for it.) */
	if (final && !w.perf_lost_logged && !w.running &&
	    past_late_delay(inflame__now_monotonic()) && inflame_timer_count_lost() > 0) {
		w.perf_lost_logged = 1;
		inflame_log(INFLAME_LOG_INFO,
			    "the program closed or replaced inflame's perf event descriptors, and "
			    "they were not opened again: the CPU its threads ran since is in no "
			    "sample");
	}
	if (w.fd >= 0)
		fd_is_ours();
	if (w.deferred) {
		if (!worth_a_file() && !(final && unseen_worth_a_file()))
			return; /* nothing drained: nothing can be lost */
		open_deferred();
	}
	/* The image is going (exit, exec: sampling is paused) and its last file is written: a
	 * wake-up before it is gone must not leave an empty file behind. */
	if (!open_any() && !atomic_load(&inflame__prof.sampling) && !worth_a_file())
		return;
	if (!open_any() && !w.failed)
		open_next(0, 0);
	/* Once sampling is over (exit, exec) no walk needs libunwind or a table any more: a
	 * short process's last cycle would spend more on them than on its whole life. (libunwind
	 * before the map: it is in it then.) */
	if (atomic_load(&inflame__prof.sampling))
		inflame_unwind_dwarf_load_asked();
	if (!w.bare && inflame_modules_refresh(
			   atomic_load(&inflame__prof.sampling) ? 0 : INFLAME_MODULES_NO_BUILD))
		write_modules();
	w.busy = 0;
	drain_all(final);
	write_perfmap(final);
	write_threads(0);
	write_notes();
	quiet = release_exited() == 0 && !w.busy && pend.n == 0 && !final &&
		inflame__now_monotonic() - inflame__prof.start_monotonic >= QUIET_AFTER_NS;
	atomic_store_explicit(&w.quiet, quiet, memory_order_relaxed);
	/* (not once sampling is over: the clocks are paused, for good or for an exec) */
	if (!final && inflame__now_monotonic() - w.last_fd_check > 250000000ull) {
		w.last_fd_check = inflame__now_monotonic();
		if (inflame_timer_check_all() > 0 && !w.perf_lost_logged) {
			w.perf_lost_logged = 1;
			inflame_log(INFLAME_LOG_INFO,
				    "the program closed or replaced inflame's perf "
				    "event descriptors; they were opened again");
		}
	}
	if (final) {
		/* the file is closed next (close_current), which writes them once */
	} else if (inflame__now_monotonic() - w.last_stats > 1000000000ull) {
		process_renamed();
		write_stats();
	} else if (open_any()) {
		write_counters();
	}
}

/* serve() with cycle_lock taken by the caller: it is released before the answer. */
static void serve_held(int req)
{
	uint64_t now = inflame__now_monotonic();

	if (inflame__prof.cfg.interval && now >= w.next_rotation) {
		req |= INFLAME_WRITER_DUMP;
		w.next_rotation = now + (uint64_t)inflame__prof.cfg.interval * 1000000000ull;
	}
	if (!w.stopped) {
		w.ending = (req & (INFLAME_WRITER_FINISH | INFLAME_WRITER_STOP)) != 0;
		cycle(w.ending);
		if (req & (INFLAME_WRITER_DUMP | INFLAME_WRITER_FINISH | INFLAME_WRITER_STOP))
			close_current(w.ending);
		w.ending = 0;
		if ((req & INFLAME_WRITER_DUMP) &&
		    !(req & (INFLAME_WRITER_FINISH | INFLAME_WRITER_STOP)) && !w.deferred)
			open_next(0, 0);
		flush_out();
	}
	pthread_mutex_unlock(&w.cycle_lock);
	if (req & (INFLAME_WRITER_FINISH | INFLAME_WRITER_SYNC)) {
		pthread_mutex_lock(&w.done_lock);
		w.finished++;
		pthread_cond_broadcast(&w.done_cond);
		pthread_mutex_unlock(&w.done_lock);
	}
}

static void serve(int req)
{
	pthread_mutex_lock(&w.cycle_lock);
	serve_held(req);
}

/* After the last write of an image that ends (exit): the thread waits here for the process
 * to go. Returning would run a thread's exit (its stack given back, libc's per-thread
 * cleanup), work a process about to end has no use for. */
static __attribute__((noreturn)) void park(void)
{
	for (;;) {
		unsigned gen = atomic_load(&inflame__creds_gen);

		/* Still one of libc's threads: a set*id call in a destructor reaches it. */
		inflame_creds_follow(INFLAME_CREDS_WRITER);
		syscall(SYS_futex, &inflame__creds_gen, FUTEX_WAIT_PRIVATE, gen, NULL, NULL, 0);
	}
}

/* The writer's wait for the next cycle (PERIOD_NS), up to the next file of the intervals. */
static void wait_period(struct timespec *ts)
{
	uint64_t ns = PERIOD_NS, now;

	if (atomic_load_explicit(&w.quiet, memory_order_relaxed))
		ns = QUIET_PERIOD_NS;

	if (inflame__prof.cfg.interval) {
		now = inflame__now_monotonic();
		if (w.next_rotation > now && w.next_rotation - now < ns)
			ns = w.next_rotation - now;
	}
	ts->tv_sec = (time_t)(ns / 1000000000ull);
	ts->tv_nsec = (long)(ns % 1000000000ull);
}

static void *writer_main(void *arg)
{
	(void)arg;
	inflame__alloc_tls.guard = 1; /* the writer's own allocations are not the program's */
	inflame_creds_follow(INFLAME_CREDS_WRITER); /* a set*id call since its creation */
	prctl(PR_SET_NAME, "inflame-writer", 0, 0, 0);
	for (;;) {
		struct timespec period;
		int req = atomic_exchange(&w.requests, 0);

		/* until a request comes (the word is not 0 any more), PERIOD_NS at most, or
		 * QUIET_PERIOD_NS after a quiet cycle */
		if (!req) {
			wait_period(&period);
			syscall(SYS_futex, &w.requests, FUTEX_WAIT_PRIVATE, 0, &period, NULL, 0);
			req = atomic_exchange(&w.requests, 0);
		}
		inflame_creds_follow(INFLAME_CREDS_WRITER);
		serve(req);
		if ((req & INFLAME_WRITER_STOP) || w.stopped)
			park();
	}
	return NULL;
}

static int spawn(void)
{
	sigset_t all, old;
	int rc;

	/* A debugger would list the thread as the program's (tracer.h): a traced image writes
	 * its files at exec and exit on its own thread. */
	if (inflame_tracer_gate("its writer thread's start"))
		return 0;
	inflame_sigstack_own_grow(); /* (before a second thread: sigstack.h) */
	sigfillset(&all);
	/* A follower from before it runs: a set*id call as it starts waits for it. */
	inflame_creds_register(INFLAME_CREDS_WRITER, 1);
	inflame__real_pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = inflame__real_pthread_create(&w.thread, NULL, writer_main, NULL);
	inflame__real_pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		inflame_creds_register(INFLAME_CREDS_WRITER, 0);
		return -rc;
	}
	w.running = 1;
	return 0;
}

/* Starts the writer thread of a fork child: at once, or later from a safe point or a hook
 * (inflame_writer_ensure), unless the image has written its last file by then. */
static void spawn_late(void)
{
	if (w.running || w.stopped)
		return;
	if (spawn() < 0)
		inflame_log_unprofiled("cannot start profiling in child %d",
				       (int)inflame__prof.pid);
}

/* When the next cycle of the allocation hooks is due (start_late), in monotonic ns. */
static uint64_t hook_cycle_at INFLAME_HOT;

/* A cycle of the writer on the program's thread, in normal context at a safe stack (start_late),
 * its allocations kept out of the profile. */
static void cycle_here(void)
{
	int req, guard;

	/* (the image has one thread: the lock is busy only when this thread holds it) */
	if (pthread_mutex_trylock(&w.cycle_lock))
		return;
	hook_cycle_at = inflame__now_monotonic() + HOOK_CYCLE_NS;
	req = atomic_exchange(&w.requests, 0);
	guard = direct_begin_guarded();
	serve_held(req & ~INFLAME_WRITER_WAKE);
	direct_end_guarded(guard);
}

/* Does this image sample its allocations with one thread, so that its allocation hooks may do
 * the writer's work (not full tracing, whose producers wait for the writer to make room)? */
INFLAME_FORK_TEXT static int hooks_write(void)
{
	const struct inflame_config *c = &inflame__prof.cfg;

	return (c->events & INFLAME_EVMASK_ALLOC) && c->alloc_rate > 1 &&
	       !__atomic_load_n(&inflame__alloc_threads, __ATOMIC_RELAXED);
}

/*
 * Starts the writer thread now, or arms a safe point to start it when the image lives on:
 * when it samples only its CPU or its allocations with one thread (no wall ticker, no allocation
 * hooks waiting for the writer to make room), writes no files by the clock (intervals), its walks
 * can reach the root of the stack (not by frame pointers alone: the C library keeps none), and a
 * safe point can be had. A dump signal takes the safe point at once if it interrupts the program
 * at one; else the dump waits for the writer (a later sample at a safe point, a hook, the image's
 * end): an image still without a writer then has sampled at most 50 ms of its own code, or none
 * at a safe point.
 *
 * An image that samples allocations does the writer's cycles in its allocation hooks instead
 * (inflame_writer_hook_cycle), and never starts the thread unless it makes one of its own or
 * asks for a dump: a second thread, even one that only sleeps, turns the C library's allocator
 * to its multi-threaded paths (an arena lock taken and released on most frees and mallocs that
 * miss its per-thread cache), which made python3 with PYTHONMALLOC=malloc about 7% slower
 * (issue 11). Returns 0 or a negative errno.
 */
INFLAME_FORK_TEXT int inflame_writer_starts_late(void)
{
	const struct inflame_config *c = &inflame__prof.cfg;

	return !(c->events & INFLAME_EVMASK_WALL) &&
	       (!(c->events & INFLAME_EVMASK_ALLOC) || hooks_write()) && !c->interval &&
	       c->unwind != INFLAME_UNWIND_FP;
}

static void late_point(void);

/* (ready: a fork child that settles after its fork, which found the safe point ready then:
 * inflame_writer_fork_can_wait) */
INFLAME_FORK_TEXT static int start_late(int ready)
{
	/* (from the image's start, or the fork: a fork child reads no clock here) */
	uint64_t due = inflame__prof.start_monotonic + LATE_WRITER_DELAY_NS;

	if (ready)
		inflame_safepoint_arm_ready(late_point, due);
	if (ready ||
	    (inflame_writer_starts_late() && inflame_safepoint_arm(late_point, due) == 0)) {
		hook_cycle_at = inflame__prof.start_monotonic + HOOK_CYCLE_NS;
		return 0;
	}
	return spawn();
}

int inflame_writer_hook_due(struct inflame_ring *r)
{
	size_t used;

	if (w.running || w.stopped || !hooks_write())
		return 0;
	used = inflame_ring_used(r, 1);
	if (used > r->size / 2)
		return 2;
	return used > r->size / 4 || inflame__now_monotonic() >= hook_cycle_at ||
	       (atomic_load_explicit(&w.requests, memory_order_relaxed) & INFLAME_WRITER_DUMP);
}

void inflame_writer_hook_cycle(void)
{
	if (w.running || w.stopped || !inflame_safepoint_armed())
		return;
	cycle_here();
}

/*
 * What the safe point start_late() arms does: in an image whose allocation hooks do the
 * writer's work and that samples its CPU too, a cycle when one is due (or asked for: a dump),
 * and the safe point armed again for the next one, so that the writer thread never starts
 * there either (an image that samples its CPU takes the safe point as soon as it is due, and
 * the thread turned python3's allocator to its multi-threaded paths: cpu,alloc cost 1.21x of
 * the unprofiled CPU against 1.07x for alloc, issue 11); else the writer thread's start.
 * What only the thread does unasked: its cycles look for perf event descriptors the program
 * closed, and open them again (cycle). Here a cycle needs a sample (or a sampled allocation)
 * first, and a program that closed them gets no more CPU samples: such an image is sampled no
 * more until its end, which its last file says (cycle's final notice, and the coverage).
 */
static void late_point(void)
{
	if (w.running || w.stopped)
		return;
	if (!hooks_write()) {
		spawn_late();
		return;
	}
	if (inflame__now_monotonic() >= hook_cycle_at ||
	    atomic_load_explicit(&w.requests, memory_order_relaxed))
		cycle_here();
	if (!w.running && !w.stopped)
		inflame_safepoint_arm_ready(late_point, hook_cycle_at);
}

/* The cycle lock checks its owner: a thread that ends the image from a signal handler that
 * interrupted a write of its own (a hook's cycle, a fork's prepare handler, its exit path) is
 * told so at once (EDEADLK) rather than wait for itself, and fork's prepare handler called
 * from such a handler leaves the lock to the write it interrupted. */
INFLAME_FORK_TEXT static void cycle_lock_init(void)
{
#ifdef PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP
	/* (from the C library's initializer, without a call to it: the calls' page of its code
	 * was a page fault of every process, issue 11) */
	static const pthread_mutex_t fresh = CYCLE_LOCK_INIT;

	w.cycle_lock = fresh;
#else
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&w.cycle_lock, &a);
	pthread_mutexattr_destroy(&a);
#endif
}

/* (forked: in a fork child, where the locks are made new only if a thread of the parent's left
 * them otherwise, and no clock is read: inflame_writer_postfork_child) */
INFLAME_FORK_TEXT static int init_state(int forked)
{
	uint8_t *m = wb.small;

	inflame_buf_lend(&w.out, m, OUT_FIRST);
	inflame_buf_lend(&w.misc_buf, m += OUT_FIRST, MISC_FIRST);
	inflame_buf_lend(&w.tcpu_buf, m += MISC_FIRST, TCPU_FIRST);
	/* (each at least an entry's worth: put_thread_cpu) */
	inflame_buf_lend(&w.loss_buf, m += TCPU_FIRST, LOSS_FIRST);
	inflame_buf_lend(&w.unsampled_buf, m + LOSS_FIRST, UNSAMPLED_FIRST);
	inflame_buf_lend(&w.stack_buf, wb.sampling, STACK_FIRST);
	inflame_buf_lend(&w.sample_buf, wb.sampling + STACK_FIRST, SAMPLE_FIRST);
	inflame_buf_lend(&w.alloc_buf, wb.sampling + STACK_FIRST + SAMPLE_FIRST, ALLOC_FIRST);
	if (forked) {
		/* (the parent's forking thread held it, by a tid not the child's) */
		cycle_lock_init();
		inflame__mutex_after_fork(&w.done_lock);
		inflame__cond_after_fork(&w.done_cond);
		if (atomic_load_explicit(&w.requests, memory_order_relaxed))
			atomic_store(&w.requests, 0);
		if (atomic_load_explicit(&w.quiet, memory_order_relaxed))
			atomic_store(&w.quiet, 0); /* (the child's image is young: PERIOD_NS) */
	} else if (!CYCLE_LOCK_STATIC) {
		cycle_lock_init(); /* (the locks of a new image are as w's initializer made them) */
	}
	list_begin(&w.stack_buf);
	list_begin(&w.sample_buf);
	list_begin(&w.alloc_buf);
	/* (the image's start, or the fork) */
	w.next_rotation =
	    inflame__prof.start_monotonic + (uint64_t)inflame__prof.cfg.interval * 1000000000ull;
	return 0;
}

/* The first file of an image started by exec (inflame_writer_start, inflame_writer_start_image);
 * ending: it is also its last (the image ends unsampled), held whole for its end. */
static int start_image(const char *args, size_t len, int ending)
{
	int rc;

	w.start_args = args;
	w.start_args_len = len;
	w.exec_args = args;
	w.exec_args_len = len;

	rc = init_state(0);
	if (rc < 0)
		return rc;
	w.ending = ending;
	w.bare = ending;
	rc = open_next(1, 1);
	w.ending = 0;
	w.start_args = NULL; /* (argv's strings are the program's from now on) */
	return rc;
}

int inflame_writer_start(const char *args, size_t len)
{
	int rc = start_image(args, len, 0);

	return rc < 0 ? rc : start_late(0);
}

int inflame_writer_image_can_wait(void)
{
	/* (late_point, as start_late arms it: the same safe point whether the image sets up at
	 * once or later) */
	return inflame_writer_starts_late() &&
	       inflame_safepoint_arm(late_point,
				     inflame__prof.start_monotonic + LATE_WRITER_DELAY_NS) == 0;
}

int inflame_writer_start_image(const char *args, size_t len, int ending)
{
	int rc = start_image(args, len, ending);

	if (rc < 0 || ending)
		return rc;
	return start_late(1);
}

/* bare end
 *
 * The end of an image that waited and was never sampled (init.c, lazy image), made on its own
 * rather than through the set-up of a writer that writes one file and stops: the bare dump the
 * general end makes (open_next and close_current with w.bare: the header, PROCESS, THREADS,
 * THREAD_CPU, STATS, END), the same chunks with the same facts, gathered in a buffer on the
 * stack and appended to the shared file with one write. The general end wrote the writer's
 * state (w, several pages of .data), a thread table's slot (a page of .bss), took the cycle
 * lock and called the C library's open, prctl and fstat (pages of its code and data a short
 * program never touches), and read the clocks eight times: 26 system calls from the end's
 * look for a vfork child to the exit of a /bin/true, against 17 here (14 before _exit, which
 * leaves the descriptor, the clock and the mask to exit_group), and 2-3 page faults more
 * (issue 11). No lock is taken: the image has one thread (a second one would have set it up:
 * init.c), and its caller blocks every signal, so that no handler of inflame's runs meanwhile
 * either. The general end still serves where this one does not fit: a shared file that does not
 * exist yet (its creation, shared_create) or cannot be used, a dump of its own (no shared file in
 * the configuration), notices to write, a write that fails. */

/* The first storage of a bare end's dump, on the stack: a short program's is 250-500 bytes.
 * (A longer one moves to a mapping: inflame_buf_lend.) */
#define BARE_FIRST 640

/* THREADS and THREAD_CPU of the bare end's one thread, appended to b. Returns the process's CPU
 * since the thread's figures' start, now: the image's only thread, its CPU is the process's. */
static uint64_t put_bare_thread(struct inflame_buf *b, const struct inflame_writer_bare *t)
{
	char name[16] = {0};
	uint64_t period = sample_period_ns(), sys, cpu, own, now;
	size_t at;

	at = inflame_dump_begin_chunk(b);
	inflame__syscall_raw(SYS_prctl, PR_GET_NAME, (long)name, 0, 0, 0);
	inflame_buf_put_varint(b, 1);
	put_thread_entry(b, t->tid, name, 0);
	inflame_dump_end_chunk(b, at, INFLAME_CHUNK_THREADS);
	/* Its CPU up to the end's first look (t->cpu); the end's own, from there to now, is the
	 * profiler's (as a final write's: put_thread_cpu). */
	sys = minus(inflame__thread_sys_ns(), t->sys0);
	now = inflame__thread_cpu_ns();
	own = minus(now, t->cpu);
	cpu = minus(t->cpu, t->cpu0);
	if (sys > cpu)
		sys = cpu;
	at = inflame_dump_begin_chunk(b);
	put_tcpu_head(b, period, own, 1);
	/* (no sample: no weight, no time in the handler) */
	put_tcpu_entry(b, t->tid, INFLAME_TCPU_T_POSIX_TIMER | INFLAME_TCPU_T_NO_PERF, cpu, sys, 0,
		       0, 0);
	if (period) {
		inflame_buf_put_varint(b, t->unsampled ? 1 : 0);
		if (t->unsampled)
			put_unsampled_entry(b, t->tid, t->unsampled);
		inflame_buf_put_varint(b, t->before || t->dropped ? 1 : 0);
		if (t->before || t->dropped)
			put_loss_entry(b, t->tid, 0, t->before, t->dropped * period);
	}
	inflame_dump_end_chunk(b, at, INFLAME_CHUNK_THREAD_CPU);
	return minus(now, t->cpu0);
}

/* Opens the shared file for a bare end, as shared_open and shared_adopt would (the descriptor
 * is not moved up: no code of the program's runs before it is closed). Returns it, or a
 * negative errno (-ENOENT: the general end creates the file). Not inlined: the name's buffer
 * is on the stack only for the open, not under the dump's encoding.
 *
 * The effective user the file must belong to is the one exec gave the image (AT_EUID), not
 * asked again: an image that ends bare never settled, and each call of the set*id family
 * through the C library settles the image before it changes anything (creds.c). Only a raw
 * system call could have changed it since. The file then belongs to the user who started the
 * image, whose own dumps these are: no other user's file is taken. */
static __attribute__((noinline)) int bare_open(void)
{
	char path[INFLAME_OUTPUT_MAX];
	struct stat st;
	int fd = shared_open_at(path, sizeof(path));

	if (fd < 0)
		return fd;
	if (shared_usable(fd, &st, (uid_t)getauxval(AT_EUID)) < 0) {
		inflame__syscall_raw(SYS_close, fd, 0, 0, 0, 0);
		return -EPERM;
	}
	return fd;
}

int inflame_writer_end_bare(const char *args, size_t len, const struct inflame_writer_bare *t)
{
	uint8_t first[BARE_FIRST], stats[160];
	struct inflame_buf b = {0}, st = {0};
	struct inflame_dump_header_info h;
	uint64_t pairs = 0, cpu, handler[3] = {0, 0, 0}, none[INFLAME_EV_COUNT_] = {0};
	ssize_t n = -1;
	size_t at;
	int fd;

	if (!inflame__prof.cfg.shared_file || inflame_log_notes_claimed() ||
	    inflame_log_notes_lost())
		return -EAGAIN;
	fd = bare_open();
	if (fd < 0)
		return fd;
	inflame_buf_lend(&b, first, sizeof(first));
	header_of(&h, 0); /* (its first file: the image never opened one) */
	inflame_dump_put_header(&b, &h);
	at = inflame_dump_begin_chunk(&b);
	put_process(&b, args, (ssize_t)len, timer_name(), 1);
	inflame_dump_end_chunk(&b, at, INFLAME_CHUNK_PROCESS);
	cpu = put_bare_thread(&b, t);
	/* (a file's first counters: no drop, and the handler's totals since are none, as at any
	 * file's first STATS: handler_since). The process's CPU is counted from the same start as
	 * its thread's, its clock's arming, as the general end's bare dump has it (open_next): it
	 * had counted it from the opening of its file at the end, so that the profiler's share it
	 * showed was that of the end itself (27% of a /bin/true's), not of the image. */
	inflame_buf_lend(&st, stats, sizeof(stats));
	put_counters(&st, &pairs, 0, 0, 0, cpu, handler);
	at = inflame_dump_begin_chunk(&b);
	inflame_buf_put_varint(&b, pairs);
	inflame_buf_put(&b, st.data, st.len);
	inflame_dump_end_chunk(&b, at, INFLAME_CHUNK_STATS);
	at = inflame_dump_begin_chunk(&b);
	put_end(&b, inflame__now_monotonic(), none); /* (no record: no total) */
	inflame_dump_end_chunk(&b, at, INFLAME_CHUNK_END);
	if (!b.failed && !st.failed && b.len <= SHARED_MAX && inflame_dump_write_fits(fd, b.len))
		n = inflame__syscall_raw(SYS_write, fd, (long)b.data, (long)b.len, 0, 0);
	/* (before _exit, whose exit_group closes it: no code of the program's runs in between) */
	if (!t->last || n <= 0)
		inflame__syscall_raw(SYS_close, fd, 0, 0, 0, 0);
	inflame_buf_free(&b);
	inflame_buf_free(&st);
	/* (a short write leaves the image torn there, as the general end's: readers find the next
	 * one by its header) */
	return n > 0 ? 0 : -EIO; /* (-EINTR cannot be: every signal is blocked) */
}

void inflame_writer_request(int what)
{
	int saved = errno;

	atomic_fetch_or(&w.requests, what);
	syscall(SYS_futex, &w.requests, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	errno = saved;
}

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* How long the exit path (and a caller of request_sync without a timeout) waits for the writer
 * without any sign of progress before it gives up, in 1 s steps. */
#define IDLE_GIVE_UP_S 5

/* A mark that moves while the writer makes progress: the writer thread's CPU clock, and the
 * passes over the rings of whichever thread drains them. A holder of the cycle lock that
 * runs slowly (a loaded machine, where a thread may wait a second for a CPU) moves it; one
 * that waits for a lock the caller holds never does. */
INFLAME_FORK_TEXT static uint64_t progress_mark(void)
{
	uint64_t mark = atomic_load(&heartbeat);
	clockid_t clk;
	struct timespec ts;

	if (w.running && pthread_getcpuclockid(w.thread, &clk) == 0 && clock_gettime(clk, &ts) == 0)
		mark += (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return mark;
}

/* After a 1 s step of a wait for the writer: whether to wait on, that is, whether the writer
 * moved in one of the last IDLE_GIVE_UP_S steps (seen, idle: the caller's, from
 * progress_mark() and 0 before the first step). */
INFLAME_FORK_TEXT static int still_moving(uint64_t *seen, unsigned *idle)
{
	uint64_t mark = progress_mark();

	*idle = mark == *seen ? *idle + 1 : 0;
	*seen = mark;
	return *idle < IDLE_GIVE_UP_S;
}

/* Asks for what (with SYNC or FINISH, which the writer answers) and waits up to timeout_ms for
 * the answer, or with timeout_ms < 0 for as long as the writer makes progress (5 s without
 * any at most); path, if not NULL, receives the file closed last. */
static int request_sync(int what, int timeout_ms, char *path, size_t n)
{
	struct timespec ts;
	unsigned target, idle = 0;
	uint64_t seen = progress_mark();
	int rc = 0;

	inflame_writer_ensure();
	if (!w.running)
		return -ESRCH;
	pthread_mutex_lock(&w.done_lock);
	target = w.finished + 1;
	if (path) {
		last_path[0] = 0; /* only a file closed from now on answers */
		w.want_last++;
	}
	pthread_mutex_unlock(&w.done_lock);
	inflame_writer_request(what);
	deadline_in(&ts, timeout_ms < 0 ? 1000 : timeout_ms);
	pthread_mutex_lock(&w.done_lock);
	while ((int)(w.finished - target) < 0 && rc == 0) {
		rc = pthread_cond_timedwait(&w.done_cond, &w.done_lock, &ts);
		if (rc == ETIMEDOUT && timeout_ms < 0 && still_moving(&seen, &idle)) {
			rc = 0;
			deadline_in(&ts, 1000);
		}
	}
	if (path && n) {
		size_t len = strnlen(last_path, sizeof(last_path));

		if (len >= n)
			len = n - 1;
		memcpy(path, last_path, len);
		path[len] = 0;
	}
	if (path)
		w.want_last--;
	pthread_mutex_unlock(&w.done_lock);
	return rc ? -rc : 0;
}

/* The image ends (how: "exit", "_exit", "exec") without its last cycle: the cycle lock's
 * holder made no progress for IDLE_GIVE_UP_S seconds, or is the calling thread itself (self: a
 * signal handler that ends the image interrupted a write of inflame's). The file is left as
 * it is, without END, and a NOTES chunk at its end says so, which the reader shows (written
 * with a buffer of its own: the cycle's are the holder's); without a file (a dump held for the
 * shared file is the holder's buffer too), the notice goes out as for a process left
 * unprofiled (log.h). */
INFLAME_FORK_TEXT static void cut_short(const char *how, int self)
{
	char text[INFLAME_NOTE_LEN];
	uint8_t storage[INFLAME_NOTE_LEN + 64];
	struct inflame_buf b = {0};
	uint64_t now = inflame__now_monotonic();
	const char *what = w.fd >= 0 ? "cycle (this file has no end)"
			   : w.held  ? "dump, held for the shared file, whose placeholder stays"
				     : "data";
	size_t len;

	if (self)
		len = inflame_log_format(text, sizeof(text),
					 "%s in a signal handler that interrupted a write of "
					 "inflame's: the profile's last %s is lost",
					 how, what);
	else
		len = inflame_log_format(text, sizeof(text),
					 "%s while inflame's writer had made no progress for %d s: "
					 "the profile's last %s is lost",
					 how, IDLE_GIVE_UP_S, what);
	if (w.fd >= 0 && is_same(w.fd, w.fd_dev, w.fd_ino)) {
		inflame_buf_lend(&b, storage, sizeof(storage));
		inflame_buf_put_varint(&b, 1);
		inflame_buf_put_varint(&b, w.notes_lost);
		inflame_buf_put_varint(&b, now > inflame__prof.start_monotonic
					       ? now - inflame__prof.start_monotonic
					       : 0);
		inflame_buf_put_varint(&b, INFLAME_NOTE_NOTICE);
		inflame_buf_put_str(&b, text, len);
		if (!b.failed &&
		    inflame_dump_write_chunk(w.fd, INFLAME_CHUNK_NOTES, b.data, b.len) == 0)
			return;
	}
	inflame_log_unprofiled("%s", text);
}

/* The last cycle of the current file and its end, written by the calling thread (exit, exec)
 * rather than handed to the writer thread and waited for: the hand-over (a wake-up of the
 * writer, often on the other CPU, and the caller's wake-up when done) cost a short process
 * about 0.3 ms under load (issue 11). The cycle lock is waited for as long as its holder makes
 * progress: with a bound of 1 s (_exit) or 2 s (exec) instead, a fork child ending on a loaded
 * machine (load 30-90 on 2 CPUs) once left no dump at all, its writer's first cycle still under
 * way. When the lock cannot be had (no progress for IDLE_GIVE_UP_S seconds, or the calling
 * thread holds it: the lock checks its owner), the file says so (cut_short). how: what ends
 * the image, for that notice. stop: the image ends; the writer thread does nothing more.
 * Returns 0 or -ETIMEDOUT. */
INFLAME_FORK_TEXT static int finish_here(const char *how, int stop)
{
	struct timespec ts;
	uint64_t seen;
	unsigned idle = 0;
	int guard, rc;

	/* A fork child without a file or a writer thread, its sampling over, with nothing to
	 * write (the usual child that execs or exits) and too young for cycle()'s check of its
	 * perf events: the cycle would return at once. No lock and no vDSO clock for it: their
	 * pages were a child's page faults (issue 11). */
	if (w.deferred && !w.running && !atomic_load(&inflame__prof.sampling) && !worth_a_file() &&
	    !past_late_delay(inflame__now_raw_syscall(CLOCK_MONOTONIC))) {
		if (stop) {
			w.stopped = 1;
			inflame_safepoint_disarm();
		}
		return 0;
	}
	if (w.stopped)
		return 0; /* (the last file is written, or no file may be: postfork_child) */
	/* (a free lock is taken without a clock read) */
	rc = pthread_mutex_trylock(&w.cycle_lock);
	if (rc == EBUSY) {
		seen = progress_mark();
		do {
			deadline_in(&ts, 1000);
			rc = pthread_mutex_timedlock(&w.cycle_lock, &ts);
		} while (rc == ETIMEDOUT && still_moving(&seen, &idle));
	}
	if (rc != 0) {
		cut_short(how, rc == EDEADLK);
		return -ETIMEDOUT;
	}
	guard = direct_begin_guarded();
	if (!w.stopped) {
		w.ending = 1;
		cycle(1);
		close_current(1);
		w.ending = 0;
		flush_out();
	}
	if (stop) {
		w.stopped = 1;
		inflame_safepoint_disarm();
	}
	direct_end_guarded(guard);
	pthread_mutex_unlock(&w.cycle_lock);
	return 0;
}

INFLAME_FORK_TEXT int inflame_writer_finish_sync(const char *how)
{
	return finish_here(how, 0);
}

int inflame_writer_dump_sync(char *path, size_t n, int timeout_ms)
{
	return request_sync(INFLAME_WRITER_DUMP | INFLAME_WRITER_SYNC, timeout_ms, path, n);
}

INFLAME_FORK_TEXT void inflame_writer_stop(const char *how)
{
	/* (the writer may be in a long cycle: full tracing can leave a lot in the rings) */
	finish_here(how, 1);
	w.running = 0;
}

/* (the prepare handler could not take the lock: the forking thread holds it, in a signal
 * handler that interrupted a write of its own; parent's side only) */
static int prefork_held;

void inflame_writer_prefork(void)
{
	prefork_held = pthread_mutex_lock(&w.cycle_lock) != 0;
}

void inflame_writer_postfork_parent(void)
{
	if (!prefork_held)
		pthread_mutex_unlock(&w.cycle_lock);
	prefork_held = 0;
}

INFLAME_FORK_TEXT int inflame_writer_fork_can_wait(void)
{
	return !direct_start && inflame_writer_starts_late() && inflame_safepoint_ready();
}

INFLAME_FORK_TEXT void inflame_writer_postfork_child(int later)
{
	/* The parent's file is the parent's: our copy is never written to, and closed as the
	 * child opens a file of its own (open_next), not here: a child that execs (the copy is
	 * close-on-exec) or exits before that, as most do, makes no system call for it, an fstat
	 * and a close fewer per fork (issue 11). A grandchild inherits the same copy. */
	if (w.fd >= 0) {
		w.inherited_fd = w.fd;
		w.inherited_dev = w.fd_dev;
		w.inherited_ino = w.fd_ino;
	} else if (w.bfd >= 0) {
		w.inherited_fd = w.bfd; /* (the shared file's, of a parent that holds its dump) */
		w.inherited_dev = w.bfd_dev;
		w.inherited_ino = w.bfd_ino;
	}
	w.fd = -1;
	w.bfd = -1;
	w.held = w.placed = w.ending = 0;
	w.running = 0;
	w.seq = 0;
	w.failed = 0;
	w.open_err_logged = w.write_err_logged = 0;
	w.nstacks = w.nsamples = w.nallocs = 0;
	w.dropped_released = w.dropped_base = 0;
	w.unseen_base = w.unseen_threads_base = 0;
	if (pend.n || pend.done || pend.direct) {
		pend.n = pend.done = 0; /* the parent's */
		pend.direct = 0;
	}
	w.deferred = 1; /* the first file when there is something to write */
	w.continues_lost = 0;
	inflame_perfmap_after_fork();
	inflame_labels_after_fork();
	if (direct_start) {
		/* (forked by a signal handler that interrupted a write of inflame's in this
		 * thread: the state is half of a cycle, which no file may get) */
		w.stopped = 1;
		inflame_log_unprofiled("child %d was forked by a signal handler that interrupted a "
				       "write of inflame's: it is not profiled",
				       (int)inflame__prof.pid);
		return;
	}
	if (init_state(1) < 0) {
		inflame_log_unprofiled("cannot start profiling in child %d",
				       (int)inflame__prof.pid);
		return;
	}
	if (start_late(later) < 0)
		inflame_log_unprofiled("cannot start profiling in child %d",
				       (int)inflame__prof.pid);
}

void inflame_writer_ensure(void)
{
	if (inflame_safepoint_disarm())
		spawn_late();
}

void inflame_writer_open_deferred(void)
{
	struct timespec ts;
	int guard;

	/* (not when this thread holds the lock already: a handler's call in a write of ours) */
	if (!w.deferred || w.stopped || (direct_start && direct_thread == inflame_thread_self()))
		return;
	deadline_in(&ts, 500);
	if (pthread_mutex_timedlock(&w.cycle_lock, &ts) != 0)
		return;
	guard = direct_begin_guarded();
	if (w.deferred && !w.stopped) {
		open_deferred();
		flush_out();
	}
	direct_end_guarded(guard);
	pthread_mutex_unlock(&w.cycle_lock);
}
