/* Unit tests for tools/export/protobuf.c (wire bytes of known values), tools/export/pprof.c
 * (labels from root frames, ids, safe names, gzip) and tools/view/diff.c (share changes). The
 * whole-file checks against independent readers are in tests/pprof_test.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "export/pprof.h"
#include "export/protobuf.h"
#include "view/diff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void test_varints(void **state)
{
	struct inflame_pb b = {0};
	static const uint8_t want[] = {
	    0x08, 0x96, 0x01,						      /* field 1 = 150 */
	    0x10, 0x00,							      /* field 2 = 0 */
	    0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* field 3 = -1 */
	    0x22, 0x03, 'a',  'b',  'c',				      /* field 4 = "abc" */
	    0x2a, 0x04, 0x01, 0xac, 0x02, 0x00, /* field 5 packed [1, 300, 0] */
	};
	uint64_t packed[] = {1, 300, 0};

	(void)state;
	inflame_pb_uint(&b, 1, 150);
	inflame_pb_uint(&b, 2, 0);
	inflame_pb_int(&b, 3, -1);
	inflame_pb_bytes(&b, 4, "abc", 3);
	inflame_pb_packed(&b, 5, packed, 3);
	inflame_pb_packed(&b, 6, packed, 0); /* nothing */
	assert_false(b.oom);
	assert_int_equal(b.n, sizeof(want));
	assert_memory_equal(b.d, want, sizeof(want));
	inflame_pb_free(&b);
}

/* Reads a varint at *p; advances. */
static uint64_t rd(const uint8_t **p)
{
	uint64_t v = 0;
	int s = 0;

	while (**p & 0x80)
		v |= (uint64_t)(*(*p)++ & 0x7f) << (s += 7, s - 7);
	v |= (uint64_t)(*(*p)++) << s;
	return v;
}

/* The string table entries of an encoded profile, in order, joined by '|'. */
static void strings_of(const uint8_t *d, size_t n, char *out, size_t outlen)
{
	const uint8_t *p = d, *end = d + n;

	out[0] = '\0';
	while (p < end) {
		uint64_t key = rd(&p), len;

		if ((key & 7) == 0) {
			rd(&p);
			continue;
		}
		len = rd(&p);
		if (key >> 3 == 6) {
			strncat(out, (const char *)p, len < outlen - strlen(out) - 2 ? len : 0);
			strcat(out, "|");
		}
		p += len;
	}
}

static void test_profile(void **state)
{
	struct inflame_stackset *ss = inflame_stackset_new();
	struct inflame_pprof *p = inflame_pprof_new();
	struct inflame_pprof_fill fill = {.pid_root = 1, .thread_root = 1, .ncols = 2};
	uint32_t s1[4], s2[3];
	uint8_t *raw, *gz, back[4096];
	size_t len, gzlen;
	uLongf backlen = sizeof(back);
	char strs[1024];
	z_stream z;

	(void)state;
	s1[0] = inflame_stackset_intern(ss, "prog-42", 7);
	s1[1] = inflame_stackset_intern(ss, "worker-x-43", 11);
	s1[2] = inflame_stackset_intern(ss, "main", 4);
	s1[3] = inflame_stackset_intern(ss, "bad\xff\x01name", 9);
	memcpy(s2, s1, 3 * sizeof(*s2));
	assert_int_equal(inflame_stackset_add(ss, s1, 4, 3), 0);
	assert_int_equal(inflame_stackset_add(ss, s2, 3, 2), 0);
	assert_int_equal(inflame_pprof_sample_type(p, "samples", "count"), 0);
	assert_int_equal(inflame_pprof_sample_type(p, "cpu", "nanoseconds"), 1);
	assert_int_equal(inflame_pprof_sample_type(p, "cpu", "nanoseconds"), 1);
	fill.col[0] = 0;
	fill.mul[0] = 1;
	fill.col[1] = 1;
	fill.mul[1] = 1000;
	assert_int_equal(inflame_pprof_add(p, ss, &fill), 0);
	assert_int_equal(inflame_pprof_nsamples(p), 2);
	/* Types cannot be added once samples are in. */
	assert_int_equal(inflame_pprof_sample_type(p, "wall", "nanoseconds"), -EBUSY);
	assert_int_equal(inflame_pprof_encode(p, &raw, &len), 0);
	strings_of(raw, len, strs, sizeof(strs));
	/* "" first; the leaf's function first (leaf-first locations), then main; the thread
	 * root is a label with the text before its last "-number". */
	assert_string_equal(strs, "|samples|count|cpu|nanoseconds|bad??name|main|pid|thread_id|"
				  "thread_name|worker-x|");
	assert_int_equal(inflame_pprof_gzip(raw, len, &gz, &gzlen), 0);
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = gz;
	z.avail_in = (uInt)gzlen;
	z.next_out = back;
	z.avail_out = (uInt)backlen;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, len);
	assert_memory_equal(back, raw, len);
	inflateEnd(&z);
	free(raw);
	free(gz);
	inflame_pprof_free(p);
	inflame_stackset_free(ss);
}

static void test_diff_rows(void **state)
{
	struct inflame_stackset *b = inflame_stackset_new(), *a = inflame_stackset_new();
	struct inflame_stackset *d = inflame_stackset_new(), *n;
	struct inflame_diff_row *rows;
	size_t nrows;
	uint32_t f[3];

	(void)state;
	/* before: main;f 50, main;g 50 (200 with g;g recursion counted once per stack) */
	f[0] = inflame_stackset_intern(b, "main", 4);
	f[1] = inflame_stackset_intern(b, "f", 1);
	assert_int_equal(inflame_stackset_add(b, f, 2, 50), 0);
	f[1] = inflame_stackset_intern(b, "g", 1);
	f[2] = f[1];
	assert_int_equal(inflame_stackset_add(b, f, 3, 50), 0);
	/* after: main;f 30, main;g;g 70 */
	f[0] = inflame_stackset_intern(a, "main", 4);
	f[1] = inflame_stackset_intern(a, "f", 1);
	assert_int_equal(inflame_stackset_add(a, f, 2, 3), 0);
	f[1] = inflame_stackset_intern(a, "g", 1);
	f[2] = f[1];
	assert_int_equal(inflame_stackset_add(a, f, 3, 7), 0);
	assert_int_equal(inflame_diff_add(d, b, 1), 0);
	assert_int_equal(inflame_diff_add(d, a, 0), 0);
	assert_int_equal(inflame_stackset_base_total(d), 100);
	assert_int_equal(inflame_stackset_total(d), 10);
	assert_int_equal(inflame_diff_rows(d, &rows, &nrows), 0);
	assert_int_equal(nrows, 3);
	/* f and g moved by 20 points each (a tie, by name), main not at all. */
	assert_string_equal(inflame_stackset_name(d, rows[0].id, NULL), "f");
	assert_true(rows[0].dself > -20.0001 && rows[0].dself < -19.9999);
	assert_string_equal(inflame_stackset_name(d, rows[1].id, NULL), "g");
	assert_true(rows[1].dtotal > 19.9999 && rows[1].dtotal < 20.0001);
	assert_int_equal(rows[1].total_b, 50); /* recursion counted once */
	assert_string_equal(inflame_stackset_name(d, rows[2].id, NULL), "main");
	assert_true(rows[2].dtotal == 0);
	free(rows);
	/* Normalised: the before side scaled to the after total (100 -> 10). */
	n = inflame_diff_normalized(d);
	assert_non_null(n);
	assert_int_equal(inflame_stackset_base_total(n), 10);
	assert_int_equal(inflame_stackset_total(n), 10);
	inflame_stackset_free(n);
	inflame_stackset_free(a);
	inflame_stackset_free(b);
	inflame_stackset_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_varints),
	    cmocka_unit_test(test_profile),
	    cmocka_unit_test(test_diff_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
