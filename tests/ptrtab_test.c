/* Unit tests for the preload's sampled-pointer table (preload/ptrtab_sigsafe.c) and bootstrap
 * arena (preload/arena_sigsafe.c): insert, find and remove with sizes, the filter's answers,
 * a full probe window, clearing, concurrent use by several threads; the count of keys that
 * lets a free skip the filter while the table is empty; arena blocks pinned in the
 * filter through clears and a new filter size; arena alignment, ownership, sizes and
 * exhaustion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arena.h"
#include "ptrtab.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static int setup(void **state)
{
	static int done;

	(void)state;
	if (!done)
		assert_int_equal(inflame_ptrtab_init(1 << 12, 0, 1), 0);
	done = 1;
	inflame_ptrtab_clear();
	return 0;
}

static void test_insert_remove(void **state)
{
	uint64_t size = 0;

	(void)state;
	for (uintptr_t i = 1; i <= 1000; i++)
		assert_int_equal(inflame_ptrtab_insert((void *)(i * 16 + 0x10000), i), 0);
	for (uintptr_t i = 1; i <= 1000; i++)
		assert_true(inflame_ptrtab_maybe((void *)(i * 16 + 0x10000)));
	for (uintptr_t i = 1; i <= 1000; i += 2) {
		assert_int_equal(inflame_ptrtab_remove((void *)(i * 16 + 0x10000), &size), 1);
		assert_int_equal(size, i);
	}
	/* Removed ones are gone; the others are still there with their sizes. */
	for (uintptr_t i = 1; i <= 1000; i++) {
		int there = inflame_ptrtab_remove((void *)(i * 16 + 0x10000), &size);

		assert_int_equal(there, i % 2 == 0);
		if (there)
			assert_int_equal(size, i);
	}
	/* Never inserted: not found, and the filter says so for most of them (500 keys in 2^12
	 * counters for this small table: about 12% false positives expected). */
	{
		int maybe = 0;

		for (uintptr_t i = 0; i < 10000; i++) {
			assert_int_equal(
			    inflame_ptrtab_remove((void *)(i * 16 + 0x7f0000000000), &size), 0);
			maybe += inflame_ptrtab_maybe((void *)(i * 16 + 0x7f0000000000));
		}
		assert_true(maybe < 2000);
	}
}

/* Reusing an address after its removal (tombstones are reused). */
static void test_reuse(void **state)
{
	uint64_t size;
	void *p = (void *)0x123450;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		assert_int_equal(inflame_ptrtab_insert(p, (uint64_t)i), 0);
		assert_int_equal(inflame_ptrtab_remove(p, &size), 1);
		assert_int_equal(size, (uint64_t)i);
	}
	assert_false(inflame_ptrtab_maybe(p));
}

/* More keys than the table has slots: insertions fail with ENOSPC, never overwrite, and every
 * inserted key is still found. */
static void test_full(void **state)
{
	static int ok[8192];
	uint64_t size;
	int failed = 0;

	(void)state;
	for (uintptr_t i = 0; i < 8192; i++) {
		int rc = inflame_ptrtab_insert((void *)(i * 48 + 0x200000), i);

		assert_true(rc == 0 || rc == -ENOSPC);
		ok[i] = rc == 0;
		failed += rc != 0;
	}
	assert_true(failed >= 8192 - 4096);
	for (uintptr_t i = 0; i < 8192; i++) {
		assert_int_equal(inflame_ptrtab_remove((void *)(i * 48 + 0x200000), &size), ok[i]);
		if (ok[i])
			assert_int_equal(size, i);
	}
}

static void test_clear(void **state)
{
	uint64_t size;

	(void)state;
	assert_int_equal(inflame_ptrtab_insert((void *)0x5550, 7), 0);
	inflame_ptrtab_clear();
	assert_false(inflame_ptrtab_maybe((void *)0x5550));
	assert_int_equal(inflame_ptrtab_remove((void *)0x5550, &size), 0);
}

/* Threads insert and remove disjoint keys at once; every key is found once. */
static void *churn(void *arg)
{
	uintptr_t base = (uintptr_t)arg;
	uint64_t size;

	for (int round = 0; round < 2000; round++) {
		for (uintptr_t i = 0; i < 200; i++)
			if (inflame_ptrtab_insert((void *)(base + i * 16), i) != 0)
				return (void *)1;
		for (uintptr_t i = 0; i < 200; i++)
			if (inflame_ptrtab_remove((void *)(base + i * 16), &size) != 1 || size != i)
				return (void *)2;
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(
		    pthread_create(&t[i], NULL, churn, (void *)(0x1000000ul * (i + 1))), 0);
	for (int i = 0; i < 4; i++) {
		void *ret;

		pthread_join(t[i], &ret);
		assert_null(ret);
	}
}

/* While the table is empty (and no arena block was pinned) the free fast path asks nothing
 * else: not even a bucket whose counter overflowed and stuck sends a free to the table. */
static void test_empty_skips_filter(void **state)
{
	uintptr_t base = 0x4440000;
	uint64_t size;

	(void)state;
	/* 256 keys in one page: its bucket's counter sticks at its maximum. */
	for (uintptr_t i = 0; i < 256; i++)
		assert_int_equal(inflame_ptrtab_insert((void *)(base + i * 16), i), 0);
	for (uintptr_t i = 0; i < 256; i++)
		assert_int_equal(inflame_ptrtab_remove((void *)(base + i * 16), &size), 1);
	assert_false(inflame_ptrtab_maybe((void *)base));
	assert_false(inflame_ptrtab_maybe((void *)(base + 16)));
	/* One key anywhere else: the sticky bucket answers "maybe" again. */
	assert_int_equal(inflame_ptrtab_insert((void *)0x9990000, 1), 0);
	assert_true(inflame_ptrtab_maybe((void *)(base + 16)));
	assert_true(inflame_ptrtab_maybe((void *)0x9990000));
	assert_int_equal(inflame_ptrtab_remove((void *)0x9990000, &size), 1);
	assert_false(inflame_ptrtab_maybe((void *)0x9990000));
	/* A clear (the fork child) forgets the keys' count with the keys. */
	assert_int_equal(inflame_ptrtab_insert((void *)0x9990000, 1), 0);
	inflame_ptrtab_clear();
	assert_false(inflame_ptrtab_maybe((void *)(base + 16)));
}

/* The free fast path asks the filter only: a pinned arena block must stay "maybe" through a
 * clear (fork child) and a new table with another filter size (start-up), while the counters of
 * sampled pointers are cleared. */
static void test_arena_pinned(void **state)
{
	void *a = inflame_arena_alloc(24, 16), *b;
	uint64_t size;
	int cleared = 0;

	(void)state;
	assert_non_null(a);
	inflame_ptrtab_pin(a);
	assert_true(inflame_ptrtab_maybe(a));
	for (uintptr_t i = 0; i < 64; i++)
		assert_int_equal(inflame_ptrtab_insert((void *)(0x6660000 + i * 16), 1), 0);
	inflame_ptrtab_clear();
	assert_true(inflame_ptrtab_maybe(a));
	for (uintptr_t i = 0; i < 64; i++)
		cleared += !inflame_ptrtab_maybe((void *)(0x6660000 + i * 16));
	assert_true(cleared >= 60); /* a few may share the pinned bucket */
	/* A bigger table: 2^15 filter buckets instead of 2^12, so a's bucket moves. */
	assert_int_equal(inflame_ptrtab_init(1 << 16, 0, 1), 0);
	assert_true(inflame_ptrtab_maybe(a));
	assert_int_equal(inflame_ptrtab_remove(a, &size), 0);
	/* A block handed out and pinned after the resize. */
	b = inflame_arena_alloc(40, 16);
	assert_non_null(b);
	inflame_ptrtab_pin(b);
	assert_true(inflame_ptrtab_maybe(b));
	/* Full tracing (no filter) and back: the arena's blocks are still pinned. */
	assert_int_equal(inflame_ptrtab_init(0, 0, 0), 0);
	assert_true(inflame_ptrtab_maybe((void *)0x7770000));
	assert_int_equal(inflame_ptrtab_init(1 << 12, 0, 1), 0);
	assert_true(inflame_ptrtab_maybe(a));
	assert_true(inflame_ptrtab_maybe(b));
	assert_false(
	    inflame_ptrtab_maybe((void *)0x7770000) && inflame_ptrtab_maybe((void *)0x7770010) &&
	    inflame_ptrtab_maybe((void *)0x7770020) && inflame_ptrtab_maybe((void *)0x7770030));
}

/* The mappings of this process, as /proc/self/maps lists them: at most max, start and end. */
static int list_maps(uintptr_t (*m)[2], int max)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &m[n][0], &m[n][1]) == 2)
			n++;
	fclose(f);
	return n;
}

/* Resident pages of the mappings in now that are not in was (the table made between the two
 * lists), counted by mincore: only those pages, not the whole process's resident set, whose
 * count moved by up to 40 pages between runs with the C library's and cmocka's own memory. */
static long new_resident_pages(uintptr_t (*was)[2], int nwas, uintptr_t (*now)[2], int nnow)
{
	long pages = 0;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	for (int i = 0; i < nnow; i++) {
		int old = 0;

		for (int j = 0; j < nwas && !old; j++)
			old = was[j][0] == now[i][0] && was[j][1] == now[i][1];
		if (old)
			continue;
		for (uintptr_t a = now[i][0]; a < now[i][1]; a += 64 * pg) {
			unsigned char v[64];
			size_t len = now[i][1] - a < 64 * pg ? now[i][1] - a : 64 * pg;

			if (mincore((void *)a, len, v) < 0)
				return -1;
			for (size_t k = 0; k < len / pg; k++)
				pages += v[k] & 1;
		}
	}
	return pages;
}

/* The keys of one heap share few pages of the table: 1000 sampled blocks spread over 64 MiB,
 * as the default rate (grain 4 KiB, 2^17 slots) places them, touch at most one page of the
 * table per MiB of the heap, 64, counted on the table's own mapping (before: a huge page of
 * 2 MiB, or up to 440 small pages without one). */
static void test_spread(void **state)
{
	uintptr_t base = 0x7e0000000000, x = 12345;
	uintptr_t at[1000];
	static uintptr_t was[4096][2], now[4096][2];
	uint64_t size;
	int nwas, nnow;
	long before, touched;

	(void)state;
	nwas = list_maps(was, 4096);
	assert_true(nwas > 0);
	assert_int_equal(inflame_ptrtab_init(1 << 17, 12, 1), 0);
	nnow = list_maps(now, 4096);
	assert_true(nnow > 0);
	before = new_resident_pages(was, nwas, now, nnow);
	assert_true(before >= 0);
	for (int i = 0; i < 1000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		at[i] = base + ((x >> 20) & ((64u << 20) - 1) & ~(uintptr_t)15);
		assert_int_equal(inflame_ptrtab_insert((void *)at[i], (uint64_t)i), 0);
	}
	/* (none: the table was not found among the new mappings, and the test proves nothing) */
	touched = new_resident_pages(was, nwas, now, nnow) - before;
	assert_true(touched > 0 && touched <= 64);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(inflame_ptrtab_remove((void *)at[i], &size), 1);
		assert_int_equal(size, (uint64_t)i);
	}
}

static void test_arena(void **state)
{
	size_t used = 0;
	void *p;

	(void)state;
	p = inflame_arena_alloc(10, 16);
	assert_non_null(p);
	assert_true(inflame_arena_owns(p));
	assert_int_equal(inflame_arena_size(p), 10);
	assert_int_equal((uintptr_t)p % 16, 0);
	p = inflame_arena_alloc(100, 4096);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 4096, 0);
	assert_int_equal(inflame_arena_size(p), 100);
	assert_false(inflame_arena_owns(&used));
	assert_false(inflame_arena_owns(NULL));
	/* Exhaustion: NULL, never memory outside the arena. */
	while ((p = inflame_arena_alloc(1000, 16)) != NULL) {
		assert_true(inflame_arena_owns(p));
		assert_true(inflame_arena_owns((char *)p + 999));
		used += 1000;
	}
	assert_true(used > INFLAME_ARENA_BYTES / 2);
	assert_null(inflame_arena_alloc(INFLAME_ARENA_BYTES * 2, 16));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_insert_remove, setup),
	    cmocka_unit_test_setup(test_reuse, setup),
	    cmocka_unit_test_setup(test_full, setup),
	    cmocka_unit_test_setup(test_clear, setup),
	    cmocka_unit_test_setup(test_threads, setup),
	    /* (before the arena's first pin, which makes every free ask the filter for good) */
	    cmocka_unit_test_setup(test_empty_skips_filter, setup),
	    cmocka_unit_test_setup(test_arena_pinned, setup),
	    cmocka_unit_test(test_arena),
	    cmocka_unit_test(test_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
