/*
 * `inflame info DUMP...`: describes dump files without symbolizing them.
 *
 * Each file is summarised once (input/summary.h) and printed as "key: value" lines. A file that
 * is not a readable dump gets one error line and makes the exit status 1; the other files are
 * still described.
 */
#include "commands.h"
#include "input/images.h"
#include "input/summary.h"
#include "input/inputopts.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: inflame info [-v] DUMP...\n"
		   "  -v, --verbose  list threads with their sample counts\n");
}

/* Prints a string from the dump with control characters escaped, so a hostile file cannot
 * drive the terminal. */
static void put_safe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
}

static void print_time(uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;
	char buf[64];

	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm)) {
		printf("(invalid)");
		return;
	}
	printf("%s.%03" PRIu64 "Z", buf, (ns / 1000000u) % 1000u);
}

static const char *event_names[INFLAME_EV_COUNT_] = {"cpu", "wall", "alloc", "free"};

/* When this file was opened (CLOCK_MONOTONIC, ns): from the header, or for files of older
 * writers, from the realtime clock's step since the profiler started. A later file of a
 * rotated run starts there, not when the profiler did. */
static uint64_t file_start(const struct inflame_dump_header_info *h)
{
	if (h->file_monotonic >= h->start_monotonic && h->file_monotonic)
		return h->file_monotonic;
	if (h->file_realtime > h->start_realtime)
		return h->start_monotonic + (h->file_realtime - h->start_realtime);
	return h->start_monotonic;
}

static const struct inflame_summary_thread *summary_thread(const struct inflame_summary *in,
							   uint64_t tid)
{
	for (size_t i = in->nthreads; i-- > 0;)
		if (in->threads[i].tid == tid)
			return &in->threads[i];
	return NULL;
}

static const char *thread_name(void *arg, uint64_t tid)
{
	const struct inflame_summary_thread *t = summary_thread(arg, tid);

	return t ? t->name : NULL;
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* The wall time the threads spent in inflame's own code (its handler woke them, a thread wrote
 * the image's last file): wall periods kept apart from the samples, as the CPU ones are. */
static void print_self_wall(const struct inflame_summary *in)
{
	const struct inflame_coverage *c = &in->cov;
	uint64_t self = 0, period;

	if (!in->have_process || !in->p.frequency)
		return;
	period = 1000000000ull / in->p.frequency;
	/* (threads that ended before any wall sample found them: their periods are no one's) */
	if (in->stat[INFLAME_STAT_WALL_UNSEEN_THREADS])
		printf("unsampled:   %.3f s of wall time is in no sample: %" PRIu64
		       " thread%s ended (or sampling did) before any wall sample found %s\n",
		       secs(in->stat[INFLAME_STAT_WALL_UNSEEN] * period),
		       in->stat[INFLAME_STAT_WALL_UNSEEN_THREADS],
		       in->stat[INFLAME_STAT_WALL_UNSEEN_THREADS] > 1 ? "s" : "",
		       in->stat[INFLAME_STAT_WALL_UNSEEN_THREADS] > 1 ? "them" : "it");
	if (!in->samples[INFLAME_EV_WALL])
		return;
	for (size_t i = 0; i < c->n; i++)
		self += c->t[i].self_wall;
	printf("profiler:    profiler's own wall time: %.3f s", secs(self * period));
	if (self + in->weight[INFLAME_EV_WALL])
		printf(", %.1f%% of the %.3f s the wall samples stand for",
		       100.0 * (double)self / (double)(self + in->weight[INFLAME_EV_WALL]),
		       secs((self + in->weight[INFLAME_EV_WALL]) * period));
	putchar('\n');
}

/* Thread t's CPU in no sample and in no count but these, each when it is worth a figure (any,
 * with verbose). */
static void print_losses(const struct inflame_coverage *c, const struct inflame_coverage_thread *t,
			 int verbose)
{
	uint64_t least = verbose ? 1 : 50000; /* (what "%.1f ms" shows as 0.0: noise) */

	if (!c->has_losses) {
		if (t->unsampled_ns)
			printf(" (%.1f ms unsampled at its end or missed at switches)",
			       (double)t->unsampled_ns / 1e6);
		return;
	}
	if (t->unsampled_ns >= least)
		printf(" (%.*f ms after its last sample)", verbose ? 3 : 1,
		       (double)t->unsampled_ns / 1e6);
	if (t->missed_ns >= least)
		printf(" (%.*f ms missed at switches)", verbose ? 3 : 1,
		       (double)t->missed_ns / 1e6);
	if (t->before_ns >= least)
		printf(" (%.*f ms before its clock)", verbose ? 3 : 1, (double)t->before_ns / 1e6);
	if (t->dropped_ns >= least)
		printf(" (%.*f ms in periods no sample took)", verbose ? 3 : 1,
		       (double)t->dropped_ns / 1e6);
}

static int str_is(const struct inflame_str *s, const char *lit)
{
	return s->n == strlen(lit) && !memcmp(s->s, lit, s->n);
}

/* Of the threads on a POSIX timer, those that left their perf clock for it (not those that
 * never had one: INFLAME_TCPU_T_NO_PERF). */
static size_t moved_to_posix(const struct inflame_coverage *c)
{
	size_t moved = 0;

	for (size_t i = 0; i < c->n; i++)
		moved += (c->t[i].flags & (INFLAME_TCPU_T_POSIX_TIMER | INFLAME_TCPU_T_NO_PERF)) ==
			 INFLAME_TCPU_T_POSIX_TIMER;
	return moved;
}

/* The threads that never left the POSIX timer of their start for their perf clock. */
static size_t never_on_perf(const struct inflame_coverage *c)
{
	size_t first = 0;

	for (size_t i = 0; i < c->n; i++)
		first += (c->t[i].flags & INFLAME_TCPU_T_NO_PERF) != 0;
	return first;
}

/* The cpu timer asked for, the one in use, and the threads that left it for a POSIX timer
 * (only the default, auto, moves them): "auto: perf, 2 threads moved to a POSIX timer". Under
 * auto each thread starts on a POSIX timer and moves to its perf clock at its first sample:
 * "posix only" when none did, and the threads that ended first are said. Files of older
 * writers say only the one in use. */
static void print_cpu_timer(const struct inflame_summary *in)
{
	const struct inflame_str *used = &in->p.cpu_timer, *asked = &in->p.cpu_timer_asked;
	size_t moved = moved_to_posix(&in->cov), first = never_on_perf(&in->cov);

	if (str_is(used, "posix only")) {
		printf("auto: no thread ran one period of CPU: POSIX timers only (perf not tried)");
		return;
	}
	if (asked->n && !str_is(asked, "auto") && !str_is(used, "none") &&
	    (asked->n != used->n || memcmp(asked->s, used->s, used->n))) {
		put_safe(used->s, used->n);
		printf(" (");
		put_safe(asked->s, asked->n);
		printf(" was asked for and is not available)");
		return;
	}
	if (str_is(asked, "auto"))
		printf("auto: ");
	put_safe(used->s, used->n);
	if (str_is(asked, "auto") && str_is(used, "perf") && !moved && !first)
		printf(", every thread kept it");
	else if (str_is(asked, "auto") && str_is(used, "perf") && moved)
		printf(", %zu thread%s moved to a POSIX timer on %s CPU clock", moved,
		       moved == 1 ? "" : "s", moved == 1 ? "its" : "their");
	else if (moved)
		printf(", %zu thread%s moved to a POSIX timer", moved, moved == 1 ? "" : "s");
	if (str_is(asked, "auto") && str_is(used, "perf") && first)
		printf("; %zu thread%s never on it (ended on the POSIX timer of %s start)", first,
		       first == 1 ? "" : "s", first == 1 ? "its" : "their");
}

/* The sampling handler's runs (dump_format.h, INFLAME_STAT_HANDLER_NS): part of the profiler's
 * own CPU in the program's threads. */
static void print_handler(const struct inflame_summary *in)
{
	uint64_t ns = in->stat[INFLAME_STAT_HANDLER_NS], runs = in->stat[INFLAME_STAT_HANDLER_RUNS];
	uint64_t longer = in->stat[INFLAME_STAT_HANDLER_LONG];

	if (!runs && !longer)
		return;
	printf("handler:     the sampling handler ran %" PRIu64 " times for %.3f s", runs,
	       secs(ns));
	if (runs)
		printf(" (%.1f us a run)", (double)ns / 1e3 / (double)runs);
	printf(", part of the program's threads' share above");
	if (longer)
		printf("; %" PRIu64 " run%s longer than %.0f us left out (the thread was preempted "
		       "in %s)",
		       longer, longer == 1 ? "" : "s", INFLAME_HANDLER_MAX_NS / 1e3,
		       longer == 1 ? "it" : "them");
	putchar('\n');
}

/* Coverage per thread, system time not sampled, the profiler's own CPU. */
static void print_coverage(const struct inflame_summary *in, int verbose)
{
	const struct inflame_coverage *c = &in->cov;
	uint64_t measured = 0, sampled = 0, sys = 0, unsampled = 0, missed = 0, before = 0;
	uint64_t dropped = 0, self;
	int with_sys = (c->flags & INFLAME_TCPU_CLOCK_SYSTEM) != 0;
	size_t moved = 0;
	char warn[512];

	if (!c->present)
		return;
	if (c->period_ns) {
		moved = moved_to_posix(c);
		printf("cpu clock:   %s%s, %.3f ms a sample",
		       !with_sys			     ? "counts user time only"
		       : (c->flags & INFLAME_TCPU_IN_KERNEL) ? "counts user and system time"
		       : inflame_coverage_kernel_shown(c)
			   ? "counts user and system time, fires in user code only (system time "
			     "is shown as \"" INFLAME_KERNEL_FRAME_NAME "\")"
			   : "counts user and system time, fires in user code only (system time "
			     "is charged to the code that runs after it)",
		       (c->flags & INFLAME_TCPU_KERNEL_ASKED) &&
			       !(c->flags & INFLAME_TCPU_IN_KERNEL)
			   ? " (INFLAME_CPU_KERNEL=1 was refused by the system)"
			   : "",
		       (double)c->period_ns / 1e6);
		if (moved)
			printf(
			    "; %zu thread%s moved to a POSIX timer on %s CPU clock (marked \"POSIX "
			    "timer\"), which fires at the kernel tick, in system time too",
			    moved, moved > 1 ? "s" : "", moved > 1 ? "their" : "its");
		putchar('\n');
		for (size_t i = 0; i < c->n; i++) {
			measured += inflame_coverage_measured(c, &c->t[i]);
			sampled += inflame_coverage_sampled(c, &c->t[i]);
			sys += c->t[i].sys_ns;
			unsampled += c->t[i].unsampled_ns;
			missed += c->t[i].missed_ns;
			before += c->t[i].before_ns;
			dropped += c->t[i].dropped_ns;
		}
		printf("coverage:    samples stand for %.3f s of %.3f s of %s CPU", secs(sampled),
		       secs(measured), with_sys ? "user and system" : "user");
		if (measured)
			printf(" (%.1f%%)", 100.0 * (double)sampled / (double)measured);
		if (!with_sys)
			printf("; system time, not sampled: %.3f s", secs(sys));
		else if (inflame_coverage_kernel_shown(c))
			/* (not "of it": the kernel splits user and system time on ticks, so the
			 * kernel samples may pass the measured system time by a tick or two) */
			printf("; system time %.3f s, sampled as \"" INFLAME_KERNEL_FRAME_NAME
			       "\": %.3f s",
			       secs(sys), secs(in->kernel_weight * c->period_ns));
		else if (!(c->flags & INFLAME_TCPU_IN_KERNEL))
			printf("; system time %.3f s, sampled only after it", secs(sys));
		putchar('\n');
		if (unsampled && !c->has_losses)
			printf("unsampled:   %.1f ms of the CPU time is in no sample: what the "
			       "threads ran after their clock's last sample, as they exited or "
			       "sampling ended, and what the perf count missed at switches\n",
			       (double)unsampled / 1e6);
		else if (unsampled + missed + before + dropped)
			printf(
			    "unsampled:   %.1f ms of the CPU time is in no sample: %.1f ms after "
			    "the threads' last samples (as they exited or sampling ended), %.1f ms "
			    "the perf count missed at switches, %.1f ms before their clocks were "
			    "armed, %.1f ms in periods no sample took (more than one sample stands "
			    "for, or as sampling stopped)\n",
			    (double)(unsampled + missed + before + dropped) / 1e6,
			    (double)unsampled / 1e6, (double)missed / 1e6, (double)before / 1e6,
			    (double)dropped / 1e6);
		for (size_t i = 0; i < c->n; i++) {
			const struct inflame_coverage_thread *t = &c->t[i];
			const struct inflame_summary_thread *st = summary_thread(in, t->tid);
			const char *nm = st ? st->name : NULL;
			uint64_t m = inflame_coverage_measured(c, t);

			if (!verbose && t->cpu_ns < 1000000 && !inflame_coverage_low(c, t))
				continue; /* under a millisecond of CPU */
			printf("  %-16s tid %-8llu user %.3f s, sys %.3f s, samples %.3f s",
			       nm && *nm ? nm : "?", (unsigned long long)t->tid, secs(t->user_ns),
			       secs(t->sys_ns), secs(inflame_coverage_sampled(c, t)));
			if (m)
				printf(", %.1f%%",
				       100.0 * (double)inflame_coverage_sampled(c, t) / (double)m);
			print_losses(c, t, verbose);
			if (c->has_losses && m)
				printf(" (samples and losses: %.1f%%)",
				       100.0 *
					   (double)(inflame_coverage_sampled(c, t) +
						    t->unsampled_ns + t->missed_ns + t->before_ns +
						    t->dropped_ns) /
					   (double)m);
			if (t->self_cpu)
				printf(" (%.3f s of it in inflame)",
				       secs(t->self_cpu * c->period_ns));
			if (st && st->kernel_weight)
				printf(" (%.3f s of it in the kernel, caller unknown)",
				       secs(st->kernel_weight * c->period_ns));
			if (t->flags & INFLAME_TCPU_T_UNMEASURED)
				printf(" (not measured)");
			if (t->flags & INFLAME_TCPU_T_NO_PERF)
				printf(" (POSIX timer only, never on perf)");
			else if (t->flags & INFLAME_TCPU_T_POSIX_TIMER)
				printf(" (POSIX timer)");
			printf("%s\n", (t->flags & INFLAME_TCPU_T_EXITED) ? " (exited)" : "");
		}
		if (inflame_coverage_warning(c, thread_name, (void *)in, warn, sizeof(warn)))
			printf("warning:     sampled for less than %.0f%% of their CPU time: %s\n",
			       100 * INFLAME_COVERAGE_WARN, warn);
		if (inflame_coverage_misplaced_sys(c) > 0)
			printf("warning:     %.0f%% of the CPU time was spent in the kernel and is "
			       "%s the calls that spent it\n",
			       100 * inflame_coverage_misplaced_sys(c),
			       inflame_coverage_kernel_shown(c)
				   ? "shown as \"" INFLAME_KERNEL_FRAME_NAME
				     "\" under each thread, not at"
				   : "charged to the code that ran next, not to");
	}
	self = inflame_coverage_self_ns(c);
	/* Without a CPU clock no sample gives the handler's periods up (selfcost.h): its time
	 * counts as it is. */
	if (!c->period_ns)
		self += in->stat[INFLAME_STAT_HANDLER_NS];
	printf("profiler:    profiler's own CPU: %.3f s", secs(self));
	if (in->have_stat[INFLAME_STAT_CPU_NS] && in->stat[INFLAME_STAT_CPU_NS])
		printf(", %.1f%%", 100.0 * (double)self / (double)in->stat[INFLAME_STAT_CPU_NS]);
	printf(" (in the program's threads %.3f s, inflame's threads %.3f s)\n",
	       secs(self - c->writer_ns), secs(c->writer_ns));
	print_handler(in);
	print_self_wall(in);
}

/* Whether the file next is the one this (r, whose name is base, blen bytes) went on in: of the
 * same process, the next sequence number, and its notice names this file. */
static int goes_on_in(const char *next, const struct inflame_dump_reader *r, const char *base,
		      size_t blen)
{
	static const char says[] = "the program closed or replaced the descriptor of ";
	struct inflame_dump_reader nr;
	struct inflame_summary ns;
	int found = 0;

	if (inflame_dump_reader_open(&nr, next) < 0)
		return 0;
	memset(&ns, 0, sizeof(ns));
	if (nr.hdr.pid == r->hdr.pid && nr.hdr.sequence == r->hdr.sequence + 1 &&
	    inflame_summary_read(&nr, &ns) == 0) {
		for (size_t i = 0; i < ns.nnotes && !found; i++) {
			const char *t = ns.notes[i].text.s, *at;
			size_t n = ns.notes[i].text.n;

			at = memmem(t, n, says, sizeof(says) - 1);
			if (!at)
				continue;
			at += sizeof(says) - 1;
			/* "...descriptor of PATH; continuing": PATH ends with this file's name */
			for (const char *e = at; e + blen < t + n; e++)
				if (e[blen] == ';' && !memcmp(e, base, blen) &&
				    (e == at || e[-1] == '/')) {
					found = 1;
					break;
				}
		}
	}
	inflame_summary_free(&ns);
	inflame_dump_reader_close(&nr);
	return found;
}

/*
 * The file a process went on with when the program closed or replaced this one's descriptor
 * (a daemon's close loop): the writer then starts the next file of the same pid, whose first
 * notice names this one. Under the default naming that file is this one's name with its
 * sequence number one higher (".N" after the pattern's own name); a pattern with %n has the
 * number where %n is: each run of digits in the file's name that is the sequence number is
 * tried one higher. Returns 1 and fills next when that file exists, is of the same process,
 * and its notice says so.
 */
static int continued_in(const char *path, const struct inflame_dump_reader *r, char *next,
			size_t len)
{
	const char *dot = strrchr(path, '.'), *base = strrchr(path, '/');
	size_t stem = strlen(path), blen;
	char seq[16];
	size_t slen;

	base = base ? base + 1 : path;
	blen = strlen(base);
	if (r->hdr.sequence > 0 && dot && dot[1] &&
	    strspn(dot + 1, "0123456789") == strlen(dot + 1))
		stem = (size_t)(dot - path);
	if ((size_t)snprintf(next, len, "%.*s.%u", (int)stem, path, r->hdr.sequence + 1) < len &&
	    goes_on_in(next, r, base, blen))
		return 1;
	slen = (size_t)snprintf(seq, sizeof(seq), "%u", r->hdr.sequence);
	for (const char *d = base; (d = strstr(d, seq)) != NULL; d++) {
		size_t at = (size_t)(d - path);

		if ((d > base && d[-1] >= '0' && d[-1] <= '9') ||
		    (d[slen] >= '0' && d[slen] <= '9'))
			continue; /* (part of a longer number) */
		if ((size_t)snprintf(next, len, "%.*s%u%s", (int)at, path, r->hdr.sequence + 1,
				     d + slen) < len &&
		    goes_on_in(next, r, base, blen))
			return 1;
	}
	return 0;
}

static void print_info(const char *path, const struct inflame_dump_reader *r,
		       const struct inflame_summary *in, int verbose)
{
	char next[4096];

	const struct inflame_dump_header_info *h = &r->hdr;
	uint64_t end = in->have_end ? in->end.end_monotonic : in->last_time;
	uint64_t start = file_start(h);
	uint64_t nthreads = 0;

	printf("file:        %s\n", path);
	if (in->have_process) {
		struct inflame_cursor cur = in->p.args;

		printf("pid:         %" PRIu64 " (parent %" PRIu64 ")\n", in->p.pid, in->p.ppid);
		printf("command:     ");
		for (uint64_t i = 0; i < in->p.argc; i++) {
			const char *s;
			size_t n;

			inflame_cursor_str(&cur, &s, &n);
			if (cur.err)
				break;
			if (i)
				putchar(' ');
			put_safe(s, n);
		}
		printf("\nexecutable:  ");
		put_safe(in->p.exe.s, in->p.exe.n);
		putchar('\n');
	} else {
		printf("pid:         %" PRIu32 "\n", h->pid);
	}
	printf("started:     ");
	print_time(h->start_realtime);
	putchar('\n');
	if (end >= start)
		printf("duration:    %.3f s%s\n", (double)(end - start) / 1e9,
		       in->have_end ? "" : " (up to the last sample)");
	printf("sequence:    %" PRIu32 "\n", h->sequence);
	if (in->have_process) {
		printf("events:      ");
		put_safe(in->p.events.s, in->p.events.n);
		printf("\ncpu timer:   ");
		print_cpu_timer(in);
		printf("\nunwind:      ");
		put_safe(in->p.unwind.s, in->p.unwind.n);
		printf(" (max depth %" PRIu64 ")\n", in->p.max_depth);
		printf("frequency:   %" PRIu64 " Hz asked", in->p.frequency);
		if (in->samples[INFLAME_EV_CPU] && in->have_stat[INFLAME_STAT_CPU_NS] &&
		    in->stat[INFLAME_STAT_CPU_NS])
			/* Samples taken, not their weights: a timer that could not keep up
			 * weights each of its few samples by the periods it missed. */
			printf(", %.1f samples per CPU-second achieved (%" PRIu64
			       " samples in %.3f s of CPU)",
			       (double)in->samples[INFLAME_EV_CPU] /
				   ((double)in->stat[INFLAME_STAT_CPU_NS] / 1e9),
			       in->samples[INFLAME_EV_CPU],
			       (double)in->stat[INFLAME_STAT_CPU_NS] / 1e9);
		putchar('\n');
	}
	printf("samples:    ");
	for (int e = 0; e < INFLAME_EV_COUNT_; e++)
		printf(" %s %" PRIu64 "%s", event_names[e], in->samples[e],
		       e + 1 < INFLAME_EV_COUNT_ ? "," : "\n");
	for (size_t i = 0; i < in->nthreads; i++) {
		uint64_t n = 0;

		for (int e = 0; e < INFLAME_EV_COUNT_; e++)
			n += in->threads[i].samples[e];
		nthreads += n > 0 || in->threads[i].name[0];
	}
	printf("threads:     %" PRIu64 "\n", nthreads);
	if (verbose) {
		for (size_t i = 0; i < in->nthreads; i++) {
			const struct inflame_summary_thread *t = &in->threads[i];

			printf("  %-16s tid %-8" PRIu64, t->name[0] ? t->name : "?", t->tid);
			for (int e = 0; e < INFLAME_EV_COUNT_; e++)
				if (in->samples[e])
					printf(" %s %" PRIu64, event_names[e], t->samples[e]);
			printf("%s\n", t->exited ? " (exited)" : "");
		}
	}
	print_coverage(in, verbose);
	printf("drops:       ring %" PRIu64 ", stack table %" PRIu64 ", threads %" PRIu64 "\n",
	       in->stat[INFLAME_STAT_DROPPED_RING], in->stat[INFLAME_STAT_DROPPED_STACKS],
	       in->stat[INFLAME_STAT_DROPPED_THREADS]);
	if (in->stat[INFLAME_STAT_ALLOC_UNTRACKED])
		printf("untracked:   %" PRIu64 " sampled allocations or frees not recorded\n",
		       in->stat[INFLAME_STAT_ALLOC_UNTRACKED]);
	if (in->stat[INFLAME_STAT_SIGSTACK_NARROW] || in->stat[INFLAME_STAT_SIGSTACK_NOSTACK])
		printf("sigstack:    %" PRIu64 " samples walked narrower, %" PRIu64
		       " kept without a stack (small alternate signal stack)\n",
		       in->stat[INFLAME_STAT_SIGSTACK_NARROW],
		       in->stat[INFLAME_STAT_SIGSTACK_NOSTACK]);
	printf("truncated:   %" PRIu64 " stacks\n", in->stat[INFLAME_STAT_TRUNCATED]);
	printf("stacks:      %" PRIu64 "\n", in->stacks);
	printf("modules:     %" PRIu64 " (%" PRIu64 " maps)\n", in->modules, in->module_maps);
	if (in->jit_names || in->jit_regions)
		printf("jit:         %" PRIu64 " perf map entries, %" PRIu64
		       " anonymous code regions\n",
		       in->jit_names, in->jit_regions);
	if (in->label_changes)
		printf("labels:      %" PRIu64 " label changes\n", in->label_changes);
	if (in->nnotes || in->notes_lost) {
		printf("notices:     %zu", in->nnotes);
		if (in->notes_lost)
			printf(" (and %" PRIu64 " more that did not fit)", in->notes_lost);
		putchar('\n');
		for (size_t i = 0; i < in->nnotes; i++) {
			printf("  %8.3f s  %s", (double)in->notes[i].time / 1e9,
			       in->notes[i].level == INFLAME_NOTE_UNPROFILED ? "error: " : "");
			put_safe(in->notes[i].text.s, in->notes[i].text.n);
			putchar('\n');
		}
	}
	if (in->damaged)
		printf("damaged:     %" PRIu64 " chunks ignored\n", in->damaged);
	if (r->complete)
		printf("status:      complete\n");
	else if (r->torn)
		printf("status:      torn at offset %zu (%s)\n", r->off, r->err);
	else if (continued_in(path, r, next, sizeof(next)))
		printf("status:      incomplete here: the program closed or replaced this file's "
		       "descriptor, and the profile goes on in %s\n",
		       next);
	else
		printf(
		    "status:      incomplete (no END chunk: the process may still be running, or "
		    "it ended without inflame's exit path, killed or through a raw exit_group "
		    "system call; its totals are those of its last 100 ms)\n");
}

/* Describes the dump path; shown: dumps described before it. Returns 0 or -1 (said). */
static int info_one(const char *path, int verbose, int shown)
{
	struct inflame_dump_reader r;
	struct inflame_summary in;
	int rc = 0;

	memset(&in, 0, sizeof(in));
	if (inflame_dump_reader_open(&r, path) < 0) {
		fprintf(stderr, "inflame info: %s: %s\n", path, r.err);
		return -1;
	}
	if (inflame_summary_read(&r, &in) < 0) {
		fprintf(stderr, "inflame info: %s: out of memory\n", path);
		rc = -1;
	} else {
		if (shown)
			putchar('\n');
		print_info(path, &r, &in, verbose);
	}
	inflame_summary_free(&in);
	inflame_dump_reader_close(&r);
	return rc;
}

int inflame_cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int verbose = 0, status = 0, shown = 0, ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			inflame_cli_bad_option(ch, "inflame info: ", argv);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr,
			"inflame info: no dump file given (usage: inflame info [-v] DUMP...)\n");
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		const char *in = argv[i];
		char **names;
		int n;

		/* (a file short processes shared: each dump in it, input/images.h) */
		if (inflame_inputs_expand(&in, 1, "inflame info: ", &names, &n) < 0)
			return 1;
		if (n == 0) {
			if (shown++)
				putchar('\n');
			printf("file:        %s\n"
			       "status:      no dump of its own: it holds the placeholders of "
			       "processes that went on in files of their own\n",
			       in);
		}
		for (int k = 0; k < n; k++)
			if (info_one(names[k], verbose, shown++) < 0)
				status = 1;
		inflame_inputs_release(names, n, &in, 1);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "inflame info: cannot write output\n");
		return 1;
	}
	return status;
}
