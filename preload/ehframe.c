/*
 * The call frame information reader and table builder (ehframe.h). It owns the decoding of
 * CIEs and FDEs, the interpretation of their call frame programs into rows, and the sorted
 * table built from those rows.
 *
 * The interpreter tracks only what a walk needs: the CFA rule, and the rules of the return
 * address, of the frame pointer and (x86_64) of rbx, which ld.so's lazy-binding trampoline
 * bases its CFA on. Rules of other registers are read and dropped. A row whose CFA is an
 * expression, or is based on a register that is not a general one, or whose return address or
 * frame pointer rule is neither "saved at CFA + N" nor "unchanged", is a refused row; an rbx
 * rule of another form only marks rbx as lost. Two
 * expressions are recognised because the linker and the C library emit them everywhere: the
 * lazy PLT entry's CFA and the signal trampoline (a CIE with the 'S' augmentation).
 *
 * Every read is checked against the end of the entry it belongs to; an entry that does not fit
 * is skipped and counted. The builder collects rows in an mmap'd array, sorts them (heapsort:
 * no allocation, no recursion), keeps one row per address (a function's first row wins over the
 * end marker of the one before it) and drops rows that repeat the rule before them.
 */
#include "ehframe.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/* DWARF pointer encodings. */
#define PE_ABSPTR   0x00
#define PE_ULEB128  0x01
#define PE_UDATA2   0x02
#define PE_UDATA4   0x03
#define PE_UDATA8   0x04
#define PE_SLEB128  0x09
#define PE_SDATA2   0x0a
#define PE_SDATA4   0x0b
#define PE_SDATA8   0x0c
#define PE_PCREL    0x10
#define PE_DATAREL  0x30
#define PE_INDIRECT 0x80
#define PE_OMIT	    0xff

/* A bounded byte reader: p moves towards end; err is set by any read past it. */
struct rd {
	const uint8_t *p, *end;
	int err;
};

static uint64_t rd_fixed(struct rd *r, size_t n)
{
	uint64_t v = 0;

	if (r->err || (size_t)(r->end - r->p) < n) {
		r->err = 1;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i); /* little-endian targets only */
	r->p += n;
	return v;
}

static uint64_t rd_uleb(struct rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;

	for (;;) {
		uint8_t b;

		if (r->err || r->p >= r->end) {
			r->err = 1;
			return 0;
		}
		b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
}

static int64_t rd_sleb(struct rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		if (r->err || r->p >= r->end) {
			r->err = 1;
			return 0;
		}
		b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= ~(uint64_t)0 << shift;
	return (int64_t)v;
}

/* A pointer of encoding enc; base is the link-time address of the reader's data[0]. */
static uint64_t rd_ptr(struct rd *r, unsigned enc, const uint8_t *data, uint64_t base)
{
	uint64_t at = base + (uint64_t)(r->p - data), v;

	if (enc == PE_OMIT)
		return 0;
	switch (enc & 0x0f) {
	case PE_ABSPTR:
	case PE_UDATA8:
	case PE_SDATA8:
		v = rd_fixed(r, 8);
		break;
	case PE_ULEB128:
		v = rd_uleb(r);
		break;
	case PE_UDATA2:
		v = rd_fixed(r, 2);
		break;
	case PE_SDATA2:
		v = (uint64_t)(int64_t)(int16_t)rd_fixed(r, 2);
		break;
	case PE_UDATA4:
		v = rd_fixed(r, 4);
		break;
	case PE_SDATA4:
		v = (uint64_t)(int64_t)(int32_t)rd_fixed(r, 4);
		break;
	case PE_SLEB128:
		v = (uint64_t)rd_sleb(r);
		break;
	default:
		r->err = 1;
		return 0;
	}
	switch (enc & 0x70) {
	case 0:
		break;
	case PE_PCREL:
		v += at;
		break;
	default:
		/* textrel, datarel, funcrel, aligned: not used in .eh_frame by the toolchains
		 * we read (datarel only in .eh_frame_hdr) */
		r->err = 1;
		return 0;
	}
	return v;
}

/* v * f, or a value no row can hold when that overflows. */
static int64_t factored(int64_t v, int64_t f)
{
	int64_t out;

	return __builtin_mul_overflow(v, f, &out) ? INT64_MAX : out;
}

/* Register numbers, per architecture. */
struct regs {
	unsigned sp, fp, ra, bx; /* bx: tracked for the walk; ~0u: none */
	unsigned general;	 /* registers [0, general) are general ones */
};

static const struct regs arch_regs[] = {
    [INFLAME_EH_X86_64] = {7, 6, 16, 3, 16},
    [INFLAME_EH_AARCH64] = {31, 29, 30, ~0u, 31},
};

/* A register rule, as far as the table cares. */
enum rule {
	R_SAME = 0, /* unchanged (also: not mentioned) */
	R_UNDEF,    /* undefined */
	R_OFFSET,   /* saved at CFA + off */
	R_OTHER,    /* anything else */
};

struct regrule {
	uint8_t how;
	int32_t off;
};

/* The CFA rule. */
enum cfa {
	C_REG = 0, /* register + offset */
	C_PLT,	   /* the lazy PLT expression, threshold in plt */
	C_EXPR,	   /* any other expression */
};

struct state {
	uint8_t cfa_how, plt;
	uint32_t cfa_reg;
	int64_t cfa_off;
	struct regrule ra, fp, bx;
	uint8_t ra_signed;
};

#define STATE_STACK 16

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint32_t ra_reg;
	uint8_t fde_enc, lsda_enc, signal, has_z;
	const uint8_t *insns, *insns_end;
};

/* A row from a state: what the table can say about it. */
static void make_row(const struct state *s, const struct cie *c, const struct regs *rg,
		     enum inflame_eh_arch arch, struct inflame_eh_row *row)
{
	memset(row, 0, sizeof(*row));
	if (c->signal) {
		row->kind = INFLAME_EH_SIGNAL;
		return;
	}
	if (s->ra.how == R_UNDEF) {
		row->kind = INFLAME_EH_ROOT;
		return;
	}
	row->kind = INFLAME_EH_REFUSED;
	if (s->cfa_how == C_EXPR || s->cfa_off < INT32_MIN || s->cfa_off > INT32_MAX)
		return;
	if (s->cfa_how == C_PLT) {
		if (s->cfa_reg != rg->sp)
			return;
	} else if (s->cfa_reg != rg->sp && s->cfa_reg != rg->fp && s->cfa_reg >= rg->general) {
		return;
	}
	if (s->ra.how == R_OFFSET && s->ra.off >= INT16_MIN && s->ra.off <= INT16_MAX &&
	    s->ra.off != 0) {
		row->ra_off = (int16_t)s->ra.off;
	} else if (s->ra.how == R_SAME && arch == INFLAME_EH_AARCH64) {
		row->ra_off = 0; /* still in x30 */
	} else {
		return;
	}
	if (s->fp.how == R_OFFSET && s->fp.off >= INT16_MIN && s->fp.off <= INT16_MAX &&
	    s->fp.off != 0)
		row->fp_off = (int16_t)s->fp.off;
	else if (s->fp.how != R_SAME && s->fp.how != R_UNDEF)
		return;
	row->cfa_off = (int32_t)s->cfa_off;
	if (s->cfa_how == C_PLT) {
		row->kind = INFLAME_EH_PLT;
		row->aux = s->plt;
	} else if (s->cfa_reg == rg->sp || s->cfa_reg == rg->fp) {
		row->kind = s->cfa_reg == rg->sp ? INFLAME_EH_CFA_SP : INFLAME_EH_CFA_FP;
	} else {
		row->kind = INFLAME_EH_CFA_REG;
		row->aux = (uint8_t)s->cfa_reg;
	}
	if (rg->bx == ~0u || s->bx.how == R_SAME)
		row->bx_off = 0;
	else if (s->bx.how == R_OFFSET && s->bx.off % 8 == 0 && s->bx.off / 8 > INT8_MIN &&
		 s->bx.off / 8 <= INT8_MAX && s->bx.off != 0)
		row->bx_off = (int8_t)(s->bx.off / 8);
	else
		row->bx_off = INFLAME_EH_BX_LOST;
	row->flags = s->ra_signed ? INFLAME_EH_RA_SIGNED : 0;
}

/* Is the expression [p, p + len) the x86_64 lazy PLT CFA:
 * DW_OP_breg7 N; DW_OP_breg16 0; DW_OP_lit15; DW_OP_and; DW_OP_litK; DW_OP_ge; DW_OP_lit3;
 * DW_OP_shl; DW_OP_plus (CFA = rsp + N + 8 if (rip & 15) >= K)? */
static int plt_expr(const uint8_t *p, uint64_t len, struct state *s)
{
	if (len != 11 || p[0] != 0x77 || p[1] >= 0x40 || p[2] != 0x80 || p[3] != 0 ||
	    p[4] != 0x3f || p[5] != 0x1a || p[6] < 0x30 || p[6] > 0x3f || p[7] != 0x2a ||
	    p[8] != 0x33 || p[9] != 0x24 || p[10] != 0x22)
		return 0;
	s->cfa_how = C_PLT;
	s->cfa_reg = 7;
	s->cfa_off = p[1];
	s->plt = (uint8_t)(p[6] - 0x30);
	return 1;
}

static void set_rule(struct state *s, const struct regs *rg, uint64_t reg, uint8_t how, int64_t off)
{
	struct regrule *r = reg == rg->ra   ? &s->ra
			    : reg == rg->fp ? &s->fp
			    : reg == rg->bx ? &s->bx
					    : NULL;

	if (!r)
		return;
	if (how == R_OFFSET && (off < INT32_MIN || off > INT32_MAX))
		how = R_OTHER;
	r->how = how;
	r->off = (int32_t)off;
}

/* DW_CFA_restore: reg's rule back to the CIE's. */
static void restore(struct state *s, const struct state *init, const struct regs *rg, uint64_t reg)
{
	if (reg == rg->ra)
		s->ra = init->ra;
	else if (reg == rg->fp)
		s->fp = init->fp;
	else if (reg == rg->bx)
		s->bx = init->bx;
}

struct emitter {
	inflame_eh_sink sink;
	void *arg;
	struct inflame_eh_stats *st;
	int have_last;
	struct inflame_eh_row last;
};

static int emit(struct emitter *e, uint64_t pc, const struct inflame_eh_row *row)
{
	if (e->have_last && memcmp(&e->last, row, sizeof(*row)) == 0)
		return 0;
	e->have_last = 1;
	e->last = *row;
	e->st->rows++;
	if (row->kind == INFLAME_EH_REFUSED)
		e->st->refused++;
	else if (row->kind == INFLAME_EH_SIGNAL)
		e->st->signal++;
	return e->sink(e->arg, pc, row);
}

/* Runs the call frame program [p, end) from state s. With fde (the FDE's program), emits a
 * row each time the location moves past a change and one at the end of [pc, pc_end). The
 * CIE's program is run with fde 0, init NULL, to give the initial state. *bad is set when the
 * program could not be read to its end. */
static int run(const uint8_t *p, const uint8_t *end, const struct cie *c, const struct regs *rg,
	       enum inflame_eh_arch arch, struct state *s, const struct state *init, int fde,
	       uint64_t pc, uint64_t pc_end, struct emitter *e, int *bad)
{
	struct rd r = {p, end, 0};
	struct state stack[STATE_STACK];
	unsigned depth = 0;
	uint64_t loc = pc;
	struct inflame_eh_row row;
	int ret;

	while (r.p < r.end && !r.err) {
		uint8_t op = *r.p++, low = op & 0x3f;
		uint64_t reg, adv = 0, len;
		int64_t off;

		switch (op >> 6) {
		case 1: /* DW_CFA_advance_loc */
			adv = low;
			break;
		case 2: /* DW_CFA_offset */
			off = factored((int64_t)rd_uleb(&r), c->data_align);
			set_rule(s, rg, low, R_OFFSET, off);
			continue;
		case 3: /* DW_CFA_restore */
			if (!init)
				continue;
			restore(s, init, rg, low);
			continue;
		default:
			switch (op) {
			case 0x00: /* DW_CFA_nop */
				continue;
			case 0x01: /* DW_CFA_set_loc */
			{
				uint64_t to = rd_ptr(&r, c->fde_enc, p, 0);

				/* only forwards, and only pc-relative-free encodings make sense */
				if (r.err || (c->fde_enc & 0x70) || to < loc) {
					r.err = 1;
					continue;
				}
				adv = (to - loc + c->code_align - 1) / c->code_align;
				break;
			}
			case 0x02: /* DW_CFA_advance_loc1 */
				adv = rd_fixed(&r, 1);
				break;
			case 0x03: /* DW_CFA_advance_loc2 */
				adv = rd_fixed(&r, 2);
				break;
			case 0x04: /* DW_CFA_advance_loc4 */
				adv = rd_fixed(&r, 4);
				break;
			case 0x05: /* DW_CFA_offset_extended */
				reg = rd_uleb(&r);
				off = factored((int64_t)rd_uleb(&r), c->data_align);
				set_rule(s, rg, reg, R_OFFSET, off);
				continue;
			case 0x06: /* DW_CFA_restore_extended */
				reg = rd_uleb(&r);
				if (init)
					restore(s, init, rg, reg);
				continue;
			case 0x07: /* DW_CFA_undefined */
				set_rule(s, rg, rd_uleb(&r), R_UNDEF, 0);
				continue;
			case 0x08: /* DW_CFA_same_value */
				set_rule(s, rg, rd_uleb(&r), R_SAME, 0);
				continue;
			case 0x09: /* DW_CFA_register */
				reg = rd_uleb(&r);
				rd_uleb(&r);
				set_rule(s, rg, reg, R_OTHER, 0);
				continue;
			case 0x0a: /* DW_CFA_remember_state */
				if (depth == STATE_STACK) {
					r.err = 1;
					continue;
				}
				stack[depth++] = *s;
				continue;
			case 0x0b: /* DW_CFA_restore_state */
				if (depth == 0) {
					r.err = 1;
					continue;
				}
				*s = stack[--depth]; /* with the CFA rule, as GCC and LLVM expect */
				continue;
			case 0x0c: /* DW_CFA_def_cfa */
				s->cfa_reg = (uint32_t)rd_uleb(&r);
				s->cfa_off = (int64_t)rd_uleb(&r);
				s->cfa_how = C_REG;
				continue;
			case 0x0d: /* DW_CFA_def_cfa_register */
				s->cfa_reg = (uint32_t)rd_uleb(&r);
				if (s->cfa_how != C_REG)
					s->cfa_how = C_EXPR; /* register of an expression */
				continue;
			case 0x0e: /* DW_CFA_def_cfa_offset */
				s->cfa_off = (int64_t)rd_uleb(&r);
				continue;
			case 0x0f: /* DW_CFA_def_cfa_expression */
				len = rd_uleb(&r);
				if (r.err || len > (uint64_t)(r.end - r.p)) {
					r.err = 1;
					continue;
				}
				if (arch != INFLAME_EH_X86_64 || !plt_expr(r.p, len, s))
					s->cfa_how = C_EXPR;
				r.p += len;
				continue;
			case 0x10: /* DW_CFA_expression */
			case 0x16: /* DW_CFA_val_expression */
				reg = rd_uleb(&r);
				len = rd_uleb(&r);
				if (r.err || len > (uint64_t)(r.end - r.p)) {
					r.err = 1;
					continue;
				}
				r.p += len;
				set_rule(s, rg, reg, R_OTHER, 0);
				continue;
			case 0x11: /* DW_CFA_offset_extended_sf */
				reg = rd_uleb(&r);
				off = factored(rd_sleb(&r), c->data_align);
				set_rule(s, rg, reg, R_OFFSET, off);
				continue;
			case 0x12: /* DW_CFA_def_cfa_sf */
				s->cfa_reg = (uint32_t)rd_uleb(&r);
				s->cfa_off = factored(rd_sleb(&r), c->data_align);
				s->cfa_how = C_REG;
				continue;
			case 0x13: /* DW_CFA_def_cfa_offset_sf */
				s->cfa_off = factored(rd_sleb(&r), c->data_align);
				continue;
			case 0x14: /* DW_CFA_val_offset */
				reg = rd_uleb(&r);
				rd_uleb(&r);
				set_rule(s, rg, reg, R_OTHER, 0);
				continue;
			case 0x15: /* DW_CFA_val_offset_sf */
				reg = rd_uleb(&r);
				rd_sleb(&r);
				set_rule(s, rg, reg, R_OTHER, 0);
				continue;
			case 0x2d: /* DW_CFA_AARCH64_negate_ra_state (GNU_window_save elsewhere) */
				if (arch != INFLAME_EH_AARCH64) {
					r.err = 1;
					continue;
				}
				s->ra_signed ^= 1;
				continue;
			case 0x2e: /* DW_CFA_GNU_args_size */
				rd_uleb(&r);
				continue;
			case 0x2f: /* DW_CFA_GNU_negative_offset_extended */
				reg = rd_uleb(&r);
				off = factored((int64_t)rd_uleb(&r), c->data_align);
				off = off == INT64_MAX ? off : -off;
				set_rule(s, rg, reg, R_OFFSET, off);
				continue;
			default: /* an opcode we do not know: the rest cannot be read */
				r.err = 1;
				continue;
			}
		}
		if (r.err)
			break;
		/* the location advances: the rule so far holds for [loc, loc + adv) */
		if (fde && adv) {
			uint64_t next = loc + adv * c->code_align;

			if (next > pc_end || next < loc)
				next = pc_end;
			if (next > loc) {
				make_row(s, c, rg, arch, &row);
				if ((ret = emit(e, loc, &row)) != 0)
					return ret;
			}
			loc = next;
		}
	}
	if (r.err)
		*bad = 1;
	if (fde) {
		if (loc < pc_end) {
			make_row(s, c, rg, arch, &row);
			if (*bad) {
				memset(&row, 0, sizeof(row));
				row.kind = INFLAME_EH_REFUSED;
			}
			if ((ret = emit(e, loc, &row)) != 0)
				return ret;
		}
		memset(&row, 0, sizeof(row));
		row.kind = INFLAME_EH_NONE;
		e->have_last = 0; /* the end marker always goes out */
		return emit(e, pc_end, &row);
	}
	return 0;
}

/* Reads the CIE at [p, end) (after its id); returns 0 or -1. */
static int read_cie(const uint8_t *p, const uint8_t *end, struct cie *c)
{
	struct rd r = {p, end, 0};
	uint8_t version = (uint8_t)rd_fixed(&r, 1);
	const char *aug = (const char *)r.p;
	size_t aug_len;

	memset(c, 0, sizeof(*c));
	c->fde_enc = PE_ABSPTR;
	c->lsda_enc = PE_OMIT;
	if (r.err || (version != 1 && version != 3 && version != 4))
		return -1;
	aug_len = strnlen(aug, (size_t)(r.end - r.p));
	if (aug_len == (size_t)(r.end - r.p))
		return -1;
	r.p += aug_len + 1;
	if (aug[0] == 'e' && aug[1] == 'h')
		return -1; /* the old GCC "eh" augmentation */
	if (version == 4) {
		uint8_t addr_size = (uint8_t)rd_fixed(&r, 1), seg_size = (uint8_t)rd_fixed(&r, 1);

		if (addr_size != 8 || seg_size != 0)
			return -1;
	}
	c->code_align = rd_uleb(&r);
	c->data_align = rd_sleb(&r);
	c->ra_reg = version == 1 ? (uint32_t)rd_fixed(&r, 1) : (uint32_t)rd_uleb(&r);
	if (r.err || c->code_align == 0 || c->code_align > 64)
		return -1;
	if (aug[0] == 'z') {
		uint64_t alen = rd_uleb(&r);
		const uint8_t *aend;

		if (r.err || alen > (uint64_t)(r.end - r.p))
			return -1;
		aend = r.p + alen;
		c->has_z = 1;
		for (size_t i = 1; i < aug_len; i++) {
			switch (aug[i]) {
			case 'R':
				c->fde_enc = (uint8_t)rd_fixed(&r, 1);
				break;
			case 'L':
				c->lsda_enc = (uint8_t)rd_fixed(&r, 1);
				break;
			case 'P': {
				uint8_t penc = (uint8_t)rd_fixed(&r, 1);

				rd_ptr(&r, penc & 0x0f, p, 0); /* only its size matters */
				break;
			}
			case 'S':
				c->signal = 1;
				break;
			case 'B': /* aarch64 BTI */
			case 'G': /* aarch64 MTE */
				break;
			default:
				return -1;
			}
			if (r.err || r.p > aend)
				return -1;
		}
		r.p = aend;
	} else if (aug[0]) {
		return -1;
	}
	c->insns = r.p;
	c->insns_end = end;
	return 0;
}

/* The entry at off: sets *len (of the whole entry, 0 for the terminator), *body (after the
 * length), *id_size. Returns 0 or -1 when it does not fit. */
static int entry_at(const struct inflame_eh_src *src, size_t off, size_t *len, const uint8_t **body,
		    size_t *id_size)
{
	struct rd r = {src->data + off, src->data + src->len, 0};
	uint64_t l = rd_fixed(&r, 4);

	*id_size = 4;
	if (l == 0xffffffffu) {
		l = rd_fixed(&r, 8);
		*id_size = 8;
	}
	if (r.err || l > (uint64_t)(r.end - r.p))
		return -1;
	*body = r.p;
	*len = (size_t)(r.p - (src->data + off)) + (size_t)l;
	return 0;
}

/* Reads the CIE at section offset off into c. */
static int cie_at(const struct inflame_eh_src *src, size_t off, struct cie *c)
{
	size_t len, ids;
	const uint8_t *body;
	uint64_t id;
	struct rd r;

	if (off >= src->len || entry_at(src, off, &len, &body, &ids) < 0 || len == 0)
		return -1;
	r.p = body;
	r.end = src->data + off + len;
	r.err = 0;
	id = rd_fixed(&r, ids);
	if (r.err || id != (src->debug_frame ? (ids == 8 ? ~(uint64_t)0 : 0xffffffffu) : 0))
		return -1;
	return read_cie(r.p, r.end, c);
}

/* The FDE whose entry is [body - length, end), its id (already read, ids bytes) at body: its
 * CIE into c, the code it covers [*pc, *pc + *range), its program from *insns to end. Returns
 * 0, 1 for an entry that covers no code (an empty or discarded function), -1 for one that
 * cannot be read. */
static int fde_read(const struct inflame_eh_src *src, const uint8_t *body, size_t ids, uint64_t id,
		    const uint8_t *end, struct cie *c, uint64_t *pc, uint64_t *range,
		    const uint8_t **insns)
{
	struct rd r = {body + ids, end, 0};
	size_t cie_off;

	if (src->debug_frame)
		cie_off = (size_t)id;
	else
		cie_off =
		    id <= (uint64_t)(body - src->data) ? (size_t)(body - src->data) - id : src->len;
	if (cie_at(src, cie_off, c) < 0)
		return -1;
	*pc = rd_ptr(&r, c->fde_enc, src->data, src->vaddr);
	*range = rd_ptr(&r, c->fde_enc & 0x0f, src->data, src->vaddr);
	if (c->has_z) {
		uint64_t alen = rd_uleb(&r);

		if (!r.err && alen <= (uint64_t)(r.end - r.p))
			r.p += alen;
		else
			r.err = 1;
	}
	if (r.err || *pc + *range < *pc)
		return -1;
	if (*range == 0 || *pc == 0)
		return 1;
	*insns = r.p;
	return 0;
}

/* Runs the CIE's initial program and then the FDE's [insns, end) for [pc, pc + range),
 * giving the rows to e. *bad: a program could not be read to its end. */
static int fde_run(const struct inflame_eh_src *src, const struct cie *c, const uint8_t *insns,
		   const uint8_t *end, uint64_t pc, uint64_t range, struct emitter *e, int *bad)
{
	const struct regs *rg = &arch_regs[src->arch == INFLAME_EH_AARCH64];
	struct state init, s;

	memset(&s, 0, sizeof(s));
	s.cfa_reg = rg->sp;
	run(c->insns, c->insns_end, c, rg, src->arch, &s, NULL, 0, 0, 0, e, bad);
	init = s;
	e->have_last = 0;
	return run(insns, end, c, rg, src->arch, &s, &init, 1, pc, pc + range, e, bad);
}

int inflame_ehframe_parse(const struct inflame_eh_src *src, inflame_eh_sink sink, void *arg,
			  struct inflame_eh_stats *st)
{
	struct emitter e = {sink, arg, st, 0, {0}};
	size_t off = 0;

	memset(st, 0, sizeof(*st));
	while (off + 4 <= src->len) {
		size_t len, ids;
		const uint8_t *body, *insns = NULL;
		struct rd r;
		uint64_t id;
		struct cie c;
		uint64_t pc, range;
		int bad = 0, ret;

		if (entry_at(src, off, &len, &body, &ids) < 0) {
			st->bad++;
			break; /* the length cannot be trusted: nothing after it can */
		}
		if (len == ids && !src->debug_frame)
			break; /* the zero terminator */
		r.p = body;
		r.end = src->data + off + len;
		r.err = 0;
		id = rd_fixed(&r, ids);
		if (r.err) {
			st->bad++;
			off += len;
			continue;
		}
		if (src->debug_frame ? id == (ids == 8 ? ~(uint64_t)0 : 0xffffffffu) : id == 0) {
			off += len; /* a CIE: read when an FDE names it */
			continue;
		}
		st->fdes++;
		ret = fde_read(src, body, ids, id, r.end, &c, &pc, &range, &insns);
		if (ret) {
			if (ret < 0)
				st->bad++;
			off += len;
			continue;
		}
		ret = fde_run(src, &c, insns, r.end, pc, range, &e, &bad);
		if (ret)
			return ret;
		if (bad)
			st->bad++;
		off += len;
	}
	return 0;
}

/* The one-function lookup: the row covering pc, and where it starts and ends. */
struct at {
	uint64_t pc, lo, hi;
	int have;
	struct inflame_eh_row row;
};

static int at_sink(void *arg, uint64_t loc, const struct inflame_eh_row *row)
{
	struct at *a = arg;

	if (loc > a->pc) {
		a->hi = loc;
		return 1; /* past pc: the row before is the answer */
	}
	a->have = 1;
	a->lo = loc;
	a->row = *row;
	return 0;
}

int inflame_ehframe_lookup(const struct inflame_eh_index *ix, uint64_t pc,
			   struct inflame_eh_row *row, uint64_t *lo, uint64_t *hi)
{
	const struct inflame_eh_src *src = &ix->eh;
	struct rd r = {ix->hdr, ix->hdr + ix->hdr_len, 0};
	uint8_t version = (uint8_t)rd_fixed(&r, 1), enc = (uint8_t)rd_fixed(&r, 1),
		count_enc = (uint8_t)rd_fixed(&r, 1), table_enc = (uint8_t)rd_fixed(&r, 1);
	uint64_t count, fde, fpc, range, id;
	size_t a = 0, b, off, len, ids;
	const uint8_t *tab, *body, *insns = NULL;
	struct inflame_eh_stats st;
	struct emitter e = {at_sink, NULL, &st, 0, {0}};
	struct at at = {pc, 0, 0, 0, {0}};
	struct cie c;
	int bad = 0;

	/* the search table as linkers write it: sorted pairs of 4-byte offsets from the header */
	if (r.err || version != 1 || table_enc != (PE_DATAREL | PE_SDATA4) ||
	    (count_enc != PE_UDATA4 && count_enc != PE_SDATA4) || src->debug_frame)
		return -EINVAL;
	rd_ptr(&r, enc, ix->hdr, ix->hdr_vaddr);
	count = rd_fixed(&r, 4);
	if (r.err || count == 0 || count > (uint64_t)(r.end - r.p) / 8)
		return r.err ? -EINVAL : -ENOENT;
	tab = r.p;
	b = (size_t)count;
	/* the last entry whose function starts at or before pc */
	while (b - a > 1) {
		size_t mid = a + (b - a) / 2;
		int32_t v;

		memcpy(&v, tab + 8 * mid, 4);
		if (ix->hdr_vaddr + (uint64_t)(int64_t)v <= pc)
			a = mid;
		else
			b = mid;
	}
	{
		int32_t v[2];

		memcpy(v, tab + 8 * a, 8);
		if (ix->hdr_vaddr + (uint64_t)(int64_t)v[0] > pc)
			return -ENOENT;
		fde = ix->hdr_vaddr + (uint64_t)(int64_t)v[1];
	}
	if (fde < src->vaddr || fde - src->vaddr >= src->len)
		return -EINVAL;
	off = (size_t)(fde - src->vaddr);
	if (entry_at(src, off, &len, &body, &ids) < 0 || len <= ids)
		return -EINVAL;
	r.p = body;
	r.end = src->data + off + len;
	r.err = 0;
	id = rd_fixed(&r, ids);
	if (r.err || id == 0)
		return -EINVAL;
	switch (fde_read(src, body, ids, id, r.end, &c, &fpc, &range, &insns)) {
	case 0:
		break;
	case 1:
		return -ENOENT;
	default:
		return -EINVAL;
	}
	if (pc < fpc || pc - fpc >= range)
		return -ENOENT; /* between functions */
	e.arg = &at;
	at.hi = fpc + range;
	fde_run(src, &c, insns, r.end, fpc, range, &e, &bad);
	if (!at.have)
		return -ENOENT;
	*row = at.row;
	row->pc = 0;
	*lo = at.lo;
	*hi = at.hi;
	return 0;
}

/* The builder's collection: rows with their full address and a sequence number. */
struct item {
	uint64_t pc;
	uint32_t seq;
	struct inflame_eh_row row;
};

struct coll {
	struct item *v;
	size_t n, cap, bytes, hint;
	int err;
};

static int collect(void *arg, uint64_t pc, const struct inflame_eh_row *row)
{
	struct coll *c = arg;

	if (c->n == c->cap) {
		/* first a guess from the size of the section (about one row per 5 bytes of
		 * call frame information): memory not written to costs nothing */
		size_t nb = c->bytes ? c->bytes * 2 : c->hint;
		void *p = c->v ? mremap(c->v, c->bytes, nb, MREMAP_MAYMOVE)
			       : mmap(NULL, nb, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				      -1, 0);

		if (p == MAP_FAILED)
			return -ENOMEM;
		c->v = p;
		c->bytes = nb;
		c->cap = nb / sizeof(struct item);
	}
	c->v[c->n].pc = pc;
	c->v[c->n].seq = (uint32_t)c->n;
	c->v[c->n].row = *row;
	c->n++;
	return 0;
}

/* Order: by address; at one address end markers first, then by sequence (the last one read
 * is kept). */
static int before(const struct item *a, const struct item *b)
{
	int ae = a->row.kind == INFLAME_EH_NONE, be = b->row.kind == INFLAME_EH_NONE;

	if (a->pc != b->pc)
		return a->pc < b->pc;
	if (ae != be)
		return ae > be;
	return a->seq < b->seq;
}

/* Merges the sorted runs [a, m) and [m, b) of v through tmp. */
static void merge(struct item *v, struct item *tmp, size_t a, size_t m, size_t b)
{
	size_t i = a, j = m, k = a;

	while (i < m && j < b)
		tmp[k++] = before(&v[j], &v[i]) ? v[j++] : v[i++];
	while (i < m)
		tmp[k++] = v[i++];
	while (j < b)
		tmp[k++] = v[j++];
	memcpy(v + a, tmp + a, (b - a) * sizeof(*v));
}

/* The end of the ascending run of v starting at a. */
static size_t run_end(const struct coll *c, size_t a)
{
	size_t m = a + 1;

	while (m < c->n && !before(&c->v[m], &c->v[m - 1]))
		m++;
	return m;
}

/* Sorts the collection: a natural merge sort, since the rows come in long ascending runs (each
 * function's rows, and the functions mostly in address order but for the cold parts the
 * compiler split off). Returns 0 or -ENOMEM. */
static int sort_items(struct coll *c)
{
	size_t bytes = c->n * sizeof(struct item), merged;
	struct item *tmp;

	if (c->n == 0 || run_end(c, 0) == c->n)
		return 0;
	tmp = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tmp == MAP_FAILED)
		return -ENOMEM;
	do {
		size_t a = 0;

		merged = 0;
		while (a < c->n) {
			size_t m = run_end(c, a), b;

			if (m == c->n)
				break;
			b = run_end(c, m);
			merge(c->v, tmp, a, m, b);
			merged++;
			a = b;
		}
	} while (merged);
	munmap(tmp, bytes);
	return 0;
}

static int same_rule(const struct inflame_eh_row *a, const struct inflame_eh_row *b)
{
	return a->kind == b->kind && a->cfa_off == b->cfa_off && a->ra_off == b->ra_off &&
	       a->fp_off == b->fp_off && a->aux == b->aux && a->flags == b->flags &&
	       a->bx_off == b->bx_off;
}

int inflame_ehframe_build(const struct inflame_eh_src *src, struct inflame_eh_table **out)
{
	struct coll c = {NULL, 0, 0, 0, 0, 0};
	struct inflame_eh_stats st;
	struct inflame_eh_table *t = NULL;
	size_t m = 0, bytes, nindex;
	unsigned shift;
	uint64_t lo, hi;
	int ret;

	*out = NULL;
	c.hint = ((src->len / 4 + 64) * sizeof(struct item) + 4095) & ~(size_t)4095;
	ret = inflame_ehframe_parse(src, collect, &c, &st);
	if (ret)
		goto done;
	ret = -ENOENT;
	if (c.n == 0)
		goto done;
	ret = sort_items(&c);
	if (ret)
		goto done;
	/* one row per address (the last of each run of equal addresses), none repeating the
	 * rule before it, no leading end markers */
	for (size_t i = 0; i < c.n; i++) {
		if (i + 1 < c.n && c.v[i + 1].pc == c.v[i].pc)
			continue;
		if (m == 0 && c.v[i].row.kind == INFLAME_EH_NONE)
			continue;
		if (m > 0 && same_rule(&c.v[m - 1].row, &c.v[i].row))
			continue;
		c.v[m++] = c.v[i];
	}
	ret = -ENOENT;
	if (m == 0)
		goto done;
	lo = c.v[0].pc;
	hi = c.v[m - 1].pc;
	ret = -EOVERFLOW;
	if (hi - lo > UINT32_MAX)
		goto done;
	shift = INFLAME_EH_INDEX_SHIFT;
	while (((hi - lo) >> shift) > 2 * (uint64_t)m + 64)
		shift++;
	nindex = (size_t)((hi - lo) >> shift) + 1;
	bytes = sizeof(*t) + m * sizeof(t->rows[0]) + nindex * sizeof(uint32_t);
	t = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ret = -ENOMEM;
	if (t == MAP_FAILED) {
		t = NULL;
		goto done;
	}
	t->lo = lo;
	t->hi = hi;
	t->n = m;
	t->map_len = bytes;
	t->st = st;
	t->st.rows = 0;
	t->st.refused = 0;
	t->st.signal = 0;
	for (size_t i = 0; i < m; i++) {
		t->rows[i] = c.v[i].row;
		t->rows[i].pc = (uint32_t)(c.v[i].pc - lo);
		t->st.rows++;
		if (t->rows[i].kind == INFLAME_EH_REFUSED)
			t->st.refused++;
		else if (t->rows[i].kind == INFLAME_EH_SIGNAL)
			t->st.signal++;
	}
	{
		uint32_t *index = (uint32_t *)(void *)&t->rows[m];
		size_t r = 0;

		for (size_t b = 0; b < nindex; b++) {
			uint64_t start = (uint64_t)b << shift;

			while (r + 1 < m && t->rows[r + 1].pc <= start)
				r++;
			index[b] = (uint32_t)r;
		}
		t->index = index;
		t->nindex = nindex;
		t->shift = shift;
	}
	*out = t;
	ret = 0;
done:
	if (c.v)
		munmap(c.v, c.bytes);
	return ret;
}

void inflame_ehframe_free(struct inflame_eh_table *t)
{
	if (t)
		munmap(t, t->map_len);
}

const struct inflame_eh_row *inflame_ehframe_find(const struct inflame_eh_table *t, uint64_t pc)
{
	size_t lo = 0, hi;
	uint32_t off;

	if (pc < t->lo || pc >= t->hi)
		return NULL;
	off = (uint32_t)(pc - t->lo);
	{
		size_t b = off >> t->shift;

		if (b >= t->nindex)
			return NULL;
		lo = t->index[b];
		hi = b + 1 < t->nindex ? (size_t)t->index[b + 1] + 1 : t->n;
	}
	/* the last row whose pc <= off in [lo, hi) (rows[lo].pc <= off) */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= off)
			lo = mid;
		else
			hi = mid;
	}
	return &t->rows[lo];
}

int inflame_ehframe_hdr(const uint8_t *hdr, size_t hdr_len, uint64_t hdr_vaddr, uint64_t *vaddr)
{
	struct rd r = {hdr, hdr + hdr_len, 0};
	uint8_t version = (uint8_t)rd_fixed(&r, 1), enc = (uint8_t)rd_fixed(&r, 1);

	rd_fixed(&r, 2); /* the count and table encodings */
	if (r.err || version != 1 || enc == PE_OMIT || (enc & PE_INDIRECT))
		return -EINVAL;
	*vaddr = rd_ptr(&r, enc, hdr, hdr_vaddr);
	return r.err ? -EINVAL : 0;
}
