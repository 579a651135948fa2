/* The packet codec: one IP datagram as fields, built into wire bytes,
 * parsed back from them, and printed the way a script spells it. */
#ifndef TCPCHECK_PACKET_PACKET_H
#define TCPCHECK_PACKET_PACKET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "script.h"

/* The largest datagram: IPv6's fixed header plus a 16-bit payload length
 * (IPv4's total length, header included, is smaller). */
#define PACKET_BYTES_MAX (40 + 65535)

/* ICMPv6 errors quote as much as fits in 1280 bytes (RFC 4443 2.4 (c));
 * ICMPv4 routers stop at 576 (RFC 1812 4.3.2.3), which is less. */
#define PACKET_QUOTE_MAX (1280 - 40 - 8)

/* Option kinds script.h has no name for, kept whole so that nothing a stack
 * sends is lost: u.data.bytes holds the option as on the wire (kind, length,
 * contents) and u.data.len its length. Outside enum tcp_option_kind's
 * values on purpose; compare with ==, never list it in a switch. */
#define TOPT_UNKNOWN ((enum tcp_option_kind)64)

union packet_addr {
	struct in_addr v4;
	struct in6_addr v6;
};

struct packet_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	unsigned int flags; /* TCPF_*, TCPF_AE included */
	uint16_t win;
	uint16_t urg;
	size_t options_len; /* a multiple of 4: the data offset counts words */
	uint8_t options[TCP_OPTION_BYTES_MAX];
	uint32_t payload_len;
};

struct packet_udp {
	uint16_t sport, dport;
	uint32_t payload_len;
};

struct packet_icmp {
	uint8_t type, code;
	/* The next-hop MTU of ICMPv4 "fragmentation needed" (RFC 1191, 16
	 * bits) or the MTU of ICMPv6 "packet too big" (32 bits); the field is
	 * "unused" (zero) in every other message and decodes as 0 there. */
	uint32_t mtu;
	/* What follows the 8-byte ICMP header: for errors, the start of the
	 * datagram that caused them (see packet_decode_quoted()). */
	size_t quoted_len;
	uint8_t quoted[PACKET_QUOTE_MAX];
};

/* Checksums found wrong by packet_decode(); encoding always writes good
 * ones. */
enum {
	PACKET_BAD_IP_CSUM = 1 << 0,
	PACKET_BAD_L4_CSUM = 1 << 1,
};

struct packet {
	int family; /* AF_INET or AF_INET6 */
	union packet_addr src, dst;
	uint8_t tos;        /* IPv4 TOS or IPv6 traffic class; ECN is & 3 */
	uint8_t ttl;        /* IPv4 TTL or IPv6 hop limit */
	uint32_t flowlabel; /* IPv6 only, 20 bits */
	uint16_t ip_id;     /* IPv4 only */
	bool df;            /* IPv4 only: don't fragment */
	uint8_t protocol;   /* IPPROTO_TCP, _UDP, _ICMP (v4), _ICMPV6 (v6) */
	union {
		struct packet_tcp tcp;
		struct packet_udp udp;
		struct packet_icmp icmp;
	} u;
	unsigned int bad_csum; /* PACKET_BAD_*, set by packet_decode() */
};

/* ECN codepoints in the low two bits of tos (RFC 3168 5). */
enum {
	PACKET_NOT_ECT = 0,
	PACKET_ECT1 = 1,
	PACKET_ECT0 = 2,
	PACKET_CE = 3,
};

/* Functions that can fail return 0, or -1 with a one-line message in err
 * (which may be NULL). */

/* Zero p and set what every datagram needs: family, protocol, TTL 64. */
void packet_init(struct packet *p, int family, uint8_t protocol);

/* Bytes packet_encode() will write for p. */
int packet_encoded_len(const struct packet *p, size_t *len, char *err,
		       size_t errlen);

/* The raw IP datagram, as written to a TUN device opened IFF_NO_PI, with
 * lengths and checksums filled in; payload bytes are zeros. */
int packet_encode(const struct packet *p, uint8_t *buf, size_t cap,
		  size_t *len, char *err, size_t errlen);

/* Parse a datagram read off the wire. Truncated or malformed input fails
 * with a message; bytes beyond the IP length are ignored; wrong checksums
 * do not fail but are flagged in p->bad_csum. TCP options stay raw bytes
 * (tcp_options_decode() parses them). */
int packet_decode(const uint8_t *buf, size_t len, struct packet *p,
		  char *err, size_t errlen);

/* Parse the datagram an ICMP error quotes: a complete IP header and at
 * least the first 8 transport bytes (all RFC 792 promises), lengths taken
 * from the quoted header though the bytes stop early. *l4_bytes says how
 * much of the transport header was there: the TCP ports and seq need 8,
 * ack 12, flags 14, window 16, the whole header 20; options are kept only
 * when complete. */
int packet_decode_quoted(const uint8_t *buf, size_t len, struct packet *p,
			 size_t *l4_bytes, char *err, size_t errlen);

/* Set icmp's quoted bytes to the start of inner's encoding: inner's IP
 * header and up to l4_max bytes after it, no more than an ICMP error of
 * icmp's family may carry (SIZE_MAX: as much as a router would send). */
int packet_icmp_quote(struct packet *icmp, const struct packet *inner,
		      size_t l4_max, char *err, size_t errlen);

/* ICMP type and code names as scripts write them ("unreachable",
 * "frag_needed"); code_name NULL means code 0. The names differ between
 * ICMPv4 and ICMPv6 ("frag_needed" is v4 only, "packet_too_big" v6). */
int icmp_lookup(int family, const char *type_name, const char *code_name,
		uint8_t *type, uint8_t *code, char *err, size_t errlen);
const char *icmp_type_name(int family, uint8_t type); /* NULL if unnamed */
const char *icmp_code_name(int family, uint8_t type, uint8_t code);

/* --- TCP options ---------------------------------------------------------- */

/* Room for a decoded option list: 40 bytes hold at most 40 options. */
struct tcp_option_storage {
	struct tcp_option_list list;
	struct tcp_option_spec items[TCP_OPTION_BYTES_MAX];
};

/* An empty list backed by s; call again after copying s. */
static inline struct tcp_option_list *
tcp_option_storage_list(struct tcp_option_storage *s)
{
	s->list.items = s->items;
	s->list.count = 0;
	return &s->list;
}

/* The options byte for byte as listed: no padding is added (scripts write
 * their nops), more than 40 bytes is an error. AccECN's wire kind follows
 * the field order (e0b first: 172, e1b first: 174); with no fields, kind
 * 174 when field[0] is ACCECN_E1B, else 172. md5 without a digest writes 16
 * zero bytes. */
int tcp_options_encode(const struct tcp_option_list *opts, uint8_t *buf,
		       size_t cap, size_t *len, char *err, size_t errlen);

/* Parse option bytes into out; out->items must have room for
 * TCP_OPTION_BYTES_MAX entries (tcp_option_storage_list() gives that). Every
 * byte becomes an option, padding after eol included, so encoding the list
 * gives the same bytes back. A length byte below 2 or past the end, or a
 * known kind with a length it cannot have, fails; unknown kinds and kind 254
 * without the 0xf989 magic become TOPT_UNKNOWN. AccECN's field[] always
 * holds its kind's full order, count says how many were present. */
int tcp_options_decode(const uint8_t *buf, size_t len,
		       struct tcp_option_list *out, char *err, size_t errlen);

/* --- script syntax -------------------------------------------------------- */

/* All formatters work like snprintf: they return the length of the whole
 * text and write what fits of it, always NUL-terminated when len > 0. */

/* One option: "mss 1460", "TS val 100 ecr 0", "sack 1:2 3:4", "FO abcd",
 * "ECN e0b 1 ceb 0 e1b 0"; TOPT_UNKNOWN as "kind 99 len 4 0102". */
int tcp_option_format(const struct tcp_option_spec *opt, char *buf,
		      size_t len);

/* "<mss 1460,sackOK,nop,wscale 7>". */
int tcp_options_format(const struct tcp_option_list *opts, char *buf,
		       size_t len);

/* Flags as scripts write them: letters in the order S F R P U E W A, then
 * '.' for ACK; "-" for none. With ace and ACK set, E, W and A give way to
 * the AccECN counter as a digit after the dot ("S.5"). */
int tcp_flags_format(unsigned int flags, bool ace, char *buf, size_t len);

enum {
	TCP_FORMAT_WIN = 1 << 0, /* "win N" */
	TCP_FORMAT_URG = 1 << 1, /* "urg N" */
	TCP_FORMAT_ACE = 1 << 2, /* AccECN digit instead of E, W, A */
	TCP_FORMAT_ECN = 1 << 3, /* "[ect0] " before the flags */
	TCP_FORMAT_NO_ACK = 1 << 4, /* no "ack N" even with ACK (it is 0) */
};

/* A TCP segment the way a script line spells it. The caller puts in
 * script-relative numbers (seqmap.h) and chooses what to show; "ack N" is
 * printed exactly when flags has TCPF_ACK, options when the list is not
 * NULL and not empty. */
struct tcp_format {
	unsigned int flags; /* TCPF_* */
	uint32_t seq;       /* start of the sequence range */
	uint32_t payload_len;
	uint32_t ack;
	uint32_t win;
	uint32_t urg;
	uint8_t tos; /* for TCP_FORMAT_ECN */
	const struct tcp_option_list *options;
	unsigned int show; /* TCP_FORMAT_* */
};

/* The raw fields of a decoded TCP packet, unmapped, showing win (and urg
 * when URG is set), no options. */
void tcp_format_from_packet(struct tcp_format *f, const struct packet *p);

/* "S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 7>". */
int packet_format_tcp(const struct tcp_format *f, char *buf, size_t len);

/* "udp (100)". */
int packet_format_udp(const struct packet *p, char *buf, size_t len);

/* "icmp unreachable frag_needed mtu 840"; the quote is not printed. */
int packet_format_icmp(const struct packet *p, char *buf, size_t len);

/* "noecn", "ect1", "ect0" or "ce": the ECN codepoint of tos. */
const char *packet_ecn_name(uint8_t tos);

#endif
