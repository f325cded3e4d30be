/* Allocation from signal handlers, for the end-to-end allocation tests. Run with
 * LD_PRELOAD=libinflame.so:libsigalloc.so (an allocator that may be re-entered from a
 * handler), so that a timer signal can land anywhere in inflame's wrappers (the countdown,
 * the unwinder, the sampled-pointer table, the ring) and its handler allocates, reallocates
 * and frees again. Prints "done", and the number of handled signals on stderr.
 *
 *   allocs_sig N   N rounds of malloc/realloc/free in the main loop.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define NOINLINE __attribute__((noinline))

static volatile sig_atomic_t handled;
static void *volatile sink;

NOINLINE static void handler_site(void)
{
	void *p = malloc(100 + (size_t)(handled % 50));

	p = realloc(p, 300);
	sink = p;
	free(p);
}

static void on_alarm(int sig)
{
	(void)sig;
	handler_site();
	handled++;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	struct sigaction sa;
	struct itimerval it = {{0, 100}, {0, 100}};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (long i = 0; i < n; i++) {
		void *p = malloc((size_t)(i % 200) + 1);

		p = realloc(p, (size_t)(i % 300) + 1);
		sink = p;
		free(p);
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	printf("done\n");
	fprintf(stderr, "handled %d\n", (int)handled);
	return 0;
}
