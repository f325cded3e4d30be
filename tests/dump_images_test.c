/* Unit tests for lib/dump_images.c and the reader's side of a file of several dump images (a
 * file short processes share): the spans of a file with complete dumps, placeholders whose dump
 * follows, a placeholder nothing follows, a MOVED stand-in, a dump cut short and garbage; the
 * reader stopping at the next image; and a reader opened by the name PATH@OFF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dump_images.h"
#include "dump_read.h"
#include "dumpgen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A file being put together from dumps, and where each starts. */
struct shared {
	struct inflame_buf f;
	size_t at[16];
	size_t n;
};

/* Appends a dump of pid: a placeholder (PROCESS only), a complete one, or a MOVED stand-in. */
enum kind { PLACEHOLDER, COMPLETE, MOVED };

static void add(struct shared *s, uint32_t pid, enum kind k)
{
	static const char *const argv[] = {"prog"};
	struct dumpgen g;

	dg_begin_seq(&g, pid, INFLAME_FEAT_CPU, 0);
	if (k == MOVED) {
		dg_str(&g, "/tmp/x.99.ifl");
		dg_chunk(&g, INFLAME_CHUNK_MOVED);
	} else {
		dg_process(&g, pid, "/bin/prog", 1, argv, "cpu", 999);
	}
	if (k == COMPLETE)
		dg_end(&g, 5);
	s->at[s->n++] = s->f.len;
	inflame_buf_put(&s->f, g.file.data, g.file.len);
	inflame_buf_free(&g.file);
	inflame_buf_free(&g.b);
}

static long spans(const struct shared *s, struct inflame_dump_span **v)
{
	long n = inflame_dump_spans(s->f.data, s->f.len, v);

	assert_true(n >= 0);
	return n;
}

static void test_placeholders(void **state)
{
	struct shared s = {0};
	struct inflame_dump_span *v;
	long n;

	(void)state;
	add(&s, 1, COMPLETE);
	add(&s, 2, PLACEHOLDER);
	add(&s, 3, PLACEHOLDER); /* killed: nothing follows */
	add(&s, 2, COMPLETE);
	add(&s, 4, PLACEHOLDER); /* went on in a file of its own */
	add(&s, 4, MOVED);
	add(&s, 5, COMPLETE);
	n = spans(&s, &v);
	assert_int_equal(n, 7);
	for (long i = 0; i < n; i++) {
		assert_int_equal(v[i].off, s.at[i]);
		assert_true(v[i].image);
		assert_false(v[i].torn);
	}
	assert_true(v[0].complete && !v[0].dropped && v[0].pid == 1);
	assert_true(!v[1].complete && v[1].dropped);
	assert_true(!v[2].complete && !v[2].dropped && v[2].pid == 3);
	assert_true(v[3].complete && !v[3].dropped && v[3].pid == 2);
	assert_true(v[4].dropped && v[5].dropped && v[5].moved);
	assert_true(v[6].complete && !v[6].dropped);
	free(v);
	inflame_buf_free(&s.f);
}

static void test_damage(void **state)
{
	struct shared s = {0}, t = {0};
	struct inflame_dump_span *v;
	size_t cut;
	long n;

	(void)state;
	add(&s, 1, COMPLETE);
	add(&s, 2, COMPLETE);
	add(&s, 3, COMPLETE);
	/* the second cut short, then garbage after the third, then the first again (pid 4) */
	cut = s.at[1] + (s.at[2] - s.at[1]) / 2;
	inflame_buf_put(&t.f, s.f.data, cut);
	inflame_buf_put(&t.f, s.f.data + s.at[2], s.f.len - s.at[2]);
	inflame_buf_put(&t.f, "garbage!", 8);
	add(&t, 4, COMPLETE);
	n = spans(&t, &v);
	assert_int_equal(n, 5);
	assert_true(v[0].complete && v[0].len == s.at[1]);
	assert_true(v[1].torn && v[1].pid == 2 && v[1].off + v[1].len == v[2].off);
	assert_true(v[2].complete && v[2].pid == 3);
	assert_true(!v[3].image && v[3].len == 8);
	assert_true(v[4].complete && v[4].pid == 4);
	/* the reader of the cut dump stops at its cut chunk, torn; never reads into the next */
	{
		struct inflame_dump_reader r;
		struct inflame_chunk c;

		assert_int_equal(inflame_dump_reader_init(&r, t.f.data + v[1].off, v[1].len), 0);
		while (inflame_dump_reader_next(&r, &c) == 1)
			assert_int_not_equal(c.type, INFLAME_CHUNK_END);
		assert_true(r.torn);
	}
	free(v);
	inflame_buf_free(&s.f);
	inflame_buf_free(&t.f);
}

static void test_reader_stops_at_next(void **state)
{
	struct shared s = {0};
	struct inflame_dump_reader r;
	struct inflame_chunk c;
	int chunks = 0;

	(void)state;
	add(&s, 7, PLACEHOLDER);
	add(&s, 8, COMPLETE);
	assert_int_equal(inflame_dump_reader_init(&r, s.f.data, s.f.len), 0);
	while (inflame_dump_reader_next(&r, &c) == 1)
		chunks++;
	assert_int_equal(chunks, 1);
	assert_false(r.torn);
	assert_false(r.complete);
	assert_int_equal(r.size, s.at[1]);
	inflame_buf_free(&s.f);
}

static void test_names(void **state)
{
	struct shared s = {0};
	struct inflame_dump_reader r;
	char path[64], name[128];
	size_t n, off;
	FILE *f;

	(void)state;
	assert_int_equal(inflame_dump_image_name_split("a/b.ifl@123", &n, &off), 1);
	assert_int_equal(n, 7);
	assert_int_equal(off, 123);
	assert_int_equal(inflame_dump_image_name_split("a@", &n, &off), 0);
	assert_int_equal(inflame_dump_image_name_split("@5", &n, &off), 0);
	assert_int_equal(inflame_dump_image_name_split("a@5x", &n, &off), 0);
	assert_int_equal(inflame_dump_image_name_split("a.ifl", &n, &off), 0);
	add(&s, 11, COMPLETE);
	add(&s, 12, COMPLETE);
	strcpy(path, "/tmp/inflame-images-XXXXXX");
	close(mkstemp(path));
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(s.f.data, 1, s.f.len, f), s.f.len);
	fclose(f);
	snprintf(name, sizeof(name), "%s@%zu", path, s.at[1]);
	assert_true(inflame_dump_image_named(name));
	assert_false(inflame_dump_image_named(path));
	assert_int_equal(inflame_dump_reader_open(&r, name), 0);
	assert_int_equal(r.hdr.pid, 12);
	inflame_dump_reader_close(&r);
	assert_int_equal(inflame_dump_reader_open(&r, path), 0);
	assert_int_equal(r.hdr.pid, 11);
	inflame_dump_reader_close(&r);
	unlink(path);
	inflame_buf_free(&s.f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_placeholders),
	    cmocka_unit_test(test_damage),
	    cmocka_unit_test(test_reader_stops_at_next),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
