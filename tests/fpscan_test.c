/* Tests of the frame-pointer detection of INFLAME_UNWIND=auto (preload/fpscan.c) on the objects
 * of this very process: this test program is built with frame pointers, Debian's libc without;
 * and on a made-up object whose .eh_frame_hdr lies about its table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fpscan.h"

#include <elf.h>
#include <link.h>
#include <string.h>

struct seen {
	int exe, libc;
	unsigned exe_fp, exe_total, libc_fp, libc_total;
};

static int cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct seen *s = arg;
	unsigned fp, total;
	int r = inflame_fpscan(info, &fp, &total);

	(void)size;
	if (!info->dlpi_name || !info->dlpi_name[0]) {
		if (s->exe == -2) {
			s->exe = r;
			s->exe_fp = fp;
			s->exe_total = total;
		}
	} else if (strstr(info->dlpi_name, "/libc.so")) {
		s->libc = r;
		s->libc_fp = fp;
		s->libc_total = total;
	}
	return 0;
}

static void test_this_process(void **state)
{
	struct seen s = {-2, -2, 0, 0, 0, 0};

	(void)state;
	dl_iterate_phdr(cb, &s);
	print_message("this program: %u of %u entries set up a frame pointer -> %d\n", s.exe_fp,
		      s.exe_total, s.exe);
	print_message("libc: %u of %u -> %d\n", s.libc_fp, s.libc_total, s.libc);
	assert_int_equal(s.exe, 1);
	/* Debian's libc is built without frame pointers; a distribution that builds it with
	 * them (Fedora, Ubuntu 24.04) gives 1, which is right too. */
	assert_true(s.libc == 0 || s.libc == 1);
	if (s.libc == 0)
		assert_true(s.libc_fp * 100 < s.libc_total * INFLAME_FPSCAN_MIN_PERCENT);
}

/* A made-up object: one loaded segment holding an .eh_frame_hdr that claims more entries than
 * it has room for, or has none: "cannot tell", never a read outside the segment. */
static void test_lying_table(void **state)
{
	static uint8_t seg[64] __attribute__((aligned(8)));
	ElfW(Phdr) ph[2];
	struct dl_phdr_info info;
	unsigned fp, total;
	uint32_t count = 1000000;

	(void)state;
	memset(ph, 0, sizeof(ph));
	ph[0].p_type = PT_LOAD;
	ph[0].p_flags = PF_R | PF_X;
	ph[0].p_vaddr = 0;
	ph[0].p_filesz = ph[0].p_memsz = sizeof(seg);
	ph[1].p_type = PT_GNU_EH_FRAME;
	ph[1].p_vaddr = 0;
	ph[1].p_memsz = sizeof(seg);
	memset(&info, 0, sizeof(info));
	info.dlpi_addr = (ElfW(Addr))seg;
	info.dlpi_phdr = ph;
	info.dlpi_phnum = 2;
	memset(seg, 0, sizeof(seg));
	seg[0] = 1;    /* version */
	seg[1] = 0x1b; /* eh_frame_ptr: pcrel sdata4 */
	seg[2] = 0x03; /* fde_count: udata4 */
	seg[3] = 0x3b; /* table: datarel sdata4 */
	memcpy(seg + 8, &count, 4);
	assert_int_equal(inflame_fpscan(&info, &fp, &total), -1);
	count = 0;
	memcpy(seg + 8, &count, 4);
	assert_int_equal(inflame_fpscan(&info, &fp, &total), -1);
	seg[3] = 0x1b; /* a table encoding we do not read */
	assert_int_equal(inflame_fpscan(&info, &fp, &total), -1);
	info.dlpi_phnum = 1; /* no .eh_frame_hdr at all */
	assert_int_equal(inflame_fpscan(&info, &fp, &total), -1);
}

/* Many small functions with frames, so that this program has enough entries to judge. */
#define F(n)                                                                                       \
	__attribute__((noinline)) int f##n(int x)                                                  \
	{                                                                                          \
		volatile int v = x;                                                                \
		return v + n;                                                                      \
	}                                                                                          \
	int f##n(int x) /* a declaration, so that each use ends with a semicolon */
F(1);
F(2);
F(3);
F(4);
F(5);
F(6);
F(7);
F(8);

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_this_process),
	    cmocka_unit_test(test_lying_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) + f1(0) * 0 + f8(0) * 0;
}
