/* Unit tests of error records: the first error wins, and diag_print's
 * exact text with its source line and caret. */
#include <setjmp.h> /* cmocka.h needs these three first */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"

static const char source[] = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
			     "+0 > . 1:1(0) ack 1\n"
			     "\t+0\tread(3, ..., 1000) = 1000\n";

static struct src_loc span(int line, int first_col, int last_col)
{
	return (struct src_loc){line, first_col, line, last_col, 0};
}

/* diag_print's output for d; a fixed buffer, so a failed assertion leaks
 * nothing. */
static void assert_printed(const struct diag *d, const char *src,
			   const char *want)
{
	char out[4 * DIAG_TEXT_MAX] = "";
	FILE *f = fmemopen(out, sizeof(out), "w");

	assert_non_null(f);
	diag_print(f, d, "t.pkt", src);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(out, want);
}

static void test_first_error_wins(void **state)
{
	struct src_loc first = span(2, 6, 7), second = span(3, 1, 2);
	struct diag d;

	(void)state;
	diag_clear(&d);
	assert_false(diag_failed(&d));
	assert_int_equal(diag_set(&d, EXIT_FAIL, &first, "expected %s %d",
				  "ack", 1),
			 -1);
	assert_true(diag_failed(&d));
	/* A cleanup path failing later must not hide the cause. */
	assert_int_equal(diag_set(&d, EXIT_INTERNAL, &second, "close failed"),
			 -1);
	assert_int_equal(d.status, EXIT_FAIL);
	assert_string_equal(d.message, "expected ack 1");
	assert_memory_equal(&d.loc, &first, sizeof(first));

	/* Cleared, the record takes the next error. */
	diag_clear(&d);
	assert_false(diag_failed(&d));
	diag_set(&d, EXIT_USAGE, NULL, "bad option");
	assert_int_equal(d.status, EXIT_USAGE);
	assert_int_equal(d.loc.first_line, 0);
	assert_int_equal(d.loc.first_col, 0);
	assert_string_equal(d.message, "bad option");
}

static void test_long_message_truncated(void **state)
{
	char big[2 * DIAG_TEXT_MAX];
	struct diag d;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	diag_clear(&d);
	diag_set(&d, EXIT_USAGE, NULL, "%s", big);
	assert_int_equal(strlen(d.message), DIAG_TEXT_MAX - 1);
	diag_expected(&d, "%s", big);
	assert_int_equal(strlen(d.expected), DIAG_TEXT_MAX - 1);
}

static void test_print_full(void **state)
{
	struct src_loc loc = span(2, 16, 21);
	struct diag d;

	(void)state;
	diag_clear(&d);
	diag_set(&d, EXIT_FAIL, &loc, "expected ack %d, got ack %d", 1, 2);
	diag_expected(&d, "> . 1:1(0) ack 1");
	diag_actual(&d, "> . 1:1(0) ack 2 win 64239");
	assert_printed(&d, source,
		       "t.pkt:2:16: error: expected ack 1, got ack 2\n"
		       " +0 > . 1:1(0) ack 1\n"
		       "                ^~~~~\n"
		       "expected: > . 1:1(0) ack 1\n"
		       "actual:   > . 1:1(0) ack 2 win 64239\n");
}

/* The caret line covers first_col up to, not including, last_col. */
static void test_print_caret_span(void **state)
{
	struct src_loc whole = span(1, 3, 9), one = span(1, 1, 2);
	struct src_loc empty = span(1, 5, 5);
	struct src_loc two_lines = {1, 3, 2, 4, 0};
	struct diag d;

	(void)state;
	diag_clear(&d);
	diag_set(&d, EXIT_USAGE, &whole, "unknown system call 'socket'");
	assert_printed(&d, source,
		       "t.pkt:1:3: error: unknown system call 'socket'\n"
		       " 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
		       "   ^~~~~~\n");

	diag_clear(&d);
	diag_set(&d, EXIT_USAGE, &one, "m");
	assert_printed(&d, source,
		       "t.pkt:1:1: error: m\n"
		       " 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
		       " ^\n");

	/* An empty span still gets its caret. */
	diag_clear(&d);
	diag_set(&d, EXIT_USAGE, &empty, "m");
	assert_printed(&d, source,
		       "t.pkt:1:5: error: m\n"
		       " 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
		       "     ^\n");

	/* A span over several lines marks where it starts. */
	diag_clear(&d);
	diag_set(&d, EXIT_USAGE, &two_lines, "m");
	assert_printed(&d, source,
		       "t.pkt:1:3: error: m\n"
		       " 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
		       "   ^\n");
}

/* Tabs before the caret stay tabs, so it lines up in any terminal. */
static void test_print_tabs(void **state)
{
	struct src_loc loc = span(3, 5, 9);
	struct diag d;

	(void)state;
	diag_clear(&d);
	diag_set(&d, EXIT_FAIL, &loc, "read returned 100");
	assert_printed(&d, source,
		       "t.pkt:3:5: error: read returned 100\n"
		       " \t+0\tread(3, ..., 1000) = 1000\n"
		       " \t  \t^~~~\n");
}

/* The last line needs no newline of its own. */
static void test_print_last_line(void **state)
{
	struct src_loc loc = span(2, 1, 3);
	struct diag d;

	(void)state;
	diag_clear(&d);
	diag_set(&d, EXIT_USAGE, &loc, "m");
	assert_printed(&d, "0 `true`\n+0 `false`",
		       "t.pkt:2:1: error: m\n"
		       " +0 `false`\n"
		       " ^~\n");
}

static void test_print_no_location(void **state)
{
	struct diag d;

	(void)state;
	diag_clear(&d);
	diag_set(&d, EXIT_USAGE, NULL, "the script has no events");
	assert_printed(&d, source, "t.pkt: error: the script has no events\n");

	/* expected and actual print without a location too. */
	diag_expected(&d, "an event");
	diag_actual(&d, "none");
	assert_printed(&d, NULL,
		       "t.pkt: error: the script has no events\n"
		       "expected: an event\n"
		       "actual:   none\n");
}

/* Without the script text there is only the message line. */
static void test_print_no_source(void **state)
{
	struct src_loc loc = span(2, 16, 21);
	struct diag d;

	(void)state;
	diag_clear(&d);
	diag_set(&d, EXIT_FAIL, &loc, "expected ack 1, got ack 2");
	assert_printed(&d, NULL,
		       "t.pkt:2:16: error: expected ack 1, got ack 2\n");
}

static void test_print_past_end(void **state)
{
	struct src_loc loc = span(7, 1, 2);
	struct diag d;

	(void)state;
	diag_clear(&d);
	diag_set(&d, EXIT_USAGE, &loc, "syntax error");
	diag_actual(&d, "end of file");
	assert_printed(&d, source,
		       "t.pkt:7:1: error: syntax error\n"
		       "actual:   end of file\n");
}

static void test_print_kinds(void **state)
{
	struct src_loc loc = span(1, 1, 2);
	struct diag d;

	(void)state;
	diag_clear(&d);
	diag_set(&d, EXIT_INTERNAL, &loc, "out of memory");
	assert_printed(&d, NULL, "t.pkt:1:1: internal error: out of memory\n");

	diag_clear(&d);
	diag_set(&d, EXIT_INTERNAL, NULL, "out of memory");
	assert_printed(&d, NULL, "t.pkt: internal error: out of memory\n");

	diag_clear(&d);
	diag_set(&d, EXIT_SKIP, NULL, "needs root");
	assert_printed(&d, NULL, "t.pkt: skipped: needs root\n");

	diag_clear(&d);
	diag_set(&d, EXIT_FAIL, NULL, "no reset");
	assert_printed(&d, NULL, "t.pkt: error: no reset\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_long_message_truncated),
		cmocka_unit_test(test_print_full),
		cmocka_unit_test(test_print_caret_span),
		cmocka_unit_test(test_print_tabs),
		cmocka_unit_test(test_print_last_line),
		cmocka_unit_test(test_print_no_location),
		cmocka_unit_test(test_print_no_source),
		cmocka_unit_test(test_print_past_end),
		cmocka_unit_test(test_print_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
