/*
 * A library for tests/unwind_compare_test.c: lazy_entry() calls lazy_target() through its own
 * PLT, bound lazily (built with -z lazy, opened with RTLD_LAZY). lazy_target is an IFUNC, so
 * its resolver runs inside ld.so's lazy-binding trampoline (_dl_runtime_resolve_* calling
 * _dl_fixup calling the resolver), and calls the hook the test set, which walks its own stack
 * from there.
 */
void (*lazy_hook)(void);

static int target_impl(int x)
{
	return x + 1;
}

static void *resolve_target(void)
{
	if (lazy_hook)
		lazy_hook();
	return (void *)target_impl;
}

int lazy_target(int x) __attribute__((ifunc("resolve_target")));

int lazy_entry(int x)
{
	return lazy_target(x) * 2;
}
