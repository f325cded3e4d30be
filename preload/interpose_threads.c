/*
 * Interposition of thread creation and naming.
 *
 * pthread_create: the new thread registers itself (ring, timers, name) before it runs the
 * program's start routine, and unregisters when that returns, exits or is cancelled. It also
 * takes the program's view of its signal mask from its creator (or from the attribute's mask,
 * pthread_attr_setsigmask_np) and unblocks inflame's sampling signal for real: a thread created
 * while its creator blocked every signal is sampled like any other.
 * pthread_setname_np and prctl(PR_SET_NAME): the registry learns the new name.
 */
#include "interpose.h"
#include "writer.h"

#include "alloc.h"
#include "profiler.h"
#include "sigstack.h"
#include "thread.h"
#include "tracer.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/prctl.h>

static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static int (*real_pthread_setname_np)(pthread_t, const char *);
static int (*real_prctl)(int, unsigned long, unsigned long, unsigned long, unsigned long);

void inflame__interpose_threads_resolve(void)
{
	INFLAME_THREADS_NAMES(INFLAME_RESOLVE_ONE)
}

int inflame__real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
				 void *arg)
{
	INFLAME_RESOLVE(pthread_create);
	return real_pthread_create(t, attr, fn, arg);
}

struct start {
	void *(*fn)(void *);
	void *arg;
	int app_blocks; /* the program's view of the new thread's mask */
};

static void thread_cleanup(void *unused)
{
	(void)unused;
	inflame_thread_unregister_current();
}

static void *thread_start(void *p)
{
	struct start s = *(struct start *)p;
	sigset_t set;
	void *ret;

	free(p);
	inflame__sig_tls.app_blocks = s.app_blocks;
	if (inflame__prof.sample_sig > 0) {
		sigemptyset(&set);
		sigaddset(&set, inflame__prof.sample_sig);
		inflame__real_pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	}
	inflame_thread_register_current();
	pthread_cleanup_push(thread_cleanup, NULL);
	ret = s.fn(s.arg);
	pthread_cleanup_pop(1);
	return ret;
}

/* Whether the program asked for the new thread to start with the sampling signal blocked. */
static int new_thread_blocks(const pthread_attr_t *attr)
{
	sigset_t set;

	if (attr && pthread_attr_getsigmask_np(attr, &set) == 0)
		return sigismember(&set, inflame__prof.sample_sig) == 1;
	return inflame__sig_tls.app_blocks;
}

INFLAME_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
				  void *arg)
{
	struct start *s;
	int rc;

	INFLAME_RESOLVE(pthread_create);
	inflame__fork_settle(); /* (a fork child's resets first: they forget the parent's threads)
				 */
	inflame_sigstack_own_grow();  /* (before a second thread: sigstack.h) */
	inflame_alloc_threads_many(); /* before the thread exists: alloc.h */
	/* (the new thread's clock would send it signals: a debugger is asked about first,
	 * tracer.h; a traced image's threads are not registered) */
	if (!inflame__prof.active || inflame_tracer_gate("the program's first thread"))
		return real_pthread_create(t, attr, fn, arg);
	inflame_writer_ensure(); /* (a fork child that had none yet: its rings fill faster now) */
	inflame__alloc_tls.guard++; /* our own record: not the program's allocation */
	s = malloc(sizeof(*s));
	inflame__alloc_tls.guard--;
	if (!s)
		return real_pthread_create(t, attr, fn, arg);
	s->fn = fn;
	s->arg = arg;
	s->app_blocks = new_thread_blocks(attr);
	rc = real_pthread_create(t, attr, thread_start, s);
	if (rc != 0)
		free(s);
	return rc;
}

INFLAME_EXPORT int pthread_setname_np(pthread_t t, const char *name)
{
	int rc;

	INFLAME_RESOLVE(pthread_setname_np);
	rc = real_pthread_setname_np(t, name);
	if (rc == 0 && inflame__prof.active)
		inflame_thread_note_rename(t, pthread_equal(t, pthread_self()));
	return rc;
}

INFLAME_EXPORT int prctl(int option, ...)
{
	unsigned long a[4];
	va_list ap;
	int rc;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	INFLAME_RESOLVE(prctl);
	if (option == PR_SET_SECCOMP)
		inflame__stop_before_filter();
	rc = real_prctl(option, a[0], a[1], a[2], a[3]);
	if (rc == 0 && option == PR_SET_NAME && inflame__prof.active)
		inflame_thread_note_rename(pthread_self(), 1);
	return rc;
}
