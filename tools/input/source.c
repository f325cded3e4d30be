/*
 * Loading any input we understand into a stack set. The first bytes decide the format: the
 * dump magic means an inflame dump (handed to inflame_dumpfile_load); otherwise the first
 * lines of the text are looked at (inflame__text_sniff): perf script output when most of its
 * paragraphs are samples (a header, then frames with addresses), folded stacks when most of
 * its lines are, and anything else (prose, source code, a configuration file) is refused with
 * the first line that fits neither. An input with nothing but blanks is refused as empty.
 * Callers may force a format through o->kind; the empty check still applies.
 *
 * Text is read in pieces of a few MiB that end at a line boundary and parsed as it arrives, so
 * memory follows the number of unique stacks, not the size of the input (a gigabyte of perf
 * script text is never held at once). Standard input ("-") works for every format; a dump on
 * standard input is first copied to an unlinked temporary file because the dump reader maps
 * files.
 */
#include "input/source.h"

#include "dump_images.h"
#include "dump_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIECE (4u << 20)

static const char *const view_names[] = {
    [INFLAME_VIEW_CPU] = "cpu",	    [INFLAME_VIEW_WALL] = "wall",
    [INFLAME_VIEW_ALLOC] = "alloc", [INFLAME_VIEW_ALLOC_COUNT] = "alloc-count",
    [INFLAME_VIEW_LIVE] = "live",   [INFLAME_VIEW_LIVE_COUNT] = "live-count",
    [INFLAME_VIEW_PEAK] = "peak",   [INFLAME_VIEW_DEFAULT_] = "default",
};

int inflame_view_parse(const char *s, enum inflame_view *out)
{
	for (size_t i = 0; i < sizeof(view_names) / sizeof(view_names[0]); i++) {
		if (!strcmp(s, view_names[i])) {
			*out = (enum inflame_view)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *inflame_view_name(enum inflame_view v)
{
	if ((unsigned)v < sizeof(view_names) / sizeof(view_names[0]))
		return view_names[v];
	return "?";
}

/* Reads until buf holds want bytes or the input ends; returns the count or -errno. */
static ssize_t read_full(int fd, char *buf, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t r = read(fd, buf + got, want - got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Copies the already-read prefix and the rest of fd into an unlinked temporary file, and
 * loads that as a dump. */
static int load_dump_from_stdin(int fd, const char *head, size_t headlen,
				const struct inflame_load_opts *o, struct inflame_stackset *ss,
				struct inflame_load_stats *st, char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char tmpl[4096], path[64], buf[65536];
	int tfd, rc = 0;
	ssize_t r;

	snprintf(tmpl, sizeof(tmpl), "%s/inflame-stdin-XXXXXX", dir && *dir ? dir : "/tmp");
	tfd = mkstemp(tmpl);
	if (tfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create a temporary file for standard input: %s",
			 strerror(errno));
		return rc;
	}
	unlink(tmpl);
	if (write(tfd, head, headlen) != (ssize_t)headlen)
		rc = -EIO;
	while (rc == 0 && (r = read_full(fd, buf, sizeof(buf))) > 0)
		if (write(tfd, buf, (size_t)r) != r)
			rc = -EIO;
	if (rc < 0) {
		snprintf(err, errlen, "cannot copy standard input to a temporary file");
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", tfd);
		rc = inflame_dumpfile_load(path, o, ss, st, err, errlen);
	}
	close(tfd);
	return rc;
}

/* Decides whether the start of a text input is perf script or folded stacks, or refuses it. */
static int detect_text(const char *buf, size_t len, const char *name, enum inflame_input_kind *kind,
		       char *err, size_t errlen)
{
	struct inflame__text_sniff sn;

	inflame__text_sniff(buf, len, &sn);
	if ((sn.samples > 0 && sn.samples * 2 > sn.blocks) || (sn.perf_header && !sn.folded)) {
		*kind = INFLAME_INPUT_PERF_SCRIPT;
		return 0;
	}
	if (sn.folded > 0 && sn.folded * 2 >= sn.lines &&
	    (sn.deep > 0 || (sn.folded == sn.lines && !sn.first_spaced))) {
		*kind = INFLAME_INPUT_FOLDED;
		return 0;
	}
	if (sn.lines == 0)
		snprintf(err, errlen, "%s is not a profile: it holds only comment lines", name);
	else if (sn.flat * 2 > sn.lines)
		snprintf(err, errlen,
			 "%s is perf script output without call stacks: record with "
			 "\"perf record -g\"",
			 name);
	else if (sn.folded == sn.lines)
		snprintf(err, errlen,
			 "%s is not a profile: line %u reads as text, not folded stacks (one frame "
			 "with blanks in it, and no line has two frames; --format folded reads it)",
			 name, sn.first_spaced);
	else if (sn.folded > 0)
		snprintf(err, errlen,
			 "%s is not a profile: %u of its first %u lines are not folded stacks "
			 "(\"frame;frame COUNT\") and it holds no perf script sample",
			 name, sn.lines - sn.folded, sn.lines);
	else
		snprintf(err, errlen,
			 "%s is not a profile: line %u is neither folded stacks (\"frame;frame "
			 "COUNT\") nor a perf script sample",
			 name, sn.first_bad);
	return -EINVAL;
}

/* Is buf nothing but blanks and line ends? */
static int all_blank(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r')
			return 0;
	return 1;
}

/* Puts the input's name in front of a reason that does not start with it (the dump reader's
 * reasons do not name the file). */
static void name_in(char *err, size_t errlen, const char *name)
{
	char why[256];

	if (!strncmp(err, name, strlen(name)))
		return;
	snprintf(why, sizeof(why), "%s", err);
	snprintf(err, errlen, "%s: %s", name, why);
}

int inflame_source_load(const char *path, const struct inflame_load_opts *o,
			struct inflame_stackset *ss, struct inflame_load_stats *st, char *err,
			size_t errlen)
{
	int is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "standard input" : path;
	int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	enum inflame_input_kind kind = o->kind;
	struct inflame__perfscript_state ps;
	size_t cap = PIECE, len = 0;
	char *buf = NULL;
	ssize_t r;
	int rc = 0, eof = 0;

	inflame__perfscript_init(&ps);
	if (fd < 0 && errno == ENOENT &&
	    (kind == INFLAME_INPUT_AUTO || kind == INFLAME_INPUT_DUMP) &&
	    inflame_dump_image_named(path)) {
		/* An image of a shared file (input/images.h): a dump, read where it lies rather
		 * than a piece of the file from there to be looked at first. */
		rc = inflame_dumpfile_load(path, o, ss, st, err, errlen);
		if (rc < 0)
			name_in(err, errlen, name);
		return rc;
	}
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return rc;
	}
	buf = malloc(cap);
	if (!buf) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = read_full(fd, buf, cap);
	if (r < 0) {
		rc = (int)r;
		snprintf(err, errlen, "cannot read %s: %s", name, strerror((int)-r));
		goto out;
	}
	len = (size_t)r;
	eof = len < cap;
	if (kind == INFLAME_INPUT_AUTO || kind == INFLAME_INPUT_DUMP) {
		if (inflame_dump_is_dump(buf, len)) {
			if (is_stdin) {
				rc = load_dump_from_stdin(fd, buf, len, o, ss, st, err, errlen);
			} else {
				close(fd);
				fd = -1;
				rc = inflame_dumpfile_load(path, o, ss, st, err, errlen);
			}
			if (rc < 0)
				name_in(err, errlen, name);
			goto out;
		}
		if (kind == INFLAME_INPUT_DUMP) {
			rc = -EINVAL;
			snprintf(err, errlen, "%s is not an inflame dump", name);
			goto out;
		}
	}
	if (memchr(buf, 0, len < 65536 ? len : 65536)) {
		rc = -EINVAL;
		snprintf(err, errlen,
			 "%s is not a profile (binary data; expected an inflame dump, folded "
			 "stacks or perf script text)",
			 name);
		goto out;
	}
	if (eof && all_blank(buf, len)) {
		rc = -ENODATA;
		snprintf(err, errlen, "%s is empty", name);
		goto out;
	}
	if (kind == INFLAME_INPUT_AUTO) {
		rc = detect_text(buf, len, name, &kind, err, errlen);
		if (rc < 0)
			goto out;
	}
	if (inflame_load_has_range(o)) {
		rc = -EINVAL;
		snprintf(err, errlen,
			 "%s has no sample times (%s): --from and --to need inflame dumps", name,
			 kind == INFLAME_INPUT_FOLDED ? "folded stacks" : "perf script text");
		goto out;
	}
	for (;;) {
		size_t take = len;

		if (!eof) {
			/* Parse up to the last complete line; keep the rest for the next piece. */
			const char *nl = memrchr(buf, '\n', len);

			take = nl ? (size_t)(nl - buf) + 1 : 0;
		}
		if (take > 0) {
			/* Text has no labels: --label keeps none of it. */
			if (o->nlabels)
				rc = 0;
			else if (kind == INFLAME_INPUT_FOLDED)
				rc = inflame_folded_load(buf, take, o, ss, st, err, errlen);
			else
				rc = inflame__perfscript_feed(&ps, buf, take, o, ss, st, err,
							      errlen);
			if (rc < 0)
				goto out;
			memmove(buf, buf + take, len - take);
			len -= take;
		}
		if (eof)
			break;
		if (len == cap) {
			/* One line longer than the buffer: make room for it. */
			char *q = realloc(buf, cap * 2);

			if (!q) {
				rc = -ENOMEM;
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			buf = q;
			cap *= 2;
		}
		r = read_full(fd, buf + len, cap - len);
		if (r < 0) {
			rc = (int)r;
			snprintf(err, errlen, "cannot read %s: %s", name, strerror((int)-r));
			goto out;
		}
		eof = (size_t)r < cap - len;
		len += (size_t)r;
	}
	if (kind == INFLAME_INPUT_PERF_SCRIPT)
		rc = inflame__perfscript_finish(&ps, ss, st, err, errlen);
	st->view_used = o->view;
out:
	inflame__perfscript_free(&ps);
	free(buf);
	if (fd > 0)
		close(fd);
	return rc;
}
