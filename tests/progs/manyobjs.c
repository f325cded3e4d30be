/*
 * Loads each object named on its command line (dlopen), then spins MS milliseconds of CPU in
 * inflame_test_spin() of the last one: the objects of a process that lists more than the
 * module map's first arrays hold (preload/modules.c), with the work in the one listed last.
 *
 * Usage: manyobjs MS OBJECT... (prints the spin's result).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	unsigned long (*spin)(double) = NULL;
	void *h = NULL;

	if (argc < 3) {
		fprintf(stderr, "usage: manyobjs MS OBJECT...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			fprintf(stderr, "manyobjs: %s\n", dlerror());
			return 1;
		}
	}
	*(void **)&spin = dlsym(h, "inflame_test_spin");
	if (!spin) {
		fprintf(stderr, "manyobjs: no inflame_test_spin in %s\n", argv[argc - 1]);
		return 1;
	}
	printf("%lu\n", spin(atof(argv[1])));
	return 0;
}
