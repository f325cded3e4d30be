/*
 * CPU sampling clocks: per-thread CPU timers (perf task clock, or POSIX thread CPU timers) and
 * the process-wide itimer (wall-clock sampling is wall.h's). None of these functions is
 * async-signal-safe unless it says so.
 */
#ifndef INFLAME_TIMER_H
#define INFLAME_TIMER_H

#include "profiler.h"
#include "thread.h"

#include <pthread.h>

/* Decides which CPU timer to use (probing perf_event_open on the calling thread, falling back
 * to thread timers with a notice) and arms the itimer when that is the choice. Returns 0 or a
 * negative errno when no CPU timer works. */
int inflame_timer_setup(void);
/* Creates and starts thread t's CPU timer (if cpu events are on and CPU timers are per
 * thread). */
int inflame_timer_arm_thread(struct inflame_thread *t);
/* The next inflame_timer_arm_thread() is that of the calling thread, tid, the process's only
 * one (the main thread at set-up in a process without other threads): under
 * INFLAME_CPU_TIMER=auto it may start on a POSIX timer with an id of its asking (timer.c). */
void inflame_timer_alone(pid_t tid);
/* inflame_timer_arm_thread() for t, the only thread of a fork child, which may start on such
 * a timer too. */
int inflame_timer_arm_fork_child(struct inflame_thread *t);
/* The clock of a fork child that settles later (init.c, inflame__fork_settle): at the fork,
 * the POSIX timer inflame_timer_arm_fork_child() would start for thread tid, the child's only
 * one, into *id, with its CPU clock then in *cpu0, and no store to the state of this file or
 * of the thread's slot (a page each the child would copy). -ENOTSUP where that timer is not
 * the one (no lazy_perf, or no timer id may be asked for): the child then settles at once.
 * probe: not a fork child but an image started by exec, whose set-up waits likewise (init.c):
 * the kernel's next timer id is found first (first_timer_id). Async-signal-safe. */
int inflame_timer_arm_forked(pid_t tid, int probe, int *id, uint64_t *cpu0);
/* Such a child's exec or end: its timer id stopped. A failed exec starts it again:
 * inflame_timer_resume_forked returns the CPU clock of thread tid (the calling thread) then,
 * the end of the CPU it ran in no sample since its books' start (no sample came yet: it would
 * have settled the child; the failed exec's own CPU among it) and their new start. An exec
 * that succeeds or an end needs no reading. Async-signal-safe. */
void inflame_timer_pause_forked(int id);
uint64_t inflame_timer_resume_forked(pid_t tid, int id);
/* What a thread that never settled ran in no period of that timer, its CPU clock cpu now: what
 * inflame_timer_adopt_forked() and a pause at cpu would give it as its unsampled CPU (the end
 * of an image that never settles: writer.c, bare end). Async-signal-safe. */
uint64_t inflame_timer_forked_unsampled(const struct inflame_fork_clock *f, uint64_t cpu);
/* The settling: thread t, the child's only thread, takes over that timer with its books, as
 * inflame_timer_arm_fork_child() and the pauses and resumes since would have left them.
 * Async-signal-safe. */
void inflame_timer_adopt_forked(struct inflame_thread *t, const struct inflame_fork_clock *f);
/* Stops and frees thread t's CPU timer. */
void inflame_timer_disarm_thread(struct inflame_thread *t);
/* Re-creates the perf events of threads whose descriptor the program closed or replaced
 * (closefrom, dup2); never closes a descriptor that is no longer ours. Writer thread. Returns
 * how many were re-created. */
int inflame_timer_check_all(void);
/* How many threads' perf events the program closed or replaced, without opening new ones (an
 * image's last cycle, whose clocks stop for good). Writer thread. */
int inflame_timer_count_lost(void);
/* Forgets thread t's perf event without disabling it (a fork child's copy of the parent's),
 * closing the descriptor only if it is still that event. */
void inflame_timer_drop_perf(struct inflame_thread *t);
/* In a fork child: puts thread t's copy of the parent's perf event aside, neither disabled nor
 * closed. The copy is close-on-exec: a child that execs or exits first, as most do, makes no
 * system call for it (three per fork, about 65 us under load: issue 11).
 * inflame_timer_drop_inherited closes what each thread put aside, if still the same event,
 * once the child writes a file of its own (writer.c, as with the parent's dump file). */
void inflame_timer_keep_inherited(struct inflame_thread *t);
void inflame_timer_drop_inherited(void);
/* Moves thread t, the calling thread, from its perf clock to a POSIX timer on its CPU clock,
 * at the frequency asked (fired at the kernel tick, its overruns counted): for a thread that
 * the perf clock costs more than it counts. Returns 0, or a negative errno and t keeps its
 * perf clock. Async-signal-safe. */
int inflame_timer_to_thread_clock(struct inflame_thread *t);
/* Moves thread t, the calling thread, from the POSIX timer of its start to its perf clock
 * (INFLAME_CPU_TIMER=auto, from its first sample's handler); the first move decides whether
 * perf works. Returns 0, or a negative errno and t keeps its POSIX timer. Async-signal-safe. */
int inflame_timer_to_perf_clock(struct inflame_thread *t);
/* Whether thread t, on the POSIX timer of its start, ran two periods past that timer's last
 * signal at its CPU clock cpu: the kernel tick that fires it missed the thread, which then
 * moves to its perf clock all the same. Async-signal-safe. */
int inflame_timer_late(const struct inflame_thread *t, uint64_t cpu);
/* End of the set-up on thread t, its first (init.c): the periods its POSIX timer ran there,
 * which the kernel tick did not bring, are the profiler's own CPU, and its next expiry stays
 * where it was. Only for a thread on the POSIX timer of its start. */
void inflame_timer_setup_end(struct inflame_thread *t);
/* The CPU time thread t ran since its clock's current period began (ns): what no sample stands
 * for yet (the time its POSIX timer ran of its period; its perf event's count past its
 * samples' periods). *missed receives what its perf count missed of its CPU clock at switches
 * and no sample charged (see thread.h). cpu: t's CPU clock now, 0 when not read. 0 with the
 * itimer or no CPU clock. */
uint64_t inflame_timer_unsampled_ns(const struct inflame_thread *t, uint64_t cpu, uint64_t *missed);
/* How many times the CPU timers were started again (inflame_timer_resume_all): a perf count
 * and a CPU clock read in different epochs straddle a pause. Async-signal-safe. */
unsigned inflame_timer_epoch(void);
/* Stops every CPU timer (exec, exit) / starts them again (exec failed). */
void inflame_timer_pause_all(void);
void inflame_timer_resume_all(void);

/* The real pthread_create (interpose.c), so our own threads are not registered. */
int inflame__real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
				 void *arg);

#endif
