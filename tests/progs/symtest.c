/*
 * A program with known functions for the symbolizer tests. It prints, one per line, the load
 * bias of the main program, the range of its executable segments, its build-id, the address
 * of each known function, and a return address inside an inlined function, then exits.
 * Some functions carry the names other compilers give (Rust's legacy and v0 manglings, LLVM's
 * ".llvm.N" suffix), and one has aliases, for the reader's naming rules.
 */

#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void *inlined_ret, *nested_ret;

__attribute__((noinline)) static void record_return(void)
{
	inlined_ret = __builtin_return_address(0);
}

__attribute__((noinline)) static void record_nested(void)
{
	nested_ret = __builtin_return_address(0);
}

static inline __attribute__((always_inline)) void symtest_inlined(void)
{
	record_return();
	/* Keeps the call from becoming a tail call at any optimization level. */
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void symtest_outer(void)
{
	symtest_inlined();
	__asm__ volatile("" ::: "memory");
}

/* Two levels of inlining: symtest_inner into symtest_middle into symtest_nest. */
static inline __attribute__((always_inline)) void symtest_inner(void)
{
	record_nested();
	__asm__ volatile("" ::: "memory");
}

static inline __attribute__((always_inline)) void symtest_middle(void)
{
	symtest_inner();
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void symtest_nest(void)
{
	symtest_middle();
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) int symtest_alpha(int x)
{
	return x * 3 + 1;
}

__attribute__((noinline, noclone)) static int symtest_beta(int x)
{
	return symtest_alpha(x) + 2;
}

/* As rustc names symtest::rust::legacy, symtest::rust::v0 and a ThinLTO-promoted
 * symtest::rust::llvm; a C function promoted by ThinLTO. */
int symtest_rust_legacy(int x) __asm__("_ZN7symtest4rust6legacy17h0123456789abcdefE");
int symtest_rust_v0(int x) __asm__("_RNvNtCs1234_7symtest4rust2v0");
int symtest_rust_llvm(int x) __asm__("_ZN7symtest4rust4llvm17h0123456789abcdefE.llvm.4242");
int symtest_c_llvm(int x) __asm__("symtest_c_llvm.llvm.1234567");

__attribute__((noinline)) int symtest_rust_legacy(int x)
{
	return x + 5;
}

__attribute__((noinline)) int symtest_rust_v0(int x)
{
	return x + 6;
}

__attribute__((noinline)) int symtest_rust_llvm(int x)
{
	return x + 7;
}

__attribute__((noinline)) int symtest_c_llvm(int x)
{
	return x + 8;
}

/* One function, five names: the reader shows, as perf does, the global one with the fewest
 * leading underscores and, among those, the longest ("symtest_gamma"). */
__attribute__((noinline)) int symtest_gamma(int x)
{
	return x * 5;
}
int __symtest_gamma(int x) __attribute__((alias("symtest_gamma")));
int symtest_g(int x) __attribute__((alias("symtest_gamma")));
int gamma_w(int x) __attribute__((weak, alias("symtest_gamma")));
static int symtest_gamma_local(int x) __attribute__((alias("symtest_gamma"), used));

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	(void)size;
	(void)arg;
	if (info->dlpi_name && info->dlpi_name[0])
		return 0; /* only the main program, which comes first with an empty name */
	printf("bias 0x%llx\n", (unsigned long long)info->dlpi_addr);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			uint64_t a = info->dlpi_addr + ph->p_vaddr;

			if (a < lo)
				lo = a;
			if (a + ph->p_memsz > hi)
				hi = a + ph->p_memsz;
		}
		if (ph->p_type == PT_NOTE) {
			const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
			const char *end = p + ph->p_memsz;

			while (p + sizeof(ElfW(Nhdr)) <= end) {
				const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
				const unsigned char *desc = (const unsigned char *)p + sizeof(*nh) +
							    ((nh->n_namesz + 3) & ~3u);

				if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
				    !memcmp(p + sizeof(*nh), "GNU", 4)) {
					printf("buildid ");
					for (unsigned j = 0; j < nh->n_descsz; j++)
						printf("%02x", desc[j]);
					printf("\n");
				}
				p = (const char *)desc + ((nh->n_descsz + 3) & ~3u);
			}
		}
	}
	printf("lo 0x%llx\nhi 0x%llx\n", (unsigned long long)lo, (unsigned long long)hi);
	return 1;
}

int main(void)
{
	symtest_outer();
	symtest_nest();
	dl_iterate_phdr(phdr_cb, NULL);
	printf("alpha %p\nbeta %p\nouter %p\ninlined_ret %p\n", (void *)symtest_alpha,
	       (void *)symtest_beta, (void *)symtest_outer, inlined_ret);
	printf("nested_ret %p\n", nested_ret);
	printf("rust_legacy %p\nrust_v0 %p\nrust_llvm %p\nc_llvm %p\ngamma %p\n",
	       (void *)symtest_rust_legacy, (void *)symtest_rust_v0, (void *)symtest_rust_llvm,
	       (void *)symtest_c_llvm, (void *)symtest_gamma);
	return symtest_beta(0) == 3 ? 0 : 1;
}
