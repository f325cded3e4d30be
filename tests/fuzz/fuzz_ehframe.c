/* libFuzzer target for the unwind table builder (preload/ehframe.c). The first byte chooses
 * the layout (.eh_frame or .debug_frame) and the architecture's registers; the rest is the
 * section. Building must succeed or fail cleanly, never read outside the input, and a built
 * table must be sorted, each row a change from the one before, and answer every lookup
 * inside [lo, hi) with a row at or before the address. The same bytes, read as a search index
 * (.eh_frame_hdr) over themselves as .eh_frame, must give every one-function lookup a row
 * inside the range it reports, or fail cleanly. */
#include "ehframe.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inflame_eh_src src;
	struct inflame_eh_table *t = NULL;
	uint8_t *copy;
	int r;

	if (size < 1)
		return 0;
	/* an exact copy, so that a read past the end is caught by the sanitizers */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	src.data = copy;
	src.len = size - 1;
	src.vaddr = 0x400000;
	src.debug_frame = data[0] & 1;
	src.arch = data[0] & 2 ? INFLAME_EH_AARCH64 : INFLAME_EH_X86_64;
	r = inflame_ehframe_build(&src, &t);
	assert(r == 0 || r == -ENOENT || r == -EOVERFLOW || r == -ENOMEM);
	if (r == 0) {
		assert(t->n > 0 && t->st.rows == t->n);
		assert(t->rows[0].pc == 0);
		for (size_t i = 1; i < t->n; i++)
			assert(t->rows[i - 1].pc < t->rows[i].pc);
		for (size_t i = 0; i < t->n && i < 64; i++) {
			uint64_t pc = t->lo + t->rows[i].pc;
			const struct inflame_eh_row *row = inflame_ehframe_find(t, pc);

			if (pc < t->hi) {
				assert(row == &t->rows[i]);
			}
			assert(row == NULL || row->kind <= INFLAME_EH_CFA_REG);
			assert(row == NULL || row->kind != INFLAME_EH_CFA_REG || row->aux < 31);
		}
		assert(inflame_ehframe_find(t, t->hi) == NULL);
		inflame_ehframe_free(t);
	}
	if (!src.debug_frame) {
		struct inflame_eh_index ix = {copy, size - 1, 0x400000, src};

		for (uint64_t pc = 0x3fff00; pc < 0x400400; pc += 0x40) {
			struct inflame_eh_row row;
			uint64_t lo, hi;

			r = inflame_ehframe_lookup(&ix, pc, &row, &lo, &hi);
			assert(r == 0 || r == -ENOENT || r == -EINVAL);
			if (r == 0)
				assert(lo <= pc && pc < hi && row.kind != INFLAME_EH_NONE &&
				       row.kind <= INFLAME_EH_CFA_REG);
		}
	}
	free(copy);
	return 0;
}
