/*
 * The library's own string, signal-set and system call functions (preload/strsig.c,
 * preload/sysraw.c), which the linker puts in place of the C library's for libinflame.so's
 * calls: each against the C library's, on the same inputs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "strsig.h"
#include "sysraw.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *const words[] = {
    "",
    "a",
    "b",
    "ab",
    "abc",
    "abd",
    "ABC",
    "aBc",
    "abcdef",
    "INFLAME_EVENTS",
    "inflame_events",
    "cpu,wall",
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "\x80\xff",
    "a\x80",
    "zzz",
    "A",
    "[",
};
#define N_WORDS (sizeof(words) / sizeof(words[0]))

/* The sign of a comparison's result, which is all the C library promises. */
static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void test_strings(void **state)
{
	size_t i, j, n;
	int c;
	char buf[256], cat[256];

	(void)state;
	for (i = 0; i < N_WORDS; i++) {
		const char *a = words[i];

		assert_int_equal(__wrap_strlen(a), strlen(a));
		for (n = 0; n < 8; n++)
			assert_int_equal(__wrap_strnlen(a, n), strnlen(a, n));
		for (c = 0; c < 256; c++) {
			assert_ptr_equal(__wrap_strchr(a, c), strchr(a, c));
			assert_ptr_equal(__wrap_strrchr(a, c), strrchr(a, c));
		}
		assert_ptr_equal(__wrap_strcpy(buf, a), buf);
		assert_string_equal(buf, a);
		assert_ptr_equal(__wrap_strcat(buf, a), buf);
		strcpy(cat, a);
		assert_string_equal(buf, strcat(cat, a));
		for (j = 0; j < N_WORDS; j++) {
			const char *b = words[j];

			assert_int_equal(sign(__wrap_strcmp(a, b)), sign(strcmp(a, b)));
			assert_int_equal(sign(__wrap_strcasecmp(a, b)), sign(strcasecmp(a, b)));
			assert_int_equal(__wrap_strcspn(a, b), strcspn(a, b));
			for (n = 0; n < 8; n++) {
				assert_int_equal(sign(__wrap_strncmp(a, b, n)),
						 sign(strncmp(a, b, n)));
				assert_int_equal(sign(__wrap_strncasecmp(a, b, n)),
						 sign(strncasecmp(a, b, n)));
			}
		}
	}
}

typedef int (*sigset_op)(sigset_t *, int);

static int libc_ismember(sigset_t *set, int sig)
{
	return sigismember(set, sig);
}

static int own_ismember(sigset_t *set, int sig)
{
	return __wrap_sigismember(set, sig);
}

/* One operation on sig, the library's on mine and the C library's on libc: the same result,
 * errno and set after. */
static void same_op(sigset_op own, sigset_op libc_op, sigset_t *mine, sigset_t *libc, int sig)
{
	int r1, r2, e1, e2;

	errno = 0;
	r1 = own(mine, sig);
	e1 = errno;
	errno = 0;
	r2 = libc_op(libc, sig);
	e2 = errno;
	assert_int_equal(r1, r2);
	assert_int_equal(e1, e2);
	assert_memory_equal(mine, libc, sizeof(*mine));
}

static void test_sigsets(void **state)
{
	sigset_t mine, libc;
	int sig;

	(void)state;
	/* (the C library writes only the words of the signals it knows: the same bytes before) */
	memset(&mine, 0xaa, sizeof(mine));
	memset(&libc, 0xaa, sizeof(libc));
	assert_int_equal(__wrap_sigfillset(&mine), sigfillset(&libc));
	assert_memory_equal(&mine, &libc, sizeof(mine));
	memset(&mine, 0xaa, sizeof(mine));
	memset(&libc, 0xaa, sizeof(libc));
	assert_int_equal(__wrap_sigemptyset(&mine), sigemptyset(&libc));
	assert_memory_equal(&mine, &libc, sizeof(mine));
	for (sig = -2; sig <= NSIG + 2; sig++) {
		same_op(__wrap_sigaddset, sigaddset, &mine, &libc, sig);
		same_op(own_ismember, libc_ismember, &mine, &libc, sig);
	}
	__wrap_sigfillset(&mine);
	sigfillset(&libc);
	for (sig = -2; sig <= NSIG + 2; sig += 3)
		same_op(__wrap_sigdelset, sigdelset, &mine, &libc, sig);
}

static void test_syscalls(void **state)
{
	int p[2], fd;
	char buf[8] = {0};
	void *m;

	(void)state;
	assert_int_equal(__wrap_getpid(), getpid());
	assert_int_equal(__wrap_getuid(), getuid());
	assert_int_equal(__wrap_geteuid(), geteuid());
	/* Failures: -1 and errno, as the C library's. */
	errno = 0;
	assert_int_equal(__wrap_close(-1), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(__wrap_read(-1, buf, 1), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_ptr_equal(__wrap_mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, -1, 0), MAP_FAILED);
	assert_int_equal(errno, EBADF);
	/* Success. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(__wrap_write(p[1], "inflame", 7), 7);
	assert_int_equal(__wrap_read(p[0], buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "inflame", 7);
	assert_int_equal(__wrap_close(p[0]), 0);
	assert_int_equal(__wrap_close(p[1]), 0);
	fd = open("/proc/self/cmdline", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(__wrap_pread(fd, buf, 1, 0), 1);
	assert_int_equal(__wrap_lseek(fd, 0, SEEK_CUR), 0);
	assert_int_equal(__wrap_close(fd), 0);
	m = __wrap_mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_ptr_not_equal(m, MAP_FAILED);
	((char *)m)[4096] = 1;
	m = __wrap_mremap(m, 8192, 16384, MREMAP_MAYMOVE);
	assert_ptr_not_equal(m, MAP_FAILED);
	assert_int_equal(((char *)m)[4096], 1);
	assert_int_equal(__wrap_madvise(m, 16384, MADV_DONTNEED), 0);
	assert_int_equal(__wrap_mprotect(m, 4096, PROT_READ), 0);
	assert_int_equal(__wrap_munmap(m, 16384), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_sigsets),
	    cmocka_unit_test(test_syscalls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
