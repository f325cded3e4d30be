/*
 * Parsing and validating inflame's settings, shared by the preload (which reads them from the
 * environment) and by `inflame record` (which checks its flags before starting a program).
 *
 * Every parser takes a string and writes the value only on success; it returns 0 or -EINVAL
 * and, on failure, a one-line reason into the caller's buffer. Nothing here allocates, prints
 * or reads the environment, so the preload can call it during start-up in any program.
 * None of these functions is async-signal-safe except inflame_config_expand_output().
 */
#ifndef INFLAME_CONFIG_H
#define INFLAME_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* AUTO, the default, is the perf clock with the moves of its costly threads to POSIX timers;
 * PERF keeps every thread on the perf clock. Only the configuration holds AUTO: the clock in
 * use (preload/profiler.h, timer_used) is PERF then. */
enum inflame_cpu_timer {
	INFLAME_TIMER_PERF = 0,
	INFLAME_TIMER_THREAD = 1,
	INFLAME_TIMER_ITIMER = 2,
	INFLAME_TIMER_AUTO = 3,
};

enum inflame_unwind {
	INFLAME_UNWIND_FP = 0,
	INFLAME_UNWIND_DWARF = 1,
	INFLAME_UNWIND_AUTO =
	    2, /* fp or dwarf per sample, by the leaf's module (preload/modules.h) */
};

/* How much of what the preload has to say is written out as it happens (INFLAME_LOG).
 * Notices always go into the dump (NOTES chunk) whatever the level; the level only decides
 * what is also written to stderr or to the log file. */
enum inflame_log_level {
	INFLAME_LOG_QUIET = 0, /* nothing but a configuration error that leaves us unprofiled */
	INFLAME_LOG_INFO = 1,  /* every notice */
	INFLAME_LOG_DEBUG = 2, /* notices and the writer's progress */
};

/* Bit mask of events (1 << INFLAME_EV_*). */
#define INFLAME_EVMASK_CPU   (1u << 0)
#define INFLAME_EVMASK_WALL  (1u << 1)
#define INFLAME_EVMASK_ALLOC (1u << 2)

#define INFLAME_FREQ_MIN       1
#define INFLAME_FREQ_MAX       10000
#define INFLAME_DEPTH_MIN      1
#define INFLAME_DEPTH_MAX      1024
#define INFLAME_BUFFER_KB_MIN  16
#define INFLAME_BUFFER_KB_MAX  65536
#define INFLAME_INTERVAL_MAX   86400
#define INFLAME_OUTPUT_MAX     4096
#define INFLAME_ALLOC_RATE_MAX (1ull << 40)

/* The numbers first and the two path buffers last: the defaults of everything but the paths'
 * first bytes are then on the struct's first page (inflame_config_defaults_zeroed). */
struct inflame_config {
	unsigned events;
	enum inflame_cpu_timer cpu_timer;
	int cpu_kernel; /* the perf clock should count kernel time too */
	unsigned frequency;
	int dump_signal; /* 0 = none */
	unsigned interval;
	unsigned max_depth;
	unsigned buffer_kb;
	enum inflame_unwind unwind;
	enum inflame_log_level log;
	int follow_children;
	int traced; /* profile a process a debugger traces from its start (INFLAME_TRACED=1) */
	/* a short image appends its dump to the pattern's shared file (INFLAME_SHARED_FILE) */
	int shared_file;
	uint64_t alloc_rate;
	char perf_event[32]; /* "task-clock" (default), "cpu-clock", "cycles", ... */
	char output[INFLAME_OUTPUT_MAX];
	char log_path[INFLAME_OUTPUT_MAX]; /* "" = stderr; else the file the log is appended to */
};

/* Fills the defaults documented in inflame-preload(7). */
void inflame_config_defaults(struct inflame_config *c);
/* The same for a struct that is all zero already (the preload's, in .bss): writes only the
 * defaults that are not zero, so that a process never touches the pages of the path buffers'
 * tails, nor log_path's first one. */
void inflame_config_defaults_zeroed(struct inflame_config *c);

/* The INFLAME_ variables of an environment, gathered in one pass over it (the preload reads
 * about twenty: one getenv each scanned the whole environment each time). */
#define INFLAME_CONFIG_ENV_MAX 32
struct inflame_config_env {
	const char *var[INFLAME_CONFIG_ENV_MAX]; /* "INFLAME_NAME=value", in the order of env */
	unsigned n;
	int overflow; /* more than INFLAME_CONFIG_ENV_MAX: every lookup goes to getenv */
};
void inflame_config_env_scan(struct inflame_config_env *e, char *const *env);
/* getenv(name), by a scan of environ of its own: the C library's getenv was the only code of
 * its page that a short profiled process ran (one page fault, issue 11). */
const char *inflame_config_getenv(const char *name);
/* The value of name in the scanned environment, as getenv(name) would return it, or NULL. */
const char *inflame_config_env_get(const struct inflame_config_env *e, const char *name);

/* Each parser: 0 on success, or -EINVAL with a reason in err (errlen bytes). */
int inflame_config_parse_events(const char *s, unsigned *out, char *err, size_t errlen);
int inflame_config_parse_uint(const char *name, const char *s, uint64_t min, uint64_t max,
			      uint64_t *out, char *err, size_t errlen);
int inflame_config_parse_timer(const char *s, enum inflame_cpu_timer *out, char *err,
			       size_t errlen);
int inflame_config_parse_unwind(const char *s, enum inflame_unwind *out, char *err, size_t errlen);
/* INFLAME_LOG: "quiet", "info" or "debug" (stderr), "LEVEL:PATH" (info or debug, appended
 * to PATH), "file:PATH" (info to PATH) or a path starting with '/' (info to it). path gets ""
 * for stderr; it must hold pathlen bytes (INFLAME_OUTPUT_MAX fits any accepted path). */
int inflame_config_parse_log(const char *s, enum inflame_log_level *out, char *path, size_t pathlen,
			     char *err, size_t errlen);
/* Accepts "none", a number, or a name with or without the SIG prefix ("USR2", "SIGUSR2"). */
int inflame_config_parse_signal(const char *s, int *out, char *err, size_t errlen);
/* Checks a pattern: only %p %t %n %% are allowed, and it must not be empty. */
int inflame_config_check_output(const char *s, char *err, size_t errlen);
/* A checked pattern made absolute: a relative one is joined to the directory dir, whose "%"
 * are doubled so that the pattern's conversions stay its own; an absolute one is copied.
 * Returns 0, or -ENAMETOOLONG when the result does not fit out or is too long a pattern. */
int inflame_config_anchor_output(const char *pattern, const char *dir, char *out, size_t outlen);
int inflame_config_parse_perf_event(const char *s, char *out, size_t outlen, char *err,
				    size_t errlen);

/* Names for display and for the dump's PROCESS chunk. */
const char *inflame_config_timer_name(enum inflame_cpu_timer t);
const char *inflame_config_unwind_name(enum inflame_unwind u);
/* Writes the comma list of events in mask into out. */
void inflame_config_events_string(unsigned mask, char *out, size_t outlen);
/* Returns the signal's name without "SIG" ("USR2"), or NULL if it has none we know. */
const char *inflame_config_signal_name(int sig);

/*
 * Expands an output pattern: %p pid, %t start time (seconds since the epoch), %n sequence,
 * %% a percent sign. If the pattern has no %n and seq > 0, ".seq" is appended. Returns the
 * length written, or -ENAMETOOLONG if it does not fit in outlen. Async-signal-safe.
 */
int inflame_config_expand_output(const char *pattern, long pid, uint64_t start_time, unsigned seq,
				 char *out, size_t outlen);
/* The word that stands for %p in the name of the file short processes share. */
#define INFLAME_SHARED_WORD "shared"
/*
 * The name of the file the short images of a pattern share (inflame-preload(7)): the pattern
 * with %p as INFLAME_SHARED_WORD, %n as 0 and %t as for any file. Returns the length, -EINVAL
 * for a pattern without %p (whose images have no name of their own to tell from it), or
 * -ENAMETOOLONG. Async-signal-safe.
 */
int inflame_config_shared_output(const char *pattern, uint64_t start_time, char *out,
				 size_t outlen);

#endif
