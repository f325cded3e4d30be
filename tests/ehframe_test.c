/* Tests of the unwind table builder (preload/ehframe.c): on the objects of this very process
 * (the test program, libc, libstdc++, libm, the dynamic loader), whose every function must
 * start with the rule of a function entry, and on crafted call frame information: each opcode
 * the builder supports gives the rows it must, each form it refuses gives refused rows, and
 * malformed or cut input is counted and never read past its end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "eh_src.h"
#include "ehframe.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ---- the objects of this process ---- */

struct obj {
	const char *want; /* substring of the name; "" for the executable */
	int found;
	unsigned fdes, checked, entry_ok, refused, rows;
	unsigned looked, gaps; /* addresses the one-function lookup answered; between functions */
};

static int same_row(const struct inflame_eh_row *a, const struct inflame_eh_row *b)
{
	return a->kind == b->kind && a->cfa_off == b->cfa_off && a->ra_off == b->ra_off &&
	       a->fp_off == b->fp_off && a->aux == b->aux && a->flags == b->flags;
}

/* The lookup of one function's entry through .eh_frame_hdr (what a walk uses before the table
 * is built) gives the built table's rule at the first and the last address of every row, and
 * nothing between functions. */
static void check_lookup(const struct dl_phdr_info *info, const ElfW(Phdr) * ph,
			 const struct inflame_eh_src *src, const struct inflame_eh_table *t,
			 struct obj *o)
{
	struct inflame_eh_index ix = {(const uint8_t *)(info->dlpi_addr + ph->p_vaddr), ph->p_memsz,
				      ph->p_vaddr, *src};

	for (size_t k = 0; k + 1 < t->n; k++) { /* (the last row is the end: [hi, hi)) */
		uint64_t start = t->lo + t->rows[k].pc, end = t->lo + t->rows[k + 1].pc;
		uint64_t at[2] = {start, end - 1};

		for (int j = 0; j < 2; j++) {
			struct inflame_eh_row row;
			uint64_t lo = 0, hi = 0;
			int rc = inflame_ehframe_lookup(&ix, at[j], &row, &lo, &hi);

			if (t->rows[k].kind == INFLAME_EH_NONE) {
				if (rc != -ENOENT)
					fail_msg("%s at %#llx (row %zu of %zu, between functions): "
						 "lookup %d kind %d [%#llx, %#llx)",
						 o->want, (unsigned long long)at[j], k, t->n, rc,
						 row.kind, (unsigned long long)lo,
						 (unsigned long long)hi);
				o->gaps++;
				continue;
			}
			if (rc != 0)
				fail_msg("%s at %#llx (row %zu of %zu, kind %d): lookup %d",
					 o->want, (unsigned long long)at[j], k, t->n,
					 t->rows[k].kind, rc);
			if (!same_row(&row, &t->rows[k]))
				fail_msg("%s at %#llx: lookup kind %d cfa %d ra %d fp %d, table "
					 "kind %d cfa %d ra %d fp %d",
					 o->want, (unsigned long long)at[j], row.kind, row.cfa_off,
					 row.ra_off, row.fp_off, t->rows[k].kind,
					 t->rows[k].cfa_off, t->rows[k].ra_off, t->rows[k].fp_off);
			assert_true(lo <= at[j] && at[j] < hi);
			o->looked++;
		}
	}
	/* outside every function */
	{
		struct inflame_eh_row row;
		uint64_t lo, hi;

		assert_int_equal(inflame_ehframe_lookup(&ix, t->lo - 1, &row, &lo, &hi), -ENOENT);
	}
}

/* Reads .eh_frame_hdr's sorted table (udata4/sdata4 datarel only, as linkers write it): the
 * start address of every function, to check the row at each entry. */
static void check_entries(const struct dl_phdr_info *info, const ElfW(Phdr) * ph,
			  const struct inflame_eh_table *t, struct obj *o)
{
	const uint8_t *hdr = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
	uint32_t count;
	const int32_t *tab;

	if (hdr[0] != 1 || hdr[2] != 0x03 || hdr[3] != 0x3b)
		return;
	memcpy(&count, hdr + 8, 4);
	tab = (const int32_t *)(hdr + 12);
	for (uint32_t i = 0; i < count; i++) {
		uint64_t fn = ph->p_vaddr + (uint64_t)(int64_t)tab[2 * i];
		const struct inflame_eh_row *r = inflame_ehframe_find(t, fn);

		o->checked++;
		assert_non_null(r);
		assert_true(r->kind != INFLAME_EH_NONE);
		/* At a function's first instruction the return address is at the stack pointer:
		 * CFA = sp + 8, return address at CFA - 8, frame pointer untouched. The signal
		 * trampoline and the PLT have rules of their own. */
		if (r->kind == INFLAME_EH_CFA_SP && r->cfa_off == 8 && r->ra_off == -8 &&
		    r->fp_off == 0)
			o->entry_ok++;
	}
}

static int obj_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct obj *o = arg;
	const char *name = info->dlpi_name ? info->dlpi_name : "";

	(void)size;
	if (o->found || (o->want[0] ? !strstr(name, o->want) : name[0] != 0))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		struct inflame_eh_src src;
		struct inflame_eh_table *t;

		if (ph->p_type != PT_GNU_EH_FRAME)
			continue;
		assert_int_equal(eh_src_of(info, ph, &src), 0);
		assert_int_equal(inflame_ehframe_build(&src, &t), 0);
		/* sorted, each row a change */
		for (size_t k = 1; k < t->n; k++)
			assert_true(t->rows[k - 1].pc < t->rows[k].pc);
		assert_int_equal(t->st.bad, 0);
		o->found = 1;
		o->fdes = t->st.fdes;
		o->refused = t->st.refused;
		o->rows = (unsigned)t->n;
		check_entries(info, ph, t, o);
		check_lookup(info, ph, &src, t, o);
		inflame_ehframe_free(t);
		return 1;
	}
	return 0;
}

static void one_object(const char *want)
{
	struct obj o = {want, 0, 0, 0, 0, 0, 0, 0, 0};

	dl_iterate_phdr(obj_cb, &o);
	assert_true(o.found);
	print_message("%-14s %5u functions, %6u rows, %3u refused; %u of %u entries start with "
		      "the entry rule; lookups %u, %u between functions\n",
		      want[0] ? want : "(this program)", o.fdes, o.rows, o.refused, o.entry_ok,
		      o.checked, o.looked, o.gaps);
	assert_true(o.looked >= o.rows);
	assert_true(o.fdes > 0 && o.checked > 0);
	/* Nearly every function entry has the entry rule: not the PLT, the signal trampoline,
	 * and the split-off cold parts of functions (foo.cold, whose first row is the rule of
	 * the frame they jump from); refused rows are rare. */
	assert_true(o.entry_ok * 100 >= o.checked * 90);
	assert_true(o.refused * 100 <= o.rows);
}

static void test_this_program(void **state)
{
	(void)state;
	one_object("");
}

static void test_libc(void **state)
{
	(void)state;
	one_object("/libc.so");
}

static void test_libm(void **state)
{
	void *h = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);

	(void)state;
	assert_non_null(h);
	one_object("/libm.so");
	dlclose(h);
}

static void test_loader(void **state)
{
	(void)state;
	one_object("/ld-linux");
}

static void test_libstdcxx(void **state)
{
	void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);

	(void)state;
	if (!h) {
		print_message("libstdc++.so.6 not installed\n");
		skip();
	}
	one_object("/libstdc++.so");
	dlclose(h);
}

/* ---- crafted call frame information ---- */

struct buf {
	uint8_t b[1024];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void put_u32(struct buf *b, uint32_t v)
{
	put(b, &v, 4);
}

static void put_u64(struct buf *b, uint64_t v)
{
	put(b, &v, 8);
}

#define OPS(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

/* A CIE (x86_64 style: code 1, data -8, return address r16) with augmentation aug ("zR" with
 * absolute 8-byte pointers, or "zRS"), then its initial program: CFA = rsp + 8, return address
 * at CFA - 8. Returns its offset. */
static size_t cie(struct buf *b, const char *aug, int debug_frame)
{
	size_t at = b->n, len_at;
	static const uint8_t init[] = {0x0c, 0x07, 0x08, 0x90, 0x01};

	len_at = b->n;
	put_u32(b, 0);
	put_u32(b, debug_frame ? 0xffffffffu : 0);
	put(b, OPS(1));
	put(b, aug, strlen(aug) + 1);
	put(b, OPS(1, 0x78, 16));
	if (aug[0] == 'z')
		put(b, OPS(1, 0x00)); /* augmentation data: R = absptr */
	put(b, init, sizeof(init));
	while ((b->n - at) % 8 != 4)
		put(b, OPS(0));
	{
		uint32_t len = (uint32_t)(b->n - len_at - 4);

		memcpy(b->b + len_at, &len, 4);
	}
	return at;
}

static void fde(struct buf *b, size_t cie_at, uint64_t pc, uint64_t range, const uint8_t *ops,
		size_t nops, int debug_frame)
{
	size_t len_at = b->n;
	uint32_t len;

	put_u32(b, 0);
	put_u32(b, debug_frame ? (uint32_t)cie_at : (uint32_t)(b->n - cie_at));
	put_u64(b, pc);
	put_u64(b, range);
	if (!debug_frame)
		put(b, OPS(0)); /* no augmentation data */
	put(b, ops, nops);
	len = (uint32_t)(b->n - len_at - 4);
	memcpy(b->b + len_at, &len, 4);
}

static struct inflame_eh_table *build(struct buf *b, int debug_frame)
{
	struct inflame_eh_src src = {b->b, b->n, 0x10000, debug_frame, INFLAME_EH_X86_64};
	struct inflame_eh_table *t = NULL;

	assert_int_equal(inflame_ehframe_build(&src, &t), 0);
	return t;
}

static struct inflame_eh_table *one_fde(const uint8_t *ops, size_t nops)
{
	struct buf b = {{0}, 0};
	size_t c = cie(&b, "zR", 0);

	fde(&b, c, 0x1000, 0x100, ops, nops, 0);
	put_u32(&b, 0); /* terminator */
	return build(&b, 0);
}

static void expect(const struct inflame_eh_table *t, uint64_t pc, int kind, int32_t cfa_off,
		   int16_t ra_off, int16_t fp_off)
{
	const struct inflame_eh_row *r = inflame_ehframe_find(t, pc);

	assert_non_null(r);
	assert_int_equal(r->kind, kind);
	if (kind <= INFLAME_EH_PLT) {
		assert_int_equal(r->cfa_off, cfa_off);
		assert_int_equal(r->ra_off, ra_off);
		assert_int_equal(r->fp_off, fp_off);
	}
}

/* The usual prologue and epilogue: push %rbp; mov %rsp,%rbp; ...; pop %rbp; ret.
 * DW_CFA_advance_loc, def_cfa_offset, offset, def_cfa_register, def_cfa, restore. */
static void test_prologue(void **state)
{
	struct inflame_eh_table *t = one_fde(
	    OPS(0x41, 0x0e, 0x10, 0x86, 0x02, 0x43, 0x0d, 0x06, 0x4a, 0x0c, 0x07, 0x08, 0xc6));

	(void)state;
	expect(t, 0x1000, INFLAME_EH_CFA_SP, 8, -8, 0);
	expect(t, 0x1001, INFLAME_EH_CFA_SP, 16, -8, -16);
	expect(t, 0x1003, INFLAME_EH_CFA_SP, 16, -8, -16);
	expect(t, 0x1004, INFLAME_EH_CFA_FP, 16, -8, -16);
	expect(t, 0x100e, INFLAME_EH_CFA_SP, 8, -8, 0); /* restored at the same location */
	expect(t, 0x10ff, INFLAME_EH_CFA_SP, 8, -8, 0);
	assert_null(inflame_ehframe_find(t, 0x1100));
	assert_null(inflame_ehframe_find(t, 0xfff));
	assert_int_equal(t->st.refused, 0);
	assert_int_equal(t->st.bad, 0);
	inflame_ehframe_free(t);
}

/* DW_CFA_advance_loc1/2/4, set_loc, nop, GNU_args_size. */
static void test_advances(void **state)
{
	struct inflame_eh_table *t = one_fde(
	    OPS(0x00, 0x02, 0x10, 0x0e, 0x10, 0x2e, 0x08, 0x03, 0x10, 0x00, 0x0e, 0x18, 0x04, 0x10,
		0x00, 0x00, 0x00, 0x0e, 0x20, 0x01, 0xf0, 0x10, 0, 0, 0, 0, 0, 0, 0x0e, 0x28));

	(void)state;
	expect(t, 0x100f, INFLAME_EH_CFA_SP, 8, -8, 0);
	expect(t, 0x1010, INFLAME_EH_CFA_SP, 16, -8, 0);
	expect(t, 0x101f, INFLAME_EH_CFA_SP, 16, -8, 0);
	expect(t, 0x1020, INFLAME_EH_CFA_SP, 24, -8, 0);
	expect(t, 0x1030, INFLAME_EH_CFA_SP, 32, -8, 0);
	expect(t, 0x10f0, INFLAME_EH_CFA_SP, 40, -8, 0);
	assert_int_equal(t->st.bad, 0);
	inflame_ehframe_free(t);
}

/* DW_CFA_remember_state / restore_state around an early return. */
static void test_remember(void **state)
{
	struct inflame_eh_table *t = one_fde(
	    OPS(0x41, 0x0e, 0x10, 0x86, 0x02, 0x0a, 0x41, 0x0e, 0x08, 0xc6, 0x41, 0x0b, 0x41));

	(void)state;
	expect(t, 0x1001, INFLAME_EH_CFA_SP, 16, -8, -16);
	expect(t, 0x1002, INFLAME_EH_CFA_SP, 8, -8, 0);
	expect(t, 0x1003, INFLAME_EH_CFA_SP, 16, -8, -16);
	assert_int_equal(t->st.bad, 0);
	inflame_ehframe_free(t);
}

/* DW_CFA_offset_extended, offset_extended_sf, restore_extended, def_cfa_sf,
 * def_cfa_offset_sf, same_value, GNU_negative_offset_extended. */
static void test_extended(void **state)
{
	struct inflame_eh_table *t = one_fde(
	    OPS(0x05, 0x06, 0x03, 0x41, 0x11, 0x06, 0x7c, 0x41, 0x06, 0x06, 0x41, 0x12, 0x06, 0x7e,
		0x41, 0x13, 0x7d, 0x41, 0x0c, 0x07, 0x08, 0x2f, 0x06, 0x02, 0x41, 0x08, 0x06));

	(void)state;
	expect(t, 0x1000, INFLAME_EH_CFA_SP, 8, -8, -24);
	expect(t, 0x1001, INFLAME_EH_CFA_SP, 8, -8, 32); /* sf: -4 * -8 */
	expect(t, 0x1002, INFLAME_EH_CFA_SP, 8, -8, 0);
	expect(t, 0x1003, INFLAME_EH_CFA_FP, 16, -8, 0); /* def_cfa_sf r6, -2 * -8 */
	expect(t, 0x1004, INFLAME_EH_CFA_FP, 24, -8, 0);
	expect(t, 0x1005, INFLAME_EH_CFA_SP, 8, -8, 16); /* negative: -(2 * -8) */
	expect(t, 0x1006, INFLAME_EH_CFA_SP, 8, -8, 0);
	assert_int_equal(t->st.bad, 0);
	inflame_ehframe_free(t);
}

/* DW_CFA_undefined of the return address: the outermost frame. */
static void test_root(void **state)
{
	struct inflame_eh_table *t = one_fde(OPS(0x07, 0x10));

	(void)state;
	expect(t, 0x1000, INFLAME_EH_ROOT, 0, 0, 0);
	inflame_ehframe_free(t);
}

/* ld.so's lazy-binding trampoline (_dl_runtime_resolve_xsavec): rbx saved at CFA - 56, then
 * the CFA defined as rbx + 56 (the stack pointer was aligned down); a CFA based on r12; rbx
 * moved to another register (lost in the caller, the row stays usable). */
static void test_cfa_reg(void **state)
{
	struct inflame_eh_table *t =
	    one_fde(OPS(0x44, 0x0e, 0x38, 0x83, 0x07, 0x48, 0x0d, 0x03, 0x50, 0x0c, 0x0c, 0x10,
			0x44, 0x09, 0x03, 0x00, 0x44, 0xc3));
	const struct inflame_eh_row *r;

	(void)state;
	expect(t, 0x1000, INFLAME_EH_CFA_SP, 8, -8, 0);
	assert_int_equal(inflame_ehframe_find(t, 0x1000)->bx_off, 0);
	expect(t, 0x1004, INFLAME_EH_CFA_SP, 56, -8, 0);
	assert_int_equal(inflame_ehframe_find(t, 0x1004)->bx_off, -7);
	r = inflame_ehframe_find(t, 0x100c);
	assert_non_null(r);
	assert_int_equal(r->kind, INFLAME_EH_CFA_REG);
	assert_int_equal(r->aux, 3);
	assert_int_equal(r->cfa_off, 56);
	assert_int_equal(r->ra_off, -8);
	assert_int_equal(r->bx_off, -7);
	r = inflame_ehframe_find(t, 0x101c);
	assert_int_equal(r->kind, INFLAME_EH_CFA_REG);
	assert_int_equal(r->aux, 12);
	assert_int_equal(r->cfa_off, 16);
	assert_int_equal(r->bx_off, -7);
	r = inflame_ehframe_find(t, 0x1020);
	assert_int_equal(r->kind, INFLAME_EH_CFA_REG);
	assert_int_equal(r->bx_off, INFLAME_EH_BX_LOST);
	r = inflame_ehframe_find(t, 0x1024); /* restore: rbx unchanged again */
	assert_int_equal(r->kind, INFLAME_EH_CFA_REG);
	assert_int_equal(r->bx_off, 0);
	assert_int_equal(t->st.refused, 0);
	inflame_ehframe_free(t);
}

/* Forms the table refuses: a CFA expression, a CFA in another register, the return address
 * or frame pointer in a register, by expression, or as a value. */
static void test_refused(void **state)
{
	const struct {
		const uint8_t *ops;
		size_t n;
	} cases[] = {
	    {OPS(0x0f, 0x03, 0x77, 0x08, 0x06)}, /* def_cfa_expression */
	    {OPS(0x0c, 0x11, 0x00)},		 /* def_cfa xmm0 (not a general register) */
	    {OPS(0x09, 0x10, 0x03)},		 /* register: ra in rbx */
	    {OPS(0x10, 0x06, 0x02, 0x76, 0x00)}, /* expression: rbp */
	    {OPS(0x16, 0x10, 0x02, 0x77, 0x00)}, /* val_expression: ra */
	    {OPS(0x14, 0x06, 0x02)},		 /* val_offset: rbp */
	    {OPS(0x15, 0x10, 0x7f)},		 /* val_offset_sf: ra */
	    {OPS(0x0f, 0x01, 0x96, 0x0d, 0x07)}, /* expression, then def_cfa_register */
	    {OPS(0x08, 0x10)},			 /* same_value: ra (x86_64) */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct inflame_eh_table *t = one_fde(cases[i].ops, cases[i].n);

		print_message("case %zu\n", i);
		expect(t, 0x1000, INFLAME_EH_REFUSED, 0, 0, 0);
		assert_int_equal(t->st.refused, 1);
		assert_int_equal(t->st.bad, 0);
		inflame_ehframe_free(t);
	}
}

/* Opcodes that cannot be read: the rest of the function is refused and the entry counted. */
static void test_unknown_opcode(void **state)
{
	struct inflame_eh_table *t = one_fde(OPS(0x41, 0x0e, 0x10, 0x42, 0x3f, 0x0e, 0x20));

	(void)state;
	expect(t, 0x1000, INFLAME_EH_CFA_SP, 8, -8, 0);
	expect(t, 0x1001, INFLAME_EH_CFA_SP, 16, -8, 0);
	expect(t, 0x1003, INFLAME_EH_REFUSED, 0, 0, 0);
	assert_int_equal(t->st.bad, 1);
	inflame_ehframe_free(t);
	/* restore_state with nothing remembered; a remember_state stack overflow */
	t = one_fde(OPS(0x0b));
	expect(t, 0x1000, INFLAME_EH_REFUSED, 0, 0, 0);
	assert_int_equal(t->st.bad, 1);
	inflame_ehframe_free(t);
	t = one_fde(OPS(0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
			0x0a, 0x0a, 0x0a, 0x0a, 0x0a));
	assert_int_equal(t->st.bad, 1);
	inflame_ehframe_free(t);
}

/* The lazy PLT's CFA expression, and a signal trampoline's CIE ('S'). */
static void test_plt_and_signal(void **state)
{
	struct buf b = {{0}, 0};
	size_t c = cie(&b, "zR", 0), s;
	struct inflame_eh_table *t;
	const struct inflame_eh_row *r;

	(void)state;
	fde(&b, c, 0x1000, 0x40,
	    OPS(0x0e, 0x10, 0x46, 0x0e, 0x18, 0x4a, 0x0f, 0x0b, 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a,
		0x3b, 0x2a, 0x33, 0x24, 0x22),
	    0);
	s = cie(&b, "zRS", 0);
	fde(&b, s, 0x2000, 0x10, OPS(0x0f, 0x03, 0x77, 0x08, 0x06), 0);
	put_u32(&b, 0);
	t = build(&b, 0);
	expect(t, 0x1000, INFLAME_EH_CFA_SP, 16, -8, 0);
	expect(t, 0x1006, INFLAME_EH_CFA_SP, 24, -8, 0);
	r = inflame_ehframe_find(t, 0x1010);
	assert_non_null(r);
	assert_int_equal(r->kind, INFLAME_EH_PLT);
	assert_int_equal(r->cfa_off, 8);
	assert_int_equal(r->aux, 11);
	expect(t, 0x2000, INFLAME_EH_SIGNAL, 0, 0, 0);
	/* the gap between the two is no rule */
	expect(t, 0x1040, INFLAME_EH_NONE, 0, 0, 0);
	assert_int_equal(t->st.signal, 1);
	inflame_ehframe_free(t);
}

/* Two functions back to back, given out of order: the second's first row replaces the first
 * one's end marker, and the table is sorted. */
static void test_adjacent(void **state)
{
	struct buf b = {{0}, 0};
	size_t c = cie(&b, "zR", 0);
	struct inflame_eh_table *t;

	(void)state;
	fde(&b, c, 0x1100, 0x10, OPS(0x41, 0x0e, 0x20), 0);
	fde(&b, c, 0x1000, 0x100, OPS(0x41, 0x0e, 0x10), 0);
	put_u32(&b, 0);
	t = build(&b, 0);
	expect(t, 0x10ff, INFLAME_EH_CFA_SP, 16, -8, 0);
	expect(t, 0x1100, INFLAME_EH_CFA_SP, 8, -8, 0);
	expect(t, 0x1101, INFLAME_EH_CFA_SP, 32, -8, 0);
	assert_null(inflame_ehframe_find(t, 0x1110));
	assert_int_equal(t->st.fdes, 2);
	inflame_ehframe_free(t);
}

/* .debug_frame: CIE ids of all ones, FDEs naming their CIE by its section offset. */
static void test_debug_frame(void **state)
{
	struct buf b = {{0}, 0};
	size_t c = cie(&b, "", 1);
	struct inflame_eh_table *t;

	(void)state;
	fde(&b, c, 0x4000, 0x20, OPS(0x41, 0x0e, 0x10, 0x86, 0x02), 1);
	t = build(&b, 1);
	expect(t, 0x4000, INFLAME_EH_CFA_SP, 8, -8, 0);
	expect(t, 0x4001, INFLAME_EH_CFA_SP, 16, -8, -16);
	assert_int_equal(t->st.fdes, 1);
	inflame_ehframe_free(t);
}

/* Input cut at every length, and lengths that lie, in a buffer ending at an unmapped page:
 * reading never goes past the end (it would fault), and a cut entry is counted. */
static void test_cut(void **state)
{
	struct buf b = {{0}, 0};
	size_t c = cie(&b, "zR", 0);
	long page = 4096;
	uint8_t *m = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + page, (size_t)page, PROT_NONE), 0);
	fde(&b, c, 0x1000, 0x100, OPS(0x41, 0x0e, 0x10, 0x86, 0x02, 0x0f, 0x03, 0x77, 0x08, 0x06),
	    0);
	for (size_t cut = 0; cut <= b.n; cut++) {
		struct inflame_eh_src src = {m + page - cut, cut, 0, 0, INFLAME_EH_X86_64};
		struct inflame_eh_table *t = NULL;
		int r;

		memcpy(m + page - cut, b.b, cut);
		r = inflame_ehframe_build(&src, &t);
		assert_true(r == 0 || r == -ENOENT);
		if (r == 0) {
			assert_true(cut == b.n);
			inflame_ehframe_free(t);
		}
	}
	/* a length running past the end */
	{
		uint32_t big = 0x7fffffff;
		struct inflame_eh_src src = {m + page - b.n, b.n, 0, 0, INFLAME_EH_X86_64};
		struct inflame_eh_table *t = NULL;

		memcpy(m + page - b.n, b.b, b.n);
		memcpy(m + page - b.n, &big, 4);
		assert_int_equal(inflame_ehframe_build(&src, &t), -ENOENT);
	}
	munmap(m, (size_t)page * 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_this_program),
	    cmocka_unit_test(test_libc),
	    cmocka_unit_test(test_libm),
	    cmocka_unit_test(test_loader),
	    cmocka_unit_test(test_libstdcxx),
	    cmocka_unit_test(test_prologue),
	    cmocka_unit_test(test_advances),
	    cmocka_unit_test(test_remember),
	    cmocka_unit_test(test_extended),
	    cmocka_unit_test(test_root),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_cfa_reg),
	    cmocka_unit_test(test_unknown_opcode),
	    cmocka_unit_test(test_plt_and_signal),
	    cmocka_unit_test(test_adjacent),
	    cmocka_unit_test(test_debug_frame),
	    cmocka_unit_test(test_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
