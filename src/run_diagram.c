/* What the scheduler hands to the ladder diagram (--diagram): each step
 * as it happened, and the state of the stack's connection after it. */
#include <stdio.h>
#include <string.h>

#include "diagram.h"
#include "run_internal.h"
#include "sockstate.h"
#include "verify.h"

/* The calls that open, accept or end connections or move data: what
 * explains the segments around them. Set-up (socket, bind, options) and
 * polling would only crowd the stack's column. */
static bool call_shown(const struct prepared_call *pc)
{
	static const char *const shown[] = {
		"listen", "connect", "accept", "accept4", "close", "shutdown",
		"read", "readv", "recv", "recvfrom", "recvmsg",
		"write", "writev", "send", "sendto", "sendmsg", "sendfile",
		"splice",
	};
	const char *name = syscall_name(pc);

	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (!strcmp(name, shown[i]))
			return true;
	return false;
}

/* A segment without options or the stack's window: the numbers and flags
 * are what a ladder is read for, and they fit on a line. */
static void format_inbound(const struct packet_spec *spec, char *buf,
			   size_t len)
{
	const struct tcp_spec *t = &spec->u.tcp;
	struct tcp_format f = {
		.flags = t->flags,
		.seq = t->seq_start,
		.payload_len = t->payload_len,
		.ack = t->ack,
		.win = t->win,
		.show = t->has_win ? TCP_FORMAT_WIN : 0,
	};

	if (spec->proto == PROTO_ICMP)
		snprintf(buf, len, "icmp %s%s%s", spec->u.icmp.type,
			 spec->u.icmp.code ? " " : "",
			 spec->u.icmp.code ? spec->u.icmp.code : "");
	else if (spec->proto == PROTO_TCP)
		packet_format_tcp(&f, buf, len);
	else
		snprintf(buf, len, "udp");
}

void run_diagram_segment(struct run *r, const struct tl_event *te,
			 const struct live_segment *l, int64_t ts)
{
	const struct packet_tcp *lt = &l->packet->u.tcp;
	struct tcp_format f = {
		.flags = lt->flags,
		.seq = l->seq,
		.payload_len = lt->payload_len,
		.ack = l->ack,
	};

	if (!r->in->diagram)
		return;
	packet_format_tcp(&f, r->diagram_seg, sizeof(r->diagram_seg));
	verify_format_live(l, true, r->diagram_detail,
			   sizeof(r->diagram_detail));
	r->diagram_seg_te = te;
	r->diagram_seg_ts = ts;
}

/* The stack's connection: by its tuple once it has one (which finds
 * request and time-wait sockets too), before that the socket that will
 * make it: the one connecting, else the listener. Sampled, not taken
 * from the state trace: that one is recorded only for runs that ask for
 * it (run_states.c), and a diagram wants the state after every step. */
static int sample_state(struct run *r)
{
	struct sockaddr_storage local, remote;
	enum tcp_state_id st = TCP_STATE_CLOSED;
	struct diag d = {0};
	bool tuple = conn_tuple(&r->conn, &local, &remote);
	int fd;

	if (tuple && run_state_of_tuple(r, (struct sockaddr *)&local,
					(struct sockaddr *)&remote, &st, &d))
		return DIAGRAM_STATE_UNKNOWN;
	if (st != TCP_STATE_CLOSED)
		r->diagram_connected = true;
	if (st != TCP_STATE_CLOSED || r->diagram_connected)
		return (int)st;
	fd = r->active_fd >= 0 ? fdmap_live(r->env.fds, r->active_fd) : -1;
	if (fd >= 0)
		return run_state_of_fd(r, fd, &st, &d) ? DIAGRAM_STATE_UNKNOWN
						    : (int)st;
	if (tuple && run_state_of_tuple(r, (struct sockaddr *)&local, NULL,
					&st, &d))
		return DIAGRAM_STATE_UNKNOWN;
	return (int)st;
}

void run_diagram_step(struct run *r, const struct tl_event *te)
{
	struct diagram_step s = {.secs = run_secs(r, r->prev_actual)};
	char text[512];

	if (!r->in->diagram)
		return;
	switch (te->kind) {
	case TL_INBOUND:
		s.kind = DIAGRAM_IN;
		format_inbound(&te->ev->u.packet, text, sizeof(text));
		break;
	case TL_OUTBOUND:
		if (r->diagram_seg_te != te)
			return;
		s.kind = DIAGRAM_OUT;
		snprintf(text, sizeof(text), "%s", r->diagram_seg);
		s.detail = !strncmp(r->diagram_detail, "> ", 2)
				   ? r->diagram_detail + 2
				   : r->diagram_detail;
		break;
	case TL_SYSCALL:
		if (!call_shown(te->call))
			return;
		s.kind = DIAGRAM_CALL;
		snprintf(text, sizeof(text), "%s", syscall_text(te->call));
		break;
	default:
		return; /* states are in their column; commands, code: none */
	}
	s.text = text;
	s.state = sample_state(r);
	(void)diagram_step(r->in->diagram, &s);
}

/* The event a failure is about: d's location may be that of a blocking
 * call issued earlier, not the one running. */
static const struct tl_event *failed_event(const struct run *r,
					   const struct tl_event *te,
					   const struct diag *d)
{
	const struct timeline *tl = r->in->timeline;
	int line = d->loc.first_line;

	for (size_t i = 0; line > 0 && i < tl->count; i++) {
		const struct src_loc *l = &tl->events[i].ev->loc;

		if (l->file == d->loc.file && line >= l->first_line &&
		    line <= l->last_line)
			return &tl->events[i];
	}
	return te;
}

/* The scripted event, for a failure that did not say what it expected. */
static void format_scripted(const struct tl_event *te, char *buf, size_t len)
{
	switch (te->kind) {
	case TL_INBOUND:
	case TL_OUTBOUND:
		verify_format_expected(&te->ev->u.packet, buf, len);
		break;
	case TL_SYSCALL:
		snprintf(buf, len, "%s", syscall_text(te->call));
		break;
	case TL_STATE:
		snprintf(buf, len, "tcp_state(...) = %s",
			 sockstate_name(te->state.state));
		break;
	case TL_STATES: {
		size_t n = (size_t)snprintf(buf, len, "tcp_states(...) =");

		for (size_t i = 0; i < te->state.count && n < len; i++)
			n += (size_t)snprintf(buf + n, len - n, " %s",
					      sockstate_name(te->state.seq[i]));
		break;
	}
	case TL_COMMAND:
		snprintf(buf, len, "`%s`", te->ev->u.command);
		break;
	case TL_CODE:
		snprintf(buf, len, "%%{ ... }%%");
		break;
	}
}

void run_diagram_fail(struct run *r, const struct tl_event *te,
		      const struct diag *d)
{
	struct diagram_step s = {.secs = run_secs(r, run_now())};
	char expected[DIAG_TEXT_MAX];

	if (!r->in->diagram || !diag_failed(d))
		return;
	te = failed_event(r, te, d);
	if (!te)
		return;
	s.kind = te->kind == TL_OUTBOUND  ? DIAGRAM_OUT
		 : te->kind == TL_INBOUND ? DIAGRAM_IN
		 : te->kind == TL_SYSCALL ? DIAGRAM_CALL
					  : DIAGRAM_NOTE;
	/* A segment that came, but wrong: when it came. */
	if (te == r->diagram_seg_te)
		s.secs = run_secs(r, r->diagram_seg_ts);
	if (d->expected[0])
		snprintf(expected, sizeof(expected), "%s", d->expected);
	else
		format_scripted(te, expected, sizeof(expected));
	s.text = d->actual[0] ? d->actual : d->message;
	s.state = sample_state(r);
	(void)diagram_fail(r->in->diagram, &s, expected, s.text);
}
