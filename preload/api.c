/*
 * The public C API (include/inflame.h, inflame(3)): the program's own calls into the profiler.
 *
 * inflame_start() and inflame_stop() resume and pause sampling in the whole process, as the
 * exit path pauses it (profiler.h); a flag keeps them from resuming what they did not pause.
 * inflame_dump() has the writer close the current file and open the next, and moves the
 * closed file to the name asked for (copying it when a rename cannot). The labels are the
 * one part that may run anywhere, signal handlers included: inflame_label() only writes a
 * record into the calling thread's own ring (labels.h), which the writer turns into the
 * thread's label set.
 *
 * Each entry point keeps errno as it was and returns 0 or a negative errno: -ENODEV when the
 * library is loaded but the profiler is not running in this process (setuid, a bad setting,
 * or the program's own fork child before the writer is back).
 */
#define INFLAME_BUILDING_LIBRARY 1
#include "clock.h"
#include "inflame.h"

#include "labels.h"
#include "log.h"
#include "profiler.h"
#include "ring.h"
#include "thread.h"
#include "timer.h"
#include "wall.h"
#include "writer.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t api_lock = PTHREAD_MUTEX_INITIALIZER;
static int api_stopped; /* sampling paused by inflame_stop() (under api_lock) */
static int label_drop_logged;

INFLAME_EXPORT int inflame_api_stop(void)
{
	int saved = errno, rc = 0;

	inflame__fork_settle();
	pthread_mutex_lock(&api_lock);
	if (!inflame__prof.active || inflame__in_vfork_child())
		rc = -ENODEV;
	else if (!api_stopped && inflame__pause()) {
		api_stopped = 1;
		/* (coverage then falls short of the CPU time: this says why) */
		inflame_log(INFLAME_LOG_INFO, "the program paused sampling (inflame_stop)");
	}
	pthread_mutex_unlock(&api_lock);
	errno = saved;
	return rc;
}

INFLAME_EXPORT int inflame_api_start(const char *events)
{
	int saved = errno, rc = 0;

	inflame__fork_settle();
	pthread_mutex_lock(&api_lock);
	if (!inflame__prof.active || inflame__in_vfork_child()) {
		rc = -ENODEV;
	} else if (events && *events) {
		unsigned mask;
		char err[128];

		if (inflame_config_parse_events(events, &mask, err, sizeof(err)) < 0)
			rc = -EINVAL;
		else if (mask != inflame__prof.cfg.events)
			rc = -ENOTSUP;
	}
	if (rc == 0 && api_stopped) {
		inflame__resume();
		api_stopped = 0;
	}
	pthread_mutex_unlock(&api_lock);
	errno = saved;
	return rc;
}

/* Copies the file from to to (replacing it), then removes from. */
static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out, rc = 0;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while (rc == 0 && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno != EINTR)
				rc = -errno;
			continue;
		}
		for (ssize_t off = 0; off < n && rc == 0;) {
			ssize_t k = write(out, buf + off, (size_t)(n - off));

			if (k < 0 && errno != EINTR)
				rc = -errno;
			else if (k > 0)
				off += k;
		}
	}
	if (close(out) < 0 && rc == 0)
		rc = -errno;
	close(in);
	if (rc == 0)
		unlink(from);
	else
		unlink(to);
	return rc;
}

INFLAME_EXPORT int inflame_api_dump(const char *path)
{
	char closed[PATH_MAX];
	int saved = errno, rc;

	inflame__fork_settle();
	if (!path || !*path) {
		rc = -EINVAL;
	} else if (!inflame__prof.active || inflame__in_vfork_child()) {
		rc = -ENODEV;
	} else {
		closed[0] = 0;
		rc = inflame_writer_dump_sync(closed, sizeof(closed), 10000);
		if (rc == 0 && !closed[0])
			rc = -ENODATA;
		if (rc == 0 && strcmp(closed, path) != 0 && rename(closed, path) < 0)
			rc = errno == EXDEV ? copy_file(closed, path) : -errno;
	}
	errno = saved;
	return rc;
}

/* Puts a label record into the calling thread's ring. Async-signal-safe. */
static int put_label(enum inflame_label_op op, const char *key, size_t klen, const char *val,
		     size_t vlen)
{
	struct inflame_thread *t;
	struct inflame_label_rec *r;

	if (!inflame__prof.active)
		return -ENODEV;
	inflame__fork_settle(); /* (its ring was the parent's until then) */
	t = inflame_thread_self();
	if (!t)
		return -ESRCH;
	r = inflame_ring_try_reserve(&t->ring, sizeof(*r) + klen + vlen, INFLAME_REC_KIND_LABEL);
	if (!r) {
		inflame_log_once(&label_drop_logged, INFLAME_LOG_INFO,
				 "a thread's buffer was full when it changed its labels; some "
				 "label changes are not recorded");
		return -ENOBUFS;
	}
	r->time = inflame__now_monotonic();
	r->op = (uint16_t)op;
	r->klen = (uint16_t)klen;
	r->vlen = (uint16_t)vlen;
	r->pad_ = 0;
	memcpy(r->data, key, klen);
	memcpy(r->data + klen, val, vlen);
	inflame_ring_commit(r);
	return 0;
}

INFLAME_EXPORT int inflame_api_label(const char *key, const char *value)
{
	int saved = errno, rc;
	size_t klen = key ? strnlen(key, INFLAME_LABEL_KEY_MAX + 1) : 0;
	size_t vlen = value ? strnlen(value, INFLAME_LABEL_VAL_MAX + 1) : 0;

	if (!klen || klen > INFLAME_LABEL_KEY_MAX || vlen > INFLAME_LABEL_VAL_MAX ||
	    memchr(key, '=', klen))
		rc = -EINVAL;
	else
		rc = put_label(value ? INFLAME_LABEL_SET : INFLAME_LABEL_DEL, key, klen, value,
			       vlen);
	errno = saved;
	return rc;
}

INFLAME_EXPORT int inflame_api_label_clear(void)
{
	int saved = errno, rc = put_label(INFLAME_LABEL_CLEAR, "", 0, "", 0);

	errno = saved;
	return rc;
}
