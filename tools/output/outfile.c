/*
 * Atomic output files (see outfile.h). The temporary file is named after the target with a
 * random suffix (mkstemp) in the same directory, so the final rename never crosses a file
 * system. Standard output is used as is: it cannot be made atomic. Nor can a target that is not
 * a regular file (a device such as /dev/null, a FIFO, a socket): it is opened and written in
 * place, since a rename would replace it with a regular file. A symbolic link to a regular file
 * is followed: the temporary file goes next to the file it names, which the rename replaces,
 * and the link stays. While a temporary file
 * exists, a signal that ends the process (SIGINT, SIGTERM, SIGHUP, SIGQUIT) removes it first,
 * then ends the process as it would have. SIGXFSZ is ignored, so that a file that outgrows its
 * size limit (ulimit -f) is a write error (EFBIG) like any other.
 */
#include "output/outfile.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary file to remove if a signal ends the process (one output at a time). */
static const char *volatile pending_tmp;

static void on_fatal_signal(int sig)
{
	const char *p = pending_tmp;

	if (p)
		unlink(p);
	/* SA_RESETHAND restored the default action: the signal ends the process on return. */
	raise(sig);
}

static void guard_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	static int done;
	struct sigaction sa, old;

	if (done)
		return;
	done = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* A signal the caller ignores (nohup) stays ignored. */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			sigaction(sigs[i], &sa, NULL);
	}
	signal(SIGXFSZ, SIG_IGN);
}

/* Opens a target that is not a regular file for writing in place (of->tmp stays NULL). */
static int open_in_place(struct inflame_outfile *of, const char *path, char *err, size_t errlen)
{
	int rc;

	of->path = strdup(path);
	if (!of->path) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	of->f = fopen(path, "w");
	if (!of->f) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		inflame_outfile_abort(of);
		return rc;
	}
	return 0;
}

int inflame_outfile_open(struct inflame_outfile *of, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *real = NULL;
	size_t n;
	int fd, rc;

	memset(of, 0, sizeof(*of));
	if (!path || !strcmp(path, "-")) {
		of->f = stdout;
		return 0;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return open_in_place(of, path, err, errlen);
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		real = realpath(path, NULL); /* NULL for a dangling link: replaced as before */
	if (real)
		path = real;
	n = strlen(path);
	of->path = real ? real : strdup(path);
	of->tmp = malloc(n + 16);
	if (!of->path || !of->tmp) {
		inflame_outfile_abort(of);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	{
		/* The target's name, cut so that the suffix fits in a file name (NAME_MAX). */
		const char *slash = strrchr(path, '/');
		size_t dir = slash ? (size_t)(slash - path) + 1 : 0, base = n - dir;
		size_t keep = base > NAME_MAX - 11 ? NAME_MAX - 11 : base;

		snprintf(of->tmp, n + 16, "%.*s.tmp-XXXXXX", (int)(dir + keep), path);
	}
	fd = mkstemp(of->tmp);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		free(of->tmp);
		of->tmp = NULL;
		inflame_outfile_abort(of);
		return rc;
	}
	guard_signals();
	pending_tmp = of->tmp;
	/* mkstemp makes the file 0600; give it the usual mode for new files. */
	{
		mode_t mask = umask(0);

		umask(mask);
		(void)fchmod(fd, 0666 & ~mask);
	}
	of->f = fdopen(fd, "w");
	if (!of->f) {
		rc = -errno;
		close(fd);
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-rc));
		inflame_outfile_abort(of);
		return rc;
	}
	return 0;
}

int inflame_outfile_commit(struct inflame_outfile *of, char *err, size_t errlen)
{
	int rc = 0;

	if (!of->f)
		return 0;
	if (fflush(of->f) != 0 || ferror(of->f)) {
		rc = errno ? -errno : -EIO;
		snprintf(err, errlen, "cannot write %s: %s",
			 of->path ? of->path : "standard output", strerror(-rc));
	}
	if (!of->path) {
		of->f = NULL;
		return rc;
	}
	if (!of->tmp) { /* written in place */
		if (fclose(of->f) != 0 && rc == 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot write %s: %s", of->path, strerror(errno));
		}
		of->f = NULL;
		free(of->path);
		of->path = NULL;
		return rc;
	}
	if (fclose(of->f) != 0 && rc == 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", of->path, strerror(errno));
	}
	of->f = NULL;
	if (rc == 0 && rename(of->tmp, of->path) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot rename to %s: %s", of->path, strerror(errno));
	}
	if (rc < 0)
		unlink(of->tmp);
	pending_tmp = NULL;
	free(of->tmp);
	free(of->path);
	of->tmp = of->path = NULL;
	return rc;
}

void inflame_outfile_abort(struct inflame_outfile *of)
{
	if (of->f && of->path)
		fclose(of->f);
	if (of->tmp)
		unlink(of->tmp);
	if (pending_tmp == of->tmp)
		pending_tmp = NULL;
	free(of->tmp);
	free(of->path);
	memset(of, 0, sizeof(*of));
}
