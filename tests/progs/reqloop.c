/* A request-driven program: the main thread sends RATE requests a second (default 100) for
 * SECONDS (default 4) and waits for each answer in poll; a server thread waits in epoll_wait
 * (in server_wait) and hands each request to a worker, which waits in poll then reads it from
 * a pipe, spins 50 us and answers. Between requests every thread waits in a blocking call.
 * Prints "truth server_wait_ms N": the server's summed time in epoll_wait.
 * Usage: reqloop [seconds] [rate] */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define QUIT 1000000u

static int req_fd, ans_fd, work[2];
static uint64_t server_ns;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static __attribute__((noinline)) int server_wait(int ep)
{
	struct epoll_event ev;
	uint64_t t0 = now_ns();
	int n = epoll_wait(ep, &ev, 1, -1);

	server_ns += now_ns() - t0;
	return n;
}

static void *server_main(void *p)
{
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	uint64_t v = 0;

	(void)p;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, req_fd, &ev) != 0) {
		perror("reqloop: epoll");
		exit(1);
	}
	while (v != QUIT) {
		if (server_wait(ep) < 1 || read(req_fd, &v, sizeof(v)) != sizeof(v))
			continue;
		if (write(work[1], v == QUIT ? "q" : "x", 1) != 1)
			perror("reqloop: write");
	}
	close(ep);
	return NULL;
}

static void *worker_main(void *p)
{
	struct pollfd pf = {.fd = work[0], .events = POLLIN};
	uint64_t one = 1, end;
	char c;

	(void)p;
	for (;;) {
		poll(&pf, 1, -1);
		if (read(work[0], &c, 1) != 1 || c != 'x')
			break;
		end = now_ns() + 50000;
		while (now_ns() < end)
			;
		if (write(ans_fd, &one, sizeof(one)) != sizeof(one))
			perror("reqloop: write");
	}
	return NULL;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 4;
	int rate = argc > 2 ? atoi(argv[2]) : 100;
	pthread_t sv, wk;
	uint64_t t0, end, next, one = 1, v, quit = QUIT;

	if (secs < 0.1 || rate < 1 || rate > 10000) {
		fprintf(stderr, "usage: reqloop [seconds >= 0.1] [rate 1-10000]\n");
		return 2;
	}
	req_fd = eventfd(0, 0);
	ans_fd = eventfd(0, 0);
	if (req_fd < 0 || ans_fd < 0 || pipe(work) != 0) {
		perror("reqloop: eventfd");
		return 1;
	}
	pthread_create(&sv, NULL, server_main, NULL);
	pthread_create(&wk, NULL, worker_main, NULL);
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	for (next = t0; now_ns() < end;) {
		struct pollfd pf = {.fd = ans_fd, .events = POLLIN};
		struct timespec ts;

		next += 1000000000ull / (uint64_t)rate;
		if (write(req_fd, &one, sizeof(one)) != sizeof(one))
			perror("reqloop: write");
		poll(&pf, 1, -1);
		if (read(ans_fd, &v, sizeof(v)) != sizeof(v))
			perror("reqloop: read");
		ts.tv_sec = (time_t)(next / 1000000000ull);
		ts.tv_nsec = (long)(next % 1000000000ull);
		if (next > now_ns())
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	if (write(req_fd, &quit, sizeof(quit)) != sizeof(quit))
		perror("reqloop: write");
	pthread_join(sv, NULL);
	pthread_join(wk, NULL);
	printf("truth server_wait_ms %llu\n", (unsigned long long)(server_ns / 1000000ull));
	return 0;
}
