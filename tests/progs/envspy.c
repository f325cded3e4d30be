/*
 * A preloaded library whose getenv() and secure_getenv() note each call, with the name asked
 * for, as a line of the file ENVSPY_OUT names, and answer from environ. Loaded after
 * libinflame.so, they are the functions inflame's calls into the C library reach:
 * tests/startdiet_test.sh counts them in a process that ends at once (its own scans of the
 * environment make none). So does __libc_current_sigrtmin() (SIGRTMIN), which answers what the
 * C library's does: its page of the library's code was a page fault of a short process. With
 * ENVSPY_TAKE=1 its constructor, which runs before libinflame.so's, installs handlers for
 * SIGPROF, SIGVTALRM, SIGSTKFLT and SIGPWR: inflame must sample with a real-time signal.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *scan(const char *name)
{
	size_t len = strlen(name);

	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

static void note(const char *fn, const char *name)
{
	const char *path = scan("ENVSPY_OUT");
	int saved = errno;
	char line[256];
	int n, fd;

	if (!path)
		return;
	n = snprintf(line, sizeof(line), "%s %s\n", fn, name);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) < 0)
			n = 0;
		close(fd);
	}
	errno = saved;
}

char *getenv(const char *name)
{
	note("getenv", name);
	return scan(name);
}

char *secure_getenv(const char *name)
{
	note("secure_getenv", name);
	return scan(name);
}

int __libc_current_sigrtmin(void)
{
	int (*real)(void) = (int (*)(void))dlsym(RTLD_NEXT, "__libc_current_sigrtmin");

	note("__libc_current_sigrtmin", "");
	return real ? real() : 34;
}

static void taken(int sig)
{
	(void)sig;
}

__attribute__((constructor)) static void take(void)
{
	static const int sigs[] = {SIGPROF, SIGVTALRM, SIGSTKFLT, SIGPWR};
	const char *v = scan("ENVSPY_TAKE");
	struct sigaction a;

	if (!v || strcmp(v, "1") != 0)
		return;
	memset(&a, 0, sizeof(a));
	a.sa_handler = taken;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &a, NULL);
}
