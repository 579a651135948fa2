/* Whole datagrams: the IP layer and the transport layer put together, for
 * encoding and for decoding. */
#include "packet/wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int packet_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void packet_init(struct packet *p, int family, uint8_t protocol)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	p->protocol = protocol;
	p->ttl = 64;
}

/* The transport protocols each IP version carries here. */
static bool protocol_ok(int family, uint8_t protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		return true;
	case IPPROTO_ICMP:
		return family == AF_INET;
	case IPPROTO_ICMPV6:
		return family == AF_INET6;
	default:
		return false;
	}
}

static int l4_encoded_len(const struct packet *p, size_t *len, char *err,
			  size_t errlen)
{
	switch (p->protocol) {
	case IPPROTO_TCP:
		return tcp_encoded_len(p, len, err, errlen);
	case IPPROTO_UDP:
		return udp_encoded_len(p, len, err, errlen);
	default:
		return icmp_encoded_len(p, len, err, errlen);
	}
}

int packet_encoded_len(const struct packet *p, size_t *len, char *err,
		       size_t errlen)
{
	size_t l4_len;

	if (p->family != AF_INET && p->family != AF_INET6)
		return packet_err(err, errlen, "unknown address family %d",
				  p->family);
	if (!protocol_ok(p->family, p->protocol))
		return packet_err(err, errlen,
				  "cannot encode protocol %u over IPv%d",
				  p->protocol, p->family == AF_INET ? 4 : 6);
	if (l4_encoded_len(p, &l4_len, err, errlen) < 0)
		return -1;
	if (p->family == AF_INET) {
		*len = IPV4_HDR_LEN + l4_len;
		if (*len > 0xffff)
			return packet_err(err, errlen,
					  "IPv4 datagram of %zu bytes exceeds "
					  "65535", *len);
		return 0;
	}
	if (l4_len > 0xffff)
		return packet_err(err, errlen,
				  "IPv6 payload of %zu bytes exceeds 65535",
				  l4_len);
	*len = IPV6_HDR_LEN + l4_len;
	return 0;
}

int packet_encode(const struct packet *p, uint8_t *buf, size_t cap,
		  size_t *len, char *err, size_t errlen)
{
	size_t total = 0, hlen;
	uint8_t *l4;

	if (packet_encoded_len(p, &total, err, errlen) < 0)
		return -1;
	if (total > cap)
		return packet_err(err, errlen,
				  "packet of %zu bytes does not fit in %zu",
				  total, cap);
	hlen = p->family == AF_INET ? IPV4_HDR_LEN : IPV6_HDR_LEN;
	l4 = buf + hlen;
	/* The transport checksum covers its pseudo-header, not the IP
	 * header, so the order does not matter. */
	if (p->family == AF_INET)
		ipv4_encode(p, total - hlen, buf);
	else
		ipv6_encode(p, total - hlen, buf);
	if (p->protocol == IPPROTO_TCP)
		tcp_encode(p, l4, total - hlen);
	else if (p->protocol == IPPROTO_UDP)
		udp_encode(p, l4, total - hlen);
	else
		icmp_encode(p, l4, total - hlen);
	*len = total;
	return 0;
}

/* The IP header, whichever version the first nibble names. */
static int ip_decode(struct bytes b, bool quoted, struct packet *p,
		     struct bytes *l4, size_t *l4_claimed, char *err,
		     size_t errlen)
{
	uint8_t version;

	if (b.len == 0)
		return packet_err(err, errlen, "empty packet");
	version = get_u8(b, 0) >> 4;
	if (version == 4)
		return ipv4_decode(b, quoted, p, l4, l4_claimed, err, errlen);
	if (version == 6)
		return ipv6_decode(b, quoted, p, l4, l4_claimed, err, errlen);
	return packet_err(err, errlen, "unknown IP version %u", version);
}

int packet_decode(const uint8_t *buf, size_t len, struct packet *p,
		  char *err, size_t errlen)
{
	struct bytes b = { buf, len }, l4;
	size_t l4_claimed;

	memset(p, 0, sizeof(*p));
	if (ip_decode(b, false, p, &l4, &l4_claimed, err, errlen) < 0)
		return -1;
	if (!protocol_ok(p->family, p->protocol))
		return packet_err(err, errlen,
				  "unsupported protocol %u over IPv%d",
				  p->protocol, p->family == AF_INET ? 4 : 6);
	switch (p->protocol) {
	case IPPROTO_TCP:
		return tcp_decode(l4, p, err, errlen);
	case IPPROTO_UDP:
		return udp_decode(l4, p, err, errlen);
	default:
		return icmp_decode(l4, p, err, errlen);
	}
}

int packet_decode_quoted(const uint8_t *buf, size_t len, struct packet *p,
			 size_t *l4_bytes, char *err, size_t errlen)
{
	struct bytes b = { buf, len }, l4;
	size_t l4_claimed;

	memset(p, 0, sizeof(*p));
	if (ip_decode(b, true, p, &l4, &l4_claimed, err, errlen) < 0)
		return -1;
	*l4_bytes = l4.len;
	switch (p->protocol) {
	case IPPROTO_TCP:
		return tcp_decode_quoted(l4, l4_claimed, p, err, errlen);
	case IPPROTO_UDP:
		return udp_decode_quoted(l4, p, err, errlen);
	default:
		return packet_err(err, errlen,
				  "quoted datagram carries protocol %u, not "
				  "TCP or UDP", p->protocol);
	}
}
