/* UDP header: RFC 768, with IPv6's mandatory checksum (RFC 8200 8.1). */
#include "packet/wire.h"

#include <string.h>

int udp_encoded_len(const struct packet *p, size_t *len, char *err,
		    size_t errlen)
{
	*len = UDP_HDR_LEN + (size_t)p->u.udp.payload_len;
	if (*len > 0xffff)
		return packet_err(err, errlen,
				  "UDP payload of %u bytes does not fit the "
				  "16-bit length", p->u.udp.payload_len);
	return 0;
}

void udp_encode(const struct packet *p, uint8_t *l4, size_t l4_len)
{
	uint16_t sum;

	put_be16(l4, p->u.udp.sport);
	put_be16(l4 + 2, p->u.udp.dport);
	put_be16(l4 + 4, (uint16_t)l4_len);
	put_be16(l4 + 6, 0);
	memset(l4 + UDP_HDR_LEN, 0, l4_len - UDP_HDR_LEN);
	sum = csum_l4(p, l4, l4_len);
	/* Zero would mean "no checksum"; all ones is the same sum. */
	put_be16(l4 + 6, sum ? sum : 0xffff);
}

static void udp_decode_fixed(struct bytes l4, struct packet_udp *u)
{
	u->sport = get_be16(l4, 0);
	u->dport = get_be16(l4, 2);
	u->payload_len = get_be16(l4, 4) - UDP_HDR_LEN;
}

int udp_decode(struct bytes l4, struct packet *p, char *err, size_t errlen)
{
	size_t ulen;

	if (!bytes_has(l4, 0, UDP_HDR_LEN))
		return packet_err(err, errlen,
				  "truncated UDP header: %zu bytes, need %d",
				  l4.len, UDP_HDR_LEN);
	ulen = get_be16(l4, 4);
	if (ulen < UDP_HDR_LEN)
		return packet_err(err, errlen, "bad UDP length %zu (< 8)",
				  ulen);
	if (ulen > l4.len)
		return packet_err(err, errlen,
				  "UDP length %zu exceeds the %zu bytes of the "
				  "IP payload", ulen, l4.len);
	udp_decode_fixed(l4, &p->u.udp);
	/* IPv4 allows "no checksum" (zero); IPv6 does not. */
	if (get_be16(l4, 6) == 0 && p->family == AF_INET)
		return 0;
	if (get_be16(l4, 6) == 0 || !csum_l4_ok(p, bytes_sub(l4, 0, ulen)))
		p->bad_csum |= PACKET_BAD_L4_CSUM;
	return 0;
}

int udp_decode_quoted(struct bytes l4, struct packet *p, char *err,
		      size_t errlen)
{
	if (!bytes_has(l4, 0, UDP_HDR_LEN))
		return packet_err(err, errlen,
				  "quoted UDP header has %zu bytes, need %d",
				  l4.len, UDP_HDR_LEN);
	if (get_be16(l4, 4) < UDP_HDR_LEN)
		return packet_err(err, errlen, "bad quoted UDP length %u (< 8)",
				  get_be16(l4, 4));
	udp_decode_fixed(l4, &p->u.udp);
	return 0;
}
