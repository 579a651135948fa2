/* IPv4 header: RFC 791 section 3.1 (the DF bit and the header checksum
 * there; ECN in the TOS byte per RFC 3168). */
#include "packet/wire.h"

#include <string.h>

#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV4_FRAG_OFFSET 0x1fff

void ipv4_encode(const struct packet *p, size_t l4_len, uint8_t *buf)
{
	buf[0] = 4 << 4 | IPV4_HDR_LEN / 4;
	buf[1] = p->tos;
	put_be16(buf + 2, (uint16_t)(IPV4_HDR_LEN + l4_len));
	put_be16(buf + 4, p->ip_id);
	put_be16(buf + 6, p->df ? IPV4_DF : 0);
	buf[8] = p->ttl;
	buf[9] = p->protocol;
	put_be16(buf + 10, 0);
	memcpy(buf + 12, &p->src.v4, 4);
	memcpy(buf + 16, &p->dst.v4, 4);
	put_be16(buf + 10, csum_finish(csum_add(0, buf, IPV4_HDR_LEN)));
}

/* The header's own length and the datagram's, as far as the bytes allow. */
static int ipv4_lengths(struct bytes b, bool quoted, size_t *hlen,
			size_t *total, char *err, size_t errlen)
{
	if (!bytes_has(b, 0, IPV4_HDR_LEN))
		return packet_err(err, errlen,
				  "truncated IPv4 header: %zu bytes, need %d",
				  b.len, IPV4_HDR_LEN);
	*hlen = (size_t)(get_u8(b, 0) & 0x0f) * 4;
	*total = get_be16(b, 2);
	if (*hlen < IPV4_HDR_LEN)
		return packet_err(err, errlen,
				  "bad IPv4 header length %zu (IHL %zu < 5)",
				  *hlen, *hlen / 4);
	if (!bytes_has(b, 0, *hlen))
		return packet_err(err, errlen,
				  "truncated IPv4 header: %zu bytes, IHL says "
				  "%zu", b.len, *hlen);
	if (*total < *hlen)
		return packet_err(err, errlen,
				  "IPv4 total length %zu is shorter than its "
				  "%zu-byte header", *total, *hlen);
	if (*total > b.len && !quoted)
		return packet_err(err, errlen,
				  "IPv4 total length %zu exceeds the %zu bytes "
				  "received", *total, b.len);
	return 0;
}

int ipv4_decode(struct bytes b, bool quoted, struct packet *p,
		struct bytes *l4, size_t *l4_claimed, char *err,
		size_t errlen)
{
	size_t hlen = 0, total = 0;
	uint16_t frag;

	if (ipv4_lengths(b, quoted, &hlen, &total, err, errlen) < 0)
		return -1;
	frag = get_be16(b, 6);
	if (frag & (IPV4_MF | IPV4_FRAG_OFFSET))
		return packet_err(err, errlen,
				  "IPv4 fragment (offset %u, MF %d): fragments "
				  "are not supported",
				  (frag & IPV4_FRAG_OFFSET) * 8u,
				  !!(frag & IPV4_MF));
	p->family = AF_INET;
	p->tos = get_u8(b, 1);
	p->ip_id = get_be16(b, 4);
	p->df = frag & IPV4_DF;
	p->ttl = get_u8(b, 8);
	p->protocol = get_u8(b, 9);
	get_bytes(b, 12, &p->src.v4, 4);
	get_bytes(b, 16, &p->dst.v4, 4);
	if (csum_finish(csum_add(0, b.p, hlen)) != 0)
		p->bad_csum |= PACKET_BAD_IP_CSUM;
	*l4 = bytes_sub(b, hlen, total - hlen);
	*l4_claimed = total - hlen;
	return 0;
}
