/* A server's shape: started as root, it drops to nobody, then starts a worker thread that
 * burns CPU (tests/cpu_kernel_drop_test.sh). Prints "done" and exits 0; 1 when it cannot
 * drop its privileges (not root). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static volatile double sink;

static void *burn(void *arg)
{
	double s = 0;

	for (long i = 1; i < 200000000L; i++)
		s += 1.0 / (double)i;
	sink = s;
	return arg;
}

int main(void)
{
	pthread_t t;

	if (setgid(65534) != 0 || setuid(65534) != 0) {
		perror("setuid");
		return 1;
	}
	if (pthread_create(&t, NULL, burn, NULL) != 0)
		return 1;
	pthread_join(t, NULL);
	printf("done\n");
	return 0;
}
