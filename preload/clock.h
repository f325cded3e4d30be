/*
 * Clocks and thread ids every part of the preload reads: the monotonic, monotonic raw and
 * realtime clocks in nanoseconds, the calling thread's CPU and system time, and the kernel's id
 * of the calling thread. Each is one system
 * call (or a vDSO read) with nothing kept between calls, so each is async-signal-safe and
 * lock-free.
 */
#ifndef INFLAME_PRELOAD_CLOCK_H
#define INFLAME_PRELOAD_CLOCK_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Clock id's reading in ns, 0 when it cannot be read. CPU clocks (a thread's, the process's) are
 * read with the system call instruction itself; the others too for each thread's first few dozen
 * readings, then through the vDSO (clock.c: a short process touches neither the vDSO nor the C
 * library's clock_gettime, three page faults, issue 11). Async-signal-safe. */
uint64_t inflame__clock_ns(clockid_t id);
/* CLOCK_MONOTONIC in ns: dump times, deadlines of shielded calls. Async-signal-safe. */
uint64_t inflame__now_monotonic(void);
/* CLOCK_MONOTONIC_RAW in ns: the rate of the perf task clock, which no NTP slewing touches
 * (the handler's bound on the clock's count). Async-signal-safe. */
uint64_t inflame__now_raw(void);
/* CLOCK_REALTIME in ns: the dump's wall-clock anchor. Async-signal-safe. */
uint64_t inflame__now_realtime(void);
/* The calling thread's CPU clock (CLOCK_THREAD_CPUTIME_ID) in ns, 0 when it cannot be read.
 * Async-signal-safe. */
uint64_t inflame__thread_cpu_ns(void);
/* The calling thread's system time (getrusage RUSAGE_THREAD, a plain system call) in ns, 0 when
 * unknown. Async-signal-safe. */
uint64_t inflame__thread_sys_ns(void);
/* The calling thread's context switches so far, voluntary and not (getrusage RUSAGE_THREAD),
 * 0 when unknown. Async-signal-safe. */
uint64_t inflame__thread_switches(void);
/* gettid() through the raw system call (glibc before 2.30 has no wrapper). Async-signal-safe. */
pid_t inflame__gettid(void);
/* A fork child's first readings, made with the system call instruction itself rather than
 * through the C library or the vDSO: fork copies neither's pages into the child's page tables,
 * and each first touch of one is a page fault (about 20-35 us on this guest under load), more
 * than the system call (issue 11). The process id and CLOCK_MONOTONIC / CLOCK_REALTIME in ns
 * (0 when the clock cannot be read). Async-signal-safe. */
pid_t inflame__getpid_raw(void);
uint64_t inflame__now_raw_syscall(clockid_t id);
/* A system call of up to five arguments made with the instruction itself: the result, or
 * -errno on failure, and errno untouched (no page of the C library's either, nor errno's: the
 * timer calls of a fork child, issue 11). Async-signal-safe. */
long inflame__syscall_raw(long nr, long a, long b, long c, long d, long e);

#endif
