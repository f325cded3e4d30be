/*
 * The C library functions libinflame.so binds at their first call (latebind.h): one wrapper
 * each, __wrap_NAME, put in place of NAME by ld --wrap (preload/include.am), and the table of
 * the pointers they call through. The variadic ones go through the C library's v-forms
 * (snprintf, sscanf). None of this code runs
 * in a short image: it lies in a section of its own, away from the short image's stretch
 * (preload/imagetext.ld).
 */
#include "latebind.h"
#include "interpose.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Out of the short image's stretch, and never inlined into it. */
#define LATE_TEXT __attribute__((section(".text.inflame_late"), noinline))

/* The functions called with their own arguments: type, name, parameters, arguments, and what
 * the wrapper returns when the function cannot be found (errno is then ENOSYS). */
#define LATE_PLAIN(X)                                                                              \
	X(int, dladdr1, (const void *a, Dl_info *i, void **e, int f), (a, i, e, f), 0)             \
	X(int, fclose, (FILE * f), (f), EOF)                                                       \
	X(char *, fgets, (char *s, int n, FILE *f), (s, n, f), NULL)                               \
	X(FILE *, fopen, (const char *p, const char *m), (p, m), NULL)                             \
	X(int, fstatat, (int dfd, const char *p, struct stat *st, int f), (dfd, p, st, f), -1)     \
	X(int, futimens, (int fd, const struct timespec t[2]), (fd, t), -1)                        \
	X(char *, getcwd, (char *b, size_t n), (b, n), NULL)                                       \
	X(char *, secure_getenv, (const char *n), (n), NULL)                                       \
	X(void *, memmem, (const void *h, size_t hn, const void *n, size_t nn), (h, hn, n, nn),    \
	  NULL)                                                                                    \
	X(int, mkdir, (const char *p, mode_t m), (p, m), -1)                                       \
	X(int, posix_spawnattr_getflags, (const posix_spawnattr_t *a, short *f), (a, f), ENOSYS)   \
	X(int, posix_spawnattr_init, (posix_spawnattr_t * a), (a), ENOSYS)                         \
	X(int, posix_spawnattr_setflags, (posix_spawnattr_t * a, short f), (a, f), ENOSYS)         \
	X(int, posix_spawnattr_setsigmask, (posix_spawnattr_t * a, const sigset_t *s), (a, s),     \
	  ENOSYS)                                                                                  \
	X(int, pthread_attr_destroy, (pthread_attr_t * a), (a), ENOSYS)                            \
	X(int, pthread_attr_getsigmask_np, (const pthread_attr_t *a, sigset_t *s), (a, s), ENOSYS) \
	X(int, pthread_attr_getstack, (const pthread_attr_t *a, void **s, size_t *n), (a, s, n),   \
	  ENOSYS)                                                                                  \
	X(int, pthread_cond_broadcast, (pthread_cond_t * c), (c), ENOSYS)                          \
	X(int, pthread_cond_init, (pthread_cond_t * c, const pthread_condattr_t *a), (c, a),       \
	  ENOSYS)                                                                                  \
	X(int, pthread_getattr_np, (pthread_t t, pthread_attr_t * a), (t, a), ENOSYS)              \
	X(int, pthread_mutex_init, (pthread_mutex_t * m, const pthread_mutexattr_t *a), (m, a),    \
	  ENOSYS)                                                                                  \
	X(int, pthread_mutex_timedlock, (pthread_mutex_t * m, const struct timespec *t), (m, t),   \
	  ENOSYS)                                                                                  \
	X(int, rename, (const char *a, const char *b), (a, b), -1)                                 \
	X(int, setenv, (const char *n, const char *v, int o), (n, v, o), -1)                       \
	X(int, stat, (const char *p, struct stat *st), (p, st), -1)                                \
	X(char *, strdup, (const char *s), (s), NULL)                                              \
	X(char *, strerror, (int e), (e), (char *)"Unknown error")                                 \
	X(const char *, strerrordesc_np, (int e), (e), NULL)                                       \
	X(char *, strtok_r, (char *s, const char *d, char **p), (s, d, p), NULL)                   \
	X(long, strtol, (const char *s, char **e, int b), (s, e, b), 0)                            \
	X(int, unlink, (const char *p), (p), -1)                                                   \
	X(int, unsetenv, (const char *n), (n), -1)

/* The others, each with its own wrapper below: index, the name looked up. */
#define LATE_OWN(Y)                                                                                \
	Y(qsort, "qsort")                                                                          \
	Y(vsnprintf, "vsnprintf")                                                                  \
	Y(vsscanf, "__isoc99_vsscanf")

#define LATE_INDEX_PLAIN(type, name, params, args, fail) LATE_##name,
#define LATE_INDEX_OWN(index, name)			 LATE_##index,
enum { LATE_PLAIN(LATE_INDEX_PLAIN) LATE_OWN(LATE_INDEX_OWN) LATE_COUNT };

/* The names in index order, one string after the other (no pointers: nothing to relocate). */
#define LATE_NAME_PLAIN(type, name, params, args, fail) #name "\0"
#define LATE_NAME_OWN(index, name)			name "\0"
static const char late_names[] = LATE_PLAIN(LATE_NAME_PLAIN) LATE_OWN(LATE_NAME_OWN);

/* The functions found so far. Racing first calls store the same pointer. */
static void *late_fn[LATE_COUNT];

LATE_TEXT static void *late_get(unsigned i, const char *name)
{
	void *f = __atomic_load_n(&late_fn[i], __ATOMIC_RELAXED);
	int saved = errno;

	if (f)
		return f;
	/* (errno as the caller left it: a caller of strtol, say, reads it after the call) */
	f = inflame__interpose_next(name, NULL);
	if (f)
		__atomic_store_n(&late_fn[i], f, __ATOMIC_RELAXED);
	errno = f ? saved : ENOSYS;
	return f;
}

#define LATE_WRAPPER(type, name, params, args, fail)                                               \
	LATE_TEXT type __wrap_##name params;                                                       \
	LATE_TEXT type __wrap_##name params                                                        \
	{                                                                                          \
		__typeof__(name) *fn = (__typeof__(name) *)late_get(LATE_##name, #name);           \
                                                                                                   \
		return fn ? fn args : (fail);                                                      \
	}
LATE_PLAIN(LATE_WRAPPER)

LATE_TEXT void __wrap_qsort(void *base, size_t n, size_t size,
			    int (*cmp)(const void *, const void *));
LATE_TEXT void __wrap_qsort(void *base, size_t n, size_t size,
			    int (*cmp)(const void *, const void *))
{
	__typeof__(qsort) *fn = (__typeof__(qsort) *)late_get(LATE_qsort, "qsort");

	if (fn)
		fn(base, n, size, cmp);
}

LATE_TEXT int __wrap_snprintf(char *buf, size_t n, const char *fmt, ...);
LATE_TEXT int __wrap_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	__typeof__(vsnprintf) *fn = (__typeof__(vsnprintf) *)late_get(LATE_vsnprintf, "vsnprintf");
	va_list ap;
	int rc = -1;

	if (fn) {
		va_start(ap, fmt);
		rc = fn(buf, n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* sscanf is __isoc99_sscanf in the C library's headers (the C99 conversions), and vsscanf is
 * __isoc99_vsscanf. */
LATE_TEXT int __wrap___isoc99_sscanf(const char *s, const char *fmt, ...);
LATE_TEXT int __wrap___isoc99_sscanf(const char *s, const char *fmt, ...)
{
	__typeof__(vsscanf) *fn = (__typeof__(vsscanf) *)late_get(LATE_vsscanf, "__isoc99_vsscanf");
	va_list ap;
	int rc = EOF;

	if (fn) {
		va_start(ap, fmt);
		rc = fn(s, fmt, ap);
		va_end(ap);
	}
	return rc;
}

void inflame_latebind_resolve(void)
{
	const char *name = late_names;
	unsigned i;

	for (i = 0; i < LATE_COUNT; i++) {
		late_get(i, name);
		name += strlen(name) + 1;
	}
}
