/* A program that runs at the very end of its main thread's stack, as Ruby does while it
 * reserves its stack at start-up (ruby_init_stack touches the stack down to the limit): the
 * main thread grows its stack to a few KiB above the RLIMIT_STACK floor and burns CPU there.
 * A sampling signal then finds that little room below the kernel's signal frame; a handler
 * that walks the stack as if it had its usual room runs past the floor and the kernel kills
 * the program (SIGSEGV). Unprofiled, it prints "ok" and exits 0. With 6 KiB the first call of
 * clock_gettime there (its lazy binding saves the AVX-512 state on the stack) leaves too little
 * for the kernel's signal frame, or for the handler's first frame after it: a sample that came
 * then killed 1 to 3 runs in 100 under load. With less than 4 KiB that is so everywhere in the
 * loop; the binding is then done before the descent (the program itself needs a few hundred
 * bytes at the bottom).
 * Usage: stackedge [ROOM_BYTES [SECONDS]] (defaults 6144 and 0.4). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <alloca.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static volatile unsigned long sink;
static uintptr_t floor_addr;
static size_t room = 6144;
static double secs = 0.4;

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Burns CPU with a small frame: where the signals land. */
__attribute__((noinline)) static void spin(void)
{
	double end = cpu_now() + secs;

	while (cpu_now() < end)
		for (int i = 0; i < 1000; i++)
			sink += (unsigned long)i * 7;
}

/* Takes the rest of the way down with one alloca, touching every page from the top (the
 * kernel grows the stack one fault at a time), then spins there. */
__attribute__((noinline)) static void last_step(void)
{
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	size_t n = here - floor_addr - room;
	volatile char *p = alloca(n);

	for (size_t off = n; off >= 4096; off -= 4096)
		p[off - 4096] = 1;
	p[0] = 1;
	spin();
	sink += (unsigned long)p[0];
}

/* Goes down 32 KiB a frame while far from the floor. */
__attribute__((noinline)) static void descend(void)
{
	volatile char buf[32768];
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);

	for (size_t off = sizeof(buf); off >= 4096; off -= 4096)
		buf[off - 4096] = 1;
	if (here - floor_addr > room + 3 * sizeof(buf))
		descend();
	else
		last_step();
	sink += (unsigned long)buf[0];
}

/* The program's view of its alternate signal stack: none at first, its own once set, none once
 * it disabled it (inflame runs its handler on a stack of its own the program must not see).
 * Returns 0 when it is so. */
static int altstack_view(void)
{
	static char mem[16384];
	stack_t ss = {.ss_sp = mem, .ss_size = sizeof(mem), .ss_flags = 0}, old;
	int bad = 0;

	if (sigaltstack(NULL, &old) < 0 || !(old.ss_flags & SS_DISABLE))
		bad |= 1;
	if (sigaltstack(&ss, &old) < 0 || !(old.ss_flags & SS_DISABLE))
		bad |= 2;
	ss.ss_flags = SS_DISABLE;
	if (sigaltstack(&ss, &old) < 0 || old.ss_sp != mem || old.ss_size != sizeof(mem) ||
	    old.ss_flags != 0)
		bad |= 4;
	if (sigaltstack(NULL, &old) < 0 || !(old.ss_flags & SS_DISABLE))
		bad |= 8;
	if (bad)
		printf("alternate stack seen wrong: %d\n", bad);
	return bad;
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	char line[512];
	uintptr_t lo, hi, end = 0;
	FILE *f;

	if (argc > 1)
		room = (size_t)strtoul(argv[1], NULL, 10);
	if (argc > 2)
		secs = atof(argv[2]);
	if (altstack_view() != 0)
		return 1;
	if (getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
		printf("no stack limit\n");
		return 2;
	}
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return 2;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			end = hi;
	fclose(f);
	if (!end)
		return 2;
	floor_addr = end - rl.rlim_cur;
	if (room < 4096)
		(void)cpu_now();
	descend();
	printf("ok\n");
	return 0;
}
