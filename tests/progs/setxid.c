/*
 * Drops root the way setpriv does, after 300 ms of CPU work (tests/setxid_test.sh): keep-caps,
 * setresuid to nobody (which clears the effective capabilities of every thread), capset in this
 * thread alone to get CAP_SETGID back, then setresgid and setgroups. glibc runs the last two in
 * every thread it knows and aborts when their results differ. "threads": the work is done by
 * two threads first (joined before the drop), and a thread started after it reports its ids.
 * Prints each call's result and the ids; exits 0 when all succeeded.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NOBODY 65534

static volatile unsigned long sink;

static void *spin(void *arg)
{
	struct timespec t;
	double end;

	(void)arg;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	end = t.tv_sec + t.tv_nsec / 1e9 + 0.3;
	do {
		for (int i = 0; i < 100000; i++)
			sink += (unsigned long)i * 7;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	} while (t.tv_sec + t.tv_nsec / 1e9 < end);
	return NULL;
}

static void *report(void *arg)
{
	uid_t r, e, s;

	(void)arg;
	getresuid(&r, &e, &s);
	printf("new thread: uid %u %u %u, %d groups\n", r, e, s, getgroups(0, NULL));
	return NULL;
}

int main(int argc, char **argv)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct caps[2];
	int threads = argc > 1 && strcmp(argv[1], "threads") == 0, rc, fails = 0;
	uid_t r, e, s;
	gid_t gr, ge, gs;
	pthread_t t[2];

	if (threads) {
		for (int i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, spin, NULL);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
	} else {
		spin(NULL);
	}
	rc = prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	printf("keepcaps %d\n", rc);
	fails += rc != 0;
	rc = setresuid(NOBODY, NOBODY, NOBODY);
	printf("setresuid %d\n", rc);
	fails += rc != 0;
	rc = (int)syscall(SYS_capget, &hdr, caps);
	if (rc == 0) {
		caps[0].effective = caps[0].permitted;
		caps[1].effective = caps[1].permitted;
		rc = (int)syscall(SYS_capset, &hdr, caps);
	}
	printf("capset %d\n", rc);
	fails += rc != 0;
	rc = setresgid(NOBODY, NOBODY, NOBODY);
	printf("setresgid %d\n", rc);
	fails += rc != 0;
	rc = setgroups(0, NULL);
	printf("setgroups %d\n", rc);
	fails += rc != 0;
	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	printf("uid %u %u %u gid %u %u %u, %d groups\n", r, e, s, gr, ge, gs, getgroups(0, NULL));
	if (threads) {
		pthread_create(&t[0], NULL, report, NULL);
		pthread_join(t[0], NULL);
	}
	fflush(stdout);
	return fails ? 1 : 0;
}
