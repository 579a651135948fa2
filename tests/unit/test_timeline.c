/* Unit tests of the semantic pass: event kinds and times of valid scripts,
 * and every script error pinned to its exact message and location. */
#include <setjmp.h> /* cmocka.h needs these three first */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "diag.h"
#include "script.h"
#include "timeline.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The first line of most scripts: a valid event at time 0. */
#define SOCKET "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"

struct fixture {
	struct script *script;
	struct timeline tl;
	struct diag d;
};

static int setup_fixture(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	*state = fx;
	return 0;
}

static int teardown_fixture(void **state)
{
	struct fixture *fx = *state;

	timeline_free(&fx->tl);
	script_free(fx->script);
	free(fx);
	return 0;
}

/* Parse text and run the semantic pass with default settings; returns what
 * timeline_build returned. The parse itself must succeed. */
static int build(struct fixture *fx, const char *text)
{
	struct config c;

	diag_clear(&fx->d);
	fx->script = script_parse_string("t.pkt", text, NULL, 0, &fx->d);
	if (!fx->script)
		fail_msg("parse failed: %s", fx->d.message);
	config_init(&c);
	assert_int_equal(config_finish(&c, &fx->d), 0);
	return timeline_build(fx->script, &c, &fx->tl, &fx->d);
}

static struct fixture *build_ok(void **state, const char *text,
				size_t count)
{
	struct fixture *fx = *state;

	if (build(fx, text))
		fail_msg("%d:%d: %s", fx->d.loc.first_line,
			 fx->d.loc.first_col, fx->d.message);
	assert_int_equal(fx->tl.count, count);
	for (size_t i = 0; i < count; i++)
		assert_ptr_equal(fx->tl.events[i].ev, fx->script->events[i]);
	return fx;
}

static void assert_time(const struct tl_event *te, enum time_kind kind,
			int64_t start, int64_t end)
{
	assert_int_equal(te->time_kind, kind);
	assert_int_equal(te->start_usecs, start);
	assert_int_equal(te->end_usecs, end);
}

/* --- valid scripts ------------------------------------------------------ */

static void test_event_kinds(void **state)
{
	struct fixture *fx = build_ok(state,
				      SOCKET
				      "+0 < S 0:0(0) win 65535 <mss 1460>\n"
				      "+0 > S. 0:0(0) ack 1 <...>\n"
				      "+0 tcp_state() = SYN_RECV\n"
				      "+0 `sysctl -q net.ipv4.tcp_sack=1`\n",
				      5);
	const struct tl_event *e = fx->tl.events;

	assert_int_equal(e[0].kind, TL_SYSCALL);
	assert_non_null(e[0].call);
	assert_int_equal(e[1].kind, TL_INBOUND);
	assert_int_equal(e[2].kind, TL_OUTBOUND);
	assert_int_equal(e[3].kind, TL_STATE);
	assert_int_equal(e[4].kind, TL_COMMAND);
	for (size_t i = 1; i < 5; i++) {
		assert_null(e[i].call);
		assert_false(e[i].window);
		assert_false(e[i].blocking);
	}
}

static void test_absolute_times(void **state)
{
	struct fixture *fx = build_ok(state,
				      SOCKET
				      "0.100 listen(3, 1) = 0\n"
				      ".2 listen(3, 1) = 0\n"
				      "0.200 listen(3, 1) = 0\n"
				      "1.001 listen(3, 1) = 0\n"
				      "3 listen(3, 1) = 0\n",
				      6);
	const struct tl_event *e = fx->tl.events;

	assert_time(&e[0], TIME_ABSOLUTE, 0, 0);
	assert_time(&e[1], TIME_ABSOLUTE, 100000, 100000);
	assert_time(&e[2], TIME_ABSOLUTE, 200000, 200000);
	/* An equal time is not going backwards. */
	assert_time(&e[3], TIME_ABSOLUTE, 200000, 200000);
	/* 1.001 * 1e6 is 1000999.99... in a double: no floats on the way. */
	assert_time(&e[4], TIME_ABSOLUTE, 1001000, 1001000);
	assert_time(&e[5], TIME_ABSOLUTE, 3000000, 3000000);
}

static void test_relative_times(void **state)
{
	struct fixture *fx = build_ok(state,
				      "+0 socket(..., SOCK_STREAM, "
				      "IPPROTO_TCP) = 3\n"
				      "+.1 listen(3, 1) = 0\n"
				      "+0.000001 listen(3, 1) = 0\n"
				      "+6 listen(3, 1) = 0\n",
				      4);
	const struct tl_event *e = fx->tl.events;

	/* "+0" is a valid first event: it is at 0 too. */
	assert_time(&e[0], TIME_RELATIVE, 0, 0);
	assert_time(&e[1], TIME_RELATIVE, 100000, 100000);
	assert_time(&e[2], TIME_RELATIVE, 1, 1);
	assert_time(&e[3], TIME_RELATIVE, 6000000, 6000000);
}

static void test_windows(void **state)
{
	struct fixture *fx = build_ok(state,
				      SOCKET
				      "+0~+2 > S 0:0(0) <...>\n"
				      "1.0~1.2 > . 1:1(0) ack 1\n"
				      "+.3~+.31 > F. 1:1(0) ack 1\n",
				      4);
	const struct tl_event *e = fx->tl.events;

	for (size_t i = 1; i < 4; i++) {
		assert_int_equal(e[i].kind, TL_OUTBOUND);
		assert_true(e[i].window);
		assert_false(e[i].blocking);
	}
	assert_time(&e[1], TIME_RELATIVE, 0, 2000000);
	assert_time(&e[2], TIME_ABSOLUTE, 1000000, 1200000);
	assert_time(&e[3], TIME_RELATIVE, 300000, 310000);
}

static void test_blocking_calls(void **state)
{
	struct fixture *fx = build_ok(state,
				      SOCKET
				      "+.1...0.25 read(3, ..., 1000) = 1000\n"
				      "+0 ...0.010 read(3, ..., 10) = 10\n"
				      "1.5...1.75 read(3, ..., 1) = 1\n",
				      4);
	const struct tl_event *e = fx->tl.events;

	for (size_t i = 1; i < 4; i++) {
		assert_int_equal(e[i].kind, TL_SYSCALL);
		assert_non_null(e[i].call);
		assert_true(e[i].blocking);
		assert_false(e[i].window);
	}
	/* The end keeps the start's base. */
	assert_time(&e[1], TIME_RELATIVE, 100000, 250000);
	assert_time(&e[2], TIME_RELATIVE, 0, 10000);
	assert_time(&e[3], TIME_ABSOLUTE, 1500000, 1750000);
}

static void test_any_time(void **state)
{
	struct fixture *fx = build_ok(state,
				      "* > S. 0:0(0) ack 1 <...>\n"
				      "+0 socket(..., SOCK_STREAM, "
				      "IPPROTO_TCP) = 3\n"
				      "* > . 1:1(0) ack 1\n",
				      3);
	const struct tl_event *e = fx->tl.events;

	/* '*' may open a script: it is not a time other than 0. */
	assert_int_equal(e[0].kind, TL_OUTBOUND);
	assert_time(&e[0], TIME_ANY, 0, 0);
	assert_int_equal(e[2].kind, TL_OUTBOUND);
	assert_time(&e[2], TIME_ANY, 0, 0);
	assert_false(e[2].window);
}

static void test_tcp_state(void **state)
{
	struct fixture *fx = build_ok(state,
				      SOCKET
				      "+0 tcp_state(4) = FIN-WAIT-1\n"
				      "+0 tcp_state() = TIME_WAIT\n"
				      "+0 tcp_state(0) = syn-received\n"
				      "+0~+1 tcp_state(65535) = ESTABLISHED\n",
				      5);
	const struct tl_event *e = fx->tl.events;

	for (size_t i = 1; i < 5; i++) {
		assert_int_equal(e[i].kind, TL_STATE);
		assert_null(e[i].call);
	}
	assert_true(e[1].state.has_fd);
	assert_int_equal(e[1].state.fd, 4);
	assert_int_equal(e[1].state.state, TCP_STATE_FIN_WAIT_1);
	assert_false(e[2].state.has_fd);
	assert_int_equal(e[2].state.state, TCP_STATE_TIME_WAIT);
	assert_true(e[3].state.has_fd);
	assert_int_equal(e[3].state.fd, 0);
	assert_int_equal(e[3].state.state, TCP_STATE_SYN_RECV);
	/* A state assertion may wait for the state within a window. */
	assert_true(e[4].window);
	assert_time(&e[4], TIME_RELATIVE, 0, 1000000);
	assert_int_equal(e[4].state.fd, 65535);
	assert_int_equal(e[4].state.state, TCP_STATE_ESTABLISHED);
}

static void test_tcp_states(void **state)
{
	struct fixture *fx = build_ok(state,
				      SOCKET
				      "+0 tcp_states() = FIN_WAIT1 CLOSING "
				      "TIME-WAIT\n"
				      "+0 tcp_states(4) = CLOSED\n"
				      "+0~+1 tcp_states() = LAST_ACK CLOSE\n",
				      4);
	const struct tl_event *e = fx->tl.events;

	for (size_t i = 1; i < 4; i++) {
		assert_int_equal(e[i].kind, TL_STATES);
		assert_null(e[i].call);
	}
	assert_false(e[1].state.has_fd);
	assert_int_equal(e[1].state.count, 3);
	assert_int_equal(e[1].state.seq[0], TCP_STATE_FIN_WAIT_1);
	assert_int_equal(e[1].state.seq[1], TCP_STATE_CLOSING);
	assert_int_equal(e[1].state.seq[2], TCP_STATE_TIME_WAIT);
	/* The caret spans the list: "FIN_WAIT1 CLOSING TIME-WAIT" (the
	 * end is one past its last column). */
	assert_int_equal(e[1].state.seq_loc.first_col, 19);
	assert_int_equal(e[1].state.seq_loc.last_col, 46);
	assert_true(e[2].state.has_fd);
	assert_int_equal(e[2].state.fd, 4);
	assert_int_equal(e[2].state.count, 1);
	assert_int_equal(e[2].state.seq[0], TCP_STATE_CLOSED);
	assert_true(e[3].window);
	assert_int_equal(e[3].state.count, 2);
	assert_int_equal(e[3].state.seq[1], TCP_STATE_CLOSED);
}

/* A failed build leaves an empty timeline, safe to free again. */
static void test_failure_leaves_empty_timeline(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(build(fx, SOCKET "+0 listen(3, 1) = 0\n"
				       "+0 frobnicate(3) = 0\n"),
			 -1);
	assert_int_equal(fx->tl.count, 0);
	assert_null(fx->tl.events);
	timeline_free(&fx->tl);
	assert_int_equal(fx->tl.count, 0);
}

/* The record a script error leaves renders with its caret under the
 * offending text. */
static void test_error_rendering(void **state)
{
	static const char text[] = SOCKET
		"+0 < P. 1:1001(100) ack 1 win 1000\n";
	struct fixture *fx = *state;
	char out[1024] = "";
	FILE *f;

	assert_int_equal(build(fx, text), -1);
	f = fmemopen(out, sizeof(out), "w");
	assert_non_null(f);
	diag_print(f, &fx->d, "t.pkt", fx->script->source);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(out,
			    "t.pkt:2:9: error: sequence range 1:1001 spans "
			    "1000 bytes but its length says 100\n"
			    " +0 < P. 1:1001(100) ack 1 win 1000\n"
			    "         ^~~~~~~~~~~\n");
}

/* --- script errors ------------------------------------------------------ */

struct error_case {
	const char *name;
	const char *text;
	int line, col; /* 0:0 for an error without a location */
	const char *message;
};

static const struct error_case error_cases[] = {
	/* time rules */
	{"first_event_not_at_0",
	 "+.1 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", 1, 1,
	 "the first event must be at time 0"},
	{"first_event_absolute_not_at_0",
	 "0.5 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", 1, 1,
	 "the first event must be at time 0"},
	{"time_goes_backwards",
	 SOCKET "0.200 listen(3, 1) = 0\n0.100 listen(3, 1) = 0\n", 3, 1,
	 "time goes backwards: 0.100000 s is before the 0.200000 s of line 2"},
	{"time_goes_backwards_across_relative",
	 SOCKET "0.200 listen(3, 1) = 0\n+0 listen(3, 1) = 0\n"
		"0.100 listen(3, 1) = 0\n",
	 4, 1,
	 "time goes backwards: 0.100000 s is before the 0.200000 s of line 2"},
	{"window_end_before_start", SOCKET "0.5~0.2 > S 0:0(0)\n", 2, 5,
	 "the end of this time range is before its start"},
	{"blocking_end_before_start",
	 SOCKET "+0.5...0.2 read(3, ..., 1) = 1\n", 2, 8,
	 "the end of this time range is before its start"},
	{"window_mixed_bases", SOCKET "0.1~+0.2 > S 0:0(0)\n", 2, 5,
	 "a window's ends must both be absolute or both relative"},
	{"any_starts_window", SOCKET "*~1 > S 0:0(0)\n", 2, 1,
	 "'*' cannot start a window"},

	/* which events take which times */
	{"window_on_inbound", SOCKET "+0~+1 < S 0:0(0) win 1000\n", 2, 1,
	 "a time window or '*' only fits outbound packets"},
	{"any_on_inbound", SOCKET "* < S 0:0(0) win 1000\n", 2, 1,
	 "a time window or '*' only fits outbound packets"},
	{"any_on_syscall", SOCKET "* listen(3, 1) = 0\n", 2, 1,
	 "a time window or '*' does not fit a system call; a blocking call "
	 "is written a...b"},
	{"window_on_syscall", SOCKET "+0~+1 listen(3, 1) = 0\n", 2, 1,
	 "a time window or '*' does not fit a system call; a blocking call "
	 "is written a...b"},
	{"blocking_packet", SOCKET "+0...0.1 > S 0:0(0)\n", 2, 1,
	 "only a system call can block (a...b)"},
	{"blocking_command", SOCKET "+0...0.1 `true`\n", 2, 1,
	 "only a system call can block (a...b)"},
	{"any_on_command", SOCKET "* `true`\n", 2, 1,
	 "a command runs at one time, not in a window or at '*'"},
	{"window_on_command", SOCKET "+0~+1 `true`\n", 2, 1,
	 "a command runs at one time, not in a window or at '*'"},

	/* TCP segments */
	{"seq_range_length", SOCKET "+0 < P. 1:1001(100) ack 1 win 1000\n", 2,
	 9, "sequence range 1:1001 spans 1000 bytes but its length says 100"},
	{"inbound_without_win", SOCKET "+0 < S 0:0(0)\n", 2, 6,
	 "an inbound segment needs a window (win N)"},
	{"inbound_any_options", SOCKET "+0 < S 0:0(0) win 1000 <...>\n", 2, 24,
	 "inbound options must be written out: <...> only fits outbound "
	 "segments"},
	{"win_too_big", SOCKET "+0 < S 0:0(0) win 65536\n", 2, 15,
	 "window 65536 does not fit the 16-bit field; write the scaled "
	 "value"},
	{"outbound_win_too_big", SOCKET "+0 > S. 0:0(0) ack 1 win 70000\n", 2,
	 22,
	 "window 70000 does not fit the 16-bit field; write the scaled "
	 "value"},
	{"urg_too_big", SOCKET "+0 < . 1:1(0) ack 1 win 1000 urg 70000\n", 2,
	 30, "urgent pointer 70000 does not fit 16 bits"},

	/* tcp_state */
	{"unknown_state", SOCKET "+0 tcp_state(3) = HALF_OPEN\n", 2, 19,
	 "unknown TCP state 'HALF_OPEN'"},
	{"tcp_state_two_args", SOCKET "+0 tcp_state(3, 4) = LISTEN\n", 2, 4,
	 "tcp_state takes at most one argument, an fd"},
	{"tcp_state_word_arg", SOCKET "+0 tcp_state(x) = LISTEN\n", 2, 14,
	 "tcp_state wants a file descriptor number"},
	{"tcp_state_negative_fd", SOCKET "+0 tcp_state(-1) = LISTEN\n", 2, 14,
	 "tcp_state wants a file descriptor number"},
	{"tcp_state_fd_too_big", SOCKET "+0 tcp_state(65536) = LISTEN\n", 2,
	 14, "tcp_state wants a file descriptor number"},
	{"tcp_state_number_result", SOCKET "+0 tcp_state(3) = 1\n", 2, 19,
	 "tcp_state wants a state name after '=', e.g. ESTABLISHED"},
	{"tcp_state_errno", SOCKET "+0 tcp_state(3) = LISTEN EAGAIN\n", 2, 26,
	 "tcp_state has no errno"},
	{"tcp_state_blocking", SOCKET "+0...1 tcp_state(3) = LISTEN\n", 2, 1,
	 "tcp_state cannot block; use a window a~b"},

	/* tcp_states */
	{"tcp_states_unknown_third", SOCKET
	 "+0 tcp_states() = FIN_WAIT1 CLOSING TIMEWAIT\n", 2, 37,
	 "unknown TCP state 'TIMEWAIT'"},
	{"tcp_states_number", SOCKET "+0 tcp_states() = 1\n", 2, 19,
	 "tcp_states wants the state names after '=', e.g. FIN_WAIT_1 "
	 "FIN_WAIT_2 TIME_WAIT"},
	{"tcp_states_two_args", SOCKET "+0 tcp_states(3, 4) = LISTEN\n", 2, 4,
	 "tcp_states takes at most one argument, an fd"},
	{"tcp_states_blocking", SOCKET "+0...1 tcp_states() = CLOSED\n", 2, 1,
	 "tcp_states cannot block; use a window a~b"},
	{"tcp_states_too_many", SOCKET "+0 tcp_states() = CLOSED CLOSED CLOSED "
	 "CLOSED CLOSED CLOSED CLOSED CLOSED CLOSED CLOSED CLOSED CLOSED "
	 "CLOSED CLOSED CLOSED CLOSED CLOSED\n", 2, 131,
	 "tcp_states lists 16 state changes at most"},
	{"call_two_words", SOCKET "+0 close(3) = -1 EBADF EAGAIN\n", 2, 24,
	 "one errno at most after a call's result; only tcp_states takes a "
	 "list of names"},
	{"tcp_state_list", SOCKET "+0 tcp_state() = LISTEN CLOSED CLOSED\n", 2,
	 32, "one errno at most after a call's result; only tcp_states takes "
	 "a list of names"},

	/* Valid packetdrill that tcpcheck does not run yet: located at the
	 * construct (udp at the whole line, which has no other anchor). */
	{"udp", SOCKET "+0 < udp (1000)\n", 2, 1,
	 "not supported yet: udp packets"},
	{"icmp_outbound", SOCKET "+0 > icmp unreachable port_unreachable\n",
	 2, 11, "not supported yet: outbound icmp packets"},
	{"icmp_bad_code", SOCKET "+0 < icmp unreachable no_route\n", 2, 23,
	 "bad ICMP code no_route"},
	{"icmp_bad_type", SOCKET "+0 < icmp packet_too_big mtu 1000\n", 2,
	 11, "bad ICMP type packet_too_big"},
	{"icmp_mtu_wrong_code",
	 SOCKET "+0 < icmp unreachable host_unreachable mtu 1000\n", 2, 40,
	 "an MTU goes only with unreachable frag_needed"},
	{"ip_ect01_inbound", SOCKET "+0 < [ect01] S 0:0(0) win 1000\n", 2, 6,
	 "[ect01] means either ECT codepoint: it only fits outbound packets"},
	{"ip_flowlabel_v4", SOCKET "+0 < (flowlabel 0x12) S 0:0(0) win 1000\n",
	 2, 6, "a flow label needs IPv6"},
	{"code_window", SOCKET "+0~+1 %{ print(1) }%\n", 2, 1,
	 "code runs at one time, not in a window or at '*'"},
	{"accecn_ace", SOCKET "+0 > S.3 0:0(0) ack 1\n", 2, 6,
	 "not supported yet: AccECN ACE counters"},
	{"explicit_ports_inbound", SOCKET "+0 < 5000>8080 S 0:0(0) win 1000\n",
	 2, 6, "not supported yet: explicit ports"},
	{"explicit_ports_outbound", SOCKET "+0 > 8080>5000 S. 0:0(0) ack 1\n",
	 2, 6, "not supported yet: explicit ports"},
	{"blocking_end_relative", SOCKET "+0.1...+0.2 read(3, ..., 1) = 1\n",
	 2, 8, "the end of a blocking call is a plain number, measured from "
	 "the same point as its start"},
	{"any_on_state", SOCKET "* tcp_state(3) = CLOSED\n", 2, 1,
	 "'*' only fits outbound packets; a state is checked at a time or in "
	 "a window a~b"},

	/* system calls */
	{"unknown_syscall", SOCKET "+0 frobnicate(3) = 0\n", 2, 4,
	 "unknown system call 'frobnicate'"},
	{"not_yet_syscall", SOCKET "+0 readv(3, ..., 1) = 0\n", 2, 4,
	 "not supported yet: readv"},

	/* a script of options and comments only */
	{"no_events", "--tolerance_usecs=1000\n// nothing happens\n", 0, 0,
	 "the script has no events"},
};

static void test_error(void **state)
{
	const struct error_case *c = *state;
	struct fixture fx;
	struct config conf;
	int rc;

	memset(&fx, 0, sizeof(fx));
	fx.script = script_parse_string("t.pkt", c->text, NULL, 0, &fx.d);
	if (!fx.script)
		fail_msg("parse failed: %s", fx.d.message);
	config_init(&conf);
	assert_int_equal(config_finish(&conf, &fx.d), 0);
	rc = timeline_build(fx.script, &conf, &fx.tl, &fx.d);
	/* Free first so that a failed assertion leaks nothing. */
	timeline_free(&fx.tl);
	script_free(fx.script);
	assert_int_equal(rc, -1);
	assert_string_equal(fx.d.message, c->message);
	assert_int_equal(fx.d.status, EXIT_USAGE);
	assert_int_equal(fx.d.loc.first_line, c->line);
	assert_int_equal(fx.d.loc.first_col, c->col);
}

#define FIXTURE(t) cmocka_unit_test_setup_teardown(t, setup_fixture, \
						   teardown_fixture)

static const struct CMUnitTest valid_tests[] = {
	FIXTURE(test_event_kinds),
	FIXTURE(test_absolute_times),
	FIXTURE(test_relative_times),
	FIXTURE(test_windows),
	FIXTURE(test_blocking_calls),
	FIXTURE(test_any_time),
	FIXTURE(test_tcp_state),
	FIXTURE(test_tcp_states),
	FIXTURE(test_failure_leaves_empty_timeline),
	FIXTURE(test_error_rendering),
};

int main(void)
{
	/* One named test per error case, so a failure says which. */
	struct CMUnitTest tests[ARRAY_SIZE(valid_tests) +
			       ARRAY_SIZE(error_cases)];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(valid_tests); i++)
		tests[n++] = valid_tests[i];
	for (size_t i = 0; i < ARRAY_SIZE(error_cases); i++)
		tests[n++] = (struct CMUnitTest){
			.name = error_cases[i].name,
			.test_func = test_error,
			.initial_state = (void *)&error_cases[i],
		};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
