/*
 * Loading an inflame dump into a stack set: inflame_dumpfile_load() of source.h.
 *
 * The file is walked twice (it is mapped, so this is cheap). The first walk gathers what
 * samples refer to: the process (its command name for the "comm-pid" root frame), every
 * generation of the module map (fed to the symbolizer in file order, so that later ones win
 * where they overlap), the stacks (id -> frames, leaf first, kept in one array of addresses),
 * the thread names (last one wins), the counters, the profiler's notices (counted, for the
 * caller's warnings; `inflame info` prints them), the names of generated code (PERFMAP: perf
 * map lines and anonymous code regions, for addresses in no module), and which events have
 * samples. The second
 * walk applies the chosen view to the SAMPLES chunks and aggregates weights per (stack id,
 * tid) in first-seen order; live and peak views instead keep a table of the sampled
 * allocations still live (address -> stack, tid, weight), and peak replays the samples up to
 * the point where the live weight was highest. Only then are the aggregated stacks
 * symbolized, reversed to root-first and added to the stack set, so each distinct stack is
 * symbolized once per thread and each distinct address once.
 *
 * Flame charts need time order instead: when the stack set is ordered (see stackset.h), the
 * second walk also records each kept sample as a time-stamped event naming its aggregate, and
 * the events are sorted by time (ties keep file order) before being added one by one, so the
 * set merges only consecutive identical stacks. The samples of a chunk come from several
 * threads' buffers and are not in time order (inflame-dump(5)), hence the sort. With --threads
 * each thread becomes one lane: the events are grouped by thread, threads in the order of their
 * first sample, each in time order, so that a thread's root frame spans one block. Live and
 * peak views order the allocations still live by the time they were made. The events take 24
 * bytes per kept sample, and a sample takes at least five bytes of the file, so this memory
 * is bounded by a few times the file's size.
 *
 * With a timeline in the options (timeline.h) and a set that is not ordered, every kept sample
 * is also remembered (24 bytes plus its aggregate) and, once the aggregates are in the set,
 * handed to the timeline with the index of its stack there, its thread and its time on the
 * timeline's axis. In the alloc views, a FREE of a block whose ALLOC was kept gives that
 * sample its free time. --from and --to (the range) are resolved against the dump's start:
 * samples outside it are skipped, and the live views replay only the events before its end
 * and keep the blocks allocated within it.
 *
 * A sample whose stack was never defined goes to a "[missing stack]" frame, one whose stack
 * has no frames (the unwinder found none) to an "[empty stack]" frame, and one whose frames
 * are all the profiler's own (left out by the symbolizer) to an "[inflame]" frame: without a
 * root frame such a stack would be empty, which the folded writer and the reports skip while
 * the viewer counts it at the root, so the outputs would total differently.
 *
 * THREAD_CPU chunks give each thread's coverage (coverage.h): the threads under the warning
 * threshold are named in the statistics for the caller's warning, and with show_profiler the
 * samples that landed in inflame's own code are added as an "[inflame]" stack per thread.
 *
 * A chunk that fails to decode is ignored as a whole (it is decoded once to check before its
 * records are used); a torn tail ends the walk with what came before. All tables grow with
 * records actually present in the file, which the reader bounds by the file's size.
 */
#include "view/coverage.h"
#include "dump_read.h"
#include "input/source.h"
#include "symbols/symbolize.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A hash map from a pair of 64-bit keys to five 64-bit values, with deletion. */
struct map_entry {
	uint64_t k1, k2;
	uint64_t v1, v2, v3, v4, v5;
	uint64_t used;
};

struct map {
	struct map_entry *e;
	size_t size, used;
};

static uint64_t mix(uint64_t k1, uint64_t k2)
{
	uint64_t h = k1 * 0x9e3779b97f4a7c15ULL ^ (k2 + 0x632be59bd9b4e019ULL);

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return h;
}

static void map_free(struct map *m)
{
	free(m->e);
	memset(m, 0, sizeof(*m));
}

static struct map_entry *map_find(const struct map *m, uint64_t k1, uint64_t k2)
{
	if (!m->size)
		return NULL;
	for (size_t j = mix(k1, k2) & (m->size - 1);; j = (j + 1) & (m->size - 1)) {
		if (!m->e[j].used)
			return NULL;
		if (m->e[j].k1 == k1 && m->e[j].k2 == k2)
			return &m->e[j];
	}
}

static struct map_entry *insert_slot(struct map_entry *tab, size_t size, uint64_t k1, uint64_t k2)
{
	size_t j = mix(k1, k2) & (size - 1);

	while (tab[j].used && !(tab[j].k1 == k1 && tab[j].k2 == k2))
		j = (j + 1) & (size - 1);
	return &tab[j];
}

/* Returns the entry for (k1, k2), adding a zeroed one if needed; *added tells which. NULL
 * when out of memory. */
static struct map_entry *map_get(struct map *m, uint64_t k1, uint64_t k2, int *added)
{
	struct map_entry *e;

	if ((m->used + 1) * 2 > m->size) {
		size_t nsize = m->size ? m->size * 2 : 64;
		struct map_entry *ntab = calloc(nsize, sizeof(*ntab));

		if (!ntab)
			return NULL;
		for (size_t i = 0; i < m->size; i++)
			if (m->e[i].used)
				*insert_slot(ntab, nsize, m->e[i].k1, m->e[i].k2) = m->e[i];
		free(m->e);
		m->e = ntab;
		m->size = nsize;
	}
	e = insert_slot(m->e, m->size, k1, k2);
	*added = !e->used;
	if (!e->used) {
		memset(e, 0, sizeof(*e));
		e->k1 = k1;
		e->k2 = k2;
		e->used = 1;
		m->used++;
	}
	return e;
}

/* Removes an entry found by map_find, shifting later entries of its run back. */
static void map_del(struct map *m, struct map_entry *e)
{
	size_t i = (size_t)(e - m->e), j = i;

	m->e[i].used = 0;
	m->used--;
	for (;;) {
		size_t home;

		j = (j + 1) & (m->size - 1);
		if (!m->e[j].used)
			return;
		home = mix(m->e[j].k1, m->e[j].k2) & (m->size - 1);
		/* The entry at j may move to i only if its home is not within (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			m->e[i] = m->e[j];
			m->e[j].used = 0;
			i = j;
		}
	}
}

/* One aggregated stack, in first-seen order. */
struct agg {
	uint64_t stack, tid, weight;
	uint64_t labels; /* label_root: the label set's offset in lpool + 1, 0 for none */
	uint64_t labels_len;
};

/* Count views add up, per sample, the number of allocations it stands for: weight / size
 * (1 in full tracing, about rate / size for small sampled ones), in units of 1/COUNT_UNIT so
 * that fractions are not lost before the sums are rounded (scale_counts()). */
#define COUNT_UNIT 1024u

static uint64_t count_units(const struct inflame_sample_rec *s)
{
	if (!s->size || s->weight <= s->size)
		return COUNT_UNIT;
	return (uint64_t)((double)s->weight / (double)s->size * COUNT_UNIT + 0.5);
}

/* One kept sample of a flame chart: its time (then its lane), weight and aggregate. */
struct tev {
	uint64_t time;
	uint64_t weight;
	uint32_t agg;
	uint32_t seq; /* file order, for ties */
};

/* One kept sample waiting for its aggregate's place in the stack set (timelines). */
struct pend {
	uint64_t time, tid, weight;
	int64_t freed; /* monotonic ns, -1 never */
	uint32_t agg;
};

/* A freed block, as its live entry held it (see struct loader). */
struct freed {
	int valid;
	uint64_t addr, stack, tid, weight, time, units;
};

/* One LABELS entry: thread tid carries the set at [off, off + len) of lpool from time on. */
struct label_entry {
	uint64_t tid, time, seq;
	size_t off, len;
};

struct loader {
	struct inflame_dump_reader r;
	const struct inflame_load_opts *o;
	struct inflame_symbolizer *sym;
	struct inflame_stack_rec *srec; /* scratch for decoding one stack */

	/* PROCESS */
	char comm[256];
	char exe[4096]; /* the executable's path, "" when not recorded */
	uint64_t pid;
	uint64_t frequency; /* Hz asked, 0 unknown */

	/* STACKS: id -> (v1 = offset in addrs, v2 = frame count) */
	struct map stacks;
	uint64_t *addrs;
	size_t naddrs, addrs_cap;

	/* THREADS: tid -> (v1 = offset in names, v2 = length) */
	struct map threads;
	char *names;
	size_t names_len, names_cap;

	uint64_t event_samples[INFLAME_EV_COUNT_];
	uint64_t stat[INFLAME_STAT_COUNT_];
	uint64_t damaged;
	struct inflame_coverage cov;
	uint64_t notices, notices_lost; /* the profiler's notices (NOTES chunks), and lost ones */

	/* Aggregation: (stack, tid) -> v1 = index in aggs */
	struct map aggmap;
	struct agg *aggs;
	size_t naggs, aggs_cap;

	/* Live allocations: (addr, group) -> (v1 = stack, v2 = tid | tag << 32, v3 = weight,
	 * v4 = time, v5 = count units). The group and tag are 0 but for dumps replayed in a live
	 * chain: there the group is the process, the tag the dump the block was allocated in. */
	struct map live;
	uint64_t group;
	uint32_t tag;
	uint64_t live_weight, peak_weight, peak_index, alloc_index;
	/* The block each thread freed last (tid -> v1 = index in freed), which a RESTORE of the
	 * same thread brings back (a realloc that failed in full tracing). */
	struct map freed_by;
	struct freed *freed;
	size_t nfreed, freed_cap;

	/* LABELS: each thread's label sets by time (sorted by tid, then time, then file
	 * order once the first walk is done); a set is its pairs as "key=value" strings, each
	 * NUL-terminated, in lpool. */
	struct label_entry *lents;
	size_t nlents, lents_cap;
	char *lpool;
	size_t lpool_len, lpool_cap;

	/* Flame charts (ordered stack sets): the kept samples in time order. */
	int chart;
	struct tev *tevs;
	size_t ntevs, tevs_cap;

	/* The range as monotonic times: samples from <= time < to are kept. */
	uint64_t from, to;
	uint64_t end_monotonic; /* END chunk, 0 when none */

	/* Timelines: the kept samples, and the alloc samples whose block is still allocated
	 * (addr -> v1 = index in pends). */
	struct inflame_timeline *tl;
	struct pend *pends;
	size_t npends, pends_cap;
	struct map pend_by_addr;
};

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

static void set_comm(struct loader *l, const char *s, size_t n)
{
	const char *base = s;

	for (size_t i = 0; i < n; i++)
		if (s[i] == '/')
			base = s + i + 1;
	n -= (size_t)(base - s);
	if (n >= sizeof(l->comm))
		n = sizeof(l->comm) - 1;
	memcpy(l->comm, base, n);
	l->comm[n] = '\0';
}

static void load_process(struct loader *l, const struct inflame_chunk *c)
{
	struct inflame_process_rec p;

	if (inflame_dump_decode_process(c, &p) < 0) {
		l->damaged++;
		return;
	}
	l->pid = p.pid;
	l->frequency = p.frequency;
	if (p.exe.n) {
		size_t n = p.exe.n < sizeof(l->exe) ? p.exe.n : 0;

		memcpy(l->exe, p.exe.s, n);
		l->exe[n] = '\0';
		set_comm(l, p.exe.s, p.exe.n);
	} else if (p.argc) {
		struct inflame_cursor cur = p.args;
		const char *s;
		size_t n;

		inflame_cursor_str(&cur, &s, &n);
		if (!cur.err)
			set_comm(l, s, n);
	}
}

static int load_modules(struct loader *l, const struct inflame_chunk *c)
{
	struct inflame_module_iter it;
	struct inflame_module_rec m;
	int rc;

	if (inflame_dump_modules_begin(c, &it) < 0)
		goto damaged;
	while ((rc = inflame_dump_modules_next(&it, &m)) == 1)
		;
	if (rc < 0)
		goto damaged;
	inflame_dump_modules_begin(c, &it);
	while (inflame_dump_modules_next(&it, &m) == 1)
		if (inflame_symbolize_add_module(l->sym, m.base, m.lo, m.hi, m.path.s, m.path.n,
						 (const uint8_t *)m.build_id.s, m.build_id.n) < 0)
			return -ENOMEM;
	return 0;
damaged:
	l->damaged++;
	return 0;
}

/* PERFMAP: names of generated code, for addresses in no module. */
static int load_perfmap(struct loader *l, const struct inflame_chunk *c)
{
	struct inflame_perfmap_iter it;
	struct inflame_perfmap_rec m;
	int rc;

	if (inflame_dump_perfmap_begin(c, &it) < 0)
		goto damaged;
	while ((rc = inflame_dump_perfmap_next(&it, &m)) == 1)
		;
	if (rc < 0)
		goto damaged;
	inflame_dump_perfmap_begin(c, &it);
	while (inflame_dump_perfmap_next(&it, &m) == 1)
		if (inflame_symbolize_add_jit(l->sym, m.start, m.size, m.name.s, m.name.n) < 0)
			return -ENOMEM;
	return 0;
damaged:
	l->damaged++;
	return 0;
}

/* LABELS: each entry's set, as "key=value" strings. */
static int load_labels(struct loader *l, const struct inflame_chunk *c)
{
	struct inflame_labels_iter it;
	struct inflame_labels_rec r;
	int rc;

	if (inflame_dump_labels_begin(c, &it) < 0)
		goto damaged;
	while ((rc = inflame_dump_labels_next(&it, &r)) == 1)
		;
	if (rc < 0)
		goto damaged;
	inflame_dump_labels_begin(c, &it);
	while (inflame_dump_labels_next(&it, &r) == 1) {
		struct label_entry *e;

		if (grow((void **)&l->lents, &l->lents_cap, l->nlents + 1, sizeof(*l->lents)) < 0)
			return -ENOMEM;
		e = &l->lents[l->nlents];
		e->tid = r.tid;
		e->time = r.time;
		e->seq = l->nlents;
		e->off = l->lpool_len;
		for (uint64_t i = 0; i < r.npairs; i++) {
			const char *k, *v;
			size_t kn, vn;

			inflame_cursor_str(&r.pairs, &k, &kn);
			inflame_cursor_str(&r.pairs, &v, &vn);
			if (grow((void **)&l->lpool, &l->lpool_cap, l->lpool_len + kn + vn + 2, 1) <
			    0)
				return -ENOMEM;
			memcpy(l->lpool + l->lpool_len, k, kn);
			l->lpool[l->lpool_len + kn] = '=';
			memcpy(l->lpool + l->lpool_len + kn + 1, v, vn);
			l->lpool_len += kn + vn + 1;
			l->lpool[l->lpool_len++] = '\0';
		}
		e->len = l->lpool_len - e->off;
		l->nlents++;
	}
	return 0;
damaged:
	l->damaged++;
	return 0;
}

static int by_tid_time(const void *a, const void *b)
{
	const struct label_entry *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The label set of thread tid at time (ns from the header's start_monotonic): the pairs as
 * consecutive NUL-terminated "key=value" strings in *len bytes, or NULL for none. */
static const char *labels_at(const struct loader *l, uint64_t tid, uint64_t time, size_t *len)
{
	size_t lo = 0, hi = l->nlents;

	/* the first entry after (tid, time) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct label_entry *e = &l->lents[mid];

		if (e->tid < tid || (e->tid == tid && e->time <= time))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || l->lents[lo - 1].tid != tid || !l->lents[lo - 1].len)
		return NULL;
	*len = l->lents[lo - 1].len;
	return l->lpool + l->lents[lo - 1].off;
}

/* Whether the sample of tid at time (CLOCK_MONOTONIC) carries every label asked for. */
static int labels_match(const struct loader *l, uint64_t tid, uint64_t time)
{
	uint64_t base = l->r.hdr.start_monotonic;
	size_t len = 0;
	const char *set = labels_at(l, tid, time > base ? time - base : 0, &len);

	for (int i = 0; i < l->o->nlabels; i++) {
		const char *p = set;
		int found = 0;

		for (; p && p < set + len; p += strlen(p) + 1)
			if (!strcmp(p, l->o->labels[i])) {
				found = 1;
				break;
			}
		if (!found)
			return 0;
	}
	return 1;
}

static int load_stacks(struct loader *l, const struct inflame_chunk *c)
{
	struct inflame_stack_iter it;
	int rc, added;

	if (inflame_dump_stacks_begin(c, &it) < 0)
		goto damaged;
	while ((rc = inflame_dump_stacks_next(&it, l->srec)) == 1)
		;
	if (rc < 0)
		goto damaged;
	inflame_dump_stacks_begin(c, &it);
	while (inflame_dump_stacks_next(&it, l->srec) == 1) {
		struct map_entry *e = map_get(&l->stacks, l->srec->id, 0, &added);

		if (!e)
			return -ENOMEM;
		if (!added)
			continue; /* ids are unique in a valid file; the first definition wins */
		if (grow((void **)&l->addrs, &l->addrs_cap, l->naddrs + l->srec->nframes,
			 sizeof(*l->addrs)) < 0)
			return -ENOMEM;
		if (l->srec->nframes) /* (addrs is still NULL before the first frame) */
			memcpy(l->addrs + l->naddrs, l->srec->frames,
			       l->srec->nframes * sizeof(*l->addrs));
		e->v1 = l->naddrs;
		e->v2 = l->srec->nframes;
		l->naddrs += l->srec->nframes;
	}
	return 0;
damaged:
	l->damaged++;
	return 0;
}

static int load_threads(struct loader *l, const struct inflame_chunk *c)
{
	struct inflame_thread_iter it;
	struct inflame_thread_rec t;
	int rc, added;

	if (inflame_dump_threads_begin(c, &it) < 0)
		goto damaged;
	while ((rc = inflame_dump_threads_next(&it, &t)) == 1)
		;
	if (rc < 0)
		goto damaged;
	inflame_dump_threads_begin(c, &it);
	while (inflame_dump_threads_next(&it, &t) == 1) {
		struct map_entry *e = map_get(&l->threads, t.tid, 0, &added);

		if (!e ||
		    grow((void **)&l->names, &l->names_cap, l->names_len + t.name.n + 1, 1) < 0)
			return -ENOMEM;
		memcpy(l->names + l->names_len, t.name.s, t.name.n);
		l->names[l->names_len + t.name.n] = '\0';
		e->v1 = l->names_len;
		e->v2 = t.name.n;
		e->v3 |= t.flags & 1; /* exited */
		l->names_len += t.name.n + 1;
	}
	return 0;
damaged:
	l->damaged++;
	return 0;
}

static void stat_fn(void *arg, uint64_t key, uint64_t value)
{
	struct loader *l = arg;

	if (key < INFLAME_STAT_COUNT_)
		l->stat[key] = value;
}

/* Checks that a SAMPLES chunk decodes completely. */
static int samples_ok(const struct loader *l, const struct inflame_chunk *c)
{
	struct inflame_sample_iter it;
	struct inflame_sample_rec s;
	int rc;

	if (inflame_dump_samples_begin(c, l->r.hdr.start_monotonic, &it) < 0)
		return 0;
	while ((rc = inflame_dump_samples_next(&it, &s)) == 1)
		;
	return rc == 0;
}

/* The first walk: everything but the samples' weights. */
static int first_walk(struct loader *l)
{
	struct inflame_chunk c;
	int err = 0;

	while (!err && inflame_dump_reader_next(&l->r, &c) == 1) {
		switch (c.type) {
		case INFLAME_CHUNK_PROCESS:
			load_process(l, &c);
			break;
		case INFLAME_CHUNK_MODULES:
			err = load_modules(l, &c);
			break;
		case INFLAME_CHUNK_STACKS:
			err = load_stacks(l, &c);
			break;
		case INFLAME_CHUNK_PERFMAP:
			err = load_perfmap(l, &c);
			break;
		case INFLAME_CHUNK_LABELS:
			err = load_labels(l, &c);
			break;
		case INFLAME_CHUNK_THREADS:
			err = load_threads(l, &c);
			break;
		case INFLAME_CHUNK_STATS:
			if (inflame_dump_decode_stats(&c, stat_fn, l) < 0)
				l->damaged++;
			break;
		case INFLAME_CHUNK_END: {
			struct inflame_end_rec e;

			if (inflame_dump_decode_end(&c, &e) == 0)
				l->end_monotonic = e.end_monotonic;
			break;
		}
		case INFLAME_CHUNK_THREAD_CPU:
			err = inflame_coverage_add(&l->cov, &c);
			if (err == -EBADMSG) {
				l->damaged++;
				err = 0;
			}
			break;
		case INFLAME_CHUNK_NOTES: {
			struct inflame_note_iter it;
			struct inflame_note_rec n;
			uint64_t k = 0;
			int rc;

			if (inflame_dump_notes_begin(&c, &it) < 0) {
				l->damaged++;
				break;
			}
			while ((rc = inflame_dump_notes_next(&it, &n)) == 1)
				k++;
			if (rc < 0) {
				l->damaged++;
				break;
			}
			l->notices += k;
			l->notices_lost = it.lost;
			break;
		}
		case INFLAME_CHUNK_SAMPLES:
		case INFLAME_CHUNK_ALLOCS: {
			struct inflame_sample_iter it;
			struct inflame_sample_rec s;

			if (!samples_ok(l, &c)) {
				l->damaged++;
				break;
			}
			inflame_dump_samples_begin(&c, l->r.hdr.start_monotonic, &it);
			while (inflame_dump_samples_next(&it, &s) == 1)
				if (s.event < INFLAME_EV_COUNT_ &&
				    !(s.flags & INFLAME_SAMPLE_RESTORE))
					l->event_samples[s.event]++;
			break;
		}
		default:
			break;
		}
	}
	return err;
}

/* Adds weight to the aggregate of (stack, tid); counts the sample, and counts it as missing
 * when its stack was never defined. For flame charts, also records the sample as an event at
 * the given time. */
static int aggregate(struct loader *l, uint64_t stack, uint64_t tid, uint64_t weight, uint64_t time,
		     struct inflame_load_stats *st)
{
	struct map_entry *e;
	uint64_t sample_tid = tid;
	int added;

	uint64_t labels = 0;
	size_t len = 0;

	if (!l->o->threads)
		tid = 0;
	if (l->o->label_root) {
		uint64_t base = l->r.hdr.start_monotonic;
		const char *set = labels_at(l, sample_tid, time > base ? time - base : 0, &len);

		if (set)
			labels = (uint64_t)(set - l->lpool) + 1;
	}
	/* (thread ids are below 2^32: the label set goes above them in the key) */
	e = map_get(&l->aggmap, stack, tid | labels << 32, &added);
	if (!e)
		return -ENOMEM;
	if (added) {
		if (grow((void **)&l->aggs, &l->aggs_cap, l->naggs + 1, sizeof(*l->aggs)) < 0)
			return -ENOMEM;
		e->v1 = l->naggs;
		e->v2 = !stack || !map_find(&l->stacks, stack, 0);
		l->aggs[l->naggs++] = (struct agg){stack, tid, 0, labels, len};
	}
	l->aggs[e->v1].weight += weight;
	st->samples++;
	st->missing_stacks += e->v2;
	if (l->tl) {
		if (grow((void **)&l->pends, &l->pends_cap, l->npends + 1, sizeof(*l->pends)) < 0)
			return -ENOMEM;
		l->pends[l->npends++] =
		    (struct pend){time, sample_tid, weight, -1, (uint32_t)e->v1};
	}
	if (l->chart) {
		if (l->ntevs >= UINT32_MAX ||
		    grow((void **)&l->tevs, &l->tevs_cap, l->ntevs + 1, sizeof(*l->tevs)) < 0)
			return -ENOMEM;
		l->tevs[l->ntevs] = (struct tev){time, weight, (uint32_t)e->v1, (uint32_t)l->ntevs};
		l->ntevs++;
	}
	return 0;
}

/* Remembers what the live entry e held as the block thread tid freed last. */
static int remember_freed(struct loader *l, uint64_t tid, const struct map_entry *e)
{
	int added;
	struct map_entry *f = map_get(&l->freed_by, tid, l->group, &added);

	if (!f)
		return -ENOMEM;
	if (added) {
		if (grow((void **)&l->freed, &l->freed_cap, l->nfreed + 1, sizeof(*l->freed)) < 0)
			return -ENOMEM;
		f->v1 = l->nfreed++;
	}
	l->freed[f->v1] = (struct freed){1, e->k1, e->v1, e->v2, e->v3, e->v4, e->v5};
	return 0;
}

/* A RESTORE: the block its thread freed last at this address is live again. */
static int live_restore(struct loader *l, const struct inflame_sample_rec *s)
{
	struct map_entry *f = map_find(&l->freed_by, s->tid, l->group);
	struct freed *b = f ? &l->freed[f->v1] : NULL;
	struct map_entry *e;
	int added;

	if (!b || !b->valid || b->addr != s->addr)
		return 0; /* its FREE is not in this file */
	b->valid = 0;
	e = map_get(&l->live, s->addr, l->group, &added);
	if (!e)
		return -ENOMEM;
	if (!added)
		l->live_weight -= e->v3;
	e->v1 = b->stack;
	e->v2 = b->tid;
	e->v3 = b->weight;
	e->v4 = b->time;
	e->v5 = b->units;
	l->live_weight += b->weight;
	return 0;
}

/* Applies one ALLOC, FREE or RESTORE sample to the live table. */
static int live_apply(struct loader *l, const struct inflame_sample_rec *s)
{
	struct map_entry *e;
	int added;

	if (s->flags & INFLAME_SAMPLE_RESTORE)
		return live_restore(l, s);
	e = map_find(&l->live, s->addr, l->group);
	if (e) {
		if (s->event == INFLAME_EV_FREE && remember_freed(l, s->tid, e) < 0)
			return -ENOMEM;
		l->live_weight -= e->v3;
		map_del(&l->live, e);
	}
	if (s->event == INFLAME_EV_ALLOC) {
		e = map_get(&l->live, s->addr, l->group, &added);
		if (!e)
			return -ENOMEM;
		e->v1 = s->stack;
		e->v2 = (s->tid & 0xffffffffu) | (uint64_t)l->tag << 32;
		e->v3 = s->weight;
		e->v4 = s->time;
		e->v5 = count_units(s);
		l->live_weight += s->weight;
	}
	return 0;
}

/* Timelines, alloc views: the kept sample just added is the block at s->addr. */
static int timeline_alloc(struct loader *l, const struct inflame_sample_rec *s)
{
	int added;
	struct map_entry *e = map_get(&l->pend_by_addr, s->addr, 0, &added);

	if (!e)
		return -ENOMEM;
	e->v1 = l->npends - 1;
	return 0;
}

/* Timelines, alloc views: a FREE gives the kept sample of its block its free time. */
static int timeline_free(struct loader *l, const struct inflame_sample_rec *s)
{
	struct map_entry *e = map_find(&l->pend_by_addr, s->addr, 0);

	if (e) {
		l->pends[e->v1].freed = (int64_t)s->time;
		map_del(&l->pend_by_addr, e);
	}
	return 0;
}

/*
 * The second walk: applies the view to every sample. For live and peak views, replays
 * ALLOC/FREE samples into the live table, stopping after 'limit' of them (UINT64_MAX = all),
 * and records where the live weight peaked.
 */
static int sample_walk(struct loader *l, enum inflame_view view, uint64_t limit,
		       struct inflame_load_stats *st)
{
	struct inflame_dump_reader r;
	struct inflame_chunk c;
	int memory = view == INFLAME_VIEW_LIVE || view == INFLAME_VIEW_LIVE_COUNT ||
		     view == INFLAME_VIEW_PEAK;
	uint32_t want = view == INFLAME_VIEW_CPU    ? INFLAME_EV_CPU
			: view == INFLAME_VIEW_WALL ? INFLAME_EV_WALL
						    : INFLAME_EV_ALLOC;
	int err = 0;

	/* A second reader over the same mapping: the first one keeps ownership of it. */
	if (inflame_dump_reader_init(&r, l->r.data, l->r.size) < 0)
		return -EINVAL;
	while (!err && inflame_dump_reader_next(&r, &c) == 1) {
		struct inflame_sample_iter it;
		struct inflame_sample_rec s;

		if (!inflame_dump_has_samples(c.type) || !samples_ok(l, &c))
			continue;
		inflame_dump_samples_begin(&c, r.hdr.start_monotonic, &it);
		while (!err && inflame_dump_samples_next(&it, &s) == 1) {
			/* The range's end: nothing after it happened yet (frees neither). */
			if (s.time >= l->to)
				continue;
			if (!memory && l->tl && s.event == INFLAME_EV_FREE &&
			    want == INFLAME_EV_ALLOC) {
				err = timeline_free(l, &s);
				continue;
			}
			/* --tid keeps some threads' samples; frees (and restores) apply whoever
			 * made them. */
			if (s.event != INFLAME_EV_FREE && !(s.flags & INFLAME_SAMPLE_RESTORE) &&
			    !inflame_load_keeps_tid(l->o, (long)s.tid))
				continue;
			/* --label: the same, for the threads' labels at the sample's time */
			if (l->o->nlabels && s.event != INFLAME_EV_FREE &&
			    !(s.flags & INFLAME_SAMPLE_RESTORE) && !labels_match(l, s.tid, s.time))
				continue;
			if (!memory) {
				/* A restore allocates nothing. */
				if (s.event == want && !(s.flags & INFLAME_SAMPLE_RESTORE) &&
				    s.time >= l->from) {
					err = aggregate(l, s.stack, s.tid,
							view == INFLAME_VIEW_ALLOC_COUNT
							    ? count_units(&s)
							    : s.weight,
							s.time, st);
					if (!err && l->tl && want == INFLAME_EV_ALLOC)
						err = timeline_alloc(l, &s);
				}
				continue;
			}
			if (s.event != INFLAME_EV_ALLOC && s.event != INFLAME_EV_FREE)
				continue;
			if (l->alloc_index >= limit)
				return 0;
			err = live_apply(l, &s);
			l->alloc_index++;
			if (l->live_weight > l->peak_weight) {
				l->peak_weight = l->live_weight;
				l->peak_index = l->alloc_index;
			}
		}
	}
	return err;
}

/* Aggregates what is left in the live table, in table order: the blocks allocated in the dump
 * tagged tag. */
static int aggregate_live(struct loader *l, int count_only, uint32_t tag,
			  struct inflame_load_stats *st)
{
	for (size_t i = 0; i < l->live.size; i++) {
		const struct map_entry *e = &l->live.e[i];
		int err;

		if (!e->used || e->v2 >> 32 != tag || e->v4 < l->from)
			continue;
		err =
		    aggregate(l, e->v1, e->v2 & 0xffffffffu, count_only ? e->v5 : e->v3, e->v4, st);
		if (err < 0)
			return err;
	}
	return 0;
}

/* Adds "name-number" as a frame; returns its id or UINT32_MAX. */
static uint32_t intern_tagged(struct inflame_stackset *ss, const char *name, size_t n, uint64_t num)
{
	char buf[320];
	int len = snprintf(buf, sizeof(buf), "%.*s-%" PRIu64, (int)(n > 256 ? 256 : n), name, num);

	return inflame_stackset_intern(ss, buf, (size_t)len);
}

/* The most frames one aggregate can have: process and thread roots, "[labels]", "[missing
 * stack]" (or "[empty stack]", "[inflame]"), and every address's names. */
#define MAX_AGG_FRAMES (4 + (size_t)INFLAME_MAX_FRAMES * INFLAME_SYMBOLIZE_MAX_NAMES)

/* Records where the frame names[idx] of addr come from, once per frame id (frame_meta). */
static int frame_meta(struct loader *l, struct inflame_stackset *ss, uint32_t id, uint64_t addr,
		      int is_return, int idx)
{
	struct inflame_symbolize_where w;
	struct inflame_frame_meta m;
	char bid[2 * 64 + 1];
	size_t nb;

	if (id == UINT32_MAX || inflame_stackset_meta(ss, id))
		return 0;
	if (inflame_symbolize_where(l->sym, addr, is_return, idx, &w) < 0)
		return 0;
	nb = w.build_id_len > 64 ? 64 : w.build_id_len;
	for (size_t i = 0; i < nb; i++)
		snprintf(bid + 2 * i, 3, "%02x", w.build_id[i]);
	bid[2 * nb] = '\0';
	m = (struct inflame_frame_meta){
	    .module = w.module,
	    .build_id = bid,
	    .map_lo = w.lo,
	    .map_hi = w.hi,
	    .map_off = w.lo >= w.base ? w.lo - w.base : 0,
	    .addr = is_return && addr > 0 ? addr - 1 : addr,
	    .file = w.file,
	    .line = w.line,
	    .inlined = w.inlined,
	    .system_name = w.system_name,
	    .start_line = w.start_line,
	    .main_exe = l->exe[0] && !strcmp(w.module, l->exe),
	};
	return inflame_stackset_set_meta(ss, id, &m);
}

/* Symbolizes aggregate a into frames (root first); *n receives the count. Returns 0 or a
 * negative errno. */
static int agg_frames(struct loader *l, struct inflame_stackset *ss, const struct agg *a,
		      uint32_t *frames, size_t *np)
{
	const struct map_entry *se = a->stack ? map_find(&l->stacks, a->stack, 0) : NULL;
	size_t n = 0, nf = se ? (size_t)se->v2 : 0, roots;
	const char *comm = l->comm[0] ? l->comm : "[unknown]";

	if (l->o->pid)
		frames[n++] = intern_tagged(ss, comm, strlen(comm), l->pid);
	if (l->o->threads) {
		const struct map_entry *te = map_find(&l->threads, a->tid, 0);

		if (te && te->v2)
			frames[n++] = intern_tagged(ss, l->names + te->v1, te->v2, a->tid);
		else
			frames[n++] = intern_tagged(ss, comm, strlen(comm), a->tid);
	}
	if (l->o->label_root) {
		char buf[1024];
		size_t bl = 8;

		memcpy(buf, "[labels]", 8);
		if (a->labels) {
			const char *set = l->lpool + a->labels - 1, *p = set;
			for (; p < set + a->labels_len; p += strlen(p) + 1) {
				size_t pl = strlen(p);

				if (bl + 1 + pl > sizeof(buf))
					break;
				buf[bl++] = '\n';
				memcpy(buf + bl, p, pl);
				bl += pl;
			}
		}
		frames[n++] = inflame_stackset_intern(ss, buf, bl);
	}
	if (!se)
		frames[n++] = inflame_stackset_intern(ss, "[missing stack]", 15);
	roots = n;
	/* Frames are leaf first in the dump: walk them from the root. */
	for (size_t k = nf; k-- > 0;) {
		const char *names[INFLAME_SYMBOLIZE_MAX_NAMES];
		int nn = inflame_symbolize_addr(l->sym, l->addrs[se->v1 + k], k != 0, names);

		if (nn < 0)
			return nn;
		/* Names come innermost first: the outermost (the real function) is the caller of
		 * the inlined ones. */
		for (int j = nn; j-- > 0;) {
			frames[n++] = inflame_stackset_intern(ss, names[j], strlen(names[j]));
			if (l->o->frame_meta) {
				int err = frame_meta(l, ss, frames[n - 1], l->addrs[se->v1 + k],
						     k != 0, j);

				if (err < 0)
					return err;
				/* (names[] may have moved: the lookup runs the cache again) */
				nn = inflame_symbolize_addr(l->sym, l->addrs[se->v1 + k], k != 0,
							    names);
				if (nn < 0)
					return nn;
			}
		}
	}
	/* No frame of the program's: none recorded, or only the profiler's own (a wall sample
	 * that found the thread in inflame's code), which the symbolizer leaves out. */
	if (se && n == roots)
		frames[n++] = nf ? inflame_stackset_intern(ss, "[inflame]", 9)
				 : inflame_stackset_intern(ss, "[empty stack]", 13);
	for (size_t k = 0; k < n; k++)
		if (frames[k] == UINT32_MAX)
			return -ENOMEM;
	*np = n;
	return 0;
}

/* Count views: from 1/COUNT_UNIT to allocations, rounding each sum (and, in a flame chart,
 * each event). */
static void scale_counts(struct loader *l)
{
	for (size_t i = 0; i < l->naggs; i++)
		l->aggs[i].weight = (l->aggs[i].weight + COUNT_UNIT / 2) / COUNT_UNIT;
	for (size_t i = 0; i < l->ntevs; i++)
		l->tevs[i].weight = (l->tevs[i].weight + COUNT_UNIT / 2) / COUNT_UNIT;
	/* A timeline's samples: each gets what its aggregate's rounded running sum grows by, so
	 * that the samples of an aggregate add up to its rounded sum exactly. */
	if (l->npends) {
		uint64_t *cum = calloc(l->naggs ? l->naggs : 1, sizeof(*cum));

		for (size_t i = 0; cum && i < l->npends; i++) {
			uint64_t before = (cum[l->pends[i].agg] + COUNT_UNIT / 2) / COUNT_UNIT;

			cum[l->pends[i].agg] += l->pends[i].weight;
			l->pends[i].weight =
			    (cum[l->pends[i].agg] + COUNT_UNIT / 2) / COUNT_UNIT - before;
		}
		if (!cum) /* no memory for the running sums: round each sample */
			for (size_t i = 0; i < l->npends; i++)
				l->pends[i].weight =
				    (l->pends[i].weight + COUNT_UNIT / 2) / COUNT_UNIT;
		free(cum);
	}
}

/* The name of thread tid from the THREADS chunks, or NULL. */
static const char *thread_name(void *arg, uint64_t tid)
{
	struct loader *l = arg;
	const struct map_entry *te = map_find(&l->threads, tid, 0);

	return te && te->v2 ? l->names + te->v1 : NULL;
}

/* show_profiler: the weights of the cpu (or wall) samples that landed in inflame's own code,
 * as an "[inflame]" frame under each thread's roots. */
static int emit_profiler(struct loader *l, struct inflame_stackset *ss, enum inflame_view view)
{
	const char *comm = l->comm[0] ? l->comm : "[unknown]";

	if (!l->o->show_profiler || (view != INFLAME_VIEW_CPU && view != INFLAME_VIEW_WALL))
		return 0;
	for (size_t i = 0; i < l->cov.n; i++) {
		const struct inflame_coverage_thread *t = &l->cov.t[i];
		uint64_t w = view == INFLAME_VIEW_CPU ? t->self_cpu : t->self_wall;
		uint32_t frames[4];
		size_t n = 0;

		if (!w || !inflame_load_keeps_tid(l->o, (long)t->tid))
			continue;
		if (l->o->pid)
			frames[n++] = intern_tagged(ss, comm, strlen(comm), l->pid);
		if (l->o->threads) {
			const char *nm = thread_name(l, t->tid);

			frames[n++] = nm ? intern_tagged(ss, nm, strlen(nm), t->tid)
					 : intern_tagged(ss, comm, strlen(comm), t->tid);
		}
		if (l->o->label_root)
			frames[n++] = inflame_stackset_intern(ss, "[labels]", 8);
		frames[n++] = inflame_stackset_intern(ss, "[inflame]", 9);
		for (size_t k = 0; k < n; k++)
			if (frames[k] == UINT32_MAX)
				return -ENOMEM;
		if (inflame_stackset_add(ss, frames, n, w) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Timelines: hands the kept samples over, with the index in the set of each aggregate
 * (at[agg], UINT32_MAX for one not added). */
static int emit_timeline(struct loader *l, const uint32_t *at)
{
	uint64_t base = l->r.hdr.start_monotonic;
	uint64_t off = inflame_timeline_begin_run(l->tl, l->r.hdr.start_realtime);

	for (size_t i = 0; i < l->npends; i++) {
		const struct pend *p = &l->pends[i];
		const struct map_entry *te = map_find(&l->threads, p->tid, 0);
		struct inflame_timeline_sample s;
		int err;

		if (at[p->agg] == UINT32_MAX || !p->weight)
			continue;
		err = inflame_timeline_thread(l->tl, l->pid, p->tid, te ? l->names + te->v1 : "",
					      te ? (size_t)te->v2 : 0, te ? (int)te->v3 : 0,
					      &s.thread);
		if (err < 0)
			return err;
		s.time = off + (p->time > base ? p->time - base : 0);
		s.weight = p->weight;
		s.freed =
		    p->freed < 0
			? -1
			: (int64_t)(off +
				    ((uint64_t)p->freed > base ? (uint64_t)p->freed - base : 0));
		s.stack = at[p->agg];
		if (inflame_timeline_add(l->tl, &s) < 0)
			return -ENOMEM;
	}
	if (l->end_monotonic > base && off + (l->end_monotonic - base) > l->tl->end)
		l->tl->end = off + (l->end_monotonic - base);
	return 0;
}

/* Symbolizes the aggregated stacks and adds them to ss, root first. */
static int emit(struct loader *l, struct inflame_stackset *ss)
{
	uint32_t *frames = malloc(MAX_AGG_FRAMES * sizeof(*frames));
	uint32_t *at = l->tl ? malloc((l->naggs ? l->naggs : 1) * sizeof(*at)) : NULL;
	int err = 0;

	if (!frames || (l->tl && !at)) {
		free(frames);
		free(at);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l->naggs && !err; i++) {
		size_t n, index = UINT32_MAX;

		if (at)
			at[i] = UINT32_MAX;
		if (!l->aggs[i].weight)
			continue;
		err = agg_frames(l, ss, &l->aggs[i], frames, &n);
		if (!err)
			err = inflame_stackset_add_at(ss, frames, n, l->aggs[i].weight, &index);
		if (at && !err)
			at[i] = index < UINT32_MAX ? (uint32_t)index : UINT32_MAX;
	}
	if (!err && at)
		err = emit_timeline(l, at);
	free(frames);
	free(at);
	return err;
}

static int cmp_tevs(const void *a, const void *b)
{
	const struct tev *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/*
 * Flame charts: sorts the events by time (and, with --threads, groups them by thread, threads
 * in the order of their first event), then adds them in that order. Each aggregate is
 * symbolized once; its frames are kept in one array for the events that repeat it.
 */
static int emit_chart(struct loader *l, struct inflame_stackset *ss)
{
	struct span {
		uint64_t off; /* in frames */
		uint32_t n;
		uint32_t done; /* symbolized */
	} *where = NULL;       /* by aggregate */
	uint32_t *frames = NULL, *buf = NULL;
	size_t len = 0, cap = 0;
	struct map lanes = {0};
	int err = 0;

	if (!l->ntevs)
		return 0;
	qsort(l->tevs, l->ntevs, sizeof(*l->tevs), cmp_tevs);
	if (l->o->threads) {
		/* The time field becomes the lane: the rank of the event's thread. */
		for (size_t i = 0; i < l->ntevs; i++) {
			int added;
			struct map_entry *e =
			    map_get(&lanes, l->aggs[l->tevs[i].agg].tid, 0, &added);

			if (!e) {
				err = -ENOMEM;
				goto out;
			}
			if (added)
				e->v1 = lanes.used - 1;
			l->tevs[i].time = e->v1;
			l->tevs[i].seq = (uint32_t)i;
		}
		qsort(l->tevs, l->ntevs, sizeof(*l->tevs), cmp_tevs);
	}
	buf = malloc(MAX_AGG_FRAMES * sizeof(*buf));
	where = calloc(l->naggs ? l->naggs : 1, sizeof(*where));
	if (!buf || !where) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < l->ntevs && !err; i++) {
		const struct tev *t = &l->tevs[i];
		size_t n;

		if (!t->weight)
			continue;
		if (!where[t->agg].done) {
			err = agg_frames(l, ss, &l->aggs[t->agg], buf, &n);
			if (err)
				break;
			err = grow((void **)&frames, &cap, len + n + 1, sizeof(*frames));
			if (err)
				break;
			memcpy(frames + len, buf, n * sizeof(*buf));
			where[t->agg] = (struct span){len, (uint32_t)n, 1};
			len += n;
		}
		err = inflame_stackset_add(ss, frames + where[t->agg].off, where[t->agg].n,
					   t->weight);
	}
out:
	map_free(&lanes);
	free(frames);
	free(buf);
	free(where);
	return err;
}

static enum inflame_view pick_default(const struct loader *l)
{
	if (l->event_samples[INFLAME_EV_CPU])
		return INFLAME_VIEW_CPU;
	if (l->event_samples[INFLAME_EV_WALL])
		return INFLAME_VIEW_WALL;
	if (l->event_samples[INFLAME_EV_ALLOC])
		return INFLAME_VIEW_ALLOC;
	if (l->r.hdr.features & INFLAME_FEAT_WALL && !(l->r.hdr.features & INFLAME_FEAT_CPU))
		return INFLAME_VIEW_WALL;
	if (l->r.hdr.features & INFLAME_FEAT_ALLOC && !(l->r.hdr.features & INFLAME_FEAT_CPU))
		return INFLAME_VIEW_ALLOC;
	return INFLAME_VIEW_CPU;
}

/* Resolves --from and --to against the dump's start, as monotonic times. */
static void set_range(struct loader *l)
{
	uint64_t base = l->r.hdr.start_monotonic, rt = l->r.hdr.start_realtime;
	uint64_t from = inflame_time_point_resolve(&l->o->from, rt, 0);
	uint64_t to = inflame_time_point_resolve(&l->o->to, rt, UINT64_MAX);

	/* Without --from there is no lower bound: a fork child's samples can come before its
	 * file's start (its file is opened when it first has something to write). */
	l->from = l->o->from.kind == INFLAME_TIME_NONE ? 0
		  : from > UINT64_MAX - base	       ? UINT64_MAX
						       : base + from;
	l->to = l->o->to.kind == INFLAME_TIME_NONE ? UINT64_MAX
		: to > UINT64_MAX - base	   ? UINT64_MAX
						   : base + to;
}

/* path names a file, or is NULL to read the memory block data[0..size). */
/* A live chain (source.h): one live table (and the freed blocks RESTOREs need) for every dump
 * it replayed, each entry tagged with its dump and keyed by its process's group. */
struct chained {
	uint32_t pid, sequence;
	uint64_t start_realtime;
	uint32_t tag;
};

struct inflame_live_chain {
	struct map live, freed_by;
	struct freed *freed;
	size_t nfreed, freed_cap;
	uint64_t live_weight, peak_weight, peak_index, alloc_index; /* of the run being replayed */
	struct chained *files;
	size_t nfiles;
};

static const struct chained *chained_file(const struct inflame_live_chain *c,
					  const struct inflame_dump_header_info *h)
{
	for (size_t i = 0; c && i < c->nfiles; i++)
		if (c->files[i].pid == h->pid && c->files[i].start_realtime == h->start_realtime &&
		    c->files[i].sequence == h->sequence)
			return &c->files[i];
	return NULL;
}

static int by_run(const void *a, const void *b)
{
	const struct chained *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->start_realtime != y->start_realtime)
		return x->start_realtime < y->start_realtime ? -1 : 1;
	return x->sequence < y->sequence ? -1 : x->sequence > y->sequence;
}

/* Replays the allocation events of the dump at path into the chain's tables, going on from
 * where the run's previous dump left off, and stopping after event number limit of the run. */
static int chain_replay(struct inflame_live_chain *c, const char *path,
			const struct inflame_load_opts *o, uint64_t group, uint32_t tag,
			uint64_t limit, char *err, size_t errlen)
{
	struct loader *l = calloc(1, sizeof(*l));
	struct inflame_load_stats st = {0};
	int rc;

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	l->o = o;
	rc = inflame_dump_reader_open(&l->r, path);
	if (rc < 0) {
		snprintf(err, errlen, "%s", l->r.err);
		free(l);
		return rc;
	}
	set_range(l);
	l->live = c->live;
	l->freed_by = c->freed_by;
	l->freed = c->freed;
	l->nfreed = c->nfreed;
	l->freed_cap = c->freed_cap;
	l->group = group;
	l->tag = tag;
	l->live_weight = c->live_weight;
	l->peak_weight = c->peak_weight;
	l->peak_index = c->peak_index;
	l->alloc_index = c->alloc_index;
	rc = sample_walk(l, INFLAME_VIEW_LIVE, limit, &st);
	c->live = l->live;
	c->freed_by = l->freed_by;
	c->freed = l->freed;
	c->nfreed = l->nfreed;
	c->freed_cap = l->freed_cap;
	c->live_weight = l->live_weight;
	c->peak_weight = l->peak_weight;
	c->peak_index = l->peak_index;
	c->alloc_index = l->alloc_index;
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	inflame_dump_reader_close(&l->r);
	free(l);
	return rc;
}

int inflame_live_chain_new(const char *const *inputs, size_t n, const struct inflame_load_opts *o,
			   struct inflame_live_chain **out, char *err, size_t errlen)
{
	struct inflame_live_chain *c = calloc(1, sizeof(*c));
	struct chained *all = calloc(n ? n : 1, sizeof(*all));
	size_t *where = calloc(n ? n : 1, sizeof(*where)), nall = 0;
	int rc = 0;

	*out = NULL;
	if (!c || !all || !where) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	/* Which inputs are dumps, of which run, in which place; the rest is not chained. */
	for (size_t i = 0; i < n; i++) {
		struct inflame_dump_reader r;

		if (!strcmp(inputs[i], "-") || inflame_dump_reader_open(&r, inputs[i]) < 0)
			continue;
		if (!o->only_pid || r.hdr.pid == (uint32_t)o->only_pid) {
			all[nall] = (struct chained){r.hdr.pid, r.hdr.sequence,
						     r.hdr.start_realtime, (uint32_t)i};
			nall++;
		}
		inflame_dump_reader_close(&r);
	}
	qsort(all, nall, sizeof(*all), by_run);
	/* The same dump given twice is replayed once (and its blocks, loaded twice, count twice
	 * as they would without the chain). */
	{
		size_t k = nall ? 1 : 0;

		for (size_t i = 1; i < nall; i++)
			if (by_run(&all[i], &all[k - 1]) != 0)
				all[k++] = all[i];
		nall = k;
	}
	c->files = calloc(nall ? nall : 1, sizeof(*c->files));
	if (!c->files) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	/* Runs with two dumps or more, replayed in order (where[] keeps each one's input). */
	for (size_t i = 0, group = 1; i < nall; group++) {
		size_t j = i;

		while (j < nall && all[j].pid == all[i].pid &&
		       all[j].start_realtime == all[i].start_realtime)
			j++;
		size_t first = c->nfiles;
		uint64_t limit = UINT64_MAX;

		c->live_weight = c->peak_weight = c->peak_index = c->alloc_index = 0;
		if (j - i >= 2 && o->view == INFLAME_VIEW_PEAK) {
			/* The run's peak first, over all its dumps, in a table of its own. */
			struct inflame_live_chain t = {0};

			for (size_t k = i; rc == 0 && k < j; k++)
				rc = chain_replay(&t, inputs[all[k].tag], o, group, 0, UINT64_MAX,
						  err, errlen);
			limit = t.peak_index;
			map_free(&t.live);
			map_free(&t.freed_by);
			free(t.freed);
			if (rc < 0)
				goto out;
		}
		for (size_t k = i; j - i >= 2 && k < j; k++) {
			/* Tags start at 1: 0 marks the blocks of dumps loaded alone. */
			struct chained f = all[k];

			where[c->nfiles] = f.tag;
			f.tag = (uint32_t)(c->nfiles + 1);
			c->files[c->nfiles++] = f;
		}
		for (size_t k = first; k < c->nfiles; k++) {
			rc = chain_replay(c, inputs[where[k]], o, group, c->files[k].tag, limit,
					  err, errlen);
			if (rc < 0)
				goto out;
		}
		i = j;
	}
	if (c->nfiles) {
		*out = c;
		c = NULL;
	}
out:
	inflame_live_chain_free(c);
	free(all);
	free(where);
	return rc;
}

void inflame_live_chain_free(struct inflame_live_chain *c)
{
	if (!c)
		return;
	map_free(&c->live);
	map_free(&c->freed_by);
	free(c->freed);
	free(c->files);
	free(c);
}

static int load(const char *path, const void *data, size_t size, const struct inflame_load_opts *o,
		struct inflame_stackset *ss, struct inflame_load_stats *st, char *err,
		size_t errlen)
{
	struct loader *l;
	enum inflame_view view;
	int rc, torn, complete;

	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	l->o = o;
	l->chart = inflame_stackset_is_ordered(ss);
	l->tl = l->chart ? NULL : o->timeline;
	rc = path ? inflame_dump_reader_open(&l->r, path)
		  : inflame_dump_reader_init(&l->r, data, size);
	if (rc < 0) {
		snprintf(err, errlen, "%s", l->r.err);
		free(l);
		return rc;
	}
	l->pid = l->r.hdr.pid;
	set_range(l);
	l->sym = inflame_symbolize_new(!o->no_inline, o->debug_dirs ? o->debug_dirs
								    : getenv("INFLAME_DEBUG_DIRS"));
	l->srec = malloc(sizeof(*l->srec));
	if (!l->sym || !l->srec) {
		rc = -ENOMEM;
		goto out;
	}
	rc = first_walk(l);
	if (l->nlents)
		qsort(l->lents, l->nlents, sizeof(*l->lents), by_tid_time);
	if (rc < 0)
		goto out;
	torn = l->r.torn;
	complete = l->r.complete;

	view = o->view == INFLAME_VIEW_DEFAULT_ ? pick_default(l) : o->view;
	if (o->only_pid && l->pid != (uint64_t)o->only_pid)
		view = INFLAME_VIEW_DEFAULT_; /* another process: nothing to add */
	switch (view) {
	case INFLAME_VIEW_CPU:
	case INFLAME_VIEW_WALL:
	case INFLAME_VIEW_ALLOC:
	case INFLAME_VIEW_ALLOC_COUNT:
		rc = sample_walk(l, view, UINT64_MAX, st);
		break;
	case INFLAME_VIEW_LIVE:
	case INFLAME_VIEW_LIVE_COUNT: {
		const struct chained *f = chained_file(o->chain, &l->r.hdr);

		if (f) {
			/* Replayed with the other dumps of its run already: the blocks it
			 * allocated that are live at the end of the last one. */
			l->live = o->chain->live; /* borrowed, read only */
			rc = aggregate_live(l, view == INFLAME_VIEW_LIVE_COUNT, f->tag, st);
			l->live = (struct map){0};
			break;
		}
		rc = sample_walk(l, view, UINT64_MAX, st);
		if (!rc)
			rc = aggregate_live(l, view == INFLAME_VIEW_LIVE_COUNT, 0, st);
		break;
	}
	case INFLAME_VIEW_PEAK:
		if (chained_file(o->chain, &l->r.hdr)) {
			/* The run's live set at its peak, the blocks this dump allocated. */
			l->live = o->chain->live; /* borrowed, read only */
			rc = aggregate_live(l, 0, chained_file(o->chain, &l->r.hdr)->tag, st);
			l->live = (struct map){0};
			break;
		}
		rc = sample_walk(l, view, UINT64_MAX, st);
		if (!rc) {
			uint64_t peak = l->peak_index;

			map_free(&l->live);
			map_free(&l->freed_by);
			l->nfreed = 0;
			l->live_weight = l->peak_weight = l->alloc_index = 0;
			rc = sample_walk(l, view, peak, st);
		}
		if (!rc)
			rc = aggregate_live(l, 0, 0, st);
		break;
	case INFLAME_VIEW_DEFAULT_:
		view = pick_default(l);
		break;
	default:
		snprintf(err, errlen, "unknown view %d", (int)view);
		rc = -EINVAL;
		goto out;
	}
	if (rc < 0)
		goto out;
	if (view == INFLAME_VIEW_ALLOC_COUNT || view == INFLAME_VIEW_LIVE_COUNT)
		scale_counts(l);
	rc = l->chart ? emit_chart(l, ss) : emit(l, ss);
	if (rc == 0 && !l->chart)
		rc = emit_profiler(l, ss, view);
	if (rc < 0)
		goto out;
	if (view == INFLAME_VIEW_CPU || view == INFLAME_VIEW_WALL) {
		char names[sizeof(st->low_coverage_names)];
		size_t low =
		    inflame_coverage_warning(&l->cov, thread_name, l, names, sizeof(names));

		if (low) {
			st->low_coverage += low;
			memcpy(st->low_coverage_names, names, sizeof(names));
		}
	}
	if (view == INFLAME_VIEW_CPU && inflame_coverage_misplaced_sys(&l->cov) > st->misplaced_sys)
		st->misplaced_sys = inflame_coverage_misplaced_sys(&l->cov);
	if (view == INFLAME_VIEW_CPU && inflame_coverage_kernel_shown(&l->cov))
		st->kernel_shown = 1;
	if (view == INFLAME_VIEW_CPU && l->cov.period_ns)
		st->sample_ns = l->cov.period_ns;
	else if ((view == INFLAME_VIEW_CPU || view == INFLAME_VIEW_WALL) && l->frequency)
		st->sample_ns = 1000000000ull / l->frequency;
	st->view_used = view;
	st->is_memory =
	    view == INFLAME_VIEW_ALLOC || view == INFLAME_VIEW_LIVE || view == INFLAME_VIEW_PEAK;
	st->torn_files += torn ? 1 : 0;
	if (torn)
		snprintf(st->torn_why, sizeof(st->torn_why), "%s", l->r.err);
	st->incomplete_files += complete ? 0 : 1;
	st->dropped += l->stat[INFLAME_STAT_DROPPED_RING] + l->stat[INFLAME_STAT_DROPPED_STACKS];
	st->damaged_chunks += l->damaged;
	st->notices += l->notices + l->notices_lost;
	st->buildid_mismatch += inflame_symbolize_mismatches(l->sym);
	for (uint64_t i = 0; o->on_stale && i < inflame_symbolize_mismatches(l->sym); i++)
		o->on_stale(o->on_stale_arg, inflame_symbolize_mismatch_path(l->sym, i),
			    inflame_symbolize_mismatch_build_id(l->sym, i));
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	inflame_symbolize_free(l->sym);
	free(l->srec);
	map_free(&l->stacks);
	map_free(&l->threads);
	map_free(&l->aggmap);
	map_free(&l->live);
	map_free(&l->freed_by);
	inflame_coverage_free(&l->cov);
	free(l->freed);
	free(l->addrs);
	free(l->names);
	free(l->aggs);
	free(l->tevs);
	free(l->lents);
	free(l->lpool);
	free(l->pends);
	map_free(&l->pend_by_addr);
	inflame_dump_reader_close(&l->r);
	free(l);
	return rc;
}

int inflame_dumpfile_load(const char *path, const struct inflame_load_opts *o,
			  struct inflame_stackset *ss, struct inflame_load_stats *st, char *err,
			  size_t errlen)
{
	return load(path, NULL, 0, o, ss, st, err, errlen);
}

int inflame_dumpmem_load(const void *data, size_t size, const struct inflame_load_opts *o,
			 struct inflame_stackset *ss, struct inflame_load_stats *st, char *err,
			 size_t errlen)
{
	return load(NULL, data, size, o, ss, st, err, errlen);
}
