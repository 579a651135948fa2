/* Unit tests of script <-> live sequence and timestamp translation,
 * wrap-around at 2^32 above all. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "seqmap.h"

static void test_identity_before_learning(void **state)
{
	struct seqmap m;

	(void)state;
	seqmap_init(&m);
	assert_false(seqmap_has_isn(&m));
	assert_false(seqmap_has_ts(&m));
	assert_int_equal(seqmap_local_to_script(&m, 12345), 12345);
	assert_int_equal(seqmap_local_to_live(&m, 12345), 12345);
	/* An inbound SYN's "ecr 0" stays 0 while nothing is known. */
	assert_int_equal(seqmap_ts_ecr_to_live(&m, 0), 0);
	assert_int_equal(seqmap_ts_val_to_script(&m, 77), 77);
}

static void test_isn_learning(void **state)
{
	struct seqmap m;

	(void)state;
	seqmap_init(&m);
	/* > S 0:0(0) seen on the wire with seq 1000000. */
	seqmap_learn_isn(&m, 0, 1000000);
	assert_true(seqmap_has_isn(&m));
	/* The SYN itself, then the first data byte after it. */
	assert_int_equal(seqmap_local_to_script(&m, 1000000), 0);
	assert_int_equal(seqmap_local_to_script(&m, 1000001), 1);
	assert_int_equal(seqmap_local_to_script(&m, 1001001), 1001);
	/* < . 1:1(0) ack 1001: the ack is in the stack's space. */
	assert_int_equal(seqmap_local_to_live(&m, 1001), 1001001);
	/* A script that gives the stack's SYN a nonzero seq. */
	seqmap_learn_isn(&m, 500, 1000000);
	assert_int_equal(seqmap_local_to_script(&m, 1000001), 501);
	assert_int_equal(seqmap_local_to_live(&m, 501), 1000001);
}

static void test_wraparound(void **state)
{
	struct seqmap m;

	(void)state;
	seqmap_init(&m);
	seqmap_learn_isn(&m, 0, 0xffffff00u);
	/* 0x200 bytes later the live number has wrapped past zero. */
	assert_int_equal(seqmap_local_to_script(&m, 0x100), 0x200);
	assert_int_equal(seqmap_local_to_live(&m, 0x200), 0x100);
	assert_int_equal(seqmap_local_to_live(&m, 0xff), 0xffffffffu);
	assert_int_equal(seqmap_local_to_live(&m, 0x100), 0);
	/* Script numbers wrap too: the script said "S 4294967295:..". */
	seqmap_learn_isn(&m, 0xffffffffu, 5);
	assert_int_equal(seqmap_local_to_script(&m, 6), 0);
	assert_int_equal(seqmap_local_to_script(&m, 4), 0xfffffffeu);
	assert_int_equal(seqmap_local_to_live(&m, 0), 6);
	/* ISN 0 on the wire, script 0: the identity. */
	seqmap_learn_isn(&m, 0, 0);
	assert_int_equal(seqmap_local_to_script(&m, 0xffffffffu), 0xffffffffu);
}

static void test_round_trips(void **state)
{
	uint32_t x = 123456789u, isn, script, live;
	struct seqmap m;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		isn = x;
		script = x * 2654435761u;
		seqmap_init(&m);
		seqmap_learn_isn(&m, i & 1 ? 0 : script, isn);
		live = seqmap_local_to_live(&m, script);
		assert_int_equal(seqmap_local_to_script(&m, live), script);
		live = seqmap_local_to_script(&m, script);
		assert_int_equal(seqmap_local_to_live(&m, live), script);
		/* Distances are kept: a window of bytes stays a window. */
		assert_int_equal(seqmap_local_to_script(&m, isn + 1000) -
					 seqmap_local_to_script(&m, isn),
				 1000);
	}
}

static void test_timestamps(void **state)
{
	struct seqmap m;

	(void)state;
	seqmap_init(&m);
	seqmap_learn_isn(&m, 0, 42);
	/* > S 0:0(0) <..., TS val 100 ecr 0> seen with val 3000000000. */
	seqmap_learn_ts(&m, 100, 3000000000u);
	assert_true(seqmap_has_ts(&m));
	/* < S. 0:0(0) ack 1 <..., TS val 700 ecr 100>: echo the real val. */
	assert_int_equal(seqmap_ts_ecr_to_live(&m, 100), 3000000000u);
	assert_int_equal(seqmap_ts_ecr_to_live(&m, 110), 3000000010u);
	assert_int_equal(seqmap_ts_val_to_script(&m, 3000000010u), 110);
	/* The TS clock is independent of the sequence space. */
	assert_int_equal(seqmap_local_to_script(&m, 43), 1);
}

static void test_timestamp_wraparound(void **state)
{
	struct seqmap m;

	(void)state;
	seqmap_init(&m);
	seqmap_learn_ts(&m, 100, 0xfffffff0u);
	assert_int_equal(seqmap_ts_ecr_to_live(&m, 116), 0);
	assert_int_equal(seqmap_ts_ecr_to_live(&m, 120), 4);
	assert_int_equal(seqmap_ts_val_to_script(&m, 4), 120);
	/* An unchecked val the script never wrote: learned against 0. */
	seqmap_learn_ts(&m, 0, 7);
	assert_int_equal(seqmap_ts_ecr_to_live(&m, 0), 7);
	assert_int_equal(seqmap_ts_ecr_to_live(&m, 0xffffffffu), 6);
}

/* A SYN's numbers are absolute; later segments count from the sender's
 * ISN, whatever number the script gave that ISN. */
static void test_syn_absolute_rest_relative(void **state)
{
	struct seqmap m;

	(void)state;
	seqmap_init(&m);
	/* The stack: script "S. 1234:1234(0)", live ISN 5000000. */
	seqmap_learn_isn(&m, 1234, 5000000);
	assert_int_equal(seqmap_stack_to_script(&m, 5000000, true), 1234);
	assert_int_equal(seqmap_stack_to_script(&m, 5000001, false), 1);
	assert_int_equal(seqmap_stack_to_live(&m, 1, false), 5000001);
	assert_int_equal(seqmap_stack_to_live(&m, 1235, true), 5000001);
	/* The tool: script "< S 999000:999000(0)", sent as written. */
	seqmap_learn_remote_isn(&m, 999000);
	assert_int_equal(seqmap_tool_to_live(&m, 999000, true), 999000);
	assert_int_equal(seqmap_tool_to_live(&m, 1, false), 999001);
	assert_int_equal(seqmap_tool_to_script(&m, 999001, true), 999001);
	assert_int_equal(seqmap_tool_to_script(&m, 999001, false), 1);
	/* Wrapping past 2^32. */
	seqmap_learn_remote_isn(&m, 0xffffffffu);
	assert_int_equal(seqmap_tool_to_live(&m, 2, false), 1);
	seqmap_init(&m);
	assert_int_equal(seqmap_tool_to_live(&m, 7, false), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_before_learning),
		cmocka_unit_test(test_isn_learning),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_timestamp_wraparound),
		cmocka_unit_test(test_syn_absolute_rest_relative),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
