/* libFuzzer target for the perf script reader: any input, with and without the per-thread
 * and address options, must load without crashing or leaking, into a consistent set. */
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

	if (!ss)
		return 0;
	/* The first byte picks the options so the fuzzer explores them too. */
	if (size > 0) {
		o.threads = data[0] & 1;
		o.pid = (data[0] >> 1) & 1;
		o.keep_addrs = (data[0] >> 2) & 1;
		o.no_comm = (data[0] >> 3) & 1;
		o.only_pid = (data[0] >> 4) & 1 ? 42 : 0;
	}
	(void)inflame__text_is_perfscript((const char *)data, size);
	if (inflame_perfscript_load((const char *)data, size, &o, ss, &st, err, sizeof(err)) == 0) {
		uint64_t sum = 0;

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
	}
	inflame_stackset_free(ss);
	return 0;
}
