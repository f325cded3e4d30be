/*
 * After `inflame record`'s command has exited: listing the dump files the run wrote and the
 * profiler's notices they hold, which the profiled programs kept off their own stderr.
 *
 * The files are those matching the output pattern (with each conversion such as %p as a
 * wildcard, and any .N suffix) that the user owns and that were written during the run. The
 * notices of one process image are printed once, though every file of the image repeats them.
 * Everything goes to stderr, with control characters replaced.
 */
#ifndef INFLAME_RECORD_DUMPS_H
#define INFLAME_RECORD_DUMPS_H

#include <stdint.h>
#include <time.h>

/* Lists the dumps matching pattern modified at or after since_ns (CLOCK_REALTIME), with their
 * notices (unless the program already wrote them to stderr, as INFLAME_LOG=info or debug does);
 * of a file short processes shared, the dumps of processes started since then, and of a file of
 * its own, one whose process started since then (an earlier run's file modified in the same
 * second is left out). */
void inflame_record_list_dumps(const char *pattern, uint64_t since_ns);

#endif
