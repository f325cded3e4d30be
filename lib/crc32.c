/*
 * CRC-32 (crc32.h), a byte at a time through a table of the 256 byte values' remainders. The
 * table is built once, on the first call, under pthread_once.
 */
#include "crc32.h"

#include <pthread.h>

static uint32_t table[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
}

uint32_t inflame_crc32(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *b = p;

	pthread_once(&once, build);
	crc = ~crc;
	for (size_t i = 0; i < len; i++)
		crc = table[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}
