/* The script's connection: the addresses and ports its packets use, and the
 * translation between script and live sequence numbers. */
#ifndef TCPCHECK_CONN_H
#define TCPCHECK_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "packet/packet.h"
#include "script.h"
#include "seqmap.h"
#include "verify.h"

/* The first port the tool (the remote side) uses for connections it opens;
 * the start of the IANA dynamic range. */
#define CONN_REMOTE_PORT_BASE 49152

struct conn {
	const struct config *config;
	uint16_t local_port;  /* the stack's */
	uint16_t remote_port; /* the tool's */
	uint16_t connect_port; /* the tool's when the stack connects */
	/* The tool's ports for connections the stack accepts: the next is
	 * one up, from first back to first after last. */
	uint16_t passive_first, passive_last;
	bool local_port_known;
	bool active;          /* the stack connected (client side) */
	bool passive_synced;  /* an inbound ACK followed the inbound SYN */
	bool passive_started; /* an inbound SYN was sent */
	/* When the stack's own connection was opened (run clock, ns): a SYN
	 * from before is an older connection's (a retransmission). */
	int64_t active_since;
	struct seqmap map;
	/* For the reset at the end: what the stack last acknowledged. */
	bool have_rcv_nxt;
	uint32_t rcv_nxt;
};

void conn_init(struct conn *c, const struct config *config);

/* Put the tool's side of every connection in the count ports from first
 * (a run's own, for the state trace): connect() goes to the first unless
 * the script chose its port, accepted connections come from the
 * others. Call before the first event. */
void conn_use_tool_ports(struct conn *c, uint16_t first, uint16_t count);

/* The stack starts a connection of its own (connect, sendto) at time now
 * (run clock, ns): its port comes from its next SYN sent from then on. */
void conn_active_open(struct conn *c, int64_t now);

/* Build the live datagram for an inbound script segment. */
/* The ECN bits of a codepoint ([ect0]: PACKET_ECT0); not [ect01]. */
uint8_t conn_ecn_bits(enum ecn_spec ecn);
/* Set the IP fields an inbound line writes on p. */
void conn_apply_ip(const struct ip_spec *ip, struct packet *p);
int conn_build_inbound(struct conn *c, const struct packet_spec *spec,
		       const struct src_loc *loc, uint8_t *buf, size_t cap,
		       size_t *len, struct diag *d);
/* The ICMP error of an inbound "< icmp ..." line, quoting the stack's
 * segment [seq:end(len)]. */
int conn_build_icmp(struct conn *c, const struct packet_spec *spec,
		    const struct src_loc *loc, uint8_t *buf, size_t cap,
		    size_t *len, struct diag *d);

/* Does a decoded outbound datagram belong to the script's connection? */
bool conn_owns(const struct conn *c, const struct packet *p, int64_t ts);

/* Learn what an expected outbound segment teaches (ISN, port, TS offset)
 * and map the live segment to script numbers. */
void conn_map_outbound(struct conn *c, const struct packet_spec *exp,
		       const struct packet *p, struct live_segment *l);

/* The script's connection as socket addresses (socket family), for
 * sock_diag. Returns false while the stack's port is unknown. */
bool conn_tuple(const struct conn *c, struct sockaddr_storage *local,
		struct sockaddr_storage *remote);

/* A RST that makes the stack drop the connection; false if nothing to
 * reset. */
bool conn_build_reset(struct conn *c, uint8_t *buf, size_t cap, size_t *len);

#endif
