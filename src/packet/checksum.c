/* The Internet checksum: RFC 1071, with the pseudo-headers of RFC 9293
 * 3.1 (TCP), RFC 768 (UDP) and RFC 8200 8.1 (IPv6 upper layers). */
#include "packet/wire.h"

#include <string.h>
#include <sys/socket.h>

uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	/* 64 bits cannot overflow on 16-bit words of any IP datagram. */
	uint64_t acc = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		acc += (uint32_t)p[i] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

uint16_t csum_finish(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t csum_pseudo(const struct packet *p, size_t l4_len)
{
	uint8_t tail[8] = { 0 };
	uint32_t sum;

	if (p->family == AF_INET) {
		sum = csum_add(0, (const uint8_t *)&p->src.v4, 4);
		sum = csum_add(sum, (const uint8_t *)&p->dst.v4, 4);
		/* zero, protocol, 16-bit length */
		tail[1] = p->protocol;
		put_be16(tail + 2, (uint16_t)l4_len);
		return csum_add(sum, tail, 4);
	}
	sum = csum_add(0, p->src.v6.s6_addr, 16);
	sum = csum_add(sum, p->dst.v6.s6_addr, 16);
	/* 32-bit length, three zeros, next header */
	put_be32(tail, (uint32_t)l4_len);
	tail[7] = p->protocol;
	return csum_add(sum, tail, 8);
}

uint16_t csum_l4(const struct packet *p, const uint8_t *l4, size_t len)
{
	uint32_t sum = 0;

	if (p->protocol != IPPROTO_ICMP)
		sum = csum_pseudo(p, len);
	return csum_finish(csum_add(sum, l4, len));
}

bool csum_l4_ok(const struct packet *p, struct bytes l4)
{
	/* Summing a message with its own checksum gives all ones, which
	 * csum_finish() turns into zero. */
	return csum_l4(p, l4.p, l4.len) == 0;
}
