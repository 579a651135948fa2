/* --from-pcap's writer: the draft's header, option lines, and each line
 * with a time a rerun can keep to. */
#include "frompcap_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MS INT64_C(1000000)

/* A rerun judges a segment the stack sends against the real time of the
 * line before it; a timer-driven one (a delayed ACK, on the kernel's
 * tick) varies by a tick or two between runs, more than the default
 * 4 ms, so the draft widens the tolerance. */
#define DRAFT_TOLERANCE_USECS 10000

/* Past this gap a `>` line's time is rounded to 10 ms: the relative
 * tolerance (12.5 %) covers it, and 1.004 s reads better as +1. */
#define COARSE_GAP_NS (100 * NS_PER_MS)

static int64_t round_to(int64_t ns, int64_t unit)
{
	if (ns <= 0)
		return 0;
	return (ns + unit / 2) / unit * unit;
}

/* "+0", "+.01", "+1.004", in milliseconds. */
static void format_gap(int64_t ns, char *buf, size_t len)
{
	int64_t ms = ns / NS_PER_MS;
	char frac[8];
	int n;

	if (ms % 1000 == 0) {
		snprintf(buf, len, "+%" PRId64, ms / 1000);
		return;
	}
	n = snprintf(frac, sizeof(frac), "%03" PRId64, ms % 1000);
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	if (ms < 1000)
		snprintf(buf, len, "+.%s", frac);
	else
		snprintf(buf, len, "+%" PRId64 ".%s", ms / 1000, frac);
}

/* The gaps, in the draft's order. A rerun starts a `>` line's clock at
 * when the line before it really happened, and every other line's at
 * when the line before it was due, or at the real time of a `>` line:
 * the gaps are measured the same way here, so that rounding never adds
 * up along the script. */
static void times(const struct fp_lines *l, int64_t *gap)
{
	int64_t anchor = l->count ? l->ev[0].ns : 0;

	for (size_t i = 0; i < l->count; i++) {
		const struct fp_event *e = &l->ev[i];

		if (i == 0) {
			gap[i] = 0;
		} else if (e->kind == FP_EV_OUT) {
			int64_t g = e->ns - l->ev[i - 1].ns;

			gap[i] = round_to(g, g >= COARSE_GAP_NS ? 10 * NS_PER_MS
								: NS_PER_MS);
		} else {
			gap[i] = round_to(e->ns - anchor, NS_PER_MS);
		}
		anchor = e->kind == FP_EV_OUT ? e->ns : anchor + gap[i];
	}
}

/* SACK blocks count in the space of the side whose data they cover, the
 * stack's TS values (its val, the tool's echo of it) from its first. */
static void relative_options(struct tcp_option_list *o, uint32_t sacked_isn,
			     bool out, uint32_t ts_stack)
{
	for (size_t i = 0; i < o->count; i++) {
		struct tcp_option_spec *s = &o->items[i];

		if (s->kind == TOPT_TIMESTAMP && out)
			s->u.ts.val -= ts_stack;
		else if (s->kind == TOPT_TIMESTAMP && s->u.ts.ecr)
			s->u.ts.ecr -= ts_stack;
		if (s->kind != TOPT_SACK)
			continue;
		for (int b = 0; b < s->u.sack.count; b++) {
			s->u.sack.block[b].left -= sacked_isn;
			s->u.sack.block[b].right -= sacked_isn;
		}
	}
}

/* Inbound lines say everything the tool must send. Outbound lines leave
 * out the window (the stack's buffers and the application's reads set
 * it, and the capture cannot show the latter) and a SYN's options (the
 * stack's own choice: MSS from its MTU, wscale from its buffers); the
 * options of its other segments (TS, SACK blocks) follow from what it was
 * sent, and a rerun checks all but the TS values. */
static void format_segment(const struct fp_lines *l, const struct fp_event *e,
			   char *buf, size_t len)
{
	const struct fp_seg *s = e->seg;
	bool out = e->kind == FP_EV_OUT;
	uint32_t own = out ? l->isn_stack : l->isn_peer;
	uint32_t other = out ? l->isn_peer : l->isn_stack;
	struct tcp_option_storage st;
	struct tcp_option_list *opts = tcp_option_storage_list(&st);
	struct tcp_format f = {
		.flags = s->tcp.flags,
		.seq = s->tcp.seq - own,
		.payload_len = s->tcp.payload_len,
		.ack = s->tcp.ack - other,
		.win = s->tcp.win,
		.urg = s->tcp.urg,
		.tos = s->tos,
		.options = opts,
		.show = out ? 0 : TCP_FORMAT_WIN,
	};
	int n;

	/* The reader checked that the options decode. */
	(void)tcp_options_decode(s->tcp.options, s->tcp.options_len, opts,
				 NULL, 0);
	relative_options(opts, other, out, l->ts_stack);
	if (s->tcp.flags & TCPF_URG)
		f.show |= TCP_FORMAT_URG;
	/* Before the stack's SYN a script can give no ack but none, which
	 * is 0 on the wire. */
	if (!out && l->listener_assumed && s->tcp.ack == 0)
		f.show |= TCP_FORMAT_NO_ACK;
	if (s->tos & 3)
		f.show |= TCP_FORMAT_ECN;
	if (out && (s->tcp.flags & TCPF_SYN))
		f.options = NULL;
	n = packet_format_tcp(&f, buf, len);
	if (out && (s->tcp.flags & TCPF_SYN) && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " <...>");
}

static void format_call(const struct fp_event *e, char *buf, size_t len)
{
	switch (e->call) {
	case FP_SOCKET:
		snprintf(buf, len, "socket(..., SOCK_STREAM, IPPROTO_TCP) = %d",
			 e->fd);
		break;
	case FP_BIND:
		snprintf(buf, len, "bind(%d, ..., ...) = 0", e->fd);
		break;
	case FP_LISTEN:
		snprintf(buf, len, "listen(%d, 1) = 0", e->fd);
		break;
	case FP_ACCEPT:
		snprintf(buf, len, "accept(%d, ..., ...) = 4", e->fd);
		break;
	case FP_NONBLOCK:
		snprintf(buf, len, "fcntl(%d, F_SETFL, O_RDWR|O_NONBLOCK) = 0",
			 e->fd);
		break;
	case FP_CONNECT:
		snprintf(buf, len,
			 "connect(%d, ..., ...) = -1 EINPROGRESS (Operation "
			 "now in progress)",
			 e->fd);
		break;
	case FP_BLOCK:
		snprintf(buf, len, "fcntl(%d, F_SETFL, O_RDWR) = 0", e->fd);
		break;
	case FP_WRITE:
	case FP_READ:
		snprintf(buf, len, "%s(%d, ..., %" PRIu32 ") = %" PRIu32,
			 e->call == FP_WRITE ? "write" : "read", e->fd, e->len,
			 e->len);
		break;
	case FP_CLOSE:
		snprintf(buf, len, "close(%d) = 0", e->fd);
		break;
	case FP_SHUTDOWN:
		snprintf(buf, len, "shutdown(%d, SHUT_WR) = 0", e->fd);
		break;
	}
}

static void write_header(const struct fp_draft *dr, const struct fp_lines *l,
			 FILE *out)
{
	const struct fp_endpoint *stack =
		dr->stack_is_a ? &dr->conn->a : &dr->conn->b;
	char a[64], b[64], st[64];

	fp_endpoint_format(&dr->conn->a, a, sizeof(a));
	fp_endpoint_format(&dr->conn->b, b, sizeof(b));
	fp_endpoint_format(stack, st, sizeof(st));
	fprintf(out,
		"// Draft from %s, connection %u:\n"
		"// %s > %s, %zu segments.\n"
		"// The stack under test is %s (%s).\n"
		"// draft: review the inferred lines: the calls marked "
		"\"inferred\" are\n"
		"// guesses from the segments, not seen in the capture.\n",
		dr->file, dr->conn_number, a, b,
		dr->seg_count + dr->teardown_dropped, st, dr->why_stack);
	if (dr->teardown_dropped)
		fprintf(out,
			"// Left out: tcpcheck's tear-down reset at the end%s.\n",
			dr->teardown_dropped == 1 ? ""
						  : ", and the segments after it");
	if (l->listener_assumed)
		fprintf(out, "// No SYN in the capture, the peer first: a "
			     "listener is assumed, and the\n"
			     "// stack's sequence numbers are as on the wire.\n");
	else if (!l->opened)
		fprintf(out, "// No SYN in the capture: no calls inferred, and "
			     "a rerun has no connection\n"
			     "// to send these segments on.\n");
	if (stack->family == AF_INET6)
		fprintf(out, "--ip_version=ipv6\n");
	fprintf(out, "--tolerance_usecs=%d\n", DRAFT_TOLERANCE_USECS);
	if (l->syn_backoff)
		fprintf(out,
			"// inferred: the SYN's retries double from the first; "
			"Linux 6.x repeats\n"
			"// the first timeout unless told not to.\n"
			"`sysctl -q -e net.ipv4.tcp_syn_linear_timeouts=0`\n");
	fprintf(out, "\n");
}

int fp_write_draft(const struct fp_draft *dr, FILE *out, struct diag *d)
{
	struct fp_lines l;
	int64_t *gap;
	char text[512], when[32];

	if (fp_infer(dr, &l, d))
		return -1;
	gap = calloc(l.count ? l.count : 1, sizeof(*gap));
	if (!gap) {
		fp_lines_free(&l);
		return diag_set(d, EXIT_INTERNAL, NULL, "out of memory");
	}
	times(&l, gap);
	write_header(dr, &l, out);
	for (size_t i = 0; i < l.count; i++) {
		const struct fp_event *e = &l.ev[i];

		if (i == 0)
			snprintf(when, sizeof(when), "0");
		else
			format_gap(gap[i], when, sizeof(when));
		if (e->kind == FP_EV_CALL)
			format_call(e, text, sizeof(text));
		else
			format_segment(&l, e, text, sizeof(text));
		fprintf(out, "%-6s %s%s%s%s%s\n", when,
			e->kind == FP_EV_IN    ? "< "
			: e->kind == FP_EV_OUT ? "> "
					       : "",
			text, e->kind == FP_EV_CALL ? "  // inferred" : "",
			e->note ? "  // " : "", e->note ? e->note : "");
	}
	free(gap);
	fp_lines_free(&l);
	if (ferror(out))
		return diag_set(d, EXIT_INTERNAL, NULL,
				"cannot write the draft: %s", strerror(errno));
	return 0;
}
