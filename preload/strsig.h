/*
 * The string and signal-set functions of the C library that libinflame.so calls, written
 * here. The library is linked with -z now: the loader looks up every C library function it
 * calls as it loads, about 0.12 us each in every profiled process (issue 11). Where the linker
 * wraps symbols (configure.ac), a call of the library's to one of these names reaches
 * __wrap_NAME here and there is nothing to look up. Each gives what the C library's gives
 * (tests/strsig_test.c compares them), except that strcasecmp and strncasecmp fold ASCII
 * letters only: inflame compares its own names and settings with them, never the program's
 * text. All are async-signal-safe.
 */
#ifndef INFLAME_STRSIG_H
#define INFLAME_STRSIG_H

#include <signal.h>
#include <stddef.h>

size_t __wrap_strlen(const char *s);
size_t __wrap_strnlen(const char *s, size_t max);
char *__wrap_strchr(const char *s, int c);
char *__wrap_strrchr(const char *s, int c);
int __wrap_strcmp(const char *a, const char *b);
int __wrap_strncmp(const char *a, const char *b, size_t n);
char *__wrap_strcpy(char *dst, const char *src);
char *__wrap_strcat(char *dst, const char *src);
size_t __wrap_strcspn(const char *s, const char *reject);
int __wrap_strcasecmp(const char *a, const char *b);
int __wrap_strncasecmp(const char *a, const char *b, size_t n);
int __wrap_sigemptyset(sigset_t *set);
int __wrap_sigfillset(sigset_t *set);
int __wrap_sigaddset(sigset_t *set, int sig);
int __wrap_sigdelset(sigset_t *set, int sig);
int __wrap_sigismember(const sigset_t *set, int sig);

#endif
