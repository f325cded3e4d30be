/*
 * A dump file's summary, without symbols: what `inflame info` prints and what a tool can check
 * before loading stacks. One walk with the validating reader collects the PROCESS chunk, the
 * samples and their weight per event and per thread, thread names, the last values of the
 * counters, the module count of the latest map, the profiler's notices, the perf map entries
 * and label changes, the threads' CPU
 * coverage, the END chunk, and how many chunks were damaged.
 *
 * Strings (notices, the process record's command line) point into the reader's mapping: they
 * are valid while the reader is open.
 */
#ifndef INFLAME_SUMMARY_H
#define INFLAME_SUMMARY_H

#include "dump_read.h"
#include "view/coverage.h"

#include <stddef.h>
#include <stdint.h>

struct inflame_summary_thread {
	uint64_t tid;
	uint64_t samples[INFLAME_EV_COUNT_];
	uint64_t kernel_weight; /* of its cpu samples of the kernel pseudo-frame */
	char name[64];
	int exited;
};

/* The most ids of stacks that are the kernel pseudo-frame alone (INFLAME_FRAME_KERNEL) a
 * summary keeps: a writer interns it once per file, again only after clearing its table. */
#define INFLAME_SUMMARY_KERNEL_STACKS 16

struct inflame_summary {
	int have_process;
	struct inflame_process_rec p;
	uint64_t samples[INFLAME_EV_COUNT_];
	uint64_t weight[INFLAME_EV_COUNT_];
	uint64_t stat[INFLAME_STAT_COUNT_];
	int have_stat[INFLAME_STAT_COUNT_];
	uint64_t modules, module_maps, stacks, damaged, other_events;
	uint64_t last_time;
	int have_end;
	struct inflame_end_rec end;
	struct inflame_summary_thread *threads;
	size_t nthreads, threads_cap;
	struct inflame_coverage cov;
	struct inflame_note_rec *notes;
	size_t nnotes, notes_cap;
	uint64_t notes_lost;
	uint64_t jit_names, jit_regions; /* PERFMAP entries: named, anonymous regions */
	uint64_t label_changes;		 /* LABELS entries */
	uint64_t kernel_stacks[INFLAME_SUMMARY_KERNEL_STACKS];
	size_t nkernel_stacks;
	uint64_t kernel_weight; /* of the cpu samples of the kernel pseudo-frame */
};

/* Walks the reader's chunks into in, which the caller zeroes first. Returns 0, or -ENOMEM. A
 * damaged chunk is counted in in->damaged and skipped. */
int inflame_summary_read(struct inflame_dump_reader *r, struct inflame_summary *in);
/* Frees what inflame_summary_read() allocated. */
void inflame_summary_free(struct inflame_summary *in);

#endif
