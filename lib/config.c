/*
 * Configuration parsing. The values and their ranges are documented in inflame-preload(7);
 * this file is the one place that enforces them, so the preload and the launcher agree.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void inflame_config_env_scan(struct inflame_config_env *e, char *const *env)
{
	e->n = 0;
	e->overflow = 0;
	for (; env && *env; env++) {
		if (strncmp(*env, "INFLAME_", 8) != 0)
			continue;
		if (e->n == INFLAME_CONFIG_ENV_MAX) {
			e->overflow = 1;
			return;
		}
		e->var[e->n++] = *env;
	}
}

/* The value of entry v when it is name's (len bytes), else NULL. */
static const char *env_value(const char *v, const char *name, size_t len)
{
	return strncmp(v, name, len) == 0 && v[len] == '=' ? v + len + 1 : NULL;
}

const char *inflame_config_getenv(const char *name)
{
	size_t len = strlen(name);
	const char *v;

	for (char **e = environ; e && *e; e++)
		if ((v = env_value(*e, name, len)) != NULL)
			return v;
	return NULL;
}

const char *inflame_config_env_get(const struct inflame_config_env *e, const char *name)
{
	size_t len = strlen(name);
	const char *v;

	if (e->overflow)
		return inflame_config_getenv(name);
	/* (the first of two entries of one name, as getenv) */
	for (unsigned i = 0; i < e->n; i++)
		if ((v = env_value(e->var[i], name, len)) != NULL)
			return v;
	return NULL;
}

void inflame_config_defaults(struct inflame_config *c)
{
	memset(c, 0, sizeof(*c));
	inflame_config_defaults_zeroed(c);
}

void inflame_config_defaults_zeroed(struct inflame_config *c)
{
	c->events = INFLAME_EVMASK_CPU;
	c->cpu_timer = INFLAME_TIMER_AUTO;
	c->frequency = 999;
	c->dump_signal = SIGUSR2;
	c->max_depth = 128;
	c->buffer_kb = 512;
	c->unwind = INFLAME_UNWIND_AUTO;
	c->follow_children = 1;
	c->shared_file = 1;
	c->alloc_rate = 524288;
	strcpy(c->perf_event, "task-clock");
	strcpy(c->output, "inflame.%p.ifl");
	/* interval, cpu_kernel, log (INFLAME_LOG_QUIET) and log_path ("") are zero */
}

/* Replaces control characters in a message that quotes a value from the environment, so the
 * reason stays one line and cannot drive a terminal (found by tests/fuzz/fuzz_config.c). */
static void clean_message(char *m)
{
	for (; *m; m++)
		if ((unsigned char)*m < 0x20 || *m == 0x7f)
			*m = '?';
}

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		if (err && errlen) {                                                               \
			snprintf(err, errlen, __VA_ARGS__);                                        \
			clean_message(err);                                                        \
		}                                                                                  \
		return -EINVAL;                                                                    \
	} while (0)

int inflame_config_parse_events(const char *s, unsigned *out, char *err, size_t errlen)
{
	unsigned mask = 0;
	const char *p = s;

	if (!s || !*s)
		FAIL("INFLAME_EVENTS is empty (expected a comma list of cpu, wall, alloc)");
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n == 3 && !strncmp(p, "cpu", 3))
			mask |= INFLAME_EVMASK_CPU;
		else if (n == 4 && !strncmp(p, "wall", 4))
			mask |= INFLAME_EVMASK_WALL;
		else if (n == 5 && !strncmp(p, "alloc", 5))
			mask |= INFLAME_EVMASK_ALLOC;
		else
			FAIL("INFLAME_EVENTS: unknown event '%.*s' (expected cpu, wall, alloc)",
			     (int)(n > 32 ? 32 : n), p);
		p += n;
		if (*p == ',')
			p++;
	}
	*out = mask;
	return 0;
}

int inflame_config_parse_uint(const char *name, const char *s, uint64_t min, uint64_t max,
			      uint64_t *out, char *err, size_t errlen)
{
	uint64_t v = 0;
	const char *p = s;

	if (!s || !*s)
		FAIL("%s is empty (expected a number from %llu to %llu)", name,
		     (unsigned long long)min, (unsigned long long)max);
	/* (digits compared by hand: isdigit's table was the only page of the C library's locale
	 * data a short process read, one page fault, issue 11) */
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			FAIL("%s: '%.32s' is not a number (expected %llu to %llu)", name, s,
			     (unsigned long long)min, (unsigned long long)max);
		if (v > (UINT64_MAX - 9) / 10)
			FAIL("%s: '%.32s' is out of range (%llu to %llu)", name, s,
			     (unsigned long long)min, (unsigned long long)max);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		FAIL("%s: %llu is out of range (%llu to %llu)", name, (unsigned long long)v,
		     (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int inflame_config_parse_timer(const char *s, enum inflame_cpu_timer *out, char *err, size_t errlen)
{
	if (!strcmp(s, "auto"))
		*out = INFLAME_TIMER_AUTO;
	else if (!strcmp(s, "perf"))
		*out = INFLAME_TIMER_PERF;
	else if (!strcmp(s, "thread"))
		*out = INFLAME_TIMER_THREAD;
	else if (!strcmp(s, "itimer"))
		*out = INFLAME_TIMER_ITIMER;
	else
		FAIL("INFLAME_CPU_TIMER: unknown timer '%.32s' (expected auto, perf, thread, "
		     "itimer)",
		     s);
	return 0;
}

int inflame_config_parse_unwind(const char *s, enum inflame_unwind *out, char *err, size_t errlen)
{
	if (!strcmp(s, "fp"))
		*out = INFLAME_UNWIND_FP;
	else if (!strcmp(s, "dwarf"))
		*out = INFLAME_UNWIND_DWARF;
	else if (!strcmp(s, "auto"))
		*out = INFLAME_UNWIND_AUTO;
	else
		FAIL("INFLAME_UNWIND: unknown unwinder '%.32s' (expected auto, fp, dwarf)", s);
	return 0;
}

static int log_level_name(const char *s, size_t n, enum inflame_log_level *out)
{
	if (n == 5 && !strncmp(s, "quiet", n))
		*out = INFLAME_LOG_QUIET;
	else if (n == 4 && !strncmp(s, "info", n))
		*out = INFLAME_LOG_INFO;
	else if (n == 5 && !strncmp(s, "debug", n))
		*out = INFLAME_LOG_DEBUG;
	else
		return -EINVAL;
	return 0;
}

int inflame_config_parse_log(const char *s, enum inflame_log_level *out, char *path, size_t pathlen,
			     char *err, size_t errlen)
{
	enum inflame_log_level level = INFLAME_LOG_INFO;
	const char *colon = strchr(s, ':'), *file = NULL;

	if (*s == '/') {
		file = s;
	} else if (colon && (size_t)(colon - s) == 4 && !strncmp(s, "file", 4)) {
		file = colon + 1;
	} else if (colon) {
		if (log_level_name(s, (size_t)(colon - s), &level) < 0 ||
		    level == INFLAME_LOG_QUIET)
			FAIL("INFLAME_LOG: unknown level '%.*s' before ':' (expected info, debug, "
			     "file)",
			     (int)((size_t)(colon - s) > 32 ? 32 : colon - s), s);
		file = colon + 1;
	} else if (log_level_name(s, strlen(s), &level) < 0) {
		FAIL("INFLAME_LOG: unknown value '%.32s' (expected quiet, info, debug, file:PATH)",
		     s);
	}
	if (file && !*file)
		FAIL("INFLAME_LOG: no file name after ':'");
	if (file && strlen(file) >= pathlen)
		FAIL("INFLAME_LOG: the file name is too long");
	if (path && pathlen)
		strcpy(path, file ? file : "");
	*out = level;
	return 0;
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
    {"HUP", SIGHUP},	   {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"USR1", SIGUSR1},
    {"USR2", SIGUSR2},	   {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"CHLD", SIGCHLD},	   {"CONT", SIGCONT}, {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},	   {"URG", SIGURG},   {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},   {"IO", SIGIO},
    {"PWR", SIGPWR},	   {"SYS", SIGSYS},   {"STKFLT", SIGSTKFLT},
};

const char *inflame_config_signal_name(int sig)
{
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (signals[i].sig == sig)
			return signals[i].name;
	return NULL;
}

int inflame_config_parse_signal(const char *s, int *out, char *err, size_t errlen)
{
	const char *name = s;
	uint64_t v;

	if (!strcmp(s, "none") || !strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	if (isdigit((unsigned char)*s)) {
		if (inflame_config_parse_uint("INFLAME_SIGNAL", s, 1, (uint64_t)SIGRTMAX, &v, err,
					      errlen) < 0)
			return -EINVAL;
		if (v == SIGKILL || v == SIGSTOP || v == SIGSEGV || v == SIGBUS || v == SIGFPE ||
		    v == SIGILL)
			FAIL("INFLAME_SIGNAL: signal %llu cannot be used", (unsigned long long)v);
		*out = (int)v;
		return 0;
	}
	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		if (!strcasecmp(name, signals[i].name)) {
			*out = signals[i].sig;
			return 0;
		}
	}
	FAIL("INFLAME_SIGNAL: unknown signal '%.32s' (expected a name such as USR2, a number, or "
	     "none)",
	     s);
}

int inflame_config_check_output(const char *s, char *err, size_t errlen)
{
	if (!s || !*s)
		FAIL("INFLAME_OUTPUT is empty");
	if (strlen(s) >= INFLAME_OUTPUT_MAX - 32)
		FAIL("INFLAME_OUTPUT is too long");
	for (const char *p = s; *p; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p != 'p' && *p != 't' && *p != 'n' && *p != '%')
			FAIL(
			    "INFLAME_OUTPUT: unknown conversion '%%%c' (expected %%p %%t %%n %%%%)",
			    *p ? *p : '?');
	}
	return 0;
}

int inflame_config_anchor_output(const char *pattern, const char *dir, char *out, size_t outlen)
{
	size_t n = 0;

	if (pattern[0] != '/') {
		for (const char *c = dir; *c; c++) {
			if (n + 2 >= outlen)
				return -ENAMETOOLONG;
			if (*c == '%')
				out[n++] = '%';
			out[n++] = *c;
		}
		if (n + 1 >= outlen)
			return -ENAMETOOLONG;
		out[n++] = '/';
	}
	if (strlen(pattern) >= outlen - n)
		return -ENAMETOOLONG;
	strcpy(out + n, pattern);
	/* (the limit inflame_config_check_output sets) */
	return strlen(out) >= INFLAME_OUTPUT_MAX - 32 ? -ENAMETOOLONG : 0;
}

int inflame_config_parse_perf_event(const char *s, char *out, size_t outlen, char *err,
				    size_t errlen)
{
	static const char *const known[] = {"task-clock", "cpu-clock", "cycles", "instructions",
					    "ref-cycles"};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!strcmp(s, known[i]) && strlen(s) < outlen) {
			strcpy(out, s);
			return 0;
		}
	}
	FAIL("INFLAME_PERF_EVENT: unknown event '%.32s' (expected task-clock, cpu-clock, cycles, "
	     "instructions, ref-cycles)",
	     s);
}

const char *inflame_config_timer_name(enum inflame_cpu_timer t)
{
	switch (t) {
	case INFLAME_TIMER_PERF:
		return "perf";
	case INFLAME_TIMER_THREAD:
		return "thread";
	case INFLAME_TIMER_ITIMER:
		return "itimer";
	case INFLAME_TIMER_AUTO:
		return "auto";
	}
	return "?";
}

const char *inflame_config_unwind_name(enum inflame_unwind u)
{
	return u == INFLAME_UNWIND_DWARF ? "dwarf" : u == INFLAME_UNWIND_AUTO ? "auto" : "fp";
}

void inflame_config_events_string(unsigned mask, char *out, size_t outlen)
{
	static const char *const names[] = {"cpu", "wall", "alloc"};
	size_t n = 0;

	/* By hand, not with snprintf: the preload calls this in every profiled process, and
	 * printf's machinery is pages of libc that most programs never touch. */
	if (!outlen)
		return;
	for (int i = 0; i < 3; i++) {
		if (!(mask & (1u << i)))
			continue;
		for (const char *p = n ? "," : ""; *p && n + 1 < outlen; p++)
			out[n++] = *p;
		for (const char *p = names[i]; *p && n + 1 < outlen; p++)
			out[n++] = *p;
	}
	out[n] = 0;
}

static int put_char(char *out, size_t outlen, size_t *n, char c)
{
	if (*n + 1 >= outlen)
		return -ENAMETOOLONG;
	out[(*n)++] = c;
	return 0;
}

static int put_num(char *out, size_t outlen, size_t *n, uint64_t v)
{
	char tmp[24];
	int k = 0;

	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k--)
		if (put_char(out, outlen, n, tmp[k]) < 0)
			return -ENAMETOOLONG;
	return 0;
}

/* Both expansions: %p as the pid, or as word when word is not NULL. */
static int expand(const char *pattern, long pid, const char *word, uint64_t start_time,
		  unsigned seq, char *out, size_t outlen)
{
	size_t n = 0;
	int has_seq = 0, rc = 0;

	for (const char *p = pattern; *p && rc == 0; p++) {
		if (*p != '%') {
			rc = put_char(out, outlen, &n, *p);
			continue;
		}
		switch (*++p) {
		case 'p':
			if (!word) {
				rc = put_num(out, outlen, &n, (uint64_t)pid);
				break;
			}
			for (const char *c = word; *c && rc == 0; c++)
				rc = put_char(out, outlen, &n, *c);
			break;
		case 't':
			rc = put_num(out, outlen, &n, start_time);
			break;
		case 'n':
			has_seq = 1;
			rc = put_num(out, outlen, &n, seq);
			break;
		case '%':
			rc = put_char(out, outlen, &n, '%');
			break;
		default:
			return -EINVAL;
		}
	}
	if (rc == 0 && !has_seq && seq > 0) {
		rc = put_char(out, outlen, &n, '.');
		if (rc == 0)
			rc = put_num(out, outlen, &n, seq);
	}
	if (rc < 0 || n >= outlen)
		return -ENAMETOOLONG;
	out[n] = 0;
	return (int)n;
}

int inflame_config_expand_output(const char *pattern, long pid, uint64_t start_time, unsigned seq,
				 char *out, size_t outlen)
{
	return expand(pattern, pid, NULL, start_time, seq, out, outlen);
}

int inflame_config_shared_output(const char *pattern, uint64_t start_time, char *out, size_t outlen)
{
	const char *p = pattern;

	while (*p && !(p[0] == '%' && p[1] == 'p')) {
		if (p[0] == '%' && p[1])
			p++;
		p++;
	}
	if (!*p)
		return -EINVAL;
	return expand(pattern, 0, INFLAME_SHARED_WORD, start_time, 0, out, outlen);
}
