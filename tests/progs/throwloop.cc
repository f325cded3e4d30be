// e2e workload for the DWARF unwinder's stress test: threads that throw and catch C++
// exceptions in a loop (the exception unwinder takes its own locks and walks the loader's
// list of objects) while the profiler samples them. Prints which library unwinds the
// exceptions (the profiler must not change it: libunwind, which inflame uses, has its own
// _Unwind_RaiseException) and the number of exceptions caught.
#include <dlfcn.h>
#include <pthread.h>
#include <stdexcept>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) static void thrower(int depth)
{
	if (depth == 0)
		throw std::runtime_error("x");
	thrower(depth - 1);
	sink = sink + 1;
}

static void *loop(void *p)
{
	long n = (long)p, caught = 0;

	for (long i = 0; i < n; i++) {
		try {
			thrower((int)(i % 16));
		} catch (const std::exception &) {
			caught++;
		}
	}
	return (void *)caught;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000, total = 0;
	pthread_t t[4];
	Dl_info info;
	void *raise_fn = dlsym(RTLD_DEFAULT, "_Unwind_RaiseException");
	const char *lib = "?";

	if (raise_fn && dladdr(raise_fn, &info) && info.dli_fname) {
		lib = strrchr(info.dli_fname, '/');
		lib = lib ? lib + 1 : info.dli_fname;
	}
	printf("_Unwind_RaiseException from %s\n", lib);

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, loop, (void *)n);
	for (int i = 0; i < 4; i++) {
		void *r;

		pthread_join(t[i], &r);
		total += (long)r;
	}
	printf("caught %ld\n", total);
	return 0;
}
