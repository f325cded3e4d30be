/*
 * A program that waits on io_uring through liburing, for tests/uring_test.sh. liburing makes
 * the io_uring_enter system call itself, and its waits return -EINTR after any signal handler:
 * under inflame they must see it only when the program's own handler ran.
 *
 *   uringwait wait       N rounds: run about 1 ms (so that the wall ticker signals the
 *                        thread as it blocks), queue a 2 ms timeout, wait for it with each of
 *                        liburing's waits (__io_uring_get_cqe behind io_uring_wait_cqe,
 *                        io_uring_submit_and_wait, io_uring_wait_cqes; io_uring_wait_cqe_timeout
 *                        and io_uring_submit_and_wait_timeout with 1 s to spare); then waits
 *                        of 20 ms with io_uring_wait_cqe_timeout for nothing, which must fail
 *                        with -ETIME after all of it. Prints each wait's count of -EINTR (and
 *                        of waits ended early); exit 1 when any.
 *   uringwait alarm      a 5 s wait that the program's SIGALRM handler interrupts after 100 ms
 *                        must return -EINTR, profiled or not.
 *
 * liburing is opened with dlopen and its functions are looked up in the global scope, as the
 * program's own calls into it would be bound, so that building it needs no liburing header.
 * Exit 2 when liburing cannot be loaded or a ring cannot be made.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

/* struct io_uring, opaque: liburing's is about 216 bytes. */
struct ring {
	_Alignas(64) unsigned char bytes[1024];
};

static int (*queue_init)(unsigned, struct ring *, unsigned);
static void (*queue_exit)(struct ring *);
static struct io_uring_sqe *(*get_sqe)(struct ring *);
static int (*submit)(struct ring *);
static int (*get_cqe)(struct ring *, void **, unsigned, unsigned, sigset_t *);
static int (*submit_and_wait)(struct ring *, unsigned);
static int (*wait_cqes)(struct ring *, void **, unsigned, void *, sigset_t *);
static int (*wait_cqe_timeout)(struct ring *, void **, struct __kernel_timespec *);
static int (*submit_and_wait_timeout)(struct ring *, void **, unsigned, struct __kernel_timespec *,
				      sigset_t *);

static int load(void)
{
	if (!dlopen("liburing.so.2", RTLD_NOW | RTLD_GLOBAL))
		return -1;
	*(void **)&queue_init = dlsym(RTLD_DEFAULT, "io_uring_queue_init");
	*(void **)&queue_exit = dlsym(RTLD_DEFAULT, "io_uring_queue_exit");
	*(void **)&get_sqe = dlsym(RTLD_DEFAULT, "io_uring_get_sqe");
	*(void **)&submit = dlsym(RTLD_DEFAULT, "io_uring_submit");
	*(void **)&get_cqe = dlsym(RTLD_DEFAULT, "__io_uring_get_cqe");
	*(void **)&submit_and_wait = dlsym(RTLD_DEFAULT, "io_uring_submit_and_wait");
	*(void **)&wait_cqes = dlsym(RTLD_DEFAULT, "io_uring_wait_cqes");
	*(void **)&wait_cqe_timeout = dlsym(RTLD_DEFAULT, "io_uring_wait_cqe_timeout");
	*(void **)&submit_and_wait_timeout =
	    dlsym(RTLD_DEFAULT, "io_uring_submit_and_wait_timeout");
	return queue_init && queue_exit && get_sqe && submit && get_cqe && submit_and_wait &&
		       wait_cqes && wait_cqe_timeout && submit_and_wait_timeout
		   ? 0
		   : -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile unsigned long sink;

/* Runs about a millisecond (far less or more on a busy machine: the wall ticker signals a
 * thread that ran at all). */
static void __attribute__((noinline)) spin(void)
{
	for (unsigned long i = 0; i < 400000; i++)
		sink += i * 2654435761u;
}

/* Queues a timeout of ms on a new ring r. */
static int queue_timeout(struct ring *r, struct __kernel_timespec *ts, long ms)
{
	struct io_uring_sqe *sqe;

	if (queue_init(4, r, 0) < 0)
		return -1;
	sqe = get_sqe(r);
	memset(sqe, 0, sizeof(*sqe));
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (ms % 1000) * 1000000L;
	sqe->opcode = IORING_OP_TIMEOUT;
	sqe->fd = -1;
	sqe->addr = (unsigned long)ts;
	sqe->len = 1;
	return 0;
}

/* One wait of kind k for a timeout operation of ms (none for kind 5): liburing's result
 * (-ETIME is the timeout's own completion, or the end of the wait's timeout). -1000: no ring. */
static int wait_once(int k, long ms)
{
	struct __kernel_timespec ts, spare = {1, 0}, wait20 = {0, 20000000L};
	struct ring r;
	void *cqe;
	int rc;

	if (k == 5 ? queue_init(4, &r, 0) < 0 : queue_timeout(&r, &ts, ms) < 0)
		return -1000;
	if (k == 1)
		rc = submit_and_wait(&r, 1);
	else if (k == 4)
		rc = submit_and_wait_timeout(&r, &cqe, 1, &spare, NULL);
	else {
		submit(&r);
		rc = k == 0   ? get_cqe(&r, &cqe, 0, 1, NULL)
		     : k == 2 ? wait_cqes(&r, &cqe, 1, NULL, NULL)
		     : k == 3 ? wait_cqe_timeout(&r, &cqe, &spare)
			      : wait_cqe_timeout(&r, &cqe, &wait20);
	}
	queue_exit(&r);
	return rc;
}

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {"io_uring_wait_cqe",
					    "io_uring_submit_and_wait",
					    "io_uring_wait_cqes",
					    "io_uring_wait_cqe_timeout",
					    "io_uring_submit_and_wait_timeout",
					    "io_uring_wait_cqe_timeout 20 ms"};
	int rounds = argc > 2 ? atoi(argv[2]) : 60, eintr_total = 0;

	if (argc < 2 || load() < 0) {
		fprintf(stderr, "uringwait: cannot load liburing.so.2\n");
		return 2;
	}
	if (!strcmp(argv[1], "alarm")) {
		struct sigaction sa;
		/* Every 100 ms, not once: a loaded machine may take longer than that to reach the
		 * wait, and a single alarm then comes before it (the wait then ends at its 5 s
		 * timeout, not with -EINTR). */
		struct itimerval it = {{0, 100000}, {0, 100000}}, off = {{0, 0}, {0, 0}};
		int rc;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		sigaction(SIGALRM, &sa, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
		rc = wait_once(0, 5000);
		setitimer(ITIMER_REAL, &off, NULL);
		printf("wait with the program's SIGALRM: %s\n", rc == -EINTR ? "EINTR" : "other");
		return rc == -EINTR ? 0 : 1;
	}
	for (int k = 0; k < 6; k++) {
		int eintr = 0, early = 0, n = k == 5 ? rounds / 4 : rounds;

		for (int i = 0; i < n; i++) {
			double t0;
			int rc;

			spin();
			t0 = now();
			rc = wait_once(k, 2);
			if (rc == -1000)
				return 2;
			if (rc == -EINTR)
				eintr++;
			else if (k == 5 && (rc != -ETIME || now() - t0 < 0.0195))
				early++;
		}
		printf("%s: %d waits, EINTR %d", names[k], n, eintr);
		if (k == 5)
			printf(", not a full -ETIME %d", early);
		printf("\n");
		eintr_total += eintr + early;
	}
	return eintr_total ? 1 : 0;
}
