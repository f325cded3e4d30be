/*
 * Logging from inside the target process: formatted with our own small formatter and written
 * to stderr with one raw write(2), so it is safe from signal handlers and never calls malloc
 * or stdio. Every message starts with "inflame: " and ends with a newline.
 */
#ifndef INFLAME_LOG_H
#define INFLAME_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "config.h"

/* The level set by INFLAME_LOG; messages above it are not written. */
extern enum inflame_log_level inflame__log_level;

/* Formats into buf (always NUL-terminated); supports %s %c %d %u %ld %lu %lld %llu %x %lx
 * %llx %zu %p %%. Returns the length. Async-signal-safe. */
size_t inflame_log_vformat(char *buf, size_t len, const char *fmt, va_list ap);
size_t inflame_log_format(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes one line at level. Async-signal-safe; saves and restores errno. */
void inflame_log(enum inflame_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes the line only the first time *once goes from 0 to 1. Async-signal-safe. */
void inflame_log_once(int *once, enum inflame_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
