/*
 * A program that lives in its own signal world, for tests/e2e_signals_test.c: everything it
 * prints must be the same with and without inflame, byte for byte, and so must its exit status.
 *
 *   sigworld wait MODE   a shutdown thread that blocks every signal, works a little, then waits
 *                        for any signal with MODE (sigwait, sigwaitinfo, sigtimedwait,
 *                        signalfd); a worker created under the full mask burns CPU; then the
 *                        main thread sends SIGTERM. Exit 0 when the waiter got SIGTERM.
 *   sigworld blocked     a worker created while every signal is blocked burns about 1 s of CPU
 *                        in worker_all_blocked (the dump must show it).
 *   sigworld sleeps      every call the EINTR shield covers, with a timeout (sockets: their
 *                        SO_RCVTIMEO or SO_SNDTIMEO): each must last as long as asked; then a
 *                        handler of the program's own must still make them fail with EINTR.
 *   sigworld suspend     sigsuspend and pause return only once the program's handler ran.
 *   sigworld masks       the masks the program reads back are the ones it set.
 *   sigworld children    with SIGPROF and SIGUSR1 blocked, a posix_spawn'd and a fork+exec'd
 *                        `sigworld showmask` print the mask they started with.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <spawn.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile unsigned long sink;

static void __attribute__((noinline)) burn(double seconds)
{
	double end = cpu_now() + seconds;

	while (cpu_now() < end)
		for (int i = 0; i < 20000; i++)
			sink += (unsigned long)i * 2654435761u;
}

/* wait */

static const char *wait_mode;
static int got_sig;

static void *waiter(void *arg)
{
	sigset_t all;
	siginfo_t si;
	/* Far longer than the signal can take to come: it comes after the worker's 0.6 s of CPU,
	 * which took more than the 10 s this was at load 30 to 90 on 2 CPUs (sigtimedwait then
	 * returned -1, a failure of the test and not of inflame). */
	struct timespec limit = {100, 0};

	(void)arg;
	sigfillset(&all);
	burn(0.1); /* long enough for any CPU clock of inflame's to fire here */
	if (!strcmp(wait_mode, "sigwait")) {
		if (sigwait(&all, &got_sig) != 0)
			got_sig = -1;
	} else if (!strcmp(wait_mode, "sigwaitinfo")) {
		got_sig = sigwaitinfo(&all, &si);
	} else if (!strcmp(wait_mode, "sigtimedwait")) {
		got_sig = sigtimedwait(&all, &si, &limit);
	} else {
		struct signalfd_siginfo fdsi;
		int fd = signalfd(-1, &all, SFD_CLOEXEC);

		got_sig = fd >= 0 && read(fd, &fdsi, sizeof(fdsi)) == sizeof(fdsi)
			      ? (int)fdsi.ssi_signo
			      : -1;
	}
	return NULL;
}

static void *blocked_worker(void *arg)
{
	sigset_t m;

	(void)arg;
	pthread_sigmask(SIG_BLOCK, NULL, &m);
	printf("worker starts with SIGPROF blocked: %s\n", sigismember(&m, SIGPROF) ? "yes" : "no");
	burn(0.6);
	return NULL;
}

static int mode_wait(const char *mode)
{
	sigset_t all, old;
	pthread_t w, b;

	wait_mode = mode;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_create(&w, NULL, waiter, NULL);
	pthread_create(&b, NULL, blocked_worker, NULL);
	pthread_join(b, NULL);
	usleep(200000);
	kill(getpid(), SIGTERM);
	pthread_join(w, NULL);
	printf("%s got signal %d\n", mode, got_sig);
	return got_sig == SIGTERM ? 0 : 1;
}

/* blocked */

static void *worker_all_blocked(void *arg)
{
	(void)arg;
	burn(1.0);
	return NULL;
}

static int mode_blocked(void)
{
	sigset_t all, old, now_mask;
	pthread_t t;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_create(&t, NULL, worker_all_blocked, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_join(t, NULL);
	pthread_sigmask(SIG_BLOCK, NULL, &now_mask);
	printf("main thread SIGPROF blocked after restore: %s\n",
	       sigismember(&now_mask, SIGPROF) ? "yes" : "no");
	return 0;
}

/* sleeps */

static void report(const char *name, int rc, int err, double t0, double want)
{
	double took = now() - t0;

	printf("%-24s rc=%d errno=%s %s\n", name, rc, rc < 0 || err ? strerror(err) : "-",
	       took >= want * 0.95 ? "full" : "SHORT");
	if (took < want * 0.95)
		fprintf(stderr, "%s took %.3f s of %.3f\n", name, took, want);
}

#define TIMED(name, want, call)                                                                    \
	do {                                                                                       \
		double t0_ = now();                                                                \
		int rc_;                                                                           \
		errno = 0;                                                                         \
		rc_ = (call);                                                                      \
		report(name, rc_, errno, t0_, want);                                               \
	} while (0)

static void abs_in(struct timespec *ts, clockid_t clk, long ms)
{
	clock_gettime(clk, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Every ms from now on (until alarm_off): the call after it is interrupted even when a busy
 * machine runs it late. */
static void alarm_every_ms(long ms)
{
	struct itimerval it = {{ms / 1000, (ms % 1000) * 1000}, {ms / 1000, (ms % 1000) * 1000}};

	setitimer(ITIMER_REAL, &it, NULL);
}

static void alarm_off(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
}

static int mode_sleeps(void)
{
	struct timespec ts = {0, 150000000L}, abs;
	struct timeval tv;
	struct pollfd pfd;
	struct epoll_event ev;
	sigset_t usr1;
	sem_t sem;
	int ep = epoll_create1(EPOLL_CLOEXEC), sv[2];
	struct sigaction sa;
	static char fill[4096];
	char c;
	struct iovec io = {fill, sizeof(fill)};
	struct mmsghdr mm = {.msg_hdr = {.msg_iov = &io, .msg_iovlen = 1}};

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	sem_init(&sem, 0, 0);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	tv = (struct timeval){0, 150000};
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pfd = (struct pollfd){sv[0], POLLIN, 0};

	TIMED("sleep", 1.0, (int)sleep(1));
	TIMED("usleep", 0.15, usleep(150000));
	TIMED("nanosleep", 0.15, nanosleep(&ts, NULL));
	TIMED("clock_nanosleep", 0.15, -clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL));
	abs_in(&abs, CLOCK_MONOTONIC, 150);
	TIMED("clock_nanosleep abs", 0.15,
	      -clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL));
	TIMED("thrd_sleep", 0.15, thrd_sleep(&ts, NULL));
	TIMED("poll", 0.15, poll(&pfd, 1, 150));
	TIMED("ppoll", 0.15, ppoll(&pfd, 1, &ts, NULL));
	tv = (struct timeval){0, 150000};
	TIMED("select", 0.15, select(0, NULL, NULL, NULL, &tv));
	TIMED("pselect", 0.15, pselect(0, NULL, NULL, NULL, &ts, NULL));
	TIMED("epoll_wait", 0.15, epoll_wait(ep, &ev, 1, 150));
	TIMED("epoll_pwait", 0.15, epoll_pwait(ep, &ev, 1, 150, &usr1));
	abs_in(&abs, CLOCK_REALTIME, 150);
	TIMED("sem_timedwait", 0.15, sem_timedwait(&sem, &abs));
	TIMED("sigtimedwait", 0.15, sigtimedwait(&usr1, NULL, &ts));
	TIMED("recv SO_RCVTIMEO", 0.15, (int)recv(sv[0], &c, 1, 0));
	TIMED("recvmmsg SO_RCVTIMEO", 0.15, recvmmsg(sv[0], &mm, 1, 0, NULL));
	/* Fill sv[0]'s way out, so that the next send waits for its timeout. */
	tv = (struct timeval){0, 150000};
	setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (send(sv[0], fill, sizeof(fill), MSG_DONTWAIT) > 0)
		;
	TIMED("sendmmsg SO_SNDTIMEO", 0.15, sendmmsg(sv[0], &mm, 1, 0));

	/* The program's own handler, without SA_RESTART: the calls fail with EINTR as always. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	ts = (struct timespec){5, 0};
	alarm_every_ms(100);
	TIMED("nanosleep + SIGALRM", 0, nanosleep(&ts, NULL));
	TIMED("poll + SIGALRM", 0, poll(&pfd, 1, 5000));
	TIMED("epoll_wait + SIGALRM", 0, epoll_wait(ep, &ev, 1, 5000));
	TIMED("sem_wait + SIGALRM", 0, sem_wait(&sem));
	TIMED("sleep + SIGALRM", 0, sleep(5) > 0 ? -1 : 0);
	alarm_off();
	printf("alarms handled: %s\n", alarms >= 5 ? "all" : "missing");
	return 0;
}

/* suspend */

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_seen = 1;
}

static volatile int main_woke;

/* Sends SIGUSR1 to the main thread every 100 ms until it says it woke: the main thread may
 * reach its wait late on a busy machine. */
static void *send_usr1_later(void *arg)
{
	pthread_t main_thread = *(pthread_t *)arg;

	burn(0.05);
	while (!__atomic_load_n(&main_woke, __ATOMIC_ACQUIRE)) {
		usleep(100000);
		pthread_kill(main_thread, SIGUSR1);
	}
	return NULL;
}

static int mode_suspend(void)
{
	struct sigaction sa;
	sigset_t usr1, empty;
	pthread_t t, self = pthread_self();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	pthread_create(&t, NULL, send_usr1_later, &self);
	burn(0.05);
	sigsuspend(&empty);
	printf("sigsuspend returned after the program's handler: %s\n", usr1_seen ? "yes" : "no");
	__atomic_store_n(&main_woke, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	main_woke = 0;
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	usr1_seen = 0;
	pthread_create(&t, NULL, send_usr1_later, &self);
	burn(0.05);
	pause();
	printf("pause returned after the program's handler: %s\n", usr1_seen ? "yes" : "no");
	__atomic_store_n(&main_woke, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	return 0;
}

/* masks */

static void print_mask(const char *what, const sigset_t *m)
{
	printf("%s:", what);
	for (int s = 1; s < SIGRTMIN; s++)
		if (sigismember(m, s))
			printf(" %d", s);
	printf("\n");
}

static int mode_masks(void)
{
	sigset_t prof, all, old, cur;
	struct sigaction sa, back;

	sigemptyset(&prof);
	sigaddset(&prof, SIGPROF);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &prof, &old);
	print_mask("before", &old);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	print_mask("after blocking SIGPROF", &cur);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	print_mask("old of set-all", &old);
	pthread_sigmask(SIG_UNBLOCK, &prof, &old);
	print_mask("old of unblock SIGPROF", &old);
	sigprocmask(SIG_SETMASK, NULL, &cur);
	print_mask("now", &cur);
	sigemptyset(&cur);
	sigprocmask(SIG_SETMASK, &cur, NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR1, NULL, &back);
	print_mask("handler mask", &back.sa_mask);
	printf("handler is ours: %s, flags %#x\n", back.sa_handler == on_usr1 ? "yes" : "no",
	       (unsigned)(back.sa_flags & ~0x04000000u /* SA_RESTORER */));
	signal(SIGUSR2, on_usr1);
	sigaction(SIGUSR2, NULL, &back);
	print_mask("signal() mask", &back.sa_mask);
	printf("signal() handler is ours: %s, flags %#x\n",
	       back.sa_handler == on_usr1 ? "yes" : "no", (unsigned)(back.sa_flags & ~0x04000000u));
	raise(SIGUSR1);
	printf("raised SIGUSR1 handled: %s\n", usr1_seen ? "yes" : "no");
	return 0;
}

static int mode_children(char *self)
{
	char *argv[] = {self, "showmask", NULL};
	sigset_t s;
	pid_t pid;
	int st;

	sigemptyset(&s);
	sigaddset(&s, SIGPROF);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	if (posix_spawn(&pid, self, NULL, NULL, argv, environ) == 0)
		waitpid(pid, &st, 0);
	pid = fork();
	if (pid == 0) {
		execv(self, argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "wait"))
		return mode_wait(argv[2]);
	if (argc >= 2 && !strcmp(argv[1], "blocked"))
		return mode_blocked();
	if (argc >= 2 && !strcmp(argv[1], "sleeps"))
		return mode_sleeps();
	if (argc >= 2 && !strcmp(argv[1], "suspend"))
		return mode_suspend();
	if (argc >= 2 && !strcmp(argv[1], "masks"))
		return mode_masks();
	if (argc >= 2 && !strcmp(argv[1], "children"))
		return mode_children(argv[0]);
	if (argc >= 2 && !strcmp(argv[1], "showmask")) {
		sigset_t m;

		sigprocmask(SIG_BLOCK, NULL, &m);
		print_mask("child starts with", &m);
		return 0;
	}
	fprintf(stderr,
		"usage: sigworld wait MODE | blocked | sleeps | suspend | masks | children\n");
	return 2;
}
