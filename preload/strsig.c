/*
 * The library's own string and signal-set functions, which the linker puts in place of the C
 * library's for libinflame.so's calls (strsig.h, issue 11). Plain loops: inflame calls them
 * on short names, paths and settings, never on the program's bulk data.
 */
#include "strsig.h"

/* GCC's loop distribution may turn a loop of the strlen or memset kind into a call of that
 * function: here the linker would send the call back to the loop's own function, for ever. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#endif

#include <errno.h>
#include <string.h>

size_t __wrap_strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t __wrap_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

char *__wrap_strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *__wrap_strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

int __wrap_strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	while (*x && *x == *y) {
		x++;
		y++;
	}
	return (int)*x - (int)*y;
}

int __wrap_strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	for (; n; n--, x++, y++) {
		if (*x != *y)
			return (int)*x - (int)*y;
		if (!*x)
			return 0;
	}
	return 0;
}

char *__wrap_strcpy(char *dst, const char *src)
{
	char *d = dst;

	while ((*d++ = *src++))
		;
	return dst;
}

char *__wrap_strcat(char *dst, const char *src)
{
	__wrap_strcpy(dst + __wrap_strlen(dst), src);
	return dst;
}

size_t __wrap_strcspn(const char *s, const char *reject)
{
	size_t n = 0;
	const char *r;

	for (; s[n]; n++)
		for (r = reject; *r; r++)
			if (s[n] == *r)
				return n;
	return n;
}

/* A letter of ASCII in lower case; any other byte as it is. */
static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

int __wrap_strncasecmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	for (; n; n--, x++, y++) {
		if (ascii_lower(*x) != ascii_lower(*y))
			return (int)ascii_lower(*x) - (int)ascii_lower(*y);
		if (!*x)
			return 0;
	}
	return 0;
}

int __wrap_strcasecmp(const char *a, const char *b)
{
	return __wrap_strncasecmp(a, b, (size_t)-1);
}

/* The C library keeps two real-time signals for itself (for thread cancellation and set*id
 * calls across threads): its sigfillset leaves them out, its sigaddset and sigdelset refuse
 * them. */
static int internal_signal(int sig)
{
	return sig == 32 || sig == 33;
}

/* The word and bit of sig in a sigset_t, as the C library lays it out. */
#define SIG_WORD(sig) (((unsigned)(sig)-1) / (8 * sizeof(unsigned long)))
#define SIG_BIT(sig)  (1ul << (((unsigned)(sig)-1) % (8 * sizeof(unsigned long))))

/* The words of a sigset_t that hold signals 1 .. NSIG - 1, which the C library's sigemptyset and
 * sigfillset write (the kernel reads no more); the rest of the type stays as it was. */
#define SIG_WORDS ((NSIG - 1 + 8 * sizeof(unsigned long) - 1) / (8 * sizeof(unsigned long)))

static unsigned long *words(sigset_t *set)
{
	return (unsigned long *)(void *)set;
}

/* Sets every word of the signals in *set to word: 0, or -1 and EINVAL when set is NULL. */
static int fill(sigset_t *set, unsigned long word)
{
	size_t i;

	if (!set) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < SIG_WORDS; i++)
		words(set)[i] = word;
	return 0;
}

int __wrap_sigemptyset(sigset_t *set)
{
	return fill(set, 0);
}

int __wrap_sigfillset(sigset_t *set)
{
	if (fill(set, ~0ul) < 0)
		return -1;
	words(set)[SIG_WORD(32)] &= ~SIG_BIT(32);
	words(set)[SIG_WORD(33)] &= ~SIG_BIT(33);
	return 0;
}

/* Whether sig cannot be added to or taken from a set, as the C library's: EINVAL then. */
static int refused(const sigset_t *set, int sig)
{
	if (set && sig > 0 && sig < NSIG && !internal_signal(sig))
		return 0;
	errno = EINVAL;
	return 1;
}

int __wrap_sigaddset(sigset_t *set, int sig)
{
	if (refused(set, sig))
		return -1;
	words(set)[SIG_WORD(sig)] |= SIG_BIT(sig);
	return 0;
}

int __wrap_sigdelset(sigset_t *set, int sig)
{
	if (refused(set, sig))
		return -1;
	words(set)[SIG_WORD(sig)] &= ~SIG_BIT(sig);
	return 0;
}

int __wrap_sigismember(const sigset_t *set, int sig)
{
	if (!set || sig <= 0 || sig >= NSIG) {
		errno = EINVAL;
		return -1;
	}
	return !!(((const unsigned long *)(const void *)set)[SIG_WORD(sig)] & SIG_BIT(sig));
}
