/* Unit tests of error records: the first error wins, diag_print's exact
 * text with its source line and caret, expected and actual segments
 * aligned field by field, and the trace line. */
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


/* A pair as the fields (exp, act, mark, glue) build it, then its three
 * aligned lines. */
struct field {
	const char *exp, *act;
	bool mark, glue;
};

static void build_pair(struct diag *d, const struct field *f, size_t n)
{
	struct src_loc loc = span(2, 1, 2);

	diag_clear(d);
	diag_set(d, EXIT_FAIL, &loc, "m");
	diag_pair_begin(d);
	for (size_t i = 0; i < n; i++)
		diag_pair_add(d, f[i].exp, f[i].act, f[i].mark, f[i].glue);
}

static void assert_aligned(const struct diag *d, const char *exp,
			   const char *act, const char *marks)
{
	char e[2 * DIAG_TEXT_MAX], a[2 * DIAG_TEXT_MAX], m[2 * DIAG_TEXT_MAX];

	diag_pair_align(d, e, a, m, sizeof(e));
	assert_string_equal(e, exp);
	assert_string_equal(a, act);
	assert_string_equal(m, marks);
}

/* The plain lines stay as the fields spell them, one space apart, for
 * diagrams and records; the printed ones line up. */
static void test_pair_missing_field(void **state)
{
	static const struct field f[] = {
		{">", ">", false, false},  {"F.", "F.", false, false},
		{"1:1(0)", "1:1(0)", false, false},
		{"ack 2", "ack 1", true, false}, {NULL, "win 64240", false, false},
	};
	struct diag d;

	(void)state;
	build_pair(&d, f, 5);
	assert_string_equal(d.expected, "> F. 1:1(0) ack 2");
	assert_string_equal(d.actual, "> F. 1:1(0) ack 1 win 64240");
	assert_aligned(&d, "> F. 1:1(0) ack 2", "> F. 1:1(0) ack 1 win 64240",
		       "            ^~~~~");
	assert_printed(&d, NULL,
		       "t.pkt:2:1: error: m\n"
		       "expected: > F. 1:1(0) ack 2\n"
		       "actual:   > F. 1:1(0) ack 1 win 64240\n"
		       "                      ^~~~~\n");
}

/* A field missing on the actual side leaves blanks; later fields keep
 * their columns, and a mark is as wide as the wider side. */
static void test_pair_missing_on_actual(void **state)
{
	static const struct field f[] = {
		{">", ">", false, false},  {"S.", "S", true, false},
		{"0:0(0)", "0:0(0)", false, false}, {"ack 1", NULL, false, false},
		{"win 65535", "win 100", true, false},
	};
	struct diag d;

	(void)state;
	build_pair(&d, f, 5);
	assert_string_equal(d.actual, "> S 0:0(0) win 100");
	assert_aligned(&d, "> S. 0:0(0) ack 1 win 65535",
		       "> S  0:0(0)       win 100",
		       "  ^~              ^~~~~~~~~");
}

/* Option lists one for one: each item a field, glued by its comma; only
 * the item that differs is marked, and later items stay in line. */
static void test_pair_long_options(void **state)
{
	static const struct field f[] = {
		{">", ">", false, false},
		{"S.", "S.", false, false},
		{"<mss 1460,", "<mss 1460,", false, true},
		{"sackOK,", "sackOK,", false, true},
		{"TS val 100 ecr 0,", "TS val 100123 ecr 0,", false, true},
		{"nop,", "nop,", false, true},
		{"wscale 7,", "wscale 10,", true, true},
		{"FO 0102030405060708,", "FO 0102030405060708,", false, true},
		{"nop>", "nop>", false, false},
	};
	struct diag d;

	(void)state;
	build_pair(&d, f, 9);
	assert_string_equal(d.expected, "> S. <mss 1460,sackOK,TS val 100 ecr "
					"0,nop,wscale 7,FO 0102030405060708,"
					"nop>");
	assert_aligned(&d,
		       "> S. <mss 1460,sackOK,TS val 100 ecr 0,   nop,"
		       "wscale 7, FO 0102030405060708,nop>",
		       "> S. <mss 1460,sackOK,TS val 100123 ecr 0,nop,"
		       "wscale 10,FO 0102030405060708,nop>",
		       "                                              "
		       "^~~~~~~~~~");
}

/* Nothing differs: no marks line at all. */
static void test_pair_equal(void **state)
{
	static const struct field f[] = {
		{">", ">", false, false}, {".", ".", false, false},
		{"1:1(0)", "1:1(0)", false, false},
	};
	struct diag d;

	(void)state;
	build_pair(&d, f, 3);
	assert_aligned(&d, "> . 1:1(0)", "> . 1:1(0)", "");
	assert_printed(&d, NULL,
		       "t.pkt:2:1: error: m\n"
		       "expected: > . 1:1(0)\n"
		       "actual:   > . 1:1(0)\n");
}

/* A field on the expected side only, last: the actual line ends before
 * it, trailing blanks dropped; a whole list marked when the lists do not
 * line up; fields empty on both sides take no room. */
static void test_pair_missing_last(void **state)
{
	static const struct field f[] = {
		{">", ">", false, false},    {"", NULL, false, false},
		{"S", "S", false, false},
		{"<mss 1460,sackOK,nop,wscale 1>", "<mss 1460,nop,wscale 1>",
		 true, false},
		{"urg 5", NULL, true, false},
	};
	struct diag d;

	(void)state;
	build_pair(&d, f, 5);
	assert_aligned(&d, "> S <mss 1460,sackOK,nop,wscale 1> urg 5",
		       "> S <mss 1460,nop,wscale 1>",
		       "    ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~ ^~~~~");
}

/* More fields than the record holds: the lines are still all there,
 * printed as they are, unaligned. */
static void test_pair_too_many_fields(void **state)
{
	struct diag d;
	struct src_loc loc = span(2, 1, 2);
	char want[4 * DIAG_COLUMNS_MAX] = "";

	(void)state;
	diag_clear(&d);
	diag_set(&d, EXIT_FAIL, &loc, "m");
	diag_pair_begin(&d);
	for (int i = 0; i < DIAG_COLUMNS_MAX + 2; i++) {
		diag_pair_add(&d, "ab", "c", true, false);
		strcat(want, i ? " ab" : "ab");
	}
	assert_true(d.columns < 0);
	assert_string_equal(d.expected, want);
	assert_int_equal(strlen(d.actual), 2 * (DIAG_COLUMNS_MAX + 2) - 1);
	assert_aligned(&d, "", "", "");
}

/* The trace line, broken after a comma before 80 columns. */
static void test_print_trace(void **state)
{
	struct src_loc loc = span(2, 1, 2);
	struct diag d;

	(void)state;
	diag_clear(&d);
	diag_set(&d, EXIT_FAIL, &loc, "m");
	diag_expected(&d, "tcp_state(4) = ESTABLISHED");
	diag_actual(&d, "tcp_state(4) = CLOSED");
	diag_trace(&d, "SYN_RECV (line 6), ESTABLISHED (line 8), CLOSED "
		       "(line 10) (state trace: tracepoint)");
	assert_printed(&d, NULL,
		       "t.pkt:2:1: error: m\n"
		       "expected: tcp_state(4) = ESTABLISHED\n"
		       "actual:   tcp_state(4) = CLOSED\n"
		       "trace:    SYN_RECV (line 6), ESTABLISHED (line 8),\n"
		       "          CLOSED (line 10) (state trace: tracepoint)\n");
}

/* All-errors mode: each error is recorded, the first is still kept. */
static void test_all_errors(void **state)
{
	struct diag_list all = {0};
	struct diag d = {.all = &all};
	struct src_loc a = span(3, 5, 9), b = span(1, 2, 4), c = span(3, 1, 2);

	(void)state;
	assert_int_equal(diag_set(&d, EXIT_USAGE, &a, "third"), -1);
	diag_set(&d, EXIT_USAGE, &b, "first");
	diag_set(&d, EXIT_USAGE, &c, "second");
	diag_set(&d, EXIT_USAGE, NULL, "no place");
	diag_set(&d, EXIT_USAGE, &b, "first");       /* a repeat */
	diag_set(&d, EXIT_USAGE, &b, "first again"); /* same place */
	assert_string_equal(d.message, "third");
	assert_int_equal(all.count, 6);
	diag_list_sort(&all);
	assert_int_equal(all.count, 5);
	assert_string_equal(all.items[0].message, "no place");
	assert_string_equal(all.items[1].message, "first");
	assert_string_equal(all.items[2].message, "first again");
	assert_string_equal(all.items[3].message, "second");
	assert_string_equal(all.items[4].message, "third");
	assert_int_equal(all.items[4].loc.first_col, 5);
	diag_list_free(&all);
	assert_int_equal(all.count, 0);
}

static void test_print_record(void **state)
{
	struct diag_record r = {EXIT_USAGE, span(2, 4, 5), (char *)"bad"};
	char out[256] = "";
	FILE *f = fmemopen(out, sizeof(out), "w");

	(void)state;
	assert_non_null(f);
	diag_print_record(f, &r, "t.pkt", source);
	fclose(f);
	assert_string_equal(out, "t.pkt:2:4: error: bad\n"
				 " +0 > . 1:1(0) ack 1\n"
				 "    ^\n");
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
		cmocka_unit_test(test_pair_missing_field),
		cmocka_unit_test(test_pair_missing_on_actual),
		cmocka_unit_test(test_pair_long_options),
		cmocka_unit_test(test_pair_equal),
		cmocka_unit_test(test_pair_missing_last),
		cmocka_unit_test(test_pair_too_many_fields),
		cmocka_unit_test(test_print_trace),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_print_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
