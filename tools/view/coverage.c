/*
 * Coverage figures from THREAD_CPU chunks. Entries are kept per thread in the order threads
 * first appear; a later entry for a tid replaces the earlier one unless that one was the
 * thread's last (flagged exited): then the tid is a new thread's. The tables are small (one
 * entry per thread of the process), so lookups are linear from the end.
 */
#include "view/coverage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct inflame_coverage_thread *find(struct inflame_coverage *c, uint64_t tid)
{
	for (size_t i = c->n; i-- > 0;)
		if (c->t[i].tid == tid)
			return (c->t[i].flags & INFLAME_TCPU_T_EXITED) ? NULL : &c->t[i];
	return NULL;
}

int inflame_coverage_add(struct inflame_coverage *c, const struct inflame_chunk *ch)
{
	struct inflame_thread_cpu_iter it;
	struct inflame_thread_cpu_rec r;
	struct inflame_thread_cpu_losses l;
	uint64_t tid, ns;
	size_t first = c->n;
	int rc;

	/* Validate the whole chunk first: a malformed one changes nothing. */
	if (inflame_dump_thread_cpu_begin(ch, &it) < 0)
		return -EBADMSG;
	while ((rc = inflame_dump_thread_cpu_next(&it, &r)) == 1)
		;
	while (rc == 0 && (rc = inflame_dump_thread_cpu_unsampled(&it, &tid, &ns)) == 1)
		;
	while (rc == 0 && (rc = inflame_dump_thread_cpu_losses(&it, &l)) == 1)
		;
	if (rc < 0)
		return -EBADMSG;
	inflame_dump_thread_cpu_begin(ch, &it);
	c->present = 1;
	c->period_ns = it.period_ns;
	c->flags = it.flags;
	c->writer_ns = it.writer_ns;
	while (inflame_dump_thread_cpu_next(&it, &r) == 1) {
		struct inflame_coverage_thread *t = find(c, r.tid);

		if (!t) {
			if (c->n == c->cap) {
				size_t ncap = c->cap ? c->cap * 2 : 16;
				void *p = realloc(c->t, ncap * sizeof(*c->t));

				if (!p)
					return -ENOMEM;
				c->t = p;
				c->cap = ncap;
			}
			t = &c->t[c->n++];
		}
		*t = (struct inflame_coverage_thread){r.tid,	r.flags,  r.cpu_ns,   r.user_ns,
						      r.sys_ns, r.weight, r.self_cpu, r.self_wall,
						      0,	0,	  0,	      0};
		if (t - c->t < (ptrdiff_t)first)
			first = (size_t)(t - c->t);
	}
	/* The unsampled CPU of threads with an entry in this chunk: their latest entries. */
	while (inflame_dump_thread_cpu_unsampled(&it, &tid, &ns) == 1)
		for (size_t i = c->n; i-- > first;)
			if (c->t[i].tid == tid) {
				c->t[i].unsampled_ns = ns;
				break;
			}
	while (inflame_dump_thread_cpu_losses(&it, &l) == 1)
		for (size_t i = c->n; i-- > first;)
			if (c->t[i].tid == l.tid) {
				c->t[i].missed_ns = l.missed;
				c->t[i].before_ns = l.before;
				c->t[i].dropped_ns = l.dropped;
				break;
			}
	c->has_losses |= it.has_losses;
	return 0;
}

void inflame_coverage_free(struct inflame_coverage *c)
{
	free(c->t);
	memset(c, 0, sizeof(*c));
}

uint64_t inflame_coverage_measured(const struct inflame_coverage *c,
				   const struct inflame_coverage_thread *t)
{
	return (c->flags & INFLAME_TCPU_CLOCK_SYSTEM) ? t->user_ns + t->sys_ns : t->user_ns;
}

uint64_t inflame_coverage_sampled(const struct inflame_coverage *c,
				  const struct inflame_coverage_thread *t)
{
	return (t->weight + t->self_cpu) * c->period_ns;
}

/* Below this much CPU a thread is not judged alone (the kernel's split of user and system
 * time, in clock ticks, is too coarse, and a few periods are too few). */
static uint64_t judged_ns(const struct inflame_coverage *c)
{
	return INFLAME_COVERAGE_MIN_NS > 20 * c->period_ns ? INFLAME_COVERAGE_MIN_NS
							   : 20 * c->period_ns;
}

/* Most of what was sampled of thread t (m ns of CPU) is inflame's own (a thread woken only by
 * wall samples): what its samples miss is the cost of being sampled, mostly the kernel's work
 * switching to and from the thread, which the perf clock does not see. Only when inflame's own
 * samples stand for at least half of what the program's do not: one sample of inflame's in a
 * thread whose 0.3 s of CPU were otherwise in no sample is no excuse. */
static int mostly_own(const struct inflame_coverage *c, const struct inflame_coverage_thread *t,
		      uint64_t m)
{
	return t->self_cpu > t->weight && 2 * (double)t->self_cpu * (double)c->period_ns >=
					      (double)m - (double)t->weight * (double)c->period_ns;
}

int inflame_coverage_low(const struct inflame_coverage *c, const struct inflame_coverage_thread *t)
{
	uint64_t m = inflame_coverage_measured(c, t);

	if (!c->period_ns || (t->flags & INFLAME_TCPU_T_UNMEASURED))
		return 0;
	if (m < judged_ns(c) || mostly_own(c, t, m))
		return 0;
	return (double)inflame_coverage_sampled(c, t) < INFLAME_COVERAGE_WARN * (double)m;
}

uint64_t inflame_coverage_short_low(const struct inflame_coverage *c, double *share)
{
	uint64_t n = 0, m = 0, sampled = 0;

	if (!c->period_ns)
		return 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct inflame_coverage_thread *t = &c->t[i];
		uint64_t tm = inflame_coverage_measured(c, t);

		if ((t->flags & INFLAME_TCPU_T_UNMEASURED) || tm >= judged_ns(c) ||
		    mostly_own(c, t, tm))
			continue;
		n++;
		m += tm;
		sampled += inflame_coverage_sampled(c, t);
	}
	if (n < 2 || m < judged_ns(c) || (double)sampled >= INFLAME_COVERAGE_WARN * (double)m)
		return 0;
	*share = (double)sampled / (double)m;
	return n;
}

/*
 * A period that ends while the thread is in the kernel raises no overflow when the clock fires
 * in user code only (exclude_kernel): the next one, a period of CPU later, carries its weight.
 * By then the thread runs some other code, so the system time lands on functions that did not
 * spend it. A program reading 1 MiB blocks of /dev/zero between computations spent 47% of its
 * CPU in read() by perf; inflame gave read() 6% and the computation 93% (INFLAME_CPU_KERNEL=1:
 * 42% and 58%, as perf). Such a profile is wrong by up to the system share, so it is named.
 */
double inflame_coverage_misplaced_sys(const struct inflame_coverage *c)
{
	uint64_t sys = 0, all = 0;

	if (!c->present || !c->period_ns || !(c->flags & INFLAME_TCPU_CLOCK_SYSTEM) ||
	    (c->flags & INFLAME_TCPU_IN_KERNEL))
		return 0;
	for (size_t i = 0; i < c->n; i++) {
		if (c->t[i].flags & INFLAME_TCPU_T_UNMEASURED)
			continue;
		/* (a thread moved to a POSIX timer: its system time is at its calls, bar the
		 * few periods before the move) */
		if (!(c->t[i].flags & INFLAME_TCPU_T_POSIX_TIMER))
			sys += c->t[i].sys_ns;
		all += c->t[i].user_ns + c->t[i].sys_ns;
	}
	if (sys < INFLAME_COVERAGE_MIN_NS || (double)sys < INFLAME_COVERAGE_SYS_WARN * (double)all)
		return 0;
	return (double)sys / (double)all;
}

int inflame_coverage_kernel_shown(const struct inflame_coverage *c)
{
	return c->present && (c->flags & INFLAME_TCPU_KERNEL_FRAME) != 0;
}

uint64_t inflame_coverage_self_ns(const struct inflame_coverage *c)
{
	uint64_t w = 0;

	for (size_t i = 0; i < c->n; i++)
		w += c->t[i].self_cpu;
	return w * c->period_ns + c->writer_ns;
}

/* Appends entry (the count-th) to buf at *off, its control characters replaced (names come
 * from the dump: none on a terminal); a cut list ends with an ellipsis. */
static void put_entry(char *buf, size_t len, size_t *off, size_t count, const char *entry)
{
	int k;

	if (*off >= len)
		return;
	k = snprintf(buf + *off, len - *off, "%s%s", count > 1 ? ", " : "", entry);
	if (k > 0)
		for (size_t j = *off; j < *off + (size_t)k && j < len; j++)
			if ((unsigned char)buf[j] < 0x20 || buf[j] == 0x7f)
				buf[j] = '?';
	if (k < 0 || (size_t)k >= len - *off) {
		if (len >= 4)
			memcpy(buf + len - 4, "...", 4);
		*off = len;
	} else {
		*off += (size_t)k;
	}
}

size_t inflame_coverage_warning(const struct inflame_coverage *c,
				const char *(*name)(void *arg, uint64_t tid), void *arg, char *buf,
				size_t len)
{
	char entry[320];
	size_t count = 0, off = 0;
	uint64_t n;
	double share;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < c->n; i++) {
		const struct inflame_coverage_thread *t = &c->t[i];
		const char *nm;

		if (!inflame_coverage_low(c, t))
			continue;
		nm = name ? name(arg, t->tid) : NULL;
		snprintf(entry, sizeof(entry), "%.200s (tid %llu) %.0f%%", nm && *nm ? nm : "?",
			 (unsigned long long)t->tid,
			 100.0 * (double)inflame_coverage_sampled(c, t) /
			     (double)inflame_coverage_measured(c, t));
		put_entry(buf, len, &off, ++count, entry);
	}
	if ((n = inflame_coverage_short_low(c, &share)) > 0) {
		snprintf(entry, sizeof(entry),
			 "%llu threads of less than %.1f s of CPU each %.0f%%",
			 (unsigned long long)n, (double)judged_ns(c) / 1e9, 100.0 * share);
		put_entry(buf, len, &off, ++count, entry);
	}
	return count;
}
