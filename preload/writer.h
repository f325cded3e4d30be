/*
 * The writer thread: drains every thread's ring about every 100 ms (250 ms while they fill
 * slowly: writer.c, PERIOD_NS), interns stacks, and streams checksummed chunks to the current
 * dump file, so that a file cut off by a crash is readable up to its last chunk. It also
 * rotates to the next file on INFLAME_SIGNAL or every INFLAME_INTERVAL seconds. The thread
 * that execs or exits writes the last cycle and ends the file itself. The writer runs with
 * every signal blocked and is never sampled.
 */
#ifndef INFLAME_WRITER_H
#define INFLAME_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum inflame_writer_request {
	INFLAME_WRITER_WAKE = 1,
	INFLAME_WRITER_DUMP = 2,   /* close the current file, open the next */
	INFLAME_WRITER_FINISH = 4, /* close the current file (exec follows) */
	INFLAME_WRITER_STOP = 8,   /* final write; the thread then waits for the process's end */
	INFLAME_WRITER_SYNC = 16,  /* answer the waiting caller when done (dump_sync) */
};

/* Opens the first dump file and starts the thread: at once, or, in an image that samples only
 * its CPU (or its allocations with one thread: then its allocation hooks do the writer's work
 * until a thread is needed), once it has run 50 ms, from the first safe point (safepoint.h) or hook
 * (inflame_writer_ensure) after that. An image that execs or exits sooner writes its file itself
 * (exec and exit always do) and never starts a thread. args: the command line as exec laid it out
 * (argv's strings back to back, each with its NUL; len bytes in all), which the first file's
 * PROCESS chunk takes instead of reading /proc/self/cmdline; NULL to read that. Returns 0 or a
 * negative errno (the caller then stays inert). Not async-signal-safe. */
int inflame_writer_start(const char *args, size_t len);
/* An image started by exec whose set-up waited for its first need (init.c): its first file as
 * inflame_writer_start() opens it, with its writer's start armed as
 * inflame_writer_image_can_wait() allowed at set-up (async-signal-safe then: it may run in the
 * handler of its first sample). ending: the image ends unsampled (exit, exec), and the file is
 * its whole dump, held for one append at its end: no placeholder, no writer. Returns 0 or a
 * negative errno. */
int inflame_writer_start_image(const char *args, size_t len, int ending);
/* The one thread of an image that waited and ends unsampled (inflame_writer_end_bare), as its
 * end found it: its figures start at its clock's arming (cpu0, sys0: its CPU and system time
 * then); cpu: its CPU clock at the end's first look, the clock paused; unsampled: the CPU of
 * that in no period of the clock; before: CPU before the clock was armed; dropped: periods
 * the image dropped before it could set up. */
struct inflame_writer_bare {
	pid_t tid;
	uint64_t cpu0, sys0, cpu, unsampled, before, dropped;
	/* 1 when the image's exit_group follows at once (_exit): the file is left open to it */
	int last;
};
/* The end of such an image made on its own (writer.c, bare end): its bare dump appended to the
 * shared file with one write, without the writer's state, a thread slot or a lock, args and
 * len its command line as exec laid it out. Returns 0, or a negative errno when the general end
 * (inflame_writer_start_image with ending, then inflame_writer_stop) must make it: no shared
 * file yet or one that cannot be used, notices to write, a failed write. Called by the image's
 * only thread with every signal blocked. */
int inflame_writer_end_bare(const char *args, size_t len, const struct inflame_writer_bare *t);
/* At set-up: whether the writer of such an image may start from a safe point, which this arms
 * now (what inflame_writer_start() would arm): inflame_writer_start_image() then needs no check.
 * Not async-signal-safe. */
int inflame_writer_image_can_wait(void);
/* Whether the image's configuration lets the writer thread start late (as above): no wall
 * ticker, no allocation hooks waiting for the writer, no intervals, walks that reach the root. */
int inflame_writer_starts_late(void);
/* Asks the writer for something (bits of enum inflame_writer_request). Async-signal-safe. */
void inflame_writer_request(int what);
/* Finishes the current file (exec or _exit follows: how, "exec" or "_exit") in the calling
 * thread, after waiting for the writer thread's cycle to end for as long as it makes progress
 * (5 s without any at most; then, or when the calling thread holds the cycle already, the file
 * ends with a notice that says so). Returns 0 when done, -ETIMEDOUT. Not async-signal-safe. */
int inflame_writer_finish_sync(const char *how);
/* Closes the current file now (opening the next), waits up to timeout_ms for it and puts the
 * name of the file closed in path (n bytes). Returns 0, -ESRCH without a writer, or -ETIMEDOUT.
 * Not async-signal-safe. */
int inflame_writer_dump_sync(char *path, size_t n, int timeout_ms);
/* Final write (exit, or how: what else ends the profile), in the calling thread; the writer
 * thread does nothing more. Waits for the writer thread's cycle as inflame_writer_finish_sync
 * does. Not async-signal-safe. */
void inflame_writer_stop(const char *how);
/* How many passes over the rings the writer has completed (it only grows). Async-signal-safe. */
unsigned inflame_writer_drains(void);
/* Waits until the writer completes a pass after the one numbered gen (inflame_writer_drains),
 * or timeout_ns passes, without spinning: a futex wait. Async-signal-safe. */
void inflame_writer_wait_drain(unsigned gen, long timeout_ns);

/* fork: the prepare handler waits for the writer to be between cycles and holds it there. */
void inflame_writer_prefork(void);
void inflame_writer_postfork_parent(void);
/* In the child: forget the parent's file, start a new writer on a file of our own (at once, or
 * as inflame_writer_start does it). later: a child that settles after its fork (init.c), which
 * inflame_writer_fork_can_wait() allowed at the fork: its writer waits for a safe point, armed
 * with no check (this may run in a signal handler, where it is async-signal-safe). */
void inflame_writer_postfork_child(int later);
/* At the fork, in the child: whether its writer may start later, from a safe point (no thread
 * needed at once, no write of inflame's interrupted by the fork). Async-signal-safe. */
int inflame_writer_fork_can_wait(void);
/* Starts the writer thread now if it is still waiting for a safe point: the caller
 * (a hook) is in normal context and needs the writer (a new thread, a dump asked for). Not
 * async-signal-safe. */
void inflame_writer_ensure(void);
/* A fork child that has no dump file yet (it makes one when it first has something to write)
 * makes it now, in the calling thread: a set*id call is about to take away the rights it needs
 * to create it (a server's worker that drops root at once lost its whole profile). Waits up to
 * 0.5 s for the writer's cycle. Not async-signal-safe. */
void inflame_writer_open_deferred(void);
/* An image that samples allocations with one thread and no writer thread yet (writer.c,
 * start_late): whether a cycle of the writer is due, the calling thread's ring r being that
 * full: 0 not due, 1 due, 2 overdue (the ring is half full: no safe stack came in time).
 * Async-signal-safe. */
struct inflame_ring;
int inflame_writer_hook_due(struct inflame_ring *r);
/* Such an image's allocation hook, at a safe stack (inflame_safepoint_hook_safe) and with the
 * thread's recursion guard raised, does the writer's cycle (and a dump asked for) itself; not
 * when the thread holds the cycle's lock already (a fork's prepare handler, an exit's last
 * file). Not async-signal-safe. */
void inflame_writer_hook_cycle(void);

#endif
