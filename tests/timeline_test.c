/* Unit tests for tools/view/timeline.c (time points of --from/--to, the timeline's threads,
 * run starts and time order) and tools/output/json.c (the escaping that keeps names inert in
 * the viewer's page). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "output/json.h"
#include "view/timeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_time_points(void **state)
{
	struct inflame_time_point p;
	static const char *const bad[] = {"",
					  "x",
					  "1.",
					  ".5",
					  "1.5.2",
					  "-1",
					  "1e3",
					  "24:00:00",
					  "10:00",
					  "10:60:00",
					  "2026-13-01T00:00:00",
					  "2026-12-04",
					  "2026-12-04T10:00:00+01",
					  "1.5ms"};

	(void)state;
	assert_int_equal(inflame_time_point_parse("1.5", &p), 0);
	assert_int_equal(p.kind, INFLAME_TIME_OFFSET);
	assert_int_equal(p.ns, 1500000000ull);
	assert_int_equal(inflame_time_point_parse("2s", &p), 0);
	assert_int_equal(p.ns, 2000000000ull);
	assert_int_equal(inflame_time_point_parse("0.000000001", &p), 0);
	assert_int_equal(p.ns, 1);
	assert_int_equal(inflame_time_point_parse("10:00:00.25", &p), 0);
	assert_int_equal(p.kind, INFLAME_TIME_TIME_OF_DAY);
	assert_int_equal(p.ns, 36000250000000ull);
	assert_int_equal(inflame_time_point_parse("1970-01-02T00:00:01.5Z", &p), 0);
	assert_int_equal(p.kind, INFLAME_TIME_REALTIME);
	assert_int_equal(p.ns, 86401500000000ull);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(inflame_time_point_parse(bad[i], &p), -EINVAL);

	/* Resolving against a run that started at 1970-01-02T23:00:00 UTC. */
	setenv("TZ", "UTC", 1);
	{
		uint64_t start = (86400ull + 23 * 3600) * 1000000000ull;

		p.kind = INFLAME_TIME_NONE;
		assert_int_equal(inflame_time_point_resolve(&p, start, 42), 42);
		inflame_time_point_parse("1.5", &p);
		assert_int_equal(inflame_time_point_resolve(&p, start, 0), 1500000000ull);
		inflame_time_point_parse("23:00:02", &p);
		assert_int_equal(inflame_time_point_resolve(&p, start, 0), 2000000000ull);
		/* After midnight: the next day. */
		inflame_time_point_parse("00:30:00", &p);
		assert_int_equal(inflame_time_point_resolve(&p, start, 0), 5400000000000ull);
		/* Before the start: 0. */
		inflame_time_point_parse("1970-01-02T22:00:00Z", &p);
		assert_int_equal(inflame_time_point_resolve(&p, start, 7), 0);
	}
}

static void test_timeline_runs(void **state)
{
	struct inflame_timeline tl = {0};
	struct inflame_timeline_sample s = {0};
	uint32_t a, b, c;

	(void)state;
	assert_int_equal(inflame_timeline_begin_run(&tl, 1000), 0);
	assert_int_equal(inflame_timeline_thread(&tl, 1, 10, "", 0, 0, &a), 0);
	assert_int_equal(inflame_timeline_thread(&tl, 1, 11, "w", 1, 0, &b), 0);
	assert_int_equal(inflame_timeline_thread(&tl, 1, 10, "main", 4, 1, &c), 0);
	assert_int_equal(a, c);
	assert_int_not_equal(a, b);
	assert_string_equal(tl.threads[a].name, "main"); /* an empty name is replaced */
	assert_int_equal(tl.threads[a].exited, 1);
	s = (struct inflame_timeline_sample){.time = 50, .weight = 1, .freed = 70, .thread = a};
	assert_int_equal(inflame_timeline_add(&tl, &s), 0);
	s = (struct inflame_timeline_sample){.time = 20, .weight = 2, .freed = -1, .thread = b};
	assert_int_equal(inflame_timeline_add(&tl, &s), 0);
	s = (struct inflame_timeline_sample){.time = 20, .weight = 3, .freed = -1, .thread = a};
	assert_int_equal(inflame_timeline_add(&tl, &s), 0);
	/* A run that started 400 ns earlier moves the start back. */
	assert_int_equal(inflame_timeline_begin_run(&tl, 600), 0);
	assert_int_equal(tl.start_realtime, 600);
	assert_int_equal(tl.samples[0].time, 450);
	assert_int_equal(tl.samples[0].freed, 470);
	assert_int_equal(tl.samples[1].freed, -1);
	assert_int_equal(inflame_timeline_begin_run(&tl, 700), 100);
	inflame_timeline_finish(&tl);
	/* Time order; ties keep their order. */
	assert_int_equal(tl.samples[0].weight, 2);
	assert_int_equal(tl.samples[1].weight, 3);
	assert_int_equal(tl.samples[2].weight, 1);
	assert_int_equal(tl.end, 450);
	inflame_timeline_free(&tl);
}

/* Writes s through the JSON writer and returns the text (static buffer). */
static const char *json_of(const char *s, size_t n)
{
	static char out[1024];
	FILE *f = fmemopen(out, sizeof(out) - 1, "w");
	struct inflame_json *j = malloc(sizeof(*j));

	assert_non_null(f);
	assert_non_null(j);
	inflame_json_init(j, f);
	inflame_json_str(j, s, n);
	assert_int_equal(inflame_json_finish(j), 0);
	out[ftell(f)] = '\0';
	fclose(f);
	free(j);
	return out;
}

static void test_json_escapes(void **state)
{
	(void)state;
	assert_string_equal(json_of("main", 4), "\"main\"");
	assert_string_equal(json_of("</script>", 9), "\"\\u003c/script\\u003e\"");
	assert_string_equal(json_of("a&b\"c\\", 6), "\"a\\u0026b\\\"c\\\\\"");
	assert_string_equal(json_of("\x01\n\x1b\x7f", 4), "\"\\u0001\\u000a\\u001b\\u007f\"");
	assert_string_equal(json_of("x\xe2\x80\xa8y\xe2\x80\xa9", 8), "\"x\\u2028y\\u2029\"");
	/* Not UTF-8: a lone continuation byte, a cut sequence, an overlong '/', a surrogate. */
	assert_string_equal(json_of("\x80", 1), "\"\\ufffd\"");
	assert_string_equal(json_of("a\xc3", 2), "\"a\\ufffd\"");
	assert_string_equal(json_of("\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");
	assert_string_equal(json_of("\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"");
	/* Valid UTF-8 stays as it is. */
	assert_string_equal(json_of("caf\xc3\xa9 \xf0\x9f\x94\xa5", 10),
			    "\"caf\xc3\xa9 \xf0\x9f\x94\xa5\"");
	assert_string_equal(json_of("a\0b", 3), "\"a\\u0000b\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_time_points),
	    cmocka_unit_test(test_timeline_runs),
	    cmocka_unit_test(test_json_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
