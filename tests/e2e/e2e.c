/*
 * End-to-end test helpers. Programs run in a child with stdout and stderr sent to temporary
 * files; the parent polls for the exit with a deadline and kills the child (SIGKILL) when it
 * passes, so a hang fails the test instead of stalling the suite.
 */
#include "e2e.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *slurp_fd(int fd)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ssize_t k;

	lseek(fd, 0, SEEK_SET);
	while (buf && (k = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)k;
		if (n + 1 == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	if (buf)
		buf[n] = 0;
	return buf;
}

char *e2e_read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *text;

	if (fd < 0)
		return NULL;
	text = slurp_fd(fd);
	close(fd);
	return text;
}

int e2e_run(char *const argv[], char *const env[], const char *dir, int timeout_s,
	    struct e2e_result *r)
{
	char outp[] = "/tmp/inflame-e2e-out-XXXXXX", errp[] = "/tmp/inflame-e2e-err-XXXXXX";
	int out = mkstemp(outp), err = mkstemp(errp);
	struct timespec start, now;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (out < 0 || err < 0)
		return -1;
	unlink(outp);
	unlink(errp);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		if (dir && chdir(dir) < 0)
			_exit(126);
		for (int i = 0; env && env[i]; i++)
			putenv(env[i]);
		execvp(argv[0], argv);
		_exit(127);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t w = waitpid(pid, &r->status, WNOHANG);

		if (w == pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= timeout_s) {
			kill(pid, SIGKILL);
			waitpid(pid, &r->status, 0);
			fprintf(stderr, "e2e: %s timed out after %d s\n", argv[0], timeout_s);
			break;
		}
		usleep(10000);
	}
	r->out = slurp_fd(out);
	r->err = slurp_fd(err);
	close(out);
	close(err);
	return 0;
}

int e2e_run_preloaded(const char *dir, char *const prog[], char *const extra_env[], int timeout_s,
		      struct e2e_result *r)
{
	char preload[4200], output[4200];
	char *env[16];
	int n = 0;

	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s",
		 e2e_build("preload/.libs/libinflame.so"));
	snprintf(output, sizeof(output), "INFLAME_OUTPUT=%s/prof.%%p.ifl", dir);
	env[n++] = preload;
	env[n++] = output;
	for (int i = 0; extra_env && extra_env[i] && n < 15; i++)
		env[n++] = extra_env[i];
	env[n] = NULL;
	return e2e_run(prog, env, dir, timeout_s, r);
}

char *e2e_info(const char *file)
{
	char *argv[] = {(char *)e2e_build("inflame"), "info", (char *)file, NULL};
	struct e2e_result r;
	char *out = NULL;

	if (e2e_run(argv, NULL, NULL, 60, &r) < 0)
		return NULL;
	if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) {
		out = r.out;
		r.out = NULL;
	} else {
		fprintf(stderr, "e2e: inflame info %s failed: %s\n", file, r.err ? r.err : "");
	}
	e2e_result_free(&r);
	return out;
}

void e2e_result_free(struct e2e_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

char *e2e_tmpdir(void)
{
	char tmpl[] = "/tmp/inflame-e2e-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

void e2e_rmdir(char *dir)
{
	DIR *d;
	struct dirent *e;

	if (!dir)
		return;
	d = opendir(dir);
	while (d && (e = readdir(d)) != NULL) {
		char p[4096];

		if (e->d_name[0] == '.' &&
		    (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	free(dir);
}

const char *e2e_build(const char *rel)
{
	static char bufs[8][4096];
	static int next;
	const char *b = getenv("INFLAME_BUILDDIR");
	char *out = bufs[next++ % 8];

	snprintf(out, 4096, "%s/%s", b ? b : ".", rel);
	return out;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t e2e_list(const char *dir, const char *prefix, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	while (d && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
		sprintf(names[n], "%s/%s", dir, e->d_name);
		n++;
	}
	if (d)
		closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	return n;
}

void e2e_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int e2e_collapse(const char *const extra[], char **files, size_t nfiles, struct e2e_folded *f)
{
	char *argv[64];
	struct e2e_result r;
	size_t a = 0;
	char *line, *save = NULL;

	memset(f, 0, sizeof(*f));
	argv[a++] = (char *)e2e_build("inflame");
	argv[a++] = "collapse";
	for (size_t i = 0; extra && extra[i] && a < 40; i++)
		argv[a++] = (char *)extra[i];
	for (size_t i = 0; i < nfiles && a < 63; i++)
		argv[a++] = files[i];
	argv[a] = NULL;
	if (e2e_run(argv, NULL, NULL, 120, &r) < 0)
		return -1;
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
		fprintf(stderr, "e2e: inflame collapse failed: %s\n", r.err ? r.err : "");
		e2e_result_free(&r);
		return -1;
	}
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(line, ' ');

		if (!sp)
			continue;
		*sp = 0;
		f->stacks = realloc(f->stacks, (f->n + 1) * sizeof(*f->stacks));
		f->counts = realloc(f->counts, (f->n + 1) * sizeof(*f->counts));
		f->stacks[f->n] = strdup(line);
		f->counts[f->n] = strtoull(sp + 1, NULL, 10);
		f->total += f->counts[f->n];
		f->n++;
	}
	e2e_result_free(&r);
	return 0;
}

void e2e_folded_free(struct e2e_folded *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->stacks[i]);
	free(f->stacks);
	free(f->counts);
	memset(f, 0, sizeof(*f));
}

uint64_t e2e_leaf_sum(const struct e2e_folded *f, const char *leaf)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < f->n; i++) {
		const char *l = strrchr(f->stacks[i], ';');

		l = l ? l + 1 : f->stacks[i];
		if (!strcmp(l, leaf))
			sum += f->counts[i];
	}
	return sum;
}

uint64_t e2e_contains_sum(const struct e2e_folded *f, const char *seq)
{
	uint64_t sum = 0;
	size_t n = strlen(seq);

	for (size_t i = 0; i < f->n; i++) {
		const char *s = f->stacks[i];

		for (const char *p = strstr(s, seq); p; p = strstr(p + 1, seq)) {
			if ((p == s || p[-1] == ';') && (p[n] == 0 || p[n] == ';')) {
				sum += f->counts[i];
				break;
			}
		}
	}
	return sum;
}

uint64_t e2e_root_sum(const struct e2e_folded *f, const char *prefix)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < f->n; i++)
		if (!strncmp(f->stacks[i], prefix, strlen(prefix)))
			sum += f->counts[i];
	return sum;
}

uint64_t e2e_kernel_sum(const struct e2e_folded *f)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->stacks[i], E2E_KERNEL_FRAME))
			sum += f->counts[i];
	return sum;
}

uint64_t e2e_truth(const char *text, const char *name)
{
	char key[128];
	const char *p;

	snprintf(key, sizeof(key), "truth %s ", name);
	p = text ? strstr(text, key) : NULL;
	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}
