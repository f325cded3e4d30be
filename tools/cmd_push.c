/*
 * `inflame push --url URL --app NAME[{label=value,...}] DUMP...`: sends dumps to Grafana
 * Pyroscope's HTTP ingest API (push/ingest.h), one request per event. With --watch DIR it
 * profiles a service continuously: every dump file that appears in DIR is sent once, when
 * complete (its END chunk written: the writer closed it), then kept or, with --delete,
 * removed; the directory is scanned every --interval seconds until SIGINT or SIGTERM, or
 * once with --once. Files are remembered by name, inode and modification time, in memory.
 */
#include "commands.h"
#include "input/images.h"
#include "export/pprof_inputs.h"
#include "input/dumpmeta.h"
#include "input/inputopts.h"
#include "push/ingest.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CMD "inflame push: "

static void usage(FILE *f)
{
	fputs("usage: inflame push --url URL --app NAME[{label=value,...}] DUMP...\n"
	      "       inflame push --url URL --app NAME --watch DIR [--delete] [--once]\n"
	      "\n"
	      "Sends each dump to Grafana Pyroscope's HTTP ingest API (POST URL/ingest, pprof),\n"
	      "one request per event. http:// only: for https use a local TLS proxy or curl.\n"
	      "\n"
	      "  --url URL         the server, e.g. http://localhost:4040\n"
	      "  --app NAME        the application name, with labels: myapp{env=prod,host=a}\n"
	      "  --event E         send only this event (cpu, wall, alloc, live, peak)\n"
	      "  --tenant ID       the X-Scope-OrgID header of a multi-tenant server\n"
	      "  --timeout S       seconds to wait for the server (default 10)\n"
	      "  --watch DIR       send every complete dump that appears in DIR, once\n"
	      "  --delete          with --watch: remove each dump once the server has it\n"
	      "  --once            with --watch: scan once and exit\n"
	      "  --interval S      with --watch: seconds between scans (default 2)\n"
	      "  --no-inline, --debug-dir DIRS, --show-profiler  as for collapse\n",
	      f);
}

enum {
	OPT_FIRST_ = 256,
	OPT_URL,
	OPT_APP,
	OPT_TENANT,
	OPT_TIMEOUT,
	OPT_WATCH,
	OPT_DELETE,
	OPT_ONCE,
	OPT_INTERVAL,
	OPT_HELP,
};

static const struct option longopts[] = {
    INFLAME_INPUT_LONGOPTS,
    {"url", required_argument, NULL, OPT_URL},
    {"app", required_argument, NULL, OPT_APP},
    {"tenant", required_argument, NULL, OPT_TENANT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"watch", required_argument, NULL, OPT_WATCH},
    {"delete", no_argument, NULL, OPT_DELETE},
    {"once", no_argument, NULL, OPT_ONCE},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

struct seen {
	char *name;
	ino_t ino;
	struct timespec mtime;
};

struct watch {
	struct seen *s;
	size_t n, cap;
};

static int seen_has(const struct watch *w, const char *name, const struct stat *st)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->s[i].ino == st->st_ino && w->s[i].mtime.tv_sec == st->st_mtim.tv_sec &&
		    w->s[i].mtime.tv_nsec == st->st_mtim.tv_nsec && !strcmp(w->s[i].name, name))
			return 1;
	return 0;
}

static int seen_add(struct watch *w, const char *name, const struct stat *st)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct seen *ns = realloc(w->s, cap * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		w->s = ns;
		w->cap = cap;
	}
	w->s[w->n].name = strdup(name);
	if (!w->s[w->n].name)
		return -ENOMEM;
	w->s[w->n].ino = st->st_ino;
	w->s[w->n].mtime = st->st_mtim;
	w->n++;
	return 0;
}

/* The dumps of a shared file (input/images.h), images[0..n): each complete one not sent yet is
 * sent, and remembered by its name (FILE@OFF), whatever the file's later appends change of it.
 * The file is never deleted: processes may still append to it. Returns the failures. */
static int scan_images(const struct inflame_ingest *in, struct watch *w, const char *dirname,
		       const struct stat *st, char **images, int n)
{
	struct stat key = *st;
	int failed = 0;

	key.st_mtim.tv_sec = key.st_mtim.tv_nsec = 0;
	for (int i = 0; i < n && !stop; i++) {
		const char *at = strrchr(images[i], '@');
		char name[4200], err[512];
		struct inflame_dumpmeta m;
		int rc;

		snprintf(name, sizeof(name), "%s%s", dirname, at ? at : "");
		if (seen_has(w, name, &key) ||
		    inflame_dumpmeta_read(images[i], &m, err, sizeof(err)) <= 0 || !m.complete)
			continue;
		rc = inflame_ingest_dump(in, images[i]);
		if (rc < 0 && rc != -ENODATA) {
			failed++;
			continue;
		}
		if (seen_add(w, name, &key) < 0) {
			fprintf(stderr, CMD "out of memory\n");
			return failed + 1;
		}
	}
	return failed;
}

/* One scan of dir: sends the complete dumps not sent yet. Returns the number of failures. */
static int scan(const struct inflame_ingest *in, const char *dir, struct watch *w, int del)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int failed = 0;

	if (!d) {
		fprintf(stderr, CMD "cannot open %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d)) && !stop) {
		char path[4096], err[512];
		struct inflame_dumpmeta m;
		struct stat st;
		int rc;

		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
		    stat(path, &st) < 0 || !S_ISREG(st.st_mode) || seen_has(w, e->d_name, &st))
			continue;
		{
			const char *p = path;
			char **images;
			int n, shared;

			if (inflame_inputs_expand(&p, 1, CMD, &images, &n) < 0) {
				failed++;
				continue;
			}
			shared = n != 1 || strcmp(images[0], path);

			if (shared)
				failed += scan_images(in, w, e->d_name, &st, images, n);
			inflame_inputs_release(images, n, &p, 1);
			if (shared)
				continue;
		}
		rc = inflame_dumpmeta_read(path, &m, err, sizeof(err));
		if (rc <= 0 || !m.complete)
			continue; /* not a dump, or still being written */
		rc = inflame_ingest_dump(in, path);
		if (rc < 0 && rc != -ENODATA) {
			failed++; /* tried again at the next scan */
			continue;
		}
		if (del && unlink(path) < 0)
			fprintf(stderr, CMD "cannot remove %s: %s\n", path, strerror(errno));
		if (!del && seen_add(w, e->d_name, &st) < 0) {
			fprintf(stderr, CMD "out of memory\n");
			failed++;
			break;
		}
	}
	closedir(d);
	return failed;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 86400)
		return -EINVAL;
	*out = v;
	return 0;
}

int inflame_cmd_push(int argc, char **argv)
{
	struct inflame_ingest in = {.timeout_ms = 10000, .cmd = CMD};
	const char *url = NULL, *watch = NULL;
	int c, del = 0, once = 0, rc = 1;
	double interval = 2, secs;
	char err[512], oname[64];
	struct watch w = {0};

	in.lo.view = INFLAME_VIEW_DEFAULT_;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_URL:
			url = optarg;
			break;
		case OPT_APP:
			in.app = optarg;
			break;
		case OPT_TENANT:
			in.tenant = optarg;
			if (strpbrk(optarg, "\r\n") || !*optarg) {
				inflame_cli_bad_value(CMD, "--tenant", optarg, "a tenant id");
				return 2;
			}
			break;
		case OPT_TIMEOUT:
		case OPT_INTERVAL:
			if (parse_seconds(optarg, &secs) < 0) {
				inflame_cli_bad_value(
				    CMD, inflame_cli_opt_name(argv, oname, sizeof(oname)), optarg,
				    "a positive number of seconds");
				return 2;
			}
			if (c == OPT_TIMEOUT)
				in.timeout_ms = (int)(secs * 1000);
			else
				interval = secs;
			break;
		case OPT_WATCH:
			watch = optarg;
			break;
		case OPT_DELETE:
			del = 1;
			break;
		case OPT_ONCE:
			once = 1;
			break;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (inflame_inputopts_other(c, optarg, &in.lo, CMD, argv) < 0)
				return 2;
			break;
		}
	}
	if (!url || !in.app) {
		fprintf(stderr, CMD "needs --url and --app (usage: inflame push --url URL --app "
				    "NAME DUMP...)\n");
		return 2;
	}
	if (inflame_url_parse(url, &in.url, err, sizeof(err)) < 0) {
		fprintf(stderr, CMD "--url %s\n", err);
		return 2;
	}
	if (!inflame_ingest_app_ok(in.app)) {
		inflame_cli_bad_value(CMD, "--app", in.app,
				      "a name with optional labels, as in "
				      "myapp{env=prod,region=eu}");
		return 2;
	}
	if (in.lo.view != INFLAME_VIEW_DEFAULT_) {
		in.groups = inflame_pprof_group_of(in.lo.view);
		in.lo.view = INFLAME_VIEW_DEFAULT_;
	}
	if (!watch && optind >= argc) {
		fprintf(stderr, CMD "no dump given (usage: inflame push --url URL --app NAME "
				    "DUMP...)\n");
		return 2;
	}
	if (watch && optind < argc) {
		fprintf(stderr, CMD "--watch takes no dump arguments\n");
		return 2;
	}
	if (!watch && (del || once)) {
		fprintf(stderr, CMD "--delete and --once go with --watch\n");
		return 2;
	}
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (!watch) {
		if (inflame_inputs_expand_argv(&argc, &argv, optind, CMD) < 0)
			return 1;
		rc = 0;
		for (int i = optind; i < argc; i++)
			if (inflame_ingest_dump(&in, argv[i]) < 0)
				rc = 1;
		return rc;
	}
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	rc = 0;
	while (!stop) {
		struct timespec ts = {(time_t)interval,
				      (long)((interval - (double)(time_t)interval) * 1e9)};
		int failed = scan(&in, watch, &w, del);

		if (once) {
			rc = failed ? 1 : 0;
			break;
		}
		nanosleep(&ts, NULL); /* a signal ends it early */
	}
	for (size_t i = 0; i < w.n; i++)
		free(w.s[i].name);
	free(w.s);
	return rc;
}
