/*
 * A program whose threads run on small alternate signal stacks, as Rust's runtime gives every
 * thread: 8 KiB (SIGSTKSZ) with a guard page below. Each of two threads sets its own, then
 * spins, sleeps (nanosleep, poll) and sorts, so that inflame's handler (installed with
 * SA_ONSTACK) runs on that stack both while the thread runs and while it is blocked. Prints
 * the same line every run (tests/altstack_test.sh compares it with the unprofiled run).
 * ALTSTACK_SIZE=bytes overrides the size; ALTSTACK_MEASURE=1 fills the stacks with a pattern
 * and prints on stderr how many bytes of each the deepest signal used (for sizing the margins
 * in preload/sigstack.c). ALTSTACK_HANDLER=1 gives each thread a timer of its own that sends it
 * SIGALRM every millisecond, handled on the alternate stack (SA_ONSTACK, sa_mask {SIGUSR1}) by
 * a handler that works there for a while, as a Go or Rust runtime's handlers do: a sampling
 * signal whose frame came below it would not fit. The program checks that sigaction() reads
 * back its mask and that the handler sees the mask it would see unprofiled (SIGPROF not
 * blocked), and prints the result.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define GUARD	4096
#define PATTERN 0xa5

static size_t stack_size = 8192;
static int measure, handler;
static _Atomic unsigned long bad_views;
volatile unsigned long handler_sink;

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	volatile unsigned char buf[512];
	sigset_t now;

	(void)sig;
	(void)si;
	(void)uc;
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)i;
	for (int r = 0; r < 20000; r++)
		handler_sink += buf[r & 511];
	pthread_sigmask(SIG_BLOCK, NULL, &now);
	if (sigismember(&now, SIGPROF) || !sigismember(&now, SIGUSR1) ||
	    !sigismember(&now, SIGALRM))
		bad_views++;
}

/* A timer that sends the calling thread SIGALRM every millisecond. */
static timer_t alarm_timer(void)
{
	struct sigevent sev;
	struct itimerspec it = {{0, 1000000}, {0, 1000000}};
	timer_t tm;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGALRM;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &tm) < 0 || timer_settime(tm, 0, &it, NULL) < 0) {
		perror("altstack: timer");
		exit(2);
	}
	return tm;
}

static int cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg, v[512];
	unsigned char *mem = mmap(NULL, GUARD + stack_size, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t ss, off = {.ss_flags = SS_DISABLE};
	volatile uint64_t acc = 0;
	uint64_t sum = 0;
	timer_t tm = 0;

	if (mem == MAP_FAILED || mprotect(mem, GUARD, PROT_NONE) < 0) {
		perror("altstack: mmap");
		exit(2);
	}
	if (measure)
		memset(mem + GUARD, PATTERN, stack_size);
	ss.ss_sp = mem + GUARD;
	ss.ss_size = stack_size;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL) < 0) {
		perror("altstack: sigaltstack");
		exit(2);
	}
	if (handler)
		tm = alarm_timer();
	for (int round = 0; round < 40; round++) {
		struct timespec ts = {0, 2000000};

		for (uint64_t i = 0; i < 400000; i++)
			acc += i * seed;
		nanosleep(&ts, NULL);
		poll(NULL, 0, 2);
		for (int i = 0; i < 512; i++)
			v[i] = (seed = seed * 1103515245u + 12345u) >> 8;
		qsort(v, 512, sizeof(v[0]), cmp);
		sum += v[0] + v[511];
	}
	if (handler)
		timer_delete(tm);
	sigaltstack(&off, NULL);
	if (measure) {
		size_t used = stack_size;

		for (size_t i = 0; i < stack_size && mem[GUARD + i] == PATTERN; i++)
			used--;
		fprintf(stderr, "altstack: %zu of %zu bytes used\n", used, stack_size);
	}
	munmap(mem, GUARD + stack_size);
	return (void *)(uintptr_t)(sum + (acc & 0));
}

int main(void)
{
	pthread_t th[2];
	uint64_t total = 0;
	const char *s = getenv("ALTSTACK_SIZE");

	if (s)
		stack_size = strtoul(s, NULL, 0);
	measure = getenv("ALTSTACK_MEASURE") != NULL;
	handler = getenv("ALTSTACK_HANDLER") != NULL;
	if (handler) {
		struct sigaction sa, back;
		sigset_t now;

		/* Bound now: the lazy binding's frame would not fit on the handler's stack. */
		pthread_sigmask(SIG_BLOCK, NULL, &now);

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_alarm;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		sigaddset(&sa.sa_mask, SIGUSR1);
		if (sigaction(SIGALRM, &sa, NULL) < 0 || sigaction(SIGALRM, NULL, &back) < 0) {
			perror("altstack: sigaction");
			return 2;
		}
		printf("altstack: handler mask read back %s\n",
		       sigismember(&back.sa_mask, SIGUSR1) == 1 &&
			       sigismember(&back.sa_mask, SIGPROF) == 0 &&
			       (back.sa_flags & SA_ONSTACK)
			   ? "as set"
			   : "changed");
	}
	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 7)) != 0) {
			fprintf(stderr, "altstack: pthread_create failed\n");
			return 2;
		}
	for (int i = 0; i < 2; i++) {
		void *r;

		pthread_join(th[i], &r);
		total += (uint64_t)(uintptr_t)r;
	}
	if (handler)
		printf("altstack: handler saw %s masks\n", bad_views ? "wrong" : "its own");
	printf("altstack: done %llu\n", (unsigned long long)total);
	return 0;
}
