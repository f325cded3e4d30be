// Allocations made by the C++ standard library on the program's behalf (libstdc++ is built
// without frame pointers): std::string growth in build_strings, std::vector growth in
// build_vectors. For tests/e2e_roots_test.c, which checks their stacks reach main and _start.
#include <cstdio>
#include <string>
#include <vector>

#define NOINLINE __attribute__((noinline))

static volatile size_t sink;

extern "C" NOINLINE void build_strings(int n)
{
	for (int i = 0; i < n; i++) {
		std::string s;

		for (int j = 0; j < 40; j++)
			s += "a string that outgrows the small buffer ";
		sink = sink + s.size();
	}
}

extern "C" NOINLINE void build_vectors(int n)
{
	for (int i = 0; i < n; i++) {
		std::vector<long> v;

		for (long j = 0; j < 1000; j++)
			v.push_back(j);
		sink = sink + v.size();
	}
}

int main(int argc, char **)
{
	build_strings(999 + argc);
	build_vectors(999 + argc);
	std::printf("done\n");
	return 0;
}
