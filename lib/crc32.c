/*
 * CRC-32 (crc32.h), eight bytes at a time ("slicing by 8"): table[k][b] is the remainder of the
 * byte value b followed by k zero bytes, so that the CRC of eight bytes is the xor of eight
 * lookups instead of a chain of eight dependent ones. Leading and trailing bytes go one at a
 * time through table[0]. The tables are built once, on the first call, under pthread_once.
 */
#include "crc32.h"

#include <pthread.h>
#include <string.h>

static uint32_t table[8][256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int k = 1; k < 8; k++)
			table[k][i] = table[0][table[k - 1][i] & 0xff] ^ (table[k - 1][i] >> 8);
}

uint32_t inflame_crc32(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *b = p;

	pthread_once(&once, build);
	crc = ~crc;
	for (; len && ((uintptr_t)b & 7); len--, b++)
		crc = table[0][(crc ^ *b) & 0xff] ^ (crc >> 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; len >= 8; len -= 8, b += 8) {
		uint64_t w;
		uint32_t lo, hi;

		memcpy(&w, b, 8); /* little-endian: b[0] in the low byte */
		lo = (uint32_t)w ^ crc;
		hi = (uint32_t)(w >> 32);
		crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
		      table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^ table[3][hi & 0xff] ^
		      table[2][(hi >> 8) & 0xff] ^ table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
	}
#endif
	for (; len; len--, b++)
		crc = table[0][(crc ^ *b) & 0xff] ^ (crc >> 8);
	return ~crc;
}
