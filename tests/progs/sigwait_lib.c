/*
 * The code a signal interrupts in tests/progs/sigframe.c, built into libsigwait.so without frame
 * pointers (as the C library is): sigwait_spin() spins until *done with rbp (x29) holding no
 * frame pointer, so a frame-pointer walk from the handler above it ends at the signal
 * trampoline. Its unwind table describes every frame. A few more functions let the frame
 * pointer scan (preload/fpscan.h) count enough entries to decide.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

__attribute__((noinline)) static void spin_inner(volatile int *done)
{
#if defined(__x86_64__)
	__asm__ volatile("xor %%ebp, %%ebp\n1: pause\n cmpl $0, %0\n je 1b"
			 :
			 : "m"(*done)
			 : "rbp", "memory");
#elif defined(__aarch64__)
	__asm__ volatile("mov x29, xzr\n1: yield\n ldr w9, %0\n cbz w9, 1b"
			 :
			 : "m"(*done)
			 : "x29", "x9", "memory");
#else
	while (!*done)
		;
#endif
}

__attribute__((noinline)) void sigwait_spin(volatile int *done)
{
	spin_inner(done);
	__asm__ volatile("" ::: "memory"); /* not a tail call: this frame stays */
}

__attribute__((noinline)) int sigwait_pad1(int x)
{
	volatile int y = x;

	return y + 1;
}

__attribute__((noinline)) int sigwait_pad2(int x)
{
	volatile int y = x;

	return y + 2;
}

__attribute__((noinline)) int sigwait_pad3(int x)
{
	volatile int y = x;

	return y + 3;
}

__attribute__((noinline)) int sigwait_pad4(int x)
{
	volatile int y = x;

	return y + 4;
}
