// A C++ program for the demangling test: prints the load bias and the address of a function
// in a namespace, whose symbol is mangled.
#include <cstdio>
#include <link.h>

namespace symtest {
__attribute__((noinline)) int scaled(int x, double f)
{
	return (int)(x * f);
}
} // namespace symtest

static int cb(struct dl_phdr_info *info, size_t, void *)
{
	std::printf("bias 0x%llx\n", (unsigned long long)info->dlpi_addr);
	return 1;
}

int main()
{
	dl_iterate_phdr(cb, nullptr);
	std::printf("scaled %p\n", (void *)&symtest::scaled);
	return symtest::scaled(2, 1.5) == 3 ? 0 : 1;
}
