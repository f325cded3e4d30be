/*
 * Cost per sample of each unwinder (bench-unwind). The program recurses to a given depth and,
 * at the bottom, sends itself SIGPROF with a tgkill system call made inline (so the signal
 * interrupts the benchmark's own code, not libc); its handler walks the stack from the signal
 * context with one of the preload's unwinders (compiled in from preload/: the same code and
 * the same policy as in libinflame.so) and times the walk with CLOCK_MONOTONIC. Prints one
 * line per unwinder and depth: frames found, median and 99th percentile in ns.
 *
 * Built twice: with frame pointers (bench/unwind-bench-fp), where auto should pick frame
 * pointers, and without (bench/unwind-bench-nofp), where auto must pick DWARF and the
 * frame-pointer walk finds almost nothing.
 */
#include "modules.h"
#include "unwind.h"
#include "writer.h"

#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RUNS  5000
#define MAXFR 256

/* What the preload's modules.c needs from the rest of the preload. */
void inflame_writer_request(int what)
{
	(void)what;
}

int inflame__real_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *arg)
{
	return dl_iterate_phdr(cb, arg);
}

static struct inflame_thread th;
static enum inflame_unwind mode;
static uint64_t samples[RUNS], frames[MAXFR];
static volatile size_t nsamples, nframes; /* written by the handler */
volatile unsigned long sink;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void handler(int sig, siginfo_t *si, void *uc)
{
	int truncated;
	uint64_t t0, t1;

	(void)sig;
	(void)si;
	t0 = now_ns();
	nframes = inflame_unwind_pick(mode, &th, uc, 0, frames, MAXFR, &truncated);
	t1 = now_ns();
	if (nsamples < RUNS)
		samples[nsamples++] = t1 - t0;
}

__attribute__((noinline)) static unsigned long recurse(int depth)
{
	volatile unsigned char pad[16];

	pad[0] = (unsigned char)depth;
	if (depth <= 1) {
		long pid = getpid(), tid = syscall(SYS_gettid);

		while (nsamples < RUNS) {
#if defined(__x86_64__)
			long ret;

			__asm__ volatile("syscall"
					 : "=a"(ret)
					 : "0"((long)SYS_tgkill), "D"(pid), "S"(tid),
					   "d"((long)SIGPROF)
					 : "rcx", "r11", "memory");
			(void)ret;
#else
			syscall(SYS_tgkill, pid, tid, SIGPROF);
#endif
		}
		return pad[0];
	}
	return recurse(depth - 1) + pad[0];
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const int depths[] = {8, 32, 128};
	static const enum inflame_unwind modes[] = {INFLAME_UNWIND_FP, INFLAME_UNWIND_DWARF,
						    INFLAME_UNWIND_AUTO};
	static const char *const names[] = {"fp", "dwarf", "auto"};
	const char *variant = argc > 1 ? argv[1] : "?";
	struct sigaction sa;
	pthread_attr_t a;
	void *lo;
	size_t size;

	if (inflame_unwind_dwarf_init() < 0) {
		fprintf(stderr, "unwind-bench: cannot load libunwind\n");
		return 1;
	}
	inflame_modules_refresh(1);
	printf("%-9s this program %s frame pointers (as auto sees it)\n", variant,
	       inflame_modules_code_flags((uintptr_t)recurse) & INFLAME_MOD_FP ? "has" : "has no");
	pthread_getattr_np(pthread_self(), &a);
	pthread_attr_getstack(&a, &lo, &size);
	th.stack_lo = (uintptr_t)lo;
	th.stack_hi = (uintptr_t)lo + size;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGPROF, &sa, NULL);
	for (size_t m = 0; m < 3; m++) {
		for (size_t d = 0; d < 3; d++) {
			mode = modes[m];
			nsamples = 0;
			sink += recurse(depths[d]);
			qsort(samples, RUNS, sizeof(samples[0]), cmp);
			printf("%-9s %-6s depth %3d: %3zu frames, median %6llu ns, p99 %6llu ns\n",
			       variant, names[m], depths[d], nframes,
			       (unsigned long long)samples[nsamples / 2],
			       (unsigned long long)samples[nsamples * 99 / 100]);
		}
	}
	return 0;
}
