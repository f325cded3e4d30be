/*
 * Frame-pointer detection for loaded objects (fpscan.h). It owns nothing but the reading of an
 * object's .eh_frame_hdr (the sorted table of function start addresses the linker builds for
 * exception handling) and the prologue test. Everything is read from the object's mapped
 * segments, bounds-checked against its program headers, so no file is opened and nothing is
 * allocated.
 */
#include "fpscan.h"

#include <elf.h>
#include <stdint.h>
#include <string.h>

#define MAX_LOOK 512
#define RUNS	 16
#define RUN	 (MAX_LOOK / RUNS)

/* DWARF pointer encodings used by .eh_frame_hdr. */
#define PE_OMIT	   0xff
#define PE_UDATA4  0x03
#define PE_SDATA4  0x0b
#define PE_UDATA8  0x04
#define PE_SDATA8  0x0c
#define PE_DATAREL 0x30

/* Is [addr, addr + len) inside a loaded segment with all of the flags in want? */
static int mapped(const struct dl_phdr_info *info, uintptr_t addr, size_t len, unsigned want)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && (ph->p_flags & want) == want && addr >= lo &&
		    addr + len >= addr && addr + len <= lo + ph->p_filesz)
			return 1;
	}
	return 0;
}

/* Reads a value of encoding enc (format bits only) at p; returns its size or 0. */
static size_t read_enc(const uint8_t *p, unsigned enc, uint64_t *out)
{
	switch (enc & 0x0f) {
	case PE_UDATA4 & 0x0f: {
		uint32_t v;

		memcpy(&v, p, 4);
		*out = enc == PE_SDATA4 ? (uint64_t)(int64_t)(int32_t)v : v;
		return 4;
	}
	case PE_SDATA4 & 0x0f: {
		int32_t v;

		memcpy(&v, p, 4);
		*out = (uint64_t)(int64_t)v;
		return 4;
	}
	case PE_UDATA8 & 0x0f:
	case PE_SDATA8 & 0x0f:
		memcpy(out, p, 8);
		return 8;
	default:
		return 0;
	}
}

static int has_frame_prologue(const uint8_t *p)
{
#if defined(__x86_64__)
	if (p[0] == 0xf3 && p[1] == 0x0f && p[2] == 0x1e && p[3] == 0xfa)
		p += 4; /* endbr64 */
	return p[0] == 0x55 && p[1] == 0x48 &&
	       ((p[2] == 0x89 && p[3] == 0xe5) || (p[2] == 0x8b && p[3] == 0xec));
#elif defined(__aarch64__)
	for (int i = 0; i < 3; i++) {
		uint32_t insn;

		memcpy(&insn, p + 4 * i, 4);
		if ((insn & 0xffc07fffu) == 0xa9807bfdu || (insn & 0xffc07fffu) == 0xa9007bfdu)
			return 1; /* stp x29, x30, [sp, #-N]! or [sp, #M] */
		if (insn != 0xd503233fu && insn != 0xd503245fu && insn != 0xd503201fu &&
		    (insn & 0xff0003ffu) != 0xd10003ffu)
			return 0; /* not paciasp, bti c, nop or sub sp, sp, #N */
	}
	return 0;
#else
	(void)p;
	return 0;
#endif
}

int inflame_fpscan(const struct dl_phdr_info *info, unsigned *fp, unsigned *total)
{
	const ElfW(Phdr) *eh = NULL;
	const uint8_t *hdr, *p;
	uint64_t frame_ptr, count;
	size_t n;

	*fp = *total = 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_EH_FRAME)
			eh = &info->dlpi_phdr[i];
	if (!eh || eh->p_memsz < 12)
		return -1;
	hdr = (const uint8_t *)(info->dlpi_addr + eh->p_vaddr);
	if (!mapped(info, (uintptr_t)hdr, eh->p_memsz, PF_R))
		return -1;
	/* version, eh_frame_ptr encoding, fde_count encoding, table encoding */
	if (hdr[0] != 1 || hdr[2] == PE_OMIT || hdr[3] != (PE_DATAREL | PE_SDATA4))
		return -1;
	p = hdr + 4;
	if (hdr[1] != PE_OMIT) {
		n = read_enc(p, hdr[1], &frame_ptr);
		if (!n)
			return -1;
		p += n;
	}
	if ((size_t)(p - hdr) + 8 > eh->p_memsz)
		return -1;
	n = read_enc(p, hdr[2], &count);
	if (!n)
		return -1;
	p += n;
	if (count > (eh->p_memsz - (size_t)(p - hdr)) / 8)
		return -1; /* the table would run past the segment */
	if (count == 0)
		return -1;
	/* RUNS runs of consecutive entries, spread evenly over the table: neighbouring entries
	 * are neighbouring functions, so a run's reads share a few pages of code. Entries spread
	 * one by one touched a page each (a few hundred page faults and TLB misses in libc: half
	 * a millisecond of a short process's life, issue 11). */
	for (uint64_t r = 0; r < RUNS; r++) {
		uint64_t first =
		    count <= MAX_LOOK ? r * count / RUNS : r * (count - RUN) / (RUNS - 1);
		uint64_t end = count <= MAX_LOOK ? (r + 1) * count / RUNS : first + RUN;

		for (uint64_t i = first; i < end; i++) {
			int32_t rel;
			uintptr_t fn;

			memcpy(&rel, p + i * 8, 4);
			fn = (uintptr_t)hdr + (uintptr_t)(intptr_t)rel;
			if (!mapped(info, fn, 16, PF_R | PF_X))
				continue;
			(*total)++;
			if (has_frame_prologue((const uint8_t *)fn))
				(*fp)++;
		}
	}
	if (*total < INFLAME_FPSCAN_MIN_FUNCS)
		return -1;
	return (uint64_t)*fp * 100 >= (uint64_t)*total * INFLAME_FPSCAN_MIN_PERCENT;
}
