/* Unit tests for lib/varint.c: round trips, boundaries, malformed input, the byte buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "varint.h"

#include <errno.h>

/* Values at every 7-bit boundary survive a round trip and use the expected byte counts. */
static void test_roundtrip(void **state)
{
	const uint64_t vals[] = {
	    0, 1, 127, 128, 16383, 16384, UINT32_MAX, (1ull << 56) - 1, 1ull << 63, UINT64_MAX};
	const size_t lens[] = {1, 1, 1, 2, 2, 3, 5, 8, 10, 10};
	uint8_t buf[16];

	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		size_t n = inflame_varint_put(buf, vals[i]);
		struct inflame_cursor c = {buf, buf + n, 0};

		assert_int_equal(n, lens[i]);
		assert_int_equal(inflame_cursor_varint(&c), vals[i]);
		assert_int_equal(c.err, 0);
		assert_true(inflame_cursor_done(&c));
	}
}

/* Signed values map to small unsigned ones and back. */
static void test_zigzag(void **state)
{
	const int64_t vals[] = {0, -1, 1, -2, INT64_MAX, INT64_MIN, 12345, -12345};

	(void)state;
	assert_int_equal(inflame_zigzag(-1), 1);
	assert_int_equal(inflame_zigzag(1), 2);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		assert_true(inflame_unzigzag(inflame_zigzag(vals[i])) == vals[i]);
}

/* Truncated, over-long and too-large varints set the error and read as zero from then on. */
static void test_malformed(void **state)
{
	const uint8_t cut[] = {0x80, 0x80};
	const uint8_t toolong[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
	const uint8_t str[] = {5, 'a', 'b'};
	struct inflame_cursor c = {cut, cut + sizeof(cut), 0};
	const char *s;
	size_t n;

	(void)state;
	assert_int_equal(inflame_cursor_varint(&c), 0);
	assert_int_equal(c.err, -EBADMSG);
	c = (struct inflame_cursor){toolong, toolong + sizeof(toolong), 0};
	inflame_cursor_varint(&c);
	assert_int_equal(c.err, -EBADMSG);
	c = (struct inflame_cursor){str, str + sizeof(str), 0};
	inflame_cursor_str(&c, &s, &n);
	assert_int_equal(c.err, -EBADMSG);
	assert_int_equal(n, 0);
}

/* The buffer grows past its first mapping and keeps what was written. */
static void test_buf(void **state)
{
	struct inflame_buf b = {0};
	struct inflame_cursor c;

	(void)state;
	for (uint64_t i = 0; i < 100000; i++)
		inflame_buf_put_varint(&b, i * 1000);
	inflame_buf_put_str(&b, "hello", 5);
	inflame_buf_put_u32le(&b, 0x01020304);
	assert_false(b.failed);
	c = (struct inflame_cursor){b.data, b.data + b.len, 0};
	for (uint64_t i = 0; i < 100000; i++)
		assert_int_equal(inflame_cursor_varint(&c), i * 1000);
	{
		const char *s;
		size_t n;

		inflame_cursor_str(&c, &s, &n);
		assert_int_equal(n, 5);
		assert_memory_equal(s, "hello", 5);
	}
	assert_int_equal(inflame_le32(c.p), 0x01020304);
	inflame_buf_free(&b);
	assert_null(b.data);
}

/* A buffer lent storage writes there until it outgrows it, then moves to a mapping with what
 * it had; the storage is neither written past its end nor unmapped. */
static void test_buf_lend(void **state)
{
	uint8_t storage[64 + 16];
	struct inflame_buf b = {0};

	(void)state;
	memset(storage, 0xa5, sizeof(storage));
	inflame_buf_lend(&b, storage, 64);
	inflame_buf_put(&b, "0123456789", 10);
	assert_ptr_equal(b.data, storage);
	assert_memory_equal(storage, "0123456789", 10);
	/* lending to a buffer with memory changes nothing */
	inflame_buf_lend(&b, storage + 8, 8);
	assert_ptr_equal(b.data, storage);
	assert_int_equal(b.len, 10);
	for (int i = 0; i < 100; i++)
		inflame_buf_put(&b, "abcdefgh", 8);
	assert_false(b.failed);
	assert_ptr_not_equal(b.data, storage);
	assert_int_equal(b.len, 810);
	assert_memory_equal(b.data, "0123456789abcdefgh", 18);
	assert_memory_equal(b.data + 802, "abcdefgh", 8);
	for (size_t i = 64; i < sizeof(storage); i++)
		assert_int_equal(storage[i], 0xa5);
	inflame_buf_free(&b);
	assert_null(b.data);
	/* freed while still in the storage: nothing to unmap, and reusable */
	inflame_buf_lend(&b, storage, 64);
	inflame_buf_put(&b, "x", 1);
	inflame_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(storage[0], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_zigzag),
	    cmocka_unit_test(test_malformed), cmocka_unit_test(test_buf),
	    cmocka_unit_test(test_buf_lend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
