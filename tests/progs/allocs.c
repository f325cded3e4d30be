/* Allocation workloads with a known truth, for the end-to-end allocation tests. Each mode
 * prints "truth NAME VALUE" lines with the exact bytes and counts it allocated per site.
 *
 *   sites N      three sites allocating sizes from 16 B to 64 KiB in a 1:2:4 byte ratio,
 *                N rounds; site_b's blocks are all freed, site_a leaks exactly every 8th
 *                block, site_c frees all of its blocks.
 *   family       realloc chains (including realloc(p, 0) and a failing realloc),
 *                reallocarray, calloc, posix_memalign, aligned_alloc, memalign, valloc,
 *                pvalloc; leaks one block from each with a known size.
 *   threads N    producer threads allocate, a consumer thread frees them all.
 *   fork N       forks N children, each allocating and exiting.
 *   churn N      N short threads each allocating and freeing.
 *   dlopen N     dlopen/dlclose libm while a thread allocates and frees.
 *   peak         phase one (peak_one) holds 10 x 100000 B at once and frees them; phase two
 *                keeps 5 x 100000 B (peak_two) and 3 x 100000 B (peak_three) to the end. The
 *                peak is phase one's 1000000 B; at exit 800000 B are live. "peak rotate"
 *                asks inflame for a new dump file (SIGUSR2) at the peak and after the frees,
 *                so that the three steps land in three files.
 *   steady MS    the sites workload without leaks, round after round, for MS milliseconds;
 *                then "truth threads N" (the threads of the process: inflame's writer among
 *                them if it started one) and "truth grew 1" when its dump file (INFLAME_OUTPUT
 *                with %p its pid) grew after the first 50 ms, else 0.
 *   libcdup N    strdup and free of a 4000-byte string N thousand times: every allocation
 *                comes from the C library (no sampled stack is the program's alone); then
 *                "truth threads N" as steady's.
 *   freeall N    allocates N thousand 32-byte blocks (freeall_site), then frees them all
 *                without allocating in between; then "truth blocks N" (the blocks freed).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>

#define NOINLINE __attribute__((noinline))

static void *volatile sink;

/* Passes p through a volatile store, so that the compiler cannot remove a malloc whose block
 * is only freed. */
static void *kept(void *p)
{
	sink = p;
	/* p itself, not sink read back: another thread may have stored its own block there. */
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

/* Deterministic sizes from 16 B to 64 KiB: a log-uniform spread. */
static size_t size_at(unsigned i)
{
	unsigned shift = 4 + (i * 7u) % 13u; /* 16 .. 65536 */
	size_t s = (size_t)1 << shift;

	return s - (i % 3) * (s / 8);
}

static uint64_t bytes_a, bytes_b, bytes_c, leak_a, count_a, count_b, count_c;

NOINLINE static void *site_a(size_t n)
{
	void *p = malloc(n);

	memset(p, 1, n < 64 ? n : 64);
	return p;
}

NOINLINE static void *site_b(size_t n)
{
	void *p = malloc(n);

	memset(p, 2, n < 64 ? n : 64);
	return p;
}

NOINLINE static void *site_c(size_t n)
{
	char *p = calloc(1, n);

	p[n - 1] = 3; /* not a tail call: site_c stays on the stack */
	return p;
}

/* rounds of the sites workload; site_a leaks every 8th block when leak is set. */
static void sites_rounds(int rounds, int leak)
{
	static void *keep[64];

	for (int r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < 64; i++) {
			size_t n = size_at(i + (unsigned)r);
			void *a = site_a(n), *b;

			bytes_a += n;
			count_a++;
			if (leak && (i & 7) == 0) {
				leak_a += n; /* never freed */
				sink = a;
			} else {
				free(a);
			}
			for (int k = 0; k < 2; k++) {
				b = site_b(n);
				bytes_b += n;
				count_b++;
				free(b);
			}
			for (int k = 0; k < 4; k++) {
				keep[(i * 4 + (unsigned)k) % 64] = site_c(n);
				bytes_c += n;
				count_c++;
				free(keep[(i * 4 + (unsigned)k) % 64]);
			}
		}
	}
}

static int mode_sites(int rounds)
{
	sites_rounds(rounds, 1);
	printf("truth bytes_a %llu\ntruth bytes_b %llu\ntruth bytes_c %llu\n",
	       (unsigned long long)bytes_a, (unsigned long long)bytes_b,
	       (unsigned long long)bytes_c);
	printf("truth count_a %llu\ntruth count_b %llu\ntruth count_c %llu\n",
	       (unsigned long long)count_a, (unsigned long long)count_b,
	       (unsigned long long)count_c);
	printf("truth leak_a %llu\n", (unsigned long long)leak_a);
	return 0;
}

/* Writes to p after the call that returned it, so that the call is not a tail call and the
 * site stays on the stack. */
static void *touch(void *p)
{
	if (p)
		*(volatile char *)p = 1;
	return p;
}

NOINLINE static void *chain_site(void)
{
	void *p = NULL;

	/* A realloc chain: 100, 1000, 10000, then back to 50: only the last one survives. */
	p = realloc(p, 100);
	p = realloc(p, 1000);
	p = realloc(p, 10000);
	p = realloc(p, 50);
	return touch(p);
}

NOINLINE static void zero_site(void)
{
	void *p = malloc(777);

	/* glibc frees p and returns NULL: nothing must stay live. */
	sink = realloc(p, 0);
	free(sink);
}

NOINLINE static void *fail_site(void)
{
	void *p = malloc(333);
	void *q = realloc(p, SIZE_MAX / 2); /* fails: p stays allocated */

	if (q) {
		printf("unexpected realloc success\n");
		return q;
	}
	return touch(p);
}

NOINLINE static void *array_site(void)
{
	void *p = reallocarray(NULL, 10, 12);

	return touch(reallocarray(p, 20, 12)); /* 240 live */
}

NOINLINE static void *memalign_site(void)
{
	return touch(memalign(256, 1234));
}

NOINLINE static void *aligned_site(void)
{
	return touch(aligned_alloc(64, 640));
}

NOINLINE static void *posix_site(void)
{
	void *p = NULL;

	if (posix_memalign(&p, 128, 4321))
		return NULL;
	return touch(p);
}

NOINLINE static void *valloc_site(void)
{
	return touch(valloc(5000));
}

NOINLINE static void *pvalloc_site(void)
{
	return touch(pvalloc(3000));
}

static int mode_family(void)
{
	void *keep[8];
	size_t total = 0;

	keep[0] = chain_site();
	zero_site();
	keep[1] = fail_site();
	keep[2] = array_site();
	keep[3] = memalign_site();
	keep[4] = aligned_site();
	keep[5] = posix_site();
	keep[6] = valloc_site();
	keep[7] = pvalloc_site();
	for (int i = 0; i < 8; i++)
		if (!keep[i])
			return 1;
	if (((uintptr_t)keep[3] & 255) || ((uintptr_t)keep[4] & 63) || ((uintptr_t)keep[5] & 127) ||
	    ((uintptr_t)keep[6] & 4095) || ((uintptr_t)keep[7] & 4095))
		return 2;
	total = 50 + 333 + 240 + 1234 + 640 + 4321 + 5000 + 3000;
	printf("truth chain 50\ntruth fail 333\ntruth array 240\ntruth memalign 1234\n");
	printf("truth aligned 640\ntruth posix 4321\ntruth valloc 5000\ntruth pvalloc 3000\n");
	printf("truth family_live %zu\n", total);
	printf("usable %d\n", malloc_usable_size(keep[0]) >= 50);
	sink = keep;
	return 0;
}

/* Threads: producers allocate, one consumer frees everything. */
#define QN 4096
static void *queue[QN];
static size_t qhead, qtail;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;
static int producers_left;

NOINLINE static void *producer_site(size_t n)
{
	return malloc(n);
}

static void *producer(void *arg)
{
	long n = (long)arg;

	for (long i = 0; i < n; i++) {
		void *p = producer_site(64 + (size_t)(i % 100) * 8);

		pthread_mutex_lock(&qlock);
		while (qhead - qtail == QN)
			pthread_cond_wait(&qcond, &qlock);
		queue[qhead++ % QN] = p;
		pthread_cond_broadcast(&qcond);
		pthread_mutex_unlock(&qlock);
	}
	pthread_mutex_lock(&qlock);
	producers_left--;
	pthread_cond_broadcast(&qcond);
	pthread_mutex_unlock(&qlock);
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&qlock);
	for (;;) {
		while (qhead == qtail && producers_left > 0)
			pthread_cond_wait(&qcond, &qlock);
		if (qhead == qtail)
			break;
		free(queue[qtail++ % QN]);
		pthread_cond_broadcast(&qcond);
	}
	pthread_mutex_unlock(&qlock);
	return NULL;
}

static int mode_threads(long n)
{
	pthread_t p[3], c;
	uint64_t bytes = 0;

	producers_left = 3;
	pthread_create(&c, NULL, consumer, NULL);
	for (int i = 0; i < 3; i++)
		pthread_create(&p[i], NULL, producer, (void *)n);
	for (int i = 0; i < 3; i++)
		pthread_join(p[i], NULL);
	pthread_join(c, NULL);
	for (long i = 0; i < n; i++)
		bytes += 64 + (uint64_t)(i % 100) * 8;
	printf("truth producer_bytes %llu\n", (unsigned long long)(bytes * 3));
	return 0;
}

static int mode_fork(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			for (int k = 0; k < 1000; k++)
				free(kept(malloc((size_t)k + 1)));
			_exit(0);
		}
		free(kept(malloc(100)));
		if (pid < 0)
			return 1;
		waitpid(pid, NULL, 0);
	}
	printf("done\n");
	return 0;
}

static void *churn_thread(void *arg)
{
	(void)arg;
	for (int k = 0; k < 200; k++)
		free(kept(malloc((size_t)k * 16 + 1)));
	return NULL;
}

static int mode_churn(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_t t[4];

		for (int k = 0; k < 4; k++)
			if (pthread_create(&t[k], NULL, churn_thread, NULL))
				return 1;
		for (int k = 0; k < 4; k++)
			pthread_join(t[k], NULL);
	}
	printf("done\n");
	return 0;
}

static volatile int stop_alloc;

static void *alloc_loop(void *arg)
{
	(void)arg;
	while (!stop_alloc)
		free(kept(malloc(64)));
	return NULL;
}

static int mode_dlopen(long n)
{
	pthread_t t;

	pthread_create(&t, NULL, alloc_loop, NULL);
	for (long i = 0; i < n; i++) {
		void *h = dlopen("libm.so.6", RTLD_NOW | RTLD_DEEPBIND);

		if (!h)
			return 1;
		dlclose(h);
		h = dlopen("libz.so.1", RTLD_NOW);
		if (h)
			dlclose(h);
	}
	stop_alloc = 1;
	pthread_join(t, NULL);
	printf("done\n");
	return 0;
}

NOINLINE static void *peak_one(void)
{
	return memset(malloc(100000), 1, 100000);
}

NOINLINE static void *peak_two(void)
{
	return memset(malloc(100000), 2, 100000);
}

NOINLINE static void *peak_three(void)
{
	return memset(malloc(100000), 3, 100000);
}

/* Asks inflame for a new dump file and gives its writer the time to start it. */
static void rotate(int on)
{
	struct timespec ts = {0, 500 * 1000 * 1000};

	if (!on)
		return;
	kill(getpid(), SIGUSR2);
	nanosleep(&ts, NULL);
}

static int mode_peak(int rotating)
{
	void *p[10];

	for (int i = 0; i < 10; i++)
		p[i] = peak_one();
	rotate(rotating);
	for (int i = 0; i < 10; i++)
		free(p[i]);
	rotate(rotating);
	for (int i = 0; i < 5; i++)
		p[i] = peak_two();
	for (int i = 5; i < 8; i++)
		p[i] = peak_three();
	sink = p;
	printf("truth peak 1000000\ntruth end 800000\n");
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The size of this process's dump file, -1 when it cannot be found. */
static long long dump_size(void)
{
	const char *out = getenv("INFLAME_OUTPUT");
	const char *p = out ? strstr(out, "%p") : NULL;
	char path[4096];
	struct stat st;

	if (!p)
		return -1;
	snprintf(path, sizeof(path), "%.*s%d%s", (int)(p - out), out, (int)getpid(), p + 2);
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The threads of this process: inflame's writer among them if it started one. */
static int count_threads(void)
{
	int threads = 0;
	DIR *d = opendir("/proc/self/task");

	if (d) {
		struct dirent *e;

		while ((e = readdir(d)))
			threads += e->d_name[0] != '.';
		closedir(d);
	}
	return threads;
}

static int mode_steady(long ms)
{
	double start = now_ms();
	long long early = -1;

	while (now_ms() - start < (double)ms) {
		sites_rounds(1, 0);
		if (early < 0 && now_ms() - start > 50)
			early = dump_size();
	}
	printf("truth threads %d\ntruth grew %d\n", count_threads(),
	       early >= 0 && dump_size() > early);
	return 0;
}

static int mode_libcdup(long thousands)
{
	static char text[4000];
	unsigned long sum = 0;

	memset(text, 'x', sizeof(text) - 1);
	for (long k = 0; k < thousands; k++) {
		for (int i = 0; i < 1000; i++) {
			char *p = strdup(text);

			sum += (unsigned char)p[i % 64];
			free(p);
		}
	}
	printf("truth threads %d\ntruth sum %d\n", count_threads(), sum > 0);
	return 0;
}

static __attribute__((noinline)) int freeall_site(void **slot)
{
	*slot = malloc(32);
	return *slot != NULL; /* (not a tail call: this frame stays on the stack) */
}

static int mode_freeall(long thousands)
{
	long n = thousands * 1000;
	void **p = malloc((size_t)n * sizeof(*p));

	if (!p)
		return 1;
	for (long i = 0; i < n; i++)
		if (!freeall_site(&p[i]))
			return 1;
	for (long i = 0; i < n; i++)
		free(p[i]);
	free(p);
	printf("truth blocks %ld\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 100;

	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "sites"))
		return mode_sites((int)n);
	if (!strcmp(argv[1], "family"))
		return mode_family();
	if (!strcmp(argv[1], "threads"))
		return mode_threads(n);
	if (!strcmp(argv[1], "fork"))
		return mode_fork(n);
	if (!strcmp(argv[1], "churn"))
		return mode_churn(n);
	if (!strcmp(argv[1], "dlopen"))
		return mode_dlopen(n);
	if (!strcmp(argv[1], "steady"))
		return mode_steady(n);
	if (!strcmp(argv[1], "libcdup"))
		return mode_libcdup(n);
	if (!strcmp(argv[1], "freeall"))
		return mode_freeall(n);
	if (!strcmp(argv[1], "peak"))
		return mode_peak(argc > 2 && !strcmp(argv[2], "rotate"));
	return 2;
}
