/*
 * A server-like workload that spends most of its CPU time in the kernel: two threads pass a
 * small message back and forth over a socket pair (argv[1] round trips, default 100000), as a
 * client and a server do over a local connection (pgbench and postgres, ab and lighttpd). Each
 * thread blocks in read() until the other writes. Prints the round trips made.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int rounds = 100000;

/* Echoes every message back until the other end closes. */
static void *server(void *arg)
{
	int fd = *(int *)arg;
	char b[64];
	ssize_t n;

	while ((n = read(fd, b, sizeof(b))) > 0)
		if (write(fd, b, (size_t)n) != n)
			break;
	return NULL;
}

int main(int argc, char **argv)
{
	char b[64] = "ping";
	int sv[2], done = 0;
	pthread_t t;

	if (argc > 1)
		rounds = atoi(argv[1]);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    pthread_create(&t, NULL, server, &sv[1]) != 0)
		return 1;
	for (; done < rounds; done++)
		if (write(sv[0], b, sizeof(b)) != (ssize_t)sizeof(b) ||
		    read(sv[0], b, sizeof(b)) != (ssize_t)sizeof(b))
			break;
	close(sv[0]);
	pthread_join(t, NULL);
	printf("%d round trips\n", done);
	return done == rounds ? 0 : 1;
}
