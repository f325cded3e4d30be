/*
 * The samples of dumps in time order, and the time points of --from and --to (timeline.h).
 *
 * Threads are found by (pid, tid) in a small open-addressing hash, so a million samples over a
 * few threads cost one probe each. A run loaded after a later one moves the start back: every
 * sample kept so far is shifted, which happens at most once per input.
 *
 * Time points are parsed by hand (no strptime) so that fractions of seconds work everywhere;
 * dates and times of day are local time, as `date` prints them, unless they end in "Z".
 */
#include "view/timeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void inflame_timeline_free(struct inflame_timeline *tl)
{
	for (size_t i = 0; i < tl->nthreads; i++)
		free(tl->threads[i].name);
	free(tl->threads);
	free(tl->samples);
	free(tl->thread_hash);
	memset(tl, 0, sizeof(*tl));
}

uint64_t inflame_timeline_begin_run(struct inflame_timeline *tl, uint64_t start_realtime)
{
	if (!tl->has_start) {
		tl->has_start = 1;
		tl->start_realtime = start_realtime;
	} else if (start_realtime < tl->start_realtime) {
		uint64_t shift = tl->start_realtime - start_realtime;

		for (size_t i = 0; i < tl->nsamples; i++) {
			tl->samples[i].time += shift;
			if (tl->samples[i].freed >= 0)
				tl->samples[i].freed += (int64_t)shift;
		}
		tl->end += shift;
		tl->start_realtime = start_realtime;
	}
	return start_realtime - tl->start_realtime;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 64;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

static size_t thread_slot(const struct inflame_timeline *tl, uint64_t pid, uint64_t tid)
{
	uint64_t h = (pid * 0x9e3779b97f4a7c15ULL) ^ (tid * 0xbf58476d1ce4e5b9ULL);
	size_t mask = tl->thread_hash_size - 1, i = (size_t)(h ^ h >> 29) & mask;

	while (tl->thread_hash[i]) {
		const struct inflame_timeline_thread *t = &tl->threads[tl->thread_hash[i] - 1];

		if (t->pid == pid && t->tid == tid)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static int rehash(struct inflame_timeline *tl)
{
	size_t size = tl->thread_hash_size ? tl->thread_hash_size * 2 : 64;
	uint32_t *old = tl->thread_hash;

	tl->thread_hash = calloc(size, sizeof(*tl->thread_hash));
	if (!tl->thread_hash) {
		tl->thread_hash = old;
		return -ENOMEM;
	}
	tl->thread_hash_size = size;
	for (size_t i = 0; i < tl->nthreads; i++)
		tl->thread_hash[thread_slot(tl, tl->threads[i].pid, tl->threads[i].tid)] =
		    (uint32_t)(i + 1);
	free(old);
	return 0;
}

int inflame_timeline_thread(struct inflame_timeline *tl, uint64_t pid, uint64_t tid,
			    const char *name, size_t n, int exited, uint32_t *index)
{
	struct inflame_timeline_thread *t;
	size_t slot;

	if ((tl->nthreads + 1) * 2 > tl->thread_hash_size && rehash(tl) < 0)
		return -ENOMEM;
	slot = thread_slot(tl, pid, tid);
	if (!tl->thread_hash[slot]) {
		if (tl->nthreads >= UINT32_MAX - 1 ||
		    grow((void **)&tl->threads, &tl->threads_cap, tl->nthreads + 1,
			 sizeof(*tl->threads)) < 0)
			return -ENOMEM;
		t = &tl->threads[tl->nthreads];
		memset(t, 0, sizeof(*t));
		t->pid = pid;
		t->tid = tid;
		t->name = calloc(1, 1);
		if (!t->name)
			return -ENOMEM;
		tl->thread_hash[slot] = (uint32_t)++tl->nthreads;
	}
	*index = tl->thread_hash[slot] - 1;
	t = &tl->threads[*index];
	if (n && !t->name[0]) {
		char *s = malloc(n + 1);

		if (!s)
			return -ENOMEM;
		memcpy(s, name, n);
		s[n] = '\0';
		free(t->name);
		t->name = s;
	}
	t->exited |= exited != 0;
	return 0;
}

int inflame_timeline_add(struct inflame_timeline *tl, const struct inflame_timeline_sample *s)
{
	if (grow((void **)&tl->samples, &tl->samples_cap, tl->nsamples + 1, sizeof(*tl->samples)) <
	    0)
		return -ENOMEM;
	tl->samples[tl->nsamples++] = *s;
	if (s->time > tl->end)
		tl->end = s->time;
	return 0;
}

/* A stable merge sort by time: samples arrive mostly in order, chunk by chunk. */
static void merge_sort(struct inflame_timeline_sample *a, struct inflame_timeline_sample *tmp,
		       size_t n)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	merge_sort(a, tmp, mid);
	merge_sort(a + mid, tmp, n - mid);
	if (a[mid - 1].time <= a[mid].time)
		return;
	while (i < mid && j < n)
		tmp[k++] = a[j].time < a[i].time ? a[j++] : a[i++];
	while (i < mid)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof(*a));
}

void inflame_timeline_finish(struct inflame_timeline *tl)
{
	struct inflame_timeline_sample *tmp;
	size_t i;

	for (i = 1; i < tl->nsamples; i++)
		if (tl->samples[i].time < tl->samples[i - 1].time)
			break;
	if (i >= tl->nsamples)
		return;
	tmp = malloc(tl->nsamples * sizeof(*tmp));
	if (tmp) {
		merge_sort(tl->samples, tmp, tl->nsamples);
		free(tmp);
		return;
	}
	/* No memory for the merge: an insertion sort is slow but stable and needs none. */
	for (i = 1; i < tl->nsamples; i++) {
		struct inflame_timeline_sample s = tl->samples[i];
		size_t j = i;

		while (j > 0 && tl->samples[j - 1].time > s.time) {
			tl->samples[j] = tl->samples[j - 1];
			j--;
		}
		tl->samples[j] = s;
	}
}

/* Reads n digits (exactly) into *v; returns the end or NULL. */
static const char *digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, s++) {
		if (*s < '0' || *s > '9')
			return NULL;
		*v = *v * 10 + (*s - '0');
	}
	return s;
}

/* Reads an optional fraction ".ddd" as ns into *ns; returns the end. */
static const char *fraction(const char *s, uint64_t *ns)
{
	uint64_t scale = 100000000;

	*ns = 0;
	if (*s != '.')
		return s;
	s++;
	if (*s < '0' || *s > '9')
		return NULL;
	for (; *s >= '0' && *s <= '9'; s++) {
		*ns += (uint64_t)(*s - '0') * scale;
		scale /= 10;
	}
	return s;
}

/* "HH:MM:SS[.frac]" at s; returns the end or NULL, with the ns since midnight. */
static const char *time_of_day(const char *s, uint64_t *ns)
{
	int h, m, sec;
	uint64_t frac;

	if (!(s = digits(s, 2, &h)) || *s++ != ':' || !(s = digits(s, 2, &m)) || *s++ != ':' ||
	    !(s = digits(s, 2, &sec)) || !(s = fraction(s, &frac)))
		return NULL;
	if (h > 23 || m > 59 || sec > 60)
		return NULL;
	*ns = ((uint64_t)h * 3600 + (uint64_t)m * 60 + (uint64_t)sec) * 1000000000ull + frac;
	return s;
}

int inflame_time_point_parse(const char *s, struct inflame_time_point *p)
{
	uint64_t ns;
	int y, mo, d;
	const char *q;

	if (!s || !*s)
		return -EINVAL;
	/* A date and time. */
	q = digits(s, 4, &y);
	if (q && *q == '-') {
		struct tm tm = {0};
		time_t t;
		int utc;

		if (!(q = digits(q + 1, 2, &mo)) || *q++ != '-' || !(q = digits(q, 2, &d)) ||
		    (*q != 'T' && *q != ' ') || !(q = time_of_day(q + 1, &ns)))
			return -EINVAL;
		utc = *q == 'Z';
		if (q[utc] || mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970)
			return -EINVAL;
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_sec = (int)(ns / 1000000000ull);
		tm.tm_isdst = -1;
		t = utc ? timegm(&tm) : mktime(&tm);
		if (t == (time_t)-1 || t < 0)
			return -EINVAL;
		p->kind = INFLAME_TIME_REALTIME;
		p->ns = (uint64_t)t * 1000000000ull + ns % 1000000000ull;
		return 0;
	}
	/* A time of day. */
	q = time_of_day(s, &ns);
	if (q) {
		if (*q)
			return -EINVAL;
		p->kind = INFLAME_TIME_TIME_OF_DAY;
		p->ns = ns;
		return 0;
	}
	/* Seconds from the start: digits, an optional fraction, an optional "s". */
	{
		uint64_t secs = 0;

		q = s;
		if (*q < '0' || *q > '9')
			return -EINVAL;
		for (; *q >= '0' && *q <= '9'; q++) {
			if (secs > 100000000000ull)
				return -EINVAL;
			secs = secs * 10 + (uint64_t)(*q - '0');
		}
		if (!(q = fraction(q, &ns)))
			return -EINVAL;
		if (*q == 's')
			q++;
		if (*q)
			return -EINVAL;
		p->kind = INFLAME_TIME_OFFSET;
		p->ns = secs * 1000000000ull + ns;
		return 0;
	}
}

uint64_t inflame_time_point_resolve(const struct inflame_time_point *p, uint64_t start_realtime,
				    uint64_t dflt)
{
	uint64_t at;

	switch (p->kind) {
	case INFLAME_TIME_OFFSET:
		return p->ns;
	case INFLAME_TIME_REALTIME:
		at = p->ns;
		break;
	case INFLAME_TIME_TIME_OF_DAY: {
		/* That time on the day the run started; a time more than 12 hours before the
		 * start is taken on the next day (a run across midnight). */
		time_t t = (time_t)(start_realtime / 1000000000ull);
		struct tm tm;
		time_t mid;

		if (!localtime_r(&t, &tm))
			return 0;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_isdst = -1;
		mid = mktime(&tm);
		if (mid == (time_t)-1)
			return 0;
		at = (uint64_t)mid * 1000000000ull + p->ns;
		if (at + 12 * 3600 * 1000000000ull < start_realtime)
			at += 24 * 3600 * 1000000000ull;
		break;
	}
	default:
		return dflt;
	}
	return at > start_realtime ? at - start_realtime : 0;
}
