/*
 * The on-disk contract of an inflame dump file, and nothing else.
 *
 * A dump is a fixed 64-byte file header followed by a sequence of chunks. Every integer is
 * little-endian, whatever the machine that wrote it. Each chunk is a 16-byte chunk header
 * (type, payload length, CRC-32 of the payload, flags) followed by the payload. Payloads are
 * sequences of unsigned LEB128 varints (see varint.h), strings being a varint length followed
 * by that many bytes. A reader skips chunk types it does not know and stops at the first chunk
 * that is cut short or fails its checksum (a torn tail left by a crash or SIGKILL). A file is
 * complete only when its last chunk is INFLAME_CHUNK_END.
 *
 * A file may hold several dump images back to back (a file the short processes of a run share,
 * each appending its image with one write): each starts with its own header, and readers
 * treat each as a dump of its own (dump_images.h).
 *
 * The full description, chunk by chunk, is in doc/inflame-dump.5. Change both together.
 */
#ifndef INFLAME_DUMP_FORMAT_H
#define INFLAME_DUMP_FORMAT_H

#include <stdint.h>

#define INFLAME_DUMP_MAGIC	"INFLAME\x1a"
#define INFLAME_DUMP_MAGIC_LEN	8
#define INFLAME_DUMP_VERSION	2
#define INFLAME_DUMP_MIN_READER 1
/* The min_reader of a file that may hold ALLOCS chunks (which version 1 readers would skip,
 * losing every allocation event without a word). */
#define INFLAME_DUMP_MIN_READER_ALLOCS 2
#define INFLAME_DUMP_HEADER_SIZE       64
#define INFLAME_DUMP_CHUNK_HDR_SIZE    16
/* The largest payload a reader accepts; writers keep chunks far smaller. */
#define INFLAME_DUMP_MAX_CHUNK (64u << 20)

/*
 * File header, as laid out on disk (byte offsets):
 *   0  magic[8]            INFLAME_DUMP_MAGIC
 *   8  u16 version         format version of the writer
 *  10  u16 min_reader      oldest reader version that can read this file
 *  12  u16 header_size     size of this header; readers skip what they do not know
 *  14  u8  pointer_size    4 or 8, of the profiled process
 *  15  u8  endian          1 = little-endian (the only value written)
 *  16  u32 machine         ELF e_machine of the profiled process (62 = x86_64, 183 = aarch64)
 *  20  u32 features        INFLAME_FEAT_* bits
 *  24  u32 pid
 *  28  u32 sequence        dump number within the process, from 0
 *  32  u64 start_realtime  CLOCK_REALTIME of profiler start, ns since the epoch
 *  40  u64 start_monotonic CLOCK_MONOTONIC of profiler start, ns; sample times count from it
 *  48  u64 file_realtime   CLOCK_REALTIME when this file was opened, ns
 *  56  u64 file_monotonic  CLOCK_MONOTONIC when this file was opened, ns (0 in files of
 *                          writers before it: then file_realtime tells, less exactly)
 */
#define INFLAME_FEAT_CPU   (1u << 0) /* cpu samples may be present */
#define INFLAME_FEAT_WALL  (1u << 1) /* wall samples may be present */
#define INFLAME_FEAT_ALLOC (1u << 2) /* allocation samples may be present */

/* Chunk types. Values are part of the format: never renumber. */
enum inflame_chunk_type {
	INFLAME_CHUNK_PROCESS = 1, /* who, what, how: see below */
	INFLAME_CHUNK_MODULES = 2, /* the loaded-object map; a later one replaces earlier ones */
	INFLAME_CHUNK_STACKS = 3,  /* newly interned stacks */
	INFLAME_CHUNK_SAMPLES = 4, /* samples referring to stacks */
	INFLAME_CHUNK_THREADS = 5, /* thread names; a later name for a tid replaces the earlier */
	INFLAME_CHUNK_STATS = 6,   /* counters: drops, totals */
	INFLAME_CHUNK_END = 7,	   /* last chunk of a complete file */
	INFLAME_CHUNK_ALLOCS = 8,  /* allocation events, compactly (format version 2) */
	INFLAME_CHUNK_THREAD_CPU = 9, /* per thread: measured CPU next to what its samples cover */
	INFLAME_CHUNK_NOTES = 10,     /* the profiler's notices (fallbacks, parts turned off) */
	INFLAME_CHUNK_PERFMAP = 11,   /* names of generated code (/tmp/perf-PID.map lines) */
	INFLAME_CHUNK_LABELS = 12,    /* a thread's labels from a time on (inflame_label(3)) */
	INFLAME_CHUNK_MOVED = 13,     /* a shared file's stand-in: the image went on elsewhere */
};

/* Event kinds carried by samples. Values are part of the format. */
enum inflame_event {
	INFLAME_EV_CPU = 0,   /* weight: samples (1 + timer overrun) */
	INFLAME_EV_WALL = 1,  /* weight: samples */
	INFLAME_EV_ALLOC = 2, /* weight: estimated bytes; size: real bytes; addr: pointer */
	INFLAME_EV_FREE = 3,  /* addr: pointer of a sampled allocation freed; stack 0 */
	INFLAME_EV_COUNT_
};

/*
 * Payloads (all varints unless said otherwise; "str" is varint length + bytes):
 *
 * PROCESS: pid, ppid, str exe, varint argc, argc x str arg, str events, frequency, str cpu_timer,
 *          str unwind, max_depth, ring_kb, alloc_rate.
 * MODULES: generation, count, then per module: base (load bias), lo, hi (address range of its
 *          executable segments), str path, str build_id (raw bytes, may be empty).
 * STACKS:  count, then per stack: id, nframes, frames. The first frame is the leaf (the PC where
 *          the sample was taken); the others are return addresses. Frames are zig-zag encoded
 *          deltas from the previous frame of the same stack (the first from 0). Stack ids are
 *          unique within a file and start at 1; 0 means "no stack".
 *          A stack whose only frame is INFLAME_FRAME_KERNEL is CPU time the thread spent in
 *          the kernel, its caller unknown (see below).
 * SAMPLES: count, then per sample: time delta (zig-zag signed ns from the previous sample of
 *          the chunk, the first from the file header's start_monotonic: samples of different
 *          threads interleave, so times may step back), tid, event, stack id, weight, and for
 *          ALLOC/FREE events size and addr.
 * ALLOCS:  count, then per event (ALLOC or FREE only, in the order they happened): flags
 *          (INFLAME_ALLOCS_*), then tid if FLAG_TID, time delta (zig-zag, from the previous
 *          event of the chunk) if TIME, stack id if STACK, size (ALLOC), weight if WEIGHT,
 *          and always the address as a zig-zag delta from the previous event's address. What
 *          a flag leaves out is the previous event's value: tid and time of the previous event
 *          (a FREE always has the previous event's time), stack of the previous ALLOC, and
 *          weight = size. The chunk starts from tid 0, stack 0, address 0 and the header's
 *          start_monotonic. A FREE has stack 0, weight 0 and size 0. A RESTORE (an ALLOC
 *          flagged so) has no stack, size or weight fields and reads as stack 0, weight 0,
 *          size 0 with INFLAME_SAMPLE_RESTORE.
 * THREADS: count, then per thread: tid, str name, flags (1 = exited).
 * NOTES:   count, lost, then per notice: time (ns from the header's start_monotonic, 0 for one
 *          from before it), level (INFLAME_NOTE_*), str text (one line, no "inflame: " prefix).
 *          lost counts the notices of the process image that did not fit in the profiler's
 *          table, so far (a later value replaces). Every file carries every notice of its
 *          process image (those of a fork child include its parent's from before the fork);
 *          a later NOTES chunk adds the notices logged since the previous one. Readers that
 *          predate it skip the chunk.
 * PERFMAP: count, then per entry: time (ns from the header's start_monotonic when the writer
 *          read it), start, size, str name. Named entries are the lines of the program's
 *          /tmp/perf-PID.map (JIT compilers write "START SIZE name" for the code they make),
 *          copied as they appear; every file carries the whole map read so far. An entry
 *          with an empty name is an anonymous executable mapping [start, start + size) seen
 *          in /proc/self/maps, for naming code that no map line covers. Where entries
 *          overlap, the last one in the file wins (code moved or replaced). Readers that
 *          predate it skip the chunk.
 * LABELS:  count, then per entry: tid, time (ns from the header's start_monotonic), npairs, then
 *          npairs x (str key, str value): the whole label set of thread tid from that time
 *          on, until its next entry (npairs 0: none). A sample of the thread carries the set
 *          of its latest entry at or before the sample's time. Every file starts with the
 *          sets in force when it was opened (time 0). Readers that predate it skip it.
 * MOVED:   str path: the file the image went on in. Only in a file that processes share (see
 *          below), as the one chunk of an image whose header repeats that of the image's
 *          placeholder there: both stand for nothing, the image is in path. Readers that predate
 *          it skip the chunk.
 * PROCESS may be written again (the program rewrote its command line): a later one replaces.
 * STATS:   count, then pairs of (key, value); keys are INFLAME_STAT_*; a later value replaces.
 * THREAD_CPU: period (ns of CPU one unit of cpu sample weight stands for; 0 when there is no
 *          cpu clock), flags (INFLAME_TCPU_*), writer_ns (CPU time of inflame's threads, the
 *          writer and the wall ticker, in this file), count, then per thread: tid, flags
 *          (INFLAME_TCPU_T_*), cpu_ns (its CPU clock, user + system), user_ns, sys_ns (the
 *          kernel's split of that time), weight (the weights of its cpu samples in this
 *          file), self_cpu (weights of cpu samples that landed in inflame's own code and are
 *          not in the file), self_wall (the same for wall samples). Every figure counts from
 *          the moment this file was opened or the thread was registered (a thread started under
 *          inflame: its start), whichever is later. A later entry for a tid replaces an earlier
 *          one, except after an entry flagged EXITED: a new thread then reuses the tid. Exited
 *          threads are written once, with their final figures. Then, from newer writers and
 *          only when some thread has any: ucount, then per thread with an entry in the chunk:
 *          tid, unsampled (ns of its CPU past the last period its samples stand for, when it
 *          exited or sampling paused: in no sample, ever). Older readers stop before it.
 *          Then, from newer writers still (which write both lists whenever the file has a cpu
 *          clock, empty or not): lcount, then per thread with an entry in the chunk: tid,
 *          missed (ns of its CPU clock its perf count missed at switches, in no sample),
 *          before (ns it ran from the start of its figures to the arming of its clock),
 *          dropped (ns of the periods its clock's signals brought that no sample took).
 *          Without that list, unsampled also holds what the count missed.
 * END:     end_monotonic (ns), then the totals of samples written per event (INFLAME_EV_COUNT_
 *          varints).
 */
/* The pseudo-frame of a cpu sample that stands for periods a clock firing in user code only
 * found behind a sample, and that the thread's system time accounts for: time spent in the
 * kernel, whose caller is unknown (the sample that found them runs other code). It is the
 * stack's only frame, the sample has the time of the sample that found them, and readers name
 * it INFLAME_KERNEL_FRAME_NAME. No user address is this high; older readers show it in hex. */
#define INFLAME_FRAME_KERNEL	  UINT64_C(0xffffffffffffff00)
#define INFLAME_KERNEL_FRAME_NAME "[kernel, caller unknown]"
/* Flags of a THREAD_CPU chunk. Values are part of the format. */
#define INFLAME_TCPU_CLOCK_SYSTEM (1u << 0) /* cpu sample weights stand for system time too */
#define INFLAME_TCPU_KERNEL_ASKED (1u << 1) /* INFLAME_CPU_KERNEL=1 asked for kernel time */
#define INFLAME_TCPU_IN_KERNEL	  (1u << 2) /* the clock also fires while in the kernel */
/* The periods of system time that a sample of a clock firing in user code only found behind
 * it are samples of INFLAME_FRAME_KERNEL (before: charged to that sample's stack). */
#define INFLAME_TCPU_KERNEL_FRAME (1u << 3)
/* Flags of a THREAD_CPU entry. */
#define INFLAME_TCPU_T_EXITED	  (1u << 0) /* the thread is gone: these are its final figures */
#define INFLAME_TCPU_T_UNMEASURED (1u << 1) /* its CPU time could not be read */
/* It left the perf clock for a POSIX timer on its CPU clock (the perf clock cost it more than it
 * counted): its system time since is sampled at the calls that spent it, not as the kernel
 * pseudo-frame. */
#define INFLAME_TCPU_T_POSIX_TIMER (1u << 2)
/* With INFLAME_TCPU_T_POSIX_TIMER: that timer was the one of its start, and it never had a perf
 * event (INFLAME_CPU_TIMER=auto: it ended before its first sample, which moves a thread to its
 * perf clock, or perf was refused to it). */
#define INFLAME_TCPU_T_NO_PERF (1u << 3)

/* Flags of an ALLOCS event. Values are part of the format; other bits make the chunk invalid. */
#define INFLAME_ALLOCS_FREE   (1u << 0) /* a FREE (else an ALLOC) */
#define INFLAME_ALLOCS_TID    (1u << 1) /* tid follows (else the previous event's) */
#define INFLAME_ALLOCS_TIME   (1u << 2) /* ALLOC: a time delta follows (else 0) */
#define INFLAME_ALLOCS_STACK  (1u << 3) /* ALLOC: stack follows (else the previous ALLOC's) */
#define INFLAME_ALLOCS_WEIGHT (1u << 4) /* ALLOC: weight follows (else weight = size) */
/* ALLOC: restores the block this thread freed last at addr (a failed realloc): only tid, time
 * and addr, never STACK or WEIGHT, no size. */
#define INFLAME_ALLOCS_RESTORE (1u << 5)
#define INFLAME_ALLOCS_KNOWN_  0x3fu

/* Levels of a notice. Values are part of the format. */
#define INFLAME_NOTE_UNPROFILED 0 /* a failure that leaves the program (or output) unprofiled */
#define INFLAME_NOTE_NOTICE	1 /* a fallback taken or a part turned off */

enum inflame_stat {
	INFLAME_STAT_DROPPED_RING = 1,	  /* samples lost because a thread's ring was full */
	INFLAME_STAT_DROPPED_STACKS = 2,  /* samples lost because the stack table was full */
	INFLAME_STAT_DROPPED_THREADS = 3, /* threads not registered: thread table full */
	INFLAME_STAT_TRUNCATED = 4,	  /* stacks cut at max_depth */
	INFLAME_STAT_SIGNALS = 5,	  /* sampling signals handled */
	INFLAME_STAT_FOREIGN = 6,	  /* signals passed on to the program's handler */
	INFLAME_STAT_CPU_NS = 7,	  /* process CPU time (user+sys) at the chunk, ns */
	INFLAME_STAT_ALLOC_UNTRACKED = 8, /* sampled allocations or frees not recorded: table
					     of sampled pointers full, or a thread without a
					     slot (since the process started) */
	/* samples on a small alternate signal stack walked narrower (without libunwind, or
	 * frame pointers only), or kept without a stack: not even a frame-pointer walk fit */
	INFLAME_STAT_SIGSTACK_NARROW = 9,
	INFLAME_STAT_SIGSTACK_NOSTACK = 10,
	/* wall periods in no sample: threads that ended (or were there as sampling ended)
	 * before any wall sample found them, and how many threads they were of */
	INFLAME_STAT_WALL_UNSEEN = 11,
	INFLAME_STAT_WALL_UNSEEN_THREADS = 12,
	/* The sampling handler's runs in the program's threads since the file was opened (its
	 * first counters): their time from entry to exit (ns), how many, and the runs left out
	 * of that time as longer than the handler runs on the CPU (the thread was preempted in
	 * it). The whole periods of that time are in the threads' self_cpu (THREAD_CPU), taken
	 * off the samples the program would have had for them. */
	INFLAME_STAT_HANDLER_NS = 13,
	INFLAME_STAT_HANDLER_RUNS = 14,
	INFLAME_STAT_HANDLER_LONG = 15,
	INFLAME_STAT_COUNT_
};
/* The longest run of the sampling handler taken as its own CPU time (INFLAME_STAT_HANDLER_NS):
 * a longer one is the thread off the CPU (preempted, or its virtual CPU stopped by the host).
 * A walk of 128 frames through the unwind tables takes 10 to 50 us. */
#define INFLAME_HANDLER_MAX_NS 250000ull

#endif
