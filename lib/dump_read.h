/*
 * Reading and validating dump files.
 *
 * A reader maps a file (or borrows a memory block) and walks its chunks. Every length is
 * checked against what is left, every chunk's CRC is verified, and the first damaged or cut
 * chunk ends the walk with 'torn' set: what came before it stays usable. Chunk payloads are
 * then decoded with the iterators below, which never read outside the payload and report a
 * malformed payload as -EBADMSG. Nothing here prints or exits; errors are returned as negative
 * errno values with a one-line reason in the reader's 'err' buffer.
 */
#ifndef INFLAME_DUMP_READ_H
#define INFLAME_DUMP_READ_H

#include "dump_format.h"
#include "dump_write.h"
#include "varint.h"

#include <stddef.h>
#include <stdint.h>

struct inflame_dump_reader {
	const uint8_t *data;
	size_t size;
	size_t off;
	int mapped;
	const uint8_t *map; /* what was mapped (the whole file of an image named PATH@OFF) */
	size_t map_size;
	struct inflame_dump_header_info hdr;
	int complete; /* an END chunk was read */
	int torn;     /* the walk stopped at a damaged or cut chunk */
	uint64_t chunks;
	char err[160];
};

struct inflame_chunk {
	uint32_t type;
	const uint8_t *payload;
	size_t len;
};

/* Opens and maps path, validates the file header. Returns 0, or a negative errno with r->err
 * set to a one-line reason (not a dump, newer version, other architecture, unreadable). A name
 * "PATH@OFF" that is no file is the image at offset OFF of the file PATH (dump_images.h). The
 * walk of a file that holds several images ends where its first image does: at the next
 * image's magic, where a chunk would start (neither torn nor complete: a placeholder). */
int inflame_dump_reader_open(struct inflame_dump_reader *r, const char *path);
/* The same over a caller-owned memory block (which must outlive the reader). */
int inflame_dump_reader_init(struct inflame_dump_reader *r, const void *data, size_t size);
/* Returns 1 and fills *c for the next valid chunk, 0 at the end of the usable data (check
 * r->torn and r->complete), never a negative value after a successful open. */
int inflame_dump_reader_next(struct inflame_dump_reader *r, struct inflame_chunk *c);
void inflame_dump_reader_close(struct inflame_dump_reader *r);
/* The chunk at off of the size bytes at data, checked as reader_next checks it: 0 with *c, or
 * -ENODATA (its header is cut), -EMSGSIZE (its payload is cut or too large), -EBADMSG (its
 * checksum fails). */
int inflame_dump_chunk_at(const uint8_t *data, size_t size, size_t off, struct inflame_chunk *c);
/* Opens path for reading from its start, or a name "PATH@OFF" as reader_open does, positioned
 * at OFF. Returns the descriptor or -errno. */
int inflame_dump_path_open(const char *path);

/* Quick test of a memory prefix: 1 if it starts with the dump magic. */
int inflame_dump_is_dump(const void *data, size_t size);

/* Decoded records. Strings point into the chunk payload and are not NUL-terminated. */
struct inflame_str {
	const char *s;
	size_t n;
};

#define INFLAME_MAX_ARGS 4096
struct inflame_process_rec {
	uint64_t pid, ppid;
	struct inflame_str exe;
	uint64_t argc;
	struct inflame_str events, cpu_timer, unwind;
	uint64_t frequency, max_depth, ring_kb, alloc_rate;
	/* The cpu timer the configuration asked for (INFLAME_CPU_TIMER: "auto", "perf", ...),
	 * n 0 in files of older writers; cpu_timer is the one in use. */
	struct inflame_str cpu_timer_asked;
	struct inflame_cursor args; /* argc strings follow; read with inflame_cursor_str */
};
int inflame_dump_decode_process(const struct inflame_chunk *c, struct inflame_process_rec *p);

struct inflame_module_rec {
	uint64_t base, lo, hi;
	struct inflame_str path;
	struct inflame_str build_id;
};
struct inflame_module_iter {
	struct inflame_cursor cur;
	uint64_t generation;
	uint64_t left;
};
int inflame_dump_modules_begin(const struct inflame_chunk *c, struct inflame_module_iter *it);
/* 1 = record filled, 0 = done, -EBADMSG = malformed */
int inflame_dump_modules_next(struct inflame_module_iter *it, struct inflame_module_rec *m);

/* The largest stack a reader accepts; a writer never writes more than its max depth. */
#define INFLAME_MAX_FRAMES 4096
struct inflame_stack_rec {
	uint64_t id;
	uint32_t nframes;
	uint64_t frames[INFLAME_MAX_FRAMES];
};
struct inflame_stack_iter {
	struct inflame_cursor cur;
	uint64_t left;
};
int inflame_dump_stacks_begin(const struct inflame_chunk *c, struct inflame_stack_iter *it);
int inflame_dump_stacks_next(struct inflame_stack_iter *it, struct inflame_stack_rec *s);

struct inflame_sample_rec {
	uint64_t time; /* ns, CLOCK_MONOTONIC */
	uint64_t tid;
	uint32_t event;
	uint32_t flags; /* INFLAME_SAMPLE_* */
	uint64_t stack;
	uint64_t weight;
	uint64_t size; /* ALLOC/FREE only */
	uint64_t addr; /* ALLOC/FREE only */
};
/* An ALLOC that allocates nothing: it restores the block its thread freed last at addr (ALLOCS
 * chunks only); stack, weight and size are 0. */
#define INFLAME_SAMPLE_RESTORE 1u
struct inflame_sample_iter {
	struct inflame_cursor cur;
	uint64_t left;
	uint64_t time;
	int allocs;		   /* an ALLOCS chunk */
	uint64_t tid, stack, addr; /* ALLOCS: the previous events' values */
};
/* Whether chunks of this type hold samples: SAMPLES, and ALLOCS (allocation events only). */
static inline int inflame_dump_has_samples(uint32_t type)
{
	return type == INFLAME_CHUNK_SAMPLES || type == INFLAME_CHUNK_ALLOCS;
}
/* Iterates the samples of a SAMPLES or ALLOCS chunk alike. base_time: the header's
 * start_monotonic. Returns -EBADMSG when the count cannot be right (or for another type);
 * next returns 1 with *s, 0 at the end, -EBADMSG for a malformed record. */
int inflame_dump_samples_begin(const struct inflame_chunk *c, uint64_t base_time,
			       struct inflame_sample_iter *it);
int inflame_dump_samples_next(struct inflame_sample_iter *it, struct inflame_sample_rec *s);

struct inflame_thread_rec {
	uint64_t tid;
	struct inflame_str name;
	uint64_t flags;
};
struct inflame_thread_iter {
	struct inflame_cursor cur;
	uint64_t left;
};
int inflame_dump_threads_begin(const struct inflame_chunk *c, struct inflame_thread_iter *it);
int inflame_dump_threads_next(struct inflame_thread_iter *it, struct inflame_thread_rec *t);

/* THREAD_CPU: the chunk's head, then its entries. */
struct inflame_thread_cpu_rec {
	uint64_t tid, flags; /* INFLAME_TCPU_T_* */
	uint64_t cpu_ns, user_ns, sys_ns;
	uint64_t weight, self_cpu, self_wall;
};
struct inflame_thread_cpu_iter {
	struct inflame_cursor cur;
	uint64_t left;
	uint64_t period_ns, flags, writer_ns; /* the head (flags: INFLAME_TCPU_*) */
	int in_unsampled;		      /* the list after the entries is being read */
	uint64_t unsampled_left;	      /* its entries still to read */
	int in_losses;			      /* the list after that one is being read */
	int has_losses;			      /* and the chunk has it */
	uint64_t losses_left;		      /* its entries still to read */
};
/* Returns 0 or -EBADMSG (the count cannot be right); next returns 1 with *t, 0 at the end,
 * -EBADMSG for a malformed entry. */
int inflame_dump_thread_cpu_begin(const struct inflame_chunk *c,
				  struct inflame_thread_cpu_iter *it);
int inflame_dump_thread_cpu_next(struct inflame_thread_cpu_iter *it,
				 struct inflame_thread_cpu_rec *t);
/* After the entries (next returned 0): the list of CPU time no sample stands for that follows
 * them (dump_format.h, THREAD_CPU; absent from files of older writers). Returns 1 with *tid and
 * *ns, 0 at the end, -EBADMSG when the list is malformed, -EINVAL before the entries' end. */
int inflame_dump_thread_cpu_unsampled(struct inflame_thread_cpu_iter *it, uint64_t *tid,
				      uint64_t *ns);
/* The rest of a thread's CPU in no sample (dump_format.h, THREAD_CPU), in ns. */
struct inflame_thread_cpu_losses {
	uint64_t tid;
	uint64_t missed;  /* what the perf count missed at switches */
	uint64_t before;  /* before its clock was armed */
	uint64_t dropped; /* periods its clock's signals brought that no sample took */
};
/* After that list (unsampled returned 0): the list of the rest (absent from files of older
 * writers). Returns 1 with *l, 0 at the end, -EBADMSG when the list is malformed, -EINVAL
 * before the end of the list of unsampled CPU. */
int inflame_dump_thread_cpu_losses(struct inflame_thread_cpu_iter *it,
				   struct inflame_thread_cpu_losses *l);
/* NOTES: the profiler's notices. lost is the chunk's count of notices that did not fit. */
struct inflame_note_rec {
	uint64_t time;	/* ns from the header's start_monotonic */
	uint64_t level; /* INFLAME_NOTE_* (others may come: show them as notices) */
	struct inflame_str text;
};
struct inflame_note_iter {
	struct inflame_cursor cur;
	uint64_t left;
	uint64_t lost;
};
int inflame_dump_notes_begin(const struct inflame_chunk *c, struct inflame_note_iter *it);
/* 1 = record filled, 0 = done, -EBADMSG = malformed */
int inflame_dump_notes_next(struct inflame_note_iter *it, struct inflame_note_rec *n);

/* PERFMAP: names of generated code, and anonymous executable regions (empty name). */
struct inflame_perfmap_rec {
	uint64_t time; /* ns from the header's start_monotonic */
	uint64_t start, size;
	struct inflame_str name;
};
struct inflame_perfmap_iter {
	struct inflame_cursor cur;
	uint64_t left;
};
int inflame_dump_perfmap_begin(const struct inflame_chunk *c, struct inflame_perfmap_iter *it);
/* 1 = record filled, 0 = done, -EBADMSG = malformed (an entry that wraps the address space) */
int inflame_dump_perfmap_next(struct inflame_perfmap_iter *it, struct inflame_perfmap_rec *m);

/* LABELS: a thread's label set from a time on. The pairs follow in pairs (npairs x key, value
 * strings: read with inflame_cursor_str). */
#define INFLAME_MAX_LABELS 64
struct inflame_labels_rec {
	uint64_t tid, time, npairs;
	struct inflame_cursor pairs;
};
struct inflame_labels_iter {
	struct inflame_cursor cur;
	uint64_t left;
};
int inflame_dump_labels_begin(const struct inflame_chunk *c, struct inflame_labels_iter *it);
/* 1 = record filled, 0 = done, -EBADMSG = malformed (more than INFLAME_MAX_LABELS pairs) */
int inflame_dump_labels_next(struct inflame_labels_iter *it, struct inflame_labels_rec *l);

/* STATS: calls fn(key, value) for each pair. Returns 0 or -EBADMSG. */
int inflame_dump_decode_stats(const struct inflame_chunk *c,
			      void (*fn)(void *arg, uint64_t key, uint64_t value), void *arg);

struct inflame_end_rec {
	uint64_t end_monotonic;
	uint64_t totals[INFLAME_EV_COUNT_];
};
int inflame_dump_decode_end(const struct inflame_chunk *c, struct inflame_end_rec *e);

#endif
