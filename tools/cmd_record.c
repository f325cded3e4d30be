/*
 * `inflame record`: the launcher. It checks its flags with the same parsers the preload uses,
 * refuses targets LD_PRELOAD cannot reach (static or setuid executables) with a clear message,
 * finds libinflame.so next to itself (build tree) or where it was installed, prepends it to
 * LD_PRELOAD, runs the command and waits for it, passing on the signals sent to the launcher
 * (record/child.h). The program's stdout is left alone; the launcher speaks on stderr only, and
 * exits with the program's status (re-raising the signal that killed it). Afterwards it lists the
 * dump files the run wrote: the files matching the output pattern (with %p, %t, %n as wildcards)
 * that were created during the run, and prints the profiler's notices they hold (which the profiled
 * programs kept off their own stderr), each once per process image: every file of an image repeats
 * the image's notices.
 *
 * Everything that would make the run useless is checked before the command starts: option
 * values, a dump directory that does not exist or cannot be written, and a hardware perf event
 * on a machine without a PMU (which falls back to the task clock, with one line saying so).
 * Options end at the command's name: what follows it belongs to the command.
 */
#include "commands.h"
#include "dump_read.h"
#include "input/inputopts.h"
#include "record/child.h"
#include "record/dumps.h"
#include "record/target.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ERR(...) fprintf(stderr, "inflame record: " __VA_ARGS__)

static int set_env_checked(const char *name, const char *value);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: inflame record [options] [--] COMMAND [ARGS...]\n"
		"  -e, --events LIST     cpu, wall, alloc (comma list; default cpu)\n"
		"  -F, --frequency HZ    samples per second per thread (default 999)\n"
		"  -o, --output PATTERN  dump file pattern: %%p pid, %%t time, %%n sequence\n"
		"                        (default inflame.%%p.ifl)\n"
		"      --unwind auto|fp|dwarf  stack unwinder (default auto: fp in code built\n"
		"                        with frame pointers, dwarf elsewhere)\n"
		"      --cpu-timer auto|perf|thread|itimer  CPU clock (default auto: perf,\n"
		"                        the thread's user CPU time; a thread it costs too\n"
		"                        much moves to a POSIX timer; perf: never moves)\n"
		"      --perf-event EV  what the perf clock counts: task-clock (default),\n"
		"                        cpu-clock, cycles, instructions, ref-cycles\n"
		"      --signal SIG      signal that triggers a dump (default USR2, or none)\n"
		"      --interval S      write a new dump file every S seconds (default 0: off)\n"
		"      --max-depth N     deepest stack recorded (default 128)\n"
		"      --alloc-rate B    mean bytes between allocation samples (1 = all)\n"
		"      --no-children     do not profile programs the command executes\n"
		"  -q, --quiet           print nothing after the run (neither the dump files\n"
		"                        written nor inflame's notices)\n"
		"Options end at COMMAND; \"--\" before it is optional.\n");
}

/* Says that the value of the option just parsed is wrong, with the library's reason: its
 * messages name the environment variable, which becomes the option as typed. */
static void bad_value(char **argv, const char *var, const char *err)
{
	char opt[64];
	size_t n = strlen(var);

	inflame_cli_opt_name(argv, opt, sizeof(opt));
	if (!strncmp(err, var, n) && err[n] == ':')
		ERR("%s%s\n", opt, err + n);
	else
		ERR("%s: %s\n", opt, err);
}

/* Parses a number option; on error says what it expects. */
static int uint_opt(char **argv, const char *arg, uint64_t lo, uint64_t hi)
{
	char opt[64], err[128], expects[64];
	uint64_t v;

	if (inflame_config_parse_uint("", arg, lo, hi, &v, err, sizeof(err)) == 0)
		return 0;
	snprintf(expects, sizeof(expects), "a number from %llu to %llu", (unsigned long long)lo,
		 (unsigned long long)hi);
	inflame_cli_bad_value("inflame record: ", inflame_cli_opt_name(argv, opt, sizeof(opt)), arg,
			      expects);
	return -1;
}

/* Can dumps be written where the pattern says? Checks its directory, when the directory
 * part has no conversion. Returns 0, or -errno with one line printed. */
static int check_output_dir(const char *pattern)
{
	const char *slash = strrchr(pattern, '/');
	char dir[INFLAME_OUTPUT_MAX];
	struct stat st;
	int e = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == pattern)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - pattern), pattern);
	if (strchr(dir, '%'))
		return 0;
	if (stat(dir, &st) < 0)
		e = errno;
	else if (!S_ISDIR(st.st_mode))
		e = ENOTDIR;
	else if (access(dir, W_OK | X_OK) < 0)
		e = errno;
	if (e) {
		ERR("cannot write dumps to %s: %s\n", pattern, strerror(e));
		return -e;
	}
	return 0;
}

/* A hardware perf event on a machine without a PMU (most virtual machines): say so once and
 * count the task clock instead, rather than let every process fall back on its own. */
static int check_perf_event(const char *ev)
{
	struct perf_event_attr a;
	int fd;

	if (!strcmp(ev, "task-clock") || !strcmp(ev, "cpu-clock"))
		return 0;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = !strcmp(ev, "cycles")	 ? PERF_COUNT_HW_CPU_CYCLES
		   : !strcmp(ev, "instructions") ? PERF_COUNT_HW_INSTRUCTIONS
						 : PERF_COUNT_HW_REF_CPU_CYCLES;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != ENOENT && errno != EOPNOTSUPP && errno != ENODEV)
		return 0; /* perf events refused altogether: the library says so and copes */
	ERR("perf event %s: this machine has no hardware PMU; using the task clock\n", ev);
	return set_env_checked("INFLAME_PERF_EVENT", "task-clock");
}

/* A relative output pattern is made absolute in the environment the command gets, so that
 * processes that change directory write their dumps where the launcher looks for them (the
 * directory `inflame record` ran in). A "%" of the working directory's name is escaped. Returns
 * 0 (the pattern left as it was when the directory cannot be named) or -1 with one line printed. */
static int anchor_output(const char *pattern)
{
	char cwd[PATH_MAX], abs[INFLAME_OUTPUT_MAX];

	if (pattern[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return 0;
	if (inflame_config_anchor_output(pattern, cwd, abs, sizeof(abs)) < 0) {
		ERR("the output pattern %s in %s is too long\n", pattern, cwd);
		return -1;
	}
	return set_env_checked("INFLAME_OUTPUT", abs);
}

static int set_env_checked(const char *name, const char *value)
{
	if (setenv(name, value, 1) < 0) {
		ERR("cannot set %s: %s\n", name, strerror(errno));
		return -1;
	}
	return 0;
}

int inflame_cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"events", required_argument, NULL, 'e'},
	    {"frequency", required_argument, NULL, 'F'},
	    {"output", required_argument, NULL, 'o'},
	    {"unwind", required_argument, NULL, 'u'},
	    {"cpu-timer", required_argument, NULL, 'T'},
	    {"perf-event", required_argument, NULL, 'P'},
	    {"signal", required_argument, NULL, 's'},
	    {"interval", required_argument, NULL, 'i'},
	    {"max-depth", required_argument, NULL, 'd'},
	    {"alloc-rate", required_argument, NULL, 'a'},
	    {"no-children", no_argument, NULL, 'n'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct inflame_config cfg;
	char err[256], lib[PATH_MAX], target[PATH_MAX], *preload;
	const char *old_preload, *output, *ev;
	int c, quiet = 0, status = 0, events_set = 0, timer_set = 0, rc, exec_failed;
	struct timespec started;

	inflame_config_defaults(&cfg);
	output = getenv("INFLAME_OUTPUT") ? getenv("INFLAME_OUTPUT") : cfg.output;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:e:F:o:qh", opts, NULL)) != -1) {
		const char *var = NULL;

		err[0] = 0;
		switch (c) {
		case 'e':
			var = "INFLAME_EVENTS";
			if (inflame_config_parse_events(optarg, &cfg.events, err, sizeof(err)) < 0)
				goto bad;
			events_set = 1;
			break;
		case 'F':
			if (uint_opt(argv, optarg, INFLAME_FREQ_MIN, INFLAME_FREQ_MAX) < 0)
				return 2;
			var = "INFLAME_FREQUENCY";
			break;
		case 'o':
			var = "INFLAME_OUTPUT";
			if (inflame_config_check_output(optarg, err, sizeof(err)) < 0)
				goto bad;
			output = optarg;
			break;
		case 'u':
			var = "INFLAME_UNWIND";
			if (inflame_config_parse_unwind(optarg, &cfg.unwind, err, sizeof(err)) < 0)
				goto bad;
			break;
		case 'T':
			var = "INFLAME_CPU_TIMER";
			if (inflame_config_parse_timer(optarg, &cfg.cpu_timer, err, sizeof(err)) <
			    0)
				goto bad;
			timer_set = 1;
			break;
		case 'P':
			var = "INFLAME_PERF_EVENT";
			if (inflame_config_parse_perf_event(optarg, cfg.perf_event,
							    sizeof(cfg.perf_event), err,
							    sizeof(err)) < 0)
				goto bad;
			break;
		case 's':
			var = "INFLAME_SIGNAL";
			if (inflame_config_parse_signal(optarg, &cfg.dump_signal, err,
							sizeof(err)) < 0)
				goto bad;
			break;
		case 'i':
			if (uint_opt(argv, optarg, 0, INFLAME_INTERVAL_MAX) < 0)
				return 2;
			var = "INFLAME_INTERVAL";
			break;
		case 'd':
			if (uint_opt(argv, optarg, INFLAME_DEPTH_MIN, INFLAME_DEPTH_MAX) < 0)
				return 2;
			var = "INFLAME_MAX_DEPTH";
			break;
		case 'a':
			if (uint_opt(argv, optarg, 1, INFLAME_ALLOC_RATE_MAX) < 0)
				return 2;
			var = "INFLAME_ALLOC_RATE";
			break;
		case 'n':
			if (set_env_checked("INFLAME_FOLLOW_CHILDREN", "0") < 0)
				return 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			inflame_cli_bad_option(c, "inflame record: ", argv);
			return 2;
		}
		if (var && set_env_checked(var, optarg) < 0)
			return 1;
		continue;
	bad:
		bad_value(argv, var, err);
		return 2;
	}
	if (optind >= argc) {
		ERR("no command given (usage: inflame record [options] -- COMMAND [ARGS...])\n");
		return 2;
	}
	if (inflame_record_resolve(argv[optind], target, sizeof(target)) < 0) {
		ERR("%s: command not found\n", argv[optind]);
		return 127;
	}
	switch (inflame_record_check_target(target)) {
	case INFLAME_TARGET_STATIC:
		ERR("%s is statically linked: LD_PRELOAD cannot load the profiler into it, so no "
		    "profile would be written\n",
		    target);
		return 1;
	case INFLAME_TARGET_SETID:
		ERR("%s is setuid or setgid: the dynamic loader ignores LD_PRELOAD for it, so no "
		    "profile would be written\n",
		    target);
		return 1;
	default:
		break;
	}
	if (check_output_dir(output) < 0 || anchor_output(output) < 0)
		return 1;
	/* The perf clock's event, where the CPU is sampled with it. */
	if (!events_set && getenv("INFLAME_EVENTS") &&
	    inflame_config_parse_events(getenv("INFLAME_EVENTS"), &cfg.events, err, sizeof(err)) <
		0)
		cfg.events = 0; /* the library reports a bad variable itself */
	if (!timer_set && getenv("INFLAME_CPU_TIMER") &&
	    inflame_config_parse_timer(getenv("INFLAME_CPU_TIMER"), &cfg.cpu_timer, err,
				       sizeof(err)) < 0)
		cfg.events = 0;
	ev = getenv("INFLAME_PERF_EVENT");
	if ((cfg.events & INFLAME_EVMASK_CPU) &&
	    (cfg.cpu_timer == INFLAME_TIMER_PERF || cfg.cpu_timer == INFLAME_TIMER_AUTO) && ev &&
	    inflame_config_parse_perf_event(ev, cfg.perf_event, sizeof(cfg.perf_event), err,
					    sizeof(err)) == 0 &&
	    check_perf_event(cfg.perf_event) < 0)
		return 1;
	if (inflame_record_find_preload(lib, sizeof(lib)) < 0) {
		ERR("cannot find libinflame.so (looked next to this program and in %s); set "
		    "INFLAME_PRELOAD_LIB\n",
		    PKGLIBDIR);
		return 1;
	}
	old_preload = getenv("LD_PRELOAD");
	if (old_preload && *old_preload) {
		if (asprintf(&preload, "%s:%s", lib, old_preload) < 0)
			return 1;
	} else {
		preload = strdup(lib);
	}
	if (!preload || set_env_checked("LD_PRELOAD", preload) < 0)
		return 1;
	free(preload);

	clock_gettime(CLOCK_REALTIME, &started);
	rc = inflame_record_run(target, argv + optind, &status, &exec_failed);
	if (rc < 0 && exec_failed) {
		ERR("%s: %s\n", target, strerror(-rc));
	} else if (rc < 0) {
		ERR("cannot run %s: %s\n", target, strerror(-rc));
		return 1;
	}
	if (!quiet)
		inflame_record_list_dumps(output, (uint64_t)started.tv_sec * 1000000000ull +
						      (uint64_t)started.tv_nsec);
	if (WIFSIGNALED(status)) {
		struct rlimit no_core = {0, 0};
		int sig = WTERMSIG(status);

		setrlimit(RLIMIT_CORE, &no_core);
		signal(sig, SIG_DFL);
		raise(sig);
		return 128 + sig;
	}
	return WEXITSTATUS(status);
}
