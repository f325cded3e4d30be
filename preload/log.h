/*
 * Notices from inside the target process. Every notice (a fallback taken, a part switched
 * off, something the program did that inflame works around) is kept in a bounded static table
 * that the writer copies into each dump's NOTES chunk; notices that do not fit are counted.
 * Nothing is written to the program's stderr unless INFLAME_LOG asks for it (or names a file,
 * where the lines are appended instead): the one exception is inflame_log_unprofiled(), for a
 * failure that leaves the program without a profile, which no dump can carry.
 *
 * Formatting is our own small formatter and every write is one raw write(2), so all of it is
 * safe from signal handlers and allocation hooks and never calls malloc or stdio. Lines
 * written out start with "inflame: " ("inflame[PID]: " in a log file) and end with a newline.
 */
#ifndef INFLAME_LOG_H
#define INFLAME_LOG_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The level set by INFLAME_LOG; messages above it are not written out (but notices still go
 * into the dump). */
extern enum inflame_log_level inflame__log_level;

/* The most notices one process image keeps, and the longest text of one (longer ones are cut). */
#define INFLAME_NOTES_MAX 64
#define INFLAME_NOTE_LEN  240

struct inflame_note {
	_Atomic int ready; /* the fields below are complete */
	int level;	   /* enum inflame_log_level of the call */
	uint64_t time;	   /* CLOCK_MONOTONIC, ns */
	uint32_t len;
	char text[INFLAME_NOTE_LEN];
};

/* Sets the level and the log file ("" or NULL: stderr). Called once by the constructor before
 * any other thread of ours exists. Not async-signal-safe. */
void inflame_log_configure(enum inflame_log_level level, const char *path);

/* Formats into buf (always NUL-terminated); supports %s %c %d %u %ld %lu %lld %llu %x %lx
 * %llx %zu %p %%. Returns the length. Async-signal-safe. */
size_t inflame_log_vformat(char *buf, size_t len, const char *fmt, va_list ap);
size_t inflame_log_format(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A notice at level INFLAME_LOG_INFO goes into the dump; at any level it is written out when
 * INFLAME_LOG asks for that level. Async-signal-safe; saves and restores errno. */
void inflame_log(enum inflame_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The same, only the first time *once goes from 0 to 1. Async-signal-safe. */
void inflame_log_once(int *once, enum inflame_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A failure that leaves the program unprofiled (a bad setting, no dump file): kept as a notice
 * and always written out, to the log file if INFLAME_LOG names one, else to stderr. The one
 * thing inflame says on the program's stderr by default. Async-signal-safe. */
void inflame_log_unprofiled(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Notices: how many slots have been claimed (some may still be being filled, and any beyond
 * INFLAME_NOTES_MAX were lost), the i-th one if it is complete (else NULL), and how many were
 * lost. Async-signal-safe. */
unsigned inflame_log_notes_claimed(void);
const struct inflame_note *inflame_log_note(unsigned i);
uint64_t inflame_log_notes_lost(void);
/* Notices this image logged itself: since start, or since the fork that made it (a fork child
 * keeps its parent's notices, which still describe how it is profiled). Async-signal-safe. */
unsigned inflame_log_notes_own(void);
/* In a fork child, single-threaded: the notices so far are the parent's. */
void inflame_log_after_fork_child(void);

#endif
