/*
 * e2e workload for whole stacks through a signal frame (tests/e2e_roots_test.c): the program,
 * built with frame pointers, does all its work inside a SIGALRM handler that runs for its whole
 * duration (as PostgreSQL 15's postmaster forks its workers inside its SIGUSR1 handler). The
 * signal interrupts sigwait_spin() of libsigwait.so (LIB), code without frame pointers that
 * keeps no frame pointer in rbp: a frame-pointer walk from the handler ends at the signal
 * trampoline, and only the unwind tables reach main and _start below it. The signal comes
 * after 0.3 s of spinning: by then inflame's writer has said which objects keep frame pointers
 * (until then every frame counts as one without, and the tables walk it all). The handler burns
 * about SECONDS of CPU (default 0.5) in burn(), under 12 frames of deep(). The library is
 * linked in (a dlopen()ed one is another matter: see tests/e2e_roots_test.c). Functions
 * pad0..pad15, which call another, give the frame pointer scan (preload/fpscan.h) enough
 * entries with frame pointers to count the program as built with them despite its start-up
 * stubs.
 * With "own", the signal interrupts own_spin(), the program's own code that keeps no frame
 * pointer in rbp either (an object with frame pointers: its frames are walked by them, but
 * the interrupted one by its unwind entry).
 * With "fp", the signal interrupts fp_spin(), the program's own code with frame pointers, as in
 * an ordinary program: the handler's frame-pointer chain goes on into the interrupted code's
 * callers, but without the interrupted function, and the 14 frames of the handler hide the
 * trampoline from auto's look at the first frames.
 * Usage: sigframe [seconds [own|fp]]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

void sigwait_spin(volatile int *done);

static volatile int done;
static volatile double sink;
static double seconds = 0.5;

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void burn(void)
{
	double end = cpu_now() + seconds, s = 0;

	while (cpu_now() < end)
		for (int i = 1; i < 200000; i++)
			s += 1.0 / i;
	sink = s;
}

__attribute__((noinline)) static void deep(int d)
{
	if (d == 0)
		burn();
	else
		deep(d - 1);
	sink += d;
}

__attribute__((noinline)) static void on_alarm(int sig)
{
	(void)sig;
	deep(12);
	done = 1;
}

__attribute__((noinline, optimize("omit-frame-pointer"))) static void own_spin(void)
{
#if defined(__x86_64__)
	__asm__ volatile("xor %%ebp, %%ebp\n1: pause\n cmpl $0, %0\n je 1b"
			 :
			 : "m"(done)
			 : "rbp", "memory");
#else
	while (!done)
		;
#endif
}

void pad_leaf(void);

/* (not a leaf: -momit-leaf-frame-pointer would leave it without a frame) */
__attribute__((noinline, optimize("no-omit-frame-pointer"))) static void fp_spin(void)
{
	pad_leaf();
	while (!done)
		__asm__ volatile("" ::: "memory");
	sink += 1;
}

__attribute__((noinline, optimize("no-omit-frame-pointer"))) static void fp_caller(void)
{
	fp_spin();
	sink += 2;
}

__attribute__((noinline)) void pad_leaf(void)
{
	sink += 1;
}

#define PAD(n)                                                                                     \
	__attribute__((noinline)) void pad##n(void)                                                \
	{                                                                                          \
		pad_leaf();                                                                        \
		pad_leaf();                                                                        \
	}
PAD(0)
PAD(1)
PAD(2)
PAD(3)
PAD(4)
PAD(5)
PAD(6)
PAD(7)
PAD(8)
PAD(9)
PAD(10)
PAD(11)
PAD(12)
PAD(13)
PAD(14)
PAD(15)

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct itimerval it = {{0, 0}, {0, 300000}};

	if (argc > 1)
		seconds = atof(argv[1]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &it, NULL) < 0)
		return 1;
	if (argc > 2 && !strcmp(argv[2], "own"))
		own_spin();
	else if (argc > 2 && !strcmp(argv[2], "fp"))
		fp_caller();
	else
		sigwait_spin(&done);
	return 0;
}
