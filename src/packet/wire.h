/* Internal to src/packet: bounds-checked byte readers, byte writers,
 * checksums and the per-header codecs that packet.c strings together. */
#ifndef TCPCHECK_PACKET_WIRE_H
#define TCPCHECK_PACKET_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "packet/packet.h"

/* Bytes off the wire. Every read names an offset and is checked against
 * len; out of range it yields 0, so a forgotten length check gives a wrong
 * value, never a read past the buffer. Decoders check lengths first anyway,
 * to say what is missing. */
struct bytes {
	const uint8_t *p;
	size_t len;
};

static inline bool bytes_has(struct bytes b, size_t off, size_t n)
{
	return off <= b.len && n <= b.len - off;
}

/* The n bytes at off, cut short at the end of b. */
static inline struct bytes bytes_sub(struct bytes b, size_t off, size_t n)
{
	struct bytes s = { b.p, 0 };

	if (off > b.len)
		return s;
	s.p = b.p + off;
	s.len = n < b.len - off ? n : b.len - off;
	return s;
}

static inline uint8_t get_u8(struct bytes b, size_t off)
{
	return bytes_has(b, off, 1) ? b.p[off] : 0;
}

static inline uint16_t get_be16(struct bytes b, size_t off)
{
	if (!bytes_has(b, off, 2))
		return 0;
	return (uint16_t)(b.p[off] << 8 | b.p[off + 1]);
}

static inline uint32_t get_be24(struct bytes b, size_t off)
{
	if (!bytes_has(b, off, 3))
		return 0;
	return (uint32_t)b.p[off] << 16 | (uint32_t)b.p[off + 1] << 8 |
	       b.p[off + 2];
}

static inline uint32_t get_be32(struct bytes b, size_t off)
{
	if (!bytes_has(b, off, 4))
		return 0;
	return (uint32_t)b.p[off] << 24 | (uint32_t)b.p[off + 1] << 16 |
	       (uint32_t)b.p[off + 2] << 8 | b.p[off + 3];
}

/* Copy n bytes at off to dst; zeros if they are not all there. */
static inline void get_bytes(struct bytes b, size_t off, void *dst, size_t n)
{
	if (bytes_has(b, off, n))
		memcpy(dst, b.p + off, n);
	else
		memset(dst, 0, n);
}

/* Writers: encoders size the whole datagram and check the capacity once,
 * before writing anything. */
static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Fill err with a message and return -1; err may be NULL. */
int packet_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- checksum.c ----------------------------------------------------------- */

/* Add bytes to a ones' complement sum; only the last piece of a checksummed
 * run may have an odd length. */
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len);
/* Fold to 16 bits and complement: the value a checksum field holds. */
uint16_t csum_finish(uint32_t sum);
/* The TCP/UDP/ICMPv6 pseudo-header of p for an upper-layer length. */
uint32_t csum_pseudo(const struct packet *p, size_t l4_len);
/* Checksum of a transport message of p, pseudo-header included where the
 * protocol has one (all but ICMPv4). */
uint16_t csum_l4(const struct packet *p, const uint8_t *l4, size_t len);
/* True if the checksum field inside l4 is right. */
bool csum_l4_ok(const struct packet *p, struct bytes l4);

/* --- per header ----------------------------------------------------------- */

#define IPV4_HDR_LEN 20
#define IPV6_HDR_LEN 40
#define TCP_HDR_LEN 20
#define UDP_HDR_LEN 8
#define ICMP_HDR_LEN 8

/* Encoders write the header at buf; the room was checked by the caller.
 * l4_len is the transport header plus payload. */
void ipv4_encode(const struct packet *p, size_t l4_len, uint8_t *buf);
void ipv6_encode(const struct packet *p, size_t l4_len, uint8_t *buf);
int tcp_encoded_len(const struct packet *p, size_t *len, char *err,
		    size_t errlen);
void tcp_encode(const struct packet *p, uint8_t *l4, size_t l4_len);
int udp_encoded_len(const struct packet *p, size_t *len, char *err,
		    size_t errlen);
void udp_encode(const struct packet *p, uint8_t *l4, size_t l4_len);
int icmp_encoded_len(const struct packet *p, size_t *len, char *err,
		     size_t errlen);
void icmp_encode(const struct packet *p, uint8_t *l4, size_t l4_len);

/* IP decoders fill p's IP fields, set *l4 to the transport bytes there are
 * and *l4_claimed to the transport length the IP header gives. Only a
 * quoted datagram may stop before its IP length says. */
int ipv4_decode(struct bytes b, bool quoted, struct packet *p,
		struct bytes *l4, size_t *l4_claimed, char *err,
		size_t errlen);
int ipv6_decode(struct bytes b, bool quoted, struct packet *p,
		struct bytes *l4, size_t *l4_claimed, char *err,
		size_t errlen);

/* Transport decoders; a quoted one may be cut short after 8 bytes, and its
 * payload length comes from claimed_len (the IP header's view). */
int tcp_decode(struct bytes l4, struct packet *p, char *err, size_t errlen);
int tcp_decode_quoted(struct bytes l4, size_t claimed_len, struct packet *p,
		      char *err, size_t errlen);
int udp_decode(struct bytes l4, struct packet *p, char *err, size_t errlen);
int udp_decode_quoted(struct bytes l4, struct packet *p, char *err,
		      size_t errlen);
int icmp_decode(struct bytes l4, struct packet *p, char *err, size_t errlen);

#endif
