/* Outbound segments: take what the stack sent from the capture, in order,
 * and judge its time (kernel timestamp) and its fields. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "plugin.h"
#include "run_internal.h"
#include "sniff.h"
#include "verify.h"

/* '*' waits this long at most for a segment. */
#define ANY_TIME_WAIT_NS (10LL * 1000000000LL)

/* Wait for the capture to have something, or for the deadline (or a
 * pending call's); returns -1 when a finished call failed. */
static int wait_capture(struct run *r, int64_t deadline, struct diag *d)
{
	struct pollfd fds[RUN_PENDING_MAX + 3];
	int n = run_pending_fds(r, fds);

	fds[n].fd = sniff_fd(r->sniff);
	fds[n++].events = POLLIN;
	fds[n].fd = r->ns.tun_fd;
	fds[n++].events = POLLIN;
	if (run_poll_until(r, fds, n, run_pending_deadline(r, deadline)) < 0)
		return diag_set(d, EXIT_INTERNAL, NULL, "cannot wait: %s",
				strerror(errno));
	sniff_drain_tun(r->ns.tun_fd);
	return 0;
}

/* Is this datagram a segment of the script's connection? The -v log
 * says why not. */
static bool script_segment(struct run *r, const uint8_t *bytes, size_t len,
			   int64_t ts, struct packet *p)
{
	char err[128];

	if (packet_decode(bytes, len, p, err, sizeof(err))) {
		run_log(r, ts, "> (ignored: undecodable: %s)", err);
		return false;
	}
	if (!conn_owns(&r->conn, p, ts)) {
		run_log(r, ts, "> (ignored: not the script's connection)");
		return false;
	}
	return true;
}

/* The next datagram a plugin stack sent, up to deadline: its timers
 * run until it sends one (virtual time: at the exact time). */
static int plugin_datagram(struct run *r, int64_t deadline,
			   const uint8_t **bytes, size_t *len, int64_t *ts,
			   struct diag *d)
{
	for (;;) {
		int64_t now;

		if (plugin_next_output(r->stack, bytes, len, ts))
			return 1;
		now = run_now();
		if (run_pending_poll(r, now, d) || run_trace_poll(r, d))
			return -1;
		if (plugin_output_waiting(r->stack, NULL))
			continue;
		if (now >= deadline)
			return 0;
		plugin_advance(r->stack, run_pending_deadline(r, deadline),
			       true);
	}
}

/* Next datagram of the script's connection, or 0 by deadline. The
 * capture is read once more after the deadline: what counts is the
 * kernel's timestamp, not when this process got around to looking. */
static int next_segment(struct run *r, int64_t deadline, struct packet *p,
			int64_t *ts, struct diag *d)
{
	bool last_look = false;

	while (r->stack) {
		const uint8_t *bytes;
		size_t len;
		int got = plugin_datagram(r, deadline, &bytes, &len, ts, d);

		if (got <= 0 || script_segment(r, bytes, len, *ts, p))
			return got;
	}

	for (;;) {
		const uint8_t *bytes;
		size_t len;
		struct timespec when;
		int got = sniff_next(r->sniff, &bytes, &len, &when, d);

		if (got < 0)
			return -1;
		if (got == 0) {
			int64_t now = run_now();

			if (last_look)
				return 0;
			if (run_pending_poll(r, now, d))
				return -1;
			if (now >= deadline)
				last_look = true;
			else if (wait_capture(r, deadline, d))
				return -1;
			continue;
		}
		*ts = run_ts_ns(&when);
		if (script_segment(r, bytes, len, *ts, p))
			return 1;
	}
}

/* Outside its window: how early or late, against which tolerance. */
static int judge_time(struct run *r, const struct tl_event *te,
		      const struct slot *s, int64_t ts, struct diag *d)
{
	bool early = ts < s->start - s->tol;
	char tol[160];

	if (s->any || (!early && ts <= s->end + s->tol))
		return 0;
	run_describe_tolerance(r, s->tol, s->gap, RUN_SINCE_PREVIOUS, tol,
			       sizeof(tol));
	return diag_set(d, EXIT_FAIL, &te->ev->loc,
			"timing error: outbound segment %.6f s %s: at %.6f s, "
			"expected %s%.6f s (tolerance %s)",
			(double)(early ? s->start - ts : ts - s->end) / 1e9,
			early ? "early" : "late", run_secs(r, ts),
			!te->window ? "at " : early ? "from " : "by ",
			run_secs(r, early ? s->start : s->end), tol);
}

/* Segments a TSO/GRO stack would have sent as one: add up consecutive
 * payloads until the scripted length (SCRIPT-LANGUAGE.md 3) or the
 * deadline, whichever comes first; -1 on an error. */
static int coalesce(struct run *r, const struct tl_event *te, int64_t deadline,
		    struct packet *first, struct diag *d)
{
	uint32_t want = te->ev->u.packet.u.tcp.payload_len;

	while (!r->in->config->strict_segments &&
	       first->u.tcp.payload_len > 0 &&
	       first->u.tcp.payload_len < want) {
		struct packet next;
		int64_t ts;
		int got = next_segment(r, deadline, &next, &ts, d);

		if (got <= 0) /* 0: none by the deadline, judged as it is */
			return got;
		if (next.u.tcp.seq != first->u.tcp.seq +
					      first->u.tcp.payload_len) {
			const struct seqmap *m = &r->conn.map;
			uint32_t at = seqmap_stack_to_script(
				m, first->u.tcp.seq, false);

			return diag_set(d, EXIT_FAIL, &te->ev->loc,
					"outbound segments do not add up to "
					"the %u bytes of this line: after "
					"%u:%u(%u) the stack sent seq %u, "
					"not %u",
					want, at,
					at + first->u.tcp.payload_len,
					first->u.tcp.payload_len,
					seqmap_stack_to_script(
						m, next.u.tcp.seq, false),
					at + first->u.tcp.payload_len);
		}
		/* The merged segment has the last one's flags (its PSH or
		 * FIN), the first one's numbers, as packetdrill merges them
		 * (EXPECTED.tsv's tcp_psh verdicts say so). */
		first->u.tcp.payload_len += next.u.tcp.payload_len;
		first->u.tcp.flags = next.u.tcp.flags;
	}
	return 0;
}

static int missing(struct run *r, const struct tl_event *te,
		   const struct slot *s, struct diag *d)
{
	char when[96], tol[160];
	unsigned int drops = 0;

	/* A full capture ring loses segments: that is tcpcheck's failure,
	 * not the stack's. */
	if (!r->stack && sniff_drops(r->sniff, &drops, d))
		return -1;
	if (drops)
		return diag_set(d, EXIT_INTERNAL, &te->ev->loc,
				"the capture lost %u segment(s) (its ring was "
				"full); this verdict would be wrong", drops);

	run_describe_time(te, when, sizeof(when));
	run_describe_tolerance(r, s->tol, s->gap, RUN_SINCE_PREVIOUS, tol,
			       sizeof(tol));
	diag_set(d, EXIT_FAIL, &te->ev->loc,
		 "expected an outbound segment %s (tolerance %s), but none "
		 "was sent",
		 when, tol);
	verify_format_expected(&te->ev->u.packet, d->expected,
			       sizeof(d->expected));
	snprintf(d->actual, sizeof(d->actual), "nothing");
	return -1;
}

static const char *ecn_name(unsigned int bits)
{
	static const char *const names[] = {"noecn", "ect1", "ect0", "ce"};

	return names[bits & 3];
}

/* Flow labels are the stack's to choose: a script's label stands for the
 * live one it first met, a new script label for a new live one, as in
 * packetdrill. */
static bool flowlabel_matches(struct run *r, const struct ip_spec *ip,
			      uint32_t live)
{
	if (live == 0)
		return false;
	if (r->flowlabel_script == 0 ||
	    (ip->flowlabel != r->flowlabel_script &&
	     live != r->flowlabel_live)) {
		r->flowlabel_script = ip->flowlabel;
		r->flowlabel_live = live;
		return true;
	}
	return ip->flowlabel == r->flowlabel_script &&
	       live == r->flowlabel_live;
}

/* How many ticks the live TS val is off the scripted one, beyond the
 * tolerance; 0 when within it or not checked. *w gets the scripted
 * option. */
static int64_t ts_val_off(const struct run *r, const struct tl_event *te,
			  const struct live_segment *l,
			  const struct tcp_option_spec **w_out)
{
	const struct tcp_option_list *want = te->ev->u.packet.u.tcp.options;
	const struct tcp_option_spec *w = NULL, *g = NULL;
	int64_t tick = r->in->config->tcp_ts_tick_usecs, off;

	if (!tick || !want)
		return 0;
	for (size_t i = 0; i < want->count; i++)
		if (want->items[i].kind == TOPT_TIMESTAMP)
			w = &want->items[i];
	for (size_t i = 0; i < l->options->count; i++)
		if (l->options->items[i].kind == TOPT_TIMESTAMP)
			g = &l->options->items[i];
	if (!w || !g)
		return 0;
	off = (int32_t)(g->u.ts.val - w->u.ts.val);
	if ((off < 0 ? -off : off) * tick <= r->in->config->tolerance_usecs)
		return 0;
	if (w_out)
		*w_out = w;
	return off;
}

/* What only the run can judge of the IP fields (the ECN codepoint:
 * [ect01] takes either ECT one; the flow label) and of the TS val
 * (--tcp_ts_tick_usecs: the stack's, mapped by the first one the script
 * wrote, within the tolerance at that many microseconds a tick; without
 * the option TS val is not checked, as in packetdrill). */
static void judge_extra(struct run *r, const struct tl_event *te,
			const struct packet *p, const struct live_segment *l,
			struct verify_checks *x)
{
	const struct ip_spec *ip = &te->ev->u.packet.ip;
	unsigned int bits = p->tos & 3;

	memset(x, 0, sizeof(*x));
	if (ip->ecn != ECN_UNSPECIFIED) {
		x->ecn = ip->ecn == ECN_ECT01 ? "ect01"
					      : ecn_name(conn_ecn_bits(ip->ecn));
		x->ecn_bad = ip->ecn == ECN_ECT01
				     ? bits != PACKET_ECT0 && bits != PACKET_ECT1
				     : bits != conn_ecn_bits(ip->ecn);
	}
	x->flowlabel_bad = ip->has_flowlabel &&
			   !flowlabel_matches(r, ip, p->flowlabel);
	x->ts_val_bad = ts_val_off(r, te, l, NULL) != 0;
}

/* The IP fields an outbound line writes: the ECN codepoint, TOS, TTL or
 * hop limit, flow label. */
static int check_ip(struct run *r, const struct tl_event *te,
		    const struct packet *p, const struct verify_checks *x,
		    struct diag *d)
{
	const struct ip_spec *ip = &te->ev->u.packet.ip;

	if (x->ecn_bad)
		return diag_set(d, EXIT_FAIL, &te->ev->u.packet.ip_loc,
				"expected [%s], got [%s]", x->ecn,
				ecn_name(p->tos & 3));
	if (ip->has_tos && p->tos != ip->tos)
		return diag_set(d, EXIT_FAIL, &te->ev->u.packet.ip_loc,
				"expected tos %#04x, got tos %#04x", ip->tos,
				p->tos);
	if (ip->has_ttl && p->ttl != ip->ttl)
		return diag_set(d, EXIT_FAIL, &te->ev->u.packet.ip_loc,
				"expected ttl %u, got ttl %u", ip->ttl, p->ttl);
	if (x->flowlabel_bad && p->flowlabel == 0)
		return diag_set(d, EXIT_FAIL, &te->ev->u.packet.ip_loc,
				"expected flowlabel %#x, got a segment without "
				"a flow label (0)",
				ip->flowlabel);
	if (x->flowlabel_bad)
		return diag_set(d, EXIT_FAIL, &te->ev->u.packet.ip_loc,
				"flowlabel %#x stands for the stack's %#x (the "
				"label it was first seen with), got %#x",
				ip->flowlabel,
				ip->flowlabel == r->flowlabel_script
					? r->flowlabel_live
					: 0u,
				p->flowlabel);
	return 0;
}

static int check_ts_val(const struct run *r, const struct tl_event *te,
			const struct live_segment *l, struct diag *d)
{
	const struct tcp_option_spec *w = NULL;
	int64_t tick = r->in->config->tcp_ts_tick_usecs;
	int64_t off = ts_val_off(r, te, l, &w);

	if (!off)
		return 0;
	/* How far off is on the actual line: it varies by a tick from
	 * run to run, the side does not. */
	return diag_set(d, EXIT_FAIL, &w->loc,
			"expected TS val %u within %" PRId64 " ticks "
			"(tolerance %.6f s at %" PRId64 " us a tick), got %s "
			"one",
			w->u.ts.val, r->in->config->tolerance_usecs / tick,
			(double)r->in->config->tolerance_usecs / 1e6, tick,
			off > 0 ? "a later" : "an earlier");
}

int run_outbound(struct run *r, const struct tl_event *te,
		 const struct slot *s, struct diag *d)
{
	int64_t deadline = s->any ? run_now() + ANY_TIME_WAIT_NS
				  : s->end + s->tol;
	struct tcp_option_storage store;
	struct live_segment l = {.options = tcp_option_storage_list(&store)};
	struct verify_checks x;
	struct packet p;
	int64_t ts;
	char err[128];
	int got = next_segment(r, deadline, &p, &ts, d);

	if (got < 0)
		return -1;
	if (got == 0)
		return missing(r, te, s, d);
	if (judge_time(r, te, s, ts, d))
		return -1;
	/* Fewer bytes than the line says by the deadline: what came is
	 * judged as the segment, so the diff shows how much. */
	if (coalesce(r, te, deadline, &p, d) < 0)
		return -1;
	if (tcp_options_decode(p.u.tcp.options, p.u.tcp.options_len,
			       l.options, err, sizeof(err)))
		return diag_set(d, EXIT_FAIL, &te->ev->loc,
				"the stack sent malformed TCP options: %s",
				err);
	conn_map_outbound(&r->conn, &te->ev->u.packet, &p, &l);
	run_diagram_segment(r, te, &l, ts);
	r->prev_actual = ts;
	r->prev_anchor = ts;
	if (r->in->config->verbose) {
		char text[512];

		verify_format_live(&l, true, text, sizeof(text));
		run_log(r, ts, "%s", text);
	}
	judge_extra(r, te, &p, &l, &x);
	if (verify_segment(&te->ev->u.packet, &l, &te->ev->loc, d) ||
	    check_ip(r, te, &p, &x, d) || check_ts_val(r, te, &l, d)) {
		verify_pair(&te->ev->u.packet, &l, &x, d);
		return -1;
	}
	return 0;
}

int run_unexpected(struct run *r, const struct tl_event *te, int64_t due,
		   struct diag *d)
{
	int64_t ts;

	while (plugin_output_waiting(r->stack, &ts) && ts < due) {
		struct tcp_option_storage store;
		struct live_segment l = {.options =
						 tcp_option_storage_list(&store)};
		const uint8_t *bytes;
		size_t len;
		struct packet p;
		struct packet_spec none;
		char err[128];

		memset(&none, 0, sizeof(none));
		(void)plugin_next_output(r->stack, &bytes, &len, &ts);
		if (!script_segment(r, bytes, len, ts, &p))
			continue;
		if (p.protocol != IPPROTO_TCP) {
			run_log(r, ts, "> (ignored: not TCP)");
			continue;
		}
		if (tcp_options_decode(p.u.tcp.options, p.u.tcp.options_len,
				       l.options, err, sizeof(err)))
			l.options->count = 0;
		conn_map_outbound(&r->conn, &none, &p, &l);
		diag_set(d, EXIT_FAIL, &te->ev->loc,
			 "the stack sent a segment at %.6f s that no outbound "
			 "line expects (before this event, due at %.6f s)",
			 run_secs(r, ts), run_secs(r, due));
		snprintf(d->expected, sizeof(d->expected), "nothing");
		verify_format_live(&l, true, d->actual, sizeof(d->actual));
		return -1;
	}
	return 0;
}
