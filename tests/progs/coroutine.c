/*
 * A program whose work runs on stacks other than its threads' own, as coroutines, fibers and
 * Go's goroutines do: two ucontext coroutines (makecontext, swapcontext) on stacks of their
 * own, one from malloc and one mapped with a guard page below it and with nothing mapped
 * above it, so that a walk reading past its top would fault. The mapped one lies just below
 * the program's own image where it can: return addresses into code less than a few MB above
 * a stack pointer are not stack words (a stack the kernel puts in a hole below a library is
 * as close to its code). Each burns CPU three calls deep
 * and allocates there; on x86_64 a third stretch runs with the frame pointer register holding
 * an address that is not mapped, which a walk must not follow into a fault. Prints the same
 * lines every run (tests/coroutine_test.sh compares them with the unprofiled run).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define STACK (256 * 1024)

static ucontext_t main_ctx, co_ctx[2];
static volatile unsigned long sink;
static unsigned long rounds = 120;

__attribute__((noinline)) static void coro_burn(void)
{
	for (unsigned long i = 0; i < 8000000; i++)
		sink += i * 7;
}

__attribute__((noinline)) static void coro_alloc(void)
{
	for (int i = 0; i < 64; i++) {
		char *p = malloc(4096 + (size_t)i);

		if (!p)
			abort();
		memset(p, i, 64);
		sink += (unsigned char)p[7];
		free(p);
	}
}

#if defined(__x86_64__)
/* Burns with rbp pointing at an address nothing is mapped at. */
__attribute__((noinline)) static void coro_bad_fp(void *bad)
{
	__asm__ volatile("push %%rbp\n\t"
			 "mov %0, %%rbp\n\t"
			 "mov $1000000, %%rcx\n"
			 "1:\n\t"
			 "dec %%rcx\n\t"
			 "jnz 1b\n\t"
			 "pop %%rbp"
			 :
			 : "r"(bad)
			 : "rcx", "memory");
}
#endif

__attribute__((noinline)) static void coro_work(int which)
{
	coro_burn();
	coro_alloc();
	sink += (unsigned long)which; /* (no tail call: coro_work keeps its frame) */
}

static void *unmapped;
extern char __executable_start; /* (the linker's: the lowest address of the program's image) */

__attribute__((noinline)) static void coro_entry(int which)
{
	for (;;) {
		coro_work(which);
#if defined(__x86_64__)
		coro_bad_fp(unmapped);
#endif
		swapcontext(&co_ctx[which], &main_ctx);
	}
}

int main(void)
{
	void *stacks[2];
	char *mapped, *below;
	const char *r = getenv("COROUTINE_ROUNDS");

	if (r)
		rounds = strtoul(r, NULL, 10);
	/* A page given back at once: an address known to be unmapped. */
	unmapped = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (unmapped == MAP_FAILED || munmap(unmapped, 4096) != 0)
		return 2;
	stacks[0] = malloc(STACK);
	/* A guard page, the stack, and the page above it unmapped again, ending a page below
	 * the program's image. */
	below = (char *)((uintptr_t)&__executable_start & ~(uintptr_t)4095) - STACK - 3 * 4096;
	mapped = mmap(below, STACK + 2 * 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (mapped == MAP_FAILED) /* (that place is taken: anywhere) */
		mapped = mmap(NULL, STACK + 2 * 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!stacks[0] || mapped == MAP_FAILED || mprotect(mapped, 4096, PROT_NONE) != 0 ||
	    munmap(mapped + 4096 + STACK, 4096) != 0)
		return 2;
	stacks[1] = mapped + 4096;
	for (int i = 0; i < 2; i++) {
		if (getcontext(&co_ctx[i]) != 0)
			return 2;
		co_ctx[i].uc_stack.ss_sp = stacks[i];
		co_ctx[i].uc_stack.ss_size = STACK;
		co_ctx[i].uc_link = &main_ctx;
		makecontext(&co_ctx[i], (void (*)(void))coro_entry, 1, i);
	}
	for (unsigned long k = 0; k < rounds; k++)
		if (swapcontext(&main_ctx, &co_ctx[k & 1]) != 0)
			return 2;
	printf("coroutine: %lu rounds done\n", rounds);
	return sink == 0;
}
