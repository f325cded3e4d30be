/*
 * The writer's side of thread labels: each labelled thread's current set, and the LABELS
 * entries that record its changes.
 *
 * The table (LABEL_THREADS slots of one set each, searched one by one: label changes are far
 * rarer than samples) is mapped on the first label record, so programs that never label pay
 * nothing. A thread's slot is freed when the thread is gone. A set is a list of pairs kept
 * in the order they were first set. A change that does not fit (too many pairs, too many
 * labelled threads) is left out and said once in the dump's notices. Entries wait in a
 * buffer of their own until the writer takes them after each pass over the rings; the
 * entry's time is the time of the call, so a reader matches it with samples by time.
 */
#include "clock.h"
#include "labels.h"

#include "log.h"
#include "profiler.h"

#include <string.h>
#include <sys/mman.h>

#define LABEL_THREADS 1024

struct pair {
	uint8_t klen, vlen;
	char key[INFLAME_LABEL_KEY_MAX];
	char val[INFLAME_LABEL_VAL_MAX];
};

struct set {
	uint64_t tid; /* 0: free slot */
	unsigned n;
	struct pair p[INFLAME_LABEL_PAIRS];
};

static struct set *tab;
static int tab_failed, full_logged, pairs_logged;
static struct inflame_buf out;
static uint64_t nout;

static struct set *find(uint64_t tid, int add)
{
	size_t free_slot = LABEL_THREADS;

	if (!tab && add && !tab_failed) {
		void *m = mmap(NULL, LABEL_THREADS * sizeof(*tab), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED) {
			tab_failed = 1;
			inflame_log(INFLAME_LOG_INFO, "cannot keep thread labels (out of memory)");
			return NULL;
		}
		tab = m;
	}
	if (!tab)
		return NULL;
	for (size_t j = 0; j < LABEL_THREADS; j++) {
		if (tab[j].tid == tid)
			return &tab[j];
		if (!tab[j].tid && free_slot == LABEL_THREADS)
			free_slot = j;
	}
	if (!add)
		return NULL;
	if (free_slot < LABEL_THREADS) {
		tab[free_slot].tid = tid;
		tab[free_slot].n = 0;
		return &tab[free_slot];
	}
	if (!full_logged) {
		full_logged = 1;
		inflame_log(INFLAME_LOG_INFO,
			    "more than %d threads have labels; the labels of the others are "
			    "not recorded",
			    LABEL_THREADS);
	}
	return NULL;
}

static void put_entry(uint64_t tid, uint64_t time, const struct set *s)
{
	inflame_buf_put_varint(&out, tid);
	inflame_buf_put_varint(&out, time);
	inflame_buf_put_varint(&out, s ? s->n : 0);
	for (unsigned i = 0; s && i < s->n; i++) {
		inflame_buf_put_str(&out, s->p[i].key, s->p[i].klen);
		inflame_buf_put_str(&out, s->p[i].val, s->p[i].vlen);
	}
	nout++;
}

static uint64_t since_start(uint64_t t)
{
	return t > inflame__prof.start_monotonic ? t - inflame__prof.start_monotonic : 0;
}

void inflame_labels_apply(uint64_t tid, const void *payload, size_t len)
{
	const struct inflame_label_rec *r = payload;
	struct set *s;
	unsigned i;

	if (len < sizeof(*r) || r->klen > INFLAME_LABEL_KEY_MAX ||
	    r->vlen > INFLAME_LABEL_VAL_MAX || len < sizeof(*r) + r->klen + r->vlen)
		return;
	s = find(tid, r->op == INFLAME_LABEL_SET);
	if (!s)
		return; /* nothing to remove, or no room (said) */
	for (i = 0; i < s->n; i++)
		if (s->p[i].klen == r->klen && !memcmp(s->p[i].key, r->data, r->klen))
			break;
	switch (r->op) {
	case INFLAME_LABEL_SET:
		if (i == s->n) {
			if (s->n == INFLAME_LABEL_PAIRS) {
				if (!pairs_logged) {
					pairs_logged = 1;
					inflame_log(INFLAME_LOG_INFO,
						    "a thread set more than %d labels at once; "
						    "the others are not recorded",
						    INFLAME_LABEL_PAIRS);
				}
				return;
			}
			s->n++;
			s->p[i].klen = (uint8_t)r->klen;
			memcpy(s->p[i].key, r->data, r->klen);
		}
		s->p[i].vlen = (uint8_t)r->vlen;
		memcpy(s->p[i].val, r->data + r->klen, r->vlen);
		break;
	case INFLAME_LABEL_DEL:
		if (i == s->n)
			return;
		memmove(&s->p[i], &s->p[i + 1], (s->n - i - 1) * sizeof(s->p[0]));
		s->n--;
		break;
	case INFLAME_LABEL_CLEAR:
		if (!s->n)
			return;
		s->n = 0;
		break;
	default:
		return;
	}
	put_entry(tid, since_start(r->time), s);
}

void inflame_labels_forget(uint64_t tid)
{
	struct set *s = find(tid, 0);

	if (!s)
		return;
	if (s->n)
		put_entry(tid, since_start(inflame__now_monotonic()), NULL);
	s->tid = 0;
	s->n = 0;
}

void inflame_labels_restart(void)
{
	/* (not written when already so: a process without labels never touches their page) */
	if (out.len)
		out.len = 0;
	if (nout)
		nout = 0;
	for (size_t j = 0; tab && j < LABEL_THREADS; j++)
		if (tab[j].tid && tab[j].n)
			put_entry(tab[j].tid, 0, &tab[j]);
}

uint64_t inflame_labels_take(struct inflame_buf *b)
{
	uint64_t n = out.failed ? 0 : nout; /* (out of memory: the entries are lost) */

	if (n)
		inflame_buf_put(b, out.data, out.len);
	out.len = 0;
	out.failed = 0;
	nout = 0;
	return n;
}

INFLAME_FORK_TEXT void inflame_labels_after_fork(void)
{
	/* (stores only where the parent left something: a page the child does not write is
	 * not copied for it) */
	if (tab)
		memset(tab, 0, LABEL_THREADS * sizeof(*tab));
	if (out.len)
		out.len = 0;
	if (nout)
		nout = 0;
}
