/* The table walk (preload/unwind_sigsafe.c with preload/ehframe.c) against libunwind on the
 * same captured contexts: a worker thread of this program (built without frame pointers) runs
 * code through libc (qsort calling back into the program, snprintf, strtod, malloc and free,
 * memcpy), another thread interrupts it with signals, and the handler walks the interrupted
 * context with both unwinders, one after the other. The stacks must be the same frame by frame
 * (the leaf, every return address, the root) for nearly every sample; each one that differs
 * is printed. The tables are built as INFLAME_UNWIND=dwarf builds them, for every object.
 *
 * The table walk through the thread's walk cache (the outermost producer's) must give exactly
 * the frames of the walk without it, on every sample, and take frames from the cache on most;
 * test_walk_cache_callers walks the same frame reached from two different callers (the same
 * return address at the same stack pointer, different frames above it), where only the cache's
 * check of the slots above tells the two apart.
 *
 * test_lookup_during_refresh: the code map answers every lookup of loaded code while the
 * writer publishes it anew. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"
#include "modules.h"
#include "unwind.h"
#include "writer.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* What the preload's modules.c needs from the rest of the preload. */
void inflame_writer_request(int what)
{
	(void)what;
}

void inflame_log(enum inflame_log_level level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

int inflame__real_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *arg)
{
	return dl_iterate_phdr(cb, arg);
}

#define SAMPLES 600
#define DEPTH	64

struct sample {
	size_t na, nb, nc;
	uint64_t a[DEPTH], b[DEPTH], c[DEPTH]; /* tables, libunwind, tables with the walk cache */
};

static struct sample *samples;
static _Atomic size_t nsamples;
static struct inflame_thread worker_t;
static struct inflame_walk_cache worker_cache, main_cache;
static _Atomic pid_t worker_tid;
static _Atomic int stop;
volatile unsigned long sink;

static void handler(int sig, siginfo_t *si, void *uc)
{
	size_t i = atomic_load(&nsamples);
	int truncated;

	(void)sig;
	(void)si;
	if (i >= SAMPLES || syscall(SYS_gettid) != atomic_load(&worker_tid))
		return;
	samples[i].na =
	    inflame_unwind_table_context(uc, &worker_t, samples[i].a, DEPTH, &truncated);
	samples[i].nb = inflame_unwind_dwarf_context(uc, samples[i].b, DEPTH, &truncated);
	samples[i].nc =
	    inflame_unwind_table_context_cached(uc, &worker_t, samples[i].c, DEPTH, &truncated);
	atomic_store(&nsamples, i + 1);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	sink++;
	return x < y ? -1 : x > y;
}

__attribute__((noinline)) static void work_sort(int n)
{
	int *v = malloc(sizeof(int) * (size_t)n);

	for (int i = 0; i < n; i++)
		v[i] = (i * 7919) % n;
	qsort(v, (size_t)n, sizeof(int), cmp_int);
	sink += (unsigned long)v[n / 2];
	free(v);
}

__attribute__((noinline)) static void work_format(int n)
{
	char buf[128];

	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%d %f %s", i, i * 1.5, "x");
		sink += (unsigned long)strtod(buf + 2, NULL);
	}
}

__attribute__((noinline)) static void work_copy(int n)
{
	static char a[1 << 16], b[1 << 16];

	for (int i = 0; i < n; i++) {
		memcpy(a, b, sizeof(a));
		b[i & 0xffff] = (char)i;
	}
	sink += (unsigned long)a[5];
}

__attribute__((noinline)) static void recurse(int depth)
{
	volatile char pad[32];

	pad[0] = (char)depth;
	if (depth > 0) {
		recurse(depth - 1);
	} else {
		work_sort(20000);
		work_format(200);
		work_copy(20);
	}
	sink += (unsigned long)pad[0];
}

static void *worker(void *arg)
{
	pthread_attr_t a;
	void *lo;
	size_t size;

	(void)arg;
	pthread_getattr_np(pthread_self(), &a);
	pthread_attr_getstack(&a, &lo, &size);
	pthread_attr_destroy(&a);
	worker_t.stack_lo = (uintptr_t)lo;
	worker_t.stack_hi = (uintptr_t)lo + size;
	worker_t.walk_cache = &worker_cache;
	atomic_store(&worker_tid, (pid_t)syscall(SYS_gettid));
	while (!atomic_load(&stop))
		recurse((int)(sink % 5) + 3);
	return NULL;
}

static void test_same_stacks(void **state)
{
	struct sigaction sa;
	pthread_t th;
	size_t same = 0, n, shown = 0, cached_same = 0;
	struct timespec gap = {0, 300000};

	(void)state;
	assert_int_equal(inflame_unwind_dwarf_init(), 0);
	inflame_modules_want_tables(INFLAME_UNWIND_DWARF, 1);
	inflame_modules_refresh(1);
	samples = calloc(SAMPLES, sizeof(*samples));
	assert_non_null(samples);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGPROF, &sa, NULL);
	assert_int_equal(pthread_create(&th, NULL, worker, NULL), 0);
	while (!atomic_load(&worker_tid))
		nanosleep(&gap, NULL);
	for (int tries = 0; atomic_load(&nsamples) < SAMPLES && tries < 200000; tries++) {
		syscall(SYS_tgkill, getpid(), atomic_load(&worker_tid), SIGPROF);
		nanosleep(&gap, NULL);
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	n = atomic_load(&nsamples);
	assert_true(n >= SAMPLES / 2);
	for (size_t i = 0; i < n; i++) {
		const struct sample *s = &samples[i];

		if (s->na == s->nc && !memcmp(s->a, s->c, s->na * sizeof(s->a[0])))
			cached_same++;
		else
			print_message(
			    "sample %zu: %zu frames by the tables, %zu through the cache\n", i,
			    s->na, s->nc);
		if (s->na == s->nb && !memcmp(s->a, s->b, s->na * sizeof(s->a[0]))) {
			same++;
			continue;
		}
		if (shown++ < 8) {
			print_message("sample %zu: tables %zu frames, libunwind %zu\n", i, s->na,
				      s->nb);
			for (size_t k = 0; k < s->na || k < s->nb; k++) {
				Dl_info da, db;
				uint64_t fa = k < s->na ? s->a[k] : 0, fb = k < s->nb ? s->b[k] : 0;
				int ha = fa && dladdr((void *)(fa - (k ? 1 : 0)), &da) &&
					 da.dli_sname,
				    hb = fb && dladdr((void *)(fb - (k ? 1 : 0)), &db) &&
					 db.dli_sname;

				print_message(
				    "  %2zu %c %#18llx %-28s %#18llx %s+%#llx\n", k,
				    fa == fb ? ' ' : '*', (unsigned long long)fa,
				    ha ? da.dli_sname : "", (unsigned long long)fb,
				    hb ? db.dli_sname : "",
				    fb && dladdr((void *)fb, &db)
					? (unsigned long long)(fb - (uintptr_t)db.dli_fbase)
					: 0ull);
			}
		}
	}
	print_message("%zu of %zu samples: the same stack from both walks\n", same, n);
	/* The only differences allowed are samples that land where the two cannot agree by
	 * design (libunwind's own guesses where a signal hit the first or last instruction of a
	 * function); they are rare. */
	assert_true(same * 100 >= n * 98);
	print_message(
	    "walk cache: the same stack on %zu of %zu samples, %llu took frames from it\n",
	    cached_same, n, (unsigned long long)worker_cache.hits);
	assert_int_equal(cached_same, n);
	assert_true(worker_cache.hits * 2 >= n);
	free(samples);
}

/* test_walk_cache_callers: leaf() captures its context and walks it both ways; mid() is
 * called by top_a() and top_b(), which have the same frame size, from the same place in
 * callers(), so mid's frame has the same registers under both. */
static struct inflame_thread main_t;
static size_t n_plain, n_cached;
static uint64_t f_plain[DEPTH], f_cached[DEPTH];

__attribute__((noinline)) static void leaf(void)
{
	ucontext_t uc;
	int truncated;

	getcontext(&uc);
	n_plain = inflame_unwind_table_context(&uc, &main_t, f_plain, DEPTH, &truncated);
	n_cached = inflame_unwind_table_context_cached(&uc, &main_t, f_cached, DEPTH, &truncated);
	sink++;
}

__attribute__((noinline)) static void mid(int x)
{
	volatile char pad[48];

	pad[0] = (char)x;
	leaf();
	sink += (unsigned long)pad[0];
}

__attribute__((noinline)) static void top_a(int x)
{
	volatile char pad[80];

	pad[0] = (char)x;
	mid(x);
	sink += (unsigned long)pad[0];
}

__attribute__((noinline)) static void top_b(int x)
{
	volatile char pad[80];

	pad[0] = (char)x;
	mid(x + 1);
	sink += (unsigned long)pad[0] * 3;
}

__attribute__((noinline)) static void callers(void (*top)(int), int x)
{
	top(x);
	sink++;
}

static int same_walk(void)
{
	return n_plain > 4 && n_plain == n_cached &&
	       !memcmp(f_plain, f_cached, n_plain * sizeof(f_plain[0]));
}

/* main_t as the calling thread, its stack's bounds from the C library, walking through cache. */
static void main_thread_as_caller(struct inflame_walk_cache *cache)
{
	pthread_attr_t a;
	void *lo;
	size_t size;

	pthread_getattr_np(pthread_self(), &a);
	pthread_attr_getstack(&a, &lo, &size);
	pthread_attr_destroy(&a);
	main_t.stack_lo = (uintptr_t)lo;
	main_t.stack_hi = (uintptr_t)lo + size;
	main_t.walk_cache = cache;
}

/* The map a process's start makes (INFLAME_MODULES_NO_SCAN, before sampling) reads no object's
 * .eh_frame_hdr: the first walk through an object without a table finds its .eh_frame from
 * the header, and takes the same frames as after the writer's first cycle located it. Runs
 * first: no table is built yet (not eager), so both walks go by the objects' indexes. */
static struct inflame_walk_cache late_cache;

static void test_index_late(void **state)
{
	size_t n_late;
	uint64_t late[DEPTH];
	struct inflame_code code;

	(void)state;
	main_thread_as_caller(&late_cache);
	inflame_modules_want_tables(INFLAME_UNWIND_DWARF, 0);
	inflame_modules_refresh(INFLAME_MODULES_FORCE | INFLAME_MODULES_NO_SCAN);
	/* (one call site for both walks: the same stack) */
	for (int located = 0; located < 2; located++) {
		if (located) /* the writer's first cycle */
			inflame_modules_refresh(INFLAME_MODULES_FORCE);
		assert_true(inflame_modules_lookup((uintptr_t)&mid, &code) >= 0);
		assert_null(code.tab);
		assert_non_null(code.hdr);
		assert_int_equal(!!(code.flags & INFLAME_MOD_EH_SEG), !located);
		callers(top_a, 1);
		assert_true(same_walk());
		if (!located) {
			n_late = n_plain;
			memcpy(late, f_plain, sizeof(late));
		}
	}
	assert_int_equal(n_plain, n_late);
	assert_memory_equal(f_plain, late, n_late * sizeof(late[0]));
	main_t.walk_cache = NULL;
}

static void test_walk_cache_callers(void **state)
{
	uint64_t hits;
	uint64_t via_a[DEPTH];
	size_t n_a;

	(void)state;
	main_thread_as_caller(&main_cache);
	callers(top_a, 1);
	assert_true(same_walk());
	n_a = n_plain;
	memcpy(via_a, f_plain, sizeof(via_a));
	hits = main_cache.hits;
	callers(top_a, 1); /* the same stack: from the cache */
	assert_true(same_walk());
	assert_true(main_cache.hits > hits);
	callers(top_b, 1); /* mid at the same place, under another caller */
	assert_true(same_walk());
	assert_true(n_plain == n_a && memcmp(via_a, f_plain, n_a * sizeof(via_a[0])) != 0);
	for (int i = 0; i < 50; i++) {
		callers(i & 1 ? top_b : top_a, i);
		assert_true(same_walk());
	}
}

/* test_lookup_during_refresh: the writer republishes the code map while walks look addresses
 * up. A refresh of the map is single-stepped (x86_64's trap flag), and the trap's handler looks
 * up code that stays loaded after every instruction of it, halfway through the publish too: it
 * must be found every time. A miss made the walks take a frame-pointer step in code without
 * frame pointers (e2e_alloc_test lost a caller; e2e_roots_test's stacks ended at operator new,
 * remembered as the thread's stack from then on). Elsewhere: lookups from another thread during
 * refreshes in a loop (a miss there is a matter of luck). */
static _Atomic int stepping;
static _Atomic unsigned long looked, missed;

static void count_lookup(void)
{
	struct inflame_code c;

	atomic_fetch_add(&looked, 1);
	if (inflame_modules_lookup((uintptr_t)&mid, &c) < 0 ||
	    inflame_modules_lookup((uintptr_t)&memcpy, &c) < 0)
		atomic_fetch_add(&missed, 1);
}

#if defined(__x86_64__)
#define TRAP_FLAG 0x100

static void step_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)si;
	if (sig == SIGTRAP)
		count_lookup();
	if (atomic_load(&stepping))
		uc->uc_mcontext.gregs[REG_EFL] |= TRAP_FLAG;
	else
		uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)TRAP_FLAG;
}

static void refresh_observed(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = step_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTRAP, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	atomic_store(&stepping, 1);
	raise(SIGUSR2); /* returns with the trap flag set */
	inflame_modules_refresh(INFLAME_MODULES_FORCE);
	atomic_store(&stepping, 0);
	sink++; /* the next trap clears the flag */
	sink++;
}
#else
static _Atomic int refreshing;

static void *refresher(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3000; i++)
		inflame_modules_refresh(INFLAME_MODULES_FORCE);
	atomic_store(&refreshing, 0);
	return NULL;
}

static void refresh_observed(void)
{
	pthread_t th;

	atomic_store(&refreshing, 1);
	assert_int_equal(pthread_create(&th, NULL, refresher, NULL), 0);
	while (atomic_load(&refreshing))
		count_lookup();
	pthread_join(th, NULL);
}
#endif

static void test_lookup_during_refresh(void **state)
{
	(void)state;
	inflame_modules_want_tables(INFLAME_UNWIND_DWARF, 1);
	inflame_modules_refresh(INFLAME_MODULES_FORCE);
	count_lookup();
	assert_int_equal(atomic_load(&missed), 0);
	refresh_observed();
	print_message("%lu of %lu lookups during a refresh of the code map missed\n",
		      atomic_load(&missed), atomic_load(&looked));
	assert_true(atomic_load(&looked) > 1000);
	assert_int_equal(atomic_load(&missed), 0);
}

/* test_lazy_binding: a walk from inside ld.so's lazy-binding trampoline, whose CFA is rbx +
 * 56 (rbx holds the stack pointer from before it aligned the stack), reached through
 * _dl_fixup, which saved rbx: the walk must pass the trampoline and reach the function that
 * called through the PLT (lazy_caller's return address) with every frame libunwind finds. */
static size_t n_lazy, n_lazy_lu;
static uint64_t f_lazy[DEPTH], f_lazy_lu[DEPTH];
static uintptr_t lazy_ra;

static void lazy_walk(void)
{
	ucontext_t uc;
	int truncated;

	getcontext(&uc);
	n_lazy = inflame_unwind_table_context(&uc, &main_t, f_lazy, DEPTH, &truncated);
	n_lazy_lu = inflame_unwind_dwarf_context(&uc, f_lazy_lu, DEPTH, &truncated);
}

__attribute__((noinline)) static int lazy_caller(int (*entry)(int))
{
	lazy_ra = (uintptr_t)__builtin_return_address(0);
	int v = entry(1);

	sink++; /* no tail call: this frame stays */
	return v;
}

/* Whether frame pc (a return address) lies in code whose table row bases the CFA on a
 * register other than the stack and frame pointers. */
static int in_reg_cfa(uint64_t pc)
{
	struct inflame_code c;
	const struct inflame_eh_row *r;

	if (inflame_modules_lookup((uintptr_t)pc - 1, &c) < 0 || !c.tab)
		return 0;
	r = inflame_ehframe_find(c.tab, pc - 1 - c.base);
	return r && r->kind == INFLAME_EH_CFA_REG;
}

static void test_lazy_binding(void **state)
{
	void *h = dlopen(LAZYRES_SO, RTLD_LAZY | RTLD_LOCAL);
	int (*entry)(int);
	void (**hook)(void);
	size_t i, reg = 0;
	int found = 0;

	(void)state;
	assert_non_null(h);
	entry = (int (*)(int))dlsym(h, "lazy_entry");
	hook = (void (**)(void))dlsym(h, "lazy_hook");
	assert_non_null(entry);
	assert_non_null(hook);
	*hook = lazy_walk;
	inflame_modules_want_tables(INFLAME_UNWIND_DWARF, 1);
	inflame_modules_refresh(1);
	assert_int_equal(lazy_caller(entry), 4);
	assert_true(n_lazy > 4);
	for (i = 0; i < n_lazy; i++) {
		reg += in_reg_cfa(f_lazy[i]);
		found |= f_lazy[i] == lazy_ra;
	}
	if (getenv("LD_BIND_NOW") == NULL)
		assert_true(reg > 0); /* the walk went through the trampoline */
	assert_true(found);
	/* frame by frame as libunwind, but for the leaf (getcontext's return, the same place) */
	assert_int_equal(n_lazy, n_lazy_lu);
	for (i = 1; i < n_lazy; i++)
		assert_int_equal(f_lazy[i], f_lazy_lu[i]);
	dlclose(h);
}

/* test_fp_junk: frame-pointer chains built by hand on this thread's stack. The outermost word
 * of a chain that ends is not taken as a return address unless it is code; text, a stack
 * address or an unknown address end the walk; an unknown address (generated code) inside a
 * chain that goes on stays when a code address comes above it, not when the chain ends in
 * unknown addresses. */
static void test_fp_junk(void **state)
{
	uintptr_t st[16] __attribute__((aligned(16)));
	uint64_t out[DEPTH];
	uintptr_t code = (uintptr_t)test_walk_cache_callers + 1, anon = (uintptr_t)0x10000000;
	const uintptr_t junk[] = {(uintptr_t)0x76616a2f6d766a2eull, (uintptr_t)&st[12], anon};
	int truncated;

	(void)state;
	inflame_modules_refresh(1);
	assert_true(inflame_modules_is_code(code));
	assert_false(inflame_modules_is_code(anon));
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		st[0] = (uintptr_t)&st[4], st[1] = code;
		st[4] = 0, st[5] = junk[i];
		assert_int_equal(
		    inflame_unwind_fp_from(&main_t, (uintptr_t)st, out, DEPTH, &truncated), 1);
		assert_int_equal(out[0], code);
		st[4] = (uintptr_t)&st[2]; /* pointing down: the chain ends just as well */
		assert_int_equal(
		    inflame_unwind_fp_from(&main_t, (uintptr_t)st, out, DEPTH, &truncated), 1);
	}
	/* generated code in the middle of a chain; then code again, where it ends */
	st[0] = (uintptr_t)&st[4], st[1] = code;
	st[4] = (uintptr_t)&st[8], st[5] = anon;
	st[8] = 0, st[9] = code + 1;
	assert_int_equal(inflame_unwind_fp_from(&main_t, (uintptr_t)st, out, DEPTH, &truncated), 3);
	assert_int_equal(out[1], anon);
	assert_int_equal(out[2], code + 1);
	/* generated code, then text: nothing above the unknown address, which goes too */
	st[9] = (uintptr_t)0x76616a2f6d766a2eull;
	assert_int_equal(inflame_unwind_fp_from(&main_t, (uintptr_t)st, out, DEPTH, &truncated), 1);
	st[8] = (uintptr_t)&st[12], st[9] = anon, st[12] = 0, st[13] = anon + 64;
	assert_int_equal(inflame_unwind_fp_from(&main_t, (uintptr_t)st, out, DEPTH, &truncated), 1);
	/* text in the middle of a chain ends it all the same */
	st[5] = (uintptr_t)0x76616a2f6d766a2eull;
	assert_int_equal(inflame_unwind_fp_from(&main_t, (uintptr_t)st, out, DEPTH, &truncated), 1);
}

/* The map's trust mark (modules.h): a walk that a dlclose overlapped, or that began while the
 * map was not refreshed since one, cannot prove that every lookup was answered, so its stack is
 * not remembered for the same-stack shortcut (sample_sigsafe.c). A close that begins and ends
 * within the walk must be seen too. */
static void test_trust_mark(void **state)
{
	unsigned mark;

	(void)state;
	inflame_modules_refresh(INFLAME_MODULES_FORCE);
	mark = inflame_modules_trust_mark();
	assert_true(inflame_modules_trust_kept(mark));
	/* a close within the walk */
	inflame_modules_close_begin();
	assert_false(inflame_modules_trust_kept(mark));
	assert_false(inflame_modules_trust_kept(inflame_modules_trust_mark()));
	inflame_modules_close_end();
	assert_false(inflame_modules_trust_kept(mark));
	/* a walk that begins after the close, before the writer's refresh */
	assert_false(inflame_modules_trust_kept(inflame_modules_trust_mark()));
	inflame_modules_refresh(0);
	mark = inflame_modules_trust_mark();
	assert_true(inflame_modules_trust_kept(mark));
	/* a close begun and ended, then a refresh, all within the walk */
	inflame_modules_close_begin();
	inflame_modules_close_end();
	inflame_modules_refresh(0);
	assert_true(inflame_modules_trust_kept(inflame_modules_trust_mark()));
	assert_false(inflame_modules_trust_kept(mark));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_index_late),	       cmocka_unit_test(test_same_stacks),
	    cmocka_unit_test(test_walk_cache_callers), cmocka_unit_test(test_lookup_during_refresh),
	    cmocka_unit_test(test_lazy_binding),       cmocka_unit_test(test_fp_junk),
	    cmocka_unit_test(test_trust_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
