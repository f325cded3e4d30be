/* Workload for `inflame record`'s signal forwarding (tests/record_signals_test.sh). It counts
 * the SIGINT, SIGQUIT, SIGHUP and SIGTERM it receives, creates the file READY once its
 * handlers are in place, and on SIGTERM waits 0.3 s more (so that a signal delivered twice
 * arrives), writes "INT=a QUIT=b HUP=c TERM=d" to OUT and exits with status 7. It gives up
 * after 20 s without SIGTERM (status 1).
 * Usage: sigcount READY OUT
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t n_int, n_quit, n_hup, n_term;

static void on_signal(int sig)
{
	if (sig == SIGINT)
		n_int++;
	else if (sig == SIGQUIT)
		n_quit++;
	else if (sig == SIGHUP)
		n_hup++;
	else
		n_term++;
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: sigcount READY OUT\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	f = fopen(argv[1], "w");
	if (!f || fclose(f) != 0)
		return 1;
	for (int i = 0; i < 2000 && !n_term; i++)
		nap_ms(10);
	if (!n_term)
		return 1;
	nap_ms(300);
	f = fopen(argv[2], "w");
	if (!f)
		return 1;
	fprintf(f, "INT=%d QUIT=%d HUP=%d TERM=%d\n", (int)n_int, (int)n_quit, (int)n_hup,
		(int)n_term);
	return fclose(f) == 0 ? 7 : 1;
}
