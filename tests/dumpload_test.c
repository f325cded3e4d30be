/* Unit tests for tools/input/dumpload.c: synthetic dumps written with lib/dump_write, loaded with
 * every view, with exact expected stacks and weights; root frames; missing stacks; torn and
 * damaged files. Frames live in a module whose file does not exist, so their names are
 * "[libfoo.so+0xoffset]" and do not depend on the machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dumpgen.h"
#include "input/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TID_MAIN   100
#define TID_WORKER 101

/* Stack 1: leaf 0x1100 in f, called from 0x1201 (return address) in g.
 * Stack 2: leaf 0x1300, called from 0x1201.
 * Names: "[libfoo.so+0x100]", "[libfoo.so+0x200]" (0x1201 - 1 - base), "[libfoo.so+0x300]". */
static void common(struct dumpgen *g)
{
	static const char *const argv[] = {"./prog", "--fast"};
	static const uint64_t s1[] = {0x1100, 0x1201}, s2[] = {0x1300, 0x1201};

	dg_process(g, 4242, "/usr/bin/prog", 2, argv, "cpu,wall,alloc", 99);
	dg_module(g, 1, 0x1000, 0x1000, 0x2000, "/nonexistent/libfoo.so", NULL, 0);
	dg_count(g, 2);
	dg_stack(g, 1, 2, s1);
	dg_stack(g, 2, 2, s2);
	dg_chunk(g, INFLAME_CHUNK_STACKS);
	dg_count(g, 1);
	dg_thread(g, TID_WORKER, "worker", 0);
	dg_chunk(g, INFLAME_CHUNK_THREADS);
}

/* cpu: s1 x3 (weights 2 + 1), s2 x1; wall: s1 5; alloc/free as in test_memory_views. */
static void build_full(char *path)
{
	struct dumpgen g;

	dg_begin(&g, 4242, INFLAME_FEAT_CPU | INFLAME_FEAT_WALL | INFLAME_FEAT_ALLOC);
	common(&g);
	dg_count(&g, 4);
	dg_sample(&g, 10, TID_MAIN, INFLAME_EV_CPU, 1, 2, 0, 0);
	dg_sample(&g, 5, TID_WORKER, INFLAME_EV_CPU, 1, 1, 0, 0); /* time steps back */
	dg_sample(&g, 20, TID_WORKER, INFLAME_EV_CPU, 2, 1, 0, 0);
	dg_sample(&g, 20, TID_MAIN, INFLAME_EV_WALL, 1, 5, 0, 0);
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	/* Live: 100, 150 (peak), 50, 80, 30, 40. */
	dg_count(&g, 6);
	dg_sample(&g, 30, TID_MAIN, INFLAME_EV_ALLOC, 1, 100, 64, 0xa000);
	dg_sample(&g, 31, TID_MAIN, INFLAME_EV_ALLOC, 2, 50, 32, 0xb000);
	dg_sample(&g, 32, TID_MAIN, INFLAME_EV_FREE, 0, 0, 64, 0xa000);
	dg_sample(&g, 33, TID_MAIN, INFLAME_EV_ALLOC, 1, 30, 16, 0xc000);
	dg_sample(&g, 34, TID_MAIN, INFLAME_EV_FREE, 0, 0, 32, 0xb000);
	dg_sample(&g, 35, TID_WORKER, INFLAME_EV_ALLOC, 2, 10, 8, 0xd000);
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	inflame_buf_put_varint(&g.b, 2);
	inflame_buf_put_varint(&g.b, INFLAME_STAT_DROPPED_RING);
	inflame_buf_put_varint(&g.b, 7);
	inflame_buf_put_varint(&g.b, INFLAME_STAT_DROPPED_STACKS);
	inflame_buf_put_varint(&g.b, 1);
	dg_chunk(&g, INFLAME_CHUNK_STATS);
	dg_end(&g, 40);
	assert_int_equal(dg_write(&g, path), 0);
}

/* Renders the set as "a;b;c count" lines joined by '|', sorted unless the set is ordered. */
static void render(struct inflame_stackset *ss, char *out, size_t outlen)
{
	size_t len = 0;

	if (!inflame_stackset_is_ordered(ss))
		inflame_stackset_sort(ss);
	out[0] = '\0';
	for (size_t i = 0; i < inflame_stackset_count(ss); i++) {
		const uint32_t *f;
		size_t n;
		uint64_t count;

		inflame_stackset_get(ss, i, &f, &n, &count);
		if (i)
			len += (size_t)snprintf(out + len, outlen - len, "|");
		for (size_t k = 0; k < n; k++)
			len += (size_t)snprintf(out + len, outlen - len, "%s%s", k ? ";" : "",
						inflame_stackset_name(ss, f[k], NULL));
		len +=
		    (size_t)snprintf(out + len, outlen - len, " %llu", (unsigned long long)count);
	}
}

/* Loads path with a view and options into a set (ordered when ordered is set); returns the
 * rendering, fills st. */
static int load_into(const char *path, enum inflame_view view, int threads, int pid, int ordered,
		     char *out, size_t outlen, struct inflame_load_stats *st)
{
	struct inflame_load_opts o;
	struct inflame_stackset *ss =
	    ordered ? inflame_stackset_new_ordered() : inflame_stackset_new();
	char err[256] = "";
	int rc;

	memset(&o, 0, sizeof(o));
	memset(st, 0, sizeof(*st));
	o.view = view;
	o.threads = threads;
	o.pid = pid;
	rc = inflame_dumpfile_load(path, &o, ss, st, err, sizeof(err));
	if (rc == 0)
		render(ss, out, outlen);
	else
		snprintf(out, outlen, "error: %s", err);
	inflame_stackset_free(ss);
	return rc;
}

static int load(const char *path, enum inflame_view view, int threads, int pid, char *out,
		size_t outlen, struct inflame_load_stats *st)
{
	return load_into(path, view, threads, pid, 0, out, outlen, st);
}

#define S1 "[libfoo.so+0x200];[libfoo.so+0x100]"
#define S2 "[libfoo.so+0x200];[libfoo.so+0x300]"

static void test_cpu_wall(void **state)
{
	struct inflame_load_stats st;
	char path[64], out[2048];

	(void)state;
	build_full(path);
	assert_int_equal(load(path, INFLAME_VIEW_CPU, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 3|" S2 " 1");
	assert_int_equal(st.samples, 3);
	assert_int_equal(st.view_used, INFLAME_VIEW_CPU);
	assert_int_equal(st.is_memory, 0);
	assert_int_equal(st.dropped, 8);
	assert_int_equal(st.torn_files, 0);
	assert_int_equal(st.incomplete_files, 0);
	assert_int_equal(st.missing_stacks, 0);

	assert_int_equal(load(path, INFLAME_VIEW_DEFAULT_, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 3|" S2 " 1");
	assert_int_equal(st.view_used, INFLAME_VIEW_CPU);

	assert_int_equal(load(path, INFLAME_VIEW_WALL, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 5");
	assert_int_equal(st.samples, 1);
	unlink(path);
}

/* NOTES chunks are read beside the samples: counted (with the ones lost) for the caller's
 * warnings, a malformed one counted as damaged, the samples unchanged. */
static void test_notes(void **state)
{
	struct inflame_load_stats st;
	struct dumpgen g;
	char path[64], out[2048];

	(void)state;
	dg_begin(&g, 4242, INFLAME_FEAT_CPU);
	common(&g);
	dg_count(&g, 2);
	dg_count(&g, 0);
	dg_note(&g, 0, INFLAME_NOTE_NOTICE, "first");
	dg_note(&g, 5, INFLAME_NOTE_NOTICE, "second");
	dg_chunk(&g, INFLAME_CHUNK_NOTES);
	dg_count(&g, 2);
	dg_sample(&g, 10, TID_MAIN, INFLAME_EV_CPU, 1, 2, 0, 0);
	dg_sample(&g, 20, TID_WORKER, INFLAME_EV_CPU, 2, 1, 0, 0);
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	dg_count(&g, 1);
	dg_count(&g, 1); /* one more did not fit */
	dg_note(&g, 30, INFLAME_NOTE_NOTICE, "third");
	dg_chunk(&g, INFLAME_CHUNK_NOTES);
	dg_count(&g, 9); /* nine notices announced, none there */
	dg_chunk(&g, INFLAME_CHUNK_NOTES);
	dg_end(&g, 40);
	assert_int_equal(dg_write(&g, path), 0);
	assert_int_equal(load(path, INFLAME_VIEW_CPU, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 2|" S2 " 1");
	assert_int_equal(st.notices, 4);
	assert_int_equal(st.damaged_chunks, 1);
	unlink(path);
	build_full(path);
	assert_int_equal(load(path, INFLAME_VIEW_CPU, 0, 0, out, sizeof(out), &st), 0);
	assert_int_equal(st.notices, 0);
	unlink(path);
}

static void test_root_frames(void **state)
{
	struct inflame_load_stats st;
	char path[64], out[2048];

	(void)state;
	build_full(path);
	assert_int_equal(load(path, INFLAME_VIEW_CPU, 1, 1, out, sizeof(out), &st), 0);
	/* The main thread has no THREADS record: it is named after the command. */
	assert_string_equal(out, "prog-4242;prog-100;" S1 " 2|"
				 "prog-4242;worker-101;" S1 " 1|"
				 "prog-4242;worker-101;" S2 " 1");
	assert_int_equal(load(path, INFLAME_VIEW_CPU, 0, 1, out, sizeof(out), &st), 0);
	assert_string_equal(out, "prog-4242;" S1 " 3|prog-4242;" S2 " 1");
	unlink(path);
}

/* --tid and --pid filters. */
static void test_filters(void **state)
{
	struct inflame_load_opts o;
	struct inflame_load_stats st;
	struct inflame_stackset *ss = inflame_stackset_new();
	char path[64], out[2048], err[256];

	(void)state;
	build_full(path);
	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	o.view = INFLAME_VIEW_CPU;
	o.only_tid = TID_WORKER;
	assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
	render(ss, out, sizeof(out));
	assert_string_equal(out, S1 " 1|" S2 " 1");
	inflame_stackset_free(ss);

	/* Live allocations of the main thread; frees by any thread still count. */
	ss = inflame_stackset_new();
	o.view = INFLAME_VIEW_LIVE;
	o.only_tid = TID_MAIN;
	assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
	render(ss, out, sizeof(out));
	assert_string_equal(out, S1 " 30");
	inflame_stackset_free(ss);

	ss = inflame_stackset_new();
	o.only_tid = 0;
	o.only_pid = 1;
	assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
	assert_int_equal(inflame_stackset_total(ss), 0);
	inflame_stackset_free(ss);
	unlink(path);
}

static void test_memory_views(void **state)
{
	struct inflame_load_stats st;
	char path[64], out[2048];

	(void)state;
	build_full(path);
	assert_int_equal(load(path, INFLAME_VIEW_ALLOC, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 130|" S2 " 60");
	assert_int_equal(st.is_memory, 1);
	assert_int_equal(st.samples, 4);
	/* Counts estimate allocations: each sample stands for weight / size of them (S1:
	 * 100/64 + 30/16 = 3.44, S2: 50/32 + 10/8 = 2.81), rounded after summing. */
	assert_int_equal(load(path, INFLAME_VIEW_ALLOC_COUNT, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 3|" S2 " 3");
	assert_int_equal(st.is_memory, 0);
	assert_int_equal(load(path, INFLAME_VIEW_LIVE, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 30|" S2 " 10");
	assert_int_equal(st.is_memory, 1);
	assert_int_equal(load(path, INFLAME_VIEW_LIVE_COUNT, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 2|" S2 " 1"); /* 30/16 = 1.88, 10/8 = 1.25 */
	assert_int_equal(load(path, INFLAME_VIEW_PEAK, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 100|" S2 " 50");
	assert_int_equal(st.view_used, INFLAME_VIEW_PEAK);
	assert_int_equal(load(path, INFLAME_VIEW_LIVE, 1, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, "prog-100;" S1 " 30|worker-101;" S2 " 10");
	unlink(path);
}

/* Flame charts: an ordered set gets the samples in time order (they are not in the file),
 * consecutive identical stacks merged; with --threads, one lane per thread in the order of
 * their first samples; live views order the live allocations by when they were made. */
static void test_chart_order(void **state)
{
	struct inflame_load_stats st;
	struct dumpgen g;
	char path[64], out[2048];

	(void)state;
	dg_begin(&g, 4242, INFLAME_FEAT_CPU);
	common(&g);
	dg_count(&g, 4);
	dg_sample(&g, 10, TID_MAIN, INFLAME_EV_CPU, 1, 1, 0, 0);
	dg_sample(&g, 5, TID_WORKER, INFLAME_EV_CPU, 1, 1, 0, 0);
	dg_sample(&g, 20, TID_WORKER, INFLAME_EV_CPU, 2, 1, 0, 0);
	dg_sample(&g, 30, TID_MAIN, INFLAME_EV_CPU, 1, 2, 0, 0);
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	dg_count(&g, 3);
	dg_sample(&g, 15, TID_MAIN, INFLAME_EV_CPU, 2, 1, 0, 0);
	dg_sample(&g, 25, TID_MAIN, INFLAME_EV_CPU, 2, 1, 0, 0);
	dg_sample(&g, 30, TID_MAIN, INFLAME_EV_WALL, 2, 1, 0, 0); /* another event */
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	dg_end(&g, 40);
	assert_int_equal(dg_write(&g, path), 0);

	/* 5 S1, 10 S1 | 15 S2, 20 S2, 25 S2 | 30 S1 (2). */
	assert_int_equal(load_into(path, INFLAME_VIEW_CPU, 0, 0, 1, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 2|" S2 " 3|" S1 " 2");
	assert_int_equal(st.samples, 6);
	assert_int_equal(load_into(path, INFLAME_VIEW_CPU, 1, 0, 1, out, sizeof(out), &st), 0);
	assert_string_equal(out, "worker-101;" S1 " 1|worker-101;" S2 " 1|"
				 "prog-100;" S1 " 1|prog-100;" S2 " 2|prog-100;" S1 " 2");
	/* Flame graphs still aggregate. */
	assert_int_equal(load_into(path, INFLAME_VIEW_CPU, 0, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 4|" S2 " 3");
	unlink(path);

	build_full(path);
	assert_int_equal(load_into(path, INFLAME_VIEW_LIVE, 0, 0, 1, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 30|" S2 " 10");
	assert_int_equal(load_into(path, INFLAME_VIEW_PEAK, 0, 0, 1, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 100|" S2 " 50");
	unlink(path);
}

/* Many allocations and frees in one table: exercises growth and deletion of the live set. */
static void test_live_churn(void **state)
{
	struct inflame_load_stats st;
	struct dumpgen g;
	char path[64], out[2048];

	(void)state;
	dg_begin(&g, 1, INFLAME_FEAT_ALLOC);
	common(&g);
	dg_count(&g, 3000);
	for (uint64_t i = 0; i < 2000; i++)
		dg_sample(&g, 1, 1, INFLAME_EV_ALLOC, 1 + (i & 1), 1, 1, 0x100000 + i * 16);
	for (uint64_t i = 0; i < 1000; i++) /* frees every odd-indexed one (stack 2) and more */
		dg_sample(&g, 2, 1, INFLAME_EV_FREE, 0, 0, 1, 0x100000 + (i * 2 + 1) * 16);
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	dg_end(&g, 3);
	assert_int_equal(dg_write(&g, path), 0);
	assert_int_equal(load(path, INFLAME_VIEW_LIVE, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 1000");
	assert_int_equal(load(path, INFLAME_VIEW_PEAK, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 1000|" S2 " 1000");
	/* A cpu view of an alloc-only dump is empty; the default picks alloc. */
	assert_int_equal(load(path, INFLAME_VIEW_CPU, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, "");
	assert_int_equal(load(path, INFLAME_VIEW_DEFAULT_, 0, 0, out, sizeof(out), &st), 0);
	assert_int_equal(st.view_used, INFLAME_VIEW_ALLOC);
	unlink(path);
}

/* ALLOCS chunks: events decode as in SAMPLES; a RESTORE brings back the block its thread freed
 * last at that address (a failed realloc) with its stack, size and allocating thread, and is
 * no allocation of its own; one from another thread, or for another address, does nothing. */
static void test_allocs_restore(void **state)
{
	struct inflame_load_stats st;
	struct dumpgen g;
	struct inflame_allocs_state a;
	char path[64], out[2048];

	(void)state;
	dg_begin(&g, 4242, INFLAME_FEAT_ALLOC);
	common(&g);
	a = (struct inflame_allocs_state){.time = g.start};
	dg_count(&g, 7);
	dg_alloc_event(&g, &a, 1,
		       (struct inflame_alloc_event){.event = INFLAME_EV_ALLOC,
						    .tid = TID_WORKER,
						    .stack = 1,
						    .weight = 100,
						    .size = 100,
						    .addr = 0xa000});
	dg_alloc_event(&g, &a, 2,
		       (struct inflame_alloc_event){.event = INFLAME_EV_ALLOC,
						    .tid = TID_MAIN,
						    .stack = 2,
						    .weight = 40,
						    .size = 40,
						    .addr = 0xb000});
	/* main reallocs the worker's block and fails: FREE, then RESTORE */
	dg_alloc_event(&g, &a, 3,
		       (struct inflame_alloc_event){
			   .event = INFLAME_EV_FREE, .tid = TID_MAIN, .addr = 0xa000});
	dg_alloc_event(
	    &g, &a, 4,
	    (struct inflame_alloc_event){
		.event = INFLAME_EV_ALLOC, .restore = 1, .tid = TID_MAIN, .addr = 0xa000});
	/* the worker frees main's block; a RESTORE of it by main does nothing */
	dg_alloc_event(&g, &a, 5,
		       (struct inflame_alloc_event){
			   .event = INFLAME_EV_FREE, .tid = TID_WORKER, .addr = 0xb000});
	dg_alloc_event(
	    &g, &a, 6,
	    (struct inflame_alloc_event){
		.event = INFLAME_EV_ALLOC, .restore = 1, .tid = TID_MAIN, .addr = 0xb000});
	/* a restore of an address its thread did not free last does nothing either */
	dg_alloc_event(
	    &g, &a, 7,
	    (struct inflame_alloc_event){
		.event = INFLAME_EV_ALLOC, .restore = 1, .tid = TID_WORKER, .addr = 0xc000});
	dg_chunk(&g, INFLAME_CHUNK_ALLOCS);
	dg_end(&g, 8);
	assert_int_equal(dg_write(&g, path), 0);
	assert_int_equal(load(path, INFLAME_VIEW_ALLOC, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 100|" S2 " 40");
	assert_int_equal(st.samples, 2);
	assert_int_equal(load(path, INFLAME_VIEW_LIVE, 1, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, "worker-101;" S1 " 100");
	assert_int_equal(load(path, INFLAME_VIEW_PEAK, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 100|" S2 " 40");
	/* --tid=worker: its block, freed and restored by main (frees and restores apply whoever
	 * made them); --tid=main: nothing (main's block was freed by the worker) */
	{
		struct inflame_load_opts o = {.view = INFLAME_VIEW_LIVE, .only_tid = TID_WORKER};
		struct inflame_stackset *ss = inflame_stackset_new();
		char err[256];

		assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
		render(ss, out, sizeof(out));
		assert_string_equal(out, S1 " 100");
		inflame_stackset_free(ss);
		ss = inflame_stackset_new();
		o.only_tid = TID_MAIN;
		assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
		render(ss, out, sizeof(out));
		assert_string_equal(out, "");
		inflame_stackset_free(ss);
	}
	unlink(path);
}

/* Loads paths[0..n) into one set with the view, chaining the dumps of each run as the commands
 * do for the live views; returns the rendering. */
static int load_chained(char **paths, int n, enum inflame_view view, int threads, char *out,
			size_t outlen)
{
	struct inflame_load_opts o = {.view = view, .threads = threads};
	struct inflame_stackset *ss = inflame_stackset_new();
	struct inflame_load_stats st = {0};
	char err[256] = "";
	int rc = inflame_live_chain_new((const char *const *)paths, (size_t)n, &o, &o.chain, err,
					sizeof(err));

	for (int i = 0; rc == 0 && i < n; i++)
		rc = inflame_dumpfile_load(paths[i], &o, ss, &st, err, sizeof(err));
	if (rc == 0)
		render(ss, out, outlen);
	else
		snprintf(out, outlen, "error: %s", err);
	inflame_live_chain_free(o.chain);
	inflame_stackset_free(ss);
	return rc;
}

/* One allocation event for an ALLOCS chunk. */
static struct inflame_alloc_event ev(uint32_t event, uint64_t tid, uint64_t stack, uint64_t size,
				     uint64_t addr)
{
	return (struct inflame_alloc_event){
	    .event = event, .tid = tid, .stack = stack, .weight = size, .size = size, .addr = addr};
}

/* A run written to two dumps (INFLAME_INTERVAL): the live views of both together replay them
 * in sequence order, whatever order they are given in, so a block allocated in the first and
 * freed in the second is not live, and one restored in the second (a failed realloc) keeps the
 * stack it had in the first, whose stack ids mean other stacks; the peak is the run's. A dump
 * of another process is not chained with them, and each dump alone still shows its own view. */
static void test_live_across_dumps(void **state)
{
	static const uint64_t s1[] = {0x1100, 0x1201}, s2[] = {0x1300, 0x1201};
	static const char *const argv[] = {"./prog"};
	struct inflame_allocs_state a;
	struct dumpgen g;
	char first[64], second[64], other[64], out[2048];
	char *paths[3];

	(void)state;
	/* The first dump: stacks 1 = S1 and 2 = S2 (common()). */
	dg_begin_seq(&g, 4242, INFLAME_FEAT_ALLOC, 0);
	common(&g);
	a = (struct inflame_allocs_state){.time = g.start};
	dg_count(&g, 3);
	dg_alloc_event(&g, &a, 1, ev(INFLAME_EV_ALLOC, TID_MAIN, 1, 100, 0xa000));
	dg_alloc_event(&g, &a, 2, ev(INFLAME_EV_ALLOC, TID_MAIN, 2, 50, 0xb000));
	dg_alloc_event(&g, &a, 3, ev(INFLAME_EV_ALLOC, TID_WORKER, 1, 7, 0xc000));
	dg_chunk(&g, INFLAME_CHUNK_ALLOCS);
	dg_end(&g, 4);
	assert_int_equal(dg_write(&g, first), 0);
	/* The second: its own table, where 1 = S2 and 2 = S1. */
	dg_begin_seq(&g, 4242, INFLAME_FEAT_ALLOC, 1);
	dg_process(&g, 4242, "/usr/bin/prog", 1, argv, "alloc", 99);
	dg_module(&g, 1, 0x1000, 0x1000, 0x2000, "/nonexistent/libfoo.so", NULL, 0);
	dg_count(&g, 2);
	dg_stack(&g, 1, 2, s2);
	dg_stack(&g, 2, 2, s1);
	dg_chunk(&g, INFLAME_CHUNK_STACKS);
	a = (struct inflame_allocs_state){.time = g.start};
	/* Live bytes of the run: 157 after the first dump; here 57, 87, 287 (the peak), 280,
	 * 287 again, 87. */
	dg_count(&g, 6);
	dg_alloc_event(&g, &a, 5, ev(INFLAME_EV_FREE, TID_WORKER, 0, 0, 0xa000));
	dg_alloc_event(&g, &a, 6, ev(INFLAME_EV_ALLOC, TID_MAIN, 1, 30, 0xd000));
	dg_alloc_event(&g, &a, 6, ev(INFLAME_EV_ALLOC, TID_MAIN, 1, 200, 0xe000));
	dg_alloc_event(&g, &a, 7, ev(INFLAME_EV_FREE, TID_MAIN, 0, 0, 0xc000));
	{
		struct inflame_alloc_event r = ev(INFLAME_EV_ALLOC, TID_MAIN, 0, 0, 0xc000);

		r.restore = 1;
		dg_alloc_event(&g, &a, 8, r);
	}
	dg_alloc_event(&g, &a, 8, ev(INFLAME_EV_FREE, TID_MAIN, 0, 0, 0xe000));
	dg_chunk(&g, INFLAME_CHUNK_ALLOCS);
	dg_end(&g, 9);
	assert_int_equal(dg_write(&g, second), 0);
	/* Another process, at the same addresses. */
	dg_begin_seq(&g, 777, INFLAME_FEAT_ALLOC, 1);
	common(&g);
	a = (struct inflame_allocs_state){.time = g.start};
	dg_count(&g, 1);
	dg_alloc_event(&g, &a, 1, ev(INFLAME_EV_ALLOC, TID_MAIN, 1, 1000, 0xa000));
	dg_chunk(&g, INFLAME_CHUNK_ALLOCS);
	dg_end(&g, 2);
	assert_int_equal(dg_write(&g, other), 0);

	/* Live at the end of the run: 0xb000 (S2, 50) and the restored 0xc000 (S1, 7) from the
	 * first dump, 0xd000 (S2, 30) from the second. */
	paths[0] = second;
	paths[1] = first;
	assert_int_equal(load_chained(paths, 2, INFLAME_VIEW_LIVE, 0, out, sizeof(out)), 0);
	assert_string_equal(out, S1 " 7|" S2 " 80");
	assert_int_equal(load_chained(paths, 2, INFLAME_VIEW_LIVE, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "prog-100;" S2 " 80|worker-101;" S1 " 7");
	assert_int_equal(load_chained(paths, 2, INFLAME_VIEW_LIVE_COUNT, 0, out, sizeof(out)), 0);
	assert_string_equal(out, S1 " 1|" S2 " 2");
	paths[2] = other;
	assert_int_equal(load_chained(paths, 3, INFLAME_VIEW_LIVE, 0, out, sizeof(out)), 0);
	assert_string_equal(out, S1 " 1007|" S2 " 80");
	/* The peak of the run is in the second dump: b, c, d and e then. */
	assert_int_equal(load_chained(paths, 2, INFLAME_VIEW_PEAK, 0, out, sizeof(out)), 0);
	assert_string_equal(out, S1 " 7|" S2 " 280");
	/* Bytes allocated are not chained: every dump counts its own. */
	assert_int_equal(load_chained(paths, 2, INFLAME_VIEW_ALLOC, 0, out, sizeof(out)), 0);
	assert_string_equal(out, S1 " 107|" S2 " 280");
	/* Alone, the first dump's live view is its own end, and its peak too. */
	paths[0] = first;
	assert_int_equal(load_chained(paths, 1, INFLAME_VIEW_LIVE, 0, out, sizeof(out)), 0);
	assert_string_equal(out, S1 " 107|" S2 " 50");
	assert_int_equal(load_chained(paths, 1, INFLAME_VIEW_PEAK, 0, out, sizeof(out)), 0);
	assert_string_equal(out, S1 " 107|" S2 " 50");
	unlink(first);
	unlink(second);
	unlink(other);
}

static void test_missing_stack(void **state)
{
	struct inflame_load_stats st;
	struct dumpgen g;
	char path[64], out[2048];

	(void)state;
	dg_begin(&g, 7, INFLAME_FEAT_CPU);
	common(&g);
	dg_count(&g, 3);
	dg_sample(&g, 1, 1, INFLAME_EV_CPU, 99, 1, 0, 0);
	dg_sample(&g, 1, 1, INFLAME_EV_CPU, UINT64_MAX, 2, 0, 0);
	dg_sample(&g, 1, 1, INFLAME_EV_CPU, 1, 1, 0, 0);
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	assert_int_equal(dg_write(&g, path), 0);
	assert_int_equal(load(path, INFLAME_VIEW_CPU, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 1|[missing stack] 3");
	assert_int_equal(st.missing_stacks, 2);
	/* No END chunk, but nothing cut: incomplete, not torn. */
	assert_int_equal(st.incomplete_files, 1);
	assert_int_equal(st.torn_files, 0);
	unlink(path);
}

/* A stack without frames (the unwinder found none): an "[empty stack]" frame, with or without
 * root frames; one whose frames are all in libinflame (a wall sample that found the thread in
 * the profiler's code): an "[inflame]" frame. So outputs that skip empty stacks (folded) and
 * those that count them at the root (the viewer) total the same. */
static void test_empty_stack(void **state)
{
	static const uint64_t own[] = {0x3100, 0x3201};
	struct inflame_load_stats st;
	struct dumpgen g;
	char path[64], out[2048];

	(void)state;
	dg_begin(&g, 7, INFLAME_FEAT_CPU | INFLAME_FEAT_WALL);
	common(&g);
	dg_module(&g, 2, 0x3000, 0x3000, 0x4000, "/nonexistent/libinflame.so", NULL, 0);
	dg_count(&g, 2);
	dg_stack(&g, 3, 0, NULL);
	dg_stack(&g, 4, 2, own);
	dg_chunk(&g, INFLAME_CHUNK_STACKS);
	dg_count(&g, 4);
	dg_sample(&g, 1, TID_MAIN, INFLAME_EV_WALL, 1, 5, 0, 0);
	dg_sample(&g, 2, TID_MAIN, INFLAME_EV_WALL, 3, 91, 0, 0);
	dg_sample(&g, 3, TID_WORKER, INFLAME_EV_WALL, 3, 2, 0, 0);
	dg_sample(&g, 4, TID_MAIN, INFLAME_EV_WALL, 4, 7, 0, 0);
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	dg_end(&g, 10);
	assert_int_equal(dg_write(&g, path), 0);
	assert_int_equal(load(path, INFLAME_VIEW_WALL, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, "[empty stack] 93|[inflame] 7|" S1 " 5");
	assert_int_equal(st.missing_stacks, 0);
	assert_int_equal(load(path, INFLAME_VIEW_WALL, 1, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, "prog-100;[empty stack] 91|prog-100;[inflame] 7|prog-100;" S1
				 " 5|worker-101;[empty stack] 2");
	unlink(path);
}

/* A torn tail keeps what came before; a damaged chunk (good checksum, bad payload) is
 * ignored as a whole. */
static void test_torn_and_damaged(void **state)
{
	struct inflame_load_stats st;
	struct dumpgen g;
	char path[64], out[2048];
	size_t keep;

	(void)state;
	dg_begin(&g, 7, INFLAME_FEAT_CPU);
	common(&g);
	dg_count(&g, 1);
	dg_sample(&g, 1, 1, INFLAME_EV_CPU, 1, 4, 0, 0);
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	/* Claims 3 samples, holds 2 and then garbage that does not decode as a third. */
	dg_count(&g, 3);
	dg_sample(&g, 1, 1, INFLAME_EV_CPU, 2, 1, 0, 0);
	dg_sample(&g, 1, 1, INFLAME_EV_CPU, 2, 1, 0, 0);
	inflame_buf_put(&g.b, "\x01\x02\x03\x04\xff", 5);
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	/* A stacks chunk with a lying count. */
	dg_count(&g, 1u << 30);
	dg_chunk(&g, INFLAME_CHUNK_STACKS);
	dg_count(&g, 1);
	dg_sample(&g, 1, 1, INFLAME_EV_CPU, 2, 8, 0, 0);
	keep = g.file.len;
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	g.file.len = keep + 10; /* cut in the middle of the last chunk */
	assert_int_equal(dg_write(&g, path), 0);
	assert_int_equal(load(path, INFLAME_VIEW_CPU, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 4");
	assert_int_equal(st.torn_files, 1);
	assert_int_equal(st.incomplete_files, 1);
	assert_int_equal(st.damaged_chunks, 2);
	unlink(path);
}

static void test_bad_files(void **state)
{
	struct inflame_load_stats st;
	char path[64] = "/tmp/inflame-test-XXXXXX", out[512];
	int fd;

	(void)state;
	assert_int_not_equal(
	    load("/nonexistent/dump", INFLAME_VIEW_CPU, 0, 0, out, sizeof(out), &st), 0);
	assert_non_null(strstr(out, "cannot open"));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd,
			       "# not a dump at all, just some text, long enough to map it\n"
			       "more text here to pass the header size.....\n",
			       104),
			 104);
	close(fd);
	assert_int_not_equal(load(path, INFLAME_VIEW_CPU, 0, 0, out, sizeof(out), &st), 0);
	assert_non_null(strstr(out, "not an inflame dump"));
	unlink(path);
}

/* Real symbols: a dump whose module is the symtest program, with addresses it reports. */
static void test_real_symbols(void **state)
{
	struct inflame_load_stats st;
	struct dumpgen g;
	char path[64], out[4096], prog[4096], cmd[4200], line[256], key[64], val[160];
	uint64_t bias = 0, lo = 0, hi = 0, alpha = 0, beta = 0, frames[2];
	const char *bd = getenv("INFLAME_BUILDDIR");
	uint8_t bid[20];
	FILE *f;

	(void)state;
	snprintf(prog, sizeof(prog), "%s/tests/progs/symtest", bd ? bd : ".");
	snprintf(cmd, sizeof(cmd), "'%s'", prog);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		uint64_t v;

		if (sscanf(line, "%63s %159s", key, val) != 2)
			continue;
		v = strtoull(val, NULL, 16);
		if (!strcmp(key, "bias"))
			bias = v;
		else if (!strcmp(key, "lo"))
			lo = v;
		else if (!strcmp(key, "hi"))
			hi = v;
		else if (!strcmp(key, "alpha"))
			alpha = v;
		else if (!strcmp(key, "beta"))
			beta = v;
	}
	assert_int_equal(pclose(f), 0);
	frames[0] = alpha + 2; /* leaf inside alpha */
	frames[1] = beta + 5;  /* return address inside beta */
	dg_begin(&g, 9, INFLAME_FEAT_CPU);
	dg_module(&g, 1, bias, lo, hi, prog, NULL, 0);
	dg_count(&g, 1);
	dg_stack(&g, 1, 2, frames);
	dg_chunk(&g, INFLAME_CHUNK_STACKS);
	/* A second generation with a build-id that does not match the file. */
	memset(bid, 0x5a, sizeof(bid));
	dg_module(&g, 2, bias, lo, hi, prog, bid, sizeof(bid));
	dg_count(&g, 1);
	dg_sample(&g, 1, 1, INFLAME_EV_CPU, 1, 1, 0, 0);
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	dg_end(&g, 2);
	assert_int_equal(dg_write(&g, path), 0);
	assert_int_equal(load(path, INFLAME_VIEW_DEFAULT_, 0, 0, out, sizeof(out), &st), 0);
	/* The later generation wins, and the file is not the build it names: offsets, not the
	 * names of another build's functions. */
	snprintf(line, sizeof(line), "[symtest+0x%llx];[symtest+0x%llx] 1",
		 (unsigned long long)(beta + 4 - bias), (unsigned long long)(alpha + 2 - bias));
	assert_string_equal(out, line);
	assert_int_equal(st.buildid_mismatch, 1);
	unlink(path);
}

/* Module paths from a hostile dump: a FIFO and a device must not block the symbolizer. */
static void test_hostile_module_paths(void **state)
{
	static const char *const paths[] = {"fifo", "/dev/zero", "/dev/tty"};
	struct inflame_load_stats st;
	char dir[] = "/tmp/inflame-test-XXXXXX", fifo[64], path[64], out[2048];
	uint64_t frames[2] = {0x401000, 0x401100};

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(20); /* a hang fails the test */
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct dumpgen g;

		dg_begin(&g, 7, INFLAME_FEAT_CPU);
		dg_module(&g, 1, 0, 0x400000, 0x402000, i == 0 ? fifo : paths[i], NULL, 0);
		dg_count(&g, 1);
		dg_stack(&g, 1, 2, frames);
		dg_chunk(&g, INFLAME_CHUNK_STACKS);
		dg_count(&g, 1);
		dg_sample(&g, 1, 1, INFLAME_EV_CPU, 1, 1, 0, 0);
		dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
		dg_end(&g, 2);
		assert_int_equal(dg_write(&g, path), 0);
		assert_int_equal(load(path, INFLAME_VIEW_CPU, 0, 0, out, sizeof(out), &st), 0);
		assert_non_null(strstr(out, "+0x401000]"));
		unlink(path);
	}
	alarm(0);
	unlink(fifo);
	rmdir(dir);
}

/* A million threads (real records) load in bounded time and memory; a count that lies
 * (more records than bytes) is a damaged chunk, not an allocation. */
static void test_many_threads_and_lying_counts(void **state)
{
	struct inflame_load_stats st;
	struct dumpgen g;
	char path[64], out[2048];
	uint64_t frames[1] = {0x401000};

	(void)state;
	alarm(60);
	dg_begin(&g, 7, INFLAME_FEAT_CPU);
	dg_count(&g, 1);
	dg_stack(&g, 1, 1, frames);
	dg_chunk(&g, INFLAME_CHUNK_STACKS);
	dg_count(&g, 1000000);
	for (uint64_t i = 0; i < 1000000; i++)
		dg_thread(&g, i + 1, "t", 0);
	dg_chunk(&g, INFLAME_CHUNK_THREADS);
	dg_count(&g, 1000000);
	for (uint64_t i = 0; i < 1000000; i++)
		dg_sample(&g, 1, i + 1, INFLAME_EV_CPU, 1, 1, 0, 0);
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	inflame_buf_put_varint(&g.b, UINT64_MAX / 2); /* lying count: 2^63 threads */
	dg_thread(&g, 1, "x", 0);
	dg_chunk(&g, INFLAME_CHUNK_THREADS);
	inflame_buf_put_varint(&g.b, UINT64_MAX / 2); /* and 2^63 stacks */
	dg_stack(&g, 2, 1, frames);
	dg_chunk(&g, INFLAME_CHUNK_STACKS);
	dg_end(&g, 2);
	assert_int_equal(dg_write(&g, path), 0);
	/* (one root frame per thread would render a million stacks: the test's buffer) */
	assert_int_equal(load(path, INFLAME_VIEW_CPU, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, "0x401000 1000000");
	assert_int_equal(st.samples, 1000000);
	assert_int_equal(st.damaged_chunks, 2);
	alarm(0);
	unlink(path);
}

/* One THREAD_CPU entry (dump_format.h). */
static void tcpu_entry(struct dumpgen *g, uint64_t tid, uint64_t flags, uint64_t user_ms,
		       uint64_t weight, uint64_t self_cpu, uint64_t self_wall)
{
	inflame_buf_put_varint(&g->b, tid);
	inflame_buf_put_varint(&g->b, flags);
	inflame_buf_put_varint(&g->b, user_ms * 1000000);
	inflame_buf_put_varint(&g->b, user_ms * 1000000);
	inflame_buf_put_varint(&g->b, 0);
	inflame_buf_put_varint(&g->b, weight);
	inflame_buf_put_varint(&g->b, self_cpu);
	inflame_buf_put_varint(&g->b, self_wall);
}

static void tcpu_head(struct dumpgen *g, uint64_t count)
{
	inflame_buf_put_varint(&g->b, 1000000); /* 1 ms a unit of weight */
	inflame_buf_put_varint(&g->b, INFLAME_TCPU_CLOCK_SYSTEM);
	inflame_buf_put_varint(&g->b, 0);
	inflame_buf_put_varint(&g->b, count);
}

/* THREAD_CPU: the worker's samples stand for 2 ms of its 500 and it is named in the warning;
 * main is covered. A later entry replaces an earlier one of the same thread, but a tid that
 * exited and comes back is a new thread (here the second one is covered). A malformed chunk
 * is counted as damaged and changes nothing. --show-profiler adds [inflame] per thread. */
static void test_coverage(void **state)
{
	struct inflame_load_opts o;
	struct inflame_load_stats st;
	struct inflame_stackset *ss;
	struct dumpgen g;
	char path[64], out[2048], err[256];

	(void)state;
	dg_begin(&g, 4242, INFLAME_FEAT_CPU | INFLAME_FEAT_WALL);
	common(&g);
	dg_count(&g, 3);
	dg_sample(&g, 10, TID_MAIN, INFLAME_EV_CPU, 1, 2, 0, 0);
	dg_sample(&g, 11, TID_WORKER, INFLAME_EV_CPU, 2, 2, 0, 0);
	dg_sample(&g, 12, TID_MAIN, INFLAME_EV_WALL, 1, 1, 0, 0);
	dg_chunk(&g, INFLAME_CHUNK_SAMPLES);
	tcpu_head(&g, 2);
	tcpu_entry(&g, TID_MAIN, 0, 100, 90, 0, 0);
	tcpu_entry(&g, TID_WORKER, 0, 100, 2, 0, 0);
	dg_chunk(&g, INFLAME_CHUNK_THREAD_CPU);
	tcpu_head(&g, 3);
	tcpu_entry(&g, TID_MAIN, 0, 400, 390, 7, 3);
	tcpu_entry(&g, TID_WORKER, INFLAME_TCPU_T_EXITED, 500, 2, 0, 0);
	tcpu_entry(&g, TID_WORKER, 0, 300, 300, 0, 0); /* a new thread with the same tid */
	dg_chunk(&g, INFLAME_CHUNK_THREAD_CPU);
	tcpu_head(&g, 5); /* says 5, holds 1 */
	tcpu_entry(&g, TID_MAIN, 0, 900, 0, 0, 0);
	dg_chunk(&g, INFLAME_CHUNK_THREAD_CPU);
	dg_end(&g, 40);
	assert_int_equal(dg_write(&g, path), 0);

	assert_int_equal(load(path, INFLAME_VIEW_CPU, 0, 0, out, sizeof(out), &st), 0);
	assert_string_equal(out, S1 " 2|" S2 " 2");
	assert_int_equal(st.low_coverage, 1);
	assert_string_equal(st.low_coverage_names, "worker (tid 101) 0%");
	assert_int_equal(st.damaged_chunks, 1);
	/* the wall view misses the same threads: it warns too */
	assert_int_equal(load(path, INFLAME_VIEW_WALL, 0, 0, out, sizeof(out), &st), 0);
	assert_int_equal(st.low_coverage, 1);

	memset(&o, 0, sizeof(o));
	o.view = INFLAME_VIEW_CPU;
	o.threads = 1;
	o.show_profiler = 1;
	ss = inflame_stackset_new();
	memset(&st, 0, sizeof(st));
	assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
	render(ss, out, sizeof(out));
	assert_string_equal(out, "prog-100;[inflame] 7|prog-100;" S1 " 2|worker-101;" S2 " 2");
	inflame_stackset_free(ss);
	o.view = INFLAME_VIEW_WALL;
	o.threads = 0;
	ss = inflame_stackset_new();
	assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
	render(ss, out, sizeof(out));
	assert_string_equal(out, "[inflame] 3|" S1 " 1");
	inflame_stackset_free(ss);
	unlink(path);
}

/* --from/--to: the samples of a range, split anywhere, add up to the whole; a list of threads. */
static void test_time_range(void **state)
{
	struct inflame_load_opts o;
	struct inflame_load_stats st;
	struct inflame_stackset *ss;
	char path[64], out[2048], err[256];
	static const long both[] = {TID_MAIN, TID_WORKER}, worker[] = {TID_WORKER, 7};
	static const char *const cuts[] = {"0",	    "0.005", "0.0050001", "0.01",
					   "0.015", "0.02",  "0.021",	  "1"};

	(void)state;
	build_full(path);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		uint64_t sum = 0;

		for (int half = 0; half < 2; half++) {
			memset(&o, 0, sizeof(o));
			memset(&st, 0, sizeof(st));
			o.view = INFLAME_VIEW_CPU;
			assert_int_equal(inflame_time_point_parse(cuts[i], half ? &o.from : &o.to),
					 0);
			ss = inflame_stackset_new();
			assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)),
					 0);
			sum += inflame_stackset_total(ss);
			inflame_stackset_free(ss);
		}
		assert_int_equal(sum, 4);
	}
	/* [5 ms, 10 ms): the worker's sample at 5 ms only. */
	memset(&o, 0, sizeof(o));
	o.view = INFLAME_VIEW_CPU;
	assert_int_equal(inflame_time_point_parse("0.005", &o.from), 0);
	assert_int_equal(inflame_time_point_parse("0.01", &o.to), 0);
	ss = inflame_stackset_new();
	assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
	render(ss, out, sizeof(out));
	assert_string_equal(out, S1 " 1");
	inflame_stackset_free(ss);
	/* The same as wall-clock times (the run starts at 1700000000.123456789, UTC). */
	assert_int_equal(inflame_time_point_parse("2023-11-14T22:13:20.128Z", &o.from), 0);
	assert_int_equal(inflame_time_point_parse("2023-11-14T22:13:20.133Z", &o.to), 0);
	ss = inflame_stackset_new();
	assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
	render(ss, out, sizeof(out));
	assert_string_equal(out, S1 " 1");
	inflame_stackset_free(ss);

	/* Live: events after the end do not happen (0xb000 is not freed), blocks allocated
	 * before the start are not shown. */
	memset(&o, 0, sizeof(o));
	o.view = INFLAME_VIEW_LIVE;
	assert_int_equal(inflame_time_point_parse("0.0335", &o.to), 0);
	ss = inflame_stackset_new();
	assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
	render(ss, out, sizeof(out));
	assert_string_equal(out, S1 " 30|" S2 " 50");
	inflame_stackset_free(ss);
	assert_int_equal(inflame_time_point_parse("0.032", &o.from), 0);
	ss = inflame_stackset_new();
	assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
	render(ss, out, sizeof(out));
	assert_string_equal(out, S1 " 30");
	inflame_stackset_free(ss);

	/* Alloc in a range: the allocations made in it. */
	memset(&o, 0, sizeof(o));
	o.view = INFLAME_VIEW_ALLOC;
	assert_int_equal(inflame_time_point_parse("0.031", &o.from), 0);
	assert_int_equal(inflame_time_point_parse("0.034", &o.to), 0);
	ss = inflame_stackset_new();
	assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
	render(ss, out, sizeof(out));
	assert_string_equal(out, S1 " 30|" S2 " 50");
	inflame_stackset_free(ss);

	/* Thread lists. */
	memset(&o, 0, sizeof(o));
	o.view = INFLAME_VIEW_CPU;
	o.tids = both;
	o.ntids = 2;
	ss = inflame_stackset_new();
	assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
	assert_int_equal(inflame_stackset_total(ss), 4);
	inflame_stackset_free(ss);
	o.tids = worker;
	ss = inflame_stackset_new();
	assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
	render(ss, out, sizeof(out));
	assert_string_equal(out, S1 " 1|" S2 " 1");
	inflame_stackset_free(ss);
	unlink(path);
}

/* The timeline: every sample with its stack in the set, thread, time and weight, in time
 * order; allocations with the time they were freed. */
static void test_timeline(void **state)
{
	struct inflame_load_opts o;
	struct inflame_load_stats st;
	struct inflame_timeline tl = {0};
	struct inflame_stackset *ss = inflame_stackset_new();
	char path[64], err[256];
	const uint32_t *f;
	size_t n;
	uint64_t count;

	(void)state;
	build_full(path);
	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	o.view = INFLAME_VIEW_CPU;
	o.timeline = &tl;
	assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
	inflame_timeline_finish(&tl);
	assert_int_equal(tl.nsamples, 3);
	assert_int_equal(tl.start_realtime, 1700000000123456789ull);
	assert_int_equal(tl.end, 40000000);
	assert_int_equal(tl.samples[0].time, 5000000);
	assert_int_equal(tl.samples[1].time, 10000000);
	assert_int_equal(tl.samples[2].time, 20000000);
	assert_int_equal(tl.samples[0].weight, 1);
	assert_int_equal(tl.samples[1].weight, 2);
	assert_int_equal(tl.samples[0].stack, tl.samples[1].stack);
	assert_int_not_equal(tl.samples[0].stack, tl.samples[2].stack);
	inflame_stackset_get(ss, tl.samples[2].stack, &f, &n, &count);
	assert_int_equal(count, 1);
	assert_string_equal(inflame_stackset_name(ss, f[n - 1], NULL), "[libfoo.so+0x300]");
	assert_int_equal(tl.nthreads, 2);
	assert_int_equal(tl.threads[tl.samples[0].thread].tid, TID_WORKER);
	assert_string_equal(tl.threads[tl.samples[0].thread].name, "worker");
	assert_int_equal(tl.threads[tl.samples[0].thread].pid, 4242);
	assert_int_equal(tl.threads[tl.samples[1].thread].tid, TID_MAIN);
	assert_string_equal(tl.threads[tl.samples[1].thread].name, "");
	for (size_t i = 0; i < tl.nsamples; i++)
		assert_int_equal(tl.samples[i].freed, -1);
	inflame_timeline_free(&tl);
	inflame_stackset_free(ss);

	/* Alloc: 0xa000 freed at 32 ms, 0xb000 at 34 ms, the others never. */
	ss = inflame_stackset_new();
	o.view = INFLAME_VIEW_ALLOC;
	assert_int_equal(inflame_dumpfile_load(path, &o, ss, &st, err, sizeof(err)), 0);
	inflame_timeline_finish(&tl);
	assert_int_equal(tl.nsamples, 4);
	assert_int_equal(tl.samples[0].weight, 100);
	assert_int_equal(tl.samples[0].freed, 32000000);
	assert_int_equal(tl.samples[1].weight, 50);
	assert_int_equal(tl.samples[1].freed, 34000000);
	assert_int_equal(tl.samples[2].freed, -1);
	assert_int_equal(tl.samples[3].time, 35000000);
	assert_int_equal(tl.samples[3].freed, -1);
	{
		uint64_t sum = 0;

		for (size_t i = 0; i < tl.nsamples; i++)
			sum += tl.samples[i].weight;
		assert_int_equal(sum, inflame_stackset_total(ss));
	}
	inflame_timeline_free(&tl);
	inflame_stackset_free(ss);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cpu_wall),
	    cmocka_unit_test(test_root_frames),
	    cmocka_unit_test(test_notes),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_memory_views),
	    cmocka_unit_test(test_live_churn),
	    cmocka_unit_test(test_allocs_restore),
	    cmocka_unit_test(test_live_across_dumps),
	    cmocka_unit_test(test_missing_stack),
	    cmocka_unit_test(test_empty_stack),
	    cmocka_unit_test(test_torn_and_damaged),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_real_symbols),
	    cmocka_unit_test(test_chart_order),
	    cmocka_unit_test(test_hostile_module_paths),
	    cmocka_unit_test(test_many_threads_and_lying_counts),
	    cmocka_unit_test(test_coverage),
	    cmocka_unit_test(test_time_range),
	    cmocka_unit_test(test_timeline),
	};

	unsetenv("DEBUGINFOD_URLS");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
