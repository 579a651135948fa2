/* Unit tests of ladder diagrams: the exact text of a run with a failed
 * step, and an SVG that escapes what it draws. */
#include <setjmp.h> /* cmocka.h needs these three first */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diagram.h"
#include "sockstate.h"

static void step(struct diagram *dg, double secs, enum diagram_kind kind,
		 const char *text, int state)
{
	struct diagram_step s = {secs, kind, text, state, NULL};

	assert_int_equal(diagram_step(dg, &s), 0);
}

/* What out() wrote into a fixed buffer. */
static char *printed(const struct diagram *dg, bool svg)
{
	static char buf[16384];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	if (svg)
		assert_int_equal(diagram_write_svg(f, dg), 0);
	else
		diagram_print_text(f, dg);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static struct diagram *handshake(void)
{
	struct diagram *dg = diagram_new("t.pkt");

	assert_non_null(dg);
	step(dg, 0, DIAGRAM_CALL, "listen(3, 1) = 0", TCP_STATE_LISTEN);
	step(dg, 0.0004, DIAGRAM_IN, "S 0:0(0) win 65535", TCP_STATE_SYN_RECV);
	step(dg, 0.0006, DIAGRAM_OUT, "S. 0:0(0) ack 1", TCP_STATE_SYN_RECV);
	return dg;
}

static void test_text(void **state)
{
	struct diagram *dg = handshake();
	struct diagram_step s = {0.1, DIAGRAM_OUT, "> . 1:1(0) ack 1 win 5",
				 DIAGRAM_STATE_UNKNOWN, NULL};

	(void)state;
	assert_int_equal(diagram_fail(dg, &s, "> . 1:1(0) ack 2 <...>",
				      "> . 1:1(0) ack 1 win 5"),
			 0);
	/* Nothing follows the failed step. */
	step(dg, 0.2, DIAGRAM_CALL, "close(4) = 0", TCP_STATE_CLOSED);
	assert_int_equal(diagram_count(dg), 4);
	assert_string_equal(
		printed(dg, false),
		"t.pkt\n"
		"\n"
		"      time  stack under test                                 "
		"tcpcheck (peer)\n"
		"1.   0.000  LISTEN            listen(3, 1) = 0\n"
		"2.   0.000  SYN_RECV      <-- S 0:0(0) win 65535             "
		"<--\n"
		"3.   0.001  SYN_RECV      --> S. 0:0(0) ack 1                "
		"-->\n"
		"4.   0.100  ?             --> . 1:1(0) ack 2 <...>           "
		"-->  expected\n"
		"   FAILED                 --> . 1:1(0) ack 1 win 5           "
		"-->  actual\n");
	diagram_free(dg);
}

/* A segment that never came has no arrow; a message is no segment. */
static void test_text_nothing(void **state)
{
	struct diagram *dg = handshake();
	struct diagram_step s = {1.5, DIAGRAM_OUT, "nothing",
				 TCP_STATE_SYN_RECV, NULL};

	(void)state;
	diagram_fail(dg, &s, "> F. 1:1(0) ack 1", "nothing");
	assert_non_null(strstr(printed(dg, false),
			       "4.   1.500  SYN_RECV      --> F. 1:1(0) ack 1 "
			       "               -->  expected\n"
			       "   FAILED                     (nothing)       "
			       "                    actual\n"));
	diagram_free(dg);
}

static void test_svg(void **state)
{
	struct diagram *dg = diagram_new("a&b.pkt");
	struct diagram_step s = {0.2, DIAGRAM_CALL, "x", TCP_STATE_CLOSED,
				 NULL};
	char *svg;

	(void)state;
	step(dg, 0, DIAGRAM_IN, "S 0:0(0) <mss 1460>", TCP_STATE_SYN_RECV);
	diagram_fail(dg, &s, "write(4, \"\x01\", 1) = 1", "write returned -1");
	svg = printed(dg, true);
	assert_non_null(strstr(svg, "<title>a&amp;b.pkt: ladder diagram"));
	assert_non_null(strstr(svg, "S 0:0(0) &lt;mss 1460&gt;</text>"));
	/* A control byte would make the document ill-formed. */
	assert_non_null(strstr(svg, "expected: write(4, &quot;?&quot;, 1)"));
	assert_non_null(strstr(svg, ">SYN_RECV</text>"));
	assert_non_null(strstr(svg, ">FAILED</text>"));
	assert_string_equal(svg + strlen(svg) - 7, "</svg>\n");
	diagram_free(dg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_nothing),
		cmocka_unit_test(test_svg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
