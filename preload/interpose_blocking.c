/*
 * The EINTR shield: wrappers of the blocking calls that the kernel does not restart after a
 * signal handler ran, whatever the handler's flags (signal(7)).
 *
 * Each wrapper calls the real function and, when it fails with EINTR because only inflame's
 * handler ran during it (shield.h), calls it again with what is left of its timeout. When one
 * of the program's handlers ran, the program gets its EINTR as it would unprofiled. A timeout
 * that expires across a restart ends the call as a timeout would: poll-like calls are made once
 * more with a zero timeout, so that they report what is ready then.
 *
 * Covered: nanosleep, clock_nanosleep, sleep, usleep, thrd_sleep and pause; poll, ppoll, select,
 * pselect, epoll_wait, epoll_pwait, epoll_pwait2; sem_wait, sem_timedwait, sem_clockwait;
 * msgrcv, msgsnd, semop, semtimedop; and the socket calls that fail with EINTR when the socket
 * has a receive or send timeout (recv, recvfrom, recvmsg, recvmmsg, send, sendto, sendmsg,
 * sendmmsg, accept, accept4), which wait for the socket with what is left of its timeout (see
 * below); and liburing's waits (see below). Not covered (inflame-preload(7)): system calls
 * made without libc's exported functions (raw syscall(), inline system calls, glibc's internal
 * calls), io_getevents, read on an inotify descriptor, read and write on sockets with timeouts,
 * and connect, which cannot be restarted.
 *
 * The waits that never fail with EINTR (pthread_cond_wait, pthread_cond_timedwait,
 * pthread_cond_clockwait, pthread_join, pthread_timedjoin_np, pthread_clockjoin_np: futexes
 * that glibc waits on again; wait, waitpid, waitid, wait3, wait4, which the kernel restarts
 * after inflame's handler) need no shield: their wrappers only mark them for the wall ticker
 * (shield.h), so that a thread that waits there again and again is known to be at the same
 * stack without being signalled. The locks that wait are marked in interpose_locks.c. Not
 * marked: read, write, connect and the socket calls without timeouts (a mark costs two clock
 * reads, 5% of a one-byte read of a cached file on a virtual machine, too much on a call that
 * mostly does not block). The wrappers bind glibc's condition variables of version 2.3.2
 * (dlvsym): a program built against the older ones (glibc before 2003) is not supported.
 *
 * These wrappers are as async-signal-safe as the calls they wrap.
 */
#include "clock.h"
#include "interpose.h"

#include "profiler.h"
#include "shield.h"

#include <errno.h>
#include <linux/time_types.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/epoll.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

static int (*real_nanosleep)(const struct timespec *, struct timespec *);
static int (*real_clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);
static int (*real_thrd_sleep)(const struct timespec *, struct timespec *);
static int (*real_pause)(void);
static int (*real_poll)(struct pollfd *, nfds_t, int);
static int (*real_ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
static int (*real_select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
static int (*real_pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *,
			   const sigset_t *);
static int (*real_epoll_wait)(int, struct epoll_event *, int, int);
static int (*real_epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
static int (*real_epoll_pwait2)(int, struct epoll_event *, int, const struct timespec *,
				const sigset_t *);
static int (*real_sem_wait)(sem_t *);
static int (*real_sem_timedwait)(sem_t *, const struct timespec *);
static int (*real_sem_clockwait)(sem_t *, clockid_t, const struct timespec *);
static ssize_t (*real_msgrcv)(int, void *, size_t, long, int);
static int (*real_msgsnd)(int, const void *, size_t, int);
static int (*real_semop)(int, struct sembuf *, size_t);
static int (*real_semtimedop)(int, struct sembuf *, size_t, const struct timespec *);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
static int (*real_recvmmsg)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
static int (*real_sendmmsg)(int, struct mmsghdr *, unsigned int, int);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_pthread_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
static int (*real_pthread_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *,
					  const struct timespec *);
static int (*real_pthread_cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
					  const struct timespec *);
static int (*real_pthread_join)(pthread_t, void **);
static int (*real_pthread_timedjoin_np)(pthread_t, void **, const struct timespec *);
static int (*real_pthread_clockjoin_np)(pthread_t, void **, clockid_t, const struct timespec *);
static pid_t (*real_wait)(int *);
static pid_t (*real_waitpid)(pid_t, int *, int);
static int (*real_waitid)(idtype_t, id_t, siginfo_t *, int);
static pid_t (*real_wait3)(int *, int, struct rusage *);
static pid_t (*real_wait4)(pid_t, int *, int, struct rusage *);

#ifdef INFLAME_COND_VERSION
#define RESOLVE_COND(name)                                                                         \
	do {                                                                                       \
		if (!real_##name)                                                                  \
			*(void **)&real_##name =                                                   \
			    inflame__interpose_next(#name, INFLAME_COND_VERSION);                  \
		INFLAME_RESOLVE(name);                                                             \
	} while (0)
#else
#define RESOLVE_COND(name) INFLAME_RESOLVE(name)
#endif
#define RESOLVE_COND_ONE(name) RESOLVE_COND(name);

void inflame__interpose_blocking_resolve(void)
{
	INFLAME_BLOCKING_NAMES(INFLAME_RESOLVE_ONE)
	INFLAME_BLOCKING_COND_NAMES(RESOLVE_COND_ONE)
}

/* A deadline timeout ms from now (0: none, a negative timeout waits forever). */
static uint64_t ms_deadline(int timeout)
{
	return timeout > 0 ? inflame__now_monotonic() + (uint64_t)timeout * 1000000ull : 0;
}

/* What is left until deadline in whole milliseconds, rounded up so that a restarted call never
 * ends before the program's timeout. */
static int ms_left(uint64_t deadline)
{
	struct timespec l = inflame_shield_left(deadline);
	uint64_t ns = inflame_shield_ns(&l);

	return (int)((ns + 999999) / 1000000);
}

/* The same as INFLAME_SHIELDED_TIMESPEC for a timeout in milliseconds (negative: none), read by
 * expr as t. */
#define SHIELDED_MS(timeout, t, expr)                                                              \
	do {                                                                                       \
		struct inflame_shield s_;                                                          \
		uint64_t deadline_ = ms_deadline(timeout);                                         \
		int rc_, t = (timeout);                                                            \
		inflame_shield_begin_marked(&s_, INFLAME_SHIELD_SITE);                             \
		while ((rc_ = (expr)) < 0 && errno == EINTR && inflame_shield_retry(&s_))          \
			if ((timeout) > 0)                                                         \
				t = ms_left(deadline_);                                            \
		inflame_shield_end();                                                              \
		return rc_;                                                                        \
	} while (0)

/* Sleeps. */

/* nanosleep with the remainder always asked for: the restart sleeps what is left. ra and sp:
 * the program's call (INFLAME_SHIELD_SITE in the exported function). Inlined, so that the
 * exported functions that call it keep a frame of their own for the site. */
static inline __attribute__((always_inline)) int
sleep_rel(const struct timespec *req, struct timespec *rem, uintptr_t ra, uintptr_t sp)
{
	struct inflame_shield s;
	struct timespec left, *out = rem ? rem : &left;
	int rc;

	INFLAME_RESOLVE(nanosleep);
	inflame_shield_begin_marked(&s, ra, sp);
	rc = real_nanosleep(req, out);
	while (rc < 0 && errno == EINTR && inflame_shield_retry(&s)) {
		left = *out;
		rc = real_nanosleep(&left, out);
	}
	inflame_shield_end();
	return rc;
}

INFLAME_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
	return sleep_rel(req, rem, INFLAME_SHIELD_SITE);
}

INFLAME_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
				   struct timespec *rem)
{
	struct inflame_shield s;
	struct timespec left, out;
	int rc;

	INFLAME_RESOLVE(clock_nanosleep);
	inflame_shield_begin_marked(&s, INFLAME_SHIELD_SITE);
	if (flags & TIMER_ABSTIME) {
		do
			rc = real_clock_nanosleep(clk, flags, req, rem);
		while (rc == EINTR && inflame_shield_retry(&s));
		inflame_shield_end();
		return rc;
	}
	rc = real_clock_nanosleep(clk, flags, req, &out);
	while (rc == EINTR && inflame_shield_retry(&s)) {
		left = out;
		rc = real_clock_nanosleep(clk, flags, &left, &out);
	}
	inflame_shield_end();
	if (rc == EINTR && rem)
		*rem = out;
	return rc;
}

/* glibc's sleep and usleep reach the kernel through its internal clock_nanosleep, which no
 * wrapper sees: both are written again here on the shielded nanosleep, with glibc's results
 * (sleep: the whole seconds left when interrupted, errno EINTR). */
INFLAME_EXPORT unsigned int sleep(unsigned int seconds)
{
	struct timespec ts = {(time_t)seconds, 0};

	if (sleep_rel(&ts, &ts, INFLAME_SHIELD_SITE) < 0)
		return (unsigned int)ts.tv_sec;
	return 0;
}

INFLAME_EXPORT int usleep(useconds_t us)
{
	struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};

	return sleep_rel(&ts, NULL, INFLAME_SHIELD_SITE);
}

INFLAME_EXPORT int thrd_sleep(const struct timespec *req, struct timespec *rem)
{
	struct inflame_shield s;
	struct timespec left, out;
	int rc;

	INFLAME_RESOLVE(thrd_sleep);
	inflame_shield_begin_marked(&s, INFLAME_SHIELD_SITE);
	rc = real_thrd_sleep(req, &out);
	while (rc == -1 && inflame_shield_retry(&s)) {
		left = out;
		rc = real_thrd_sleep(&left, &out);
	}
	inflame_shield_end();
	if (rc == -1 && rem)
		*rem = out;
	return rc;
}

INFLAME_EXPORT int pause(void)
{
	INFLAME_RESOLVE(pause);
	INFLAME_SHIELDED(int, real_pause());
}

/* Polling. */

INFLAME_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	INFLAME_RESOLVE(poll);
	SHIELDED_MS(timeout, t, real_poll(fds, n, t));
}

INFLAME_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t,
			 const sigset_t *mask)
{
	sigset_t f;
	const sigset_t *m = inflame_sig_filter(mask, &f);

	INFLAME_RESOLVE(ppoll);
	INFLAME_SHIELDED_TIMESPEC(t, tp, real_ppoll(fds, n, tp, m));
}

/* Linux's select leaves the sets alone when it fails and writes what is left of the timeout
 * into it: the restart passes both as they are. */
INFLAME_EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t)
{
	INFLAME_RESOLVE(select);
	INFLAME_SHIELDED(int, real_select(n, r, w, e, t));
}

INFLAME_EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t,
			   const sigset_t *mask)
{
	sigset_t f;
	const sigset_t *m = inflame_sig_filter(mask, &f);

	INFLAME_RESOLVE(pselect);
	INFLAME_SHIELDED_TIMESPEC(t, tp, real_pselect(n, r, w, e, tp, m));
}

INFLAME_EXPORT int epoll_wait(int ep, struct epoll_event *ev, int max, int timeout)
{
	INFLAME_RESOLVE(epoll_wait);
	SHIELDED_MS(timeout, t, real_epoll_wait(ep, ev, max, t));
}

INFLAME_EXPORT int epoll_pwait(int ep, struct epoll_event *ev, int max, int timeout,
			       const sigset_t *mask)
{
	sigset_t f;
	const sigset_t *m = inflame_sig_filter(mask, &f);

	INFLAME_RESOLVE(epoll_pwait);
	SHIELDED_MS(timeout, t, real_epoll_pwait(ep, ev, max, t, m));
}

INFLAME_EXPORT int epoll_pwait2(int ep, struct epoll_event *ev, int max, const struct timespec *t,
				const sigset_t *mask)
{
	sigset_t f;
	const sigset_t *m = inflame_sig_filter(mask, &f);

	INFLAME_RESOLVE(epoll_pwait2);
	if (!real_epoll_pwait2) {
		errno = ENOSYS;
		return -1;
	}
	INFLAME_SHIELDED_TIMESPEC(t, tp, real_epoll_pwait2(ep, ev, max, tp, m));
}

/* Semaphores and System V IPC (absolute timeouts restart as they are). */

INFLAME_EXPORT int sem_wait(sem_t *sem)
{
	INFLAME_RESOLVE(sem_wait);
	INFLAME_SHIELDED(int, real_sem_wait(sem));
}

INFLAME_EXPORT int sem_timedwait(sem_t *sem, const struct timespec *abs)
{
	INFLAME_RESOLVE(sem_timedwait);
	INFLAME_SHIELDED(int, real_sem_timedwait(sem, abs));
}

INFLAME_EXPORT int sem_clockwait(sem_t *sem, clockid_t clk, const struct timespec *abs)
{
	INFLAME_RESOLVE(sem_clockwait);
	INFLAME_SHIELDED(int, real_sem_clockwait(sem, clk, abs));
}

INFLAME_EXPORT ssize_t msgrcv(int id, void *msg, size_t size, long type, int flags)
{
	INFLAME_RESOLVE(msgrcv);
	INFLAME_SHIELDED(ssize_t, real_msgrcv(id, msg, size, type, flags));
}

INFLAME_EXPORT int msgsnd(int id, const void *msg, size_t size, int flags)
{
	INFLAME_RESOLVE(msgsnd);
	INFLAME_SHIELDED(int, real_msgsnd(id, msg, size, flags));
}

INFLAME_EXPORT int semop(int id, struct sembuf *ops, size_t n)
{
	INFLAME_RESOLVE(semop);
	INFLAME_SHIELDED(int, real_semop(id, ops, n));
}

INFLAME_EXPORT int semtimedop(int id, struct sembuf *ops, size_t n, const struct timespec *t)
{
	INFLAME_RESOLVE(semtimedop);
	INFLAME_SHIELDED_TIMESPEC(t, tp, real_semtimedop(id, ops, n, tp));
}

/* Sockets with SO_RCVTIMEO or SO_SNDTIMEO. The kernel starts the socket's timeout again on
 * every call, and a blocked thread may be interrupted again and again: so after the first
 * interruption the wrapper waits for the socket itself with poll() until what is left of the
 * timeout (counted from that interruption: the time before it is at most about one sampling
 * period), then makes the call again. A timeout that runs out fails with EAGAIN, as it would. */

/* When the socket's timeout (opt) runs out, counted from now; UINT64_MAX when it has none. */
static uint64_t sock_deadline(int fd, int opt)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);

	if (getsockopt(fd, SOL_SOCKET, opt, &tv, &len) < 0 || (tv.tv_sec == 0 && tv.tv_usec == 0))
		return UINT64_MAX;
	return inflame__now_monotonic() + (uint64_t)tv.tv_sec * 1000000000ull +
	       (uint64_t)tv.tv_usec * 1000ull;
}

/* Waits until fd is ready for events or deadline passes. Returns 1 (ready), 0 (timed out) or
 * -1 with errno (EINTR when the program's handler ran). */
static int sock_wait(int fd, short events, uint64_t deadline, struct inflame_shield *s)
{
	struct pollfd p = {fd, events, 0};
	int rc;

	INFLAME_RESOLVE(poll);
	for (;;) {
		rc = real_poll(&p, 1, deadline == UINT64_MAX ? -1 : ms_left(deadline));
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR || !inflame_shield_retry(s))
			return -1;
	}
}

#define SOCKET_SHIELDED(fd, opt, events, expr)                                                     \
	do {                                                                                       \
		struct inflame_shield s_;                                                          \
		uint64_t deadline_ = 0;                                                            \
		ssize_t rc_;                                                                       \
		int w_;                                                                            \
		inflame_shield_begin(&s_);                                                         \
		while ((rc_ = (expr)) < 0 && errno == EINTR && inflame_shield_retry(&s_)) {        \
			if (!deadline_)                                                            \
				deadline_ = sock_deadline(fd, opt);                                \
			w_ = sock_wait(fd, events, deadline_, &s_);                                \
			if (w_ <= 0) {                                                             \
				if (w_ == 0)                                                       \
					errno = EAGAIN;                                            \
				return -1;                                                         \
			}                                                                          \
		}                                                                                  \
		return rc_;                                                                        \
	} while (0)

INFLAME_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	INFLAME_RESOLVE(recv);
	SOCKET_SHIELDED(fd, SO_RCVTIMEO, POLLIN, real_recv(fd, buf, len, flags));
}

INFLAME_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, __SOCKADDR_ARG addr,
				socklen_t *alen)
{
	INFLAME_RESOLVE(recvfrom);
	SOCKET_SHIELDED(fd, SO_RCVTIMEO, POLLIN,
			real_recvfrom(fd, buf, len, flags, addr.__sockaddr__, alen));
}

INFLAME_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	INFLAME_RESOLVE(recvmsg);
	SOCKET_SHIELDED(fd, SO_RCVTIMEO, POLLIN, real_recvmsg(fd, msg, flags));
}

INFLAME_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	INFLAME_RESOLVE(send);
	SOCKET_SHIELDED(fd, SO_SNDTIMEO, POLLOUT, real_send(fd, buf, len, flags));
}

INFLAME_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			      __CONST_SOCKADDR_ARG addr, socklen_t alen)
{
	INFLAME_RESOLVE(sendto);
	SOCKET_SHIELDED(fd, SO_SNDTIMEO, POLLOUT,
			real_sendto(fd, buf, len, flags, addr.__sockaddr__, alen));
}

INFLAME_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	INFLAME_RESOLVE(sendmsg);
	SOCKET_SHIELDED(fd, SO_SNDTIMEO, POLLOUT, real_sendmsg(fd, msg, flags));
}

/* recvmmsg and sendmmsg fail with EINTR only when no message went through yet (a count
 * otherwise), so a restart repeats nothing. recvmmsg's own timeout is the caller's: the kernel
 * writes what is left of it back, and the restart goes on with that. */
INFLAME_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int n, int flags,
			    struct timespec *timeout)
{
	INFLAME_RESOLVE(recvmmsg);
	SOCKET_SHIELDED(fd, SO_RCVTIMEO, POLLIN, real_recvmmsg(fd, vec, n, flags, timeout));
}

INFLAME_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int n, int flags)
{
	INFLAME_RESOLVE(sendmmsg);
	SOCKET_SHIELDED(fd, SO_SNDTIMEO, POLLOUT, real_sendmmsg(fd, vec, n, flags));
}

INFLAME_EXPORT int accept(int fd, __SOCKADDR_ARG addr, socklen_t *alen)
{
	INFLAME_RESOLVE(accept);
	SOCKET_SHIELDED(fd, SO_RCVTIMEO, POLLIN, real_accept(fd, addr.__sockaddr__, alen));
}

INFLAME_EXPORT int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *alen, int flags)
{
	INFLAME_RESOLVE(accept4);
	SOCKET_SHIELDED(fd, SO_RCVTIMEO, POLLIN, real_accept4(fd, addr.__sockaddr__, alen, flags));
}

/* liburing's waits. liburing makes the io_uring_enter system call itself, which fails with
 * EINTR after any signal handler, and its waits return that as -EINTR. Its exported functions
 * that wait are wrapped (io_uring_wait_cqe and io_uring_wait_cqe_nr are inline calls of
 * __io_uring_get_cqe): a wait that inflame's handler alone interrupted waits again, with what is
 * left of its timeout (once more with none left, as a poll would: liburing then fails with
 * -ETIME unless a completion came). A restart submits nothing twice: the kernel takes the
 * entries of the submission ring, which the first call emptied. Not covered: io_uring_enter
 * with an extended argument (it may hold a timeout), rings driven by the raw system call. The
 * ring, the completions and the mask are opaque here: liburing's header is not needed. */

/* io_uring_enter's flags: wait for completions; the last argument is a struct. */
#define URING_GETEVENTS 1u
#define URING_EXT_ARG	8u

typedef int (*uring_get_cqe_fn)(void *, void **, unsigned, unsigned, sigset_t *);
typedef int (*uring_wait_cqes_fn)(void *, void **, unsigned, struct __kernel_timespec *,
				  sigset_t *);
typedef int (*uring_wait_cqe_timeout_fn)(void *, void **, struct __kernel_timespec *);
typedef int (*uring_submit_and_wait_fn)(void *, unsigned);
typedef int (*uring_submit_and_wait_timeout_fn)(void *, void **, unsigned,
						struct __kernel_timespec *, sigset_t *);
typedef int (*uring_enter_fn)(unsigned, unsigned, unsigned, unsigned, sigset_t *);
typedef int (*uring_enter2_fn)(unsigned, unsigned, unsigned, unsigned, sigset_t *, size_t);

static uring_get_cqe_fn real___io_uring_get_cqe;
static uring_wait_cqes_fn real_io_uring_wait_cqes;
static uring_wait_cqe_timeout_fn real_io_uring_wait_cqe_timeout;
static uring_submit_and_wait_fn real_io_uring_submit_and_wait;
static uring_submit_and_wait_timeout_fn real_io_uring_submit_and_wait_timeout;
static uring_enter_fn real_io_uring_enter;
static uring_enter2_fn real_io_uring_enter2;

/* When a liburing timeout (NULL: none) that starts now ends. */
static uint64_t uring_deadline(const struct __kernel_timespec *t)
{
	struct timespec ts;

	if (!t)
		return 0;
	ts.tv_sec = (time_t)t->tv_sec;
	ts.tv_nsec = (long)t->tv_nsec;
	return inflame_shield_deadline(&ts);
}

/* What is left until deadline, as liburing takes a timeout. */
static void uring_left(uint64_t deadline, struct __kernel_timespec *out)
{
	struct timespec l = inflame_shield_left(deadline);

	out->tv_sec = l.tv_sec;
	out->tv_nsec = l.tv_nsec;
}

/* Whether io_uring_enter with these arguments waits, and without a timeout. */
static int uring_enter_waits(unsigned min_complete, unsigned flags)
{
	return (flags & URING_GETEVENTS) && !(flags & URING_EXT_ARG) && min_complete > 0;
}

/* Calls expr (a liburing call returning 0, a count or -errno) again while it fails with -EINTR
 * because only inflame's handler ran; expr reads the timeout as tp, what is left of t (NULL:
 * none). waits says whether it blocks at all (a wait for no completion returns at once: it is
 * neither marked nor shielded). */
#define URING_SHIELDED(waits, t, tp, expr)                                                         \
	do {                                                                                       \
		struct inflame_shield s_;                                                          \
		struct __kernel_timespec left_;                                                    \
		struct __kernel_timespec *tp = (t);                                                \
		uint64_t deadline_;                                                                \
		int rc_;                                                                           \
		(void)tp;                                                                          \
		if (!(waits))                                                                      \
			return (expr);                                                             \
		deadline_ = uring_deadline(t);                                                     \
		inflame_shield_begin_marked(&s_, INFLAME_SHIELD_SITE);                             \
		while ((rc_ = (expr)) == -EINTR && inflame_shield_retry(&s_))                      \
			if (t) {                                                                   \
				uring_left(deadline_, &left_);                                     \
				tp = &left_;                                                       \
			}                                                                          \
		inflame_shield_end();                                                              \
		return rc_;                                                                        \
	} while (0)

/* Resolves liburing's name, or fails as a missing function would not be called. */
#define URING_RESOLVE(name)                                                                        \
	do {                                                                                       \
		INFLAME_RESOLVE(name);                                                             \
		if (!real_##name)                                                                  \
			return -ENOSYS;                                                            \
	} while (0)

INFLAME_EXPORT int __io_uring_get_cqe(void *ring, void **cqe, unsigned submit, unsigned wait_nr,
				      sigset_t *mask)
{
	URING_RESOLVE(__io_uring_get_cqe);
	URING_SHIELDED(wait_nr > 0, NULL, tp,
		       real___io_uring_get_cqe(ring, cqe, submit, wait_nr, mask));
}

INFLAME_EXPORT int io_uring_wait_cqes(void *ring, void **cqe, unsigned wait_nr,
				      struct __kernel_timespec *ts, sigset_t *mask)
{
	URING_RESOLVE(io_uring_wait_cqes);
	URING_SHIELDED(wait_nr > 0, ts, tp, real_io_uring_wait_cqes(ring, cqe, wait_nr, tp, mask));
}

INFLAME_EXPORT int io_uring_wait_cqe_timeout(void *ring, void **cqe, struct __kernel_timespec *ts)
{
	URING_RESOLVE(io_uring_wait_cqe_timeout);
	URING_SHIELDED(1, ts, tp, real_io_uring_wait_cqe_timeout(ring, cqe, tp));
}

INFLAME_EXPORT int io_uring_submit_and_wait(void *ring, unsigned wait_nr)
{
	URING_RESOLVE(io_uring_submit_and_wait);
	URING_SHIELDED(wait_nr > 0, NULL, tp, real_io_uring_submit_and_wait(ring, wait_nr));
}

INFLAME_EXPORT int io_uring_submit_and_wait_timeout(void *ring, void **cqe, unsigned wait_nr,
						    struct __kernel_timespec *ts, sigset_t *mask)
{
	URING_RESOLVE(io_uring_submit_and_wait_timeout);
	URING_SHIELDED(wait_nr > 0, ts, tp,
		       real_io_uring_submit_and_wait_timeout(ring, cqe, wait_nr, tp, mask));
}

INFLAME_EXPORT int io_uring_enter(unsigned fd, unsigned submit, unsigned min_complete,
				  unsigned flags, sigset_t *mask)
{
	URING_RESOLVE(io_uring_enter);
	URING_SHIELDED(uring_enter_waits(min_complete, flags), NULL, tp,
		       real_io_uring_enter(fd, submit, min_complete, flags, mask));
}

INFLAME_EXPORT int io_uring_enter2(unsigned fd, unsigned submit, unsigned min_complete,
				   unsigned flags, sigset_t *arg, size_t size)
{
	URING_RESOLVE(io_uring_enter2);
	URING_SHIELDED(uring_enter_waits(min_complete, flags), NULL, tp,
		       real_io_uring_enter2(fd, submit, min_complete, flags, arg, size));
}

/* Futex waits, and the waits for a child (which inflame's handler, SA_RESTART, never makes fail
 * with EINTR): marked, not shielded. expr returns an int (an error number, or -1 with errno,
 * which inflame_shield_end keeps). */
#define MARKED(expr)                                                                               \
	do {                                                                                       \
		int rc_;                                                                           \
		inflame_shield_enter(inflame_thread_self(), INFLAME_SHIELD_SITE);                  \
		rc_ = (expr);                                                                      \
		inflame_shield_end();                                                              \
		return rc_;                                                                        \
	} while (0)

INFLAME_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	RESOLVE_COND(pthread_cond_wait);
	MARKED(real_pthread_cond_wait(c, m));
}

INFLAME_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
					  const struct timespec *abs)
{
	RESOLVE_COND(pthread_cond_timedwait);
	MARKED(real_pthread_cond_timedwait(c, m, abs));
}

INFLAME_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
					  const struct timespec *abs)
{
	INFLAME_RESOLVE(pthread_cond_clockwait);
	if (!real_pthread_cond_clockwait)
		return ENOSYS;
	MARKED(real_pthread_cond_clockwait(c, m, clk, abs));
}

INFLAME_EXPORT int pthread_join(pthread_t t, void **ret)
{
	INFLAME_RESOLVE(pthread_join);
	MARKED(real_pthread_join(t, ret));
}

INFLAME_EXPORT int pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abs)
{
	INFLAME_RESOLVE(pthread_timedjoin_np);
	if (!real_pthread_timedjoin_np)
		return ENOSYS;
	MARKED(real_pthread_timedjoin_np(t, ret, abs));
}

INFLAME_EXPORT int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clk,
					const struct timespec *abs)
{
	INFLAME_RESOLVE(pthread_clockjoin_np);
	if (!real_pthread_clockjoin_np)
		return ENOSYS;
	MARKED(real_pthread_clockjoin_np(t, ret, clk, abs));
}

/* A process that waits for its children (a shell, a launcher, /usr/bin/time) is at the wait's
 * stack for as long as it waits: marked, the ticker counts that without looking, and sleeps
 * while every thread waits so. */
INFLAME_EXPORT pid_t wait(int *status)
{
	INFLAME_RESOLVE(wait);
	MARKED(real_wait(status));
}

INFLAME_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
	INFLAME_RESOLVE(waitpid);
	MARKED(real_waitpid(pid, status, options));
}

INFLAME_EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
	INFLAME_RESOLVE(waitid);
	MARKED(real_waitid(type, id, info, options));
}

INFLAME_EXPORT pid_t wait3(int *status, int options, struct rusage *usage)
{
	INFLAME_RESOLVE(wait3);
	MARKED(real_wait3(status, options, usage));
}

INFLAME_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage)
{
	INFLAME_RESOLVE(wait4);
	MARKED(real_wait4(pid, status, options, usage));
}
