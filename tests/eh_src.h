/* For the tests of preload/ehframe.c and preload/tabcache.c: the .eh_frame of a loaded object
 * as its unwind table is built from it (preload/modules.c does the same): found through the
 * object's .eh_frame_hdr (program header ph), read up to the end of the loaded segment holding
 * it. */
#ifndef INFLAME_TESTS_EH_SRC_H
#define INFLAME_TESTS_EH_SRC_H

#include "ehframe.h"

#include <link.h>

/* Sets *src; returns 0, or -1 when the header cannot be read or no segment holds .eh_frame. */
static inline int eh_src_of(const struct dl_phdr_info *info, const ElfW(Phdr) * ph,
			    struct inflame_eh_src *src)
{
	uint64_t ev;

	if (inflame_ehframe_hdr((const uint8_t *)(info->dlpi_addr + ph->p_vaddr), ph->p_memsz,
				ph->p_vaddr, &ev) < 0)
		return -1;
	for (int j = 0; j < info->dlpi_phnum; j++) {
		const ElfW(Phdr) *q = &info->dlpi_phdr[j];

		if (q->p_type == PT_LOAD && ev >= q->p_vaddr && ev < q->p_vaddr + q->p_filesz) {
			*src = (struct inflame_eh_src){(const uint8_t *)(info->dlpi_addr + ev),
						       (size_t)(q->p_vaddr + q->p_filesz - ev), ev,
						       0, INFLAME_EH_NATIVE};
			return 0;
		}
	}
	return -1;
}

#endif
