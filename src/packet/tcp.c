/* TCP header: RFC 9293 section 3.1, with the AE flag of AccECN (formerly
 * NS, RFC 3540) in the last reserved bit before CWR. */
#include "packet/wire.h"

#include <string.h>

/* The 12th and 13th bytes read as one big-endian word: data offset in the
 * top 4 bits, then 3 reserved bits, then AE..FIN, which is TCPF_*'s
 * layout. */
#define TCP_FLAG_BITS 0x1ff

int tcp_encoded_len(const struct packet *p, size_t *len, char *err,
		    size_t errlen)
{
	const struct packet_tcp *t = &p->u.tcp;

	if (t->options_len > TCP_OPTION_BYTES_MAX)
		return packet_err(err, errlen,
				  "TCP options take %zu bytes, more than %d",
				  t->options_len, TCP_OPTION_BYTES_MAX);
	if (t->options_len % 4)
		return packet_err(err, errlen,
				  "TCP options take %zu bytes, not a multiple "
				  "of 4 (pad them with nop or eol)",
				  t->options_len);
	*len = TCP_HDR_LEN + t->options_len + t->payload_len;
	return 0;
}

void tcp_encode(const struct packet *p, uint8_t *l4, size_t l4_len)
{
	const struct packet_tcp *t = &p->u.tcp;
	size_t hlen = TCP_HDR_LEN + t->options_len;

	put_be16(l4, t->sport);
	put_be16(l4 + 2, t->dport);
	put_be32(l4 + 4, t->seq);
	put_be32(l4 + 8, t->ack);
	put_be16(l4 + 12,
		 (uint16_t)(hlen / 4 << 12 | (t->flags & TCP_FLAG_BITS)));
	put_be16(l4 + 14, t->win);
	put_be16(l4 + 16, 0);
	put_be16(l4 + 18, t->urg);
	memcpy(l4 + TCP_HDR_LEN, t->options, t->options_len);
	memset(l4 + hlen, 0, l4_len - hlen);
	put_be16(l4 + 16, csum_l4(p, l4, l4_len));
}

/* The fixed header's fields, as many as the bytes hold: a quoted header
 * may stop after 8 bytes, and each field is only read if it is there. */
static void tcp_decode_fixed(struct bytes l4, struct packet_tcp *t)
{
	t->sport = get_be16(l4, 0);
	t->dport = get_be16(l4, 2);
	t->seq = get_be32(l4, 4);
	t->ack = get_be32(l4, 8);
	t->flags = get_be16(l4, 12) & TCP_FLAG_BITS;
	t->win = get_be16(l4, 14);
	t->urg = get_be16(l4, 18);
}

/* The data offset, checked against the bytes the segment has. */
static int tcp_header_len(struct bytes l4, size_t seg_len, size_t *hlen,
			  char *err, size_t errlen)
{
	size_t doff = get_u8(l4, 12) >> 4;

	*hlen = doff * 4;
	if (doff < 5)
		return packet_err(err, errlen,
				  "bad TCP data offset %zu (< 5)", doff);
	if (*hlen > seg_len)
		return packet_err(err, errlen,
				  "TCP data offset %zu (%zu bytes) overruns "
				  "the %zu-byte segment", doff, *hlen, seg_len);
	return 0;
}

int tcp_decode(struct bytes l4, struct packet *p, char *err, size_t errlen)
{
	struct packet_tcp *t = &p->u.tcp;
	size_t hlen;

	if (!bytes_has(l4, 0, TCP_HDR_LEN))
		return packet_err(err, errlen,
				  "truncated TCP header: %zu bytes, need %d",
				  l4.len, TCP_HDR_LEN);
	if (tcp_header_len(l4, l4.len, &hlen, err, errlen) < 0)
		return -1;
	tcp_decode_fixed(l4, t);
	t->options_len = hlen - TCP_HDR_LEN;
	get_bytes(l4, TCP_HDR_LEN, t->options, t->options_len);
	t->payload_len = (uint32_t)(l4.len - hlen);
	if (!csum_l4_ok(p, l4))
		p->bad_csum |= PACKET_BAD_L4_CSUM;
	return 0;
}

int tcp_decode_quoted(struct bytes l4, size_t claimed_len, struct packet *p,
		      char *err, size_t errlen)
{
	struct packet_tcp *t = &p->u.tcp;
	size_t hlen = TCP_HDR_LEN;

	if (!bytes_has(l4, 0, 8))
		return packet_err(err, errlen,
				  "quoted TCP header has %zu bytes, need 8 "
				  "(ports and sequence number)", l4.len);
	tcp_decode_fixed(l4, t);
	if (bytes_has(l4, 0, 13) &&
	    tcp_header_len(l4, claimed_len, &hlen, err, errlen) < 0)
		return -1;
	t->options_len = 0;
	if (bytes_has(l4, 0, hlen)) {
		t->options_len = hlen - TCP_HDR_LEN;
		get_bytes(l4, TCP_HDR_LEN, t->options, t->options_len);
	}
	t->payload_len = 0;
	if (claimed_len > hlen)
		t->payload_len = (uint32_t)(claimed_len - hlen);
	return 0;
}
