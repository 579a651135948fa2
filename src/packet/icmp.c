/* ICMP and ICMPv6 messages: RFC 792 (ICMPv4), RFC 4443 (ICMPv6), RFC 1191
 * (the next-hop MTU of "fragmentation needed"), the quoted datagram sized
 * per RFC 1812 4.3.2.3 and RFC 4443 2.4 (c). */
#include "packet/wire.h"

#include <stdlib.h>
#include <string.h>

enum {
	ICMP4_UNREACH = 3,
	ICMP4_FRAG_NEEDED = 4, /* a code of ICMP4_UNREACH */
	ICMP6_PACKET_TOO_BIG = 2,
};

/* Bytes of the offending datagram an ICMP error may carry: the error as a
 * whole stays within 576 bytes for IPv4 and 1280 for IPv6. */
#define ICMP4_QUOTE_MAX (576 - IPV4_HDR_LEN - ICMP_HDR_LEN)
#define ICMP6_QUOTE_MAX PACKET_QUOTE_MAX

static bool icmp_has_mtu(const struct packet *p)
{
	const struct packet_icmp *m = &p->u.icmp;

	if (p->family == AF_INET)
		return m->type == ICMP4_UNREACH && m->code == ICMP4_FRAG_NEEDED;
	return m->type == ICMP6_PACKET_TOO_BIG;
}

int icmp_encoded_len(const struct packet *p, size_t *len, char *err,
		     size_t errlen)
{
	const struct packet_icmp *m = &p->u.icmp;

	if (m->quoted_len > PACKET_QUOTE_MAX)
		return packet_err(err, errlen,
				  "ICMP quote of %zu bytes, more than %d",
				  m->quoted_len, PACKET_QUOTE_MAX);
	if (p->family == AF_INET && icmp_has_mtu(p) && m->mtu > 0xffff)
		return packet_err(err, errlen,
				  "ICMP next-hop MTU %u does not fit 16 bits",
				  m->mtu);
	*len = ICMP_HDR_LEN + m->quoted_len;
	return 0;
}

void icmp_encode(const struct packet *p, uint8_t *l4, size_t l4_len)
{
	const struct packet_icmp *m = &p->u.icmp;

	l4[0] = m->type;
	l4[1] = m->code;
	put_be16(l4 + 2, 0);
	/* The second word: unused (zero) but where the MTU goes. */
	put_be32(l4 + 4, 0);
	if (icmp_has_mtu(p) && p->family == AF_INET)
		put_be16(l4 + 6, (uint16_t)m->mtu);
	else if (icmp_has_mtu(p))
		put_be32(l4 + 4, m->mtu);
	memcpy(l4 + ICMP_HDR_LEN, m->quoted, l4_len - ICMP_HDR_LEN);
	put_be16(l4 + 2, csum_l4(p, l4, l4_len));
}

int icmp_decode(struct bytes l4, struct packet *p, char *err, size_t errlen)
{
	struct packet_icmp *m = &p->u.icmp;

	if (!bytes_has(l4, 0, ICMP_HDR_LEN))
		return packet_err(err, errlen,
				  "truncated ICMP header: %zu bytes, need %d",
				  l4.len, ICMP_HDR_LEN);
	m->type = get_u8(l4, 0);
	m->code = get_u8(l4, 1);
	m->mtu = 0;
	if (icmp_has_mtu(p))
		m->mtu = p->family == AF_INET ? get_be16(l4, 6)
					      : get_be32(l4, 4);
	/* A quote is a prefix anyway; a longer body keeps its start. */
	m->quoted_len = l4.len - ICMP_HDR_LEN;
	if (m->quoted_len > PACKET_QUOTE_MAX)
		m->quoted_len = PACKET_QUOTE_MAX;
	get_bytes(l4, ICMP_HDR_LEN, m->quoted, m->quoted_len);
	if (!csum_l4_ok(p, l4))
		p->bad_csum |= PACKET_BAD_L4_CSUM;
	return 0;
}

int packet_icmp_quote(struct packet *icmp, const struct packet *inner,
		      size_t l4_max, char *err, size_t errlen)
{
	size_t len, hlen, want, room;
	uint8_t *buf;

	if (packet_encoded_len(inner, &len, err, errlen) < 0)
		return -1;
	buf = malloc(len);
	if (!buf)
		return packet_err(err, errlen, "out of memory");
	if (packet_encode(inner, buf, len, &len, err, errlen) < 0) {
		free(buf);
		return -1;
	}
	hlen = inner->family == AF_INET ? IPV4_HDR_LEN : IPV6_HDR_LEN;
	want = len - hlen < l4_max ? len : hlen + l4_max;
	room = icmp->family == AF_INET ? ICMP4_QUOTE_MAX : ICMP6_QUOTE_MAX;
	icmp->u.icmp.quoted_len = want < room ? want : room;
	memcpy(icmp->u.icmp.quoted, buf, icmp->u.icmp.quoted_len);
	free(buf);
	return 0;
}

/* --- names as scripts write them ------------------------------------------ */

struct icmp_name {
	uint8_t value;
	const char *name;
};

static const struct icmp_name icmp4_types[] = {
	{ 0, "echo_reply" },	    { 3, "unreachable" },
	{ 4, "source_quench" },	    { 5, "redirect" },
	{ 8, "echo_request" },	    { 11, "time_exceeded" },
	{ 12, "parameter_problem" }, { 0, NULL },
};

/* RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1. */
static const struct icmp_name icmp4_unreach_codes[] = {
	{ 0, "net_unreachable" },
	{ 1, "host_unreachable" },
	{ 2, "protocol_unreachable" },
	{ 3, "port_unreachable" },
	{ 4, "frag_needed" },
	{ 5, "source_route_failed" },
	{ 6, "net_unknown" },
	{ 7, "host_unknown" },
	{ 8, "source_host_isolated" },
	{ 9, "net_prohibited" },
	{ 10, "host_prohibited" },
	{ 11, "net_unreachable_for_tos" },
	{ 12, "host_unreachable_for_tos" },
	{ 13, "packet_filtered" },
	{ 14, "precedence_violation" },
	{ 15, "precedence_cutoff" },
	{ 0, NULL },
};

static const struct icmp_name icmp6_types[] = {
	{ 1, "unreachable" },	      { 2, "packet_too_big" },
	{ 3, "time_exceeded" },	      { 4, "parameter_problem" },
	{ 128, "echo_request" },      { 129, "echo_reply" },
	{ 0, NULL },
};

/* RFC 4443 3.1. */
static const struct icmp_name icmp6_unreach_codes[] = {
	{ 0, "no_route" },
	{ 1, "admin_prohibited" },
	{ 2, "beyond_scope" },
	{ 3, "address_unreachable" },
	{ 4, "port_unreachable" },
	{ 5, "source_address_failed" },
	{ 6, "reject_route" },
	{ 0, NULL },
};

static const struct icmp_name *icmp_types(int family)
{
	return family == AF_INET ? icmp4_types : icmp6_types;
}

/* Only "unreachable" has named codes; the others are 0 in practice. */
static const struct icmp_name *icmp_codes(int family, uint8_t type)
{
	if (family == AF_INET && type == ICMP4_UNREACH)
		return icmp4_unreach_codes;
	if (family == AF_INET6 && type == 1)
		return icmp6_unreach_codes;
	return NULL;
}

static const struct icmp_name *by_name(const struct icmp_name *t,
				       const char *name)
{
	for (; t && t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

static const char *by_value(const struct icmp_name *t, uint8_t value)
{
	for (; t && t->name; t++)
		if (t->value == value)
			return t->name;
	return NULL;
}

int icmp_lookup(int family, const char *type_name, const char *code_name,
		uint8_t *type, uint8_t *code, char *err, size_t errlen)
{
	const struct icmp_name *t = by_name(icmp_types(family), type_name);
	const struct icmp_name *c;

	if (!t)
		return packet_err(err, errlen, "bad ICMP type %s", type_name);
	*type = t->value;
	*code = 0;
	if (!code_name)
		return 0;
	c = by_name(icmp_codes(family, t->value), code_name);
	if (!c)
		return packet_err(err, errlen, "bad ICMP code %s", code_name);
	*code = c->value;
	return 0;
}

const char *icmp_type_name(int family, uint8_t type)
{
	return by_value(icmp_types(family), type);
}

const char *icmp_code_name(int family, uint8_t type, uint8_t code)
{
	return by_value(icmp_codes(family, type), code);
}
