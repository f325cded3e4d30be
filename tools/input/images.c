/*
 * The expansion of images.h. Each input that is a regular file starting with the dump magic is
 * mapped and split into spans (dump_images.h); one that is a single image, as every file of
 * its own is, whole or torn, stays as named, so that nothing changes for it.
 */
#include "input/images.h"

#include "dump_images.h"
#include "dump_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct list {
	char **v;
	int n, cap;
};

static int push(struct list *l, char *s)
{
	if (l->n + 1 >= l->cap) {
		int cap = l->cap ? 2 * l->cap : 16;
		char **v = realloc(l->v, (size_t)cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
	return 0;
}

/* Whether every image of the spans v[0..n) is dropped, and there is one. */
static int all_dropped(const struct inflame_dump_span *v, long n)
{
	long images = 0;

	for (long i = 0; i < n; i++) {
		if (v[i].image && !v[i].dropped)
			return 0;
		images += v[i].image;
	}
	return images > 0;
}

/* Pushes the images of the shared file path (mapped at data), or path itself when it is no
 * such file. */
static int push_spans(struct list *l, const char *path, const uint8_t *data, size_t size,
		      const char *cmd)
{
	struct inflame_dump_span *v = NULL;
	long n = inflame_dump_spans(data, size, &v);
	int images = 0, rc = 0;

	if (n < 0)
		return (int)n;
	if (n == 1 && v[0].image && !v[0].dropped) {
		free(v);
		return push(l, (char *)path);
	}
	for (long i = 0; i < n && rc == 0; i++) {
		char *name;

		if (!v[i].image) {
			fprintf(stderr,
				"%swarning: %s: %zu bytes at offset %zu are no dump image "
				"(garbage, or a write cut short); skipped\n",
				cmd, path, v[i].len, v[i].off);
			continue;
		}
		if (v[i].dropped)
			continue;
		if (asprintf(&name, "%s@%zu", path, v[i].off) < 0) {
			rc = -ENOMEM;
			break;
		}
		rc = push(l, name);
		images++;
	}
	/* Nothing readable: the loader says why, as for any damaged file. (A file of placeholders
	 * and stand-ins only, whose processes all went on in files of their own, stands for
	 * nothing.) */
	if (rc == 0 && !images && !all_dropped(v, n))
		rc = push(l, (char *)path);
	free(v);
	return rc;
}

/* Pushes the expansion of one input. */
static int expand_one(struct list *l, const char *path, const char *cmd)
{
	struct stat st;
	uint8_t magic[INFLAME_DUMP_MAGIC_LEN];
	void *map;
	int fd, rc;

	if (!strcmp(path, "-"))
		return push(l, (char *)path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return push(l, (char *)path); /* (the loader reports it) */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < 2 * INFLAME_DUMP_HEADER_SIZE ||
	    pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
	    !inflame_dump_is_dump(magic, sizeof(magic))) {
		close(fd);
		return push(l, (char *)path);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return push(l, (char *)path);
	rc = push_spans(l, path, map, (size_t)st.st_size, cmd);
	munmap(map, (size_t)st.st_size);
	return rc;
}

int inflame_inputs_expand(const char *const *in, int n, const char *cmd, char ***out, int *nout)
{
	struct list l = {0};
	int rc = push(&l, NULL) == 0 ? 0 : -ENOMEM;

	l.n = 0;
	for (int i = 0; i < n && rc == 0; i++)
		rc = expand_one(&l, in[i], cmd);
	if (rc < 0) {
		fprintf(stderr, "%sout of memory\n", cmd);
		free(l.v);
		return rc;
	}
	*out = l.v;
	*nout = l.n;
	return 0;
}

void inflame_inputs_release(char **v, int n, const char *const *in, int nin)
{
	for (int i = 0; i < n; i++) {
		int borrowed = 0;

		for (int k = 0; k < nin && !borrowed; k++)
			borrowed = v[i] == in[k];
		if (!borrowed)
			free(v[i]);
	}
	free(v);
}

int inflame_inputs_expand_argv(int *argc, char ***argv, int first, const char *cmd)
{
	struct list l = {0};
	int rc = 0;

	for (int i = 0; i < *argc && rc == 0; i++)
		rc = i < first ? push(&l, (*argv)[i]) : expand_one(&l, (*argv)[i], cmd);
	if (rc == 0 && !l.v)
		rc = push(&l, NULL);
	if (rc < 0) {
		fprintf(stderr, "%sout of memory\n", cmd);
		free(l.v);
		return rc;
	}
	if (*argc > first && l.n == first) {
		fprintf(
		    stderr,
		    "%sno dump in the inputs: the shared files given hold only the placeholders "
		    "of processes that went on in files of their own\n",
		    cmd);
		free(l.v);
		return -ENODATA;
	}
	if (l.n == 0)
		l.v[0] = NULL;
	*argv = l.v;
	*argc = l.n;
	return 0;
}
