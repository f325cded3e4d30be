/*
 * A preloaded library whose constructor turns the cpuid instruction into a fault for the rest of
 * the process (arch_prctl ARCH_SET_CPUID, where the processor and the kernel can): a cpuid made
 * afterwards kills the process with SIGSEGV. Loaded after libinflame.so, its constructor runs
 * before inflame's. Prints "nocpuid: unsupported" on stderr where cpuid cannot fault.
 */
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef ARCH_SET_CPUID
#define ARCH_SET_CPUID 0x1012
#endif

__attribute__((constructor)) static void no_cpuid(void)
{
	static const char msg[] = "nocpuid: unsupported\n";

	if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0 && write(2, msg, sizeof(msg) - 1) < 0)
		return;
}
