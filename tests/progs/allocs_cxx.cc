// C++ allocations for the end-to-end allocation tests: every form of operator new and delete
// (plain, array, sized, aligned, nothrow) must reach inflame's malloc-family wrappers through
// libstdc++. Each site allocates a known number of bytes; "keep" sites are never deleted.
#include <cstdio>
#include <cstdlib>
#include <new>

#define NOINLINE __attribute__((noinline))

struct Obj {
	char data[48];
};

struct alignas(64) Wide {
	char data[192];
};

static void *volatile sink;

NOINLINE static void cxx_plain(int n)
{
	for (int i = 0; i < n; i++) {
		Obj *o = new Obj();
		sink = o;
		delete o; // sized delete (C++14)
	}
}

NOINLINE static void cxx_array(int n)
{
	for (int i = 0; i < n; i++) {
		int *a = new int[250]; // 1000 bytes
		sink = a;
		delete[] a;
	}
}

NOINLINE static void cxx_aligned(int n)
{
	for (int i = 0; i < n; i++) {
		Wide *w = new Wide(); // aligned new: 192 bytes, 64-aligned
		if (reinterpret_cast<unsigned long>(w) & 63)
			std::abort();
		sink = w;
		delete w;
	}
}

NOINLINE static void cxx_nothrow(int n)
{
	for (int i = 0; i < n; i++) {
		char *c = new (std::nothrow) char[300];
		sink = c;
		delete[] c;
	}
}

NOINLINE static void cxx_keep(void)
{
	static Obj *kept[10];

	for (int i = 0; i < 10; i++)
		kept[i] = new Obj(); // 480 bytes leaked
	sink = kept;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? std::atoi(argv[1]) : 1000;

	cxx_plain(n);
	cxx_array(n);
	cxx_aligned(n);
	cxx_nothrow(n);
	cxx_keep();
	std::printf("truth cxx_plain %llu\n", 48ull * (unsigned)n);
	std::printf("truth cxx_array %llu\n", 1000ull * (unsigned)n);
	std::printf("truth cxx_aligned %llu\n", 192ull * (unsigned)n);
	std::printf("truth cxx_nothrow %llu\n", 300ull * (unsigned)n);
	std::printf("truth cxx_keep 480\n");
	return 0;
}
