/* --from-pcap's inference: the draft's lines from a connection's segments,
 * with the system calls that the stack's application must have made. */
#include "frompcap_internal.h"

#include <stdlib.h>
#include <string.h>

/* Outbound data segments closer than this to the previous one, with
 * nothing between them, are one write: the stack sent them in one go.
 * A loaded sender spreads one flight over milliseconds; half the draft's
 * tolerance (frompcap_write.c) keeps a rerun that sends them at once
 * within it. */
#define BURST_NS 5000000

enum role { ROLE_NONE, ROLE_SERVER, ROLE_CLIENT };

struct infer {
	const struct fp_draft *dr;
	struct fp_lines *l;
	enum role role;
	size_t open_at;      /* the segment the opening calls go before */
	size_t first_fin;    /* the stack's first FIN; SIZE_MAX: none */
	bool use_shutdown;   /* data comes in after the stack's FIN */
	int fd;              /* the connection's fd once it is usable; -1 */
	bool synack_seen;    /* server: sent; client: received */
	bool connected;      /* client: the handshake is over */
	bool done;           /* closed or reset: no more calls */
	uint32_t snd_max;    /* stack data sent, relative */
	uint32_t rcv_max;    /* peer data received, relative */
	uint32_t unread;     /* received since the last read */
	bool burst_open;     /* the last line is outbound data of a write */
	size_t burst_write;  /* that write's line */
	int64_t burst_ns;    /* the last data segment of the burst */
};

static bool outbound(const struct infer *in, const struct fp_seg *s)
{
	return s->from_a == in->dr->stack_is_a;
}

static int push(struct infer *in, const struct fp_event *e)
{
	struct fp_lines *l = in->l;

	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct fp_event *n = realloc(l->ev, cap * sizeof(*n));

		if (!n)
			return -1;
		l->ev = n;
		l->cap = cap;
	}
	l->ev[l->count++] = *e;
	in->burst_open = false;
	return 0;
}

static int call(struct infer *in, enum fp_call c, int fd, uint32_t len,
		int64_t ns)
{
	return push(in, &(struct fp_event){.kind = FP_EV_CALL,
					   .ns = ns,
					   .call = c,
					   .fd = fd,
					   .len = len});
}

/* Each side's ISN: its SYN's seq; without a SYN, one before its first
 * segment's seq (so that its first byte is 1, as after a handshake), or
 * one before what the other side first acknowledges. */
static uint32_t side_isn(const struct fp_draft *dr, bool side_a)
{
	for (size_t i = 0; i < dr->seg_count; i++)
		if (dr->segs[i].from_a == side_a &&
		    (dr->segs[i].tcp.flags & TCPF_SYN))
			return dr->segs[i].tcp.seq;
	for (size_t i = 0; i < dr->seg_count; i++)
		if (dr->segs[i].from_a == side_a)
			return dr->segs[i].tcp.seq - 1;
	for (size_t i = 0; i < dr->seg_count; i++)
		if (dr->segs[i].from_a != side_a &&
		    (dr->segs[i].tcp.flags & TCPF_ACK))
			return dr->segs[i].tcp.ack - 1;
	return 0;
}

/* The stack's first TS val. A rerun takes the stack's first TS val to be
 * what the script wrote for it, and 0 for a SYN's "<...>": counting from
 * it makes the echoes the tool sends right. */
static uint32_t first_ts_val(const struct infer *in)
{
	const struct fp_draft *dr = in->dr;

	for (size_t i = 0; i < dr->seg_count; i++) {
		const struct fp_seg *s = &dr->segs[i];
		struct tcp_option_storage st;
		struct tcp_option_list *o = tcp_option_storage_list(&st);

		if (!outbound(in, s) ||
		    tcp_options_decode(s->tcp.options, s->tcp.options_len, o,
				       NULL, 0))
			continue;
		for (size_t k = 0; k < o->count; k++)
			if (o->items[k].kind == TOPT_TIMESTAMP)
				return o->items[k].u.ts.val;
	}
	return 0;
}

/* Who opened, where the stack closes, whether it closes only its
 * sending half, and how its SYN retries back off. */
static void survey(struct infer *in)
{
	const struct fp_draft *dr = in->dr;
	int64_t syn_ns[3];
	int syns = 0;

	in->role = ROLE_NONE;
	in->first_fin = SIZE_MAX;
	for (size_t i = 0; i < dr->seg_count; i++) {
		const struct fp_seg *s = &dr->segs[i];
		unsigned f = s->tcp.flags;

		if ((f & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN) {
			if (in->role == ROLE_NONE) {
				in->role = outbound(in, s) ? ROLE_CLIENT
							   : ROLE_SERVER;
				in->open_at = i;
			}
			if (outbound(in, s) && syns < 3)
				syn_ns[syns++] = s->ns;
		}
		if (outbound(in, s) && (f & TCPF_FIN) &&
		    in->first_fin == SIZE_MAX)
			in->first_fin = i;
		if (!outbound(in, s) && s->tcp.payload_len &&
		    in->first_fin != SIZE_MAX)
			in->use_shutdown = true;
	}
	/* No handshake, the peer first: segments to a port with no
	 * connection, which a listener answers as a closed port does for
	 * anything with ACK (RFC 9293 3.10.7.1, 3.10.7.2). The draft binds
	 * and listens so that they have somewhere to go. */
	if (in->role == ROLE_NONE && dr->seg_count &&
	    !outbound(in, &dr->segs[0])) {
		in->role = ROLE_SERVER;
		in->open_at = 0;
		in->l->listener_assumed = true;
	}
	/* Linux 6.x retries a SYN at the initial RTO several times before
	 * it backs off (net.ipv4.tcp_syn_linear_timeouts); doubling from
	 * the first retry means that was switched off. */
	in->l->syn_backoff =
		syns == 3 &&
		(syn_ns[2] - syn_ns[1]) * 2 >= (syn_ns[1] - syn_ns[0]) * 3;
}

static bool ready(const struct infer *in)
{
	return in->fd >= 0 && !in->done;
}

static int read_unread(struct infer *in, int64_t ns)
{
	uint32_t n = in->unread;

	if (!n || !ready(in))
		return 0;
	in->unread = 0;
	return call(in, FP_READ, in->fd, n, ns);
}

static int open_calls(struct infer *in, int64_t ns)
{
	if (in->role == ROLE_SERVER)
		return call(in, FP_SOCKET, 3, 0, ns) ||
		       call(in, FP_BIND, 3, 0, ns) ||
		       call(in, FP_LISTEN, 3, 0, ns);
	/* The client's fd is there from the start: its data waits for the
	 * handshake anyway, and a close may come before it is over. */
	in->fd = 3;
	return call(in, FP_SOCKET, 3, 0, ns) ||
	       call(in, FP_NONBLOCK, 3, 0, ns) ||
	       call(in, FP_CONNECT, 3, 0, ns);
}

/* Calls before a segment the stack sends: the write of its new data
 * (unless it goes on a burst), the close before its first FIN. *wrote:
 * the segment's data is a write's, which more segments may join. */
static int before_outbound(struct infer *in, size_t i, bool *wrote)
{
	const struct fp_seg *s = &in->dr->segs[i];
	uint32_t start = s->tcp.seq - in->l->isn_stack +
			 (s->tcp.flags & TCPF_SYN ? 1 : 0);
	uint32_t end = start + s->tcp.payload_len;
	uint32_t fresh = 0;

	*wrote = false;
	if (s->tcp.payload_len && (int32_t)(end - in->snd_max) > 0) {
		fresh = (int32_t)(start - in->snd_max) > 0
				? s->tcp.payload_len
				: end - in->snd_max;
		in->snd_max = end;
	}
	if (fresh && ready(in)) {
		if (in->burst_open && s->ns - in->burst_ns < BURST_NS) {
			in->l->ev[in->burst_write].len += fresh;
		} else {
			if (call(in, FP_WRITE, in->fd, fresh, s->ns))
				return -1;
			in->burst_write = in->l->count - 1;
		}
		*wrote = true;
	}
	if (i == in->first_fin && ready(in)) {
		if (read_unread(in, s->ns) ||
		    call(in, in->use_shutdown ? FP_SHUTDOWN : FP_CLOSE, in->fd,
			 0, s->ns))
			return -1;
		in->done = !in->use_shutdown;
		*wrote = false;
	}
	return 0;
}

static int on_outbound(struct infer *in, size_t i)
{
	const struct fp_seg *s = &in->dr->segs[i];
	unsigned f = s->tcp.flags;
	bool wrote;

	if (before_outbound(in, i, &wrote))
		return -1;
	if (push(in, &(struct fp_event){
			     .kind = FP_EV_OUT,
			     .ns = s->ns,
			     .seg = s,
			     .note = f & TCPF_RST
					     ? "the stack's reset: its cause "
					       "is not inferred"
					     : NULL}))
		return -1;
	if (wrote) {
		in->burst_open = true;
		in->burst_ns = s->ns;
	}
	if (f & TCPF_RST) {
		in->done = true;
		return 0;
	}
	if (in->role == ROLE_CLIENT && in->synack_seen && !in->connected &&
	    !in->done && (f & TCPF_ACK) && !(f & TCPF_SYN)) {
		in->connected = true;
		if (call(in, FP_BLOCK, 3, 0, s->ns))
			return -1;
	}
	if ((f & TCPF_SYN) && (f & TCPF_ACK) && in->role == ROLE_SERVER)
		in->synack_seen = true;
	/* The application reads once the stack has acknowledged all of it,
	 * as an early read could make the stack acknowledge sooner. */
	if ((f & TCPF_ACK) &&
	    (int32_t)(s->tcp.ack - in->l->isn_peer - in->rcv_max) >= 0)
		return read_unread(in, s->ns);
	return 0;
}

static int on_inbound(struct infer *in, size_t i)
{
	const struct fp_seg *s = &in->dr->segs[i];
	unsigned f = s->tcp.flags;
	uint32_t start = s->tcp.seq - in->l->isn_peer + (f & TCPF_SYN ? 1 : 0);
	uint32_t end = start + s->tcp.payload_len;

	if (push(in, &(struct fp_event){
			     .kind = FP_EV_IN, .ns = s->ns, .seg = s}))
		return -1;
	if (s->tcp.payload_len && (int32_t)(end - in->rcv_max) > 0) {
		in->unread += (int32_t)(start - in->rcv_max) > 0
				      ? s->tcp.payload_len
				      : end - in->rcv_max;
		in->rcv_max = end;
	}
	if (f & TCPF_RST) {
		in->done = true;
		return 0;
	}
	if (in->role == ROLE_CLIENT && (f & TCPF_SYN) && (f & TCPF_ACK))
		in->synack_seen = true;
	if (in->role == ROLE_SERVER && in->fd < 0 && in->synack_seen &&
	    (f & TCPF_ACK) && !(f & TCPF_SYN)) {
		in->fd = 4;
		return call(in, FP_ACCEPT, 3, 0, s->ns);
	}
	return 0;
}

int fp_infer(const struct fp_draft *dr, struct fp_lines *l, struct diag *d)
{
	struct infer in = {.dr = dr, .l = l, .fd = -1};
	const struct fp_seg *last = dr->seg_count
					    ? &dr->segs[dr->seg_count - 1]
					    : NULL;

	memset(l, 0, sizeof(*l));
	l->isn_stack = side_isn(dr, dr->stack_is_a);
	l->isn_peer = side_isn(dr, !dr->stack_is_a);
	/* Data counts from the first byte after the ISN. */
	in.snd_max = in.rcv_max = 1;
	l->ts_stack = first_ts_val(&in);
	survey(&in);
	if (l->listener_assumed)
		l->isn_stack = 0;
	l->opened = in.role != ROLE_NONE;
	for (size_t i = 0; i < dr->seg_count; i++) {
		const struct fp_seg *s = &dr->segs[i];
		int r;

		if (l->opened && i == in.open_at &&
		    open_calls(&in, s->ns))
			goto oom;
		r = outbound(&in, s) ? on_outbound(&in, i) : on_inbound(&in, i);
		if (r)
			goto oom;
	}
	if (last && read_unread(&in, last->ns))
		goto oom;
	return 0;
oom:
	fp_lines_free(l);
	return diag_set(d, EXIT_INTERNAL, NULL, "out of memory");
}

void fp_lines_free(struct fp_lines *l)
{
	free(l->ev);
	l->ev = NULL;
	l->count = l->cap = 0;
}
