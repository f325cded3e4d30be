/*
 * inflame's own unwind tables: a reader of the call frame information in .eh_frame (or
 * .debug_frame) and a builder of a compact, sorted table from it. Each row of the table says,
 * from its address up to the next row's, how a walk gets from one frame to its caller: where
 * the canonical frame address (CFA) is (a register plus an offset), where the return address,
 * the caller's frame pointer and (x86_64) its rbx were saved. Rules the table cannot express
 * (DWARF expressions, return address or frame pointer rules other than a slot or unchanged)
 * are kept as refused rows, so a walk knows to fall back there instead of guessing.
 *
 * This file knows nothing of the running process: it reads the bytes it is given, checking
 * every read against their end, so it can be tested and fuzzed on its own. Building allocates
 * with mmap; looking up is async-signal-safe.
 */
#ifndef INFLAME_EHFRAME_H
#define INFLAME_EHFRAME_H

#include <stddef.h>
#include <stdint.h>

enum inflame_eh_arch {
	INFLAME_EH_X86_64 = 0,
	INFLAME_EH_AARCH64 = 1,
};

#if defined(__aarch64__)
#define INFLAME_EH_NATIVE INFLAME_EH_AARCH64
#else
#define INFLAME_EH_NATIVE INFLAME_EH_X86_64
#endif

/* How a row finds the caller's frame. */
enum inflame_eh_kind {
	INFLAME_EH_CFA_SP = 0, /* CFA = stack pointer + cfa_off */
	INFLAME_EH_CFA_FP = 1, /* CFA = frame pointer + cfa_off */
	INFLAME_EH_PLT = 2, /* x86_64 lazy PLT entry: CFA = sp + cfa_off, + 8 if (pc & 15) >= aux */
	INFLAME_EH_ROOT = 3,	/* the return address is undefined: the outermost frame */
	INFLAME_EH_SIGNAL = 4,	/* a signal trampoline: the interrupted registers are in the
				   kernel's signal frame at the stack pointer */
	INFLAME_EH_REFUSED = 5, /* a rule this table cannot express */
	INFLAME_EH_NONE = 6,	/* no unwind information here */
	INFLAME_EH_CFA_REG = 7, /* CFA = general register aux (DWARF number) + cfa_off: a walk
				   knows it in the interrupted frame, and rbx in outer frames */
};

/* inflame_eh_row.bx_off: rbx (x86_64 DWARF register 3) is lost in the caller. */
#define INFLAME_EH_BX_LOST INT8_MIN

/* Flags in inflame_eh_row.flags. */
#define INFLAME_EH_RA_SIGNED 1u /* aarch64: the return address carries a pointer signature */

/* One row: from pc (an offset from the table's lo) up to the next row's pc. */
struct inflame_eh_row {
	uint32_t pc;
	int32_t cfa_off;
	int16_t
	    ra_off; /* return address at CFA + ra_off; 0: still in the link register (aarch64) */
	int16_t fp_off; /* caller's frame pointer at CFA + fp_off; 0: the register is unchanged */
	uint8_t kind;	/* enum inflame_eh_kind */
	uint8_t aux;	/* INFLAME_EH_PLT: the threshold; INFLAME_EH_CFA_REG: the register */
	uint8_t flags;	/* INFLAME_EH_RA_SIGNED */
	int8_t bx_off;	/* x86_64: caller's rbx at CFA + 8 * bx_off; 0: unchanged;
			   INFLAME_EH_BX_LOST: not known (also: any rule not of these forms) */
};

/* The bytes to read. */
struct inflame_eh_src {
	const uint8_t *data; /* the section (.eh_frame or .debug_frame) */
	size_t len;
	uint64_t vaddr;	 /* the link-time address of data[0], for pc-relative pointers */
	int debug_frame; /* 1: .debug_frame layout (CIE ids of all ones, absolute CIE offsets) */
	enum inflame_eh_arch arch;
};

/* What reading found. */
struct inflame_eh_stats {
	uint32_t fdes;	  /* function entries read */
	uint32_t rows;	  /* rows in the table */
	uint32_t refused; /* of those, refused rows (a walk falls back there) */
	uint32_t signal;  /* signal trampoline rows */
	uint32_t bad;	  /* entries skipped as malformed or of a form not read */
};

/* Called for every row the call frame programs produce, in the order they do (each function's
 * rows by ascending address, then an INFLAME_EH_NONE row at its end); pc is the link-time
 * address (r->pc is not set). A non-zero return stops reading and is returned. */
typedef int (*inflame_eh_sink)(void *arg, uint64_t pc, const struct inflame_eh_row *r);

/* Reads every CIE and FDE of src, stopping at a zero terminator or the end of the bytes; a
 * malformed entry is counted in st->bad (st->fdes, st->refused, st->signal are also counted;
 * st->rows is the number of rows given to sink) and the reading goes on with the next one
 * where its length allows. Returns 0, or what sink returned. Reads only inside src's bytes;
 * allocates nothing; async-signal-safe (but meant for the writer thread and tests). */
int inflame_ehframe_parse(const struct inflame_eh_src *src, inflame_eh_sink sink, void *arg,
			  struct inflame_eh_stats *st);

/* The code bytes one index entry of a table covers (log2), at least: more for a table whose
 * rows are sparse over a wide range, so the index has at most about two entries per row. */
#define INFLAME_EH_INDEX_SHIFT 8

/* A built table: rows sorted by pc, each differing from the one before, and an index: for each
 * block of 1 << shift bytes from lo, the row that covers its first byte, so a lookup searches
 * only the rows of one block. */
struct inflame_eh_table {
	uint64_t lo, hi; /* link-time addresses covered by rows: [lo, hi) */
	size_t n;
	size_t map_len; /* of the mmap holding this table */
	const uint32_t *index;
	size_t nindex;
	unsigned shift;
	struct inflame_eh_stats st;
	struct inflame_eh_row rows[];
};

/* Builds the table of src with mmap'd memory (no malloc), sets *out. Returns 0, -ENOENT when
 * src holds no row, -EOVERFLOW when its addresses span more than 4 GiB, -ENOMEM. Not
 * async-signal-safe (mmap, mremap): the writer thread or a test. */
int inflame_ehframe_build(const struct inflame_eh_src *src, struct inflame_eh_table **out);
/* Unmaps a table built above. */
void inflame_ehframe_free(struct inflame_eh_table *t);
/* The row covering link-time address pc, or NULL when pc is outside [lo, hi). One index entry
 * and a binary search over the rows of one block; async-signal-safe. */
const struct inflame_eh_row *inflame_ehframe_find(const struct inflame_eh_table *t, uint64_t pc);

/* Finds .eh_frame from the .eh_frame_hdr at hdr (link-time address hdr_vaddr, hdr_len bytes
 * readable): sets *vaddr to the link-time address of .eh_frame. Returns 0 or -EINVAL. Reads
 * only those bytes: async-signal-safe. */
int inflame_ehframe_hdr(const uint8_t *hdr, size_t hdr_len, uint64_t hdr_vaddr, uint64_t *vaddr);

/* An object's .eh_frame_hdr (its search table: each function's start and its FDE) and the
 * .eh_frame it indexes, as mapped. */
struct inflame_eh_index {
	const uint8_t *hdr;
	size_t hdr_len;
	uint64_t hdr_vaddr; /* the link-time address of hdr[0] */
	struct inflame_eh_src eh;
};

/* The row for link-time address pc without a built table: the search table of ix names the
 * one FDE that can cover pc, and its program (after its CIE's) is run up to pc. Sets *row (its
 * pc field 0) and [*lo, *hi), the link-time addresses the same row covers in that function.
 * Returns 0, -ENOENT when no function covers pc, -EINVAL when the index or the entry cannot be
 * read (a search table not of the linkers' sdata4 form included). Reads only inside ix's bytes,
 * allocates nothing, takes no lock: async-signal-safe (about 1 KiB of stack). */
int inflame_ehframe_lookup(const struct inflame_eh_index *ix, uint64_t pc,
			   struct inflame_eh_row *row, uint64_t *lo, uint64_t *hi);

#endif
