/* Unit tests for lib/ring.c: ordering, wrap-around, dropping when full, nested producers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ring.h"

#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct seen {
	uint64_t vals[100000];
	size_t n;
	uint16_t kinds[100000];
};

static void collect(void *arg, uint16_t kind, const void *payload, size_t len)
{
	struct seen *s = arg;
	uint64_t v;

	assert_true(len >= sizeof(v));
	memcpy(&v, payload, sizeof(v));
	s->kinds[s->n] = kind;
	s->vals[s->n++] = v;
}

static void put(struct inflame_ring *r, uint64_t v, size_t len)
{
	uint8_t *p = inflame_ring_reserve(r, len, 7);

	assert_non_null(p);
	memcpy(p, &v, sizeof(v));
	inflame_ring_commit(p);
}

/* Records come out in order with their kinds, across many wrap-arounds. */
static void test_order_and_wrap(void **state)
{
	static struct seen s;
	struct inflame_ring r;
	uint64_t next = 0;

	(void)state;
	assert_int_equal(inflame_ring_init(&r, 4096), 0);
	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 5; i++)
			put(&r, next++, 8 + (size_t)(round * 13 + i * 7) % 300);
		s.n = 0;
		assert_int_equal(inflame_ring_drain(&r, collect, &s), 5);
		for (int i = 0; i < 5; i++) {
			assert_int_equal(s.vals[i], next - 5 + (uint64_t)i);
			assert_int_equal(s.kinds[i], 7);
		}
	}
	assert_int_equal(atomic_load(&r.dropped), 0);
	inflame_ring_destroy(&r);
}

/* A full ring refuses records and counts them; space comes back after a drain. */
static void test_full_drops(void **state)
{
	static struct seen s;
	struct inflame_ring r;
	int ok = 0;

	(void)state;
	assert_int_equal(inflame_ring_init(&r, 4096), 0);
	for (int i = 0; i < 1000; i++) {
		void *p = inflame_ring_reserve(&r, 100, 1);

		if (p) {
			memcpy(p, &i, sizeof(i));
			inflame_ring_commit(p);
			ok++;
		}
	}
	assert_true(ok > 10 && ok < 1000);
	assert_int_equal(atomic_load(&r.dropped), (uint64_t)(1000 - ok));
	s.n = 0;
	assert_int_equal(inflame_ring_drain(&r, collect, &s), (size_t)ok);
	assert_non_null(inflame_ring_reserve(&r, 100, 1));
	/* A record bigger than half the ring is always refused. */
	assert_null(inflame_ring_reserve(&r, 3000, 1));
	inflame_ring_destroy(&r);
}

/* An uncommitted record hides everything after it until it is committed, as happens when a
 * signal handler produces while the interrupted code holds a reservation. */
static void test_nested_producer(void **state)
{
	static struct seen s;
	struct inflame_ring r;
	uint64_t outer_v = 1, inner_v = 2;
	uint8_t *outer, *inner;

	(void)state;
	assert_int_equal(inflame_ring_init(&r, 4096), 0);
	outer = inflame_ring_reserve(&r, 16, 1);
	inner = inflame_ring_reserve(&r, 16, 2);
	memcpy(inner, &inner_v, 8);
	inflame_ring_commit(inner);
	s.n = 0;
	assert_int_equal(inflame_ring_drain(&r, collect, &s), 0);
	memcpy(outer, &outer_v, 8);
	inflame_ring_commit(outer);
	assert_int_equal(inflame_ring_drain(&r, collect, &s), 2);
	assert_int_equal(s.vals[0], 1);
	assert_int_equal(s.vals[1], 2);
	inflame_ring_destroy(&r);
}

struct producer_arg {
	struct inflame_ring *r;
	uint64_t n;
	_Atomic int done;
};

static void *producer(void *p)
{
	struct producer_arg *a = p;

	for (uint64_t i = 0; i < a->n;) {
		uint8_t *q = inflame_ring_reserve(a->r, 8 + (size_t)(i % 64), 3);

		if (!q) {
			atomic_store(&a->r->dropped, 0);
			continue; /* retry: this test wants every value */
		}
		memcpy(q, &i, 8);
		inflame_ring_commit(q);
		i++;
	}
	atomic_store(&a->done, 1);
	return NULL;
}

struct check {
	uint64_t expect;
	int bad;
};

static void check_seq(void *arg, uint16_t kind, const void *payload, size_t len)
{
	struct check *c = arg;
	uint64_t v;

	memcpy(&v, payload, 8);
	if (v != c->expect++ || kind != 3 || len < 8)
		c->bad = 1;
}

/* One producer thread and one consumer: every value arrives exactly once, in order. */
static void test_concurrent(void **state)
{
	struct inflame_ring r;
	struct producer_arg a = {&r, 2000000, 0};
	struct check c = {0, 0};
	pthread_t t;

	(void)state;
	assert_int_equal(inflame_ring_init(&r, 65536), 0);
	assert_int_equal(pthread_create(&t, NULL, producer, &a), 0);
	while (!atomic_load(&a.done))
		inflame_ring_drain(&r, check_seq, &c);
	pthread_join(t, NULL);
	inflame_ring_drain(&r, check_seq, &c);
	assert_false(c.bad);
	assert_int_equal(c.expect, a.n);
	inflame_ring_destroy(&r);
}

/* Refuses values from 5 on: the drain stops there. */
/* A reset (a fork child's) discards what was claimed and not consumed, committed or not,
 * across the end of the ring, and leaves every byte zero although it only clears what was
 * claimed: the records after it come out alone. */
static void test_reset(void **state)
{
	static struct seen s;
	static const uint8_t zero[4096];
	struct inflame_ring r;
	uint8_t *open_rec;

	(void)state;
	assert_int_equal(inflame_ring_init(&r, 4096), 0);
	for (uint64_t i = 0; i < 30; i++)
		put(&r, i, 100);
	s.n = 0;
	assert_int_equal(inflame_ring_drain(&r, collect, &s), 30);
	for (uint64_t i = 0; i < 20; i++)
		put(&r, 100 + i, 120);		    /* wraps past the end */
	open_rec = inflame_ring_reserve(&r, 64, 7); /* claimed, never committed */
	assert_non_null(open_rec);
	memset(open_rec, 0xff, 64);
	inflame_ring_reset(&r);
	assert_int_equal(memcmp(r.data, zero, sizeof(zero)), 0);
	assert_int_equal(atomic_load(&r.head), 0);
	assert_int_equal(atomic_load(&r.tail), 0);
	s.n = 0;
	assert_int_equal(inflame_ring_drain(&r, collect, &s), 0);
	put(&r, 500, 16);
	assert_int_equal(inflame_ring_drain(&r, collect, &s), 1);
	assert_int_equal(s.vals[0], 500);
	inflame_ring_destroy(&r);
}

/* Whether page i of the ring is backed by memory (was ever touched). */
static int resident(const struct inflame_ring *r, size_t i)
{
	unsigned char vec[64];

	assert_true(r->size / 4096 <= sizeof(vec));
	assert_int_equal(mincore(r->data, r->size, vec), 0);
	return vec[i] & 1;
}

/* A fork child's reset of the ring its parent filled: the child's copy holds zeros and no page
 * (the mapping is wiped on fork where the kernel can), the reset touches none of them, and the
 * ring works; the parent's records are still there. The child reports through its exit
 * status: 0 all good, else the first check that failed. */
static void test_reset_forked(void **state)
{
	static struct seen s;
	static const uint8_t zero[16384];
	struct inflame_ring r;
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(inflame_ring_init(&r, 16384), 0);
	for (uint64_t i = 0; i < 40; i++)
		put(&r, i, 200); /* (8000 bytes: two pages and some) */
	assert_true(resident(&r, 0) && resident(&r, 1));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int code = 0;

		if (r.wiped_on_fork && (resident(&r, 0) || resident(&r, 1)))
			code = 1; /* the parent's pages came along */
		inflame_ring_reset_forked(&r);
		if (!code && r.wiped_on_fork && (resident(&r, 0) || resident(&r, 1)))
			code = 2; /* the reset touched them */
		if (!code && memcmp(r.data, zero, sizeof(zero)) != 0)
			code = 3;
		s.n = 0;
		if (!code && inflame_ring_drain(&r, collect, &s) != 0)
			code = 4;
		put(&r, 700, 16);
		if (!code && (inflame_ring_drain(&r, collect, &s) != 1 || s.vals[0] != 700))
			code = 5;
		_exit(code);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	s.n = 0;
	assert_int_equal(inflame_ring_drain(&r, collect, &s), 40);
	assert_int_equal(s.vals[39], 39);
	inflame_ring_destroy(&r);
}

/* A producer whose consumer keeps up starts over at the beginning of the ring once past its
 * half, rather than write into pages never used: records come out in order, and neither the
 * producer, the drains nor a reset ever touch the pages above (40 records of 208 bytes between
 * drains: the first half of a lap is consumed at most 8320 bytes after the producer passed it,
 * and the start over comes at the next page, by 32 KiB + 2 * 8320 + 4096: 13 of its 16 pages). */
static void test_rewind(void **state)
{
	static struct seen s;
	struct inflame_ring r;
	uint64_t next = 0;

	(void)state;
	assert_int_equal(inflame_ring_init(&r, 64 * 1024), 0);
	for (int round = 0; round < 100; round++) {
		for (int i = 0; i < 40; i++)
			put(&r, next++, 200);
		s.n = 0;
		assert_int_equal(inflame_ring_drain(&r, collect, &s), 40);
		for (int i = 0; i < 40; i++)
			assert_int_equal(s.vals[i], next - 40 + (uint64_t)i);
	}
	assert_int_equal(atomic_load(&r.dropped), 0);
	assert_true(atomic_load(&r.head) > 12 * r.size); /* it went round many times */
	assert_true(atomic_load(&r.hw) <= r.size / 2 + 2 * 8320 + 4096);
	assert_true(resident(&r, 0));
	for (size_t i = 13; i < 16; i++)
		assert_false(resident(&r, i));
	/* Not drained, then discarded as in a fork child: the pages above stay untouched. */
	for (int i = 0; i < 30; i++)
		put(&r, next++, 200);
	inflame_ring_reset(&r);
	for (size_t i = 13; i < 16; i++)
		assert_false(resident(&r, i));
	put(&r, 7, 16);
	s.n = 0;
	assert_int_equal(inflame_ring_drain(&r, collect, &s), 1);
	assert_int_equal(s.vals[0], 7);
	inflame_ring_destroy(&r);
}

static int below_five(void *arg, uint16_t kind, const void *payload, size_t len)
{
	uint64_t v;

	memcpy(&v, payload, sizeof(v));
	if (v >= 5)
		return 1;
	collect(arg, kind, payload, len);
	return 0;
}

/* A drain that refuses a record leaves it and those after it for the next drain, across
 * wrap-arounds, and frees only the space of what it took. */
static void test_drain_until(void **state)
{
	static struct seen s;
	struct inflame_ring r;

	(void)state;
	assert_int_equal(inflame_ring_init(&r, 4096), 0);
	for (int round = 0; round < 50; round++) {
		for (uint64_t v = 0; v < 10; v++)
			put(&r, v, 8 + (size_t)(round * 11 + (int)v * 5) % 200);
		s.n = 0;
		assert_int_equal(inflame_ring_drain_until(&r, below_five, &s), 5);
		assert_int_equal(s.n, 5);
		assert_int_equal(s.vals[4], 4);
		assert_true(inflame_ring_has_data(&r));
		assert_int_equal(inflame_ring_drain_until(&r, below_five, &s), 0);
		s.n = 0;
		assert_int_equal(inflame_ring_drain(&r, collect, &s), 5);
		assert_int_equal(s.vals[0], 5);
		assert_int_equal(s.vals[4], 9);
		assert_false(inflame_ring_has_data(&r));
	}
	inflame_ring_destroy(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_and_wrap),  cmocka_unit_test(test_drain_until),
	    cmocka_unit_test(test_rewind),	    cmocka_unit_test(test_full_drops),
	    cmocka_unit_test(test_nested_producer), cmocka_unit_test(test_concurrent),
	    cmocka_unit_test(test_reset),	    cmocka_unit_test(test_reset_forked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
