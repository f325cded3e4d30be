/* e2e workload: programs that fight back. Each mode prints what it observed, so a test can
 * compare a profiled run with a plain one. Modes:
 *   closefrom    closes every descriptor >= 3, then takes the numbers inflame used (>= 512)
 *                for its own files and checks they hold only what it wrote
 *   dup2         dup2()s its own file over every open descriptor >= 3, writes, checks
 *   sigblock     2 threads block every signal and burn, main burns
 *   handlers     SIGPROF and SIGUSR2 handlers installed in a constructor and again in main,
 *                raised by the program; prints how often each ran
 *   nodefer      a SIGPROF handler installed with SA_NODEFER raises SIGPROF again from inside
 *                itself; prints how deep the handler nested (2 without inflame)
 *   forkmt       4 burning threads, then fork without exec; the child burns and exits 7
 *   spawn        vfork+exec and posix_spawn of /bin/echo
 *   execself N   execs itself N times, burning a little in each image
 *   threads N    N threads alive at once, each burns a little, all joined
 *   deep N       recursion N frames deep, burning at the bottom
 *   overflow     recursion until the stack overflows (killed by SIGSEGV)
 *   abort        burns, then abort()
 *   segv         burns, then writes through a null pointer
 *   dlloop N     dlopen/dlclose a library N times while burning
 *   mallocloop N 4 threads malloc and free N blocks each (samples land inside malloc)
 *   corrupt      burns with its own return address and saved frame pointer overwritten
 *                (pointing at unmapped memory), then puts them back and returns
 *   unwindabi    loads libstdc++ like a C program's C++ plugin would and prints which library
 *                gives the process its _Unwind_RaiseException (the profiler must not change it)
 *   libcdl N     N rounds of iconv_open/iconv_close and getpwnam, which make glibc load and
 *                unload its gconv and NSS modules with its own dlopen (not the interposed one)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
volatile unsigned long sink;

static unsigned long long cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

__attribute__((noinline)) void hostile_burn(double secs)
{
	unsigned long long end = cpu_ns() + (unsigned long long)(secs * 1e9);
	unsigned long s = sink;

	while (cpu_ns() < end)
		for (int i = 0; i < 10000; i++)
			s = s * 31 + (unsigned long)i;
	sink = s;
}

static const char msg[] = "the program's own data\n";

/* Writes msg to fd, later checks that the file holds exactly what was written. */
static int check_file(const char *path, int times)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)(times * (int)(sizeof(msg) - 1))) {
		printf("%s: %zd bytes, expected %d\n", path, n, times * (int)(sizeof(msg) - 1));
		return 1;
	}
	for (int i = 0; i < times; i++)
		if (memcmp(buf + i * (int)(sizeof(msg) - 1), msg, sizeof(msg) - 1)) {
			printf("%s: foreign bytes\n", path);
			return 1;
		}
	return 0;
}

static int mode_closefrom(void)
{
	int bad = 0, fds[4];

	hostile_burn(0.3);
#ifdef HAVE_CLOSEFROM
	closefrom(3);
#else
	for (int fd = 3; fd < 65536; fd++)
		close(fd);
#endif
	for (int i = 0; i < 4; i++) {
		char path[32];
		int fd;

		snprintf(path, sizeof(path), "own%d.txt", i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		/* the lowest numbers >= 512: where inflame keeps its descriptors */
		fds[i] = fcntl(fd, F_DUPFD, 512);
		close(fd);
		(void)!write(fds[i], msg, sizeof(msg) - 1);
	}
	hostile_burn(0.5);
	for (int i = 0; i < 4; i++) {
		char path[32];

		(void)!write(fds[i], msg, sizeof(msg) - 1);
		close(fds[i]);
		snprintf(path, sizeof(path), "own%d.txt", i);
		bad |= check_file(path, 2);
	}
	printf("closefrom %s\n", bad ? "FAILED" : "ok");
	return bad;
}

static int mode_dup2(void)
{
	int fd = open("own.txt", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	int taken[1024], n = 0, bad, st;
	pid_t pid;

	hostile_burn(0.3);
	for (int i = 3; i < 1024; i++)
		if (i != fd && fcntl(i, F_GETFD) >= 0 && dup2(fd, i) == i)
			taken[n++] = i;
	/* At once, before the profiler noticed: a child checks that every number taken over
	 * (inflame's) is still open after the profiler's fork handling, and writes through the
	 * last one. */
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < n; i++)
			if (fcntl(taken[i], F_GETFD) < 0)
				_exit(1);
		_exit(n > 0 && write(taken[n - 1], msg, sizeof(msg) - 1) ==
				   (ssize_t)(sizeof(msg) - 1)
			  ? 0
			  : 1);
	}
	waitpid(pid, &st, 0);
	(void)!write(fd, msg, sizeof(msg) - 1);
	hostile_burn(0.5);
	(void)!write(fd, msg, sizeof(msg) - 1);
	bad = !WIFEXITED(st) || WEXITSTATUS(st) != 0 || check_file("own.txt", 3);
	printf("dup2 %s\n", bad ? "FAILED" : "ok");
	return bad;
}

static void *blocked_burner(void *p)
{
	sigset_t all;

	(void)p;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	hostile_burn(0.4);
	return NULL;
}

static int mode_sigblock(void)
{
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, blocked_burner, NULL);
	hostile_burn(0.4);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("sigblock ok\n");
	return 0;
}

static volatile sig_atomic_t prof_runs, usr2_runs;

static void on_prof(int sig)
{
	(void)sig;
	prof_runs++;
}

static void on_usr2(int sig)
{
	(void)sig;
	usr2_runs++;
}

__attribute__((constructor)) static void early_handlers(void)
{
	signal(SIGPROF, on_prof);
	signal(SIGUSR2, on_usr2);
}

static int mode_handlers(void)
{
	struct sigaction sa;

	raise(SIGPROF);
	raise(SIGUSR2);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_prof;
	sigaction(SIGPROF, &sa, NULL);
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	hostile_burn(0.3);
	raise(SIGPROF);
	raise(SIGUSR2);
	printf("handlers prof %d usr2 %d\n", (int)prof_runs, (int)usr2_runs);
	return 0;
}

static volatile sig_atomic_t nodefer_depth, nodefer_max, nodefer_runs;

static void on_prof_nodefer(int sig)
{
	(void)sig;
	nodefer_runs++;
	if (++nodefer_depth > nodefer_max)
		nodefer_max = nodefer_depth;
	if (nodefer_depth == 1)
		raise(SIGPROF); /* runs the handler again now, inside this one */
	nodefer_depth--;
}

static int mode_nodefer(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_prof_nodefer;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGPROF, &sa, NULL);
	hostile_burn(0.2);
	raise(SIGPROF);
	hostile_burn(0.2);
	printf("nodefer runs %d deepest %d\n", (int)nodefer_runs, (int)nodefer_max);
	return 0;
}

static void *burner(void *p)
{
	hostile_burn(*(double *)p);
	return NULL;
}

static int mode_forkmt(void)
{
	static double secs = 0.6;
	pthread_t t[4];
	int st;
	pid_t pid;

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, burner, &secs);
	hostile_burn(0.1);
	pid = fork();
	if (pid == 0) {
		hostile_burn(0.3);
		exit(7);
	}
	waitpid(pid, &st, 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("forkmt child %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static int mode_spawn(void)
{
	char *argv1[] = {"echo", "from-vfork", NULL}, *argv2[] = {"echo", "from-spawn", NULL};
	pid_t pid;
	int st;

	hostile_burn(0.2);
	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		execve("/bin/echo", argv1, environ);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	if (posix_spawn(&pid, "/bin/echo", NULL, NULL, argv2, environ) == 0)
		waitpid(pid, &st, 0);
	hostile_burn(0.2);
	printf("spawn done\n");
	return 0;
}

static int mode_execself(const char *self, int n)
{
	char num[16];

	hostile_burn(0.05);
	printf("image %d\n", n);
	fflush(stdout);
	if (n <= 0)
		return 0;
	snprintf(num, sizeof(num), "%d", n - 1);
	execl(self, self, "execself", num, (char *)NULL);
	return 1;
}

static pthread_barrier_t barrier;

static void *barrier_thread(void *p)
{
	(void)p;
	pthread_barrier_wait(&barrier);
	hostile_burn(0.002);
	return NULL;
}

static int mode_threads(int n)
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	pthread_attr_t a;
	int made = 0;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	pthread_barrier_init(&barrier, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], &a, barrier_thread, NULL) == 0)
			made++;
	if (made != n) {
		printf("threads: only %d created\n", made);
		return 1;
	}
	pthread_barrier_wait(&barrier);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("threads %d joined\n", made);
	free(t);
	return 0;
}

__attribute__((noinline)) static unsigned long deep(int n)
{
	volatile unsigned char pad[32];

	pad[0] = (unsigned char)n;
	if (n <= 0) {
		hostile_burn(0.5);
		return sink;
	}
	return deep(n - 1) + pad[0];
}

__attribute__((noinline)) static unsigned long overflow(unsigned long n)
{
	volatile char pad[256];

	pad[0] = (char)n;
	if (n % 256 == 0)
		hostile_burn(0.001);
	return overflow(n + 1) + pad[0];
}

static int mode_dlloop(int n)
{
	for (int i = 0; i < n; i++) {
		void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
		void *h2 = dlopen("libbz2.so.1.0", RTLD_NOW | RTLD_LOCAL);

		hostile_burn(0.001);
		if (h2)
			dlclose(h2);
		if (h)
			dlclose(h);
	}
	printf("dlloop %d done\n", n);
	return 0;
}

static void *malloc_thread(void *p)
{
	long n = (long)p;
	void *keep[64] = {0};

	for (long i = 0; i < n; i++) {
		size_t k = (size_t)i % 64;

		free(keep[k]);
		keep[k] = malloc(16 + (size_t)(i * 7919) % 4000);
	}
	for (int k = 0; k < 64; k++)
		free(keep[k]);
	return NULL;
}

static int mode_mallocloop(long n)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, malloc_thread, (void *)n);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("mallocloop done\n");
	return 0;
}

/* Built with a frame pointer whatever the flags, so that the slots are known. */
__attribute__((noinline, optimize("no-omit-frame-pointer"))) static int corrupt(void)
{
	uintptr_t *fp = __builtin_frame_address(0);
	uintptr_t saved_fp = fp[0], saved_ra = fp[1];

	fp[0] = (uintptr_t)0xdead0000000ull; /* unmapped */
	fp[1] = (uintptr_t)0x1000;	     /* unmapped, below any code */
	__asm__ volatile("" ::: "memory");
	hostile_burn(0.5);
	fp[0] = saved_fp;
	fp[1] = saved_ra;
	__asm__ volatile("" ::: "memory");
	return 1;
}

static int mode_unwindabi(void)
{
	void *h = dlopen("libstdc++.so.6", RTLD_NOW);
	void *f = dlsym(RTLD_DEFAULT, "_Unwind_RaiseException");
	Dl_info info;
	const char *lib = "none";

	if (f && dladdr(f, &info) && info.dli_fname) {
		lib = strrchr(info.dli_fname, '/');
		lib = lib ? lib + 1 : info.dli_fname;
	}
	printf("libstdc++ %s, _Unwind_RaiseException from %s\n", h ? "loaded" : "missing", lib);
	return 0;
}

static int mode_libcdl(int n)
{
	static const char *const sets[] = {"UTF-16", "ISO-8859-15", "EBCDIC-US", "KOI8-R",
					   "SHIFT_JIS"};
	int ok = 0;

	for (int i = 0; i < n; i++) {
		iconv_t cd = iconv_open(sets[i % 5], "UTF-8");

		if (cd != (iconv_t)-1) {
			iconv_close(cd);
			ok++;
		}
		if (getpwnam("root"))
			ok++;
		hostile_burn(0.0005);
	}
	printf("libcdl %d\n", ok);
	return 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	int n = argc > 2 ? atoi(argv[2]) : 0;

	struct rlimit nocore = {0, 0};

	setrlimit(RLIMIT_CORE, &nocore); /* the crash modes: no core dump to wait for */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(m, "closefrom"))
		return mode_closefrom();
	if (!strcmp(m, "dup2"))
		return mode_dup2();
	if (!strcmp(m, "sigblock"))
		return mode_sigblock();
	if (!strcmp(m, "handlers"))
		return mode_handlers();
	if (!strcmp(m, "nodefer"))
		return mode_nodefer();
	if (!strcmp(m, "forkmt"))
		return mode_forkmt();
	if (!strcmp(m, "spawn"))
		return mode_spawn();
	if (!strcmp(m, "execself"))
		return mode_execself(argv[0], n);
	if (!strcmp(m, "threads"))
		return mode_threads(n);
	if (!strcmp(m, "deep"))
		printf("deep %d\n", deep(n) > 0);
	else if (!strcmp(m, "overflow"))
		return (int)overflow(1);
	else if (!strcmp(m, "abort")) {
		hostile_burn(0.4);
		abort();
	} else if (!strcmp(m, "segv")) {
		hostile_burn(0.4);
		*(volatile int *)(sink * 0) = 1;
	} else if (!strcmp(m, "dlloop"))
		return mode_dlloop(n);
	else if (!strcmp(m, "libcdl"))
		return mode_libcdl(n);
	else if (!strcmp(m, "unwindabi"))
		return mode_unwindabi();
	else if (!strcmp(m, "mallocloop"))
		return mode_mallocloop(n);
	else if (!strcmp(m, "corrupt"))
		printf("corrupt %d\n", corrupt());
	else {
		fprintf(stderr, "unknown mode\n");
		return 2;
	}
	return 0;
}
