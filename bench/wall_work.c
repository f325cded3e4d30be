/*
 * bench/wall-work: the workload of the wall-clock sampling benchmark (bench/wall.sh).
 *
 * IDLE threads wait on a condition variable the way idle pool workers do (a timed wait that
 * times out once a second, then waits again) while BUSY threads share a fixed amount of CPU
 * work (UNITS units of a short arithmetic loop, dealt round-robin), so that the unprofiled run
 * takes the same CPU and wall time every time. Frame pointers are kept so stacks are walked
 * in full. The checksum printed at the end does not depend on the thread counts. On stderr,
 * "wakeups N" counts the idle threads' voluntary context switches (from /proc/self/task/TID/
 * status): each time one was woken, by its timeout or by a signal, and waited again; and
 * "helpers N" the CPU time (ns, from /proc/self/task/TID/schedstat) of the threads whose name
 * starts with "inflame-" (a profiler's own threads), up to the end of the work, after a line
 * "helper NAME N" for each of them.
 *
 * usage: wall-work [-i IDLE] [-b BUSY] [-u UNITS]   (defaults 64, 2, 4000)
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;
static int done;
static long units = 4000;
static int nbusy = 2;
static pid_t *tids;

/* The thread's voluntary context switches so far. */
static unsigned long long switches(pid_t tid)
{
	char path[64], buf[256];
	unsigned long long n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "voluntary_ctxt_switches: %llu", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* The CPU time (ns) of this process's threads named inflame-*. */
static unsigned long long helpers_ns(void)
{
	char path[300], name[64];
	unsigned long long sum = 0, ns;
	struct dirent *e;
	DIR *d = opendir("/proc/self/task");
	FILE *f;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(name, sizeof(name), f))
			name[0] = 0;
		fclose(f);
		if (strncmp(name, "inflame-", 8) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &ns) == 1) {
			sum += ns;
			name[strcspn(name, "\n")] = 0;
			fprintf(stderr, "helper %s %llu\n", name, ns);
		}
		fclose(f);
	}
	closedir(d);
	return sum;
}

static NOINLINE uint64_t unit(uint64_t seed)
{
	uint64_t v = seed;

	for (int i = 0; i < 250000; i++)
		v = v * 6364136223846793005ull + (v >> 29) + (uint64_t)i;
	return v;
}

struct busy {
	int index;
	uint64_t sum;
};

static NOINLINE void *busy_main(void *p)
{
	struct busy *b = p;

	for (long u = b->index; u < units; u += nbusy)
		b->sum += unit((uint64_t)u);
	return NULL;
}

static NOINLINE void idle_wait(void)
{
	pthread_mutex_lock(&lock);
	while (!done) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&cond, &lock, &ts);
	}
	pthread_mutex_unlock(&lock);
}

static NOINLINE void *idle_main(void *p)
{
	tids[(long)p] = (pid_t)syscall(SYS_gettid);
	idle_wait();
	return NULL;
}

int main(int argc, char **argv)
{
	int nidle = 64, c;
	pthread_t *idle, *busy;
	struct busy *b;
	pthread_condattr_t ca;
	uint64_t sum = 0;
	unsigned long long wakeups = 0, helpers;

	while ((c = getopt(argc, argv, "i:b:u:")) != -1) {
		switch (c) {
		case 'i':
			nidle = atoi(optarg);
			break;
		case 'b':
			nbusy = atoi(optarg);
			break;
		case 'u':
			units = atol(optarg);
			break;
		default:
			fprintf(stderr, "usage: wall-work [-i IDLE] [-b BUSY] [-u UNITS]\n");
			return 2;
		}
	}
	if (nidle < 0 || nbusy < 1 || units < 1) {
		fprintf(stderr, "wall-work: bad thread or unit count\n");
		return 2;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cond, &ca);
	idle = calloc((size_t)nidle + 1, sizeof(*idle));
	busy = calloc((size_t)nbusy, sizeof(*busy));
	b = calloc((size_t)nbusy, sizeof(*b));
	tids = calloc((size_t)nidle + 1, sizeof(*tids));
	if (!idle || !busy || !b || !tids) {
		fprintf(stderr, "wall-work: out of memory\n");
		return 1;
	}
	for (int i = 0; i < nidle; i++)
		if (pthread_create(&idle[i], NULL, idle_main, (void *)(long)i) != 0) {
			fprintf(stderr, "wall-work: cannot create thread %d\n", i);
			return 1;
		}
	for (int i = 0; i < nbusy; i++) {
		b[i].index = i;
		pthread_create(&busy[i], NULL, busy_main, &b[i]);
	}
	for (int i = 0; i < nbusy; i++) {
		pthread_join(busy[i], NULL);
		sum += b[i].sum;
	}
	for (int i = 0; i < nidle; i++)
		wakeups += tids[i] ? switches(tids[i]) : 0;
	helpers = helpers_ns();
	pthread_mutex_lock(&lock);
	done = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < nidle; i++)
		pthread_join(idle[i], NULL);
	printf("checksum %016llx\n", (unsigned long long)sum);
	fprintf(stderr, "wakeups %llu\nhelpers %llu\n", wakeups, helpers);
	return 0;
}
