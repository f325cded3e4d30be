/*
 * The frame-pointer unwinder. On x86_64 a frame is [fp] = caller's fp, [fp + 8] = return
 * address; on aarch64 the same with x29/x30. The walk accepts a frame pointer only if it is
 * 8-aligned, strictly above the previous one (stacks grow down, callers live higher) and the
 * two words it names lie inside [sp, stack_hi) of the interrupted thread, so it never reads
 * outside the thread's stack. A return address that cannot be one (junk_ret) ends the walk.
 * Code bytes are read only inside executable segments of loaded objects (modules.h).
 * Everything here is async-signal-safe.
 */
#include "unwind.h"

#include "log.h"
#include "modules.h"
#include "writer.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* inflame's own code (inflame_unwind_hide): [hide_lo, hide_lo + hide_len). */
static uintptr_t hide_lo, hide_len;

void inflame_unwind_hide(uintptr_t lo, uintptr_t hi)
{
	hide_lo = lo;
	hide_len = hi > lo ? hi - lo : 0;
}

static inline int hidden(uintptr_t pc)
{
	return pc - hide_lo < hide_len;
}

static inline int in_stack(const struct inflame_thread *t, uintptr_t lo, uintptr_t addr, size_t len)
{
	return addr >= lo && addr + len > addr && addr + len <= t->stack_hi && (addr & 7) == 0;
}

/* Return addresses lie in [4096, 4096 + RET_SPAN): on x86_64 not above user space (a
 * non-canonical word is text: ".jvm/jav"). */
#if defined(__x86_64__)
#define RET_SPAN (((uintptr_t)1 << 47) - 4096)
#else
#define RET_SPAN (UINTPTR_MAX - 4096)
#endif

/* Can ret not be a return address at all: out of that span, or an address in the thread's
 * stack from lo (the walk's stack pointer: stack_lo may be unknown, 0) up? Two comparisons:
 * this runs for every frame. */
static inline int bad_ret(const struct inflame_thread *t, uintptr_t lo, uintptr_t ret)
{
	return ret - 4096 >= RET_SPAN || ret - lo < t->stack_hi - lo;
}

/* Can ret, read from the frame at fp whose saved frame pointer is next, not be a return
 * address? bad_ret(), or a chain that ends there (next not above fp, misaligned or off the
 * stack): its last word is whatever called the outermost function with a frame, often not a
 * frame at all, and must lie in a known object's code. In a chain that goes on, ret may be
 * generated code (JIT), unknown to the code map: it stays, unless the chain ends in such
 * words (trim). The code map is looked up only at the outer end of a chain: a walk's cost per
 * frame does not grow. */
static int junk_ret(const struct inflame_thread *t, uintptr_t lo, uintptr_t fp, uintptr_t next,
		    uintptr_t ret)
{
	if (bad_ret(t, lo, ret))
		return 1;
	if (next > fp && (next & 7) == 0 && next + 16 > next && next + 16 <= t->stack_hi)
		return 0;
	return inflame_modules_code_known(ret) == 0;
}

#if defined(__x86_64__)
/* Does a call instruction end at ra, and could it have called the function containing pc?
 * A direct call must target an address at or below pc and not too far from it, or a PLT
 * stub. When 'loose' (the word right at the stack pointer, where a leaf's return address is),
 * any direct call into code is accepted, since the callee may have tail-called the function
 * that is running now, and so is an indirect call through memory or a register. */
static int follows_call(uintptr_t ra, uintptr_t pc, int loose)
{
	const uint8_t *p = (const uint8_t *)ra;

	if (!inflame_modules_is_code(ra - 7) || !inflame_modules_is_code(ra - 1))
		return 0;
	if (p[-5] == 0xe8) {
		int32_t rel;
		uintptr_t target;

		memcpy(&rel, p - 4, 4);
		target = ra + (uintptr_t)(intptr_t)rel;
		if (target <= pc && pc - target < 65536)
			return 1;
		if (loose && inflame_modules_is_code(target))
			return 1; /* the callee may have tail-called the interrupted function */
		if (inflame_modules_is_code(target) && inflame_modules_is_code(target + 7)) {
			const uint8_t *s = (const uint8_t *)target;

			if (s[0] == 0xf3 && s[1] == 0x0f && s[2] == 0x1e && s[3] == 0xfa)
				s += 4; /* endbr64 */
			if (s[0] == 0xf2)
				s++; /* bnd prefix */
			if (s[0] == 0xff && s[1] == 0x25)
				return 1; /* jmp *GOT(%rip): a PLT stub */
		}
		return 0;
	}
	if (!loose)
		return 0;
	if (p[-6] == 0xff && p[-5] == 0x15)
		return 1; /* call *disp32(%rip) */
	if (p[-2] == 0xff && p[-1] >= 0xd0 && p[-1] <= 0xd7)
		return 1; /* call *%reg */
	if (p[-3] == 0x41 && p[-2] == 0xff && p[-1] >= 0xd0 && p[-1] <= 0xd7)
		return 1; /* call *%r8-r15 */
	return 0;
}

/* The interrupted function may have no frame of its own (a leaf, or a library function built
 * without frame pointers): then fp is its caller's frame pointer and its caller's return
 * address lies between sp and fp. Looks for the first word there that follows a call to
 * the interrupted function; returns 0 when none does. */
static uintptr_t frameless_caller(const struct inflame_thread *t, uintptr_t pc, uintptr_t sp,
				  uintptr_t fp)
{
	uintptr_t limit = sp + 512, fp_ret = 0;

	if (in_stack(t, sp, fp, 16)) {
		fp_ret = ((const uintptr_t *)fp)[1];
		if (fp < limit)
			limit = fp;
	}
	if (limit > t->stack_hi)
		limit = t->stack_hi;
	for (uintptr_t a = sp; a + 8 <= limit; a += 8) {
		uintptr_t ra = *(const uintptr_t *)a;

		if (ra >= 4096 && ra != fp_ret && follows_call(ra, pc, a == sp))
			return ra;
	}
	return 0;
}
#endif

/* skip: leave out return addresses into inflame's code before the first one that is not,
 * but the last of them: it stays as the leaf, so that the tools (which hide inflame's frames)
 * read every frame of the program as a return address, the call site one byte before. */
/* *tail: the frame (the frame pointer value) whose return address is the last of out, or 0
 * when that last frame came from elsewhere (the leaf, or a frameless function's caller). */
/* The end of a chain: return addresses at its outer end that are in no known object's code
 * were taken as generated code in a chain that seemed to go on; with nothing above them, they
 * are not frames (the leaf and frames before first stay). One code map lookup per walk. */
/* cache: the thread's code cache (modules.h) when the outermost producer walks, else NULL. */
/* Whether addr is in a loaded object's code: 1, 0 when in none, -1 when the map cannot say now
 * (inflame_modules_code_known), the thread's code cache asked first. */
static int code_at(struct inflame_code_cache *cache, uintptr_t addr)
{
	if (cache && inflame_modules_cache_has(cache, addr))
		return 1;
	return inflame_modules_code_known(addr);
}

static size_t trim(struct inflame_code_cache *cache, const uint64_t *out, size_t first, size_t n,
		   uintptr_t *tail)
{
	size_t m = n;

	while (m > first && code_at(cache, (uintptr_t)out[m - 1]) == 0)
		m--; /* (a map that cannot answer now drops nothing) */
	if (m != n)
		*tail = 0;
	return m;
}

static size_t walk(const struct inflame_thread *t, struct inflame_code_cache *cache, uintptr_t sp,
		   uintptr_t fp, uint64_t *out, size_t n, size_t max, int *truncated, int skip,
		   uintptr_t *tail, uintptr_t stop)
{
	/* the bounds in locals: the stores to out could alias them */
	const uintptr_t s_lo = sp, s_hi = t->stack_hi;
	uintptr_t lo = sp, last = 0;
	size_t first = n;

	while (n < max) {
		uintptr_t next, ret;

		if (fp < lo || fp + 16 < fp || fp + 16 > s_hi || (fp & 7))
			goto end;
		next = ((const uintptr_t *)fp)[0];
		ret = ((const uintptr_t *)fp)[1];
		if (ret - 4096 >= RET_SPAN || ret - s_lo < s_hi - s_lo) /* bad_ret() */
			goto end;
		if (skip && hidden(ret)) {
			out[0] = ret; /* the last of inflame's frames stays, as the leaf */
			n = 1;
		} else {
			out[n++] = ret;
			skip = 0;
		}
		last = fp;
		if (next <= fp || ret == stop)
			goto end;
		lo = fp + 16;
		fp = next;
	}
	*tail = last;
	/* max reached: say so only if another valid frame follows */
	if (in_stack(t, lo, fp, 16) &&
	    !junk_ret(t, s_lo, fp, ((const uintptr_t *)fp)[0], ((const uintptr_t *)fp)[1]))
		*truncated = 1;
	return n;
end:
	*tail = last;
	return trim(cache, out, first, n, tail);
}

static size_t fp_context(const ucontext_t *uc, const struct inflame_thread *t,
			 struct inflame_code_cache *cache, uint64_t *out, size_t max,
			 int *truncated, uintptr_t *tail, uintptr_t stop)
{
	uintptr_t pc, sp, fp;
	size_t n = 0;

	*truncated = 0;
	*tail = 0;
#if defined(__x86_64__)
	pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
#elif defined(__aarch64__)
	pc = (uintptr_t)uc->uc_mcontext.pc;
	sp = (uintptr_t)uc->uc_mcontext.sp;
	fp = (uintptr_t)uc->uc_mcontext.regs[29];
#endif
	if (max == 0)
		return 0;
	out[n++] = pc;
	if (!t->stack_hi || sp < t->stack_lo || sp >= t->stack_hi)
		return n; /* not on the stack we know: leaf only */
#if defined(__x86_64__)
	/* A function that set up no frame: recover its caller. */
	if (n < max && (sp & 7) == 0) {
		uintptr_t ra = frameless_caller(t, pc, sp, fp);

		if (ra)
			out[n++] = ra;
	}
#elif defined(__aarch64__)
	{
		uintptr_t lr = (uintptr_t)uc->uc_mcontext.regs[30];
		uintptr_t fp_ret = in_stack(t, sp, fp, 16) ? ((const uintptr_t *)fp)[1] : 0;

		if (n < max && lr != fp_ret && inflame_modules_is_code(lr))
			out[n++] = lr;
	}
#endif
	return walk(t, cache, sp, fp, out, n, max, truncated, 0, tail, stop);
}

size_t inflame_unwind_fp_context(const ucontext_t *uc, const struct inflame_thread *t,
				 uint64_t *out, size_t max, int *truncated)
{
	uintptr_t tail;

	return fp_context(uc, t, NULL, out, max, truncated, &tail, 0);
}

size_t inflame_unwind_fp_here(const struct inflame_thread *t, uint64_t *out, size_t max,
			      int *truncated)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0), tail;

	*truncated = 0;
	if (!t->stack_hi || fp < t->stack_lo || fp >= t->stack_hi)
		return 0;
	/* Our own frame is skipped: the walk starts with our caller's return address. (Not a
	 * call to inflame_unwind_fp_from: as a tail call it would walk from a popped frame.) */
	return walk(t, NULL, fp, fp, out, 0, max, truncated, 1, &tail, 0);
}

static size_t fp_from(const struct inflame_thread *t, struct inflame_code_cache *cache,
		      uintptr_t fp, uint64_t *out, size_t max, int *truncated, uintptr_t *tail,
		      uintptr_t stop)
{
	*truncated = 0;
	*tail = 0;
	if (!t->stack_hi || fp < t->stack_lo || fp >= t->stack_hi)
		return 0;
	return walk(t, cache, fp, fp, out, 0, max, truncated, 1, tail, stop);
}

size_t inflame_unwind_fp_from(const struct inflame_thread *t, uintptr_t fp, uint64_t *out,
			      size_t max, int *truncated)
{
	uintptr_t tail;

	return fp_from(t, NULL, fp, out, max, truncated, &tail, 0);
}

/* The C library's signal trampoline, the return address of every handler the program installs
 * through sigaction(), when known (0: not). */
static _Atomic uintptr_t libc_sigreturn;

/* *tail as walk() gives it (0 for a walk from the caller of this function). stop: a return
 * address the walk ends with (0: none). */
static size_t unwind_fp(const struct inflame_thread *t, struct inflame_code_cache *cache, void *uc,
			uintptr_t fp, uint64_t *frames, size_t max, int *truncated, uintptr_t *tail,
			uintptr_t stop)
{
	*tail = 0;
	if (uc)
		return fp_context(uc, t, cache, frames, max, truncated, tail, stop);
	if (fp)
		return fp_from(t, cache, fp, frames, max, truncated, tail, stop);
	return inflame_unwind_fp_here(t, frames, max, truncated);
}

int inflame_unwind_in_inflame(const void *uc)
{
	const ucontext_t *u = uc;

#if defined(__x86_64__)
	return hidden((uintptr_t)u->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
	return hidden((uintptr_t)u->uc_mcontext.pc);
#endif
}

static uintptr_t stack_pointer(void *uc)
{
	const ucontext_t *u = uc;

#if defined(__x86_64__)
	return (uintptr_t)u->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
	return (uintptr_t)u->uc_mcontext.sp;
#endif
}

#if defined(__x86_64__)
/* How far above the stack pointer loader_on_stack() looks. */
#define LOADER_SCAN_BYTES 4096

/* Whether a return address into the dynamic loader lies in the first LOADER_SCAN_BYTES of the
 * stack above sp: a thread inside the loader (glibc's own dlopen of an iconv or NSS module,
 * lazy binding) whose frame-pointer walk lost the chain in libc code before reaching the
 * loader's frames. libunwind must not run then (it reads the loader's lists, which may be half
 * changed). A stale word that merely looks like such an address only costs this sample its
 * DWARF walk. */
static int loader_on_stack(const struct inflame_thread *t, uintptr_t sp)
{
	uintptr_t lo, hi, end;

	if (inflame_modules_loader(&lo, &hi) < 0 || !t->stack_hi || sp < t->stack_lo ||
	    sp >= t->stack_hi)
		return 0;
	sp &= ~(uintptr_t)7;
	end = t->stack_hi - sp > LOADER_SCAN_BYTES ? sp + LOADER_SCAN_BYTES : t->stack_hi;
	for (const uintptr_t *w = (const uintptr_t *)sp; (uintptr_t)(w + 1) <= end; w++)
		if (*w - lo < hi - lo && follows_call(*w, 0, 1))
			return 1;
	return 0;
}
#else
static int loader_on_stack(const struct inflame_thread *t, uintptr_t sp)
{
	(void)t;
	(void)sp;
	return 0;
}
#endif

/* The registers a walk carries from frame to frame. lr: aarch64's link register, known only
 * in the interrupted frame (0 after). bx_at says where x86_64's rbx is (a CFA may be based on
 * it, as in ld.so's lazy-binding trampoline): 0 not known, BX_HERE in bx, else the stack slot
 * a callee saved it in (read, after a check, only when a row needs it). all: every general
 * register of the interrupted frame (a signal context's), NULL in the frames above it. */
#define BX_HERE 1
struct regs {
	uintptr_t pc, sp, fp, lr;
	uintptr_t bx, bx_at;
	const void *all;
};

/* The interrupted registers a walk starts from, out of a signal context. */
static inline void regs_of_context(struct regs *r, const ucontext_t *u)
{
#if defined(__x86_64__)
	r->pc = (uintptr_t)u->uc_mcontext.gregs[REG_RIP];
	r->sp = (uintptr_t)u->uc_mcontext.gregs[REG_RSP];
	r->fp = (uintptr_t)u->uc_mcontext.gregs[REG_RBP];
	r->bx = (uintptr_t)u->uc_mcontext.gregs[REG_RBX];
	r->bx_at = BX_HERE;
	r->all = u->uc_mcontext.gregs;
#elif defined(__aarch64__)
	r->pc = (uintptr_t)u->uc_mcontext.pc;
	r->sp = (uintptr_t)u->uc_mcontext.sp;
	r->fp = (uintptr_t)u->uc_mcontext.regs[29];
	r->lr = (uintptr_t)u->uc_mcontext.regs[30];
	r->all = u->uc_mcontext.regs;
#endif
}

/* A thread running on a stack other than its own: a ucontext coroutine (makecontext), a Go
 * goroutine, a fiber of boost.context. Its bounds are nowhere to be known, so its words are
 * not read in place but copied through process_vm_readv(2), which fails on an address that
 * is not mapped readable instead of faulting (one system call per frame, on such stacks
 * only). The walk is the frame-pointer one: each frame pointer aligned, above the last and
 * within FOREIGN_SPAN of the stack pointer; trim() drops a tail in unknown code. */
#define FOREIGN_SPAN ((uintptr_t)8 << 20)
/* How far above the stack pointer a leaf's return address is looked for. */
#define FOREIGN_SCAN 256

/* Set once the system refused process_vm_readv itself (a seccomp filter, a kernel without it),
 * with a notice: such stacks end at their leaf then, which the dump must say. */
static atomic_int foreign_refused;

/* Copies up to len bytes at addr, stopping at the first page that cannot be read; returns
 * how many were copied. */
static size_t foreign_read(const struct inflame_thread *t, uintptr_t addr, void *buf, size_t len)
{
	uintptr_t page = (addr | 4095) + 1;
	struct iovec local = {buf, len};
	struct iovec remote[2] = {{(void *)addr, len}, {NULL, 0}};
	long got;

	if (addr + len < addr)
		return 0;
	if (addr + len > page) { /* one element a page: the copy stops at the element that fails */
		remote[0].iov_len = page - addr;
		remote[1] = (struct iovec){(void *)page, addr + len - page};
	}
	got = syscall(SYS_process_vm_readv, t->tid, &local, 1UL, remote,
		      remote[1].iov_len ? 2UL : 1UL, 0UL);
	if (got < 0 && (errno == EPERM || errno == EACCES || errno == ENOSYS) &&
	    !atomic_exchange_explicit(&foreign_refused, 1, memory_order_relaxed))
		inflame_log(INFLAME_LOG_INFO,
			    "process_vm_readv is refused (errno %d): the stacks of code running "
			    "on a stack of its own (coroutines, goroutines, fibers) end at "
			    "their leaf",
			    errno);
	return got > 0 ? (size_t)got : 0;
}

static int on_foreign_stack(const struct inflame_thread *t, uintptr_t sp)
{
	return t->stack_hi && (sp < t->stack_lo || sp >= t->stack_hi);
}

/* out[0..n) holds the leaf (and n is 1) when pc is an interrupted instruction, else nothing;
 * skip leaves out inflame's frames as walk() does. */
static size_t foreign_walk(const struct inflame_thread *t, struct inflame_code_cache *cache,
			   uintptr_t pc, uintptr_t sp, uintptr_t fp, uint64_t *out, size_t n,
			   size_t max, int *truncated, int skip)
{
	uintptr_t lo = sp, frame[2], tail;
	size_t first;

#if defined(__x86_64__)
	/* A leaf that set up no frame: its caller's return address is near the stack pointer. */
	if (n == 1 && n < max && (sp & 7) == 0) {
		uintptr_t words[FOREIGN_SCAN / 8], fp_ret = 0;
		size_t k = foreign_read(t, sp, words, sizeof(words)) / 8;

		if (fp > sp && foreign_read(t, fp, frame, sizeof(frame)) == sizeof(frame))
			fp_ret = frame[1];
		for (size_t i = 0; i < k && sp + 8 * i < (fp > sp ? fp : UINTPTR_MAX); i++) {
			if (words[i] >= 4096 && words[i] != fp_ret &&
			    follows_call(words[i], pc, i == 0)) {
				out[n++] = words[i];
				break;
			}
		}
	}
#else
	(void)pc;
#endif
	first = n;
	while (n < max) {
		if (fp < lo || (fp & 7) || fp - sp >= FOREIGN_SPAN ||
		    foreign_read(t, fp, frame, sizeof(frame)) != sizeof(frame))
			break;
		/* Not a return address: out of user space, or on this stack. A stack's bounds are
		 * not known here, only that a word less than FOREIGN_SPAN above the stack pointer
		 * may point into it; but a stack the program mapped can lie that close below a
		 * library, whose code is then no stack (makecontext's root, __start_context in
		 * libc.so, seen 1-2 MB above a coroutine's stack). */
		if (frame[1] - 4096 >= RET_SPAN ||
		    (frame[1] - sp < FOREIGN_SPAN && code_at(cache, frame[1]) != 1))
			break;
		if (skip && hidden(frame[1])) {
			out[0] = frame[1]; /* the last of inflame's frames stays, as the leaf */
			n = 1;
			first = 1;
		} else {
			out[n++] = frame[1];
			skip = 0;
		}
		if (frame[0] <= fp)
			break;
		lo = fp + 16;
		fp = frame[0];
	}
	if (n == max)
		*truncated = 1;
	return trim(cache, out, first, n, &tail);
}

/* The walk of a sample whose thread runs on a stack other than its own (from the signal
 * context uc; when uc is NULL, from inflame's frame fp, or from here when fp is 0), or
 * (size_t)-1 when it runs on its own. */
static size_t foreign_pick(const struct inflame_thread *t, struct inflame_code_cache *cache,
			   void *uc, uintptr_t fp0, uint64_t *out, size_t max, int *truncated)
{
	uintptr_t pc, sp, fp;

	if (uc) {
		struct regs r;

		regs_of_context(&r, uc);
		pc = r.pc;
		sp = r.sp;
		fp = r.fp;
	} else {
		pc = 0;
		sp = fp = fp0 ? fp0 : (uintptr_t)__builtin_frame_address(0);
	}
	if (!on_foreign_stack(t, sp))
		return (size_t)-1;
	*truncated = 0;
	if (max == 0)
		return 0;
	if (uc)
		out[0] = pc;
	return foreign_walk(t, cache, pc, sp, fp, out, uc ? 1 : 0, max, truncated, !uc);
}

/* General register dw (its DWARF number) of the frame r describes, if the walk knows it. */
static int reg_value(const struct inflame_thread *t, const struct regs *r, unsigned dw,
		     uintptr_t *v)
{
#if defined(__x86_64__)
	static const uint8_t greg[16] = {REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI,
					 REG_RBP, REG_RSP, REG_R8,  REG_R9,  REG_R10, REG_R11,
					 REG_R12, REG_R13, REG_R14, REG_R15};

	if (dw == 3 && r->bx_at == BX_HERE) {
		*v = r->bx;
		return 1;
	}
	if (dw == 3 && r->bx_at && in_stack(t, t->stack_lo, r->bx_at, 8)) {
		*v = *(const uintptr_t *)r->bx_at;
		return 1;
	}
	if (!r->all || dw >= 16)
		return 0;
	*v = (uintptr_t)((const greg_t *)r->all)[greg[dw]];
	return 1;
#elif defined(__aarch64__)
	(void)t;
	if (!r->all || dw > 30)
		return 0;
	*v = (uintptr_t)((const uint64_t *)r->all)[dw];
	return 1;
#else
	(void)t, (void)r, (void)dw, (void)v;
	return 0;
#endif
}

/* The bytes below the stack pointer that a signal does not overwrite (x86_64's red zone). */
#if defined(__x86_64__)
#define RED_ZONE 128
#else
#define RED_ZONE 0
#endif

/* What a table step found. */
enum step {
	STEP_OK = 0,	   /* regs now describe the caller */
	STEP_END = 1,	   /* the outermost frame, or nothing readable: the walk ends here */
	STEP_FALLBACK = 2, /* no rule here that the table walk trusts; libunwind might pass */
};

/* One frame by frame pointers: the caller of the frame at r->fp. */
static enum step fp_step(const struct inflame_thread *t, struct regs *r)
{
	uintptr_t next, ret;

	if (!in_stack(t, r->sp, r->fp, 16))
		return STEP_END;
	next = ((const uintptr_t *)r->fp)[0];
	ret = ((const uintptr_t *)r->fp)[1];
	if (junk_ret(t, r->sp, r->fp, next, ret))
		return STEP_END;
	r->sp = r->fp + 16;
	r->fp = next;
	r->pc = ret;
	r->lr = 0;
	r->bx_at = 0;
	r->all = NULL;
	return STEP_OK;
}

/* The kernel's signal frame at sp: the interrupted registers. */
static enum step signal_step(const struct inflame_thread *t, struct regs *r)
{
#if defined(__x86_64__)
	/* On return from the handler, sp points at the ucontext of struct rt_sigframe. */
	const size_t g = offsetof(ucontext_t, uc_mcontext.gregs);
	uintptr_t uc = r->sp, pc, sp, fp;
	const void *all;

	if (!in_stack(t, r->sp, uc + g, sizeof(greg_t) * (REG_RIP + 1)))
		return STEP_END;
	pc = ((const uintptr_t *)(uc + g))[REG_RIP];
	sp = ((const uintptr_t *)(uc + g))[REG_RSP];
	fp = ((const uintptr_t *)(uc + g))[REG_RBP];
	all = (const void *)(uc + g);
	r->bx = ((const uintptr_t *)(uc + g))[REG_RBX];
	r->lr = 0;
#elif defined(__aarch64__)
	/* struct rt_sigframe: siginfo, then the ucontext. */
	uintptr_t uc = r->sp + sizeof(siginfo_t), pc, sp, fp;
	const size_t m = offsetof(ucontext_t, uc_mcontext);

	if (!in_stack(t, r->sp, uc + m, sizeof(mcontext_t) > 300 ? 300 : sizeof(mcontext_t)))
		return STEP_END;
	pc = (uintptr_t)((const ucontext_t *)uc)->uc_mcontext.pc;
	sp = (uintptr_t)((const ucontext_t *)uc)->uc_mcontext.sp;
	fp = (uintptr_t)((const ucontext_t *)uc)->uc_mcontext.regs[29];
	r->lr = (uintptr_t)((const ucontext_t *)uc)->uc_mcontext.regs[30];
	all = NULL; /* the words above the 300 bytes checked are not */
#endif
	if (pc < 4096 || sp <= r->sp || sp >= t->stack_hi)
		return STEP_END;
	r->pc = pc;
	r->sp = sp;
	r->fp = fp;
	r->bx_at = all ? BX_HERE : 0;
	r->all = all;
	return STEP_OK;
}

/* What a table step did, for the walk cache (thread.h): whether it was decided by a table row
 * alone (then it depends on nothing but the registers, the row and the words it read), whether
 * the row read the frame pointer register, and the stack slots it read (0: none) with the
 * return address it found. */
struct step_note {
	int table, used_fp;
	uintptr_t slot_ra, slot_fp, ra;
};

/* What one walk remembers of its last frame: the object (a stack mostly stays in a few) and
 * the row with the addresses it covers (a recursion, or a loop of calls, comes back to it). */
struct walk_memo {
	int have;
	struct inflame_code code;
	const struct inflame_eh_row *row; /* NULL: none */
	uint64_t row_lo, row_hi;	  /* link-time addresses the row covers */
	struct inflame_eh_row one;	  /* a row found without a table (row = &one) */
	struct inflame_row_memo *rows;	  /* the walk cache's (thread.h), or NULL */
	struct inflame_eh_row hit;	  /* a row found there (row = &hit) */
};

/* Every GAP_WAKE_MASK + 1 frames stepped without a table (from the GAP_WAKE_AT-th on), the
 * writer is woken to build the tables walks asked for. */
#define GAP_WAKE_MASK 1023u
#define GAP_WAKE_AT   255u

/* Frames stepped by one function's entry because their object's table was not built yet. */
static _Atomic unsigned long gap_steps;

unsigned long inflame_unwind_gap_steps(void)
{
	return atomic_load_explicit(&gap_steps, memory_order_relaxed);
}

/* The row for rel in m's object, which has no table (yet) but a search index: its one
 * function's entry, read in place (ehframe.h). NULL when it has none for rel. */
static const struct inflame_eh_row *row_without_table(struct walk_memo *m, uint64_t rel)
{
	struct inflame_eh_index ix;
	uint64_t lo, hi;

	if (m->row == &m->one && rel - m->row_lo < m->row_hi - m->row_lo)
		return m->row;
	inflame_modules_index(&m->code, &ix);
	/* A process that walks through objects without a table this often lives long enough
	 * for the tables to pay: the writer builds those asked for now, not at its next cycle. */
	if ((atomic_fetch_add_explicit(&gap_steps, 1, memory_order_relaxed) & GAP_WAKE_MASK) ==
	    GAP_WAKE_AT)
		inflame_writer_request(INFLAME_WRITER_WAKE);
	if (inflame_ehframe_lookup(&ix, rel, &m->one, &lo, &hi) < 0) {
		m->row = NULL;
		return NULL;
	}
	m->row = &m->one;
	m->row_lo = lo;
	m->row_hi = hi;
	return m->row;
}

/* A frame in an object with a table that has no rule for it (flags f): libunwind's when
 * fallback is set and the object keeps no frame pointers, else a frame-pointer step (and, in
 * such an object, a request for libunwind, which the next walks may then fall back to). */
static enum step beyond_table(const struct inflame_thread *t, struct regs *r, int f, int fallback)
{
	if (!(f & INFLAME_MOD_FP)) {
		if (fallback)
			return STEP_FALLBACK;
		inflame_unwind_dwarf_want();
	}
	return fp_step(t, r);
}

/* One frame by the code map and its tables. exact: r->pc is an interrupted instruction (the
 * leaf, or the frame a signal interrupted), not a return address, and is looked up as it is
 * rather than one byte before. fallback: a frame the table cannot pass, in code built without
 * frame pointers or unknown, ends the walk with STEP_FALLBACK (else: a frame-pointer step). */
static enum step table_step(const struct inflame_thread *t, struct inflame_code_cache *cache,
			    struct walk_memo *m, struct regs *r, int *exact, int fallback,
			    struct step_note *note)
{
	uintptr_t look = *exact ? r->pc : r->pc - 1, cfa, ra, fp;
	const struct inflame_eh_row *row;
	uint64_t rel;
	int f, uncached = 0, was_exact = *exact;

	*exact = 0;
	note->table = 0;
	note->slot_ra = note->slot_fp = 0;
	note->ra = 0;
	note->used_fp = 0;
	if (m->have && look - m->code.lo < m->code.hi - m->code.lo) {
		f = m->code.flags;
	} else {
		f = cache ? inflame_modules_cache_lookup(cache, look, &m->code)
			  : inflame_modules_lookup(look, &m->code);
		m->have = f >= 0;
		m->row = NULL;
	}
	rel = look - m->code.base;
	if (f >= 0 && !m->code.tab && m->code.hdr &&
	    (was_exact || !(f & INFLAME_MOD_INDEX_EXACT))) {
		/* an object whose table is not built yet (the writer builds it when asked), or
		 * an interrupted instruction in one with frame pointers: the one function's
		 * entry, from its search index */
		inflame_modules_ask_table(&m->code);
		row = row_without_table(m, rel);
		if (!row)
			return beyond_table(t, r, f, fallback);
	} else if (f < 0 || !m->code.tab) {
		/* unknown code (not mapped yet, JIT) or an object without a table: its frame
		 * pointer if it keeps one */
		if (f >= 0)
			inflame_modules_ask_table(&m->code);
		if (f < 0 || !(f & INFLAME_MOD_FP)) {
			if (fallback)
				return STEP_FALLBACK;
			inflame_unwind_dwarf_want(); /* libunwind passes here until the table */
		}
		return fp_step(t, r);
	} else if (m->row && m->row != &m->one && rel - m->row_lo < m->row_hi - m->row_lo) {
		row = m->row;
	} else {
		const struct inflame_eh_table *tab = m->code.tab;
		struct inflame_row_memo *e =
		    m->rows ? &m->rows[(rel * 0x9e3779b97f4a7c15ull) >> 58 & (INFLAME_ROW_MEMO - 1)]
			    : NULL;

		if (e && e->tab == tab && e->rel == rel) {
			m->hit = e->row;
			row = &m->hit;
			m->row_lo = e->lo;
			m->row_hi = e->hi;
		} else {
			row = inflame_ehframe_find(tab, rel);
			if (!row)
				return beyond_table(t, r, f, fallback);
			m->row_lo = tab->lo + row->pc;
			m->row_hi =
			    (size_t)(row - tab->rows) + 1 < tab->n ? tab->lo + row[1].pc : tab->hi;
			if (e)
				*e =
				    (struct inflame_row_memo){tab, rel, m->row_lo, m->row_hi, *row};
		}
		m->row = row;
	}
	switch (row->kind) {
	case INFLAME_EH_CFA_SP:
		cfa = r->sp + (uintptr_t)(intptr_t)row->cfa_off;
		break;
	case INFLAME_EH_CFA_FP:
		cfa = r->fp + (uintptr_t)(intptr_t)row->cfa_off;
		note->used_fp = 1;
		break;
	case INFLAME_EH_PLT:
		cfa =
		    r->sp + (uintptr_t)(intptr_t)row->cfa_off + ((r->pc & 15) >= row->aux ? 8 : 0);
		break;
	case INFLAME_EH_CFA_REG:
		if (!reg_value(t, r, row->aux, &cfa))
			return beyond_table(t, r, f, fallback);
		cfa += (uintptr_t)(intptr_t)row->cfa_off;
		/* a register the walk cache does not compare: this step is not cached */
		uncached = 1;
		break;
	case INFLAME_EH_ROOT:
		note->table = 1;
		return STEP_END;
	case INFLAME_EH_SIGNAL:
		*exact = 1;
		return signal_step(t, r);
	default: /* refused, or a gap between functions */
		return beyond_table(t, r, f, fallback);
	}
	/* From here on the step depends only on the registers, the row and the words it reads
	 * (the walk cache's premise). */
	note->table = !uncached;
	if (cfa <= r->sp)
		return STEP_END;
	if (row->ra_off) {
		uintptr_t a = cfa + (uintptr_t)(intptr_t)row->ra_off;

		if (!in_stack(t, r->sp, a, 8))
			return STEP_END;
		ra = *(const uintptr_t *)a;
		note->slot_ra = a;
		note->ra = ra;
	} else {
		note->table = 0; /* the link register: not a stack slot */
		ra = r->lr;	 /* aarch64: still in the link register */
	}
#if defined(__aarch64__)
	if (row->flags & INFLAME_EH_RA_SIGNED)
		ra &= 0x0000ffffffffffffull; /* the pointer signature */
#endif
	fp = r->fp;
	if (row->fp_off) {
		uintptr_t a = cfa + (uintptr_t)(intptr_t)row->fp_off;

		/* In an epilogue the saved frame pointer may already be popped: its slot lies
		 * just below the stack pointer, in the red zone, which a signal leaves alone. */
		if (!in_stack(t, r->sp - RED_ZONE < t->stack_lo ? t->stack_lo : r->sp - RED_ZONE, a,
			      8))
			return STEP_END;
		fp = *(const uintptr_t *)a;
		note->slot_fp = a;
	}
	if (ra < 4096)
		return STEP_END;
	if (row->bx_off) /* the caller's rbx: lost, or in a slot */
		r->bx_at = row->bx_off == INFLAME_EH_BX_LOST
			       ? 0
			       : cfa + (uintptr_t)(intptr_t)row->bx_off * 8;
	r->pc = ra;
	r->sp = cfa;
	r->fp = fp;
	r->lr = 0;
	r->all = NULL;
	return STEP_OK;
}

/* Whether the slots of the walk cache's entry e (those its step read) still hold the words
 * read there. */
static inline int walk_entry_holds(const struct inflame_walk_entry *e)
{
	return (!e->slot_ra || *(const uint64_t *)e->slot_ra == e->pc) &&
	       (!e->slot_fp || *(const uint64_t *)e->slot_fp == e->fp);
}

/* Puts the k entries of the walk under way (leaf first) in the cache above its frame c, whose
 * frame the last of them is, and works out need_fp from c up. */
static void walk_cache_store(struct inflame_walk_cache *wc, uint32_t c, uint32_t k)
{
	uint32_t need = c ? wc->e[c].need_fp : 0;

	if (k == 0 || c + k > INFLAME_WALK_CACHE_MAX)
		return;
	for (uint32_t j = 0; j < k; j++) {
		struct inflame_walk_entry *e = &wc->e[c + j];

		*e = wc->leaf[k - 1 - j];
		if (j > 0)
			need = e[-1].used_fp || (!e[-1].slot_fp && need);
		e->need_fp = need;
	}
	wc->n = c + k;
	wc->whole = 1;
}

/* Whether the walk cache holds the frames above the frame r describes: one of its frames (at
 * or below *c, which moves outward with the walk) has the same registers, and every slot
 * above it still holds what the cached walk read there. Then appends those frames to
 * out[*n..max), puts the k entries of the walk under way below them and returns 1. */
static int walk_cache_take(struct inflame_walk_cache *wc, uint32_t *c, const struct regs *r,
			   uint64_t *out, size_t *n, size_t max, uint32_t k)
{
	uint32_t i = *c;

	while (i > 0 && wc->e[i].sp < r->sp)
		i--;
	*c = i;
	if (i == 0 || wc->e[i].sp != r->sp || wc->e[i].pc != r->pc ||
	    (wc->e[i].need_fp && wc->e[i].fp != r->fp) || *n + (i - 1) > max)
		return 0;
	/* Every slot the cached steps from frame i to the root read (entries i - 1 down to 0)
	 * still holds its word; the frames are copied as they are checked (out[*n..] is free
	 * room until *n moves). */
	for (uint32_t j = i - 1, m = 0; j >= 1; j--, m++) {
		if (!walk_entry_holds(&wc->e[j]))
			return 0;
		out[*n + m] = wc->e[j].pc;
	}
	if (!walk_entry_holds(&wc->e[0]))
		return 0;
	*n += i - 1;
	walk_cache_store(wc, i, k);
	wc->hits++;
	return 1;
}

/* The table walk from r, appending to out[n..max). *fell: it stopped at a frame only
 * libunwind could pass (when fallback is set). wc: the thread's walk cache (thread.h), for the
 * outermost producer, else NULL. After each step the walk looks for the frame it reached in
 * the cache (by its stack pointer: both go up the stack); there, if the slots above still hold
 * what the cached walk read, the cached frames above are the frames this walk would find. */
static size_t table_walk(const struct inflame_thread *t, struct inflame_code_cache *cache,
			 struct inflame_walk_cache *wc, struct regs *r, int exact, uint64_t *out,
			 size_t n, size_t max, int *truncated, int fallback, int *fell)
{
	struct walk_memo m;
	struct step_note note;
	uint32_t k = 0, c = wc && wc->n ? wc->n - 1 : 0;

	*fell = 0;
	m.have = 0;
	m.row = NULL;
	m.rows = wc ? wc->rows : NULL;
	if (wc)
		wc->whole = 0;
	if (!t->stack_hi || r->sp < t->stack_lo || r->sp >= t->stack_hi)
		return n;
	if (wc && !exact) {
		/* The frame the walk starts from, a return address (its caller's frame, at the
		 * leaf's: an allocation hook's, a frame-pointer walk's last) is one the cache may
		 * know already: often the very frame the thread's last walk started from. Not an
		 * interrupted instruction, which the table looks up as it is, not as a call's
		 * return: a cached frame with that address may have had another row. */
		wc->leaf[k++] = (struct inflame_walk_entry){.pc = r->pc, .sp = r->sp, .fp = r->fp};
		if (walk_cache_take(wc, &c, r, out, &n, max, k))
			return n;
	}
	for (;;) {
		enum step s = table_step(t, cache, &m, r, &exact, fallback, &note);

		if (s == STEP_FALLBACK)
			*fell = 1;
		if (s != STEP_OK) {
			if (wc && s == STEP_END && note.table && k < INFLAME_WALK_CACHE_MAX) {
				/* the end: the step's return address slot, and the word in it */
				wc->leaf[k] = (struct inflame_walk_entry){.pc = note.ra,
									  .slot_ra = note.slot_ra,
									  .used_fp = note.used_fp};
				walk_cache_store(wc, 0, k + 1);
			}
			return n;
		}
		if (n == max) {
			*truncated = 1;
			return n;
		}
		out[n++] = r->pc;
		if (!wc)
			continue;
		if (!note.table) {
			k = 0; /* the frames below this one cannot be cached */
			continue;
		}
		if (k < INFLAME_WALK_CACHE_MAX)
			wc->leaf[k++] = (struct inflame_walk_entry){.pc = r->pc,
								    .sp = r->sp,
								    .fp = r->fp,
								    .slot_ra = note.slot_ra,
								    .slot_fp = note.slot_fp,
								    .used_fp = note.used_fp};
		else
			wc = NULL; /* deeper than the cache */
		if (wc && walk_cache_take(wc, &c, r, out, &n, max, k))
			return n;
	}
}

/* Passes inflame's own frames from its frame f by their frame pointers: *leaf receives the
 * last return address into inflame's code (0: none), r the registers of the program's first
 * frame above them. Returns 0, or -1 when the chain ends before it. */
static int pass_hidden(const struct inflame_thread *t, uintptr_t f, uint64_t *leaf, struct regs *r)
{
	*leaf = 0;
	if (!t->stack_hi || f < t->stack_lo || f >= t->stack_hi)
		return -1;
	for (uintptr_t lo = f;;) {
		uintptr_t ret;

		if (!in_stack(t, lo, f, 16))
			return -1;
		ret = ((const uintptr_t *)f)[1];
		if (ret < 4096)
			return -1;
		r->pc = ret;
		r->sp = f + 16;
		r->fp = ((const uintptr_t *)f)[0];
		if (!hidden(ret))
			return 0;
		*leaf = ret;
		if (r->fp <= f)
			return -1;
		lo = f + 16;
		f = r->fp;
	}
}

/* The table walk of a sample: from signal context uc, or (uc NULL) from the frame fp of one of
 * inflame's functions (0: the caller of this one), passing inflame's own frames by their frame
 * pointers and keeping the last of them as the leaf (as walk() does). */
static size_t table_start(const struct inflame_thread *t, struct inflame_code_cache *cache,
			  void *uc, uintptr_t fp, uint64_t *out, size_t max, int *truncated,
			  int fallback, int *fell)
{
	struct regs r = {.pc = 0};
	size_t n = 0;
	int exact = 0;

	*truncated = 0;
	*fell = 0;
	if (max == 0)
		return 0;
	if (uc) {
		regs_of_context(&r, uc);
		out[n++] = r.pc;
		exact = 1;
	} else {
		uint64_t leaf;
		int rc = pass_hidden(t, fp ? fp : (uintptr_t)__builtin_frame_address(0), &leaf, &r);

		if (leaf)
			out[n++] = leaf; /* the last of inflame's frames stays, as the leaf */
		if (rc < 0)
			return n;
		if (n == max) {
			*truncated = 1;
			return n;
		}
		out[n++] = r.pc;
	}
	return table_walk(t, cache, cache ? t->walk_cache : NULL, &r, exact, out, n, max, truncated,
			  fallback, fell);
}

size_t inflame_unwind_table_context(const ucontext_t *uc, const struct inflame_thread *t,
				    uint64_t *out, size_t max, int *truncated)
{
	int fell;

	return table_start(t, NULL, (void *)uc, 0, out, max, truncated, 0, &fell);
}

size_t inflame_unwind_table_context_cached(const ucontext_t *uc, struct inflame_thread *t,
					   uint64_t *out, size_t max, int *truncated)
{
	struct regs r = {.pc = 0};
	int fell;

	*truncated = 0;
	if (max == 0)
		return 0;
	regs_of_context(&r, uc);
	out[0] = r.pc;
	return table_walk(t, NULL, t->walk_cache, &r, 1, out, 1, max, truncated, 0, &fell);
}

size_t inflame_unwind_table_from(const struct inflame_thread *t, uintptr_t pc, uintptr_t sp,
				 uintptr_t fp, int exact, uint64_t *out, size_t max, int *truncated)
{
	struct regs r = {.pc = pc, .sp = sp, .fp = fp};
	int fell;

	*truncated = 0;
	if (max == 0)
		return 0;
	out[0] = pc;
	return table_walk(t, NULL, NULL, &r, exact, out, 1, max, truncated, 0, &fell);
}

int inflame_unwind_hook_frame(const struct inflame_thread *t, uintptr_t fp,
			      struct inflame_hook_frame *h)
{
	struct regs r = {.pc = 0};

	if (pass_hidden(t, fp, &h->leaf, &r) < 0 || !h->leaf)
		return -1;
	h->pc = r.pc;
	h->sp = r.sp;
	h->fp = r.fp;
	return 0;
}

/* The first of the set of call-site cache entries h may be in. */
static inline unsigned site_set(const struct inflame_hook_frame *h)
{
	uint64_t x = (h->pc ^ (h->sp << 7) ^ (h->leaf << 17)) * 0x9e3779b97f4a7c15ull;

	return (unsigned)(x >> 40) & (INFLAME_SITES - INFLAME_SITE_WAYS);
}

/* Marks entry e of the call-site cache sc as used now. */
static inline void site_use(struct inflame_site_cache *sc, struct inflame_site *e)
{
	e->used = ++sc->clock;
}

/* Whether entry e is one of the first frame h (filled, or only noted). */
static inline int site_key(const struct inflame_site *e, const struct inflame_hook_frame *h)
{
	return e->pc == h->pc && e->sp == h->sp && e->leaf == h->leaf;
}

int inflame_unwind_site_find(struct inflame_thread *t, enum inflame_unwind mode,
			     const struct inflame_hook_frame *h, unsigned *seq, uint64_t *tag)
{
	struct inflame_site_cache *sc = t->sites;
	unsigned p;

	if (inflame_modules_cache_begin(&t->code_cache) < 0)
		return -1;
	/* Under auto the walk from a hook whose caller's object keeps no frame pointers (nor is
	 * the loader) is the tables' from that frame, whatever the frame-pointer walk finds
	 * beyond it (inflame_unwind_pick); elsewhere the policy may choose that walk, cheap
	 * enough without the cache. */
	if (mode == INFLAME_UNWIND_AUTO) {
		int f = inflame_modules_cache_flags(&t->code_cache, h->pc);

		if (f < 0 || (f & (INFLAME_MOD_FP | INFLAME_MOD_LOADER)))
			return -1;
	} else if (mode != INFLAME_UNWIND_DWARF) {
		return -1;
	}
	/* (a walk from now on stores the walk cache afresh, or leaves it not whole) */
	t->walk_cache->whole = 0;
	*seq = t->code_cache.seq & ~1u;
	p = site_set(h);
	for (unsigned w = 0; w < INFLAME_SITE_WAYS; w++) {
		struct inflame_site *e = &sc->e[p + w];
		const struct inflame_site_check *c = e->chk, *end = c + e->nchecks;

		if (!e->nchecks || !site_key(e, h) || e->seq != *seq ||
		    (e->need_fp && e->fp != h->fp))
			continue;
		/* (by pointer, in order, up to the first that differs: no count to keep) */
		while (c < end && *(const uint64_t *)c->slot == c->val)
			c++;
		if (c < end)
			continue; /* the same first frame, another stack above it */
		site_use(sc, e);
		*tag = e->tag;
		return 1;
	}
	return 0;
}

void inflame_unwind_site_keep(struct inflame_thread *t, const struct inflame_hook_frame *h,
			      unsigned seq, const uint64_t *frames, size_t n, uint64_t tag)
{
	const struct inflame_walk_cache *wc = t->walk_cache;
	struct inflame_site_cache *sc = t->sites;
	const struct inflame_walk_entry *s;
	struct inflame_site *e, *old;
	unsigned p;
	uint32_t k = 0;
	int keyed = 0;

	/* A table walk that stored the cache whole from the hook's first frame, under the code
	 * map the lookup saw (so the first frame's object is still one find() accepted). */
	if (!wc->whole || wc->n != n || n < 2 || frames[0] != h->leaf ||
	    inflame_modules_cache_begin(&t->code_cache) < 0 || (t->code_cache.seq & ~1u) != seq)
		return;
	s = &wc->e[n - 1];
	if (s->pc != h->pc || s->sp != h->sp || s->fp != h->fp)
		return;
	/* A first frame met for the first time is only noted: the entry of the set used least
	 * recently gets its key and no checks (most first frames of a start-up's imports are
	 * never met again). The note counts as a use: two new first frames that take turns then
	 * take two entries, where they took one from each other for ever and neither was
	 * filled. The next walk from it fills that entry; a walk from a first frame whose
	 * entries are all filled already (two stacks above one first frame, as a function called
	 * from two places at the same depth) fills the entry used least recently: one stack
	 * each. */
	p = site_set(h);
	e = NULL;
	old = &sc->e[p];
	for (unsigned w = 0; w < INFLAME_SITE_WAYS; w++) {
		struct inflame_site *x = &sc->e[p + w];

		if (site_key(x, h)) {
			keyed = 1;
			if (!x->nchecks && !e)
				e = x;
		}
		if (x->used < old->used)
			old = x;
	}
	if (!keyed) {
		old->nchecks = 0;
		old->leaf = h->leaf;
		old->pc = h->pc;
		old->sp = h->sp;
		site_use(sc, old);
		return;
	}
	if (!e)
		e = old;
	for (size_t i = 1; i < n; i++)
		if (frames[i] != wc->e[n - i].pc)
			return;
	e->nchecks = 0;
	for (uint32_t j = 0; j + 1 < n; j++) {
		const struct inflame_walk_entry *w = &wc->e[j];

		if (k + 2 > INFLAME_SITE_CHECKS)
			return; /* (the entry stays empty) */
		/* (a frame pointer read from a slot matters only to steps that use it) */
		if (w->slot_ra)
			e->chk[k++] = (struct inflame_site_check){w->slot_ra, w->pc};
		if (w->slot_fp && w->need_fp)
			e->chk[k++] = (struct inflame_site_check){w->slot_fp, w->fp};
	}
	e->leaf = h->leaf;
	e->pc = h->pc;
	e->sp = h->sp;
	e->fp = h->fp;
	e->need_fp = s->need_fp;
	e->seq = seq;
	e->tag = tag;
	e->nchecks = k;
	site_use(sc, e);
}

/* How many frames of the first frame-pointer walk are looked at: a frame-pointer walk leaves
 * code built without frame pointers within a frame or two (it loses the chain there), so its
 * first frames tell whether the walk can be trusted, and whether the loader is on the stack. */
#define AUTO_LOOK 8

/* The policy of inflame_unwind_pick (unwind.h):
 *   fp:    frame pointers.
 *   dwarf: inflame's own tables (ehframe.h) from the first frame: one code map lookup and one
 *          table row per frame (table_step). Code the tables cannot pass (refused rows, code
 *          without unwind information that keeps no frame pointers, code not in the map yet)
 *          falls back to libunwind for the whole stack, unless the thread is inside the loader:
 *          in_dl is set (our dlopen, dlclose, dl_iterate_phdr), or ld.so is among the first
 *          frames, or a return address into ld.so lies just above the stack pointer
 *          (loader_on_stack), where libunwind's dl_iterate_phdr could read a link map being
 *          changed; or libunwind is not loaded (a fork child of a threaded parent). The table
 *          walk then takes a frame-pointer step there instead.
 *   auto:  a frame-pointer walk first, and the tables as above only if it cannot be trusted:
 *          one of its first AUTO_LOOK frames that is not its last lies in an object built
 *          without frame pointers, or in code the map does not know yet (an object whose
 *          verdict is not there yet counts as one without frame pointers); or the walk gave a
 *          leaf alone, in such code. A walk whose only frame without frame pointers is its
 *          last (main called from libc's start code, a thread routine from start_thread) is
 *          whole: it keeps the cheap frame pointers, and the tables (or libunwind, for an
 *          object without one) carry on from that last frame (finish_walk), so that every
 *          stack of a thread ends at the same root (_start, clone3) whichever unwinder
 *          walked its leaf. */
/* Whether t's tail cache holds the frames above the frame of ret at sp: the same frame, and
 * every return address the cache took from the stack still in its slot (so the same calls
 * are still on the stack). */
static int tail_cached(const struct inflame_thread *t, uintptr_t ret, uintptr_t sp)
{
	if (!t->tail_n || t->tail_ret != ret || t->tail_sp != sp)
		return 0;
	for (uint32_t i = 0; i < t->tail_n; i++) {
		uintptr_t slot = (uintptr_t)t->tail_slots[i];

		if (!in_stack(t, sp, slot, 8) || *(const uint64_t *)slot != t->tail_frames[i])
			return 0;
	}
	return 1;
}

/* Whether code at pc is the kernel's way back from a signal handler (x86_64's rt_sigreturn
 * trampoline: mov $15, %rax; syscall). is_sigreturn_code: pc and the SIGRETURN_LEN bytes
 * from it are known to be code. */
#if defined(__x86_64__)
static const uint8_t sigreturn_code[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
#define SIGRETURN_LEN sizeof(sigreturn_code)
static int is_sigreturn_code(uintptr_t pc)
{
	return memcmp((const void *)pc, sigreturn_code, SIGRETURN_LEN) == 0;
}
#else
#define SIGRETURN_LEN 1
static int is_sigreturn_code(uintptr_t pc)
{
	(void)pc;
	return 0;
}
#endif
void inflame_unwind_sigreturn_at(uintptr_t pc)
{
	if (is_sigreturn_code(pc))
		atomic_store_explicit(&libc_sigreturn, pc, memory_order_relaxed);
}

static int is_sigreturn(uintptr_t pc)
{
	return inflame_modules_is_code(pc) && inflame_modules_is_code(pc + SIGRETURN_LEN - 1) &&
	       is_sigreturn_code(pc);
}

/* A frame-pointer walk that ended at a frame of code built without frame pointers (its return
 * address read from the frame at tail) lost the chain there: the tables of that frame's object
 * go on from it, whose stack pointer and frame pointer register the frame at tail gives, or
 * libunwind for an object without a search table. The frames above are nearly always the same
 * (a thread's start routines), so the outermost producer keeps them in the thread's tail cache
 * (libunwind) or walk cache (tables). A walk that ended at a signal handler's return into the
 * kernel goes on through the signal frame into the interrupted code when the tables walk it
 * (a program that does its work in a handler, as PostgreSQL 15's postmaster forks its workers
 * in one, gets whole stacks); libunwind is not asked to: the interrupted code is a different
 * stack every time, at a cost a program with a fast timer cannot afford. flags: the last
 * frame's module flags. Returns the new number of frames. */
static size_t finish_walk(struct inflame_thread *t, struct inflame_code_cache *cache, void *uc,
			  uint64_t *frames, size_t n, size_t max, int *truncated, uintptr_t tail,
			  int flags, int lu)
{
	int more_truncated = 0,
	    outer = atomic_load_explicit(&t->producing, memory_order_relaxed) == 1;
	uintptr_t ret, sp;
	uint64_t slots[INFLAME_TAIL_MAX];
	size_t m;
	struct inflame_code code;
	int cf;

	if (*truncated || !tail || n == 0 || n >= max || flags < 0)
		return n;
	ret = (uintptr_t)frames[n - 1];
	/* (the C library may count as built with frame pointers until its verdict comes) */
	if ((flags & INFLAME_MOD_FP) &&
	    ret != atomic_load_explicit(&libc_sigreturn, memory_order_relaxed))
		return n;
	sp = tail + 16;
	/* (the sigreturn test by this range: python3 and the like come here for every
	 * allocation) */
	cf = cache ? inflame_modules_cache_lookup(cache, ret - 1, &code)
		   : inflame_modules_lookup(ret - 1, &code);
	if (cf >= 0 && !code.tab)
		inflame_modules_ask_table(&code);
	if (cf >= 0 && (code.tab || code.hdr)) { /* (without a table yet: by its index) */
		struct regs r = {.pc = ret, .sp = sp, .fp = ((const uintptr_t *)tail)[0]};
		int fell;

		/* The walk cache and the code cache when outermost. A signal trampoline's row
		 * reads the interrupted registers: the walk goes on in the interrupted code, as
		 * in a walk by the tables alone. */
		return table_walk(t, cache, cache ? t->walk_cache : NULL, &r, 0, frames, n, max,
				  truncated, 0, &fell);
	}
	if (cf >= 0 && ret - code.lo < code.hi - code.lo && code.hi - ret >= SIGRETURN_LEN) {
		if (is_sigreturn_code(ret))
			return n;
	} else if (is_sigreturn(ret)) {
		return n;
	}
	if (flags & INFLAME_MOD_LOADER)
		return n;
	if (!lu) {
		inflame_unwind_dwarf_want();
		return n;
	}
	if (outer && tail_cached(t, ret, sp) && n + t->tail_n <= max) {
		memcpy(frames + n, t->tail_frames, t->tail_n * sizeof(uint64_t));
		return n + t->tail_n;
	}
	if (loader_on_stack(t, uc ? stack_pointer(uc) : (uintptr_t)__builtin_frame_address(0)))
		return n;
	m = inflame_unwind_dwarf_from(
	    ret, sp, ((const uintptr_t *)tail)[0], frames + n,
	    outer && max - n >= INFLAME_TAIL_MAX ? slots : NULL,
	    outer && max - n >= INFLAME_TAIL_MAX ? INFLAME_TAIL_MAX : max - n, &more_truncated);
	if (outer && max - n >= INFLAME_TAIL_MAX) {
		t->tail_n = 0;
		if (m && !more_truncated) {
			memcpy(t->tail_frames, frames + n, m * sizeof(uint64_t));
			memcpy(t->tail_slots, slots, m * sizeof(uint64_t));
			t->tail_ret = ret;
			t->tail_sp = sp;
			t->tail_n = (uint32_t)m;
		} else if (more_truncated) {
			/* deeper than the cache: walk it all */
			m = inflame_unwind_dwarf_from(ret, sp, ((const uintptr_t *)tail)[0],
						      frames + n, NULL, max - n, &more_truncated);
		}
	}
	*truncated = more_truncated;
	return n + m;
}

/* libunwind for the whole stack (the tables' fallback), or when it cannot run or gives
 * nothing, the table walk with frame-pointer steps where it stopped. */
static size_t dwarf_walk(struct inflame_thread *t, struct inflame_code_cache *cache, void *uc,
			 uintptr_t fp, uint64_t *frames, size_t max, int *truncated)
{
	size_t n = 0;
	int fell;

	if (!loader_on_stack(t, uc ? stack_pointer(uc) : (uintptr_t)__builtin_frame_address(0))) {
		if (uc) {
			n = inflame_unwind_dwarf_context(uc, frames, max, truncated);
		} else {
			size_t k = 0;

			n = inflame_unwind_dwarf_here(frames, max, truncated);
			while (k + 1 < n && hidden((uintptr_t)frames[k]) &&
			       hidden((uintptr_t)frames[k + 1]))
				k++; /* the last hidden frame stays, as the leaf (see walk) */
			if (k < n) {
				memmove(frames, frames + k, (n - k) * sizeof(*frames));
				n -= k;
			} else {
				n = 0;
			}
		}
	}
	if (n == 0)
		n = table_start(t, cache, uc, fp, frames, max, truncated, 0, &fell);
	return n;
}

size_t inflame_unwind_pick(enum inflame_unwind mode, struct inflame_thread *t, void *uc,
			   uintptr_t fp, uint64_t *frames, size_t max, int *truncated)
{
	size_t n;
	int nofp = 0, last_flags = -1, fell,
	    in_loader = atomic_load_explicit(&t->in_dl, memory_order_relaxed),
	    lu = !in_loader && inflame_unwind_dwarf_ready();
	uintptr_t tail;
	/* The thread's cache of code ranges, for the outermost producer only (a nested one, in a
	 * signal handler, could find it half updated). */
	struct inflame_code_cache *cache =
	    atomic_load_explicit(&t->producing, memory_order_relaxed) == 1 &&
		    inflame_modules_cache_begin(&t->code_cache) == 0
		? &t->code_cache
		: NULL;

	*truncated = 0;
	n = foreign_pick(t, cache, uc, fp, frames, max, truncated);
	if (n != (size_t)-1)
		return n;
	if ((int)mode & INFLAME_UNWIND_NO_LIBUNWIND) {
		lu = 0;
		mode = (enum inflame_unwind)((int)mode & ~INFLAME_UNWIND_NO_LIBUNWIND);
	}
	if (mode == INFLAME_UNWIND_DWARF) {
		n = table_start(t, cache, uc, fp, frames, max, truncated, lu, &fell);
		if (!fell)
			return n;
		return dwarf_walk(t, cache, uc, fp, frames, max, truncated);
	}
	/* Under auto the chain ends at the trampoline of a handler of the program's: the frame
	 * pointer there is the interrupted code's, whose own frame the chain would skip (the
	 * interrupted pc is in the signal frame), so the tables go on through the signal frame
	 * (finish_walk). The first AUTO_LOOK frames would tell that only for a handler a few
	 * frames deep. Under fp the chain goes on as it is. */
	n = unwind_fp(t, cache, uc, fp, frames, max, truncated, &tail,
		      mode == INFLAME_UNWIND_FP
			  ? 0
			  : atomic_load_explicit(&libc_sigreturn, memory_order_relaxed));
	if (mode == INFLAME_UNWIND_FP)
		return n;
	/* The walk of the thread's last allocation again: that record kept these very frames, so
	 * the policy below chose them (or the tables found the same). */
	if (cache && !uc && !inflame_unwind_dwarf_coming() &&
	    inflame_thread_same_stack(t, frames, n))
		return n;
	for (size_t i = 0; i < n && i < AUTO_LOOK; i++) {
		uintptr_t pc = (uintptr_t)frames[i];
		int f;

		if (!uc && hidden(pc))
			continue; /* the hook's own leaf: inflame, with frame pointers */
		/* Through the thread's cache; without it in a nested producer or while the
		 * table changes. */
		f = cache ? inflame_modules_cache_flags(cache, pc) : inflame_modules_code_flags(pc);
		if (f >= 0 && (f & INFLAME_MOD_LOADER)) {
			in_loader = 1;
			lu = 0;
		}
		/* code the map does not know (yet) counts as code without frame pointers */
		if ((f < 0 || !(f & INFLAME_MOD_FP)) && (i + 1 < n || n == 1)) {
			nofp = 1;
			/* An allocation hook's walk: the frames above come from a frame pointer
			 * that code did not keep (in a program built without them, words of
			 * its stack or heap, each a look-up of the code map in vain). */
			if (!uc)
				break;
		}
		if (i + 1 == n)
			last_flags = f;
	}
	if (!nofp) {
		/* (libunwind not loaded, now or at all: the tables still finish the walk) */
		if (in_loader)
			return n;
		if (n > AUTO_LOOK)
			last_flags = cache ? inflame_modules_cache_flags(cache, frames[n - 1])
					   : inflame_modules_code_flags(frames[n - 1]);
		return finish_walk(t, cache, uc, frames, n, max, truncated, tail, last_flags, lu);
	}
	n = table_start(t, cache, uc, fp, frames, max, truncated, lu, &fell);
	if (!fell)
		return n;
	return dwarf_walk(t, cache, uc, fp, frames, max, truncated);
}
