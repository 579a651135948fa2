/* IPv6 header and the extension headers we step over: RFC 8200 sections 3
 * and 4 (ECN in the traffic class per RFC 3168). */
#include "packet/wire.h"

#include <string.h>

/* Next-header values of RFC 8200 4. */
enum {
	IPV6_NH_HOPOPTS = 0,
	IPV6_NH_ROUTING = 43,
	IPV6_NH_FRAGMENT = 44,
	IPV6_NH_ESP = 50,
	IPV6_NH_AH = 51,
	IPV6_NH_NONE = 59,
	IPV6_NH_DSTOPTS = 60,
};

void ipv6_encode(const struct packet *p, size_t l4_len, uint8_t *buf)
{
	put_be32(buf, 6u << 28 | (uint32_t)p->tos << 20 |
			      (p->flowlabel & 0xfffff));
	put_be16(buf + 4, (uint16_t)l4_len);
	buf[6] = p->protocol;
	buf[7] = p->ttl;
	memcpy(buf + 8, p->src.v6.s6_addr, 16);
	memcpy(buf + 24, p->dst.v6.s6_addr, 16);
}

/* Hop-by-hop, routing and destination options share one shape (RFC 8200
 * 4.3, 4.4, 4.6): next header, length in 8-octet units beyond the first
 * 8. Step over them to the upper layer; refuse what has another shape. */
static int ipv6_skip_extensions(struct bytes *rest, uint8_t *nh, char *err,
				size_t errlen)
{
	size_t ext_len;

	for (;;) {
		switch (*nh) {
		case IPV6_NH_HOPOPTS:
		case IPV6_NH_ROUTING:
		case IPV6_NH_DSTOPTS:
			break;
		case IPV6_NH_FRAGMENT:
			return packet_err(err, errlen,
					  "IPv6 fragment header: fragments are "
					  "not supported");
		case IPV6_NH_ESP:
		case IPV6_NH_AH:
		case IPV6_NH_NONE:
			return packet_err(err, errlen,
					  "unsupported IPv6 next header %u",
					  *nh);
		default:
			return 0;
		}
		if (!bytes_has(*rest, 0, 2))
			return packet_err(err, errlen,
					  "truncated IPv6 extension header %u",
					  *nh);
		ext_len = ((size_t)get_u8(*rest, 1) + 1) * 8;
		if (!bytes_has(*rest, 0, ext_len))
			return packet_err(err, errlen,
					  "IPv6 extension header %u of %zu "
					  "bytes overruns the %zu left",
					  *nh, ext_len, rest->len);
		*nh = get_u8(*rest, 0);
		*rest = bytes_sub(*rest, ext_len, rest->len - ext_len);
	}
}

int ipv6_decode(struct bytes b, bool quoted, struct packet *p,
		struct bytes *l4, size_t *l4_claimed, char *err,
		size_t errlen)
{
	uint32_t first;
	size_t plen;
	uint8_t nh;

	if (!bytes_has(b, 0, IPV6_HDR_LEN))
		return packet_err(err, errlen,
				  "truncated IPv6 header: %zu bytes, need %d",
				  b.len, IPV6_HDR_LEN);
	plen = get_be16(b, 4);
	if (!bytes_has(b, IPV6_HDR_LEN, plen) && !quoted)
		return packet_err(err, errlen,
				  "IPv6 payload length %zu exceeds the %zu "
				  "bytes received after the header",
				  plen, b.len - IPV6_HDR_LEN);
	first = get_be32(b, 0);
	p->family = AF_INET6;
	p->tos = (uint8_t)(first >> 20);
	p->flowlabel = first & 0xfffff;
	p->ttl = get_u8(b, 7);
	get_bytes(b, 8, p->src.v6.s6_addr, 16);
	get_bytes(b, 24, p->dst.v6.s6_addr, 16);
	nh = get_u8(b, 6);
	*l4 = bytes_sub(b, IPV6_HDR_LEN, plen);
	if (ipv6_skip_extensions(l4, &nh, err, errlen) < 0)
		return -1;
	p->protocol = nh;
	/* What the extension headers took comes off the claimed length. */
	*l4_claimed = plen - (size_t)(l4->p - (b.p + IPV6_HDR_LEN));
	return 0;
}
