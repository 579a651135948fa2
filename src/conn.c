/* The script's connection: which tuple packets use, and how script
 * numbers become live ones and back. */
#include "conn.h"

#include <arpa/inet.h>
#include <string.h>

void conn_init(struct conn *c, const struct config *config)
{
	memset(c, 0, sizeof(*c));
	c->config = config;
	c->local_port = config->bind_port;
	c->local_port_known = true;
	c->remote_port = CONN_REMOTE_PORT_BASE;
	c->connect_port = config->connect_port;
	c->passive_first = CONN_REMOTE_PORT_BASE;
	c->passive_last = 65535;
	seqmap_init(&c->map);
}

void conn_use_tool_ports(struct conn *c, uint16_t first, uint16_t count)
{
	if (!c->config->connect_port_set)
		c->connect_port = first;
	c->passive_first = (uint16_t)(first + 1);
	c->passive_last = (uint16_t)(first + count - 1);
	c->remote_port = c->passive_first;
}

void conn_active_open(struct conn *c, int64_t now)
{
	c->active = true;
	c->active_since = now;
	c->local_port_known = false;
	c->remote_port = c->connect_port;
	c->have_rcv_nxt = false;
	seqmap_init(&c->map);
}

/* A new inbound SYN after a completed handshake is a new connection from
 * a new remote port, so that it never meets the old one's TIME_WAIT. */
static void passive_syn(struct conn *c)
{
	if (c->active)
		return;
	if (c->passive_synced) {
		c->remote_port = c->remote_port >= c->passive_last
					 ? c->passive_first
					 : (uint16_t)(c->remote_port + 1);
		c->passive_synced = false;
		c->have_rcv_nxt = false;
		seqmap_init(&c->map);
	}
	c->passive_started = true;
}

static void wire_addrs(const struct conn *c, union packet_addr *local,
		       union packet_addr *remote)
{
	int af = c->config->wire_family;

	inet_pton(af, c->config->local_ip, local);
	inet_pton(af, c->config->remote_ip, remote);
}

/* Inbound options refer to the stack's sequence and timestamp spaces in
 * two places: SACK blocks and TS ecr. */
static int map_inbound_options(struct conn *c, const struct tcp_spec *t,
			       struct tcp_option_list *out)
{
	for (size_t i = 0; i < out->count; i++) {
		struct tcp_option_spec *o = &out->items[i];

		if (o->kind == TOPT_TIMESTAMP)
			o->u.ts.ecr = seqmap_ts_ecr_to_live(&c->map,
							    o->u.ts.ecr);
		if (o->kind != TOPT_SACK)
			continue;
		for (int b = 0; b < o->u.sack.count; b++) {
			o->u.sack.block[b].left =
				seqmap_stack_to_live(&c->map,
						     o->u.sack.block[b].left,
						     false);
			o->u.sack.block[b].right =
				seqmap_stack_to_live(&c->map,
						     o->u.sack.block[b].right,
						     false);
		}
	}
	return 0;
}

static int encode_options(struct conn *c, const struct tcp_spec *t,
			  struct packet_tcp *pt, const struct src_loc *loc,
			  struct diag *d)
{
	struct tcp_option_spec items[TCP_OPTION_BYTES_MAX];
	struct tcp_option_list list = {.items = items};
	char err[128];

	if (!t->options)
		return 0;
	if (t->options->count > TCP_OPTION_BYTES_MAX)
		return diag_set(d, EXIT_USAGE, loc, "too many TCP options");
	list.count = t->options->count;
	memcpy(items, t->options->items, list.count * sizeof(items[0]));
	map_inbound_options(c, t, &list);
	if (tcp_options_encode(&list, pt->options, sizeof(pt->options),
			       &pt->options_len, err, sizeof(err)))
		return diag_set(d, EXIT_USAGE, loc, "bad TCP options: %s", err);
	if (pt->options_len % 4)
		return diag_set(d, EXIT_USAGE, loc,
				"TCP options take %zu bytes; pad them to a "
				"multiple of 4 with nop or eol",
				pt->options_len);
	return 0;
}

uint8_t conn_ecn_bits(enum ecn_spec ecn)
{
	static const uint8_t bits[] = {
		[ECN_NOECN] = PACKET_NOT_ECT, [ECN_ECT0] = PACKET_ECT0,
		[ECN_ECT1] = PACKET_ECT1,     [ECN_CE] = PACKET_CE,
	};

	return (size_t)ecn < sizeof(bits) ? bits[ecn] : PACKET_NOT_ECT;
}

/* The IP fields an inbound line writes: (tos 0x..), (ttl N), (flowlabel
 * 0x..) and the ECN codepoint [ect0] (over the TOS's low two bits). */
void conn_apply_ip(const struct ip_spec *ip, struct packet *p)
{
	if (ip->has_tos)
		p->tos = ip->tos;
	if (ip->ecn != ECN_UNSPECIFIED && ip->ecn != ECN_ECT01)
		p->tos = (uint8_t)((p->tos & ~3) | conn_ecn_bits(ip->ecn));
	if (ip->has_ttl)
		p->ttl = ip->ttl;
	if (ip->has_flowlabel)
		p->flowlabel = ip->flowlabel;
}

int conn_build_inbound(struct conn *c, const struct packet_spec *spec,
		       const struct src_loc *loc, uint8_t *buf, size_t cap,
		       size_t *len, struct diag *d)
{
	const struct tcp_spec *t = &spec->u.tcp;
	struct packet p;
	char err[128];

	if ((t->flags & TCPF_SYN) && !(t->flags & TCPF_ACK))
		passive_syn(c);
	else if (!c->active && c->passive_started && (t->flags & TCPF_ACK))
		c->passive_synced = true;
	if (t->flags & TCPF_SYN)
		seqmap_learn_remote_isn(&c->map, t->seq_start);
	if (!c->local_port_known)
		return diag_set(d, EXIT_USAGE, loc,
				"the stack's port is not known yet: no SYN "
				"from it was seen");
	if (t->has_ack && !seqmap_has_isn(&c->map))
		return diag_set(d, EXIT_USAGE, loc,
				"cannot map ack: the stack's initial sequence "
				"number is not known yet (no SYN from it seen)");
	packet_init(&p, c->config->wire_family, IPPROTO_TCP);
	wire_addrs(c, &p.dst, &p.src);
	p.u.tcp.sport = c->remote_port;
	p.u.tcp.dport = c->local_port;
	p.u.tcp.seq = seqmap_tool_to_live(&c->map, t->seq_start,
					  t->flags & TCPF_SYN);
	/* No ack value means zero on the wire, as packetdrill sends it. */
	p.u.tcp.ack = t->has_ack ? seqmap_stack_to_live(&c->map, t->ack,
							t->flags & TCPF_SYN)
				 : 0;
	p.u.tcp.flags = t->flags;
	p.u.tcp.win = (uint16_t)t->win;
	p.u.tcp.urg = (uint16_t)t->urg;
	p.u.tcp.payload_len = t->payload_len;
	conn_apply_ip(&spec->ip, &p);
	if (encode_options(c, t, &p.u.tcp, loc, d))
		return -1;
	if (packet_encode(&p, buf, cap, len, err, sizeof(err)))
		return diag_set(d, EXIT_USAGE, loc, "cannot build segment: %s",
				err);
	return 0;
}

/* An ICMP error from a router on the way, about a segment the stack
 * sent: it quotes that segment's IP header and first 8 TCP bytes (ports
 * and sequence number, all RFC 792 promises), the sequence number being
 * the stack's, [seq:end(len)] in the script (0 when none is written). */
int conn_build_icmp(struct conn *c, const struct packet_spec *spec,
		    const struct src_loc *loc, uint8_t *buf, size_t cap,
		    size_t *len, struct diag *d)
{
	const struct icmp_spec *ic = &spec->u.icmp;
	const struct tcp_spec *q = ic->quoted ? &ic->quoted->u.tcp : NULL;
	int af = c->config->wire_family;
	struct packet p, inner;
	char err[128];

	if (!c->local_port_known)
		return diag_set(d, EXIT_USAGE, loc,
				"the stack's port is not known yet: no SYN "
				"from it was seen");
	packet_init(&p, af, af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	wire_addrs(c, &p.dst, &p.src);
	if (icmp_lookup(af, ic->type, ic->code, &p.u.icmp.type,
			&p.u.icmp.code, err, sizeof(err)))
		return diag_set(d, EXIT_USAGE, loc, "%s", err);
	p.u.icmp.mtu = ic->has_mtu ? ic->mtu : 0;
	packet_init(&inner, af, IPPROTO_TCP);
	wire_addrs(c, &inner.src, &inner.dst);
	inner.u.tcp.sport = c->local_port;
	inner.u.tcp.dport = c->remote_port;
	inner.u.tcp.seq = q ? q->seq_start : 0;
	if (seqmap_has_isn(&c->map))
		inner.u.tcp.seq = seqmap_stack_to_live(&c->map, inner.u.tcp.seq,
						       false);
	inner.u.tcp.flags = TCPF_ACK;
	inner.u.tcp.payload_len = q ? q->payload_len : 0;
	if (packet_icmp_quote(&p, &inner, 8, err, sizeof(err)) ||
	    packet_encode(&p, buf, cap, len, err, sizeof(err)))
		return diag_set(d, EXIT_USAGE, loc, "cannot build ICMP: %s",
				err);
	return 0;
}

bool conn_owns(const struct conn *c, const struct packet *p, int64_t ts)
{
	union packet_addr local, remote;
	size_t alen = c->config->wire_family == AF_INET ? 4 : 16;

	if (p->protocol != IPPROTO_TCP || p->family != c->config->wire_family)
		return false;
	wire_addrs(c, &local, &remote);
	if (memcmp(&p->src, &local, alen) || memcmp(&p->dst, &remote, alen))
		return false;
	if (p->u.tcp.dport != c->remote_port)
		return false;
	/* Before its port is known, a new connection shows itself by its
	 * SYN, sent once it was opened; anything else is from an older one
	 * (fastopen/client/syn-data-partial-or-over-ack.pkt: the SYN that
	 * the previous socket retransmits just before the next sendto). */
	if (!c->local_port_known)
		return (p->u.tcp.flags & TCPF_SYN) &&
		       (!c->active || ts >= c->active_since);
	return p->u.tcp.sport == c->local_port;
}

static void learn_ts(struct conn *c, const struct packet_spec *exp,
		     struct live_segment *l)
{
	const struct tcp_option_list *want = exp->u.tcp.options;
	uint32_t script_val = 0;
	bool have_script = false;

	for (size_t i = 0; want && i < want->count; i++)
		if (want->items[i].kind == TOPT_TIMESTAMP) {
			script_val = want->items[i].u.ts.val;
			have_script = true;
		}
	for (size_t i = 0; i < l->options->count; i++) {
		struct tcp_option_spec *o = &l->options->items[i];

		if (o->kind != TOPT_TIMESTAMP)
			continue;
		if (!seqmap_has_ts(&c->map))
			seqmap_learn_ts(&c->map,
					have_script ? script_val : 0,
					o->u.ts.val);
		o->u.ts.val = seqmap_ts_val_to_script(&c->map, o->u.ts.val);
		l->ts_val = o->u.ts.val;
	}
}

void conn_map_outbound(struct conn *c, const struct packet_spec *exp,
		       const struct packet *p, struct live_segment *l)
{
	const struct tcp_spec *t = &exp->u.tcp;
	bool syn = p->u.tcp.flags & TCPF_SYN;

	if (syn && (t->flags & TCPF_SYN)) {
		if (!c->local_port_known) {
			c->local_port = p->u.tcp.sport;
			c->local_port_known = true;
		}
		seqmap_learn_isn(&c->map, t->seq_start, p->u.tcp.seq);
	}
	l->packet = p;
	l->ack = seqmap_tool_to_script(&c->map, p->u.tcp.ack, syn);
	for (size_t i = 0; i < l->options->count; i++) {
		struct tcp_option_spec *o = &l->options->items[i];

		for (int b = 0; o->kind == TOPT_SACK && b < o->u.sack.count;
		     b++) {
			o->u.sack.block[b].left = seqmap_tool_to_script(
				&c->map, o->u.sack.block[b].left, false);
			o->u.sack.block[b].right = seqmap_tool_to_script(
				&c->map, o->u.sack.block[b].right, false);
		}
	}
	l->seq = seqmap_has_isn(&c->map)
			 ? seqmap_stack_to_script(&c->map, p->u.tcp.seq, syn)
			 : p->u.tcp.seq;
	learn_ts(c, exp, l);
	if (p->u.tcp.flags & TCPF_ACK) {
		c->have_rcv_nxt = true;
		c->rcv_nxt = p->u.tcp.ack;
	}
}

bool conn_tuple(const struct conn *c, struct sockaddr_storage *local,
		struct sockaddr_storage *remote)
{
	if (!c->local_port_known)
		return false;
	*local = c->config->local;
	*remote = c->config->remote;
	if (c->config->socket_family == AF_INET) {
		((struct sockaddr_in *)local)->sin_port = htons(c->local_port);
		((struct sockaddr_in *)remote)->sin_port =
			htons(c->remote_port);
	} else {
		((struct sockaddr_in6 *)local)->sin6_port =
			htons(c->local_port);
		((struct sockaddr_in6 *)remote)->sin6_port =
			htons(c->remote_port);
	}
	return true;
}

bool conn_build_reset(struct conn *c, uint8_t *buf, size_t cap, size_t *len)
{
	struct packet p;

	if (!c->have_rcv_nxt || !c->local_port_known)
		return false;
	packet_init(&p, c->config->wire_family, IPPROTO_TCP);
	wire_addrs(c, &p.dst, &p.src);
	p.u.tcp.sport = c->remote_port;
	p.u.tcp.dport = c->local_port;
	p.u.tcp.seq = c->rcv_nxt;
	p.u.tcp.flags = TCPF_RST;
	return packet_encode(&p, buf, cap, len, NULL, 0) == 0;
}
