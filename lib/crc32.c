/*
 * CRC-32 (crc32.h), eight bytes at a time ("slicing by 8"): table[k][b] is the remainder of the
 * byte value b followed by k zero bytes, so that the CRC of eight bytes is the xor of eight
 * lookups instead of a chain of eight dependent ones. Leading and trailing bytes go one at a
 * time through table[0]. The tables are constants (crc32_table.h, written by crc32_table.py):
 * built at run time they were 8 KiB of fresh memory, two page faults in every profiled process.
 */
#include "crc32.h"

#include <string.h>

#include "crc32_table.h"

uint32_t inflame_crc32(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *b = p;

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
