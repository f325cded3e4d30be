/*
 * Summarising a dump (summary.h): one pass over its chunks, keeping counts and the last
 * record of each kind. Threads are found by a linear search from the newest: a dump holds at
 * most a few thousand threads, and this is only a summary.
 */
#include "input/summary.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Finds or adds a thread (linear: dumps hold at most a few thousand threads, and this is
 * only a summary). Returns NULL when out of memory. */
static struct inflame_summary_thread *thread_get(struct inflame_summary *in, uint64_t tid)
{
	struct inflame_summary_thread *t;

	for (size_t i = in->nthreads; i-- > 0;)
		if (in->threads[i].tid == tid)
			return &in->threads[i];
	if (in->nthreads == in->threads_cap) {
		size_t ncap = in->threads_cap ? in->threads_cap * 2 : 16;

		t = realloc(in->threads, ncap * sizeof(*t));
		if (!t)
			return NULL;
		in->threads = t;
		in->threads_cap = ncap;
	}
	t = &in->threads[in->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	return t;
}

/* Notes the ids of the stacks of chunk c that are the kernel pseudo-frame alone. Returns 0 or
 * -EBADMSG. */
static int note_kernel_stacks(struct inflame_summary *in, const struct inflame_chunk *c)
{
	struct inflame_stack_iter it;
	struct inflame_stack_rec *s = malloc(sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	rc = inflame_dump_stacks_begin(c, &it);
	if (rc == 0) {
		in->stacks += it.left;
		while ((rc = inflame_dump_stacks_next(&it, s)) == 1)
			if (s->nframes == 1 && s->frames[0] == INFLAME_FRAME_KERNEL &&
			    in->nkernel_stacks < INFLAME_SUMMARY_KERNEL_STACKS)
				in->kernel_stacks[in->nkernel_stacks++] = s->id;
	}
	free(s);
	return rc < 0 ? rc : 0;
}

/* Whether stack is the kernel pseudo-frame alone (note_kernel_stacks). */
static int is_kernel_stack(const struct inflame_summary *in, uint64_t stack)
{
	for (size_t i = 0; i < in->nkernel_stacks; i++)
		if (in->kernel_stacks[i] == stack)
			return 1;
	return 0;
}

static void stat_fn(void *arg, uint64_t key, uint64_t value)
{
	struct inflame_summary *in = arg;

	if (key < INFLAME_STAT_COUNT_) {
		in->stat[key] = value;
		in->have_stat[key] = 1;
	}
}

int inflame_summary_read(struct inflame_dump_reader *r, struct inflame_summary *in)
{
	struct inflame_chunk c;

	while (inflame_dump_reader_next(r, &c) == 1) {
		switch (c.type) {
		case INFLAME_CHUNK_PROCESS:
			if (inflame_dump_decode_process(&c, &in->p) < 0)
				in->damaged++;
			else
				in->have_process = 1;
			break;
		case INFLAME_CHUNK_MODULES: {
			struct inflame_module_iter it;
			struct inflame_module_rec m;
			uint64_t n = 0;
			int rc;

			if (inflame_dump_modules_begin(&c, &it) < 0) {
				in->damaged++;
				break;
			}
			while ((rc = inflame_dump_modules_next(&it, &m)) == 1)
				n++;
			if (rc < 0) {
				in->damaged++;
				break;
			}
			in->modules = n;
			in->module_maps++;
			break;
		}
		case INFLAME_CHUNK_PERFMAP: {
			struct inflame_perfmap_iter it;
			struct inflame_perfmap_rec m;
			uint64_t named = 0, anon = 0;
			int rc;

			if (inflame_dump_perfmap_begin(&c, &it) < 0) {
				in->damaged++;
				break;
			}
			while ((rc = inflame_dump_perfmap_next(&it, &m)) == 1) {
				named += m.name.n != 0;
				anon += m.name.n == 0;
			}
			if (rc < 0) {
				in->damaged++;
				break;
			}
			in->jit_names += named;
			in->jit_regions += anon;
			break;
		}
		case INFLAME_CHUNK_LABELS: {
			struct inflame_labels_iter it;
			struct inflame_labels_rec l;
			uint64_t n = 0;
			int rc;

			if (inflame_dump_labels_begin(&c, &it) < 0) {
				in->damaged++;
				break;
			}
			while ((rc = inflame_dump_labels_next(&it, &l)) == 1)
				n++;
			if (rc < 0) {
				in->damaged++;
				break;
			}
			in->label_changes += n;
			break;
		}
		case INFLAME_CHUNK_STACKS: {
			int rc = note_kernel_stacks(in, &c);

			if (rc == -ENOMEM)
				return rc;
			if (rc < 0)
				in->damaged++;
			break;
		}
		case INFLAME_CHUNK_SAMPLES:
		case INFLAME_CHUNK_ALLOCS: {
			struct inflame_sample_iter it;
			struct inflame_sample_rec s;
			int rc;

			if (inflame_dump_samples_begin(&c, r->hdr.start_monotonic, &it) < 0) {
				in->damaged++;
				break;
			}
			while ((rc = inflame_dump_samples_next(&it, &s)) == 1) {
				struct inflame_summary_thread *t;

				if (s.event >= INFLAME_EV_COUNT_) {
					in->other_events++;
					continue;
				}
				if (s.flags & INFLAME_SAMPLE_RESTORE)
					continue; /* a failed realloc undone: no allocation */
				in->samples[s.event]++;
				in->weight[s.event] += s.weight;
				if (s.time > in->last_time)
					in->last_time = s.time;
				t = thread_get(in, s.tid);
				if (!t)
					return -ENOMEM;
				t->samples[s.event]++;
				if (s.event == INFLAME_EV_CPU && is_kernel_stack(in, s.stack)) {
					t->kernel_weight += s.weight;
					in->kernel_weight += s.weight;
				}
			}
			if (rc < 0)
				in->damaged++;
			break;
		}
		case INFLAME_CHUNK_THREADS: {
			struct inflame_thread_iter it;
			struct inflame_thread_rec tr;
			int rc;

			if (inflame_dump_threads_begin(&c, &it) < 0) {
				in->damaged++;
				break;
			}
			while ((rc = inflame_dump_threads_next(&it, &tr)) == 1) {
				struct inflame_summary_thread *t = thread_get(in, tr.tid);
				size_t n =
				    tr.name.n < sizeof(t->name) ? tr.name.n : sizeof(t->name) - 1;

				if (!t)
					return -ENOMEM;
				memcpy(t->name, tr.name.s, n);
				t->name[n] = '\0';
				t->exited = (tr.flags & 1) != 0;
			}
			if (rc < 0)
				in->damaged++;
			break;
		}
		case INFLAME_CHUNK_STATS:
			if (inflame_dump_decode_stats(&c, stat_fn, in) < 0)
				in->damaged++;
			break;
		case INFLAME_CHUNK_THREAD_CPU: {
			int rc = inflame_coverage_add(&in->cov, &c);

			if (rc == -ENOMEM)
				return rc;
			if (rc < 0)
				in->damaged++;
			break;
		}
		case INFLAME_CHUNK_NOTES: {
			struct inflame_note_iter it;
			struct inflame_note_rec n;
			int rc;

			if (inflame_dump_notes_begin(&c, &it) < 0) {
				in->damaged++;
				break;
			}
			while ((rc = inflame_dump_notes_next(&it, &n)) == 1) {
				if (in->nnotes == in->notes_cap) {
					size_t ncap = in->notes_cap ? in->notes_cap * 2 : 8;
					void *p = realloc(in->notes, ncap * sizeof(*in->notes));

					if (!p)
						return -ENOMEM;
					in->notes = p;
					in->notes_cap = ncap;
				}
				in->notes[in->nnotes++] = n;
			}
			if (rc < 0)
				in->damaged++;
			else
				in->notes_lost = it.lost;
			break;
		}
		case INFLAME_CHUNK_END:
			if (inflame_dump_decode_end(&c, &in->end) < 0)
				in->damaged++;
			else
				in->have_end = 1;
			break;
		default:
			break;
		}
	}
	return 0;
}

void inflame_summary_free(struct inflame_summary *in)
{
	free(in->threads);
	inflame_coverage_free(&in->cov);
	free(in->notes);
	in->threads = NULL;
	in->notes = NULL;
}
