/*
 * Safe points (safepoint.h): this file owns the decision that a sampled thread may run one of
 * inflame's functions in normal context, and the trampoline that runs it.
 *
 * The thread's sample walked its stack from the interrupted instruction. The stack is safe
 * when the walk reached the root of the main thread (the return into the program's entry point,
 * _start, below at most two frames of the C library: __libc_start_main and the function that
 * calls main) and every frame above those is the program's own, none of the C library, the
 * dynamic loader or inflame: then nothing of the C library or the loader is running, so no lock
 * of theirs is held and malloc is between calls. (A main that tail-calls a C library function
 * taking a callback leaves that function's frames in place of its own: one is too many.)
 * Then the handler turns the return from the signal into a call: it keeps the interrupted pc
 * and stack pointer, and points the signal context at the trampoline, on the interrupted stack
 * below its red zone, which saves every general register, the flags and the whole extended
 * state (xsave), calls the function, restores everything and jumps back. The signal mask is
 * the program's again by then (sigreturn restored it).
 *
 * Only on x86-64 with XSAVE, on the main thread's stack (a child forked by another thread has
 * that thread's, whose root is not _start), and when malloc is the C library's (a program or a
 * preloaded allocator interrupted inside its own malloc could not take the calloc that starting a
 * thread makes). Anywhere else arm() answers -ENOTSUP.
 */
#include "safepoint.h"

#include "clock.h"
#include "interpose.h"
#include "modules.h"
#include "profiler.h"
#include "unwind.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <ucontext.h>
#define SAFEPOINT_SUPPORTED 1
#else
#define SAFEPOINT_SUPPORTED 0
#endif

/* How many frames of the C library may lie between main and _start. */
#define ROOT_LIBC_FRAMES 2
/* The deeper walk of a stack the sample's walk cut short (deep_safe). */
#define DEEP_FRAMES 4096
#define DEEP_EVERY  16
#define DEEP_TRIES  64

_Atomic int inflame__safepoint_armed;

static struct {
	void (*fn)(void);
	uint64_t due;		  /* monotonic time from which the safe point may be taken */
	uintptr_t libc, ld, self; /* load biases of the C library, the loader, inflame */
	uintptr_t entry;	  /* the program's entry point (_start) */
	uint64_t *deep;		  /* DEEP_FRAMES frames for deep_safe(), or NULL */
	unsigned deep_tries, deep_skip;
} sp;

#if SAFEPOINT_SUPPORTED

/* The size of the xsave area the trampoline reserves (a multiple of 64). */
__attribute__((visibility("hidden"))) unsigned long inflame__safepoint_xsave_size;
__attribute__((visibility("hidden"))) void inflame__safepoint_tramp(void);
__attribute__((visibility("hidden"))) void inflame__safepoint_run(void);

/* Where the interrupted code was: its pc and stack pointer, which the trampoline returns to
 * (one redirect at most per process: the armed flag is taken once). */
__attribute__((visibility("hidden"))) uint64_t inflame__safepoint_pc, inflame__safepoint_sp;

/*
 * Entered from the return of the signal handler with every register the interrupted code's
 * but the stack pointer, which is below the red zone of the interrupted stack. The flags first
 * (the and/sub below change them), then the registers a call may change, then the extended
 * state in an area aligned to 64 bytes whose header xsave wants zeroed; rbx (callee-saved,
 * saved too) keeps the stack pointer across. Back to the interrupted code by a jump, with its
 * stack pointer: nothing of its stack is touched above the red zone, and no return goes
 * unmatched (a shadow stack would refuse it).
 */
__asm__(".text\n"
	".globl inflame__safepoint_tramp\n"
	".hidden inflame__safepoint_tramp\n"
	".type inflame__safepoint_tramp,@function\n"
	"inflame__safepoint_tramp:\n"
	"	pushfq\n"
	"	pushq %rax\n"
	"	pushq %rcx\n"
	"	pushq %rdx\n"
	"	pushq %rsi\n"
	"	pushq %rdi\n"
	"	pushq %r8\n"
	"	pushq %r9\n"
	"	pushq %r10\n"
	"	pushq %r11\n"
	"	pushq %rbx\n"
	"	movq %rsp, %rbx\n"
	"	andq $-64, %rsp\n"
	"	subq inflame__safepoint_xsave_size(%rip), %rsp\n"
	"	cld\n"
	"	leaq 512(%rsp), %rdi\n"
	"	xorl %eax, %eax\n"
	"	movl $8, %ecx\n"
	"	rep stosq\n"
	"	movl $-1, %eax\n"
	"	movl $-1, %edx\n"
	"	xsave (%rsp)\n"
	"	call inflame__safepoint_run\n"
	"	movl $-1, %eax\n"
	"	movl $-1, %edx\n"
	"	xrstor (%rsp)\n"
	"	movq %rbx, %rsp\n"
	"	popq %rbx\n"
	"	popq %r11\n"
	"	popq %r10\n"
	"	popq %r9\n"
	"	popq %r8\n"
	"	popq %rdi\n"
	"	popq %rsi\n"
	"	popq %rdx\n"
	"	popq %rcx\n"
	"	popq %rax\n"
	"	popfq\n"
	"	movq inflame__safepoint_sp(%rip), %rsp\n"
	"	jmp *inflame__safepoint_pc(%rip)\n"
	".size inflame__safepoint_tramp, .-inflame__safepoint_tramp\n");

/* Called by the trampoline: the armed function, in normal context, with errno kept. */
void inflame__safepoint_run(void)
{
	int saved = errno;
	void (*fn)(void) = sp.fn;

	sp.fn = NULL;
	if (fn)
		fn();
	errno = saved;
}

static int xsave_size(unsigned long *size)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) /* OSXSAVE */
		return -ENOTSUP;
	__cpuid_count(0xd, 0, a, b, c, d);
	if (b < 576)
		return -ENOTSUP;
	*size = ((unsigned long)b + 63) & ~63ul;
	return 0;
}

/* The load bias of the object whose code holds pc, or 0 when not known. */
static uintptr_t bias_of(uintptr_t pc)
{
	struct inflame_code c;

	return inflame_modules_lookup(pc, &c) < 0 ? 0 : c.base;
}

/* 2 for a frame of the C library, 1 of the loader or inflame, 0 of another known object,
 * -1 when the code map cannot say. */
static int system_frame(uint64_t pc)
{
	struct inflame_code c;

	if (inflame_modules_lookup((uintptr_t)pc, &c) < 0)
		return -1;
	return c.base == sp.libc ? 2 : c.base == sp.ld || c.base == sp.self;
}

static int stack_safe(const uint64_t *f, size_t n)
{
	size_t s;

	if (n < 2 || f[n - 1] - sp.entry >= 64)
		return 0;
	for (s = 0; s < n - 1; s++) {
		int k = system_frame(f[s]);

		if (k < 0)
			return 0;
		if (k)
			break;
	}
	if (s == 0 || n - 1 - s > ROOT_LIBC_FRAMES)
		return 0;
	for (; s < n - 1; s++)
		if (system_frame(f[s]) != 2)
			return 0;
	return 1;
}

/* A sample's walk cut at the depth limit says nothing of the root: the stack is walked again,
 * deeper, into the area arm() mapped, every DEEP_EVERY samples and DEEP_TRIES times at most (a
 * walk of thousands of frames costs tens of microseconds). */
static int deep_safe(struct inflame_thread *t, void *uc)
{
	size_t n;
	int truncated = 0;

	if (!sp.deep || sp.deep_tries >= DEEP_TRIES || sp.deep_skip++ % DEEP_EVERY)
		return 0;
	sp.deep_tries++;
	n = inflame_unwind_pick(
	    (enum inflame_unwind)((int)inflame__prof.cfg.unwind | INFLAME_UNWIND_NO_LIBUNWIND), t,
	    uc, 0, sp.deep, DEEP_FRAMES, &truncated);
	return !truncated && stack_safe(sp.deep, n);
}

void inflame__safepoint_offer(struct inflame_thread *t, void *ucv, const uint64_t *frames, size_t n,
			      int truncated, int urgent)
{
	ucontext_t *uc = ucv;
	uintptr_t rsp;
	int armed = 1;

	if (!uc || !n || (!urgent && inflame__now_monotonic() < sp.due))
		return;
	if (truncated ? !deep_safe(t, uc) : !stack_safe(frames, n))
		return;
	/* (not in a vfork child, which shares this memory with the parent) */
	if (inflame__in_vfork_child())
		return;
	if (!atomic_compare_exchange_strong(&inflame__safepoint_armed, &armed, 0))
		return;
	rsp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	inflame__safepoint_sp = rsp;
	inflame__safepoint_pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	uc->uc_mcontext.gregs[REG_RSP] = (greg_t)((rsp - 128) & ~(uintptr_t)15);
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)inflame__safepoint_tramp;
}

/* Is malloc, both as the program calls it and as inflame forwards it, the C library's? */
static int malloc_is_libc(void)
{
	void *(*volatile global)(size_t) = malloc;
	uintptr_t b = bias_of((uintptr_t)global);

	return (b == sp.libc || b == sp.self) &&
	       bias_of((uintptr_t)inflame__alloc_real_malloc()) == sp.libc;
}

/* Is the calling thread on the main thread's stack? The name of the program's file
 * (AT_EXECFN) lies at its top. */
static int on_main_stack(void)
{
	uintptr_t top = (uintptr_t)getauxval(AT_EXECFN),
		  here = (uintptr_t)__builtin_frame_address(0);

	return top > here && top - here < ((uintptr_t)1 << 28);
}

int inflame_safepoint_arm(void (*fn)(void), uint64_t delay_ns)
{
	uintptr_t lo, hi;

	if (!on_main_stack() || xsave_size(&inflame__safepoint_xsave_size) < 0 ||
	    inflame_modules_loader(&lo, &hi) < 0)
		return -ENOTSUP;
	sp.libc = bias_of((uintptr_t)getppid);
	sp.ld = bias_of(lo);
	sp.self = bias_of((uintptr_t)inflame_safepoint_arm);
	sp.entry = (uintptr_t)getauxval(AT_ENTRY);
	if (!sp.libc || !sp.ld || !sp.self || !sp.entry || !malloc_is_libc())
		return -ENOTSUP;
	if (!sp.deep) {
		/* (pages are touched only by a deep walk) */
		void *m = mmap(NULL, DEEP_FRAMES * sizeof(uint64_t), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		sp.deep = m == MAP_FAILED ? NULL : m;
	}
	sp.deep_tries = sp.deep_skip = 0;
	sp.fn = fn;
	sp.due = inflame__now_monotonic() + delay_ns;
	atomic_store(&inflame__safepoint_armed, 1);
	return 0;
}

#else

void inflame__safepoint_offer(void *uc, const uint64_t *frames, size_t n, int truncated, int urgent)
{
	(void)urgent;
	(void)uc;
	(void)frames;
	(void)n;
	(void)truncated;
}

int inflame_safepoint_arm(void (*fn)(void), uint64_t delay_ns)
{
	(void)fn;
	(void)delay_ns;
	return -ENOTSUP;
}

#endif

int inflame_safepoint_disarm(void)
{
	int armed = 1;

	return atomic_compare_exchange_strong(&inflame__safepoint_armed, &armed, 0);
}
