/* libFuzzer target for the folded-stacks reader: any input must load without crashing or
 * leaking, and the set must stay consistent (the total is the sum of the stacks). */
#include "input/source.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inflame_load_opts o = {0};
	struct inflame_load_stats st = {0};
	struct inflame_stackset *ss = inflame_stackset_new();
	char err[128];
	uint64_t sum = 0;

	if (!ss)
		return 0;
	if (inflame_folded_load((const char *)data, size, &o, ss, &st, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < inflame_stackset_count(ss); i++) {
			const uint32_t *f;
			size_t n;
			uint64_t c;

			inflame_stackset_get(ss, i, &f, &n, &c);
			for (size_t k = 0; k < n; k++)
				assert(f[k] < inflame_stackset_nframes_total(ss));
			sum += c;
		}
		assert(sum == inflame_stackset_total(ss));
		inflame_stackset_sort(ss);
	}
	inflame_stackset_free(ss);
	return 0;
}
