/*
 * inflame's C API: control the profiler from inside a program, and label what its threads do.
 * See inflame(3).
 *
 * The functions work when the program runs under LD_PRELOAD=libinflame.so (or `inflame
 * record`) and when it is linked with -linflame (`pkg-config --cflags --libs inflame`).
 * Without the library they do nothing and return -ENOSYS: the library's entry points are
 * weak references, so a program built against this header runs unprofiled and unchanged
 * where inflame is not installed (build it as a position-independent executable, the default
 * on Debian, for LD_PRELOAD to fill them in at run time).
 *
 * Every function returns 0 or a negative errno value, and leaves errno as it was.
 */
#ifndef INFLAME_H
#define INFLAME_H

#include <errno.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INFLAME_API_VERSION 1

/* The library's entry points (weak references: NULL without the library). Call the functions
 * below. */
#ifdef INFLAME_BUILDING_LIBRARY
#define INFLAME__WEAK
#else
#define INFLAME__WEAK __attribute__((weak))
#endif
extern int inflame_api_start(const char *events) INFLAME__WEAK;
extern int inflame_api_stop(void) INFLAME__WEAK;
extern int inflame_api_dump(const char *path) INFLAME__WEAK;
extern int inflame_api_label(const char *key, const char *value) INFLAME__WEAK;
extern int inflame_api_label_clear(void) INFLAME__WEAK;

#ifndef INFLAME_BUILDING_LIBRARY

/* Resumes sampling after inflame_stop(). events is NULL (the events the profiler was started
 * with: INFLAME_EVENTS) or the same list; other events cannot be added at run time
 * (-ENOTSUP). Not async-signal-safe. */
static inline int inflame_start(const char *events)
{
	return inflame_api_start ? inflame_api_start(events) : -ENOSYS;
}

/* Pauses CPU and wall-clock sampling in the whole process (allocation sampling goes on);
 * samples already taken stay. Not async-signal-safe. */
static inline int inflame_stop(void)
{
	return inflame_api_stop ? inflame_api_stop() : -ENOSYS;
}

/* Writes everything recorded since the last dump into a dump file named path (replaced if it
 * exists), and goes on recording into the next file. Waits for the writer (up to 10 s). Not
 * async-signal-safe. */
static inline int inflame_dump(const char *path)
{
	return inflame_api_dump ? inflame_api_dump(path) : -ENOSYS;
}

/* Sets label key to value for the following samples of the calling thread (value NULL
 * removes the key). A key is 1 to 63 bytes without '=', a value at most 191 bytes; a thread
 * holds at most 16 labels. Async-signal-safe: it only writes a record into the thread's own
 * buffer. Filter with `inflame collapse --label KEY=VALUE`. */
static inline int inflame_label(const char *key, const char *value)
{
	return inflame_api_label ? inflame_api_label(key, value) : -ENOSYS;
}

/* Removes every label of the calling thread. Async-signal-safe. */
static inline int inflame_label_clear(void)
{
	return inflame_api_label_clear ? inflame_api_label_clear() : -ENOSYS;
}

#endif /* INFLAME_BUILDING_LIBRARY */

#ifdef __cplusplus
}
#endif

#endif
