/* Unit tests of the --stats percentiles and summary line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "stats.h"

static void test_empty(void **state)
{
	struct stats s = {0};
	struct stats_usage u = {0};
	char line[256];

	(void)state;
	assert_int_equal(stats_percentile(&s, 50), 0);
	assert_int_equal(stats_percentile(&s, 100), 0);
	stats_format(&s, &u, line, sizeof(line));
	assert_string_equal(line,
			    "stats: events 0, sched error p50 0.0 us, "
			    "p99 0.0 us, max 0.0 us, cpu 0.0 ms, wall 0.0 ms, "
			    "maxrss 0 KiB");
	stats_free(&s);
}

static void test_one_sample(void **state)
{
	struct stats s = {0};

	(void)state;
	assert_int_equal(stats_add(&s, 42), 0);
	assert_int_equal(stats_percentile(&s, 0), 42);
	assert_int_equal(stats_percentile(&s, 50), 42);
	assert_int_equal(stats_percentile(&s, 99), 42);
	assert_int_equal(stats_percentile(&s, 100), 42);
	stats_free(&s);
}

/* Nearest rank on 1..100 added backwards: the p-th percentile is p. */
static void test_nearest_rank(void **state)
{
	struct stats s = {0};

	(void)state;
	for (int i = 100; i >= 1; i--)
		assert_int_equal(stats_add(&s, i), 0);
	assert_int_equal(s.n, 100);
	assert_int_equal(stats_percentile(&s, 50), 50);
	assert_int_equal(stats_percentile(&s, 99), 99);
	assert_int_equal(stats_percentile(&s, 100), 100);
	assert_int_equal(stats_percentile(&s, 1), 1);
	assert_int_equal(stats_percentile(&s, 0.5), 1);
	stats_free(&s);
}

/* Ten samples: p50 is the 5th, p99 rounds up to the 10th. */
static void test_small_sets_round_up(void **state)
{
	static const int64_t v[] = {7, 3, 9, 1, 5, 10, 2, 8, 4, 6};
	struct stats s = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		stats_add(&s, v[i]);
	assert_int_equal(stats_percentile(&s, 50), 5);
	assert_int_equal(stats_percentile(&s, 51), 6);
	assert_int_equal(stats_percentile(&s, 99), 10);
	/* A sample added after sorting is counted. */
	stats_add(&s, 0);
	assert_int_equal(stats_percentile(&s, 0), 0);
	assert_int_equal(stats_percentile(&s, 100), 10);
	stats_free(&s);
}

/* Growth past the first allocation keeps every sample; negative errors
 * (never expected, but possible in principle) sort below zero. */
static void test_growth_and_negative(void **state)
{
	struct stats s = {0};

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(stats_add(&s, i - 10), 0);
	assert_int_equal(s.n, 1000);
	assert_int_equal(stats_percentile(&s, 0), -10);
	assert_int_equal(stats_percentile(&s, 100), 989);
	assert_int_equal(stats_percentile(&s, 50), 489);
	stats_free(&s);
	assert_null(s.v);
	assert_int_equal(s.n, 0);
}

static void test_format_units(void **state)
{
	struct stats s = {0};
	struct stats_usage u = {
		.cpu_ns = 12345678,
		.wall_ns = 1500000000,
		.maxrss_kib = 4321,
	};
	char line[256];

	(void)state;
	stats_add(&s, 12000);  /* 12 us */
	stats_add(&s, 250500); /* 250.5 us */
	stats_add(&s, 30000);
	stats_format(&s, &u, line, sizeof(line));
	assert_string_equal(line,
			    "stats: events 3, sched error p50 30.0 us, "
			    "p99 250.5 us, max 250.5 us, cpu 12.3 ms, "
			    "wall 1500.0 ms, maxrss 4321 KiB");
	stats_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_one_sample),
		cmocka_unit_test(test_nearest_rank),
		cmocka_unit_test(test_small_sets_round_up),
		cmocka_unit_test(test_growth_and_negative),
		cmocka_unit_test(test_format_units),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
