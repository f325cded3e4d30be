/* libFuzzer target for the settings parsers (lib/config.c): every INFLAME_* value parser and
 * the output pattern checker and expander get the input as a string. A parser must accept or
 * reject with a one-line reason, and an accepted pattern must expand within its buffer, with
 * nothing but the pattern's own text, pid, time and sequence (no environment variable or other
 * input can add a '/' that the pattern does not have). */
#include "config.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(int rc, const char *err)
{
	if (rc < 0)
		assert(err[0] && !strchr(err, '\n'));
}

static size_t count(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[256], ev[64], out[4096];
	unsigned mask;
	uint64_t u;
	enum inflame_cpu_timer t;
	enum inflame_unwind w;
	enum inflame_log_level l;
	int sig, rc;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	err[0] = 0;
	one_line(inflame_config_parse_events(s, &mask, err, sizeof(err)), err);
	one_line(inflame_config_parse_uint("X", s, 1, 1000000, &u, err, sizeof(err)), err);
	one_line(inflame_config_parse_timer(s, &t, err, sizeof(err)), err);
	one_line(inflame_config_parse_unwind(s, &w, err, sizeof(err)), err);
	one_line(inflame_config_parse_log(s, &l, out, sizeof(out), err, sizeof(err)), err);
	rc = inflame_config_parse_signal(s, &sig, err, sizeof(err));
	one_line(rc, err);
	if (rc == 0)
		(void)inflame_config_signal_name(sig);
	one_line(inflame_config_parse_perf_event(s, ev, sizeof(ev), err, sizeof(err)), err);
	rc = inflame_config_check_output(s, err, sizeof(err));
	one_line(rc, err);
	if (rc == 0) {
		for (unsigned seq = 0; seq < 3; seq++) {
			int n = inflame_config_expand_output(s, 123456, 1700000000, seq, out,
							     sizeof(out));

			if (n >= 0) {
				assert((size_t)n < sizeof(out) && strlen(out) == (size_t)n);
				assert(count(out, '/') == count(s, '/'));
			}
		}
	}
	free(s);
	return 0;
}
