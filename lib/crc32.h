/*
 * CRC-32 of dump chunks: the reflected polynomial 0xEDB88320 with initial value and final xor
 * 0xFFFFFFFF (the checksum of zlib, gzip and PNG), so that files written before and after agree.
 * The preload computes it itself rather than loading zlib into every profiled process.
 */
#ifndef INFLAME_CRC32_H
#define INFLAME_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32 of p[0..len), continued from crc (0 for a new one). Thread-safe; not
 * async-signal-safe (the first call builds a table). */
uint32_t inflame_crc32(uint32_t crc, const void *p, size_t len);

#endif
