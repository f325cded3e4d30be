/*
 * CRC-32 (crc32.h), eight bytes at a time ("slicing by 8"): table[k][b] is the remainder of the
 * byte value b followed by k zero bytes, so that the CRC of eight bytes is the xor of eight
 * lookups instead of a chain of eight dependent ones. Leading and trailing bytes go one at a
 * time through table[0]. The tables are constants (crc32_table.h, written by crc32_table.py):
 * built at run time they were 8 KiB of fresh memory, two page faults in every profiled process.
 *
 * On x86-64 processors with carry-less multiplication (PCLMULQDQ, asked of the C library once),
 * runs of 64 bytes and more are folded instead, 64 bytes per step: a 128-bit block b followed by d
 * more bits of message has the same remainder as its two 64-bit halves, each multiplied by
 * x^(d+32) or x^(d-32) mod P (a 96-bit product), put in place of the block d bits on. Four
 * blocks in flight (d = 512) keep the multiplier busy; they are then folded into one (d = 128),
 * whose 16 bytes, with the last few of the message, go through the tables. The writer spent
 * about 14% of its time in the tables on bench-alloc's python3 (a 57 MB dump).
 */
#include "crc32.h"

#include <string.h>

#include "crc32_table.h"

/* (where the C library tells the processor's features: a cpuid instruction of our own would
 * trap to the hypervisor in a virtual machine, tests/nocpuid_test.sh) */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) &&                            \
    __has_include(<sys/platform/x86.h>)
#include <immintrin.h>
#include <sys/platform/x86.h>
#define HAVE_FOLD 1
#endif

/* The CRC register (inverted) after p[0..len), through the tables. */
static uint32_t by_table(uint32_t crc, const uint8_t *b, size_t len)
{
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
	return crc;
}

#ifdef HAVE_FOLD
/* The constants of a fold over d bits, in the bit-reflected order of this CRC (bit i of the
 * polynomial at bit 32 - i, so one place up): reflect(x^(d+32) mod P) << 1 for the low half of
 * a block, reflect(x^(d-32) mod P) << 1 for the high half. */
#define FOLD_512_LO 0x154442bd4ull
#define FOLD_512_HI 0x1c6e41596ull
#define FOLD_128_LO 0x1751997d0ull
#define FOLD_128_HI 0x0ccaa009eull

/* Block x folded onto next, with the constants k (its low half for x's low half). */
__attribute__((target("pclmul"))) static inline __m128i fold(__m128i x, __m128i k, __m128i next)
{
	return _mm_xor_si128(
	    _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)),
	    next);
}

__attribute__((target("pclmul"))) static inline __m128i load(const uint8_t *b)
{
	return _mm_loadu_si128((const __m128i *)(const void *)b);
}

/* by_table() for len >= 64, by folding. */
__attribute__((target("pclmul"))) static uint32_t by_folding(uint32_t crc, const uint8_t *b,
							     size_t len)
{
	const __m128i k4 = _mm_set_epi64x((long long)FOLD_512_HI, (long long)FOLD_512_LO);
	const __m128i k1 = _mm_set_epi64x((long long)FOLD_128_HI, (long long)FOLD_128_LO);
	__m128i x0 = _mm_xor_si128(load(b), _mm_cvtsi32_si128((int)crc)), x1 = load(b + 16),
		x2 = load(b + 32), x3 = load(b + 48);
	uint8_t last[16];

	for (b += 64, len -= 64; len >= 64; b += 64, len -= 64) {
		x0 = fold(x0, k4, load(b));
		x1 = fold(x1, k4, load(b + 16));
		x2 = fold(x2, k4, load(b + 32));
		x3 = fold(x3, k4, load(b + 48));
	}
	x0 = fold(fold(fold(x0, k1, x1), k1, x2), k1, x3);
	for (; len >= 16; b += 16, len -= 16)
		x0 = fold(x0, k1, load(b));
	_mm_storeu_si128((__m128i *)(void *)last, x0);
	return by_table(by_table(0, last, sizeof(last)), b, len);
}

/* Whether the processor multiplies without carries, as the C library read it at the process's
 * start. Asked at each call rather than remembered: the answer is a load from the loader's
 * data, and a flag of ours was the only variable a short process used on its page of .bss,
 * read and then written by its first checksum (two page faults, issue 11). */
static int can_fold(void)
{
	return CPU_FEATURE_ACTIVE(PCLMULQDQ) != 0;
}
#endif

uint32_t inflame_crc32(uint32_t crc, const void *p, size_t len)
{
#ifdef HAVE_FOLD
	if (len >= 64 && can_fold())
		return ~by_folding(~crc, p, len);
#endif
	return ~by_table(~crc, p, len);
}
