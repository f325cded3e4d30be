/* e2e workload for wall-clock sampling of idle threads: IDLE threads wait on a condition
 * variable while one thread spins and the main thread waits for it to finish. Each reports the
 * wall time it spent in its function as "truth idle NS" (the idle threads' sum), "truth busy NS"
 * and "truth main NS"; "truth wakeups N" counts how often the idle threads were woken while
 * they waited (their voluntary context switches, from /proc/self/task/TID/status: each signal
 * that reaches a thread blocked in a futex wakes it, and it blocks again), and "truth idle_ms N"
 * the thread-milliseconds they waited over. Usage: wallidle [seconds] [idle-threads] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_IDLE 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER, ready = PTHREAD_COND_INITIALIZER;
static int done, waiting;
static pid_t tids[MAX_IDLE];
static unsigned long long idle_ns[MAX_IDLE];
static double secs = 2.0;
volatile unsigned long sink;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* The thread's voluntary context switches so far. */
static unsigned long long switches(pid_t tid)
{
	char path[64], buf[4096];
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

__attribute__((noinline)) void idle_wait(void)
{
	pthread_mutex_lock(&lock);
	waiting++;
	pthread_cond_signal(&ready);
	while (!done)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

static void *idle_main(void *p)
{
	int i = (int)(long)p;
	unsigned long long t0 = now_ns();

	tids[i] = (pid_t)syscall(SYS_gettid);
	idle_wait();
	idle_ns[i] = now_ns() - t0;
	return NULL;
}

__attribute__((noinline)) void busy_spin(unsigned long long end)
{
	unsigned long s = sink;

	while (now_ns() < end)
		for (int i = 0; i < 1000; i++)
			s = s * 31 + (unsigned long)i;
	sink = s;
}

static void *busy_main(void *p)
{
	unsigned long long t0 = now_ns();

	busy_spin(t0 + (unsigned long long)(secs * 1e9));
	*(unsigned long long *)p = now_ns() - t0;
	return NULL;
}

__attribute__((noinline)) int main_wait(pthread_t t)
{
	int rc = pthread_join(t, NULL);

	sink += (unsigned long)rc; /* not a tail call: main_wait stays on the stack */
	return rc;
}

int main(int argc, char **argv)
{
	int n = 32;
	pthread_t idle[MAX_IDLE], busy;
	unsigned long long before = 0, after = 0, busy_ns = 0, t0, main_ns, total = 0;

	if (argc > 1)
		secs = atof(argv[1]);
	if (argc > 2)
		n = atoi(argv[2]);
	if (n < 1 || n > MAX_IDLE) {
		fprintf(stderr, "wallidle: 1 to %d idle threads\n", MAX_IDLE);
		return 2;
	}
	for (int i = 0; i < n; i++)
		pthread_create(&idle[i], NULL, idle_main, (void *)(long)i);
	pthread_mutex_lock(&lock);
	while (waiting < n)
		pthread_cond_wait(&ready, &lock);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < n; i++)
		before += switches(tids[i]);
	t0 = now_ns();
	pthread_create(&busy, NULL, busy_main, &busy_ns);
	main_wait(busy);
	main_ns = now_ns() - t0;
	for (int i = 0; i < n; i++)
		after += switches(tids[i]);
	pthread_mutex_lock(&lock);
	done = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < n; i++) {
		pthread_join(idle[i], NULL);
		total += idle_ns[i];
	}
	fprintf(stderr, "truth idle %llu\ntruth busy %llu\ntruth main %llu\n", total, busy_ns,
		main_ns);
	fprintf(stderr, "truth wakeups %llu\ntruth idle_ms %llu\n", after - before,
		(unsigned long long)n * main_ns / 1000000ull);
	printf("wallidle done\n");
	return 0;
}
