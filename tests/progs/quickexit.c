/*
 * A program that ends at once through _exit, with the status given as its first argument (0
 * without one): no destructor runs, and nothing follows inflame's end of the image but the
 * exit_group system call (tests/bareend_test.sh).
 */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	_exit(argc > 1 ? atoi(argv[1]) : 0);
}
