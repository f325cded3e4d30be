/*
 * The debugger check (tracer.h): the reading of TracerPid and the stop of a traced image. Both
 * are async-signal-safe, for the sampling handler makes the check at an image's first sample:
 * open, read and close of the status file into a small stack buffer (the handler may run on a
 * small alternate stack), one atomic word of state, no locks, no allocation, errno preserved.
 * The one exception is inflame_tracer_wait, for normal context, which waits for another
 * thread's check to end.
 */
#include "tracer.h"

#include "log.h"
#include "timer.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

/* TracerPid is the eighth line of the status file, after the name (15 characters at most,
 * 4 bytes each when escaped) and six short lines: within its first 300 bytes. */
#define STATUS_HEAD 384

long inflame_tracer_pid(void)
{
	static const char key[] = "\nTracerPid:";
	char buf[STATUS_HEAD];
	ssize_t n;
	long pid = 0;
	int saved = errno;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		errno = saved;
		return 0;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	errno = saved;
	/* The line is found and its number read by hand: strstr and strtol were the only users
	 * of their pages of libc in a short process, two page faults (issue 11). */
	for (ssize_t i = 0; i + (ssize_t)sizeof(key) - 1 <= n; i++) {
		const char *p;

		if (buf[i] != '\n' || memcmp(buf + i, key, sizeof(key) - 1) != 0)
			continue;
		for (p = buf + i + sizeof(key) - 1; p < buf + n && (*p == ' ' || *p == '\t'); p++)
			;
		for (; p < buf + n && *p >= '0' && *p <= '9'; p++)
			pid = pid * 10 + (*p - '0');
		break;
	}
	return pid;
}

static uint64_t image_key(void)
{
	return (uint64_t)(uint32_t)inflame__prof.pid << 2;
}

void inflame_tracer_untraced(void)
{
	atomic_store_explicit(&inflame__prof.tracer, image_key() | INFLAME_TRACER_UNTRACED,
			      memory_order_release);
}

int inflame_tracer_check(const char *at)
{
	uint64_t mine = image_key();
	uint64_t s = atomic_load_explicit(&inflame__prof.tracer, memory_order_acquire);
	long pid;

	/* (a vfork child shares the parent's state and changes none of it) */
	if ((s & ~3ull) != mine && inflame__in_vfork_child())
		return 0;
	/* The first caller of this image claims the check (a fork child's word is still its
	 * parent's); another that comes meanwhile is told so. */
	while ((s & ~3ull) != mine)
		if (atomic_compare_exchange_weak(&inflame__prof.tracer, &s,
						 mine | INFLAME_TRACER_CHECKING))
			break;
	if ((s & ~3ull) == mine) {
		switch (s & 3) {
		case INFLAME_TRACER_UNTRACED:
			return 0;
		case INFLAME_TRACER_TRACED:
			return 1;
		default:
			return 2;
		}
	}
	pid = inflame__prof.cfg.traced ? 0 : inflame_tracer_pid();
	if (pid <= 0) {
		inflame_tracer_untraced();
		return 0;
	}
	/* The handler stays installed: a sampling signal still pending finds sampling off and is
	 * ignored (the default action of SIGPROF would end the program). */
	atomic_store(&inflame__prof.sampling, 0);
	inflame_timer_pause_all();
	atomic_store_explicit(&inflame__prof.tracer, mine | INFLAME_TRACER_TRACED,
			      memory_order_release);
	inflame_log(INFLAME_LOG_INFO,
		    "traced by process %ld (a debugger): profiling stopped at %s (INFLAME_TRACED=1 "
		    "profiles it)",
		    pid, at);
	return 1;
}

/* (the only function here that waits: the checker, a handler or another thread's normal code,
 * takes no lock and waits for nothing, so its answer comes) */
int inflame_tracer_wait(const char *at)
{
	int rc;

	while ((rc = inflame_tracer_check(at)) == 2)
		sched_yield();
	return rc;
}
