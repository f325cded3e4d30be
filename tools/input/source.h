/*
 * Loading profiles into a stack set from any input we understand: inflame dumps, folded
 * stacks, and `perf script` text, detected from their first bytes. "-" is standard input.
 *
 * Loaders print nothing; problems are returned as a negative errno with a one-line reason in
 * the caller's buffer, and non-fatal oddities (lines that do not parse, a torn dump, a binary
 * that changed since the run) are counted in struct inflame_load_stats for the caller to
 * report.
 */
#ifndef INFLAME_SOURCE_H
#define INFLAME_SOURCE_H

#include "view/stackset.h"
#include "view/timeline.h"

#include <stddef.h>
#include <stdint.h>

enum inflame_view {
	INFLAME_VIEW_CPU = 0,
	INFLAME_VIEW_WALL,
	INFLAME_VIEW_ALLOC,	  /* bytes allocated */
	INFLAME_VIEW_ALLOC_COUNT, /* allocations */
	INFLAME_VIEW_LIVE,	  /* bytes live at the end of the dump */
	INFLAME_VIEW_LIVE_COUNT,
	INFLAME_VIEW_PEAK,    /* the live set when live bytes were highest */
	INFLAME_VIEW_DEFAULT_ /* the first event present: cpu, then wall, then alloc */
};

enum inflame_input_kind {
	INFLAME_INPUT_AUTO = 0,
	INFLAME_INPUT_DUMP,
	INFLAME_INPUT_FOLDED,
	INFLAME_INPUT_PERF_SCRIPT,
};

struct inflame_live_chain;

#define INFLAME_LOAD_LABELS_MAX 8

struct inflame_load_opts {
	enum inflame_view view;
	enum inflame_input_kind kind;
	int threads;   /* add a root frame per thread ("name-tid") */
	int pid;       /* add a root frame per process ("comm-pid") */
	long only_pid; /* perf script, dumps: keep only this pid (0 = all) */
	long only_tid; /* perf script, dumps: keep only this tid (0 = all) */
	/* perf script, dumps: keep only these tids (a list; with ntids 0, only_tid decides) */
	const long *tids;
	size_t ntids;
	int keep_addrs; /* do not strip +0x offsets from perf script symbols */
	int no_comm;	/* perf script: no process-name root frame */
	/* live, live-count: dumps of one process replayed together (inflame_live_chain_new) */
	struct inflame_live_chain *chain;
	int no_inline;		/* dumps: no frames for inlined functions */
	const char *debug_dirs; /* dumps: colon-separated debug directories (NULL:
				 * $INFLAME_DEBUG_DIRS, else /usr/lib/debug) */
	/* dumps: called once per module whose recorded build-id matches no file found (its
	 * frames are then "[module+0xoffset]"), with its path and the build-id in hex */
	void (*on_stale)(void *arg, const char *path, const char *build_id);
	void *on_stale_arg;
	/* dumps: inflame's own samples as an "[inflame]" frame per thread */
	int show_profiler;
	/* dumps: keep only the samples of threads labelled so at the time (inflame_label(3)):
	 * each a "KEY=VALUE" string, all must hold; other inputs have no labels */
	const char *labels[INFLAME_LOAD_LABELS_MAX];
	int nlabels;
	/* dumps: keep only samples from..to (to excluded), resolved against each dump's start
	 * (timeline.h); live views keep the blocks allocated in the range and still live at its
	 * end. Text inputs have no time: a range makes their loading fail. */
	struct inflame_time_point from, to;
	/* dumps, into a stack set that is not ordered: every sample kept (timeline.h), with the
	 * index of its stack in the set */
	struct inflame_timeline *timeline;
	/* dumps: record each frame's module, address and source line in the stack set
	 * (inflame_stackset_meta()); off by default, as it costs a debug lookup per frame */
	int frame_meta;
	/* dumps, cpu/wall/alloc views: a root frame after the thread's, "[labels]" followed by
	 * "\nKEY=VALUE" for each label the thread had at the sample's time (inflame_label(3));
	 * for pprof's sample labels */
	int label_root;
};

/* Whether the options keep the samples of thread tid (--tid). */
static inline int inflame_load_keeps_tid(const struct inflame_load_opts *o, long tid)
{
	if (o->ntids) {
		for (size_t i = 0; i < o->ntids; i++)
			if (o->tids[i] == tid)
				return 1;
		return 0;
	}
	return !o->only_tid || o->only_tid == tid;
}
/* Whether the options ask for a time range (--from, --to). */
static inline int inflame_load_has_range(const struct inflame_load_opts *o)
{
	return o->from.kind != INFLAME_TIME_NONE || o->to.kind != INFLAME_TIME_NONE;
}

struct inflame_load_stats {
	uint64_t bad_lines;  /* text lines that did not parse */
	uint64_t samples;    /* samples (or folded lines) read */
	uint64_t torn_files; /* dumps cut short (crash, kill) or damaged */
	/* where and why the last torn dump stops: "chunk at offset N fails its checksum"
	 * (damaged) or "chunk at offset N is cut short (M bytes)" (a crash, a kill) */
	char torn_why[200];
	uint64_t incomplete_files;
	uint64_t buildid_mismatch; /* modules whose file changed since the run */
	uint64_t dropped;	   /* samples the profiler reported lost */
	uint64_t skipped;	   /* perf script: samples of another event or filtered out */
	enum inflame_view view_used;
	int is_memory;		 /* the view counts bytes */
	uint64_t missing_stacks; /* dump samples whose stack id was never defined */
	uint64_t damaged_chunks; /* dump chunks that did not decode (their data is ignored) */
	/* dumps: threads sampled for much less than their CPU time (coverage.h), and the
	 * names of those of the last dump with any, "name (tid N) 12%, ..." */
	uint64_t low_coverage;
	char low_coverage_names[400];
	/* dumps, cpu view: the share of the CPU spent in the kernel and charged to the code that
	 * ran after it (inflame_coverage_misplaced_sys()), the largest of the dumps; 0 when small
	 */
	double misplaced_sys;
	/* whether the dumps show that time as INFLAME_KERNEL_FRAME_NAME samples
	 * (inflame_coverage_kernel_shown()) instead of charging it to the code that ran next */
	int kernel_shown;
	uint64_t notices; /* the profiler's notices in dumps (`inflame info` shows them) */
	/* dumps, cpu and wall views: the time one unit of weight stands for, in ns (0 unknown) */
	uint64_t sample_ns;
};

/* Loads path (or "-" for stdin) into ss. Returns 0 or a negative errno with err set. */
int inflame_source_load(const char *path, const struct inflame_load_opts *o,
			struct inflame_stackset *ss, struct inflame_load_stats *st, char *err,
			size_t errlen);

/* Per-format loaders, for callers that know the format; same contract. */
int inflame_folded_load(const char *data, size_t len, const struct inflame_load_opts *o,
			struct inflame_stackset *ss, struct inflame_load_stats *st, char *err,
			size_t errlen);
int inflame_perfscript_load(const char *data, size_t len, const struct inflame_load_opts *o,
			    struct inflame_stackset *ss, struct inflame_load_stats *st, char *err,
			    size_t errlen);
/*
 * The live views of a run written to several dump files (INFLAME_INTERVAL, the dump signal):
 * each file alone only knows its own allocations, so a block allocated in one file and freed
 * in a later one would look live in the first. inflame_live_chain_new() looks at the inputs,
 * and for every process with two or more dumps among them (same pid and start time), replays
 * their allocation events in the order of their sequence numbers into one live table. Loading
 * one of those dumps with the chain in its options then adds the blocks that are still live at
 * the end of the run and were allocated in that dump (so loading them all gives the live set
 * at the end of the last one: at exit, the leaks of the whole run). Inputs that are not dumps,
 * or the only dump of their process, load as without it. *out is NULL when there is nothing to
 * chain. Returns 0, or a negative errno with a one-line reason (a dump that cannot be read).
 */
int inflame_live_chain_new(const char *const *inputs, size_t n, const struct inflame_load_opts *o,
			   struct inflame_live_chain **out, char *err, size_t errlen);
void inflame_live_chain_free(struct inflame_live_chain *c);

int inflame_dumpfile_load(const char *path, const struct inflame_load_opts *o,
			  struct inflame_stackset *ss, struct inflame_load_stats *st, char *err,
			  size_t errlen);
/* The same over a dump held in memory (data must outlive the call). */
int inflame_dumpmem_load(const void *data, size_t size, const struct inflame_load_opts *o,
			 struct inflame_stackset *ss, struct inflame_load_stats *st, char *err,
			 size_t errlen);

/*
 * Streaming form of the perf script loader, for inputs read in pieces: each piece passed to
 * inflame__perfscript_feed must end at a line boundary. The state carries the event being
 * kept (the first one seen, as stackcollapse-perf does) and the sample in progress from one
 * piece to the next; inflame__perfscript_finish adds that last sample.
 */
struct inflame__perfscript_state {
	char event[64]; /* the event kept; empty until one is seen */
	int in_sample;	/* a header was read and its sample not yet added */
	int skip;	/* the sample in progress is filtered out */
	int java;	/* the sample's command is "java": tidy Java class names */
	uint64_t period;
	uint32_t root;	  /* frame id of the process root, UINT32_MAX for none */
	uint32_t *frames; /* leaf first, as perf prints them */
	size_t nframes, cap;
	char *scratch; /* for building names */
	size_t scratch_cap;
};
void inflame__perfscript_init(struct inflame__perfscript_state *ps);
int inflame__perfscript_feed(struct inflame__perfscript_state *ps, const char *data, size_t len,
			     const struct inflame_load_opts *o, struct inflame_stackset *ss,
			     struct inflame_load_stats *st, char *err, size_t errlen);
int inflame__perfscript_finish(struct inflame__perfscript_state *ps, struct inflame_stackset *ss,
			       struct inflame_load_stats *st, char *err, size_t errlen);
void inflame__perfscript_free(struct inflame__perfscript_state *ps);

/* Whether the start of a text input looks like perf script output rather than folded stacks. */
int inflame__text_is_perfscript(const char *data, size_t len);

/*
 * What a text input must look like to be read as a profile. A folded line, in its strict form:
 * it starts with a frame (no blank), ends with a blank and a count (digits, an optional
 * fraction; difffolded.pl's two counts too), and holds no tab or other control character
 * before the counts. Frames may contain blanks and any punctuation ("operator new(unsigned
 * long)", "<module> (a.py:3)"). A text is folded stacks when at least half of its first lines
 * are, and either one of them has two frames or more, or all of them are and no frame holds a
 * blank: prose has lines that end in a number, but rarely a ';' before it. A perf script sample: a
 * header in column 0 (a command name followed by a "pid/tid" or "tid" number, or a line ending in
 * "event:") followed at once by an indented frame line that starts with a hexadecimal address.
 */
int inflame__folded_line_strict(const char *line, size_t n);
struct inflame__text_sniff {
	unsigned lines;	       /* non-empty lines looked at, '#' comments aside */
	unsigned folded;       /* of those, strict folded lines */
	unsigned deep;	       /* of those, lines with two frames or more (a ';') */
	unsigned first_spaced; /* the first strict line with one frame that holds a blank */
	unsigned first_bad;    /* the first line (1-based) that is not a strict folded line */
	unsigned blocks;       /* column-0 lines followed by an indented line */
	unsigned samples;      /* of those, perf script samples */
	int perf_header;       /* starts with perf script's "# ========" header */
	unsigned flat;	       /* perf script samples without a call stack (one line each) */
};
/* Looks at the first lines (at most a few thousand) of data. */
void inflame__text_sniff(const char *data, size_t len, struct inflame__text_sniff *out);

/* Parses a --event name into a view; returns 0 or -EINVAL. */
int inflame_view_parse(const char *s, enum inflame_view *out);
const char *inflame_view_name(enum inflame_view v);

#endif
