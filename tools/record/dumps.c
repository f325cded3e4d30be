/*
 * The run's dump files and their notices (dumps.h). Notices are read with the validating
 * reader; a file that does not open is listed without them.
 */
#include "record/dumps.h"
#include "config.h"
#include "dump_read.h"
#include "input/images.h"

#include <glob.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The pattern as a glob: each conversion becomes '*'. */
static void pattern_glob(const char *pattern, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = pattern; *p && n + 2 < len; p++) {
		if (*p == '%' && p[1]) {
			p++;
			out[n++] = *p == '%' ? '%' : '*';
		} else if (*p == '*' || *p == '?' || *p == '[' || *p == '\\') {
			out[n++] = '\\';
			out[n++] = *p;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = 0;
}

/* The notices of the process images whose files have been seen: how many were printed. */
struct image_notes {
	uint32_t pid;
	uint64_t start_realtime;
	uint64_t printed;
};

/* The texts of the notices printed so far. A run of many short processes (a build, a shell
 * script) has the same notice in each image's dump: it is printed once, and the repeats are
 * counted and summed up in one line at the end. */
struct printed_texts {
	char **text;
	size_t n;
	uint64_t repeats;
};

/* Whether the text was printed before (then the repeat is counted); if not, remembers it. */
static int seen_text(struct printed_texts *pt, const char *s, size_t len)
{
	char **p, *copy;

	for (size_t i = 0; i < pt->n; i++)
		if (strlen(pt->text[i]) == len && !memcmp(pt->text[i], s, len)) {
			pt->repeats++;
			return 1;
		}
	p = realloc(pt->text, (pt->n + 1) * sizeof(*p));
	if (!p)
		return 0;
	pt->text = p;
	copy = strndup(s, len);
	if (copy)
		pt->text[pt->n++] = copy;
	return 0;
}

/* Prints the notices of the dump at path that were not printed yet for its image (errors
 * excepted: those were written to stderr when they happened), each text once per run. */
static void print_notices(const char *path, struct image_notes **seen, size_t *nseen,
			  struct printed_texts *pt)
{
	struct inflame_dump_reader r;
	struct inflame_chunk c;
	struct image_notes *img = NULL;
	uint64_t index = 0;

	if (inflame_dump_reader_open(&r, path) < 0)
		return;
	for (size_t i = 0; i < *nseen; i++)
		if ((*seen)[i].pid == r.hdr.pid &&
		    (*seen)[i].start_realtime == r.hdr.start_realtime)
			img = &(*seen)[i];
	if (!img) {
		struct image_notes *p = realloc(*seen, (*nseen + 1) * sizeof(**seen));

		if (!p) {
			inflame_dump_reader_close(&r);
			return;
		}
		*seen = p;
		img = &p[(*nseen)++];
		*img = (struct image_notes){r.hdr.pid, r.hdr.start_realtime, 0};
	}
	while (inflame_dump_reader_next(&r, &c) == 1) {
		struct inflame_note_iter it;
		struct inflame_note_rec n;

		if (c.type != INFLAME_CHUNK_NOTES || inflame_dump_notes_begin(&c, &it) < 0)
			continue;
		while (inflame_dump_notes_next(&it, &n) == 1) {
			if (index++ < img->printed || n.level == INFLAME_NOTE_UNPROFILED)
				continue;
			if (seen_text(pt, n.text.s, n.text.n))
				continue;
			fprintf(stderr, "inflame record: pid %" PRIu32 ": ", r.hdr.pid);
			for (size_t k = 0; k < n.text.n; k++) {
				unsigned char ch = (unsigned char)n.text.s[k];

				fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, stderr);
			}
			fputc('\n', stderr);
		}
	}
	if (index > img->printed)
		img->printed = index;
	inflame_dump_reader_close(&r);
}

/* Whether the dump name was started at or after since_ns (CLOCK_REALTIME): 1 or 0, or -1 when
 * its header does not read. */
static int image_since(const char *name, uint64_t since_ns)
{
	struct inflame_dump_reader r;
	int yes;

	if (inflame_dump_reader_open(&r, name) < 0)
		return -1;
	yes = r.hdr.start_realtime >= since_ns;
	inflame_dump_reader_close(&r);
	return yes;
}

/* Did the program already write its notices to stderr (INFLAME_LOG=info or debug)? */
static int notices_on_stderr(void)
{
	const char *v = getenv("INFLAME_LOG");
	enum inflame_log_level level;
	char path[INFLAME_OUTPUT_MAX];

	return v && inflame_config_parse_log(v, &level, path, sizeof(path), NULL, 0) == 0 &&
	       level != INFLAME_LOG_QUIET && !path[0];
}

void inflame_record_list_dumps(const char *pattern, uint64_t since_ns)
{
	time_t since = (time_t)(since_ns / 1000000000ull);
	char g[INFLAME_OUTPUT_MAX * 2 + 8];
	glob_t gl;
	struct image_notes *seen = NULL;
	size_t nseen = 0;
	struct printed_texts pt = {NULL, 0, 0};
	int notices = !notices_on_stderr();

	pattern_glob(pattern, g, sizeof(g) - 4);
	strcat(g, "*"); /* .N suffixes */
	if (glob(g, 0, NULL, &gl) != 0) {
		fprintf(stderr, "inflame record: no dump file was written\n");
		return;
	}
	for (size_t i = 0; i < gl.gl_pathc; i++) {
		const char *path = gl.gl_pathv[i];
		struct stat st;
		char **images, *ours;
		int n, run = 0;

		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid() ||
		    st.st_mtime < since)
			continue;
		/* (a file the short processes shared: one dump per image in it) */
		if (inflame_inputs_expand(&path, 1, "inflame record: ", &images, &n) < 0)
			continue;
		if (n == 1 && !strcmp(images[0], path)) {
			/* (a file modified in the second the run started may be an earlier run's:
			 * the image's start tells; a file whose header does not read is listed) */
			if (image_since(path, since_ns) == 0) {
				inflame_inputs_release(images, n, &path, 1);
				continue;
			}
			fprintf(stderr, "inflame record: wrote %s (%lld bytes)\n", path,
				(long long)st.st_size);
			if (notices)
				print_notices(path, &seen, &nseen, &pt);
			inflame_inputs_release(images, n, &path, 1);
			continue;
		}
		/* (only the dumps of this run: a shared file may hold an earlier run's too) */
		ours = calloc((size_t)n, 1);
		for (int k = 0; k < n && ours; k++)
			run += ours[k] = (char)(image_since(images[k], since_ns) == 1);
		if (run)
			fprintf(stderr,
				"inflame record: wrote %d process dump%s to %s (%lld bytes)\n", run,
				run == 1 ? "" : "s", path, (long long)st.st_size);
		for (int k = 0; k < n && ours && notices; k++)
			if (ours[k])
				print_notices(images[k], &seen, &nseen, &pt);
		free(ours);
		inflame_inputs_release(images, n, &path, 1);
	}
	if (pt.repeats)
		fprintf(stderr,
			"inflame record: %" PRIu64 " more notice%s of other processes, the same as "
			"above, left out (inflame info FILE shows each file's)\n",
			pt.repeats, pt.repeats == 1 ? "" : "s");
	globfree(&gl);
	free(seen);
	for (size_t i = 0; i < pt.n; i++)
		free(pt.text[i]);
	free(pt.text);
}
