/*
 * The cost of a short process's dump file, system call by system call (issue 11), run by
 * `make bench-dumpfile`.
 *
 * A process under inflame that lives a few milliseconds makes one dump file: an unnamed file in
 * the output directory (O_TMPFILE), its 64-byte header written, the file linked under its name,
 * its descriptor moved to a high number and checked with fstat, the chunks of the set-up and of
 * the exit written (each write after a look at RLIMIT_FSIZE and an fstat), and the file closed.
 * This program does the same system calls, in the same order and sizes, for N files in a
 * directory, and times each step. Two other ways run next to it: the file created by name
 * (O_CREAT|O_EXCL, no link) and the alternative of issue 11, a record appended to one file
 * that already exists, as the shared file of short processes is written (preload/writer.c):
 * opened with O_APPEND once, checked (fstat, fstatfs, the euid), its descriptor moved high,
 * a placeholder appended at the set-up (the header and the set-up's chunks), and at the exit
 * the whole dump after the same checks as the other ways' writes, then closed. No inode is
 * created. A fourth way is the same without the placeholder, to tell what it costs.
 * The ways run in interleaved rounds, each round in new directories, and nothing is deleted
 * before the end: on ext4 without a journal, the inodes deleted a few seconds before are
 * skipped, at a cost, by every creation that follows.
 *
 * Usage: dumpfile DIR [FILES [ROUNDS]]; prints microseconds of CPU time per file (the thread's
 * clock, less what reading it costs), total and per step.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

/* The sizes of the writes of /bin/true's dump: its header, its set-up, its exit. */
#define HEADER_BYTES 64
#define SETUP_BYTES  461
#define EXIT_BYTES   116
/* The placeholder the appending way writes at the set-up: the header and the set-up's
 * chunks. */
#define START_BYTES (HEADER_BYTES + SETUP_BYTES)

enum step { OPEN, HEADER, LINK, MOVE, CHECK, WRITES, CLOSE, NSTEPS };
static const char *const step_names[NSTEPS] = {"open",	 "header", "linkat", "move high",
					       "checks", "writes", "close"};

enum way { TMPFILE, CREATE, APPEND, APPEND_BARE, NWAYS };
static const char *const way_names[NWAYS] = {"O_TMPFILE + linkat", "O_CREAT|O_EXCL",
					     "O_APPEND shared (inflame)", "shared, no placeholder"};

static double spent[NWAYS][NSTEPS];
static unsigned failures;
static char bytes[HEADER_BYTES + SETUP_BYTES + EXIT_BYTES];

static double steps[NWAYS][NSTEPS]; /* how many times each step was timed */

/* The thread's CPU time: a machine shared with other work (a build, other benchmarks) delays
 * the program, which the wall clock would count. */
static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Times one step: the step's system calls run between two clock reads. */
#define STEP(way, step, calls)                                                                     \
	do {                                                                                       \
		double t0_ = now_us();                                                             \
		calls;                                                                             \
		spent[way][step] += now_us() - t0_;                                                \
		steps[way][step]++;                                                                \
	} while (0)

/* What two clock reads cost with nothing between them, taken off each timed step. */
static double clock_cost(void)
{
	double sum = 0;

	for (int i = 0; i < 10000; i++) {
		double t0 = now_us();

		sum += now_us() - t0;
	}
	return sum / 10000;
}

static void check(int ok)
{
	if (!ok)
		failures++;
}

/* What inflame does before each write: the file size limit, and that fd is still its file. */
static void look(int fd)
{
	struct rlimit rl;
	struct stat st;

	check(getrlimit(RLIMIT_FSIZE, &rl) == 0);
	check(fstat(fd, &st) == 0);
}

/* The life of one file made by way, named path in dir (or, appended, the shared file path). */
static void one_file(enum way way, const char *dir, const char *path)
{
	struct rlimit rl;
	struct stat st;
	int fd = -1;

	if (way == APPEND || way == APPEND_BARE) {
		struct statfs sfs;

		STEP(way, OPEN,
		     fd = open(path,
			       O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
				   O_CLOEXEC,
			       0600));
		STEP(way, CHECK, {
			check(fstat(fd, &st) == 0 && st.st_uid == geteuid());
			check(fstatfs(fd, &sfs) == 0);
		});
		STEP(way, MOVE, {
			int hi = fcntl(fd, F_DUPFD_CLOEXEC, 512);

			check(hi >= 0 && close(fd) == 0);
			fd = hi;
		});
		if (way == APPEND)
			STEP(way, HEADER, {
				check(getrlimit(RLIMIT_FSIZE, &rl) == 0);
				check(write(fd, bytes, START_BYTES) == START_BYTES);
			});
		STEP(way, WRITES, {
			look(fd);
			check(write(fd, bytes, HEADER_BYTES + SETUP_BYTES + EXIT_BYTES) ==
			      HEADER_BYTES + SETUP_BYTES + EXIT_BYTES);
		});
		STEP(way, CLOSE, close(fd));
		return;
	}
	if (way == TMPFILE) {
		STEP(way, OPEN, fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
		STEP(way, HEADER, {
			look(fd);
			check(write(fd, bytes, HEADER_BYTES) == HEADER_BYTES);
		});
		STEP(way, LINK, check(linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) == 0));
	} else {
		STEP(way, OPEN,
		     fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
		STEP(way, HEADER, {
			look(fd);
			check(write(fd, bytes, HEADER_BYTES) == HEADER_BYTES);
		});
	}
	check(fd >= 0);
	/* (to a number >= 512, away from those programs dup2() onto, as inflame does) */
	STEP(way, MOVE, {
		int hi = fcntl(fd, F_DUPFD_CLOEXEC, 512);

		check(hi >= 0 && close(fd) == 0);
		fd = hi;
	});
	STEP(way, CHECK, check(fstat(fd, &st) == 0));
	STEP(way, WRITES, {
		look(fd);
		check(write(fd, bytes, SETUP_BYTES) == SETUP_BYTES);
		look(fd);
		check(write(fd, bytes, EXIT_BYTES) == EXIT_BYTES);
	});
	STEP(way, CLOSE, {
		check(fstat(fd, &st) == 0);
		close(fd);
	});
}

int main(int argc, char **argv)
{
	char dir[4096], path[4200];
	long files, rounds;
	double total, empty;

	if (argc < 2) {
		fprintf(stderr, "usage: dumpfile DIR [FILES [ROUNDS]]\n");
		return 2;
	}
	files = argc > 2 ? atol(argv[2]) : 1000;
	rounds = argc > 3 ? atol(argv[3]) : 5;
	if (files <= 0 || rounds <= 0) {
		fprintf(stderr, "dumpfile: FILES and ROUNDS must be positive\n");
		return 2;
	}
	for (long r = 0; r < rounds; r++) {
		/* (the order of the ways rotates from round to round) */
		for (int k = 0; k < NWAYS; k++) {
			enum way way = (enum way)((k + r) % NWAYS);
			int fd;

			snprintf(dir, sizeof(dir), "%s/r%ld.w%d", argv[1], r, (int)way);
			if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
				perror(dir);
				return 1;
			}
			snprintf(path, sizeof(path), "%s/all.ifl", dir);
			if (way == APPEND || way == APPEND_BARE) {
				fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
				if (fd < 0) {
					perror(path);
					return 1;
				}
				close(fd);
			}
			for (long i = 0; i < files; i++) {
				if (way != APPEND && way != APPEND_BARE)
					snprintf(path, sizeof(path), "%s/x.%ld.ifl", dir, i);
				one_file(way, dir, path);
			}
		}
	}
	empty = clock_cost();
	printf("%s: %ld files x %ld rounds per way, microseconds of CPU per file\n", argv[1], files,
	       rounds);
	for (int way = 0; way < NWAYS; way++) {
		total = 0;
		for (int s = 0; s < NSTEPS; s++) {
			spent[way][s] -= steps[way][s] * empty;
			total += spent[way][s];
		}
		printf("  %-29s %6.1f:", way_names[way], total / (double)(files * rounds));
		for (int s = 0; s < NSTEPS; s++)
			if (steps[way][s] > 0)
				printf(" %s %.1f", step_names[s],
				       spent[way][s] / (double)(files * rounds));
		printf("\n");
	}
	if (failures) {
		fprintf(stderr, "dumpfile: %u system calls failed\n", failures);
		return 1;
	}
	return 0;
}
